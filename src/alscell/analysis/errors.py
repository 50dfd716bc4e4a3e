"""The one error an analysis raises when it cannot be applied to the data it was given.

``NotApplicable`` carries one sentence saying what the data lack (no ALSFRS-R visits, no untreated
patients, no trial arms, …).  Reports turn it into "not available: <sentence>", the command line into
exit status 2.  Every other exception is a bug and is left to surface.
"""

from __future__ import annotations


class NotApplicable(ValueError):
    """This analysis cannot be applied to these data; ``str(exc)`` says why in one sentence."""


__all__ = ["NotApplicable"]

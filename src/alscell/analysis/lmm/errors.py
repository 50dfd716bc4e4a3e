"""Typed warnings of the LMM code."""


class ConvergenceWarning(UserWarning):
    """The optimiser did not reach a verified optimum."""


class FallbackWarning(ConvergenceWarning):
    """The requested random-effects structure was replaced by a simpler one."""

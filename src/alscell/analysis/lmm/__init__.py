"""Fast, exact Gaussian linear mixed models for ALS trajectories.

See ``docs/lmm.md``.  Public API::

    fit_lmm(y, X, Z, groups, reml=True, ...)           -> LMMResult
    fit_lmm_frame(data, outcome, fixed, random, group)  -> LMMResult
    LMM(data, outcome, fixed, random, group).fit()
    fit_lmm_batch(Y | list, X, Z, groups, ...)          -> LMMBatchResult
    ConvergenceWarning, FallbackWarning
"""

from typing import TYPE_CHECKING, Any

from .errors import ConvergenceWarning, FallbackWarning
from .fit import LMM, fallback_chain, fit_lmm, fit_lmm_frame
from .results import LMMResult, LMMSummary

if TYPE_CHECKING:
    from .batch import LMMBatchResult, fit_lmm_batch


def __getattr__(name: str) -> Any:
    # The batch fitter (simulated trials) is imported when first used: a single fit, as `alscell effect`
    # runs, need not pay for its imports.
    if name in ("LMMBatchResult", "fit_lmm_batch"):
        from . import batch

        return getattr(batch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "LMM",
    "ConvergenceWarning",
    "FallbackWarning",
    "LMMBatchResult",
    "LMMResult",
    "LMMSummary",
    "fallback_chain",
    "fit_lmm",
    "fit_lmm_batch",
    "fit_lmm_frame",
]

"""Fast, exact Gaussian linear mixed models for ALS trajectories.

See ``docs/lmm.md``.  Public API::

    fit_lmm(y, X, Z, groups, reml=True, ...)           -> LMMResult
    fit_lmm_frame(data, outcome, fixed, random, group)  -> LMMResult
    LMM(data, outcome, fixed, random, group).fit()
    fit_lmm_batch(Y | list, X, Z, groups, ...)          -> LMMBatchResult
    ConvergenceWarning, FallbackWarning
"""

from .batch import LMMBatchResult, fit_lmm_batch
from .errors import ConvergenceWarning, FallbackWarning
from .fit import LMM, fallback_chain, fit_lmm, fit_lmm_frame
from .results import LMMResult, LMMSummary

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

"""Fitting the evidence engine's mixed models on real, sparse data: one place for every fallback.

Registry data are often too thin for the full model: every patient first seen at the same delay after
onset (an entry-time term that does not vary), few distinct visit times (spline columns that coincide),
a random slope that cannot be estimated.  :func:`fit_mixed` handles each case the same way for every
estimator, and says what it did in ``notes`` — the estimators pass them on as warnings, so nothing is
changed silently:

1. fixed-effect columns that are linear combinations of earlier ones are dropped (named in ``dropped``);
   if a column the estimand needs (``required``) is among them the model cannot answer the question
   and :class:`~alscell.analysis.errors.NotApplicable` is raised;
2. the model with the requested random effects is fitted; if that fails numerically, a random intercept
   only (the sandwich standard errors stay valid; the model is less efficient);
3. convergence trouble and the fitter's own structure fallback are reported.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from alscell.analysis.errors import NotApplicable

if TYPE_CHECKING:
    from alscell.analysis.lmm import LMMResult

_RANK_TOL = 1e-8


@dataclass
class MixedFit:
    """A fitted model, the random-effects design actually used, and what had to be changed."""

    result: LMMResult
    X: np.ndarray
    Z: np.ndarray
    names: list[str]
    dropped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def independent_columns(X: np.ndarray, order: Sequence[int] | None = None) -> list[int]:
    """Indices of a maximal set of linearly independent columns of ``X``, taken greedily in ``order``."""
    order = list(range(X.shape[1])) if order is None else list(order)
    scale = np.linalg.norm(X, axis=0)
    Xs = X / np.where(scale > 0, scale, 1.0)
    kept: list[int] = []
    for j in order:
        if scale[j] == 0:
            continue
        trial = Xs[:, [*kept, j]]
        s = np.linalg.svd(trial, compute_uv=False)
        if s[-1] > _RANK_TOL * s[0] * max(trial.shape):
            kept.append(j)
    return sorted(kept)


def fit_mixed(
    y: np.ndarray,
    X: np.ndarray,
    Z: np.ndarray,
    groups: np.ndarray,
    names: Sequence[str],
    *,
    required: Sequence[str] = (),
    cov_type: str = "robust",
    df_method: str = "satterthwaite",
    start=None,
) -> MixedFit:
    """Fit ``y ~ X + (Z | groups)`` with the fallbacks of the module docstring.  ``start``: a warm start
    for the random-effects covariance (a previous fit's result; ignored where it does not fit)."""
    from alscell.analysis.lmm import fit_lmm

    names = list(names)
    if len(y) == 0 or len(np.unique(groups)) < 2:
        raise NotApplicable("fewer than 2 patients with observations: no mixed model can be fitted.")
    missing = [r for r in required if r not in names]
    if missing:
        raise ValueError(f"required terms {missing} are not columns of the design")
    # The required terms first: when they are aliased with a nuisance term, the nuisance term goes.
    first = [0] if names and names[0] == "intercept" else []
    order = first + [names.index(r) for r in required] + [j for j in range(len(names)) if j not in first]
    order = list(dict.fromkeys(order))
    keep = independent_columns(X, order)
    lost = [names[j] for j in range(len(names)) if j not in keep]
    lost_required = [r for r in required if r in lost]
    if lost_required:
        raise NotApplicable(
            f"the data cannot separate {', '.join(lost_required)} from the other terms of the model "
            "(too few distinct visit or treatment times)."
        )
    notes: list[str] = []
    if lost:
        notes.append(f"mixed model: terms {', '.join(lost)} left out (they do not vary independently in these data).")
    Xk, kept_names = X[:, keep], [names[j] for j in keep]

    def fit(Zr: np.ndarray) -> LMMResult:
        ws = start if start is not None and Zr.shape[1] == len(start.re_names) else None
        return fit_lmm(y, Xk, Zr, groups, fe_names=kept_names, cov_type=cov_type, df_method=df_method, start=ws)

    Zu = Z
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = fit(Z)
        except (np.linalg.LinAlgError, FloatingPointError, ValueError) as exc:
            if Z.shape[1] == 1:
                raise NotApplicable(f"the mixed model cannot be fitted to these data ({exc}).") from None
            Zu = Z[:, :1]
            try:
                res = fit(Zu)
            except (np.linalg.LinAlgError, FloatingPointError, ValueError) as exc2:
                raise NotApplicable(f"the mixed model cannot be fitted to these data ({exc2}).") from None
            notes.append(f"mixed model with random slopes failed numerically ({exc}); random intercept only.")
    notes += sorted(
        {str(w.message) for w in caught if any(k in str(w.message).lower() for k in ("converge", "fallback"))}
    )
    fb = getattr(res, "fallback", None)
    if fb:
        notes.append(f"mixed model: {fb}")
    return MixedFit(res, Xk, Zu, kept_names, lost, list(dict.fromkeys(notes)))


__all__ = ["MixedFit", "fit_mixed", "independent_columns"]

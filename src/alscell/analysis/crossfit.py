"""Cross-fitted, gradient-boosted nuisance models for the g-estimating equation (``nuisance="boosted"``).

The default g-estimator (:mod:`alscell.analysis.g_estimation`) models the treatment decision by a logistic
regression and the next 24 months' slopes by least squares on a hand-built history.  Each world we built
breaks that parametric form somewhere (a threshold on the level, an eligibility cut-off, a run of poor
visits), and every richer hand-built history tried mended one world and cost another
(docs/g_history_calibration.md, docs/g_history_level_calibration.md).  Here the same three nuisance
functions — P(start | H), E[S | H] and E[D | H] — are learned from the data by gradient-boosted trees
(scikit-learn's ``HistGradientBoosting*``), each predicted for a patient by models fitted on the *other*
patients (K-fold cross-fitting by patient), so that the estimating equation

    Σ (A − p̂)(S − m̂_S − δ (D − m̂_D)) = 0

stays unbiased by the learners' overfitting.  The equation is Neyman-orthogonal (its derivative in p, m_S and
m_D has mean zero at the truth), so δ̂ is √n-consistent when the learners converge fast enough (the product
of their errors o(n^-1/2)) and its variance is that of the per-patient sums of the estimating function, the
nuisances treated as known (Chernozhukov et al., "Double/debiased machine learning", Econometrics J
2018;21:C1–C68, section 3).  Random splits add noise, so the fit is repeated over ``repeats`` splits and
summarised by the median estimate with the median of σ̂²_s + (δ̂_s − δ̂)² as its variance (their
section 3.4).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

FOLDS = 5
REPEATS = 3
SEED = 20261205  # the splits' seed: the same data give the same estimate
# The learners' settings: shallow trees, a moderate learning rate, leaves of at least 40 decision rows; fixed
# in advance (not tuned on any world's result), early stopping off so that the fit does not depend on a
# validation split.
LEARNER = dict(max_iter=100, learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=40, early_stopping=False)
P_CLIP = 1e-4  # fitted start probabilities are kept within [P_CLIP, 1 − P_CLIP]


class CrossFit(NamedTuple):
    """The median estimate over the splits, its SE, and each split's (estimate, SE)."""

    delta: float
    se: float
    splits: list[tuple[float, float]]


def _folds(codes: np.ndarray, folds: int, rng: np.random.Generator) -> np.ndarray:
    """A fold for every row, drawn per patient (``codes``: 0-based patient numbers; a patient's rows stay
    together)."""
    return rng.permutation(np.arange(int(codes.max()) + 1) % folds)[codes]


def _nuisances(X: np.ndarray, A: np.ndarray, S: np.ndarray, D: np.ndarray, fold: np.ndarray) -> tuple:
    """(p̂, m̂_S, m̂_D) at every row, each from models fitted on the other folds' rows."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    p, mS, mD = np.empty(len(A)), np.empty(len(A)), np.empty(len(A))
    for k in np.unique(fold):
        tr, te = fold != k, fold == k
        if np.ptp(A[tr]) == 0:  # no start (or only starts) outside this fold: the share is the best guess
            p[te] = A[tr].mean()
        else:
            clf = HistGradientBoostingClassifier(random_state=0, **LEARNER).fit(X[tr], A[tr])
            p[te] = clf.predict_proba(X[te])[:, 1]
        mS[te] = HistGradientBoostingRegressor(random_state=0, **LEARNER).fit(X[tr], S[tr]).predict(X[te])
        mD[te] = HistGradientBoostingRegressor(random_state=0, **LEARNER).fit(X[tr], D[tr]).predict(X[te])
    return np.clip(p, P_CLIP, 1 - P_CLIP), mS, mD


def crossfit_slope_change(
    X: np.ndarray,
    A: np.ndarray,
    S: np.ndarray,
    D: np.ndarray,
    groups: np.ndarray,
    *,
    folds: int = FOLDS,
    repeats: int = REPEATS,
    seed: int = SEED,
) -> CrossFit:
    """δ̂ of Σ (A − p̂)(r_S − δ r_D) = 0 with cross-fitted boosted nuisances (module docstring) over the
    decision rows: history ``X``, start indicator ``A``, window slopes ``S`` and ``D`` (one ramp), patients
    ``groups``.  Raises ``LinAlgError`` (as the parametric fit does) when a split leaves the equation without
    information."""
    codes, _ = pd.factorize(groups)
    rng = np.random.default_rng(seed)
    splits = []
    for _ in range(repeats):
        p, mS, mD = _nuisances(X, A, S, D, _folds(codes, folds, rng))
        res, rS, rD = A - p, S - mS, D - mD
        M = float(res @ rD)
        if abs(M) < 1e-12:
            raise np.linalg.LinAlgError("the cross-fitted equation carries no information on the slope change")
        delta = float(res @ rS) / M
        u = np.bincount(codes, weights=res * (rS - delta * rD))  # each patient's sum of the estimating function
        splits.append((delta, float(np.sqrt(u @ u)) / abs(M)))
    est = np.array([d for d, _ in splits])
    delta = float(np.median(est))
    var = float(np.median([se**2 + (d - delta) ** 2 for d, se in splits]))
    return CrossFit(delta, float(np.sqrt(var)), splits)


__all__ = ["FOLDS", "LEARNER", "REPEATS", "CrossFit", "crossfit_slope_change"]

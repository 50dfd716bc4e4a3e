"""Cross-fitted, gradient-boosted nuisance models for the g-estimating equation (``nuisance="boosted"``),
each nuisance model chosen between boosting and the default's parametric form (``nuisance="selected"``), or
boosting started from the parametric form (``nuisance="anchored"``).

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

Boosting's own error is large in small cohorts: on `simulate`, whose decisions follow the parametric model
exactly, the boosted estimate leans upwards by +0.036 at 200 patients and +0.002 at 1,000
(docs/g_boosted_calibration.md).  ``learner="selected"`` therefore fits both the boosted and the parametric
form (logistic regression and least squares on the same history, also cross-fitted) and, for each of the
three nuisance functions and each split, keeps the one whose out-of-fold loss is smaller (log loss for the
decision, squared error for the slopes), and uses that learner's out-of-fold predictions: the single-best
form of short-stacking (Ahrens, Hansen, Schaffer & Wiemann, J Appl Econometrics 2025), a discrete super
learner (van der Laan, Polley & Hubbard, Stat Appl Genet Mol Biol 2007;6:25) whose choice among a fixed,
finite set of learners by cross-validated risk does as well as the best of them as the sample grows.  The
choice sees the held-out rows' outcomes; with two candidates that is one binary choice per function and
split, negligible as the cohort grows and not in the SE (the median over splits softens it).  Nothing in the
choice is set per world.  Calibrated on three worlds (docs/g_selected_calibration.md) it removes most of the
small-cohort lean but keeps the parametric forms where their loss is as small and their bias is not, giving
back most of boosting's gain: a choice by each nuisance's loss is not targeted at the estimate's bias.

``learner="anchored"`` does not choose: in each fold it fits the parametric form on the training rows and
then the same boosted trees (:data:`LEARNER`, squared error) to that fit's training residuals, and predicts
the held-out rows by the sum — boosting whose initial model is the parametric one (Friedman, "Greedy
function approximation", Ann Stat 2001;29:1189–1232, where any initial fit F_0 may start the expansion).
Where the parametric form is right the trees fit noise, which cross-fitting keeps out of the estimate's
bias; where it is wrong they learn the departure, as far as the cohort allows.  The hypothesis it tests:
plain boosting's small-cohort lean on `simulate` comes from trees that, starting from a constant, must learn
the smooth dependence on the history that the parametric start already holds.  The decision's residual
A − p̂ is boosted on the probability scale by squared error (the equation uses A − p̂ itself, so p̂ must
be good in mean square, not in log loss).  Built after selected's result; calibrated on the five worlds
(docs/g_anchored_calibration.md): boosting's small-cohort lean on `simulate` is gone and 85 of 135 cells
are within every band against the default's 70, but the fourth world loses three cells — not adopted.
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
LEARNERS = ("boosted", "parametric", "selected", "anchored")
NUISANCE_NAMES = ("decision", "slope", "ramp")  # P(start | H), E[S | H], E[D | H]


class CrossFit(NamedTuple):
    """The median estimate over the splits, its SE, and each split's (estimate, SE)."""

    delta: float
    se: float
    splits: list[tuple[float, float]]
    chosen: tuple[tuple[str, str, str], ...] = ()  # per split, the learner kept for each of NUISANCE_NAMES


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


def _parametric_fold(X: np.ndarray, A: np.ndarray, S: np.ndarray, D: np.ndarray, tr: np.ndarray) -> tuple:
    """(p̂, m̂_S, m̂_D) at every row from the default's forms — logistic regression and least squares on the
    history — fitted on the rows ``tr`` (the others predicted)."""
    from alscell.analysis.treatment_weights import fit_logistic, standardised_design

    # Only the columns that vary on the training rows: a column constant there (a flag seen only in the held-out
    # fold) would share the intercept in the least-squares fit and move the held-out predictions.
    Xk = X[:, X[tr].std(axis=0) > 1e-12]
    p = fit_logistic(Xk, A, weight=tr.astype(float))
    Z = standardised_design(Xk)  # an affine map of Xk's columns: the fitted predictions do not depend on it
    beta = np.linalg.lstsq(Z[tr], np.column_stack([S[tr], D[tr]]), rcond=None)[0]
    mS, mD = (Z @ beta).T
    return p, mS, mD


def _parametric(X: np.ndarray, A: np.ndarray, S: np.ndarray, D: np.ndarray, fold: np.ndarray) -> tuple:
    """(p̂, m̂_S, m̂_D) at every row from the default's forms, each fitted on the other folds' rows."""
    p, mS, mD = np.empty(len(A)), np.empty(len(A)), np.empty(len(A))
    for k in np.unique(fold):
        tr, te = fold != k, fold == k
        p[te], mS[te], mD[te] = (f[te] for f in _parametric_fold(X, A, S, D, tr))
    return np.clip(p, P_CLIP, 1 - P_CLIP), mS, mD


def _anchored(X: np.ndarray, A: np.ndarray, S: np.ndarray, D: np.ndarray, fold: np.ndarray) -> tuple:
    """(p̂, m̂_S, m̂_D) at every row: the default's parametric fit plus boosted trees fitted to its residuals
    (squared error; the decision's on the probability scale), both fitted on the other folds' rows."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    out = np.empty((3, len(A)))
    Y = np.vstack([A, S, D])
    for k in np.unique(fold):
        tr, te = fold != k, fold == k
        base = np.vstack(_parametric_fold(X, A, S, D, tr))
        for j in range(3):
            trees = HistGradientBoostingRegressor(random_state=0, **LEARNER).fit(X[tr], Y[j, tr] - base[j, tr])
            out[j, te] = base[j, te] + trees.predict(X[te])
    return np.clip(out[0], P_CLIP, 1 - P_CLIP), out[1], out[2]


def _losses(A: np.ndarray, S: np.ndarray, D: np.ndarray, fit: tuple) -> np.ndarray:
    """Out-of-fold losses of (p̂, m̂_S, m̂_D): log loss of the decisions, mean squared errors of the slopes."""
    p, mS, mD = fit
    return np.array([-np.mean(A * np.log(p) + (1 - A) * np.log1p(-p)), np.mean((S - mS) ** 2), np.mean((D - mD) ** 2)])


def _fits(
    X: np.ndarray, A: np.ndarray, S: np.ndarray, D: np.ndarray, fold: np.ndarray, learner: str
) -> tuple[tuple, tuple[str, str, str]]:
    """The nuisances of one split by ``learner`` (:data:`LEARNERS`) and the learner kept for each."""
    names = ("boosted", "parametric") if learner == "selected" else (learner,)
    fitters = {"boosted": _nuisances, "parametric": _parametric, "anchored": _anchored}
    fits = {name: fitters[name](X, A, S, D, fold) for name in names}
    loss = {name: _losses(A, S, D, fit) for name, fit in fits.items()}
    d, s, r = (min(fits, key=lambda name: loss[name][j]) for j in range(3))  # ties: boosted (listed first)
    return (fits[d][0], fits[s][1], fits[r][2]), (d, s, r)


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
    learner: str = "boosted",
) -> CrossFit:
    """δ̂ of Σ (A − p̂)(r_S − δ r_D) = 0 with cross-fitted nuisances (module docstring) over the
    decision rows: history ``X``, start indicator ``A``, window slopes ``S`` and ``D`` (one ramp), patients
    ``groups``; the nuisances by ``learner`` (:data:`LEARNERS`; module docstring).  Raises ``LinAlgError`` (as
    the parametric fit does) when a split leaves the equation without information."""
    codes, _ = pd.factorize(groups)
    rng = np.random.default_rng(seed)
    splits, chosen = [], []
    for _ in range(repeats):
        (p, mS, mD), keep = _fits(X, A, S, D, _folds(codes, folds, rng), learner)
        chosen.append(keep)
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
    return CrossFit(delta, float(np.sqrt(var)), splits, tuple(chosen))


__all__ = ["FOLDS", "LEARNER", "LEARNERS", "NUISANCE_NAMES", "REPEATS", "CrossFit", "crossfit_slope_change"]

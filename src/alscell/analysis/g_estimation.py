"""Doubly robust g-estimation of the slope change after the first treatment (``--method g_estimation``).

The default of ``alscell effect`` since 2026-12-04 (why: ``alscell.analysis.effects`` and docs/evidence.md).
Why not only a mixed model.  ``lmm_counterfactual`` is consistent when its model of each patient's
course is right (a random intercept and slope around a population spline): on sigmoid (D50) or
individually curved courses it keeps a small lean that does not shrink with the cohort
(docs/calibration.md).  This estimator's consistency rests instead on a model of the *treatment decision*
(or, failing that, on a model of the future course given the history: "doubly robust"), so it does not
need each patient's course to have a particular shape.

Model (a structural nested mean model with an absorbing start; Robins, Comm Stat 1994; Vansteelandt &
Joffe, Stat Sci 2014).  After the first treatment at time T_i the outcome's slope changes by δ:
Y_ik = Y_ik(0) + δ·(t_ik − T_i)_+, where Y(0) is the untreated course.  Assumption (sequential
ignorability): at every visit j of a not-yet-treated patient, the decision to start A_ij does not depend on
the future untreated course once the history H_ij observed up to that visit is known.

Estimating equation.  For every decision row (visit j, patient untreated until then) take the visits from
j to j + ``window_months``: S_ij is the least-squares slope of the outcome over them, D_ij the slope of
(t − T_i)_+ over them, so S_ij − δ·D_ij is the slope of the untreated course (for any δ).  With p_ij =
P(A_ij = 1 | H_ij) (pooled logistic regression) and the residuals r_S, r_D of S and D regressed on H (least
squares), the g-estimate solves Σ (A_ij − p_ij)(r_S − δ r_D) = 0:

    δ̂ = Σ (A − p) r_S / Σ (A − p) r_D.

It is consistent if the decision model is right *or* the regression of the untreated slope on H is right
(the residualisation makes it doubly robust; Robins, Mark & Newey, Biometrics 1992).  History H at the
visit: months since onset and since entry, log months from onset at entry, the outcome and its square, its
decline per month since the previous visit and over the two previous intervals, for ALSFRS-R outcomes the
mean loss per month since onset (ΔFRS at that visit, from 48 or 12), the first-visit flag, the visit number
(capped at 5), and two interactions with time since entry; for outcomes other than ALSFRS-R also the latest
ALSFRS-R total and its recent loss per month (registry decisions follow the ALSFRS-R course).

Standard error: stacked M-estimation sandwich over patients (the logistic score, both least-squares fits
and the g-estimating equation), so the estimation of p and of the regressions is accounted for; t
interval with (number of patients who start treatment − 1) df, because only they carry the contrast.

Effect modifiers (``modifiers=``, ``alscell effect --modifiers``).  Clinics claim that the cells work in
some patients more than others; the structural model can let the slope change depend on the history at the
start, δ(V) = ψ₀ + ψ₁ᵀ(V − v̄), V the modifiers at the start visit (:data:`MODIFIERS`) and v̄ their mean over the
patients who start (Vansteelandt & Joffe, Stat Sci 2014, section 4).  The treatment ramps become (t − T)₊ and
(t − T)₊·(V − v̄), the instruments (A − p) and (A − p)·(V_j − v̄), one equation per parameter; θ = ψ₀ is the
starters' average slope change (the headline, with v̄'s own sampling error in its SE) and ψ₁ says how much
it changes per unit of each modifier (t interval, same df).  Consistent under the same assumptions as the
headline when δ is linear in V; when it is not, ψ₁ is the best linear summary in the g-estimation metric.

Settings (window 24 months, the history terms) were chosen on ``alscell.simulate`` registries and its
calibration on the second world is reported in docs/calibration.md.  What it does not fix: a decision that
depends on something not in H (on the second world the treated are chosen by their *true* rate of decline)
leaves a bias here too.  Its price is precision: its standard error is larger than the mixed model's.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from alscell.analysis.decision_inputs import (
    ELIGIBLE_NEEDS_NAMES,
    LOG_UNITS,
    REGISTRY_TERMS,
    SPLINE_SHAPES,
    WITHIN_NEEDS_NAMES,
    check_history,
    check_lag,
    check_shape,
    decision_inputs,
    eligible_rows,
    eligible_text,
    inside_starters,
    parse_eligible,
    registry_terms,
    spline_terms,
)
from alscell.analysis.decision_occasions import (
    LEAVE_OUT,
    SLOPE_VISITS,
    check_occasions,
    decision_occasions,
    decision_rows,
    in_slopes,
    left_out,
    left_out_warning,
    slopes_warning,
)
from alscell.analysis.decision_overlap import overlap_warning, start_overlap
from alscell.analysis.design_matrix import ALSFRS_OUTCOMES, outcome_frame, outcome_info
from alscell.analysis.distributions import t_ppf, t_sf
from alscell.analysis.effects import (
    _direction_warning,
    _empty,
    _scale_max,
    _selection_warning,
    few_treated_warning,
    prepare,
    t_estimate,
)
from alscell.analysis.errors import NotApplicable
from alscell.analysis.estimate import Estimate
from alscell.analysis.history_contrast import carried_se, contrast, terms_named
from alscell.analysis.measure_history import as_of, course_terms, measure_terms
from alscell.analysis.rater import rater_flags, rater_rule
from alscell.analysis.rater_drift import (
    MIN_LEVEL_PATIENTS,
    MIN_OFFSET_PATIENTS,
    Offsets,
    drift_rule,
    drift_warning,
    rater_offsets,
)
from alscell.analysis.rater_identity import NO_RATERS_NOTE, held_warning, offset_columns, raters_by_default
from alscell.analysis.self_ratings import (
    check_self_ratings,
    history_reads,
    mark_reads,
    on_read_rows,
    self_rated,
    self_ratings_note,
    spread_read_rows,
    undated_self_ratings,
)
from alscell.analysis.treatment_weights import fit_logistic, standardised_design
from alscell.domain.measures import MEASURES as MEASURE_KEYS
from alscell.domain.time import DAYS_PER_MONTH as DPM
from alscell.io.tables import as_tables

WINDOW_MONTHS = 24.0  # follow-up after each decision visit used for its slope (chosen on alscell.simulate)
MIN_INITIATIONS = 2
# Effect modifiers the blip may depend on (``modifiers=``), each a function of the history at the start:
# "level": the outcome at the visit; "decline": for ALSFRS-R outcomes the mean loss per month since onset
# (ΔFRS, Kimura 2006), otherwise the loss per month over the two previous intervals.
MODIFIERS = ("level", "decline")
# The history the decision model and the outcome regression see: "standard" (module docstring; the default
# until 2026-12-07, forty-first session),
# "flexible", which adds :func:`_flexible_terms` — a candidate judged on five worlds (docs/g_history.md,
# docs/g_history_calibration.md): it halves the fifth world's null lean but does not dominate, so not the
# default — or "level_spline", which adds :func:`_level_terms` (candidate: docs/g_history_level_calibration.md),
# or "registry", which adds :func:`alscell.analysis.decision_inputs.registry_terms` (candidate built after the sixth world, docs/evidence.md),
# or "rater", which always adds who rated each visit (:func:`alscell.analysis.rater.rater_flags`; every history
# adds it when the starts were rated differently from the other visits, :func:`alscell.analysis.rater.rater_rule`;
# built after the eighth world, docs/evidence.md "Who rated the visit"), or "measures": the registry terms and
# what the clinic measured before each visit (alscell.analysis.measure_history; a candidate built after the ninth
# and tenth worlds, docs/g_measures_calibration.md), or "measures_only": what the clinic measured, without the
# registry terms (the eleventh world's lean under "measures" came from those: docs/world11_registry_terms.md; a
# candidate of the fortieth session, docs/g_measures_only.md).
HISTORIES = ("standard", "flexible", "level_spline", "registry", "rater", "measures", "measures_only")
# The default history since 2026-12-07 (the forty-first session): "measures_only", by the rule registered in
# benchmarks/world22_measures_only.py before the blind twenty-second world existed and met on it
# (docs/world22_measures_only.md; tests/benchmarks/test_world22_rule.py ties this to the stored verdict).  On a
# registry that records none of FVC, SVC, weight and blood NfL it is "standard" to the digit.
DEFAULT_HISTORY = "measures_only"
# The histories whose estimate the registry terms' contrast (:func:`_history_check`) checks: those without them.
CHECKED_HISTORIES = ("standard", "measures_only")
# How the decision model and the history regressions are fitted: "parametric" (logistic and least squares on
# H; the default), "boosted" (gradient-boosted trees, cross-fitted by patient: alscell.analysis.crossfit —
# a candidate, docs/g_boosted.md) or "selected" (each of the three chosen between the two forms by its
# cross-fitted loss — built against boosting's small-cohort lean, calibrated and not adopted:
# docs/g_selected_calibration.md) or "anchored" (boosted trees fitted to the parametric fit's residuals —
# better than the default over the five worlds, worse on the fourth; not adopted:
# docs/g_anchored_calibration.md).
NUISANCES = ("parametric", "boosted", "selected", "anchored")
# Knots of the level spline: percentiles of the outcome over the analysis frame's visits (generic positions,
# not any clinic's cut-off; the usual placement of a regression spline's knots, Harrell 2015, section 2.4.6).
LEVEL_KNOTS = (0.10, 0.25, 0.50, 0.75, 0.90)
# The registry terms' contrast (:func:`_history_check`) warns when the move is at least HISTORY_Z of its own SEs
# (a strict two-sided test, as it runs on every analysis: 0.3% by chance where both histories are right) and at
# least HISTORY_MOVE of the estimate's SE (smaller moves barely change what the interval says).  Set before
# looking at any world's contrasts, checked on the first six worlds and judged on the later ones
# (docs/warning_census.md).
HISTORY_Z = 3.0
HISTORY_MOVE = 0.25
# The analysis frame's column that marks the visits whose outcomes enter the follow-up windows' slopes
# (``slope_visits``); absent: every visit.
SLOPE_VISIT = "slope_visit"


def _history(df: pd.DataFrame, top: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(H, post, at_risk, start): the history terms at every visit, months since the first treatment (0
    before it and if never treated), whether the visit is a decision (not yet treated: on or before the day
    of the first treatment) and whether treatment starts at it (before the patient's next visit).  Computed
    from whole days, not from months, so that the visit on the treatment day is exactly a decision.  Over the
    visits the history reads only (:func:`alscell.analysis.self_ratings.on_read_rows`): a visit it does not read is
    no decision, and a start is placed at the last read visit on or before the dose."""
    d = df["days_after"].to_numpy(dtype=float)
    post = np.where(d > 0, d, 0.0) / DPM
    reads = history_reads(df)
    if reads.all():
        H, at_risk, start = _history_read(df, top)
        return H, post, at_risk, start
    at_risk, start = np.zeros(len(df), dtype=bool), np.zeros(len(df), dtype=bool)
    if not reads.any():  # every visit self-rated: no decision at all, and no history to read
        return np.zeros_like(_history_read(df, top)[0]), post, at_risk, start
    H, at_risk[reads], start[reads] = _history_read(df[reads], top)
    return spread_read_rows(df, H), post, at_risk, start


def _history_read(df: pd.DataFrame, top: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(H, at_risk, start) of :func:`_history` over every row of ``df``."""
    t = df["months"].to_numpy(dtype=float)
    y = df["y"].to_numpy(dtype=float)
    d = df["days_after"].to_numpy(dtype=float)
    g = df.groupby("patient_id", sort=False)
    next_d = g["days_after"].shift(-1).to_numpy(dtype=float)
    at_risk = ~(d > 0)  # NaN (never treated) → a decision at every visit
    start = np.isfinite(d) & (d <= 0) & ~(next_d <= 0)  # the last visit on or before the treatment day
    prev_t, prev_y = g["months"].shift(1).to_numpy(float), g["y"].shift(1).to_numpy(float)
    prev2_t, prev2_y = g["months"].shift(2).to_numpy(float), g["y"].shift(2).to_numpy(float)
    first = np.isnan(prev_t)
    entry = g["months"].transform("min").to_numpy(float)
    since = t - entry
    cols = [t, np.log(np.maximum(entry, 1.0)), since, y, y**2 / max(float(np.nanstd(y)), 1e-9) / 10.0]
    if top is not None:  # mean loss per month since onset (ΔFRS at this visit)
        cum = (top - y) / np.maximum(t, 0.5)
        rate1 = np.where(first, cum, (prev_y - y) / np.maximum(t - prev_t, 0.5))
        cols += [cum, cum * since]
    else:
        rate1 = np.where(first, 0.0, (prev_y - y) / np.maximum(t - prev_t, 0.5))
    rate2 = np.where(np.isnan(prev2_t), rate1, (prev2_y - y) / np.maximum(t - prev2_t, 0.5))
    lim = 10.0 * max(float(np.nanstd(rate1[~first])) if (~first).sum() > 1 else 1.0, 1e-3)
    cols += [np.clip(rate1, -lim, lim), np.clip(rate2, -lim, lim), first.astype(float)]
    cols += [np.minimum(g.cumcount().to_numpy(), 5).astype(float), since**2 / 12.0]
    return np.column_stack(cols), at_risk, start


def _score_terms(df: pd.DataFrame, history: str) -> np.ndarray:
    """The extra history terms read from the score itself (``history="flexible"``: :func:`_flexible_terms`;
    ``"level_spline"``: :func:`_level_terms`; none for the others), over the visits the history reads."""
    if history == "flexible":
        return on_read_rows(df, _flexible_terms)
    if history == "level_spline":
        return on_read_rows(df, _level_terms)
    return np.empty((len(df), 0))


def decided_before(df: pd.DataFrame, lag_days: float) -> tuple[np.ndarray, np.ndarray]:
    """(at_risk, start) of :func:`_history` when the decision to treat comes at least ``lag_days`` before the first
    dose (cells to be made, a waiting list): the decision visit is the last visit at least that long before it,
    and the visits between it and the dose are neither decisions nor treated (their history may already hold
    what followed the decision; :func:`alscell.analysis.decision_occasions.decision_rows`)."""
    return decision_rows(df, float(lag_days))


def _interval_declines(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(last, before, over_two): at each row, the decline per month over the last interval between visits and
    over the interval before it (0 where there is none), and over the last two intervals together (the last
    interval's where there is only one)."""
    g = df.groupby("patient_id", sort=False)
    t, y = df["months"].to_numpy(float), df["y"].to_numpy(float)
    p1t, p1y = g["months"].shift(1).to_numpy(float), g["y"].shift(1).to_numpy(float)
    p2t, p2y = g["months"].shift(2).to_numpy(float), g["y"].shift(2).to_numpy(float)
    last = np.where(np.isnan(p1t), 0.0, (p1y - y) / np.maximum(t - p1t, 0.5))
    before = np.where(np.isnan(p2t), 0.0, (p2y - p1y) / np.maximum(p1t - p2t, 0.5))
    over_two = np.where(np.isnan(p2t), last, (p2y - y) / np.maximum(t - p2t, 0.5))
    return last, before, over_two


def _flexible_terms(df: pd.DataFrame) -> np.ndarray:
    """Extra history terms of ``history="flexible"``: the decline per month over the interval before the last
    (0 at the first visit), the smaller of the last two intervals' declines (two falls in a row: the shape of
    a clinic's "runs of poor visits"), and hinges max(x − k, 0) of the last interval's decline and of that
    minimum at their 50th, 75th and 90th percentiles in the data, so that the decision model and the outcome
    regression can bend where a rule would step.  Generic terms, not any world's threshold."""
    last, before, _ = _interval_declines(df)
    lim = 10.0 * max(float(np.std(last)), 1e-3)
    last, before = np.clip(last, -lim, lim), np.clip(before, -lim, lim)
    both = np.minimum(last, before)
    cols = [before, both]
    for v in (last, both):
        cols += [np.maximum(v - k, 0.0) for k in np.unique(np.quantile(v, [0.5, 0.75, 0.9]))]
    return np.column_stack(cols)


def _level_terms(df: pd.DataFrame) -> np.ndarray:
    """Extra history terms of ``history="level_spline"``: hinges max(y − k, 0) of the outcome at the visit at
    its :data:`LEVEL_KNOTS` percentiles, a piecewise-linear spline of the level beside the standard history's
    level and its square.  Clinics decide on the level (an eligibility cut-off, a threshold to treat) and the
    next months' slope bends with it near the floor of the scale, which a quadratic follows only roughly."""
    y = df["y"].to_numpy(float)
    knots = np.unique(np.quantile(y, LEVEL_KNOTS)) if len(y) else np.empty(0)
    return np.column_stack([np.maximum(y - k, 0.0) for k in knots]) if len(knots) else np.empty((len(y), 0))


def _recorded_terms(tables, df: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """(X, names): :func:`alscell.analysis.decision_inputs.registry_terms` and the measures of
    :func:`alscell.analysis.measure_history.measure_terms` side by side — what the registry records beside the
    score (``history="measures"``, and the registry terms' contrast)."""
    R, (M, measured) = registry_terms(tables, df), measure_terms(tables, df)
    return np.column_stack([R, M]), [*(REGISTRY_TERMS if R.shape[1] else ()), *measured]


def _adding_rank(H: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The columns of ``X`` that each add to the rank of [1, H, the columns kept before] (:func:`_rank_columns`):
    a registry where the same patients lack birth year and diagnosis, or where the diagnosis is the onset,
    makes some of them copies, and a rank-deficient history would give a silently wrong estimate."""
    return X[:, _rank_columns(H, X)]


def _rank_columns(H: np.ndarray, X: np.ndarray) -> list[int]:
    """The indices of the columns of ``X`` that each add to the rank of [1, H, the columns kept before]
    (standardised, relative tolerance 1e-8)."""
    keep: list[int] = []
    base = standardised_design(H) if H.shape[1] else np.ones((len(H), 1))
    rank = np.linalg.matrix_rank(base, tol=1e-8 * np.linalg.norm(base, 2))
    for j in range(X.shape[1]):
        x = X[:, j]
        if np.ptp(x) == 0:
            continue
        trial = np.column_stack([base, (x - x.mean()) / x.std()])
        r = np.linalg.matrix_rank(trial, tol=1e-8 * np.linalg.norm(trial, 2))
        if r > rank:
            keep.append(j)
            base, rank = trial, r
    return keep


def _self_rated_alsfrs(tables) -> int:
    """How many of the registry's ALSFRS-R visits with a total were rated by the patient or a caregiver."""
    t = as_tables(tables)
    if t["alsfrs"].empty:
        return 0
    return int(self_rated(t, outcome_frame(t, "alsfrs_r_total")).sum())


def _alsfrs_state(tables, df: pd.DataFrame, self_ratings: str = "read") -> np.ndarray:
    """For an outcome other than ALSFRS-R: at each row of ``df``, the latest ALSFRS-R total on or before its
    date, that total's loss per month since the previous ALSFRS-R visit, and a flag where there is none yet
    (then the median total and no loss).  Registry decisions follow the ALSFRS-R course, so the decision
    model of an FVC or biomarker analysis needs it as much as the outcome's own history.  ``self_ratings="outcome"``:
    over the ALSFRS-R visits the decision history reads only, the clinic's (:mod:`alscell.analysis.self_ratings`)."""
    empty = np.empty((len(df), 0))
    if tables["alsfrs"].empty or "date" not in df:
        return empty
    a = outcome_frame(tables, "alsfrs_r_total")
    if self_ratings == "outcome":
        a = a[~self_rated(tables, a)]
    if a.empty:
        return empty
    a = a.sort_values(["patient_id", "date"])
    g = a.groupby("patient_id", sort=False)
    a = a.assign(a_rate=(g["y"].shift(1) - a["y"]) / np.maximum(a["months"] - g["months"].shift(1), 0.5))
    look = as_of(df, a[["patient_id", "date", "y", "a_rate"]])
    total = look["y"].to_numpy(dtype=float)
    none = ~np.isfinite(total)
    med = float(np.nanmedian(total)) if (~none).any() else 0.0
    rate = np.nan_to_num(look["a_rate"].to_numpy(dtype=float), nan=0.0)
    return np.column_stack([np.where(none, med, total), np.clip(rate, -10.0, 10.0), none.astype(float)])


def window_slopes(
    df: pd.DataFrame, ramps: np.ndarray, rows: np.ndarray, start: float, stop: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(used, S, D): the decision rows of ``rows`` with at least two distinct visit times from ``start`` to
    ``stop`` months after the decision visit, the least-squares slope S of y over those visits and the
    slopes D (one column per column of ``ramps``, n × k) of the treatment ramps over them."""
    v = pd.DataFrame({"pid": df["patient_id"].to_numpy(), "tk": df["months"].to_numpy(float)})
    v["yk"], v["vi"] = df["y"].to_numpy(float), np.arange(len(df))
    dec = pd.DataFrame({"r": rows, "pid": v["pid"].to_numpy()[rows], "tj": v["tk"].to_numpy()[rows]})
    if SLOPE_VISIT in df:  # only these visits' outcomes enter the windows (g_estimation's slope_visits)
        v = v[df[SLOPE_VISIT].to_numpy(bool)]
    m = dec.merge(v, on="pid")
    m = m[(m["tk"] >= m["tj"] + start) & (m["tk"] <= m["tj"] + stop)]
    x = (m["tk"] - m["tj"]).to_numpy()
    r = m["r"].to_numpy()
    codes, uniq = pd.factorize(r)
    n = np.bincount(codes)
    xc = x - (np.bincount(codes, weights=x) / n)[codes]
    sxx = np.bincount(codes, weights=xc**2)
    pk = ramps[m["vi"].to_numpy()]
    with np.errstate(invalid="ignore", divide="ignore"):
        S = np.bincount(codes, weights=xc * m["yk"].to_numpy()) / sxx
        D = np.column_stack([np.bincount(codes, weights=xc * pk[:, c]) / sxx for c in range(ramps.shape[1])])
    ok = (n >= 2) & (sxx > 1e-9)
    return np.asarray(uniq)[ok], S[ok], D[ok]


def _g_influence(
    A: np.ndarray, p: np.ndarray, X: np.ndarray, groups: np.ndarray, windows: list[tuple]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(δ̂, M⁻¹, U, patient codes) of :func:`g_solve_windows`: δ̂ − δ ≈ M⁻¹ Σ_patients U (the rows of U are the
    patients' summed influence, one column per equation, the nuisance fits' corrections included)."""
    res = A - p
    fits, M, b = [], [], []
    for win in windows:
        idx, S, D = win[:3]
        Z = win[3] if len(win) > 3 else np.ones((len(idx), 1))
        Xw = X[idx]
        XtX = Xw.T @ Xw
        rS = S - Xw @ np.linalg.solve(XtX, Xw.T @ S)
        rD = D - Xw @ np.linalg.solve(XtX, Xw.T @ D)
        RZ = Z * res[idx][:, None]  # the instruments: (A − p) times a function of the history
        fits.append((idx, Xw, XtX, rS, rD, Z, RZ))
        M.append(RZ.T @ rD)
        b.append(RZ.T @ rS)
    M_, b_ = np.vstack(M), np.concatenate(b)
    delta = np.linalg.solve(M_, b_)
    codes, _ = pd.factorize(groups)
    n_groups = int(codes.max()) + 1
    w_logit = p * (1 - p)
    J_gg = -(X * w_logit[:, None]).T @ X
    psi_g = X * res[:, None]
    cols = []
    for idx, Xw, XtX, rS, rD, Z, RZ in fits:
        u = rS - rD @ delta
        # Corrections for the nuisance fits (influence = ψ − J_δθ J_θθ⁻¹ ψ_θ per block): γ of the logistic
        # model, and the regression of the untreated slope S − Dδ on the history (that of S minus those of
        # the columns of D times δ).
        J_wg = -(Z * (w_logit[idx] * u)[:, None]).T @ Xw  # equations × history terms
        row = RZ * u[:, None] - (Xw * u[:, None]) @ np.linalg.solve(XtX, Xw.T @ RZ)
        for c in range(Z.shape[1]):
            col = np.bincount(codes[idx], weights=row[:, c], minlength=n_groups)
            col -= np.bincount(codes, weights=psi_g @ np.linalg.solve(J_gg, J_wg[c]), minlength=n_groups)
            cols.append(col)
    return delta, np.linalg.inv(M_), np.column_stack(cols), codes


def g_solve_windows(
    A: np.ndarray,
    p: np.ndarray,
    X: np.ndarray,
    groups: np.ndarray,
    windows: list[tuple],
) -> tuple[np.ndarray, np.ndarray]:
    """(δ̂, its covariance) of k slope-change parameters from k estimating equations (module docstring):
    Σ (A − p)·Z·(r_S − r_D·δ) = 0 over each window's decision rows.  ``A``, ``p`` (logistic on ``X``), ``X``
    (the standardised history) and ``groups`` (patients) are over all decision rows the logistic model used;
    each window is (its rows' indices into them, S, D with one column per parameter) and optionally Z, its
    instruments (functions of the history, one column per equation; 1 when absent).  The covariance is the
    stacked M-estimation sandwich over patients, with the logistic fit and each window's least-squares fits
    as nuisance blocks."""
    delta, Minv, U, _ = _g_influence(A, p, X, groups, windows)
    return delta, Minv @ (U.T @ U) @ Minv.T


def g_solve(A: np.ndarray, p: np.ndarray, X: np.ndarray, S: np.ndarray, D: np.ndarray, groups: np.ndarray):
    """δ̂ and its stacked-sandwich SE (module docstring) from the decision rows' start indicator A, fitted
    probabilities p (logistic on X), design X of the history, slopes S, D and patient labels: one slope
    change from one window."""
    delta, V = g_solve_windows(A, p, X, groups, [(np.arange(len(A)), S, D[:, None])])
    return float(delta[0]), float(np.sqrt(V[0, 0]))


def finite_window_slopes(
    df: pd.DataFrame, H: np.ndarray, ramps: np.ndarray, rows: np.ndarray, start: float, stop: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`window_slopes`, keeping the decision rows whose history and slopes are all finite."""
    used, S, D = window_slopes(df, ramps, rows, start, stop)
    fin = np.isfinite(H[used]).all(axis=1) & np.isfinite(S) & np.isfinite(D).all(axis=1)
    return used[fin], S[fin], D[fin]


def decision_influence(
    H: np.ndarray, start: np.ndarray, groups: np.ndarray, windows: list[tuple], outcomes: tuple[np.ndarray, ...] = ()
) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray, np.ndarray]:
    """([(δ̂, influence)] per outcome, patients, p): the decision model (logistic on the history ``H``) fitted on
    every decision row any window uses (``windows``: (rows of the analysis frame, S, D) each), then
    :func:`g_solve_windows`'s estimate with its per-patient influence (patients × parameters; δ̂ − δ ≈ its column
    sums, so its cross-product is the sandwich) — first for the windows as given, then once for each slope in
    ``outcomes`` put in place of the first window's S (same decision model: g-estimation is linear in the
    outcome)."""
    rows = np.unique(np.concatenate([w[0] for w in windows]))
    A = start[rows].astype(float)
    p = np.clip(fit_logistic(H[rows], A), 1e-6, 1 - 1e-6)
    X, g = standardised_design(H[rows]), groups[rows]
    at = [(np.searchsorted(rows, used), S, D) for used, S, D in windows]
    fast = bool(outcomes) and len(at) == 1 and at[0][2].shape[1] == 1
    fits = []
    for S_alt in (None, *(() if fast else outcomes)):
        win = at if S_alt is None else [(at[0][0], S_alt, at[0][2]), *at[1:]]
        delta, Minv, U, _ = _g_influence(A, p, X, g, win)
        fits.append((delta, U @ Minv.T))
    if fast:  # one window, one slope change: every outcome at once (the same algebra, as matrices)
        fits += _outcomes_influence(A, p, X, g, at[0][0], np.column_stack(outcomes), at[0][2])
    return fits, np.asarray(pd.factorize(g)[1]), p


def _outcomes_influence(
    A: np.ndarray, p: np.ndarray, X: np.ndarray, groups: np.ndarray, idx: np.ndarray, S: np.ndarray, D: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(δ̂, influence)] of :func:`_g_influence` for one window of one slope change (``D`` one column, no
    instruments) and each column of ``S`` as the outcome, computed for all columns at once: the same decision
    model, history regressions and corrections as :func:`_g_influence`, so each equals its own call up to
    rounding."""
    res = A - p
    Xw = X[idx]
    XtX = Xw.T @ Xw
    rS = S - Xw @ np.linalg.solve(XtX, Xw.T @ S)
    rD = D - Xw @ np.linalg.solve(XtX, Xw.T @ D)
    RZ = res[idx][:, None]
    M = float((RZ.T @ rD)[0, 0])
    delta = (RZ.T @ rS)[0] / M  # one per outcome
    u = rS - rD @ delta[None, :]
    codes, _ = pd.factorize(groups)
    n_groups = int(codes.max()) + 1
    w_logit = p * (1 - p)
    J_gg = -(X * w_logit[:, None]).T @ X
    psi_g = X * res[:, None]
    J_wg = -(u * w_logit[idx][:, None]).T @ Xw  # outcomes × history terms
    row = RZ * u - u * (Xw @ np.linalg.solve(XtX, Xw.T @ RZ))
    logit_part = psi_g @ np.linalg.solve(J_gg, J_wg.T)  # decision rows × outcomes
    out = []
    for c in range(S.shape[1]):
        col = np.bincount(codes[idx], weights=row[:, c], minlength=n_groups)
        col -= np.bincount(codes, weights=logit_part[:, c], minlength=n_groups)
        out.append((delta[c : c + 1], col[:, None] / M))
    return out


def fit_decisions(
    H: np.ndarray, start: np.ndarray, groups: np.ndarray, windows: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(δ̂, covariance, p): :func:`decision_influence` for the windows as given, its influence's cross-product
    the stacked sandwich.  Raises ``LinAlgError`` when the history is collinear or the equations cannot be
    separated."""
    fits, _, p = decision_influence(H, start, groups, windows)
    delta, infl = fits[0]
    return delta, infl.T @ infl, p


def _after_start_raters(
    df: pd.DataFrame, H: np.ndarray, post: np.ndarray, start: np.ndarray, win: tuple, flags: np.ndarray,
    modes: tuple[str, ...], window_months: float, adjust: bool,
) -> tuple[float, float, np.ndarray, list[str], dict]:  # fmt: skip
    """(δ̂, SE, p, warnings, details) of the parametric g-estimate, with the offsets of the modes whose share
    changed at the start (:mod:`alscell.analysis.rater_drift`) removed when ``adjust`` and estimable; the plain
    estimate when no mode fires.  ``details["raters_after_start"]``: per mode, the change in its share's slope
    at the start (δ_f, per month) with its SE, whether the rule fired and, where the offset was removed, the
    offset at the mode's mean level and per point of level."""
    use = win[0]
    groups = df["patient_id"].to_numpy()
    slopes = []
    for j in range(len(modes)):  # each mode's share as the outcome, over the same windows
        used_f, Sf, _ = window_slopes(df.assign(y=flags[:, j]), post[:, None], use, 0.0, window_months)
        slopes.append(Sf if np.array_equal(used_f, use) else np.full(len(use), np.nan))
    finite = tuple(s for s in slopes if np.isfinite(s).all())
    fits, labels, p = decision_influence(H, start, groups, [win], finite)
    (d, infl), per_mode = fits[0], iter(fits[1:])
    delta, IF = float(d[0]), infl[:, 0]
    d_f = np.full(len(modes), np.nan)
    IF_f = np.zeros((len(labels), len(modes)))
    for j, s in enumerate(slopes):
        if np.isfinite(s).all():
            dj, ij = next(per_mode)
            d_f[j], IF_f[:, j] = float(dj[0]), ij[:, 0]
    se_f = np.sqrt((IF_f**2).sum(axis=0))
    fired = drift_rule(d_f, se_f)
    info = {
        m: {"share_change_per_month": float(d_f[j]), "se": float(se_f[j]), "fired": bool(fired[j])}
        for j, m in enumerate(modes)
    }
    details = {"raters_after_start": info, "_standard_fit": (d, infl)}  # the latter for _history_check
    if not fired.any():
        return delta, float(np.sqrt(IF @ IF)), p, [], details
    names = [modes[j] for j in np.flatnonzero(fired)]
    if not adjust:
        why = "the settings do not adjust for it (effect modifiers, learned nuisance models, or raters not adjusted)"
        return delta, float(np.sqrt(IF @ IF)), p, [drift_warning(names, d_f[fired], None, why)], details
    # the visits before any treatment, less those at which it started (their reading selected them)
    off = rater_offsets(groups, df["months"].to_numpy(float), df["y"].to_numpy(float), flags, (post == 0) & ~start)
    fix = fired & off.identified
    if not fix.any():
        few = ", ".join(f"{modes[j]}: {off.rated_both_ways[j]}" for j in np.flatnonzero(fired))
        why = f"too few patients were rated both ways before any treatment ({few}; {MIN_OFFSET_PATIENTS} needed)"
        return delta, float(np.sqrt(IF @ IF)), p, [drift_warning(names, d_f[fired], None, why)], details
    cols = np.flatnonzero(np.repeat(fix, 2))
    removed = _offsets_removed(df, H, post, start, win, off, cols, window_months)
    if removed is None:
        why = "the offsets' slopes over the follow-up windows could not be computed"
        return delta, float(np.sqrt(IF @ IF)), p, [drift_warning(names, d_f[fired], None, why)], details
    said = [
        f"{modes[j]} reads {off.gamma[2 * j]:+.2f} points against a clinician at the mean level of the visits so "
        f"rated, {off.gamma[2 * j + 1]:+.3f} per point of level above it"
        for j in np.flatnonzero(fix)
    ]
    warn = [drift_warning([modes[j] for j in np.flatnonzero(fix)], d_f[fix], said)]
    lost = [modes[j] for j in np.flatnonzero(fired & ~off.identified)]
    if lost:
        few = ", ".join(f"{modes[j]}: {off.rated_both_ways[j]}" for j in np.flatnonzero(fired & ~off.identified))
        why = f"too few patients were rated both ways before any treatment ({few}; {MIN_OFFSET_PATIENTS} needed)"
        warn.append(drift_warning(lost, d_f[fired & ~off.identified], None, why))
    for k in np.flatnonzero(fix).tolist():
        info[modes[k]] |= {"offset_points": float(off.gamma[2 * k]), "offset_per_point": float(off.gamma[2 * k + 1])}
    return removed[0], removed[1], removed[2], warn, details


def _offsets_removed(
    df: pd.DataFrame, H: np.ndarray, post: np.ndarray, start: np.ndarray, win: tuple, off: Offsets,
    cols: np.ndarray, window_months: float,
) -> tuple[float, float, np.ndarray, tuple[np.ndarray, np.ndarray]] | None:  # fmt: skip
    """(δ̂ − Σ γ̂·δ̂(column), its SE, p, (δ̂, influence) of the outcome as recorded): the g-estimate of the outcome
    with the offsets ``off.columns[:, cols] @ off.gamma[cols]`` removed from its slopes — g-estimation is linear in
    the outcome, so it is δ̂ less γ̂ times each column's own g-estimate; its per-patient influence is δ̂'s, less γ̂
    times each column's, less each column's δ̂ times γ̂'s influence (stacked M-estimation: the offsets' sampling
    error enters the SE).  None where a column's slopes over the follow-up windows cannot be computed."""
    use = win[0]
    groups = df["patient_id"].to_numpy()
    # every column's slopes over the same windows at once (window_slopes' ramps are any columns of the frame)
    used_c, _, slopes = window_slopes(df, off.columns[:, cols], use, 0.0, window_months)
    if not np.array_equal(used_c, use) or not np.isfinite(slopes).all():
        return None
    fits, labels, p = decision_influence(H, start, groups, [win], tuple(slopes.T))
    d, infl = fits[0]
    d_c = np.array([float(f[0][0]) for f in fits[1:]])
    IF_c = np.column_stack([f[1][:, 0] for f in fits[1:]])
    gamma = off.gamma[cols]
    everyone = pd.Index(labels).append(pd.Index(off.patients)).unique()  # some have untreated visits only
    IF_total = np.zeros(len(everyone))
    np.add.at(IF_total, everyone.get_indexer(labels), infl[:, 0] - IF_c @ gamma)
    np.add.at(IF_total, everyone.get_indexer(off.patients), -(off.influence[:, cols] @ d_c))
    return float(d[0]) - float(d_c @ gamma), float(np.sqrt(IF_total @ IF_total)), p, (d, infl)


def _held_raters(
    tables, df: pd.DataFrame, H: np.ndarray, post: np.ndarray, start: np.ndarray, win: tuple, window_months: float,
    outcome: str, history: str,
) -> tuple[float, float, np.ndarray, list[str], dict] | None:  # fmt: skip
    """(δ̂, SE, p, warnings, details) of the parametric g-estimate with each recorded rater's offset (and each
    mode's) removed from the slopes and from the history's score terms (:mod:`alscell.analysis.rater_identity`);
    None where fewer than two raters are recorded.  ``H`` is :func:`decision_history`'s (its score terms first, as
    that function builds them for ``outcome`` and ``history``, then any others).  ``details["rater_offsets_held"]``:
    the reference rater, the estimate as recorded, and per rater or mode how many patients it shares with others
    before any treatment and, where identified, its offset at the mean level of its visits and per point of
    level."""
    groups = df["patient_id"].to_numpy()
    quiet = (post == 0) & ~start  # the visits before any treatment at which none started
    flags, labels, reference = offset_columns(tables, df, quiet)
    if not any(label.startswith("rater ") for label in labels):
        return None
    # every visit before any treatment, the starts included: a decision read each decision visit's reading, so the
    # starts' and the other decision visits' noise are each selected, but together they are all of them — where the
    # group rates both: one seen before any treatment only at starts (a programme's rater who rates nobody else) is
    # not estimated, its readings there all selected
    off = rater_offsets(groups, df["months"].to_numpy(float), df["y"].to_numpy(float), flags, post == 0, "quadratic")
    quiet_patients = np.array([len(np.unique(groups[quiet & (flags[:, j] > 0)])) for j in range(len(labels))])
    off = off._replace(identified=off.identified & (quiet_patients >= MIN_OFFSET_PATIENTS))
    keep = np.column_stack([off.identified, off.identified & (off.rated_both_ways >= MIN_LEVEL_PATIENTS)]).ravel()
    fits, _, p = decision_influence(H, start, groups, [win])
    d, infl = fits[0]  # as recorded
    delta, se = float(d[0]), float(np.sqrt(infl[:, 0] @ infl[:, 0]))
    removed, why = None, ""
    if keep.any():
        # the history's score terms read as the reference rater would have read each visit: a level read by a
        # lenient rater is then not a level above the patient's course, which the outcome regression would take it
        # for.  Not who rated the decision visit (the version of 2026-12-07): where raters go with the occasions (a
        # programme's raters rate only its visits) their flags let the decision model tell those visits apart, and
        # the estimate compared the starts with the programme's visits only — on the eighteenth world 0.016 below
        # what perfectly corrected ratings give (docs/world18_leniency_ratings.md).  The offsets' sampling error
        # enters through the slopes; through the history it is not propagated (a nuisance model's input: measured
        # there, empirical over model SE about 1).
        cols = np.flatnonzero(keep)
        top = _scale_max(outcome)
        width = _history(df, top)[0].shape[1] + _score_terms(df, history).shape[1]
        read = df.assign(y=df["y"].to_numpy(float) - off.columns[:, cols] @ off.gamma[cols])
        # (the level-spline and flexible hinges' knots come from the corrected ratings: their count may differ)
        H_held = np.column_stack([_history(read, top)[0], _score_terms(read, history), H[:, width:]])
        try:
            removed = _offsets_removed(df, H_held, post, start, win, off, cols, window_months)
            why = "slopes"  # held_warning's reason should none be held
        except np.linalg.LinAlgError:  # a registry that fits as recorded keeps its estimate: as recorded, said
            removed, why = None, "fit"
    if removed is None:  # none identified (or not computable): the estimate as recorded, said
        off = off._replace(identified=np.zeros_like(off.identified))
        standard: dict = {"_standard_fit": (d, infl)}
    else:
        delta, se, p, fit = removed
        # the history check (_history_check) then reads the history the held estimate was fitted on
        standard = {"_standard_fit": fit, "_history_matrix": H_held}
    columns: dict[str, dict[str, float | int | bool]] = {}
    for j, label in enumerate(labels):
        columns[label] = {"patients_shared": int(off.rated_both_ways[j]), "identified": bool(off.identified[j])}
        if off.identified[j]:
            columns[label] |= {
                "offset_points": float(off.gamma[2 * j]),
                "offset_per_point": float(off.gamma[2 * j + 1]),
            }
    info = {
        "reference": reference,
        "estimate_as_recorded": float(d[0]),
        "se_as_recorded": float(np.sqrt(infl[:, 0] @ infl[:, 0])),
        "columns": columns,
    }
    return (
        delta,
        se,
        p,
        [held_warning(labels, off, reference, why)],
        {"rater_offsets_held": info, **standard},
    )


def _history_check(
    tables, df: pd.DataFrame, H: np.ndarray, start: np.ndarray, win: tuple, standard: tuple | None = None
) -> dict | None:
    """How far the estimate moves when the history also takes what registries record beside the score
    (:func:`alscell.analysis.decision_inputs.registry_terms`: age, time since diagnosis, ventilation, gastrostomy; and since 2026-12-06 the
    measures of :func:`alscell.analysis.measure_history.measure_terms`: FVC, SVC, weight, blood NfL, where
    recorded — docs/g_measures_calibration.md), with the SE of the move:
    both estimates come from the same patients, so the move's variance is that of the difference of their
    per-patient influence functions (a Hausman-type contrast: Hausman, Econometrica 1978;46:1251–1271).  Both
    are consistent when the decision follows what the standard history holds; a move beyond its noise says the
    decision followed something else the registry recorded, and then the standard history leans (the sixth
    world, docs/calibration_world6.md; the ninth, which decides on FVC and NfL).  ``terms``: the terms added
    (:data:`REGISTRY_TERMS` and the measures' names, those that add rank); ``registry_se`` and ``standard_se``:
    the two estimates' SEs.  ``standard``: the standard history's (δ̂, influence) when already fitted.  None when
    nothing would be added (no dates, or copies).  Under the default history (:data:`DEFAULT_HISTORY`) the measures
    are in ``H`` already: they add no rank, so the contrast adds the registry terms alone."""
    X, names = _recorded_terms(tables, df)
    use = win[0]
    keep = _rank_columns(H[use], X[use]) if X.shape[1] else []
    if not keep:
        return None
    groups = df["patient_id"].to_numpy()
    base = standard if standard is not None else decision_influence(H, start, groups, [win])[0][0]
    fit = decision_influence(np.column_stack([H, X[:, keep]]), start, groups, [win])[0][0]
    c = contrast(fit, base)
    return {
        "difference": c["difference"],
        "se": c["se"],
        "z": c["z"],
        "terms": [names[j] for j in keep],
        "registry_se": c["fit_se"],
        "standard_se": c["base_se"],
    }


def _measures_check(df: pd.DataFrame, H: np.ndarray, start: np.ndarray, win: tuple, headline=None) -> dict | None:
    """How far the default's estimate moved because its history reads the measurements recorded before each visit
    (:data:`DEFAULT_HISTORY`: the columns :func:`decision_history` marked in ``df.attrs["measure_block"]``), with the
    SE of the move (:func:`alscell.analysis.history_contrast.contrast`): the estimate with them minus the standard
    history's on the same decision rows.  A move beyond its noise says the decision to treat followed the
    measurements.  Reading them then removes the lean they would bring (the ninth and tenth worlds,
    docs/calibration_world9_measures_only.md) — or, where the clinic also chose on something the registry does not
    record, can enlarge that lean (bias amplification; the eighth world, docs/world8_weight.md); the data cannot
    tell which.  ``headline``: the estimate's own (δ̂, influence) when already fitted on ``H``.  None when ``H``
    holds no measurement."""
    a, b = df.attrs.get("measure_block", (0, 0))
    if b <= a:
        return None
    groups = df["patient_id"].to_numpy()
    fit = headline if headline is not None else decision_influence(H, start, groups, [win])[0][0]
    base = decision_influence(np.delete(H, np.s_[a:b], axis=1), start, groups, [win])[0][0]
    c = contrast(fit, base)
    return {
        "difference": c["difference"],
        "se": c["se"],
        "z": c["z"],
        "terms": list(df.attrs.get("measure_terms", [])),
        "measures_se": c["fit_se"],
        "standard_se": c["base_se"],
    }


def _other_reading(name: str, estimate: float, se: float, q: float, warned: bool) -> dict:
    """A history check's other reading for ``details``: ``{name}_estimate`` and its interval (``q``: the
    estimate's t quantile; ``se``: carried, :func:`alscell.analysis.history_contrast.carried_se`) and whether the
    move warned (:func:`beyond_noise`)."""
    return {
        f"{name}_estimate": float(estimate),
        f"{name}_ci_low": float(estimate - q * se),
        f"{name}_ci_high": float(estimate + q * se),
        "warned": bool(warned),
    }


def _measured_phrase(history: str, df: pd.DataFrame) -> str:
    """What the caution's list of modelled history adds for ``history`` (the measures' histories; for the measures
    alone, only where the registry recorded one: ``df.attrs["measure_terms"]``, :func:`decision_history`)."""
    if history == "measures" or (history == "measures_only" and df.attrs.get("measure_terms")):
        return ", the measurements recorded before each visit"
    return ""


def beyond_noise(move: float, z: float, se: float) -> bool:
    """Whether a history check's move warns: at least :data:`HISTORY_Z` of its own SEs and :data:`HISTORY_MOVE` of
    the estimate's SE ``se`` (the registry terms' check and the measures' check alike)."""
    return abs(z) >= HISTORY_Z and abs(move) >= HISTORY_MOVE * se


def history_warning(
    estimate: float,
    move: float,
    z: float,
    se: float,
    registry_se: float,
    dfree: float,
    alpha: float,
    terms: list[str] | tuple[str, ...] = REGISTRY_TERMS,
) -> list[str]:
    """The warning of :func:`_history_check` when the move passes :data:`HISTORY_Z` and :data:`HISTORY_MOVE`,
    with the estimate the registry terms give (the move added to ``estimate``, their SE)."""
    if not beyond_noise(move, z, se):
        return []
    alt, q = estimate + move, t_ppf(1 - alpha / 2, dfree)
    added = terms_named(terms)
    return [
        f"taking what the registry records beside the score ({added}) into the model of who is treated moves the "
        f"estimate by {move:+.3f} ({abs(z):.1f} times the move's SE) to {alt:+.3f} ({1 - alpha:.0%} CI "
        f"{alt - q * registry_se:+.3f} to {alt + q * registry_se:+.3f}); the estimate above leaves them out.  The two "
        "differ beyond chance, so the decision to treat followed something one of the two models lacks and at "
        "least one of them leans; more data do not remove that (docs/warning_census.md).  Which one cannot be told "
        "from the data: name everything the clinic chose on that the registry records (alscell effect --adjust-for; "
        "docs/named_inputs.md)."
    ]


def measures_warning(
    move: float, z: float, se: float, standard: tuple[float, float], dfree: float, alpha: float, terms: list[str]
) -> list[str]:
    """The warning of :func:`_measures_check` when the move passes the registry terms' thresholds (:data:`HISTORY_Z`
    and :data:`HISTORY_MOVE`, set before either check was looked at; ``se``: the estimate's), with the estimate
    the standard history gives and its SE (``standard``)."""
    if not beyond_noise(move, z, se):
        return []
    (alt, standard_se), q = standard, t_ppf(1 - alpha / 2, dfree)
    measured = terms_named(terms)
    return [
        f"the measurements recorded before each visit ({measured}) move the estimate by {move:+.3f} ({abs(z):.1f} "
        f"times the move's SE): without them it is {alt:+.3f} ({1 - alpha:.0%} CI {alt - q * standard_se:+.3f} to "
        f"{alt + q * standard_se:+.3f}).  The decision to treat followed them, and the estimate above reads them: "
        "that removes the lean they would bring, but where the clinic also chose on something the registry does not "
        "record, reading a measurement that drives treatment can enlarge that lean instead (bias amplification; "
        "docs/world8_weight.md).  Which one cannot be told from the data: name what the clinic chose on (alscell "
        "effect --adjust-for) and compare with alscell effect --history standard."
    ]


def check_modifiers(names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` if every one is a known effect modifier (:data:`MODIFIERS`); NotApplicable says which is not."""
    unknown = [m for m in names if m not in MODIFIERS]
    if unknown:
        raise NotApplicable(f"unknown effect modifier(s) {', '.join(unknown)}: use {', '.join(MODIFIERS)}.")
    return names


def modifier_columns(df: pd.DataFrame, top: float | None, names: tuple[str, ...]) -> np.ndarray:
    """The effect modifiers ``names`` (:data:`MODIFIERS`) at every row of the analysis frame ``df``."""
    check_modifiers(names)
    y, t = df["y"].to_numpy(dtype=float), df["months"].to_numpy(dtype=float)
    decline = (top - y) / np.maximum(t, 0.5) if top is not None else _interval_declines(df)[2]
    cols = {"level": y, "decline": decline}
    return np.column_stack([cols[m] for m in names]) if names else np.empty((len(df), 0))


class _Blip(NamedTuple):
    """What :func:`_blip_average` estimates (all oriented like the outcome, before the direction sign)."""

    theta: float  # the starters' average slope change
    se: float
    used: np.ndarray  # the decision rows of the analysis frame the equations used
    p: np.ndarray  # their fitted probabilities of starting
    slopes: np.ndarray  # ψ̂₁ per unit of each modifier
    cov: np.ndarray  # their covariance
    centre: np.ndarray  # the starters' mean of each modifier


def _blip_average(
    df: pd.DataFrame,
    H: np.ndarray,
    post: np.ndarray,
    start: np.ndarray,
    use: np.ndarray,
    V: np.ndarray,
    window_months: float,
) -> _Blip:
    """The slope change with effect modifiers (module docstring, "Effect modifiers"): δ(V) = ψ₀ + ψ₁ᵀ(V − v̄)
    with V the modifiers at the start visit and v̄ their mean over the starters, so that θ = ψ₀ is the
    starters' average."""
    pid = df["patient_id"].to_numpy()
    starters = np.zeros(len(df), dtype=bool)
    starters[use] = start[use]
    Vs = V[starters]
    centre, scale = Vs.mean(axis=0), np.maximum(Vs.std(axis=0), 1e-9)
    Vc = (V - centre) / scale  # an affine reparametrisation: θ̂ does not depend on it
    # each treated patient's modifiers at the start (also of starts without a visit in the window, whose
    # treated visits enter earlier decision rows' windows; 0 for the never treated: their ramp is 0)
    at_start = pd.DataFrame(Vc[start], index=pid[start])
    Vp = at_start.reindex(pid).fillna(0.0).to_numpy()
    ramps = post[:, None] * np.column_stack([np.ones(len(df)), Vp])
    used, S, D = finite_window_slopes(df, H, ramps, use, 0.0, float(window_months))
    rows = np.unique(used)
    A = start[rows].astype(float)
    p = np.clip(fit_logistic(H[rows], A), 1e-6, 1 - 1e-6)
    Z = np.column_stack([np.ones(len(used)), Vc[used]])  # the instruments: (A − p) times 1 and V
    at = [(np.searchsorted(rows, used), S, D, Z)]
    psi, Minv, U, _ = _g_influence(A, p, standardised_design(H[rows]), pid[rows], at)
    infl = U @ Minv.T  # per patient, the influence of ψ̂ (one column per parameter)
    # θ̂ = ψ̂₀ + ψ̂₁ᵀ(v̄ − centre) with v̄ estimated: its influence is added for each starter
    theta_infl = infl[:, 0].copy()
    st = pd.Index(pd.unique(pid[rows])).get_indexer(pid[starters])
    np.add.at(theta_infl, st[st >= 0], (Vc[starters][st >= 0] @ psi[1:]) / max(int(starters.sum()), 1))
    cov1 = infl[:, 1:].T @ infl[:, 1:] / np.outer(scale, scale)
    return _Blip(float(psi[0]), float(np.sqrt(theta_infl @ theta_infl)), used, p, psi[1:] / scale, cov1, centre)


def _modification_rows(names: tuple[str, ...], blip: _Blip, sgn: int, dfree: float, alpha: float) -> list[dict]:
    """One record per modifier: how much the slope change differs per unit of it, with a t interval and p."""
    q = t_ppf(1 - alpha / 2, dfree)
    out = []
    for k, name in enumerate(names):
        b, se = sgn * float(blip.slopes[k]), float(np.sqrt(blip.cov[k, k]))
        out.append(dict(modifier=name, per_unit=b, se=se, ci_low=float(b - q * se), ci_high=float(b + q * se),
                        p_value=float(2 * t_sf(abs(b / se), dfree)) if se > 0 else float("nan"),
                        starters_mean=float(blip.centre[k])))  # fmt: skip
    return out


def _stated_eligibility(
    tables, df: pd.DataFrame, inputs, names: tuple[str, ...], start: np.ndarray, windows: list[tuple],
    rows: np.ndarray, eligible: tuple[tuple[str, str, float], ...], details: dict, said: list[str],
) -> tuple[list[tuple], np.ndarray]:  # fmt: skip
    """The windows and decision rows kept by the stated eligibility (its conditions on the named columns and on each
    named measure's course columns; every start kept), with ``details`` and ``said`` (the warnings) told so."""
    columns = dict(zip(inputs.names, inputs.X.T, strict=True))
    if any(term not in columns for term, _, _ in eligible):  # the named measures' course columns, unless modelled
        measures = {n: MEASURE_KEYS[n].unit in LOG_UNITS for n in names if n in MEASURE_KEYS}
        C, c_names = course_terms(tables, df, measures)
        columns |= {n: C[:, j] for j, n in enumerate(c_names) if n not in columns}
    meets = eligible_rows(columns, eligible)
    s = start.astype(bool)
    keep = meets | s
    out, starts_out = int((~keep[rows]).sum()), int((s[rows] & ~meets[rows]).sum())
    details |= {"eligible_when": eligible_text(eligible), "outside_eligibility": out}
    said.append(
        f"{out} of {len(rows)} decision visits did not meet the stated eligibility and were left out: the decision "
        "model compares each start only with visits at which the clinic could have treated."
    )
    if starts_out:
        said.append(
            f"{starts_out} start(s) came at visits that do not meet the stated eligibility (kept): the clinic's rule "
            "is not the one stated, and the estimate leans where the two differ."
        )
    return [tuple(a[keep[w[0]]] for a in w) for w in windows], rows[keep[rows]]


def named_history(
    tables, df: pd.DataFrame, H: np.ndarray, start: np.ndarray, windows: list[tuple], names: tuple[str, ...],
    within: bool, shape: str = "linear", eligible: tuple[tuple[str, str, float], ...] = (),
) -> tuple[np.ndarray, list[tuple], dict]:  # fmt: skip
    """(H, windows, details): the history with the terms the analyst named
    (:func:`alscell.analysis.decision_inputs.decision_inputs`; those that add rank on the decision rows kept;
    with ``shape="spline"`` also their continuous levels' spline terms,
    :func:`alscell.analysis.decision_inputs.spline_terms`, knots on the decision rows kept; with ``"course"`` also
    each named measure's course since its first value, :func:`alscell.analysis.measure_history.course_terms`) and,
    with ``within``, each window's decision rows (index into ``df``, then per-row arrays) kept inside what the
    starters among all the windows' rows had on them; with ``eligible`` (the analyst's statement of the clinic's
    eligibility, :func:`alscell.analysis.decision_inputs.parse_eligible`) only the decision rows that meet it, and
    every start.  ``details["_warnings"]``: what the result says about it."""
    check_shape(shape)
    if not names:
        if within:
            raise NotApplicable(WITHIN_NEEDS_NAMES)
        if eligible:
            raise NotApplicable(ELIGIBLE_NEEDS_NAMES)
        return H, windows, {"_warnings": []}
    inputs = decision_inputs(tables, df, names, course=shape == "course")
    rows = np.unique(np.concatenate([w[0] for w in windows]))
    said = [
        f"the decision model and the outcome regression also hold what was named as driving the decision "
        f"({', '.join(names)}): the estimate is consistent when these and the course are all the decision read; "
        "naming only some of what it read can move it the wrong way (docs/world11_registry_terms.md)."
    ]
    details: dict = {"adjusted_for": list(names)}
    if eligible:
        windows, rows = _stated_eligibility(tables, df, inputs, names, start, windows, rows, eligible, details, said)
    if within:
        inside = np.zeros(len(df), dtype=bool)
        inside[rows] = inside_starters(inputs.X[rows], inputs.levels, start[rows])
        out = int((~inside[rows]).sum())
        details["outside_starters"] = out
        if out:
            said.append(
                f"{out} of {len(rows)} decision visits lay outside what the patients who started had on "
                f"{', '.join(names)} and were left out: the estimate is about decisions within it."
            )
        windows = [tuple(a[inside[w[0]]] for a in w) for w in windows]
        rows = rows[inside[rows]]
    X, x_names = inputs.X, inputs.names
    if shape in SPLINE_SHAPES:
        B, b_names = spline_terms(inputs, rows)
        X, x_names = np.column_stack([X, B]), [*x_names, *b_names]
        details["adjust_shape"] = shape
    take = _rank_columns(H[rows], X[rows])
    details["adjusted_columns"] = [x_names[j] for j in take]
    return np.column_stack([H, X[:, take]]), windows, details | {"_warnings": said}


def decision_history(
    tables, outcome: str, data: pd.DataFrame | None = None, history: str | None = None,
    leave_out: tuple[str, ...] = (),
    self_ratings: str | None = None,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """(df, H, post, at_risk, start): the analysis frame (``prepare``'s, or ``data``) with one row per patient
    and visit time and a finite outcome, and :func:`_history` on it, with the ALSFRS-R state added for other
    outcomes and, with ``history="flexible"``, :func:`_flexible_terms`, with ``"level_spline"``
    :func:`_level_terms`, with ``"registry"`` :func:`alscell.analysis.decision_inputs.registry_terms` (:data:`HISTORIES`; who rated each visit,
    ``"rater"``, is added by :func:`g_estimation`, which knows the decisions).  ``leave_out``: recorded visit types
    whose rows are dropped (:func:`alscell.analysis.decision_occasions.left_out`; ``df.attrs["left_out"]`` their
    count).  ``self_ratings="outcome"``: the visits rated by the patient or a caregiver are no decisions and the
    history does not read them (:func:`alscell.analysis.self_ratings.mark_reads`; they stay in the frame), nor, for
    another outcome, the ALSFRS-R state (:func:`_alsfrs_state`).  ``history`` None: :data:`DEFAULT_HISTORY`."""
    history = check_history(DEFAULT_HISTORY if history is None else history)
    df = prepare(tables, outcome) if data is None else data
    df = df[np.isfinite(df["y"].to_numpy(dtype=float))]
    out = left_out(tables, df, leave_out)
    df = df[~out].sort_values(["patient_id", "months"]).drop_duplicates(["patient_id", "months"], keep="last")
    self_ratings = check_self_ratings(self_ratings)
    if outcome in ALSFRS_OUTCOMES:
        df = mark_reads(tables, df.reset_index(drop=True), self_ratings)
    else:  # its rows are not ALSFRS-R visits: the self-ratings reach only the ALSFRS-R state (_alsfrs_state)
        df = df.reset_index(drop=True)
        df.attrs["self_rated"] = _self_rated_alsfrs(tables) if "date" in df else 0
        df.attrs["self_rated_undated"] = undated_self_ratings(tables, df) if self_ratings == "outcome" else 0
    df.attrs["left_out"] = int(out.sum())
    H, post, at_risk, start = _history(df, _scale_max(outcome))
    if outcome not in ALSFRS_OUTCOMES:
        H = np.column_stack([H, _alsfrs_state(as_tables(tables), df, self_ratings)])
    H = np.column_stack([H, _score_terms(df, history)])
    if history == "registry":
        H = np.column_stack([H, _adding_rank(H, registry_terms(tables, df))])
    elif history == "measures":
        H = np.column_stack([H, _adding_rank(H, _recorded_terms(tables, df)[0])])
    elif history == "measures_only":  # the block's place and names kept for the measures' check (_measures_check)
        X, labels = measure_terms(tables, df)
        keep = _rank_columns(H, X) if X.shape[1] else []
        df.attrs["measure_block"] = (H.shape[1], H.shape[1] + len(keep))
        df.attrs["measure_terms"] = [labels[j] for j in keep]
        H = np.column_stack([H, X[:, keep]])
    return df, H, post, at_risk, start


def g_estimation(
    tables,
    outcome: str = "alsfrs_r_total",
    *,
    window_months: float = WINDOW_MONTHS,
    alpha: float = 0.05,
    data: pd.DataFrame | None = None,
    modifiers: tuple[str, ...] = (),
    history: str | None = None,
    nuisance: str = "parametric",
    adjust_raters: bool = True,
    adjust_for: tuple[str, ...] = (),
    within_starters: bool = False,
    adjust_shape: str = "linear",
    decision_lag_days: float = 0.0,
    decision_visits: tuple[str, ...] = (),
    leave_out_visits: tuple[str, ...] = (),
    slope_visits: tuple[str, ...] = (),
    eligible_when: tuple[tuple[str, str, float], ...] | str = (),
    recorded_eligibility: bool = False,
    hold_raters: bool | None = None,
    self_ratings: str | None = None,
) -> Estimate:
    """Doubly robust g-estimate of the slope change after the first treatment (module docstring); ``history``:
    what the decision model and the history regressions read (:data:`HISTORIES`; None: :data:`DEFAULT_HISTORY`,
    the standard history and the FVC, SVC, weight and blood NfL recorded before each visit); with
    ``modifiers`` (:data:`MODIFIERS`) the starters' average of a slope change that depends on them; with
    ``nuisance="boosted"`` (:data:`NUISANCES`) the nuisance models learned by cross-fitted boosting, with
    ``"selected"`` each chosen between boosting and the parametric form by its cross-fitted loss, with
    ``"anchored"`` boosting started from the parametric fit.  ``adjust_raters=False``: the history takes who rated
    each visit only with ``history="rater"``, never by :func:`alscell.analysis.rater.rater_rule` (the default
    before 2026-12-05, evening; for the pages that diagnose what the rule mends).  ``adjust_for``: recorded terms
    the analyst names as driving the decision (:func:`alscell.analysis.decision_inputs.parse_adjust_for`), added to
    the history; ``within_starters``: the decision visits kept within what the starters had on them
    (:func:`alscell.analysis.decision_inputs.inside_starters`); ``adjust_shape="spline"``: their continuous
    levels also enter as restricted cubic splines (:func:`alscell.analysis.decision_inputs.spline_terms`);
    ``decision_lag_days``: the decision is taken as made at the last visit at least that long before the first dose
    (:func:`decided_before`) where the registry records no ``treatments.decision_date`` (where it does, the decision
    is at the last decision visit on or before it); ``decision_visits``: the visit types (``alsfrs.visit_type``) at
    which the clinic decides, () for every visit; ``leave_out_visits``: the visit types left out of the analysis
    (:mod:`alscell.analysis.decision_occasions`); ``slope_visits``: the visit types whose outcomes measure the course
    after each decision visit (the follow-up windows' slopes), () for every visit — the history still reads every
    visit (a candidate for registries whose extra visits follow the course: docs/decision_occasions.md);
    ``eligible_when``: the clinic's eligibility as the analyst states it on the named columns (conditions, or their
    text: :func:`alscell.analysis.decision_inputs.parse_eligible`), the decision visits that do not meet it left out
    (every start kept; docs/decision_oracle.md); ``recorded_eligibility``: the decision visits at which the clinic's
    recorded screening (``alsfrs.eligible``) found the patient not eligible left out, every start kept
    (:func:`alscell.analysis.decision_occasions.screened_out`; an option by the rule registered with the nineteenth
    world: docs/recorded_eligibility.md); ``hold_raters``: each recorded rater's offset (``alsfrs.rater``) and each
    mode's held — removed from the slopes, its uncertainty in the SE, and from the history
    (:mod:`alscell.analysis.rater_identity`; parametric nuisance models, no effect modifiers); None (the default):
    held wherever the registry records two raters or more and the models allow it, by the rule registered with the
    twentieth world (docs/world20_hold_raters.md; since 2026-12-07, thirty-eighth session), False: the ratings as
    recorded; ``self_ratings``: ``"read"`` (every visit an occasion, the history reads every visit) or ``"outcome"``
    (the visits rated by the patient or a caregiver in the outcome only: :mod:`alscell.analysis.self_ratings`), None:
    :data:`alscell.analysis.self_ratings.DEFAULT_SELF_RATINGS`."""
    method, estimand = "g_estimation", "slope_change"
    if nuisance not in NUISANCES:
        raise NotApplicable(f"unknown nuisance model {nuisance!r}: use {', '.join(NUISANCES)}.")
    if nuisance != "parametric" and modifiers:
        raise NotApplicable("effect modifiers need the parametric nuisance models (nuisance='parametric').")
    asked_raters = bool(hold_raters)
    if hold_raters is None:  # the default: held where raters are recorded (docs/world20_hold_raters.md)
        hold_raters, warn_raters = raters_by_default(tables, outcome, nuisance != "parametric" or bool(modifiers))
    else:
        warn_raters = [f"each rater's offset was to be held (hold_raters), but raters rate the ALSFRS-R, not "
                       f"{outcome}: nothing was held."] if hold_raters and outcome not in ALSFRS_OUTCOMES else []  # fmt: skip
    if hold_raters and (nuisance != "parametric" or modifiers):
        raise NotApplicable("holding each rater's offset (hold_raters) needs the parametric nuisance models and no "
                            "effect modifiers.")  # fmt: skip
    leave_out = check_occasions(leave_out_visits, LEAVE_OUT)
    self_ratings = check_self_ratings(self_ratings)
    asked_history, history = history is not None, DEFAULT_HISTORY if history is None else history
    df, H, post, at_risk, start = decision_history(tables, outcome, data, history, leave_out, self_ratings)
    occasions = decision_occasions(
        tables, df, at_risk, start, check_lag(decision_lag_days), check_occasions(decision_visits),
        bool(recorded_eligibility),
    )  # fmt: skip
    at_risk, start = occasions.at_risk, occasions.start
    slope_types = check_occasions(slope_visits, SLOPE_VISITS)
    if slope_types:
        df[SLOPE_VISIT] = in_slopes(tables, df, slope_types)
    V = modifier_columns(df, _scale_max(outcome), tuple(modifiers))  # NotApplicable for an unknown name
    warn = _direction_warning(outcome) + list(df.attrs.get("notes", [])) + warn_raters
    n_pat = int(df["patient_id"].nunique())
    n_tr = int(df.loc[np.isfinite(df["days_after"].to_numpy(float)), "patient_id"].nunique())
    use, S, D = finite_window_slopes(df, H, post[:, None], np.flatnonzero(at_risk), 0.0, float(window_months))
    eligible = parse_eligible(eligible_when) if isinstance(eligible_when, str) else tuple(eligible_when)
    H, [(use, S, D)], named = named_history(
        tables, df, H, start, [(use, S, D)], tuple(adjust_for), within_starters, adjust_shape, eligible
    )
    A = start[use].astype(float)
    n_init = int(A.sum())
    if n_init < MIN_INITIATIONS or len(use) - n_init < MIN_INITIATIONS or np.ptp(D) == 0:
        return _empty(
            outcome,
            method,
            estimand,
            n_pat,
            n_tr,
            len(df),
            "too few patients who start treatment with a visit after it (and untreated visits to compare) "
            "for g-estimation.",
        )
    warn += _selection_warning(df, _scale_max(outcome))
    if asked_history and history in ("registry", "measures", "measures_only") and "date" not in df:
        lost = {"registry": "age, time since diagnosis and support",
                "measures": "age, time since diagnosis and support and the measurements",
                "measures_only": "the measurements"}[history]  # fmt: skip
        warn.append(f"history {history!r}: the visits carry no dates, so {lost} could not be added; the standard "
                    "history was used.")  # fmt: skip
    warn += few_treated_warning(n_init) + named.pop("_warnings") + occasions.warnings
    warn += left_out_warning(df.attrs["left_out"], leave_out)
    warn += self_ratings_note(
        df, state_only=outcome not in ALSFRS_OUTCOMES and self_ratings == "outcome", named=bool(adjust_for)
    )
    if slope_types:
        warn += slopes_warning(int(df[SLOPE_VISIT].sum()), len(df), slope_types)
    modes: tuple[str, ...] = ()
    flags = np.empty((len(df), 0))
    in_history: list[str] = []  # the modes whose flags the history took (details["raters_in_history"])
    if outcome in ALSFRS_OUTCOMES:  # who rated each visit, when the starts were rated differently
        flags, modes = rater_flags(tables, df)
        cols, rater_warn = rater_rule(flags[use], modes, A == 1, always=history == "rater", allowed=adjust_raters)
        if cols:  # those that add rank on the decision rows, where the models are fitted
            kept = [cols[i] for i in _rank_columns(H[use], flags[use][:, cols])]
            H, in_history = np.column_stack([H, flags[:, kept]]), [modes[j] for j in kept]
            if modifiers:  # the level and decline at a start so rated, read as a clinician would have
                off = rater_offsets(df["patient_id"].to_numpy(), df["months"].to_numpy(float),
                                    df["y"].to_numpy(float), flags, (post == 0) & ~start)  # fmt: skip
                clinician = df.assign(y=df["y"].to_numpy(float) - off.columns @ off.gamma)
                V = modifier_columns(clinician, _scale_max(outcome), tuple(modifiers))
        warn += rater_warn
    names = tuple(modifiers)
    if names and (n_init < MIN_INITIATIONS + 2 * len(names) or (np.ptp(V[use][A == 1], axis=0) == 0).any()):
        return _empty(outcome, method, estimand, n_pat, n_tr, len(df),
                      f"too few patients who start treatment, or too little spread in {', '.join(names)} among "
                      f"them, to estimate how the slope change depends on {', '.join(names)}.")  # fmt: skip
    blip = None
    rater_details: dict = {}
    held = None
    try:
        if hold_raters and outcome in ALSFRS_OUTCOMES:
            held = _held_raters(tables, df, H, post, start, (use, S, D), window_months, outcome, history)
            if held is None and asked_raters:  # (by default, nothing to hold is nothing to say)
                warn.append(NO_RATERS_NOTE)
        if modes and (names or nuisance != "parametric"):  # raters after the start: the warning only
            *_, drift, rater_details = _after_start_raters(
                df, H, post, start, (use, S, D), flags, modes, window_months, False
            )
            warn += drift
        if names:
            blip = _blip_average(df, H, post, start, use, V, window_months)
            delta, se, use, p = blip.theta, blip.se, blip.used, blip.p
        elif nuisance != "parametric":
            from alscell.analysis.crossfit import crossfit_slope_change

            cf = crossfit_slope_change(H[use], A, S, D[:, 0], df["patient_id"].to_numpy()[use], learner=nuisance)
            delta, se, p = cf.delta, cf.se, None
        elif held is not None:  # each recorded rater's offset held (alscell.analysis.rater_identity)
            delta, se, p, drift, rater_details = held
            warn += drift
        elif modes:  # who rated the visits after the start (alscell.analysis.rater_drift)
            delta, se, p, drift, rater_details = _after_start_raters(
                df, H, post, start, (use, S, D), flags, modes, window_months, adjust_raters
            )
            warn += drift
        else:
            fits, _, p = decision_influence(H, start, df["patient_id"].to_numpy(), [(use, S, D)])
            rater_details = {"_standard_fit": fits[0]}
            delta, se = float(fits[0][0][0]), float(np.sqrt(fits[0][1][:, 0] @ fits[0][1][:, 0]))
    except np.linalg.LinAlgError:
        return _empty(outcome, method, estimand, n_pat, n_tr, len(df),
                      "the treatment-decision model or the history regression could not be fitted on these data "
                      "(the history terms are collinear or separate the decisions perfectly).")  # fmt: skip
    sgn = outcome_info(outcome)["direction"]
    check, standard = None, rater_details.pop("_standard_fit", None)
    checked = rater_details.pop("_history_matrix", H)  # the held raters' corrected history, where they were held
    measures = None
    if history in CHECKED_HISTORIES and nuisance == "parametric" and not names and not adjust_for:
        try:
            check = _history_check(tables, df, checked, start, (use, S, D), standard)
        except np.linalg.LinAlgError:
            check = None
        try:  # (the held raters' history keeps the columns' places unless its score terms differ in number)
            measures = _measures_check(df, checked, start, (use, S, D), standard) if checked.shape == H.shape else None
        except np.linalg.LinAlgError:
            measures = None

    dfree = float(max(n_init - 1, 1))
    # the self-rated visits the decision model did not read (another outcome: those its ALSFRS-R state skipped)
    not_read = int((~history_reads(df)).sum()) if outcome in ALSFRS_OUTCOMES else int(df.attrs["self_rated"])
    warn.append(
        "g-estimation: consistent when the decision to treat depends on the history it models (visits, "
        f"decline, time since onset and entry{_measured_phrase(history, df)}) — not on how fast a patient was truly "
        "declining beyond that; "
        "less precise than the mixed model (lmm_counterfactual)."
    )
    details = {
        "df": dfree,
        "window_months": float(window_months),
        "decision_rows": len(use),
        "initiations": n_init,
        "history_terms": int(H.shape[1]),
        "history": history,
        "nuisance": nuisance,
        **occasions.details,
        **({"visits_left_out": df.attrs["left_out"], "left_out_visit_types": list(leave_out)} if leave_out else {}),
        **(
            {"self_ratings": self_ratings, "self_rated_visits": df.attrs["self_rated"]}
            if df.attrs["self_rated"]
            else {}
        ),
        **({"self_rated_visits_not_read": not_read} if self_ratings == "outcome" else {}),
        **({"slope_visits": list(slope_types), "visits_in_slopes": int(df[SLOPE_VISIT].sum())} if slope_types else {}),
        **rater_details,
        **named,
    }
    if in_history:
        details["raters_in_history"] = in_history
    q = t_ppf(1 - alpha / 2, dfree)
    if check is not None:  # in the outcome's direction, like the estimate
        # the offsets' share of the SE (raters after the start) goes with the move to the other history
        alt_se = carried_se(se, check["standard_se"], check["registry_se"])
        move, alt = sgn * check["difference"], sgn * (delta + check["difference"])
        details["history_check"] = check | {
            "difference": move,
            "z": sgn * check["z"],
            **_other_reading("registry", alt, alt_se, q, beyond_noise(move, check["z"], se)),
        }
        warn += history_warning(sgn * delta, move, check["z"], se, alt_se, dfree, alpha, check["terms"])
    if measures is not None:  # in the outcome's direction, like the estimate
        # the estimate less the move: the standard history's own where the estimate is its fit's (where each
        # recorded rater's offset was held, the move is taken on the ratings as recorded, as the history check's)
        move, alt = sgn * measures["difference"], sgn * (delta - measures["difference"])
        alt_se = carried_se(se, measures["measures_se"], measures["standard_se"])
        details["measures_check"] = measures | {
            "difference": move,
            "z": sgn * measures["z"],
            **_other_reading("standard", alt, alt_se, q, beyond_noise(move, measures["z"], se)),
        }
        warn += measures_warning(move, measures["z"], se, (alt, alt_se), dfree, alpha, measures["terms"])
    if nuisance == "selected":  # per nuisance function, the learner kept in each split
        from alscell.analysis.crossfit import NUISANCE_NAMES

        details["nuisance_choices"] = {name: [keep[j] for keep in cf.chosen] for j, name in enumerate(NUISANCE_NAMES)}
    if p is not None:  # the cross-fitted probabilities differ between splits: not reported
        details["propensity_range"] = [float(p.min()), float(p.max())]
        rows = np.unique(use)  # the decision rows the decision model was fitted on, p's order
        if len(rows) == len(p):
            details["start_overlap"] = overlap = start_overlap(start[rows], p)
            warn += overlap_warning(overlap, int(start[rows].sum()))
    if blip is not None:
        details["effect_modification"] = _modification_rows(names, blip, sgn, dfree, alpha)
    counts = (n_pat, n_tr, len(df))
    dec = np.zeros(len(df), dtype=bool)
    dec[use] = True  # the decision rows the estimating equation used
    return t_estimate(outcome, estimand, method, sgn * delta, se, dfree, alpha, counts, warn,
                      data=df.assign(decision_row=dec, starts=start & dec), details=details)  # fmt: skip


__all__ = [
    "CHECKED_HISTORIES",
    "DEFAULT_HISTORY",
    "HISTORIES",
    "HISTORY_MOVE",
    "HISTORY_Z",
    "LEVEL_KNOTS",
    "MODIFIERS",
    "NUISANCES",
    "REGISTRY_TERMS",
    "WINDOW_MONTHS",
    "beyond_noise",
    "check_modifiers",
    "decided_before",
    "decision_history",
    "decision_influence",
    "finite_window_slopes",
    "fit_decisions",
    "g_estimation",
    "g_solve",
    "g_solve_windows",
    "history_warning",
    "measures_warning",
    "modifier_columns",
    "named_history",
    "window_slopes",
]

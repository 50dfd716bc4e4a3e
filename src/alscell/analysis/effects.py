"""Treatment-effect estimators: one call, one :class:`~alscell.analysis.estimate.Estimate`.

Estimand (spec/cli.md, ``alscell effect``): the average change in the outcome's slope (per month) after
the first active treatment against the expected natural history; positive = benefit.  For measures where
lower is better (FSS, ALSAQ, NfL, cytokines; ``MEASURES[key].higher_is_better``) the sign is flipped, and
the Estimate says so in its warnings.  Biomarkers are analysed on the natural-log scale.

Methods (``METHODS``):

``g_estimation`` (default, ``DEFAULT_METHOD``, since 2026-12-04)
    Doubly robust g-estimation of a structural nested mean model (``alscell.analysis.g_estimation``): at
    every visit of a not-yet-treated patient, those who start are compared with those who do not through a
    model of the decision given the observed history and a regression of the next months' slope on it.  Its
    consistency rests on the decision depending on the observed history (sequential ignorability), not on the
    shape of each patient's course.  Why it is the default (docs/evidence.md, "Which estimator is the
    default"): on four data-generating worlds, two of them written after the estimators and held out, its
    mean coverage is at least 0.93 on three (``lmm_counterfactual``'s on one) — the held-out worlds, where the
    mixed model's lean does not shrink with the cohort and mostly no warning fires, and ``alscell.simulate`` —
    and it is worse on the second world, where the treated are chosen by their own true rate of decline and
    the selection warning fires in at least 99% of the cohorts of each failing cell.  Its price is
    precision: standard errors about 1.2 to 1.9 times the mixed model's.  On a fifth world written after
    this choice (docs/calibration_world5.md) it is the best of the three but not calibrated: a small lean
    towards benefit under no effect and a high reading of an effect that differs between patients and stops.
``lmm_counterfactual`` (the default until 2026-12-04; the first alternative of ``--sensitivity``)
    One linear mixed model on *all* patients and visits (treated and untreated): fixed restricted cubic
    spline of months since onset (the curvilinear, D50-shaped course, Harrell knots), a term
    ``(months since first treatment)_+`` whose coefficient is the slope change, random intercept and
    slope per patient (so each patient's own course is the counterfactual and dropout that depends on
    observed values is handled by likelihood), fixed effects of log(months from onset at the first
    analysed visit) and its interaction with time (diagnostic delay is prognostic: fast progressors are
    seen sooner after onset and die sooner, so without it their random slopes are shrunk towards the
    slower survivors that dominate late follow-up and their post-treatment visits look worse than
    expected — on simulated registries a bias of −0.026 points/month under no effect without it, −0.010
    with it; measured when two trigger visits were left out, so the first *analysed* visit is used — with every
    visit kept, as now, that is the first visit), and cluster-robust CR2 standard errors with
    Bell–McCaffrey df (``alscell.analysis.cr2``), because individual curvilinear courses make model-based SEs too small.
    **Every visit is kept**, including the ones that prompted treatment (``exclude_pre_visits=0``).  Why: a
    treatment decided from the patient's *observed* past (a bad-looking drop, a score below a threshold) is
    ignorable for a likelihood analysis of all the visits — the joint density of visits and decisions
    factorises into ∏ p(y_t | y_<t, A_≤t) · ∏ p(A_t | y_≤t, A_<t), and the mixed model gives the first
    factor exactly because A_≤t is a function of y_<t (the argument that makes dropout depending on observed
    values ignorable: Rubin 1976; Diggle, Heagerty, Liang & Zeger, *Analysis of Longitudinal Data* 2002,
    ch. 12–13).  The low trigger visit is then just one more measurement of that patient's course, and
    regression to the mean after it is predicted by the model, not read as benefit.  Leaving those visits
    out instead keeps a *selected* sample: the visits before a threshold crossing were all above the
    threshold, so the pre-treatment course looks too flat and the estimate leans against treatment (on the
    second world, −0.22 to −0.36 points/month under no effect with two visits left out; the earlier default).
    ``exclude_pre_visits=n`` still leaves the last n visits before the first treatment out, for sensitivity
    analyses.  The outcome is fitted on its own scale (points), so the slope change is the estimand
    directly; ``scale="logit"`` (ALSFRS-R outcomes only) fits ``u = log((y + c)/(max − y + c))`` (max 48, or
    12 for a subscore; c = 1 point of 48, ``logit_offset``), on which an individual D50 course is a straight
    line, and maps the logit slope change back to points per month at the fitted counterfactual course
    (``details``: ``estimate_logit``, ``points_per_logit_unit``); ``scale="auto"`` is logit for ALSFRS-R
    outcomes.  The default (points scale, every visit kept) was chosen on ``alscell.simulate`` registries
    (bias +0.003 and +0.001 points/month at an effect of 0.2, against +0.017 and +0.012 for the logit scale
    and −0.025 and −0.017 for the earlier default) and its calibration is reported on the second world too.
    Calibrated by ``benchmarks/calibration.py`` (docs/calibration.md).
``lmm_bounded``
    The default's model with the floor and ceiling of a bounded ALSFRS-R outcome in it
    (``alscell.analysis.bounded_course``): each patient's *latent* course is the default's straight random
    line plus the slope change, and the observed score is that plus noise clipped to 0..max, so the mean is
    that of a clipped normal whose width is the model's own residual SD; fitted by Lindstrom–Bates
    linearisation, CR2 / Bell–McCaffrey on the final linearised model.  Far from the bounds it is the default
    exactly; where patients are followed into the floor the default's straight line bends away from the data
    and leans against treatment, this model much less (docs/course_shape.md).  The estimand is the slope change
    of the latent course (what both simulators' effect is); at the floor the observed score cannot show it.
    For outcomes without bounds it is the default, with a note.  Not the default: calibrated beside it in
    docs/calibration.md, where it leans towards benefit under a true effect (both simulators let the benefit
    show at the floor, the model does not).
``naive``
    Before/after: per treated patient, least-squares slope after the first treatment minus slope before
    it, averaged (one-sample t-test).  Kept, and labelled, as the misleading baseline.
``external_control``
    Untreated patients as controls, weighted by the odds of a propensity score (ATT) fitted on onset
    site, ΔFRS, months since onset, ALSFRS-R and FVC at the index visit, age and sex; compares the
    slopes after the index date (treated: first treatment; controls: the visit nearest the treated
    patients' median delay after the first visit).  Balance (standardised mean differences before and
    after weighting) is in ``estimate.details["balance"]``.
``randomized``
    Trial data (``blinded_arm`` active/placebo): slope difference active − placebo after the first
    (sham or active) administration from the same mixed model; the primary analysis of a trial.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from alscell.analysis.cr2 import mixed_contrast
from alscell.analysis.design_matrix import (
    ALSFRS_OUTCOMES,
    TIME_SCALE,
    OutcomeError,
    first_treatment,
    imputation_note,
    outcome_frame,
    outcome_info,
    patient_covariates,
    per_patient_slopes,
    time_spline,
)
from alscell.analysis.distributions import t_ppf, t_sf
from alscell.analysis.errors import NotApplicable
from alscell.analysis.estimate import Estimate
from alscell.analysis.model_fit import fit_mixed
from alscell.analysis.pretrend import pretrend_warning
from alscell.analysis.rater import rater_flags
from alscell.analysis.trigger_drop import trigger_drop_warning
from alscell.domain.alsfrs import SUBSCORE_MAX, TOTAL_MAX
from alscell.domain.progression import delta_frs_covariate
from alscell.domain.time import DAYS_PER_MONTH as DPM
from alscell.io.tables import Tables, as_tables

DEFAULT_METHOD = "g_estimation"  # chosen on four worlds (module docstring; docs/evidence.md)
# Below this many treated patients with post-treatment visits the default's interval is not calibrated on the
# second world (docs/calibration.md: about 8 treated of 200 -> a bias against treatment of about three quarters
# of the SE, and the SE too small).
FEW_TREATED = 20
# Standardised difference of the rate of loss from onset to the first visit (ΔFRS for the total), treated vs
# untreated, above which the default warns that treated patients may have been chosen for their rate of decline
# (selection on the random slope: docs/world2_ablation.md).  0.5 is Cohen's "medium" difference.  Chosen
# knowing both calibration worlds (it decides a warning, not an estimate): the "warned" column of
# docs/calibration.md shows it firing on the second world, where that selection happens, and not on
# alscell.simulate.
SELECTION_SMD = 0.5
MIN_GROUP = FEW_TREATED  # patients per group for that difference (fewer: too noisy; the few-treated warning fires)
LOGIT_OFFSET = 1.0  # c of the logit log((y + c)/(48 − y + c)) of lmm_counterfactual (points of the total)


class MethodError(NotApplicable):
    """A method that does not exist or cannot be applied to these data (one sentence)."""


# --------------------------------------------------------------------------- helpers
def _unit(outcome: str) -> str:
    return f"{outcome_info(outcome)['unit']}/month"


def _direction_warning(outcome: str) -> list[str]:
    info = outcome_info(outcome)
    out = []
    if info["direction"] < 0:
        out.append(f"lower {outcome} is better: the sign is flipped so that a positive estimate means benefit.")
    if info["log"]:
        out.append(f"{outcome} is analysed on the natural-log scale (estimate in log units per month).")
    return out


def _empty(outcome, method, estimand, n_patients=0, n_treated=0, n_visits=0, why="") -> Estimate:
    nan = float("nan")
    return Estimate(
        outcome,
        estimand,
        _unit(outcome),
        method,
        nan,
        nan,
        nan,
        nan,
        n_patients,
        n_treated,
        n_visits,
        [why] if why else [],
    )


def prepare(tables: Tables, outcome: str, *, include_sham: bool = False) -> pd.DataFrame:
    """Outcome frame plus ``t0`` (first treatment date), ``days_after`` (days from t0, NaN if never treated);
    ``attrs["notes"]`` says what :func:`~alscell.analysis.design_matrix.outcome_frame` left out."""
    df = outcome_frame(tables, outcome)
    if df.empty:
        what = "ALSFRS-R visits" if outcome in ALSFRS_OUTCOMES else f"{outcome} measurements"
        raise OutcomeError(f"the data hold no {what}, so {outcome} cannot be analysed.")
    ft = first_treatment(tables, include_sham=include_sham)
    t0 = df["patient_id"].map(ft.set_index("patient_id")["date"]) if len(ft) else pd.Series(pd.NaT, index=df.index)
    df["t0"] = pd.to_datetime(t0)
    df["days_after"] = (df["date"] - df["t0"]).dt.days.astype(float)
    return df


def trigger_note(keep: np.ndarray, df: pd.DataFrame, n: int) -> list[str]:
    """The warning that says how many visits :func:`exclude_trigger_visits` left out (nothing if none)."""
    k = int((~keep).sum())
    if not k:
        return []
    pts = int(df.loc[~keep, "patient_id"].nunique())
    return [
        f"{k} visits of {pts} treated patients left out: the last {n} before the first treatment, "
        "which may have prompted it."
    ]


def exclude_trigger_visits(df: pd.DataFrame, n: int) -> np.ndarray:
    """Mask of rows to keep: drops each treated patient's last ``n`` visits up to and including the day of
    the first treatment (a visit on that day is the one that prompted it, not a post-treatment visit)."""
    if n <= 0 or df.empty:
        return np.ones(len(df), bool)
    d = df["days_after"].to_numpy()
    pre = np.isfinite(d) & (d <= 0)  # a visit on the treatment day was seen before the injection
    rank = (
        pd.Series(np.where(pre, d, np.nan))
        .groupby(df["patient_id"].to_numpy())
        .rank(ascending=False, method="first")
        .to_numpy()
    )
    return ~(pre & (rank <= n))


def _counts(df: pd.DataFrame) -> tuple[int, int, int]:
    treated = df.loc[np.isfinite(df["days_after"].to_numpy()), "patient_id"].nunique()
    return int(df["patient_id"].nunique()), int(treated), len(df)


# --------------------------------------------------------------------------- lmm_counterfactual
def _selection_warning(df: pd.DataFrame, top: float | None) -> list[str]:
    """Warn when treated and untreated patients differed at entry in their rate of loss since onset (see
    ``SELECTION_SMD``): the random slopes of a mixed model are assumed independent of who gets treated."""
    if top is None:
        return []
    first = df.loc[df.groupby("patient_id")["months"].idxmin()]
    ever = np.isfinite(first["days_after"].to_numpy(dtype=float))  # days from first treatment: NaN if never
    rate = np.clip((top - first["y"].to_numpy(dtype=float)) / np.maximum(first["months"].to_numpy(float), 0.5), 0, 10)
    a, b = rate[ever & np.isfinite(rate)], rate[~ever & np.isfinite(rate)]
    if min(len(a), len(b)) < MIN_GROUP:
        return []
    pooled = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    d = (a.mean() - b.mean()) / pooled if pooled > 0 else 0.0
    if abs(d) <= SELECTION_SMD:
        return []
    faster = "faster" if d > 0 else "slower"
    return [
        f"treated patients were losing points {faster} from onset to their first visit than untreated ones "
        f"(standardised difference {d:+.2f}): if they were chosen for treatment because of how fast they were "
        "declining, this estimate leans, more data do not remove the lean, and in small cohorts its interval is "
        "also too narrow (docs/world2_ablation.md, docs/world2_coverage.md)."
    ]


def few_treated_warning(n_post: int) -> list[str]:
    """The warning for fewer than ``FEW_TREATED`` treated patients with visits after treatment."""
    if n_post >= FEW_TREATED:
        return []
    return [
        f"only {n_post} treated patients have visits after treatment: with this few the estimate and its "
        "interval are fragile (on a second simulated world with about 8 treated patients the estimate leaned "
        "against treatment and its SE was about two thirds of the real spread; docs/calibration.md)."
    ]


def t_estimate(
    outcome: str,
    estimand: str,
    method: str,
    est: float,
    se: float,
    dfree: float,
    alpha: float,
    counts: tuple[int, int, int],
    warn: list[str],
    *,
    data: pd.DataFrame | None = None,
    details: dict | None = None,
) -> Estimate:
    """An Estimate with the t interval est ± t(1 − α/2; df)·se and the two-sided p of the same statistic.
    ``counts``: (patients, treated, visits)."""
    q = t_ppf(1 - alpha / 2, dfree)
    p = float(2 * t_sf(abs(est / se), dfree)) if se > 0 else float("nan")
    return Estimate(
        outcome, estimand, _unit(outcome), method, float(est), float(est - q * se), float(est + q * se), p,
        *counts, warn, data, se=float(se), details=details or {},
    )  # fmt: skip


def _scale_max(outcome: str) -> float | None:
    """Upper bound of a bounded ALSFRS-R outcome (48 for the total, 12 for a subscore); None otherwise."""
    if outcome not in ALSFRS_OUTCOMES:
        return None
    return float(TOTAL_MAX if outcome == "alsfrs_r_total" else SUBSCORE_MAX)


def entry_terms(df: pd.DataFrame, tc: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Fixed effects of log(months from onset at each patient's first row of ``df``), main and × time
    (``tc``, centred), for the mixed models of the headline, the claims table and the cycles.

    Diagnostic delay is prognostic (Westeneng et al., Lancet Neurol 2018): fast progressors reach the
    clinic sooner after onset.  Letting the mean intercept and slope depend on it shrinks each patient's
    random slope towards the course of patients who entered alike, not towards the slower survivors that
    dominate late follow-up (death at a low score removes fast progressors early).  It is fixed before any
    post-treatment outcome, so it is a valid adjustment whatever the effect.  Empty if it does not vary.
    """
    entry = df.groupby("patient_id")["months"].transform("min").to_numpy(dtype=float)
    e = np.log(np.maximum(np.nan_to_num(entry, nan=np.nanmedian(entry) if np.isfinite(entry).any() else 1.0), 1.0))
    e = e - e.mean()
    if not np.isfinite(e).all() or e.std() < 1e-6:
        return np.empty((len(tc), 0)), []
    return np.column_stack([e, e * tc]), ["log_entry", "log_entry:time"]


def course_design(df: pd.DataFrame, n_knots: int = 4) -> tuple[np.ndarray, list[str], np.ndarray]:
    """The natural-history part of the headline's mixed model: fixed effects (intercept, restricted cubic
    spline of months since onset, :func:`entry_terms`) with their names, and the random-effects design
    (intercept, centred time)."""
    t = df["months"].to_numpy()
    B, bn = time_spline(t, n_knots)
    tc = (t - t.mean()) / TIME_SCALE
    # months from onset at the patient's first analysed visit (after any excluded trigger visits; for a
    # patient without a kept pre-treatment visit, the first visit after treatment): fixed before any
    # post-treatment outcome is seen, so a valid adjustment whatever the effect
    E, en = entry_terms(df, tc)
    X0 = np.column_stack([np.ones(len(t)), B, E])
    return X0, ["intercept", *bn, *en], np.column_stack([np.ones(len(t)), tc])


def _map_back(fit, gid, post: np.ndarray, g: float, se_g: float, top: float, off: float) -> tuple[float, float]:
    """Points per logit unit at the counterfactual course, and the SE of the slope change in points.

    The factor f̄(γ) is the mean of dy/du = 1/(1/(y+c) + 1/(top−y+c)) over the post-treatment visits, taken
    at each patient's *fitted* untreated course (Xβ̂ + Zb̂ − γ̂·post, not the noisy observed score: dy/du is
    concave, so noise alone shrinks it).  The points-scale effect θ = γ·f̄(γ); its SE by the delta method,
    dθ/dγ = f̄ + γ·f̄′(γ), plus γ² times the between-patient sampling variance of f̄ (a mean over patients).
    """
    res = fit.result
    sel = post > 0
    b = res.random_effects.to_numpy()[pd.Index(res.group_labels).get_indexer(gid[sel])]
    Zs = fit.Z[sel][:, list(res.re_cols)]
    pidx = fit.names.index("post")
    u_cf = fit.X[sel] @ res.fe_params.to_numpy() + np.einsum("ij,ij->i", Zs, b) - g * fit.X[sel, pidx]
    e = np.exp(-np.abs(u_cf))
    sig = np.where(u_cf >= 0, 1.0 / (1.0 + e), e / (1.0 + e))  # expit(u_cf), overflow-safe
    y_cf = np.clip((top + 2 * off) * sig - off, 0.0, top)
    f = 1.0 / (1.0 / (y_cf + off) + 1.0 / (top - y_cf + off))
    # d f / d u at the course (where y is inside the range): dy/du · d f/dy; d u/dγ = −post
    dfdy = f**2 * (1.0 / (y_cf + off) ** 2 - 1.0 / (top - y_cf + off) ** 2)
    fprime = float(np.mean(dfdy * f * -post[sel]))
    fbar = float(f.mean())
    codes, _ = pd.factorize(gid[sel])
    n_j = np.bincount(codes)
    s_j = np.bincount(codes, weights=f - fbar)
    var_fbar = float((s_j**2).sum() / n_j.sum() ** 2)
    se = float(np.sqrt((fbar + g * fprime) ** 2 * se_g**2 + g**2 * var_fbar))
    return fbar, se


def lmm_counterfactual(
    tables,
    outcome="alsfrs_r_total",
    *,
    exclude_pre_visits: int = 0,
    n_knots: int = 4,
    cov_type: str = "robust",
    alpha: float = 0.05,
    data: pd.DataFrame | None = None,
    scale: str = "identity",
    logit_offset: float = LOGIT_OFFSET,
    bounds: str = "none",
    adjust_raters: bool = False,
) -> Estimate:
    """Slope change after first treatment vs each patient's expected natural history (module docstring).

    ``bounds``: ``"none"`` (default) fits the mean as a straight line in points; ``"censored"`` (method
    ``lmm_bounded``) makes the mean of a bounded ALSFRS-R outcome the mean of the latent course plus noise
    clipped to the scale (``alscell.analysis.bounded_course``), fitted by Lindstrom–Bates linearisation;
    for other outcomes it is the default model.

    ``scale``: ``"identity"`` (default) fits the outcome as is; ``"auto"`` fits ALSFRS-R outcomes on the
    logit scale and everything else as is; ``"logit"`` forces the logit scale (ALSFRS-R outcomes only).  ``logit_offset`` is the offset c of the logit, in points of the 48-point
    total (scaled to the range of a subscore).

    ``adjust_raters``: for ALSFRS-R outcomes, a fixed level per rating mode other than a clinician's
    (:func:`alscell.analysis.rater.rater_flags`; ``details["raters_held"]``), learned within patients against
    their own course, so a mode whose share changes at the start no longer enters the slope change as a step.
    A constant offset per mode (on the model's scale), not one that changes with the course.  Off by default
    (the calibration pages were measured without it); ``--sensitivity`` turns it on for the alternatives when
    the primary took the raters into account (alscell.analysis.sensitivity).
    """
    method, estimand = "lmm_counterfactual" if bounds == "none" else "lmm_bounded", "slope_change"
    if scale not in ("auto", "logit", "identity"):
        raise MethodError(f"unknown scale {scale!r}: use auto, logit or identity.")
    if bounds not in ("none", "censored"):
        raise MethodError(f"unknown bounds {bounds!r}: use none or censored.")
    if bounds != "none" and scale != "identity":
        raise MethodError("bounds are modelled on the points scale: use scale='identity' with bounds='censored'.")
    scale_max = _scale_max(outcome)
    if scale == "logit" and scale_max is None:
        raise MethodError(f"the logit scale needs a bounded ALSFRS-R outcome, not {outcome}.")
    use_logit = scale != "identity" and scale_max is not None
    top = float(scale_max) if scale_max is not None else 0.0
    df = prepare(tables, outcome) if data is None else data
    warn = _direction_warning(outcome) + list(df.attrs.get("notes", []))
    keep = exclude_trigger_visits(df, exclude_pre_visits)
    warn += trigger_note(keep, df, exclude_pre_visits)
    if not exclude_pre_visits:  # with the trigger visits kept, the model must predict the recovery after them
        warn += trigger_drop_warning(df, scale_max)
        warn += pretrend_warning(df, scale_max, n_knots)
    df = df[keep].reset_index(drop=True)
    n_pat, n_tr, n_vis = _counts(df)
    d = df["days_after"].to_numpy()
    post = np.where(np.isfinite(d) & (d >= 0), d / DPM, 0.0)
    n_post_pat = df.loc[post > 0, "patient_id"].nunique()
    if n_pat < 5 or n_post_pat < 2 or n_vis < 3 * n_pat // 2:
        return _empty(
            outcome,
            method,
            estimand,
            n_pat,
            n_tr,
            n_vis,
            "too few patients or visits after treatment for the mixed model.",
        )
    if n_tr == n_pat:
        warn.append("no untreated patients: natural history comes from pre-treatment visits only.")
    warn += _selection_warning(df, scale_max)
    warn += few_treated_warning(n_post_pat)
    y = df["y"].to_numpy(dtype=float)
    factor = 1.0
    if use_logit:
        c = logit_offset * top / TOTAL_MAX
        yc = np.clip(y, 0.0, top)
        y = np.log((yc + c) / (top - yc + c))
    X0, names0, Z = course_design(df, n_knots)
    X = np.column_stack([X0, post])
    names = [*names0, "post"]
    gid = df["patient_id"].to_numpy()
    bounded = bounds == "censored" and scale_max is not None
    extra: dict = {"bounds": "censored" if bounded else "none"}
    if adjust_raters and outcome in ALSFRS_OUTCOMES:
        X, names, extra["raters_held"] = _with_rater_levels(tables, df, X, names)
    if bounds == "censored" and not bounded:
        warn.append(f"{outcome} has no floor or ceiling in the model: fitted as lmm_counterfactual.")
    if bounded:
        from alscell.analysis.bounded_course import CensoredMean, fit_linearised

        lin = fit_linearised(y, X, Z, gid, names, CensoredMean(top), required=("post",), cov_type=cov_type)
        fit, y = lin.fit, lin.working  # the sandwich of the final linearised model
        extra.update(
            iterations=lin.iterations, converged=lin.converged, noise_sd=float(getattr(lin.link, "sigma", np.nan))
        )
        if not lin.converged:
            warn.append(
                f"the bounded model did not reach a fixed point in {lin.iterations} linearisation steps: "
                "the estimate is the last step's."
            )
    else:
        fit = fit_mixed(y, X, Z, gid, names, required=("post",), cov_type=cov_type, df_method="none")
    res = fit.result
    warn += fit.notes
    c = mixed_contrast(fit, y, gid, {"post": 1.0}, cov_type=cov_type, alpha=alpha)
    est_u, se_u, dfree = float(c["estimate"]), float(c["se"]), float(c["df"])
    se_pts = se_u
    if use_logit:
        factor, se_pts = _map_back(fit, gid, post, est_u, se_u, top, logit_offset * top / TOTAL_MAX)
    direction = outcome_info(outcome)["direction"]
    sgn = direction * factor
    est_pts = sgn * est_u
    q = t_ppf(1 - alpha / 2, dfree)
    lo, hi = est_pts - q * se_pts, est_pts + q * se_pts
    # p from the same Wald statistic as the interval, so "p < 0.05" and "CI excludes 0" agree
    p_val = float(2 * t_sf(abs(est_pts / se_pts), dfree)) if se_pts > 0 else float("nan")
    details = {
        "df": dfree,
        "model": res,
        "excluded_pre_visits": exclude_pre_visits,
        "scale": "logit" if use_logit else "identity",
        **extra,
    }
    if use_logit:
        details.update(
            {
                "logit_offset": float(logit_offset),
                "points_per_logit_unit": factor,
                "estimate_logit": float(c["estimate"]),
                "se_logit": float(c["se"]),
            }
        )
    return Estimate(
        outcome,
        estimand,
        _unit(outcome),
        method,
        float(est_pts),
        float(lo),
        float(hi),
        p_val,
        n_pat,
        n_tr,
        n_vis,
        warn,
        df.assign(post_months=post),
        se=float(se_pts),
        details=details,
    )


def _with_rater_levels(tables, df: pd.DataFrame, X: np.ndarray, names: list[str]) -> tuple[np.ndarray, list, list]:
    """(X, names, modes): the design with a 0/1 column per rating mode other than a clinician's that adds rank
    (a mode on every visit, or on none, has no level of its own to learn)."""
    flags, modes = rater_flags(tables, df)
    held: list[str] = []
    for j, mode in enumerate(modes):
        trial = np.column_stack([X, flags[:, j]])
        if np.linalg.matrix_rank(trial) > np.linalg.matrix_rank(X):
            X, names, held = trial, [*names, f"rater_{mode}"], [*held, mode]
    return X, names, held


# --------------------------------------------------------------------------- naive


def naive(tables, outcome="alsfrs_r_total", *, alpha: float = 0.05, data: pd.DataFrame | None = None) -> Estimate:
    """Before/after slope comparison in treated patients — the misleading baseline (module docstring)."""
    method, estimand = "naive", "slope_change"
    df = prepare(tables, outcome) if data is None else data
    warn = [
        "naive before/after comparison: regression to the mean after a bad-looking visit, curvilinear "
        "decline and dropout make it show improvement where there is none; do not use it as evidence."
    ]
    warn += _direction_warning(outcome) + list(df.attrs.get("notes", []))
    d = df["days_after"].to_numpy()
    tr = df[np.isfinite(d)].assign(pre=lambda x: x["days_after"] < 0, post=lambda x: x["days_after"] >= 0)
    pre, post = per_patient_slopes(tr, "pre"), per_patient_slopes(tr, "post")
    both = pre.index.intersection(post.index)
    n_pat = len(both)
    n_left = int(tr["patient_id"].nunique()) - n_pat
    if n_left:
        warn.append(f"{n_left} treated patients left out: fewer than 2 visits before or after treatment.")
    used = tr[tr["patient_id"].isin(both)]
    if n_pat < 2:
        return _empty(
            outcome,
            method,
            estimand,
            n_pat,
            n_pat,
            len(used),
            "fewer than 2 treated patients with 2 visits before and 2 after treatment.",
        )
    sgn = outcome_info(outcome)["direction"]
    diff = sgn * (post.loc[both] - pre.loc[both]).to_numpy()
    m, se = diff.mean(), diff.std(ddof=1) / np.sqrt(n_pat)
    return t_estimate(outcome, estimand, method, m, se, n_pat - 1, alpha, (n_pat, n_pat, len(used)), warn, data=used)


# --------------------------------------------------------------------------- external control
def _index_frame(tables, df: pd.DataFrame) -> pd.DataFrame:
    """Per patient: index date, treated flag and covariates at the index visit (last visit on/before index)."""
    first_visit = df.groupby("patient_id")["date"].min()
    t0 = df.groupby("patient_id")["t0"].first()
    treated = t0.notna()
    lag = (t0[treated] - first_visit[treated]).dt.days
    med_lag = float(np.nanmedian(lag)) if len(lag) else 0.0
    index = t0.copy()
    target = first_visit[~treated] + pd.to_timedelta(med_lag, unit="D")
    # controls: nearest visit to the target date
    ctrl = df[df["patient_id"].isin(target.index)].copy()
    ctrl["gap"] = (ctrl["date"] - ctrl["patient_id"].map(target)).dt.days.abs()
    near = ctrl.sort_values(["patient_id", "gap"]).groupby("patient_id")["date"].first()
    index.loc[near.index] = near
    idx = pd.DataFrame({"index_date": index, "treated": treated.astype(float)})
    # covariates from ALSFRS-R total at the last visit on/before the index date
    tot = prepare(tables, "alsfrs_r_total")[["patient_id", "date", "months", "y"]]
    tot = tot[tot["date"] <= tot["patient_id"].map(idx["index_date"])]
    last = tot.sort_values("date").groupby("patient_id").last()
    idx["alsfrs_index"] = last["y"]
    idx["months_index"] = last["months"]
    idx["dfrs"] = pd.Series(delta_frs_covariate(last["y"].to_numpy(), last["months"].to_numpy()), index=last.index)
    fvc = outcome_frame(tables, "fvc_pct_pred")  # empty when no FVC was measured
    fvc = fvc[fvc["date"] <= fvc["patient_id"].map(idx["index_date"])]
    idx["fvc_index"] = fvc.sort_values("date").groupby("patient_id")["y"].last()
    cov = patient_covariates(tables)
    idx = idx.join(cov, how="left")
    return idx


COVARIATES = ("bulbar_onset", "dfrs", "months_index", "alsfrs_index", "fvc_index", "age", "male")


def _smd(x, t, w) -> float:
    a, b = x[t == 1], x[t == 0]
    wa, wb = w[t == 1], w[t == 0]
    ma, mb = np.average(a, weights=wa), np.average(b, weights=wb)
    va, vb = a.var(ddof=1), b.var(ddof=1)  # unweighted pooled SD (Austin 2009)
    sd = np.sqrt((va + vb) / 2)
    return float((ma - mb) / sd) if sd > 0 else 0.0


def external_control(
    tables, outcome="alsfrs_r_total", *, alpha: float = 0.05, data: pd.DataFrame | None = None, trim: float = 0.01
) -> Estimate:
    """Propensity-weighted untreated controls (ATT odds weights), slopes after the index date."""
    import statsmodels.api as sm

    method, estimand = "external_control", "slope_change"
    df = prepare(tables, outcome) if data is None else data
    warn = _direction_warning(outcome)
    if not df["t0"].notna().any() or df["t0"].notna().all():
        return _empty(
            outcome, method, estimand, *_counts(df), why="external controls need treated and untreated patients."
        )
    idx = _index_frame(tables, df)
    df = df.assign(after=df["date"] > df["patient_id"].map(idx["index_date"]))
    df.loc[df["t0"].notna(), "after"] = df["days_after"] >= 0
    slopes = per_patient_slopes(df, "after")
    idx = idx.loc[idx.index.intersection(slopes.index)].copy()
    idx["slope"] = slopes
    idx = idx.dropna(subset=["slope"])
    covs = [c for c in COVARIATES if c in idx and idx[c].notna().mean() > 0.5 and idx[c].std() > 0]
    unused = [c for c in COVARIATES if c not in covs]
    if unused:
        warn.append(f"propensity model without {', '.join(unused)} (missing for half the patients or constant).")
    for c in covs:
        n_miss = int(idx[c].isna().sum())
        if n_miss:
            warn.append(f"{c} imputed with the mean for {n_miss} of {len(idx)} patients in the propensity model.")
            idx[c] = idx[c].fillna(idx[c].mean())
    if "age" in covs:
        warn += imputation_note(patient_covariates(tables), idx.index)
    t = idx["treated"].to_numpy()
    if t.sum() < 2 or (1 - t).sum() < 2:
        return _empty(
            outcome,
            method,
            estimand,
            len(idx),
            int(t.sum()),
            0,
            "too few treated or control patients with 2 visits after the index date.",
        )
    Xp = sm.add_constant(idx[covs].to_numpy(dtype=float), has_constant="add")
    from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            ps = sm.GLM(t, Xp, family=sm.families.Binomial()).fit().predict(Xp)
        except (PerfectSeparationError, PerfectSeparationWarning, np.linalg.LinAlgError, ValueError) as exc:
            ps = np.full(len(t), t.mean())
            why = "the covariates separate treated from untreated" if "eparation" in type(exc).__name__ else exc
            warn.append(f"propensity model failed ({why}); unweighted comparison.")
    ps = np.clip(ps, trim, 1 - trim)
    w = np.where(t == 1, 1.0, ps / (1 - ps))
    balance = pd.DataFrame(
        {
            "covariate": covs,
            "smd_before": [_smd(idx[c].to_numpy(float), t, np.ones_like(w)) for c in covs],
            "smd_after": [_smd(idx[c].to_numpy(float), t, w) for c in covs],
        }
    )
    bad = balance.loc[balance["smd_after"].abs() > 0.1, "covariate"].tolist()
    if bad:
        warn.append(f"imbalance after weighting (|SMD| > 0.1): {', '.join(bad)}.")
    ess = w[t == 0].sum() ** 2 / (w[t == 0] ** 2).sum()
    sgn = outcome_info(outcome)["direction"]
    y = sgn * idx["slope"].to_numpy()
    fit = sm.WLS(y, sm.add_constant(t), weights=w).fit(cov_type="HC1")
    est, se = float(fit.params[1]), float(fit.bse[1])
    dfree = max(len(t) - 2, 1)
    q = t_ppf(1 - alpha / 2, dfree)
    p = float(2 * t_sf(abs(est / se), dfree)) if se > 0 else float("nan")
    used = df[df["patient_id"].isin(idx.index) & df["after"]]
    return Estimate(
        outcome,
        estimand,
        _unit(outcome),
        method,
        est,
        est - q * se,
        est + q * se,
        p,
        len(idx),
        int(t.sum()),
        len(used),
        warn,
        used,
        se=se,
        details={"balance": balance, "effective_controls": float(ess), "propensity": pd.Series(ps, idx.index)},
    )


# --------------------------------------------------------------------------- randomized
def trial_arms(tables) -> pd.Series:
    """Per patient of a trial: 'active' or 'placebo' (from treatments.blinded_arm); empty if not trial data."""
    t = as_tables(tables)["treatments"]
    if not t["blinded_arm"].notna().any():
        return pd.Series(dtype=object)
    arm = (
        t.dropna(subset=["blinded_arm"])
        .groupby("patient_id")["blinded_arm"]
        .agg(lambda s: "active" if (s == "active").any() else "placebo")
    )
    return arm


def randomized(
    tables,
    outcome="alsfrs_r_total",
    *,
    n_knots: int = 4,
    cov_type: str = "robust",
    alpha: float = 0.05,
    data: pd.DataFrame | None = None,
) -> Estimate:
    """Trial primary analysis: post-randomisation slope difference active − placebo (mixed model)."""
    method, estimand = "randomized", "slope_difference"
    arms = trial_arms(tables)
    if arms.empty or not ((arms == "active").any() and (arms == "placebo").any()):
        raise MethodError("method randomized needs trial data: treatments with blinded_arm active and placebo.")
    df = prepare(tables, outcome, include_sham=True) if data is None else data
    df = df[df["patient_id"].isin(arms.index)].reset_index(drop=True)
    warn = _direction_warning(outcome)
    d = df["days_after"].to_numpy()
    post = np.where(np.isfinite(d) & (d >= 0), d / DPM, 0.0)
    active = (df["patient_id"].map(arms) == "active").to_numpy(float)
    t = df["months"].to_numpy()
    B, bn = time_spline(t, n_knots)
    X = np.column_stack([np.ones(len(t)), B, post, post * active])
    names = ["intercept", *bn, "post", "post_active"]
    Z = np.column_stack([np.ones(len(t)), (t - t.mean()) / TIME_SCALE])
    gid, yv = df["patient_id"].to_numpy(), df["y"].to_numpy(dtype=float)
    fit = fit_mixed(yv, X, Z, gid, names, required=("post_active",), cov_type=cov_type, df_method="none")
    res = fit.result
    warn += fit.notes
    c = mixed_contrast(fit, yv, gid, {"post_active": 1.0}, cov_type=cov_type, alpha=alpha)
    sgn = outcome_info(outcome)["direction"]
    lo, hi = sorted((sgn * c["lower"], sgn * c["upper"]))
    n_act = int(df.loc[active == 1, "patient_id"].nunique())
    return Estimate(
        outcome,
        estimand,
        _unit(outcome),
        method,
        float(sgn * c["estimate"]),
        float(lo),
        float(hi),
        float(c["p"]),
        int(df["patient_id"].nunique()),
        n_act,
        len(df),
        warn,
        df.assign(post_months=post, active=active),
        se=float(c["se"]),
        details={"model": res, "df": float(c["df"])},
    )


def g_estimation(tables, outcome="alsfrs_r_total", **options) -> Estimate:
    """Doubly robust g-estimation of the slope change (``alscell.analysis.g_estimation``; imported here when
    called, because that module builds on this one's helpers)."""
    from alscell.analysis.g_estimation import g_estimation as run

    return run(tables, outcome, **options)


def lmm_bounded(tables, outcome="alsfrs_r_total", **options) -> Estimate:
    """``lmm_counterfactual`` with the floor and ceiling of a bounded ALSFRS-R outcome in the model
    (``bounds="censored"``; ``alscell.analysis.bounded_course``)."""
    return lmm_counterfactual(tables, outcome, bounds="censored", **options)


METHODS: dict[str, Callable[..., Estimate]] = {
    "lmm_counterfactual": lmm_counterfactual,
    "lmm_bounded": lmm_bounded,
    "g_estimation": g_estimation,
    "naive": naive,
    "external_control": external_control,
    "randomized": randomized,
}


def estimate_effect(
    tables: Tables, outcome: str = "alsfrs_r_total", method: str = DEFAULT_METHOD, **options
) -> Estimate:
    """Estimate the treatment effect on ``outcome`` with ``method`` (see the module docstring).

    Raises :class:`~alscell.analysis.errors.NotApplicable` (``MethodError``, ``OutcomeError``) when the
    method cannot be applied to these data; returns an Estimate with NaN numbers and the reason in its
    warnings when the data are too few."""
    tables = as_tables(tables)
    if method not in METHODS:
        raise MethodError(f"unknown method {method!r}: use one of {', '.join(METHODS)}.")
    outcome_info(outcome)  # raises OutcomeError for an unknown key
    if outcome in ALSFRS_OUTCOMES and tables["alsfrs"].empty:
        raise OutcomeError(f"the data hold no ALSFRS-R visits, so {outcome} cannot be analysed.")
    if outcome not in ALSFRS_OUTCOMES and not (tables["measurements"]["measure"] == outcome).any():
        raise OutcomeError(f"the data hold no {outcome} measurements.")
    return METHODS[method](tables, outcome, **options)


__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "TIME_SCALE",
    "MethodError",
    "OutcomeError",
    "estimate_effect",
    "exclude_trigger_visits",
    "external_control",
    "lmm_bounded",
    "lmm_counterfactual",
    "naive",
    "prepare",
    "randomized",
    "trial_arms",
    "trigger_note",
]

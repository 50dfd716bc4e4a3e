"""Responder analysis (NurOwn phase 3 definition; Cudkowicz et al., Muscle Nerve 2022;65:291).

A treated patient responds when the ALSFRS-R slope after the first treatment minus the slope before it is
≥ ``threshold`` points/month (1.25; spec/domain-rules.md, "Trial conventions").  As in the default effect
method, the last ``exclude_pre_visits`` visits before the first treatment (the ones that may have prompted
it) are left out of the pre-treatment slope; the post-treatment slope uses every visit from the first
treatment on.  In ALS a sizeable share of untreated patients "respond" too (visit noise, curvilinear
courses, short segments), so the observed rate is compared with the rate **expected under no effect**,
never with 0.

The expected rate: pseudo-treatment in untreated patients, conditional on the history
-------------------------------------------------------------------------------------
Each eligible treated patient has a *template*: ``a`` visits in the pre slope, ``gap`` (=
``exclude_pre_visits``) left-out visits, ``b`` visits in the post slope.  The same rule is applied to every
untreated patient (donor) with a pseudo-treatment at the same place in the course: first ``a`` visits =
pre segment, next ``gap`` left out, following ``b`` = post segment (same visit counts, the donor's own
spacing, noise and curvature; no model of the noise).  For each template, the donors' slope change
(post − pre) is regressed on their *history at the pseudo-treatment*: pre slope, pre-line level at the
last pre visit, the deviation of each left-out visit from the extrapolated pre line (the "drop" that may
prompt treatment), months since onset.  A treated patient's expected responder probability is
P(prediction at its own history + donor residual ≥ threshold) over the donors' empirical residuals
(inflated by √(n/(n−p)) for the fitted parameters); the expected rate is the mean over the treated.

Why conditional on the history.  Treatment starts after a bad-looking visit, and a patient still
untreated after ``a + gap`` visits had *no* such visit before: the treated patients' pre segments are
selected (flatter pre slopes, so fewer chance responders), and an unconditional null — whether simulated
from the natural-history mixed model (the previous method) or taken from untreated courses as they are —
expects about twice the observed rate under no effect (0.16 vs 0.08 on simulated registries; calibration
in docs/responders_calibration.md).  Given the observed history at the decision, the future course of a
treated and an untreated patient has the same distribution when the decision depends on the observed past
only (sequential ignorability; the usual assumption of g-methods and sequential trial emulation), so the
donors' conditional distribution is the counterfactual.  The previous mixed-model simulation also treated
the residual variance (which contains each patient's curvature misfit) as independent visit noise.  A
placebo-in-time within the treated patients' own pre-treatment course was rejected: it needs
``2 + gap + 2`` visits before the real treatment (few patients have them) and that stretch is selected too.

Uncertainty and the test.  The expected rate is itself estimated, so the test compares two samples:
``n_sim`` bootstrap replicates resample the treated patients and the donors independently, by patient,
refit the donor regressions and recompute observed − expected.  Two-sided p-value: share of centred
replicates at least as far from 0 as the observed difference.  ``expected_ci_*``: bootstrap 95% interval
of the expected rate; ``diff_ci_*``: of the excess rate.

Limits (honest).  Treatment decisions that depend on things not in the history used here (covariates,
the future) are not adjusted for; donors must be exchangeable with the treated given that history.  The
linear predictor is an approximation of a curvilinear relation.  When fewer than ``MIN_DONORS`` donors fit a
template, the donors' post segment is shortened to the longest one with enough donors (more chance
responders: conservative) and a warning says so; treated patients without enough donors are left out of
the expected rate and the test (warning).  On simulated registries the expected rate is slightly high
(≈ 0.01 above the observed rate under no effect: a little conservative).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from alscell.analysis.design_matrix import outcome_info, per_patient_slopes
from alscell.analysis.effects import exclude_trigger_visits, prepare, trigger_note
from alscell.analysis.estimate import json_value
from alscell.io.tables import Tables, as_tables

NUROWN_THRESHOLD = 1.25
MIN_DONORS = 20  # donors needed for a template before its post segment is shortened
NULL_METHOD = (
    "pseudo-treatment in untreated patients, same visit template, conditional on the history at the "
    "decision; two-sample patient bootstrap"
)


@dataclass
class ResponderResult:
    outcome: str
    threshold: float
    n: int  # eligible treated patients (≥ 2 visits before and after)
    n_responders: int
    observed_rate: float
    ci_low: float  # Clopper–Pearson 95% for the observed rate
    ci_high: float
    expected_rate: float  # under no effect: the same rule on untreated patients' courses (module docstring)
    expected_ci_low: float  # bootstrap 95% interval of the expected rate (donor and treated resampling)
    expected_ci_high: float
    p_value: float  # two-sided, observed vs expected, two-sample patient bootstrap
    warnings: list[str] = field(default_factory=list)
    per_patient: pd.DataFrame | None = field(default=None, repr=False)
    diff_ci_low: float = float("nan")  # bootstrap 95% interval of observed − expected
    diff_ci_high: float = float("nan")
    n_donors: int = 0  # untreated patients whose courses gave pseudo-treatment segments
    n_templates: int = 0  # distinct (pre visits, post visits) templates among the eligible treated
    null_method: str = NULL_METHOD
    details: dict = field(default_factory=dict, repr=False)

    @property
    def excess_rate(self) -> float:
        return self.observed_rate - self.expected_rate

    SCALARS = (
        "outcome", "threshold", "n", "n_responders", "observed_rate", "ci_low", "ci_high", "expected_rate",
        "expected_ci_low", "expected_ci_high", "p_value", "diff_ci_low", "diff_ci_high", "n_donors",
        "n_templates", "null_method",
    )  # fmt: skip

    def to_json_dict(self) -> dict:
        """The scalar fields (``SCALARS``) and ``warnings``; non-finite numbers become null."""
        return {**{k: json_value(getattr(self, k)) for k in self.SCALARS}, "warnings": list(self.warnings)}


def clopper_pearson(k, n, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial interval (Clopper & Pearson 1934), vectorised; NaN where n = 0."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        hi = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    lo = np.where(n > 0, lo, np.nan)
    hi = np.where(n > 0, hi, np.nan)
    return lo, hi


def _slope_diff(frame: pd.DataFrame) -> pd.Series:
    pre = per_patient_slopes(frame.assign(m=frame["days_after"] < 0), "m")
    post = per_patient_slopes(frame.assign(m=frame["days_after"] >= 0), "m")
    both = pre.index.intersection(post.index)
    return post.loc[both] - pre.loc[both]


def _padded(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-patient courses as (months, y) matrices padded with NaN, plus the number of visits."""
    codes, uniq = pd.factorize(frame["patient_id"])
    pos = frame.groupby(codes).cumcount().to_numpy()
    L = int(pos.max()) + 1 if len(pos) else 0
    M = np.full((len(uniq), L), np.nan)
    Y = np.full((len(uniq), L), np.nan)
    M[codes, pos] = frame["months"].to_numpy(float)
    Y[codes, pos] = frame["y"].to_numpy(float)
    return M, Y, np.bincount(codes, minlength=len(uniq))


def _seg_slope(M: np.ndarray, Y: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Least-squares slope over columns lo..hi-1 (rows with NaN there give NaN)."""
    m, y = M[:, lo:hi], Y[:, lo:hi]
    mc = m - m.mean(axis=1, keepdims=True)
    sxx = (mc**2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sxx > 1e-9, (mc * (y - y.mean(axis=1, keepdims=True))).sum(axis=1) / sxx, np.nan)


def _features(M: np.ndarray, Y: np.ndarray, a: int, gap: int, b: int, sgn: float) -> tuple[np.ndarray, np.ndarray]:
    """History features at the (pseudo-)treatment and the post − pre slope change (NaN: course too short).

    Features: 1, pre slope, pre-line level at the last pre visit, each left-out visit's deviation from the
    pre line extrapolated to it (the drop that may have prompted treatment), months since onset at the last
    left-out visit.  All signed so that larger = better.
    """
    G = M.shape[0]
    if M.shape[1] < a + gap + b:
        return np.full((G, 4 + gap), np.nan), np.full(G, np.nan)
    m, y = M[:, :a], Y[:, :a]
    mm, ym = m.mean(axis=1), y.mean(axis=1)
    s_pre = _seg_slope(M, Y, 0, a)
    last = m[:, a - 1]
    cols = [np.ones(G), sgn * s_pre, sgn * (ym + s_pre * (last - mm))]
    for j in range(a, a + gap):
        cols.append(sgn * (Y[:, j] - (ym + s_pre * (M[:, j] - mm))))
    cols.append(M[:, a + gap - 1] if gap else last)
    d = sgn * (_seg_slope(M, Y, a + gap, a + gap + b) - s_pre)
    return np.column_stack(cols), d


def _wls(X: np.ndarray, d: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least squares (tiny ridge for stability) for a stack of weight vectors w (B × D) → B × p."""
    XtW = X.T[None, :, :] * w[:, None, :]
    A = XtW @ X + 1e-8 * np.eye(X.shape[1])[None]
    return np.linalg.solve(A, (XtW @ d)[..., None])[..., 0]


def _probs(Xt: np.ndarray, X: np.ndarray, d: np.ndarray, w: np.ndarray, threshold: float) -> np.ndarray:
    """P(slope change ≥ threshold | history) for treated rows Xt, from donors (X, d) with weights w (B × D):
    linear predictor + the donors' weighted empirical residual distribution (leverage-inflated)."""
    beta = _wls(X, d, w)  # B × p
    res = d[None, :] - beta @ X.T  # B × D
    n_eff, p = w.sum(axis=1, keepdims=True), X.shape[1]
    res = res * np.sqrt(n_eff / np.maximum(n_eff - p, 1.0))
    mu = beta @ Xt.T  # B × nt
    hit = (mu[:, :, None] + res[:, None, :]) >= threshold  # B × nt × D
    return (hit * w[:, None, :]).sum(axis=2) / n_eff


def responder_analysis(
    tables: Tables,
    threshold: float = NUROWN_THRESHOLD,
    *,
    outcome: str = "alsfrs_r_total",
    exclude_pre_visits: int = 2,
    n_sim: int = 500,
    seed: int = 0,
) -> ResponderResult:
    """NurOwn responder rate vs the rate expected under no effect (module docstring).

    ``n_sim``: bootstrap replicates (treated and donors resampled by patient) for the expected rate's
    uncertainty and the p-value.
    """
    full = prepare(as_tables(tables), outcome)
    keep_rows = exclude_trigger_visits(full, exclude_pre_visits)
    df = full[keep_rows].reset_index(drop=True)
    sgn = float(outcome_info(outcome)["direction"])
    treated = df[np.isfinite(df["days_after"].to_numpy())]
    diff = sgn * _slope_diff(treated)
    n = len(diff)
    warn: list[str] = list(full.attrs.get("notes", [])) + trigger_note(keep_rows, full, exclude_pre_visits)
    n_short = int(treated["patient_id"].nunique()) - n
    if n_short:
        warn.append(f"{n_short} treated patients left out: fewer than 2 visits before or after treatment.")
    nan = float("nan")
    if n == 0:
        return ResponderResult(
            outcome,
            threshold,
            0,
            0,
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            [*warn, "no treated patient has 2 visits before and 2 after the first treatment."],
        )
    resp = (diff >= threshold).to_numpy()
    k = int(resp.sum())
    lo, hi = clopper_pearson(k, n)
    # each eligible treated patient's template: a visits in the pre slope, `gap` left out, b in the post slope
    el = treated[treated["patient_id"].isin(diff.index)]
    n_pre = el[el["days_after"] < 0].groupby("patient_id").size().reindex(diff.index).to_numpy()
    n_post = el[el["days_after"] >= 0].groupby("patient_id").size().reindex(diff.index).to_numpy()
    gap = max(int(exclude_pre_visits), 0)
    per = pd.DataFrame(
        {
            "slope_change": diff,
            "responder": diff >= threshold,
            "pre_visits": n_pre,
            "post_visits": n_post,
            "expected_prob": nan,
        }
    )
    templ, t_idx = np.unique(np.column_stack([n_pre, n_post]), axis=0, return_inverse=True)
    t_idx = t_idx.ravel()
    tfull = full[full["patient_id"].isin(diff.index)]
    Mt, Yt, _ = _padded(tfull.set_index("patient_id").loc[diff.index].reset_index())
    dfull = full[~np.isfinite(full["days_after"].to_numpy())]
    M, Y, _ = _padded(dfull)
    D = M.shape[0]
    rng = np.random.default_rng(seed)
    B = int(max(n_sim, 1))
    wd_all = np.vstack([np.ones(D), rng.multinomial(D, np.full(D, 1.0 / D), size=B)]) if D else np.zeros((B + 1, 0))
    P = np.full((B + 1, n), np.nan)  # row 0: point estimate, rows 1..B: bootstrap replicates
    used = np.zeros(D, bool)
    shortened = 0
    for j, (a, b) in enumerate(templ):
        rows = np.flatnonzero(t_idx == j)
        Xt, _dt = _features(Mt[rows], Yt[rows], int(a), gap, int(b), sgn)
        for bb in range(int(b), 1, -1):
            X, d = _features(M, Y, int(a), gap, bb, sgn)
            ok = np.isfinite(d) & np.isfinite(X).all(axis=1)
            if ok.sum() >= MIN_DONORS:
                break
        if ok.sum() < MIN_DONORS:
            continue
        shortened += int(bb < b) * len(rows)
        used |= ok
        P[:, rows] = _probs(Xt, X[ok], d[ok], wd_all[:, ok], threshold)
    n_donors = int(used.sum())
    if shortened:
        warn.append(
            f"{shortened} treated patient(s) had fewer than {MIN_DONORS} untreated donors with as long a "
            "course; their donors' post segments were shortened (more chance responders: conservative)."
        )
    keep = np.isfinite(P[0])
    nk = int(keep.sum())
    if nk == 0:
        warn.append(
            f"fewer than {MIN_DONORS} untreated patients have courses long enough for the "
            "pseudo-treatment null; the expected rate is not available."
        )
        return ResponderResult(
            outcome,
            threshold,
            n,
            k,
            k / n,
            float(lo),
            float(hi),
            nan,
            nan,
            nan,
            nan,
            warn,
            per,
            n_donors=n_donors,
            n_templates=len(templ),
        )
    if nk < n:
        warn.append(
            f"{n - nk} treated patient(s) have too few untreated donors with a long enough course and are "
            "left out of the expected rate and the test."
        )
    per["expected_prob"] = P[0]
    rk, Pk = resp[keep].astype(float), P[:, keep]
    obs_k, exp_rate = float(rk.mean()), float(Pk[0].mean())
    wt = rng.multinomial(nk, np.full(nk, 1.0 / nk), size=B).astype(float)  # treated resampled, B × nk
    obs_b = wt @ rk / nk
    exp_b = (wt * Pk[1:]).sum(axis=1) / nk
    dlt, db = obs_k - exp_rate, obs_b - exp_b
    p = float((1 + np.sum(np.abs(db - dlt) >= abs(dlt) - 1e-12)) / (B + 1))
    return ResponderResult(
        outcome,
        threshold,
        n,
        k,
        k / n,
        float(lo),
        float(hi),
        exp_rate,
        float(np.quantile(exp_b, 0.025)),
        float(np.quantile(exp_b, 0.975)),
        min(p, 1.0),
        warn,
        per,
        diff_ci_low=float(np.quantile(db, 0.025)),
        diff_ci_high=float(np.quantile(db, 0.975)),
        n_donors=n_donors,
        n_templates=len(templ),
    )


__all__ = ["MIN_DONORS", "NUROWN_THRESHOLD", "ResponderResult", "clopper_pearson", "responder_analysis"]

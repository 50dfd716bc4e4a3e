"""Responder analysis (NurOwn phase 3 definition; Cudkowicz et al., Muscle Nerve 2022;65:291).

A treated patient responds when the ALSFRS-R slope after the first treatment minus the slope before it is
≥ ``threshold`` points/month (1.25; spec/domain-rules.md, "Trial conventions").  In ALS a sizeable share of
untreated patients "respond" too: noise, curvilinear courses and the choice of the treatment moment make
post − pre differences large by chance.  So the observed rate is compared with the rate **expected under
no effect from the same mixed model** (never with 0): the natural-history model (restricted cubic spline
of months since onset, random intercept and slope, fitted to all patients without a treatment term) is
simulated at each responder-eligible patient's own visit dates, ``n_sim`` times, and the responder rule is
applied to every replicate.  p-value: the share of replicates with at least as many responders (one-sided,
benefit), doubled and capped at 1 (two-sided).

As in the default effect method, the last ``exclude_pre_visits`` visits before the first treatment
(the ones that may have prompted it) are left out of the pre-treatment slope.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from alscell.analysis.effects import _ols_slopes, _spline, exclude_trigger_visits, fit_lmm_robust, prepare, TIME_SCALE
from alscell.analysis.design_matrix import outcome_info

NUROWN_THRESHOLD = 1.25


@dataclass
class ResponderResult:
    outcome: str
    threshold: float
    n: int  # eligible treated patients (≥ 2 visits before and after)
    n_responders: int
    observed_rate: float
    ci_low: float  # Clopper–Pearson 95% for the observed rate
    ci_high: float
    expected_rate: float  # under no effect, from the natural-history mixed model
    expected_ci_low: float  # 2.5–97.5% of the simulated responder rate under no effect
    expected_ci_high: float
    p_value: float
    warnings: list[str] = field(default_factory=list)
    per_patient: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def excess_rate(self) -> float:
        return self.observed_rate - self.expected_rate


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
    pre = _ols_slopes(frame.assign(m=frame["days_after"] < 0), "m")
    post = _ols_slopes(frame.assign(m=frame["days_after"] >= 0), "m")
    both = pre.index.intersection(post.index)
    return (post[both] - pre[both])


def responder_analysis(tables, threshold: float = NUROWN_THRESHOLD, *, outcome: str = "alsfrs_r_total",
                       exclude_pre_visits: int = 2, n_sim: int = 500, seed: int = 0) -> ResponderResult:
    df = prepare(tables, outcome)
    df = df[exclude_trigger_visits(df, exclude_pre_visits)].reset_index(drop=True)
    sgn = outcome_info(outcome)["direction"]
    treated = df[np.isfinite(df["days_after"].to_numpy())]
    diff = sgn * _slope_diff(treated)
    n = int(len(diff))
    warn: list[str] = []
    nan = float("nan")
    if n == 0:
        return ResponderResult(outcome, threshold, 0, 0, nan, nan, nan, nan, nan, nan, nan,
                               ["no treated patient has 2 visits before and 2 after the first treatment."])
    k = int((diff >= threshold).sum())
    lo, hi = clopper_pearson(k, n)
    # natural-history model without a treatment term, on all patients (pre-treatment visits of the treated
    # and all visits of untreated patients): the expected course under no effect
    nat = df[~(df["days_after"].to_numpy() >= 0)]
    t = nat["months"].to_numpy()
    B, bn = _spline(t, 4)
    X = np.column_stack([np.ones(len(t)), B])
    tmean = t.mean()
    Z = np.column_stack([np.ones(len(t)), (t - tmean) / TIME_SCALE])
    res, msgs = fit_lmm_robust(nat["y"].to_numpy(), X, Z, nat["patient_id"].to_numpy(), ["intercept", *bn],
                               cov_type="model")
    warn += msgs
    # simulate the eligible patients' visits under the null model
    elig = treated[treated["patient_id"].isin(diff.index)].reset_index(drop=True)
    te = elig["months"].to_numpy()
    from alscell.analysis.design_matrix import natural_spline_basis, spline_knots

    Be = natural_spline_basis(te, spline_knots(t, 4))
    Bn = natural_spline_basis(t, spline_knots(t, 4))
    Be = (Be - Bn.mean(axis=0)) / TIME_SCALE
    mu = np.column_stack([np.ones(len(te)), Be]) @ res.fe_params.to_numpy()
    Ze = np.column_stack([np.ones(len(te)), (te - tmean) / TIME_SCALE])
    cov_re = res.cov_re.to_numpy()
    if cov_re.shape[0] < 2:
        cov_re = np.pad(cov_re, ((0, 2 - cov_re.shape[0]), (0, 2 - cov_re.shape[0])))
    codes, uniq = pd.factorize(elig["patient_id"])
    rng = np.random.default_rng(seed)
    G = len(uniq)
    rates = np.empty(n_sim)
    Lc = np.linalg.cholesky(cov_re + 1e-12 * np.eye(2))
    for s in range(n_sim):
        b = rng.standard_normal((G, 2)) @ Lc.T
        y = mu + (Ze * b[codes]).sum(axis=1) + np.sqrt(res.scale) * rng.standard_normal(len(te))
        d = sgn * _slope_diff(elig.assign(y=y))
        rates[s] = float((d >= threshold).mean()) if len(d) else np.nan
    exp_rate = float(np.nanmean(rates))
    p_one = (1 + np.sum(rates * n >= k)) / (n_sim + 1)
    p_low = (1 + np.sum(rates * n <= k)) / (n_sim + 1)
    p = float(min(1.0, 2 * min(p_one, p_low)))
    per = pd.DataFrame({"slope_change": diff, "responder": diff >= threshold})
    return ResponderResult(outcome, threshold, n, k, k / n, float(lo), float(hi), exp_rate,
                           float(np.nanquantile(rates, 0.025)), float(np.nanquantile(rates, 0.975)), p, warn, per)


__all__ = ["NUROWN_THRESHOLD", "ResponderResult", "clopper_pearson", "responder_analysis"]

"""g_estimation: the closed-form g-estimate and its stacked sandwich against an independent computation
(statsmodels fits and a numerical Jacobian of the stacked estimating equations), recovery of a known slope
change where courses curve and treatment follows the observed drop, and data it cannot use."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from alscell.analysis.effects import estimate_effect
from alscell.analysis.g_estimation import g_solve
from alscell.io.tables import Tables
from registry_arrays import tables_from_totals

ITEMS = ["q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]


def _toy(seed: int = 3, n: int = 300):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n // 3), 3)
    H = rng.normal(size=(n, 3))
    A = (rng.random(n) < 1 / (1 + np.exp(-(-1.0 + H[:, 0])))).astype(float)
    D = np.where(A == 1, rng.uniform(0.3, 1.0, n), rng.uniform(0.0, 0.2, n))
    S = -1.0 + 0.5 * H[:, 1] + 0.4 * D + rng.normal(0, 0.5, n)
    return A, H, S, D, groups


def _stacked(theta, A, X, S, D):
    """The stacked estimating functions per row: logistic score, two least-squares normal equations, g."""
    k = X.shape[1]
    g, bS, bD, delta = theta[:k], theta[k : 2 * k], theta[2 * k : 3 * k], theta[-1]
    p = 1 / (1 + np.exp(-(X @ g)))
    rS, rD = S - X @ bS, D - X @ bD
    return np.column_stack([X * (A - p)[:, None], X * rS[:, None], X * rD[:, None], (A - p) * (rS - delta * rD)])


def test_g_solve_matches_independent_stacked_sandwich():
    A, H, S, D, groups = _toy()
    X = sm.add_constant((H - H.mean(0)) / H.std(0))
    logit = sm.Logit(A, X).fit(disp=0)
    p = logit.predict(X)
    delta, se = g_solve(A, p, X, S, D, groups)
    # δ from statsmodels residuals
    rS, rD = sm.OLS(S, X).fit().resid, sm.OLS(D, X).fit().resid
    assert delta == pytest.approx(np.sum((A - p) * rS) / np.sum((A - p) * rD), rel=1e-10)
    # sandwich from a numerical Jacobian of all stacked equations (no analytic derivative reused)
    theta = np.concatenate([logit.params, sm.OLS(S, X).fit().params, sm.OLS(D, X).fit().params, [delta]])
    assert np.abs(_stacked(theta, A, X, S, D).sum(0)).max() < 1e-6  # the estimate solves the equations
    J = np.empty((len(theta), len(theta)))
    for j in range(len(theta)):
        h = np.zeros_like(theta)
        h[j] = 1e-6
        J[:, j] = (_stacked(theta + h, A, X, S, D).sum(0) - _stacked(theta - h, A, X, S, D).sum(0)) / 2e-6
    U = pd.DataFrame(_stacked(theta, A, X, S, D)).groupby(groups).sum().to_numpy()
    Jinv = np.linalg.inv(J)
    V = Jinv @ (U.T @ U) @ Jinv.T
    assert se == pytest.approx(np.sqrt(V[-1, -1]), rel=1e-4)


def _registry(n: int, effect: float, seed: int) -> Tables:
    """Curved courses (not alscell.simulate), visits every 3 months, treatment started at a visit with a
    probability that rises with the observed drop since the previous visit, effect as a slope change."""
    rng = np.random.default_rng(seed)
    a = rng.lognormal(np.log(0.5), 0.3, n)
    b = rng.normal(0.004, 0.004, n)  # individually curved; kept off the floor of the scale
    entry = rng.uniform(4, 16, n)
    t = entry[:, None] + 3.0 * np.arange(8)[None, :]
    lat = 47.0 - a[:, None] * t - b[:, None] * t**2
    obs_nat = lat + rng.normal(0, 1.5, lat.shape)
    T = np.full(n, np.inf)
    for j in range(1, 7):  # decisions from the observed (untreated) totals
        drop = obs_nat[:, j - 1] - obs_nat[:, j]
        start = np.isinf(T) & (rng.random(n) < 1 / (1 + np.exp(-(-3.0 + 0.8 * drop))))
        T[start] = t[start, j]
    y = np.clip(obs_nat + effect * np.clip(t - T[:, None], 0, None), 0, 48)
    return tables_from_totals(t, y, T)


@pytest.mark.parametrize("effect", [0.0, 0.4])
def test_recovers_a_known_slope_change(effect):
    e = estimate_effect(_registry(1500, effect, seed=11), method="g_estimation")
    assert e.method == "g_estimation" and e.details["initiations"] > 100
    assert abs(e.estimate - effect) < 3 * e.se, (e.estimate, e.se)
    assert e.se < 0.1


def test_detects_a_true_effect():
    e = estimate_effect(_registry(1500, 0.4, seed=12), method="g_estimation")
    assert e.p_value < 0.05 and e.estimate > 0


def test_no_treated_patients_gives_a_reason_not_a_crash():
    t = _registry(40, 0.0, seed=1)
    t = Tables.from_frames(patients=t["patients"], alsfrs=t["alsfrs"])
    e = estimate_effect(t, method="g_estimation")
    assert np.isnan(e.estimate) and "too few" in e.warnings[-1]


def test_other_outcomes_see_the_alsfrs_course_at_each_decision():
    """FVC rows carry the latest ALSFRS-R total on or before their date and its loss per month since the
    previous ALSFRS-R visit (hand-worked), flagged where no ALSFRS-R visit precedes them."""
    from alscell.analysis.g_estimation import _alsfrs_state

    day = pd.Timestamp("2020-01-01")
    alsfrs = pd.DataFrame(
        [["P", day, *([4] * 12)], ["P", day + pd.Timedelta(days=91), *([3] * 12)]],
        columns=["patient_id", "date", *ITEMS],
    )
    t = Tables.from_frames(patients=pd.DataFrame({"patient_id": ["P"], "onset_date": day}), alsfrs=alsfrs)
    rows = pd.DataFrame({"patient_id": "P", "date": [day - pd.Timedelta(days=5), day + pd.Timedelta(days=100)]})
    s = _alsfrs_state(t, rows)
    assert s[0, 2] == 1.0 and s[1, 2] == 0.0  # the first FVC precedes every ALSFRS-R visit
    assert s[1, 0] == 36.0  # the visit of day 91, not of day 0
    assert s[1, 1] == pytest.approx(12.0 / (91 / 30.4375))  # 48 → 36 over 91 days, per month


def test_fvc_decision_model_has_the_alsfrs_terms():
    from alscell.simulate import CohortConfig, simulate_cohort

    t = simulate_cohort(CohortConfig(n_patients=200, design="registry", effect=0.0), 3).tables
    a = estimate_effect(t, "alsfrs_r_total", method="g_estimation", history="standard")
    f = estimate_effect(t, "fvc_pct_pred", method="g_estimation", history="standard")
    # FVC has no ΔFRS terms (2 fewer) and three ALSFRS-R state terms
    assert np.isfinite(f.estimate) and f.details["history_terms"] == a.details["history_terms"] - 2 + 3

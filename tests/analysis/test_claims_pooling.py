"""Partial pooling of the claims table (analysis.claims_pooling) against hand-worked empirical Bayes."""

import math

import numpy as np
import pandas as pd
import pytest

from alscell.analysis.claims_pooling import MIN_DF, pool_claims, random_effects
from alscell.analysis.results import ClaimsResult


def test_hand_worked_equal_variances():
    """y = (0, 1, 2), v = 0.25 each.  With equal variances Paule–Mandel solves
    Σ(y − ȳ)²/(v + τ²) = k − 1, so τ² = s² − v = 1 − 0.25 = 0.75; μ = 1.
    HKSJ scale = Σw(y−μ)²/(k−1) = (2/1)/2 = 1, so Var(μ) = 1/Σw = 1/3.
    B = v/(v+τ²) = 0.25: BLUPs 1 + 0.75(y − 1) = (0.25, 1, 1.75), variance 0.25·0.75 + 0.25²/3.
    Q = Σ(y−ȳ)²/v = 8 on 2 df: p = exp(−4); I² = 6/8.
    Q-profile: 2/(0.25 + τ²) = χ²₂ quantile q, χ²₂ quantile of p is −2 ln(1 − p)."""
    re = random_effects(np.array([0.0, 1.0, 2.0]), np.full(3, 0.25))
    assert re.tau2 == pytest.approx(0.75, abs=1e-6)
    assert re.mu == pytest.approx(1.0, abs=1e-9)
    assert re.mu_se == pytest.approx(math.sqrt(1 / 3), abs=1e-6)
    t975_2 = 4.302652729911275  # t quantile, 2 df, 0.975 (tables)
    assert re.mu_ci[1] == pytest.approx(1 + t975_2 * math.sqrt(1 / 3), abs=1e-5)
    np.testing.assert_allclose(re.blup, [0.25, 1.0, 1.75], atol=1e-6)
    np.testing.assert_allclose(re.blup_se, math.sqrt(0.25 * 0.75 + 0.0625 / 3), atol=1e-6)
    assert re.q == pytest.approx(8.0)
    assert re.q_p == pytest.approx(math.exp(-4.0))
    assert re.i2 == pytest.approx(0.75)
    q_hi, q_lo = -2 * math.log(1 - 0.975), -2 * math.log(1 - 0.025)
    assert re.tau2_ci[0] == pytest.approx(2 / q_hi - 0.25, abs=1e-8)
    assert re.tau2_ci[1] == pytest.approx(2 / q_lo - 0.25, abs=1e-6)


def test_shrunken_cells_get_welch_satterthwaite_df():
    """Same hand-worked example: own part a = v(1 − B) = 0.1875, μ part b = B² Var(μ) = 0.0625/3.
    With known v the df are (a + b)²/(b²/(k − 1)) = 2 · (0.2083̅/0.02083̅)² = 200; with 10 df per cell
    (a + b)²/(a²/10 + b²/2) = 0.0434028/0.0037326 = 11.628."""
    y, v = np.array([0.0, 1.0, 2.0]), np.full(3, 0.25)
    a, b = 0.25 * 0.75, 0.0625 / 3
    np.testing.assert_allclose(random_effects(y, v).blup_df, 2 * ((a + b) / b) ** 2, rtol=1e-6)
    np.testing.assert_allclose(random_effects(y, v).blup_df, 200.0, rtol=1e-6)
    want = (a + b) ** 2 / (a**2 / 10 + b**2 / 2)
    np.testing.assert_allclose(random_effects(y, v, df=np.full(3, 10.0)).blup_df, want, rtol=1e-6)
    assert want == pytest.approx(11.628, abs=1e-3)


def test_homogeneous_estimates_give_tau_zero_and_full_shrinkage():
    y = np.array([0.10, 0.12, 0.09, 0.11])
    re = random_effects(y, np.full(4, 1.0))
    assert re.tau2 == 0.0 and re.tau2_ci[0] == 0.0
    np.testing.assert_allclose(re.blup, re.mu)  # τ² = 0: every cell is the common mean
    np.testing.assert_allclose(re.blup_df, 3.0)  # ... with μ's HKSJ df, k − 1
    assert re.q_p > 0.99


def test_unequal_variances_weighted_mean_matches_definition():
    y = np.array([-1.0, 0.5, 2.0, 0.2, 1.4])
    v = np.array([0.5, 0.1, 0.8, 0.2, 0.3])
    re = random_effects(y, v)
    w = 1 / (v + re.tau2)
    assert re.mu == pytest.approx((w * y).sum() / w.sum())
    # Paule–Mandel: the generalised Q at τ̂² equals k − 1
    assert (w * (y - re.mu) ** 2).sum() == pytest.approx(len(y) - 1, rel=1e-6)


def _claims(rows: list[dict]) -> ClaimsResult:
    base = dict(domain="progression", measure="alsfrs_r_total", p_value=0.5, p_adjusted=1.0, verdict="not shown")
    base |= dict(n_patients=10, n_visits=20, unit="points", adjust="Holm", ci_low=-1.0, ci_high=1.0)
    return ClaimsResult(pd.DataFrame([base | r for r in rows]))


def test_pool_claims_uses_t_variance_and_leaves_out_low_df_cells():
    rows = [
        dict(window="long", route="intrathecal", cell_source="bone_marrow", estimate=0.0, se=0.5, df=10.0),
        dict(window="long", route="intravenous", cell_source="bone_marrow", estimate=1.0, se=0.5, df=10.0),
        dict(window="long", route="intramuscular", cell_source="adipose", estimate=2.0, se=0.5, df=10.0),
        dict(window="long", route="intravenous", cell_source="placenta", estimate=9.0, se=0.1, df=MIN_DF),
        dict(window="short", route="intrathecal", cell_source="bone_marrow", estimate=0.3, se=0.5, df=10.0),
    ]
    res = pool_claims(_claims(rows))
    assert len(res.table) == 1  # the short window has one cell: nothing to pool
    fam = res.table.iloc[0]
    assert fam["k"] == 3
    v = 0.25 * 10 / 8  # se² · df/(df − 2)
    assert fam["tau"] == pytest.approx(math.sqrt(1.0 - v), abs=1e-6)  # equal variances: τ² = s² − v
    assert fam["mu"] == pytest.approx(1.0)
    assert res.cells is not None and len(res.cells) == 3
    # cell intervals are t intervals (Welch–Satterthwaite df), wider than normal ones
    c = res.cells.table.iloc[1]
    half = (c["pooled_ci_high"] - c["pooled_ci_low"]) / 2
    a, b = v * (1 - c["shrinkage"]), c["shrinkage"] ** 2 * (fam["mu_ci_high"] - fam["mu"]) ** 2 / 4.302652729911275**2
    d = (a + b) ** 2 / (a**2 / 10 + b**2 / 2)
    from scipy import stats

    assert half == pytest.approx(stats.t.ppf(0.975, d) * math.sqrt(a + b), rel=1e-6)
    assert any("left out of the pooling" in w for w in res.warnings)
    assert set(res.to_json_dict()) >= {"rows", "cells", "warnings"}


def test_pool_claims_on_an_empty_table():
    res = pool_claims(ClaimsResult.empty())
    assert res.table.empty and res.cells is not None and res.cells.table.empty


@pytest.mark.slow
def test_effect_in_one_route_only_is_detected_as_heterogeneity():
    from alscell.analysis.claims import claims_table
    from alscell.simulate import CohortConfig, EffectModel, simulate_cohort

    off = {"intravenous": 0.0, "intramuscular": 0.0, "intraspinal": 0.0}
    cfg = CohortConfig(n_patients=400, design="registry", effect=0.8, effect_model=EffectModel(by_route=off))
    t = simulate_cohort(cfg, 11).tables
    res = pool_claims(claims_table(t, measures={"progression": ("alsfrs_r_total",)}))
    long = res.table[res.table["window"] == "long"].iloc[0]
    assert long["q_p"] < 0.01 and long["tau_ci_low"] > 0
    cells = res.cells.table
    it = cells[(cells["window"] == "long") & (cells["route"] == "intrathecal")]["pooled_estimate"].mean()
    other = cells[(cells["window"] == "long") & (cells["route"] != "intrathecal")]["pooled_estimate"].mean()
    assert it > other + 1.0

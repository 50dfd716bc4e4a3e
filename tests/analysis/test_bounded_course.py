"""lmm_bounded (alscell.analysis.bounded_course): the censored-normal mean against numerical integration, the
model is the default's far from the bounds, recovery of a known slope change where patients are followed
into the floor (where the default leans), and what it says when it cannot do more."""

import numpy as np
import pytest
from scipy import integrate, stats

from alscell.analysis.bounded_course import CensoredMean, fit_linearised
from alscell.analysis.effects import estimate_effect
from registry_arrays import floor_registry as _registry

ITEMS = ["q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]


@pytest.mark.parametrize("mu", [-4.0, -0.5, 0.0, 1.3, 24.0, 47.0, 48.0, 50.0])
def test_the_mean_is_the_mean_of_a_clipped_normal(mu):
    sd, top = 1.7, 48.0
    link = CensoredMean(top, sd)
    m, dm = link(np.array([mu]))
    # independent: numerical integration of clip(x, 0, top) against the normal density, plus the masses
    inner, _ = integrate.quad(lambda x: x * stats.norm.pdf(x, mu, sd), 0.0, top, points=[mu])
    expect = inner + top * stats.norm.sf(top, mu, sd)
    assert m[0] == pytest.approx(expect, abs=1e-7)
    h = 1e-5
    fd = (link(np.array([mu + h]))[0] - link(np.array([mu - h]))[0]) / (2 * h)
    assert dm[0] == pytest.approx(fd[0], abs=1e-6)


@pytest.mark.parametrize("effect", [0.0, 0.4])
def test_recovers_a_known_slope_change_where_patients_reach_the_floor(effect):
    t = _registry(1200, effect, seed=31)
    assert (t["alsfrs"][ITEMS].sum(axis=1) == 0).mean() > 0.1  # followed into the floor
    e = estimate_effect(t, method="lmm_bounded")
    assert e.method == "lmm_bounded" and e.details["bounds"] == "censored" and e.details["converged"]
    assert abs(e.estimate - effect) < 3 * e.se, (e.estimate, e.se)
    assert 1.0 < e.details["noise_sd"] < 3.0  # the link's width is the model's residual SD


def test_the_default_leans_on_the_same_data():
    """Why the option exists (the test can fail: were the default unbiased here, the bounds would add
    nothing on such data)."""
    d = estimate_effect(_registry(1200, 0.0, seed=31), method="lmm_counterfactual")
    assert d.estimate < -3 * d.se, (d.estimate, d.se)


def test_far_from_the_bounds_it_is_the_default():
    t = _registry(300, 0.3, seed=4, base=40.0, rate=0.4)  # courses between about 10 and 40 points
    assert t["alsfrs"][ITEMS].sum(axis=1).between(4, 44).all()
    d = estimate_effect(t, method="lmm_counterfactual")
    b = estimate_effect(t, method="lmm_bounded")
    assert b.estimate == pytest.approx(d.estimate, abs=1e-4)
    assert b.se == pytest.approx(d.se, rel=1e-3)


def test_outcomes_without_bounds_are_fitted_as_the_default_and_say_so():
    from alscell.simulate import CohortConfig, simulate_cohort

    t = simulate_cohort(CohortConfig(n_patients=120, design="registry", effect=0.0), 5).tables
    d = estimate_effect(t, "fvc_pct_pred", method="lmm_counterfactual")
    b = estimate_effect(t, "fvc_pct_pred", method="lmm_bounded")
    assert b.estimate == d.estimate and b.details["bounds"] == "none"
    assert any("no floor or ceiling" in w for w in b.warnings)


def test_a_linearisation_that_stops_early_says_so():
    rng = np.random.default_rng(0)
    g = np.repeat(np.arange(60), 6)
    t = np.tile(np.arange(6.0), 60)
    y = np.clip(30 - 8 * t + rng.normal(0, 2, len(t)), 0, 48)
    X = np.column_stack([np.ones_like(t), t])
    lin = fit_linearised(y, X, X.copy(), g, ["intercept", "time"], CensoredMean(48.0), max_iter=1)
    assert not lin.converged and lin.iterations == 1
    full = fit_linearised(y, X, X.copy(), g, ["intercept", "time"], CensoredMean(48.0))
    assert full.converged
    # the latent slope is recovered (−8 per step) where a straight line through the clipped data is flatter
    assert full.fit.result.fe_params["time"] == pytest.approx(-8.0, abs=0.4)
    assert np.polyfit(t, y, 1)[0] > -7.0

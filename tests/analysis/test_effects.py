"""Effect estimators: contract, signs, recovery of known effects on simulated data."""

import json

import numpy as np
import pytest

from alscell.analysis.design_matrix import OutcomeError, natural_spline_basis
from alscell.analysis.effects import DEFAULT_METHOD, METHODS, MethodError, estimate_effect
from alscell.analysis.estimate import JSON_KEYS, Estimate
from alscell.simulate import CohortConfig, simulate_cohort

LMM = "lmm_counterfactual"  # the mixed model: its own options (scale, exclude_pre_visits) are tested here


@pytest.fixture(scope="module")
def registry_null():
    return simulate_cohort(CohortConfig(n_patients=400, design="registry", effect=0.0), 11).tables


@pytest.fixture(scope="module")
def registry_effect():
    return simulate_cohort(CohortConfig(n_patients=400, design="registry", effect=0.8), 11).tables


def test_contract_names():
    assert DEFAULT_METHOD == "g_estimation"  # since 2026-12-04 (docs/evidence.md, "Which estimator is the default")
    assert {"lmm_counterfactual", "naive", "external_control", "randomized"} <= set(METHODS)


def test_json_keys_in_order(registry_null):
    e = estimate_effect(registry_null)
    d = e.to_json_dict()
    assert tuple(d) == JSON_KEYS
    json.dumps(d)
    assert isinstance(e, Estimate) and e.method == DEFAULT_METHOD and e.unit == "points/month"
    assert e.data is not None and len(e.data) == e.n_visits


def test_unknown_outcome_and_method(registry_null):
    with pytest.raises(OutcomeError):
        estimate_effect(registry_null, "nonsense")
    with pytest.raises(MethodError):
        estimate_effect(registry_null, method="magic")
    with pytest.raises(MethodError):
        estimate_effect(registry_null, method="randomized")  # not trial data


def test_naive_is_labelled_and_inflated(registry_null):
    e = estimate_effect(registry_null, method="naive")
    assert e.method == "naive" and any("naive" in w for w in e.warnings)
    assert e.estimate > 0.1  # regression to the mean manufactures "improvement"


def test_default_recovers_null_and_effect(registry_null, registry_effect):
    e0 = estimate_effect(registry_null)
    assert e0.ci_low - 0.05 < 0 < e0.ci_high + 0.05
    e1 = estimate_effect(registry_effect)
    assert e1.p_value < 0.001 and abs(e1.estimate - 0.8) < 0.25


def test_lower_is_better_sign_flip(registry_effect):
    e = estimate_effect(registry_effect, "fss")
    assert any("flipped" in w for w in e.warnings)
    e = estimate_effect(registry_effect, "fvc_pct_pred")
    assert e.estimate > 0 and e.unit == "%/month"


@pytest.mark.parametrize("sub", ["bulbar", "fine_motor", "gross_motor", "respiratory"])
def test_subscores_positive_under_effect(registry_effect, sub):
    e = estimate_effect(registry_effect, sub)
    assert e.estimate > 0 and e.ci_high > e.ci_low


def test_randomized_trial():
    t = simulate_cohort(CohortConfig(n_patients=300, design="rct", effect=0.6), 4).tables
    e = estimate_effect(t, method="randomized")
    assert e.estimand == "slope_difference" and e.p_value < 0.01 and abs(e.estimate - 0.6) < 0.3


def test_external_control_single_arm():
    t = simulate_cohort(CohortConfig(n_patients=400, design="single_arm", effect=0.8), 4).tables
    e = estimate_effect(t, method="external_control")
    assert e.ci_low < 0.8 + 0.3 and e.estimate > 0.2
    assert set(e.details["balance"].columns) == {"covariate", "smd_before", "smd_after"}


def test_route_specific_effect_recovered():
    from alscell.simulate import EffectModel

    cfg = CohortConfig(
        n_patients=400,
        design="registry",
        effect=1.0,
        route="intrathecal",
        effect_model=EffectModel(by_route={"intrathecal": 0.5}),
    )
    e = estimate_effect(simulate_cohort(cfg, 2).tables)
    assert 0.2 < e.estimate < 0.8


def test_spline_linear_beyond_boundary():
    knots = [1.0, 2.0, 3.0, 4.0]
    x = np.array([5.0, 6.0, 7.0])
    B = natural_spline_basis(x, knots)
    assert np.allclose(np.diff(B, 2, axis=0), 0.0, atol=1e-9)


def test_the_mixed_model_keeps_every_visit_on_the_points_scale_and_logit_stays_reachable(registry_null):
    e = estimate_effect(registry_null, method=LMM)
    assert e.details["scale"] == "identity" and "estimate_logit" not in e.details
    assert e.details["excluded_pre_visits"] == 0
    assert not any("may have prompted" in w for w in e.warnings)
    lg = estimate_effect(registry_null, method=LMM, scale="logit")
    assert lg.details["scale"] == "logit" and lg.details["points_per_logit_unit"] > 0
    # the points-per-logit factor is a mean of dy/du = 1/(1/(y+c) + 1/(48-y+c)) over scores in 0..48:
    # between its value at the ends of the scale (y = 0 or 48) and at the middle (y = 24), c = 1
    c = 1.0
    lo, hi = 1 / (1 / c + 1 / (48 + c)), 1 / (2 / (24 + c))
    assert lo <= lg.details["points_per_logit_unit"] <= hi
    assert np.sign(lg.estimate) == np.sign(lg.details["estimate_logit"])
    assert estimate_effect(registry_null, method=LMM, scale="auto").details["scale"] == "logit"
    sens = estimate_effect(registry_null, method=LMM, exclude_pre_visits=2)
    assert sens.details["excluded_pre_visits"] == 2 and any("may have prompted" in w for w in sens.warnings)
    assert estimate_effect(registry_null, "fvc_pct_pred", LMM).details["scale"] == "identity"
    with pytest.raises(MethodError):
        estimate_effect(registry_null, "fvc_pct_pred", LMM, scale="logit")
    with pytest.raises(MethodError):
        estimate_effect(registry_null, method=LMM, scale="cubic")


def test_few_treated_patients_are_warned_about():
    from alscell.simulate import CohortConfig, simulate_cohort

    t = simulate_cohort(CohortConfig(n_patients=150, design="registry", treated_fraction=0.06, effect=0.0), 4).tables
    e = estimate_effect(t)
    n_post = e.n_treated
    assert any("treated patients have visits after treatment" in w for w in e.warnings) == (n_post < 20)
    assert n_post < 20

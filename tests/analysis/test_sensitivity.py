"""Sensitivity analyses of the slope change (alscell.analysis.sensitivity): the verdict rule, agreement
and its summary, that each row is the named method run on the same data, and that on data where the
default is known to lean (followed into the floor) the table shows the disagreement."""

import math

import pytest

from alscell.analysis.effects import MethodError, estimate_effect, lmm_counterfactual, prepare
from alscell.analysis.estimate import Estimate
from alscell.analysis.pretrend import placebo_check
from alscell.analysis.sensitivity import (
    ANALYSES,
    DISTANCE_FLAG,
    DISTANCE_FLAGS,
    Sensitivity,
    SensitivityRow,
    sensitivity_analyses,
    verdict,
)
from alscell.simulate import CohortConfig, simulate_cohort
from registry_arrays import floor_registry


def _est(estimate: float, lo: float, hi: float, se: float = 0.1, method: str = "m") -> Estimate:
    return Estimate("alsfrs_r_total", "slope_change", "points/month", method, estimate, lo, hi, 0.5, 10, 5, 40, se=se)


@pytest.mark.parametrize(
    ("lo", "hi", "expect"),
    [(0.1, 0.3, "benefit"), (-0.3, -0.01, "harm"), (-0.1, 0.2, "not shown"), (0.0, 0.2, "not shown"),
     (math.nan, 0.2, None), (-math.inf, 0.2, None)],
)  # fmt: skip
def test_verdict_is_read_off_the_interval(lo, hi, expect):
    assert verdict(_est(0.1, lo, hi)) == expect


def _row(name: str, est: Estimate, primary: Estimate) -> SensitivityRow:
    d = est.estimate - primary.estimate
    v, pv = verdict(est), verdict(primary)
    return SensitivityRow(name, "changes", est, None, d, d / primary.se, v, v == pv)


def test_agreement_and_its_summary():
    p = _est(0.20, 0.05, 0.35, se=0.075)
    same = Sensitivity(
        p, "lmm_counterfactual", [_row("a", _est(0.25, 0.1, 0.4), p), _row("b", _est(0.14, 0.01, 0.3), p)]
    )
    assert same.conclusion_agrees is True and same.primary_verdict == "benefit"
    assert same.largest_difference_in_se == pytest.approx(0.8)
    assert "the same under all 2" in same.summary() and "+0.140 to +0.250" in same.summary()
    differ = Sensitivity(
        p, "lmm_counterfactual", [_row("a", _est(0.25, 0.1, 0.4), p), _row("g", _est(0.05, -0.1, 0.2), p)]
    )
    assert differ.conclusion_agrees is False
    assert "verdict differs" in differ.summary() and "g: not shown" in differ.summary()
    assert "a:" not in differ.summary()  # only the analyses that disagree are named
    none_ran = Sensitivity(p, "lmm_counterfactual", [SensitivityRow("a", "c", None, "why", None, None, None, None)])
    assert none_ran.conclusion_agrees is None and "no alternative" in none_ran.summary()
    no_ci = Sensitivity(_est(math.nan, math.nan, math.nan), "lmm_counterfactual", [])
    assert no_ci.conclusion_agrees is None and "no interval" in no_ci.summary()


def test_the_distance_flag_names_the_farthest_analysis():
    p = _est(0.20, 0.05, 0.35, se=0.1)
    near = Sensitivity(p, "lmm_counterfactual", [_row("a", _est(0.25, 0.1, 0.4), p), _row("b", _est(0.1, 0.0, 0.3), p)])
    assert near.distance_flag is False and "farther" not in near.summary()
    # 0.2 + 3.0 SEs = 0.5: beyond DISTANCE_FLAG (2.9), the verdict unchanged
    far = Sensitivity(
        p, "lmm_counterfactual", [_row("a", _est(0.25, 0.1, 0.4), p), _row("far_one", _est(0.5, 0.3, 0.7), p)]
    )
    assert far.distance_flag is True and far.conclusion_agrees is True
    assert "far_one lies farther from the primary" in far.summary()
    assert far.to_json_dict()["sensitivity_summary"]["distance_flag"] is True


@pytest.fixture(scope="module")
def floor_data():
    return floor_registry(1200, 0.0, seed=31)


def test_the_table_shows_where_the_mixed_model_leans(floor_data):
    """tests/analysis/test_bounded_course.py: on these data (no effect, followed into the floor) the
    mixed model leans by more than 3 SE and lmm_bounded recovers 0; the sensitivity table must show it."""
    s = sensitivity_analyses(floor_data, primary="lmm_counterfactual")
    rows = {r.analysis: r for r in s.rows}
    assert [r.analysis for r in s.rows] == [a.key for a in ANALYSES if a.key != "lmm_counterfactual"]
    b = rows["lmm_bounded"]
    assert b.result is not None and b.difference_in_se is not None and b.difference_in_se > 2.0, b
    # each row is the named method on the same data, and the difference is theirs
    direct = estimate_effect(floor_data, method="lmm_bounded")
    assert b.result.estimate == pytest.approx(direct.estimate, rel=1e-9)
    assert b.difference == pytest.approx(direct.estimate - s.primary.estimate, rel=1e-9)
    assert s.primary.estimate == pytest.approx(
        estimate_effect(floor_data, method="lmm_counterfactual").estimate, rel=1e-9
    )
    t = rows["trigger_visits_out"].result
    assert t is not None
    earlier = lmm_counterfactual(floor_data, exclude_pre_visits=2, scale="logit")
    assert t.estimate == pytest.approx(earlier.estimate, rel=1e-9) and t.details["excluded_pre_visits"] == 2
    # the mixed model says harm here (it leans against treatment); lmm_bounded does not
    assert s.primary_verdict == "harm" and b.verdict == "not shown" and s.conclusion_agrees is False
    assert "lmm_bounded: not shown" in s.summary()
    assert s.distance_flag is (b.difference_in_se > DISTANCE_FLAG)
    # the placebo check beside the family is the pre-trend test on the mixed model's frame
    direct_placebo = placebo_check(prepare(floor_data, "alsfrs_r_total"))
    assert s.placebo == direct_placebo
    assert s.to_json_dict()["placebo"]["text"] == direct_placebo.sentence("points/month")


def test_another_primary_and_outcomes_without_a_scale():
    t = simulate_cohort(CohortConfig(n_patients=120, design="registry", effect=0.0), 5).tables
    s = sensitivity_analyses(t, "fvc_pct_pred", primary="g_estimation")
    assert s.primary.method == "g_estimation"
    rows = {r.analysis: r for r in s.rows}
    assert set(rows) == {"lmm_counterfactual", "lmm_bounded", "trigger_visits_out"}
    for key in ("lmm_bounded", "trigger_visits_out"):  # no floor or ceiling: not run, with the reason
        assert rows[key].result is None and "does not apply to fvc_pct_pred" in (rows[key].reason or "")
    assert rows["lmm_counterfactual"].result is not None
    j = s.to_json_dict()
    assert j["sensitivity_summary"]["primary_analysis"] == "g_estimation" and len(j["sensitivity"]) == 3
    # FVC % predicted: higher is better, so the placebo keeps the test's sign (120 patients: it may not run)
    assert s.placebo is not None and set(j["placebo"]) >= {"estimate", "ci_low", "ci_high", "p_value", "passes", "text"}


def test_the_default_primary_is_the_default_method_with_its_own_flag_threshold(floor_data):
    from alscell.analysis.effects import DEFAULT_METHOD

    s = sensitivity_analyses(floor_data)
    assert s.primary_analysis == DEFAULT_METHOD == "g_estimation" and s.primary.method == "g_estimation"
    assert [r.analysis for r in s.rows] == [a.key for a in ANALYSES if a.key != "g_estimation"]
    assert s.distance_threshold == DISTANCE_FLAGS["g_estimation"]
    assert s.distance_flag is (s.largest_difference_in_se > DISTANCE_FLAGS["g_estimation"])
    # a threshold is in the primary's own SEs: a distance between the two thresholds flags under one only
    assert DISTANCE_FLAGS["g_estimation"] < DISTANCE_FLAG
    between = (DISTANCE_FLAGS["g_estimation"] + DISTANCE_FLAG) / 2
    p = _est(0.20, 0.05, 0.35, se=0.1)
    rows = [_row("a", _est(0.2 + 0.1 * between, 0.3, 0.7), p)]
    lmm, g = Sensitivity(p, "lmm_counterfactual", rows), Sensitivity(p, "g_estimation", rows)
    assert lmm.distance_flag is False and g.distance_flag is True
    assert "docs/sensitivity_flag_g.md" in g.summary() and "docs/sensitivity_flag_g.md" not in lmm.summary()
    # a less precise primary that shows nothing beside more precise alternatives that do: said to be precision
    wide = _est(0.11, -0.07, 0.29, se=0.09, method="g_estimation")
    narrow = _est(0.13, 0.04, 0.22, se=0.045)
    s2 = Sensitivity(wide, "g_estimation", [_row("lmm_counterfactual", narrow, wide)])
    assert "difference is one of precision" in s2.summary() and "docs/sensitivity_flag_g.md" in s2.summary()
    s3 = Sensitivity(wide, "g_estimation", [_row("lmm_counterfactual", _est(0.13, 0.01, 0.25, se=0.2), wide)])
    assert "precision" not in s3.summary()  # the alternative is not more precise


@pytest.mark.parametrize("method", ["naive", "external_control", "randomized"])
def test_other_designs_are_not_a_primary(method):
    t = simulate_cohort(CohortConfig(n_patients=20, design="registry", effect=0.0), 1).tables
    with pytest.raises(MethodError, match="sensitivity analyses vary the registry estimators"):
        sensitivity_analyses(t, primary=method)
    with pytest.raises(MethodError, match="unknown method 'bogus'"):
        sensitivity_analyses(t, primary="bogus")


def test_the_self_ratings_asked_go_to_the_primary_its_checks_and_the_raters_row():
    """``options={"self_ratings": ...}`` (alscell.analysis.decision_inputs.named_options): the primary takes it, so
    do the does-it-last check and the raters' row, which re-run g-estimation with the primary's options; the mixed
    models' rows are as without it."""
    import numpy as np

    from alscell.analysis.g_estimation import g_estimation
    from alscell.analysis.waning import g_waning_check
    from alscell.io.tables import Tables
    from registry_arrays import self_rated_contacts

    t = self_rated_contacts(300, 3)
    a = t["alsfrs"]  # two clinic raters, so that the family has the raters' row (a self-rating carries none)
    rater = np.where(a["assessor"] == "self", None, np.where(np.arange(len(a)) % 2 == 0, "C1", "C2"))
    t = Tables.from_frames(**{**dict(t.items()), "alsfrs": a.assign(rater=rater)})
    out = sensitivity_analyses(t, primary="g_estimation", options={"self_ratings": "outcome"})
    read = sensitivity_analyses(t, primary="g_estimation", options={"self_ratings": "read"})
    assert out.primary.estimate == g_estimation(t, self_ratings="outcome").estimate != read.primary.estimate
    assert out.primary.details["self_rated_visits_not_read"] == int((a["assessor"] == "self").sum()) > 0
    assert out.waning == g_waning_check(t, self_ratings="outcome") != read.waning
    raters = [r for r in out.rows if r.analysis.startswith("g_estimation_raters")]
    assert len(raters) == 1 and raters[0].result is not None
    assert raters[0].result.details["self_rated_visits_not_read"] == out.primary.details["self_rated_visits_not_read"]
    mixed = {r.analysis: r.result.estimate for r in read.rows if r.result is not None and r.analysis.startswith("lmm")}
    assert mixed and all(r.result.estimate == mixed[r.analysis] for r in out.rows if r.analysis in mixed)


def test_the_decision_history_asked_goes_to_the_primary_and_its_does_it_last_check():
    """``options={"history": ...}`` (``--history``): the primary g-estimation and the does-it-last check read the
    history asked for; on a registry that records FVC and NfL the standard history is not the default's."""
    from alscell.analysis.g_estimation import g_estimation
    from alscell.analysis.waning import g_waning_check

    t = simulate_cohort(CohortConfig(n_patients=150, design="registry", effect=0.0), 3).tables
    std = sensitivity_analyses(t, primary="g_estimation", options={"history": "standard"})
    assert std.primary.details["history"] == "standard"
    assert std.primary.estimate == g_estimation(t, history="standard").estimate != g_estimation(t).estimate
    assert std.waning == g_waning_check(t, history="standard") != g_waning_check(t)

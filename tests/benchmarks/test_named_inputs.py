"""benchmarks/named_inputs.py: every world's names are terms --adjust-for takes, one small cohort through the
variants, and the page's table with its judgement at the nominal values."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import calibration
import named_inputs as ni
from alscell.analysis.decision_inputs import parse_adjust_for


def test_every_worlds_names_parse_and_the_worlds_are_held_out():
    for world, names in ni.NAMED.items():
        assert world in calibration.HELD_OUT and parse_adjust_for(",".join(names)) == names


def test_one_small_cohort_through_the_variants():
    rows = pd.DataFrame(ni.run_chunk([("world9", 2)], 400, 0.3))
    assert rows["variant"].tolist() == list(ni.VARIANTS)
    assert np.isfinite(rows["estimate"]).all() and (rows["ci_low"] < rows["ci_high"]).all()
    assert rows["outside_starters"].isna().tolist() == [True, True, False, True, False]
    # the names change the history, the restriction the rows, the splines the history again
    assert rows["estimate"].nunique() == 5


def test_the_table_judges_rejection_and_bias_at_their_nominal_values():
    k = 40
    est = np.r_[np.full(k // 2, 0.01), np.full(k // 2, 0.03)]  # bias 0.02, far beyond 2 MCSE of 0
    raw = pd.DataFrame({"world": "world6", "variant": "default", "seed": range(k), "estimate": est, "se": 0.01,
                        "ci_low": est - 0.02, "ci_high": est + 0.02})  # fmt: skip
    line = ni.markdown(raw).splitlines()[2]
    # 20 of 40 intervals exclude 0: rejection 0.5, outside 0.05 ± 2·sqrt(0.05·0.95/40)
    assert "+0.0200 (0.0016) ✗" in line and "0.500 (0.079) ✗" in line and line.endswith("| 0.500 |")
    with pytest.raises(SystemExit):
        ni.main(["--worlds", "world2", "--cohorts", "1"])


def test_the_thirteenth_worlds_names_are_what_its_docstring_says_the_rule_reads():
    import thirteenth_world

    assert ni.NAMED["world13"] == thirteenth_world.RECORDED_RULE_INPUTS


def test_the_fourteenth_worlds_names_and_lag_are_what_its_docstring_says():
    import fourteenth_world

    assert ni.NAMED["world14"] == fourteenth_world.RECORDED_RULE_INPUTS
    assert ni.LAG["world14"] == fourteenth_world.SURG_LAG[0] and not fourteenth_world.DECISION_AT_EVERY_VISIT


def test_the_calibration_candidates_resolve_each_worlds_names_visits_and_lag():
    out = ni.resolved({"adjust_for": "named+visits", "decision_lag_days": "lag", "adjust_shape": "spline"}, "world13")
    assert out == {
        "adjust_for": (*ni.NAMED["world13"], *ni.VISITS),
        "decision_lag_days": 21,
        "adjust_shape": "spline",
    }
    assert ni.resolved({"adjust_for": "named"}, "world9:unrecorded_wish") == {"adjust_for": ni.NAMED["world9"]}
    opts = ni.variant_options("decision_visits", "named + visits, lag", "world6")
    assert opts == {"adjust_for": (*ni.NAMED["world6"], *ni.VISITS), "decision_lag_days": 0}


def test_the_sixteenth_worlds_registration_is_its_own_constants():
    import decision_occasions as do
    import sixteenth_world as w16

    assert ni.NAMED["world16"] == w16.RECORDED_RULE_INPUTS and ni.LAG["world16"] == w16.DECISION_LAG_DAYS
    assert do.OCCASIONS["world16"] == w16.DECISION_VISIT_TYPES and not w16.DECISION_AT_EVERY_VISIT
    assert do.LEFT_OUT["world16"] == w16.LEAVE_OUT_VISIT_TYPES


def test_the_seventeenth_worlds_registration_is_its_own_constants():
    import decision_occasions as do
    import seventeenth_world as w17

    assert ni.NAMED["world17"] == w17.RECORDED_RULE_INPUTS and ni.LAG["world17"] == w17.DECISION_LAG_DAYS
    assert do.OCCASIONS["world17"] == w17.DECISION_VISIT_TYPES and not w17.DECISION_AT_EVERY_VISIT
    assert do.LEFT_OUT["world17"] == w17.LEAVE_OUT_VISIT_TYPES

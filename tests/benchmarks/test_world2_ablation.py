"""benchmarks/second_world.py's switches and benchmarks/world2_ablation.py's summary."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import second_world
import world2_ablation


def test_switching_nothing_off_is_the_default_world():
    a = second_world.simulate_world2(120, 0.2, 0.3, 5).tables
    b = second_world.simulate_world2(120, 0.2, 0.3, 5, frozenset()).tables
    for k in a.keys():
        assert a[k].equals(b[k]), k


def test_each_piece_changes_only_what_it_names():
    base = second_world.simulate_world2(400, 0.0, 0.3, 9)
    # death off: no death events; the treated patients are the same ones (same random numbers)
    nd = second_world.simulate_world2(400, 0.0, 0.3, 9, frozenset({"death"}))
    assert (base.tables["events"]["event"] == "death").any()
    assert not (nd.tables["events"]["event"] == "death").any()
    # slope selection off: the treated are not the fast progressors any more (other patients, same count)
    # (death and loss off in both, so every chosen patient is seen at the treatment visit: exactly 30%)
    kept = second_world.simulate_world2(400, 0.0, 0.3, 9, frozenset({"death", "loss"}))
    rs = second_world.simulate_world2(400, 0.0, 0.3, 9, frozenset({"slope_selection", "death", "loss"}))
    tr_kept = set(kept.tables["treatments"]["patient_id"])
    tr_rs = set(rs.tables["treatments"]["patient_id"])
    assert len(tr_kept) == len(tr_rs) == 120 and tr_kept != tr_rs
    with pytest.raises(ValueError, match="unknown pieces"):
        second_world.simulate_world2(10, 0.0, 0.3, 1, frozenset({"gravity"}))


def test_summary_flags_bias_outside_two_mcse():
    rng = np.random.default_rng(0)
    rows = []
    for off, centre in (("a", 0.0), ("b", 0.05)):
        est = centre + rng.normal(0, 0.02, 50)
        rows += [dict(off=off, estimate=e, se=0.02, ci_low=e - 0.04, ci_high=e + 0.04) for e in est]
    perf = world2_ablation.summarise(pd.DataFrame(rows)).set_index("off")
    assert perf.loc["a", "verdict"] == "ok" and perf.loc["b", "verdict"] == "BIASED"
    assert perf.loc["b", "bias"] == pytest.approx(0.05, abs=0.01)


def test_the_default_warns_when_treated_patients_were_chosen_by_their_slope():
    from alscell.analysis.effects import estimate_effect

    chosen = estimate_effect(second_world.simulate_world2(600, 0.0, 0.3, 3).tables)
    assert any("losing points faster" in w for w in chosen.warnings)
    at_random = estimate_effect(second_world.simulate_world2(600, 0.0, 0.3, 3, frozenset({"slope_selection"})).tables)
    assert not any("losing points" in w for w in at_random.warnings)


def _treatment_visit(cohort) -> pd.Series:
    """Index (0 = first) of the visit on the day of each treated patient's treatment."""
    v = cohort.tables["alsfrs"].sort_values(["patient_id", "date"])
    v = v.assign(k=v.groupby("patient_id").cumcount())
    tr = cohort.tables["treatments"][["patient_id", "date"]]
    return v.merge(tr, on=["patient_id", "date"]).set_index("patient_id")["k"]


def test_the_fallback_looks_ahead_unless_switched_off():
    """Default world: a patient treated early at random (fallback) is one whose total will not fall below
    the threshold by the 7th visit; with ``lookahead`` off such patients are treated at the 8th visit."""
    off = frozenset({"death", "loss"})  # every visit is seen, so visit indices are the world's own
    base = _treatment_visit(second_world.simulate_world2(600, 0.0, 0.6, 4, off))
    later = _treatment_visit(second_world.simulate_world2(600, 0.0, 0.6, 4, off | {"lookahead"}))
    assert base.max() <= 6 and (later == 7).any()
    changed = base.index[base.reindex(later.index).to_numpy() != later.to_numpy()]
    assert len(changed) and (later.loc[changed] == 7).all()  # only the fallback patients moved, all to visit 8

"""benchmarks/registry_terms_split.py: the decision's other recorded inputs read off the measurements as the
eleventh world's rule does, the starters' support, world specs with pieces off, and one small run through every
row."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import calibration
import registry_terms_split as rts
from alscell.io.tables import Tables


def _strength(rows: list[tuple]) -> Tables:
    """Two patients at three visits, grip on both sides (patient, date, left, right), at sites A and B."""
    patients = pd.DataFrame({"patient_id": ["P1", "P2"], "site": ["A", "B"]})
    m = [
        dict(patient_id=p, date=d, measure="grip_kg", value=v, unit="kg", side=side)
        for p, d, left, right in rows
        for side, v in (("left", left), ("right", right))
    ]
    return Tables.from_frames(patients=patients, measurements=pd.DataFrame(m))


def test_decision_inputs_are_the_latest_ratio_its_hinge_and_the_weaker_sides_fall_by_hand():
    t = _strength(
        [("P1", "2020-01-01", 30.0, 20.0), ("P1", "2020-03-01", 30.0, 14.0), ("P2", "2020-01-01", 25.0, 25.0)]
    )
    df = pd.DataFrame(
        {
            "patient_id": ["P1", "P1", "P1", "P2"],
            "date": pd.to_datetime(["2019-12-01", "2020-02-01", "2020-03-01", "2020-02-01"]),
        }
    )
    X = rts.decision_inputs(t, df)
    ratio, ratio_unknown, hinge, fall, fall_unknown, site_b = X.T
    # before any measurement: the median ratio and a flag; then 20/30, then 14/30; P2 equal sides
    assert ratio_unknown.tolist() == [1, 0, 0, 0]
    assert ratio[1:] == pytest.approx([20 / 30, 14 / 30, 1.0])
    assert ratio[0] == pytest.approx(np.median([20 / 30, 14 / 30, 1.0]))
    assert hinge == pytest.approx([0.0, 0.75 - 20 / 30, 0.75 - 14 / 30, 0.0])
    # the weaker side lost 6 kg over 60 days: 6 / (60 / 30.4375) kg a month; no fall before a second measurement
    assert fall_unknown.tolist() == [1, 1, 0, 1]
    assert fall[2] == pytest.approx(6 / (60 / 30.4375), rel=1e-3)
    assert site_b.tolist() == [0, 0, 0, 1]


def test_without_sided_strength_or_sites_there_are_no_inputs():
    t = Tables.from_frames(patients=pd.DataFrame({"patient_id": ["P1"]}))
    df = pd.DataFrame({"patient_id": ["P1"], "date": pd.to_datetime(["2020-01-01"])})
    assert rts.decision_inputs(t, df).shape == (1, 0)


def test_the_starters_support_keeps_every_start_and_drops_what_no_start_carried():
    # columns: age, age unknown, months since diagnosis, its flag, ventilation, gastrostomy
    R = np.array(
        [[60, 0, 10, 0, 0, 0], [70, 0, 20, 0, 0, 0], [65, 0, 5, 0, 1, 0], [80, 0, 8, 0, 0, 0], [55, 0, 30, 0, 0, 1]],
        float,
    )
    start = np.array([1, 1, 0, 0, 1])
    keep = rts.starters_support(R, np.arange(5), start)
    # ventilation never at a start: row 2 out; age 80 above the oldest start (70): row 3 out; gastrostomy was at one
    assert keep.tolist() == [True, True, False, False, True]
    assert keep[start == 1].all()


def test_world_specs_and_their_errors():
    assert calibration.parse_world("world11:unrecorded_will+pulses") == (
        "world11",
        frozenset({"unrecorded_will", "pulses"}),
    )
    assert calibration.parse_world("world6") == ("world6", frozenset())
    with pytest.raises(SystemExit):
        rts.main(["--worlds", "world11:no_such_piece", "--cohorts", "1"])
    with pytest.raises(SystemExit):
        rts.main(["--worlds", "simulate:pulses", "--cohorts", "1"])


def test_one_small_cohort_through_every_row():
    rows = pd.DataFrame(rts.run_chunk([("world11:unrecorded_will", 3)], 400, 0.3))
    assert rows["history"].tolist() == list(rts.GROUPS)
    assert np.isfinite(rows["estimate"]).all() and (rows["se"] > 0).all()
    by = rows.set_index("history")
    assert by.loc["standard", "rows_kept"] == 1.0 and 0 < by.loc["standard, on the starters' support", "rows_kept"] < 1
    assert by.loc["+ the decision's other recorded inputs", "columns"] > 0
    assert by.loc["+ time since diagnosis", "estimate"] == by.loc["standard", "estimate"]  # no column of its own here
    md = rts.markdown(rows.assign(seed=3))
    assert md.count("| world11:unrecorded_will |") == len(rts.GROUPS)

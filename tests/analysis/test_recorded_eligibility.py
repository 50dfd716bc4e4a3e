"""The clinic's recorded screening for the therapy (``alsfrs.eligible``, alscell.analysis.decision_occasions
.screened_out, read with ``recorded_eligibility``): visits recorded not eligible leave the decision model, every start
and every unrecorded visit stays, and on a registry whose clinic screens on a marker no column records the estimate's
lean goes; not read unless asked (docs/recorded_eligibility.md), and then said."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alscell.analysis.decision_occasions import Occasions, screened, screened_out
from alscell.analysis.g_estimation import g_estimation
from alscell.io.tables import Tables
from registry_arrays import screened_clinic


def _frame_and_tables(flags: list) -> tuple[pd.DataFrame, Tables]:
    """Patient A: five visits, treated at the fourth; B: three, never treated.  ``flags``: eligible per visit."""
    days = pd.to_datetime(["2020-01-01", "2020-04-01", "2020-07-01", "2020-10-01", "2021-01-01",
                           "2020-02-01", "2020-05-01", "2020-08-01"])  # fmt: skip
    ids = ["A"] * 5 + ["B"] * 3
    df = pd.DataFrame({"patient_id": ids, "date": days, "days_after": [-274.0, -183, -92, 0, 92, *[np.nan] * 3]})
    alsfrs = pd.DataFrame({"patient_id": ids, "date": days, "eligible": pd.array(flags, dtype="boolean")})
    return df, Tables.from_frames(alsfrs=alsfrs)


def test_visits_recorded_not_eligible_leave_the_decision_rows_by_hand():
    df, tables = _frame_and_tables([False, None, True, False, None, False, True, None])
    at_risk = np.array([True, True, True, True, False, True, True, True])
    start = np.array([False, False, False, True, False, False, False, False])
    recorded, eligible = screened(tables, df)
    assert recorded.tolist() == [True, False, True, True, False, True, True, False]
    assert eligible.tolist() == [False, False, True, False, False, False, True, False]
    got = screened_out(tables, df, Occasions(at_risk, start, {"kept": 1}, ["before"]))
    # A's first visit and B's first leave; the start at a visit recorded not eligible stays, as do unrecorded ones
    assert got.at_risk.tolist() == [False, True, True, True, False, False, True, True]
    assert got.start is start
    assert got.details == {"kept": 1, "eligibility_recorded": 5, "not_eligible_left_out": 2, "starts_not_eligible": 1}
    assert got.warnings[0] == "before"
    assert got.warnings[1].startswith("2 of 7 decision visits were recorded as not eligible")
    assert "2 decision visit(s) with no recorded screening were kept" in got.warnings[1]
    assert got.warnings[2].startswith("1 start(s) came at visits recorded as not eligible (kept)")


def test_nothing_recorded_changes_nothing():
    df, tables = _frame_and_tables([None] * 8)
    found = Occasions(np.ones(8, bool), np.zeros(8, bool), {}, [])
    assert screened_out(tables, df, found) is found
    assert screened_out(None, df, found) is found  # an analysis frame without tables: nothing to read


def test_recording_the_screening_draws_the_same_numbers():
    a, b = screened_clinic(60, 3, record=False), screened_clinic(60, 3)
    for name in a:
        drop = ["eligible"] if name == "alsfrs" else []
        pd.testing.assert_frame_equal(a[name].drop(columns=drop), b[name].drop(columns=drop))
    assert a["alsfrs"]["eligible"].isna().all() and b["alsfrs"]["eligible"].notna().all()
    assert set(b["alsfrs"]["eligible"]) == {True, False}


@pytest.mark.parametrize("effect", [0.0, 0.3])
def test_the_recorded_screening_takes_the_lean_away(effect):
    """Without the screening the fast decliners' visits (never eligible) are compared with the starters and the
    estimate leans for treatment (the four cohorts' mean +0.19 points/month under no effect, +0.18 under 0.3; each
    cohort's SE about 0.02); with it the mean is within 0.04 of the truth (+0.010 and +0.005 when written); with half
    the screenings recorded most of the lean stays (+0.14)."""
    plain, full, half = [], [], []
    for seed in range(4):
        plain.append(g_estimation(screened_clinic(800, seed, effect, record=False)).estimate)
        est = g_estimation(screened_clinic(800, seed, effect), recorded_eligibility=True)
        full.append(est.estimate)
        half.append(
            g_estimation(screened_clinic(800, seed, effect, share_recorded=0.5), recorded_eligibility=True).estimate
        )
        assert est.details["not_eligible_left_out"] > 0 and est.details["starts_not_eligible"] == 0
    assert np.mean(plain) - effect > 0.10 and np.mean(plain) - np.mean(full) > 0.10
    assert abs(np.mean(full) - effect) < 0.04  # the SE of a four-cohort mean is about 0.01
    assert np.mean(half) - effect > 0.07
    unread = g_estimation(screened_clinic(800, 0, effect))  # not read unless asked: said, and nothing left out
    assert unread.estimate == plain[0] and "not_eligible_left_out" not in unread.details
    assert any("records the clinic's screening for the therapy (alsfrs.eligible) at" in w for w in unread.warnings)

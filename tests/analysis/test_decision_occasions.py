"""Recorded decision dates and visit types (alscell.analysis.decision_occasions): the decision rows by hand and by
brute force, the recorded columns read onto the analysis frame, and g-estimation with them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alscell.analysis.decision_inputs import named_options
from alscell.analysis.decision_occasions import (
    check_occasions,
    decided_days,
    decision_rows,
    unused_types_warning,
    visit_types,
)
from alscell.analysis.errors import NotApplicable
from alscell.analysis.g_estimation import decided_before, g_estimation, window_slopes
from alscell.io.tables import Tables
from registry_arrays import reviews_and_contacts


def test_the_decision_rows_by_hand():
    # A: visits 100, 60, 30 days before the dose, on it, 30 days after; decided 60 days before (recorded)
    # B: never treated, three visits, the middle one at home
    df = pd.DataFrame({"patient_id": ["A"] * 5 + ["B"] * 3, "days_after": [-100.0, -60, -30, 0, 30, *[np.nan] * 3]})
    lag = np.array([60.0] * 5 + [0.0] * 3)
    at_risk, start = decision_rows(df, lag)
    assert at_risk.tolist() == [True, True, False, False, False, True, True, True]
    assert start.tolist() == [False, True, False, False, False, False, False, False]
    # the visit of the decision day is not an occasion (say, at home): the decision row is the one before it
    occ = np.array([True, False, True, True, True, True, False, True])
    at_risk, start = decision_rows(df, lag, occ)
    assert at_risk.tolist() == [True, False, False, False, False, True, False, True]
    assert start.tolist() == [True, False, False, False, False, False, False, False]
    # no occasion on or before the decision: no start, and the patient's visits are no decisions
    at_risk, start = decision_rows(df, lag, np.array([False, False, True, True, True, True, True, True]))
    assert not start[:5].any() and not at_risk[:5].any()


frames = st.lists(st.tuples(st.integers(0, 3), st.integers(-400, 200), st.booleans()), min_size=1, max_size=30).map(
    lambda rows: sorted(set(rows), key=lambda r: (r[0], r[1]))
)


@settings(max_examples=80, deadline=None)
@given(frames, st.lists(st.one_of(st.none(), st.integers(0, 120)), min_size=4, max_size=4), st.integers(0, 90))
def test_the_decision_rows_match_a_brute_force_walk(rows, decided, lag_days):
    rows = list(dict(((p, d), o) for p, d, o in rows).items())
    treated = {0, 1}  # patients 2 and 3 are never treated; patients 0 and 1 have their dose on day 0
    df = pd.DataFrame(
        {
            "patient_id": [f"P{p}" for (p, _), _ in rows],
            "days_after": [float(d) if p in treated else np.nan for (p, d), _ in rows],
        }
    )
    occ = np.array([o for _, o in rows])
    lag = np.array([float(decided[p]) if decided[p] is not None else float(lag_days) for (p, _), _ in rows])
    at_risk, start = decision_rows(df, lag, occ)
    for i, ((p, d), o) in enumerate(rows):
        if p not in treated:
            assert at_risk[i] == o and not start[i]
            continue
        day = -lag[i]  # the decision day, relative to the dose
        assert at_risk[i] == (o and d <= day)
        last = max((dd for (pp, dd), oo in rows if pp == p and oo and dd <= day), default=None)
        assert start[i] == (o and d == last)


def test_without_dates_or_occasions_the_lag_is_what_it_was():
    df = pd.DataFrame({"patient_id": ["A"] * 4 + ["B"] * 2, "days_after": [-40.0, -20, 0, 30, np.nan, np.nan]})
    at_risk, start = decided_before(df, 21)
    assert at_risk.tolist() == [True, False, False, False, True, True]
    assert start.tolist() == [True, False, False, False, False, False]


def test_the_recorded_columns_read_onto_the_analysis_frame():
    t = reviews_and_contacts(30, 4, record=True)
    df = t["alsfrs"][["patient_id", "date"]].copy()
    df["days_after"] = np.nan
    types = visit_types(t, df)
    assert (types == t["alsfrs"]["visit_type"].to_numpy()).all()
    days = decided_days(t, df)
    tr = t["treatments"].set_index("patient_id")
    want = df["patient_id"].map((tr["date"] - tr["decision_date"]).dt.days).to_numpy(float)
    assert np.array_equal(np.isnan(days), np.isnan(want)) and np.allclose(days[~np.isnan(days)], want[~np.isnan(want)])
    assert 50 <= np.nanmin(days) and np.nanmax(days) <= 57  # 1.8 months, rounded days
    plain = reviews_and_contacts(30, 4)
    assert (visit_types(plain, df) == "").all() and np.isnan(decided_days(plain, df)).all()


def test_recorded_decision_dates_give_what_the_exact_lag_gives():
    """The registry records each decision (the deciding review's date, 1.8 months before the dose): with no option
    the estimate is the one the lag that lands on the same reviews gives (every start the same row), and the result
    says how many decision dates it read."""
    plain, recorded = reviews_and_contacts(800, 3), reviews_and_contacts(800, 3, record=True)
    lagged, rec = g_estimation(plain, decision_lag_days=50), g_estimation(recorded)
    assert rec.estimate == pytest.approx(lagged.estimate, abs=1e-12) and rec.se == pytest.approx(lagged.se, abs=1e-12)
    assert rec.details["decision_dates_recorded"] == recorded["treatments"]["patient_id"].nunique()
    assert rec.details["visits_in_decision_lag"] == lagged.details["visits_in_decision_lag"] > 0
    assert "decision_lag_days" not in rec.details
    said = [w for w in rec.warnings if "recorded decision_date" in w]
    assert len(said) == 1 and f"for {rec.details['decision_dates_recorded']} of " in said[0]
    assert g_estimation(plain).estimate != pytest.approx(rec.estimate, abs=1e-6)  # the dates change something


def test_visit_types_as_occasions_and_the_warning_when_a_type_never_starts():
    t = reviews_and_contacts(800, 5, record=True)
    e = g_estimation(t)  # starts only at reviews (the recorded decisions), contacts taken as decisions
    said = [w for w in e.warnings if "no treatment started at a visit of type unscheduled" in w]
    assert len(said) == 1 and "--decision-visits scheduled" in said[0]
    only = g_estimation(t, decision_visits=("scheduled",))
    assert not any("no treatment started at a visit of type" in w for w in only.warnings)
    contacts = int((t["alsfrs"]["visit_type"] == "unscheduled").sum())
    assert 0 < only.details["visits_not_decision_occasions"] <= contacts
    assert only.details["decision_visits"] == ["scheduled"]
    assert only.details["decision_rows"] < e.details["decision_rows"]
    assert only.details["initiations"] == e.details["initiations"]  # every start is at a review
    rows = only.data[only.data["decision_row"]]
    assert set(visit_types(t, rows)) == {"scheduled"}


def test_the_warning_counts_what_was_expected():
    types = np.array(["scheduled"] * 100 + ["home"] * 60)
    at_risk = np.ones(160, dtype=bool)
    start = np.zeros(160, dtype=bool)
    start[:10] = True  # 10 starts in 160 decision visits: 60 × 10/160 = 3.75 expected at home, fewer than 5
    assert unused_types_warning(types, at_risk, start) == []
    start[:14] = True  # 60 × 14/160 = 5.25
    (w,) = unused_types_warning(types, at_risk, start)
    assert "home (60 decision visits)" in w and "--decision-visits scheduled" in w


def test_the_request_rules():
    assert check_occasions(None) == () and check_occasions("scheduled, home,scheduled") == ("scheduled", "home")
    with pytest.raises(NotApplicable, match=r"unknown visit type\(s\) 'clinic': use scheduled, unscheduled"):
        check_occasions("scheduled,clinic")
    assert named_options(None, False, "g_estimation", None, None, "scheduled") == {"decision_visits": ("scheduled",)}
    with pytest.raises(NotApplicable, match="decision visits: only g_estimation models the decision"):
        named_options(None, False, "lmm_counterfactual", None, None, "scheduled")


def test_a_registry_without_the_columns_or_with_them_empty_is_unchanged():
    t = reviews_and_contacts(300, 6)
    base = g_estimation(t)
    empty = Tables.from_frames(
        patients=t["patients"],
        treatments=t["treatments"].assign(decision_date=pd.NaT),
        alsfrs=t["alsfrs"].assign(visit_type=None),
        measurements=t["measurements"],
    )
    again = g_estimation(empty)
    assert again.estimate == base.estimate and again.warnings == base.warnings
    assert not {"decision_dates_recorded", "decision_visits"} & set(again.details)
    # occasions asked for where no type is recorded: every visit is kept, and the result says so
    asked = g_estimation(t, decision_visits=("scheduled",))
    assert asked.estimate == base.estimate and asked.details["visits_not_decision_occasions"] == 0


def test_visits_left_out_are_as_if_never_recorded():
    t = reviews_and_contacts(600, 7, record=True)
    out = g_estimation(t, leave_out_visits=("unscheduled",))
    a = t["alsfrs"]
    kept = a["visit_type"].to_numpy() != "unscheduled"
    gone = Tables.from_frames(
        patients=t["patients"], treatments=t["treatments"], alsfrs=a[kept], measurements=t["measurements"]
    )
    assert out.estimate == pytest.approx(g_estimation(gone).estimate, abs=1e-12)
    assert out.details["visits_left_out"] == int((~kept).sum()) > 0
    assert out.details["left_out_visit_types"] == ["unscheduled"]
    assert any(f"{int((~kept).sum())} visit(s) of type unscheduled were left out" in w for w in out.warnings)
    with pytest.raises(NotApplicable, match="unknown visit type"):
        g_estimation(t, leave_out_visits=("ward",))
    assert named_options(None, False, "g_estimation", None, None, None, "inpatient") == {
        "leave_out_visits": ("inpatient",)
    }
    with pytest.raises(NotApplicable, match="leave out visits: only g_estimation"):
        named_options(None, False, "naive", None, None, None, "inpatient")


def test_slopes_at_some_visit_types_read_only_their_outcomes():
    """The windows' slopes read the outcomes of the slope visits only (by hand), the history every visit; every
    recorded type as slope visits changes nothing; the request rules."""
    df = pd.DataFrame({"patient_id": ["A"] * 4, "months": [0.0, 1.0, 2.0, 3.0], "y": [10.0, 9.0, 20.0, 7.0]})
    ramps = np.array([[0.0], [0.0], [1.0], [2.0]])
    used, S, D = window_slopes(df.assign(slope_visit=[True, True, False, True]), ramps, np.array([0]), 0.0, 24.0)
    assert used.tolist() == [0]
    assert S[0] == pytest.approx(np.polyfit([0, 1, 3], [10, 9, 7], 1)[0]) and D[0, 0] == pytest.approx(
        np.polyfit([0, 1, 3], [0, 0, 2], 1)[0]
    )
    t = reviews_and_contacts(600, 8, record=True)
    base = g_estimation(t)
    every = g_estimation(t, slope_visits=("scheduled", "unscheduled"))
    assert every.estimate == pytest.approx(base.estimate, abs=1e-12) and every.se == pytest.approx(base.se, abs=1e-12)
    only = g_estimation(t, slope_visits=("scheduled",))
    reviews = int((t["alsfrs"]["visit_type"] == "scheduled").sum())
    assert only.details["slope_visits"] == ["scheduled"] and only.details["visits_in_slopes"] == reviews
    assert only.details["history_terms"] == base.details["history_terms"] and only.estimate != base.estimate
    assert any(f"measured at the {reviews} of " in w and "scheduled only (slope visits)" in w for w in only.warnings)
    with pytest.raises(NotApplicable, match=r"slope visits: unknown visit type\(s\) 'ward'"):
        g_estimation(t, slope_visits=("ward",))
    with pytest.raises(NotApplicable, match="slope visits: no visit of type scheduled is recorded"):
        g_estimation(reviews_and_contacts(100, 8), slope_visits=("scheduled",))

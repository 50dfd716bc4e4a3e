"""Decision visits (alscell.analysis.visit_process; g_estimation's decision_lag_days): the visit process's terms by
hand and against a brute-force count, the decision taken before the dose, the request rules, and a registry whose
clinic decides at reviews and gives the cells weeks later, where the lag takes the lean away."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alscell.analysis.decision_inputs import check_lag, decision_inputs, named_json, named_options, parse_adjust_for
from alscell.analysis.errors import NotApplicable
from alscell.analysis.g_estimation import decided_before, decision_history, g_estimation
from alscell.analysis.visit_process import RECENT_MONTHS, VISIT_INPUTS, measured_terms, spacing_terms, type_terms
from alscell.io.tables import Tables
from registry_arrays import reviews_and_contacts

DAY0 = pd.Timestamp("2020-01-01")


def _frame(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    """An analysis frame from (patient, months, total) rows; dates at 30.4375 days a month."""
    p, t, y = zip(*rows, strict=True)
    months = np.array(t, dtype=float)
    return pd.DataFrame(
        {
            "patient_id": list(p),
            "months": months,
            "y": np.array(y, dtype=float),
            "date": DAY0 + pd.to_timedelta(np.rint(months * 30.4375), unit="D"),
        }
    )


def test_the_spacing_by_hand_in_any_row_order():
    rows = [("A", 0, 40), ("A", 2, 38), ("A", 3, 37), ("A", 9, 30), ("B", 0, 44), ("B", 6, 41)]
    want = {
        "months since the previous visit": [0, 2, 1, 6, 0, 6],
        # the months between the two visits before (the previous gap where only one visit came before)
        "months between the two previous visits": [0, 2, 2, 1, 0, 6],
        # visits in the 6 months before (the visit itself not counted; one exactly 6 months before counted)
        f"visits in the {RECENT_MONTHS:g} months before": [0, 1, 2, 1, 0, 1],
        "loss since the previous visit": [0, 2, 1, 7, 0, 3],
    }
    cols, names, levels = spacing_terms(_frame(rows))
    assert names == list(want) and levels == [True, True, True, False]
    for c, name in zip(cols, names, strict=True):
        assert c.tolist() == want[name], name
    order = [5, 2, 0, 4, 3, 1]  # the same visits shuffled: each row keeps its own values
    shuffled, _, _ = spacing_terms(_frame([rows[i] for i in order]))
    for c, s in zip(cols, shuffled, strict=True):
        assert s.tolist() == c[order].tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 60), min_size=1, max_size=8, unique=True), min_size=1, max_size=5))
def test_the_recent_visits_match_a_count_by_brute_force(patients):
    rows = [(f"P{i}", m / 2.0, 40.0) for i, months in enumerate(patients) for m in months]
    if all(len(m) == 1 for m in patients):
        with pytest.raises(NotApplicable, match="no patient has two visits"):
            spacing_terms(_frame(rows))
        return
    cols, _, _ = spacing_terms(_frame(rows))
    for r, (p, t, _) in enumerate(rows):
        brute = sum(1 for q, s, _ in rows if q == p and t - RECENT_MONTHS <= s < t)
        assert cols[2][r] == brute


def test_what_was_measured_at_the_visit_by_hand():
    df = _frame([("A", 0, 40), ("A", 3, 38), ("A", 6, 37), ("B", 0, 44), ("B", 3, 43)])
    day = df["date"]
    m = pd.DataFrame(
        {
            "patient_id": ["A", "A", "A", "A", "B"],
            # A: FVC at the first and third visits, NfL at the third, a weight between visits; B's FVC on the
            # date of A's third visit, not one of B's
            "date": [day[0], day[2], day[2], day[2] + pd.Timedelta(days=10), day[2]],
            "measure": ["fvc_pct_pred", "fvc_pct_pred", "nfl", "weight_kg", "fvc_pct_pred"],
            "value": [80.0, 75.0, 30.0, 70.0, 90.0],
            "unit": ["%", "%", "pg/mL", "kg", "%"],
        }
    )
    tables = Tables.from_frames(measurements=m)
    cols, names, levels = measured_terms(tables, df)
    assert names == ["fvc_pct_pred taken at the visit", "nfl taken at the visit"] and levels == [True, True]
    assert cols[0].tolist() == [1, 0, 1, 0, 0] and cols[1].tolist() == [0, 0, 1, 0, 0]
    with pytest.raises(NotApplicable, match="no measurement is recorded on the date of a visit"):
        measured_terms(Tables.from_frames(measurements=m.iloc[3:4]), df)


def test_the_visit_inputs_are_named_like_the_others():
    assert set(VISIT_INPUTS) <= set(parse_adjust_for(",".join(VISIT_INPUTS)))
    with pytest.raises(NotApplicable, match="visit_spacing, visit_measures, visit_types or a measurement key"):
        parse_adjust_for("visit_type")
    tables = reviews_and_contacts(40, 1)
    df = decision_history(tables, "alsfrs_r_total")[0]
    inputs = decision_inputs(tables, df, ("visit_spacing", "visit_measures"))
    assert inputs.names[-1] == "fvc_pct_pred taken at the visit" and len(inputs.names) == 5
    assert inputs.levels.tolist() == [True, True, True, False, True]


def test_the_decision_lag_moves_the_start_to_the_last_visit_that_long_before_the_dose():
    # one treated patient (dose on day 0, visits 40 and 20 days before it, on it and 30 days after), one untreated
    df = pd.DataFrame(
        {
            "patient_id": ["A"] * 4 + ["B"] * 3,
            "days_after": [-40.0, -20.0, 0.0, 30.0, np.nan, np.nan, np.nan],
        }
    )
    at_risk, start = decided_before(df, 21)
    assert at_risk.tolist() == [True, False, False, False, True, True, True]
    assert start.tolist() == [True, False, False, False, False, False, False]
    at_risk, start = decided_before(df, 0)  # no lag: the last visit on or before the dose day, as _history has it
    assert at_risk.tolist() == [True, True, True, False, True, True, True]
    assert start.tolist() == [False, False, True, False, False, False, False]


def test_the_lag_request_rules():
    assert check_lag(None) == 0.0 and check_lag("21") == 21.0
    for bad, why in (("-3", "outside 0 to 365"), ("400", "outside 0 to 365"), ("nan", "outside"), ("3 weeks", "not a")):
        with pytest.raises(NotApplicable, match=why):
            check_lag(bad)
    assert named_options(None, False, "g_estimation", None, 21) == {"decision_lag_days": 21.0}
    assert named_options("age", False, "g_estimation", "linear", 0) == {
        "adjust_for": ("age",),
        "within_starters": False,
    }
    with pytest.raises(NotApplicable, match="decision lag: only g_estimation models the decision"):
        named_options(None, False, "lmm_counterfactual", None, 21)
    out = named_json({"estimate": 0.1}, {"decision_lag_days": 21.0}, {})
    assert out["decision_inputs"] == {
        "named": [],
        "columns": [],
        "within_starters": False,
        "outside_starters": None,
        "shape": "linear",
        "decision_lag_days": 21.0,
        "decision_visits": [],
        "left_out_visits": [],
        "eligible_when": [],
        "outside_eligibility": None,
        "recorded_eligibility": False,
        "eligibility_recorded": None,
        "not_eligible_left_out": None,
        "starts_not_eligible": None,
        "hold_raters": False,
        "raters_held_by_default": False,
        "self_ratings": None,
        "self_rated_visits_not_read": None,
    }


def test_with_the_decision_lag_the_start_is_the_review_and_the_lean_goes():
    """Under no effect, taking the last visit before the dose as the decision leans (a contact between the review
    that decided and the dose is read as the decision, its history already holding the weeks after); with the
    programme's lag given the estimate keeps less than half of that lean."""
    plain, lagged = [], []
    for seed in (0, 1, 2):
        t = reviews_and_contacts(1500, seed)
        e0 = g_estimation(t)
        e = g_estimation(t, decision_lag_days=50)
        assert e.details["decision_lag_days"] == 50 and e.details["visits_in_decision_lag"] > 0
        assert any("at least 50 days before the first dose" in w for w in e.warnings)
        assert e.details["initiations"] == e0.details["initiations"]  # every treated patient still starts once
        starts = e.data[e.data["starts"]]
        # each start is now a review (the visit with an FVC), about 1.8 months before the dose
        assert (starts["days_after"].between(-60, -50)).all()
        plain.append(e0.estimate)
        lagged.append(e.estimate)
    assert np.mean(plain) > 0.03, plain
    assert abs(np.mean(lagged)) < np.mean(plain) / 2, (plain, lagged)
    assert g_estimation(t, decision_lag_days=0).estimate == e0.estimate
    # a lag longer than some patients' follow-up before the dose: they have no decision visit, and it says so
    far = g_estimation(t, decision_lag_days=365)
    gone = far.details["starts_without_decision_visit"]
    assert gone > 0 and far.details["initiations"] == e0.details["initiations"] - gone
    assert any(f"{gone} treated patient(s) had no visit that long before their first dose" in w for w in far.warnings)


def test_the_visit_types_by_hand_in_any_row_order():
    """Each recorded type but the most common (scheduled here): is the visit of it, was the previous one, how many
    of it in the six months before (not counting the visit itself)."""
    rows = [("A", 0, 40), ("A", 1, 39), ("A", 2, 38), ("A", 3, 36), ("A", 8, 33), ("B", 0, 44), ("B", 2, 43),
            ("B", 5, 41), ("B", 7, 40)]  # fmt: skip
    kinds = ["scheduled", "remote", "remote", "unscheduled", "scheduled", "scheduled", "remote", "scheduled",
             "scheduled"]  # fmt: skip
    df = _frame(rows)
    a = df[["patient_id", "date"]].assign(visit_type=kinds)
    order = [4, 0, 7, 2, 5, 1, 8, 3, 6]
    shuffled = df.iloc[order].reset_index(drop=True)
    cols, names, levels = type_terms(Tables.from_frames(alsfrs=a), shuffled)
    assert (
        names
        == [
            "visit remote",
            "previous visit remote",
            f"remote visits in the {RECENT_MONTHS:g} months before",
            "visit unscheduled",
            "previous visit unscheduled",
            f"unscheduled visits in the {RECENT_MONTHS:g} months before",
        ]
        and levels == [True] * 6
    )
    want = [
        [0, 1, 1, 0, 0, 0, 1, 0, 0],
        [0, 0, 1, 1, 0, 0, 0, 1, 0],
        [0, 0, 1, 2, 1, 0, 0, 1, 1],  # A at 8: the remote visits at 1 and 2 are more than 6 months before
        [0, 0, 0, 1, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 1, 0, 0, 0, 0],
        [0, 0, 0, 0, 1, 0, 0, 0, 0],
    ]
    for col, w in zip(cols, want, strict=True):
        assert col.tolist() == [w[i] for i in order]
    with pytest.raises(NotApplicable, match="fewer than two visit types"):
        type_terms(Tables.from_frames(alsfrs=a.assign(visit_type="scheduled")), df)
    with pytest.raises(NotApplicable, match="fewer than two visit types"):
        type_terms(Tables.from_frames(alsfrs=a.assign(visit_type=None)), df)

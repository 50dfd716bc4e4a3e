"""What the analyst names as driving the decision (alscell.analysis.decision_inputs; g_estimation's adjust_for and
within_starters): the parser, the columns by hand, the starters' support, and an asymmetry-driven registry where
naming the input takes the lean away."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alscell.analysis.decision_inputs import (
    DEFAULT_SHAPE,
    PATIENT_INPUTS,
    SCREENING_KEYS,
    Inputs,
    decision_inputs,
    inside_starters,
    measures_read,
    named_json,
    named_options,
    parse_adjust_for,
    parse_eligible,
    restricted_cubic_spline,
    spline_terms,
)
from alscell.analysis.errors import NotApplicable
from alscell.analysis.g_estimation import g_estimation
from alscell.domain.measures import MEASURES
from alscell.io.tables import Tables
from registry_arrays import tables_from_totals

KNOWN = (*PATIENT_INPUTS, *MEASURES)


@given(st.lists(st.sampled_from(KNOWN), max_size=8), st.sampled_from(["", " ", "  "]))
def test_known_names_parse_in_order_once_each_whatever_the_spacing(names, pad):
    text = ",".join(f"{pad}{n}{pad}" for n in names) + ("," if names else "")
    assert parse_adjust_for(text) == tuple(dict.fromkeys(names))


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).filter(lambda s: s not in KNOWN))
def test_an_unknown_name_is_refused_by_name(name):
    with pytest.raises(NotApplicable, match=f"unknown term\\(s\\) '{name}'"):
        parse_adjust_for(f"age,{name}")


def test_the_request_rules():
    assert named_options(None, False, "g_estimation") == {} and parse_adjust_for("") == ()
    # the shape of named terms: the spline unless asked (DEFAULT_SHAPE, since the fourteenth world's rule)
    assert DEFAULT_SHAPE == "spline"
    assert named_options("age, grip_kg", True, "g_estimation") == {
        "adjust_for": ("age", "grip_kg"),
        "within_starters": True,
        "adjust_shape": "spline",
    }
    assert named_options("age, grip_kg", True, "g_estimation", "linear") == {
        "adjust_for": ("age", "grip_kg"),
        "within_starters": True,
    }
    for args, why in (
        ((None, True, "g_estimation"), "name the recorded terms"),
        (("age", False, "lmm_counterfactual"), "only g_estimation models the decision"),
    ):
        with pytest.raises(NotApplicable, match=why):
            named_options(*args)
    obj = {"estimate": 0.1}
    assert named_json(obj, {}, {}) is obj
    out = named_json(
        obj, {"adjust_for": ("age",), "within_starters": True}, {"adjusted_columns": ["age"], "outside_starters": 3}
    )
    assert out["decision_inputs"] == {
        "named": ["age"],
        "columns": ["age"],
        "within_starters": True,
        "outside_starters": 3,
        "shape": "linear",
        "decision_lag_days": 0.0,
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
    # the recorded screening (--recorded-eligibility): needs no names, g-estimation only
    assert named_options(None, False, "g_estimation", screening=True) == {"recorded_eligibility": True}
    with pytest.raises(NotApplicable, match="recorded eligibility: only g_estimation models the decision"):
        named_options(None, False, "naive", screening=True)
    screened = named_json(obj, {"recorded_eligibility": True}, {"eligibility_recorded": 9, "not_eligible_left_out": 4,
                                                                 "starts_not_eligible": 0})  # fmt: skip
    assert screened["decision_inputs"]["recorded_eligibility"] is True
    assert [screened["decision_inputs"][k] for k in SCREENING_KEYS] == [9, 4, 0]
    # each rater's offset held (--hold-raters): needs no names, g-estimation only; what was held, without ids
    assert named_options(None, False, "g_estimation", raters=True) == {"hold_raters": True}
    with pytest.raises(NotApplicable, match="hold raters: only g_estimation models the decision"):
        named_options(None, False, "naive", raters=True)
    # --raters-as-recorded: g-estimation reads the ratings as recorded; another method holds none anyway
    assert named_options(None, False, "g_estimation", raters=False) == {"hold_raters": False}
    assert named_options(None, False, "naive", raters=False) == {} == named_options(None, False, "g_estimation")
    held = {
        "reference": "C1",
        "estimate_as_recorded": 0.1,
        "se_as_recorded": 0.05,
        "columns": {
            "rater C2": {"patients_shared": 30, "identified": True, "offset_points": 1.0, "offset_per_point": 0.0},
            "rater C3": {"patients_shared": 4, "identified": False},
        },
    }
    d = named_json(obj, {"hold_raters": True}, {"rater_offsets_held": held})["decision_inputs"]
    assert (d["hold_raters"], d["rater_offsets_held"], d["rater_offset_groups"], d["estimate_as_recorded"]) == (
        True,
        1,
        2,
        0.1,
    )
    assert "C1" not in str(d) and "C2" not in str(d)
    # held by default (nothing asked, g-estimation held them): decision_inputs says so
    d = named_json(obj, {}, {"rater_offsets_held": held})["decision_inputs"]
    assert (d["hold_raters"], d["raters_held_by_default"], d["rater_offsets_held"]) == (True, True, 1)
    assert named_json(obj, {"hold_raters": False}, {}) is obj
    # by default but none could be estimated: nothing was held, nothing said
    none_held = {**held, "columns": {"rater C3": {"patients_shared": 4, "identified": False}}}
    assert named_json(obj, {}, {"rater_offsets_held": none_held}) is obj
    assert named_options("age", False, "g_estimation", "spline")["adjust_shape"] == "spline"
    assert "adjust_shape" not in named_options("age", False, "g_estimation", "linear")
    for args, why in (
        ((None, False, "g_estimation", "spline"), "their continuous levels then enter as splines"),
        (("age", False, "g_estimation", "hinge"), "adjust shape: unknown 'hinge'"),
    ):
        with pytest.raises(NotApplicable, match=why):
            named_options(*args)


def test_the_self_ratings_are_asked_checked_and_said():
    """``self_ratings`` (``--self-ratings``): checked, g-estimation only, passed as asked (not given: g_estimation's
    default); ``decision_inputs`` says the choice used and the self-rated visits the decision model did not read,
    after every earlier key."""
    assert named_options(None, False, "g_estimation", self_ratings="outcome") == {"self_ratings": "outcome"}
    assert named_options(None, False, "g_estimation", self_ratings="read") == {"self_ratings": "read"}
    assert (
        named_options(None, False, "g_estimation", self_ratings=None)
        == {}
        == named_options(None, False, "g_estimation", self_ratings="")
    )
    both = named_options("age", False, "g_estimation", "linear", self_ratings="outcome", raters=False)
    assert both == {"adjust_for": ("age",), "within_starters": False, "hold_raters": False, "self_ratings": "outcome"}
    for method in ("g_estimation", "naive"):  # the choice is checked first
        with pytest.raises(NotApplicable, match=r"self ratings: unknown choice 'never': use read, outcome\."):
            named_options(None, False, method, self_ratings="never")
    for method in ("naive", "lmm_counterfactual"):
        with pytest.raises(NotApplicable) as err:
            named_options(None, False, method, self_ratings="outcome")
        assert str(err.value) == (
            f"self ratings: only g_estimation models the decision to treat (the method asked for is {method})."
        )
        # every visit read, as another method reads them anyway (like --raters-as-recorded)
        assert named_options(None, False, method, self_ratings="read") == {}
    obj = {"estimate": 0.1}
    earlier = [
        "named", "columns", "within_starters", "outside_starters", "shape", "decision_lag_days", "decision_visits",
        "left_out_visits", "eligible_when", "outside_eligibility", "recorded_eligibility", *SCREENING_KEYS,
        "hold_raters", "raters_held_by_default",
    ]  # fmt: skip
    rated = {"self_ratings": "outcome", "self_rated_visits": 5, "self_rated_visits_not_read": 5}
    d = named_json(obj, {"self_ratings": "outcome"}, rated)["decision_inputs"]
    assert list(d) == [*earlier, "self_ratings", "self_rated_visits_not_read"]  # extended, never reordered
    assert (d["self_ratings"], d["self_rated_visits_not_read"], d["named"], d["hold_raters"]) == (
        "outcome",
        5,
        [],
        False,
    )
    # asked where no visit is self-rated: the choice made no difference (null), none left unread
    d = named_json(obj, {"self_ratings": "outcome"}, {"self_rated_visits_not_read": 0})["decision_inputs"]
    assert (d["self_ratings"], d["self_rated_visits_not_read"]) == (None, 0)
    d = named_json(obj, {"self_ratings": "read"}, {"self_ratings": "read", "self_rated_visits": 5})["decision_inputs"]
    assert (d["self_ratings"], d["self_rated_visits_not_read"]) == ("read", None)
    # not asked: said only where g-estimation's default left self-rated visits out of the decision model
    assert named_json(obj, {}, {"self_ratings": "read", "self_rated_visits": 5}) is obj
    assert named_json(obj, {}, {"self_rated_visits_not_read": 0}) is obj
    assert named_json(obj, {}, rated)["decision_inputs"]["self_rated_visits_not_read"] == 5


def test_the_self_ratings_asked_reach_the_estimate():
    from alscell.analysis.self_ratings import DEFAULT_SELF_RATINGS
    from registry_arrays import self_rated_contacts

    t = self_rated_contacts(200, 3)
    contacts = int((t["alsfrs"]["assessor"] == "self").sum())
    est = g_estimation(t, **named_options(None, False, "g_estimation", self_ratings="outcome"))
    d = named_json(est.to_json_dict(), {"self_ratings": "outcome"}, est.details)["decision_inputs"]
    assert (d["self_ratings"], d["self_rated_visits_not_read"]) == ("outcome", contacts) and contacts > 0
    default = g_estimation(t, **named_options(None, False, "g_estimation"))
    assert default.details["self_ratings"] == DEFAULT_SELF_RATINGS
    assert default.details["self_rated_visits"] == contacts


def test_the_decision_history_is_asked_checked_and_said():
    """``history`` (``--history``): each of g-estimation's histories passed as asked (not given or empty:
    g_estimation's default), an unknown one refused with g-estimation's own sentence, another method refused;
    ``decision_inputs`` says the history used, after every earlier key, only when one was asked for."""
    from alscell.analysis.decision_inputs import check_history
    from alscell.analysis.g_estimation import DEFAULT_HISTORY, HISTORIES

    assert DEFAULT_HISTORY in HISTORIES
    for history in HISTORIES:
        assert check_history(history) == history
        assert named_options(None, False, "g_estimation", history=history) == {"history": history}
    assert (
        named_options(None, False, "g_estimation", history=None)
        == {}
        == named_options(None, False, "g_estimation", history="")
    )
    both = named_options("age", False, "g_estimation", "linear", self_ratings="outcome", history="standard")
    assert both == {"adjust_for": ("age",), "within_starters": False, "self_ratings": "outcome", "history": "standard"}
    sentence = f"unknown history 'lagged': use {', '.join(HISTORIES)}."
    for method in ("g_estimation", "naive"):  # the choice is checked first
        with pytest.raises(NotApplicable) as err:
            named_options(None, False, method, history="lagged")
        assert str(err.value) == sentence
    with pytest.raises(NotApplicable) as err:  # the sentence decision_history gives the Python API
        g_estimation(tables_from_totals(np.array([[0.0, 3.0]]), np.array([[40.0, 38.0]]), np.array([np.inf])),
                     history="lagged")  # fmt: skip
    assert str(err.value) == sentence
    for method in ("naive", "lmm_counterfactual"):
        with pytest.raises(NotApplicable) as err:
            named_options(None, False, method, history="standard")
        assert (
            str(err.value)
            == f"history: only g_estimation models the decision to treat (the method asked for is {method})."
        )
    obj = {"estimate": 0.1}
    earlier = [
        "named", "columns", "within_starters", "outside_starters", "shape", "decision_lag_days", "decision_visits",
        "left_out_visits", "eligible_when", "outside_eligibility", "recorded_eligibility", *SCREENING_KEYS,
        "hold_raters", "raters_held_by_default", "self_ratings", "self_rated_visits_not_read",
    ]  # fmt: skip
    d = named_json(obj, {"history": "standard"}, {"history": "standard"})["decision_inputs"]
    assert list(d) == [*earlier, "history"] and d["history"] == "standard"  # extended, never reordered
    assert named_json(obj, {"history": "standard"}, {})["decision_inputs"]["history"] is None  # no estimate made
    # not asked: nothing said of it (the history used is g_estimation's default)
    assert named_json(obj, {}, {"history": DEFAULT_HISTORY}) is obj
    assert "history" not in named_json(obj, {"adjust_for": ("age",)}, {"history": DEFAULT_HISTORY})["decision_inputs"]


def _registry() -> tuple[Tables, pd.DataFrame]:
    patients = pd.DataFrame(
        {
            "patient_id": ["A", "B", "C"],
            "sex": ["M", "F", "U"],
            "birth_year": [1950, 1960, None],
            "onset_date": ["2018-01-01"] * 3,
            "diagnosis_date": ["2018-06-01", None, "2018-09-01"],
            "site": ["north", "north", "south"],
            "riluzole": ["true", "false", None],
            "el_escorial": ["definite", "probable", "definite"],
            "genetics": [None, "SOD1", None],
        }
    )
    events = pd.DataFrame({"patient_id": ["A"], "date": ["2020-02-01"], "event": ["niv_start"]})
    grip = [  # patient, date, side, value
        ("A", "2020-01-01", "left", 30.0), ("A", "2020-01-01", "right", 15.0),
        ("A", "2020-03-01", "left", 30.0), ("A", "2020-03-01", "right", 24.0),
        ("B", "2020-01-01", "left", 20.0), ("B", "2020-01-01", "right", 20.0),
    ]  # fmt: skip
    hhd = [  # two muscles on one day: the lowest ratio counts
        ("C", "2020-01-01", "left", 40.0, "quadriceps"), ("C", "2020-01-01", "right", 20.0, "quadriceps"),
        ("C", "2020-01-01", "left", 10.0, "deltoid"), ("C", "2020-01-01", "right", 8.0, "deltoid"),
    ]  # fmt: skip
    m = pd.concat(
        [
            pd.DataFrame(grip, columns=["patient_id", "date", "side", "value"]).assign(measure="grip_kg", unit="kg"),
            pd.DataFrame(hhd, columns=["patient_id", "date", "side", "value", "muscle"]).assign(
                measure="hhd_kg", unit="kg"
            ),
        ]
    )
    df = pd.DataFrame(
        {
            "patient_id": ["A", "A", "A", "B", "C"],
            "date": pd.to_datetime(["2019-12-01", "2020-02-01", "2020-04-01", "2020-02-01", "2020-02-01"]),
        }
    )
    return Tables.from_frames(patients=patients, events=events, measurements=m), df


def test_the_columns_by_hand():
    t, df = _registry()
    got = decision_inputs(t, df, ("age", "time_since_diagnosis", "ventilation", "sex", "site", "riluzole"))
    X = pd.DataFrame(got.X, columns=got.names)
    assert X["age"].tolist() == [69, 70, 70, 60, np.median([69, 70, 70, 60])]  # visit year − birth year
    assert X["age (unknown)"].tolist() == [0, 0, 0, 0, 1]
    assert X["ventilation"].tolist() == [0, 1, 1, 0, 0]  # NIV from 2020-02-01 on
    # the most common value over the visits is the reference (M); an unknown (sex U) has its own flag
    assert X["sex F"].tolist() == [0, 0, 0, 1, 0] and X["sex (unknown)"].tolist() == [0, 0, 0, 0, 1]
    assert X["site south"].tolist() == [0, 0, 0, 0, 1] and "site north" not in X
    assert X["riluzole"].tolist() == [1, 1, 1, 0, 0] and X["riluzole (unknown)"].tolist() == [0, 0, 0, 0, 1]
    assert got.levels.all()
    onset = decision_inputs(t, df, ("time_since_onset",))
    assert onset.names == ["time since onset"] and onset.X[0, 0] == pytest.approx(
        (pd.Timestamp("2019-12-01") - pd.Timestamp("2018-01-01")).days / 30.4375
    )
    more = decision_inputs(t, df, ("el_escorial", "genetics"))
    # genetics: one value recorded (no column of its own) and the rest unknown
    assert more.names == ["el_escorial probable", "genetics (unknown)"]
    assert more.X.T.tolist() == [[0, 0, 0, 1, 0], [1, 1, 1, 0, 1]]


def test_a_measure_taken_on_both_sides_gives_its_weaker_over_stronger_side():
    t, df = _registry()
    got = decision_inputs(t, df, ("grip_kg", "hhd_kg"))
    X = pd.DataFrame(got.X, columns=got.names)
    # A: none yet, then 15/30 (2020-02-01 sees 2020-01-01's), then 24/30; B 20/20; C no grip (the median, flagged)
    ratio = X["grip_kg weaker/stronger side"].tolist()
    assert ratio[1:4] == pytest.approx([0.5, 0.8, 1.0]) and ratio[0] == ratio[4] == pytest.approx(0.8)
    assert X["grip_kg weaker/stronger side (none yet)"].tolist() == [1, 0, 0, 0, 1]
    # the level averages both sides: A 22.5 then 27; its change per month (4.5 kg over 60 days)
    assert X["grip_kg"].tolist()[1:3] == pytest.approx([22.5, 27.0])
    assert X["grip_kg change per month"].tolist()[2] == pytest.approx(4.5 / (60 / 30.4375), rel=1e-3)
    assert X["hhd_kg weaker/stronger side"].tolist()[4] == pytest.approx(0.5)  # quadriceps 20/40 below deltoid 8/10
    assert got.levels.tolist() == [True, False, True, True, True] * 2


def test_a_term_the_registry_cannot_answer_is_a_clear_error():
    t, df = _registry()
    bare = Tables.from_frames(patients=t["patients"].drop(columns=["birth_year"]))
    with pytest.raises(NotApplicable, match="no patient has a birth_year recorded"):
        decision_inputs(bare, df, ("age",))
    with pytest.raises(NotApplicable, match="no fvc_pct_pred is recorded"):
        decision_inputs(t, df, ("fvc_pct_pred",))
    with pytest.raises(NotApplicable, match="unknown term"):
        decision_inputs(t, df, ("height",))
    with pytest.raises(NotApplicable, match="carry no dates"):
        decision_inputs(t, df.drop(columns=["date"]), ("age",))


def test_inside_the_starters_keeps_every_start_and_what_they_had():
    # columns: a flag (levels), a continuous level, a change per month (not a level: never restricts)
    X = np.array([[0, 60, 9.0], [0, 72, -9.0], [1, 65, 0.0], [0, 75, 0.0], [0, 58, 0.0], [1, 70, 0.0]])
    starts = np.array([1, 1, 0, 0, 0, 0])
    keep = inside_starters(X, np.array([True, True, False]), starts)
    # the flag was 0 at every start: rows with 1 out; ages 60..72: 75 and 58 out
    assert keep.tolist() == [True, True, False, False, False, False]
    assert inside_starters(X, np.array([True, True, False]), np.zeros(6)).all()


def _asymmetric(n: int, seed: int, effect: float = 0.0) -> Tables:
    """Straight courses whose rate a stable grip asymmetry foretells better than the noisy scores do (a focal
    weakness on one side of a faster disease; score noise SD 3), and treatment at a visit more likely the more
    asymmetric the grip (intramuscular injections into the weaker limb).  Grip on both sides at every visit."""
    rng = np.random.default_rng(seed)
    k = 9
    z = rng.normal(0, 1, n)
    ratio = np.clip(0.85 - 0.12 * z + rng.normal(0, 0.03, n), 0.3, 1.0)
    t = rng.uniform(4, 14, n)[:, None] + 3.0 * np.arange(k)[None, :]
    T = np.full(n, np.inf)
    for j in range(1, k - 2):
        start = np.isinf(T) & (rng.random(n) < 1 / (1 + np.exp(3.0 - 10 * (0.8 - ratio))))
        T[start] = t[start, j]
    rate = 0.8 * np.exp(0.6 * z)
    y = 46 - rate[:, None] * t + effect * np.clip(t - T[:, None], 0, None) + rng.normal(0, 3.0, t.shape)
    base = tables_from_totals(t, y, T)
    a, strong = base["alsfrs"], rng.normal(30, 5, n)
    i = np.repeat(np.arange(n), k)
    sides = [("left", strong[i]), ("right", strong[i] * ratio[i])]
    m = pd.concat(
        [
            pd.DataFrame(
                {
                    "patient_id": a["patient_id"],
                    "date": a["date"],
                    "measure": "grip_kg",
                    "unit": "kg",
                    "side": side,
                    "value": np.round(v, 1),
                }
            )
            for side, v in sides
        ]
    )
    return Tables.from_frames(patients=base["patients"], treatments=base["treatments"], alsfrs=a, measurements=m)


def test_naming_the_asymmetry_the_decision_read_takes_the_lean_away():
    """Under no effect the standard history leans against treatment (the treated are the faster, and the noisy
    scores do not show how much); with grip named it does not."""
    raw, named = [], []
    for seed in (3, 4, 5):
        t = _asymmetric(1500, seed)
        raw.append(g_estimation(t).estimate)
        e = g_estimation(t, adjust_for=("grip_kg",))
        assert (
            e.details["adjusted_for"] == ["grip_kg"] and "grip_kg weaker/stronger side" in e.details["adjusted_columns"]
        )
        assert any("also hold what was named as driving the decision (grip_kg)" in w for w in e.warnings)
        assert "history_check" not in e.details  # the analyst named the adjustment set: no registry terms' contrast
        named.append(e.estimate)
    assert np.mean(raw) < -0.05, raw
    assert abs(np.mean(named)) < 0.025, named


def test_within_the_starters_leaves_out_the_visits_no_start_was_like():
    t = _asymmetric(600, 7)
    full = g_estimation(t, adjust_for=("grip_kg",))
    inside = g_estimation(t, adjust_for=("grip_kg",), within_starters=True)
    assert inside.details["initiations"] == full.details["initiations"]  # every start kept
    out = inside.details["outside_starters"]
    assert 0 < out and inside.details["decision_rows"] == full.details["decision_rows"] - out
    assert any(f"{out} of {full.details['decision_rows']} decision visits lay outside" in w for w in inside.warnings)
    with pytest.raises(NotApplicable, match="name the recorded terms"):
        g_estimation(t, within_starters=True)
    with pytest.raises(NotApplicable, match="no weight_kg is recorded"):
        g_estimation(t, adjust_for=("weight_kg",))


def test_with_the_sensitivity_analyses_the_primary_holds_the_names_and_says_what_the_others_do_not():
    from alscell.analysis.sensitivity import sensitivity_analyses

    t = _asymmetric(600, 8)
    options = named_options("grip_kg", False, "g_estimation", "linear")
    s = sensitivity_analyses(t, options=options)
    assert s.primary.estimate == g_estimation(t, adjust_for=("grip_kg",)).estimate
    assert "holds the decision inputs named (grip_kg)" in s.summary()
    assert all(r.result is None or "adjusted_for" not in r.result.details for r in s.rows)
    with pytest.raises(NotApplicable, match="need the primary g_estimation"):
        sensitivity_analyses(t, primary="lmm_counterfactual", options=options)
    plain = sensitivity_analyses(t)
    assert "decision inputs named" not in plain.summary()
    # the does-it-last check holds the names too: its two slope changes move with them
    assert s.waning is not None and plain.waning is not None and s.waning.early and plain.waning.early
    assert s.waning.early.estimate != plain.waning.early.estimate and s.waning.method == "g_estimation"
    # with splines the primary and the check hold them as well
    spline = sensitivity_analyses(t, options=named_options("grip_kg", False, "g_estimation"))  # the default shape
    assert spline.primary.estimate == g_estimation(t, adjust_for=("grip_kg",), adjust_shape="spline").estimate
    assert spline.waning is not None and spline.waning.early
    assert spline.waning.early.estimate != s.waning.early.estimate


def test_the_restricted_cubic_spline_spans_patsys_natural_cubic_spline():
    """Harrell's parametrisation and patsy's natural cubic regression spline (an independent implementation) with
    the same knots span the same functions: cubic between the knots, linear beyond the outer ones."""
    patsy = pytest.importorskip("patsy")
    x = np.random.default_rng(1).normal(size=400)
    knots = np.quantile(x, (0.05, 0.35, 0.65, 0.95))
    ours = np.column_stack([np.ones_like(x), x, restricted_cubic_spline(x, knots)])
    theirs = np.asarray(
        patsy.dmatrix(
            "cr(x, knots=k, lower_bound=lo, upper_bound=hi) - 1",
            {"x": x, "k": knots[1:-1], "lo": knots[0], "hi": knots[-1]},
        )
    )
    assert ours.shape == theirs.shape == (400, 4)
    for a, b in ((ours, theirs), (theirs, ours)):
        assert np.abs(a - b @ np.linalg.lstsq(b, a, rcond=None)[0]).max() < 1e-9
    # by hand at three knots 0, 1, 2: one term, (x)+^3 - 2(x-1)+^3 + (x-2)+^3, over (2 - 0)^2
    hand = restricted_cubic_spline(np.array([-1.0, 0.5, 1.5, 3.0]), np.array([0.0, 1.0, 2.0]))
    assert np.allclose(hand[:, 0], np.array([0.0, 0.125, 3.375 - 2 * 0.125, 27 - 16 + 1]) / 4)


def test_spline_terms_bend_the_continuous_levels_only():
    rng = np.random.default_rng(2)
    X = np.column_stack([rng.normal(60, 10, 300), rng.normal(size=300), rng.integers(0, 2, 300), np.full(300, 5.0)])
    inputs = Inputs(X, ["age", "age change", "ventilation", "constant"], np.array([True, False, True, True]))
    B, names = spline_terms(inputs, np.arange(0, 300, 2))
    # four knots give two terms for age; not the change (not a level), the 0/1 flag or a constant (one knot)
    assert names == ["age (spline 1)", "age (spline 2)"] and B.shape == (300, 2)
    knots = np.quantile(X[::2, 0], (0.05, 0.35, 0.65, 0.95))  # knots from the decision rows given
    assert np.allclose(B, restricted_cubic_spline(X[:, 0], knots))
    assert spline_terms(inputs, np.arange(0))[0].shape == (300, 0)


def test_a_spline_adjustment_names_its_columns_and_an_unknown_shape_is_refused():
    t = _asymmetric(600, 7)
    e = g_estimation(t, adjust_for=("grip_kg",), adjust_shape="spline")
    assert e.details["adjust_shape"] == "spline" and np.isfinite(e.estimate)
    assert any(c.startswith("grip_kg weaker/stronger side (spline") for c in e.details["adjusted_columns"])
    with pytest.raises(NotApplicable, match="adjust shape: unknown 'hinge'"):
        g_estimation(t, adjust_for=("grip_kg",), adjust_shape="hinge")


def _banded(n: int, seed: int) -> Tables:
    """Straight courses whose rate rises with the distance of a stable blood NfL from the middle of its range (a
    U, an assumption of this test), and treatment only for an NfL within a band around the middle (an eligibility
    that cuts on both sides).  No effect."""
    rng = np.random.default_rng(seed)
    k = 9
    v = rng.normal(0, 1, n)  # standardised log NfL
    rate = 0.4 + 0.7 * v**2 + 0.2 * rng.normal(0, 1, n).clip(-2, 2)
    t = rng.uniform(4, 14, n)[:, None] + 3.0 * np.arange(k)[None, :]
    T = np.full(n, np.inf)
    for j in range(1, k - 2):
        start = np.isinf(T) & (np.abs(v) < 0.6) & (rng.random(n) < 0.25)
        T[start] = t[start, j]
    base = tables_from_totals(t, 46 - rate[:, None] * t + rng.normal(0, 3.0, t.shape), T)
    a = base["alsfrs"]
    m = pd.DataFrame(
        {
            "patient_id": a["patient_id"],
            "date": a["date"],
            "measure": "nfl",
            "unit": "pg/mL",
            "specimen": "serum",
            "value": np.round(np.exp(3.5 + 0.5 * np.repeat(v, k)), 1),
        }
    )
    return Tables.from_frames(patients=base["patients"], treatments=base["treatments"], alsfrs=a, measurements=m)


def test_a_band_on_a_named_measure_needs_the_spline():
    """Treated only within a band of NfL, the slower patients: the default and the linear NfL term lean towards
    benefit (a straight line cannot hold a band or a U); its spline terms take the lean away."""
    default, linear, spline = [], [], []
    for seed in (3, 4, 5):
        t = _banded(1500, seed)
        default.append(g_estimation(t).estimate)
        linear.append(g_estimation(t, adjust_for=("nfl",)).estimate)
        spline.append(g_estimation(t, adjust_for=("nfl",), adjust_shape="spline").estimate)
    assert np.mean(default) > 0.07 and np.mean(linear) > 0.07, (default, linear)
    assert abs(np.mean(spline)) < 0.04, spline


def test_the_course_shape_adds_each_named_measures_course_after_the_named_terms():
    t, df = _registry()
    plain = decision_inputs(t, df, ("age", "grip_kg"))
    got = decision_inputs(t, df, ("age", "grip_kg"), course=True)
    k = len(plain.names)
    assert got.names[:k] == plain.names and np.array_equal(got.X[:, :k], plain.X)
    assert got.names[k:] == ["grip_kg over its first", "grip_kg change per month since its first",
                             "grip_kg taken at the visit", "grip_kg (one value so far)"]  # fmt: skip
    assert got.levels[k:].tolist() == [True, False, True, True]
    # A on 2020-02-01: grip's mean over both sides was 22.5 on 2020-01-01, its first and only value (not taken then)
    assert got.X[1, k:].tolist() == [1.0, 0.0, 0.0, 1.0]
    # A on 2020-04-01: 27 over 22.5, two months on
    months = (pd.Timestamp("2020-03-01") - pd.Timestamp("2020-01-01")).days / 30.4375
    assert got.X[2, k:] == pytest.approx([27 / 22.5, 4.5 / months, 0.0, 0.0])
    assert decision_inputs(t, df, ("age",), course=True).names == decision_inputs(t, df, ("age",)).names


def test_a_course_adjustment_names_its_columns_and_the_request_takes_it():
    t = _asymmetric(600, 7)
    m = t["measurements"]
    rng = np.random.default_rng(8)
    first = pd.to_datetime(m.groupby("patient_id")["date"].transform("min"))
    months = (pd.to_datetime(m["date"]) - first).dt.days / 30.4375
    m = m.assign(value=(m["value"] * (1 - 0.01 * months * rng.uniform(0.5, 1.5, len(m)))).round(1))
    m = m[(months == 0) | (rng.random(len(m)) < 0.8)]  # some reviews without grip: "taken at the visit" varies
    t = Tables.from_frames(patients=t["patients"], treatments=t["treatments"], alsfrs=t["alsfrs"], measurements=m)
    e = g_estimation(t, adjust_for=("grip_kg",), adjust_shape="course")
    assert e.details["adjust_shape"] == "course" and np.isfinite(e.estimate)
    cols = e.details["adjusted_columns"]
    assert any(c.startswith("grip_kg over its first") for c in cols) and any("(spline" in c for c in cols)
    assert named_options("grip_kg", False, "g_estimation", "course")["adjust_shape"] == "course"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("", ()),
        ("age <= 75", (("age", "<=", 75.0),)),
        (" time since onset<36 ;ventilation == 0; ", (("time since onset", "<", 36.0), ("ventilation", "==", 0.0))),
        ("fvc_pct_pred over its first >= .9", (("fvc_pct_pred over its first", ">=", 0.9),)),
        ("nfl != -1.5e1", (("nfl", "!=", -15.0),)),
    ],
)
def test_an_eligibility_is_parsed_condition_by_condition(text, parsed):
    assert parse_eligible(text) == parsed


@pytest.mark.parametrize("text", ["age", "age <= old", "<= 3", "age => 3", "age <= 3 4"])
def test_a_condition_that_is_not_term_op_number_is_refused_with_the_form(text):
    with pytest.raises(NotApplicable, match="is not TERM OP NUMBER"):
        parse_eligible(text)


def test_stating_the_eligibility_takes_the_lean_of_a_band_away_even_with_straight_terms():
    """The band registry (treated only within an NfL band, no effect): the straight NfL term leans; with the band
    stated as the eligibility the decision visits outside it leave, and the lean with them."""
    linear, stated = [], []
    for seed in (3, 4, 5):
        t = _banded(1500, seed)
        linear.append(g_estimation(t, adjust_for=("nfl",)).estimate)
        e = g_estimation(t, adjust_for=("nfl",), eligible_when="nfl >= 3.2; nfl <= 3.8")
        assert e.details["outside_eligibility"] > 0 and e.details["eligible_when"] == ["nfl >= 3.2", "nfl <= 3.8"]
        assert any("did not meet the stated eligibility" in w for w in e.warnings)
        stated.append(e.estimate)
    assert np.mean(linear) > 0.07 and abs(np.mean(stated)) < 0.03, (linear, stated)


def test_starts_outside_a_stated_eligibility_are_kept_and_said():
    t = _banded(800, 3)
    e = g_estimation(t, adjust_for=("nfl",), eligible_when="nfl >= 3.5")  # half the band: starts below it
    assert any("start(s) came at visits that do not meet the stated eligibility" in w for w in e.warnings)
    with pytest.raises(NotApplicable, match="no column 'weight' among the named terms' \\(nfl, nfl change per month"):
        g_estimation(t, adjust_for=("nfl",), eligible_when="weight <= 3")
    course = g_estimation(t, adjust_for=("nfl",), eligible_when="nfl taken at the visit == 1")  # course columns too
    assert course.details["outside_eligibility"] >= 0 and course.details.get("adjust_shape") is None


def test_the_measurements_an_effect_keeps_include_the_history_checks():
    """``alscell effect`` and ``GET /api/v1/effect`` keep only :func:`measures_read`'s measurements; g-estimation's
    history check reads FVC, SVC, weight and NfL, so those are kept too — before, the command line dropped them and
    its history check (and caution) differed from the API's on the same registry."""
    from alscell.analysis.measure_history import MEASURES as HISTORY_MEASURES
    from alscell.simulate import CohortConfig, simulate_cohort

    assert measures_read("alsfrs_r_total", ()) == ("alsfrs_r_total", *HISTORY_MEASURES)
    assert measures_read("fvc_pct_pred", ("age", "nfl"))[:3] == ("fvc_pct_pred", "age", "nfl")
    assert (
        measures_read("fvc_pct_pred", ()).count("fvc_pct_pred") == 1 and measures_read("x", ("visit_measures",)) is None
    )
    t = simulate_cohort(CohortConfig(n_patients=400, design="registry", effect=0.2), 5).tables
    m = t["measurements"]
    kept = t.replace(measurements=m[m["measure"].isin(measures_read("alsfrs_r_total", ()))])
    assert len(kept["measurements"]) < len(m) and {"fvc_pct_pred", "nfl"} <= set(kept["measurements"]["measure"])
    full, read = g_estimation(t), g_estimation(kept)
    assert read.estimate == full.estimate and read.warnings == full.warnings
    assert read.details["history_check"] == full.details["history_check"]
    # the default history reads the measures (since the forty-first session), so dropping them would move the
    # estimate itself; the check then adds the registry terms alone
    dropped = g_estimation(t.replace(measurements=m[m["measure"] == "alsfrs_r_total"]))
    assert full.details["history"] == "measures_only" and dropped.estimate != full.estimate
    assert "age" in full.details["history_check"]["terms"]
    assert not {"fvc_pct_pred", "nfl"} & set(full.details["history_check"]["terms"])

"""Eligibility screen: presets, boundaries, failures versus unknowns."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alscell.domain.suitability import (
    LENIENT,
    STRICT,
    EligibilityCriteria,
    ScreenResult,
    invasive_ventilation_from,
    screen,
)

GOOD = dict(
    el_escorial="probable", months_since_onset=12.0, alsfrs_total=40, fvc_pct_pred=80.0, invasive_ventilation=False
)


def run(criteria=LENIENT, **changes) -> ScreenResult:
    return screen(criteria, **{**GOOD, **changes})


def test_presets():
    assert (LENIENT.min_alsfrs_total, LENIENT.min_fvc_pct_pred) == (25, 50)
    assert (STRICT.min_alsfrs_total, STRICT.min_fvc_pct_pred) == (35, 65)
    for preset in (LENIENT, STRICT):
        assert preset.max_months_since_onset == 24
        assert preset.exclude_invasive_ventilation
        assert set(preset.el_escorial) == {"possible", "probable", "probable_lab", "definite"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        LENIENT.min_alsfrs_total = 10  # type: ignore[misc]


@pytest.mark.parametrize("criteria", [LENIENT, STRICT])
def test_good_patient_is_eligible(criteria):
    result = run(criteria)
    assert result.eligible and result.reasons == [] and result.unknown == [] and result.status == "eligible"


@pytest.mark.parametrize(
    "changes, lenient_ok, strict_ok",
    [
        (dict(alsfrs_total=25), True, False),  # LENIENT bound is inclusive
        (dict(alsfrs_total=24), False, False),
        (dict(alsfrs_total=35), True, True),  # STRICT bound is inclusive
        (dict(alsfrs_total=34), True, False),
        (dict(fvc_pct_pred=50), True, False),
        (dict(fvc_pct_pred=49.9), False, False),
        (dict(fvc_pct_pred=65), True, True),
        (dict(fvc_pct_pred=64.5), True, False),
        (dict(months_since_onset=24), True, True),  # "≤ 24 months"
        (dict(months_since_onset=24.1), False, False),
        (dict(el_escorial="possible"), True, True),
        (dict(el_escorial="definite"), True, True),
        (dict(el_escorial="probable_lab"), True, True),
        (dict(el_escorial="suspected"), False, False),
        (dict(invasive_ventilation=True), False, False),
    ],
)
def test_boundaries(changes, lenient_ok, strict_ok):
    for criteria, ok in ((LENIENT, lenient_ok), (STRICT, strict_ok)):
        result = run(criteria, **changes)
        assert result.eligible == ok
        assert len(result.reasons) == (0 if ok else 1)
        assert result.unknown == []


def test_reasons_are_plain_sentences():
    result = run(
        STRICT,
        alsfrs_total=30,
        fvc_pct_pred=55,
        months_since_onset=30,
        el_escorial="suspected",
        invasive_ventilation=True,
    )
    assert not result.eligible and result.status == "not eligible"
    assert len(result.reasons) == 5
    text = " ".join(result.reasons)
    for fragment in (
        "suspected",
        "30.0 months",
        "24 months",
        "ALSFRS-R total is 30",
        "minimum is 35",
        "FVC is 55% predicted",
        "65%",
        "invasive ventilation",
    ):
        assert fragment in text
    assert all(r[0].isupper() and r.endswith(".") for r in result.reasons)


@pytest.mark.parametrize("field", list(GOOD))
@pytest.mark.parametrize("missing", [None, np.nan])
def test_missing_is_unknown_not_failure(field, missing):
    result = run(LENIENT, **{field: missing})
    assert result.reasons == []
    assert len(result.unknown) == 1
    assert not result.eligible and result.status == "undetermined"


def test_failure_and_unknown_together():
    result = run(LENIENT, alsfrs_total=20, fvc_pct_pred=None)
    assert result.status == "not eligible"
    assert len(result.reasons) == 1 and len(result.unknown) == 1
    assert "FVC" in result.unknown[0]


def test_criteria_not_applied_are_not_checked():
    loose = EligibilityCriteria(
        el_escorial=("definite", "probable", "probable_lab", "possible", "suspected"),
        max_months_since_onset=None,
        exclude_invasive_ventilation=False,
    )
    result = screen(
        loose,
        el_escorial="suspected",
        months_since_onset=None,
        alsfrs_total=None,
        fvc_pct_pred=None,
        invasive_ventilation=True,
    )
    assert result.eligible and result.status == "eligible"


def test_vocabulary_is_checked():
    with pytest.raises(ValueError):
        EligibilityCriteria(el_escorial=("likely",))
    with pytest.raises(ValueError):
        run(LENIENT, el_escorial="likely")


@pytest.mark.parametrize(
    "q12, events, expected",
    [
        (0, (), True),  # item 12 = 0: invasive mechanical ventilation
        (1, (), False),  # continuous BiPAP is non-invasive
        (4, ("niv_start",), False),
        (None, ("tracheostomy",), True),
        (3, ("permanent_ventilation",), True),
        (None, (), None),
        (np.nan, ("niv_start",), None),
    ],
)
def test_invasive_ventilation_from(q12, events, expected):
    assert invasive_ventilation_from(q12, events) is expected


# --- criteria sets as data files ------------------------------------------------------------------
from alscell.domain.suitability import (  # noqa: E402
    CriteriaSet,
    Criterion,
    evaluate_criterion,
    evaluate_routes,
    evaluate_set,
    load_criteria,
    load_route_flags,
    shipped_criteria,
)


def test_shipped_sets_load_and_cite_sources():
    names = shipped_criteria()
    assert {"nurown_phase3", "typical_lenient", "typical_strict"} <= set(names)
    for n in names:
        cs = load_criteria(n)
        assert cs.criteria and cs.source
        assert all(c.source for c in cs.criteria)
    assert {c.type for c in load_criteria("nurown_phase3").criteria} == {"range", "one_of", "flag", "decline"}


def test_range_rule_inclusive_bounds_and_unknown():
    c = Criterion(id="a", type="range", variable="alsfrs_total", min=25, max=40, label="x", source="s")
    assert evaluate_criterion(c, {"alsfrs_total": 25})["status"] == "pass"
    assert evaluate_criterion(c, {"alsfrs_total": 40})["status"] == "pass"
    r = evaluate_criterion(c, {"alsfrs_total": 24})
    assert r["status"] == "fail" and "24" in r["why"] and "at least 25" in r["why"]
    assert evaluate_criterion(c, {"alsfrs_total": 41})["status"] == "fail"
    r = evaluate_criterion(c, {"alsfrs_total": np.nan})
    assert r["status"] == "unknown" and "not recorded" in r["why"]


def test_one_of_rule():
    c = Criterion(id="e", type="one_of", variable="el_escorial", values=("probable", "definite"), label="x", source="s")
    assert evaluate_criterion(c, {"el_escorial": "definite"})["status"] == "pass"
    assert evaluate_criterion(c, {"el_escorial": "possible"})["status"] == "fail"
    assert evaluate_criterion(c, {})["status"] == "unknown"


def test_flag_rule():
    c = Criterion(id="f", type="flag", variable="anticoagulation", required=False, label="x", source="s")
    assert evaluate_criterion(c, {"anticoagulation": False})["status"] == "pass"
    assert evaluate_criterion(c, {"anticoagulation": True})["status"] == "fail"
    assert evaluate_criterion(c, {"anticoagulation": None})["status"] == "unknown"


def test_decline_rule_with_dict_or_function():
    c = Criterion(id="d", type="decline", min_points=2, over_months=3, label="x", source="s")
    assert evaluate_criterion(c, {}, {"points": 3.0, "months": 3.1})["status"] == "pass"
    assert evaluate_criterion(c, {}, {"points": 1.0, "months": 3.0})["status"] == "fail"
    seen = []
    r = evaluate_criterion(c, {}, lambda over: seen.append(over) or {"why": "only one visit"})
    assert seen == [3.0] and r["status"] == "unknown" and "only one visit" in r["why"]


def test_invalid_rules_are_rejected():
    with pytest.raises(ValueError, match="rule type"):
        Criterion(id="x", type="between", variable="a", label="x", source="s")
    with pytest.raises(ValueError, match="min or max"):
        Criterion(id="x", type="range", variable="a", label="x", source="s")
    with pytest.raises(ValueError, match="min_points"):
        Criterion(id="x", type="decline", label="x", source="s")
    with pytest.raises(ValueError, match="no criteria set"):
        load_criteria("no_such_trial")


def test_set_verdicts_and_editable_file(tmp_path):
    f = tmp_path / "clinic.toml"
    f.write_text(
        'name = "clinic"\ntitle = "Clinic"\nsource = "our protocol"\n'
        '[[criterion]]\nid = "age"\ntype = "range"\nvariable = "age"\nmin = 18\nmax = 75\nlabel = "adult"\n',
        encoding="utf-8",
    )
    cs = load_criteria(str(f))
    assert isinstance(cs, CriteriaSet) and cs.criteria[0].source == "our protocol"
    assert evaluate_set(cs, {"age": 50})["status"] == "eligible"
    assert evaluate_set(cs, {"age": 80})["status"] == "not eligible"
    assert evaluate_set(cs, {})["status"] == "undetermined"


def test_route_flags():
    src, flags = load_route_flags()
    assert src and any(f["route"] == "intrathecal" and f["variable"] == "anticoagulation" for f in flags)
    res = {r["route"]: r for r in evaluate_routes(flags, {"anticoagulation": True})}
    assert res["intrathecal"]["status"] == "contraindicated"
    assert res["intramuscular"]["status"] == "caution"
    clear = {k: False for k in {f["variable"] for f in flags}}
    assert {r["status"] for r in evaluate_routes(flags, clear)} == {"no flag"}
    assert {r["status"] for r in evaluate_routes(flags, {})} == {"unknown"}


# Every rule type, property-based: the status follows the rule's definition, a missing value is never "fail".
_val = st.floats(min_value=-100, max_value=200, allow_nan=False)
_bound = st.one_of(st.none(), st.floats(min_value=-50, max_value=150, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(x=_val, lo=_bound, hi=_bound)
def test_range_rule_property(x, lo, hi):
    if lo is None and hi is None:
        with pytest.raises(ValueError):
            Criterion(id="r", type="range", variable="v", min=lo, max=hi, label="x", source="s")
        return
    c = Criterion(id="r", type="range", variable="v", min=lo, max=hi, label="x", source="s")
    expect = (lo is None or x >= lo) and (hi is None or x <= hi)
    r = evaluate_criterion(c, {"v": x})
    assert r["status"] == ("pass" if expect else "fail") and r["value"] == x and r["why"].endswith(".")
    assert evaluate_criterion(c, {"v": None})["status"] == "unknown"


@settings(max_examples=40, deadline=None)
@given(allowed=st.lists(st.sampled_from(["possible", "probable", "definite", "lab"]), min_size=1, unique=True),
       v=st.sampled_from(["possible", "probable", "definite", "lab", "suspected"]))  # fmt: skip
def test_one_of_rule_property(allowed, v):
    c = Criterion(id="o", type="one_of", variable="ee", values=tuple(allowed), label="x", source="s")
    assert evaluate_criterion(c, {"ee": v})["status"] == ("pass" if v in allowed else "fail")
    assert evaluate_criterion(c, {"ee": float("nan")})["status"] == "unknown"


@settings(max_examples=20, deadline=None)
@given(required=st.booleans(), v=st.booleans())
def test_flag_rule_property(required, v):
    c = Criterion(id="f", type="flag", variable="g", required=required, label="x", source="s")
    assert evaluate_criterion(c, {"g": v})["status"] == ("pass" if v == required else "fail")
    assert evaluate_criterion(c, {})["status"] == "unknown"


@settings(max_examples=60, deadline=None)
@given(pts=st.floats(min_value=-10, max_value=30, allow_nan=False), need=st.floats(min_value=0, max_value=10))
def test_decline_rule_property(pts, need):
    c = Criterion(id="d", type="decline", min_points=need, over_months=3, label="x", source="s")
    r = evaluate_criterion(c, {}, {"points": pts, "months": 3.0})
    assert r["status"] == ("pass" if pts >= need else "fail")  # the boundary (pts == need) passes
    assert evaluate_criterion(c, {}, {"points": None})["status"] == "unknown"
    assert evaluate_criterion(c, {}, None)["status"] == "unknown"


def test_criteria_file_with_unknown_key_or_bad_flag_is_rejected(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('[[criterion]]\nid = "a"\ntype = "range"\nvariable = "age"\nmin = 18\nmaxx = 75\nlabel = "x"\n')
    with pytest.raises(ValueError, match="unknown keys"):
        load_criteria(str(f))
    g = tmp_path / "routes.toml"
    g.write_text('[[flag]]\nroute = "intrathecal"\nvariable = "x"\nlevel = "maybe"\nwhy = "?"\n')
    with pytest.raises(ValueError, match="caution"):
        load_route_flags(str(g))


def test_route_caution_only():
    flags = [{"route": "intrathecal", "variable": "spinal_surgery", "level": "caution", "why": "scar tissue"}]
    res = {r["route"]: r for r in evaluate_routes(flags, {"spinal_surgery": True})}
    assert res["intrathecal"]["status"] == "caution" and res["intrathecal"]["flags"][0]["why"] == "scar tissue"
    assert res["intravenous"]["status"] == "no flag"

"""The request behind ``alscell effect --modifiers`` (alscell.analysis.effect_modification): parsing, the one
method that takes modifiers, the extended JSON object and the sentence for people."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alscell.analysis.effect_modification import (
    CAVEAT,
    estimate_modified,
    modification_sentence,
    modified_json,
    parse_modifiers,
)
from alscell.analysis.errors import NotApplicable
from alscell.analysis.estimate import JSON_KEYS, Estimate
from alscell.analysis.g_estimation import MODIFIERS


def test_parse_modifiers():
    assert parse_modifiers(None) == () == parse_modifiers("") == parse_modifiers(" , ")
    assert parse_modifiers(" decline ,level,decline") == ("decline", "level")  # order kept, repeats once
    with pytest.raises(NotApplicable, match="unknown effect modifier"):
        parse_modifiers("level,age")


@given(st.lists(st.sampled_from([*MODIFIERS, "age", "Level", " "]), max_size=5))
def test_parse_modifiers_accepts_exactly_the_known_names(names):
    text = ",".join(names)
    wanted = [n.strip() for n in names if n.strip()]
    if all(n in MODIFIERS for n in wanted):
        assert parse_modifiers(text) == tuple(dict.fromkeys(wanted))
    else:
        with pytest.raises(NotApplicable):
            parse_modifiers(text)


def test_only_g_estimation_takes_modifiers():
    with pytest.raises(NotApplicable, match="need the method g_estimation"):
        estimate_modified(None, "alsfrs_r_total", "lmm_counterfactual", ("level",))


def _estimate(rows, estimate=0.3, warnings=()):
    return Estimate("alsfrs_r_total", "slope_change", "points/month", "g_estimation", estimate, 0.1, 0.5, 0.01,
                    100, 40, 900, list(warnings), details={"effect_modification": rows})  # fmt: skip


ROW = dict(modifier="decline", per_unit=0.25, se=0.1, ci_low=0.05, ci_high=0.45, p_value=0.02, starters_mean=0.8)


def test_json_is_the_contract_extended_and_valid():
    d = modified_json(_estimate([ROW | {"p_value": float("nan")}]))
    assert tuple(d)[: len(JSON_KEYS)] == JSON_KEYS and list(d)[len(JSON_KEYS) :] == ["effect_modification"]
    assert d["effect_modification"][0]["p_value"] is None  # NaN → null: the object stays valid JSON
    json.loads(json.dumps(d, allow_nan=False))
    assert modified_json(_estimate([]))["effect_modification"] == []


def test_sentence_for_people():
    found = modification_sentence(_estimate([ROW]))
    assert found.startswith("does it work better in some patients? Per point/month more of ΔFRS")
    assert "0.250 points/month larger (95% CI +0.050 to +0.450, p = 0.020)" in found
    assert "the data show a difference between patients" in found and found.endswith(CAVEAT)
    assert "+0.300 points/month" in found  # the starters' average
    smaller = modification_sentence(_estimate([ROW | {"per_unit": -0.1, "ci_low": -0.3, "ci_high": 0.1,
                                                      "p_value": 0.4}]))  # fmt: skip
    assert "0.100 points/month smaller" in smaller and "no difference between patients shown" in smaller
    why = "too few patients who start treatment, or too little spread in decline among them"
    none = modification_sentence(_estimate([], estimate=np.nan, warnings=[why]))
    assert none == f"does it work better in some patients? not checked: {why}"

"""How the history checks reach a user (alscell.analysis.history_contrast): ``checks_json`` (the effect JSON's
``measures_check`` and ``history_check``) and ``check_rows`` (the rows ``alscell effect`` and ``/effect`` show),
on hand-made details."""

from __future__ import annotations

import json

from alscell.analysis.history_contrast import check_rows, checks_json, terms_named

MEASURES = {
    "difference": -0.0124,  # the estimate less the standard history's
    "se": 0.004,
    "z": -3.125,
    "terms": ["fvc_pct_pred", "fvc_pct_pred change per month", "nfl", "nfl (none yet)"],
    "measures_se": 0.05,
    "standard_se": 0.051,
    "standard_estimate": 0.1124,
    "standard_ci_low": 0.0124,
    "standard_ci_high": 0.2124,
    "warned": True,
}
REGISTRY = {
    "difference": 0.02,  # the registry history's less the estimate
    "se": float("nan"),
    "z": float("nan"),
    "terms": ("age", "age (unknown)", "gastrostomy"),
    "registry_se": 0.05,
    "standard_se": 0.05,
    "registry_estimate": 0.12,
    "registry_ci_low": 0.02,
    "registry_ci_high": 0.22,
    "warned": False,
}


def test_the_checks_that_ran_go_into_the_json_as_they_stand_with_nan_as_null():
    got = checks_json({"history": "measures_only", "measures_check": MEASURES, "history_check": REGISTRY})
    assert list(got) == ["measures_check", "history_check"]
    assert got["measures_check"] == MEASURES
    assert got["history_check"]["se"] is None and got["history_check"]["z"] is None
    assert got["history_check"]["terms"] == ["age", "age (unknown)", "gastrostomy"]
    json.dumps(got, allow_nan=False)  # strict JSON: no NaN reaches a user's parser
    assert checks_json({"history": "standard"}) == {}


def test_each_row_gives_the_other_reading_and_its_distance_from_the_estimate():
    rows = check_rows({"measures_check": MEASURES, "history_check": REGISTRY})
    assert rows == [
        (
            "measures_check",
            "without fvc_pct_pred, nfl (the standard decision history)",
            # 0.1124 − 0.1 = +0.0124: the standard history's reading lies above an estimate of 0.1
            "+0.112 (95% CI +0.012 to +0.212); +0.012 from the estimate (SE 0.004)",
        ),
        (
            "history_check",
            "with age, gastrostomy in the decision history",
            "+0.120 (95% CI +0.020 to +0.220); +0.020 from the estimate (SE —)",
        ),
    ]
    assert check_rows({}) == []


def test_terms_are_named_once_each_in_order():
    assert terms_named(["nfl change per month", "age (unknown)", "nfl", "age"]) == "nfl, age"

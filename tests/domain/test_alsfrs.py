"""ALSFRS-R scoring and validation; golden numbers worked by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from alsfrs_strategies import complete_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from alscell.domain.alsfrs import (
    ITEM_LABELS,
    ITEMS,
    RULE_ITEM,
    RULE_ITEM5,
    SUBSCORE_KEYS,
    SUBSCORES,
    TOTAL_MAX,
    has_gastrostomy,
    item5,
    item_problems,
    score_items,
)

# q1 q2 q3 | q4 q5a q6 | q7 q8 q9 | q10 q11 q12
EXAMPLE = dict(q1=4, q2=3, q3=2, q4=3, q5a=2, q6=1, q7=4, q8=4, q9=0, q10=3, q11=3, q12=4)
# bulbar 4+3+2 = 9; fine 3+2+1 = 6; gross 4+4+0 = 8; respiratory 3+3+4 = 10; total 33.
EXAMPLE_SCORES = dict(total=33.0, bulbar=9.0, fine_motor=6.0, gross_motor=8.0, respiratory=10.0)


def _scores(row: dict) -> dict:
    return score_items(pd.DataFrame([row])).iloc[0].to_dict()


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all((math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a)


def test_constants():
    assert ITEMS == ("q1", "q2", "q3", "q4", "q5a", "q5b", "q6", "q7", "q8", "q9", "q10", "q11", "q12")
    assert set(ITEM_LABELS) == set(ITEMS)
    assert SUBSCORE_KEYS == ("bulbar", "fine_motor", "gross_motor", "respiratory")
    assert SUBSCORES["fine_motor"] == ("q4", "q5", "q6")
    assert TOTAL_MAX == 48


def test_complete_row_with_5a():
    assert _scores(EXAMPLE) == EXAMPLE_SCORES


def test_5b_scores_like_5a_and_marks_gastrostomy():
    row = {**EXAMPLE, "q5b": EXAMPLE["q5a"]}
    del row["q5a"]
    assert _scores(row) == EXAMPLE_SCORES
    frame = pd.DataFrame([EXAMPLE, row])
    assert has_gastrostomy(frame).tolist() == [False, True]
    assert item5(frame).tolist() == [2.0, 2.0]


def test_extremes():
    best = {c: 4 for c in ITEMS if c != "q5b"}
    worst = {c: 0 for c in ITEMS if c != "q5a"}
    assert _scores(best) == dict(total=48.0, bulbar=12.0, fine_motor=12.0, gross_motor=12.0, respiratory=12.0)
    assert _scores(worst) == dict(total=0.0, bulbar=0.0, fine_motor=0.0, gross_motor=0.0, respiratory=0.0)


def test_partial_row_keeps_complete_subscores():
    row = {**EXAMPLE, "q2": None}
    expected = dict(total=np.nan, bulbar=np.nan, fine_motor=6.0, gross_motor=8.0, respiratory=10.0)
    assert _same(_scores(row), expected)


def test_neither_5a_nor_5b_is_a_partial_row_not_an_error():
    row = {k: v for k, v in EXAMPLE.items() if k != "q5a"}
    expected = dict(total=np.nan, bulbar=9.0, fine_motor=np.nan, gross_motor=8.0, respiratory=10.0)
    assert _same(_scores(row), expected)
    frame = pd.DataFrame([row])
    assert item_problems(frame) == []
    assert has_gastrostomy(frame).tolist() == [False]
    assert np.isnan(item5(frame).iloc[0])


def test_missing_columns_are_all_missing():
    frame = pd.DataFrame({"q10": [4, 1], "q11": [3, 2], "q12": [4, 0]}, index=["v1", "v2"])
    out = score_items(frame)
    assert list(out.columns) == ["total", "bulbar", "fine_motor", "gross_motor", "respiratory"]
    assert list(out.index) == ["v1", "v2"]
    assert out["respiratory"].tolist() == [11.0, 3.0]  # 4+3+4, 1+2+0
    assert out[["total", "bulbar", "fine_motor", "gross_motor"]].isna().all().all()
    assert (out.dtypes == "float64").all()


def test_nullable_int_columns():
    frame = pd.DataFrame({c: pd.array([v, None], dtype="Int64") for c, v in EXAMPLE.items()}, index=[10, 20])
    out = score_items(frame)
    assert out.loc[10].to_dict() == EXAMPLE_SCORES
    assert out.loc[20].isna().all()


def test_empty_frame():
    out = score_items(pd.DataFrame(columns=list(ITEMS)))
    assert len(out) == 0 and list(out.columns) == ["total", *SUBSCORE_KEYS]
    assert item_problems(pd.DataFrame(columns=list(ITEMS))) == []


def test_item_problems_range_type_and_both_5():
    frame = pd.DataFrame(
        {
            "q1": [4, 5, 3.0, -1],
            "q2": [4, 2.5, None, "x"],
            "q5a": [4, None, 3, None],
            "q5b": [None, None, 3, 7],
        },
        index=["a", "b", "c", "d"],
    )
    assert item_problems(frame) == [
        ("b", "q1", 5, RULE_ITEM),
        ("b", "q2", 2.5, RULE_ITEM),
        ("c", "q5b", 3, RULE_ITEM5),
        ("d", "q1", -1, RULE_ITEM),
        ("d", "q2", "x", RULE_ITEM),
        ("d", "q5b", 7, RULE_ITEM),
    ]


def test_invalid_values_score_as_missing():
    row = {**EXAMPLE, "q1": 5}
    assert np.isnan(_scores(row)["bulbar"]) and np.isnan(_scores(row)["total"])
    assert _scores({**EXAMPLE, "q3": 2.0}) == EXAMPLE_SCORES  # integer-valued float is fine


def test_both_5a_and_5b_item5_takes_5a():
    frame = pd.DataFrame([{**EXAMPLE, "q5b": 0}])
    assert item5(frame).tolist() == [2.0]
    assert has_gastrostomy(frame).tolist() == [True]


@settings(max_examples=60, deadline=None)
@given(st.lists(complete_rows(), min_size=1, max_size=20))
def test_total_is_sum_of_subscores_when_complete(rows):
    out = score_items(pd.DataFrame(rows))
    assert (out["total"] == out[list(SUBSCORE_KEYS)].sum(axis=1)).all()
    assert out["total"].between(0, 48).all()
    assert out[list(SUBSCORE_KEYS)].stack().between(0, 12).all()
    expected = [sum(v for v in r.values()) for r in rows]
    assert out["total"].tolist() == expected


@settings(max_examples=60, deadline=None)
@given(complete_rows(), st.sets(st.sampled_from(ITEMS)))
def test_subscore_missing_iff_an_item_missing(row, drop):
    partial = {k: (None if k in drop else v) for k, v in row.items()}
    out = _scores(partial)
    present = {k for k, v in partial.items() if v is not None}
    for key, items in SUBSCORES.items():
        complete = all((c in present) if c != "q5" else bool({"q5a", "q5b"} & present) for c in items)
        assert np.isnan(out[key]) != complete
    assert np.isnan(out["total"]) == any(np.isnan(out[k]) for k in SUBSCORE_KEYS)

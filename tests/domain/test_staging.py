"""King's and MiToS staging: one hand-worked example per rule, partial rows, and properties."""

from __future__ import annotations

import pandas as pd
import pytest
from alsfrs_strategies import complete_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from alscell.domain.alsfrs import ITEMS
from alscell.domain.staging import (
    KINGS_ORDER,
    kings_rank,
    kings_stage,
    kings_stage_of,
    mitos_stage,
    mitos_stage_of,
)

# A visit with every item normal, item 5 answered as 5a (no gastrostomy).
NORMAL = dict(q1=4, q2=4, q3=4, q4=4, q5a=4, q6=4, q7=4, q8=4, q9=4, q10=4, q11=4, q12=4)


def visit(**changes):
    row = {**NORMAL, **changes}
    return {k: v for k, v in row.items() if v is not None}


def with_5b(value, **changes):
    return visit(q5a=None, q5b=value, **changes)


# ---- King's: (items, expected stage), each worked by hand from the rule text ------------------------------
KINGS_CASES = [
    (visit(), "1"),  # no region involved -> reported as 1
    (visit(q1=3), "1"),  # bulbar via item 1
    (visit(q2=3), "1"),  # bulbar via item 2
    (visit(q3=3), "1"),  # bulbar via item 3
    (visit(q4=3), "1"),  # upper limb via item 4
    (visit(q5a=3), "1"),  # upper limb via item 5a
    (visit(q8=3), "1"),  # lower limb via item 8
    (visit(q6=0, q7=0, q9=0, q11=0), "1"),  # items 6, 7, 9, 11 involve no region and are not NIV
    (visit(q1=3, q8=2), "2"),  # bulbar + lower
    (visit(q4=3, q8=3), "2"),  # upper + lower
    (visit(q2=1, q5a=2), "2"),  # bulbar + upper (via 5a)
    (visit(q1=2, q2=2, q3=2, q4=3, q5a=3), "2"),  # several items in two regions still count two regions
    (visit(q3=3, q4=3, q8=3), "3"),  # all three regions
    (visit(q1=0, q2=0, q3=0, q4=0, q5a=0, q6=0, q7=0, q8=0, q9=0), "3"),
    (with_5b(4), "4A"),  # gastrostomy (5b answered) even with no region involved
    (with_5b(0, q1=0, q8=0), "4A"),
    (visit(q10=0), "4B"),  # NIV via item 10 = 0
    (visit(q10=1), "1"),  # item 10 = 1 is not NIV
    (visit(q12=3), "4B"),  # NIV via item 12 < 4 (intermittent BiPAP)
    (visit(q12=0), "4B"),  # invasive ventilation also counts
    (with_5b(2, q12=2), "4B"),  # 4B outranks 4A
    (with_5b(3, q10=0, q1=1, q4=1, q8=1), "4B"),
]


@pytest.mark.parametrize("items, expected", KINGS_CASES)
def test_kings_rules(items, expected):
    assert kings_stage_of(items) == expected


def test_kings_death_outranks_everything():
    assert kings_stage_of(visit(), dead=True) == "5"
    assert kings_stage_of(with_5b(0, q12=0), dead=True) == "5"
    assert kings_stage_of({}, dead=True) == "5"


KINGS_PARTIAL = [
    ({"q12": 3}, "4B"),  # NIV decidable from item 12 alone
    ({"q10": 0}, "4B"),  # ... or item 10 alone
    ({"q10": 4}, None),  # item 12 missing: NIV undecided
    ({"q10": 4, "q12": 4, "q5b": 3}, "4A"),  # gastrostomy decided, regions irrelevant
    ({"q10": 4, "q12": 4, "q5a": 3}, None),  # upper involved, bulbar and lower unknown: 1 to 3
    (visit(q8=None), "1"),  # lower unknown, nothing else involved: 0 or 1 region, both stage 1
    (visit(q4=3, q8=None), None),  # upper involved, lower unknown: stage 1 or 2
    (visit(q1=3, q2=None, q3=None, q4=3, q8=3), "3"),  # bulbar involved by one item though others missing
    (visit(q3=None, q4=3, q8=3), None),  # bulbar not involved needs all three items: 2 or 3
    (visit(q5a=None), None),  # neither 5a nor 5b: gastrostomy unknown
    (visit(q5a=None, q12=2), "4B"),  # ... but NIV decides regardless
    (visit(q2=None, q9=None, q11=None, q6=None, q7=None), "1"),  # items outside the rule are not needed
    ({}, None),
]


@pytest.mark.parametrize("items, expected", KINGS_PARTIAL)
def test_kings_partial_rows(items, expected):
    assert kings_stage_of(items) == expected


# ---- MiToS ---------------------------------------------------------------------------------------------------
MITOS_CASES = [
    (visit(), 0),
    (visit(q8=1), 1),  # movement via item 8 <= 1 (boundary)
    (visit(q8=2), 0),
    (visit(q6=1), 1),  # movement via item 6 <= 1 (boundary)
    (visit(q6=2), 0),
    (visit(q6=0, q8=0), 1),  # both movement items: still one domain
    (visit(q3=1), 1),  # swallowing (boundary)
    (visit(q3=2), 0),
    (visit(q1=1, q4=1), 1),  # communication needs both items <= 1
    (visit(q1=1, q4=2), 0),  # "and": item 1 alone is not enough
    (visit(q1=2, q4=0), 0),  # "and": item 4 alone is not enough
    (visit(q1=0, q4=0), 1),
    (visit(q10=1), 1),  # breathing via item 10 <= 1 (boundary)
    (visit(q10=2), 0),
    (visit(q12=2), 1),  # breathing via item 12 <= 2 (boundary)
    (visit(q12=3), 0),
    (visit(q2=0, q5a=0, q7=0, q9=0, q11=0), 0),  # items outside the rule
    (visit(q8=1, q3=1), 2),
    (visit(q8=1, q3=1, q1=1, q4=1), 3),
    (visit(q8=0, q3=0, q1=0, q4=0, q12=0), 4),
    (with_5b(0, q6=1), 1),  # 5a/5b plays no role in MiToS
]


@pytest.mark.parametrize("items, expected", MITOS_CASES)
def test_mitos_rules(items, expected):
    assert mitos_stage_of(items) == expected


def test_mitos_death():
    assert mitos_stage_of(visit(), dead=True) == 5
    assert mitos_stage_of({}, dead=True) == 5


MITOS_PARTIAL = [
    (visit(q4=None, q1=2), 0),  # communication kept: item 1 > 1 decides the "and"
    (visit(q4=None, q1=1), None),  # communication undecided
    (visit(q6=None, q8=1), 1),  # movement lost by item 8 alone
    (visit(q6=None, q8=2), None),  # movement kept needs item 6 too
    (visit(q10=None, q12=2), 1),  # breathing lost by item 12 alone
    (visit(q10=None), None),
    (visit(q3=None), None),  # swallowing needs item 3
    ({"q1": 4, "q3": 4, "q6": 4, "q8": 4, "q10": 4, "q12": 4}, 0),  # only the needed items
    ({"q8": 0, "q3": 0, "q1": 0, "q4": 0, "q10": 0}, 4),
    ({}, None),
]


@pytest.mark.parametrize("items, expected", MITOS_PARTIAL)
def test_mitos_partial_rows(items, expected):
    assert mitos_stage_of(items) == expected


def test_both_stages_on_one_visit():
    # King's: item 12 = 3 < 4 -> 4B.  MiToS: movement (q8 = 1), swallowing (q3 = 1), communication
    # (q1 = 0 and q4 = 1) lost; breathing kept (q10 = 2 > 1, q12 = 3 > 2) -> 3.
    items = dict(q1=0, q2=0, q3=1, q4=1, q5a=1, q6=1, q7=1, q8=1, q9=0, q10=2, q11=2, q12=3)
    assert kings_stage_of(items) == "4B"
    assert mitos_stage_of(items) == 3


def test_vectorised_frame_matches_cases():
    cases = KINGS_CASES + KINGS_PARTIAL
    frame = pd.DataFrame([items for items, _ in cases], index=[f"v{i}" for i in range(len(cases))])
    frame = frame.astype("Int64")
    out = kings_stage(frame)
    assert out.dtype == object and out.name == "kings_stage"
    assert list(out.index) == list(frame.index)
    assert out.tolist() == [expected for _, expected in cases]

    mcases = MITOS_CASES + MITOS_PARTIAL
    mframe = pd.DataFrame([items for items, _ in mcases]).astype("Int64")
    mout = mitos_stage(mframe)
    assert str(mout.dtype) == "Int64"
    assert [None if v is pd.NA else int(v) for v in mout] == [expected for _, expected in mcases]


def test_dead_array_with_missing_and_length_check():
    frame = pd.DataFrame([visit(), visit(), visit()])
    dead = pd.Series([True, None, False], dtype="boolean")
    assert kings_stage(frame, dead=dead).tolist() == ["5", "1", "1"]
    assert mitos_stage(frame, dead=[False, True, False]).tolist() == [0, 5, 0]
    with pytest.raises(ValueError):
        kings_stage(frame, dead=[True])


def test_kings_rank():
    assert [kings_rank(s) for s in KINGS_ORDER] == [0, 1, 2, 3, 4, 5]
    ranks = kings_rank(pd.Series(["4B", None, "1"]))
    assert ranks.iloc[0] == 4 and ranks.iloc[1] is pd.NA and ranks.iloc[2] == 0


# ---- properties ---------------------------------------------------------------------------------------------


def _stages(rows):
    frame = pd.DataFrame(rows, columns=list(ITEMS)).astype("Int64")
    return kings_rank(kings_stage(frame)), mitos_stage(frame)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_lowering_an_item_never_lowers_a_stage(data):
    rows = data.draw(st.lists(complete_rows(), min_size=1, max_size=10))
    lowered = []
    for row in rows:
        item = data.draw(st.sampled_from(sorted(row)))
        lowered.append({**row, item: data.draw(st.integers(0, row[item]))})
    k0, m0 = _stages(rows)
    k1, m1 = _stages(lowered)
    assert k0.notna().all() and m0.notna().all()  # complete rows always stage
    assert (k1 >= k0).all()
    assert (m1 >= m0).all()


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_partial_stage_agrees_with_every_completion(data):
    """A stage computed on a partial row is the stage of the complete row it came from."""
    rows = data.draw(st.lists(complete_rows(), min_size=1, max_size=10))
    partial = [{k: v for k, v in row.items() if not data.draw(st.booleans())} for row in rows]
    k_full, m_full = _stages(rows)
    k_part, m_part = _stages(partial)
    known = k_part.notna()
    assert (k_part[known] == k_full[known]).all()
    known = m_part.notna()
    assert (m_part[known] == m_full[known]).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(complete_rows(), min_size=1, max_size=10))
def test_scalar_helpers_match_vectorised(rows):
    frame = pd.DataFrame(rows, columns=list(ITEMS)).astype("Int64")
    assert kings_stage(frame).tolist() == [kings_stage_of(r) for r in rows]
    assert mitos_stage(frame).tolist() == [mitos_stage_of(r) for r in rows]

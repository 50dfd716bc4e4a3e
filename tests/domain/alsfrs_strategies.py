"""Hypothesis strategies shared by the ALSFRS-R and staging property tests."""

from __future__ import annotations

from hypothesis import strategies as st

from alscell.domain.alsfrs import ITEMS

item_value = st.integers(0, 4)


@st.composite
def complete_rows(draw):
    """One complete visit: every item 0-4, with item 5 as q5a (no gastrostomy) or q5b."""
    row = {c: draw(item_value) for c in ITEMS if c not in ("q5a", "q5b")}
    row["q5b" if draw(st.booleans()) else "q5a"] = draw(item_value)
    return row

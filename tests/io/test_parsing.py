"""Hypothesis tests of the cell parsers: accept exactly the canonical spellings, never crash."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alscell.io.parsing import parse_bool, parse_date, parse_float, parse_int


@given(st.lists(st.text(max_size=12), max_size=30))
def test_parsers_never_crash_and_flag_only_present_cells(cells):
    s = pd.Series(cells, dtype=object)
    for parse in (parse_date, parse_int, parse_float, parse_bool):
        values, bad = parse(s)
        assert len(values) == len(s) == len(bad)
        assert not bad[(s == "").to_numpy()].any()  # empty = missing, never malformed


@given(st.lists(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)), min_size=1, max_size=20))
def test_iso_dates_parse_exactly(dates):
    values, bad = parse_date(pd.Series([d.isoformat() for d in dates]))
    assert not bad.any()
    assert [v.date() for v in values] == dates


@given(st.lists(st.integers(-(10**8), 10**8), min_size=1, max_size=20))
def test_integers_parse_exactly(ints):
    values, bad = parse_int(pd.Series([str(i) for i in ints]))
    assert not bad.any() and values.tolist() == ints


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
def test_floats_round_trip_through_repr(xs):
    values, bad = parse_float(pd.Series([repr(x) for x in xs]))
    assert not bad.any() and values.tolist() == xs


def test_malformed_cells_are_flagged():
    _, bad = parse_int(pd.Series(["1.5", "x", "3", " 3"]))
    assert bad.tolist() == [True, True, False, True]
    _, bad = parse_date(pd.Series(["2020-02-30", "2020-1-1", "01/02/2020", "2020-02-29"]))
    assert bad.tolist() == [True, True, True, False]
    _, bad = parse_float(pd.Series(["nan", "inf", "1e8", "abc"]))
    assert bad.tolist() == [True, True, False, True]
    _, bad = parse_bool(pd.Series(["True", "yes", "true", "false"]))
    assert bad.tolist() == [True, True, False, False]


def test_nul_characters_are_malformed_not_missing():
    """pandas factorises '\\x00' like '' (C strings): a NUL cell must still be flagged, and '' must not be."""
    for cells in (["\x00", ""], ["", "\x00"]):
        s = pd.Series(cells, dtype=object)
        for parse in (parse_date, parse_int, parse_float, parse_bool):
            _, bad = parse(s)
            assert list(bad) == ["\x00" in c for c in cells], (parse.__name__, cells)
    for parse in (parse_int, parse_float):
        values, bad = parse(pd.Series(["1", "1\x00"], dtype=object))
        assert list(bad) == [False, True] and values.iloc[0] == 1 and pd.isna(values.iloc[1]), parse.__name__


@pytest.mark.parametrize("kind", ["date", "int", "float", "bool", "text"])
def test_empty_column_same_as_converting_no_text(kind):
    """An empty column skips the converters: same typed series, codes and flags as converting nothing."""
    from alscell.io.parsing import _CONVERT, CodedColumn, _typed_series

    index = pd.RangeIndex(0)
    col = CodedColumn.parse(pd.Series([], dtype=object), kind)
    values, bad = _CONVERT[kind](pd.Series([], dtype=object))
    assert not np.asarray(bad).any()
    pd.testing.assert_series_equal(col.typed(index), _typed_series(kind, values, index))
    assert col.values.dtype == np.asarray(values).dtype and len(col.codes) == len(col.text) == len(col.bad) == 0
    assert col.malformed().dtype == bool and col.key_codes().shape == (0,)


_TEXT = st.one_of(
    st.text(alphabet="0123456789-+ .x", max_size=12),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(str),
    st.sampled_from(["1677-09-21", "1677-09-22", "2262-04-11", "2262-04-12", "2023-02-29", "2024-02-29", "0000-01-01"]),
    st.sampled_from(["+3", "-0", "007", "123456789", "1234567890", "\u0663", "2023-01-0\u0663", ""]),
    st.text(max_size=6),
)


@given(st.lists(_TEXT, max_size=40))
def test_small_input_path_same_as_pandas_path(texts):
    """Few distinct ASCII texts are converted in plain Python (web single-row writes); the answer is the
    vectorised pandas path's, value for value and flag for flag."""
    from alscell.io import parsing

    u = pd.Series(texts, dtype=object)
    for convert in (parsing._convert_date, parsing._convert_int):
        fast = convert(u)
        small, parsing.SMALL = parsing.SMALL, -1  # every input takes the pandas path
        try:
            ref = convert(u)
        finally:
            parsing.SMALL = small
        np.testing.assert_array_equal(fast[0], ref[0])
        np.testing.assert_array_equal(np.asarray(fast[1], dtype=bool), np.asarray(ref[1], dtype=bool))

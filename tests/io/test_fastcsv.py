"""The column-wise writer (io.writer.write_table → io.fastcsv) gives, byte for byte, a straightforward
per-cell reference: every cell formatted in Python (``strftime``, ``str(int)``, ``repr(float)``,
``true``/``false``, missing ``""``), formula-like text given one leading ``'``, each row written by
``csv.writer`` (QUOTE_MINIMAL), lines ending in ``"\\n"``."""

from __future__ import annotations

import csv
import io
import math
import re
from unittest import mock

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alscell.io import fastcsv, writer
from alscell.io.columns import TABLES, kind_of
from alscell.io.rawcsv import FORMULA_START

_FORMULA = re.compile("'*[" + FORMULA_START.replace("-", r"\-") + "]")


def _reference_cell(value, kind: str) -> str:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if kind == "int":
        return str(int(value))
    if kind == "float":
        return repr(float(value))
    if kind == "bool":
        return "true" if value else "false"
    text = value if isinstance(value, str) else str(value)
    return "'" + text if _FORMULA.match(text) else text


def _reference(name: str, frame: pd.DataFrame) -> bytes:
    columns = [c for c in TABLES[name] if c in frame.columns] + sorted(c for c in frame.columns if c.startswith("x_"))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    lines = []
    for row in [columns] + [
        [_reference_cell(v, kind_of(c)) for v, c in zip(r, columns, strict=True)]
        for r in frame[columns].astype(object).itertuples(index=False, name=None)
    ]:
        buf.seek(0)
        buf.truncate()
        w.writerow(row)
        lines.append(buf.getvalue()[:-2] + "\n")
    return "".join(lines).encode("utf-8")


_TEXT = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from(list("ab ,\"\r\n=+-@\t'é\x00;")), max_size=6),
    st.sampled_from(["=1+1", "-x", "+x", "@SUM(A1)", "''=x", "'plain", "a,b", 'say "hi"', "two\nlines", "\r", ""]),
)
_FLOAT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-300, 5e-324, 1e300, 1e16, 1.0e8, 0.1 + 0.2, -1.5, 123456789.123456789]),
)
_INT = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.integers(-3, 3))
_DAY = st.one_of(
    st.none(),
    st.datetimes(
        min_value=pd.Timestamp("1678-01-02").to_pydatetime(), max_value=pd.Timestamp("2261-12-30").to_pydatetime()
    ),
    st.dates(min_value=pd.Timestamp("2019-12-25").date(), max_value=pd.Timestamp("2020-01-05").date()),
)
_ROW = st.tuples(_TEXT, _DAY, _INT, _FLOAT, _TEXT, st.one_of(st.none(), st.booleans()), _DAY)


def _frames(rows):
    n = len(rows)
    text1, day1, ints, floats, text2, bools, day2 = (
        (list(col) for col in zip(*rows, strict=True)) if rows else ([],) * 7
    )
    treatments = pd.DataFrame(
        {
            "treatment_id": pd.Series(text1, dtype=object),
            "patient_id": pd.Series([f"P{i}" for i in range(n)], dtype=object),
            "date": pd.to_datetime(pd.Series(day1, dtype=object)).astype("datetime64[ns]"),
            "cycle": pd.array(ints, dtype="Int64"),
            "dose_cells": pd.Series(floats, dtype="float64"),
            "product": pd.Series(text2, dtype=object),
            "x_note": pd.Series(text2[::-1], dtype=object),
        }
    )
    adverse = pd.DataFrame(
        {
            "ae_id": pd.Series([f"A{i}" for i in range(n)], dtype=object),
            "onset_date": pd.to_datetime(pd.Series(day2, dtype=object)).astype("datetime64[ns]"),
            "grade": pd.Series([i % 5 + 1 for i in range(n)], dtype="int64"),
            "serious": pd.array(bools, dtype="boolean"),
            "term": pd.Series(text1[::-1], dtype=object),
            "resolved_date": pd.Series(day2, dtype=object),  # not datetime64: the generic path
        }
    )
    return {"treatments": treatments, "adverse_events": adverse}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ROW, max_size=12), st.integers(1, 5))
def test_write_table_equals_the_per_cell_reference(tmp_path_factory, rows, chunk):
    tmp = tmp_path_factory.mktemp("w")
    for name, frame in _frames(rows).items():
        with mock.patch.object(writer, "WRITE_CHUNK", chunk):
            writer.write_table(name, frame, tmp / f"{name}.csv")
        assert (tmp / f"{name}.csv").read_bytes() == _reference(name, frame), name


def test_negative_zero_and_zero_in_one_chunk_each_keep_their_sign(tmp_path):
    frame = pd.DataFrame(
        {
            "patient_id": ["P1"] * 4,
            "date": pd.to_datetime(["2020-01-01"] * 4),
            "measure": "fss",
            "value": [0.0, -0.0, -0.0, 0.0],
            "unit": "",
        }
    )
    writer.write_table("measurements", frame, tmp_path / "m.csv")
    values = [line.split(",")[3] for line in (tmp_path / "m.csv").read_text().splitlines()[1:]]
    assert values == ["0.0", "-0.0", "-0.0", "0.0"]
    assert writer.format_table("measurements", frame.iloc[[1, 0]])["value"].tolist() == ["-0.0", "0.0"]


@given(st.lists(st.text(max_size=8), max_size=20))
def test_text_cells_equal_csv_writer_cells(values):
    cells = fastcsv.text_cells(np.array(values, dtype=object)).to_pylist()
    for value, cell in zip(values, cells, strict=True):
        text = "'" + value if _FORMULA.match(value) else value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerow([text, "x"])
        assert cell + ",x\r\n" == buf.getvalue()


def test_one_column_table_writes_empty_cells_as_a_quoted_pair(tmp_path):
    frame = pd.DataFrame({"x_only": ["", "a", None]})
    with mock.patch.dict(TABLES, {"single": ()}):
        writer.write_table("single", frame, tmp_path / "s.csv")
    assert (tmp_path / "s.csv").read_text() == 'x_only\n""\na\n""\n'


def _reference_text(value) -> str:
    if value is None:
        return ""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(["'" + value if _FORMULA.match(value) else value, "x"])
    return buf.getvalue()[: -len(",x\r\n")]


@settings(max_examples=40, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=8), st.integers(1001, 2500))
def test_text_cells_of_a_long_column_of_repeats(values, n):
    """Long columns are finished once per distinct value (pandas factorize): NUL characters included."""
    column = np.array([values[i % len(values)] for i in range(n)], dtype=object)
    assert fastcsv.text_cells(column).to_pylist() == [_reference_text(v) for v in column.tolist()]


def test_values_differing_after_a_nul_character_stay_apart():
    column = np.array(["a\x00b", "a\x00=c", "\x00", "\x00\x00"] * 400, dtype=object)
    assert fastcsv.text_cells(column).to_pylist() == column.tolist()

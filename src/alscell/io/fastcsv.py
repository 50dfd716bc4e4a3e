"""Canonical CSV lines built column by column in C (pyarrow), for large tables.

Each column of a chunk of rows becomes an Arrow string array of *finished cells*: formatted as
:mod:`alscell.io.writer` formats them (floats ``repr``, dates ``YYYY-MM-DD``, ``true``/``false``, missing
``""``), formula-like text neutralised with one leading ``'`` and quoted as Python's csv module quotes it
(QUOTE_MINIMAL, ``"\\r\\n"`` as the terminator so that a lone carriage return is quoted too).  pyarrow then
joins the columns with commas and ends every row with ``"\\n"``; the bytes are what
``writer.csv_lines`` gives for the same cells.

Python runs once per *distinct* value of a column (a vocabulary: measure keys, units, days, ids), never
once per cell: a cell is an index into its column's vocabulary (``Arrow take``).  Cells that csv.writer
would quote are rare and are quoted by csv.writer itself, one by one, so the quoting rules are exactly
the csv module's.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import IO, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from alscell.io.rawcsv import CSV_SPECIAL as SPECIAL
from alscell.io.rawcsv import FORMULA_RE as _FORMULA

# A cell holding one of SPECIAL is written by the csv module (quoted as it decides); any other cell is
# written as it is.
_SPECIAL_RE2 = r'[,"\r\n\x00]'
_FORMULA_PY = re.compile(_FORMULA)
_FORMULA_RE2 = "^" + _FORMULA

Cells: TypeAlias = pa.Array | str  # a column of finished cells, or one cell repeated on every row


def quote_cell(text: str) -> str:
    """``text`` as csv.writer writes it in a row of several fields (QUOTE_MINIMAL)."""
    if not any(ch in text for ch in SPECIAL):
        return text
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerow([text])
    return buf.getvalue()[:-2]


def quote_array(arr: pa.Array) -> pa.Array:
    """``arr`` (strings; nulls stay null) with the cells csv.writer would quote quoted by it."""
    special = pc.match_substring_regex(arr, _SPECIAL_RE2).fill_null(False)
    if not pc.any(special).as_py():
        return arr
    idx = np.flatnonzero(special.to_numpy(zero_copy_only=False))
    quoted = pa.array([quote_cell(s) for s in arr.take(pa.array(idx)).to_pylist()], type=pa.string())
    return pc.replace_with_mask(arr, special, quoted)


def text_cells(values) -> pa.Array:
    """Finished cells of a text column (str, or missing: ``None``/NaN; anything else through ``str``)."""
    values = np.asarray(values, dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        present = pd.notna(values)
        values = np.array(
            [(v if type(v) is str else str(v)) if p else None for v, p in zip(values.tolist(), present, strict=True)],
            dtype=object,
        )
    cells = pa.array(values, type=pa.string(), from_pandas=True)
    if len(values) > 1000:  # a column of repeats (ids, keys, units): each distinct value finished once
        # pyarrow compares whole strings (pandas' factorize stops at a NUL character and merges 'a\x00' with 'a')
        encoded = cells.dictionary_encode()  # missing → null index
        if len(encoded.dictionary) <= len(values) // 4:
            return _finished(encoded.dictionary).take(encoded.indices).fill_null("")
    return _finished(cells).fill_null("")


def _finished(arr: pa.Array) -> pa.Array:
    """Strings (nulls stay null) with formula starts neutralised and csv.writer's quoting."""
    risky = pc.match_substring_regex(arr, _FORMULA_RE2)
    if pc.any(risky).as_py():
        arr = pc.if_else(risky, pc.binary_join_element_wise("'", arr, ""), arr)
    return quote_array(arr)


def _take(vocab: Sequence[str], codes: np.ndarray) -> pa.Array:
    return pa.array(vocab, type=pa.string()).take(pa.array(codes))


def _span(values: np.ndarray, present: np.ndarray | None) -> tuple[int, int] | None:
    """(lowest, highest) present value when they span a small range (a vocabulary of the whole range
    is cheaper than finding the distinct values), else None."""
    vals = values if present is None else values[present]
    if not len(vals):
        return None
    lo, hi = int(vals.min()), int(vals.max())
    if hi - lo > max(4 * len(values), 1 << 16):
        return None
    return lo, hi


def _factorize(values: np.ndarray, present: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the present ``values`` into their distinct values; missing → one past the last."""
    vals = values.astype(np.int64) if present is None else values[present].astype(np.int64)
    codes, uniques = pd.factorize(vals)
    if present is None:
        return codes, uniques
    out = np.full(len(values), len(uniques), dtype=np.intp)
    out[present] = codes
    return out, uniques


def int_cells(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Finished cells of whole numbers (``str(int(v))``), ``""`` where ``mask``."""
    values = np.asarray(values)
    present = None if mask is None else ~np.asarray(mask, dtype=bool)
    if present is not None and not present.any():
        return pa.array(np.full(len(values), "", dtype=object), type=pa.string())
    span = _span(values, present)
    if span is not None:
        lo, hi = span
        codes = values.astype(np.int64) - lo
        vocab = [str(v) for v in range(lo, hi + 1)]
        if present is not None:
            codes = np.where(present, codes, len(vocab))
    else:
        codes, uniques = _factorize(values, present)
        vocab = [str(int(v)) for v in uniques.tolist()]
    return _take([*vocab, ""], codes)


def float_cells(values: np.ndarray) -> pa.Array:
    """Finished cells of floats: Python's shortest round-trip ``repr`` (``-0.0`` kept), ``""`` for NaN."""
    x = np.ascontiguousarray(values, dtype=np.float64)
    codes, uniques = pd.factorize(x.view(np.int64))  # by bit pattern: 0.0 and -0.0 stay apart
    vocab = ["" if f != f else repr(f) for f in uniques.view(np.float64).tolist()]
    return _take(vocab, codes)


def bool_cells(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Finished cells of booleans: ``true``/``false``, ``""`` where ``mask``."""
    codes = np.asarray(values, dtype=bool).astype(np.int8)
    if mask is not None:
        codes = np.where(mask, 2, codes).astype(np.int8)
    return _take(["false", "true", ""], codes)


_EPOCH = date(1970, 1, 1)
_MAX_KEPT_DAYS = 1 << 18  # formatted days kept between calls: ~700 years


class DayCells:
    """Finished cells of day numbers since 1970-01-01: ``YYYY-MM-DD`` (formatted as io.writer formats a
    ``datetime64[ns]`` value), ``""`` where masked.  Formatted days are kept between calls."""

    def __init__(self) -> None:
        self._lo = 0
        self._days: list[str] = []
        self._vocab: pa.Array | None = None

    @staticmethod
    def _format(days: np.ndarray) -> list[str]:
        # datetime.strftime, as Timestamp.strftime (what io.writer calls on a datetime64 value) is
        return [(_EPOCH + timedelta(days=d)).strftime("%Y-%m-%d") for d in days.tolist()]

    def __call__(self, days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
        days = np.asarray(days)
        present = None if mask is None else ~np.asarray(mask, dtype=bool)
        if present is not None and not present.any():
            return pa.array(np.full(len(days), "", dtype=object), type=pa.string())
        span = _span(days, present)
        if span is not None and self._days:  # the kept range grown to cover this one, if not too wide
            span = min(span[0], self._lo), max(span[1], self._lo + len(self._days) - 1)
            if span[1] - span[0] > _MAX_KEPT_DAYS:
                span = _span(days, present)
                self._days = []
        if span is None:  # far-apart days: once per distinct day
            codes, uniques = _factorize(days, present)
            return _take([*self._format(uniques), ""], codes)
        lo, hi = span
        if not self._days or lo < self._lo or hi >= self._lo + len(self._days):
            self._lo, self._days = lo, self._format(np.arange(lo, hi + 1))
            self._vocab = pa.array([*self._days, ""], type=pa.string())
        assert self._vocab is not None
        codes = days.astype(np.int64) - self._lo
        if present is not None:
            codes = np.where(present, codes, len(self._days))
        return self._vocab.take(pa.array(codes))


def header_line(names: Sequence[str]) -> bytes:
    """The header row (a lone empty name is written ``""``, as csv.writer writes a lone empty field)."""
    if list(names) == [""]:
        return b'""\n'
    return (",".join(quote_cell(str(n)) for n in names) + "\n").encode("utf-8")


def join_lines(columns: Sequence[Cells], n_rows: int, ended: bool = False) -> pa.Array:
    """One string per row: the cells of ``columns`` joined by commas, ending in ``"\\n"`` (``ended``: the
    cells of the last column already end in it)."""
    cols = list(columns)
    if not any(isinstance(c, pa.Array) for c in cols):  # a constant row: one array to broadcast against
        cols[0] = pa.array(np.full(n_rows, cols[0], dtype=object), type=pa.string())
    if len(cols) == 1 and not ended:  # csv.writer writes a lone empty field as "" (an empty line would be no row)
        col = cols[0]
        assert isinstance(col, pa.Array)
        cols = [pc.if_else(pc.equal(col, ""), '""', col)]
    joined = pc.binary_join_element_wise(*cols, ",") if len(cols) > 1 else cols[0]
    return joined if ended else pc.binary_join_element_wise(joined, "", "\n")


def write_lines(f: IO[bytes], columns: Sequence[Cells], n_rows: int, ended: bool = False) -> None:
    """Write the rows of ``columns`` (``n_rows`` of them) to the binary file ``f`` (``ended``: see
    :func:`join_lines`)."""
    if n_rows == 0:
        return
    lines = join_lines(columns, n_rows, ended)
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1, offset=4 * lines.offset)
    f.write(memoryview(lines.buffers()[2])[int(offsets[0]) : int(offsets[-1])])


__all__ = [
    "SPECIAL",
    "DayCells",
    "bool_cells",
    "float_cells",
    "header_line",
    "int_cells",
    "join_lines",
    "quote_array",
    "quote_cell",
    "text_cells",
    "write_lines",
]

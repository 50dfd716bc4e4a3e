"""Write pandas frames as a canonical data folder (spec/data-format.md).

Used by ``alscell export``, the simulator and tests.  Values are written so that reading them back gives
exactly the same values: floats with Python's shortest round-trip repr, dates as ISO ``YYYY-MM-DD``,
booleans as ``true``/``false``, missing as an empty cell.

Every CSV alscell writes is safe to open in a spreadsheet: a text cell that would start a formula (``=``,
``+``, ``-``, ``@``, tab or carriage return, OWASP's "CSV injection") gets one leading ``'``; so does a
text cell that already starts with quotes before such a character, so the reader's removal of exactly one
leading ``'`` (alscell.io.rawcsv) gives back the original text.  Numbers, dates and booleans are never
changed (a negative number stays ``-1.5``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from alscell.io.columns import FILE_ORDER, TABLES, kind_of
from alscell.io.rawcsv import CSV_SPECIAL
from alscell.io.rawcsv import FORMULA_RE as _FORMULA_RE


def neutralise_formulas(text: pd.Series) -> pd.Series:
    """Prefix ``'`` to every text cell a spreadsheet would run as a formula (see the module docstring).

    The pattern is matched once per distinct value (a registry column has few: ids, measure keys, units),
    not once per cell."""
    codes, uniques = pd.factorize(text.astype(object), use_na_sentinel=True)
    if not len(uniques):
        return text
    risky_u = pd.Series(uniques, dtype=object).str.match(_FORMULA_RE, na=False).to_numpy(dtype=bool)
    if not risky_u.any():
        return text
    risky = np.zeros(len(text), dtype=bool)
    present = codes >= 0
    risky[present] = risky_u[codes[present]]
    return text.where(~risky, "'" + text.astype(str))


def csv_safe(frame: pd.DataFrame, text_columns=None) -> pd.DataFrame:
    """``frame`` (all cells strings) with formula-like cells of its text columns neutralised.

    ``text_columns`` defaults to the canonical text columns (and ``x_`` columns) of ``frame``.
    """
    cols = [c for c in frame.columns if kind_of(c) == "text"] if text_columns is None else list(text_columns)
    out = frame.copy()
    for c in cols:
        out[c] = neutralise_formulas(out[c])
    return out


def _on_uniques(series: pd.Series, present: np.ndarray, fmt) -> np.ndarray:
    """``fmt`` applied once per distinct present value, '' for missing (a column of repeats is cheap)."""
    out = np.full(len(series), "", dtype=object)
    if present.any():
        codes, uniques = pd.factorize(series[present])
        out[present] = np.array([fmt(v) for v in uniques.tolist()], dtype=object)[codes]
    return out


def _float_text(series: pd.Series, present: np.ndarray) -> np.ndarray:
    """``repr(float(v))`` once per distinct value, '' for missing.  Distinct by bit pattern: ``-0.0`` is
    written ``-0.0`` and ``0.0`` ``0.0`` (pandas' factorize holds them equal, so the first one seen was
    written for both)."""
    if pd.api.types.is_float_dtype(series.dtype):
        x = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        x = np.full(len(series), np.nan)
        x[present] = [float(v) for v in series[present].tolist()]
    codes, uniques = pd.factorize(np.ascontiguousarray(x).view(np.int64))
    out = np.array([repr(f) for f in uniques.view(np.float64).tolist()], dtype=object)[codes]
    out[~present] = ""
    return out


def _as_bool_text(v) -> str:
    return "true" if str(v).lower() in ("true", "1", "1.0") else "false"


def _format_column(series: pd.Series, kind: str) -> pd.Series:
    present = series.notna().to_numpy()
    if kind == "date":
        # Once per distinct day (a visit column repeats few thousand days over millions of rows).
        dated = series if pd.api.types.is_datetime64_dtype(series.dtype) else pd.to_datetime(series)
        days = pd.Series(dated.to_numpy(), index=series.index)
        out = _on_uniques(days, present, lambda v: v.strftime("%Y-%m-%d"))
    elif kind == "int":
        out = _on_uniques(series, present, lambda v: str(int(v)))
    elif kind == "float":
        out = _float_text(series, present)
    elif kind == "bool":
        out = _on_uniques(series, present, _as_bool_text)
    else:  # text: no factorising (pandas' string hashing stops at a NUL character)
        values = series.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):  # one C pass: str or missing
            out = values.copy()
        else:
            out = np.array([v if type(v) is str else str(v) for v in values.tolist()], dtype=object)
        out[~present] = ""
    return pd.Series(out, index=series.index, dtype=object)


def format_table(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` as strings in canonical column order (known columns, then ``x_`` columns)."""
    known = [c for c in TABLES[name] if c in frame.columns]
    extra = sorted(c for c in frame.columns if c.startswith("x_"))
    unknown = [c for c in frame.columns if c not in known and c not in extra]
    if unknown:
        raise ValueError(f"{name}: columns not in the canonical format: {', '.join(unknown)}")
    return pd.DataFrame({c: _format_column(frame[c], kind_of(c)) for c in known + extra}, index=frame.index)


WRITE_CHUNK = 100_000  # rows formatted at a time: the text of a whole table is never held in memory


def _special_cells(values: list[str]) -> np.ndarray | None:
    """Mask of the cells that csv.writer would quote (None when there is none: one join, no loop)."""
    joined = "".join(values)
    if not any(ch in joined for ch in CSV_SPECIAL):
        return None
    return np.fromiter((any(ch in v for ch in CSV_SPECIAL) for v in values), dtype=bool, count=len(values))


def csv_lines(text: pd.DataFrame, header: bool = True) -> str:
    """The CSV text of ``text`` (all cells strings), byte for byte what ``text.to_csv(index=False,
    lineterminator="\\n")`` writes except that a cell holding a lone carriage return is quoted (pandas leaves
    it bare, and the file then no longer reads back): rows without a character that needs quoting are joined
    directly (the common case), the others are written by the csv module (QUOTE_MINIMAL)."""
    names = [str(c) for c in text.columns]
    columns = [text[c].to_numpy(dtype=object).tolist() for c in text.columns]
    rows: list[tuple] = list(zip(*columns, strict=True))
    special = np.zeros(len(rows), dtype=bool)
    for values in columns:
        mask = _special_cells(values)
        if mask is not None:
            special |= mask
    if len(columns) == 1:  # csv.writer quotes a lone empty field ("" stands for a row)
        special |= np.array([v == "" for v in columns[0]], dtype=bool)
    if header:
        rows.insert(0, tuple(names))
        quoted = _special_cells(names) is not None or names == [""]
        special = np.concatenate([[quoted], special])
    lines = [",".join(r) for r in rows]
    if special.any():
        buf = io.StringIO()
        # "\r\n" as the csv module's terminator makes it quote a cell holding a lone "\r" too (it quotes
        # cells holding any terminator character); the terminator itself is cut off, lines end in "\n"
        writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        for i in np.flatnonzero(special):
            buf.seek(0)
            buf.truncate()
            writer.writerow(rows[i])
            lines[i] = buf.getvalue()[:-2]
    return "".join([line + "\n" for line in lines])


def column_cells(series: pd.Series, kind: str, days=None):
    """The finished cells (alscell.io.fastcsv) of one column: vectorised for the canonical dtypes, any
    other dtype through ``_format_column`` and the same neutralising and quoting.  ``days``: a
    ``fastcsv.DayCells`` to share formatted days between calls."""
    from alscell.io import fastcsv

    days = fastcsv.DayCells() if days is None else days

    dtype = series.dtype
    if isinstance(dtype, np.dtype):
        if kind == "date" and dtype.kind == "M":
            mask = series.isna().to_numpy()
            d = series.to_numpy().astype("datetime64[D]").view(np.int64)
            return days(d, mask if mask.any() else None)
        if kind == "int" and dtype.kind == "i":
            return fastcsv.int_cells(series.to_numpy())
        if kind == "float" and dtype.kind == "f":
            return fastcsv.float_cells(series.to_numpy(dtype=np.float64))
        if kind == "bool" and dtype.kind == "b":
            return fastcsv.bool_cells(series.to_numpy())
        if kind == "text" and dtype.kind == "O":
            return fastcsv.text_cells(series.to_numpy())
    elif kind == "int" and isinstance(dtype, pd.Int64Dtype | pd.Int32Dtype | pd.Int16Dtype | pd.Int8Dtype):
        mask = series.isna().to_numpy()
        return fastcsv.int_cells(series.to_numpy(dtype=np.int64, na_value=0), mask if mask.any() else None)
    elif kind == "bool" and isinstance(dtype, pd.BooleanDtype):
        mask = series.isna().to_numpy()
        return fastcsv.bool_cells(series.to_numpy(dtype=bool, na_value=False), mask if mask.any() else None)
    import pyarrow as pa

    text = _format_column(series, kind).to_numpy(dtype=object)
    return fastcsv.text_cells(text) if kind == "text" else fastcsv.quote_array(pa.array(text, type=pa.string()))


def write_table(name: str, frame: pd.DataFrame, path: str | Path) -> Path:
    """Write one canonical table to ``path`` (formatted, formula cells neutralised) in chunks of rows.

    The bytes are those of ``csv_lines(csv_safe(format_table(name, frame)))``; the cells are built a
    column at a time by alscell.io.fastcsv (Python once per distinct value, pyarrow for the rest)."""
    from alscell.io import fastcsv

    frame = frame.reset_index(drop=True)
    columns = list(format_table(name, frame.iloc[:0]).columns)  # canonical order; unknown columns raise
    if not columns:  # a frame without columns: still write the canonical header
        columns, frame = list(TABLES[name]), frame.iloc[:0]
    days = fastcsv.DayCells()
    with open(path, "wb") as f:
        f.write(fastcsv.header_line(columns))
        for start in range(0, len(frame), WRITE_CHUNK):
            chunk = frame.iloc[start : start + WRITE_CHUNK]
            fastcsv.write_lines(f, [column_cells(chunk[c], kind_of(c), days) for c in columns], len(chunk))
    return Path(path)


def write_folder(tables: Mapping[str, pd.DataFrame], out_dir: str | Path) -> Path:
    """Write each frame of ``tables`` (keys = file stems) to ``out_dir/<stem>.csv``.

    Tables absent from the mapping are written with a header only, so the folder is always complete.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in FILE_ORDER:
        frame = tables.get(name)
        if frame is None:
            frame = pd.DataFrame(columns=list(TABLES[name]))
        write_table(name, frame, out / f"{name}.csv")
    return out


__all__ = [
    "column_cells",
    "csv_lines",
    "csv_safe",
    "format_table",
    "neutralise_formulas",
    "write_folder",
    "write_table",
]

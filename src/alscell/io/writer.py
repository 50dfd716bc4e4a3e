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

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from alscell.io.columns import FILE_ORDER, TABLES, kind_of
from alscell.io.rawcsv import FORMULA_START

_FORMULA_RE = "'*[" + FORMULA_START.replace("-", r"\-") + "]"


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


def _as_bool_text(v) -> str:
    return "true" if str(v).lower() in ("true", "1", "1.0") else "false"


def _format_column(series: pd.Series, kind: str) -> pd.Series:
    present = series.notna().to_numpy()
    if kind == "date":
        out = pd.to_datetime(series).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        out[~present] = ""
    elif kind == "int":
        out = _on_uniques(series, present, lambda v: str(int(v)))
    elif kind == "float":
        out = _on_uniques(series, present, lambda v: repr(float(v)))
    elif kind == "bool":
        out = _on_uniques(series, present, _as_bool_text)
    else:  # text: no factorising (pandas' string hashing stops at a NUL character)
        values = series.to_numpy(dtype=object)
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
        text = format_table(name, frame.reset_index(drop=True))
        if len(text.columns) == 0:  # a frame without columns: still write the canonical header
            text = pd.DataFrame(columns=list(TABLES[name]))
        csv_safe(text).to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
    return out


__all__ = ["csv_safe", "format_table", "neutralise_formulas", "write_folder"]

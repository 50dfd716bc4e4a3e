"""Write pandas frames as a canonical data folder (spec/data-format.md).

Used by ``alscell export``, the simulator and tests.  Values are written so that reading them back gives
exactly the same values: floats with Python's shortest round-trip repr, dates as ISO ``YYYY-MM-DD``,
booleans as ``true``/``false``, missing as an empty cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from alscell.io.columns import FILE_ORDER, TABLES, kind_of


def _format_column(series: pd.Series, kind: str) -> pd.Series:
    missing = series.isna()
    if kind == "date":
        out = pd.to_datetime(series).dt.strftime("%Y-%m-%d")
    elif kind == "int":
        out = series.map(lambda v: "" if pd.isna(v) else str(int(v)))
    elif kind == "float":
        out = series.map(lambda v: "" if pd.isna(v) else repr(float(v)))
    elif kind == "bool":
        out = series.map(
            lambda v: "" if pd.isna(v) else ("true" if str(v).lower() in ("true", "1", "1.0") else "false")
        )
    else:
        out = series.astype(object).map(lambda v: "" if pd.isna(v) else str(v))
    return out.where(~missing, "")


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
        text.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
    return out


__all__ = ["format_table", "write_folder"]

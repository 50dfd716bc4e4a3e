"""Read and validate a canonical data folder into typed pandas frames (spec/data-format.md).

Typed frames are the in-memory canonical format every pillar shares: one frame per file with all the
canonical columns (plus any ``x_`` columns), dates as ``datetime64[ns]``, integers as ``Int64``, floats as
``float64``, booleans as ``boolean``, text as ``object`` with ``None`` for missing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from alscell.io.columns import FILE_ORDER, TABLES, kind_of
from alscell.io.errors import ValidationError
from alscell.io.rawcsv import read_raw_csv, read_raw_folder  # noqa: F401  (re-exported)
from alscell.io.tables import Tables
from alscell.io.validate import DEFAULT_PROBLEM_LIMIT, RegistryContext, validate_tables

_EMPTY = {"date": "datetime64[ns]", "int": "Int64", "float": "float64", "bool": "boolean", "text": object}


def complete_columns(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Add any canonical column missing from ``frame`` (all missing, right dtype); canonical order first."""
    for col in TABLES[name]:
        if col not in frame.columns:
            kind = kind_of(col)
            # Text columns hold None for missing (not NaN), as the parsers produce.
            frame[col] = (
                pd.Series([None] * len(frame), index=frame.index, dtype=object)
                if kind == "text"
                else pd.Series(index=frame.index, dtype=_EMPTY[kind])
            )
    extra = sorted(c for c in frame.columns if c.startswith("x_"))
    order = list(TABLES[name]) + extra
    if list(frame.columns) == order:
        return frame
    # Reordered without copying the cells (``frame[order]`` would copy every column of a large table).
    return pd.DataFrame({c: frame[c] for c in order}, index=frame.index, copy=False)


def empty_tables() -> dict[str, pd.DataFrame]:
    return {n: complete_columns(n, pd.DataFrame()) for n in FILE_ORDER}


def read_folder(
    folder: str | Path, context: RegistryContext | None = None, *, limit: int = DEFAULT_PROBLEM_LIMIT
) -> Tables:
    """Validated typed frames of ``folder``; raises ValidationError listing every problem found."""
    factorized: dict = {}
    raw, problems = read_raw_folder(folder, factorized, compact=True)
    if problems:
        raise ValidationError(problems)
    typed, problems, total = validate_tables(raw, context, limit=limit, factorized=factorized)
    del raw, factorized  # the text cells are not needed once typed (a large folder's memory)
    if total:
        raise ValidationError(problems, total)
    # The validated frames already hold the canonical dtypes (io.parsing): only absent columns are added,
    # without the conversion pass of Tables.from_frames (a copy of every column of a large folder).
    return Tables(**{n: complete_columns(n, typed[n]) for n in FILE_ORDER})

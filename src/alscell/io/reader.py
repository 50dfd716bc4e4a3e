"""Read and validate a canonical data folder into typed pandas frames (spec/data-format.md).

Typed frames are the in-memory canonical format every pillar shares: one frame per file with all the
canonical columns (plus any ``x_`` columns), dates as ``datetime64[ns]``, integers as ``Int64``, floats as
``float64``, booleans as ``boolean``, text as ``object`` with ``None`` for missing.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from alscell.io.columns import FILE_ORDER, TABLES, kind_of
from alscell.io.errors import Problem, ValidationError
from alscell.io.validate import DEFAULT_PROBLEM_LIMIT, RegistryContext, validate_tables

_EMPTY = {"date": "datetime64[ns]", "int": "Int64", "float": "float64", "bool": "boolean", "text": object}


def read_raw_csv(path: Path) -> pd.DataFrame:
    """Every cell as text ('' for empty), header as given; raises ValueError with a plain reason."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not header:
        raise ValueError("empty file: a header row is required")
    try:
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8", engine="c", on_bad_lines="error"
        )
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a valid CSV file ({str(exc).strip()})") from None


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
    return frame[list(TABLES[name]) + extra]


def empty_tables() -> dict[str, pd.DataFrame]:
    return {n: complete_columns(n, pd.DataFrame()) for n in FILE_ORDER}


def read_raw_folder(folder: str | Path) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    folder = Path(folder)
    problems: list[Problem] = []
    if not folder.is_dir():
        return {}, [Problem(str(folder), None, None, None, "is not a folder")]
    raw: dict[str, pd.DataFrame] = {}
    for name in FILE_ORDER:
        path = folder / f"{name}.csv"
        if not path.exists():
            if name == "patients":
                problems.append(Problem("patients.csv", None, None, None, "file is missing (it is required)"))
            continue
        try:
            raw[name] = read_raw_csv(path)
        except ValueError as exc:
            problems.append(Problem(f"{name}.csv", None, None, None, str(exc)))
    return raw, problems


def read_folder(
    folder: str | Path, context: RegistryContext | None = None, *, limit: int = DEFAULT_PROBLEM_LIMIT
) -> dict[str, pd.DataFrame]:
    """Validated typed frames of ``folder``; raises ValidationError listing every problem found."""
    raw, problems = read_raw_folder(folder)
    if problems:
        raise ValidationError(problems)
    typed, problems, total = validate_tables(raw, context, limit=limit)
    if total:
        raise ValidationError(problems, total)
    return {n: complete_columns(n, typed[n]) for n in FILE_ORDER}

"""Conversion between typed canonical frames (alscell.io.reader) and database rows.

Measurement qualifiers (side, muscle, specimen) are '' in the database and missing in frames; ``x_``
columns live in the JSON ``extra`` column.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Date, Select, Text, cast, func, select

from alscell.io.columns import FILE_ORDER, TABLES, kind_of
from alscell.io.reader import complete_columns
from alscell.store.models import SQL_TABLES

QUALIFIERS = ("side", "muscle", "specimen")
# Stored as '' when missing: the qualifiers (part of the key) and the unit of a unitless measure (munix).
EMPTY_AS_BLANK = (*QUALIFIERS, "unit")


def _python_column(series: pd.Series, kind: str) -> np.ndarray:
    """Object array of plain Python values (None for missing) that every DB driver accepts."""
    missing = series.isna().to_numpy()
    if kind == "date":
        values = series.dt.date.to_numpy(dtype=object)
    elif kind == "int":
        values = series.astype("Int64").to_numpy(dtype=object, na_value=None)
    elif kind == "float":
        values = series.astype("float64").to_numpy(dtype=object)
    elif kind == "bool":
        values = series.astype("boolean").to_numpy(dtype=object, na_value=None)
    else:
        values = series.to_numpy(dtype=object)
    values = values.copy()
    values[missing] = None
    return values


def frame_to_records(name: str, frame: pd.DataFrame) -> list[dict]:
    """Rows of a typed canonical frame as dicts for ``insert``/``update`` on table ``name``."""
    cols = list(TABLES[name])
    arrays = {c: _python_column(frame[c], kind_of(c)) for c in cols}
    if name == "measurements":
        for q in EMPTY_AS_BLANK:
            a = arrays[q]
            a[pd.isna(a)] = ""
    extra_cols = [c for c in frame.columns if c.startswith("x_")]
    if extra_cols:
        ex = frame[extra_cols]
        arrays["extra"] = np.array(
            [
                {k: v for k, v in zip(extra_cols, row, strict=False) if v is not None and v == v} or None
                for row in ex.itertuples(index=False, name=None)
            ],
            dtype=object,
        )
    else:
        arrays["extra"] = np.full(len(frame), None, dtype=object)
    keys = list(arrays)
    return [dict(zip(keys, row, strict=False)) for row in zip(*(arrays[k] for k in keys), strict=False)]


def rows_to_frame(name: str, rows: pd.DataFrame) -> pd.DataFrame:
    """Typed canonical frame from the raw result of ``SELECT *`` on table ``name``."""
    out = pd.DataFrame(index=rows.index)
    for col in TABLES[name]:
        kind = kind_of(col)
        s = rows[col]
        if name == "measurements" and col in EMPTY_AS_BLANK:
            s = s.where(s != "", None)
        if kind == "date":
            out[col] = pd.to_datetime(s).astype("datetime64[ns]")
        elif kind == "int":
            out[col] = pd.to_numeric(s).astype("Int64")
        elif kind == "float":
            out[col] = pd.to_numeric(s).astype("float64")
        elif kind == "bool":
            out[col] = s.astype(object).map(lambda v: None if v is None or v != v else bool(v)).astype("boolean")
        else:
            out[col] = s.astype(object).where(s.notna(), None)
    extras = rows["extra"].map(lambda v: json.loads(v) if isinstance(v, str) else v)
    if extras.notna().any():
        expanded = pd.DataFrame([e or {} for e in extras], index=rows.index)
        for c in sorted(expanded.columns):
            out[c] = expanded[c].astype(object).where(expanded[c].notna(), None)
    return complete_columns(name, out)


def stored_rows(name: str, *, dates_as_text: bool = False) -> Select:
    """``SELECT`` of every column of table ``name`` in key order, the JSON ``extra`` as its text (None for none: most
    rows have none, and decoding a JSON ``null`` per row is most of the time of reading a whole table;
    :func:`rows_to_frame` decodes the text where there is one).  ``dates_as_text``: the dates as ISO text, which
    :func:`rows_to_frame` reads at once (SQLite's driver-side date conversion parses each value with a regular
    expression, the next largest share of a whole table's read); the same frame either way."""
    table = SQL_TABLES[name]
    cols = [
        func.nullif(cast(c, Text), "null").label(c.name)
        if c.name == "extra"
        else cast(c, Text).label(c.name)
        if dates_as_text and isinstance(c.type, Date)
        else c
        for c in table.columns
    ]
    return select(*cols).order_by(*table.primary_key.columns)


def read_frame(conn: Connection, name: str, where=None) -> pd.DataFrame:
    """The typed canonical frame of table ``name``'s rows (``where``: a filter on them), in key order."""
    stmt = stored_rows(name, dates_as_text=True)
    result = conn.execute(stmt if where is None else stmt.where(where))
    return rows_to_frame(name, pd.DataFrame(result.fetchall(), columns=list(result.keys())))


def load_tables(
    conn: Connection, *, without: tuple[str, ...] = (), measures: tuple[str, ...] | None = None
) -> dict[str, pd.DataFrame]:
    """Every registry table as a typed canonical frame, rows in key order (``without``: tables not read;
    ``measures``: only the measurements of these keys, filtered in the database — an effect reads a few of a large
    registry's, :func:`alscell.analysis.decision_inputs.measures_read`)."""
    where = {"measurements": SQL_TABLES["measurements"].c.measure.in_(measures)} if measures is not None else {}
    return {name: read_frame(conn, name, where.get(name)) for name in FILE_ORDER if name not in without}

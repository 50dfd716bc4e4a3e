"""Bulk insert of typed canonical rows: the driver's own fast path, inside the caller's transaction.

SQLAlchemy's ``insert(table)`` with a list of dicts processes every bound value in Python (about 50 µs
a row for an ALSFRS-R visit); a registry import of a million rows spent most of its time there.  Here
the values are converted column by column (vectorised, once per distinct value where that helps) to
exactly what SQLAlchemy would have stored, then handed to the driver:

* SQLite: one prepared ``INSERT`` run by ``sqlite3``'s ``executemany`` over chunks of rows;
* PostgreSQL: ``COPY ... FROM STDIN`` through psycopg 3 (``cursor.copy`` / ``write_row``);
* any other database: SQLAlchemy's ``insert`` (the portable path).

Both fast paths run on the DBAPI connection under the SQLAlchemy connection, so they belong to the
transaction that holds the registry's write lock (alscell.store.engine.write_transaction): a failure
rolls them back with everything else.  Stored values are identical to the portable path's: dates as
ISO text on SQLite, booleans as 0/1 on SQLite, the JSON ``extra`` column as ``json.dumps`` of the ``x_``
values or the JSON text ``null`` when a row has none (SQLAlchemy's ``JSON`` default, ``none_as_null=False``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pandas as pd
from sqlalchemy import Connection, insert

from alscell.io.columns import TABLES, kind_of
from alscell.store.frames import EMPTY_AS_BLANK, frame_to_records
from alscell.store.models import SQL_TABLES

CHUNK = 50_000  # rows converted to Python values at a time: memory stays bounded for any table size


def _as_list(values: np.ndarray, missing: np.ndarray) -> list:
    if missing.any():
        out = np.asarray(values, dtype=object)
        out[missing] = None
        return out.tolist()
    return values.tolist()


def _column(series: pd.Series, kind: str, dialect: str) -> list:
    """The column as plain Python values that the driver stores as SQLAlchemy would (None = NULL)."""
    missing = series.isna().to_numpy()
    if kind == "date":
        codes, uniques = pd.factorize(series)  # missing -> -1; a column of visit dates has few distinct days
        text = np.asarray([*uniques.strftime("%Y-%m-%d").tolist(), None], dtype=object)
        return text[codes].tolist()
    if kind == "int":
        return _as_list(series.to_numpy(dtype="int64", na_value=0), missing)
    if kind == "float":
        return _as_list(series.to_numpy(dtype="float64"), missing)
    if kind == "bool":
        flags = series.to_numpy(dtype=bool, na_value=False)
        return _as_list(flags.astype(np.int64) if dialect == "sqlite" else flags, missing)
    return _as_list(series.to_numpy(dtype=object), missing)


def _extra(frame: pd.DataFrame) -> list:
    """JSON text of each row's ``x_`` values ('null' for a row without any)."""
    extra_cols = [c for c in frame.columns if c.startswith("x_")]
    if not extra_cols:
        return ["null"] * len(frame)
    return [
        json.dumps({k: v for k, v in zip(extra_cols, row, strict=True) if v is not None and v == v} or None)
        for row in frame[extra_cols].itertuples(index=False, name=None)
    ]


def _rows(name: str, frame: pd.DataFrame, dialect: str) -> Iterator[tuple[list[str], list[tuple]]]:
    """(column names, row tuples) for each chunk of ``frame``."""
    cols = list(TABLES[name])
    for start in range(0, len(frame), CHUNK):
        part = frame.iloc[start : start + CHUNK]
        arrays = [_column(part[c], kind_of(c), dialect) for c in cols]
        if name == "measurements":
            for q in EMPTY_AS_BLANK:
                i = cols.index(q)
                arrays[i] = ["" if v is None else v for v in arrays[i]]
        arrays.append(_extra(part))
        yield [*cols, "extra"], list(zip(*arrays, strict=True))


def insert_frame(conn: Connection, name: str, frame: pd.DataFrame) -> None:
    """Insert every row of the typed canonical ``frame`` into table ``name`` on ``conn``'s transaction."""
    if not len(frame):
        return
    dialect = conn.dialect.name
    table = SQL_TABLES[name]
    if dialect not in ("sqlite", "postgresql") or conn.dialect.driver != (
        "pysqlite" if dialect == "sqlite" else "psycopg"
    ):
        records = frame_to_records(name, frame)
        for start in range(0, len(records), CHUNK):
            conn.execute(insert(table), records[start : start + CHUNK])
        return
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        for cols, rows in _rows(name, frame, dialect):
            names = ", ".join(f'"{c}"' for c in cols)
            if dialect == "sqlite":
                cursor.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(cols))})', rows)
            else:
                with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
    finally:
        cursor.close()

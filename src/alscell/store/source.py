"""One way for every command to get typed canonical tables: from a folder or from a database."""

from __future__ import annotations

from pathlib import Path

from alscell.io.reader import read_folder
from alscell.io.tables import Tables


def load_source(
    data: str | Path | None = None, db: str | None = None, measures: tuple[str, ...] | None = None
) -> Tables:
    """Typed tables of the canonical folder ``data`` (validated) or of the registry at ``db``; ``measures``: only
    the measurements of these keys are kept (read from the database only; a folder is validated whole first)."""
    if (data is None) == (db is None):
        raise ValueError("give exactly one of a data folder or a database URL")
    if data is not None:
        tables = read_folder(data)
        if measures is None:
            return tables
        m = tables["measurements"]
        return tables.replace(measurements=m[m["measure"].isin(measures).to_numpy()])
    assert db is not None  # exactly one of the two was given
    from alscell.store.engine import is_empty, make_engine  # imported here: a folder needs no database
    from alscell.store.frames import load_tables

    engine = make_engine(db)
    try:
        if is_empty(engine):
            raise ValueError(
                f"the database {engine.url.render_as_string()} holds no alscell registry (import data first)"
            )
        with engine.connect() as conn:
            return Tables.from_frames(load_tables(conn, measures=measures))
    finally:
        engine.dispose()

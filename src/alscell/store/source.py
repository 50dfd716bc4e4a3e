"""One way for every command to get typed canonical tables: from a folder or from a database."""

from __future__ import annotations

from pathlib import Path

from alscell.io.reader import read_folder
from alscell.io.tables import Tables


def load_source(data: str | Path | None = None, db: str | None = None) -> Tables:
    """Typed tables of the canonical folder ``data`` (validated) or of the registry at ``db``."""
    if (data is None) == (db is None):
        raise ValueError("give exactly one of a data folder or a database URL")
    if data is not None:
        return read_folder(data)
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
            return Tables.from_frames(load_tables(conn))
    finally:
        engine.dispose()

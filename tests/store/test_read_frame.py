"""store.frames.read_frame (the whole-table read every analysis, export and page starts from) reads the JSON ``extra``
and the dates as text to be fast; its frames must be those of the typed ``SELECT`` it replaced, on both databases."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from alscell.io.columns import FILE_ORDER
from alscell.store.engine import open_database
from alscell.store.frames import load_tables, read_frame, rows_to_frame
from alscell.store.importer import import_folder
from alscell.store.models import SQL_TABLES


def _typed(conn, name: str) -> pd.DataFrame:
    table = SQL_TABLES[name]
    result = conn.execute(select(table).order_by(*table.primary_key.columns))
    return rows_to_frame(name, pd.DataFrame(result.fetchall(), columns=list(result.keys())))


def test_read_frame_is_the_typed_select(db_url, example_dir):
    engine = open_database(db_url)
    import_folder(engine, example_dir)
    with engine.connect() as conn:
        loaded = load_tables(conn)
        for name in FILE_ORDER:
            pd.testing.assert_frame_equal(loaded[name], _typed(conn, name), check_exact=True)
        # a filter on the rows, as the patient page's reads use it
        P = SQL_TABLES["alsfrs"]
        one = read_frame(conn, "alsfrs", P.c.patient_id == "ALS-001")
        typed = loaded["alsfrs"][loaded["alsfrs"]["patient_id"] == "ALS-001"].reset_index(drop=True)
        pd.testing.assert_frame_equal(one, typed, check_exact=True)
    assert loaded["patients"].loc[loaded["patients"]["patient_id"] == "ALS-001", "x_site_note"].notna().all()
    assert loaded["alsfrs"]["date"].dtype == "datetime64[ns]" and len(one) > 0
    engine.dispose()


def test_load_tables_and_load_source_read_only_the_measurements_asked(db_url, example_dir):
    """``measures``: the measurements of those keys only, filtered in the database (``alscell effect --db`` reads no
    other), the other tables whole; a folder gives the same tables."""
    from alscell.store.source import load_source

    engine = open_database(db_url)
    import_folder(engine, example_dir)
    with engine.connect() as conn:
        whole = load_tables(conn)
        keys = tuple(whole["measurements"]["measure"].unique()[:1])
        some = load_tables(conn, measures=keys)
        none = load_tables(conn, without=("measurements",))
    m = whole["measurements"]
    kept = m[m["measure"].isin(keys)].reset_index(drop=True)
    assert 0 < len(kept) < len(m)
    pd.testing.assert_frame_equal(some["measurements"], kept, check_exact=True)
    for name in FILE_ORDER:
        if name != "measurements":
            pd.testing.assert_frame_equal(some[name], whole[name], check_exact=True)
    assert "measurements" not in none and set(none) == set(FILE_ORDER) - {"measurements"}
    from_db = load_source(db=db_url, measures=keys)
    from_folder = load_source(data=example_dir, measures=keys)
    assert set(from_db["measurements"]["measure"]) == set(from_folder["measurements"]["measure"]) == set(keys)
    assert len(from_db["measurements"]) == len(from_folder["measurements"]) == len(kept)
    engine.dispose()

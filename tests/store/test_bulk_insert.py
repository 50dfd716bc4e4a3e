"""The bulk insert (executemany on SQLite, COPY on PostgreSQL) stores exactly what SQLAlchemy's insert stored.

Both paths insert the same typed frames (every table, optional values empty and filled, awkward text:
tabs, backslashes, line breaks, quotes, unicode, ``x_`` columns) into two fresh databases of the same kind;
the raw ``SELECT *`` rows must be identical, and the registry must read back as the frames.
"""

from __future__ import annotations

import os
import uuid

import pandas as pd
import pytest
from sqlalchemy import create_engine, insert, select
from sqlalchemy.engine import make_url

from alscell.io.columns import FILE_ORDER
from alscell.io.tables import Tables
from alscell.simulate import CohortConfig, simulate_cohort
from alscell.store import bulk
from alscell.store.engine import normalise_url, open_database, write_transaction
from alscell.store.frames import frame_to_records, load_tables
from alscell.store.models import SQL_TABLES

AWKWARD = ["tab\there", "back\\slash", "two\nlines", 'quote "x"', "ünï,cødé", "\\N", "plain", None]


@pytest.fixture
def pg_url_2():
    """A second fresh PostgreSQL schema (as conftest's pg_url), dropped after the test."""
    if not os.environ.get("ALSCELL_TEST_PG_URL"):
        pytest.skip("ALSCELL_TEST_PG_URL is not set")
    base = normalise_url(os.environ["ALSCELL_TEST_PG_URL"])
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            make_url(base)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def _frames() -> dict[str, pd.DataFrame]:
    tables = simulate_cohort(CohortConfig(n_patients=40, design="registry", effect=0.2), 7).tables
    frames = {n: tables[n].copy() for n in FILE_ORDER}
    p = frames["patients"]
    p["genetics"] = [AWKWARD[i % len(AWKWARD)] for i in range(len(p))]
    p["x_note"] = [AWKWARD[(i + 3) % len(AWKWARD)] for i in range(len(p))]
    frames["patients"] = Tables.from_frames(patients=p).patients
    return frames


def _insert_old(conn, name: str, frame: pd.DataFrame) -> None:
    records = frame_to_records(name, frame)
    if records:
        conn.execute(insert(SQL_TABLES[name]), records)


def _raw_rows(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        out = {}
        for name in FILE_ORDER:
            table = SQL_TABLES[name]
            out[name] = [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]
        return out


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_bulk_insert_stores_what_sqlalchemy_stored(kind, tmp_path, request, monkeypatch):
    if kind == "sqlite":
        urls = [f"sqlite:///{tmp_path / 'old.db'}", f"sqlite:///{tmp_path / 'new.db'}"]
    else:
        urls = [request.getfixturevalue("pg_url"), request.getfixturevalue("pg_url_2")]
    frames = _frames()
    old, new = (open_database(u) for u in urls)
    monkeypatch.setattr(bulk, "CHUNK", 17)  # several chunks per table
    with write_transaction(old) as conn:
        for name in FILE_ORDER:
            _insert_old(conn, name, frames[name])
    with write_transaction(new) as conn:
        for name in FILE_ORDER:
            bulk.insert_frame(conn, name, frames[name])
    assert _raw_rows(old) == _raw_rows(new)
    with new.connect() as conn:
        back = load_tables(conn)
    got = back["patients"].set_index("patient_id")
    want = frames["patients"].set_index("patient_id")
    assert got["genetics"].to_dict() == want["genetics"].to_dict()
    assert got["x_note"].to_dict() == want["x_note"].to_dict()
    old.dispose()
    new.dispose()


def test_failed_bulk_insert_rolls_back(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'r.db'}")
    frames = _frames()
    with pytest.raises(Exception), write_transaction(engine) as conn:  # noqa: B017 (driver's own error)
        bulk.insert_frame(conn, "patients", frames["patients"])
        bulk.insert_frame(conn, "patients", frames["patients"].iloc[:1])  # duplicate key
    with engine.connect() as conn:
        assert all(not len(f) for f in load_tables(conn).values())
    engine.dispose()

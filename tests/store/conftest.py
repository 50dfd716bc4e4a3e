"""Fixtures shared by the store tests."""

import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url


@pytest.fixture
def new_url(tmp_path):
    """Factory of empty databases of the same kind as ``url`` (a new SQLite file, or a new PG schema)."""
    made: list[str] = []
    admin = None

    def make(url: str) -> str:
        nonlocal admin
        if url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.db'}"
        base = make_url(url).difference_update_query(["options"])
        admin = admin or create_engine(base)
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        made.append(schema)
        return base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)

    yield make
    if admin is not None:
        with admin.begin() as conn:
            for schema in made:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()

"""Database engine and schema set-up.

SQLite is the embedded default (WAL journal, foreign keys enforced on every connection); PostgreSQL is
reached through psycopg 3 (``postgresql+psycopg://``; a plain ``postgresql://`` URL is mapped to it).
The schema is created and upgraded only through Alembic migrations (store/migrations).

Writers take turns: ``write_transaction`` is the one way to change the registry (imports and migrations).
On SQLite it starts with ``BEGIN IMMEDIATE`` (the write lock is taken before anything is read, so what a
writer validated against cannot change under it) and the driver's own transaction handling is switched off
so that schema changes (DDL) are transactional too: a migration commits completely or not at all.  On
PostgreSQL the transaction takes an advisory lock per schema.  A writer waits up to ``busy_timeout``
seconds (``$ALSCELL_BUSY_TIMEOUT``, default 60) for another one, then gives up with ``RegistryBusy``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
DEFAULT_BUSY_TIMEOUT = 60.0
_WRITE = "alscell_write"
_PG_LOCK_NAME = "alscell registry writer"


class RegistryBusy(Exception):
    """Another process held the registry's write lock for longer than the busy timeout."""

    def __init__(self) -> None:
        super().__init__("the registry is busy (another import or migration is writing to it); try again in a moment")


def busy_timeout() -> float:
    """Seconds a writer waits for another one: ``$ALSCELL_BUSY_TIMEOUT`` or 60."""
    try:
        return max(float(os.environ.get("ALSCELL_BUSY_TIMEOUT", DEFAULT_BUSY_TIMEOUT)), 0.0)
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT


def normalise_url(url: str) -> str:
    """Map ``postgresql://`` and ``postgres://`` to the psycopg 3 driver."""
    u = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def _sqlite_connect(dbapi_conn, _record) -> None:
    # The driver neither begins nor commits on its own (it would commit before DDL): _sqlite_begin does.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")  # a commit survives power loss, not only a crash
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for ``url`` with alscell's connection settings (no schema changes)."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {}).setdefault("timeout", busy_timeout())
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def is_busy_error(exc: BaseException) -> bool:
    """True for a database's "locked / lock not available" error (another writer holds the lock)."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in ("55P03", "40P01"):  # lock_not_available, deadlock_detected
        return True
    return isinstance(exc, OperationalError) and any(
        words in str(orig).lower() for words in ("database is locked", "database is busy", "database table is locked")
    )


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the registry's write lock from its first statement; commits on success.

    Raises RegistryBusy when the lock is not free within the busy timeout.
    """
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                conn = conn.execution_options(**{_WRITE: True})
            with conn.begin():
                if engine.dialect.name == "postgresql":
                    conn.execute(text(f"SET LOCAL lock_timeout = '{max(int(busy_timeout() * 1000), 1)}ms'"))
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(hashtext(:name || current_schema()))"),
                        {"name": _PG_LOCK_NAME},
                    )
                yield conn
    except DBAPIError as exc:
        if is_busy_error(exc):
            raise RegistryBusy() from exc
        raise


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config  # imported here: reading a folder never needs alembic

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema of ``engine``'s database to ``revision`` through the migrations, in one transaction
    (all of them or none) under the write lock, so that two first imports cannot race."""
    with write_transaction(engine) as conn:
        from alembic import command

        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def open_database(url: str, *, migrate: bool = True) -> Engine:
    """Engine for ``url`` with the schema upgraded to the newest migration."""
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return engine


def is_empty(engine: Engine) -> bool:
    """True when the database holds no alscell tables (a fresh database)."""
    return "patients" not in inspect(engine).get_table_names()

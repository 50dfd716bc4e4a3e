"""Consistent online backup of a registry and restore into an empty database (``alscell backup / restore``).

A backup is one SQLite file, whichever database it came from, holding every table of the registry (patients,
treatments, visits, measurements, adverse events, events, the audit trail with its ids, web accounts,
sessions and settings, the schema revision) plus a table ``alscell_backup`` that marks it as a backup and
records the row count of every table.  One portable format means a PostgreSQL registry can be restored into
SQLite and back, into any schema, with no dependence on the version of a ``pg_dump`` client.

* SQLite registry: SQLite's online backup API (``sqlite3.Connection.backup`` in one step), which copies a
  consistent snapshot while the web app or an import keeps writing (WAL readers never block writers).
* PostgreSQL registry: every table is read inside one ``REPEATABLE READ READ ONLY`` transaction (one
  snapshot of the whole registry, writers not blocked) and written to the backup file.

Restore copies every row, in one write transaction, into a database that holds no alscell rows (a missing
SQLite file, an empty schema, or a registry whose tables are all empty); anything else is refused.  The row
counts are checked against the backup's own before the transaction commits: a restore is complete or absent.
A backup made by an older alscell is upgraded through the migrations on a temporary copy first.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, DateTime, Engine, Integer, MetaData, Table, func, insert, inspect, select, text
from sqlalchemy.engine import make_url

from alscell import __version__
from alscell.store.engine import alembic_config, make_engine, normalise_url, write_transaction

FORMAT = "alscell-backup/1"
MARKER = "alscell_backup"
SQLITE_MAGIC = b"SQLite format 3\x00"
BATCH = 5000


class BackupError(ValueError):
    """A backup or restore that cannot be done as asked (one sentence: which file or database, and why)."""


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds (or a restore wrote): the schema revision and the row count of every table."""

    path: Path
    revision: str
    counts: dict[str, int]
    source: str

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def _tables(conn: Connection) -> list[Table]:
    """The tables of the database on ``conn`` as it is (reflected, so that a table added by a newer
    migration is never missed), parents before children; the schema revision and backup marker left out."""
    meta = MetaData()
    meta.reflect(conn)
    return [t for t in meta.sorted_tables if t.name not in ("alembic_version", MARKER)]


def head_revision() -> str:
    """The newest schema revision this alscell knows."""
    head = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://"))).get_current_head()
    assert head is not None
    return head


def _sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return None
    if not u.database or u.database == ":memory:" or u.database.startswith("file:"):
        raise BackupError(f"{url} is not a SQLite file; give a file URL such as sqlite:///registry.db")
    return Path(u.database)


def _revision(conn: Connection) -> str | None:
    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _counts(conn: Connection) -> dict[str, int]:
    return {t.name: _count(conn, t) for t in _tables(conn)}


def _datetime_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if isinstance(c.type, DateTime)]


def _for_dialect(rows: list[dict], columns: list[str], dialect: str) -> list[dict]:
    """Timestamps as the target stores them: SQLite keeps naive UTC, PostgreSQL timezone-aware values."""
    if not columns:
        return rows
    for row in rows:
        for c in columns:
            v = row[c]
            if v is None:
                continue
            if dialect == "sqlite":
                row[c] = v.astimezone(dt.UTC).replace(tzinfo=None) if v.tzinfo is not None else v
            elif v.tzinfo is None:
                row[c] = v.replace(tzinfo=dt.UTC)
    return rows


def _copy_rows(source: Connection, target: Connection) -> dict[str, int]:
    """Copy every row of every registry table from ``source`` to ``target`` in batches; rows written."""
    written: dict[str, int] = {}
    dialect = target.dialect.name
    sources = {t.name: t for t in _tables(source)}
    targets = {t.name: t for t in _tables(target)}
    if missing := sorted(set(sources) - set(targets)):
        raise BackupError(f"the target database has no table {missing[0]} (the backup's schema is newer)")
    for into in (t for t in targets.values() if t.name in sources):  # parents first
        table = sources[into.name]
        if absent := [c.name for c in table.columns if c.name not in into.columns]:
            raise BackupError(f"the target table {into.name} has no column {absent[0]} (the backup's schema is newer)")
        stamps = _datetime_columns(into)
        order = list(table.primary_key.columns) or list(table.columns)
        result = source.execution_options(yield_per=BATCH).execute(select(table).order_by(*order))
        n = 0
        for part in result.mappings().partitions(BATCH):
            rows = _for_dialect([dict(r) for r in part], stamps, dialect)
            target.execute(insert(into), rows)
            n += len(rows)
        written[into.name] = n
    return written


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_marker(path: Path, source: str, revision: str, counts: dict[str, int]) -> None:
    """Mark ``path`` as a backup, switch it to a single-file journal and check it is sound."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode=DELETE")
        con.execute(f"CREATE TABLE {MARKER} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        meta = {
            "format": FORMAT,
            "alscell": __version__,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "source": source,
            "revision": revision,
            "counts": json.dumps(counts, sort_keys=True),
        }
        con.executemany(f"INSERT INTO {MARKER} VALUES (?, ?)", sorted(meta.items()))
        con.commit()
        (ok,) = con.execute("PRAGMA integrity_check").fetchone()
        if ok != "ok":
            raise BackupError(f"the backup written to {path} failed SQLite's integrity check ({ok})")
    finally:
        con.close()
    _fsync(path)


def _backup_sqlite(db: Path, dest: Path) -> tuple[str, dict[str, int]]:
    if not db.is_file():
        raise BackupError(f"there is no alscell registry at {db} (no such file)")
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=60)
    try:
        out = sqlite3.connect(dest)
        try:
            src.backup(out)  # pages=-1: the whole database from one consistent read snapshot
        finally:
            out.close()
    finally:
        src.close()
    engine = make_engine(f"sqlite:///{dest}")
    try:
        with engine.connect() as conn:
            revision = _revision(conn)
            if revision is None:
                raise BackupError(f"{db} is not an alscell registry (it has no schema revision)")
            counts = _counts(conn)
    finally:
        engine.dispose()
    return revision, counts


def _backup_postgresql(url: str, dest: Path) -> tuple[str, dict[str, int]]:
    engine = make_engine(url)
    out = make_engine(f"sqlite:///{dest}")
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            with conn.begin():
                conn.execute(text("SET TRANSACTION READ ONLY"))
                revision = _revision(conn)
                if revision is None:
                    raise BackupError(f"{_shown(url)} holds no alscell registry (it has no schema revision)")
                if revision != head_revision():
                    raise BackupError(
                        f"{_shown(url)} is at schema revision {revision}, not this alscell's {head_revision()}; "
                        "open it once with this alscell (for example alscell serve) to upgrade it, then back it up"
                    )
                expected = _counts(conn)
                _schema(out)
                with write_transaction(out) as target:
                    written = _copy_rows(conn, target)
        if written != expected:
            raise BackupError(f"the backup of {_shown(url)} did not copy every row ({written} != {expected})")
    finally:
        engine.dispose()
        out.dispose()
    return revision, expected


def _schema(engine: Engine, conn: Connection | None = None) -> None:
    """Create the newest schema through the migrations (on ``conn`` when given: inside its transaction)."""
    cfg = alembic_config(engine)
    if conn is None:
        with write_transaction(engine) as c:
            cfg.attributes["connection"] = c
            command.upgrade(cfg, "head")
    else:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _shown(url: str) -> str:
    """A database URL without its password (for messages)."""
    return make_url(url).render_as_string(hide_password=True)


def backup(url: str, path: Path) -> BackupSummary:
    """Write a consistent backup of the registry at ``url`` to the new file ``path``.

    The file appears only when complete (written beside it, flushed to disk, then renamed)."""
    url = normalise_url(url)
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists; give a new file name (a backup never overwrites a file)")
    if not path.parent.is_dir():
        raise BackupError(f"cannot write {path}: the folder {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        db = _sqlite_path(url)
        if db is not None:
            revision, counts = _backup_sqlite(db, tmp)
            source = "sqlite"
        else:
            revision, counts = _backup_postgresql(url, tmp)
            source = make_url(url).get_backend_name()
        _write_marker(tmp, source, revision, counts)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupSummary(path, revision, counts, source)


def read_backup(path: Path) -> BackupSummary:
    """What the backup file ``path`` holds; BackupError when it is not a sound alscell backup."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"there is no backup file at {path}")
    with path.open("rb") as f:
        if f.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(f"{path} is not an alscell backup (it is not a SQLite file written by alscell backup)")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (ok,) = con.execute("PRAGMA quick_check").fetchone()
            has_marker = con.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", (MARKER,)
            ).fetchone()[0]
            meta = dict(con.execute(f"SELECT key, value FROM {MARKER}").fetchall()) if has_marker else {}
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable alscell backup ({exc})") from exc
    if meta.get("format") != FORMAT:
        raise BackupError(f"{path} is not an alscell backup (it has no {MARKER} table of format {FORMAT})")
    if ok != "ok":
        raise BackupError(f"{path} is damaged: SQLite's integrity check says {ok}")
    return BackupSummary(path, meta["revision"], json.loads(meta["counts"]), meta["source"])


@contextmanager
def _upgraded_copy(summary: BackupSummary) -> Iterator[Engine]:
    """An engine on a temporary copy of the backup, upgraded to the newest schema."""
    with tempfile.TemporaryDirectory(prefix="alscell-restore-") as tmp:
        copy = Path(tmp) / "backup.db"
        shutil.copyfile(summary.path, copy)
        engine = make_engine(f"sqlite:///{copy}")
        try:
            if summary.revision != head_revision():
                try:
                    _schema(engine)
                except Exception as exc:
                    raise BackupError(
                        f"{summary.path} has schema revision {summary.revision}, which this alscell cannot "
                        f"upgrade to {head_revision()} (is it from a newer alscell?)"
                    ) from exc
            yield engine
        finally:
            engine.dispose()


def _refuse_unless_empty(conn: Connection, url: str) -> None:
    """Raise BackupError unless the database holds no rows (no tables, or an alscell schema left empty)."""
    names = set(inspect(conn).get_table_names())
    if not names:
        return
    if "alembic_version" not in names:
        raise BackupError(
            f"{_shown(url)} is not empty (it has tables, such as {sorted(names)[0]}, that are not an alscell "
            "registry); restore only into an empty database"
        )
    filled = {t.name: n for t, n in ((t, _count(conn, t)) for t in _tables(conn)) if n}
    if filled:
        name, n = next(iter(filled.items()))
        raise BackupError(
            f"{_shown(url)} is not empty ({name} holds {n} rows); restore only into an empty database, "
            "so that nothing stored there is overwritten or mixed with the backup"
        )


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: move each id sequence past the restored ids (new rows must not reuse them)."""
    if conn.dialect.name != "postgresql":
        return
    for table in _tables(conn):
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        col = keys[0].name
        name = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": col}).scalar()
        if name:
            top = conn.execute(select(func.max(keys[0]))).scalar()
            conn.execute(text("SELECT setval(:s, :v, :called)"), {"s": name, "v": top or 1, "called": top is not None})


def restore(path: Path, url: str) -> BackupSummary:
    """Restore the backup ``path`` into the empty database at ``url``: every row, or nothing."""
    url = normalise_url(url)
    summary = read_backup(path)
    db = _sqlite_path(url)
    created = db is not None and not db.exists()
    if db is not None and not db.parent.is_dir():
        raise BackupError(f"cannot restore into {db}: the folder {db.parent} does not exist")
    target = make_engine(url)
    try:
        with _upgraded_copy(summary) as source_engine, source_engine.connect() as source:
            with write_transaction(target) as conn:
                _refuse_unless_empty(conn, url)
                _schema(target, conn)
                written = _copy_rows(source, conn)
                _reset_sequences(conn)
                stored = _counts(conn)
                if {name: stored.get(name) for name in summary.counts} != summary.counts or any(
                    stored[name] != n for name, n in written.items()
                ):
                    raise BackupError(
                        f"the restore of {summary.path} did not reproduce the backup's row counts; nothing was kept"
                    )
    except BaseException:
        target.dispose()
        if created and db is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        raise
    target.dispose()
    return BackupSummary(Path(path), head_revision(), stored, summary.source)

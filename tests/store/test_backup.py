"""`alscell backup` / `alscell restore` (issue 15): every row and the audit trail come back, a backup taken
while a writer runs is a consistent snapshot, a restore into a database with rows is refused."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import MetaData, insert, select

from alscell.store.accounts import create_user
from alscell.store.backup import BackupError, backup, read_backup, restore
from alscell.store.engine import make_engine, open_database, write_transaction
from alscell.store.importer import import_folder
from alscell.store.models import AUDIT_TABLE, SQL_TABLES


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "alscell", *args], capture_output=True, text=True, timeout=300)


def _value(v):
    if isinstance(v, dt.datetime):  # SQLite keeps naive UTC, PostgreSQL aware values: compare instants
        return (v if v.tzinfo else v.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat()
    return repr(v)


def everything(url: str) -> dict[str, list[tuple]]:
    """Every row of every table of the database as it is (reflected: no table can be missed), ids included."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            meta = MetaData()
            meta.reflect(conn)
            return {
                t.name: sorted(tuple(_value(v) for v in r) for r in conn.execute(select(t)).all())
                for t in meta.sorted_tables
            }
    finally:
        engine.dispose()


def registry(url: str, example_dir: Path) -> None:
    """A registry with rows in every kind of table: an import, a re-import that updates a row (so the audit
    trail holds inserts and an update with its old values), a web account."""
    engine = open_database(url)
    import_folder(engine, example_dir)
    rows = (example_dir / "alsfrs.csv").read_text().splitlines()
    cells = rows[1].split(",")
    cells[2] = "3" if cells[2] != "3" else "2"
    rows[1] = ",".join(cells)
    (example_dir / "alsfrs.csv").write_text("\n".join(rows) + "\n")
    import_folder(engine, example_dir)
    create_user(engine, "doc", "clinician", "correct horse battery", site="site_a")
    engine.dispose()


def test_restore_gives_back_every_row_and_the_audit_trail(db_url, example_dir, tmp_path, new_url):
    registry(db_url, example_dir)
    before = everything(db_url)
    assert before["audit_log"] and before["patients"] and before["web_users"]
    assert any("'update'" in row for row in before["audit_log"])
    file = tmp_path / "registry.backup"
    made = run("backup", str(file), "--db", db_url)
    assert made.returncode == 0, made.stderr
    assert "backed up 4 patients" in made.stdout
    target = new_url(db_url)
    done = run("restore", str(file), "--db", target)
    assert done.returncode == 0, done.stderr
    after = everything(target)
    assert after == before
    # New rows after a restore get new ids (sequences are moved past the restored ones).
    engine = open_database(target)
    create_user(engine, "doc2", "clinician", "correct horse battery", site="site_a")
    engine.dispose()
    ids = [int(row[0].strip("'")) for row in everything(target)["audit_log"]]
    assert len(ids) == len(set(ids)) == len(before["audit_log"]) + 1


def test_backup_moves_between_sqlite_and_postgresql(pg_url, example_dir, tmp_path, new_url):
    lite = f"sqlite:///{tmp_path / 'a.db'}"
    registry(lite, example_dir)
    before = everything(lite)
    backup(lite, tmp_path / "1.backup")
    restore(tmp_path / "1.backup", pg_url)
    assert everything(pg_url) == before
    backup(pg_url, tmp_path / "2.backup")
    back = f"sqlite:///{tmp_path / 'b.db'}"
    restore(tmp_path / "2.backup", back)
    assert everything(back) == before


def test_restore_into_a_database_with_rows_is_refused(db_url, example_dir, tmp_path, new_url):
    registry(db_url, example_dir)
    backup(db_url, tmp_path / "r.backup")
    other = new_url(db_url)
    engine = open_database(other)
    create_user(engine, "someone", "admin", "correct horse battery")
    engine.dispose()
    before = everything(other)
    result = run("restore", str(tmp_path / "r.backup"), "--db", other)
    assert result.returncode == 2
    assert result.stderr.count("error:") == 1 and "not empty" in result.stderr and "Traceback" not in result.stderr
    assert everything(other) == before
    # Restoring twice into the same database: the second is refused too.
    fresh = new_url(db_url)
    restore(tmp_path / "r.backup", fresh)
    with pytest.raises(BackupError, match="not empty"):
        restore(tmp_path / "r.backup", fresh)


def test_an_empty_migrated_registry_accepts_a_restore(db_url, example_dir, tmp_path, new_url):
    registry(db_url, example_dir)
    backup(db_url, tmp_path / "r.backup")
    target = new_url(db_url)
    open_database(target).dispose()  # e.g. `alscell serve` started once on a new database
    restore(tmp_path / "r.backup", target)
    assert everything(target) == everything(db_url)


@pytest.mark.parametrize("kind", ["text", "registry", "truncated", "missing"])
def test_a_file_that_is_not_a_backup_is_one_sentence(kind, example_dir, tmp_path):
    url = f"sqlite:///{tmp_path / 'reg.db'}"
    registry(url, example_dir)
    file = tmp_path / "x.backup"
    if kind == "text":
        file.write_text("patient_id,sex\nALS-001,F\n")
    elif kind == "registry":
        file = tmp_path / "reg.db"  # a registry is not a backup
    elif kind == "truncated":
        backup(url, tmp_path / "good.backup")
        data = (tmp_path / "good.backup").read_bytes()
        file.write_bytes(data[: len(data) // 2])
    target = tmp_path / "target.db"
    result = run("restore", str(file), "--db", f"sqlite:///{target}")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(file.name) in lines[0] and "Traceback" not in result.stderr, result.stderr
    assert not target.exists()


def test_backup_refuses_to_overwrite_and_needs_a_registry(tmp_path, example_dir):
    url = f"sqlite:///{tmp_path / 'reg.db'}"
    registry(url, example_dir)
    (tmp_path / "exists.backup").write_text("keep me")
    result = run("backup", str(tmp_path / "exists.backup"), "--db", url)
    assert result.returncode == 2 and "already exists" in result.stderr
    assert (tmp_path / "exists.backup").read_text() == "keep me"
    result = run("backup", str(tmp_path / "n.backup"), "--db", f"sqlite:///{tmp_path / 'none.db'}")
    assert result.returncode == 2 and "no alscell registry" in result.stderr, result.stderr
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "n.backup").exists()


def _writer(url: str, stop: threading.Event, written: list[int]) -> None:
    """Each transaction adds one patient and its audit entry: a consistent snapshot has as many of each."""
    engine = make_engine(url)
    try:
        i = 0
        while not stop.is_set():
            pid = f"W-{i:05d}"
            with write_transaction(engine) as conn:
                conn.execute(
                    insert(SQL_TABLES["patients"]),
                    {"patient_id": pid, "sex": "F", "onset_date": dt.date(2022, 1, 1), "onset_site": "limb"},
                )
                conn.execute(
                    insert(AUDIT_TABLE),
                    {
                        "at": dt.datetime.now(dt.UTC),
                        "actor": "writer",
                        "action": "insert",
                        "table_name": "patients",
                        "row_key": pid,
                        "after": {"patient_id": pid},
                    },
                )
            i += 1
            written.append(i)
    finally:
        engine.dispose()


def test_backup_while_a_writer_runs_is_a_consistent_snapshot(db_url, example_dir, tmp_path, new_url):
    open_database(db_url).dispose()
    stop, written = threading.Event(), []
    thread = threading.Thread(target=_writer, args=(db_url, stop, written))
    thread.start()
    try:
        summaries = []
        for n in range(4):
            while len(written) < 5 * (n + 1):
                stop.wait(0.01)
            summaries.append(backup(db_url, tmp_path / f"{n}.backup"))
    finally:
        stop.set()
        thread.join(60)
    assert len(written) >= 20
    counts = [s.counts for s in summaries]
    assert all(c["patients"] == c["audit_log"] for c in counts), counts
    assert counts[0]["patients"] < counts[-1]["patients"]  # the writer was really writing during the backups
    target = new_url(db_url)
    restore(tmp_path / "3.backup", target)
    restored = everything(target)
    assert len(restored["patients"]) == len(restored["audit_log"]) == counts[3]["patients"]
    assert read_backup(tmp_path / "3.backup").counts == counts[3]

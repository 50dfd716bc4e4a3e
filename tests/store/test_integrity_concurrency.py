"""Issue 14, defects 3 and 4: concurrent imports take turns, migrations are atomic, "busy" is one sentence."""

from __future__ import annotations

import multiprocessing as mp
import os
import re
import subprocess
import sys

import pytest
from integrity_helpers import snapshot
from sqlalchemy import event, inspect

from alscell.io.errors import ValidationError
from alscell.store.engine import make_engine, open_database, upgrade, write_transaction
from alscell.store.frames import load_tables
from alscell.store.importer import import_folder

EXCEPTION_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b|Traceback")
VISIT = "ALS-003,2023-11-15,4,4,4,3,2,,3,3,2,2,4,4,4"


def _folders(example_dir, tmp_path):
    """Folder A records ALS-003's death; folder B a later visit of ALS-003: their union breaks a rule."""
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, name, rows in ((a, "events", ["ALS-003,2023-10-01,death"]), (b, "alsfrs", [VISIT])):
        folder.mkdir()
        (folder / "patients.csv").write_text((example_dir / "patients.csv").read_text().splitlines()[0] + "\n")
        header = (example_dir / f"{name}.csv").read_text().splitlines()[0]
        (folder / f"{name}.csv").write_text("\n".join([header, *rows]) + "\n")
    return a, b


def _race_child(url, folder, barrier, results):
    engine = make_engine(url)
    barrier.wait()
    try:
        import_folder(engine, folder)
        results.put((str(folder), "ok"))
    except ValidationError as exc:
        results.put((str(folder), "rejected:" + ",".join(sorted({p.code for p in exc.problems}))))
    finally:
        engine.dispose()


def _visits_after_death(url) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        t = load_tables(conn)
    engine.dispose()
    death = t["events"][t["events"].event == "death"].groupby("patient_id")["date"].min()
    return int((t["alsfrs"]["date"] > t["alsfrs"]["patient_id"].map(death)).sum())


def test_3_concurrent_imports_never_store_a_violation(db_url, example_dir, tmp_path, new_url):
    a, b = _folders(example_dir, tmp_path)
    ctx = mp.get_context("fork")
    outcomes = []
    for _ in range(4):
        # Every trial on a fresh registry: a new SQLite file, or a new PostgreSQL schema (the audit trail is
        # append-only, so a registry cannot be emptied by deleting rows).
        url = new_url(db_url)
        engine = open_database(url)
        import_folder(engine, example_dir)
        engine.dispose()
        barrier, results = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_race_child, args=(url, f, barrier, results)) for f in (a, b)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        got = dict(results.get(timeout=5) for _ in procs)
        assert sorted(v.split(":")[0] for v in got.values()) == ["ok", "rejected"], got
        rejected = next(v for v in got.values() if v != "ok")
        assert rejected == "rejected:visit_after_end_of_follow_up", got
        assert _visits_after_death(url) == 0
        outcomes.append(got[str(a)])
    assert len(outcomes) == 4


def _cli(*args, env=None):
    return subprocess.Popen(
        [sys.executable, "-m", "alscell", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_3_same_folder_twice_at_once_into_a_new_sqlite_file(example_dir, tmp_path):
    """Two first imports race on the migrations and on the same rows: both succeed (they take turns)."""
    for trial in range(2):
        url = f"sqlite:///{tmp_path / f'twice{trial}.db'}"
        procs = [_cli("import", str(example_dir), "--db", url) for _ in range(2)]
        done = [(*p.communicate(timeout=120), p.returncode) for p in procs]
        for _out, err, code in done:
            assert not EXCEPTION_NAME.search(err), err
            assert code == 0 or (code == 1 and "busy" in err and len(err.strip().splitlines()) == 1), err
        assert any(code == 0 for *_, code in done)
        engine = make_engine(url)
        with engine.connect() as conn:
            counts = {n: len(t) for n, t in load_tables(conn).items()}
        engine.dispose()
        assert counts == {
            "patients": 4,
            "treatments": 4,
            "alsfrs": 16,
            "measurements": 16,
            "adverse_events": 3,
            "events": 3,
        }


def test_3_same_folder_twice_at_once_on_postgresql(pg_url, example_dir):
    procs = [_cli("import", str(example_dir), "--db", pg_url) for _ in range(2)]
    done = [(*p.communicate(timeout=120), p.returncode) for p in procs]
    for _out, err, code in done:
        assert not EXCEPTION_NAME.search(err), err
        assert code == 0 or (code == 1 and "busy" in err), err
    assert snapshot(pg_url)["alsfrs"] and len(snapshot(pg_url)["patients"]) == 4


def test_3_busy_registry_is_one_sentence(db_url, example_dir):
    engine = open_database(db_url)
    with write_transaction(engine):  # another writer holds the registry
        proc = _cli("import", str(example_dir), "--db", db_url, env={"ALSCELL_BUSY_TIMEOUT": "0.5"})
        _out, err = proc.communicate(timeout=60)
    engine.dispose()
    assert proc.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "busy" in lines[0] and "try again" in lines[0], err
    assert not EXCEPTION_NAME.search(err), err
    assert "database is locked" not in err


def test_4_failed_migration_leaves_no_tables(tmp_path, example_dir):
    """A schema creation that stops half way (here: an error on the 5th table) leaves nothing behind."""
    url = f"sqlite:///{tmp_path / 'half.db'}"
    engine = make_engine(url)
    created = []

    def stop_half_way(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("CREATE TABLE"):
            created.append(statement)
            if len(created) == 5:
                raise RuntimeError("simulated crash during schema creation")

    event.listen(engine, "before_cursor_execute", stop_half_way)
    with pytest.raises(RuntimeError):
        upgrade(engine)
    engine.dispose()
    engine = make_engine(url)
    assert inspect(engine).get_table_names() == []
    engine.dispose()
    engine = open_database(url)  # empty and usable
    assert import_folder(engine, example_dir).inserted["alsfrs"] == 16
    engine.dispose()


def test_4_failed_migration_leaves_no_tables_on_postgresql(pg_url):
    engine = make_engine(pg_url)
    created = []

    def stop_half_way(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("CREATE TABLE"):
            created.append(statement)
            if len(created) == 5:
                raise RuntimeError("simulated crash during schema creation")

    event.listen(engine, "before_cursor_execute", stop_half_way)
    with pytest.raises(RuntimeError):
        upgrade(engine)
    engine.dispose()
    engine = make_engine(pg_url)
    assert inspect(engine).get_table_names() == []
    engine.dispose()


def test_reads_do_not_wait_for_a_writer(db_url, example_dir):
    engine = open_database(db_url)
    import_folder(engine, example_dir)
    with write_transaction(engine):
        reader = make_engine(db_url)
        with reader.connect() as conn:
            assert len(load_tables(conn)["patients"]) == 4
        reader.dispose()
    engine.dispose()

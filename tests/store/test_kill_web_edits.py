"""SIGKILL during web edits in flight (issue 15): a process entering visits through the web app's write path
(``alscell.web.records.write_row``) is killed at random moments; every time, each stored visit has exactly
its one audit entry and each audit entry its visit (the two commit together or not at all), SQLite's
integrity check says ok, and the next writer carries on."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import random
import signal
import time

from sqlalchemy import select

from alscell.store.engine import make_engine, open_database
from alscell.store.importer import import_folder
from alscell.store.models import AUDIT_TABLE, SQL_TABLES
from alscell.web import records  # imported before the fork: children start writing at once

ITEMS = ("q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12")
FIRST = dt.date(2024, 1, 1)


def _write(engine, k: int) -> None:
    date = (FIRST + dt.timedelta(days=k)).isoformat()
    values = {q: "3" for q in ITEMS} | {"patient_id": "ALS-001", "date": date}
    records.write_row(engine, "alsfrs", values, actor="killed", reason="created")


def _editor(url: str, start: int, started, wrote) -> None:
    engine = make_engine(url)
    started.set()
    for k in range(start, start + 10_000):
        _write(engine, k)
        wrote.set()
    os._exit(0)


def _state(url: str) -> tuple[set[str], set[str]]:
    """Dates of the visits added by the editor, and dates named by their audit entries."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            a = SQL_TABLES["alsfrs"]
            visits = {
                str(d)
                for d in conn.execute(
                    select(a.c.date).where((a.c.patient_id == "ALS-001") & (a.c.date >= FIRST))
                ).scalars()
            }
            keys = conn.execute(
                select(AUDIT_TABLE.c.row_key).where(
                    (AUDIT_TABLE.c.actor == "killed") & (AUDIT_TABLE.c.table_name == "alsfrs")
                )
            ).scalars()
            audited = [k.split("\x1f")[-1] for k in keys]
            assert len(audited) == len(set(audited)), "two audit entries for one visit"
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            return visits, set(audited)
    finally:
        engine.dispose()


def _kill_run(url: str, kills: int, seed: int) -> list[int]:
    ctx = mp.get_context("fork")
    rng = random.Random(seed)
    engine = make_engine(url)
    t = time.perf_counter()
    _write(engine, 0)  # how long one edit takes on this machine now: kills land within a few of them
    one_edit = time.perf_counter() - t
    engine.dispose()
    counts = []
    for i in range(kills):
        visits, audited = _state(url)
        started, wrote = ctx.Event(), ctx.Event()
        proc = ctx.Process(target=_editor, args=(url, len(visits) + 1, started, wrote))
        proc.start()
        try:
            assert started.wait(120), "the editor process did not start"
            # Every other kill waits for a first committed edit (a loaded machine can otherwise kill every
            # editor before it writes anything), then lands at a random moment of the next ones.
            if i % 2:
                assert wrote.wait(120), "the editor process wrote nothing"
            time.sleep(rng.uniform(0.0, 4 * one_edit))
        finally:
            os.kill(proc.pid, signal.SIGKILL)  # also when the test fails: no writer outlives it
            proc.join(30)
        visits, audited = _state(url)
        assert visits == audited, (sorted(visits ^ audited), "a visit without its audit entry or the reverse")
        counts.append(len(visits))
    return counts


def test_sigkill_during_web_edits_on_sqlite(example_dir, tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    engine = open_database(url)
    import_folder(engine, example_dir)
    engine.dispose()
    counts = _kill_run(url, kills=10, seed=15)
    assert counts[-1] > 1  # the editor did write between kills: the kills landed during real work


def test_sigkill_during_web_edits_on_postgresql(pg_url, example_dir):
    engine = open_database(pg_url)
    import_folder(engine, example_dir)
    engine.dispose()
    counts = _kill_run(pg_url, kills=5, seed=16)
    assert counts[-1] > 1

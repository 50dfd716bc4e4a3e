"""Issue 14, defect 4: SIGKILL at any moment of a first import (schema creation included) leaves the
database either empty and usable or complete — never tables without their migration stamp."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import time

import pandas as pd
from sqlalchemy import inspect

from alscell.store.engine import make_engine, open_database
from alscell.store.frames import load_tables
from alscell.store.importer import import_folder

KILLS = 30


def _first_import(url, folder, started):
    started.set()
    engine = open_database(url)
    import_folder(engine, folder)
    engine.dispose()
    os._exit(0)


def _tables(url):
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return load_tables(conn)
    finally:
        engine.dispose()


def _state(url) -> str:
    """'empty' (no alscell table), 'stamped' (schema at a migration), or 'broken'."""
    engine = make_engine(url)
    try:
        names = set(inspect(engine).get_table_names())
        if not names:
            return "empty"
        if "alembic_version" not in names:
            return "broken"
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        return "stamped" if version else "broken"
    finally:
        engine.dispose()


def _run(ctx, url, folder, kill_after: float | None) -> None:
    started = ctx.Event()
    proc = ctx.Process(target=_first_import, args=(url, folder, started))
    proc.start()
    started.wait(10)
    if kill_after is None:
        proc.join(60)
        assert proc.exitcode == 0
        return
    time.sleep(kill_after)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)


def test_sigkill_during_first_import_leaves_empty_or_complete(example_dir, tmp_path):
    ctx = mp.get_context("fork")
    reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
    t0 = time.perf_counter()
    _run(ctx, reference_url, example_dir, None)
    duration = time.perf_counter() - t0
    t0 = time.perf_counter()
    engine = open_database(f"sqlite:///{tmp_path / 'schema_only.db'}")  # the schema-creation window
    engine.dispose()
    schema_time = time.perf_counter() - t0
    reference = _tables(reference_url)

    rng = random.Random(14)
    seen = {"empty": 0, "stamped": 0, "complete": 0}
    for i in range(KILLS):
        url = f"sqlite:///{tmp_path / f'kill{i}.db'}"
        # Half the kills fall inside schema creation, the other half anywhere in the import.
        at = rng.uniform(0, schema_time * 1.5) if i % 2 else rng.uniform(0, duration)
        _run(ctx, url, example_dir, at)
        state = _state(url)
        assert state != "broken", f"kill {i} at {at:.3f} s left tables without a migration stamp"
        if state == "stamped":
            stored = _tables(url)
            complete = all(len(stored[n]) == len(reference[n]) for n in reference)
            assert complete or all(len(stored[n]) == 0 for n in reference), f"kill {i}: a partial import"
            seen["complete" if complete else "stamped"] += 1
        else:
            seen["empty"] += 1
        # Usable afterwards: importing again gives exactly the reference registry.
        engine = open_database(url)
        import_folder(engine, example_dir)
        engine.dispose()
        again = _tables(url)
        for name in reference:
            pd.testing.assert_frame_equal(again[name], reference[name])
    assert sum(seen.values()) == KILLS

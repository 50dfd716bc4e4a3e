"""The child process in which ``alscell serve`` reads the whole registry and fits its models.

A server process answers every request with one Python interpreter: while a background *thread* read
150,000 visits and fitted the natural-history and prognosis models (about 5 s of interpreter time at
10,000 patients), pages queued behind it (issue 15: p95 of seconds under 50 users).  Here the same two
steps — ``natural_history.load_snapshot`` and ``natural_history.fit_prognosis``, unchanged — run in one
child process with its own database connection; the server only unpickles the result (about 0.2 s at
10,000 patients).  The child keeps the last snapshot it made, so the prognosis step does not send the
tables back to it.

The child is started with ``spawn`` (never ``fork`` from a threaded server), ignores Ctrl-C (the server
stops it), and is started again after a crash; a failure is raised in the caller, which logs it as for a
fit in a thread.  In-memory SQLite cannot be shared with another process: :func:`can_use` says so and the
cache then keeps fitting in a thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from alscell.web.process_pool import stop_pool

if TYPE_CHECKING:
    from alscell.web.natural_history import Snapshot

NICENESS = 10  # added to the child's nice value

# -- in the child -------------------------------------------------------------------------------------------
_ENGINE: Engine | None = None
_LAST: Any = None  # the last Snapshot made in this child (for the prognosis step)


def _exit_with_parent(parent: int) -> None:
    # A server killed outright never tells the pool to stop: the child would wait on its queue forever.
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def background_child_setup() -> None:
    """What a server's background child process does first (here and in :mod:`alscell.web.dashboard`):
    ignore Ctrl-C (the server stops it), run below the server's priority (on a machine with few cores a
    whole-registry computation must not take the CPU from requests: measured, two fits at once stalled the
    pages of a 2-core machine for seconds), and exit when the server is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _child_init(url: str) -> None:
    background_child_setup()
    global _ENGINE
    from alscell.store.engine import make_engine

    _ENGINE = make_engine(url)


def _child_warm() -> None:
    """Import what both steps need before the first is asked for (the imports take seconds)."""
    import importlib

    for module in ("alscell.analysis.prognosis", "alscell.web.natural_history"):
        importlib.import_module(module)


def _child_snapshot(serial: int) -> dict[str, Any]:
    from alscell.web.natural_history import load_snapshot

    global _LAST
    assert _ENGINE is not None
    _LAST = None
    snap = load_snapshot(_ENGINE, serial)
    _LAST = snap
    return snapshot_fields(snap)


def _child_prognosis(serial: int) -> tuple[Any, float | None]:
    from alscell.web.natural_history import fit_prognosis

    snap = _LAST
    if snap is None or snap.serial != serial:
        raise RuntimeError(f"the fit worker holds no snapshot {serial}")
    fit_prognosis(snap)
    return snap.prognosis, snap.prognosis_seconds


def snapshot_fields(snap: Snapshot) -> dict[str, Any]:
    """The fields of ``snap`` that travel between processes (not its lock or its per-page memo)."""
    return {f.name: getattr(snap, f.name) for f in dataclasses.fields(snap) if f.name not in ("_lock", "forecasts")}


# -- in the server ------------------------------------------------------------------------------------------
def can_use(engine: Engine) -> bool:
    """True when another process can open the same database (not an in-memory SQLite one)."""
    if engine.dialect.name != "sqlite":
        return True
    database = engine.url.database or ""
    return database not in ("", ":memory:") and "mode=memory" not in str(engine.url)


class WorkerClosed(Exception):
    """The server is stopping: no new fit is started (the cache ends its thread quietly)."""


class FitWorker:
    """One child process that makes snapshots of one registry (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self._url = engine.url.render_as_string(hide_password=False)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise WorkerClosed()
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_child_init,
                    initargs=(self._url,),
                )
            return self._pool

    def _call(self, fn: Any, *args: Any) -> Any:
        pool = self._executor()
        try:
            return pool.submit(fn, *args).result()
        except BrokenProcessPool:
            with self._lock:  # the child died (killed, out of memory): the next call starts a new one
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise

    def snapshot(self, serial: int) -> Snapshot:
        """``load_snapshot(engine, serial)``, made in the child."""
        from alscell.web.natural_history import Snapshot

        return Snapshot(**self._call(_child_snapshot, serial))

    def fit_prognosis(self, snap: Snapshot) -> None:
        """``fit_prognosis(snap)``, made in the child on its copy of ``snap``."""
        snap.prognosis, snap.prognosis_seconds = self._call(_child_prognosis, snap.serial)

    def warm(self) -> None:
        """Start the child now (its imports take seconds), not at the first page that needs a fit."""
        self._executor().submit(_child_warm)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            stop_pool(pool)

"""Stopping a ``ProcessPoolExecutor`` at shutdown without CPython 3.11's exit-time race.

``shutdown(wait=False)`` leaves the pool's management thread to close its wake-up pipe later; if the
interpreter exits meanwhile, ``concurrent.futures.process._python_exit`` checks that the pipe is open and then
writes to it while the thread closes it, and Python prints "Exception ignored … OSError: [Errno 9] Bad file
descriptor" after a Ctrl-C (a check-then-write race, guarded by a lock from Python 3.12 on).  Terminating the
child processes first lets ``shutdown(wait=True)`` return at once, with the pipe closed before exit.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

JOIN_SECONDS = 2.0  # per child, after SIGTERM; then SIGKILL and as long again


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Abandon queued and running work, end the children and the management thread, then return."""
    # ``_processes`` is private, but it is the only handle on the children; it has existed unchanged from
    # Python 3.2 to 3.13.  Without it (another Python), fall back to the plain shutdown without waiting.
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(JOIN_SECONDS)
        if p.is_alive():  # a child slow to act on SIGTERM (a loaded machine, a handler): end it for certain
            p.kill()
            p.join(JOIN_SECONDS)
    pool.shutdown(wait=bool(procs) and not any(p.is_alive() for p in procs), cancel_futures=True)

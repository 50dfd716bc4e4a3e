"""stop_pool: a running computation is abandoned, the children end, and the pool is fully shut down."""

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from alscell.web.process_pool import stop_pool


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_stop_pool_ends_a_busy_child_at_once():
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    assert pool.submit(_sleep, 0).result(timeout=60) == 0  # the child is up
    pool.submit(_sleep, 60)
    procs = list(pool._processes.values())
    t0 = time.perf_counter()
    stop_pool(pool)
    assert time.perf_counter() - t0 < 10  # not the 60 s of the running task
    # SIGKILL is certain but its reaping is not instant on a loaded machine (and the pool's management thread
    # may reap the child first): wait for it with a deadline, still far below the task's 60 s
    deadline = time.perf_counter() + 10
    while any(p.is_alive() for p in procs) and time.perf_counter() < deadline:
        time.sleep(0.05)
    assert procs and not any(p.is_alive() for p in procs)
    with pytest.raises(RuntimeError):
        pool.submit(_sleep, 0)

"""Running a simulation study: seeded cohorts in chunks, locally, in processes or on a Dask cluster.

Used by the calibration studies under ``benchmarks/`` (ADEMP; Morris, White & Crowther, Stat Med 2019).
Seeds come from one ``numpy.random.SeedSequence(entropy).spawn(n)``, so a study gives the same results
whatever the number of workers or the scheduler; a Rich progress bar counts finished cohorts.  When the
console is not a terminal (a study's output sent to a log file), Rich draws the bar only once, at the end, so
a plain line is printed at every tenth of the work instead: an hour-long run is never silent.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np


def study_seeds(entropy: int, n: int) -> list[int]:
    """``n`` independent cohort seeds from one entropy value."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(entropy).spawn(n)]


def run_study(
    task: Callable[..., list[dict]],
    seeds: Sequence[Any],
    *,
    task_args: tuple = (),
    chunk: int = 10,
    workers: int = 1,
    scheduler: str | None = None,
    label: str = "study",
    console=None,
) -> list[dict]:
    """Call ``task(seed_chunk, *task_args)`` on chunks of ``seeds``; return all rows it produced, in the
    order of ``seeds`` whatever order the chunks finish in.

    ``seeds`` are ints or any picklable work items (e.g. ``(scenario, seed)`` tuples).  ``scheduler`` is a
    Dask scheduler address (``tcp://host:8786``); otherwise ``workers`` > 1 starts a Dask
    ``LocalCluster`` of that many single-threaded worker processes, set up as the trial simulator's
    (``trials.runner.local_cluster``; ``scheduler="processes"``: a plain process pool).  ``task`` must be
    importable (a module-level function) for processes and Dask.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    chunks = [list(seeds[i : i + chunk]) for i in range(0, len(seeds), chunk)]
    results: list[list[dict]] = [[] for _ in chunks]  # per chunk, so the rows come back in submission order
    cols = (
        TextColumn(label, markup=False),  # a label is text, not Rich markup
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("cohorts"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*cols, console=console) as bar:
        progress = bar.add_task(label, total=len(seeds))
        lines = _LogLines(bar.console, label, len(seeds))

        def advance(k: int) -> None:
            bar.advance(progress, k)
            lines.advance(k)

        if (scheduler and scheduler != "processes") or (scheduler is None and workers > 1):
            from dask.distributed import Client, as_completed

            from alscell.simulate.trials.runner import local_cluster

            cluster = local_cluster(workers) if scheduler is None else None
            try:
                with Client(cluster if cluster is not None else scheduler) as client:
                    futures = {client.submit(task, ch, *task_args, pure=False): i for i, ch in enumerate(chunks)}
                    for fut in as_completed(futures):
                        i = futures[fut]
                        results[i] = fut.result()
                        advance(len(chunks[i]))
            finally:
                if cluster is not None:
                    cluster.close()
        elif workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                mapped = pool.map(task, chunks, *[[a] * len(chunks) for a in task_args])
                for i, result in enumerate(mapped):
                    results[i] = result
                    advance(len(chunks[i]))
        else:
            for i, ch in enumerate(chunks):
                results[i] = task(ch, *task_args)
                advance(len(ch))
    return [row for chunk_rows in results for row in chunk_rows]


class _LogLines:
    """Plain progress lines for a console that is not a terminal: one at each tenth of ``total``."""

    def __init__(self, console, label: str, total: int) -> None:
        self.console, self.label, self.total = console, label, total
        # Rich animates the bar only on a terminal that is not "dumb"; elsewhere it draws it once, at the end
        self.quiet = (console.is_terminal and not console.is_dumb_terminal) or total == 0
        self.done, self.shown, self.t0 = 0, 0, time.perf_counter()

    def advance(self, k: int) -> None:
        self.done += k
        tenth = self.done * 10 // self.total if self.total else 0
        if self.quiet or tenth <= self.shown or self.done >= self.total:
            return  # the finished bar is drawn by Rich itself
        self.shown = tenth
        elapsed = time.perf_counter() - self.t0
        left = elapsed * (self.total - self.done) / self.done
        self.console.out(  # plain text: no markup (a label may hold brackets), no wrapping at 80 columns
            f"{self.label}: {self.done}/{self.total} cohorts, {_clock(elapsed)} elapsed, about {_clock(left)} left",
            highlight=False,
        )


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def rate_mcse(rate: float, n: int) -> float:
    """Monte Carlo SE of a proportion over ``n`` replications: √(p(1−p)/n)."""
    return math.sqrt(rate * (1 - rate) / n) if n else float("nan")

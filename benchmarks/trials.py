"""Benchmark: analysed simulated trials per second (alscell.simulate.trials).

Design: parallel 1:1, 200 patients, 12 visits (baseline + 11 monthly), ALSFRS-R slope by the mixed model
(``fit_lmm_batch``), no effect.  Measures

1. one process: trials simulated *and* analysed per second (``run_designs``, 8 batches), and the
   analysis alone (one ``fit_lmm_batch`` call over already simulated trials);
2. a 2-worker Dask ``LocalCluster`` (started and warmed up before the clock starts): the same run;
3. ``fit_lmm_batch`` against a loop of ``fit_lmm`` on the same trials (fits per second).

Run:  .venv/bin/python benchmarks/trials.py            (2,000 trials per timing, 8 tasks of 250)
      .venv/bin/python benchmarks/trials.py --quick    (400 trials, 8 tasks of 50; < 30 s on an idle 2-core machine)

Last line: ``trials_per_s_1proc=<x> trials_per_s_2workers=<y> scaling=<y/x> batch_vs_loop=<z>``
(wall-clock, end to end: simulation + analysis; ``batch_vs_loop`` in CPU time).  Targets (issue 12): ≥ 100
trials/s in one process, scaling ≥ 1.7, batch ≥ 10× the loop.  The load of the machine is printed: on a
shared, overloaded machine the wall-clock numbers measure the share of CPU this job gets (Linux autogroup
shares CPU per session, so two workers of one session get no more CPU than one process), so CPU-time
rates are printed too: trials per CPU-second of the main process and of the workers, and the scaling two
idle cores would give (2 × worker rate / single-process rate).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import warnings

import numpy as np


def _warm_up() -> None:
    from alscell.simulate.trials import TrialDesign, run_designs

    run_designs([TrialDesign(n=40, endpoint="slope", follow_up_months=2.0)], 2, seed=97, batch=2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer trials (< 30 s on an idle machine)")
    ap.add_argument("--trials", type=int, default=None, help="trials per timing (default 2000; --quick 400)")
    args = ap.parse_args()
    n_trials = args.trials or (400 if args.quick else 2000)
    # Eight equal tasks (two workers share them evenly), each of ≥ 250 trials in the full run: about a
    # second of work per task at ~300 trials/s, so Dask's per-task overhead does not dominate.
    batch = max(1, n_trials // 8)

    import dask
    from dask.distributed import Client, LocalCluster

    from alscell.analysis.lmm import fit_lmm
    from alscell.simulate.trials import TrialDesign, run_designs, simulate_trial
    from alscell.simulate.trials import endpoints as ep

    design = TrialDesign(n=200, endpoint="slope", follow_up_months=11.0, visit_interval_months=1.0)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (1 min)")
    print(
        f"design: {design.n} patients 1:1, {round(design.follow_up_months / design.visit_interval_months) + 1} visits, slope by mixed model"
    )

    run_designs([design], 5, seed=99, batch=5)  # warm-up (imports, caches)
    t, c = time.perf_counter(), time.process_time()
    one = run_designs([design], n_trials, seed=1, batch=batch)[0]
    t1, c1 = time.perf_counter() - t, time.process_time() - c
    x = n_trials / t1
    print(
        f"one process: {n_trials} trials in {t1:.2f} s = {x:.1f} trials/s (simulated and analysed); "
        f"CPU {c1:.2f} s = {n_trials / c1:.1f} trials per CPU-second"
    )

    seeds = np.random.SeedSequence(2).spawn(min(n_trials, 50))
    t = time.perf_counter()
    trials = [simulate_trial(design, s) for s in seeds]
    t_sim = time.perf_counter() - t
    t = time.perf_counter()
    res = ep.slope(trials)
    t_fit = time.perf_counter() - t
    print(
        f"  of which simulation {len(trials) / t_sim:.1f} trials/s, analysis alone (fit_lmm_batch) "
        f"{len(trials) / t_fit:.1f} trials/s; converged {res['converged'].mean():.0%}"
    )

    with dask.config.set({"distributed.worker.profile.enabled": False}):  # as run_designs does
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            scheduler_kwargs={"dashboard": False},
            silence_logs=logging.ERROR,
        )
    try:
        with Client(cluster) as client:
            client.run(_warm_up)  # imports and first-call caches in every worker, off the clock
            cpu0 = client.run(time.process_time)
            t = time.perf_counter()
            two = run_designs([design], n_trials, seed=1, batch=batch, scheduler=cluster.scheduler_address)[0]
            t2 = time.perf_counter() - t
            cpu1 = client.run(time.process_time)
            c2 = sum(cpu1[w] - cpu0[w] for w in cpu0)
    finally:
        cluster.close()
    y = n_trials / t2
    same = all(np.array_equal(one.trials[k], two.trials[k]) for k in ("estimate", "se", "reject"))
    print(
        f"2-worker LocalCluster: {n_trials} trials in {t2:.2f} s = {y:.1f} trials/s; workers' CPU {c2:.2f} s = "
        f"{n_trials / c2:.1f} trials per CPU-second; identical results: {same}"
    )

    k_loop = min(len(trials), 6 if args.quick else 12)
    data = []
    for tr in trials[:k_loop]:
        m = np.isfinite(tr.y)
        r, c = np.nonzero(m)
        tt = tr.months[r, c]
        data.append(
            (
                tr.y[r, c],
                np.column_stack([np.ones(len(r)), tt, tt * tr.arm[r]]),
                np.column_stack([np.ones(len(r)), tt]),
                r,
            )
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = time.process_time()
        loop = [fit_lmm(*d) for d in data]
        t_loop = (time.process_time() - c) / k_loop
        c = time.process_time()
        ep.slope(trials)
        t_batch = (time.process_time() - c) / len(trials)
    diff = max(abs(loop[i].fe_params.iloc[2] - res["estimate"][i]) for i in range(k_loop))
    z = t_loop / t_batch
    print(
        f"CPU time: fit_lmm loop {1 / t_loop:.1f} fits/s; fit_lmm_batch {1 / t_batch:.1f} fits/s; "
        f"ratio {z:.1f}; max |estimate difference| {diff:.2e}"
    )
    idle = 2 * (n_trials / c2) / (n_trials / c1)
    print(
        f"per CPU-second (what idle cores would give): 1 process {n_trials / c1:.1f} trials/s; 2 workers "
        f"{2 * n_trials / c2:.1f} trials/s if each had a core (estimated scaling {idle:.2f})"
    )
    print(f"trials_per_s_1proc={x:.1f} trials_per_s_2workers={y:.1f} scaling={y / x:.2f} batch_vs_loop={z:.1f}")


if __name__ == "__main__":
    main()

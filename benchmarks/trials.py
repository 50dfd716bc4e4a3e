"""Benchmark: analysed simulated trials per second (alscell.simulate.trials).

Design: parallel 1:1, 200 patients, 12 visits (baseline + 11 monthly), ALSFRS-R slope by the mixed model
(``fit_lmm_batch``), no effect.  Measures

1. one process: trials simulated *and* analysed per second (``run_designs``, 8 batches), and the
   simulation and the analysis alone;
2. a 2-worker Dask ``LocalCluster`` (``runner.local_cluster``, as ``alscell power --workers 2`` uses; its
   start-up and a warm-up task in every worker happen before the clock starts): the same run;
3. the analysis of one batch of trials (``endpoints.slope``: builds the inputs from the trials, one
   ``fit_lmm_batch`` call) against a loop of ``fit_lmm`` over ready-made inputs of the same trials that asks
   for what the batch returns (estimates, SEs, Satterthwaite df); CPU time per trial, best of 5 (--quick: 3),
   the four timings interleaved.  Also printed: the loop without asking for SEs and df, and
   ``fit_lmm_batch`` on the loop's own inputs.

Every process of this benchmark runs BLAS on one thread (``OPENBLAS_NUM_THREADS=1`` etc., set here before
numpy is imported, as Dask sets them in its workers), so "one process" is one core and the two workers are
two cores.

Run:  .venv/bin/python benchmarks/trials.py            (2,000 trials per timing, 8 tasks of 250: ~0.8 s each)
      .venv/bin/python benchmarks/trials.py --quick    (400 trials, 8 tasks of 50; < 30 s on an idle 2-core machine)

Last line: ``trials_per_s_1proc=<x> trials_per_s_2workers=<y> scaling=<y/x> batch_vs_loop=<z>``
(wall clock, end to end: simulation + analysis; ``batch_vs_loop`` in CPU time).  Targets (issue 12): ≥ 100
trials/s in one process, scaling ≥ 1.7, batch ≥ 10× the loop.

The machine may be shared: wall-clock rates measure the share of the CPU this job gets.  For each timing the
script prints the CPU time of every process of the job (main process, each worker), how much of the wall
time each worker was on a CPU, and the CPU the *other* processes of the machine used meanwhile (the
machine's busy time from /proc/stat minus this job's; Linux autogroup shares the CPU per session, so while
another session keeps both cores busy the two workers together get about one core).  From the CPU times it
prints the scaling two idle cores would give: 2 × (trials per worker CPU-second) / (trials per CPU-second
of the single process).
"""

from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # before numpy: one core per process (Dask does the same in its workers)

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402


def _machine_busy() -> float:
    """CPU-seconds the whole machine has been busy (all cores, /proc/stat; 0 where unavailable)."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0.0
    # user nice system idle iowait irq softirq steal ...: busy = all but idle, iowait and steal
    return (sum(v[:8]) - v[3] - v[4] - v[7]) / os.sysconf("SC_CLK_TCK")


def _cpu() -> float:
    return time.process_time()


def _warm_up() -> None:
    from alscell.simulate.trials import TrialDesign, run_designs

    design = TrialDesign(n=200, endpoint="slope", follow_up_months=11.0, visit_interval_months=1.0)
    run_designs([design], 5, seed=99, batch=5)


def _best_cpu(f, repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        c = time.process_time()
        f()
        best = min(best, time.process_time() - c)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer trials (< 30 s on an idle machine)")
    ap.add_argument("--trials", type=int, default=None, help="trials per timing (default 2000; --quick 400)")
    args = ap.parse_args()
    n_trials = args.trials or (400 if args.quick else 2000)
    # Eight equal tasks (two workers share them evenly), each of 250 trials in the full run: about a second
    # of work per task, so Dask's per-task overhead (milliseconds) does not matter.
    batch = max(1, n_trials // 8)

    from dask.distributed import Client

    from alscell.analysis.lmm import fit_lmm, fit_lmm_batch
    from alscell.simulate.trials import TrialDesign, run_designs, simulate_trial
    from alscell.simulate.trials import endpoints as ep
    from alscell.simulate.trials.runner import local_cluster

    design = TrialDesign(n=200, endpoint="slope", follow_up_months=11.0, visit_interval_months=1.0)
    ncpu = os.cpu_count() or 1
    print(
        f"machine: {ncpu} cores, load average {os.getloadavg()[0]:.1f} (1 min); BLAS threads per process: "
        f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}"
    )
    print(
        f"design: {design.n} patients 1:1, {round(design.follow_up_months / design.visit_interval_months) + 1} visits, slope by mixed model"
    )

    _warm_up()  # imports, caches
    m, t, c = _machine_busy(), time.perf_counter(), _cpu()
    one = run_designs([design], n_trials, seed=1, batch=batch)[0]
    t1, c1, m1 = time.perf_counter() - t, _cpu() - c, _machine_busy() - m
    x = n_trials / t1
    print(
        f"one process: {n_trials} trials in {t1:.2f} s = {x:.1f} trials/s (simulated and analysed); "
        f"CPU {c1:.2f} s = {n_trials / c1:.1f} trials per CPU-second; "
        f"other processes meanwhile {max(m1 - c1, 0):.2f} CPU-s of the {ncpu * t1:.2f} the machine had"
    )

    seeds = np.random.SeedSequence(2).spawn(batch)
    c = _cpu()
    trials = [simulate_trial(design, s) for s in seeds]
    c_sim = _cpu() - c
    c_fit = _best_cpu(lambda: ep.slope(trials))
    res = ep.slope(trials)
    print(
        f"  of which simulation {len(trials) / c_sim:.1f} trials per CPU-second, analysis (endpoints.slope, "
        f"{len(trials)} trials per fit_lmm_batch call) {len(trials) / c_fit:.1f}; converged {res['converged'].mean():.0%}"
    )

    cluster = local_cluster(2)
    try:
        with Client(cluster) as client:
            client.run(_warm_up)  # imports and first-call caches in every worker, off the clock
            w0 = client.run(_cpu)
            m, t, c = _machine_busy(), time.perf_counter(), _cpu()
            two = run_designs([design], n_trials, seed=1, batch=batch, scheduler=cluster.scheduler_address)[0]
            t2, cm, m2 = time.perf_counter() - t, _cpu() - c, _machine_busy() - m
            w1 = client.run(_cpu)
    finally:
        cluster.close()
    per_worker = [w1[w] - w0[w] for w in w0]
    c2 = sum(per_worker)
    y = n_trials / t2
    same = all(np.array_equal(one.trials[k], two.trials[k]) for k in ("estimate", "se", "reject"))
    print(
        f"2-worker LocalCluster: {n_trials} trials in {t2:.2f} s = {y:.1f} trials/s; workers' CPU {c2:.2f} s = "
        f"{n_trials / c2:.1f} trials per CPU-second; identical results: {same}"
    )
    print(
        "  workers' CPU " + " + ".join(f"{w:.2f}" for w in per_worker) + f" s: on a CPU {c2 / (2 * t2):.0%} of "
        f"the wall time; main process (scheduler, client) {cm:.2f} CPU-s; other processes meanwhile "
        f"{max(m2 - c2 - cm, 0):.2f} CPU-s of the {ncpu * t2:.2f} the machine had"
    )

    # fit_lmm_batch against a loop of fit_lmm.  The loop gets its long-format inputs ready-made (off the
    # clock) and is asked for what the batch returns for every trial: estimates, SEs and Satterthwaite df
    # (fit_lmm computes the observed information for SEs and df lazily, on first use).
    data = []
    for tr in trials:
        mk = np.isfinite(tr.y)
        r, cc = np.nonzero(mk)
        tt = tr.months[r, cc]
        data.append(
            (
                tr.y[r, cc],
                np.column_stack([np.ones(len(r)), tt, tt * tr.arm[r]]),
                np.column_stack([np.ones(len(r)), tt]),
                r,
            )
        )
    Ys, Xs, Zs, Gs = (list(v) for v in zip(*data, strict=True))
    k_loop = min(len(data), 6 if args.quick else 12)

    def fit_one(d):
        r = fit_lmm(*d)
        _ = (r.bse, r.df)
        return r

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loop = [fit_one(d) for d in data[:k_loop]]  # (also warms fit_lmm up)
        bat = fit_lmm_batch(Ys, Xs, Zs, Gs)
        t_loop = t_lazy = t_batch = t_lists = np.inf
        for _ in range(3 if args.quick else 5):  # interleaved, best of 5 each: the machine's state drifts alike for all
            t_loop = min(t_loop, _best_cpu(lambda: [fit_one(d) for d in data[:k_loop]], 1) / k_loop)
            t_batch = min(t_batch, _best_cpu(lambda: ep.slope(trials), 1) / len(trials))
            t_lazy = min(t_lazy, _best_cpu(lambda: [fit_lmm(*d) for d in data[:k_loop]], 1) / k_loop)
            t_lists = min(t_lists, _best_cpu(lambda: fit_lmm_batch(Ys, Xs, Zs, Gs), 1) / len(data))
    est = [(res["estimate"][i], res["se"][i]) for i in range(k_loop)]
    est += [(bat.fe_params[i, 2], bat.bse[i, 2]) for i in range(k_loop)]
    diff = max(abs(loop[i % k_loop].fe_params.iloc[2] - e) for i, (e, _) in enumerate(est))
    dse = max(abs(loop[i % k_loop].bse.iloc[2] / se - 1) for i, (_, se) in enumerate(est))
    z = t_loop / t_batch
    print(
        f"CPU time per trial: loop of fit_lmm {t_loop * 1e3:.2f} ms (estimates, SEs, df; {t_lazy * 1e3:.2f} ms "
        f"without asking for SEs and df); endpoints.slope (builds the inputs, one fit_lmm_batch call for "
        f"{len(trials)} trials) {t_batch * 1e3:.3f} ms: ratio {z:.1f} ({t_lazy / t_batch:.1f} against the "
        f"loop without SEs); fit_lmm_batch on the loop's inputs {t_lists * 1e3:.3f} ms (ratio "
        f"{t_loop / t_lists:.1f}); max |slope difference| {diff:.1e}, max relative SE difference {dse:.1e}"
    )
    idle = 2 * (n_trials / c2) / (n_trials / c1)
    print(
        f"per CPU-second (what idle cores would give): 1 process {n_trials / c1:.1f} trials/s; 2 workers "
        f"{2 * n_trials / c2:.1f} trials/s if each had a core (estimated scaling {idle:.2f})"
    )
    print(f"trials_per_s_1proc={x:.1f} trials_per_s_2workers={y:.1f} scaling={y / x:.2f} batch_vs_loop={z:.1f}")


if __name__ == "__main__":
    main()

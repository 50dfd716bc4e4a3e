"""Running many simulated trials of one or more designs: seeded, batched, locally or on Dask.

Seeds: trial i of a run uses child i of ``SeedSequence(seed).spawn(n_trials)`` (the same children for
every scenario of a power curve: common random numbers make the curve smooth).  Trials are analysed in
fixed batches of ``batch`` trials (one ``fit_lmm_batch`` call per batch); a batch is one task.  Since
neither the seeds nor the batches depend on where they run, the results are identical with one process,
two Dask workers or a remote cluster.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from alscell.simulate.trials import endpoints as ep
from alscell.simulate.trials import metrics
from alscell.simulate.trials.boundaries import boundaries
from alscell.simulate.trials.design import TrialDesign
from alscell.simulate.trials.population import TrialData, simulate_trial
from alscell.simulate.trials.procova import PrognosticModel, train

RESULT_KEYS = ("estimate", "se", "lower", "upper", "p", "z")


def analyse(trials: list[TrialData], design: TrialDesign, model: PrognosticModel | None = None) -> dict:
    """The design's primary analysis on each trial (arrays over trials; see ``endpoints``)."""
    e, alpha = design.endpoint, design.alpha
    randomised = design.kind != "single_arm"
    if e == "slope":
        return ep.slope(trials, randomised=randomised, alpha=alpha)
    if e == "fvc_slope":
        return ep.slope(trials, outcome="fvc", randomised=randomised, alpha=alpha)
    if e == "change":
        plain = ep.change(trials, alpha=alpha)
        if model is None:
            return plain
        res = ep.change(trials, scores=[model.predict(t.covariates) for t in trials], alpha=alpha)
        res.update({f"{k}_plain": plain[k] for k in ("estimate", "se", "p")})
        return res
    if e == "responder":
        return ep.responder(trials, alpha=alpha)
    if e == "cafs":
        return ep.cafs(trials, alpha=alpha)
    return ep.logrank(trials, alpha=alpha)


def run_batch(
    design: TrialDesign,
    seeds: Sequence[np.random.SeedSequence],
    bounds: np.ndarray | None = None,
    model: PrognosticModel | None = None,
) -> dict:
    """Simulate and analyse one batch of trials; returns per-trial arrays (``reject``, ``look`` ...)."""
    trials = [simulate_trial(design, np.random.SeedSequence(s.entropy, spawn_key=s.spawn_key)) for s in seeds]
    final = analyse(trials, design, model)
    out = {k: np.asarray(v, float) for k, v in final.items()}
    out["n_screened"] = np.array([t.n_screened for t in trials], float)
    if not design.looks:
        out["reject"] = (out["p"] < design.alpha).astype(float)
        out["look"] = np.ones(len(trials))
        if "p_plain" in out:
            out["reject_plain"] = (out["p_plain"] < design.alpha).astype(float)
        return out
    assert bounds is not None
    K = len(design.fractions)
    z = np.empty((len(trials), K))
    looks = []
    for k, f in enumerate(design.looks):
        at = [t.at_calendar(_look_time(t, f, design.endpoint)) for t in trials]
        res = analyse(at, design, model)
        looks.append(res)
        z[:, k] = np.abs(np.nan_to_num(res["estimate"] / res["se"]))
    looks.append(final)
    z[:, K - 1] = np.abs(np.nan_to_num(final["estimate"] / final["se"]))
    cross = z >= bounds[None, :]
    stopped = np.where(cross.any(axis=1), np.argmax(cross, axis=1), K - 1)
    for key in RESULT_KEYS:
        stack = np.stack([np.asarray(r[key], float) for r in looks], axis=1)
        out[key] = stack[np.arange(len(trials)), stopped]
    out["reject"] = cross.any(axis=1).astype(float)
    out["look"] = stopped + 1.0
    return out


def _look_time(trial: TrialData, fraction: float, endpoint: str) -> float:
    """Calendar month of the interim look at information ``fraction``.

    A survival trial's information is its number of events (the log-rank statistic's variance is about
    D/4), so its looks are event-driven: when ``fraction`` of the events of the final analysis have
    happened.  Every other endpoint looks when that share of patients has finished follow-up.
    """
    if endpoint == "survival":
        when = np.sort((trial.enrol + trial.run_in_months + trial.event_months)[trial.event.astype(bool)])
        if len(when):
            return float(when[max(math.ceil(fraction * len(when)) - 1, 0)])
    done = np.sort(trial.completion())
    return float(done[max(math.ceil(fraction * trial.n) - 1, 0)])


def _task(design: TrialDesign, index: np.ndarray, seeds: list, bounds, model) -> tuple[np.ndarray, dict]:
    return index, run_batch(design, seeds, bounds, model)


@dataclass
class Summary:
    """Performance of one design (values with Monte Carlo SEs) and the per-trial results."""

    design: TrialDesign
    n_trials: int
    truth: float
    measures: dict
    extras: dict = field(default_factory=dict)
    trials: dict = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        return {
            "design": self.design.to_dict(),
            "n_trials": self.n_trials,
            "truth": None if not math.isfinite(self.truth) else self.truth,
            **{k: _clean(v) for k, v in self.measures.items()},
            "extras": _clean(self.extras),
        }


def _clean(v):
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def summarise(design: TrialDesign, res: dict, model: PrognosticModel | None = None, bounds=None) -> Summary:
    """Rejection rate (power / type-I error), bias, coverage, empirical and model SE, with MCSEs."""
    truth = design.truth
    n = len(res["reject"])
    measures = {
        "rejection_rate": metrics.rate(res["reject"]),
        "mean_estimate": {
            "value": float(np.nanmean(res["estimate"])),
            "mcse": metrics.bias(res["estimate"], 0.0)["mcse"],
        },
        "bias": metrics.bias(res["estimate"], truth),
        "coverage": metrics.coverage(res["lower"], res["upper"], truth),
        "empirical_se": metrics.empirical_se(res["estimate"]),
        "model_se": metrics.model_se(res["se"]),
    }
    extras: dict = {"mean_screened": float(np.mean(res["n_screened"]))}
    if "rate_active" in res:
        extras["responder_rate_active"] = metrics.rate(res["rate_active"]) | {"mcse": _mean_mcse(res["rate_active"])}
        extras["responder_rate_control"] = metrics.rate(res["rate_control"]) | {"mcse": _mean_mcse(res["rate_control"])}
    if "converged" in res:
        extras["converged_share"] = float(np.mean(res["converged"]))
    if design.looks:
        extras["boundaries"] = [float(b) for b in bounds]
        extras["stop_share_by_look"] = [float(np.mean(res["look"] == k + 1)) for k in range(len(design.fractions))]
        extras["mean_looks"] = float(np.mean(res["look"]))
    if "se_plain" in res:
        v_adj, v_plain = np.nanmean(res["se"] ** 2), np.nanmean(res["se_plain"] ** 2)
        e_adj, e_plain = np.nanvar(res["estimate"], ddof=1), np.nanvar(res["estimate_plain"], ddof=1)
        extras["procova"] = {
            "model": model.to_dict() if model is not None else None,
            "variance_reduction_model_se": float(1 - v_adj / v_plain),
            "variance_reduction_empirical": float(1 - e_adj / e_plain),
            "n_equivalent": float(design.n * v_adj / v_plain),
            "rejection_rate_plain": metrics.rate(res["reject_plain"]),
            "bias_plain": metrics.bias(res["estimate_plain"], truth),
        }
    return Summary(design, n, truth, measures, extras, res)


def _mean_mcse(x: np.ndarray) -> float:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else math.nan


def local_cluster(workers: int):
    """A Dask ``LocalCluster`` of ``workers`` single-threaded worker processes (trial batches, simulation studies).

    Dask defaults that cost the trials CPU are changed: the workers' statistical profiler (samples every
    10 ms) is off; ``MALLOC_TRIM_THRESHOLD_`` is *not* set in the workers (Dask sets it to 64 KiB; glibc
    then also stops adapting its mmap threshold, so every multi-megabyte temporary of an analysis is mapped
    and unmapped again: 25x the page faults and ~20% more CPU per trial than in a plain process); the
    event-loop "tick" (a blocked-loop detector, every 20 ms in every server) runs every 500 ms and the
    system monitor (dashboard plots) every 5 s — idle, a worker then uses 0.7% of a core instead of 2.1%
    and this process (scheduler, client, nannies) 1.4% instead of 3.8%, CPU the trials share on a small
    machine.  BLAS stays at one thread per worker (Dask's ``OPENBLAS_NUM_THREADS=1``).
    """
    import logging

    import dask
    from dask.distributed import LocalCluster

    cfg = {
        "distributed.worker.profile.enabled": False,
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,  # None: not set (nanny docs)
        "distributed.admin.tick.interval": "500ms",
        "distributed.admin.system-monitor.interval": "5s",
    }
    with dask.config.set(cfg):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            # the scheduler's HTTP server always starts (default port 8787, with a warning when taken): a
            # free loopback port, no dashboard
            dashboard_address="127.0.0.1:0",
            scheduler_kwargs={"dashboard": False},
            silence_logs=logging.ERROR,  # no scheduler/nanny chatter on the user's terminal
        )


def run_designs(
    designs: Sequence[TrialDesign],
    n_trials: int,
    seed: int,
    *,
    batch: int = 25,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Summary]:
    """Simulate ``n_trials`` trials of every design; ``workers`` > 1 or ``scheduler`` → Dask.

    ``progress(k)`` is called with the number of trials just finished.
    """
    children = np.random.SeedSequence(seed).spawn(n_trials + 1)
    trial_seeds, aux = children[:n_trials], children[n_trials]
    models: dict[str, PrognosticModel | None] = {}
    prepared = []
    for d in designs:
        # the prognostic model depends on eligibility and schedule, not on n or the effect
        key = repr(sorted(d.replace(n=4, effect=0.0).to_dict().items()))
        if key not in models:
            models[key] = train(d, aux) if d.procova else None
        bnd = boundaries(d.fractions, d.alpha, d.spending) if d.looks else None
        prepared.append((d, bnd, models[key]))
    tasks = []
    for s, (d, bnd, model) in enumerate(prepared):
        for start in range(0, n_trials, batch):
            idx = np.arange(start, min(start + batch, n_trials))
            tasks.append((s, d, idx, [trial_seeds[i] for i in idx], bnd, model))
    parts: list[list[tuple[np.ndarray, dict]]] = [[] for _ in designs]
    if scheduler is None and workers <= 1:
        for s, d, idx, sds, bnd, model in tasks:
            parts[s].append(_task(d, idx, sds, bnd, model))
            if progress:
                progress(len(idx))
    else:
        from dask.distributed import Client, as_completed

        cluster = local_cluster(workers) if scheduler is None else None
        try:
            with Client(cluster if cluster is not None else scheduler) as client:
                futures = {
                    client.submit(_task, d, idx, sds, bnd, model, pure=False): (s, len(idx))
                    for s, d, idx, sds, bnd, model in tasks
                }
                for fut in as_completed(futures):
                    s, k = futures[fut]
                    parts[s].append(fut.result())
                    if progress:
                        progress(k)
        finally:
            if cluster is not None:
                cluster.close()
    out = []
    for s, (d, bnd, model) in enumerate(prepared):
        chunks = sorted(parts[s], key=lambda p: int(p[0][0]))
        keys = chunks[0][1].keys()
        res = {k: np.concatenate([c[1][k] for c in chunks]) for k in keys}
        out.append(summarise(d, res, model, bnd))
    return out


__all__ = ["Summary", "analyse", "local_cluster", "run_batch", "run_designs", "summarise"]

"""Benchmark: alscell LMM vs statsmodels MixedLM and (optionally) R's lme4; batch fits.

Run:  .venv/bin/python benchmarks/lmm.py              (5,000 patients side by side with statsmodels,
                                                        100,000 alone, batch 500 × 200)
      .venv/bin/python benchmarks/lmm.py --vs-lme4    (also lme4 at 1,000 / 10,000 / 100,000 patients
                                                        and a loop of lme4 fits over batch data sets)
      .venv/bin/python benchmarks/lmm.py --n-sm 1000 --n-big 20000 --batch 100x200   (quicker)

Model everywhere: random intercept + slope, REML (``--ml`` for ML).  Our timings include the
model-based SEs and Satterthwaite df (``bse``, ``df``), i.e. the analytic Hessian.  ``--vs-lme4``
needs ``Rscript`` with lme4 (Debian: ``apt-get install r-base-core r-cran-lme4``); the R side is
``benchmarks/lmm_lme4.R`` and times ``lmer()`` only (not reading the CSV).  Without R it says so
and skips.

Last line: ``speedup_vs_statsmodels=<ratio> max_rel_diff=<value> seconds_100k=<value>
batch_fits_per_s=<value> batch_vs_loop=<ratio> [min_speedup_vs_lme4=<ratio> max_llf_diff_lme4=<value>]``.
``max_rel_diff`` is the largest relative difference over fixed effects, their SEs, the variance
components (cov_re and scale) against statsmodels; the log-likelihoods are printed too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

R_SCRIPT = Path(__file__).with_name("lmm_lme4.R")


def simulate(n_patients: int, seed: int = 0):
    """ALSFRS-R-like data: 2–15 visits at irregular times, informative-ish dropout."""
    rng = np.random.default_rng(seed)
    n_vis = rng.integers(2, 16, n_patients)
    g = np.repeat(np.arange(n_patients), n_vis)
    # visit k at ~3 months * k with jitter
    k = np.concatenate([np.arange(m) for m in n_vis])
    t = np.maximum(0.0, 3.0 * k + rng.normal(0, 0.7, len(k))) / 12.0  # years
    t[k == 0] = 0.0
    age = rng.normal(60, 10, n_patients)
    X = np.column_stack([np.ones(len(g)), t, (age[g] - 60) / 10])
    Z = X[:, :2]
    cov = np.array([[25.0, -3.0], [-3.0, 16.0]])
    b = rng.multivariate_normal([0, 0], cov, n_patients)
    y = X @ np.array([40.0, -10.0, -1.0]) + (Z * b[g]).sum(1) + rng.normal(0, 2.5, len(g))
    return y, X, Z, g


def simulate_batch(n_datasets: int, n_patients: int, seed: int = 0):
    """Many outcome vectors on one shared design (a batch of simulated trials)."""
    rng = np.random.default_rng(seed)
    _y, X, Z, g = simulate(n_patients, seed=seed + 1)
    b = rng.multivariate_normal([0, 0], [[25.0, -3.0], [-3.0, 16.0]], (n_datasets, n_patients))
    eps = rng.normal(0, 2.5, (n_datasets, len(g)))
    Y = (X @ np.array([40.0, -10.0, -1.0]))[None] + np.einsum("nq,dnq->dn", Z, b[:, g]) + eps
    return Y, X, Z, g


def _best(fn, repeat: int):
    """Best wall time of ``repeat`` calls and the last result (the machine is shared: best-of)."""
    best, out = np.inf, None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _ours(y, X, Z, g, reml):
    from alscell.analysis.lmm import fit_lmm

    r = fit_lmm(y, X, Z, g, reml=reml)
    _ = (r.bse, r.df)  # model-based SEs and Satterthwaite df: the Hessian is part of the timing
    return r


def lme4_available() -> str | None:
    """Why lme4 cannot be used, or None when ``Rscript`` with lme4 is installed."""
    if shutil.which("Rscript") is None:
        return "Rscript not found (Debian: apt-get install -y r-base-core r-cran-lme4)"
    ok = subprocess.run(["Rscript", "-e", "library(lme4)"], capture_output=True, text=True)
    if ok.returncode != 0:
        return "R package lme4 not installed (Debian: apt-get install -y r-cran-lme4)"
    return None


def run_lme4(datasets, reml: bool, repeat: int = 1) -> list[dict]:
    """Fit each (y, X, Z, g) with lme4 in one Rscript call; per data set time and log-likelihood."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.csv")
        with open(path, "w") as fh:
            fh.write("dataset,g,y,t,age\n")
            for k, (y, X, _Z, g) in enumerate(datasets):
                block = np.column_stack([np.full(len(y), k), g, y, X[:, 1], X[:, 2]])
                np.savetxt(fh, block, fmt=["%d", "%d", "%.17g", "%.17g", "%.17g"], delimiter=",")
        res = subprocess.run(
            ["Rscript", str(R_SCRIPT), path, "REML" if reml else "ML", str(repeat)],
            capture_output=True,
            text=True,
            check=True,
        )
    rows = []
    for line in res.stdout.splitlines():
        if line.startswith("dataset="):
            kv = dict(item.split("=") for item in line.split())
            rows.append({"seconds": float(kv["seconds"]), "llf": float(kv["loglik"]), "converged": kv["converged"]})
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-sm", type=int, default=5000)
    ap.add_argument("--n-big", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3, help="repeats of our fit (best time)")
    ap.add_argument("--batch", default="500x200", help="DATASETSxPATIENTS for the batch benchmark")
    ap.add_argument("--loop", type=int, default=100, help="data sets fitted one by one for the loop rate")
    ap.add_argument("--vs-lme4", action="store_true", help="compare with R's lme4 (needs Rscript + lme4)")
    ap.add_argument("--lme4-sizes", default="1000,10000,100000")
    ap.add_argument("--lme4-loop", type=int, default=50, help="batch data sets fitted one by one by lme4")
    ap.add_argument("--ml", action="store_true", help="ML instead of REML")
    args = ap.parse_args(argv)
    reml = not args.ml

    import statsmodels.api as sm

    from alscell.analysis.lmm import fit_lmm_batch

    y, X, Z, g = simulate(args.n_sm, seed=1)
    print(
        f"side by side: {args.n_sm} patients, {len(y)} observations, random intercept + slope, {'REML' if reml else 'ML'}"
    )
    t_ours, ours = _best(lambda: _ours(y, X, Z, g, reml), args.repeat)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        smres = sm.MixedLM(y, X, g, exog_re=Z).fit(reml=reml, method=["lbfgs"])
    t_sm = time.perf_counter() - t0
    diffs = {
        "fe_params": np.max(np.abs(ours.fe_params.values / smres.fe_params - 1)),
        "bse": np.max(np.abs(ours.bse.values / smres.bse_fe - 1)),
        "cov_re": np.max(
            np.abs(ours.cov_re.values - np.asarray(smres.cov_re)) / np.abs(np.asarray(smres.cov_re)).max()
        ),
        "scale": abs(ours.scale / smres.scale - 1),
    }
    max_rel = max(diffs.values())
    print(f"  ours        : {t_ours:8.4f} s  llf={ours.llf:.6f}  converged={ours.converged}")
    print(f"  statsmodels : {t_sm:8.4f} s  llf={smres.llf:.6f}  converged={smres.converged}")
    print("  rel diffs   : " + "  ".join(f"{k}={v:.2e}" for k, v in diffs.items()))
    speed = t_sm / t_ours
    print(f"  speedup     : {speed:.1f}x")

    yb, Xb, Zb, gb = simulate(args.n_big, seed=2)
    t_big, big = _best(lambda: _ours(yb, Xb, Zb, gb, reml), max(1, args.repeat - 1))
    print(
        f"ours alone: {args.n_big} patients, {len(yb)} observations: {t_big:.3f} s "
        f"(converged={big.converged}, slope={big.fe_params.iloc[1]:.4f} ± {big.bse.iloc[1]:.4f})"
    )

    D, n_pat = (int(v) for v in args.batch.lower().split("x"))
    Y, Xs, Zs, gs = simulate_batch(D, n_pat, seed=3)
    t_batch, bat = _best(lambda: fit_lmm_batch(Y, Xs, Zs, gs, reml=reml), args.repeat)
    n_loop = min(args.loop, D)
    t_loop, loop = _best(lambda: [_ours(Y[d], Xs, Zs, gs, reml) for d in range(n_loop)], max(1, args.repeat - 1))
    llf_loop = np.array([r.llf for r in loop])
    batch_rate, loop_rate = D / t_batch, n_loop / t_loop
    print(f"batch: {D} data sets × {n_pat} patients ({Y.shape[1]} observations each), shared design")
    print(
        f"  fit_lmm_batch : {t_batch:8.3f} s  {batch_rate:8.1f} fits/s  converged={bat.converged.mean():.3f}"
        + (
            f"  evaluations per data set: median {np.median(bat.n_eval):.0f}, max {bat.n_eval.max()}"
            if hasattr(bat, "n_eval")  # (older versions did not count them)
            else ""
        )
    )
    print(f"  loop fit_lmm  : {t_loop:8.3f} s for {n_loop}  {loop_rate:8.1f} fits/s")
    print(
        f"  batch / loop  : {batch_rate / loop_rate:.1f}x   max |llf batch − loop| = "
        f"{np.abs(bat.llf[:n_loop] - llf_loop).max():.2e}"
    )
    last = (
        f"speedup_vs_statsmodels={speed:.1f} max_rel_diff={max_rel:.2e} seconds_100k={t_big:.3f} "
        f"batch_fits_per_s={batch_rate:.1f} batch_vs_loop={batch_rate / loop_rate:.1f}"
    )

    if args.vs_lme4:
        why = lme4_available()
        if why is not None:
            print(f"lme4: skipped — {why}")
        else:
            print(f"vs lme4 ({'REML' if reml else 'ML'}, same data; lme4 times lmer() only, best of 2 below 100,000):")
            ratios, lldiffs = [], []
            for n in (int(v) for v in args.lme4_sizes.split(",")):
                yy, XX, ZZ, gg = simulate(n, seed=10 + n % 97)
                t_o, r_o = _best(lambda yy=yy, XX=XX, ZZ=ZZ, gg=gg: _ours(yy, XX, ZZ, gg, reml), args.repeat)
                ref = run_lme4([(yy, XX, ZZ, gg)], reml, repeat=2 if n < 100_000 else 1)[0]
                ratios.append(ref["seconds"] / t_o)
                lldiffs.append(r_o.llf - ref["llf"])
                print(
                    f"  {n:>7} patients: ours {t_o:8.4f} s  lme4 {ref['seconds']:8.3f} s  "
                    f"ratio {ratios[-1]:6.1f}x  llf ours − lme4 = {lldiffs[-1]:+.2e} (lme4 converged={ref['converged']})"
                )
            n_l = min(args.lme4_loop, D)
            refs = run_lme4([(Y[d], Xs, Zs, gs) for d in range(n_l)], reml)
            lme4_rate = n_l / sum(r["seconds"] for r in refs)
            dll = np.abs(bat.llf[:n_l] - np.array([r["llf"] for r in refs])).max()
            print(
                f"  batch data sets one by one in lme4: {lme4_rate:.1f} fits/s; fit_lmm_batch "
                f"{batch_rate / lme4_rate:.0f}x, loop of fit_lmm {loop_rate / lme4_rate:.1f}x; max |llf diff| {dll:.2e}"
            )
            last += f" min_speedup_vs_lme4={min(ratios):.1f} max_llf_diff_lme4={max(np.abs(lldiffs)):.2e}"
    print(last)


if __name__ == "__main__":
    main()

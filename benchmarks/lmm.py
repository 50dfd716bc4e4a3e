"""Benchmark: alscell LMM vs statsmodels MixedLM (random intercept + slope, REML).

Run:  .venv/bin/python benchmarks/lmm.py            (5,000 patients side by side, then 100,000 alone)
      .venv/bin/python benchmarks/lmm.py --n-sm 1000 --n-big 20000   (quicker)

Last line: ``speedup_vs_statsmodels=<ratio> max_rel_diff=<value> seconds_100k=<value>``.
``max_rel_diff`` is the largest relative difference over fixed effects, their
SEs, the variance components (cov_re and scale); the log-likelihoods are
printed too.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np


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


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-sm", type=int, default=5000)
    ap.add_argument("--n-big", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3, help="repeats of our fit (best time)")
    args = ap.parse_args(argv)

    import statsmodels.api as sm

    from alscell.analysis.lmm import fit_lmm

    y, X, Z, g = simulate(args.n_sm, seed=1)
    print(f"side by side: {args.n_sm} patients, {len(y)} observations, random intercept + slope, REML")
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        ours = fit_lmm(y, X, Z, g, reml=True)
        times.append(time.perf_counter() - t0)
    t_ours = min(times)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        smres = sm.MixedLM(y, X, g, exog_re=Z).fit(reml=True, method=["lbfgs"])
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
    times = []
    for _ in range(max(1, args.repeat - 1)):
        t0 = time.perf_counter()
        big = fit_lmm(yb, Xb, Zb, gb, reml=True)
        times.append(time.perf_counter() - t0)
    t_big = min(times)
    print(
        f"ours alone: {args.n_big} patients, {len(yb)} observations: {t_big:.3f} s "
        f"(converged={big.converged}, slope={big.fe_params.iloc[1]:.4f} ± {big.bse.iloc[1]:.4f})"
    )
    print(f"speedup_vs_statsmodels={speed:.1f} max_rel_diff={max_rel:.2e} seconds_100k={t_big:.3f}")


if __name__ == "__main__":
    main()

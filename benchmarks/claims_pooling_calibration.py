"""Calibration of the partially pooled claims model (ADEMP; Morris, White & Crowther 2019).

Aims        Under no effect, do the pooled intervals (μ per measure × window, shrunken cells) cover the
            truth (0) at least 95% and does the heterogeneity test ("does route / cell source matter?")
            reject at ≈ 5%?  With a true effect in one route only, how often does the test detect it?
Data        ``simulate_cohort(CohortConfig(design="registry", n_patients=N), seed)``: 60% treated right after
            a bad-looking visit, D50 curvilinear decline, item noise, informative dropout and death, routes
            and cell sources mixed.  Scenarios: ``null`` (effect 0) and ``route_only`` (slope change 0.5
            points/month after the first treatment in intrathecal patients only: ``EffectModel(by_route=…)``).
            Seeds from ``numpy.random.SeedSequence(ENTROPY).spawn(cohorts)``, the same in both scenarios.
Estimand    Per measure × window: μ, the average deviation from expected natural history across cells
            (0 under no effect); per cell its deviation (0 under no effect); τ = 0 under no effect.
Methods     ``claims_table`` (CR2 cells) → ``pool_claims`` (Paule–Mandel τ², HKSJ interval for μ, EB cells,
            Cochran's Q).  ALSFRS-R total only (one model per window).
Performance coverage of μ's and the cells' pooled 95% intervals, Q-test rejection at 0.05, power under
            ``route_only``; Monte Carlo SEs √(p(1−p)/n) at the nominal value (cells of one cohort are
            correlated: their MCSE is clustered by cohort).

    .venv/bin/python benchmarks/claims_pooling_calibration.py --cohorts 60
    .venv/bin/python benchmarks/claims_pooling_calibration.py --cohorts 100 --workers 2 --write-md docs/claims_pooling_calibration.md
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
import warnings

import pandas as pd

ENTROPY = 20261202
SCENARIOS = ("null", "route_only")
MEASURES = {"progression": ("alsfrs_r_total",)}


def _config(scenario: str, n_patients: int):
    from alscell.simulate import CohortConfig, EffectModel

    base = dict(n_patients=n_patients, design="registry", treated_fraction=0.6, informative_dropout=1.0)
    if scenario == "null":
        return CohortConfig(effect=0.0, **base)
    off = {"intravenous": 0.0, "intramuscular": 0.0, "intraspinal": 0.0}
    return CohortConfig(effect=0.5, effect_model=EffectModel(by_route=off), **base)


def run_chunk(seeds: list[int], n_patients: int) -> list[dict]:
    """One row per measure × window family (kind=family) and per pooled cell (kind=cell)."""
    warnings.simplefilter("ignore")
    from alscell.analysis.claims import claims_table
    from alscell.analysis.claims_pooling import pool_claims
    from alscell.simulate import simulate_cohort

    rows: list[dict] = []
    for seed in seeds:
        for sc in SCENARIOS:
            tables = simulate_cohort(_config(sc, n_patients), int(seed)).tables
            pooled = pool_claims(claims_table(tables, measures=MEASURES))
            for r in pooled.table.to_dict("records"):
                rows.append(dict(r, kind="family", seed=int(seed), scenario=sc))
            cells = pooled.cells.table if pooled.cells is not None else pd.DataFrame()
            for r in cells.to_dict("records"):
                rows.append(dict(r, kind="cell", seed=int(seed), scenario=sc))
    return rows


def _rate(flags: pd.Series, clusters: pd.Series, nominal: float) -> tuple[float, float, int]:
    """Rate, its MCSE at the nominal value (clustered by cohort through the design effect), n."""
    n = len(flags)
    if n == 0:
        return float("nan"), float("nan"), 0
    x = flags.astype(float)
    p = float(x.mean())
    g = (x - p).groupby(clusters.to_numpy()).sum().to_numpy()
    k = len(g)
    var_clustered = k / max(k - 1, 1) * float((g**2).sum()) / n**2
    var_iid = p * (1 - p) / n
    deff = var_clustered / var_iid if var_iid > 0 else 1.0
    return p, math.sqrt(max(deff, 1.0) * nominal * (1 - nominal) / n), n


def summarise(raw: pd.DataFrame) -> dict:
    out: dict = {}
    fam = raw[raw["kind"] == "family"]
    cells = raw[raw["kind"] == "cell"]
    null_f = fam[fam["scenario"] == "null"]
    null_c = cells[cells["scenario"] == "null"]
    out["n_cohorts"] = int(raw["seed"].nunique())
    out["mu_cover"] = _rate((null_f["mu_ci_low"] <= 0) & (null_f["mu_ci_high"] >= 0), null_f["seed"], 0.95)
    out["cell_cover"] = _rate((null_c["pooled_ci_low"] <= 0) & (null_c["pooled_ci_high"] >= 0), null_c["seed"], 0.95)
    out["q_reject_null"] = _rate(null_f["q_p"] < 0.05, null_f["seed"], 0.05)
    out["verdict_null"] = _rate(null_f["verdict"] != "not shown", null_f["seed"], 0.05)
    out["by_window"] = {}
    for w, g in fam.groupby("window", sort=False):
        gn, ga = g[g["scenario"] == "null"], g[g["scenario"] == "route_only"]
        cn = null_c[null_c["window"] == w]
        out["by_window"][w] = {
            "mu_cover": _rate((gn["mu_ci_low"] <= 0) & (gn["mu_ci_high"] >= 0), gn["seed"], 0.95),
            "cell_cover": _rate((cn["pooled_ci_low"] <= 0) & (cn["pooled_ci_high"] >= 0), cn["seed"], 0.95),
            "q_reject_null": _rate(gn["q_p"] < 0.05, gn["seed"], 0.05),
            "q_power_route_only": _rate(ga["q_p"] < 0.05, ga["seed"], 0.5),
            "k": float(g["k"].mean()),
            "tau_null": float(gn["tau"].mean()),
        }
    return out


def _f(t, d=3) -> str:
    p, se, n = t
    return f"{p:.{d}f} (MCSE {se:.{d}f}, n = {n})"


def _verdict_cover(t) -> str:
    p, se, _ = t
    return "ok" if p >= 0.95 - 2 * se else "**under-covers**"


def _verdict_rate(t) -> str:
    p, se, _ = t
    return "ok" if abs(p - 0.05) <= 2 * se else ("conservative" if p < 0.05 else "**too many rejections**")


def report_lines(s: dict, args) -> list[str]:
    L = [
        f"{s['n_cohorts']} cohorts of {args.patients} patients per scenario "
        f"(seeds from SeedSequence({ENTROPY})); ALSFRS-R total, windows short / mid / long.",
        "",
        "| quantity (no effect) | value | nominal | verdict |",
        "|---|---|---|---|",
        f"| coverage of μ's 95% interval (HKSJ) | {_f(s['mu_cover'])} | ≥ 0.95 | {_verdict_cover(s['mu_cover'])} |",
        f"| coverage of the pooled cells' 95% intervals | {_f(s['cell_cover'])} | ≥ 0.95 | {_verdict_cover(s['cell_cover'])} |",
        f"| heterogeneity test (Cochran's Q) rejects at 0.05 | {_f(s['q_reject_null'])} | 0.05 | {_verdict_rate(s['q_reject_null'])} |",
        f"| any pooled verdict other than 'not shown' (Holm) | {_f(s['verdict_null'])} | ≤ 0.05 | "
        f"{'ok' if s['verdict_null'][0] <= 0.05 + 2 * s['verdict_null'][1] else '**too many**'} |",
        "",
        "| window | cells pooled (mean k) | μ coverage, no effect | cells' coverage, no effect | Q rejects, no effect "
        "| Q power, effect in intrathecal only |",
        "|---|---|---|---|---|---|",
    ]
    for w, d in s["by_window"].items():
        L.append(
            f"| {w} | {d['k']:.1f} | {_f(d['mu_cover'])} | {_f(d['cell_cover'])} | {_f(d['q_reject_null'])} "
            f"| {_f(d['q_power_route_only'])} |"
        )
    return L


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cohorts", type=int, default=60)
    ap.add_argument("--patients", type=int, default=300)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786)")
    ap.add_argument("--write-md", default=None, help="write the results page (docs/claims_pooling_calibration.md)")
    args = ap.parse_args(argv)
    from alscell.simulate.study import run_study, study_seeds

    t0 = time.perf_counter()
    rows = run_study(
        run_chunk,
        study_seeds(ENTROPY, args.cohorts),
        task_args=(args.patients,),
        chunk=5,
        workers=args.workers,
        scheduler=args.scheduler,
        label="pooled claims",
    )
    s = summarise(pd.DataFrame(rows))
    took = time.perf_counter() - t0
    lines = report_lines(s, args)
    print("\n".join(lines))
    print(f"finished in {took:.0f} s")
    if args.write_md:
        cmd = "python benchmarks/claims_pooling_calibration.py " + " ".join(argv if argv is not None else sys.argv[1:])
        head = [
            "# Calibration of the partially pooled claims model",
            "",
            "Regenerated by `" + cmd.strip() + "` "
            f"({platform.machine()}, {os.cpu_count()} cores, {took:.0f} s). Method: `alscell.analysis.claims_pooling` "
            "(docstring); design: the script's docstring (ADEMP). Rates are judged at the nominal value ± 2 MCSE.",
            "",
        ]
        with open(args.write_md, "w", encoding="utf-8") as fh:
            fh.write("\n".join(head + lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

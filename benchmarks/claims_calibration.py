"""Calibration of the claims table under no effect (ADEMP; Morris, White & Crowther 2019).

Aims        Is ``claims.claims_table`` honest: per-row type-I error ≈ 5% (or below), 95% CIs covering the
            truth, Holm family-wise error ≤ 5% per cohort, under no effect on registry data with every
            trap?  What power do the rows have for a real long-window effect?
Data        ``simulate_cohort(CohortConfig(design="registry", n_patients=300), seed)``: 60% treated
            (``--share``) right after a bad-looking visit (selection_on_bad_visit = 1), D50 curvilinear
            decline, item noise with floors and ceilings, informative dropout (1) and death, up to 3 cycles,
            route and cell source mixed.
            Scenarios: ``null`` (effect 0, mixed products), ``null_single`` (effect 0, every treated patient
            intrathecal bone marrow: few, large cells), ``long`` (a real effect: slope change 0.5
            points/month from the first treatment on, so the deviation is largest in the long window).  Seeds from
            ``numpy.random.SeedSequence(ENTROPY).spawn(cohorts)``, the same in every scenario.
Estimand    Per row: mean deviation of the measure from the patient's expected natural history at visits in
            the window after the latest injection (0 under no effect).
Methods     claims_table(adjust="holm") (per-window mixed model, CR2 SEs, Bell–McCaffrey df).  The responder
            test has its own study: benchmarks/responders_calibration.py.
Performance per-row rejection at α = 0.05 (overall, by window, by cell size), CI coverage of 0, Holm
            family-wise error per cohort (any "supported"/"harm" verdict), power;
            Monte Carlo SEs √(p(1−p)/n) (rows of one cohort are correlated: the row-level MCSE uses the
            cohort-clustered variance of the rate).

    .venv/bin/python benchmarks/claims_calibration.py                      # 100 cohorts of 300 patients
    .venv/bin/python benchmarks/claims_calibration.py --cohorts 200 --workers 2 --write-md docs/claims_calibration.md
    .venv/bin/python benchmarks/claims_calibration.py --share 0.02 --patients 1000 --workers 2 \
        --write-md docs/claims_calibration_few_treated.md                  # 2% treated (issue 10)
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

ENTROPY = 20251125
SCENARIOS = ("null", "null_single", "long")
SIZE_BINS = [0, 5, 10, 20, 50, 10_000]
SIZE_LABELS = ["3-5", "6-10", "11-20", "21-50", ">50"]


def _config(scenario: str, n_patients: int, share: float = 0.6):
    from alscell.simulate import CohortConfig

    base = dict(
        n_patients=n_patients,
        design="registry",
        treated_fraction=share,
        selection_on_bad_visit=1.0,
        informative_dropout=1.0,
    )
    if scenario == "null":
        return CohortConfig(effect=0.0, **base)
    if scenario == "null_single":
        return CohortConfig(effect=0.0, route="intrathecal", cell_source="bone_marrow", **base)
    if scenario == "long":
        return CohortConfig(effect=0.5, **base)
    raise ValueError(scenario)


def run_chunk(
    seeds: list[int], n_patients: int, scenarios=SCENARIOS, n_sim: int = 200, share: float = 0.6
) -> tuple[list, list]:
    """Claims rows for one cohort per seed and scenario (the second list is kept empty for the caller)."""
    warnings.simplefilter("ignore")
    from alscell.analysis.claims import claims_table
    from alscell.simulate import simulate_cohort

    rows, resp = [], []
    for seed in seeds:
        for sc in scenarios:
            tables = simulate_cohort(_config(sc, n_patients, share), int(seed)).tables
            t = time.perf_counter()
            try:
                ct = claims_table(tables, adjust="holm").table
                rows += ct.assign(seed=int(seed), scenario=sc, seconds=time.perf_counter() - t).to_dict("records")
            except Exception as exc:  # noqa: BLE001 - a failed table is a result too
                rows.append(dict(seed=int(seed), scenario=sc, error=repr(exc)[:200]))
    return rows, resp


def _rate(flags: pd.Series, clusters: pd.Series) -> tuple[float, float, int]:
    """Rate and its Monte Carlo SE, clustered by cohort (ratio estimator), and the number of rows."""
    x = flags.astype(float).to_numpy()
    n = len(x)
    if n == 0:
        return float("nan"), float("nan"), 0
    p = x.mean()
    g = pd.DataFrame({"x": x - p, "c": clusters.to_numpy()}).groupby("c")["x"].sum().to_numpy()
    k = len(g)
    se = math.sqrt(k / max(k - 1, 1) * (g**2).sum()) / n
    return float(p), float(se), n


def summarise(raw: pd.DataFrame, resp: pd.DataFrame) -> dict:
    out: dict = {}
    raw = raw.dropna(subset=["p_value"]).copy()
    raw["size"] = pd.cut(raw["n_patients"], SIZE_BINS, labels=SIZE_LABELS)
    raw["reject"] = raw["p_value"] < 0.05
    raw["covers"] = (raw["ci_low"] <= 0) & (raw["ci_high"] >= 0)
    for sc in SCENARIOS:
        d = raw[raw["scenario"] == sc]
        if d.empty:
            continue
        s: dict = {"n_cohorts": int(d["seed"].nunique()), "rows_per_cohort": len(d) / max(d["seed"].nunique(), 1)}
        s["overall"] = _rate(d["reject"], d["seed"])
        s["coverage"] = _rate(d["covers"], d["seed"])
        s["by_window"] = {
            w: (_rate(g["reject"], g["seed"]), _rate(g["covers"], g["seed"]), float(g["estimate"].mean()))
            for w, g in d.groupby("window", sort=False)
        }
        s["by_size"] = {
            str(b): (_rate(g["reject"], g["seed"]), _rate(g["covers"], g["seed"]))
            for b, g in d.groupby("size", observed=True)
        }
        per = d.groupby("seed")["verdict"].agg(lambda v: (v != "not shown").any())
        k = len(per)
        fw = float(per.mean())
        s["fwer"] = (fw, math.sqrt(fw * (1 - fw) / k), k)
        s["verdicts"] = d["verdict"].value_counts().to_dict()
        s["seconds"] = float(d.groupby("seed")["seconds"].first().mean())
        if sc == "long":
            lg = d[d["window"] == "long"]
            sup = lg.groupby("seed")["verdict"].agg(lambda v: (v == "supported").any())
            s["any_long_supported"] = (float(sup.mean()), math.sqrt(sup.mean() * (1 - sup.mean()) / len(sup)))
            big = lg[lg["n_patients"] > 20]
            s["long_big_reject"] = _rate(big["reject"] & (big["estimate"] > 0), big["seed"])
        out[sc] = s
    return out


def _f(t, d=3):
    p, se, *_ = t
    return f"{p:.{d}f} ({se:.{d}f})"


def report_lines(s: dict) -> list[str]:
    L = []
    names = {
        "null": "no effect, mixed routes and cell sources",
        "null_single": "no effect, one product (intrathecal bone marrow: few large cells)",
        "long": "a real effect: slope change 0.5 points/month after the first treatment",
    }
    for sc in SCENARIOS:
        if sc not in s:
            continue
        x = s[sc]
        what = "type-I error" if sc != "long" else "rejection (power where the effect is)"
        L += [
            f"### Scenario `{sc}` — {names[sc]}",
            "",
            f"{x['n_cohorts']} cohorts, {x['rows_per_cohort']:.0f} rows per cohort; claims table "
            f"{x['seconds']:.1f} s per cohort.",
            "",
            "| rows | n rows | " + what + " (MCSE) | 95% CI covers 0 (MCSE) | mean estimate |",
            "|---|---|---|---|---|",
            f"| all | {x['overall'][2]} | {_f(x['overall'])} | {_f(x['coverage'])} | |",
        ]
        for w, (rj, cv, m) in x["by_window"].items():
            L.append(f"| window {w} | {rj[2]} | {_f(rj)} | {_f(cv)} | {m:+.3f} |")
        for b, (rj, cv) in x["by_size"].items():
            L.append(f"| {b} patients | {rj[2]} | {_f(rj)} | {_f(cv)} | |")
        fw = x["fwer"]
        label = (
            "family-wise error (any supported/harm verdict after Holm)"
            if sc != "long"
            else "cohorts with any supported/harm verdict after Holm"
        )
        L += [
            "",
            f"* {label}: {fw[0]:.3f} (MCSE {fw[1]:.3f}) over {fw[2]} cohorts; verdicts "
            f"{', '.join(f'{k} {v}' for k, v in sorted(x['verdicts'].items()))}.",
        ]
        if sc != "long":
            ok1 = x["overall"][0] <= 0.05 + 2 * x["overall"][1]
            ok2 = fw[0] <= 0.05 + 2 * fw[1]
            L.append(
                f"* target per-row type-I ≤ 0.05 + 2 MCSE: {'met' if ok1 else 'NOT met'}; "
                f"target FWER ≤ 0.05 + 2 MCSE: {'met' if ok2 else 'NOT met'}."
            )
        else:
            a = x["any_long_supported"]
            L.append(
                f"* cohorts with at least one `supported` long-window row: {a[0]:.3f} (MCSE {a[1]:.3f}); "
                f"long-window rows of cells > 20 patients significant with benefit: {_f(x['long_big_reject'])}."
            )
        L.append("")
    return L


def run_chunk_tagged(seeds, n_patients, scenarios, n_sim, share=0.6) -> list[dict]:
    """``run_chunk`` as one list of rows (for alscell.simulate.study.run_study), tagged by kind."""
    claims, responders = run_chunk(seeds, n_patients, scenarios, n_sim, share)
    return [dict(r, _kind="claim") for r in claims] + [dict(r, _kind="responder") for r in responders]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cohorts", type=int, default=100)
    ap.add_argument("--patients", type=int, default=300)
    ap.add_argument("--share", type=float, default=0.6, help="treated share (treated_fraction)")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="local processes")
    ap.add_argument("--chunk", type=int, default=2, help="cohorts per task")
    ap.add_argument("--n-sim", type=int, default=200, help="responder-test simulations per cohort")
    ap.add_argument("--raw", default=None, help="write per-row results to this CSV")
    ap.add_argument("--write-md", default=None, help="write the results page (docs/claims_calibration.md)")
    args = ap.parse_args(argv)

    from rich.console import Console

    from alscell.simulate.study import run_study, study_seeds

    console = Console()
    t0 = time.perf_counter()
    tagged = run_study(
        run_chunk_tagged,
        study_seeds(ENTROPY, args.cohorts),
        task_args=(args.patients, SCENARIOS, args.n_sim, args.share),
        chunk=args.chunk,
        workers=args.workers,
        label="claims calibration",
        console=console,
    )
    rows = [{k: v for k, v in r.items() if k != "_kind"} for r in tagged if r["_kind"] == "claim"]
    resp = [{k: v for k, v in r.items() if k != "_kind"} for r in tagged if r["_kind"] == "responder"]
    elapsed = time.perf_counter() - t0
    raw, rs = pd.DataFrame(rows), pd.DataFrame(resp)
    if args.raw:
        raw.to_csv(args.raw, index=False)
    if "error" in raw:
        console.print(f"{raw['error'].notna().sum()} failed claims tables", style="red")
    s = summarise(raw, rs)
    lines = report_lines(s)
    console.print("\n".join(lines), markup=False)
    console.print(f"elapsed {elapsed / 60:.1f} min on {args.workers} worker(s)")
    if args.write_md:
        cmd = " ".join(["benchmarks/claims_calibration.py", *(argv if argv is not None else sys.argv[1:])])
        md = MD_TEMPLATE.format(
            command=cmd,
            entropy=ENTROPY,
            cohorts=args.cohorts,
            patients=args.patients,
            share=args.share,
            results="\n".join(lines),
            minutes=elapsed / 60,
            workers=args.workers,
            python=platform.python_version(),
        )
        with open(args.write_md, "w", encoding="utf-8") as fh:
            fh.write(md)
        console.print(f"wrote {args.write_md}")
    return 0


MD_TEMPLATE = """# Calibration of the claims table

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}; rerun it to
reproduce them exactly).  Design after Morris, White & Crowther, Stat Med 2019;38:2074–2102 (ADEMP).

* **Aims** — under no effect, does `claims.claims_table` reject each row at ≈ 5% (or less), cover 0 with its
  95% intervals, and keep the Holm family-wise error (any `supported`/`harm` verdict in a cohort) ≤ 5%?  Does
  What power do the rows have for a real long-window effect?
* **Data-generating mechanism** — `alscell.simulate`, design `registry`, {patients} patients per cohort, {share:.0%}
  treated right after a visit chosen for looking bad (`selection_on_bad_visit = 1`), D50 curvilinear decline,
  item noise with floors and ceilings, informative dropout (`informative_dropout = 1`) and death, up to 3
  cycles.  Scenarios on the same {cohorts} seeds: `null` (effect 0, route and cell source mixed as in published
  studies, so most route × source cells hold a handful of patients), `null_single` (effect 0, every treated
  patient intrathecal bone marrow: few, large cells), `long` (a real effect: latent slope change 0.5
  ALSFRS-R points/month from the first treatment on, largest deviation in the long window).
* **Estimand** — per row, the mean deviation of the measure from the patient's expected natural history at
  the visits in the window after the latest injection (0 under no effect).
* **Method** — per measure and window one mixed model on all patients (restricted cubic spline of months since
  onset, log months from onset to the first visit and its product with time — entry time, as in the
  headline —, random intercept and slope, the two visits before the first treatment left out, every
  post-treatment visit of the estimable groups kept), per route × cell source group a slope-after-first-
  treatment term and a window-shift term; the row estimate is the shift plus slope × mean months since first
  treatment at the window's visits; CR2 cluster-robust SE with Bell–McCaffrey degrees of freedom
  (`alscell.analysis.window_effects`); Holm over all rows.  (The responder test has its own study: `docs/responders_calibration.md`.)
* **Performance measures** — rejection at α = 0.05, coverage of 0 by the 95% CI, FWER per cohort; Monte Carlo
  SEs in brackets (row rates: cohort-clustered, because the rows of one cohort are correlated).

## Results

{results}
Run time: {minutes:.1f} min with {workers} local worker process(es), Python {python}.
"""

if __name__ == "__main__":
    raise SystemExit(main())

"""Calibration of the repeated-treatment analyses (``alscell.analysis.cycles``): effect by cycle and
dose–response (ADEMP; Morris, White & Crowther, Stat Med 2019).

Aims        Are ``effect_by_cycle`` (additional slope change after each cycle) and ``dose_response`` (slope
            change after the first cycle and per extra cycle) unbiased, with 95% intervals that cover and
            tests that reject at 5% under no effect?  Settings compared: the trigger visits left out
            (``exclude_pre_visits=2``, the earlier default) or kept (0, the default since this study, as
            in the headline).
Data        ``simulate_cohort(CohortConfig(design="registry", n_patients=N, treated_fraction=0.6))`` (``--share``
            sets treated_fraction: 0.02 for the few-treated page, issue 10's "correct when 2% are treated"): D50
            courses, first treatment after a bad-looking visit, further cycles every 2 months each with
            probability 0.7 (up to 3), informative dropout and death.  Scenarios: ``null`` (E = 0);
            ``flat`` (E = 0.3 points/month from the first cycle, repeating adds nothing); ``boost`` (E = 0.3
            and each extra cycle adds E · 0.5: ``EffectModel(redose_boost=0.5)``).  Seeds from
            ``SeedSequence(ENTROPY).spawn(cohorts)``, the same in every scenario and size.
Estimands   additional slope change after cycle k: E for k = 1, E · boost for k ≥ 2; first_cycle = E;
            per_extra_cycle = E · boost (points/month, positive = slower decline).
Methods     ``effect_by_cycle`` and ``dose_response`` (CR2 SEs, Bell–McCaffrey df).
Performance rejection at 0.05 where the truth is 0 (type-I error) and elsewhere (power), coverage, bias,
            empirical SE, each with its MCSE; rates judged at the nominal value ± 2 MCSE, bias against 0.

    .venv/bin/python benchmarks/cycles_calibration.py --cohorts 20
    .venv/bin/python benchmarks/cycles_calibration.py --cohorts 100 --workers 2 --write-md docs/cycles_calibration.md
    .venv/bin/python benchmarks/cycles_calibration.py --cohorts 100 --share 0.02 --sizes 1000,3000 --workers 2 \
        --write-md docs/cycles_calibration_few_treated.md
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results_page import finish

ENTROPY = 20261203
EFFECT = 0.3
BOOST = 0.5
SCENARIOS = {"null": (0.0, 0.0), "flat": (EFFECT, 0.0), "boost": (EFFECT, BOOST)}
EXCLUDE = (2, 0)


def truth(term: str, effect: float, boost: float) -> float:
    """True value of a cycles term under ``EffectModel(redose_boost=boost)`` with ``CohortConfig.effect``."""
    if term in ("cycle1", "first_cycle"):
        return effect
    return effect * boost  # cycle k ≥ 2 (additional) and per_extra_cycle


def run_chunk(seeds: list[int], n_patients: int, share: float = 0.6) -> list[dict]:
    """One row per cohort × scenario × setting × term."""
    warnings.simplefilter("ignore")
    from alscell.analysis.cycles import dose_response, effect_by_cycle
    from alscell.simulate import CohortConfig, EffectModel, simulate_cohort

    rows: list[dict] = []
    for seed in seeds:
        for sc, (effect, boost) in SCENARIOS.items():
            cfg = CohortConfig(
                n_patients=n_patients, design="registry", treated_fraction=share, effect=effect,
                effect_model=EffectModel(redose_boost=boost),
            )  # fmt: skip
            tables = simulate_cohort(cfg, int(seed)).tables
            for ex in EXCLUDE:
                found = [
                    (f"cycle{int(r.cycle)}", r.additional, r.additional_ci_low, r.additional_ci_high, r.additional_p)
                    for r in effect_by_cycle(tables, exclude_pre_visits=ex).table.itertuples()
                ]
                found += [
                    (r.term, r.estimate, r.ci_low, r.ci_high, r.p_value)
                    for r in dose_response(tables, exclude_pre_visits=ex).table.itertuples()
                ]
                for term, est, lo, hi, p in found:
                    rows.append(dict(n=n_patients, scenario=sc, exclude=ex, term=term, seed=seed, estimate=est,
                                     ci_low=lo, ci_high=hi, p=p, truth=truth(term, effect, boost)))  # fmt: skip
    return rows


def _band(rate: float, nominal: float, k: int) -> bool:
    return abs(rate - nominal) <= 2 * np.sqrt(nominal * (1 - nominal) / k)


def summarise(raw: pd.DataFrame) -> pd.DataFrame:
    out = []
    for (n, sc, ex, term), d in raw.groupby(["n", "scenario", "exclude", "term"], sort=False):
        k = len(d)
        err = d["estimate"].to_numpy(float) - d["truth"].to_numpy(float)
        tr = float(d["truth"].iloc[0])
        cover = float(((d["ci_low"] <= d["truth"]) & (d["ci_high"] >= d["truth"])).mean())
        reject = float((d["p"] < 0.05).mean())
        bias, mcse = float(err.mean()), float(err.std(ddof=1) / np.sqrt(k))
        emp = float(err.std(ddof=1))
        bad = [] if _band(cover, 0.95, k) else ["coverage"]
        if tr == 0 and not _band(reject, 0.05, k):
            bad.append("type-I")
        if abs(bias) > 2 * mcse:
            bad.append("bias")
        out.append(dict(n=n, scenario=sc, exclude=ex, term=term, truth=tr, k=k, reject=reject, cover=cover,
                        bias=bias, bias_mcse=mcse, emp_se=emp, emp_se_mcse=emp / np.sqrt(2 * (k - 1)),
                        verdict="ok" if not bad else "OUTSIDE: " + ", ".join(bad)))  # fmt: skip
    return pd.DataFrame(out)


def markdown(perf: pd.DataFrame) -> str:
    lines = [
        "| n | scenario | trigger visits | term | truth | cohorts | rejection (MCSE) | coverage (MCSE) | bias (MCSE) "
        "| emp. SE (MCSE) | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in perf.itertuples(index=False):
        rej_mcse = np.sqrt(r.reject * (1 - r.reject) / r.k)
        cov_mcse = np.sqrt(r.cover * (1 - r.cover) / r.k)
        kind = "" if r.truth == 0 else " power"
        lines.append(
            f"| {r.n} | {r.scenario} | {'left out' if r.exclude else 'kept'} | {r.term} | {r.truth:g} | {r.k} | "
            f"{r.reject:.3f} ({rej_mcse:.3f}){kind} | {r.cover:.3f} ({cov_mcse:.3f}) | {r.bias:+.4f} ({r.bias_mcse:.4f}) "
            f"| {r.emp_se:.4f} ({r.emp_se_mcse:.4f}) | {r.verdict} |"
        )
    return "\n".join(lines)


def verdict_counts(perf: pd.DataFrame) -> str:
    """One line per setting: cells within every band, and which fail."""
    lines = []
    for ex, d in perf.groupby("exclude", sort=False):
        ok = int((d["verdict"] == "ok").sum())
        fails = ", ".join(f"{r.n}/{r.scenario}/{r.term}" for r in d.itertuples() if r.verdict != "ok") or "none"
        label = (
            "trigger visits left out (`exclude_pre_visits=2`)" if ex else "trigger visits kept (`exclude_pre_visits=0`)"
        )
        lines.append(f"* {label}: {ok} of {len(d)} rows within every band; outside: {fails}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--cohorts", type=int, default=20)
    ap.add_argument("--sizes", default="300,1000", help="cohort sizes, comma-separated")
    ap.add_argument("--share", type=float, default=0.6, help="treated share (treated_fraction) of the registries")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--write-md", default=None, help="write the results page (docs/cycles_calibration.md)")
    args = ap.parse_args(argv)

    from rich.console import Console

    from alscell.simulate.study import run_study, study_seeds

    console = Console()
    t0 = time.perf_counter()
    rows: list[dict] = []
    for n in (int(s) for s in args.sizes.split(",")):
        rows += run_study(
            run_chunk, study_seeds(ENTROPY, args.cohorts), task_args=(n, args.share), chunk=5, workers=args.workers,
            label=f"cycles, {n} patients", console=console,
        )  # fmt: skip
    minutes = (time.perf_counter() - t0) / 60
    perf = summarise(pd.DataFrame(rows))
    finish(console, markdown(perf), minutes, args.write_md, MD, "cycles_calibration.py", argv, entropy=ENTROPY,
           counts=verdict_counts(perf), workers=args.workers, effect=EFFECT, boost=BOOST, share=args.share,
           reading=READING.get(args.share, "* No reading written for this share: read the table."))  # fmt: skip
    console.print(verdict_counts(perf), markup=False, soft_wrap=True)
    return 0


MD = """# Calibration of the repeated-treatment analyses (effect by cycle, dose–response)

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}).  Design
(ADEMP) in the script's docstring: `alscell.simulate` registries, {share:.0%} treated, up to 3 cycles two months
apart; scenarios `null` (no effect), `flat` (E = {effect} points/month from the first cycle, further
cycles add nothing) and `boost` (each extra cycle adds E · {boost}).  Rows: `cycle1`–`cycle3` are
`effect_by_cycle`'s *additional* slope change after each cycle, `first_cycle` and `per_extra_cycle`
`dose_response`'s terms.  Rates are judged at the nominal value (0.05, 0.95) ± 2 MCSE, bias against 0 ± 2
MCSE (Morris, White & Crowther 2019); "trigger visits" says whether the two visits before the first
treatment were left out of the model or kept.

{table}

{counts}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.  Not calibrated on
`benchmarks/second_world.py`, which gives one administration per patient (with every visit kept its cycle 1
is the headline's model, calibrated in `docs/calibration.md`).

## Reading it

{reading}
"""

READING = {
    0.02: """* With 2% treated (about 20 and 60 treated patients) and every visit kept (the default), 29 of the 30 rows
  are within every band: the CR2 intervals with Bell–McCaffrey df cover and the tests hold their level for
  every cycle term, though each rests on few patients (cycle 3 on fewer still; at 1,000 patients a few
  cohorts have no third cycle and give no estimate for it).  The one row outside is the per-extra-cycle term
  under a boost at 3,000 patients, leaning towards benefit, as on the 60% page.
* With the two trigger visits left out (the earlier default) the first-cycle terms lean towards benefit by
  more than twice their MCSE at 1,000 patients, and under an effect at 3,000 (the rows listed above): another
  reason the default keeps them.""",
    0.6: """* Keeping the trigger visits is the default of `effect_by_cycle` and `dose_response`: fewer rows outside a
  band than leaving them out, and for the first cycle a bias closer to 0 and a smaller empirical SE in
  each size and scenario.
* Still outside with every visit kept, at 1,000 patients: the slope change after the first cycle leans
  against treatment by a fraction of its SE, with coverage at the lower edge of the band — the same small
  lean as the headline's on `alscell.simulate` at 1,000 patients and 60% treated (`docs/calibration.md`:
  the D50 courses are sigmoid, the model's course is a population spline plus a straight line per patient);
  and the per-extra-cycle term leans towards benefit (it does not when the trigger visits are left out).""",
}

if __name__ == "__main__":
    raise SystemExit(main())

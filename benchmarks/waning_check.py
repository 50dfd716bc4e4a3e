"""How the does-the-effect-last checks (``alscell.analysis.waning``: by g-estimation, the default's, and by
the mixed model) behave where the slope change is constant and where it fades.

For each scenario, cohorts of 1,000 patients with 30% treated: how often the check reports a difference
between the slope change in the first 6 months after treatment and beyond it (two-sided 5%), the mean of
each part and of the difference, and how often the difference's 95% interval covers 0.  Scenarios:

* ``simulate`` (the registry of docs/calibration.md) under no effect and under a constant effect 0.2: the
  difference is 0 by construction of the effect (in points only approximately: the simulator clips the
  course to 0..48 and rounds the items), so the rate should be near the nominal 5%;
* ``simulate`` under 0.2 with ``EffectModel(half_life_months=6)``: an effect that fades, so the later slope
  change is smaller;
* the held-out fourth world (benchmarks/fourth_world.py) under E = 0.5 with its waning (halves after 6
  months) and with the waning switched off.  Without waning its difference is only approximately 0: the
  graded-response items compress the total, so a constant latent slope change is not constant in points;
* the second and third worlds (docs/calibration.md, docs/calibration_world3.md) under no effect, where
  treatment follows an unusual stretch (a steep drop, or a stable spell above an eligibility cut-off) and the
  course after it may rebound or resume: the difference is 0, but the model's course may not be;
* the held-out fifth world (benchmarks/fifth_world.py, docs/calibration_world5.md) under no effect
  (treatment after runs of poor recorded visits) and under E = 0.5, whose slowing starts a month after each
  cycle and lasts a year, so the slope change fades after it (and the level gained stays).

    .venv/bin/python benchmarks/waning_check.py --workers 2 --write-md docs/waning_check.md
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

# g-estimation's history when these pages were run (before 2026-12-07's switch to "measures_only":
# docs/world22_measures_only.md)
HISTORY = "standard"
ENTROPY = 20261215
# (label, world, effect, waning): waning = half-life 6 months on simulate, the world's own waning on world4
SCENARIOS = (
    ("simulate, no effect", "simulate", 0.0, False),
    ("simulate, constant effect 0.2", "simulate", 0.2, False),
    ("simulate, effect 0.2 with a half-life of 6 months", "simulate", 0.2, True),
    ("world4, E = 0.5 without waning", "world4", 0.5, False),
    ("world4, E = 0.5, halves after 6 months", "world4", 0.5, True),
    ("world2, no effect", "world2", 0.0, False),
    ("world3, no effect", "world3", 0.0, False),
    ("world5, no effect", "world5", 0.0, False),
    ("world5, E = 0.5, a year of slowing per cycle", "world5", 0.5, True),
)


def _tables(world: str, n: int, share: float, effect: float, waning: bool, seed: int):
    if world == "simulate":
        from dataclasses import replace

        from alscell.simulate import EffectModel, simulate_cohort
        from calibration import registry_config

        cfg = registry_config(n, share, effect)
        if waning:
            cfg = replace(cfg, effect_model=EffectModel(half_life_months=6.0))
        return simulate_cohort(cfg, seed).tables
    if world in ("world2", "world3", "world5"):
        from calibration import _cohort

        return _cohort(world, n, share, effect, seed)
    from fourth_world import simulate_world4

    return simulate_world4(n, effect, share, seed, frozenset() if waning else frozenset({"waning"})).tables


def run_chunk(items: list[tuple], n: int, share: float) -> list[dict]:
    """One row per (scenario, seed): the check's two parts and their difference."""
    warnings.simplefilter("ignore")
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:  # Dask worker processes
        sys.path.insert(0, here)
    from alscell.analysis.effects import prepare
    from alscell.analysis.waning import g_waning_check, waning_check

    rows = []
    for (label, world, effect, waning), seed in items:
        tables = _tables(world, n, share, effect, waning, int(seed))
        df = prepare(tables, "alsfrs_r_total")
        for w in (g_waning_check(tables, data=df, history=HISTORY), waning_check(df)):
            row = dict(scenario=label, check=w.method, seed=int(seed), n_followed=w.n_patients,
                       ran=w.difference is not None)  # fmt: skip
            if w.early is not None and w.late is not None and w.difference is not None:
                d = w.difference
                row.update(early=w.early.estimate, late=w.late.estimate, diff=d.estimate, differs=bool(w.differs),
                           covers0=bool(d.ci_low <= 0.0 <= d.ci_high))  # fmt: skip
            rows.append(row)
    return rows


def markdown(raw: pd.DataFrame) -> str:
    lines = [
        "| scenario | check | cohorts (ran) | difference reported (MCSE) | 95% interval of the difference covers 0 | "
        "mean slope change, first 6 months | mean slope change, after | mean difference (MCSE) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (label, check), d in raw.groupby(["scenario", "check"], sort=False):
        r = d[d["ran"]]
        k = len(r)
        if k == 0:  # no cohort had enough patients followed beyond the split
            lines.append(f"| {label} | {check} | {len(d)} (0) | — | — | — | — | — |")
            continue
        rate = float(r["differs"].mean())
        diff = r["diff"].to_numpy(dtype=float)
        lines.append(
            f"| {label} | {check} | {len(d)} ({k}) | {rate:.3f} ({np.sqrt(rate * (1 - rate) / k):.3f}) | "
            f"{float(r['covers0'].mean()):.3f} | {r['early'].mean():+.3f} | {r['late'].mean():+.3f} | "
            f"{diff.mean():+.3f} ({diff.std(ddof=1) / np.sqrt(k):.3f}) |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--cohorts", type=int, default=100)
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--share", type=float, default=0.3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--write-md", default=None)
    args = ap.parse_args(argv)

    from rich.console import Console

    from alscell.simulate.study import run_study, study_seeds

    console = Console()
    items = [(s, seed) for s in SCENARIOS for seed in study_seeds(ENTROPY, args.cohorts)]
    t0 = time.perf_counter()
    rows = run_study(
        run_chunk, items, task_args=(args.patients, args.share), chunk=4, workers=args.workers,
        label="waning check", console=console,
    )  # fmt: skip
    minutes = (time.perf_counter() - t0) / 60
    finish(
        console, markdown(pd.DataFrame(rows)), minutes, args.write_md, MD, "waning_check.py", argv,
        entropy=ENTROPY, cohorts=args.cohorts, n=args.patients, share=args.share, workers=args.workers,
        reading=READING,
    )  # fmt: skip
    return 0


MD = """# Does the effect last? The check's behaviour

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}).  The check
is `alscell.analysis.waning` (shown by `alscell effect --sensitivity`, the demo, the cohort report and the
dashboard): the slope change split 6 months after the first treatment, a two-sided test of the difference
at 5% (split and level fixed before this page was first run).  It comes in two versions, both run on every
cohort here: `g_estimation` (the default's own check since 2026-12-04, `g_waning_check`: two estimating
equations, the untreated slope over the 6 months after each decision visit and over the 6 to 24 months
after it, t with starters − 1 df) and `lmm_counterfactual` (the mixed model with two slope-change terms, CR2
with Bell–McCaffrey df; the check of the mixed-model primaries).  {cohorts} cohorts of {n} patients per
scenario, {share:.0%} treated; the scenarios are listed in `benchmarks/waning_check.py`.  "Difference
reported": the share of cohorts where the check says the later slope change differs from the earlier one;
where the effect is constant (or absent) it should be 0.05 ± 2 MCSE.

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the table above after the run of 2026-12-04 that added the g-estimation check and the
  fifth world (rerun to check; the mixed model's rows reproduce the earlier run's, same seeds).  **Where the
  effect is constant or absent** both checks stay within 0.05 ± 2 MCSE (0.006 to 0.094) on `simulate` and
  on the held-out fifth world: g-estimation 3.0%, 5.0% and 3.0%, the mixed model 5.0%, 3.0% and 5.0%.
* **The g-estimation check is far less fooled by a course model's misfit**: on the second world under no
  effect it reports a difference in 17% of cohorts against the mixed model's 49% (first 6 months −0.012
  against −0.111).  On the third world it reports one in 10% (just above the band; the mixed model 8%).
* **Its price is power**, as for the default's headline: where the effect fades it reports a difference in
  9% of cohorts (`simulate`, half-life 6 months, E = 0.2; the mixed model 35%), 54% (fourth world, halving
  after 6 months, E = 0.5; 91%) and 82% (fifth world, a year of slowing per cycle, E = 0.5; 100%).  Both
  estimate the parts alike where the mixed model is right (`simulate` with a half-life: +0.160 and +0.092
  against +0.166 and +0.086); on the fifth world the mixed model's first 6 months read higher (+0.499
  against +0.396) because its course leans there (docs/calibration_world5.md).
* It measures points per month, not a latent trait: on the fourth world without waning the slope change in
  points still grows after 6 months (+0.372 to +0.420 by g-estimation; the graded-response items make the
  total steepest in mid-range, where treated patients move); the g check reports that in 9% of cohorts, the
  mixed model's in 29%.  A difference is a fact about the ALSFRS-R course, not proof that the biology wanes.
* Where the selection warning (or, for the mixed model, the pre-trend warning) fires, read a difference as a
  misfit first: of the decision model for g-estimation, of the course model for the mixed model."""


if __name__ == "__main__":
    raise SystemExit(main())

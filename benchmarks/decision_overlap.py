"""Positivity in the held-out worlds (alscell.analysis.decision_overlap): how many patients each cell really
treats, how far the starts could have gone the other way, and what the default and the named g-estimate give,
under no effect.

Each held-out world chooses whom to treat by its own rule and treats "at most" the cell's share
(benchmarks/world_tables.share_cutoff: the cut-off under which that many patients' first criterion falls, or
everyone whose criterion ever comes when fewer can).  Where fewer are ever eligible than the share asks, every
eligible patient is treated at the first visit at which the rule lets them, and the decision is (nearly) a function
of the recorded history: the positivity g-estimation needs is gone.  This page shows where that happens (the
realised share against the cell's), the starts' mean fitted probability of not starting (the measure of
alscell.analysis.decision_overlap, for the default's decision model and the named one), how often its warning
fires, and the estimates' bias and rejection under no effect (truth 0), judged against ±2 MCSE at the nominal
values (Morris, White & Crowther, Stat Med 2019).

    .venv/bin/python benchmarks/decision_overlap.py --workers 2 --cohorts 20 --raw docs/data/decision_overlap.csv --write-md docs/decision_overlap.md
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibration import world_specs
from decision_occasions import OCCASIONS, OVERLAP_WARNING
from named_inputs import NAMED, judged_cells, resolved
from results_page import add_raw_arguments, finish, stored_or_run

ENTROPY = 20261209
SHARES = (0.05, 0.3, 0.6)
# a cell whose realised share is below this fraction of its own treats every patient its rule ever lets it
SATURATED = 0.9
# the default history when this page was run (before 2026-12-07's switch to "measures_only":
# docs/world22_measures_only.md)
HISTORY = "standard"


def named(world: str) -> dict:
    """The named g-estimate's options for ``world``: its names as splines, and its recorded decision occasions
    where it records them (decision visits, visits left out: the second of decision_occasions.JUDGED), else the lag
    of its rule."""
    when = {"decision_visits": "occasions"} if world in OCCASIONS else {"decision_lag_days": "lag"}
    return resolved({"adjust_for": "named", "adjust_shape": "spline"} | when, world)


def null_cohort(world: str, n: int, share: float, seed: int) -> tuple:
    """(tables, share treated) of one cohort of ``world`` under no effect, with its recorded decision occasions where
    the world records them."""
    import calibration

    tables = calibration._cohort(world, n, share, 0.0, int(seed), record_occasions=world in OCCASIONS)
    return tables, tables["treatments"]["patient_id"].nunique() / tables["patients"]["patient_id"].nunique()


def run_chunk(items: list[tuple], n: int) -> list[dict]:
    """Each (world, share, seed) cohort under no effect: the realised share, the default and the named estimate."""
    warnings.simplefilter("ignore")
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:  # Dask worker processes
        sys.path.insert(0, here)
    from alscell.analysis.errors import NotApplicable
    from alscell.analysis.g_estimation import g_estimation

    rows = []
    for world, share, seed in items:
        tables, treated = null_cohort(world, n, share, seed)
        for variant, kwargs in (("default", {}), ("named", named(world))):
            row = dict(world=world, n=n, share=share, seed=int(seed), variant=variant, treated=treated)
            try:
                e = g_estimation(tables, **({"history": HISTORY} | kwargs))
                row |= dict(estimate=e.estimate, ci_low=e.ci_low, ci_high=e.ci_high, se=e.se,
                            overlap=e.details.get("start_overlap", np.nan),
                            warned=any(OVERLAP_WARNING in w for w in e.warnings))  # fmt: skip
            except NotApplicable:
                row |= dict(estimate=np.nan, ci_low=np.nan, ci_high=np.nan, se=np.nan, overlap=np.nan, warned=False)
            rows.append(row)
    return rows


def markdown(raw: pd.DataFrame) -> str:
    lines = [
        "| world | patients | treated (cell) | treated (realised) | every eligible treated | estimate | cohorts | "
        "bias (MCSE) | bias / SE | rejection (MCSE) | coverage | starts' overlap (least–most) | the overlap warning |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (world, n, share, variant), d in raw.groupby(["world", "n", "share", "variant"], sort=False):
        real = float(d["treated"].mean())
        sat = "yes" if real < SATURATED * share else "no"
        o = d["overlap"]
        lines.append(
            f"| {world} | {n} | {share:.0%} | {real:.1%} | {sat} | {variant} | {judged_cells(d)} | "
            f"{o.mean():.2f} ({o.min():.2f}–{o.max():.2f}) | {d['warned'].astype(bool).mean():.0%} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--worlds", default=",".join(NAMED), help="comma-separated held-out worlds")
    ap.add_argument("--cohorts", type=int, default=20)
    ap.add_argument("--patients", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--write-md", default=None)
    add_raw_arguments(ap)
    args = ap.parse_args(argv)
    worlds = world_specs(ap, args.worlds)
    unknown = set(worlds) - set(NAMED)
    if unknown:
        ap.error(f"unknown world(s) {', '.join(sorted(unknown))}: use {', '.join(NAMED)}")

    from rich.console import Console

    from alscell.simulate.study import run_study, study_seeds

    console = Console()
    items = [(w, share, seed) for w in worlds for share in SHARES for seed in study_seeds(ENTROPY, args.cohorts)]

    def run():
        return run_study(run_chunk, items, task_args=(args.patients,), chunk=1, workers=args.workers,
                         label="decision overlap", console=console)  # fmt: skip

    raw = stored_or_run(ap, args, run)
    finish(console, markdown(raw), float(raw["run_minutes"].iloc[0]), args.write_md, MD, "decision_overlap.py", argv,
           entropy=ENTROPY, workers=args.workers, reading=READING, saturated=SATURATED)  # fmt: skip
    return 0


MD = """# Positivity: where every eligible patient is treated

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}; the cohorts are
stored, `--from-raw` rewrites the page from them).  What and why: alscell.analysis.decision_overlap.  g-estimation
under no effect on the held-out worlds (3,000 patients a cohort): "default" as `alscell effect` runs it; "named" with
what the world's rule reads that the registry records (`NAMED`, docs/named_inputs.md) as splines, and the world's
recorded decision occasions where it records them (the thirteenth to seventeenth: recorded decision dates and visit
types, its decision visits, its visits to leave out; docs/decision_occasions.md) or else its rule's shortest lag.
"treated (realised)": the share of patients with a treatment; "every eligible treated": the realised share is below
{saturated:.0%} of the cell's, so the world's rule treated everyone it ever let in at the first visit it did
(benchmarks/world_tables.share_cutoff).  "starts' overlap": the starts' mean fitted probability of not starting
(the mean over cohorts, then the least and most of a cohort); "the overlap warning": the share of cohorts warned
that it lay below 0.25.  ✗: outside ±2 MCSE of the nominal value (rejection 0.05; bias 0).

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the table above after its run (20 cohorts of 3,000 patients per cell, no effect; rerun to check).
  Which worlds were used for what: the warning's threshold (0.25) was set from probes of three to five cohorts on the
  sixth to sixteenth worlds before this page was run and registered, with the rule it is judged by, before any
  estimator ran on the seventeenth world (written blind in the same session; benchmarks/decision_occasions.py).  The
  seventeenth's rows here are the page's only held-out ones, for the threshold.
* **Where every eligible patient is treated.**  In nine of the eleven earlier worlds the "60%" cell treats 37% to 51%
  of patients (the sixth, seventh and tenth to sixteenth), and the seventh does so at every share: fewer are ever
  eligible than the share asks, so the world's rule treats each at the first visit it may.  The eighth and ninth
  reach their 58% and 60%, and the seventeenth its 58%, with chance left in each decision (its willingness term).
* **The named decision models see it.**  With the world's recorded rule inputs named, the starts' mean probability of
  not starting falls below 0.25 — the warning fires in every cohort — in seven 60% cells (the sixth, eighth and
  twelfth to sixteenth; 0.02 to 0.23), and in none of the 5% or 30% cells (0.36 and above).  The default's own decision
  model, which does not hold what those rules read, sees it in the eighth world's 60% cell only (0.16; the fifteenth's
  0.26 fires in 15% of cohorts): to it those decisions look like chance, and its leans there come from what it lacks,
  not from positivity.  The seventh world is saturated at every share yet never warned (0.81 and above): its
  eligibility is nothing either model holds.
* **What the estimate does where it fires.**  In the seven warned named cells the estimate's spread between cohorts
  is 1.5 to 8 times that of the same world's 30% cell (MCSE 0.007 to 0.042 against 0.005 to 0.016), and its mean is
  +0.03 to +0.16 in six of them (−0.003 on the fourteenth); five of those six are within their bias band only because
  the spread is so large, and the fifteenth's (+0.158, MCSE 0.042) is not.  The rejection stays at or below its band except on the
  fifteenth and sixteenth (0.15 and 0.20): the sandwich SE grows with the spread.  So the warning marks estimates to
  distrust for their instability, not a known direction.
* **What it does not catch.**  Leans without a positivity problem stay silent: the named estimate on the tenth and
  eleventh worlds at 60% (+0.154 and +0.061, overlap 0.40) and in several 5% and 30% cells (at 30% the sixth, tenth to
  twelfth and fifteenth), and the default's leans but one (up to +0.145; its eighth-world 60% cell, +0.118, is
  warned).  Those are other failures (docs/evidence.md).
* **The held-out seventeenth world**: no cell warned (the names' 0.43 at 60%, 0.79 at 30%), and the named estimate
  within its bias band in all three cells (+0.005 to +0.011); the default leans +0.044 to +0.055.  Its 60% cell is
  not saturated, so it tests the warning's silence, not its firing."""


if __name__ == "__main__":
    raise SystemExit(main())

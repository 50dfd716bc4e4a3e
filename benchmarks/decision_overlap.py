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

    .venv/bin/python benchmarks/decision_overlap.py --workers 2 --cohorts 6 --raw docs/data/decision_overlap.csv --write-md docs/decision_overlap.md
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
from decision_occasions import OCCASIONS, OVERLAP_WARNING, options
from named_inputs import LAG, NAMED, judged_cells
from results_page import add_raw_arguments, finish, stored_or_run

ENTROPY = 20261209
SHARES = (0.05, 0.3, 0.6)
# the named variant where the world records its decision occasions: the second of decision_occasions.JUDGED
OCCASIONS_VARIANT = "named, dates + types, decision visits, left out, spline"
# a cell whose realised share is below this fraction of its own treats every patient its rule ever lets it
SATURATED = 0.9


def named(world: str) -> dict:
    """The named g-estimate's options for ``world``: its names as splines, and its recorded decision occasions
    where it records them (else the lag of its rule)."""
    if world in OCCASIONS:
        return options(OCCASIONS_VARIANT, world)
    return {"adjust_for": NAMED[world], "decision_lag_days": LAG[world], "adjust_shape": "spline"}


def run_chunk(items: list[tuple], n: int) -> list[dict]:
    """Each (world, share, seed) cohort under no effect: the realised share, the default and the named estimate."""
    warnings.simplefilter("ignore")
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:  # Dask worker processes
        sys.path.insert(0, here)
    import calibration
    from alscell.analysis.errors import NotApplicable
    from alscell.analysis.g_estimation import g_estimation

    rows = []
    for world, share, seed in items:
        tables = calibration._cohort(world, n, share, 0.0, int(seed), record_occasions=world in OCCASIONS)
        treated = tables["treatments"]["patient_id"].nunique() / tables["patients"]["patient_id"].nunique()
        for variant, kwargs in (("default", {}), ("named", named(world))):
            row = dict(world=world, n=n, share=share, seed=int(seed), variant=variant, treated=treated)
            try:
                e = g_estimation(tables, **kwargs)
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
    ap.add_argument("--cohorts", type=int, default=6)
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

READING = """* Not yet written."""


if __name__ == "__main__":
    raise SystemExit(main())

"""Which slope change does g-estimation estimate on the fifth world?  Two truths side by side.

On docs/calibration_world5.md `g_estimation` reads the realised slope change high under an effect.  The
fifth world's effect is not one slope change: it starts a month after each cycle, lasts a year and differs
between patients, so "the slope change" depends on the horizon and on how patients are weighted.  The
world's own truth (``truth_realised``, chosen by its author) averages each treated patient's slope change
through the origin over *all* their observed post-treatment visits, years for some.  The g-estimator's
window is 24 months after each decision visit.  This page adds, after the fact, a second truth computed
by the world from the same expected totals and changing none of its data: the slope change over the
first 24 months after treatment (``truth_window``: per treated patient, least squares with an intercept
over the visits from the treatment visit to 24 months after it).  How much of the gap is the horizon, and
how much is left?  A diagnosis, not a tuning: nothing in the estimator changes here.

    .venv/bin/python benchmarks/world5_estimand.py --workers 2 --write-md docs/world5_estimand.md
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

ENTROPY = 20261217
CELLS = tuple((share, effect) for share in (0.05, 0.3, 0.6) for effect in (0.0, 0.2, 0.5))


# Per world on an estimand page: its module and simulator, and the second truth's column and attribute
SECOND_TRUTH = {
    "world5": ("fifth_world", "simulate_world5", "window", "truth_window"),
    "world3": ("third_world", "simulate_world3", "recorded", "truth_recorded"),
}


def run_chunk(items: list[tuple], n: int, method: str, world: str = "world5") -> list[dict]:
    """Each ((share, E), seed) cohort of ``world`` estimated: the estimate, its interval and the two truths
    (the world's realised one and :data:`SECOND_TRUTH`'s; 0 under no effect)."""
    warnings.simplefilter("ignore")
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:  # Dask worker processes
        sys.path.insert(0, here)
    import importlib

    from alscell.analysis.effects import estimate_effect

    module, name, column, attribute = SECOND_TRUTH[world]
    simulate = getattr(importlib.import_module(module), name)
    rows = []
    for (share, effect), seed in items:
        c = simulate(n, effect, share, int(seed))
        e = estimate_effect(c.tables, method=method)
        rows.append({"share": share, "E": effect, "seed": int(seed), "estimate": e.estimate, "ci_low": e.ci_low,
                     "ci_high": e.ci_high, "realised": c.truth_realised if effect else 0.0,
                     column: getattr(c, attribute) if effect else 0.0})  # fmt: skip
    return rows


def markdown(raw: pd.DataFrame, second: str = "24-month truth", column: str = "window") -> str:
    """The page's table: the mean estimate, then bias (MCSE) and coverage against the world's realised truth
    and against a second truth (``column`` of ``raw``, headed ``second``)."""
    lines = [
        "| share | E | cohorts | mean estimate | realised truth | bias against it (MCSE) | coverage | "
        f"{second} | bias against it (MCSE) | coverage |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (share, eff), d in raw.groupby(["share", "E"], sort=False):
        k = len(d)
        cells = []
        for t in ("realised", column):
            b = (d["estimate"] - d[t]).to_numpy(float)
            cov = float(((d["ci_low"] <= d[t]) & (d[t] <= d["ci_high"])).mean())
            cells.append(f"{d[t].mean():+.3f} | {b.mean():+.3f} ({b.std(ddof=1) / np.sqrt(k):.3f}) | {cov:.2f}")
        lines.append(f"| {share:.0%} | {eff} | {k} | {d['estimate'].mean():+.3f} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--cohorts", type=int, default=40)
    ap.add_argument("--patients", type=int, default=3000)
    ap.add_argument("--method", default="g_estimation")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--write-md", default=None)
    args = ap.parse_args(argv)

    from rich.console import Console

    from alscell.simulate.study import run_study, study_seeds

    console = Console()
    items = [(cell, seed) for cell in CELLS for seed in study_seeds(ENTROPY, args.cohorts)]
    t0 = time.perf_counter()
    rows = run_study(
        run_chunk, items, task_args=(args.patients, args.method), chunk=4, workers=args.workers,
        label="world5 estimand", console=console,
    )  # fmt: skip
    minutes = (time.perf_counter() - t0) / 60
    finish(
        console, markdown(pd.DataFrame(rows)), minutes, args.write_md, MD, "world5_estimand.py", argv,
        entropy=ENTROPY, cohorts=args.cohorts, n=args.patients, method=args.method, workers=args.workers,
        reading=READING,
    )  # fmt: skip
    return 0


MD = """# Fifth world: which slope change does the estimator estimate?

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}).  Why this page
exists and what the two truths are: the docstring of `benchmarks/world5_estimand.py`.  `{method}` on
{cohorts} fifth-world cohorts of {n} patients per cell; under no effect both truths are 0.  The "24-month
truth" was added after `docs/calibration_world5.md` was first run; it changes none of the world's data.

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the table above after the first full run (rerun to check).  **Roughly 30 to 50% of the
  gap under an effect is the horizon.**  Against the slope change over the first 24 months after treatment
  (the span of the estimator's window) `g_estimation`'s bias at E = 0.5 falls from +0.063 to +0.068 to
  +0.032 to +0.046 points/month, at E = 0.2 from +0.026 to +0.028 to +0.016 to +0.020, and coverage rises
  (0.03 → 0.40 at 30% treated, E = 0.5).  The world's own truth averages each patient's slope through the
  origin over all observed post-treatment visits, years for some, while the effect stops a year after the
  last cycle: under an effect that is not one slope change "the slope change" depends on the horizon, and
  the two truths are both reasonable answers to different questions.
* **The rest is not the horizon.**  Under no effect the estimator leans towards benefit by +0.011 to +0.013
  (0.85–0.90 coverage of 0 with 40 cohorts; docs/world5_ablation.md looks for the piece), and under an
  effect the bias against the 24-month truth grows with E (+0.016 to +0.020 at E = 0.2, +0.032 to +0.046 at
  E = 0.5): the effect differs between patients here (in proportion to the speed of their active domains),
  and the structural model's single δ is then in general a weighted average of the patients' effects with weights set
  by the decision model's residuals (A − p) and the window slopes, not the treated patients' plain average.
  A blip function with effect modifiers (δ depending on the history, averaged over the starters; Vansteelandt
  & Joffe, Stat Sci 2014) is the known answer; it was not built when this was written.  (Added later: it is
  now, `--modifiers`, and on this world its starters' average is the single δ within 0.005 although it finds
  the modification by speed in 93–100% of cohorts — `docs/g_modifiers.md` — so this weighting is not the gap.)
* The truth over 24 months was added after docs/calibration_world5.md was first run, to see where the gap
  comes from; the calibration page keeps the world author's truth, and nothing in the estimator was changed
  here."""


if __name__ == "__main__":
    raise SystemExit(main())

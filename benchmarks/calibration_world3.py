"""The methods' calibration on a held-out third world (benchmarks/third_world.py).

docs/calibration.md judges the methods on ``alscell.simulate`` and on the second world, but the default's
settings and its warnings were chosen over many sessions while looking at both, so neither is an
out-of-sample check any more.  The third world was written afterwards, differs from both in every piece
(plateaus instead of smooth decline, death as a hitting time, irregular visits that follow the observed
drop, treatment by access and an eligibility cut-off, responders and non-responders, missing items) and was
committed before this benchmark first ran on it.  Same design, measures, MCSEs and judgement as
docs/calibration.md (Morris, White & Crowther 2019): sizes {200, 1,000, 3,000} × treated share {5%, 30%, 60%}
× effect {0, 0.2, 0.5}, 100 cohorts per cell, its own seeds.

    .venv/bin/python benchmarks/calibration_world3.py --workers 2 --write-md docs/calibration_world3.md
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibration import EFFECTS, METHODS, SHARES, SIZES, markdown_table, performance, run_chunk, summary, summary_lines
from results_page import finish

ENTROPY = 20261209
WORLD = "world3"


def main(argv=None) -> int:
    return held_out_main(argv, WORLD, ENTROPY, MD, READING, "calibration_world3.py", __doc__)


def held_out_main(argv, world: str, entropy: int, md: str, reading: str, script: str, doc: str | None) -> int:
    """The calibration of a held-out world (this script's and calibration_world4.py's): every method on
    ``world`` cohorts, judged against E and against each cohort's realised slope change, written to ``md``."""
    ap = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    ap.add_argument("--cohorts", type=int, default=100)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated cohort sizes")
    ap.add_argument("--shares", default=",".join(map(str, SHARES)), help="comma-separated treated shares")
    ap.add_argument("--methods", default=",".join(METHODS), help="comma-separated methods")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--write-md", default=None)
    args = ap.parse_args(argv)
    sizes = tuple(int(x) for x in args.sizes.split(","))
    shares = tuple(float(x) for x in args.shares.split(","))
    methods = tuple(args.methods.split(","))

    from rich.console import Console

    from alscell.simulate.study import run_study, study_seeds

    console = Console()
    seeds = study_seeds(entropy, args.cohorts)
    items = [(world, n, s, sd) for n in sorted(sizes, reverse=True) for s in shares for sd in seeds]
    t0 = time.perf_counter()
    rows = run_study(
        run_chunk, items, task_args=(EFFECTS, methods), chunk=4, workers=args.workers,
        label=f"calibration, {world}", console=console,
    )  # fmt: skip
    minutes = (time.perf_counter() - t0) / 60
    raw = pd.DataFrame(rows)
    perf, realised = performance(raw), performance(raw, truth="truth_realised")
    lines = summary_lines(summary(perf))
    lines_realised = summary_lines(summary(realised))
    console.print(lines, "", markdown_table(realised), lines_realised, markup=False, soft_wrap=True)
    finish(
        console, markdown_table(perf), minutes, args.write_md, md, script, argv,
        entropy=entropy, cohorts=args.cohorts, workers=args.workers, summary=lines, reading=reading,
        table_realised=markdown_table(realised), summary_realised=lines_realised,
    )  # fmt: skip
    return 0


MD = """# Calibration on a held-out third world

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}).  The world
is `benchmarks/third_world.py` (its docstring lists every piece); the design, the columns and the judgement
are those of `docs/calibration.md` (read its first section), {cohorts} cohorts per cell.  "The default" on this page is `lmm_counterfactual`, the default of `alscell effect` when it was
written; since 2026-12-04 the default is `g_estimation`, chosen partly on this page (docs/evidence.md, "Which
estimator is the default").

## Against the simulated effect E

The truth is the simulated mean slope change E, as on the other pages.

{table}

{summary}

## Against the realised slope change

The scale's ceiling (48 points, 4 per item) stops a responder whose course would rise, so the slope change
the treated patients' courses actually show over their observed post-treatment visits is below E under a
large effect (`truth_realised` in benchmarks/third_world.py).  Coverage and bias judged against that
per-cohort truth (the rejection rate is that of the first table):

{table_realised}

{summary_realised}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the tables above (rerun to check).  **The default fails on the held-out world.**  Under no
  effect it leans against treatment in every cell, by 0.013 to 0.043 points/month; the lean does not shrink
  with the cohort, so in SE units it grows (−0.3 to −0.6 SE at 200 patients, −1.3 and −2.2 SE at 3,000 with 30% and
  60% able to get cells) and the type-I error reaches 0.27 and 0.56 there (0.30 at 1,000 × 60%).  Under a
  true effect the lean against E grows with the effect (−0.17 points/month at E = 0.5): about half of that is
  the scale's ceiling, which stops responders whose course would rise (the two tables' biases differ by
  about 0.09 there), the other half (about −0.08) remains against the realised truth (second table).
* **Why** (docs/world3_ablation.md, benchmarks/world3_ablation.py, the pieces switched off at 3,000 patients
  and 60%): treatment only while the observed total is still at least 25 points.  That is a decision on the
  observed past, ignorable for the likelihood only if the model's course is each patient's course; here
  courses alternate between decline and stable spells, and the patients who are still eligible when they
  decide are disproportionately in a stable stretch that the straight line reads as a slower slope, so the
  decline that resumes after treatment looks like a worse course.  Without the cut-off the lean goes
  (−0.002, MCSE 0.002); without the stable spells it is a fifth of the size but still there.
* **What warned**: before this page, nothing — the few-treated warning fires at 200 × 5% (about 7 treated
  patients), but the selection warning ("losing points at different rates") and the trigger-drop warning fire
  in at most 8% of cohorts: this world chooses neither by the true slope nor after steep drops.  The
  pre-trend warning (`alscell.analysis.pretrend`, written after the first run of this page showed the gap;
  its 6-month window and 5% level were fixed before it was measured) fires in 60–100% of the cohorts of
  the cells with 30% or 60% treated at 1,000 and 3,000 patients, where the default fails worst; at 200
  patients and with 5% treated the test has little power (0–31% of cohorts) while the lean under effects 0
  and 0.2 is a third to two thirds of the SE.  So the "cell named, reason, warning" clause of issue 10 is **not** met on this world: 15
  of the default's 27 failing cells have a warning in at least half their cohorts (3 the few-treated, 12 the
  pre-trend warning); the other 12 are the cells with 200 patients or 5% treated, where the test has little power.
* **The alternatives**: `lmm_bounded` (the default's model with the scale's floor and ceiling) fails in the
  same cells.  `g_estimation`, whose decision model contains the observed level, leans about half as much
  under no effect (type-I error within band in 7 of 9 null cells, 0.11 and 0.13 at 3,000 patients) and
  against the realised truth its interval covers within band in 21 of 27 cells; its trigger-drop and
  pre-trend columns show "—" because those warnings belong to the mixed models.
* **Against our estimand** (added 2026-12-05; not from these tables): this page's truths are the world
  author's.  docs/estimand_calibration.md judges the stored cohorts of the default and `nuisance="anchored"`
  (40 per cell, the same seeds) against the recorded total's slope change over the first 24 months under a
  hypothetical strategy for death, docs/estimand_observed.md against the while-alive truth that is the
  estimand's own (docs/evidence.md, "Death, decided")."""


if __name__ == "__main__":
    raise SystemExit(main())

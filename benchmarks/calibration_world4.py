"""The methods' calibration on a held-out fourth world (benchmarks/fourth_world.py).

The default's settings and warnings were chosen while looking at ``alscell.simulate``, the second world and
the third world (docs/calibration.md, docs/calibration_world3.md), so none of them is an out-of-sample check
any more.  The fourth world was written by someone who had not tuned the default, differs from all three in
structure (a latent trait declining piecewise-linearly with a random change-point, items from a
graded-response model, referral earlier for faster progressors, site-specific visit schedules, treatment by
calendar-time access at each site, an effect that wanes, gastrostomy, NIV and death as hazards rising with
the latent bulbar and respiratory decline) and was committed before this benchmark first ran on it.  Same
design, measures, MCSEs and judgement as docs/calibration.md (Morris, White & Crowther 2019): sizes {200,
1,000, 3,000} × treated share {5%, 30%, 60%} × effect {0, 0.2, 0.5}, 100 cohorts per cell, its own seeds.

    .venv/bin/python benchmarks/calibration_world4.py --workers 2 --write-md docs/calibration_world4.md
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibration_world3 import held_out_main

ENTROPY = 20261204
WORLD = "world4"


def main(argv=None) -> int:
    return held_out_main(argv, WORLD, ENTROPY, MD, READING, "calibration_world4.py", __doc__)


MD = """# Calibration on a held-out fourth world

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}).  The world
is `benchmarks/fourth_world.py` (its docstring lists every piece); it was written by someone who had not
tuned the default and committed before this benchmark first ran on it.  The design, the columns and the
judgement are those of `docs/calibration.md` (read its first section), {cohorts} cohorts per cell.  "The default" on this page is `lmm_counterfactual`, the default of `alscell effect` when it was
written; since 2026-12-04 the default is `g_estimation`, chosen partly on this page (docs/evidence.md, "Which
estimator is the default").

## Against the simulated effect E

The truth is the nominal effect E: the slope change, in points/month, in the first 6 months after treatment
where the scale is steepest.

{table}

{summary}

## Against the realised slope change

The effect wanes (half of it from 6 months after treatment on) and the item model compresses the total
towards its floor and ceiling, so the slope change the treated patients' expected totals actually show over
their observed post-treatment visits is below E (`truth_realised` in benchmarks/fourth_world.py).  Coverage
and bias judged against that per-cohort truth (the rejection rate is that of the first table):

{table_realised}

{summary_realised}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the tables above after the first full run (rerun to check).  Judge the methods by the second
  table: E is the effect at its peak, where the scale is steepest and before it wanes, so against E every
  method looks biased by about 0.4·E (the realised slope change at E = 0.2 is about 0.12 points/month).
* **The default fails on this world too**, although who is treated and when depends only on site, calendar
  time and disease duration, never on the course.  Under no effect it leans against treatment in 8 of 9 cells
  (−0.007 to −0.035 points/month, up to −0.69 SE at 3,000 × 60%), type-I error 0.10 at 1,000 × 60% and at
  3,000 × 30% and 60%.  Under an effect it is biased against the realised slope change in every cell (−0.023
  to −0.078, a fifth to a half of it; −2.5 SE at 3,000 patients and E = 0.5), coverage down to 0.24.  No
  warning fires in at least half the cohorts of a failing cell, except the few-treated warning at 200 × 5%;
  the trigger-drop warning never fires and the pre-trend warning in at most 38% of cohorts.
  Why (docs/world4_ablation.md, pieces switched off at 3,000 × 60%): under no effect mostly the per-patient
  change-point, and the item model's S-shaped total — each course is not the line plus shared curvature the
  default assumes; under an effect, mostly the waning, which its single post-treatment slope term reads low.
* `lmm_bounded` (the default's model with the floor and ceiling of the scale) is closer: type-I error within
  band in 8 of 9 null cells (bias at most 0.2 SE), coverage within band in 18 of 27 cells, a smaller lean
  under an effect (−0.011 to −0.069 against the default's −0.023 to −0.078).
* **`g_estimation` is calibrated here**: coverage of the realised slope change within 0.95 ± 2 MCSE in 27 of
  27 cells, type-I error in 9 of 9, bias within 2 MCSE of 0 in 22 of 27 (the other five −0.014 to +0.007,
  at most 0.27 SE).  Its price is precision: its empirical SE is 1.2–1.5 times the default's.  Its
  decision model is right here by construction of the world (treatment does not depend on the course), which
  is the half of its double robustness that carries it; on the second world, where treatment follows the
  true slope, it fails worse than the default (docs/calibration.md).
* **Against our estimand** (added 2026-12-05; not from these tables): this page's truths are the world
  author's.  docs/estimand_calibration.md judges the stored cohorts of the default and `nuisance="anchored"`
  (40 per cell, the same seeds) against the recorded total's slope change over the first 24 months under a
  hypothetical strategy for death, docs/estimand_observed.md against the while-alive truth that is the
  estimand's own (docs/evidence.md, "Death, decided")."""


if __name__ == "__main__":
    raise SystemExit(main())

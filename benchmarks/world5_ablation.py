"""Which piece of the held-out fifth world makes an estimator lean there (docs/calibration_world5.md).

The design of benchmarks/world4_ablation.py: the world's pieces (``fifth_world.PIECES``) switched off one at a
time and all together with the same random numbers, the default (``g_estimation``) at 3,000 patients and 60%
treated (a cell of docs/calibration_world5.md where it is outside its bands), 40 cohorts per row, under no
effect and under E = 0.2 (judged against each cohort's realised slope change, ``truth_realised``).  A
diagnosis after the fact, not a tuning: nothing in the estimator was changed on this page.

    .venv/bin/python benchmarks/world5_ablation.py --method g_estimation --workers 2 --write-md docs/world5_ablation.md
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fifth_world import PIECES
from world3_ablation import ablation_rows
from world4_ablation import ablation_main

ENTROPY = 20261216
EFFECTS = (0.0, 0.2)
PIECE_SETS: tuple[tuple[str, ...], ...] = ((), *((p,) for p in PIECES), tuple(PIECES))
VARIANTS = tuple((e, off) for e in EFFECTS for off in PIECE_SETS)


def run_chunk(items: list[tuple], n: int, share: float, method: str = "g_estimation") -> list[dict]:
    from fifth_world import simulate_world5

    return [
        {"E": effect, **row}
        for (effect, off), seed in items
        for row in ablation_rows(simulate_world5, [(off, seed)], n, share, method, effect)
    ]


def main(argv=None) -> int:
    return ablation_main(
        argv, run_chunk, VARIANTS, PIECES, ENTROPY, MD, READING, "world5_ablation.py", __doc__, "g_estimation"
    )


MD = """# Fifth world: which piece makes the estimator lean

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}).  The
calibration is `docs/calibration_world5.md`; the world `benchmarks/fifth_world.py`.

The estimator `{method}` on fifth-world cohorts of {n} patients, {share:.0%} of them treated, with pieces of
that world switched off (the random numbers stay the same, so each variant differs from the default world in
the named pieces only):

{pieces}

## Under no effect

{table_null}

## Under E = 0.2, against the realised slope change

{table_effect}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the tables above after the first full run (rerun to check; the row with every piece off was
  rerun after `fit_logistic` learned step-halving: before, the decision model diverged there and the
  estimator refused).  **Under no effect no single piece makes the lean** (+0.017, 0.88 SE, in this cell):
  switched off one at a time, none brings it within 2 MCSE of 0 (missing items off: +0.010; spread, rater
  or death off make it larger, +0.019 to +0.052), and with every piece off +0.008 (0.92 SE) remains.  So it
  is not the runs of poor visits, the missed visits, the loss or the cycles: it sits in what stays with
  every piece off — four domains that each fall in a straight line to their floor, and an eligibility rule
  on the recorded respiratory subscore.  docs/world5_history.md adds to the estimator's history: age and
  site leave the lean; the four domain subscores remove it with every piece off (+0.0090 → −0.0034, 60
  cohorts) but not in the full world (+0.0102 → +0.0105).  The history summarises the total only; where the
  decision or the future course depends on which domains are still falling, that is not enough.  Left for
  a later session (a change of the default's history is a change of the default, to be judged on every world).
* **Under an effect, follow-up is most of the rest**: without death the bias against the realised slope
  change triples (+0.060, coverage 0): everyone is followed for years after the effect stopped, which the
  world's truth averages in and the 24-month window does not (docs/world5_estimand.md).  With every piece
  off (one cycle, no delay) the bias is −0.001 (coverage 0.93).  The delay of a month adds a little (+0.024
  without it against +0.031), repeat cycles little.
* The pre-trend warning is the mixed model's and is not computed for `g_estimation` (0% throughout)."""

if __name__ == "__main__":
    raise SystemExit(main())

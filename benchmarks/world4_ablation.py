"""Which piece of the held-out fourth world makes the default lean there (docs/calibration_world4.md).

The design of benchmarks/world3_ablation.py: the world's pieces (``fourth_world.PIECES``) switched off one at
a time and all together with the same random numbers, the default at 3,000 patients and 60% treated (a cell of
docs/calibration_world4.md where it leans), 40 cohorts per row, under no effect and under E = 0.2 (judged
against each cohort's realised slope change, ``truth_realised``); besides the bias, how often the pre-trend
warning fires.

    .venv/bin/python benchmarks/world4_ablation.py --workers 2 --write-md docs/world4_ablation.md
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fourth_world import PIECES
from results_page import finish
from world2_ablation import ablation_parser, run_variants
from world3_ablation import ablation_rows, markdown

ENTROPY = 20261214
EFFECTS = (0.0, 0.2)
PIECE_SETS: tuple[tuple[str, ...], ...] = ((), *((p,) for p in PIECES), tuple(PIECES))
# a variant is (effect, pieces switched off); run_variants pairs each with every seed
VARIANTS = tuple((e, off) for e in EFFECTS for off in PIECE_SETS)


def run_chunk(items: list[tuple], n: int, share: float, method: str = "lmm_counterfactual") -> list[dict]:
    from fourth_world import simulate_world4

    rows = []
    for (effect, off), seed in items:
        for row in ablation_rows(simulate_world4, [(off, seed)], n, share, method, effect):
            rows.append({"E": effect, **row})
    return rows


def tables(raw: pd.DataFrame) -> dict[str, str]:
    """One markdown table per effect (the bias under an effect is against the realised slope change)."""
    null, eff = raw[raw["E"] == 0.0], raw[raw["E"] != 0.0]
    return {
        "table_null": markdown(null.drop(columns="E")),
        "table_effect": markdown(
            eff.drop(columns="E"), bias="bias against the realised slope change", truth="the realised slope change"
        ),
    }


def main(argv=None) -> int:
    return ablation_main(argv, run_chunk, VARIANTS, PIECES, ENTROPY, MD, READING, "world4_ablation.py", __doc__)


def ablation_main(argv, chunk_fn, variants, pieces: dict, entropy: int, md: str, reading: str, script: str,
                  doc: str | None, method: str = "lmm_counterfactual") -> int:  # fmt: skip
    """A held-out world's ablation page (this script's and world5_ablation.py's): every variant through
    ``chunk_fn`` at ``--share`` (60%), one table under no effect and one under the effect."""
    ap = ablation_parser(doc)
    ap.add_argument("--share", type=float, default=0.6)
    ap.set_defaults(method=method)
    args = ap.parse_args(argv)

    from rich.console import Console

    console = Console()
    raw, minutes = run_variants(chunk_fn, variants, entropy, args, script.removesuffix(".py"), console)
    t = tables(raw)
    finish(
        console, t["table_null"] + "\n\n" + t["table_effect"], minutes, args.write_md, md, script,
        argv, entropy=entropy, n=args.patients, share=args.share, method=args.method, workers=args.workers,
        pieces="\n".join(f"* `{k}`: {v}" for k, v in pieces.items()), reading=reading, **t,
    )  # fmt: skip
    return 0


MD = """# Fourth world: which piece makes the default lean

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}).  The
calibration is `docs/calibration_world4.md`; the world `benchmarks/fourth_world.py`.

The estimator `{method}` on fourth-world cohorts of {n} patients, {share:.0%} of them treated, with pieces of
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

READING = """* Written from the tables above after the first full run (rerun to check).  **Under no effect no single
  piece makes the lean.**  The change-point makes most of it: without it the bias falls from −0.009 to −0.002
  (−0.55 to −0.29 SE, still outside 2 MCSE of 0).  With every piece off — a straight latent decline, one
  schedule, no dropout — −0.007 remains: the graded-response items turn a straight latent decline into an
  S-shaped total, and without death every patient is followed towards the floor (as on the second and third
  worlds).  So the default's lean here is its course model: each patient's course is not the line plus the
  shared curvature it assumes.  Without the early referral of fast progressors, the site schedules, the
  calendar-time access or the disease-duration cut-off the lean stays (−0.009 to −0.015).
* **Under an effect the waning adds most of the rest**: with an effect that does not wane the bias against
  the realised slope change is +0.001 (coverage 0.95).  A slope change that halves after 6 months is not one
  slope change; the default's single post-treatment slope term weighs the months differently from the
  realised average (per patient, over the observed post-treatment visits), so it reads the waning effect low.
  Which average is "the" effect is part of the estimand (docs/evidence.md), but the realised one is what
  g_estimation recovers here (docs/calibration_world4.md).
* The pre-trend warning fires in 0–45% of cohorts where the default leans, except without dropout (100%:
  everyone followed into the floor bends the course before treatment); it is not a warning for this world."""

if __name__ == "__main__":
    raise SystemExit(main())

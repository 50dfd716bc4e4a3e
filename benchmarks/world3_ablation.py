"""Which piece of the held-out third world makes the default lean there (docs/calibration_world3.md).

The same design as benchmarks/world2_ablation.py: the world's pieces (``third_world.PIECES``) switched off
alone and together with the same random numbers, the default under no effect at 3,000 patients and 60%
treated (the cell of docs/calibration_world3.md with the largest lean), 40 cohorts per row; besides the
bias, how often the pre-trend warning (``alscell.analysis.pretrend``) fires.

    .venv/bin/python benchmarks/world3_ablation.py --workers 2 --write-md docs/world3_ablation.md
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibration import PRETREND_WARNING
from results_page import finish
from third_world import PIECES
from world2_ablation import ablation_parser, bias_cells, run_variants, summarise

ENTROPY = 20261210
VARIANTS: tuple[tuple[str, ...], ...] = (
    (),
    ("plateaus",),
    ("eligibility",),
    ("visit_timing",),
    ("loss",),
    ("death",),
    ("plateaus", "eligibility"),
    tuple(PIECES),
)


def run_chunk(items: list[tuple], n: int, share: float, method: str = "lmm_counterfactual") -> list[dict]:
    from third_world import simulate_world3

    return ablation_rows(simulate_world3, items, n, share, method)


def ablation_rows(simulate, items: list[tuple], n: int, share: float, method: str, effect: float = 0.0) -> list[dict]:
    """The estimate, its interval and whether the pre-trend warning fired, for each (pieces switched off, seed)
    item on ``simulate(n, effect, share, seed, off)`` cohorts (shared with world4_ablation).  The ``effect``
    column is the truth the bias is judged against: 0 under no effect, else the cohort's realised slope change."""
    warnings.simplefilter("ignore")
    from alscell.analysis.effects import estimate_effect

    rows = []
    for off, seed in items:
        cohort = simulate(n, effect, share, int(seed), frozenset(off))
        est = estimate_effect(cohort.tables, method=method)
        truth = cohort.truth_realised if effect else 0.0
        rows.append(dict(off=",".join(off) or "(none: the default world)", seed=seed, effect=truth,
                         estimate=est.estimate, se=est.se, ci_low=est.ci_low, ci_high=est.ci_high,
                         pretrend=any(PRETREND_WARNING in w for w in est.warnings)))  # fmt: skip
    return rows


def markdown(raw: pd.DataFrame, bias: str = "bias under no effect", truth: str = "0") -> str:
    """The table: bias (named ``bias``) and coverage of ``truth`` per variant, and the pre-trend warning's rate."""
    perf = summarise(raw)
    rate = raw.groupby("off", sort=False)["pretrend"].mean()
    lines = [
        f"| pieces switched off | cohorts | {bias} (MCSE) | bias / SE | coverage of {truth} (MCSE) | "
        "bias within 2 MCSE of 0 | pre-trend warning |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in perf.itertuples(index=False):
        lines.append(f"| {r.off} | {r.k} | {bias_cells(r)} | {rate[r.off]:.0%} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = ablation_parser(__doc__)
    ap.add_argument("--share", type=float, default=0.6)
    args = ap.parse_args(argv)

    from rich.console import Console

    console = Console()
    raw, minutes = run_variants(run_chunk, VARIANTS, ENTROPY, args, "world3 ablation", console)
    finish(
        console, markdown(raw), minutes, args.write_md, MD, "world3_ablation.py", argv,
        entropy=ENTROPY, n=args.patients, share=args.share, method=args.method, workers=args.workers,
        pieces="\n".join(f"* `{k}`: {v}" for k, v in PIECES.items()), reading=READING,
    )  # fmt: skip
    return 0


MD = """# Third world: which piece makes the default lean

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}).  The
calibration is `docs/calibration_world3.md`; the world `benchmarks/third_world.py`.

The estimator `{method}` under no effect on third-world cohorts of {n} patients, {share:.0%} of them able
to get cells, with pieces of that world switched off (the random numbers stay the same, so each variant
differs from the default world in the named pieces only):

{pieces}

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the table above (rerun to check).  The lean needs the eligibility cut-off: without it (treated
  at the first visit after deciding, whatever the total) the bias is within 2 MCSE of 0 and the pre-trend
  warning fires in 8% of cohorts, about its 5% level.  With the cut-off, the stable spells make most of it:
  without them the lean is a fifth of the size (month-to-month rates still vary, so courses are still not
  straight lines); with neither piece (row `plateaus,eligibility`) about half an SE remains.  Irregular
  visits and loss to follow-up change nothing.  Without death every patient is followed into the floor of
  the scale and the lean is five times larger (as on the second world, docs/world2_ablation.md).
* The pre-trend warning fires in every cohort wherever the cut-off decides who is treated, including the
  row without stable spells where the lean is about one SE: it detects the unusual stretch before treatment,
  not the size of the lean."""

if __name__ == "__main__":
    raise SystemExit(main())

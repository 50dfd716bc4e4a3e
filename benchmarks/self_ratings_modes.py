"""Why does ``--self-ratings outcome`` lean further on the tenth and seventeenth worlds?  A diagnosis.

On docs/world21_self_ratings.md the self-ratings in the outcome only moved the default away from 0 on the tenth
world (four assessor modes) and the seventeenth (portal self-ratings after reviews, with offsets of their own),
under no effect at 3,000 patients with 30% treated.  A lead: the rules about assessor modes — the starts rated apart
(alscell.analysis.rater: a mode's flag enters the history) and the raters after the start
(alscell.analysis.rater_drift: a mode's offset removed from the slopes where its share changes at the start) — read
the decision rows, which the option changes.  Here the same cohorts (the rule page's seeds) go through both choices
with those rules as they are and switched off (``adjust_raters=False``): if the option's move vanishes without the
rules, it came through them.  A diagnosis, not a rule: nothing here changes the default or the option.  Added in the
fortieth session, the lead the first run left: every mode's offset held (``hold_raters``' path, which holds the modes
beside the recorded raters, here with no rater recorded), with either choice; and what each world's decision reads,
read (the recorded measures in the history; the world's named inputs with its lag, benchmarks/named_inputs.py): if the
option's harm vanishes there, it came from the history losing the self-ratings' information about a course the
decision followed through something the default does not read.

    .venv/bin/python benchmarks/self_ratings_modes.py --workers 2 --raw docs/data/self_ratings_modes.csv --write-md docs/self_ratings_modes.md
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from world18_raters import page_main
from world20_hold_raters import judged_rows
from world21_self_ratings import COHORTS, ENTROPY

# the rule page's two cells of the earlier worlds where the option leaned (the same seeds: ENTROPY, COHORTS)
CELLS = {"tenth world, 3000 × 30%": "world10", "seventeenth world, 3000 × 30%": "world17"}
OFF = tuple(CELLS)
# the default history when this page was run (before 2026-12-07's switch to "measures_only":
# docs/world22_measures_only.md)
HISTORY = "standard"
MODES_HELD = "_modes_held"  # an estimator's key (not g_estimation's): every mode's offset held (modes_held)
NAMED_INPUTS = "_named"  # an estimator's key: the world's named inputs and lag (named_inputs.NAMED, LAG)
ESTIMATORS = {
    "self-ratings read": {"self_ratings": "read"},
    "self-ratings in the outcome only": {"self_ratings": "outcome"},
    "self-ratings read, the modes' rules off": {"self_ratings": "read", "adjust_raters": False},
    "self-ratings in the outcome only, the modes' rules off": {"self_ratings": "outcome", "adjust_raters": False},
    # the last page's lead (added 2026-12-07, fortieth session): every mode's offset held, as hold_raters holds them
    # where raters are recorded (these worlds record none), whether or not its share changes at the start
    "self-ratings read, every mode's offset held": {"self_ratings": "read", "hold_raters": True, MODES_HELD: True},
    "self-ratings in the outcome only, every mode's offset held": {
        "self_ratings": "outcome",
        "hold_raters": True,
        MODES_HELD: True,
    },
    # what the world's decision reads, read: the recorded measures in the history (the tenth decides on the SVC), or
    # the world's named inputs with its lag (benchmarks/named_inputs.py) — does the option's harm remain?
    "self-ratings read, the measures history": {"self_ratings": "read", "history": "measures"},
    "self-ratings in the outcome only, the measures history": {"self_ratings": "outcome", "history": "measures"},
    "self-ratings read, the world's named inputs": {"self_ratings": "read", NAMED_INPUTS: True},
    "self-ratings in the outcome only, the world's named inputs": {"self_ratings": "outcome", NAMED_INPUTS: True},
}


def modes_held(offset_columns: Callable) -> Callable:
    """alscell.analysis.rater_identity.offset_columns with, where no rater is recorded, a column per assessor mode
    other than a clinician's (labelled as raters: g-estimation's held path then holds them), the reference the
    clinician.  Unchanged where raters are recorded (every mode is held there already)."""
    from alscell.analysis.rater import rater_flags

    def columns(tables, df: pd.DataFrame, quiet=None) -> tuple:
        flags, labels, reference = offset_columns(tables, df, quiet)
        modes, present = rater_flags(tables, df)
        if labels or not len(present):
            return flags, labels, reference
        return (modes > 0).astype(float), tuple(f"rater {m}" for m in present), "clinician"

    return columns


def run_chunk(items: list[tuple]) -> list[dict]:
    """Each (cell, seed) cohort under no effect, 30% treated, 3,000 patients, through every estimator."""
    import warnings

    warnings.simplefilter("ignore")
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:  # Dask worker processes
        sys.path.insert(0, here)
    import alscell.analysis.g_estimation as ge
    from calibration import _cohort
    from named_inputs import LAG, NAMED

    recorded = ge.offset_columns
    rows = []
    for cell, seed in items:
        world = CELLS[cell]
        tables = _cohort(world, 3000, 0.3, 0.0, int(seed), record_occasions=world == "world17")
        for estimator, options in ESTIMATORS.items():
            ge.offset_columns = modes_held(recorded) if options.get(MODES_HELD) else recorded
            asked = {"history": HISTORY} | {k: v for k, v in options.items() if k not in (MODES_HELD, NAMED_INPUTS)}
            if options.get(NAMED_INPUTS):
                asked |= {"adjust_for": NAMED[world], "decision_lag_days": LAG[world]}
            e = ge.g_estimation(tables, **asked)
            rows.append(dict(off=cell, seed=int(seed), estimator=estimator, estimate=e.estimate, se=e.se,
                             ci_low=e.ci_low, ci_high=e.ci_high, truth=0.0))  # fmt: skip
    return rows


def markdown(raw: pd.DataFrame) -> str:
    return "\n".join(judged_rows(raw, "reading them"))


def main(argv=None) -> int:
    return page_main(argv, OFF, run_chunk, markdown, MD, READING, "self_ratings_modes.py", ENTROPY, COHORTS)


MD = """# Self-ratings in the outcome only and the rules about assessor modes

Every number on this page is printed by `.venv/bin/python {command}` (stored, `--from-raw` rewrites the page from
the cohorts).  What and why: the script's docstring.  No effect (truth 0), 3,000 patients, 30% treated; the same 40
cohorts per cell in every row, and the same as docs/world21_self_ratings.md's cells of these worlds.  ✗: outside
±2 MCSE of the nominal value (bias 0, missing 0.05).

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the table above after the runs (2026-12-07: the thirty-ninth session's eight rows, then the
  fortieth's, which repeat those eight to the digit, each cohort's estimate within 5e-16).  The rows "read" and "in
  the outcome only" repeat docs/world21_self_ratings.md's cells of these worlds to the digit (the same cohorts).
* **The tenth world: not through the rules.**  With the modes' rules off the option moves the estimate by about as
  much (+0.0759 → +0.0937, against +0.0666 → +0.0856 with them), and either way it nearly doubles the spread between
  cohorts (empirical SD 0.027 → 0.045, the model SE following).
* **The seventeenth world: through them.**  Reading the self-ratings, the rules take the default from +0.1008 to
  +0.0481 (the raters after the start: the portal ratings' offsets removed from the slopes where their share changes
  at the start); with the self-ratings in the outcome only the rules do nothing (+0.0556 off, +0.0569 on) — the
  self-ratings' offsets stay in the outcome's slopes, and the rule that would remove them reads the decision rows,
  where they no longer are.  Without the rules the option takes the default's lean from +0.1008 to +0.0556.
* **The first run's lead does not hold** (the fortieth session): holding every mode's offset in the slopes,
  whether or not its share changes at the start, does not take the option's lean away — in the outcome only
  +0.0935 against +0.0856 on the tenth world, +0.0592 against +0.0569 on the seventeenth.  Reading every rating, it
  helps the tenth a little (+0.0554 against +0.0666) and harms the seventeenth (+0.0683 against +0.0481: there the
  rule that removes an offset only where its share changes at the start does better).  Not a candidate.
* **Why the tenth world leans further: the history loses the self-ratings' news of a course the decision follows
  through something else.**  That world's clinic decides on the recorded SVC and its fall (benchmarks/tenth_world.py),
  which the default's history does not read; the monthly self-ratings tell the history how the patient is declining
  between the three-monthly reviews, and so stand in for part of what the SVC carries.  With what the decision reads
  in the history the option's harm is gone: with the measures (the SVC among them) +0.0485 against +0.0507 reading
  the self-ratings (a paired difference of −0.0181 − (−0.0159) = −0.0022 by the last column), with the world's named
  inputs +0.0623 against +0.0677 (−0.0054).  The spread still grows by half or more without the self-ratings (0.031
  → 0.047 with the measures) where the history is the default's or the measures': fewer decision visits to compare.
  On the seventeenth world, whose clinic reads its own ratings and the measures, the option helps once the decision's
  inputs are read: +0.0113 against +0.0123 with the measures, +0.0013 against +0.0139 with the named inputs (within
  every band there).
* So `--self-ratings outcome` is right where the decision is taken on the clinic's own readings and the history
  reads what else it follows; where the decision follows something the history does not read, the self-ratings in
  the history are a proxy for it, and taking them out leans the estimate further.  It stays an option (as
  docs/world21_self_ratings.md found); what the decision reads remains the analyst's to name."""


if __name__ == "__main__":
    raise SystemExit(main())

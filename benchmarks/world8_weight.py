"""Why the measures alone lean the eighth world further: its weight trigger, read as a level or as a course.

On docs/g_measures_only.md the measures alone (``history="measures_only"``, the default since 2026-12-07) moved the
default toward 0 on nine seen worlds but leaned the eighth further, by +0.0052 (MCSE 0.0008; +0.0639 → +0.0690 at
3,000 patients with 30% treated, no effect).  The eighth world (benchmarks/eighth_world.py, "who is treated") calls
for cells with a probability that rises when the last recorded weight is at least 5% below the first — a course
since the first value — while the measures alone read the weight's latest value (in kg, which differs between
patients by their starting weight), its change per month since the previous value, and a flag.

Here the same 20 cohorts as that page's eighth-world row (its seeds), and the same cohorts with the world's weight
trigger switched off (its piece ``weight_trigger``), through six analyses: the standard one, the measures alone,
the standard one with the weight's course since its first value named (``adjust_for=("weight_kg",),
adjust_shape="course"``: the ratio to the first value and its rate, alscell.analysis.measure_history.course_terms),
and the measures alone with that course; then the standard history and the measures alone with the world's lag from
the call to the cells named (``decision_lag_days=21``, benchmarks/named_inputs.LAG).  If the lean's growth comes from the weight trigger, it goes with the
trigger switched off; if the course reads the trigger better than the level, naming it takes the lean down.  A
diagnosis on a seen world: it judges nothing.

    .venv/bin/python benchmarks/world8_weight.py --workers 2 --raw docs/data/world8_weight.csv --write-md docs/world8_weight.md
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from g_measures_only import COHORTS, ENTROPY
from world18_raters import page_main
from world20_hold_raters import judged_rows

CELLS = {
    "world8 (weight), 3000 × 30%": frozenset(),
    "world8, weight trigger off, 3000 × 30%": frozenset({"weight_trigger"}),
}
OFF = tuple(CELLS)
COURSE = {"adjust_for": ("weight_kg",), "adjust_shape": "course"}
ESTIMATORS = {
    "default": {"history": "standard"},  # the default's history until 2026-12-07 (g_measures_only.py's "default")
    "the measures alone": {"history": "measures_only"},
    "the weight's course, named": {"history": "standard", **COURSE},
    "the measures alone and the weight's course": {"history": "measures_only", **COURSE},
    # the call for cells 21-49 days before them (benchmarks/named_inputs.LAG["world8"]), with and without the measures
    "default, decision lag 21 days": {"history": "standard", "decision_lag_days": 21},
    "the measures alone, decision lag 21 days": {"history": "measures_only", "decision_lag_days": 21},
}


def run_chunk(items: list[tuple]) -> list[dict]:
    """Each (cell, seed) cohort of the eighth world under no effect, 30% treated, 3,000 patients (the weight trigger on
    or off), through every history."""
    import warnings

    warnings.simplefilter("ignore")
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:  # Dask worker processes
        sys.path.insert(0, here)
    from alscell.analysis.g_estimation import g_estimation
    from eighth_world import simulate_world8

    rows = []
    for cell, seed in items:
        tables = simulate_world8(3000, 0.0, 0.3, int(seed), CELLS[cell]).tables
        for estimator, options in ESTIMATORS.items():
            e = g_estimation(tables, **options)
            rows.append(dict(off=cell, seed=int(seed), estimator=estimator, estimate=e.estimate, se=e.se,
                             ci_low=e.ci_low, ci_high=e.ci_high, truth=0.0))  # fmt: skip
    return rows


def markdown(raw: pd.DataFrame) -> str:
    return "\n".join(judged_rows(raw, "the default"))


def main(argv=None) -> int:
    return page_main(argv, OFF, run_chunk, markdown, MD, READING, "world8_weight.py", ENTROPY, COHORTS)


MD = """# The eighth world's weight trigger, read as a level or as a course

Every number on this page is printed by `.venv/bin/python {command}` (stored, `--from-raw` rewrites the page from
the cohorts).  What and why: the script's docstring.  No effect (truth 0), 3,000 patients, 30% treated; the same 20
cohorts in every row (docs/g_measures_only.md's eighth-world seeds), with the world's weight trigger on and off;
"default": the standard history, the default's until 2026-12-07.  ✗: outside ±2 MCSE of the nominal value (bias 0,
missing 0.05).

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the table above after its first run (2026-12-07, forty-first session; a first run without the two
  decision-lag rows came before and gave the other rows to the digit).  The "default" and "the measures alone" rows
  with the trigger on repeat docs/g_measures_only.md's eighth-world rows to the digit (+0.0639, +0.0690, paired
  +0.0052, MCSE 0.0008): the same cohorts.
* **The +0.0052 comes from the weight trigger**: with the trigger switched off the measures alone change nothing
  (−0.0002, MCSE 0.0008).
* **Reading the trigger more fully leans the estimate further**: the weight's course since its first value — the
  quantity the world's trigger reads — moves it by +0.0300 (MCSE 0.0020), to +0.0938, with the trigger on, and by
  +0.0063 (0.0024) with it off; with the course named, the measures alone add nothing (the course's columns include
  theirs).  So the more completely the history reads a recorded cause of the call for cells, the further the
  estimate leans.  That is the pattern Pearl calls bias amplification (conditioning on a variable that moves the
  treatment more than the outcome enlarges the bias of a confounder left out: "On a class of bias-amplifying
  variables that endanger effect estimates", UAI 2010; Myers et al., Am J Epidemiol 2011); here the world leaves
  out ζ, the patient's unrecorded willingness, correlated with the frailty (benchmarks/eighth_world.py, "who is
  treated").  This page shows the pattern, not the mechanism.
* The world's lag from the call to the cells, named (`decision_lag_days=21`), changes nothing (+0.0000): the call is
  recorded as a phone visit and no visit falls between it and the cells, so the decision is already read at the call.
* For the default: the measures alone read what a clinic records and decides on; where the lean comes from what it
  does not record, reading more of what it records can add to that lean.  The eighth world is the one seen world
  where the measures alone did so (docs/g_measures_only.md), by less than the 0.01 points/month slack the switch's
  rule stated for it (benchmarks/world22_measures_only.py)."""


if __name__ == "__main__":
    raise SystemExit(main())

"""Would a perfect correction of each rating for its rater's leniency take the eighteenth world's excess noise?

docs/world18_rater_identity.md found that holding each recorded rater's offset (``hold_raters``) barely takes the
eighteenth world's excess noise at 3,000 patients with every piece on (empirical / model SE 1.23 → 1.19 on 40
cohorts), although switching the leniencies off took the ratio to 0.89 (docs/world18_raters.md); the guess that they
act through who the programme treats was refuted (docs/world18_leniency_rule.md).  Switching the leniencies off
changes what the clinic and the programme saw as well as what was recorded.  The world's piece
``leniency_in_ratings`` (added 2026-12-07, thirty-eighth session; it draws nothing else) records the same item draws
without the rater's leniency while every decision of the clinic and the programme reads the ratings as made: the
same patients, visits, treatments and deaths, only the recorded ratings corrected perfectly — what holding each
rater's offset aims at.  If the held estimate comes close to the default on the corrected ratings, cohort by cohort,
it does what a perfect correction does, and what noise remains is not the raters'.  The 100 cohorts of
docs/world18_fresh_cohorts.md (3,000 patients, 30% treated, no effect, the occasions and the raters recorded),
every piece on and with the ratings corrected, through the default as recorded and with the raters held.

    .venv/bin/python benchmarks/world18_leniency_ratings.py --workers 2 --raw docs/data/world18_leniency_ratings.csv --write-md docs/world18_leniency_ratings.md
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd

from world18_fresh_cohorts import COHORTS, ENTROPY
from world18_leniency_rule import ESTIMATORS, run_chunk
from world18_raters import markdown as pieces_table
from world18_raters import page_main

OFF = ("", "leniency_in_ratings")
HELD, DEFAULT = ESTIMATORS[1], ESTIMATORS[0]


def markdown(raw: pd.DataFrame) -> str:
    """The pieces pages' table, and the held estimate against the default on perfectly corrected ratings (paired)."""
    p = raw.pivot(index="seed", columns=["off", "estimator"], values="estimate")
    oracle = p[("leniency_in_ratings", DEFAULT)]
    lines = [pieces_table(raw), ""]
    for off, est in (("none", HELD), ("none", DEFAULT)):
        d = p[(off, est)] - oracle
        lines.append(
            f"* {est}, every piece on, minus the default on the corrected ratings, paired over the same cohorts: "
            f"{d.mean():+.4f} (MCSE {d.std(ddof=1) / np.sqrt(len(d)):.4f}), SD of the differences {d.std(ddof=1):.4f}; "
            f"correlation {p[(off, est)].corr(oracle):+.2f}."
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    return page_main(argv, OFF, run_chunk, markdown, MD, READING, "world18_leniency_ratings.py", ENTROPY, COHORTS)


__all__ = ["ESTIMATORS", "main"]

MD = """# The eighteenth world's raters: the ratings corrected perfectly

Every number on this page is printed by `.venv/bin/python {command}` (stored, `--from-raw` rewrites the page from
the cohorts).  What and why: the script's docstring.  3,000 patients a cohort, 30% treated, no effect (truth 0), the
occasions and the raters recorded; docs/world18_fresh_cohorts.md's 100 cohorts.  ✗: outside ±2 MCSE of the nominal
value (bias 0, rejection 0.05).

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Not yet read."""


if __name__ == "__main__":
    raise SystemExit(main())

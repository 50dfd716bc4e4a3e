"""The eighteenth world's cell of 3,000 patients with 30% treated under no effect, on 100 cohorts none of the earlier
pages drew: does the default lean there?

docs/world18_raters.md's 40 cohorts read +0.0269 (MCSE 0.0088) with every piece on; docs/course_terms.md's 40 others
read −0.0001 (MCSE 0.0107); docs/world18_backlog_parts.md found the first 40's value likely a high draw (every change
to the backlog moved it by as much as the whole backlog off, the pairing keeping little).  Here 100 fresh cohorts
(seeds from an entropy no earlier page used), every piece on, the occasions recorded, through the default and the
names with the recorded occasions (``decision_overlap.named``).

    .venv/bin/python benchmarks/world18_fresh_cohorts.py --workers 2 --raw docs/data/world18_fresh_cohorts.csv --write-md docs/world18_fresh_cohorts.md
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from world18_backlog_parts import ESTIMATORS, run_chunk
from world18_raters import markdown, page_main

OFF = ("",)
ENTROPY, COHORTS = 20261237, 100


def main(argv=None) -> int:
    return page_main(argv, OFF, run_chunk, markdown, MD, READING, "world18_fresh_cohorts.py", ENTROPY, COHORTS)


__all__ = ["ESTIMATORS", "main"]

MD = """# The eighteenth world at 3,000 patients, 30% treated, no effect: 100 fresh cohorts

Every number on this page is printed by `.venv/bin/python {command}` (stored, `--from-raw` rewrites the page from
the cohorts).  What and why: the script's docstring.  Every piece on, the occasions recorded.  ✗: outside ±2 MCSE of
the nominal value (bias 0, rejection 0.05).

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Not yet read."""


if __name__ == "__main__":
    raise SystemExit(main())

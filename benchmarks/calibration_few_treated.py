"""The default's calibration when 2% of patients are treated (issue 10: "correct when 2% are treated").

docs/calibration.md's smallest share is 5%.  Here the default ``lmm_counterfactual`` on both worlds with 2%
of patients treated (about 6, 20 and 60 treated patients at 300, 1,000 and 3,000), the three effects, the
same performance measures, MCSEs and judgement at the nominal values (Morris, White & Crowther 2019), the
same cohort code (``calibration.run_chunk``) and its own seeds.  Of interest besides bias and coverage: the
Bell–McCaffrey df follow the few treated patients (not the number of patients), and below 20 treated patients
the result says it is fragile.

    .venv/bin/python benchmarks/calibration_few_treated.py --workers 2 --write-md docs/calibration_few_treated.md
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibration import EFFECTS, WORLDS, markdown_table, performance, run_chunk
from results_page import finish

ENTROPY = 20261208
SHARE = 0.02
SIZES = (300, 1000, 3000)
METHOD = "lmm_counterfactual"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--cohorts", type=int, default=100)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated cohort sizes")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--write-md", default=None)
    args = ap.parse_args(argv)
    sizes = tuple(int(x) for x in args.sizes.split(","))

    from rich.console import Console

    from alscell.simulate.study import run_study, study_seeds

    console = Console()
    seeds = study_seeds(ENTROPY, args.cohorts)
    items = [(w, n, SHARE, sd) for n in sorted(sizes, reverse=True) for w in WORLDS for sd in seeds]
    t0 = time.perf_counter()
    rows = run_study(
        run_chunk, items, task_args=(EFFECTS, (METHOD,)), chunk=4, workers=args.workers,
        label="calibration, 2% treated", console=console,
    )  # fmt: skip
    minutes = (time.perf_counter() - t0) / 60
    table = markdown_table(performance(pd.DataFrame(rows)))
    finish(
        console, table, minutes, args.write_md, MD, "calibration_few_treated.py", argv, entropy=ENTROPY,
        cohorts=args.cohorts, workers=args.workers, reading=READING,
    )  # fmt: skip
    return 0


MD = """# Calibration with 2% of patients treated

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}).  The
design, the worlds, the columns and the judgement are those of `docs/calibration.md` (read its first
section); only the share treated differs: 2%, {cohorts} cohorts per cell.

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the table above (rerun to check).  **`alscell.simulate`**: with 2% treated (about 6, 19 and
  58 treated patients) the 95% interval covers the truth within the band in every cell and the type-I error
  is within its band at every size; the bias is within 2 MCSE of 0 except under the largest effect at 300
  and 1,000 patients, where it leans towards benefit by about a fifth of the SE — the lean of the 5% rows of
  docs/calibration.md.  With fewer than 20 treated patients the result says it is fragile ("warned": every
  cohort at 300, more than half at 1,000).
* **Second world**: the default leans against treatment by about half its SE under no or a small effect at
  every size, as in the 5% rows of docs/calibration.md (the treated are chosen by their own true rate of
  decline, docs/world2_ablation.md), and at 3,000 patients its interval covers too rarely (0.87–0.88).  The
  selection or few-treated warning fires in every cohort.
* At 300 patients (about 5 treated) the "cohorts" column is below 100: there the result has no estimate
  and says why (too few patients or visits after treatment for the mixed model) instead of a number.
* So at 2% treated the interval is as honest as at 5%, on each world, and the failures are the same,
  with the same warnings."""


if __name__ == "__main__":
    raise SystemExit(main())

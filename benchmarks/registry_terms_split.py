"""Which of the registry terms moves g-estimation, on one world under no effect: each added alone, then all.

On the eleventh world (held out from ``history="measures"``, docs/calibration_world11.md) the registry history
(age, months since diagnosis, ventilation and gastrostomy: ``alscell.analysis.g_estimation._registry_terms``)
leans against treatment where the default does not.  This script adds each group of those columns alone to the
standard history H (decision model and outcome regression, as ``decision_history`` does for the registry
history; columns that add no rank left out) and all of them together, and reports each estimate's bias under no
effect on the same cohorts.  It fits the estimator's core (``decision_influence``) directly, without the rater
rules or the warnings, so the "standard" row is the default's history, not the default's full result.  A
diagnosis, not a change of any estimator.

    .venv/bin/python benchmarks/registry_terms_split.py --workers 2 --write-md docs/world11_registry_terms.md
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results_page import finish

ENTROPY = 20261206
# Each row's columns of _registry_terms (alscell.analysis.g_estimation.REGISTRY_TERMS, in that order).
GROUPS = {
    "standard": (),
    "+ age": (0, 1),
    "+ time since diagnosis": (2, 3),
    "+ ventilation": (4,),
    "+ gastrostomy": (5,),
    "+ all four (the registry history)": (0, 1, 2, 3, 4, 5),
}


def run_chunk(items: list[tuple], world: str, n: int, share: float) -> list[dict]:
    """Each (world, seed) cohort under no effect through every row of :data:`GROUPS`."""
    warnings.simplefilter("ignore")
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:  # Dask worker processes
        sys.path.insert(0, here)
    import calibration
    from alscell.analysis import g_estimation as ge

    rows = []
    for seed in items:
        tables = calibration._cohort(world, n, share, 0.0, int(seed))
        df, H, post, at_risk, start = ge.decision_history(tables, "alsfrs_r_total")
        win = ge.finite_window_slopes(df, H, post[:, None], np.flatnonzero(at_risk), 0.0, ge.WINDOW_MONTHS)
        R, groups = ge._registry_terms(tables, df), df["patient_id"].to_numpy()
        for name, cols in GROUPS.items():
            keep = ge._rank_columns(H[win[0]], R[win[0]][:, list(cols)]) if cols else []
            Hx = np.column_stack([H, R[:, list(cols)][:, keep]]) if keep else H
            (delta, infl), *_ = ge.decision_influence(Hx, start, groups, [win])[0]
            rows.append(dict(seed=int(seed), history=name, estimate=float(delta[0]),
                             se=float(np.sqrt(infl[:, 0] @ infl[:, 0])), columns=len(keep)))  # fmt: skip
    return rows


def markdown(raw: pd.DataFrame) -> str:
    std = raw[raw["history"] == "standard"].set_index("seed")["estimate"]
    lines = ["| history | cohorts | columns added | bias under no effect (MCSE) | bias / SE | move from standard (MCSE) |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for name, d in raw.groupby("history", sort=False):
        b, k = d["estimate"].to_numpy(float), len(d)
        move = d.set_index("seed")["estimate"] - std
        lines.append(f"| {name} | {k} | {d['columns'].max()} | {b.mean():+.4f} ({b.std(ddof=1) / np.sqrt(k):.4f}) | "
                     f"{b.mean() / d['se'].mean():+.2f} | {move.mean():+.4f} ({move.std(ddof=1) / np.sqrt(k):.4f}) |")  # fmt: skip
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--world", default="world11")
    ap.add_argument("--cohorts", type=int, default=40)
    ap.add_argument("--patients", type=int, default=3000)
    ap.add_argument("--share", type=float, default=0.3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--write-md", default=None)
    args = ap.parse_args(argv)

    from rich.console import Console

    from alscell.simulate.study import run_study, study_seeds

    console = Console()
    t0 = time.perf_counter()
    rows = run_study(run_chunk, study_seeds(ENTROPY, args.cohorts), task_args=(args.world, args.patients, args.share),
                     chunk=1, workers=args.workers, label=f"registry terms: {args.world}", console=console)  # fmt: skip
    finish(console, markdown(pd.DataFrame(rows)), (time.perf_counter() - t0) / 60, args.write_md, MD,
           "registry_terms_split.py", argv, entropy=ENTROPY, cohorts=args.cohorts, n=args.patients, share=args.share,
           world=args.world, workers=args.workers, reading=READING)  # fmt: skip
    return 0


MD = """# Which registry term moves g-estimation on `{world}`

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}).  What and why:
the docstring of `benchmarks/registry_terms_split.py`.  g-estimation's core under no effect on {cohorts} cohorts
of {n} patients with {share:.0%} treated, the same cohorts in every row; "bias / SE": the mean estimate over the
mean SE.

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the table above after its first run (rerun to check; 40 cohorts of 3,000 patients with 30% treated,
  under no effect).  **The registry history's move on the eleventh world (−0.038, MCSE 0.001) is three terms'**:
  ventilation −0.023, age −0.008, gastrostomy −0.006; time since diagnosis adds no column there (the first visit
  is the diagnosis, so months since diagnosis is the history's months since entry).  The standard history's
  core is within 1 MCSE of 0 (−0.003).
* These are the three on which the world's eligibility is cut (no NIV, no gastrostomy, age at most 80:
  benchmarks/eleventh_world.py), so in the decision model they meet visits where treatment never happens.  The
  sixth world had a rule of the same kind (age at most 75, no NIV) and there the same terms took most of its lean
  away (docs/g_registry_calibration.md).  Why they make a lean here is not measured; what the two worlds show
  together is that the same recorded covariates mend one world's decision and lean on another's, so no fixed
  list of them is a safe default."""


if __name__ == "__main__":
    raise SystemExit(main())

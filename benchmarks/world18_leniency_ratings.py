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
every piece on and with the ratings corrected, through the default as recorded and with the raters held — and,
for the same cohorts, docs/world18_raters.md's first 40.  Each set is compared with the two versions of ``hold_raters``
before this page changed it, whose rows are stored: who rated the decision visit in the history and the history as
recorded (docs/data/world18_leniency_ratings_flags.csv, this page's first run, commit 17bd5bd, and
docs/data/world18_rater_identity.csv), then the history read from the corrected ratings with each visit still set
against its patient's straight line (docs/data/world18_leniency_ratings_line.csv, its second run).

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
from world18_raters import COHORTS as FIRST_COHORTS
from world18_raters import ENTROPY as FIRST_ENTROPY
from world18_raters import markdown as pieces_table
from world18_raters import page_main

OFF = ("", "leniency_in_ratings")
DEFAULT, HELD = ESTIMATORS
DATA = Path(__file__).resolve().parents[1] / "docs" / "data"
# the versions before, each with its stored rows: (what it did, file, the file's label of the cohorts with every piece
# on); the first is this page's first run and docs/world18_rater_identity.md's, the second this page's second run
FLAGS = "who rated the decision visit in the history, the history as recorded, each visit against its patient's line"
LINE = "the history read from the corrected ratings, each visit against its patient's line"
# (title, entropy, cohorts, the versions before)
SETS = (
    ("docs/world18_fresh_cohorts.md's 100 cohorts", ENTROPY, COHORTS,
     ((FLAGS, "world18_leniency_ratings_flags.csv", "none"), (LINE, "world18_leniency_ratings_line.csv", "none"))),
    ("docs/world18_raters.md's 40 cohorts", FIRST_ENTROPY, FIRST_COHORTS,
     ((FLAGS, "world18_rater_identity.csv", "3000 × 30%"), (LINE, "world18_leniency_ratings_line.csv", "none"))),
)  # fmt: skip


def _paired(x: pd.Series, oracle: pd.Series) -> str:
    d = (x - oracle.reindex(x.index)).dropna()
    return (
        f"{d.mean():+.4f} (MCSE {d.std(ddof=1) / np.sqrt(len(d)):.4f}), SD of the differences {d.std(ddof=1):.4f}; "
        f"correlation {x.corr(oracle.reindex(x.index)):+.2f}"
    )


def set_markdown(raw: pd.DataFrame, before: list[tuple[str, pd.DataFrame]]) -> str:
    """One set of cohorts: the pieces pages' table, each estimator with every piece on against the default on the
    perfectly corrected ratings (paired), and each version before (its stored rows, the same cohorts)."""
    p = raw.pivot(index="seed", columns=["off", "estimator"], values="estimate")
    oracle = p[("leniency_in_ratings", DEFAULT)]
    lines = [pieces_table(raw), ""]
    for est in (HELD, DEFAULT):
        lines.append(
            f"* {est}, every piece on, minus the default on the corrected ratings: {_paired(p[('none', est)], oracle)}."
        )
    for what, rows in before:
        b = rows.set_index("seed")
        sd, se = float(b["estimate"].std(ddof=1)), float(b["se"].mean())
        lines.append(
            f"* The version before with {what} (stored rows, the same cohorts, every piece on): bias "
            f"{b['estimate'].mean():+.4f} (MCSE {sd / np.sqrt(len(b)):.4f}), empirical / model SE {sd / se:.2f}, "
            f"rejection {float((b['estimate'].abs() / b['se'] > 1.959964).mean()):.3f}; minus the default on the "
            f"corrected ratings: {_paired(b['estimate'], oracle)}."
        )
    return "\n".join(lines)


def markdown(raw: pd.DataFrame) -> str:
    from alscell.simulate.study import study_seeds

    parts = []
    for title, entropy, n, versions in SETS:
        seeds = [int(s) for s in study_seeds(entropy, n)]
        before = []
        for what, file, label in versions:
            rows = pd.read_csv(DATA / file)
            rows = rows[(rows["off"] == label) & (rows["estimator"] == HELD) & rows["seed"].isin(seeds)]
            before.append((what, rows))
        parts.append(f"### {title}\n\n" + set_markdown(raw[raw["seed"].isin(seeds)], before))
    return "\n\n".join(parts)


def main(argv=None) -> int:
    sets = tuple((entropy, n) for _, entropy, n, _ in SETS)
    return page_main(argv, OFF, run_chunk, markdown, MD, READING, "world18_leniency_ratings.py", sets=sets)


__all__ = ["ESTIMATORS", "main"]

MD = """# The eighteenth world's raters: the ratings corrected perfectly

Every number on this page is printed by `.venv/bin/python {command}` (stored, `--from-raw` rewrites the page from
the cohorts).  What and why: the script's docstring.  3,000 patients a cohort, 30% treated, no effect (truth 0), the
occasions and the raters recorded; two sets of cohorts drawn before.  ✗: outside ±2 MCSE of the nominal
value (bias 0, rejection 0.05).

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the tables above after the run (2026-12-07, thirty-eighth session).  The default's rows with every
  piece on are docs/world18_fresh_cohorts.md's and docs/world18_raters.md's estimate for estimate (tested).
* **A perfect correction of the ratings takes the default's excess spread, not its lean.**  On the 100 cohorts the
  ratio of empirical to model SE 1.53 → 1.08 and the rejection rate 0.270 → 0.090, while the bias stays (+0.0220 →
  +0.0236, paired +0.0016, MCSE 0.0065); on the first 40 the ratio 1.23 → 0.99 and the bias +0.0269 → +0.0432
  (paired +0.0163, MCSE 0.0080).  A cohort's estimate with and without the leniencies correlates at only +0.48 and
  +0.49: the leniencies carry half of each cohort's error.  So the raters are this world's noise, and its lean
  (docs/world18_fresh_cohorts.md) comes from something else.
* **Holding each rater's offset now does what the perfect correction does**: on the 100 cohorts it reads +0.0004
  (MCSE 0.0022) from the default on the corrected ratings, correlating +0.89, with a ratio of 1.07; on the 40,
  −0.0050 (MCSE 0.0028), +0.91, 1.01.  It keeps the world's lean (+0.0240 and +0.0382) and, its interval now as
  wide as its spread and no wider, rejects more often where the lean is large against it (0.110 and 0.225).
* **Why the version judged on docs/world18_rater_identity.md took little of the noise there**: on those 40 cohorts it
  read −0.0161 (MCSE 0.0045) from the perfect correction and its ratio stayed 1.19 (on the 100 it came closer:
  −0.0036, 0.98).  It put who rated the decision visit in the history.  The programme's two raters rate only the
  programme's visits, so those flags let the decision model tell the programme's visits from the clinic's reviews
  (where no start ever happens), and the comparison narrowed to the programme's visits.  Reading the history from
  the corrected ratings instead, with each visit still set against its patient's straight line, took the noise but
  moved the estimate +0.0086 (MCSE 0.0022) from the correction on the 100 cohorts: with the leniencies out, the line
  found the programme's raters below the clinic's — the curve of an accelerating course read as an
  offset of the raters who rate the last visit before each start (tests/analysis/test_rater_identity.py shows the
  same on hand-made courses).  Against each patient's own quadratic (the version now) that is gone to +0.0004.
* On the corrected ratings holding still moves the estimate a little (+0.0266 against the default's +0.0236 on the
  100 cohorts, +0.0463 against +0.0432 on the 40; the phone mode, with no offset in this world, is estimated too).
* All three versions were built on this world, so it cannot judge them.  Whether holding becomes the default where
  raters are recorded is the twentieth world's rule's (written blind; benchmarks/world20_hold_raters.py,
  docs/world20_hold_raters.md)."""


if __name__ == "__main__":
    raise SystemExit(main())

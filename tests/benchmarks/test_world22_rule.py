"""benchmarks/world22_measures_only.py's registered rule, by hand on made-up cohorts of the new world (no world, no
estimator) and on the seen worlds' stored cohorts (docs/g_measures_only.md): (e) holds there with the stated bias
slack and not without it (the eighth world's +0.0052); the new world's cells judge (a) to (d)."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import world22_measures_only as page
from world20_hold_raters import cell_checks

ROOT = Path(__file__).resolve().parents[2]
K = 40


def _seen() -> pd.DataFrame:
    return pd.read_csv(ROOT / page.SEEN, float_precision="round_trip")


def _new(help_: bool, shift: float = 0.0) -> pd.DataFrame:
    """Every cell's default errors spread 0.075 with SE 0.05; the candidate's are the same cohorts' errors scaled to
    0.05 where it helps, shifted by ``shift``."""
    z = np.random.default_rng(3).standard_normal(K)
    z = (z - z.mean()) / z.std(ddof=1)
    rows = []
    for cell in page.CELLS:
        for est, err in ((page.ESTIMATORS[0], 0.075 * z), (page.ESTIMATORS[1], (0.05 if help_ else 0.075) * z + shift)):
            rows += [
                dict(
                    off=cell, seed=i, estimator=est, estimate=e, se=0.05, ci_low=e - 0.098, ci_high=e + 0.098, truth=0.0
                )
                for i, e in enumerate(err)
            ]
    return pd.DataFrame(rows)


def test_the_seen_worlds_meet_e_with_the_stated_slack_and_not_without():
    old, cells = page.seen_cells(_seen())
    assert len(cells) == 13 and set(old["estimator"]) == set(page.ESTIMATORS)
    with_slack = cell_checks(old, cells, page.ESTIMATORS, page.RATIO_SLACK, page.BIAS_SLACK, page.SEEN_RATE_SLACK)
    assert all(ok for ok, _, _ in with_slack)
    without = cell_checks(old, cells, page.ESTIMATORS, page.RATIO_SLACK, 0.0, page.SEEN_RATE_SLACK)
    failing = [line for ok, _, line in without if not ok]
    assert len(failing) == 1 and failing[0].startswith("* world8 ")


def test_the_new_world_judges_a_to_d():
    seen = _seen()
    ok, lines = page.rule(_new(help_=True), seen)
    assert ok and "* (e) no harm on the seen worlds (docs/g_measures_only.md): met" in lines
    assert not page.rule(_new(help_=False), seen)[0]  # no help anywhere: (d) fails
    assert not page.rule(_new(help_=True, shift=0.03), seen)[0]  # a lean of 0.03 beyond the slack: (a) fails
    assert page.rule(_new(help_=True, shift=0.005), seen)[0]  # within the 0.01 slack


def test_the_stored_page_rewrites_and_says_its_verdict(tmp_path):
    """docs/world22_measures_only.md rewrites from its stored cohorts, and its verdict is the rule's on them; g-estimation's
    default history is the measures alone exactly when the verdict says so."""
    from page_checks import assert_page_rewrites

    from alscell.analysis.g_estimation import DEFAULT_HISTORY

    raw = pd.read_csv(ROOT / "docs" / "data" / "world22_measures_only.csv", float_precision="round_trip")
    assert len(raw) == len(page.CELLS) * len(page.ESTIMATORS) * page.COHORTS
    ok, _ = page.rule(raw, _seen())
    stored = assert_page_rewrites(
        "world22_measures_only.py", "docs/data/world22_measures_only.csv", "docs/world22_measures_only.md", tmp_path
    )
    assert ('history="measures_only" becomes the default' in stored) == ok
    assert (DEFAULT_HISTORY == "measures_only") == ok

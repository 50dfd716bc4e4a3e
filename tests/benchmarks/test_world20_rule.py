"""benchmarks/world20_hold_raters.py's registered rule, by hand on made-up cohorts (no world, no estimator): each
criterion can fail on its own, and "helps somewhere" is needed besides doing no harm."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from page_checks import assert_page_rewrites

import world20_hold_raters as page

K = 40


def _rows(cell: str, est: str, err: np.ndarray, se: float, truth: float = 0.0) -> list[dict]:
    return [
        dict(
            off=cell,
            seed=i,
            estimator=est,
            estimate=truth + e,
            se=se,
            ci_low=truth + e - 1.96 * se,
            ci_high=truth + e + 1.96 * se,
            truth=truth,
        )
        for i, e in enumerate(err)
    ]


def _raw(held_noise: float = 0.05, held_shift: float = 0.0, held_se: float = 0.05, default_noise: float = 0.075):
    """Every cell: the default's errors spread default_noise with SE 0.05 (too narrow); the held's are the same
    cohorts' errors scaled to held_noise and shifted by held_shift, with SE held_se."""
    z = np.random.default_rng(1).standard_normal(K)
    z = (z - z.mean()) / z.std(ddof=1)
    rows = []
    for cell, (_, _, effect) in page.CELLS.items():
        rows += _rows(cell, page.ESTIMATORS[0], default_noise * z, 0.05, effect)
        rows += _rows(cell, page.ESTIMATORS[1], held_noise * z + held_shift, held_se, effect)
    return pd.DataFrame(rows)


def test_no_harm_and_help_make_it_the_default():
    ok, lines = page.verdict(_raw())
    assert ok, lines
    assert lines[-1].endswith("met") and "(c) empirical / model SE 1.00 against 1.50: met" in lines[0]


def test_a_worse_bias_fails_a():
    ok, lines = page.verdict(_raw(held_shift=0.03))
    assert not ok and "(a)" in lines[0] and "paired MCSE" in lines[0] and ": not met;" in lines[0].split("(b)")[0]


def test_no_help_anywhere_fails_d():
    ok, lines = page.verdict(_raw(held_noise=0.05, default_noise=0.05))
    assert not ok and lines[-1] == "* (d) it helps in at least one cell: not met"


def test_a_standard_error_further_from_right_fails_c():
    ok, lines = page.verdict(_raw(held_noise=0.05, held_se=0.025, default_noise=0.05))
    assert not ok and "(c) empirical / model SE 2.00 against 1.00: not met" in lines[0]


def test_the_stored_run_rewrites_its_page_and_the_default_follows_its_verdict(tmp_path):
    """The stored cohorts (40 per cell, both estimators, the same seeds) rewrite docs/world20_hold_raters.md; its
    verdict is the rule's, and g-estimation's default holds the raters exactly when the verdict says so."""
    import inspect

    from alscell.analysis.g_estimation import g_estimation

    root = Path(__file__).resolve().parents[2]
    raw = pd.read_csv(root / "docs" / "data" / "world20_hold_raters.csv")
    assert len(raw) == len(page.CELLS) * len(page.ESTIMATORS) * page.COHORTS
    assert len({frozenset(d["seed"]) for _, d in raw.groupby(["off", "estimator"])}) == 1
    ok, _ = page.verdict(raw)
    stored = assert_page_rewrites(
        "world20_hold_raters.py", "docs/data/world20_hold_raters.csv", "docs/world20_hold_raters.md", tmp_path
    )
    assert ("becomes the default" in stored) == ok
    assert (inspect.signature(g_estimation).parameters["hold_raters"].default is None) == ok


def test_the_lean_page_rewrites_from_its_cohorts(tmp_path):
    """docs/world20_lean.md: every estimator on the same 40 cohorts per cell, and the page rewrites from them."""

    import world20_lean as lean

    root = Path(__file__).resolve().parents[2]
    raw = pd.read_csv(root / "docs" / "data" / "world20_lean.csv")
    assert len(raw) == len(lean.CELLS) * len(lean.ESTIMATORS) * lean.COHORTS
    assert len({frozenset(d["seed"]) for _, d in raw.groupby(["off", "estimator"])}) == 1
    assert lean.options("names, self-ratings left out")["leave_out_visits"] == lean.SELF
    assert lean.options("names, self-ratings in the outcome only")["self_ratings"] == "outcome"
    assert_page_rewrites("world20_lean.py", "docs/data/world20_lean.csv", "docs/world20_lean.md", tmp_path)

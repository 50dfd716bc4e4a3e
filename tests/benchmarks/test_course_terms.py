"""benchmarks/course_terms.py: the registered rule applied by code (both parts, on hand-made cohorts) and the stored
page rewritten from its cohorts."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from page_checks import assert_page_rewrites

import course_terms as ct

ROOT = Path(__file__).resolve().parents[2]


def _cohorts(lean: dict[tuple[str, str], float]) -> pd.DataFrame:
    """Every cell's cohorts with both variants: estimates spread ±0.01 around the cell's lean (0 unless given),
    intervals ±0.05 (so the rejection rate is 0 or, with a large lean, high)."""
    rows = []
    spread = np.linspace(-0.01, 0.01, 20)
    for world, share, _ in ct.CELLS:
        for variant in ("spline", "course"):
            for i, e in enumerate(spread + lean.get((world, variant), 0.0)):
                rows.append(dict(world=world, share=share, seed=i, variant=variant, treated=share, estimate=e,
                                 se=0.025, ci_low=e - 0.05, ci_high=e + 0.05))  # fmt: skip
    return pd.DataFrame(rows)


def test_the_rule_needs_both_parts():
    # no lean anywhere: the blind world's cells within both bands?  The rejection rate 0 is within 0.05 ± 2 MCSE
    # at 40 cohorts (band 0.069), and part 2 ties: the course becomes the default
    text, adopted = ct.verdict(_cohorts({}))
    assert adopted and "becomes the default" in text
    # a lean of the course names on the blind world fails part 1
    text, adopted = ct.verdict(_cohorts({("world18", "course"): 0.02}))
    assert not adopted and "(1) the eighteenth world's two cells within both bands with the course names: no" in text
    # more earlier worlds outside the bias band with the course names than with the spline's fails part 2
    text, adopted = ct.verdict(_cohorts({("world9", "course"): 0.02}))
    assert not adopted and "course 9, spline 10 of 10: no" in text


def test_the_stored_page_rewrites_from_its_cohorts(tmp_path):
    stored = assert_page_rewrites("course_terms.py", "docs/data/course_terms.csv", "docs/course_terms.md", tmp_path)
    assert "Verdict: the course shape stays an option." in stored

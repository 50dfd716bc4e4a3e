"""benchmarks/stated_eligibility.py: the stated eligibility parses into conditions on columns the eighteenth world's
names give, its spline rows are docs/course_terms.md's (the same cohorts), and the stored page rewrites."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from page_checks import assert_page_rewrites

import stated_eligibility as se
from alscell.analysis.decision_inputs import parse_eligible

ROOT = Path(__file__).resolve().parents[2]


def test_the_statement_is_six_conditions_on_the_named_columns():
    terms = [t for t, _, _ in parse_eligible(se.STATED)]
    assert terms == ["time since onset", "age", "ventilation", "gastrostomy", "cnsbfs taken at the visit", "cnsbfs"]


def test_its_spline_rows_are_the_course_pages_and_the_page_rewrites(tmp_path):
    ours = pd.read_csv(ROOT / "docs" / "data" / "stated_eligibility.csv")
    theirs = pd.read_csv(ROOT / "docs" / "data" / "course_terms.csv")
    key = ["world", "share", "seed"]
    both = ours[ours["variant"] == "spline"].merge(theirs[theirs["variant"] == "spline"], on=key)
    assert len(both) == 80 and (both["estimate_x"] - both["estimate_y"]).abs().max() < 1e-12
    assert_page_rewrites(
        "stated_eligibility.py", "docs/data/stated_eligibility.csv", "docs/stated_eligibility.md", tmp_path
    )

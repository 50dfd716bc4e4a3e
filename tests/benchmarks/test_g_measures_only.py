"""benchmarks/g_measures_only.py: the stored page rewrites from its cohorts, which hold every world's 20 cohorts
through the three estimators, the default's rows those of ``history="standard"``."""

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from page_checks import assert_page_rewrites

import g_measures_only as gmo

ROOT = Path(__file__).resolve().parents[2]


def test_the_measures_alone_page_rewrites_from_its_cohorts(tmp_path):
    raw = pd.read_csv(ROOT / "docs" / "data" / "g_measures_only.csv")
    assert len(raw) == len(gmo.CELLS) * len(gmo.ESTIMATORS) * gmo.COHORTS
    assert set(raw["estimator"]) == set(gmo.ESTIMATORS) and (raw["truth"] == 0).all()
    stored = assert_page_rewrites(
        "g_measures_only.py", "docs/data/g_measures_only.csv", "docs/g_measures_only.md", tmp_path
    )
    assert "Not the default yet" in stored

"""benchmarks/small_cohort_measures.py: one small cell's cohorts through both histories with their starters and
terms, and the stored page rewrites from its cohorts."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from page_checks import assert_page_rewrites

import small_cohort_measures as scm
from alscell.simulate.study import study_seeds

ROOT = Path(__file__).resolve().parents[2]


def test_small_cohort_measures_chunk_reads_both_histories_and_their_terms():
    cell = next(c for c, (world, share) in scm.CELLS.items() if world == "world22" and share == 0.3)
    rows = pd.DataFrame(scm.run_chunk([(cell, seed) for seed in study_seeds(scm.ENTROPY, 2)]))
    assert rows["estimator"].tolist() == list(scm.ESTIMATORS) * 2
    assert np.isfinite(rows["estimate"]).all() and (rows["se"] > 0).all() and (rows["truth"] == 0).all()
    assert (rows["starters"] > 0).all()
    std, alone = (rows[rows["estimator"] == e].reset_index(drop=True) for e in scm.ESTIMATORS)
    assert (std["starters"] == alone["starters"]).all() and (std["decision_rows"] == alone["decision_rows"]).all()
    assert (alone["history_terms"] - std["history_terms"] == 12).all()  # FVC, SVC, weight and NfL: three each
    md = scm.markdown(rows)
    assert md.count(f"| {cell} |") == 3 and "Every cohort gave an estimate under both histories." in md
    gone = scm.markdown(rows.assign(estimate=rows["estimate"].where(rows.index != 1)))  # the first cohort's second
    assert f"* {cell}, the measures alone: 1 of {scm.COHORTS} cohorts gave no estimate" in gone
    assert f"| {cell} | standard | 1 |" in gone


def test_small_cohort_measures_page_rewrites_from_its_cohorts(tmp_path):
    raw = pd.read_csv(ROOT / "docs" / "data" / "small_cohort_measures.csv")
    assert len(raw) == len(scm.CELLS) * len(scm.ESTIMATORS) * scm.COHORTS
    assert set(raw["estimator"]) == set(scm.ESTIMATORS) and (raw["truth"] == 0).all()
    assert_page_rewrites(
        "small_cohort_measures.py", "docs/data/small_cohort_measures.csv", "docs/small_cohort_measures.md", tmp_path
    )

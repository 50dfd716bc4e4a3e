"""benchmarks/measures_check.py: a cohort's default estimate with the standard history's as its measures' check
reports it, the firing table, and the stored page rewrites from its cohorts."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from page_checks import assert_page_rewrites

import measures_check as mc
from alscell.simulate.study import study_seeds

ROOT = Path(__file__).resolve().parents[2]


def test_measures_check_chunk_pairs_the_default_with_the_standard_history_it_reports():
    cell = next(c for c, (world, share) in mc.CELLS.items() if world == "world8" and share == 0.3)
    rows = pd.DataFrame(mc.run_chunk([(cell, seed) for seed in study_seeds(mc.ENTROPY, 1)]))
    assert rows["estimator"].tolist() == [mc.DEFAULT, mc.STANDARD] and (rows["truth"] == 0).all()
    d, s = rows.iloc[0], rows.iloc[1]
    assert np.isfinite(d["estimate"]) and d["se"] > 0 and s["se"] > 0
    # the move is the default minus the standard history's estimate; z its ratio to the move's SE (not stored)
    assert d["move"] == pytest.approx(d["estimate"] - s["estimate"], abs=1e-12)
    assert d["z"] == s["z"] and d["fired"] == s["fired"]
    assert s["ci_low"] < s["estimate"] < s["ci_high"]
    # the table: a fired cohort where the default is nearer the truth counts as such
    twice = pd.concat([rows, rows.assign(seed=rows["seed"] + 1, fired=True)], ignore_index=True)
    f = mc.fired_frame(twice).iloc[0]
    assert (f["k"], f["fired"], f["rate"]) == (2, 1, 0.5)
    assert f["nearer"] == int(abs(d["estimate"]) < abs(s["estimate"]))
    md = mc.markdown(twice)
    assert md.count(f"| {cell} |") == 3 and "the warning fired in 1 of 2 cohorts (0.500)" in md
    assert "left out: 0." in md


def test_measures_check_page_rewrites_from_its_cohorts(tmp_path):
    raw = pd.read_csv(ROOT / "docs" / "data" / "measures_check.csv")
    assert len(raw) == len(mc.CELLS) * 2 * mc.COHORTS and (raw["truth"] == 0).all()
    assert set(raw["estimator"]) == {mc.DEFAULT, mc.STANDARD}
    assert_page_rewrites("measures_check.py", "docs/data/measures_check.csv", "docs/measures_check.md", tmp_path)

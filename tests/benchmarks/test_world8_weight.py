"""benchmarks/world8_weight.py: its page rewrites from the stored cohorts, whose trigger-on "default" and "measures
alone" rows are docs/g_measures_only.md's eighth-world cohorts (the same seeds), and each analysis reads what it says."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from page_checks import assert_page_rewrites

import world8_weight as page

ROOT = Path(__file__).resolve().parents[2]


def test_the_world8_weight_page_rewrites_and_repeats_the_seen_worlds_rows(tmp_path):
    raw = pd.read_csv(ROOT / "docs/data/world8_weight.csv", float_precision="round_trip")
    assert len(raw) == len(page.CELLS) * len(page.ESTIMATORS) * page.COHORTS
    assert_page_rewrites("world8_weight.py", "docs/data/world8_weight.csv", "docs/world8_weight.md", tmp_path)
    seen = pd.read_csv(ROOT / "docs/data/g_measures_only.csv", float_precision="round_trip")
    seen = seen[seen["off"].str.startswith("world8 ")]
    on = raw[raw["off"] == page.OFF[0]]
    for estimator in ("default", "the measures alone"):
        a = on[on["estimator"] == estimator].set_index("seed")["estimate"].sort_index()
        b = seen[seen["estimator"] == estimator].set_index("seed")["estimate"].sort_index()
        assert list(a.index) == list(b.index)
        np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=0, atol=1e-12)


def test_the_world8_weight_analyses_name_their_history():
    assert {o["history"] for o in page.ESTIMATORS.values()} == {"standard", "measures_only"}
    assert page.ESTIMATORS["default"] == {"history": "standard"}
    assert page.CELLS[page.OFF[1]] == frozenset({"weight_trigger"})
    import eighth_world

    assert "weight_trigger" in eighth_world.PIECES

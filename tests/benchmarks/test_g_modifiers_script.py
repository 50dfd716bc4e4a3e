"""benchmarks/g_modifiers.py: one cohort through every variant, its rows and its table."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import g_modifiers


def test_one_cohort_gives_a_row_per_variant_and_the_table_reads_them():
    rows = g_modifiers.run_chunk([(("simulate", 0.5, 0.5), 3), (("world5", 0.5, 0.0), 3)], 300)
    raw = pd.DataFrame(rows)
    assert len(raw) == 2 * len(g_modifiers.VARIANTS)
    sim = raw[raw["world"] == "simulate"].set_index("variant")
    assert (sim["truth"] == 0.5).all() and (raw[raw["world"] == "world5"]["truth"] == 0.0).all()
    # the modifiers' tests are recorded for the variants that have them, and only for those
    assert np.isnan(sim.loc["default", "p_decline"]) and np.isfinite(sim.loc["decline", "p_decline"])
    assert np.isnan(sim.loc["decline", "p_level"]) and np.isfinite(sim.loc["level+decline", "p_level"])
    table = g_modifiers.markdown(pd.concat([raw, raw]))  # two cohorts per cell, so that an MCSE exists
    lines = table.splitlines()
    assert len(lines) == 2 + 2 and lines[2].startswith("| simulate | 50% | 0.5 | 2 | +0.500 |")

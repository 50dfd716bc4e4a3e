"""benchmarks/sensitivity_flag.py: the threshold is chosen on `simulate` only, and the flag rates among the
cohorts whose interval misses or covers the truth are counted right (a hand-built table of cohorts)."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import sensitivity_flag as sf


def _raw() -> pd.DataFrame:
    rows = []
    # simulate: largest distances 0.1, 0.2, ..., 2.0 (20 cohorts); world2: 10 cohorts at 5.0 or 0.5
    for i in range(20):
        d = 0.1 * (i + 1)
        rows.append(dict(world="simulate", n=1000, share=0.3, effect=0.0, seed=i, estimate=0.0, se=0.1,
                         covers=i != 0, agrees=True, lmm_bounded=d, trigger_visits_out=-d / 2, g_estimation=0.0))  # fmt: skip
    for i in range(10):
        far = i < 6
        rows.append(dict(world="world2", n=1000, share=0.3, effect=0.0, seed=i, estimate=0.05, se=0.1,
                         covers=i >= 4, agrees=not far, lmm_bounded=0.0,
                         trigger_visits_out=-5.0 if far else -0.5, g_estimation=np.nan))  # fmt: skip
    return pd.DataFrame(rows)


def test_the_threshold_comes_from_simulate_alone():
    raw = _raw()
    expect = float(np.quantile(0.1 * np.arange(1, 21), 0.95))
    assert sf.threshold(raw) == pytest.approx(expect)
    # world2's far cohorts do not move it
    assert sf.threshold(raw[raw["world"] == "simulate"]) == pytest.approx(expect)


def test_flag_rates_among_misses_and_covers():
    raw = _raw()
    perf = sf.summarise(raw, 2.9).set_index("world")
    w2 = perf.loc["world2"]
    # misses: cohorts 0-3 (all far); covers: 4-9, of which 4 and 5 are far
    assert w2["flag"] == pytest.approx(0.6) and w2["misses"] == 4
    assert w2["flag_miss"] == pytest.approx(1.0) and w2["flag_cover"] == pytest.approx(2 / 6)
    assert w2["differ"] == pytest.approx(0.6) and w2["trigger_visits_out"] == pytest.approx(-3.2)
    assert perf.loc["simulate", "flag"] == 0.0 and perf.loc["simulate", "coverage"] == pytest.approx(0.95)
    pool = sf.pooled(raw, 2.9).set_index("world")
    assert pool.loc["world2", "miss"].startswith("1.00 (0.00; 4)")
    assert pool.loc["world2", "cover"].startswith("0.33 (0.19; 6)")
    md = sf.markdown(sf.summarise(raw, 2.9), sf.pooled(raw, 2.9), 1.9, 2.9)
    assert "DISTANCE_FLAG` = 2.9" in md and "| world2 | 10 | 0.60 (0.15; 10) |" in md


def test_held_out_rows_are_judged_against_their_realised_truth_and_grouped_by_E():
    # two world4 cohorts under E = 0.2 whose realised slope changes differ: the bias is against each one's own
    raw = pd.DataFrame(
        [
            dict(world="world4", n=1000, share=0.3, effect=0.12, E=0.2, seed=0, estimate=0.10, se=0.05,
                 covers=True, agrees=True, lmm_bounded=0.0, trigger_visits_out=-4.0, g_estimation=1.0),
            dict(world="world4", n=1000, share=0.3, effect=0.14, E=0.2, seed=1, estimate=0.10, se=0.05,
                 covers=True, agrees=True, lmm_bounded=0.0, trigger_visits_out=-1.0, g_estimation=1.0),
        ]
    )  # fmt: skip
    perf = sf.summarise(raw, 2.9)
    assert len(perf) == 1 and perf.loc[0, "effect"] == 0.2
    assert perf.loc[0, "bias"] == pytest.approx(-0.03) and perf.loc[0, "flag"] == pytest.approx(0.5)
    md = sf.markdown(perf, sf.pooled(raw, 2.9), float("nan"), 2.9)
    assert "chosen on `simulate`" in md and "| world4 | 1000 | 30% | 0.2 | 2 |" in md

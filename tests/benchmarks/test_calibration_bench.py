"""benchmarks/calibration.py: performance measures judged at the nominal values; one tiny cohort runs."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import calibration


def _raw(cov_hits: int, k: int = 400, bias: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    est = bias + rng.normal(0, 0.1, k)
    hit = np.arange(k) < cov_hits
    half = np.where(hit, np.abs(est) + 0.05, np.abs(est) / 2)
    lo, hi = est - half, est + half
    lo[~hit & (est < 0)] = est[~hit & (est < 0)] - 0.001
    hi[~hit & (est < 0)] = est[~hit & (est < 0)] / 2
    return pd.DataFrame(
        dict(
            world="w",
            n=200,
            share=0.3,
            effect=0.0,
            method="m",
            estimate=est,
            ci_low=lo,
            ci_high=hi,
            p_value=np.where(hit, 0.5, 0.01),
            se=0.1,
            n_treated=60,
        )
    )


def test_bands_at_nominal_values():
    ok = calibration.performance(_raw(380)).iloc[0]  # coverage 0.95
    assert ok.coverage_ok and ok.rejection_ok
    # coverage 0.90 over 400: 2 MCSE at the nominal 0.95 is 0.022, so this must fail
    bad = calibration.performance(_raw(360)).iloc[0]
    assert not bad.coverage_ok and not bad.rejection_ok
    assert np.isclose(bad.coverage_band, 2 * np.sqrt(0.95 * 0.05 / 400))


def test_bias_judged_against_zero():
    biased = calibration.performance(_raw(380, bias=0.05)).iloc[0]
    assert not biased.bias_ok and biased.bias > 0.04
    assert calibration.performance(_raw(380, bias=0.0)).iloc[0].bias_ok


def test_run_chunk_both_worlds():
    rows = calibration.run_chunk([("world2", 200, 0.3, 5), ("simulate", 200, 0.3, 5)], effects=(0.2,))
    assert len(rows) == 2 * len(calibration.METHODS)
    assert all(np.isfinite(r["estimate"]) and r["ci_low"] < r["ci_high"] for r in rows)
    # the warning columns: the default's trigger-drop warning is recorded per cohort, g_estimation never gives it
    by = {r["method"]: r for r in rows if r["world"] == "simulate"}
    assert by["lmm_counterfactual"]["trigger_warned"] and not by["g_estimation"]["trigger_warned"]


def test_warning_columns_rates_table_and_summary():
    raw = _raw(360).assign(
        method="lmm_counterfactual", warned=np.arange(400) < 100, trigger_warned=np.arange(400) < 300
    )
    perf = calibration.performance(raw)
    r = perf.iloc[0]
    assert (r.warned, r.trigger_warned) == (0.25, 0.75)
    table = calibration.markdown_table(perf)
    assert "| warned | trigger drop | verdict |" in table and "| 25% | 75% | OUTSIDE" in table
    s = calibration.summary(perf)[("lmm_counterfactual", "w")]
    assert (s["failing"], s["failing_warned"], s["failing_trigger"], s["passing_trigger"]) == (1, 0, 1, 0)
    # a method that never gives the mixed models' warnings shows "—" there, and its summary leaves them out
    other = calibration.performance(raw.assign(method="g_estimation"))
    assert "| 25% | — | OUTSIDE" in calibration.markdown_table(other)
    assert "trigger-drop" not in calibration.summary_lines(calibration.summary(other))

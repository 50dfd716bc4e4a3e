"""benchmarks/event_window.py: the window-free estimator reads a passing stretch before treatment as it
should (hand-built courses), and one small real run writes its page."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import event_window
from alscell.analysis.pretrend import pretrend_test
from alscell.domain.time import DAYS_PER_MONTH as DPM


def _frame(n: int, stretch: float, effect: float, seed: int = 3) -> pd.DataFrame:
    """Straight courses with visits every 3 months; half the patients treated 18 months after entry.  The
    treated patients' course flattens by ``stretch`` points/month in the 6 months before treatment and then
    goes on at its old slope (the level gained carries on), plus ``effect`` points/month after treatment."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        entry = rng.uniform(6, 18)
        slope, level = rng.lognormal(np.log(0.8), 0.4), rng.normal(46, 1.5)
        treated, t0 = i < n // 2, entry + 18.0
        for k in range(11):
            t = entry + 3.0 * k
            y = level - slope * t + rng.normal(0, 1.0)
            if treated:
                y += stretch * np.clip(t - (t0 - 6.0), 0.0, 6.0) + effect * max(t - t0, 0.0)
            rows.append(dict(patient_id=f"P{i:04d}", months=t, y=y, days_after=(t - t0) * DPM if treated else np.nan))
    return pd.DataFrame(rows)


@pytest.mark.parametrize("effect", [0.0, 0.3])
def test_a_passing_stretch_before_treatment_is_not_read_as_harm(effect):
    df = _frame(400, 0.5, effect)
    est, se, dfree = event_window.window_estimate(df)
    assert est == pytest.approx(effect, abs=3 * se) and se < 0.05 and dfree > 10
    placebo = pretrend_test(df)  # the stretch is there, and the check sees it
    assert placebo is not None and placebo.p_value < 1e-3


def test_a_small_run_writes_its_page(tmp_path):
    out = tmp_path / "ew.md"
    assert event_window.main(["--cohorts", "1", "--patients", "150", "--workers", "1", "--write-md", str(out)]) == 0
    text = out.read_text()
    assert text.count("| window free |") == len(event_window.WORLDS) * len(event_window.SHARES) * 2
    assert "benchmarks/event_window.py --cohorts 1" in text

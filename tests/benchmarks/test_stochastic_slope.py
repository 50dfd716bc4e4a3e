"""benchmarks/stochastic_slope.py: the IOU covariance against a numerical double integral of the OU
velocity's autocovariance, and the REML fit on courses simulated from the model (parameters and the slope
change recovered; a passing stretch before treatment not read as harm)."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import event_window
import stochastic_slope as ss
from alscell.domain.time import DAYS_PER_MONTH as DPM


@pytest.mark.parametrize(("alpha", "nu", "s", "t"), [(0.3, 0.5, 2.0, 5.0), (0.05, 0.2, 4.0, 9.0), (2.0, 1.0, 1.0, 1.0)])
def test_iou_covariance_is_the_integral_of_the_velocity_autocovariance(alpha, nu, s, t):
    """W(t) = ∫₀ᵗ V, V a stationary OU velocity with variance nu² and correlation e^(−alpha·lag)."""
    expect, _ = integrate.dblquad(lambda v, u: nu**2 * np.exp(-alpha * abs(u - v)), 0, t, 0, s)
    got = ss._iou(np.array([[s, t]]), alpha, nu)[0, 0, 1]
    assert got == pytest.approx(expect, rel=1e-6)


def _iou_frame(n: int, alpha: float, nu: float, effect: float, seed: int = 2) -> pd.DataFrame:
    """Courses from the model: random intercept and slope, an IOU slope deviation (exact discretisation on a
    fine grid), noise SD 1; half the patients treated at month 12 after their first visit with ``effect``."""
    rng = np.random.default_rng(seed)
    dt, steps = 0.25, 4 * 36
    a, sd = np.exp(-alpha * dt), nu * np.sqrt(1 - np.exp(-2 * alpha * dt))
    v = rng.normal(0, nu, n)
    w = np.zeros((n, steps + 1))
    for k in range(steps):  # exact OU velocity steps; W by the trapezoid rule on the fine grid
        v_next = a * v + sd * rng.normal(size=n)
        w[:, k + 1] = w[:, k] + 0.5 * (v + v_next) * dt
        v = v_next
    rows = []
    onset = rng.uniform(6, 18, n)
    level, slope = rng.normal(46, 2, n), rng.lognormal(np.log(0.8), 0.3, n)
    for i in range(n):
        treated = i < n // 2
        for k in range(0, 37, 3):
            t = onset[i] + k
            y = level[i] - slope[i] * t + w[i, 4 * k] + rng.normal(0, 1.0)
            if treated:
                y += effect * max(k - 12, 0)
            rows.append(dict(patient_id=f"P{i:04d}", months=t, y=y, days_after=(k - 12) * DPM if treated else np.nan))
    return pd.DataFrame(rows)


def test_the_fit_recovers_the_process_and_the_slope_change():
    f = ss.fit_iou(_iou_frame(600, alpha=0.3, nu=0.4, effect=0.25))
    assert f.converged
    assert f.estimate == pytest.approx(0.25, abs=3 * f.se) and f.se < 0.05
    assert 0.1 < f.alpha < 0.9 and f.nu == pytest.approx(0.4, rel=0.35)
    assert f.sigma_e == pytest.approx(1.0, rel=0.2)


def test_a_small_run_writes_its_page(tmp_path):
    out = tmp_path / "ss.md"
    assert ss.main(["--cohorts", "1", "--patients", "150", "--workers", "1", "--write-md", str(out)]) == 0
    text = out.read_text()
    assert text.count("| stochastic slope |") == len(event_window.WORLDS) * len(event_window.SHARES) * len(
        event_window.EFFECTS
    )
    assert "| world3 | 60% |" in text and "median alpha" in text

"""benchmarks/world2_coverage.py: the spread summary against hand-worked numbers, and one small real run."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import world2_coverage


def _raw(est, se, lo, hi, off="x"):
    return pd.DataFrame(
        dict(share=0.3, off=off, estimate=est, se=se, ci_low=lo, ci_high=hi, df=[10.0, 20.0, 30.0, 40.0])
    )


def test_spread_by_hand():
    est = np.array([-0.2, 0.0, 0.1, 0.3])
    se = np.array([0.1, 0.1, 0.2, 0.2])
    r = world2_coverage.spread(_raw(est, se, est - 0.25, est + 0.25)).iloc[0]
    assert r.k == 4
    assert r.bias == pytest.approx(0.05)
    assert r.emp_se == pytest.approx(np.sqrt(((est - 0.05) ** 2).sum() / 3))
    assert r.model_se == pytest.approx(np.sqrt((0.01 + 0.01 + 0.04 + 0.04) / 4))
    z = est / se  # -2, 0, 0.5, 1.5
    assert r.z_sd == pytest.approx(np.sqrt(((z - z.mean()) ** 2).sum() / 3))
    assert r.corr_est_se == pytest.approx(np.corrcoef(est, se)[0, 1])
    assert r.df == pytest.approx(25.0)
    # intervals ±0.25: the one at +0.3 misses 0 -> 3 of 4 cover; band 2*sqrt(.95*.05/4) = 0.218 -> "ok"
    assert r.coverage == pytest.approx(0.75)
    assert r.verdict == "ok"


def test_coverage_judged_at_the_nominal_value():
    # 100 cohorts, 88 cover: |0.88 - 0.95| > 2*sqrt(.95*.05/100) = 0.0436 even though the observed-rate MCSE
    # (0.032) would call it 2.2 MCSE: judged at the nominal value
    est = np.zeros(100)
    lo = np.where(np.arange(100) < 88, -1.0, 0.5)
    raw = pd.DataFrame(dict(share=0.3, off="x", estimate=est, se=0.1, ci_low=lo, ci_high=lo + 1.0, df=20.0))
    r = world2_coverage.spread(raw).iloc[0]
    assert r.coverage == pytest.approx(0.88)
    assert r.verdict == "OUTSIDE"
    assert np.isnan(r.corr_est_se)  # the estimates do not vary: no correlation, no warning
    raw.loc[88:92, "ci_low"] = -1.0  # 93 cover: within 0.95 ± 0.0436
    assert world2_coverage.spread(raw).iloc[0].verdict == "ok"


def test_small_run_writes_a_page(tmp_path, monkeypatch):
    monkeypatch.setattr(world2_coverage, "VARIANTS", ((), ("slope_selection",)))
    monkeypatch.setattr(world2_coverage, "SHARES", (0.3,))
    out = tmp_path / "cov.md"
    assert world2_coverage.main(["--cohorts", "2", "--patients", "80", "--workers", "1", "--write-md", str(out)]) == 0
    page = out.read_text()
    assert "| 30% | (none: the default world) | 2 |" in page
    assert "| 30% | slope_selection | 2 |" in page
    assert "benchmarks/world2_coverage.py --cohorts 2" in page

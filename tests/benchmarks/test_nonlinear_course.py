"""benchmarks/nonlinear_course.py (the logit-course prototype of docs/course_shape.md): the link and its
derivative, the linear limit (a huge offset makes it the default's linear mixed model, fitted by the
default's own code), recovery of a known points-scale slope change on data from its own model, and what it
refuses."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from alscell.analysis.bounded_course import fit_linearised
from alscell.analysis.effects import MethodError, estimate_effect
from alscell.io.tables import Tables
from nonlinear_course import LogitCourse, logit_points, nlmm_counterfactual, points
from registry_arrays import tables_from_totals

ITEMS = ["q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]


def test_points_inverts_the_logit_and_its_derivative_is_the_slope():
    y = np.array([0.0, 0.5, 12.0, 24.0, 47.0, 48.0])
    m, _ = points(logit_points(y, 48.0, 1.0), 48.0, 1.0)
    assert m == pytest.approx(y, abs=1e-12)
    u = np.linspace(-8, 8, 33)
    h = 1e-6
    fd = (points(u + h, 48.0, 1.0)[0] - points(u - h, 48.0, 1.0)[0]) / (2 * h)
    assert points(u, 48.0, 1.0)[1] == pytest.approx(fd, rel=1e-6, abs=1e-9)
    assert np.isfinite(points(np.array([-800.0, 800.0]), 48.0, 1.0)[0]).all()  # no overflow far out


def test_recovers_a_points_slope_change_on_its_own_model():
    """Courses straight on the logit scale, a points-additive change after a random early visit, normal
    noise, nothing rounded or clipped: the model's own world."""
    rng = np.random.default_rng(7)
    n, k = 1500, 8
    entry = rng.uniform(3, 30, n)
    t = entry[:, None] + 3.0 * np.arange(k)[None, :]
    u = rng.normal(3.0, 0.7, n)[:, None] + rng.normal(-0.1, 0.04, n)[:, None] * t
    treated = rng.random(n) < 0.5
    t0 = t[np.arange(n), rng.integers(2, 5, n)]
    post = np.where(treated[:, None], np.clip(t - t0[:, None], 0, None), 0.0).ravel()
    y = points(u, 48.0, 1.0)[0].ravel() + 0.5 * post + rng.normal(0, 1.5, n * k)
    tt = t.ravel()
    X = np.column_stack([np.ones_like(tt), tt / 12, (tt / 12) ** 2])
    Z = np.column_stack([np.ones_like(tt), tt / 12])
    lin = fit_linearised(y, X, Z, np.repeat(np.arange(n), k), ["c0", "c1", "c2"], LogitCourse(48.0, 1.0),
                         outside=("post", post), required=("post",), cov_type="model")  # fmt: skip
    res = lin.fit.result
    assert lin.converged
    assert abs(res.fe_params["post"] - 0.5) < 3 * res.bse["post"], (res.fe_params["post"], res.bse["post"])


def _registry(n: int, seed: int) -> Tables:
    rng = np.random.default_rng(seed)
    t = rng.uniform(3, 18, n)[:, None] + 3.0 * np.arange(8)[None, :]
    y = np.clip(44 - rng.lognormal(np.log(0.8), 0.3, n)[:, None] * t + rng.normal(0, 1.5, t.shape), 0, 48)
    T = np.where(rng.random(n) < 0.5, t[:, 3], np.inf)
    y = np.clip(y + 0.4 * np.clip(t - T[:, None], 0, None), 0, 48)
    return tables_from_totals(t, y, T)


def test_a_huge_offset_is_the_linear_mixed_model():
    """With c → ∞ the link is linear over the range of the scale and the fixed point is the default's model."""
    t = _registry(300, seed=5)
    lin = estimate_effect(t, method="lmm_counterfactual")
    big = nlmm_counterfactual(t, logit_offset=1e4)
    assert big.estimate == pytest.approx(lin.estimate, abs=2e-4)
    assert big.se == pytest.approx(lin.se, rel=1e-2)
    assert np.isfinite(big.details["llf_ml"])


def test_not_converging_is_said():
    e = nlmm_counterfactual(_registry(200, seed=2), max_iter=1)
    assert not e.details["converged"] and any("fixed point" in w for w in e.warnings)


def test_refuses_unbounded_outcomes_and_explains_too_few():
    t = _registry(40, seed=1)
    with pytest.raises(MethodError, match="bounded ALSFRS-R"):
        nlmm_counterfactual(t, "fvc_pct_pred")
    e = nlmm_counterfactual(Tables.from_frames(patients=t["patients"], alsfrs=t["alsfrs"]))
    assert np.isnan(e.estimate) and "too few" in e.warnings[-1]

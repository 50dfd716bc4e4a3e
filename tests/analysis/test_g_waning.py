"""The does-it-last check by g-estimation (alscell.analysis.waning.g_waning_check) and the stacked solver it
rests on (alscell.analysis.g_estimation.g_solve_windows): the solver's covariance equals a brute-force
M-estimation sandwich (every estimating function stacked, the Jacobian by finite differences); the check
recovers a slope change put in by hand that halves after 6 months, passes a constant one, says why when it
cannot run, and is the check of the default's sensitivity analyses."""

import numpy as np
import pytest

from alscell.analysis.g_estimation import g_solve, g_solve_windows
from alscell.analysis.sensitivity import sensitivity_analyses
from alscell.analysis.waning import MIN_PATIENTS, g_waning_check, waning_check
from alscell.simulate import CohortConfig, simulate_cohort
from m_estimation import expit, logistic, sandwich
from waning_frames import waning_frame as _frame


def _design(seed: int = 4):
    """Decision rows of 120 patients (1–5 rows each), an intercept and three history columns, a start
    indicator from a logistic model, and two windows over overlapping subsets of the rows, each with an
    outcome slope S and two ramp slopes D."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(120), rng.integers(1, 6, 120))
    n = len(groups)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, 3))])
    A = (rng.random(n) < expit(X @ np.array([-1.0, 0.8, -0.5, 0.3]))).astype(float)
    windows = []
    for share in (0.8, 0.7):
        idx = np.flatnonzero(rng.random(n) < share)
        D = np.column_stack([A[idx] * rng.uniform(0.5, 1, idx.size), A[idx] * rng.uniform(0, 0.5, idx.size)])
        D += 0.2 * rng.random((idx.size, 2))
        S = X[idx] @ np.array([-0.8, 0.2, 0.1, 0.0]) + D @ np.array([0.4, 0.1]) + rng.normal(0, 0.5, idx.size)
        windows.append((idx, S, D))
    return A, X, groups, windows


def _brute_force_cov(A, X, groups, windows):
    """δ's covariance from the stacked estimating functions (logistic score, each window's least-squares
    normal equations for S and each column of D, the g-equations), Jacobian by central differences."""
    q, k = X.shape[1], windows[0][2].shape[1]
    gamma = logistic(X, A)
    theta = [gamma]
    for idx, S, D in windows:
        Xw = X[idx]
        theta.append(np.linalg.lstsq(Xw, S, rcond=None)[0])
        theta += [np.linalg.lstsq(Xw, D[:, c], rcond=None)[0] for c in range(k)]
    res = A - expit(X @ gamma)
    rows = []
    for w, (idx, S, D) in enumerate(windows):
        b = theta[1 + w * (k + 1)]
        bD = theta[2 + w * (k + 1) : 2 + w * (k + 1) + k]
        rS = S - X[idx] @ b
        rD = np.column_stack([D[:, c] - X[idx] @ bD[c] for c in range(k)])
        rows.append((res[idx] @ rS, res[idx] @ rD))
    delta = np.linalg.solve(np.array([r[1] for r in rows]), np.array([r[0] for r in rows]))
    theta_hat = np.concatenate([*theta, delta])

    def psi(th):
        """Per-patient sums of every estimating function at ``th`` (patients × parameters)."""
        gam, pos = th[:q], q
        r = A - expit(X @ gam)
        cols = [X * r[:, None]]
        g_eq = []
        for idx, S, D in windows:
            Xw = X[idx]
            b = th[pos : pos + q]
            bD = [th[pos + q * (c + 1) : pos + q * (c + 2)] for c in range(k)]
            pos += q * (k + 1)
            full = np.zeros((len(A), q * (k + 1)))
            full[idx, :q] = Xw * (S - Xw @ b)[:, None]
            for c in range(k):
                full[idx, q * (c + 1) : q * (c + 2)] = Xw * (D[:, c] - Xw @ bD[c])[:, None]
            cols.append(full)
            g_eq.append((idx, S - Xw @ b, np.column_stack([D[:, c] - Xw @ bD[c] for c in range(k)])))
        d = th[pos:]
        for idx, rS, rD in g_eq:
            col = np.zeros(len(A))
            col[idx] = r[idx] * (rS - rD @ d)
            cols.append(col[:, None])
        per_row = np.column_stack(cols)
        return np.array([per_row[groups == g].sum(0) for g in np.unique(groups)])

    return delta, sandwich(psi, theta_hat)[-k:, -k:], expit(X @ gamma)


def test_stacked_sandwich_equals_a_brute_force_m_estimation_sandwich():
    A, X, groups, windows = _design()
    delta_bf, V_bf, p = _brute_force_cov(A, X, groups, windows)
    delta, V = g_solve_windows(A, p, X, groups, windows)
    np.testing.assert_allclose(delta, delta_bf, rtol=1e-10)
    np.testing.assert_allclose(V, V_bf, rtol=1e-5, atol=1e-12)
    # one window and one slope change: g_solve is the same solver
    idx, S, D = windows[0]
    one, se = g_solve(A[idx], p[idx], X[idx], S, D[:, 0], groups[idx])
    d1, V1 = g_solve_windows(A[idx], p[idx], X[idx], groups[idx], [(np.arange(idx.size), S, D[:, :1])])
    assert one == pytest.approx(d1[0]) and se == pytest.approx(np.sqrt(V1[0, 0]))


def test_a_slope_change_that_halves_is_recovered_and_a_constant_one_passes():
    w = g_waning_check(None, data=_frame(400, 0.6, 0.3))
    assert w.method == "g_estimation" and w.early is not None and w.late is not None and w.difference is not None
    assert w.early.estimate == pytest.approx(0.6, abs=0.1) and w.late.estimate == pytest.approx(0.3, abs=0.1)
    assert w.difference.estimate == pytest.approx(-0.3, abs=0.1) and w.differs is True
    assert w.n_patients == 200
    text = w.sentence("points/month")
    assert "the later slope change is less favourable" in text and "headline's single slope change" in text
    same = g_waning_check(None, data=_frame(400, 0.4, 0.4))
    assert same.difference is not None and same.differs is False
    assert same.difference.ci_low < 0 < same.difference.ci_high
    # oriented like the headline
    down = g_waning_check(None, direction=-1, data=_frame(400, 0.6, 0.3))
    assert down.difference is not None and down.difference.estimate == pytest.approx(-w.difference.estimate)
    assert w.to_json_dict()["method"] == "g_estimation" and waning_check(_frame(300, 0.4, 0.4)).method == (
        "lmm_counterfactual"
    )


def test_too_few_patients_followed_beyond_the_split_says_why():
    few = g_waning_check(None, data=_frame(200, 0.6, 0.3, treated_share=(MIN_PATIENTS - 1) / 200))
    assert few.early is None and few.differs is None and few.n_patients == MIN_PATIENTS - 1
    assert f"the check needs {MIN_PATIENTS}" in few.sentence("points/month")


def test_the_default_sensitivity_analyses_use_the_g_estimation_check():
    tables = simulate_cohort(
        CohortConfig(n_patients=300, design="registry", effect=0.2, treated_fraction=0.4), 5
    ).tables
    s = sensitivity_analyses(tables)
    assert s.primary_analysis == "g_estimation" and s.waning == g_waning_check(tables)
    mixed = sensitivity_analyses(tables, primary="lmm_counterfactual")
    assert mixed.waning is not None and mixed.waning.method == "lmm_counterfactual"

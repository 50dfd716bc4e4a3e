"""benchmarks/joint_selection.py (the shared-parameter prototype): its likelihood checked against a dense
multivariate normal density (scipy), its fit and its selection term."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import joint_selection as js
import second_world


@pytest.fixture(scope="module")
def straight_cohort():
    off = frozenset(js.LINEAR)
    return second_world.simulate_world2(150, 0.0, 0.5, 11, off).tables


def test_the_mixed_model_part_is_the_multivariate_normal_density(straight_cohort):
    """With no decision terms the per-patient log-likelihood is log N(y_i; X_i β, Z_i D Z_i' + σ² I),
    computed here densely with scipy at the fitted parameters (the prototype uses Woodbury and a padded
    array), and the fit is a maximum: the gradient of the total log-likelihood is ~0 there."""
    import dataclasses

    from scipy import stats

    data = js.build_data(straight_cohort, "none")
    fit = js.fit_joint(straight_cohort, "none", data=data)
    assert fit.converged
    p, r, nl, _ = data.sizes()
    th = fit.theta
    beta, L, s2 = th[:p], np.asarray(js._chol(th[p : p + nl], r)), float(np.exp(2 * th[p + nl]))
    no_decisions = dataclasses.replace(data, dmask=np.zeros_like(data.dmask))
    ours = js.patient_loglik(th, no_decisions, "none")
    for i in range(0, len(data.y), 7):
        m = data.mask[i].astype(bool)
        Zi = data.Z[i][m]
        V = Zi @ (L @ L.T) @ Zi.T + s2 * np.eye(m.sum())
        ref = stats.multivariate_normal(mean=data.X[i][m] @ beta, cov=V).logpdf(data.y[i][m])
        assert ours[i] == pytest.approx(ref, abs=1e-8)
    from scipy.optimize import approx_fprime

    grad = approx_fprime(th, lambda t: float(js.patient_loglik(t, data, "none").sum()), 1e-6)
    assert np.abs(grad).max() < 0.01  # 0.002 at the fit; moving δ by 0.01 makes it about 40


def test_the_selection_term_is_found_when_treated_are_chosen_by_their_slope(straight_cohort):
    """In a straight-line world whose treated are chosen by their own true slope (faster progressors more
    often), the per-patient selection term a on the random slope comes out clearly non-zero."""
    fit = js.fit_joint(straight_cohort, "ever")
    assert fit.converged and abs(fit.a) > 2 * fit.a_se


def test_true_gap_reads_the_worlds_own_onset_slopes():
    """second_world.onset_slopes gives the slopes simulate_world2 drew: the treated (chosen as faster
    progressors) decline faster at onset; chosen at random, they do not."""
    chosen = second_world.simulate_world2(600, 0.0, 0.5, 3).tables
    at_random = second_world.simulate_world2(600, 0.0, 0.5, 3, frozenset({"slope_selection"})).tables
    assert js.true_gap(chosen, 600, 3) < -0.15
    assert abs(js.true_gap(at_random, 600, 3)) < 0.08

"""The positivity check of g-estimation (alscell.analysis.decision_overlap): the mean probability of not starting
at the starts, by hand; its reading as comparable visits without a start per start (the logistic intercept's score
equation); the warning's threshold; and on registries whose clinic draws lots or treats at a cut-off."""

import numpy as np
import pytest

from alscell.analysis.decision_overlap import OVERLAP_MIN, overlap_warning, start_overlap
from alscell.analysis.g_estimation import g_estimation
from alscell.analysis.treatment_weights import fit_logistic
from registry_arrays import tables_from_totals


def test_the_mean_probability_of_not_starting_by_hand():
    starts = np.array([True, False, True, False])
    p = np.array([0.9, 0.2, 0.6, 0.1])
    assert start_overlap(starts, p) == pytest.approx((0.1 + 0.4) / 2)
    assert np.isnan(start_overlap(np.zeros(3, bool), np.full(3, 0.5)))


def test_it_is_the_expected_starts_among_the_visits_without_one_per_start():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(2000, 3))
    A = (rng.random(2000) < 1 / (1 + np.exp(-(-1.5 + 1.2 * X[:, 0] - 0.7 * X[:, 2])))).astype(float)
    p = fit_logistic(X, A)
    # the intercept's score equation Σ (A − p) = 0: Σ over the non-starts of p = Σ over the starts of 1 − p
    assert start_overlap(A == 1, p) == pytest.approx(p[A == 0].sum() / A.sum(), rel=1e-6)


def test_the_warning_fires_below_the_threshold_only():
    assert overlap_warning(OVERLAP_MIN, 40) == [] and overlap_warning(float("nan"), 0) == []
    (said,) = overlap_warning(0.08, 40)
    assert "40 starts" in said and "0.92" in said and "0.08 comparable visits" in said
    assert "docs/decision_overlap.md" in said


def _registry(rule: str, n: int = 400, seed: int = 2):
    """Visits every 3 months; treatment starts at a visit by lot (15% each) or at the first visit whose total is
    below 38 (a cut-off on the recorded history)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(3, 12, n)[:, None] + 3.0 * np.arange(8)[None, :]
    y = np.rint(47 - rng.lognormal(np.log(0.8), 0.4, n)[:, None] * t + rng.normal(0, 1.0, t.shape))
    go = rng.random(t.shape) < 0.15 if rule == "lot" else y < 38
    go[:, 0] = False  # no start at entry
    go[:, -2:] = False  # a visit after the start
    first = np.where(go.any(1), go.argmax(1), -1)
    T = np.where(first >= 0, t[np.arange(n), np.maximum(first, 0)], np.inf)
    return tables_from_totals(t, y, T)


def test_a_lottery_has_overlap_and_a_cut_off_has_none():
    lot = g_estimation(_registry("lot"))
    cut = g_estimation(_registry("cut"))
    assert lot.details["start_overlap"] > 0.6 and not any("comparable visits" in w for w in lot.warnings)
    assert cut.details["start_overlap"] < OVERLAP_MIN
    assert sum("comparable visits" in w for w in cut.warnings) == 1

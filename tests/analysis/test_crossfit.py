"""alscell.analysis.crossfit: the cross-fitted boosted g-estimate (``g_estimation(..., nuisance="boosted")``)."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from test_g_modifiers import _frame

from alscell.analysis import crossfit
from alscell.analysis.errors import NotApplicable
from alscell.analysis.g_estimation import g_estimation


def test_folds_keep_each_patients_rows_together():
    groups = np.repeat([f"P{i}" for i in range(23)], 4)
    fold = crossfit._folds(pd.factorize(groups)[0], 5, np.random.default_rng(1))
    per = pd.Series(fold).groupby(groups).nunique()
    assert (per == 1).all() and set(fold) == set(range(5))
    assert np.bincount(pd.Series(fold).groupby(groups).first().to_numpy()).tolist() == [5, 5, 5, 4, 4]


def test_the_equation_and_its_sandwich_by_hand(monkeypatch):
    """With the nuisances fixed, δ̂ = Σ(A − p)r_S / Σ(A − p)r_D and SE = √Σ_i u_i² / |M| (u_i each patient's sum
    of the estimating function), worked here on six rows; three splits combine by the median rule."""
    A = np.array([1, 0, 0, 1, 0, 0.0])
    S = np.array([-0.5, -1.0, -0.8, -0.2, -1.2, -0.9])
    D = np.array([0.9, 0.0, 0.0, 1.0, 0.0, 0.1])
    groups = np.array(["a", "a", "b", "b", "c", "c"])
    fits = iter([(np.full(6, 0.3), np.full(6, -0.9), np.full(6, 0.3)),
                 (np.full(6, 0.3), np.full(6, -0.8), np.full(6, 0.3)),
                 (np.full(6, 0.4), np.full(6, -0.9), np.full(6, 0.3))])  # fmt: skip
    monkeypatch.setattr(crossfit, "_nuisances", lambda *a: next(fits))
    got = crossfit.crossfit_slope_change(np.zeros((6, 1)), A, S, D, groups, repeats=3)
    want = []
    for p, ms, md in ((0.3, -0.9, 0.3), (0.3, -0.8, 0.3), (0.4, -0.9, 0.3)):
        res, rs, rd = A - p, S - ms, D - md
        m = sum(res * rd)
        d = sum(res * rs) / m
        u = [sum((res * (rs - d * rd))[groups == g]) for g in "abc"]
        want.append((d, np.sqrt(sum(x * x for x in u)) / abs(m)))
    np.testing.assert_allclose(got.splits, want)
    mid = float(np.median([d for d, _ in want]))
    assert got.delta == pytest.approx(mid)
    assert got.se == pytest.approx(np.sqrt(np.median([s**2 + (d - mid) ** 2 for d, s in want])))


def test_boosted_recovers_a_constant_slope_change_and_is_reproducible():
    df, truth = _frame(500, lambda slope: 0.2)
    e = g_estimation(None, data=df, nuisance="boosted")
    assert e.details["nuisance"] == "boosted" and "propensity_range" not in e.details
    assert e.estimate == pytest.approx(truth, abs=3 * e.se)
    assert 0 < e.se < 0.2 and e.ci_low < e.estimate < e.ci_high
    again = g_estimation(None, data=df, nuisance="boosted")
    assert again.estimate == e.estimate and again.se == e.se  # seeded splits
    plain = g_estimation(None, data=df)
    assert e.se == pytest.approx(plain.se, rel=0.5)  # the same order of precision as the parametric fit


def test_boosted_refuses_modifiers_and_unknown_names_and_handles_tiny_data():
    df, _ = _frame(60, lambda slope: 0.2)
    with pytest.raises(NotApplicable, match="parametric nuisance"):
        g_estimation(None, data=df, nuisance="boosted", modifiers=("level",))
    with pytest.raises(NotApplicable, match="unknown nuisance"):
        g_estimation(None, data=df, nuisance="forest")
    one = df[df["patient_id"] == df["patient_id"].iloc[0]]
    for nuisance in ("boosted", "anchored"):
        e = g_estimation(None, data=one, nuisance=nuisance)
        assert np.isnan(e.estimate) and e.warnings
        small = g_estimation(None, data=df, nuisance=nuisance)  # 60 patients: few rows per leaf, still an answer
        assert np.isfinite(small.estimate) and small.se > 0  # the learners' leaf size does not leave it empty


def test_zero_weight_rows_are_predicted_from_the_others_fit():
    """fit_logistic(weight=0 on some rows) gives at those rows the prediction of statsmodels' Logit fitted on
    the other rows (the tiny ridge aside)."""
    from alscell.analysis.treatment_weights import fit_logistic

    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 3))
    y = (rng.random(400) < 1 / (1 + np.exp(-(0.5 * X[:, 0] - X[:, 1] - 1)))).astype(float)
    tr = np.arange(400) % 4 != 0
    got = fit_logistic(X, y, weight=tr.astype(float))
    ref = sm.Logit(y[tr], sm.add_constant(X[tr])).fit(disp=0)
    np.testing.assert_allclose(got[~tr], ref.predict(sm.add_constant(X[~tr])), atol=1e-4)
    np.testing.assert_array_equal(fit_logistic(X, y), fit_logistic(X, y, weight=np.ones(400)))


def test_parametric_cross_fit_predicts_each_fold_from_the_others():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(120, 2))
    A = (rng.random(120) < 0.3).astype(float)
    S, D = X @ [1.0, -2.0] + rng.normal(size=120), X @ [0.5, 0.0] + rng.normal(size=120)
    fold = np.arange(120) % 3
    p, mS, mD = crossfit._parametric(X, A, S, D, fold)
    for k in range(3):
        tr, te = fold != k, fold == k
        design = np.column_stack([np.ones(tr.sum()), X[tr]])
        for y, m in ((S, mS), (D, mD)):
            beta = np.linalg.lstsq(design, y[tr], rcond=None)[0]
            np.testing.assert_allclose(m[te], np.column_stack([np.ones(te.sum()), X[te]]) @ beta, rtol=1e-9)
        logit = sm.Logit(A[tr], sm.add_constant(X[tr])).fit(disp=0)
        np.testing.assert_allclose(p[te], logit.predict(sm.add_constant(X[te])), atol=1e-4)


def test_parametric_cross_fit_ignores_a_column_constant_on_the_training_rows():
    """A flag set only in one fold says nothing to the other folds' fits: it must not move that fold's
    predictions (least squares would otherwise split the intercept with it)."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=90)
    fold = np.arange(90) % 3
    flag = (fold == 0).astype(float)
    S, D = 5 + x, np.ones(90)
    A = (rng.random(90) < 0.4).astype(float)
    _, mS, mD = crossfit._parametric(np.column_stack([x, flag]), A, S, D, fold)
    np.testing.assert_allclose(mD, 1.0, atol=1e-9)
    np.testing.assert_allclose(mS, S, atol=1e-9)


def test_selected_keeps_for_each_nuisance_the_learner_with_the_smaller_out_of_fold_loss(monkeypatch):
    A = np.array([1, 0, 0, 1, 0, 0.0])
    S = np.array([-0.5, -1.0, -0.8, -0.2, -1.2, -0.9])
    D = np.array([0.9, 0.0, 0.0, 1.0, 0.0, 0.1])
    groups = np.array(["a", "a", "b", "b", "c", "c"])
    boosted = (np.full(6, 0.5), S + 0.01, np.full(6, 0.3))  # slope regression better, decision and ramp worse
    param = (
        np.array([0.6, 0.2, 0.2, 0.6, 0.2, 0.2]),
        np.full(6, -0.8),
        D + np.array([0.01, -0.02, 0, 0.03, 0.01, -0.01]),
    )
    monkeypatch.setattr(crossfit, "_nuisances", lambda *a: boosted)
    monkeypatch.setattr(crossfit, "_parametric", lambda *a: param)
    got = crossfit.crossfit_slope_change(np.zeros((6, 1)), A, S, D, groups, repeats=1, learner="selected")
    assert got.chosen == (("parametric", "boosted", "parametric"),)
    res, rs, rd = A - param[0], S - boosted[1], D - param[2]
    assert got.delta == pytest.approx(float(res @ rs) / float(res @ rd))


def test_selected_in_g_estimation_reports_its_choices():
    df, truth = _frame(300, lambda slope: 0.2)
    e = g_estimation(None, data=df, nuisance="selected")
    assert e.details["nuisance"] == "selected"
    choices = e.details["nuisance_choices"]
    assert set(choices) == {"decision", "slope", "ramp"}
    assert all(len(v) == crossfit.REPEATS and set(v) <= {"boosted", "parametric"} for v in choices.values())
    assert e.estimate == pytest.approx(truth, abs=3 * e.se)
    with pytest.raises(NotApplicable, match="parametric nuisance"):
        g_estimation(None, data=df, nuisance="selected", modifiers=("level",))


def test_anchored_adds_to_the_parametric_fit_trees_fitted_to_its_training_residuals():
    """Worked independently for one fold: statsmodels' logistic and least-squares fits on the training rows,
    scikit-learn's trees on their residuals, the held-out prediction their sum."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.default_rng(11)
    n = 600
    X = rng.normal(size=(n, 2))
    A = (rng.random(n) < 1 / (1 + np.exp(1.5 - X[:, 0]))).astype(float)
    S = 0.5 * X[:, 0] + np.where(X[:, 1] > 0.5, 1.0, 0.0) + rng.normal(0, 0.3, n)  # a step the line misses
    D = X[:, 1] + rng.normal(0, 0.3, n)
    fold = np.arange(n) % 2
    p, mS, mD = crossfit._anchored(X, A, S, D, fold)
    tr, te = fold == 1, fold == 0
    logit = sm.Logit(A[tr], sm.add_constant(X)[tr]).fit(disp=0)
    for got, y, base in (
        (p, A, logit.predict(sm.add_constant(X))),
        (mS, S, sm.OLS(S[tr], sm.add_constant(X)[tr]).fit().predict(sm.add_constant(X))),
        (mD, D, sm.OLS(D[tr], sm.add_constant(X)[tr]).fit().predict(sm.add_constant(X))),
    ):
        trees = HistGradientBoostingRegressor(random_state=0, **crossfit.LEARNER).fit(X[tr], y[tr] - base[tr])
        want = base[te] + trees.predict(X[te])
        if y is A:
            want = np.clip(want, crossfit.P_CLIP, 1 - crossfit.P_CLIP)
        np.testing.assert_allclose(got[te], want, atol=2e-3)  # fit_logistic's tiny ridge moves p by < 1e-3


def test_anchored_learns_what_the_parametric_form_misses_and_keeps_what_it_holds():
    rng = np.random.default_rng(12)
    n = 2000
    X = rng.normal(size=(n, 2))
    A = (rng.random(n) < 0.3).astype(float)
    step = np.where(X[:, 1] > 0.5, 1.0, 0.0)
    S = 0.5 * X[:, 0] + step + rng.normal(0, 0.3, n)
    D = 2.0 - X[:, 0]  # exactly linear: the parametric start holds it
    fold = np.arange(n) % 5
    _, mS_a, mD_a = crossfit._anchored(X, A, S, D, fold)
    _, mS_p, mD_p = crossfit._parametric(X, A, S, D, fold)
    truth = 0.5 * X[:, 0] + step
    assert np.mean((mS_a - truth) ** 2) < 0.3 * np.mean((mS_p - truth) ** 2)
    np.testing.assert_allclose(mD_a, mD_p, atol=1e-6)  # zero residuals: the trees add nothing


def test_anchored_in_g_estimation():
    df, truth = _frame(300, lambda slope: 0.2)
    e = g_estimation(None, data=df, nuisance="anchored")
    assert e.details["nuisance"] == "anchored" and "nuisance_choices" not in e.details
    assert e.estimate == pytest.approx(truth, abs=3 * e.se)
    assert e.estimate != g_estimation(None, data=df, nuisance="boosted").estimate
    with pytest.raises(NotApplicable, match="parametric nuisance"):
        g_estimation(None, data=df, nuisance="anchored", modifiers=("level",))

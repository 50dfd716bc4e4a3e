"""Unit tests of alscell.analysis.lmm (no statsmodels needed)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from alscell.analysis.lmm import (
    LMM,
    ConvergenceWarning,
    FallbackWarning,
    LMMResult,
    fit_lmm,
    fit_lmm_batch,
    fit_lmm_frame,
)
from alscell.analysis.lmm.design import build_stats, factorize_groups
from alscell.analysis.lmm.likelihood import Structure, evaluate


def sim(G=150, seed=0, q=2, balanced=False):
    rng = np.random.default_rng(seed)
    ni = np.full(G, 6) if balanced else rng.integers(2, 12, G)
    g = np.repeat(np.arange(G), ni)
    k = np.concatenate([np.arange(m) for m in ni])
    t = k * 0.25 if balanced else np.maximum(0, k * 0.25 + rng.normal(0, 0.05, len(k)))
    n = len(g)
    X = np.column_stack([np.ones(n), t])
    Z = np.column_stack([np.ones(n), t, t**2])[:, :q]
    cov = np.array([[20, -2, 0.3], [-2, 9, -0.5], [0.3, -0.5, 1.0]])[:q, :q]
    b = rng.multivariate_normal(np.zeros(q), cov, G)
    y = X @ [40.0, -10.0] + (Z * b[g]).sum(1) + rng.normal(0, 2.0, n)
    return y, X, Z, g


def dense_loglik(y, X, Z, g, beta, cov_re, scale, reml):
    """Brute-force (RE)ML log-likelihood with one dense V per group."""
    ll = 0.0
    XVX = 0.0
    for lab in np.unique(g):
        m = g == lab
        V = scale * (np.eye(m.sum()) + Z[m] @ (cov_re / scale) @ Z[m].T)
        r = y[m] - X[m] @ beta
        ll += -0.5 * (np.linalg.slogdet(2 * np.pi * V)[1] + r @ np.linalg.solve(V, r))
        XVX = XVX + X[m].T @ np.linalg.solve(V, X[m])
    if reml:
        p = X.shape[1]
        ll += 0.5 * p * np.log(2 * np.pi) - 0.5 * np.linalg.slogdet(XVX)[1]
    return ll


@pytest.mark.parametrize("reml", [True, False])
def test_llf_equals_dense_computation(reml):
    y, X, Z, g = sim(G=40, seed=1)
    r = fit_lmm(y, X, Z, g, reml=reml)
    ll = dense_loglik(y, X, Z, g, r.fe_params.values, r.cov_re.values, r.scale, reml)
    np.testing.assert_allclose(r.llf, ll, rtol=1e-10)


@pytest.mark.parametrize("q", [1, 2, 3, 4])
def test_gradient_matches_finite_differences(q):
    y, X, Z, g = sim(G=60, seed=2, q=min(q, 3))
    if q == 4:
        Z = np.column_stack([Z, np.sin(X[:, 1])])
    codes, _ = factorize_groups(g)
    st = build_stats(y, X, Z, codes)
    s = Structure.unstructured(Z.shape[1])
    rng = np.random.default_rng(0)
    th = rng.normal(0.5, 0.3, s.k)
    for reml in (True, False):
        out = evaluate(st, s.to_lambda(th)[None], reml, grad=True)
        g_an = s.from_lambda(out["grad_lambda"])[0]
        fd = np.empty(s.k)
        for j in range(s.k):
            e = np.zeros(s.k)
            e[j] = 1e-5
            fd[j] = (
                evaluate(st, s.to_lambda(th + e)[None], reml)["dev"][0]
                - evaluate(st, s.to_lambda(th - e)[None], reml)["dev"][0]
            ) / 2e-5
        np.testing.assert_allclose(g_an, fd, rtol=1e-5, atol=1e-6 * np.abs(fd).max())


def test_group_order_and_labels_do_not_matter():
    y, X, Z, g = sim(seed=3)
    r1 = fit_lmm(y, X, Z, g)
    rng = np.random.default_rng(1)
    perm = rng.permutation(len(y))
    labels = np.array([f"ALS-{i:03d}" for i in range(g.max() + 1)])
    r2 = fit_lmm(y[perm], X[perm], Z[perm], labels[g[perm]])
    np.testing.assert_allclose(r1.fe_params.values, r2.fe_params.values, rtol=1e-9)
    np.testing.assert_allclose(r1.llf, r2.llf, rtol=1e-12)
    np.testing.assert_allclose(r1.random_effects.values, r2.random_effects.loc[labels].values, rtol=1e-7, atol=1e-9)


def test_blups_and_conditional_cov_dense():
    y, X, Z, g = sim(G=30, seed=4)
    r = fit_lmm(y, X, Z, g)
    Psi = r.cov_re.values
    for lab in [0, 7, 29]:
        m = g == lab
        V = r.scale * np.eye(m.sum()) + Z[m] @ Psi @ Z[m].T
        e = y[m] - X[m] @ r.fe_params.values
        b = Psi @ Z[m].T @ np.linalg.solve(V, e)
        C = Psi - Psi @ Z[m].T @ np.linalg.solve(V, Z[m] @ Psi)
        np.testing.assert_allclose(r.random_effects.loc[lab].values, b, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(r.random_effects_cov[lab], C, rtol=1e-7, atol=1e-10)


def test_robust_cov_matches_explicit_sandwich():
    y, X, Z, g = sim(G=50, seed=5)
    r = fit_lmm(y, X, Z, g, cov_type="robust")
    beta = r.fe_params.values
    Vs = {}
    bread = 0
    meat = 0
    for lab in np.unique(g):
        m = g == lab
        V = np.eye(m.sum()) + Z[m] @ r.cov_re_relative @ Z[m].T
        XV = np.linalg.solve(V, X[m]).T
        bread = bread + XV @ X[m]
        s = XV @ (y[m] - X[m] @ beta)
        meat = meat + np.outer(s, s)
        Vs[lab] = V
    B = np.linalg.inv(bread)
    G = len(np.unique(g))
    expected = G / (G - 1) * B @ meat @ B
    np.testing.assert_allclose(r.cov_params().values, expected, rtol=1e-8)
    np.testing.assert_allclose(r.df.values, G - 1)


def test_satterthwaite_balanced_exact_df():
    """Balanced random-intercept design: df = G − 2 for a subject-level covariate and
    n − G − 1 for time (the classical split-plot values, as lmerTest gives)."""
    rng = np.random.default_rng(6)
    G, m = 40, 5
    g = np.repeat(np.arange(G), m)
    t = np.tile(np.arange(m, dtype=float), G)
    x = rng.normal(size=G)[g]
    X = np.column_stack([np.ones(G * m), x, t])
    y = X @ [1, 0.5, -0.3] + rng.normal(0, 2, G)[g] + rng.normal(0, 1, G * m)
    r = fit_lmm(y, X, np.ones((G * m, 1)), g, fe_names=["Intercept", "x", "time"])
    np.testing.assert_allclose(r.df["x"], G - 2, rtol=1e-3)
    np.testing.assert_allclose(r.df["time"], G * m - G - 1, rtol=1e-3)
    # p-values use those df
    p = 2 * sps.t.sf(abs(r.tvalues["x"]), r.df["x"])
    np.testing.assert_allclose(r.pvalues["x"], p)


def test_contrast_ci_and_summary():
    y, X, Z, g = sim(seed=7)
    r = fit_lmm(y, X, Z, g, fe_names=["Intercept", "time"], re_names=["Intercept", "time"])
    c = r.contrast({"time": 1.0})
    np.testing.assert_allclose(c["estimate"][0], r.fe_params["time"])
    np.testing.assert_allclose(c["se"][0], r.bse["time"])
    np.testing.assert_allclose(c["df"][0], r.df["time"])
    ci = r.conf_int()
    assert (ci["lower"] < r.fe_params).all() and (ci["upper"] > r.fe_params).all()
    c2 = r.contrast(np.array([[1.0, 2.0]]))
    L = np.array([1.0, 2.0])
    np.testing.assert_allclose(c2["se"][0], np.sqrt(L @ r.cov_params().values @ L))
    text = str(r.summary())
    assert "time" in text and "REML" in text and "Residual" in text
    assert isinstance(r.summary().fe, pd.DataFrame)
    assert np.isfinite([r.aic, r.bic, r.llf]).all()
    # cov types
    for kind in ("model", "expected", "robust"):
        cov = np.asarray(r.cov_params(kind))
        assert cov.shape == (2, 2) and np.allclose(cov, cov.T) and (np.linalg.eigvalsh(cov) > 0).all(), kind
    assert (np.diag(r.cov_params_model) >= np.diag(r.cov_params_expected) * (1 - 1e-8)).all()


def test_predict_population_and_patient():
    y, X, Z, g = sim(seed=8)
    r = fit_lmm(y, X, Z, g)
    Xn = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    pop = r.predict(Xn)
    np.testing.assert_allclose(pop["mean"], Xn @ r.fe_params.values)
    pi = r.predict(Xn, Xn, interval="prediction")
    assert (pi["se"] > pop["se"]).all()
    pat = r.predict(Xn, Xn, groups_new=3)
    np.testing.assert_allclose(pat["mean"], Xn @ r.fe_params.values + Xn @ r.random_effects.loc[3].values)
    assert pat["patient_level"].all()
    pat_pi = r.predict(Xn, Xn, groups_new=3, interval="prediction")
    np.testing.assert_allclose(pat_pi["se"] ** 2, pat["se"] ** 2 + r.scale)
    unknown = r.predict(Xn, Xn, groups_new="nobody")
    assert not unknown["patient_level"].any()
    np.testing.assert_allclose(unknown["mean"], pop["mean"])


def test_prediction_interval_coverage_for_future_visits():
    """Patient-level 95% prediction intervals cover held-out future visits ~95%."""
    rng = np.random.default_rng(9)
    G = 300
    ni = np.full(G, 8)
    g = np.repeat(np.arange(G), ni)
    t = np.tile(np.arange(8) * 0.25, G)
    n = len(g)
    X = np.column_stack([np.ones(n), t])
    b = rng.multivariate_normal([0, 0], [[20, -2], [-2, 9]], G)
    y = X @ [40, -10] + (X * b[g]).sum(1) + rng.normal(0, 2, n)
    train = t < 1.5
    r = fit_lmm(y[train], X[train], X[train], g[train])
    test = ~train
    pr = r.predict(X[test], X[test], g[test], interval="prediction")
    cover = np.mean((y[test] >= pr["lower"]) & (y[test] <= pr["upper"]))
    assert 0.92 < cover < 0.98


def test_frame_interface_and_class():
    y, X, _Z, g = sim(seed=10)
    df = pd.DataFrame({"alsfrs": y, "months": X[:, 1], "patient": g})
    df.loc[3, "alsfrs"] = np.nan
    r = fit_lmm_frame(df, "alsfrs", ["months"], ["months"], "patient")
    assert list(r.fe_params.index) == ["Intercept", "months"]
    assert list(r.cov_re.index) == ["Intercept", "months"]
    assert r.nobs == len(df) - 1
    r2 = LMM(df, "alsfrs", ["months"], ["months"], "patient").fit()
    np.testing.assert_allclose(r.fe_params, r2.fe_params)
    assert isinstance(r, LMMResult)


def test_warm_start_reuses_optimum():
    y, X, Z, g = sim(seed=11)
    r1 = fit_lmm(y, X, Z, g)
    r2 = fit_lmm(y, X, Z, g, start=r1)
    np.testing.assert_allclose(r1.llf, r2.llf, rtol=1e-12)
    assert r2.n_iter <= 1


def test_fallback_is_recorded_and_warned():
    """A non-identifiable random-effects design (duplicated column) cannot converge
    as requested; the fit falls back to a simpler structure, loudly."""
    y, X, Z, g = sim(seed=12)
    Zbad = np.column_stack([Z, Z[:, 1]])
    with pytest.warns(FallbackWarning):
        r = fit_lmm(y, X, Zbad, g, re_names=["Intercept", "time", "time_dup"])
    assert r.converged
    assert r.fallback is not None and "time_dup" in r.fallback
    assert r.re_names == ["Intercept", "time"]
    assert "FALLBACK" in str(r.summary())
    ok = fit_lmm(y, X, Z, g)
    np.testing.assert_allclose(r.llf, ok.llf, rtol=1e-9)
    # predictions accept the requested Z layout
    r.predict(X[:3], Zbad[:3], g[:3])
    assert issubclass(FallbackWarning, ConvergenceWarning)


def test_no_fallback_warns_convergence():
    y, X, Z, g = sim(seed=12)
    Zbad = np.column_stack([Z, Z[:, 1]])
    with pytest.warns(ConvergenceWarning):
        r = fit_lmm(y, X, Zbad, g, fallback=False)
    assert not r.converged
    assert issubclass(ConvergenceWarning, UserWarning)


def test_boundary_fit_zero_slope_variance():
    rng = np.random.default_rng(13)
    G = 100
    g = np.repeat(np.arange(G), 6)
    t = np.tile(np.arange(6.0), G)
    X = np.column_stack([np.ones(len(g)), t])
    y = 3 + 0.5 * t + rng.normal(0, 1, G)[g] + rng.normal(0, 1, len(g))  # no random slope
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # boundary fits are not convergence failures
        r = fit_lmm(y, X, X, g)
    assert r.converged
    assert r.cov_re.values[1, 1] < 0.01
    # the intercept-only fit is (almost) as good: likelihoods nearly equal
    r0 = fit_lmm(y, X, X[:, :1], g)
    assert r.llf >= r0.llf - 1e-6


def test_rank_deficient_X_raises():
    y, X, Z, g = sim(seed=14)
    with pytest.raises(ValueError):
        fit_lmm(y, np.column_stack([X, X[:, 1]]), Z, g)


def test_batch_shared_design_matches_single_fits():
    _y, X, Z, g = sim(G=80, seed=15)
    rng = np.random.default_rng(2)
    D = 6
    b = rng.multivariate_normal([0, 0], [[20, -2], [-2, 9]], (D, g.max() + 1))
    Y = (X @ [40.0, -10.0])[None] + np.einsum("nq,dnq->dn", Z, b[:, g]) + rng.normal(0, 2, (D, len(g)))
    bat = fit_lmm_batch(Y, X, Z, g)
    assert bat.converged.all() and not bat.refitted.any()
    for d in [0, 3, 5]:
        r = fit_lmm(Y[d], X, Z, g)
        np.testing.assert_allclose(bat.fe_params[d], r.fe_params.values, rtol=1e-8)
        np.testing.assert_allclose(bat.bse[d], r.bse.values, rtol=1e-5)
        np.testing.assert_allclose(bat.df[d], r.df.values, rtol=1e-4)
        np.testing.assert_allclose(bat.llf[d], r.llf, rtol=1e-10)
        np.testing.assert_allclose(bat.cov_re[d], r.cov_re.values, rtol=1e-5, atol=1e-8)
        full = bat.result(d)
        np.testing.assert_allclose(full.llf, r.llf, rtol=1e-10)
    assert bat.frame().shape[0] == D * 2


def test_batch_list_of_different_designs():
    ds = [sim(G=40 + 10 * d, seed=20 + d) for d in range(4)]
    for cov_type in ("expected", "robust"):
        bat = fit_lmm_batch(
            [d[0] for d in ds],
            [d[1] for d in ds],
            [d[2] for d in ds],
            [d[3] for d in ds],
            cov_type=cov_type,
            df_method="residual",
        )
        for k, (y, X, Z, g) in enumerate(ds):
            r = fit_lmm(y, X, Z, g, cov_type=cov_type, df_method="residual")
            np.testing.assert_allclose(bat.fe_params[k], r.fe_params.values, rtol=1e-8)
            np.testing.assert_allclose(bat.bse[k], r.bse.values, rtol=1e-6)
            np.testing.assert_allclose(bat.pvalues[k], r.pvalues.values, rtol=1e-5, atol=1e-300)


def test_inverse_of_a_stack_with_one_non_positive_definite_matrix():
    """A trial step that makes one matrix indefinite must not fail the whole batch (NaN for that one)."""
    from alscell.analysis.lmm.likelihood import spd_inv_logdet

    good = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]])
    bad = np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # eigenvalue −1
    inv, logdet = spd_inv_logdet(np.stack([good, bad, good]))
    np.testing.assert_allclose(inv[0], np.linalg.inv(good))
    np.testing.assert_allclose(logdet[[0, 2]], np.log(np.linalg.det(good)))
    assert np.isnan(logdet[1]) and np.isnan(inv[1]).all()

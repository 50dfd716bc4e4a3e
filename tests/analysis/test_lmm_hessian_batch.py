"""Analytic Hessian (against finite differences), its laziness, and the truly batched fit."""

from __future__ import annotations

import numpy as np
import pytest

from alscell.analysis.lmm import fit_lmm, fit_lmm_batch, optim
from alscell.analysis.lmm import likelihood as lik
from alscell.analysis.lmm.design import build_stats, factorize_groups
from alscell.analysis.lmm.likelihood import Structure, evaluate


def sim(G=60, seed=0, q=2):
    rng = np.random.default_rng(seed)
    ni = rng.integers(2, 10, G)
    g = np.repeat(np.arange(G), ni)
    k = np.concatenate([np.arange(m) for m in ni])
    t = np.maximum(0, k * 0.25 + rng.normal(0, 0.05, len(k)))
    n = len(g)
    X = np.column_stack([np.ones(n), t, rng.normal(size=G)[g]])
    Z = np.column_stack([np.ones(n), t, t**2])[:, :q]
    cov = np.array([[20, -2, 0.3], [-2, 9, -0.5], [0.3, -0.5, 1.0]])[:q, :q]
    b = rng.multivariate_normal(np.zeros(q), cov, G)
    y = X @ [40.0, -10.0, 1.0] + (Z * b[g]).sum(1) + rng.normal(0, 2.0, n)
    return y, X, Z, g


def _stats(y, X, Z, g):
    return build_stats(y, X, Z, factorize_groups(g)[0])


def _full_gradient(st, s, reml, beta, logs2, th):
    out = evaluate(st, s.to_lambda(th)[None], reml, grad=True, sigma2=np.array([np.exp(logs2)]), beta=beta[None])
    return np.concatenate([out["grad_beta"][0], [out["grad_logsigma2"][0]], s.from_lambda(out["grad_lambda"])[0]])


def _fd_jacobian(f, x, h=1e-6):
    cols = []
    for j in range(len(x)):
        e = np.zeros(len(x))
        e[j] = h * max(1.0, abs(x[j]))
        cols.append((f(x + e) - f(x - e)) / (2 * e[j]))
    return np.array(cols).T


STRUCTURES = [(q, diag) for q in (1, 2, 3) for diag in (False, True) if not (q == 1 and diag)]


@pytest.mark.parametrize("q, diag", STRUCTURES)
@pytest.mark.parametrize("reml", [True, False])
def test_full_hessian_matches_finite_differences(q, diag, reml):
    """H in (β, log σ², θ) away from the optimum (β, σ² not at their profiled values)."""
    y, X, Z, g = sim(seed=q, q=q)
    st = _stats(y, X, Z, g)
    s = Structure.diagonal(q) if diag else Structure.unstructured(q)
    th = np.random.default_rng(1).normal(0.5, 0.3, s.k)
    ev = evaluate(st, s.to_lambda(th)[None], reml)
    beta = ev["beta"][0] + 0.05
    s2 = 1.2 * float(ev["r2"][0] / ev["nu"][0])
    H = evaluate(st, s.to_lambda(th)[None], reml, hess=s, beta=beta[None], sigma2=np.array([s2]))["H_full"][0]
    p = X.shape[1]
    x0 = np.concatenate([beta, [np.log(s2)], th])
    fd = _fd_jacobian(lambda x: _full_gradient(st, s, reml, x[:p], x[p], x[p + 1 :]), x0)
    np.testing.assert_allclose(H, 0.5 * (fd + fd.T), rtol=1e-6, atol=1e-6 * np.abs(fd).max())


@pytest.mark.parametrize("q, diag", STRUCTURES)
@pytest.mark.parametrize("reml", [True, False])
def test_profile_hessian_matches_finite_differences(q, diag, reml):
    y, X, Z, g = sim(seed=10 + q, q=q)
    st = _stats(y, X, Z, g)
    s = Structure.diagonal(q) if diag else Structure.unstructured(q)
    th = np.random.default_rng(2).normal(0.5, 0.3, s.k)
    H = evaluate(st, s.to_lambda(th)[None], reml, hess=s)["H_profile"][0]
    fd = _fd_jacobian(
        lambda x: s.from_lambda(evaluate(st, s.to_lambda(x)[None], reml, grad=True)["grad_lambda"])[0], th
    )
    np.testing.assert_allclose(H, 0.5 * (fd + fd.T), rtol=1e-6, atol=1e-6 * np.abs(fd).max())


def test_hessian_of_a_batch_equals_hessians_of_its_data_sets():
    """Stacked (unequal group counts) and single evaluations give the same Hessians."""
    ds = [sim(G=30 + 7 * d, seed=30 + d) for d in range(3)]
    from alscell.analysis.lmm.batch import _stack_lists

    st = _stack_lists([d[0] for d in ds], [d[1] for d in ds], [d[2] for d in ds], [d[3] for d in ds])
    s = Structure.unstructured(2)
    th = np.random.default_rng(3).normal(0.5, 0.2, (3, s.k))
    out = evaluate(st, s.to_lambda(th), True, hess=s)
    for d, (y, X, Z, g) in enumerate(ds):
        one = evaluate(_stats(y, X, Z, g), s.to_lambda(th[d])[None], True, hess=s)
        np.testing.assert_allclose(out["H_full"][d], one["H_full"][0], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(out["H_profile"][d], one["H_profile"][0], rtol=1e-9, atol=1e-9)


@pytest.fixture
def hessian_calls(monkeypatch):
    """Counts analytic-Hessian computations."""
    calls = {"n": 0}
    orig = lik._hessian

    def counting(*a, **k):
        calls["n"] += 1
        return orig(*a, **k)

    monkeypatch.setattr(lik, "_hessian", counting)
    return calls


def test_robust_standard_errors_do_not_compute_the_observed_information(hessian_calls):
    y, X, Z, g = sim(G=80, seed=4)
    r = fit_lmm(y, X, Z, g, cov_type="robust")
    n0 = hessian_calls["n"]  # the optimiser's Newton steps
    _ = (r.bse, r.df, r.pvalues, r.tvalues, r.conf_int(), r.contrast({"x1": 1.0}), r.summary(), r.predict(X[:3]))
    assert hessian_calls["n"] == n0
    model = fit_lmm(y, X, Z, g)
    n1 = hessian_calls["n"]
    np.testing.assert_allclose(r.cov_params_model.values, model.cov_params_model.values, rtol=1e-10)
    assert hessian_calls["n"] == n1 + 2  # once for each result, on first use
    _ = (model.bse, model.df, r.cov_params("model"), r.convergence["hessian_pd"])
    assert hessian_calls["n"] == n1 + 2


def test_model_based_results_compute_the_hessian_once(hessian_calls):
    y, X, Z, g = sim(G=80, seed=5)
    r = fit_lmm(y, X, Z, g)
    n0 = hessian_calls["n"]
    assert r.convergence["hessian_pd"] is True
    _ = (r.bse, r.df, r.contrast([0, 1, 0]), r.cov_params_model)
    assert hessian_calls["n"] == n0 + 1


def _batch_data(D=8, G=60, seed=6):
    _y, X, Z, g = sim(G=G, seed=seed)
    rng = np.random.default_rng(seed)
    b = rng.multivariate_normal([0, 0], [[20, -2], [-2, 9]], (D, G))
    Y = (X @ [40.0, -10.0, 1.0])[None] + np.einsum("nq,dnq->dn", Z, b[:, g]) + rng.normal(0, 2, (D, len(g)))
    return Y, X, Z, g


@pytest.mark.parametrize("reml", [True, False])
@pytest.mark.parametrize("cov_type", ["model", "expected", "robust"])
def test_batch_equals_individual_fits(reml, cov_type):
    Y, X, Z, g = _batch_data()
    bat = fit_lmm_batch(Y, X, Z, g, reml=reml, cov_type=cov_type)
    assert bat.converged.all() and not bat.refitted.any()
    for d in range(len(Y)):
        r = fit_lmm(Y[d], X, Z, g, reml=reml, cov_type=cov_type)
        np.testing.assert_allclose(bat.llf[d], r.llf, rtol=1e-10)
        np.testing.assert_allclose(bat.fe_params[d], r.fe_params.values, rtol=1e-6)
        np.testing.assert_allclose(bat.bse[d], r.bse.values, rtol=1e-6)
        np.testing.assert_allclose(bat.df[d], r.df.values, rtol=1e-6)
        np.testing.assert_allclose(bat.scale[d], r.scale, rtol=1e-6)
        np.testing.assert_allclose(bat.cov_re[d], r.cov_re.values, rtol=1e-6, atol=1e-6)


def test_batch_of_unequal_data_sets_equals_individual_fits():
    ds = [sim(G=30 + 9 * d, seed=40 + d) for d in range(5)]
    bat = fit_lmm_batch([d[0] for d in ds], [d[1] for d in ds], [d[2] for d in ds], [d[3] for d in ds])
    for k, (y, X, Z, g) in enumerate(ds):
        r = fit_lmm(y, X, Z, g)
        np.testing.assert_allclose(bat.llf[k], r.llf, rtol=1e-10)
        np.testing.assert_allclose(bat.bse[k], r.bse.values, rtol=1e-6)
        np.testing.assert_allclose(bat.df[k], r.df.values, rtol=1e-6)


def test_a_data_set_that_has_converged_is_not_evaluated_again(monkeypatch):
    """Data set 0 starts at its optimum: one evaluation, while the others iterate from far away;
    every evaluation covers only the data sets still iterating."""
    Y, X, Z, g = _batch_data(D=6, seed=7)
    first = fit_lmm_batch(Y, X, Z, g)
    start = np.broadcast_to(0.02 * np.eye(2), (6, 2, 2)).copy()
    start[0] = first.lambdas[0]
    seen = []
    orig = optim.evaluate

    def recording(stats, Lam, *a, **k):
        seen.append(stats.D)
        return orig(stats, Lam, *a, **k)

    monkeypatch.setattr(optim, "evaluate", recording)
    bat = fit_lmm_batch(Y, X, Z, g, start=start)
    assert bat.converged.all()
    assert bat.n_eval[0] == 1
    assert (bat.n_eval[1:] >= 3).all()
    assert sum(seen) == bat.n_eval.sum()  # evaluations are of the iterating data sets only
    assert seen[0] == 6 and max(seen[1:]) <= 5
    np.testing.assert_allclose(bat.llf, first.llf, rtol=1e-12)
    np.testing.assert_allclose(bat.bse, first.bse, rtol=1e-8)  # other starts, same (polished) optimum


def test_newton_converges_in_few_evaluations():
    """With the exact Hessian a fit from the moment start takes a handful of evaluations."""
    y, X, Z, g = sim(G=200, seed=8)
    r = fit_lmm(y, X, Z, g)
    assert r.converged
    assert r.convergence["evaluations"] <= 8


def test_results_pickle_before_and_after_the_hessian():
    import pickle

    y, X, Z, g = sim(G=50, seed=9)
    r = fit_lmm(y, X, Z, g, cov_type="robust")
    r2 = pickle.loads(pickle.dumps(r))
    np.testing.assert_allclose(r2.cov_params_model.values, r.cov_params_model.values)
    r3 = pickle.loads(pickle.dumps(r))
    np.testing.assert_allclose(r3.bse.values, r.bse.values)


def test_sliced_evaluation_of_a_large_data_set_is_exact(monkeypatch):
    """A single data set evaluated in slices of groups gives the unsliced deviance, gradient, Hessian."""
    y, X, Z, g = sim(G=300, seed=10)
    st = _stats(y, X, Z, g)
    s = Structure.unstructured(2)
    Lam = s.to_lambda(np.array([[0.9, -0.1, 0.7]]))
    whole = evaluate(st, Lam, True, hess=s)
    monkeypatch.setattr(lik, "CHUNK_GROUPS", 40)
    assert len(lik._chunks(st, keep=False)) > 1
    sliced = evaluate(st, Lam, True, hess=s)
    for name in ("dev", "beta", "grad_lambda", "H_full", "H_profile", "J"):
        np.testing.assert_allclose(sliced[name], whole[name], rtol=1e-11, atol=1e-11)


def test_statistics_do_not_depend_on_row_order_or_shared_columns():
    y, X, Z, g = sim(G=40, seed=11)
    a = _stats(y, X, Z, g)
    perm = np.random.default_rng(0).permutation(len(y))
    Zc = Z + 0.0 * X[:, :2]  # equal values, distinct arrays
    b = _stats(y[perm], X[perm], Zc[perm], g[perm])
    for name in ("XtX", "XtZ", "ZtZ", "Xty", "Zty", "yty", "n_i"):
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-12, atol=1e-12)


def test_the_optimum_does_not_depend_on_the_path():
    """The final Newton step makes the estimates exact to rounding, not just within the tolerance."""
    y, X, Z, g = sim(G=120, seed=12, q=3)
    default = fit_lmm(y, X, Z, g)
    tight = fit_lmm(y, X, Z, g, tol=1e-14)
    warm = fit_lmm(y, X, Z, g, start=0.5 * default.lambda_)
    for r in (tight, warm):
        np.testing.assert_allclose(r.fe_params.values, default.fe_params.values, rtol=1e-9)
        np.testing.assert_allclose(r.bse.values, default.bse.values, rtol=1e-8)
        np.testing.assert_allclose(r.df.values, default.df.values, rtol=1e-7)
        np.testing.assert_allclose(r.cov_re.values, default.cov_re.values, rtol=1e-7, atol=1e-9)


def test_sorted_integer_groups_are_factorised_as_np_unique_does():
    from alscell.analysis.lmm.batch import _sorted_int_groups

    rng = np.random.default_rng(3)
    sizes = [5, 0, 7, 3]
    ds_id = np.repeat(np.arange(len(sizes)), sizes)
    g = np.concatenate([np.sort(rng.integers(0, 4, n)) for n in sizes]).astype(np.int32)
    codes, ukey, width, dtype = _sorted_int_groups(ds_id, g)
    ref_ukey, ref_codes = np.unique(ds_id.astype(np.int64) * width + g, return_inverse=True)
    np.testing.assert_array_equal(codes, ref_codes.ravel())
    np.testing.assert_array_equal(ukey, ref_ukey)
    assert dtype == np.int32
    assert _sorted_int_groups(ds_id, g[::-1].copy()) is None  # unsorted within a data set: the general path
    assert _sorted_int_groups(ds_id, g.astype(str)) is None


def _panels(D=5, G=40, V=7, seed=50, empty=True):
    """Panels (D, G, V) with missed occasions (NaN), jittered times and, optionally, a group never seen."""
    rng = np.random.default_rng(seed)
    t = np.arange(V) + rng.normal(0, 0.1, (D, G, V))
    t[..., 0] = 0.0
    arm = rng.integers(0, 2, (D, G, 1)).astype(float)
    b = rng.multivariate_normal([0, 0], [[20, -2], [-2, 1]], (D, G))
    Y = 40 - 1.0 * t + 0.3 * t * arm + b[..., :1] + b[..., 1:] * t + rng.normal(0, 2, (D, G, V))
    Y[rng.random((D, G, V)) < 0.25] = np.nan
    Y[:, :, 0] = np.where(np.isnan(Y[:, :, 0]), 40.0, Y[:, :, 0])
    if empty:
        Y[1, 3] = np.nan  # a group of data set 1 without any observation
    t_obs = np.where(np.isnan(Y), np.nan, t)  # like a trial's months: NaN where the visit was missed
    one = np.ones_like(t)
    X = np.moveaxis(np.stack([one, t_obs, t_obs * arm]), 0, -1)
    Z = np.moveaxis(np.stack([one, t_obs]), 0, -1)
    return Y, X, Z


@pytest.mark.parametrize("cov_type", ["model", "robust"])
def test_panel_batch_equals_long_batch_and_individual_fits(cov_type):
    """Panels (groups × occasions, NaN = not observed) give the fits of the long format, group labels
    included (a group without observations is no group), and of fit_lmm on each data set."""
    Y, X, Z = _panels()
    D, G, _v = Y.shape
    longs = []
    for d in range(D):
        r, c = np.nonzero(~np.isnan(Y[d]))
        longs.append((Y[d][r, c], X[d][r, c], Z[d][r, c], r))
    pan = fit_lmm_batch(Y, X, Z, None, cov_type=cov_type)
    lon = fit_lmm_batch(*(list(v) for v in zip(*longs, strict=True)), cov_type=cov_type)
    assert pan.converged.all() and not pan.refitted.any()
    np.testing.assert_array_equal(pan._stats.offsets, lon._stats.offsets)
    assert pan._stats.n_groups[1] == G - 1
    for a, b in zip(pan._stats.labels, lon._stats.labels, strict=True):
        np.testing.assert_array_equal(a, b)
    for name in ("fe_params", "bse", "df", "scale", "llf"):
        np.testing.assert_allclose(getattr(pan, name), getattr(lon, name), rtol=1e-9)
    np.testing.assert_allclose(pan.cov_re, lon.cov_re, rtol=1e-8, atol=1e-10)
    for d in range(D):
        r = fit_lmm(*longs[d], cov_type=cov_type)
        np.testing.assert_allclose(pan.llf[d], r.llf, rtol=1e-10)
        np.testing.assert_allclose(pan.fe_params[d], r.fe_params.values, rtol=1e-6)
        np.testing.assert_allclose(pan.bse[d], r.bse.values, rtol=1e-6)
        np.testing.assert_allclose(pan.df[d], r.df.values, rtol=1e-6)
        np.testing.assert_allclose(pan.result(d).llf, r.llf, rtol=1e-10)


def test_panel_with_a_separate_random_effect_column_and_bad_input():
    """A Z column that is not a column of X is multiplied on its own; non-finite X where y is observed
    and shapes that do not match are refused."""
    Y, X, Z = _panels(D=3, G=30, seed=51, empty=False)
    Z2 = np.concatenate([Z[..., :1], 0.5 * Z[..., 1:]], axis=-1)  # slope on t/2: same model, scaled
    a = fit_lmm_batch(Y, X, Z, None)
    b = fit_lmm_batch(Y, X, Z2, None)
    np.testing.assert_allclose(a.llf, b.llf, rtol=1e-10)
    np.testing.assert_allclose(a.fe_params, b.fe_params, rtol=1e-6)
    # columns instead of stacked arrays: numbers and arrays broadcast to (D, G, V), shared objects
    t, tarm = X[..., 1], X[..., 2]
    c = fit_lmm_batch(Y, [1.0, t, tarm], [1.0, t], None)
    np.testing.assert_allclose(c.llf, a.llf, rtol=1e-12)
    np.testing.assert_allclose(c.fe_params, a.fe_params, rtol=1e-9)
    np.testing.assert_allclose(c.bse, a.bse, rtol=1e-9)
    w = np.random.default_rng(1).integers(0, 2, (3, 30, 1)).astype(float)  # per group: broadcasts over V
    e = fit_lmm_batch(Y, [1.0, w, t, t * w], [1.0, t], None)
    assert e.fe_params.shape == (3, 4) and e.converged.all()
    with pytest.raises(ValueError, match="broadcast"):
        fit_lmm_batch(Y, [1.0, t[:, :2]], [1.0], None)
    bad = X.copy()
    d, g, v = np.argwhere(~np.isnan(Y))[5]
    bad[d, g, v, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        fit_lmm_batch(Y, bad, Z, None)
    with pytest.raises(ValueError, match="panel"):
        fit_lmm_batch(Y, X[:, :, :-1], Z, None)


def test_evaluation_blocks_are_of_equal_size(monkeypatch):
    """A batch is evaluated in blocks of about BLOCK_GROUPS groups of equal size (no small last block,
    which would cost a whole evaluation's overhead for a few data sets); results do not depend on them."""
    Y, X, Z, g = _batch_data(D=10, G=60, seed=60)
    whole = fit_lmm_batch(Y, X, Z, g)
    monkeypatch.setattr(optim, "BLOCK_GROUPS", 130)  # 600 groups -> 5 blocks (not 4 of 130 and one of 80)
    split = optim._blocks(whole._stats)(np.arange(10))
    assert [s.stop - s.start for s in split] == [2, 2, 2, 2, 2]
    assert [s.stop - s.start for s in optim._blocks(whole._stats)(np.array([0, 3, 4, 7]))] == [2, 2]
    blocked = fit_lmm_batch(Y, X, Z, g)
    np.testing.assert_allclose(blocked.llf, whole.llf, rtol=1e-12)
    np.testing.assert_allclose(blocked.bse, whole.bse, rtol=1e-9)

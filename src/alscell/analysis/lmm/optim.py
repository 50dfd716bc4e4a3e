"""Optimisers for the profiled deviance over the relative Cholesky factor Λ.

* :func:`moment_start` — vectorised method-of-moments starting values.
* :func:`lbfgs_fit` — scipy L-BFGS-B with the analytic gradient (one data set).
* :func:`newton_batch` — damped Newton on many data sets at once with the
  analytic Hessian (:func:`~.likelihood._hessian`), Levenberg damping and
  per-data-set backtracking; only data sets still iterating are evaluated.
  It polishes L-BFGS-B solutions and drives :func:`fit_lmm_batch`.

Λ is optimised unconstrained: the deviance depends on Λ only through ΛΛᵀ, so a
negative diagonal entry is as good as a positive one; results are normalised
to a non-negative diagonal afterwards.  A zero variance (boundary fit) is an
ordinary interior point of this parameterisation.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import minimize

from .design import GroupStats
from .likelihood import Structure, _inv_t, _mv, evaluate


def _T(a):
    return np.swapaxes(a, -1, -2)


def normalize_lambda(Lam: np.ndarray) -> np.ndarray:
    """Flip the sign of columns with a negative diagonal (same ΛΛᵀ)."""
    Lam = np.array(Lam, dtype=float, copy=True)
    d = np.diagonal(Lam, axis1=-2, axis2=-1)
    sgn = np.where(d < 0, -1.0, 1.0)
    return Lam * sgn[..., None, :]


def _eig_extremes_t(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest eigenvalue of symmetric group-last stacks (q, q, G)."""
    q = M.shape[0]
    if q == 1:
        return M[0, 0], M[0, 0]
    if q == 2:
        h = 0.5 * (M[0, 0] + M[1, 1])
        r = np.hypot(0.5 * (M[0, 0] - M[1, 1]), M[0, 1])
        return h - r, h + r
    w = np.linalg.eigvalsh(np.moveaxis(M, -1, 0))
    return w[:, 0], w[:, -1]


def moment_start(stats: GroupStats, structure: Structure) -> np.ndarray:
    """Method-of-moments starting θ for every data set, shape (D, k).

    Per-group OLS of the residuals on Z, corrected for sampling noise; per-group work is done in
    the group-last layout with closed-form small inverses (no Python loop, no LAPACK per group).
    """
    q, D = stats.q, stats.D
    t = stats.t
    XtX = stats.sum_XtX
    beta0 = np.linalg.solve(XtX + 1e-10 * np.eye(stats.p), np.moveaxis(t.sum_Xty, -1, 0)[..., None])[..., 0]
    bg = stats.per_group_t(beta0.T)  # (p, G|1)
    Zte = t.Zty - _mv(t.ZtX, bg)  # (q, G)
    ete = t.yty - 2 * (bg * t.Xty).sum(0) + (bg * _mv(t.XtX, bg)).sum(0)
    tot_var = stats.dsum_t(ete) / np.maximum(stats.n_obs - stats.p, 1.0)
    wmin, wmax = _eig_extremes_t(t.ZtZ)
    ok = (stats.n_i > q) & (wmin > 1e-8 * np.maximum(wmax, 1e-300))
    Lam0 = np.zeros((D, q, q))
    # default: a modest random intercept-ish scale on each column
    zs = np.sqrt(np.maximum(np.diagonal(t.sum_ZtZ) / stats.n_obs[:, None], 1e-12))  # (D, q)
    for j in range(q):
        Lam0[:, j, j] = 0.5 / zs[:, j]
    if ok.sum() >= q + 2:
        eye_t = np.eye(q)[:, :, None]
        with np.errstate(all="ignore"):  # (the log-determinants are not used)
            Zinv = _inv_t(np.where(ok, t.ZtZ, eye_t))[0]
        b = _mv(Zinv, Zte)  # (q, G)
        within = np.where(ok, ete - (Zte * b).sum(0), 0.0)
        okf = ok.astype(float)
        dof = stats.dsum_t(okf * (stats.n_i - q))
        sig2 = stats.dsum_t(within) / np.maximum(dof, 1.0)
        sig2 = np.where((sig2 > 0) & np.isfinite(sig2), sig2, tot_var)
        sig2 = np.maximum(sig2, 1e-12 * np.maximum(tot_var, 1e-300))
        nok = stats.dsum_t(okf)
        mb = stats.dsum_t(okf * b) / np.maximum(nok, 1)  # (q, D)
        dev = b - stats.per_group_t(mb)
        cb = (
            np.moveaxis(stats.dsum_t(okf * dev[:, None, :] * dev[None, :, :]), -1, 0)
            / np.maximum(nok - 1, 1)[:, None, None]
        )
        mZinv = np.moveaxis(stats.dsum_t(okf * Zinv), -1, 0) / np.maximum(nok, 1)[:, None, None]
        psi = (cb - sig2[:, None, None] * mZinv) / sig2[:, None, None]
        psi = 0.5 * (psi + _T(psi))
        ev, evec = np.linalg.eigh(psi)
        floor = 1e-2 * np.maximum(np.abs(np.diagonal(cb, axis1=1, axis2=2)) / sig2[:, None], 1e-12).min(-1)
        ev = np.maximum(ev, floor[:, None])
        psi = (evec * ev[:, None, :]) @ _T(evec)
        good = np.all(np.isfinite(psi), axis=(1, 2))
        if good.any():
            L = np.linalg.cholesky(np.where(good[:, None, None], psi, np.eye(q)))
            Lam0 = np.where(good[:, None, None], L, Lam0)
    mask = np.zeros((q, q), dtype=bool)
    mask[list(structure.rows), list(structure.cols)] = True
    if structure.k < q * (q + 1) // 2:  # restricted structure: keep allowed entries' scale
        diagpsi = np.einsum("dij,dij->di", Lam0, Lam0)
        Lam0 = np.zeros_like(Lam0)
        idx = np.arange(q)
        Lam0[:, idx, idx] = np.sqrt(diagpsi)
        Lam0 = np.where(mask, Lam0, 0.0)
    return structure.from_lambda(Lam0)


def _obj_grad(stats, structure, reml, scale_n):
    def f(theta):
        Lam = structure.to_lambda(theta)[None]
        out = evaluate(stats, Lam, reml, grad=True)
        g = structure.from_lambda(out["grad_lambda"])[0]
        return float(out["dev"][0]) / scale_n, g / scale_n

    return f


def lbfgs_fit(stats: GroupStats, structure: Structure, reml: bool, theta0: np.ndarray, maxiter: int = 500) -> dict:
    """Minimise the profiled deviance of a single data set with L-BFGS-B."""
    scale_n = float(stats.n_obs[0])
    f = _obj_grad(stats, structure, reml, scale_n)
    res = minimize(
        f,
        np.asarray(theta0, dtype=float),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": maxiter, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20},
    )
    return {
        "theta": res.x,
        "dev": res.fun * scale_n,
        "success": bool(res.success),
        "message": str(res.message),
        "nit": int(res.nit),
        "nfev": int(res.nfev),
    }


def _grad_theta(stats, structure, reml, theta):
    out = evaluate(stats, structure.to_lambda(theta), reml, grad=True)
    return out["dev"], structure.from_lambda(out["grad_lambda"])


_KEEP = ("dev", "beta", "r2", "A", "Ainv", "H_full", "J")
BLOCK_GROUPS = 16_384  # groups per evaluation block of a batch: temporaries stay small enough to be reused


def _blocks(stats: GroupStats):
    """Split data sets into consecutive blocks of about :data:`BLOCK_GROUPS` groups.

    A batch evaluated in one piece allocates temporaries of many megabytes that the allocator
    returns to the system and faults in again at every evaluation (most of the run time at
    500 × 200); blocks keep every temporary small and the results are identical.
    """
    ng = np.diff(stats.offsets)

    def split(idx):
        # as many blocks as BLOCK_GROUPS fit (rounded), of equal size: no small last block, which
        # would cost a whole evaluation's Python overhead for a few data sets
        csum = np.cumsum(ng[idx])
        n_blocks = max(1, round(int(csum[-1]) / BLOCK_GROUPS))
        size = csum[-1] / n_blocks
        cut = np.searchsorted(csum, np.arange(1, n_blocks) * size, side="right")
        edges = np.unique(np.r_[0, np.minimum(cut, len(idx)), len(idx)])
        return [slice(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]

    return split


def newton_batch(
    stats: GroupStats,
    structure: Structure,
    reml: bool,
    theta0: np.ndarray,
    maxiter: int = 50,
    tol: float = 1e-9,
    polish: str = "evaluate",
) -> dict:
    """Damped Newton with the analytic Hessian for all data sets at once.

    Each iteration evaluates only the data sets still iterating (and, in the line search, only those
    whose step was rejected), so a data set that converges after two steps costs two evaluations
    however many others are still running.  Every evaluation returns deviance, gradient and the
    analytic Hessian together, so an accepted step needs no further work.

    Convergence per data set: Newton decrement ``gᵀ(H+μI)⁻¹g / 2 < tol``
    (deviance units, i.e. the deviance is within ~tol of the local optimum)
    or no further decrease possible at machine precision.

    A converged data set still takes its last (pure Newton) step, which quadratic convergence makes
    exact to rounding, so results do not depend on the path by ~tol: with ``polish="evaluate"`` it
    is evaluated (one more evaluation, only where the step matters: decrement ≥ 1e-15), with
    ``"step"`` only taken (for callers that evaluate the optimum themselves; ``last`` and the
    deviance are then those of the point before).

    Returns θ, deviance, gradient, flags, iterations, ``n_eval`` (likelihood evaluations per data
    set) and ``last``: the last evaluation's per-data-set quantities (β̂, r², A, A⁻¹, the full
    Hessian in (β, log σ², θ) and J), so callers need not evaluate the optimum again.
    """
    theta = np.array(theta0, dtype=float, copy=True)
    D = theta.shape[0]
    n_eval = np.zeros(D, dtype=np.int64)
    cache: dict = {}

    blocks_of = _blocks(stats)

    def ev(idx, th):
        key = (len(idx), int(idx[0]), int(idx[-1]))
        subs = cache.get("subs") if cache.get("key") == key and np.array_equal(cache["idx"], idx) else None
        if subs is None:
            subs = [(sl, stats.select(idx[sl])) for sl in blocks_of(idx)]
            cache.update(key=key, idx=idx.copy(), subs=subs)
        outs = [evaluate(sub, structure.to_lambda(th[sl]), reml, hess=structure) for sl, sub in subs]
        n_eval[idx] += 1
        if len(outs) == 1:
            return outs[0]
        return {name: np.concatenate([o[name] for o in outs]) for name in ("grad_lambda", "H_profile", *_KEEP)}

    out = ev(np.arange(D), theta)
    f = out["dev"].copy()
    g = structure.from_lambda(out["grad_lambda"])
    H = out["H_profile"].copy()
    last = {name: out[name].copy() for name in _KEEP}
    conv = np.zeros(D, dtype=bool)
    failed = np.zeros(D, dtype=bool)
    decrement = np.full(D, np.inf)
    n_iter = np.zeros(D, dtype=int)
    final = np.zeros_like(theta)  # the last Newton step of each converged data set
    final_dec = np.zeros(D)
    for _it in range(maxiter):
        act = np.flatnonzero(~(conv | failed))
        if not len(act):
            break
        Ha, ga = H[act], g[act]
        bad = ~(np.isfinite(Ha).all(axis=(1, 2)) & np.isfinite(ga).all(axis=1) & np.isfinite(f[act]))
        if bad.any():
            failed[act[bad]] = True
            act, Ha, ga = act[~bad], Ha[~bad], ga[~bad]
            if not len(act):
                break
        w, V = np.linalg.eigh(Ha)
        wmax = np.maximum(np.abs(w).max(-1), 1e-300)
        # positive definite: the Newton step.  Otherwise the Hessian with its eigenvalues replaced by
        # max(|w|, 1e-4 max|w|): negative curvature becomes descent with a step of the curvature's
        # own scale (a plain Levenberg shift to barely positive would make that step enormous)
        pd = w[:, 0] > 1e-10 * wmax
        wm = np.where(pd[:, None], w, np.maximum(np.abs(w), 1e-4 * wmax[:, None]))
        d = -np.einsum("dij,dj->di", V, np.einsum("dji,dj->di", V, ga) / wm)
        mu = np.where(pd, 0.0, 1.0)  # (only "was the model modified" matters below)
        dec = -np.einsum("di,di->d", ga, d) / 2
        decrement[act] = dec
        newly = (dec < tol) & (mu == 0)
        conv[act[newly]] = True
        final[act[newly]] = d[newly]
        final_dec[act[newly]] = dec[newly]
        act, d, dec = act[~newly], d[~newly], dec[~newly]
        if not len(act):
            break
        n_iter[act] += 1
        # a step never changes Λ by more than max(1, 2‖θ‖∞) per entry: far from the optimum (or along a
        # direction of negative curvature) the Newton step can be huge and would need many halvings
        cap = np.maximum(1.0, 2.0 * np.abs(theta[act]).max(-1))
        step = np.minimum(1.0, cap / np.maximum(np.abs(d).max(-1), 1e-300))
        pend = act
        for _ in range(40):
            tn = theta[pend] + step[:, None] * d
            o = ev(pend, tn)
            fn = o["dev"]
            ok = np.isfinite(fn) & (fn <= f[pend] - 1e-4 * step * 2 * dec + 1e-12 * np.abs(f[pend]))
            acc = pend[ok]
            theta[acc] = tn[ok]
            f[acc] = fn[ok]
            g[acc] = structure.from_lambda(o["grad_lambda"][ok])
            H[acc] = o["H_profile"][ok]
            for name in _KEEP:
                last[name][acc] = o[name][ok]
            pend, step, d, dec = pend[~ok], step[~ok] * 0.5, d[~ok], dec[~ok]
            if not len(pend):
                break
        # data sets where no step could be taken: at machine precision optimum
        small = decrement[pend] < 1e-6 * np.maximum(1.0, np.abs(f[pend]))
        conv[pend[small]] = True
        failed[pend[~small]] = True
    pol = np.flatnonzero(conv & (final_dec >= 1e-15))
    if len(pol) and polish == "evaluate":
        tn = theta[pol] + final[pol]
        o = ev(pol, tn)
        ok = np.isfinite(o["dev"]) & (o["dev"] <= f[pol] + 1e-9 * np.maximum(1.0, np.abs(f[pol])))
        acc = pol[ok]
        theta[acc] = tn[ok]
        f[acc] = o["dev"][ok]
        g[acc] = structure.from_lambda(o["grad_lambda"][ok])
        for name in _KEEP:
            last[name][acc] = o[name][ok]
    elif len(pol) and polish == "step":
        theta[pol] += final[pol]
    return {
        "theta": theta,
        "dev": f,
        "grad": g,
        "converged": conv,
        "n_iter": n_iter,
        "decrement": decrement,
        "n_eval": n_eval,
        "last": last,
    }

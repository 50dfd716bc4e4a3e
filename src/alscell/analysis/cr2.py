"""CR2 cluster-robust variance with Bell–McCaffrey (Satterthwaite) df — the one implementation.

Follows R ``clubSandwich::coef_test(vcov = "CR2", test = "Satterthwaite")`` for a model fitted by
generalised least squares under a working covariance Φ_j per cluster (``inverse_var = TRUE``: weights
W_j = Φ_j⁻¹; OLS is Φ_j = I, WLS Φ_j = diag(1/w), a mixed model Φ_j = Z_j Ψ Z_jᵀ + σ² I).  With
M = (Σ X_jᵀ W_j X_j)⁻¹, R_j the upper Cholesky factor of Φ_j and S_j = Φ_j − X_j M X_jᵀ:

* adjustment A_j = R_jᵀ (R_j S_j R_jᵀ)^(−1/2) R_j (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018), so
  the sandwich Σ_j M X_jᵀ W_j A_j e_j e_jᵀ A_jᵀ W_j X_j M is unbiased when Φ is right;
* for a contrast c, the variance is a sum of squares of a_j e_j (a_j = cᵀ M X_jᵀ W_j A_j); under the working
  model those terms have covariance P = diag(a_j Φ_j a_jᵀ) − (a X) M (a X)ᵀ, and df = tr(P)² / tr(P²).
  A contrast carried by k clusters gets about k − 1 df, whatever the total number of clusters.

Goldens: ``tests/analysis/goldens/cr2_clubsandwich.R`` (numbers in ``cr2_clubsandwich.csv``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alscell.analysis.distributions import t_ppf, t_sf


def _inv_sqrt_psd(M: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """(k, n, n) symmetric PSD → pseudo-inverse symmetric square roots."""
    w, V = np.linalg.eigh(M)
    top = np.maximum(w.max(axis=-1, keepdims=True), 1e-300)
    ok = w > tol * top
    w = np.where(ok, 1.0 / np.sqrt(np.where(ok, w, 1.0)), 0.0)
    return (V * w[:, None, :]) @ np.swapaxes(V, -1, -2)


def _batches(groups) -> tuple[int, list[tuple[np.ndarray, np.ndarray]]]:
    """Clusters grouped by size: [(cluster indices (k,), row indices (k, n))]."""
    codes, _ = pd.factorize(np.asarray(groups))
    G = int(codes.max()) + 1
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=G)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    out = []
    for n in np.unique(sizes):
        gs = np.flatnonzero(sizes == n)
        out.append((gs, order[starts[gs][:, None] + np.arange(n)[None, :]]))
    return G, out


def cr2_test(
    y: np.ndarray,
    X: np.ndarray,
    groups: np.ndarray,
    L: np.ndarray,
    *,
    Z: np.ndarray | None = None,
    psi: np.ndarray | None = None,
    sigma2: float = 1.0,
    weights: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """GLS estimate, CR2 SE, Bell–McCaffrey df, t, p and CI for each row of ``L`` (m × p).

    Working covariance per cluster: ``Z_j psi Z_jᵀ + sigma2 · diag(1/weights_j)`` (``Z``/``psi`` omitted:
    no random effects; ``weights`` omitted: 1).  ``beta`` defaults to the GLS estimate under it.
    """
    y = np.asarray(y, float)
    X = np.asarray(X, float)
    L = np.atleast_2d(np.asarray(L, float))
    w = np.ones(len(y)) if weights is None else np.asarray(weights, float)
    G, batches = _batches(groups)
    m = L.shape[0]
    blocks = []
    XtWX = np.zeros((X.shape[1], X.shape[1]))
    XtWy = np.zeros(X.shape[1])
    for gs, idx in batches:
        n = idx.shape[1]
        Phi = sigma2 * (np.eye(n)[None] / w[idx][:, :, None])
        if Z is not None and psi is not None:
            Zi = np.asarray(Z, float)[idx]
            Phi = Phi + Zi @ np.asarray(psi, float) @ np.swapaxes(Zi, -1, -2)
        Wi = np.linalg.inv(Phi)
        Xi = X[idx]
        WX = Wi @ Xi
        XtWX += np.einsum("kni,knj->ij", Xi, WX)
        XtWy += np.einsum("kni,kn->i", WX, y[idx])
        blocks.append((gs, idx, Phi, WX))
    M = np.linalg.pinv(XtWX)
    b = M @ XtWy if beta is None else np.asarray(beta, float)
    e = y - X @ b
    ML = M @ L.T  # (p, m)
    comp = np.zeros((m, G))  # a_j e_j
    q = np.zeros((m, G))  # a_j Φ_j a_jᵀ
    Wv = np.zeros((m, G, X.shape[1]))  # X_jᵀ a_jᵀ
    for gs, idx, Phi, WX in blocks:
        Xi = X[idx]
        R = np.swapaxes(np.linalg.cholesky(Phi), -1, -2)  # Φ = RᵀR
        S = Phi - Xi @ M @ np.swapaxes(Xi, -1, -2)
        Gm = _inv_sqrt_psd(R @ S @ np.swapaxes(R, -1, -2))
        A = np.swapaxes(R, -1, -2) @ Gm @ R
        a = np.swapaxes(A, -1, -2) @ (WX @ ML)  # (k, n, m): a_jᵀ = A_jᵀ W_j X_j M c
        comp[:, gs] = np.einsum("knm,kn->mk", a, e[idx])
        q[:, gs] = np.einsum("knm,knl,klm->mk", a, Phi, a)
        Wv[:, gs, :] = np.swapaxes(np.swapaxes(a, -1, -2) @ Xi, 0, 1)
    est = L @ b
    se = np.sqrt((comp**2).sum(axis=1))
    df = np.empty(m)
    for k in range(m):
        Wk = Wv[k]
        Pd = np.einsum("gi,ij,gj->g", Wk, M, Wk)
        MW = M @ (Wk.T @ Wk)
        tr = q[k].sum() - Pd.sum()
        tr2 = float((q[k] ** 2).sum() - 2 * (q[k] * Pd).sum() + np.trace(MW @ MW))
        df[k] = tr**2 / tr2 if tr2 > 0 else np.nan
    df = np.clip(np.nan_to_num(df, nan=1.0), 1.0, max(G - 1.0, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    crit = t_ppf(1 - alpha / 2, df)
    return pd.DataFrame(
        {
            "estimate": est,
            "se": se,
            "df": df,
            "t": t,
            "p": 2 * t_sf(np.abs(t), df),
            "lower": est - crit * se,
            "upper": est + crit * se,
        }
    )


def cr2_lmm(
    res, y: np.ndarray, X: np.ndarray, Z: np.ndarray, groups: np.ndarray, L: np.ndarray, *, alpha: float = 0.05
) -> pd.DataFrame:
    """:func:`cr2_test` for a fitted ``alscell.analysis.lmm`` result (its variance components, its β)."""
    Zr = np.asarray(Z, float)[:, list(res.re_cols)]
    return cr2_test(
        y,
        X,
        groups,
        L,
        Z=Zr,
        psi=res.cov_re.to_numpy(),
        sigma2=float(res.scale),
        beta=res.fe_params.to_numpy(),
        alpha=alpha,
    )


def cr2_named(res, y, X, Z, groups, names, contrast: dict[str, float], *, alpha: float = 0.05) -> pd.Series:
    """One named contrast ``{term: weight}`` of a fitted mixed model, CR2 / Bell–McCaffrey (a row)."""
    Lr = np.zeros(X.shape[1])
    for k, v in contrast.items():
        Lr[list(names).index(k)] = v
    return cr2_lmm(res, y, X, Z, groups, Lr[None, :], alpha=alpha).iloc[0]


def mixed_contrast(
    fit, y: np.ndarray, groups: np.ndarray, contrast: dict[str, float], *, cov_type: str = "robust", alpha: float = 0.05
) -> pd.Series:
    """A contrast of a :class:`~alscell.analysis.model_fit.MixedFit`: CR2 / Bell–McCaffrey when
    ``cov_type == "robust"`` (the default of every estimator), else the fit's own covariance and df."""
    if cov_type == "robust":
        return cr2_named(fit.result, y, fit.X, fit.Z, groups, fit.names, contrast, alpha=alpha)
    return fit.result.contrast(contrast, alpha=alpha).iloc[0]


__all__ = ["cr2_lmm", "cr2_named", "cr2_test", "mixed_contrast"]

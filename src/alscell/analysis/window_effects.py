"""Small-sample cluster-robust inference for mixed-model contrasts (CR2 + Bell–McCaffrey df).

Why: the claims table estimates one effect per route × cell source group, and a group is often carried by
a handful of patients.  The usual cluster-robust (CR1) sandwich with G − 1 df (G = all patients) then
badly understates the uncertainty: the influence of that contrast sits in a few clusters whose residuals
the fit has already pulled towards the estimate.  The remedy (Bell & McCaffrey, Survey Methodology
2002;28:169; Pustejovsky & Tipton, J Bus Econ Stat 2018;36:672; R package clubSandwich) is

* **CR2**: each cluster's whitened residuals are inflated by ``(I − H_ii)^(−1/2)`` (H the GLS hat matrix
  under the fitted working covariance V_i = Z_i Ψ Z_iᵀ + σ² I), which makes the sandwich exactly unbiased
  when the working model is right and keeps it consistent when it is not;
* **Bell–McCaffrey / Satterthwaite df** for each contrast: the sandwich variance is a quadratic form
  ``eᵀ M eᵀ`` in the (whitened) errors; with the eigenvalues λ of that form, df = (Σλ)² / Σλ².  For a
  contrast carried by k clusters this comes out near k − 1, whatever the total number of patients.

:func:`cr2_contrasts` takes a fitted :class:`alscell.analysis.lmm.LMMResult` and its data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def _batched_inv_sqrt_psd(M: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """(k, n, n) symmetric PSD → (k, n, n) pseudo-inverse square roots."""
    w, V = np.linalg.eigh(M)
    w = np.where(w > tol, 1.0 / np.sqrt(np.where(w > tol, w, 1.0)), 0.0)
    return (V * w[:, None, :]) @ np.swapaxes(V, -1, -2)


def cr2_contrasts(res, y, X, Z, groups, L, *, alpha: float = 0.05) -> pd.DataFrame:
    """Estimate, CR2 SE, Bell–McCaffrey df, t, p and CI for each row of ``L`` (m × p).

    ``res`` is the ``fit_lmm`` result for (y, X, Z, groups); its variance components define the working
    covariance (random-effect columns ``res.re_cols`` of Z, in case the fit fell back to fewer).
    Clusters are processed in batches of equal size (vectorised).
    """
    y = np.asarray(y, float)
    X = np.asarray(X, float)
    L = np.atleast_2d(np.asarray(L, float))
    Zr = np.asarray(Z, float)[:, list(res.re_cols)]
    psi = res.cov_re.to_numpy()
    s2 = float(res.scale)
    beta = res.fe_params.to_numpy()
    r = y - X @ beta
    codes, _ = pd.factorize(np.asarray(groups))
    G, p, m = int(codes.max()) + 1, X.shape[1], L.shape[0]
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=G)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    # batches of clusters with the same number of visits: row index arrays (k, n)
    batches = []
    for n in np.unique(sizes):
        gs = np.flatnonzero(sizes == n)
        idx = order[starts[gs][:, None] + np.arange(n)[None, :]]
        Zi = Zr[idx]  # (k, n, q)
        Vi = Zi @ psi @ np.swapaxes(Zi, -1, -2) + s2 * np.eye(n)
        U = np.swapaxes(np.linalg.cholesky(np.linalg.inv(Vi)), -1, -2)  # UᵀU = V⁻¹
        batches.append((gs, U @ X[idx], (U @ r[idx][..., None])[..., 0]))
    A = sum(np.einsum("kni,knj->ij", Xw, Xw) for _, Xw, _ in batches)
    Ainv = np.linalg.pinv(A)
    AL = Ainv @ L.T  # (p, m)
    meat_w = np.zeros((m, G))  # per cluster: c'A⁻¹ X̃_iᵀ (I − H_ii)^(−1/2) r̃_i
    QtX = np.zeros((m, G, p))  # q_iᵀ X̃_i
    qq = np.zeros((m, G))  # q_iᵀ q_i
    for gs, Xw, rw in batches:
        n = Xw.shape[1]
        H = Xw @ Ainv @ np.swapaxes(Xw, -1, -2)
        Ai = _batched_inv_sqrt_psd(np.eye(n) - H)
        Q = Ai @ (Xw @ AL)  # (k, n, m)
        meat_w[:, gs] = np.einsum("knm,kn->mk", Q, rw, optimize=True)
        QtX[:, gs, :] = np.swapaxes(np.swapaxes(Q, -1, -2) @ Xw, 0, 1)  # (m, k, p)
        qq[:, gs] = (Q * Q).sum(axis=1).T
    est = L @ beta
    se = np.sqrt((meat_w**2).sum(axis=1))
    # B = Q'(I − H)Q = diag(q'q) − W A⁻¹ Wᵀ (W = Q'X̃, G × p);  df = tr(B)² / tr(B²), without forming B
    df = np.empty(m)
    for k in range(m):
        W = QtX[k]
        WA = W @ Ainv
        Pdiag = (WA * W).sum(axis=1)
        WtW = W.T @ W
        M = Ainv @ WtW
        tr = qq[k].sum() - Pdiag.sum()
        tr2 = float((qq[k] ** 2).sum() - 2 * (qq[k] * Pdiag).sum() + np.trace(M @ M))
        df[k] = tr**2 / tr2 if tr2 > 0 else np.nan
    df = np.clip(np.nan_to_num(df, nan=1.0), 1.0, max(G - 1.0, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    q = stats.t.ppf(1 - alpha / 2, df)
    return pd.DataFrame(
        {
            "estimate": est,
            "se": se,
            "df": df,
            "t": t,
            "p": 2 * stats.t.sf(np.abs(t), df),
            "lower": est - q * se,
            "upper": est + q * se,
        }
    )


__all__ = ["cr2_contrasts"]

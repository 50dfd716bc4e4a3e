"""Inference after the fit: covariance of β, Satterthwaite df, BLUPs.

Covariances of β̂ (``cov_type``):

* ``"model"`` — inverse observed information of the (RE)ML likelihood in
  (β, σ², Λ), β block.  This is what statsmodels ``MixedLM`` reports and is a
  little larger than the expected-information version because it includes the
  β–covariance-parameter cross terms.
* ``"expected"`` — σ² (Σ XᵢᵀVᵢ⁻¹Xᵢ)⁻¹, the expected-information / GLS
  covariance (lme4, SAS ``PROC MIXED`` without KR adjustment).
* ``"robust"`` — cluster-robust sandwich, clustered by group::

      G/(G−1) · A⁻¹ (Σᵢ gᵢgᵢᵀ) A⁻¹,   gᵢ = XᵢᵀVᵢ⁻¹(yᵢ − Xᵢβ̂)

  (the CR1 small-sample factor G/(G−1)).

Satterthwaite degrees of freedom for a contrast lᵀβ use the expected-
information variance v(φ) = σ² lᵀA(θ)⁻¹l as a function of φ = (log σ², θ)
(lmerTest's approach)::

    df = 2 v² / (∇v)ᵀ C ∇v,   C = 2 · [∂²(−2ℓ)/∂φ∂φᵀ]⁻¹

with ∇v analytic (∂v/∂θ_k = σ² lᵀA⁻¹J_kA⁻¹l, J_k = Σ KᵢᵀΛ_kKᵢ) and the Hessian
a central difference of the analytic gradient.  df are clipped to [1, n − p].
"""

from __future__ import annotations

import numpy as np

from .design import GroupStats
from .likelihood import Structure, evaluate


def _T(a):
    return np.swapaxes(a, -1, -2)


def full_hessian(
    stats: GroupStats, structure: Structure, Lam: np.ndarray, reml: bool, beta: np.ndarray, sigma2: float
) -> np.ndarray:
    """Hessian of the non-profiled deviance in (β, log σ², θ) for one data set."""
    p, k = stats.p, structure.k
    theta = structure.from_lambda(Lam[None])[0]

    def grad(logs2, th):
        out = evaluate(
            stats, structure.to_lambda(th)[None], reml, grad=True, sigma2=np.array([np.exp(logs2)]), beta=beta[None]
        )
        return np.concatenate(
            [out["grad_beta"][0], [out["grad_logsigma2"][0]], structure.from_lambda(out["grad_lambda"])[0]]
        )

    m = p + 1 + k
    H = np.zeros((m, m))
    ls2 = np.log(sigma2)
    old = np.seterr(all="ignore")
    h0 = 1e-5
    cols = []
    # direction log σ²
    cols.append((grad(ls2 + h0, theta) - grad(ls2 - h0, theta)) / (2 * h0))
    scale_th = max(np.abs(theta).max(initial=0.0), 1e-3)
    for j in range(k):
        h = 1e-5 * max(abs(theta[j]), 1e-2 * scale_th)
        e = np.zeros(k)
        e[j] = h
        cols.append((grad(ls2, theta + e) - grad(ls2, theta - e)) / (2 * h))
    Cm = np.array(cols).T  # (m, 1 + k)
    H[:, p:] = Cm
    H[p:, :p] = Cm[:p].T
    A = evaluate(stats, Lam[None], reml)["A"][0]
    H[:p, :p] = 2 * A / sigma2
    H = 0.5 * (H + H.T)
    np.seterr(**old)
    return H


def psd_pinv(H: np.ndarray, rtol: float = 1e-10) -> tuple[np.ndarray, bool]:
    """Pseudo-inverse of a symmetric matrix; flags non-positive-definiteness."""
    if not np.all(np.isfinite(H)):
        return np.full_like(H, np.nan), False
    w, V = np.linalg.eigh(H)
    tol = rtol * max(np.abs(w).max(initial=0.0), 1e-300)
    pd_ok = bool(w.min(initial=np.inf) > tol)
    winv = np.where(w > tol, 1.0 / np.where(w > tol, w, 1.0), 0.0)
    return (V * winv) @ V.T, pd_ok


def compute(stats: GroupStats, structure: Structure, Lam: np.ndarray, reml: bool, need_hessian: bool = True) -> dict:
    """All fitted quantities for one data set at the optimum Λ (q×q)."""
    ev = evaluate(stats, Lam[None], reml, keep=True)
    beta = ev["beta"][0]
    nu = float(ev["nu"][0])
    scale = float(ev["r2"][0]) / nu
    Ainv = ev["Ainv"][0]
    p, q, G = stats.p, stats.q, stats.G
    cov_expected = scale * Ainv
    S = ev["S"]
    if S.shape[0] != G:
        S = np.broadcast_to(S, (G, q, q))
    Zte, K = ev["Zte"], ev["K"]
    blup = (S @ Zte[..., None])[..., 0]
    # cluster-robust
    Xte = stats.Xty - (stats.XtX @ beta)
    gi = Xte - (ev["XtZS"] @ Zte[..., None])[..., 0]
    meat = gi.T @ gi
    cr = G / (G - 1.0) if G > 1 else np.nan
    cov_robust = cr * Ainv @ meat @ Ainv
    # Satterthwaite ingredients
    dpsi = structure.dpsi(Lam[None])[0]  # (k, q, q)
    J = np.einsum("gap,kab,gbr->kpr", K, dpsi, K, optimize=True)
    out = dict(
        beta=beta,
        scale=scale,
        nu=nu,
        dev=float(ev["dev"][0]),
        A=ev["A"][0],
        Ainv=Ainv,
        cov_expected=cov_expected,
        cov_robust=0.5 * (cov_robust + cov_robust.T),
        S=np.ascontiguousarray(S),
        XtZS=ev["XtZS"],
        blup=blup,
        J=J,
    )
    if need_hessian:
        H = full_hessian(stats, structure, Lam, reml, beta, scale)
        Hinv, pd_ok = psd_pinv(H)
        cov_model = 2.0 * Hinv[:p, :p]
        Hphi = H[p:, p:]
        Cphi, pd_phi = psd_pinv(Hphi)
        out.update(H=H, cov_model=0.5 * (cov_model + cov_model.T), C_phi=2.0 * Cphi, hessian_pd=pd_ok and pd_phi)
    else:
        out.update(cov_model=cov_expected, C_phi=None, hessian_pd=None)
    return out


def satterthwaite_df(
    L: np.ndarray, scale: float, Ainv: np.ndarray, J: np.ndarray, C_phi: np.ndarray | None, df_max: float
) -> np.ndarray:
    """Satterthwaite df for each row of the contrast matrix L (m, p)."""
    L = np.atleast_2d(L)
    if C_phi is None:
        return np.full(L.shape[0], df_max)
    AL = Ainv @ L.T  # (p, m)
    v = scale * np.einsum("pm,pm->m", L.T, AL)
    dth = scale * np.einsum("pm,kpr,rm->mk", AL, J, AL)
    grad = np.concatenate([v[:, None], dth], axis=1)  # (m, 1 + k)
    denom = np.einsum("mi,ij,mj->m", grad, C_phi, grad)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = 2 * v**2 / denom
    df = np.where(np.isfinite(df), df, df_max)
    return np.clip(df, 1.0, df_max)

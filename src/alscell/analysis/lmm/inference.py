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

with ∇v analytic (∂v/∂θ_k = σ² lᵀA⁻¹J_kA⁻¹l, J_k = Σ KᵢᵀP_kKᵢ, P_k = ∂Ψ/∂θ_k) and the
analytic Hessian (:func:`~.likelihood._hessian`).  df are clipped to [1, n − p].

The Hessian costs one likelihood evaluation and is computed only when a model-based covariance or
Satterthwaite df is first asked for.
"""

from __future__ import annotations

import numpy as np

from .design import GroupStats
from .likelihood import Structure, evaluate


def _T(a):
    return np.swapaxes(a, -1, -2)


def hessian_quantities(
    stats: GroupStats, structure: Structure, Lam: np.ndarray, reml: bool, beta: np.ndarray, sigma2: float
) -> dict:
    """Observed-information quantities at the optimum of one data set (one likelihood evaluation).

    ``H``: analytic Hessian of the non-profiled deviance in (β, log σ², θ); ``cov_model`` = β block of
    2H⁻¹; ``C_phi`` = 2·(φ block)⁻¹ for Satterthwaite; ``J`` (k, p, p) = Σ KᵢᵀP_kKᵢ; ``hessian_pd``.
    """
    ev = evaluate(stats, Lam[None], reml, hess=structure, beta=beta[None], sigma2=np.array([float(sigma2)]))
    return from_hessian(ev["H_full"][0], ev["J"][0], stats.p)


def from_hessian(H: np.ndarray, J: np.ndarray, p: int) -> dict:
    """``cov_model``, ``C_phi``, ``hessian_pd`` from the full Hessian H (m, m) of one data set."""
    Hinv, pd_ok = psd_pinv(H)
    cov_model = 2.0 * Hinv[:p, :p]
    Cphi, pd_phi = psd_pinv(H[p:, p:])
    return dict(H=H, J=J, cov_model=0.5 * (cov_model + cov_model.T), C_phi=2.0 * Cphi, hessian_pd=pd_ok and pd_phi)


def psd_pinv(H: np.ndarray, rtol: float = 1e-10) -> tuple[np.ndarray, bool]:
    """Pseudo-inverse of a symmetric matrix; flags non-positive-definiteness."""
    if not np.all(np.isfinite(H)):
        return np.full_like(H, np.nan), False
    w, V = np.linalg.eigh(H)
    tol = rtol * max(np.abs(w).max(initial=0.0), 1e-300)
    pd_ok = bool(w.min(initial=np.inf) > tol)
    winv = np.where(w > tol, 1.0 / np.where(w > tol, w, 1.0), 0.0)
    return (V * winv) @ V.T, pd_ok


def compute(stats: GroupStats, structure: Structure, Lam: np.ndarray, reml: bool) -> dict:
    """All fitted quantities for one data set at the optimum Λ (q×q), except the Hessian.

    The observed-information quantities (model-based covariance, Satterthwaite ingredients) are
    left to :func:`hessian_quantities`, which the result calls the first time they are needed:
    robust standard errors and residual / normal df never pay for them.
    """
    ev = evaluate(stats, Lam[None], reml, keep=True)
    beta = ev["beta"][0]
    nu = float(ev["nu"][0])
    scale = float(ev["r2"][0]) / nu
    Ainv = ev["Ainv"][0]
    q, G = stats.q, stats.G
    cov_expected = scale * Ainv
    S = ev["S"]
    if S.shape[0] != G:
        S = np.broadcast_to(S, (G, q, q))
    Zte = ev["Zte"]
    blup = (S @ Zte[..., None])[..., 0]
    # cluster-robust
    Xte = stats.Xty - (stats.XtX @ beta)
    gi = Xte - (ev["XtZS"] @ Zte[..., None])[..., 0]
    meat = gi.T @ gi
    cr = G / (G - 1.0) if G > 1 else np.nan
    cov_robust = cr * Ainv @ meat @ Ainv
    return dict(
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
    )


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

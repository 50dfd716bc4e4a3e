"""Profiled (RE)ML deviance of the Gaussian LMM, batched over groups and data sets.

Model, for group (patient) i::

    y_i = X_i β + Z_i b_i + ε_i,   b_i ~ N(0, σ² Λ Λᵀ),   ε_i ~ N(0, σ² I)

Λ (q×q, lower triangular) is the *relative* Cholesky factor.  With
``M_i = I_q + Λᵀ Z_iᵀ Z_i Λ`` and ``S_i = Λ M_i⁻¹ Λᵀ`` the Woodbury identity and
the matrix-determinant lemma give, for the relative marginal covariance
``V_i = I + Z_i Λ Λᵀ Z_iᵀ``::

    V_i⁻¹ = I − Z_i S_i Z_iᵀ,     log|V_i| = log|M_i|

so every quantity reduces to the per-group sufficient statistics.  β and σ²
are profiled out::

    A = Σ XᵀV⁻¹X,  c = Σ XᵀV⁻¹y,  β̂ = A⁻¹c,  r² = Σ yᵀV⁻¹y − β̂ᵀc
    ML   : −2ℓ = n (1 + log(2π r²/n))         + Σ log|M_i|
    REML : −2ℓ = (n−p)(1 + log(2π r²/(n−p))) + Σ log|M_i| + log|A|

(the REML constant matches statsmodels and lme4: no ``log|XᵀX|`` term).

Gradient with respect to Ψ = ΛΛᵀ (symmetric), with e_i = y_i − X_i β̂,
u_i = Z_iᵀV_i⁻¹e_i and K_i = Z_iᵀV_i⁻¹X_i::

    ∂(−2ℓ)/∂Ψ = Σ Z_iᵀV_i⁻¹Z_i − c·Σ u_i u_iᵀ − [REML] Σ K_i A⁻¹ K_iᵀ

with c = (n−p)/r² (REML) or n/r² (ML) for the profiled deviance, c = 1/σ²
when σ² is held fixed; and ∂/∂Λ = 2 (∂/∂Ψ) Λ.  Cost per evaluation is
O(G · (q³ + q²p + qp²)), all in batched numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .design import GroupStats

LOG2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True)
class Structure:
    """Which entries of the lower-triangular Λ are free parameters."""

    q: int
    rows: tuple
    cols: tuple

    @classmethod
    def unstructured(cls, q: int) -> "Structure":
        r, c = np.tril_indices(q)
        return cls(q, tuple(int(i) for i in r), tuple(int(j) for j in c))

    @classmethod
    def diagonal(cls, q: int) -> "Structure":
        return cls(q, tuple(range(q)), tuple(range(q)))

    @property
    def k(self) -> int:
        return len(self.rows)

    @property
    def is_diag(self) -> np.ndarray:
        return np.array([r == c for r, c in zip(self.rows, self.cols)])

    def to_lambda(self, theta: np.ndarray) -> np.ndarray:
        """θ (..., k) -> Λ (..., q, q)."""
        theta = np.asarray(theta, dtype=float)
        Lam = np.zeros(theta.shape[:-1] + (self.q, self.q))
        Lam[..., list(self.rows), list(self.cols)] = theta
        return Lam

    def from_lambda(self, Lam: np.ndarray) -> np.ndarray:
        return np.asarray(Lam)[..., list(self.rows), list(self.cols)]

    def dpsi(self, Lam: np.ndarray) -> np.ndarray:
        """∂Ψ/∂θ_k for each free parameter: (D, k, q, q)."""
        D = Lam.shape[0]
        out = np.zeros((D, self.k, self.q, self.q))
        for j, (r, c) in enumerate(zip(self.rows, self.cols)):
            E = np.zeros((self.q, self.q))
            E[r, c] = 1.0
            dL = E[None] @ np.swapaxes(Lam, -1, -2)  # E Λᵀ
            out[:, j] = dL + np.swapaxes(dL, -1, -2)
        return out

    def describe(self, names) -> str:
        kind = "diagonal" if (self.k == self.q and self.q > 1 and all(self.is_diag)) else "unstructured"
        if self.q == 1:
            kind = "scalar"
        return f"{' + '.join(names)} ({kind})"


def spd_inv_logdet(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse and log-determinant of a stack of small SPD matrices (..., q, q)."""
    q = M.shape[-1]
    if q == 1:
        m = M[..., 0, 0]
        return (1.0 / m)[..., None, None], np.log(m)
    if q == 2:
        a, b, d = M[..., 0, 0], M[..., 0, 1], M[..., 1, 1]
        det = a * d - b * b
        inv = np.empty_like(M)
        inv[..., 0, 0] = d / det
        inv[..., 1, 1] = a / det
        inv[..., 0, 1] = inv[..., 1, 0] = -b / det
        return inv, np.log(det)
    L = np.linalg.cholesky(M)
    logdet = 2.0 * np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum(-1)
    return np.linalg.inv(M), logdet


def _T(a):
    return np.swapaxes(a, -1, -2)


def evaluate(stats: GroupStats, Lam: np.ndarray, reml: bool = True, *, grad: bool = False,
             sigma2: np.ndarray | None = None, beta: np.ndarray | None = None,
             keep: bool = False) -> dict:
    """Deviance (−2 log-likelihood) for each data set, optionally with gradient.

    Parameters
    ----------
    Lam : (D, q, q) relative Cholesky factors, one per data set.
    sigma2 : if given (D,), the deviance is *not* profiled over σ² and the
        gradient includes ∂/∂log σ² as its first entry (used for the
        information matrix).
    beta : if given (D, p) (only with ``sigma2``), β is held at this value
        instead of being profiled; the gradient then also has ``grad_beta``.
    keep : also return per-group intermediates (S_i, u_i, ...) for results.
    """
    D = stats.D
    n = stats.n_obs
    p = stats.p
    Lg = stats.per_group(Lam)  # (G|1, q, q)
    T = _T(Lg) @ stats.ZtZ @ Lg
    q = stats.q
    M = T + np.eye(q)
    Minv, logdetM = spd_inv_logdet(M)
    S = Lg @ Minv @ _T(Lg)  # (G, q, q)
    XtZS = stats.XtZ @ S  # (G, p, q)
    A = stats.sum_XtX - stats.dsum(XtZS @ _T(stats.XtZ))
    c = stats.dsum(stats.Xty - (XtZS @ stats.Zty[..., None])[..., 0])
    Szy = (S @ stats.Zty[..., None])[..., 0]
    yWy = stats.dsum(stats.yty - np.einsum("gi,gi->g", stats.Zty, Szy))
    Ainv, logdetA = spd_inv_logdet(A)
    beta_hat = (Ainv @ c[..., None])[..., 0]
    if beta is None:
        beta = beta_hat
        r2 = yWy - np.einsum("di,di->d", beta, c)
    else:
        beta = np.asarray(beta, dtype=float).reshape(D, p)
        r2 = yWy - 2 * np.einsum("di,di->d", beta, c) + np.einsum("di,dij,dj->d", beta, A, beta)
    r2 = np.maximum(r2, 1e-300)
    sld = stats.dsum(logdetM)
    nu = n - p if reml else n
    if sigma2 is None:
        dev = nu * (1.0 + np.log(2 * np.pi * r2 / nu)) + sld
    else:
        dev = nu * (LOG2PI + np.log(sigma2)) + sld + r2 / sigma2
    if reml:
        dev = dev + logdetA
    out = {"dev": dev, "beta": beta, "c": c, "yWy": yWy, "r2": r2, "A": A, "Ainv": Ainv, "nu": nu, "logdetA": logdetA}
    if not (grad or keep):
        return out
    bg = stats.per_group(beta)
    Zte = stats.Zty - (_T(stats.XtZ) @ bg[..., None])[..., 0]  # (G, q)
    ZtZS = stats.ZtZ @ S
    u = Zte - (ZtZS @ Zte[..., None])[..., 0]  # Z'V^-1 e
    K = _T(stats.XtZ) - ZtZS @ _T(stats.XtZ)  # (G, q, p) Z'V^-1 X
    out.update(S=S, Zte=Zte, u=u, K=K, XtZS=XtZS)
    if grad:
        cc = nu / r2 if sigma2 is None else 1.0 / sigma2
        ZWZ = stats.ZtZ - ZtZS @ stats.ZtZ
        gpsi = stats.dsum(ZWZ) - cc[:, None, None] * stats.dsum(u[:, :, None] * u[:, None, :])
        if reml:
            KA = K @ stats.per_group(Ainv)
            gpsi = gpsi - stats.dsum(KA @ _T(K))
        gpsi = 0.5 * (gpsi + _T(gpsi))
        out["grad_psi"] = gpsi
        out["grad_lambda"] = 2.0 * gpsi @ Lam
        if sigma2 is not None:
            out["grad_logsigma2"] = nu - r2 / sigma2
            out["grad_beta"] = -2.0 * (c - (A @ beta[..., None])[..., 0]) / sigma2[:, None]
    return out

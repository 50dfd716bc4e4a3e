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
    def unstructured(cls, q: int) -> Structure:
        r, c = np.tril_indices(q)
        return cls(q, tuple(int(i) for i in r), tuple(int(j) for j in c))

    @classmethod
    def diagonal(cls, q: int) -> Structure:
        return cls(q, tuple(range(q)), tuple(range(q)))

    @property
    def k(self) -> int:
        return len(self.rows)

    @property
    def is_diag(self) -> np.ndarray:
        return np.array([r == c for r, c in zip(self.rows, self.cols, strict=False)])

    def to_lambda(self, theta: np.ndarray) -> np.ndarray:
        """θ (..., k) -> Λ (..., q, q)."""
        theta = np.asarray(theta, dtype=float)
        Lam = np.zeros((*theta.shape[:-1], self.q, self.q))
        Lam[..., list(self.rows), list(self.cols)] = theta
        return Lam

    def from_lambda(self, Lam: np.ndarray) -> np.ndarray:
        return np.asarray(Lam)[..., list(self.rows), list(self.cols)]

    def dpsi(self, Lam: np.ndarray) -> np.ndarray:
        """∂Ψ/∂θ_k = E_kΛᵀ + ΛE_kᵀ for each free parameter: (D, k, q, q)."""
        Lam = np.asarray(Lam, dtype=float)
        D, q, k = Lam.shape[0], self.q, self.k
        rows, cols = list(self.rows), list(self.cols)
        dL = np.zeros((D, k, q, q))
        dL[:, np.arange(k), rows, :] = Lam[:, :, cols].transpose(0, 2, 1)  # (E_kΛᵀ)[r_k, :] = Λ[:, c_k]
        return dL + np.swapaxes(dL, -1, -2)

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
    try:
        L = np.linalg.cholesky(M)
    except np.linalg.LinAlgError:
        return _spd_inv_logdet_each(M)
    logdet = 2.0 * np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum(-1)
    return np.linalg.inv(M), logdet


def _spd_inv_logdet_each(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slow path of :func:`spd_inv_logdet` when some matrix of the stack is not numerically positive
    definite (e.g. an optimiser's trial step far out): those get NaN, so the caller sees a non-finite
    deviance and rejects the step instead of the whole batch failing."""
    q = M.shape[-1]
    flat = M.reshape(-1, q, q)
    inv = np.full_like(flat, np.nan)
    logdet = np.full(flat.shape[0], np.nan)
    for i, m in enumerate(flat):  # rare path: only reached when a Cholesky factorisation fails
        try:
            L = np.linalg.cholesky(m)
        except np.linalg.LinAlgError:
            continue
        logdet[i] = 2.0 * np.log(np.diag(L)).sum()
        inv[i] = np.linalg.inv(m)
    return inv.reshape(M.shape), logdet.reshape(M.shape[:-2])


def _T(a):
    return np.swapaxes(a, -1, -2)


# ---------------------------------------------------------------- group-last kernels
# Arrays are (rows, cols, G): a stack of G tiny matrices stored entry-major, so a
# batched product is a few contiguous multiply-adds over G (much faster than
# np.matmul on (G, 2, 2) stacks).


def _mm(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """(a, b, G) @ (b, c, G) -> (a, c, G); G may broadcast.

    (einsum's loop over G is faster than b multiply-adds of (a, c, G) temporaries at every G measured,
    200 to 16,384 groups, by 15-50%.)"""
    return np.einsum("ab...,bc...->ac...", A, B)


def _mv(A: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(a, b, G) @ (b, G) -> (a, G)."""
    out = A[:, 0, :] * v[0]
    for k in range(1, A.shape[1]):
        out += A[:, k, :] * v[k]
    return out


def _tt(A: np.ndarray) -> np.ndarray:
    return A.transpose(1, 0, 2)


def _inv_t(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse and log-det of SPD stacks in group-last layout (q, q, G)."""
    q = M.shape[0]
    if q == 1:
        return 1.0 / M, np.log(M[0, 0])
    if q == 2:
        a, b, d = M[0, 0], M[0, 1], M[1, 1]
        det = a * d - b * b
        r = 1.0 / det
        return np.array([[d * r, -b * r], [-b * r, a * r]]), np.log(det)
    if q == 3:
        a, b, c = M[0, 0], M[0, 1], M[0, 2]
        d, e, f = M[1, 1], M[1, 2], M[2, 2]
        A00 = d * f - e * e
        A01 = c * e - b * f
        A02 = b * e - c * d
        A11 = a * f - c * c
        A12 = b * c - a * e
        A22 = a * d - b * b
        det = a * A00 + b * A01 + c * A02
        r = 1.0 / det
        return (np.array([[A00, A01, A02], [A01, A11, A12], [A02, A12, A22]]) * r, np.log(det))
    inv, ld = spd_inv_logdet(np.moveaxis(M, -1, 0))
    return np.moveaxis(inv, 0, -1), ld


def _gf(a: np.ndarray) -> np.ndarray:
    """Group-last -> group-first (G, …) contiguous."""
    return np.ascontiguousarray(np.moveaxis(a, -1, 0))


CHUNK_GROUPS = 16_384  # groups per pass of a large single data set (see :func:`_chunks`)


def evaluate(*args, **kwargs) -> dict:
    """Deviance (−2 log-likelihood) per data set; see :func:`_evaluate`."""
    with np.errstate(all="ignore"):
        return _evaluate(*args, **kwargs)


def _chunks(stats: GroupStats, keep: bool) -> list:
    """One data set with many groups is evaluated in slices of :data:`CHUNK_GROUPS` groups.

    Every quantity is a sum over groups, so slices add up to exactly the same result, while their
    temporaries are small enough for the allocator to reuse instead of faulting fresh pages in at
    every evaluation (most of the time of an unsliced evaluation at 100,000 patients).
    """
    if keep or stats.D != 1 or stats.G <= 2 * CHUNK_GROUPS:
        return [stats]
    return stats.group_chunks(CHUNK_GROUPS)


def _evaluate(
    stats: GroupStats,
    Lam: np.ndarray,
    reml: bool = True,
    *,
    grad: bool = False,
    sigma2: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    keep: bool = False,
    hess: Structure | None = None,
) -> dict:
    """Deviance (−2 log-likelihood) for each data set, optionally with gradient.

    Parameters
    ----------
    Lam : (D, q, q) relative Cholesky factors, one per data set.
    sigma2 : if given (D,), the deviance is *not* profiled over σ² and the
        gradient includes ∂/∂log σ² (used for the information matrix).
    beta : if given (D, p) (only with ``sigma2``), β is held at this value
        instead of being profiled; the gradient then also has ``grad_beta``.
    keep : also return per-group intermediates (S_i, u_i, ...) for results.
    hess : a :class:`Structure`: also return the analytic Hessians (see :func:`_hessian`) in its θ.
    """
    D = stats.D
    n = stats.n_obs
    p = stats.p
    t = stats.t
    Lt = np.moveaxis(np.asarray(Lam, dtype=float), 0, -1)  # (q, q, D)
    chunks = _chunks(stats, keep)
    per = [_stage1(ch, Lt) for ch in chunks]
    A_t = t.sum_XtX - sum(r["XVX"] for r in per)  # (p, p, D)
    c_t = t.sum_Xty - sum(r["XVy"] for r in per)  # (p, D)
    yWy = t.sum_yty - sum(r["yVy"] for r in per)  # (D,)
    sld = sum(r["sld"] for r in per)
    A = np.moveaxis(A_t, -1, 0)
    A = 0.5 * (A + _T(A))
    c = np.moveaxis(c_t, -1, 0)
    Ainv, logdetA = spd_inv_logdet(A)
    beta_hat = (Ainv @ c[..., None])[..., 0]
    if beta is None:
        beta = beta_hat
        r2 = yWy - np.einsum("di,di->d", beta, c)
    else:
        beta = np.asarray(beta, dtype=float).reshape(D, p)
        r2 = yWy - 2 * np.einsum("di,di->d", beta, c) + np.einsum("di,dij,dj->d", beta, A, beta)
    r2 = np.maximum(r2, 1e-300)
    nu = n - p if reml else n
    if sigma2 is None:
        dev = nu * (1.0 + np.log(2 * np.pi * r2 / nu)) + sld
    else:
        dev = nu * (LOG2PI + np.log(sigma2)) + sld + r2 / sigma2
    if reml:
        dev = dev + logdetA
    out = {"dev": dev, "beta": beta, "c": c, "yWy": yWy, "r2": r2, "A": A, "Ainv": Ainv, "nu": nu, "logdetA": logdetA}
    if not (grad or keep or hess is not None):
        return out
    s2 = r2 / nu if sigma2 is None else np.asarray(sigma2, dtype=float)
    need = grad or hess is not None
    sums = [
        _stage2(ch, r, beta, Ainv, s2, reml, need=need, hess=hess is not None, keep=keep)
        for ch, r in zip(chunks, per, strict=True)
    ]
    if keep:
        g = sums[0]
        out.update(S=_gf(per[0]["S"]), Zte=_gf(g["Zte"]), u=_gf(g["u"]), K=_gf(g["K"]), XtZS=_gf(per[0]["XtZS"]))
    if need:
        cc = 1.0 / s2  # = ν/r² when σ² is profiled
        tot = {name: sum(r[name] for r in sums) for name in sums[0] if name.startswith("sum_")}
        U_t = tot["sum_uu"]  # Σ u uᵀ, (q, q, D)
        gpsi_t = t.sum_ZtZ - tot["sum_ZtZSZtZ"] - cc * U_t
        if reml:
            gpsi_t = gpsi_t - tot["sum_R"]
        gpsi = np.moveaxis(gpsi_t, -1, 0)
        gpsi = 0.5 * (gpsi + _T(gpsi))
        out["grad_psi"] = gpsi
        out["grad_lambda"] = 2.0 * gpsi @ Lam
        if sigma2 is not None:
            out["grad_logsigma2"] = nu - r2 / sigma2
            out["grad_beta"] = -2.0 * (c - (A @ beta[..., None])[..., 0]) / sigma2[:, None]
        if hess is not None:
            out.update(_hessian(stats, hess, np.asarray(Lam, dtype=float), out, s2, tot, reml))
    return out


def _stage1(ch: GroupStats, Lt: np.ndarray) -> dict:
    """Per-group S_i = ΛM_i⁻¹Λᵀ and X_iᵀZ_iS_i of one slice of groups, and its sums."""
    t = ch.t
    q = ch.q
    Lg = ch.per_group_t(Lt)  # Λ of each group's data set, (q, q, G|1): repeated once, used four times
    LgT = _tt(Lg)
    M = _mm(LgT, _mm(t.ZtZ, Lg))
    for j in range(q):
        M[j, j] += 1.0
    Minv, logdetM = _inv_t(M)
    S = _mm(_mm(Lg, Minv), LgT)  # (q, q, G)
    # W = [X y]ᵀZ stacked, (p + 1, q, G): Σ_i W_i S_i W_iᵀ holds XᵀZSZᵀX, XᵀZSZᵀy and yᵀZSZᵀy at once,
    # summed per data set by BLAS (q products of (p + 1) × groups matrices) instead of per-group temporaries
    WS = _mm(t.WtZ, S)
    V = ch.dsum_outer(WS[:, 0, :], t.WtZ[:, 0, :])
    for j in range(1, q):
        V += ch.dsum_outer(WS[:, j, :], t.WtZ[:, j, :])
    V = np.moveaxis(V, 0, -1)  # (p + 1, p + 1, D)
    p = ch.p
    return {
        "S": S,
        "XtZS": WS[:p],  # (p, q, G)
        "XVX": V[:p, :p],  # Σ XᵀZSZᵀX, (p, p, D)
        "XVy": V[:p, p],  # (p, D)
        "yVy": V[p, p],  # (D,)
        "sld": ch.dsum_t(logdetM),
    }


def _stage2(ch: GroupStats, r: dict, beta, Ainv, s2, reml: bool, *, need: bool, hess: bool, keep: bool) -> dict:
    """Residual-dependent per-group terms of one slice of groups and the sums the gradient and the
    Hessian need (names ``sum_*``: summed over slices)."""
    t = ch.t
    S = r["S"]
    Zte = t.Zty - _times_per_dataset(ch, t.ZtX, beta.T)  # (q, G)
    ZtZS = _mm(t.ZtZ, S)
    u = Zte - _mv(ZtZS, Zte)  # Z'V^-1 e
    K = t.ZtX - _mm(ZtZS, t.ZtX)  # (q, p, G)  Z'V^-1 X
    out = {"Zte": Zte, "u": u, "K": K} if keep else {}
    if not need:
        return out
    q, p = ch.q, ch.p
    ZtZSZtZ = _mm(ZtZS, t.ZtZ)
    uu = u[:, None, :] * u[None, :, :]
    out["sum_uu"] = ch.dsum_t(uu)
    out["sum_ZtZSZtZ"] = ch.dsum_t(ZtZSZtZ)
    R = None
    if reml:
        R = _mm(_times_per_dataset(ch, K, np.moveaxis(Ainv, 0, -1)), _tt(K))  # K A⁻¹ Kᵀ, (q, q, G)
        out["sum_R"] = ch.dsum_t(R)
    if hess:
        G = S.shape[-1]
        B = (t.ZtZ - ZtZSZtZ).reshape(q * q, G)  # Z'V⁻¹Z
        # Σ F[a,e] B[b,c] with F = (2/σ²) u uᵀ − B [+ 2 K A⁻¹ Kᵀ]: one per-data-set product per term, σ²
        # applied to the sums (no per-group F)
        T = (2.0 / s2)[:, None, None] * ch.dsum_outer(uu.reshape(q * q, G), B) - ch.dsum_outer(B, B)
        if R is not None:  # REML
            T += 2.0 * ch.dsum_outer(R.reshape(q * q, G), B)
        K2 = K.reshape(q * p, G)
        out["sum_T"] = T
        out["sum_N"] = ch.dsum_outer(K2, K2)  # Σ K[a,p] K[b,r]
        out["sum_Q"] = ch.dsum_outer(K2, u)  # Σ K[a,p] u[b]
    return out


def _times_per_dataset(ch: GroupStats, A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Per-group (a, b, G) times per-data-set (b, c, D) -> (a, c, G) (B (b, D): -> (a, G)).

    (B is repeated to the groups: einsum over a (…, D, groups) view with B broadcast is slower.)"""
    Bg = ch.per_group_t(B)
    return _mm(A, Bg) if B.ndim == 3 else _mv(A, Bg)


def _hessian(stats: GroupStats, structure: Structure, Lam, out: dict, s2, tot: dict, reml: bool) -> dict:
    """Analytic Hessians of the deviance, all data sets at once.

    ``H_full`` (D, m, m), m = p + 1 + k: the non-profiled deviance in (β, log σ², θ) at the β and σ²
    of the evaluation (observed information ×2; what ``cov_type="model"`` and Satterthwaite use).
    ``H_profile`` (D, k, k): the profiled deviance in θ (the Schur complement of the (β, log σ²)
    block, exact by the envelope theorem because β̂(θ), σ̂²(θ) minimise the non-profiled deviance).

    With W_i = V_i⁻¹, B_i = Z_iᵀW_iZ_i, u_i = Z_iᵀW_ie_i, K_i = Z_iᵀW_iX_i, R_i = K_iA⁻¹K_iᵀ,
    P_k = ∂Ψ/∂θ_k and P_kl = ∂²Ψ/∂θ_k∂θ_l (constant)::

        H_θkθl = Σ_i tr(P_k B_i P_l F_i) + tr(P_kl ∂dev/∂Ψ) − [REML] tr(A⁻¹J_kA⁻¹J_l),
        F_i = −B_i + (2/σ²) u_iu_iᵀ + [REML] 2R_i,  J_k = Σ_i K_iᵀP_kK_i
        H_ββ = 2A/σ²,  H_β,logσ² = 2(c − Aβ)/σ²,  H_βθk = (2/σ²) Σ_i K_iᵀP_ku_i
        H_logσ²,logσ² = r²/σ²,  H_logσ²,θk = tr(P_k Σ_i u_iu_iᵀ)/σ²

    The sums over groups are taken of small tensors (q⁴, pq², p²q² entries per group) before
    contracting with P_k, so the cost is one pass over the groups.
    """
    D, p, q = stats.D, stats.p, stats.q
    k = structure.k
    inv_s2 = 1.0 / s2
    P = structure.dpsi(Lam).reshape(D, k, q * q)  # P_k[a, b] flattened
    PT = _T(P)
    # T[(a,b),(c,e)] = Σ_i F_i[a,e] B_i[b,c];  Σ_i tr(P_k B_i P_l F_i) = P T Pᵀ
    T = tot["sum_T"].reshape(D, q, q, q, q)  # [a,e,b,c]
    T = T.transpose(0, 1, 3, 4, 2).reshape(D, q * q, q * q)
    Hth = P @ T @ PT
    gpsi = out["grad_psi"]
    rows, cols = np.asarray(structure.rows), np.asarray(structure.cols)
    same_col = (cols[:, None] == cols[None, :]).astype(float)  # P_kl = E_kE_lᵀ + E_lE_kᵀ ≠ 0 iff c_k = c_l
    Hth = Hth + 2.0 * same_col * gpsi[:, rows[:, None], rows[None, :]]
    # J_k = Σ_i K_iᵀ P_k K_i (also the Satterthwaite ingredient ∂A/∂θ_k = −J_k)
    N = tot["sum_N"].reshape(D, q, p, q, p)  # Σ_i K_i[a,p] K_i[b,r]
    J = (P @ N.transpose(0, 1, 3, 2, 4).reshape(D, q * q, p * p)).reshape(D, k, p, p)
    Ainv = out["Ainv"]
    if reml:
        AJ = Ainv[:, None] @ J  # (D, k, p, p)
        Hth = Hth - AJ.reshape(D, k, p * p) @ _T(_T(AJ).reshape(D, k, p * p))  # tr(A⁻¹J_k A⁻¹J_l)
    Hth = 0.5 * (Hth + _T(Hth))
    # cross terms
    Q = tot["sum_Q"].reshape(D, q, p, q)  # Σ_i K_i[a,p] u_i[b]
    Hbt = 2.0 * inv_s2[:, None, None] * (Q.transpose(0, 2, 1, 3).reshape(D, p, q * q) @ PT)  # (D, p, k)
    U = np.moveaxis(tot["sum_uu"], -1, 0).reshape(D, q * q, 1)
    Hst = inv_s2[:, None] * (P @ U)[..., 0]  # (D, k)
    A, c, beta, r2 = out["A"], out["c"], out["beta"], out["r2"]
    m = p + 1 + k
    H = np.empty((D, m, m))
    H[:, :p, :p] = 2.0 * A * inv_s2[:, None, None]
    H[:, :p, p] = H[:, p, :p] = 2.0 * (c - (A @ beta[..., None])[..., 0]) * inv_s2[:, None]
    H[:, p, p] = r2 * inv_s2
    H[:, :p, p + 1 :] = Hbt
    H[:, p + 1 :, :p] = _T(Hbt)
    H[:, p, p + 1 :] = H[:, p + 1 :, p] = Hst
    H[:, p + 1 :, p + 1 :] = Hth
    # profile: H_θθ − H_θβ H_ββ⁻¹ H_βθ − H_θs H_sθ / H_ss   (H_ββ⁻¹ = σ²A⁻¹/2; at β̂, H_βs = 0)
    Hprof = (
        Hth
        - 0.5 * s2[:, None, None] * (_T(Hbt) @ Ainv @ Hbt)
        - Hst[:, :, None] * Hst[:, None, :] / (r2 * inv_s2)[:, None, None]
    )
    return {"H_full": H, "H_profile": 0.5 * (Hprof + _T(Hprof)), "J": J}

"""Cluster-robust (sandwich) standard errors of a weighted counting-process Cox model, Efron ties.

Why our own: lifelines' ``CoxTimeVaryingFitter`` raises NotImplementedError for ``robust=True``, and
``CoxPHFitter``'s sandwich ignores delayed entry and computes its score residuals as if there were no
ties.  Registry event times come from dates, so ties are common; β comes from lifelines' Efron fit, so
the residuals and the information must be Efron's too (otherwise the SE is that of another model).

Notation: rows i with interval (start_i, stop_i], event d_i, case weight w_i, risk r_i = exp(x_i β).  At
an event time t_k with m_k tied events (set D_k) let S0, S1, S2 be the weighted sums of r, r·x, r·xxᵀ over
the rows at risk (start < t_k ≤ stop) and E0, E1, E2 the same over D_k.  Efron's approximation splits t_k
into m_k steps j = 0..m_k−1 with ``S0_kj = S0_k − (j/m_k) E0_k`` (likewise S1, S2), mean x
``x̄_kj = S1_kj / S0_kj`` and hazard increment ``dΛ_kj = w̄_k / S0_kj``, w̄_k the mean weight of D_k
(the weighting of lifelines and R's ``survival::coxph``).  Score residual of row i (Therneau & Grambsch
2000, §3.7; R ``agscore``, Efron branch):

    U_i = d_i (x_i − mean_j x̄_kj) − r_i Σ_{k: at risk} Σ_j c_ikj dΛ_kj (x_i − x̄_kj),

with c_ikj = 1 − j/m_k when row i is one of the events at t_k, else 1.  Information:
``I = Σ_k w̄_k Σ_j (S2_kj / S0_kj − x̄_kj x̄_kjᵀ)``.  Robust variance (Lin & Wei 1989; Binder 1992):
``V = Σ_g (Σ_{i∈g} w_i U_i I⁻¹)ᵀ (Σ_{i∈g} w_i U_i I⁻¹)`` over clusters g (patients).

Everything is computed with sorted cumulative sums over rows (O(n log n) time, O(n + K) memory), never
a (event times × rows) risk matrix.  Checked against R ``survival::coxph(ties="efron", cluster=id)``
(tests/analysis/goldens/cox_efron_*.csv, made by the R script beside them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _at_risk_sums(start: np.ndarray, stop: np.ndarray, v: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Σ v over rows with start < t ≤ stop, for each t in ``times`` (v: (n, …))."""
    by_stop = np.argsort(stop, kind="stable")
    by_start = np.argsort(start, kind="stable")
    zero = np.zeros((1, *v.shape[1:]))
    # suffix sums: Σ over rows with stop ≥ t, minus Σ over rows with start ≥ t (those are not yet at risk)
    cs_stop = np.concatenate([zero, np.cumsum(v[by_stop][::-1], axis=0)])[::-1]
    cs_start = np.concatenate([zero, np.cumsum(v[by_start][::-1], axis=0)])[::-1]
    i_stop = np.searchsorted(stop[by_stop], times, side="left")
    i_start = np.searchsorted(start[by_start], times, side="left")
    return cs_stop[i_stop] - cs_start[i_start]


def robust_cox_se(
    rows: pd.DataFrame,
    beta: pd.Series,
    *,
    weights_col: str | None = "w",
    id_col: str = "patient_id",
    event_col: str = "event",
    start_col: str = "start",
    stop_col: str = "stop",
) -> pd.Series:
    """Cluster-robust SEs (clustered by ``id_col``) of a weighted counting-process Cox model with Efron
    ties at the fitted coefficients ``beta`` (index = covariate names)."""
    names = list(beta.index)
    X = rows[names].to_numpy(dtype=float)
    n, p = X.shape
    b = beta.to_numpy(dtype=float)
    w = rows[weights_col].to_numpy(dtype=float) if weights_col else np.ones(n)
    start = rows[start_col].to_numpy(dtype=float)
    stop = rows[stop_col].to_numpy(dtype=float)
    d = rows[event_col].to_numpy(dtype=float) == 1
    eta = X @ b
    r = np.exp(eta - eta.max())  # a common factor cancels in every ratio below
    wr = w * r
    ev_t, k_of_event, m = np.unique(stop[d], return_inverse=True, return_counts=True)
    K = len(ev_t)
    if K == 0:
        return pd.Series(np.full(p, np.nan), index=names, name="se_robust")
    XX = X[:, :, None] * X[:, None, :]
    S0 = _at_risk_sums(start, stop, wr, ev_t)
    S1 = _at_risk_sums(start, stop, wr[:, None] * X, ev_t)
    S2 = _at_risk_sums(start, stop, wr[:, None, None] * XX, ev_t)
    ev = np.flatnonzero(d)
    E0 = np.bincount(k_of_event, weights=wr[ev], minlength=K)
    E1 = np.zeros((K, p))
    np.add.at(E1, k_of_event, wr[ev, None] * X[ev])
    E2 = np.zeros((K, p, p))
    np.add.at(E2, k_of_event, wr[ev, None, None] * XX[ev])
    wbar = np.bincount(k_of_event, weights=w[ev], minlength=K) / m
    # Efron steps: one (k, j) pair per event, j = 0..m_k−1
    k_step = np.repeat(np.arange(K), m)
    j_step = np.arange(len(k_step)) - np.repeat(np.cumsum(m) - m, m)
    frac = j_step / m[k_step]
    s0 = S0[k_step] - frac * E0[k_step]
    s1 = S1[k_step] - frac[:, None] * E1[k_step]
    s2 = S2[k_step] - frac[:, None, None] * E2[k_step]
    xbar = s1 / s0[:, None]
    dlam = wbar[k_step] / s0
    info = np.einsum("s,spq->pq", dlam, s2) - np.einsum("s,sp,sq->pq", wbar[k_step], xbar, xbar)
    # per event time: Σ_j dΛ, Σ_j dΛ x̄ (everyone at risk) and the same with weights (1 − j/m) (the tied events)
    A = np.bincount(k_step, weights=dlam, minlength=K)
    B = np.zeros((K, p))
    np.add.at(B, k_step, dlam[:, None] * xbar)
    A_tied = np.bincount(k_step, weights=(1 - frac) * dlam, minlength=K)
    B_tied = np.zeros((K, p))
    np.add.at(B_tied, k_step, ((1 - frac) * dlam)[:, None] * xbar)
    xbar_mean = np.zeros((K, p))
    np.add.at(xbar_mean, k_step, xbar)
    xbar_mean /= m[:, None]
    # cumulative Σ_k over the event times in each row's (start, stop]
    cA = np.concatenate([[0.0], np.cumsum(A)])
    cB = np.concatenate([np.zeros((1, p)), np.cumsum(B, axis=0)])
    lo = np.searchsorted(ev_t, start, side="right")  # first event time > start
    hi = np.searchsorted(ev_t, stop, side="right")  # event times ≤ stop
    U = -r[:, None] * (X * (cA[hi] - cA[lo])[:, None] - (cB[hi] - cB[lo]))
    k_ev = k_of_event
    # the events: their own term, and their risk term at their own time with Efron's (1 − j/m) weights
    U[ev] += X[ev] - xbar_mean[k_ev]
    U[ev] += r[ev, None] * (X[ev] * (A[k_ev] - A_tied[k_ev])[:, None] - (B[k_ev] - B_tied[k_ev]))
    D = (w[:, None] * U) @ np.linalg.inv(info)
    Dc = pd.DataFrame(D).groupby(rows[id_col].to_numpy()).sum().to_numpy()
    V = Dc.T @ Dc
    return pd.Series(np.sqrt(np.diag(V)), index=names, name="se_robust")


__all__ = ["robust_cox_se"]

"""Group-sequential stopping boundaries from Lan–DeMets alpha spending.

Two-sided symmetric boundaries for a standardised statistic Z_k observed at information fractions
0 < t_1 < … < t_K = 1 (canonical joint distribution: Corr(Z_i, Z_j) = √(t_i / t_j), i ≤ j; Jennison &
Turnbull 2000, ch. 3).  The boundary c_k spends the alpha ``α(t_k) − α(t_{k−1})`` at look k:
``P(|Z_1| < c_1, …, |Z_{k−1}| < c_{k−1}, |Z_k| ≥ c_k) = α(t_k) − α(t_{k−1})`` under H0.

Spending functions (Lan & DeMets, Biometrika 1983;70:659-63):

* O'Brien–Fleming type, per side: ``α₁(t) = 2 − 2 Φ(z_{1−α/4} / √t)`` with one-sided level α/2, so the
  two-sided spending is ``2 α₁(t)`` (the convention of gsDesign's ``sfLDOF`` and rpact for a two-sided
  symmetric design: K = 5 equal looks give 4.877, 3.357, 2.680, 2.290, 2.031 at α = 0.05);
* Pocock type: ``α(t) = α · ln(1 + (e − 1) t)``.

The crossing probabilities are computed by recursive numerical integration of the sub-density of the
continuing paths (Armitage, McPherson & Rowe, JRSS A 1969; Jennison & Turnbull ch. 19) on a Simpson grid;
tests check the boundaries against an independent multivariate-normal integration and published tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import optimize, stats

SPENDING = ("obrien_fleming", "pocock")


def spent_alpha(t: np.ndarray | float, alpha: float, kind: str) -> np.ndarray:
    """Cumulative two-sided alpha spent at information fraction ``t`` (0 ≤ t ≤ 1)."""
    t = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
    if kind == "obrien_fleming":
        with np.errstate(divide="ignore"):
            z = stats.norm.isf(alpha / 4) / np.sqrt(t)
        return np.where(t > 0, 4.0 * stats.norm.sf(z), 0.0)
    if kind == "pocock":
        return alpha * np.log1p((math.e - 1.0) * t)
    raise ValueError(f"spending must be one of {', '.join(SPENDING)}, not {kind!r}")


def _simpson(a: float, b: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and Simpson weights on [a, b] (n intervals, n even)."""
    x = np.linspace(a, b, n + 1)
    w = np.ones(n + 1)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return x, w * (b - a) / (3.0 * n)


def boundaries(
    fractions: Sequence[float], alpha: float = 0.05, kind: str = "obrien_fleming", grid: int = 600
) -> np.ndarray:
    """Two-sided critical values c_k (reject at look k when |Z_k| ≥ c_k) for Lan–DeMets spending."""
    t = np.asarray(fractions, dtype=float)
    if t.ndim != 1 or t.size == 0 or np.any(t <= 0) or np.any(t > 1) or np.any(np.diff(t) <= 0):
        raise ValueError("information fractions must increase strictly within (0, 1].")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1.")
    spent = spent_alpha(t, alpha, kind)
    inc = np.diff(np.concatenate([[0.0], spent]))
    out = np.empty(t.size)
    # sub-density of Z_{k-1} on the continuation region (times the quadrature weights)
    nodes: np.ndarray = np.zeros(0)
    dens: np.ndarray = np.zeros(0)
    for k in range(t.size):
        if k == 0:
            out[0] = stats.norm.isf(inc[0] / 2)
        else:
            r_prev, r_k = math.sqrt(t[k - 1]), math.sqrt(t[k])
            sd = math.sqrt(t[k] - t[k - 1])
            mass: np.ndarray = dens

            def exit_prob(c, nodes=nodes, mass=mass, r_prev=r_prev, r_k=r_k, sd=sd):
                mu = nodes * r_prev
                return float(mass @ (stats.norm.sf((c * r_k - mu) / sd) + stats.norm.cdf((-c * r_k - mu) / sd)))

            target = inc[k]
            if target <= 0:
                out[k] = math.inf
            else:
                out[k] = optimize.brentq(lambda c, a=target: exit_prob(c) - a, 1e-6, 40.0, xtol=1e-10)
        # sub-density of the paths that continue past look k, on a grid over (−c_k, c_k)
        c = min(out[k], 12.0)
        x, w = _simpson(-c, c, 2 * grid)
        if k == 0:
            f = stats.norm.pdf(x)
        else:
            # f_k(z) = ∫ f_{k-1}(u) φ((z √t_k − u √t_{k−1}) / √Δ) √t_k / √Δ du
            f = (stats.norm.pdf((x[:, None] * r_k - nodes[None, :] * r_prev) / sd) * (r_k / sd)) @ dens
        nodes, dens = x, f * w
    return out


def crossing_probabilities(fractions: Sequence[float], bounds: Sequence[float], drift: float = 0.0) -> np.ndarray:
    """P(first crossing |Z_k| ≥ c_k at look k) for Z with mean ``drift · √t_k`` (θ√I_max), by recursion."""
    t = np.asarray(fractions, dtype=float)
    c_all = np.asarray(bounds, dtype=float)
    out = np.empty(t.size)
    nodes: np.ndarray = np.zeros(0)
    dens: np.ndarray = np.zeros(0)
    for k in range(t.size):
        c = min(c_all[k], 12.0)
        mean_k = drift * math.sqrt(t[k])
        if k == 0:
            out[0] = stats.norm.sf(c - mean_k) + stats.norm.cdf(-c - mean_k)
            x, w = _simpson(-c, c, 1200)
            f = stats.norm.pdf(x - mean_k)
        else:
            r_prev, r_k, sd = math.sqrt(t[k - 1]), math.sqrt(t[k]), math.sqrt(t[k] - t[k - 1])
            mu = nodes * r_prev + drift * (t[k] - t[k - 1])
            out[k] = float(dens @ (stats.norm.sf((c * r_k - mu) / sd) + stats.norm.cdf((-c * r_k - mu) / sd)))
            x, w = _simpson(-c, c, 1200)
            f = (stats.norm.pdf((x[:, None] * r_k - mu[None, :]) / sd) * (r_k / sd)) @ dens
        nodes, dens = x, f * w
    return out


__all__ = ["SPENDING", "boundaries", "crossing_probabilities", "spent_alpha"]

"""Natural-history building blocks, vectorised over patients (and visits).

* The latent ALSFRS-R total follows the D50 sigmoid (Jena group: Stubendorff et al., ENCALS 2017;
  Steinbach, Poesen et al.), normalised so that it is exactly 48 at symptom onset:
  ``F(t) = 48 · expit((c − t)/dx) / expit(c/dx)``, t in months from onset.  ``d50`` (the time at which
  F = 24) is ``c − dx · logit(expit(c/dx) / 2)``, slightly less than c.
* The points lost, ``L = 48 − F``, are shared among the 12 items by *water filling*: item i loses
  ``min(4, λ · w_i)`` with λ chosen so the losses sum to L.  Items with a large weight (those of the onset
  region) fall first and hit the floor first, then the others follow; the latent items always sum exactly
  to the latent total.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

TOTAL = 48.0
N_ITEMS = 12  # latent items q1..q12, q5 standing for q5a/q5b

# Relative item weights by onset region (which items fall first).  Order q1..q12.  Approximate: bulbar
# onset loses speech, salivation and swallowing first; upper-limb onset handwriting, cutting food,
# dressing; lower-limb onset walking and stairs; respiratory onset dyspnea/orthopnea.
ONSET_WEIGHTS = {
    "bulbar": (6.0, 5.0, 5.5, 1.2, 1.2, 1.2, 0.8, 1.2, 1.2, 0.9, 0.8, 0.7),
    "upper_limb": (0.8, 0.6, 0.7, 5.5, 5.0, 4.5, 1.0, 1.5, 1.6, 0.7, 0.6, 0.5),
    "lower_limb": (0.8, 0.6, 0.7, 1.5, 1.4, 1.6, 2.5, 5.5, 6.0, 0.7, 0.6, 0.5),
    "respiratory": (1.0, 0.8, 1.0, 1.0, 1.0, 1.0, 1.0, 1.2, 1.2, 6.0, 5.5, 5.0),
    "generalized": (1.5, 1.2, 1.4, 1.6, 1.6, 1.6, 1.2, 1.7, 1.8, 1.0, 0.9, 0.8),
}
ONSET_KINDS = tuple(ONSET_WEIGHTS)
ITEM_INDEX = {f"q{i + 1}": i for i in range(N_ITEMS)}
BULBAR = (0, 1, 2)
FINE = (3, 4, 5)
GROSS = (6, 7, 8)
RESP = (9, 10, 11)


def latent_total(t, center, dx, norm):
    """D50 latent ALSFRS-R total at ``t`` months from onset (broadcasting; norm = expit(center/dx))."""
    return TOTAL * expit((center - t) / dx) / norm


def latent_decline_rate(t, center, dx, norm):
    """−dF/dt (points/month, positive = getting worse) of the natural course."""
    s = expit((center - t) / dx)
    return TOTAL / norm * s * (1.0 - s) / dx


def crossing_time(level, center, dx, norm):
    """Months from onset at which the natural course reaches ``level`` (inf if never, 0 if already)."""
    level = np.asarray(level, dtype=float)
    q = np.clip(level * norm / TOTAL, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = center - dx * logit(q)
    t = np.where(level <= 0, np.inf, t)
    return np.where(level >= TOTAL, 0.0, np.maximum(t, 0.0))


class ItemAllocator:
    """Water-filling split of lost points among the 12 items for a set of patients."""

    def __init__(self, weights: np.ndarray):
        self.w = np.asarray(weights, dtype=float)  # (n, 12) > 0
        ws = -np.sort(-self.w, axis=1)
        suffix = np.cumsum(ws[:, ::-1], axis=1)[:, ::-1]  # S_k = sum_{j >= k} ws_j
        k = np.arange(N_ITEMS)
        self.suffix = suffix
        # T_k: total loss at which the k-th largest item reaches the floor (nondecreasing in k; T_11 = 48).
        self.thresholds = 4.0 * k + 4.0 * suffix / ws
        self.thresholds[:, -1] = TOTAL

    def losses(self, loss: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Item losses (..., 12) for total losses ``loss`` (n, V) or (m,) with patient ``rows``."""
        loss = np.clip(loss, 0.0, TOTAL)
        if rows is None:
            thr, suf, w = self.thresholds[:, None, :], self.suffix, self.w[:, None, :]
            k = (thr < loss[..., None]).sum(-1)
            s_k = np.take_along_axis(suf, k, axis=1) if loss.ndim == 2 else suf[k]
        else:
            thr, w = self.thresholds[rows], self.w[rows]
            k = (thr < loss[:, None]).sum(-1)
            s_k = self.suffix[rows, k]
        lam = (loss - 4.0 * k) / s_k
        return np.minimum(4.0, lam[..., None] * w)

    def total_at_item_loss(self, item: int, item_loss: float | np.ndarray) -> np.ndarray:
        """Latent total at which ``item`` has lost ``item_loss`` points (per patient)."""
        lam = np.asarray(item_loss, dtype=float) / self.w[:, item]
        total_loss = np.minimum(4.0, lam[:, None] * self.w).sum(axis=1)
        return TOTAL - total_loss


def first_crossing_on_grid(t0, horizon, levels, course, step=0.25):
    """First time in [t0, horizon] (months) at which ``course(t)`` ≤ each level; inf if none.

    ``t0``, ``horizon`` (m,); ``levels`` (m, L); ``course(t)`` evaluates (m, G) times → (m, G) values.
    Linear interpolation between grid points spaced ``step`` months.
    """
    m = len(t0)
    if m == 0:
        return np.full(levels.shape, np.inf)
    span = np.maximum(horizon - t0, 0.0)
    n_grid = int(np.ceil(span.max() / step)) + 2
    grid = t0[:, None] + step * np.arange(n_grid)[None, :]
    grid = np.minimum(grid, np.maximum(horizon, t0)[:, None])
    values = course(grid)
    out = np.full(levels.shape, np.inf)
    for j in range(levels.shape[1]):
        below = values <= levels[:, j : j + 1]
        hit = below.any(axis=1)
        g = np.argmax(below, axis=1)
        rows = np.flatnonzero(hit)
        gi = g[rows]
        prev = np.maximum(gi - 1, 0)
        f0, f1 = values[rows, prev], values[rows, gi]
        t_a, t_b = grid[rows, prev], grid[rows, gi]
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(f0 > f1, (f0 - levels[rows, j]) / (f0 - f1), 0.0)
        out[rows, j] = np.where(gi == 0, t_a, t_a + np.clip(frac, 0.0, 1.0) * (t_b - t_a))
    return out

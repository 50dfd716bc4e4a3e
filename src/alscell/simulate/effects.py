"""Effect intensity w(t) and its integral G(t) after active administrations (see EffectModel).

Administration times are given per patient as an (n, K) array of months from onset, sorted, ``inf`` where
there is none.  Windows (spec/domain-rules.md, time after the latest active administration): ``short``
multiplier on days [0, 42), ``mid`` on [42, 182) (the 1-3 months window and the gap before 6 months),
``long`` from day 182 on.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from alscell.domain.outcomes import WINDOWS
from alscell.domain.time import DAYS_PER_MONTH
from alscell.simulate.config import EffectModel

# Window edges from domain.outcomes.WINDOWS: short ends on day 42, long starts on day 182.
_EDGES = (0.0, WINDOWS["short"].end_day / DAYS_PER_MONTH, WINDOWS["long"].start_day / DAYS_PER_MONTH, math.inf)
_WINDOWS = ("short", "mid", "long")


def _decay_integral(a, b, half_life):
    """∫_a^b 2^(−s/h) ds (elementwise, a ≤ b; b may be inf)."""
    if math.isinf(half_life):
        return b - a
    k = math.log(2.0) / half_life
    return (np.exp(-k * a) - np.exp(-k * b)) / k


def _h(tau, model: EffectModel):
    """∫_0^τ m_window(s) · 2^(−s/h) ds for τ ≥ 0."""
    out = np.zeros_like(tau)
    for (lo, hi), key in zip(itertools.pairwise(_EDGES), _WINDOWS, strict=False):
        m = model.by_window.get(key, 1.0)
        if m == 0.0:
            continue
        upper = np.minimum(tau, hi)
        piece = np.where(upper > lo, _decay_integral(lo, np.maximum(upper, lo), model.half_life_months), 0.0)
        out = out + m * piece
    return out


def _segments(times, admin):
    """For t (n, m) and admin (n, K): per k, time spent in segment k up to t, and whether t is in it."""
    K = admin.shape[1]
    nxt = np.concatenate([admin[:, 1:], np.full((admin.shape[0], 1), np.inf)], axis=1)
    for k in range(K):
        start = admin[:, k : k + 1]
        finite = np.isfinite(start)
        length = np.where(finite, nxt[:, k : k + 1] - np.where(finite, start, 0.0), 0.0)
        since = np.where(finite, times - np.where(finite, start, 0.0), -1.0)
        yield k, since, length


def integrated_intensity(times: np.ndarray, admin: np.ndarray, model: EffectModel) -> np.ndarray:
    """G(t) = ∫_0^t w(u) du (months), without the route/source multiplier.  times (n, m), admin (n, K)."""
    times = np.asarray(times, dtype=float)
    if model.constant:
        t0 = admin[:, :1]
        return np.where(np.isfinite(t0), np.maximum(times - np.where(np.isfinite(t0), t0, 0.0), 0.0), 0.0)
    out = np.zeros_like(times)
    for k, since, length in _segments(times, admin):
        tau = np.clip(since, 0.0, length)
        out = out + (1.0 + model.redose_boost * k) * _h(tau, model)
    return out


def intensity(times: np.ndarray, admin: np.ndarray, model: EffectModel) -> np.ndarray:
    """w(t) (dimensionless, without the route/source multiplier).  times (n, m), admin (n, K)."""
    times = np.asarray(times, dtype=float)
    out = np.zeros_like(times)
    k_of_t = (admin[:, None, :] <= times[:, :, None]).sum(-1) - 1  # latest active administration index
    started = k_of_t >= 0
    if not started.any():
        return out
    last = np.take_along_axis(admin, np.maximum(k_of_t, 0), axis=1)
    tau = np.where(started, times - np.where(started, last, 0.0), 0.0)
    m = np.full_like(times, model.by_window.get("long", 1.0))
    m = np.where(tau < _EDGES[2], model.by_window.get("mid", 1.0), m)
    m = np.where(tau < _EDGES[1], model.by_window.get("short", 1.0), m)
    decay = 1.0 if math.isinf(model.half_life_months) else np.exp2(-tau / model.half_life_months)
    boost = 1.0 + model.redose_boost * np.maximum(k_of_t, 0)
    return np.where(started, boost * m * decay, 0.0)

"""Progression rate (ΔFRS), progression groups and the D50 sigmoid model of ALSFRS-R decline.

spec/domain-rules.md, "Progression rate".  Functions are vectorised: they accept scalars, sequences,
numpy arrays or pandas Series, and return a float/str for scalar input, a Series (keeping the index of the
first Series argument) when given a Series, and a numpy array otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from alscell.domain.alsfrs import TOTAL_MAX
from alscell.domain.time import DAYS_PER_MONTH  # noqa: F401  (one month = 30.4375 days, the alscell convention)

# Progression groups by ΔFRS, points/month: Labra et al., J Neurol Neurosurg Psychiatry 2016;87:628–32.
# slow < 0.47, intermediate 0.47–1.11 (both ends inclusive), fast > 1.11.
SLOW_BELOW = 0.47
FAST_ABOVE = 1.11
PROGRESSION_GROUPS = ("slow", "intermediate", "fast")
# Median survival (years) per group: Labra et al. 2016 (same source).
MEDIAN_SURVIVAL_YEARS = {"slow": 2.4, "intermediate": 1.6, "fast": 0.7}
# D50 model: the score reaches half of 48 (= 24) at t = D50.  Stubendorff et al., ENCALS 2017; Steinbach,
# Poesen et al. (Jena group).
D50_MIDPOINT_SCORE = TOTAL_MAX / 2


def _as_float(x: Any) -> np.ndarray:
    """Float array (NaN for missing or non-numeric values) of a scalar, sequence, array or Series."""
    if np.ndim(x) == 0:
        try:
            return np.array(float(x))
        except (TypeError, ValueError):
            return np.array(np.nan)
    if isinstance(x, (pd.Series, pd.Index)) or pd.api.types.is_extension_array_dtype(x):
        return pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    arr = np.asarray(x)
    if arr.dtype.kind in "biuf":
        return arr.astype("float64")
    flat = pd.to_numeric(pd.Series(arr.ravel(), dtype=object), errors="coerce")
    return flat.to_numpy(dtype="float64", na_value=np.nan).reshape(arr.shape)


def _wrap(values: np.ndarray, *inputs: Any, name: str | None = None) -> Any:
    for x in inputs:
        if isinstance(x, pd.Series):
            return pd.Series(values, index=x.index, name=name)
    if all(np.ndim(x) == 0 for x in inputs):
        item = np.asarray(values).reshape(()).item()
        return item
    return values


def delta_frs(total: Any, months_from_onset: Any) -> Any:
    """ΔFRS = (48 − ALSFRS-R total) / months from symptom onset (Kimura et al., Neurology 2006;66:265–7).

    NaN where the total is missing or outside 0–48, or months is missing or ≤ 0.  Use
    :func:`alscell.domain.time.months_between` (30.4375-day months) to get the months.
    """
    t, m = np.broadcast_arrays(_as_float(total), _as_float(months_from_onset))
    valid = np.isfinite(t) & np.isfinite(m) & (m > 0) & (t >= 0) & (t <= TOTAL_MAX)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(valid, (TOTAL_MAX - t) / np.where(valid, m, 1.0), np.nan)
    return _wrap(out, total, months_from_onset, name="delta_frs")


# As a model covariate ΔFRS is bounded: months from onset floored at half a month (a visit days after onset
# would give an absurd rate) and the rate clipped to 0–10 points/month (beyond the fastest published
# courses; Labra 2016's fast group starts at 1.11).  The floor and cap are alscell conventions.
COVARIATE_MIN_MONTHS = 0.5
COVARIATE_MAX_RATE = 10.0


def delta_frs_covariate(total: Any, months_from_onset: Any) -> Any:
    """ΔFRS for use as a covariate: :func:`delta_frs` with months floored at 0.5 and the rate clipped to 0–10."""
    m = np.maximum(_as_float(months_from_onset), COVARIATE_MIN_MONTHS)
    out = np.clip(_as_float(delta_frs(total, m)), 0.0, COVARIATE_MAX_RATE)
    return _wrap(out, total, months_from_onset, name="delta_frs")


def progression_group(delta_frs: Any) -> Any:
    """ "slow" (< 0.47), "intermediate" (0.47–1.11 inclusive), "fast" (> 1.11); None for NaN (Labra 2016).

    Thresholds apply to the unrounded ΔFRS.
    """
    d = _as_float(delta_frs)
    out = np.full(d.shape, None, dtype=object)
    out[d < SLOW_BELOW] = "slow"
    out[(d >= SLOW_BELOW) & (d <= FAST_ABOVE)] = "intermediate"
    out[d > FAST_ABOVE] = "fast"
    return _wrap(out, delta_frs, name="progression_group")


def d50_score(t_months: Any, d50: Any, dx: Any) -> Any:
    """ALSFRS-R predicted by the D50 model: 48 / (1 + exp((t − D50) / dx)), t in months from onset.

    D50 is the time (months) at which the score reaches 24, dx (> 0, months) the steepness.
    """
    t, c, s = np.broadcast_arrays(_as_float(t_months), _as_float(d50), _as_float(dx))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, (t - c) / s, np.nan)
        # 1 / (1 + e^z) computed without overflow.
        out = TOTAL_MAX * np.exp(-np.logaddexp(0.0, z))
    return _wrap(out, t_months, d50, dx, name="alsfrs_r_total")


def d50_time(score: Any, d50: Any, dx: Any) -> Any:
    """Inverse of :func:`d50_score`: months from onset at which the D50 model reaches ``score``.

    t = D50 + dx · ln(48 / score − 1).  Score 0 → +inf, 48 → −inf (asymptotes); NaN outside 0–48 or dx ≤ 0.
    """
    y, c, s = np.broadcast_arrays(_as_float(score), _as_float(d50), _as_float(dx))
    valid = (y >= 0) & (y <= TOTAL_MAX) & (s > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = c + s * (np.log(TOTAL_MAX - y) - np.log(y))
    out = np.where(valid, out, np.nan)
    return _wrap(out, score, d50, dx, name="months_from_onset")

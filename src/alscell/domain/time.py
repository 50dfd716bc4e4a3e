"""Time conventions shared by every pillar.

One month = 30.4375 days throughout alscell (spec/domain-rules.md, "Progression rate"; the mean
Gregorian month, 365.25 / 12).
"""

from __future__ import annotations

import numpy as np

DAYS_PER_MONTH = 30.4375


def months_between(start, end) -> np.ndarray | float:
    """Months from ``start`` to ``end`` (dates, datetimes, numpy datetime64 or pandas objects)."""
    delta = np.asarray(end, dtype="datetime64[D]") - np.asarray(start, dtype="datetime64[D]")
    out = delta.astype("timedelta64[D]").astype(float) / DAYS_PER_MONTH
    return float(out) if np.ndim(out) == 0 else out

"""Values handed to templates: plain Python, with ``None`` for every kind of missing.

A template tests values for truth (``{% if patient.riluzole %}``); pandas' ``<NA>`` raises on that and
``NaT``/``NaN`` are truthy, so every record a template sees goes through :func:`plain_records` first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd


def plain(v: Any) -> Any:
    """``v`` as a plain Python value; ``None`` for ``<NA>``, ``NaT``, ``NaN`` and ``None``."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float | np.floating) and not np.isfinite(v):
        return None if np.isnan(v) else float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else pd.Timestamp(v)
    return v


def plain_record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): plain(v) for k, v in row.items()}


def plain_records(frame: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows of ``frame`` as plain dicts (see :func:`plain`)."""
    rows = frame.to_dict("records") if isinstance(frame, pd.DataFrame) else frame
    return [plain_record(r) for r in rows]

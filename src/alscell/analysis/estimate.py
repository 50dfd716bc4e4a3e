"""The one result type of every treatment-effect estimator (DESIGN.md, "The honest evidence engine").

``Estimate.to_json_dict()`` returns exactly the keys of the ``alscell effect --json`` contract
(spec/cli.md), in that order.  Positive ``estimate`` = benefit (slower decline), whatever the measure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

JSON_KEYS = (
    "outcome",
    "estimand",
    "unit",
    "method",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "n_patients",
    "n_treated",
    "n_visits",
    "warnings",
)


def _num(x) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def p_phrase(p: float) -> str:
    """A p-value in a sentence: "p < 0.001", "p = 0.228" ("p not available" when it is missing)."""
    if p is None or not np.isfinite(p):
        return "p not available"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def json_value(v: Any) -> Any:
    """``v`` as a JSON value: numbers as float/int (non-finite → null), missing → null, dates as ISO text."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return _num(v)
    if isinstance(v, pd.Timestamp | np.datetime64):
        return pd.Timestamp(v).date().isoformat()
    return v if isinstance(v, str) else str(v)


@dataclass
class Estimate:
    """A treatment effect with its uncertainty, what it used and what to be careful about.

    ``data`` is the analysis frame the estimator used (one row per observation it used), ``details``
    free extra numbers (e.g. standard error, df, balance table), neither part of the JSON contract.
    """

    outcome: str
    estimand: str
    unit: str
    method: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n_patients: int
    n_treated: int
    n_visits: int
    warnings: list[str] = field(default_factory=list)
    data: pd.DataFrame | None = field(default=None, repr=False)
    se: float = float("nan")
    details: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_json_dict(self) -> dict[str, Any]:
        """The spec/cli.md JSON object: exactly these keys in this order; non-finite numbers become null."""
        return {
            "outcome": self.outcome,
            "estimand": self.estimand,
            "unit": self.unit,
            "method": self.method,
            "estimate": _num(self.estimate),
            "ci_low": _num(self.ci_low),
            "ci_high": _num(self.ci_high),
            "p_value": _num(self.p_value),
            "n_patients": int(self.n_patients),
            "n_treated": int(self.n_treated),
            "n_visits": int(self.n_visits),
            "warnings": [str(w) for w in self.warnings],
        }

    @property
    def significant(self) -> bool:
        return bool(self.p_value < 0.05) if _num(self.p_value) is not None else False

    def covers(self, value: float) -> bool:
        return bool(self.ci_low <= value <= self.ci_high)


__all__ = ["JSON_KEYS", "Estimate", "p_phrase"]

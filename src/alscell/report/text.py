"""Number formatting and plain-language sentences shared by the reports.

Every number that a report prints from an analysis result goes through :func:`num` (or :func:`pval`),
so tests can format the engine's value the same way and find it in the text.
"""

from __future__ import annotations

import math

import pandas as pd


def _missing(x) -> bool:
    try:
        return x is None or x is pd.NA or x is pd.NaT or (isinstance(x, float) and math.isnan(x))
    except TypeError:
        return False


def num(x, nd: int = 2) -> str:
    """Fixed decimals, '−' as minus sign; 'n/a' when missing."""
    if _missing(x):
        return "n/a"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return "n/a"
    s = f"{v:.{nd}f}"
    if s.startswith("-") and float(s) == 0:
        s = s[1:]
    return s.replace("-", "−")


def signed(x, nd: int = 2) -> str:
    s = num(x, nd)
    return s if s.startswith("−") or s == "n/a" or float(s) == 0 else "+" + s


def pct(x, nd: int = 1) -> str:
    return "n/a" if _missing(x) else f"{num(100 * float(x), nd)}%"


def pval(p) -> str:
    if _missing(p):
        return "n/a"
    p = float(p)
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def date(d) -> str:
    if _missing(d):
        return "n/a"
    return pd.Timestamp(d).strftime("%Y-%m-%d")


def words(key) -> str:
    """'cell_source' → 'cell source'."""
    return "n/a" if _missing(key) else str(key).replace("_", " ")


def comparison(method) -> str:
    """What the headline slope change is measured against, for the method that made it (cohort report and
    dashboard share the sentence)."""
    if method == "g_estimation":
        return "against patients with the same recorded history who had not started treatment yet"
    return "against each patient's expected natural history"


POSITION_WORDS = {
    "above": "better than the range expected without treatment",
    "within": "within the range expected without treatment",
    "below": "below (worse than) the range expected without treatment",
}


def standing_sentence(status: dict, treated: bool) -> str:
    """Where the patient stands at the latest (post-treatment) visit, in plain words."""
    if not status.get("position"):
        return "There are not enough ALSFRS-R visits to compare with an expected course."
    when = "latest visit after treatment" if treated and status.get("n_post_visits") else "latest visit"
    base = (
        f"At your {when} ({date(status['date'])}) your ALSFRS-R score was {num(status['observed'], 0)}. "
        f"Without treatment we would have expected about {num(status['expected'], 1)}, and anything from "
        f"{num(status['pi_low'], 1)} to {num(status['pi_high'], 1)} would be usual (95% range). "
    )
    pos = status["position"]
    if pos == "within":
        tail = (
            "Your score is within the range expected without treatment: these numbers cannot tell "
            "a treatment effect apart from the natural course of the disease."
        )
    elif pos == "above":
        tail = (
            "Your score is above that range: better than expected. One visit above the range can also "
            "happen by chance (about 1 in 40 visits), so the next visits matter."
        )
    else:
        tail = (
            "Your score is below that range: lower than expected without treatment. One visit can be "
            "off by chance; talk it through with your clinician."
        )
    return base + tail

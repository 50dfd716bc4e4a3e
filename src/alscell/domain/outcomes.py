"""Outcome domains (the article's claims) and time windows after an injection.

Domains: DESIGN.md, "Outcome domains and windows".  Windows: spec/domain-rules.md — short 0–42 days,
mid 30–91 days, long ≥ 182 days after an injection.  Short and mid overlap on days 30–42 by definition
(the article's "first few weeks" and "1–3 months"); a visit in the overlap belongs to both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OutcomeDomain:
    key: str
    claim: str
    measures: tuple[str, ...]  # ALSFRS-R score keys and measurement keys


OUTCOME_DOMAINS: dict[str, OutcomeDomain] = {
    d.key: d
    for d in (
        OutcomeDomain("progression", "slowing progression", ("alsfrs_r_total",)),
        OutcomeDomain("motor", "motor function and strength", ("fine_motor", "gross_motor", "grip_kg", "hhd_kg")),
        OutcomeDomain("inflammation", "less neuroinflammation", ("mcp1", "il6", "chi3l1", "tnfa")),
        OutcomeDomain(
            "respiratory_bulbar",
            "better breathing and speech",
            ("fvc_pct_pred", "svc_pct_pred", "respiratory", "bulbar"),
        ),
        OutcomeDomain("energy_qol", "more energy, better quality of life", ("fss", "alsaq40", "alsaq5")),
        OutcomeDomain("neuroprotection", "neuroprotection", ("nfl", "munix", "cmap_mv")),
        OutcomeDomain("safety", "safety", ()),
    )
}


@dataclass(frozen=True)
class Window:
    key: str
    label: str
    start_day: int
    end_day: float  # inclusive; inf for open-ended


WINDOWS: dict[str, Window] = {
    w.key: w
    for w in (
        Window("short", "first weeks (0-6 weeks)", 0, 42),
        Window("mid", "1-3 months", 30, 91),
        Window("long", "6-12 months and beyond", 182, float("inf")),
    )
}


def in_window(days_after_injection, window: str) -> np.ndarray:
    """Boolean mask: which ``days_after_injection`` fall inside ``window`` (vectorised)."""
    w = WINDOWS[window]
    d = np.asarray(days_after_injection, dtype=float)
    return (d >= w.start_day) & (d <= w.end_day)

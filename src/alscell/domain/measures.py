"""Measurement keys with unit, allowed range, qualifiers and outcome domain.

Keys, units and ranges: spec/domain-rules.md, "Measures (key, unit, allowed range)".  Domains: DESIGN.md,
"Outcome domains and windows".  A unit string is what measurements.csv must carry in its ``unit`` column.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    key: str
    unit: str
    low: float
    high: float
    domain: str
    label: str
    needs_side: bool = False  # a side column is expected (left/right) but not required
    needs_muscle: bool = False  # the muscle column is required
    needs_specimen: bool = False  # the specimen column is required
    higher_is_better: bool = True


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("fvc_pct_pred", "%", 0, 150, "respiratory_bulbar", "FVC % predicted"),
        Measure("svc_pct_pred", "%", 0, 150, "respiratory_bulbar", "SVC % predicted"),
        Measure("grip_kg", "kg", 0, 100, "motor", "Grip strength", needs_side=True),
        Measure("hhd_kg", "kg", 0, 150, "motor", "Hand-held dynamometry", needs_side=True, needs_muscle=True),
        Measure("fss", "score", 1, 7, "energy_qol", "Fatigue Severity Scale", higher_is_better=False),
        Measure("alsaq40", "index", 0, 100, "energy_qol", "ALSAQ-40", higher_is_better=False),
        Measure("alsaq5", "index", 0, 100, "energy_qol", "ALSAQ-5", higher_is_better=False),
        Measure("cnsbfs", "score", 21, 112, "respiratory_bulbar", "CNS Bulbar Function Scale", higher_is_better=False),
        Measure("weight_kg", "kg", 20, 250, "progression", "Weight"),
        Measure(
            "nfl",
            "pg/mL",
            0,
            100000,
            "neuroprotection",
            "Neurofilament light",
            needs_specimen=True,
            higher_is_better=False,
        ),
        Measure("mcp1", "pg/mL", 0, 100000, "inflammation", "MCP-1", needs_specimen=True, higher_is_better=False),
        Measure("il6", "pg/mL", 0, 10000, "inflammation", "IL-6", higher_is_better=False),
        Measure("tnfa", "pg/mL", 0, 10000, "inflammation", "TNF-alpha", higher_is_better=False),
        Measure("chi3l1", "ng/mL", 0, 10000, "inflammation", "CHI3L1", higher_is_better=False),
        # MUNIX has no unit in the spec ("`munix` , ..."): the canonical unit string is empty.
        Measure("munix", "", 0, 2000, "neuroprotection", "MUNIX"),
        Measure("cmap_mv", "mV", 0, 30, "neuroprotection", "CMAP amplitude"),
    )
}

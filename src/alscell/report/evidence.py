"""Calls into the evidence engine (``alscell.analysis.effects / claims / responders / cycles / survival /
safety``), each guarded: a piece that is not installed or fails becomes a section that says plainly
"not available" and why — never a made-up number."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class Section:
    """One evidence-engine result: ``value`` when available, else ``reason``."""

    key: str
    title: str
    available: bool
    value: Any = None
    reason: str = ""
    warnings: list[str] = field(default_factory=list)


def _call(key: str, title: str, module: str, func: str, *args, **kwargs) -> Section:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return Section(key, title, False, reason=f"not available: {module} is not part of this installation yet")
        raise
    fn: Callable | None = getattr(mod, func, None)
    if fn is None:
        return Section(key, title, False, reason=f"not available: {module}.{func} does not exist yet")
    try:
        value = fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - shown in the report, not hidden
        return Section(key, title, False, reason=f"not available: {module}.{func} failed ({type(exc).__name__}: {exc})")
    return Section(key, title, True, value=value)


def as_dict(obj) -> dict:
    """Fields of a result object (``to_json_dict``, dataclass, mapping or attributes)."""
    if obj is None:
        return {}
    if hasattr(obj, "to_json_dict"):
        return dict(obj.to_json_dict())
    if dataclasses.is_dataclass(obj):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return dict(obj)
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


def first_frame(obj) -> pd.DataFrame | None:
    """A DataFrame result, or the first DataFrame attribute of a result object."""
    if isinstance(obj, pd.DataFrame):
        return obj
    if obj is None:
        return None
    for name in ("table", "frame", "by_cycle", "summary", "km", "curves"):
        v = getattr(obj, name, None)
        if isinstance(v, pd.DataFrame):
            return v
    for v in vars(obj).values() if hasattr(obj, "__dict__") else []:
        if isinstance(v, pd.DataFrame):
            return v
    return None


def run_evidence(tables: dict[str, pd.DataFrame], progress: Callable[[str], None] | None = None) -> dict[str, Section]:
    """Every evidence-engine result the cohort report shows, in order."""
    steps = [
        (
            "effect",
            "Effect on the ALSFRS-R slope (recommended method)",
            "alscell.analysis.effects",
            "estimate_effect",
            (tables,),
            {"outcome": "alsfrs_r_total", "method": "lmm_counterfactual"},
        ),
        (
            "effect_naive",
            "Naive before/after comparison (for contrast)",
            "alscell.analysis.effects",
            "estimate_effect",
            (tables,),
            {"outcome": "alsfrs_r_total", "method": "naive"},
        ),
        (
            "claims",
            "Claims: domain × window × route × cell source",
            "alscell.analysis.claims",
            "claims_table",
            (tables,),
            {"adjust": "holm"},
        ),
        ("muscles", "Injected versus non-injected muscles", "alscell.analysis.claims", "muscle_effects", (tables,), {}),
        ("responders", "Responders", "alscell.analysis.responders", "responder_analysis", (tables,), {}),
        ("cycles", "Repeated doses", "alscell.analysis.cycles", "effect_by_cycle", (tables,), {}),
        ("survival", "Survival", "alscell.analysis.survival", "event_analysis", (tables,), {"event": "death"}),
        ("safety", "Safety by route", "alscell.analysis.safety", "ae_incidence", (tables,), {"by": ("route",)}),
        (
            "safety_terms",
            "Adverse events by route and term within 30 days",
            "alscell.analysis.safety",
            "ae_incidence",
            (tables,),
            {"by": ("route", "term"), "within_days": 30},
        ),
    ]
    out: dict[str, Section] = {}
    for key, title, module, func, args, kwargs in steps:
        if progress:
            progress(title)
        out[key] = _call(key, title, module, func, *args, **kwargs)
    return out

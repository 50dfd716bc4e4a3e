"""Runs the evidence engine for the cohort report: one typed result per section.

A section whose analysis cannot be applied to the data (:class:`~alscell.analysis.errors.NotApplicable`:
no administrations, no ALSFRS-R visits, …) says plainly "not available" and why.  Any other exception is a
bug and propagates — the report never hides one behind "not available".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alscell.analysis.errors import NotApplicable
from alscell.io.tables import Tables, as_tables


@dataclass
class Section:
    """One evidence-engine result: ``value`` (a typed analysis result) when available, else ``reason``."""

    key: str
    title: str
    available: bool
    value: Any = None
    reason: str = ""

    @property
    def warnings(self) -> list[str]:
        return list(getattr(self.value, "warnings", []) or [])


def _section(key: str, title: str, fn: Callable[[], Any]) -> Section:
    try:
        return Section(key, title, True, value=fn())
    except NotApplicable as exc:
        return Section(key, title, False, reason=f"not available: {exc}")


def run_evidence(tables: Tables, progress: Callable[[str], None] | None = None) -> dict[str, Section]:
    """Every evidence-engine result the cohort report shows, in order."""
    from alscell.analysis.claims import claims_table, muscle_effects
    from alscell.analysis.cycles import effect_by_cycle
    from alscell.analysis.effect_modification import REPORT_MODIFIERS, estimate_modified, modification_sentence
    from alscell.analysis.effects import DEFAULT_METHOD, estimate_effect
    from alscell.analysis.responders import responder_analysis
    from alscell.analysis.safety import ae_incidence
    from alscell.analysis.sensitivity import sensitivity_analyses
    from alscell.analysis.survival import event_analysis

    t = as_tables(tables)
    # the recommended method is the primary of the sensitivity analyses: fitted once, shown in both sections
    sens = functools.cache(lambda: sensitivity_analyses(t, "alsfrs_r_total", DEFAULT_METHOD))
    steps: list[tuple[str, str, Callable[[], Any]]] = [
        ("effect", "Effect on the ALSFRS-R slope (recommended method)", lambda: sens().primary),
        ("sensitivity", "Sensitivity analyses: the other registry estimators", sens),
        # a sentence, not an Estimate: its warnings are the headline's and are listed once, with it
        ("modification", "Does it work better in some patients?",
         lambda: modification_sentence(estimate_modified(t, "alsfrs_r_total", DEFAULT_METHOD, REPORT_MODIFIERS))),
        ("effect_naive", "Naive before/after comparison (for contrast)",
         lambda: estimate_effect(t, "alsfrs_r_total", "naive")),
        ("claims", "Claims: domain × window × route × cell source", lambda: claims_table(t, adjust="holm")),
        ("muscles", "Injected versus non-injected muscles", lambda: muscle_effects(t)),
        ("responders", "Responders", lambda: responder_analysis(t)),
        ("cycles", "Repeated doses", lambda: effect_by_cycle(t)),
        ("survival", "Survival", lambda: event_analysis(t, event="death")),
        ("safety", "Safety by route", lambda: ae_incidence(t, by=("route",))),
        ("safety_terms", "Adverse events by route and term within 30 days",
         lambda: ae_incidence(t, by=("route", "term"), within_days=30)),
    ]  # fmt: skip
    out: dict[str, Section] = {}
    for key, title, fn in steps:
        if progress:
            progress(title)
        out[key] = _section(key, title, fn)
    return out

"""Eligibility screen for MSC treatment or a trial (spec/domain-rules.md, "Typical eligibility").

Typical criteria: El Escorial possible/probable/definite, symptom duration ≤ 24 months, ALSFRS-R ≥ 25 or
≥ 35, FVC ≥ 65% or ≥ 50% predicted, no invasive ventilation.  Each trial's own list is data: build an
:class:`EligibilityCriteria`; :data:`LENIENT` and :data:`STRICT` are the two typical presets.

Missing data never fails a criterion: it is reported as *unknown*.  ``eligible`` is True only when every
criterion was checked and met; when nothing failed but something is unknown the screen is undetermined
(``eligible`` False, ``reasons`` empty, ``unknown`` listing what to collect).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from alscell.domain.vocabulary import EL_ESCORIAL

# "Probable" includes "probable, laboratory-supported" (revised El Escorial / Airlie House): it is a form of
# probable ALS and is listed with it in MSC trial criteria (e.g. NurOwn phase 3).
TYPICAL_EL_ESCORIAL = ("definite", "probable", "probable_lab", "possible")
EL_ESCORIAL_LABELS = {
    "definite": "definite",
    "probable": "probable",
    "probable_lab": "probable (laboratory-supported)",
    "possible": "possible",
    "suspected": "suspected",
}
# Events that mean invasive (or permanent) ventilation; item 12 = 0 is invasive mechanical ventilation
# (Cedarbaum 1999).
INVASIVE_VENTILATION_EVENTS = ("tracheostomy", "permanent_ventilation")


@dataclass(frozen=True)
class EligibilityCriteria:
    """One eligibility list.  A bound set to None is not applied."""

    name: str = "custom"
    el_escorial: tuple[str, ...] = TYPICAL_EL_ESCORIAL
    max_months_since_onset: float | None = 24.0
    min_alsfrs_total: float | None = None
    min_fvc_pct_pred: float | None = None
    exclude_invasive_ventilation: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.el_escorial) - set(EL_ESCORIAL)
        if unknown:
            raise ValueError(f"unknown El Escorial categories: {sorted(unknown)}")
        object.__setattr__(self, "el_escorial", tuple(self.el_escorial))


LENIENT = EligibilityCriteria(name="lenient", min_alsfrs_total=25, min_fvc_pct_pred=50)
STRICT = EligibilityCriteria(name="strict", min_alsfrs_total=35, min_fvc_pct_pred=65)


@dataclass(frozen=True)
class ScreenResult:
    """Outcome of :func:`screen`: failed criteria as sentences, and criteria that could not be checked."""

    eligible: bool
    reasons: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """ "eligible", "not eligible" (a criterion failed) or "undetermined" (only missing data)."""
        if self.reasons:
            return "not eligible"
        return "undetermined" if self.unknown else "eligible"


def _missing(x: Any) -> bool:
    return x is None or (not isinstance(x, str) and bool(pd.isna(x)))


def _value(x: Any) -> float | None:
    """``x`` as a float, or None when missing."""
    return None if _missing(x) else float(x)


def _num(x: float) -> str:
    return f"{x:g}"


def invasive_ventilation_from(q12: Any = None, events: Iterable[str] = ()) -> bool | None:
    """Invasive ventilation from ALSFRS-R item 12 (0 = invasive) and event keys; None if unknown.

    True if item 12 is 0 or any event is a tracheostomy or permanent ventilation; False if item 12 is
    known (1–4) and no such event; None if item 12 is missing and no such event is recorded.
    """
    if any(e in INVASIVE_VENTILATION_EVENTS for e in events):
        return True
    if _missing(q12):
        return None
    return float(q12) == 0


def screen(
    criteria: EligibilityCriteria,
    *,
    el_escorial: str | None,
    months_since_onset: float | None,
    alsfrs_total: float | None,
    fvc_pct_pred: float | None,
    invasive_ventilation: bool | None,
) -> ScreenResult:
    """Check one patient against ``criteria``; None/NaN inputs are unknown, not failures."""
    reasons: list[str] = []
    unknown: list[str] = []

    allowed = ", ".join(EL_ESCORIAL_LABELS[c] for c in criteria.el_escorial)
    if _missing(el_escorial):
        unknown.append(f"El Escorial category not recorded: cannot check that it is {allowed}.")
    elif el_escorial not in EL_ESCORIAL:
        raise ValueError(f"unknown El Escorial category {el_escorial!r}; expected one of {EL_ESCORIAL}")
    elif el_escorial not in criteria.el_escorial:
        reasons.append(f"El Escorial category is {EL_ESCORIAL_LABELS[el_escorial]}; the criteria require {allowed}.")

    limit = criteria.max_months_since_onset
    if limit is not None:
        v = _value(months_since_onset)
        if v is None:
            unknown.append(f"Symptom onset not known: cannot check a symptom duration of at most {_num(limit)} months.")
        elif v > limit:
            reasons.append(f"Symptoms began {v:.1f} months ago; the limit is {_num(limit)} months.")

    floor = criteria.min_alsfrs_total
    if floor is not None:
        v = _value(alsfrs_total)
        if v is None:
            unknown.append(f"No complete ALSFRS-R total: cannot check ALSFRS-R of at least {_num(floor)}.")
        elif v < floor:
            reasons.append(f"ALSFRS-R total is {_num(v)}; the minimum is {_num(floor)}.")

    floor = criteria.min_fvc_pct_pred
    if floor is not None:
        v = _value(fvc_pct_pred)
        if v is None:
            unknown.append(f"No FVC measurement: cannot check FVC of at least {_num(floor)}% predicted.")
        elif v < floor:
            reasons.append(f"FVC is {_num(v)}% predicted; the minimum is {_num(floor)}%.")

    if criteria.exclude_invasive_ventilation:
        if _missing(invasive_ventilation):
            unknown.append("Ventilation status not known: cannot check that there is no invasive ventilation.")
        elif bool(invasive_ventilation):
            reasons.append("The patient is on invasive ventilation, which excludes treatment under these criteria.")

    return ScreenResult(eligible=not reasons and not unknown, reasons=reasons, unknown=unknown)

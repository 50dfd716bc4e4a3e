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


# ---------------------------------------------------------------------------------------------------
# Criteria sets as editable data files (src/alscell/domain/criteria/*.toml; docs/prognosis.md).
# Rule types: ``range`` (variable within min/max, inclusive), ``one_of`` (variable in values), ``flag``
# (a yes/no variable must equal ``required``), ``decline`` (ALSFRS-R fell by at least ``min_points``
# over the ``over_months`` before screening).  A missing input is "unknown", never "fail".

RULE_TYPES = ("range", "one_of", "flag", "decline")
PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"


@dataclass(frozen=True)
class Criterion:
    """One rule of a criteria file."""

    id: str
    type: str
    label: str
    source: str
    variable: str = ""
    min: float | None = None
    max: float | None = None
    values: tuple[str, ...] = ()
    required: bool | None = None
    min_points: float | None = None
    over_months: float | None = None

    def __post_init__(self) -> None:
        if self.type not in RULE_TYPES:
            raise ValueError(f"criterion {self.id!r}: unknown rule type {self.type!r}; use one of {RULE_TYPES}")
        if self.type == "range" and self.min is None and self.max is None:
            raise ValueError(f"criterion {self.id!r}: a range rule needs min or max")
        if self.type == "decline" and (self.min_points is None or not self.over_months):
            raise ValueError(f"criterion {self.id!r}: a decline rule needs min_points and over_months")
        if self.type != "decline" and not self.variable:
            raise ValueError(f"criterion {self.id!r}: needs a variable")


@dataclass(frozen=True)
class CriteriaSet:
    name: str
    title: str
    source: str
    criteria: tuple[Criterion, ...]


def _parse_set(data: dict, origin: str) -> CriteriaSet:
    rules = []
    for i, c in enumerate(data.get("criterion", [])):
        known = {f for f in Criterion.__dataclass_fields__}
        extra = set(c) - known
        if extra:
            raise ValueError(f"{origin}: criterion {i + 1} has unknown keys {sorted(extra)}")
        c = dict(c)
        if "values" in c:
            c["values"] = tuple(c["values"])
        c.setdefault("source", data.get("source", ""))
        rules.append(Criterion(**c))
    return CriteriaSet(
        name=data.get("name", origin),
        title=data.get("title", origin),
        source=data.get("source", ""),
        criteria=tuple(rules),
    )


def load_criteria(name_or_path: str) -> CriteriaSet:
    """A criteria set by shipped name (``nurown_phase3``, ``typical_lenient``, …) or by TOML file path."""
    import tomllib
    from importlib import resources
    from pathlib import Path

    p = Path(name_or_path)
    if p.suffix == ".toml" and p.exists():
        return _parse_set(tomllib.loads(p.read_text(encoding="utf-8")), str(p))
    res = resources.files("alscell.domain").joinpath("criteria", f"{name_or_path}.toml")
    if not res.is_file():
        raise ValueError(f"no criteria set {name_or_path!r}; shipped sets: {', '.join(shipped_criteria())}")
    return _parse_set(tomllib.loads(res.read_text(encoding="utf-8")), name_or_path)


def shipped_criteria() -> list[str]:
    """Names of the criteria sets shipped with alscell."""
    from importlib import resources

    d = resources.files("alscell.domain").joinpath("criteria")
    return sorted(f.name[:-5] for f in d.iterdir() if f.name.endswith(".toml") and f.name != "routes.toml")


def _fmt_val(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.1f}".rstrip("0").rstrip(".")
    return str(v)


def evaluate_criterion(c: Criterion, values: dict[str, Any], decline: Any = None) -> dict:
    """One criterion: status pass / fail / unknown and why (one sentence).

    ``decline``: a dict ``{"points", "months"[, "why"]}`` or a function of ``over_months`` returning one.
    """
    out = {"id": c.id, "label": c.label, "type": c.type, "source": c.source}
    if c.type == "decline":
        d = (decline(float(c.over_months or 0)) if callable(decline) else decline) or {}
        pts = d.get("points")
        if pts is None or _missing(pts):
            why = (
                d.get("why") or f"no two ALSFRS-R totals about {_num(c.over_months or 0)} months apart before screening"
            )
            return {**out, "status": UNKNOWN, "value": None, "why": f"Unknown: {why}."}
        ok = float(pts) >= float(c.min_points or 0)
        rate = f"fell {_fmt_val(float(pts))} points over {_fmt_val(float(d.get('months', 0)))} months"
        need = f"at least {_num(c.min_points or 0)} points over {_num(c.over_months or 0)} months"
        return {**out, "status": PASS if ok else FAIL, "value": float(pts), "why": f"ALSFRS-R {rate}; needed {need}."}
    v = values.get(c.variable)
    if _missing(v) or v is None:
        return {**out, "status": UNKNOWN, "value": None, "why": f"Unknown: {c.variable} is not recorded."}
    if c.type == "range":
        x = float(v)
        lo_ok = c.min is None or x >= c.min
        hi_ok = c.max is None or x <= c.max
        bound = " and ".join(
            s
            for s in (
                f"at least {_num(c.min)}" if c.min is not None else "",
                f"at most {_num(c.max)}" if c.max is not None else "",
            )
            if s
        )
        status = PASS if lo_ok and hi_ok else FAIL
        return {**out, "status": status, "value": x, "why": f"{c.variable} is {_fmt_val(x)}; must be {bound}."}
    if c.type == "one_of":
        status = PASS if str(v) in c.values else FAIL
        return {
            **out,
            "status": status,
            "value": str(v),
            "why": f"{c.variable} is {v}; allowed: {', '.join(c.values)}.",
        }
    # flag
    b = bool(v)
    status = PASS if b == bool(c.required) else FAIL
    return {
        **out,
        "status": status,
        "value": b,
        "why": f"{c.variable}: {_fmt_val(b)}; required: {_fmt_val(bool(c.required))}.",
    }


def evaluate_set(cs: CriteriaSet, values: dict[str, Any], decline: Any = None) -> dict:
    """Every criterion of a set, and the overall verdict (eligible / not eligible / undetermined)."""
    rows = [evaluate_criterion(c, values, decline) for c in cs.criteria]
    fails = [r for r in rows if r["status"] == FAIL]
    unknown = [r for r in rows if r["status"] == UNKNOWN]
    verdict = "not eligible" if fails else ("undetermined" if unknown else "eligible")
    return {"name": cs.name, "title": cs.title, "source": cs.source, "status": verdict, "criteria": rows}


def load_route_flags(path: str | None = None) -> tuple[str, list[dict]]:
    """Route contraindication flags (shipped ``criteria/routes.toml`` or a TOML file): (source, flags)."""
    import tomllib
    from importlib import resources
    from pathlib import Path

    text = (
        Path(path).read_text(encoding="utf-8")
        if path
        else resources.files("alscell.domain").joinpath("criteria", "routes.toml").read_text(encoding="utf-8")
    )
    data = tomllib.loads(text)
    flags = []
    for f in data.get("flag", []):
        if f.get("level") not in ("caution", "contraindicated") or not f.get("route") or not f.get("variable"):
            raise ValueError(f"route flag {f!r}: needs route, variable and level caution|contraindicated")
        flags.append(dict(f))
    return data.get("source", ""), flags


def evaluate_routes(flags: list[dict], values: dict[str, Any]) -> list[dict]:
    """Per route: ok / caution / contraindicated / unknown, with the flags that apply and why."""
    from alscell.domain.vocabulary import ROUTES

    out = []
    for route in ROUTES:
        mine = [f for f in flags if f["route"] == route]
        hits, unknown = [], []
        for f in mine:
            v = values.get(f["variable"])
            if _missing(v):
                unknown.append(f["variable"])
            elif bool(v):
                hits.append({"variable": f["variable"], "level": f["level"], "why": f["why"]})
        level = (
            "contraindicated"
            if any(h["level"] == "contraindicated" for h in hits)
            else "caution"
            if hits
            else ("unknown" if unknown else "no flag")
        )
        out.append({"route": route, "status": level, "flags": hits, "not_recorded": unknown})
    return out

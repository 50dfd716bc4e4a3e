"""HTML forms to canonical text rows, and the ALSFRS-R form's items with their answer wording."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from alscell.domain.adverse_events import AE_TERMS, CTCAE_GRADES, RELATEDNESS
from alscell.domain.alsfrs import ANSWERS, ITEM_LABELS, score_items
from alscell.domain.measures import MEASURES
from alscell.domain.vocabulary import BLINDED_ARMS, CELL_SOURCES, DONORS, EVENTS, MUSCLES, ROUTES, SIDES, SPECIMENS
from alscell.io.columns import ALSFRS_ITEMS, TABLES

FORM_ITEMS = ("q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12")
PATIENT_FIELDS = (
    "patient_id",
    "sex",
    "birth_year",
    "onset_date",
    "diagnosis_date",
    "onset_site",
    "el_escorial",
    "site",
)


def item_choices() -> list[dict]:
    """The 12 items (item 5 as 5a and 5b) with their answers, score 4 first."""
    out = []
    for q in ALSFRS_ITEMS:
        out.append(
            {
                "name": q,
                "label": ITEM_LABELS[q],
                "answers": [(4 - i, text) for i, text in enumerate(ANSWERS[q])],
            }
        )
    return out


def _text(form: Mapping[str, object], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def visit_values(form: Mapping[str, object], patient_id: str, assessor: str) -> dict[str, str]:
    """Canonical alsfrs row from the form: the 5a/5b switch keeps only the answered form of item 5."""
    values = {c: _text(form, c) for c in TABLES["alsfrs"]}
    values["patient_id"] = patient_id
    values["assessor"] = assessor
    if _text(form, "gastrostomy") == "yes":
        values["q5a"] = ""
    else:
        values["q5b"] = ""
    return values


def patient_values(form: Mapping[str, object], site: str | None) -> dict[str, str]:
    values = {c: _text(form, c) for c in PATIENT_FIELDS}
    values["site"] = site or ""
    return values


def score_summary(form: Mapping[str, object]) -> dict[str, float | None]:
    """Total and subscores of the answers so far (server-side, domain.alsfrs.score_items)."""
    row = {c: [_text(form, c) or None] for c in ALSFRS_ITEMS}
    if _text(form, "gastrostomy") == "yes":
        row["q5a"] = [None]
    else:
        row["q5b"] = [None]
    scores = score_items(pd.DataFrame(row)).iloc[0]
    return {k: (None if pd.isna(v) else float(v)) for k, v in scores.items()}


def today() -> str:
    return dt.date.today().isoformat()


@dataclass(frozen=True)
class Field:
    """One input of a data-entry form: a canonical column, its widget and its choices."""

    name: str
    label: str
    widget: str = "text"  # text, number, date, select, muscles
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False
    hint: str = ""


def _pairs(values) -> tuple[tuple[str, str], ...]:
    return tuple((v, v.replace("_", " ")) for v in values)


def entry_fields(name: str, treatments: list[str] | None = None) -> list[Field]:
    """The form of table ``name`` (patient_id comes from the page), in the canonical column order."""
    if name == "treatments":
        return [
            Field("treatment_id", "Administration id", required=True, hint="e.g. the pharmacy dispensing number"),
            Field("date", "Date", "date", required=True),
            Field("cycle", "Cycle", "number", required=True),
            Field("cell_source", "Cell source", "select", _pairs(CELL_SOURCES), True),
            Field("donor", "Donor", "select", _pairs(DONORS), True),
            Field("route", "Route", "select", _pairs(ROUTES), True),
            Field("dose_cells", "Dose (cells)", required=True, hint="e.g. 1e8 or 100000000"),
            Field("target_muscles", "Target muscles", "muscles", _pairs(MUSCLES), hint="intramuscular only"),
            Field("product", "Product"),
            Field("lot", "Lot"),
            Field("viability_pct", "Viability (%)"),
            Field("passage", "Passage", "number"),
            Field("blinded_arm", "Blinded arm", "select", _pairs(BLINDED_ARMS)),
            Field("decision_date", "Decision date", "date", hint="when the decision to give it was taken"),
        ]
    if name == "measurements":
        measures = tuple((k, f"{m.label} ({m.unit or 'no unit'})") for k, m in MEASURES.items())
        return [
            Field("date", "Date", "date", required=True),
            Field("measure", "Measure", "select", measures, True),
            Field("value", "Value", required=True),
            Field("unit", "Unit", hint="left empty: the measure's unit"),
            Field("side", "Side", "select", _pairs(SIDES), hint="grip and HHD"),
            Field("muscle", "Muscle", "select", _pairs(MUSCLES), hint="HHD"),
            Field("specimen", "Specimen", "select", _pairs(SPECIMENS), hint="biomarkers"),
        ]
    if name == "adverse_events":
        grades = tuple((str(g), f"{g} · {label}") for g, label in CTCAE_GRADES.items())
        return [
            Field("ae_id", "AE id", required=True),
            Field("onset_date", "Onset", "date", required=True),
            Field("resolved_date", "Resolved", "date"),
            Field("term", "Term", "select", _pairs(AE_TERMS), True),
            Field("grade", "CTCAE grade", "select", grades, True),
            Field("serious", "Serious", "select", (("true", "yes"), ("false", "no")), True),
            Field("treatment_id", "Attributed to administration", "select", _pairs(treatments or [])),
            Field("relatedness", "Relatedness", "select", _pairs(RELATEDNESS)),
        ]
    if name == "events":
        return [Field("date", "Date", "date", required=True), Field("event", "Event", "select", _pairs(EVENTS), True)]
    raise KeyError(name)


ENTRY_TITLES = {
    "treatments": "Administration",
    "measurements": "Measurement",
    "adverse_events": "Adverse event",
    "events": "Clinical event",
}


def entry_values(form, name: str, patient_id: str) -> dict[str, str]:
    """Canonical text row of table ``name`` from a submitted form (multi-valued muscles joined by ';')."""
    values = {c: _text(form, c) for c in TABLES[name] if c != "patient_id"}
    values["patient_id"] = patient_id
    if name == "treatments":
        picked = [m for m in form.getlist("target_muscles") if isinstance(m, str) and m.strip()]
        values["target_muscles"] = ";".join(m.strip() for m in picked)
    if name == "measurements" and not values["unit"] and values["measure"] in MEASURES:
        values["unit"] = MEASURES[values["measure"]].unit
    return values

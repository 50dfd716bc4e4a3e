"""HTML forms to canonical text rows, and the ALSFRS-R form's items with their answer wording."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from alscell.domain.alsfrs import ANSWERS, ITEM_LABELS, score_items
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

"""Column layout of the canonical data folder, version 1 (spec/data-format.md).

``TABLES`` maps each file stem to its columns in the order alscell writes them; ``REQUIRED`` lists the
columns that must be present in the header.  Readers accept any column order, extra ``x_`` columns and
omitted optional columns.
"""

from __future__ import annotations

ALSFRS_ITEMS = ("q1", "q2", "q3", "q4", "q5a", "q5b", "q6", "q7", "q8", "q9", "q10", "q11", "q12")

TABLES: dict[str, tuple[str, ...]] = {
    "patients": (
        "patient_id",
        "sex",
        "birth_year",
        "onset_date",
        "diagnosis_date",
        "onset_site",
        "el_escorial",
        "riluzole",
        "edaravone",
        "genetics",
        "cohort",
        "site",
        "ftd",  # optional extension (docs/prognosis.md): frontotemporal dementia, for the ENCALS model
    ),
    "treatments": (
        "treatment_id",
        "patient_id",
        "date",
        "cycle",
        "cell_source",
        "donor",
        "route",
        "dose_cells",
        "target_muscles",
        "product",
        "lot",
        "viability_pct",
        "passage",
        "blinded_arm",
        "decision_date",  # optional extension (docs/data-rules.md): when the decision to give it was taken
    ),
    # visit_type, eligible, rater: optional extensions (docs/data-rules.md): the occasion of the visit; the clinic's
    # screening for the therapy at it (met its criteria or not; empty: not screened or not recorded); who rated
    # it, as the clinic's pseudonym for the rater (never a name; empty: not recorded)
    "alsfrs": ("patient_id", "date", *ALSFRS_ITEMS, "assessor", "visit_type", "eligible", "rater"),
    "measurements": ("patient_id", "date", "measure", "value", "unit", "side", "muscle", "specimen"),
    "adverse_events": (
        "ae_id",
        "patient_id",
        "onset_date",
        "resolved_date",
        "term",
        "grade",
        "serious",
        "treatment_id",
        "relatedness",
    ),
    "events": ("patient_id", "date", "event"),
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "patients": ("patient_id", "sex", "onset_date", "onset_site"),
    "treatments": ("treatment_id", "patient_id", "date", "cycle", "cell_source", "donor", "route", "dose_cells"),
    # Items may be absent from a row but the columns identify the visit.
    "alsfrs": ("patient_id", "date"),
    "measurements": ("patient_id", "date", "measure", "value", "unit"),
    "adverse_events": ("ae_id", "patient_id", "onset_date", "term", "grade", "serious"),
    "events": ("patient_id", "date", "event"),
}

# Natural key of each table: the columns that identify a row across imports (the primary keys in store).
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": ("patient_id",),
    "treatments": ("treatment_id",),
    "alsfrs": ("patient_id", "date"),
    "measurements": ("patient_id", "date", "measure", "side", "muscle", "specimen"),
    "adverse_events": ("ae_id",),
    "events": ("patient_id", "date", "event"),
}

# Longest value a bounded text column may hold: the same limit on every database (the store's String(n)).
MAX_LENGTH: dict[str, int] = {
    "patient_id": 64,
    "site": 64,
    "treatment_id": 128,
    "ae_id": 128,
    "rater": 40,  # a pseudonym of the rater (docs/data-rules.md, "Canonical extensions")
}

# File order that respects references: patients first.
FILE_ORDER = ("patients", "treatments", "alsfrs", "measurements", "adverse_events", "events")

# Value kind of each known column: how it is parsed and written.
DATE_COLUMNS = frozenset({"onset_date", "diagnosis_date", "date", "resolved_date", "decision_date"})
INT_COLUMNS = frozenset({"birth_year", "cycle", "grade", "passage", *ALSFRS_ITEMS})
FLOAT_COLUMNS = frozenset({"dose_cells", "value", "viability_pct"})
BOOL_COLUMNS = frozenset({"riluzole", "edaravone", "serious", "ftd", "eligible"})


def kind_of(column: str) -> str:
    """'date', 'int', 'float', 'bool' or 'text' for a canonical column (``x_`` columns are text)."""
    if column in DATE_COLUMNS:
        return "date"
    if column in INT_COLUMNS:
        return "int"
    if column in FLOAT_COLUMNS:
        return "float"
    if column in BOOL_COLUMNS:
        return "bool"
    return "text"

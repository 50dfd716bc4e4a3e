"""A small hand-made canonical folder for the SDTM and FHIR export tests, with its values worked out by hand.

Three patients: HAND-01 treated twice (intrathecal, then intramuscular into two muscles), with three
ALSFRS-R visits (the last partial), FVC, CSF NfL and grip, two adverse events, a gastrostomy and death;
HAND-02 untreated, born 1928 (over 89 at every visit), self-rated once, then withdrawn; HAND-03 with a
patients.csv row only.  The first administration of HAND-01 carries a formula-like product name.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

ITEMS = ("q1", "q2", "q3", "q4", "q5a", "q5b", "q6", "q7", "q8", "q9", "q10", "q11", "q12")

PATIENTS = [
    {
        "patient_id": "HAND-01",
        "sex": "F",
        "birth_year": "1960",
        "onset_date": "2021-01-10",
        "diagnosis_date": "2021-06-20",
        "onset_site": "limb",
        "site": "site_a",
    },
    {
        "patient_id": "HAND-02",
        "sex": "M",
        "birth_year": "1928",
        "onset_date": "2020-06-01",
        "onset_site": "bulbar",
        "site": "site_b",
    },
    {"patient_id": "HAND-03", "sex": "U", "onset_date": "2023-01-01", "onset_site": "respiratory"},
]
TREATMENTS = [
    {
        "treatment_id": "TX-HAND-1",
        "patient_id": "HAND-01",
        "date": "2022-03-01",
        "cycle": "1",
        "cell_source": "bone_marrow",
        "donor": "autologous",
        "route": "intrathecal",
        "dose_cells": "1.0e8",
        "product": "=cmd|' /C calc'!A0",
        "lot": "LOT-7781",
    },
    {
        "treatment_id": "TX-HAND-2",
        "patient_id": "HAND-01",
        "date": "2022-05-01",
        "cycle": "2",
        "cell_source": "adipose",
        "donor": "allogeneic",
        "route": "intramuscular",
        "dose_cells": "5.0e7",
        "target_muscles": "deltoid;biceps",
    },
]
# (patient, date, items q1..q12 with q5a/q5b, assessor); totals by hand: 42, 40, partial, 28.
ALSFRS = [
    ("HAND-01", "2022-02-01", (4, 4, 4, 3, 3, None, 3, 4, 3, 2, 4, 4, 4), None),
    ("HAND-01", "2022-03-01", (4, 4, 3, 3, 3, None, 3, 3, 3, 2, 4, 4, 4), None),
    ("HAND-01", "2022-06-01", (4, 4, None, 3, None, 2, 3, 3, 2, 2, 4, 3, 4), None),
    ("HAND-02", "2022-01-15", (3, 3, 3, 2, 2, None, 2, 2, 1, 1, 3, 3, 3), "self"),
]
TOTALS = {("HAND-01", "2022-02-01"): 42, ("HAND-01", "2022-03-01"): 40, ("HAND-02", "2022-01-15"): 28}
MEASUREMENTS = [
    {"patient_id": "HAND-01", "date": "2022-02-01", "measure": "fvc_pct_pred", "value": "80", "unit": "%"},
    {
        "patient_id": "HAND-01",
        "date": "2022-02-01",
        "measure": "nfl",
        "value": "12.5",
        "unit": "pg/mL",
        "specimen": "csf",
    },
    {
        "patient_id": "HAND-01",
        "date": "2022-02-01",
        "measure": "grip_kg",
        "value": "20.5",
        "unit": "kg",
        "side": "left",
    },
    {"patient_id": "HAND-01", "date": "2022-06-01", "measure": "fvc_pct_pred", "value": "71", "unit": "%"},
    {"patient_id": "HAND-02", "date": "2022-01-15", "measure": "weight_kg", "value": "70", "unit": "kg"},
]
ADVERSE_EVENTS = [
    {
        "ae_id": "AE-HAND-9",
        "patient_id": "HAND-01",
        "onset_date": "2022-03-02",
        "resolved_date": "2022-03-04",
        "term": "headache",
        "grade": "2",
        "serious": "false",
        "treatment_id": "TX-HAND-1",
        "relatedness": "probable",
    },
    {
        "ae_id": "AE-HAND-10",
        "patient_id": "HAND-01",
        "onset_date": "2022-05-03",
        "term": "injection_site_pain",
        "grade": "3",
        "serious": "true",
        "treatment_id": "TX-HAND-2",
        "relatedness": "unrelated",
    },
]
EVENTS = [
    {"patient_id": "HAND-01", "date": "2022-07-01", "event": "gastrostomy"},
    {"patient_id": "HAND-01", "date": "2022-09-01", "event": "death"},
    {"patient_id": "HAND-02", "date": "2022-04-01", "event": "withdrawal"},
]
IDS = ["HAND-01", "HAND-02", "HAND-03", "TX-HAND-1", "TX-HAND-2", "AE-HAND-9", "AE-HAND-10", "site_a", "site_b"]


def _write(path: Path, columns: list[str], rows: Sequence[Mapping[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if r.get(c) is None else r.get(c) for c in columns])


def hand_folder(folder: Path) -> Path:
    """Write the hand-made canonical folder to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(
        folder / "patients.csv",
        ["patient_id", "sex", "birth_year", "onset_date", "diagnosis_date", "onset_site", "site"],
        PATIENTS,
    )
    _write(
        folder / "treatments.csv",
        [
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
        ],
        TREATMENTS,
    )
    frs = [
        {"patient_id": p, "date": d, **dict(zip(ITEMS, items, strict=True)), "assessor": who}
        for p, d, items, who in ALSFRS
    ]
    _write(folder / "alsfrs.csv", ["patient_id", "date", *ITEMS, "assessor"], frs)
    _write(
        folder / "measurements.csv",
        ["patient_id", "date", "measure", "value", "unit", "side", "muscle", "specimen"],
        MEASUREMENTS,
    )
    _write(folder / "adverse_events.csv", list(ADVERSE_EVENTS[0]), ADVERSE_EVENTS)
    _write(folder / "events.csv", ["patient_id", "date", "event"], EVENTS)
    return folder


def minimal_folder(folder: Path) -> Path:
    """One patient, patients.csv only, required columns only."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(
        folder / "patients.csv",
        ["patient_id", "sex", "onset_date", "onset_site"],
        [{"patient_id": "ONLY-1", "sex": "F", "onset_date": "2021-05-05", "onset_site": "limb"}],
    )
    return folder


# The canonical extensions (docs/data-rules.md): a decision date for the first administration only, and a
# visit type for three of the four ALSFRS-R visits (the partial one has none).
DECISION_DATES = {"TX-HAND-1": "2022-02-01", "TX-HAND-2": None}
VISIT_TYPES_BY_VISIT = {
    ("HAND-01", "2022-02-01"): "scheduled",
    ("HAND-01", "2022-03-01"): "unscheduled",
    ("HAND-01", "2022-06-01"): None,
    ("HAND-02", "2022-01-15"): "remote",
}


def _add_column(path: Path, column: str, value_of: Callable[[dict[str, str]], str | None]) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    columns = [*rows[0], column]
    _write(path, columns, [{**r, column: value_of(r)} for r in rows])


def extension_folder(folder: Path) -> Path:
    """The hand-made folder with ``treatments.decision_date`` and ``alsfrs.visit_type`` filled in."""
    hand_folder(folder)
    _add_column(folder / "treatments.csv", "decision_date", lambda r: DECISION_DATES[r["treatment_id"]])
    _add_column(folder / "alsfrs.csv", "visit_type", lambda r: VISIT_TYPES_BY_VISIT[(r["patient_id"], r["date"])])
    return folder


# alsfrs.eligible: the clinic's screening for the therapy at a visit (true, false, or empty = not screened).
ELIGIBLE_BY_VISIT = {
    ("HAND-01", "2022-02-01"): "true",  # scheduled (in the extension folder)
    ("HAND-01", "2022-03-01"): None,  # unscheduled, not screened
    ("HAND-01", "2022-06-01"): "false",  # no visit type
    ("HAND-02", "2022-01-15"): "false",  # remote
}


def with_eligible(folder: Path, values: Mapping[tuple[str, str], str | None] = ELIGIBLE_BY_VISIT) -> Path:
    """``folder`` (the hand-made one or the extension folder) with ``alsfrs.eligible`` filled from ``values`` (by
    patient and date)."""
    _add_column(folder / "alsfrs.csv", "eligible", lambda r: values[(r["patient_id"], r["date"])] or "")
    return folder


# alsfrs.rater: the clinic's pseudonym for who rated a visit (empty = not recorded).  R07 rates two of HAND-01's visits;
# HAND-02's self-report has none.
RATER_BY_VISIT = {
    ("HAND-01", "2022-02-01"): "R07",
    ("HAND-01", "2022-03-01"): "nurse-3",
    ("HAND-01", "2022-06-01"): "R07",
    ("HAND-02", "2022-01-15"): None,  # self-rated
}


def with_rater(folder: Path, values: Mapping[tuple[str, str], str | None] = RATER_BY_VISIT) -> Path:
    """``folder`` (the hand-made one or an extended one) with ``alsfrs.rater`` filled from ``values`` (by patient
    and date)."""
    _add_column(folder / "alsfrs.csv", "rater", lambda r: values[(r["patient_id"], r["date"])] or "")
    return folder


def assert_no_original_date(text: str, tables: Mapping) -> None:
    """No date of ``tables`` (the registry before de-identification) appears, as YYYY-MM-DD, in an export's
    ``text``."""
    for frame in tables.values():
        for col in frame.columns:
            if frame[col].dtype.kind == "M":
                for day in frame[col].dropna():
                    assert day.strftime("%Y-%m-%d") not in text, (col, day)

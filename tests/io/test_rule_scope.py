"""A visit or a measurement validated against its patient's rows of RULE_TABLES only gets exactly the answer
it gets against the patient's whole record (the web app's single-row writes rely on it: io.validate)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alscell.io.columns import FILE_ORDER, TABLES
from alscell.io.rawcsv import LINE_INDEX
from alscell.io.reader import read_folder
from alscell.io.validate import RULE_TABLES, rule_tables, validate_merged

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "small"
TABLES_OF = read_folder(EXAMPLE)
PATIENTS = ["ALS-001", "ALS-002", "ALS-003", "ALS-004", "ALS-404"]  # ALS-404 is unknown
TODAY = dt.date(2026, 12, 2)


def _stored(patient_id: str, names) -> dict[str, pd.DataFrame]:
    return {n: TABLES_OF[n][TABLES_OF[n]["patient_id"] == patient_id].reset_index(drop=True) for n in names}


def _raw(name: str, values: dict[str, str]) -> dict[str, pd.DataFrame]:
    raw = pd.DataFrame({c: pd.Series([values.get(c, "")], dtype=object) for c in TABLES[name]})
    raw.index = pd.Index([2], name=LINE_INDEX)
    return {name: raw}


def _same_answer(name: str, values: dict[str, str]) -> None:
    full = validate_merged(_raw(name, values), _stored(values["patient_id"], FILE_ORDER), today=TODAY)
    part = validate_merged(_raw(name, values), _stored(values["patient_id"], rule_tables(name)), today=TODAY)
    assert full[1] == part[1] and full[2] == part[2]
    if not full[2]:
        pd.testing.assert_frame_equal(full[0][name], part[0][name])


def _boundaries(patient_id: str, name: str) -> list[str]:
    """The dates where the rules change their answer for this patient's rows of ``name``: onset, events
    (ALS-002 died on 2023-08-01), a day either side, the stored dates of ``name`` (duplicates), two others."""
    own = {n: TABLES_OF[n][TABLES_OF[n]["patient_id"] == patient_id] for n in FILE_ORDER}
    edges = pd.concat([own["patients"]["onset_date"], own["events"]["date"]])
    days = {str((d + pd.Timedelta(days=k)).date()) for d in edges for k in (-1, 0, 1)}
    days |= {str(d.date()) for d in own[name]["date"]}
    return sorted(days | {"2019-06-01", "2024-06-01"})


DATES = st.sampled_from(sorted({d for p in PATIENTS for n in RULE_TABLES for d in _boundaries(p, n)}))
ITEM = st.sampled_from(["0", "1", "2", "3", "4", "", "5", "x"])


def test_visit_on_every_boundary_date_same_answer_as_whole_record():
    items = {c: "2" for c in TABLES["alsfrs"] if c.startswith("q") and c != "q5b"}
    for patient in PATIENTS:
        for date in _boundaries(patient, "alsfrs"):
            _same_answer("alsfrs", {"patient_id": patient, "date": date, **items})
        for date in _boundaries(patient, "measurements"):
            m = {"measure": "fvc_pct_pred", "value": "80", "unit": "%"}
            _same_answer("measurements", {"patient_id": patient, "date": date, **m})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    patient=st.sampled_from(PATIENTS),
    date=DATES,
    items=st.lists(ITEM, min_size=13, max_size=13),
)
def test_visit_same_answer_as_whole_record(patient, date, items):
    cols = [c for c in TABLES["alsfrs"] if c not in ("patient_id", "date")][:13]
    _same_answer("alsfrs", {"patient_id": patient, "date": date, **dict(zip(cols, items, strict=False))})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    patient=st.sampled_from(PATIENTS),
    date=DATES,
    measure=st.sampled_from(["fvc_pct_pred", "grip_kg", "hhd_kg", "nfl", "munix", "vo2max"]),
    value=st.sampled_from(["88", "180", "-1", "x", ""]),
    unit=st.sampled_from(["%", "kg", "pg/mL", "", "L"]),
    side=st.sampled_from(["", "left", "right"]),
    muscle=st.sampled_from(["", "biceps"]),
    specimen=st.sampled_from(["", "serum", "csf"]),
)
def test_measurement_same_answer_as_whole_record(patient, date, measure, value, unit, side, muscle, specimen):
    values = {"patient_id": patient, "date": date, "measure": measure, "value": value, "unit": unit}
    _same_answer("measurements", values | {"side": side, "muscle": muscle, "specimen": specimen})


@pytest.mark.parametrize("name", FILE_ORDER)
def test_other_tables_are_checked_against_every_table(name):
    assert rule_tables(name) == (RULE_TABLES[name] if name in RULE_TABLES else tuple(FILE_ORDER))
    assert "patients" in rule_tables(name) and name in rule_tables(name)

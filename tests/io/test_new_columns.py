"""Optional columns of data format 1 (site, lot, viability_pct, passage, assessor) and the extension columns
(treatments.decision_date, alsfrs.visit_type, alsfrs.eligible; docs/data-rules.md): validated, stored,
round-tripped."""

from __future__ import annotations

import pandas as pd
import pytest

from alscell.io.errors import ValidationError
from alscell.io.reader import read_folder
from alscell.io.writer import write_folder
from alscell.store.engine import open_database
from alscell.store.frames import load_tables
from alscell.store.importer import import_folder
from alscell.store.models import KEYS


def _with_new_columns(example_dir):
    tables = {n: t.copy() for n, t in read_folder(example_dir).items()}
    tables["patients"]["site"] = ["clinic.a", "clinic.a", "clinic-b", None]
    t = tables["treatments"]
    t["lot"] = ["L-2023/01", None, "=lot", "B7"]
    t["viability_pct"] = [92.5, 0.0, 100.0, None]
    t["passage"] = pd.array([3, 0, None, 12], dtype="Int64")
    a = tables["alsfrs"]
    a["assessor"] = [None, "self", "caregiver", "phone"] * 4
    t["decision_date"] = [t["date"].iloc[0] - pd.Timedelta(days=14), pd.NaT, t["date"].iloc[2], pd.NaT]
    a["visit_type"] = ["scheduled", None, "unscheduled", "home", "inpatient", "remote", None, "scheduled"] * 2
    a["eligible"] = pd.array([True, None, False, None] * 4, dtype="boolean")
    return tables


def test_new_columns_round_trip_through_the_registry(db_url, example_dir, tmp_path):
    tables = _with_new_columns(example_dir)
    src = write_folder(tables, tmp_path / "src")
    engine = open_database(db_url)
    import_folder(engine, src)
    with engine.connect() as conn:
        stored = load_tables(conn)
    engine.dispose()
    assert stored["alsfrs"]["assessor"].isna().sum() == 4  # empty stays missing: nothing invented
    assert stored["alsfrs"]["eligible"].isna().sum() == 8  # an unrecorded screening is neither yes nor no
    out = write_folder(stored, tmp_path / "out")
    original, again = read_folder(src), read_folder(out)
    for name in original:
        keys = list(KEYS[name])
        a = original[name].sort_values(keys).reset_index(drop=True)
        b = again[name].sort_values(keys).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)
    lots = again["treatments"].set_index("treatment_id")["lot"]
    assert lots.to_dict() == {"T-001-1": "L-2023/01", "T-001-2": None, "T-002-1": "=lot", "T-004-1": "B7"}


@pytest.mark.parametrize(
    "name, column, value, code",
    [
        ("patients", "site", "clinic a!", "id_format"),
        ("patients", "site", "s" * 65, "id_format"),
        ("treatments", "viability_pct", "101", "viability_range"),
        ("treatments", "viability_pct", "-1", "viability_range"),
        ("treatments", "passage", "-1", "passage_range"),
        ("treatments", "passage", "1.5", "bad_integer"),
        ("alsfrs", "assessor", "nurse", "bad_choice"),
        ("alsfrs", "visit_type", "clinic", "bad_choice"),
        ("alsfrs", "eligible", "yes", "bad_boolean"),
        ("treatments", "decision_date", "2024-02-30", "bad_date"),
    ],
)
def test_new_columns_are_validated(example_dir, tmp_path, name, column, value, code):
    tables = _with_new_columns(example_dir)
    src = write_folder(tables, tmp_path / "src")
    frame = pd.read_csv(src / f"{name}.csv", dtype=str, keep_default_na=False)
    frame.loc[1, column] = value
    frame.to_csv(src / f"{name}.csv", index=False)
    with pytest.raises(ValidationError) as err:
        read_folder(src)
    assert [(p.file, p.line, p.column, p.code) for p in err.value.problems] == [(f"{name}.csv", 3, column, code)]


def test_a_decision_date_after_its_administration_or_before_onset_is_refused(example_dir, tmp_path):
    tables = _with_new_columns(example_dir)
    src = write_folder(tables, tmp_path / "src")
    frame = pd.read_csv(src / "treatments.csv", dtype=str, keep_default_na=False)
    day = pd.Timestamp(frame.loc[1, "date"])
    frame.loc[1, "decision_date"] = (day + pd.Timedelta(days=1)).date().isoformat()
    frame.loc[3, "decision_date"] = "1901-01-01"
    frame.to_csv(src / "treatments.csv", index=False)
    with pytest.raises(ValidationError) as err:
        read_folder(src)
    got = {(p.line, p.column, p.code) for p in err.value.problems}
    assert got == {(5, "decision_date", "decision_before_onset"), (3, "decision_date", "decision_after_treatment")}


def test_migration_0002_upgrades_a_0001_registry(tmp_path, example_dir):
    from alscell.store.engine import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0001")
    engine.dispose()
    engine = open_database(url)
    assert import_folder(engine, example_dir).inserted["patients"] == 4
    engine.dispose()


def test_a_decision_date_is_shifted_with_its_patients_other_dates(example_dir):
    from alscell.io.deidentify import deidentify

    tables = _with_new_columns(example_dir)
    anon = deidentify(tables, seed=3)
    before = tables["treatments"].dropna(subset=["decision_date"])
    after = anon["treatments"].dropna(subset=["decision_date"])
    assert len(after) == len(before) == 2
    # the gap from decision to dose is kept, the calendar dates are not
    assert sorted((after["date"] - after["decision_date"]).dt.days) == sorted(
        (before["date"] - before["decision_date"]).dt.days
    )
    assert not set(after["decision_date"]) & set(before["decision_date"])
    counts = anon["alsfrs"]["visit_type"].value_counts(dropna=False)
    assert counts.to_dict() == tables["alsfrs"]["visit_type"].value_counts(dropna=False).to_dict()  # kept as recorded

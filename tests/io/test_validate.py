"""Each rule of spec/data-format.md rejects the row that breaks it, naming file, line, column and value."""

from __future__ import annotations

import pandas as pd
import pytest

from alscell.io.errors import ValidationError
from alscell.io.reader import read_folder


def _problems(folder):
    with pytest.raises(ValidationError) as err:
        read_folder(folder)
    return err.value.problems


def _append(folder, name, line):
    with (folder / f"{name}.csv").open("a") as fh:
        fh.write(line + "\n")


def test_example_folder_is_valid(example_dir):
    tables = read_folder(example_dir)
    assert len(tables["alsfrs"]) == 16 and "x_site_note" in tables["patients"]


@pytest.mark.parametrize(
    "name, line, column, words",
    [
        ("patients", "bad id!,F,1960,2020-01-01,,limb,,,,,,", "patient_id", "1-64 characters"),
        ("patients", "ALS-001,F,1960,2020-01-01,,limb,,,,,,", "patient_id", "not unique"),
        ("patients", "ALS-010,X,1960,2020-01-01,,limb,,,,,,", "sex", "must be one of"),
        ("patients", "ALS-010,F,1850,2020-01-01,,limb,,,,,,", "birth_year", "between 1900"),
        ("patients", "ALS-010,F,1960,2020-01-01,2019-01-01,limb,,,,,,", "diagnosis_date", "before onset"),
        ("patients", "ALS-010,F,1960,,,limb,,,,,,", "onset_date", "required"),
        ("patients", "ALS-010,F,1960,2020-01-01,,limb,,yes,,,,", "riluzole", "'true' or 'false'"),
        ("treatments", "T-9,ALS-003,2023-02-01,0,bone_marrow,autologous,intrathecal,1e8,,,", "cycle", "1 or more"),
        ("treatments", "T-9,ALS-003,2023-02-01,1,bone_marrow,autologous,intrathecal,-5,,,", "dose_cells", "> 0"),
        (
            "treatments",
            "T-9,ALS-003,2023-02-01,1,bone_marrow,autologous,intramuscular,1e8,,,",
            "target_muscles",
            "required",
        ),
        (
            "treatments",
            "T-9,ALS-003,2023-02-01,1,bone_marrow,autologous,intramuscular,1e8,biceps;toe,,",
            "target_muscles",
            "muscle keys",
        ),
        (
            "treatments",
            "T-9,ALS-003,2023-02-01,1,bone_marrow,autologous,intravenous,1e8,biceps,,",
            "target_muscles",
            "only allowed",
        ),
        (
            "treatments",
            "T-001-1,ALS-003,2023-02-01,1,bone_marrow,autologous,intrathecal,1e8,,,",
            "treatment_id",
            "not unique",
        ),
        ("treatments", "T-9,ALS-003,2023-02-01,1,stem,autologous,intrathecal,1e8,,,", "cell_source", "must be one of"),
        ("alsfrs", "ALS-001,2022-11-02,4,4,4,3,3,,3,4,3,2,4,4,4", "patient_id", "more than one ALSFRS-R row"),
        ("alsfrs", "ALS-003,2023-10-01,4,4,4,3,2.5,,3,3,2,2,4,4,4", "q5a", "whole number"),
        ("measurements", "ALS-003,2023-05-15,fvc_pct_pred,80,L,,,", "unit", "does not match"),
        ("measurements", "ALS-003,2023-05-15,fvc_pct_pred,180,%,,,", "value", "between 0 and 150"),
        ("measurements", "ALS-003,2023-05-15,hhd_kg,10,kg,left,,", "muscle", "required"),
        ("measurements", "ALS-003,2023-05-15,nfl,10,pg/mL,,,", "specimen", "required"),
        ("measurements", "ALS-003,2023-05-15,vo2max,10,ml,,,", "measure", "must be one of"),
        ("measurements", "ALS-001,2022-11-02,fvc_pct_pred,88,%,,,", "patient_id", "duplicate measurement"),
        ("adverse_events", "AE-9,ALS-003,2023-02-01,2023-01-01,headache,1,false,,", "resolved_date", "before onset"),
        ("adverse_events", "AE-9,ALS-003,2023-02-01,,headache,6,false,,", "grade", "1-5"),
        ("adverse_events", "AE-9,ALS-003,2023-02-01,,headache,1,false,T-001-1,", "treatment_id", "another patient"),
        ("adverse_events", "AE-9,ALS-003,2023-02-01,,headache,1,false,T-404,", "treatment_id", "unknown treatment_id"),
        ("adverse_events", "AE-9,ALS-003,2023-02-01,,hiccups,1,false,,", "term", "must be one of"),
        ("events", "ALS-003,2023-06-01,withdrawal", "date", "after the end of follow-up"),
        ("events", "ALS-003,2023-06-01,cured", "event", "must be one of"),
    ],
)
def test_rule_names_the_bad_cell(example_dir, name, line, column, words):
    n_lines = len((example_dir / f"{name}.csv").read_text().splitlines())
    _append(example_dir, name, line)
    problems = _problems(example_dir)
    hits = [p for p in problems if p.column == column and words in p.rule]
    assert hits, [str(p) for p in problems]
    expected_line = n_lines + 1
    if name == "events":  # the visit after the new withdrawal is the bad row for follow-up
        assert column != "date" or hits[0].file == "alsfrs.csv"
    else:
        assert hits[0].file == f"{name}.csv" and hits[0].line == expected_line


def test_header_problems(example_dir):
    lines = (example_dir / "events.csv").read_text().splitlines()
    text = "\n".join([lines[0] + ",notes", *(line + "," for line in lines[1:])]) + "\n"
    (example_dir / "events.csv").write_text(text)
    (example_dir / "alsfrs.csv").write_text("patient_id,q1\nALS-001,4\n")
    problems = _problems(example_dir)
    assert any(p.file == "events.csv" and p.column == "notes" and "x_" in p.rule for p in problems)
    assert any(p.file == "alsfrs.csv" and p.column == "date" and "required column" in p.rule for p in problems)


def test_missing_patients_file_and_non_utf8(tmp_path):
    (tmp_path / "alsfrs.csv").write_bytes(b"patient_id,date\n\xff\xfe,2020-01-01\n")
    problems = _problems(tmp_path)
    assert any(p.file == "patients.csv" and "required" in p.rule for p in problems)
    assert any(p.file == "alsfrs.csv" and "UTF-8" in p.rule for p in problems)


def test_every_bad_row_is_reported_not_just_the_first(example_dir):
    for i in range(30):
        _append(example_dir, "alsfrs", f"ALS-003,2024-{1 + i // 28:02d}-{1 + i % 28:02d},4,4,9,3,2,,3,3,2,2,4,4,4")
    problems = _problems(example_dir)
    assert len([p for p in problems if p.column == "q3"]) == 30


def test_files_other_than_patients_may_be_absent(example_dir, tmp_path):
    """spec/data-format.md: files other than patients.csv may be absent (= no rows)."""
    folder = tmp_path / "only_patients"
    folder.mkdir()
    (folder / "patients.csv").write_text((example_dir / "patients.csv").read_text())
    tables = read_folder(folder)
    assert len(tables["patients"]) > 0
    for name in ("treatments", "alsfrs", "measurements", "adverse_events", "events"):
        assert tables[name].empty, name


@pytest.mark.parametrize("nul", [False, True])
def test_unit_rule_cell_by_cell_with_and_without_a_nul(example_dir, nul):
    """The unit rule is computed per distinct value; a column holding a NUL is not factorised and takes
    the cell-by-cell path: both name exactly the rows whose unit differs from the measure's."""
    from alscell.io.rawcsv import read_raw_folder
    from alscell.io.validate import validate_tables

    raw, problems = read_raw_folder(example_dir)
    assert not problems
    m = raw["measurements"]
    rows = [
        ("ALS-003", "2023-05-15", "fvc_pct_pred", "80", "L", "", "", ""),  # wrong unit
        ("ALS-003", "2023-05-16", "fvc_pct_pred", "80", "%", "", "", ""),  # right
        ("ALS-003", "2023-05-17", "fvc_pct_pred", "80", "%\x00" if nul else "kg", "", "", ""),  # wrong
        ("ALS-003", "2023-05-18", "grip_kg", "20", "%", "left", "", ""),  # wrong
        ("ALS-003", "2023-05-19", "munix", "80", "", "", "biceps", ""),  # unitless measure, empty: right
    ]
    extra = pd.DataFrame(rows, columns=list(m.columns))
    raw["measurements"] = pd.concat([m.reset_index(drop=True), extra], ignore_index=True)
    _typed, found, _total = validate_tables(raw)
    bad = sorted(p.line for p in found if p.file == "measurements.csv" and p.code == "unit_mismatch")
    first = len(m) + 2  # line of the first added row (positions + 2 without a line index)
    assert bad == [first, first + 2, first + 3]

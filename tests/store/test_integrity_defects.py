"""Regression tests for issue 14: the importer never loses, corrupts or invents data (SQLite and PostgreSQL).

Each test names the numbered defect of the issue it pins down.
"""

from __future__ import annotations

import pytest
from integrity_helpers import append, keep_only, lines, replace_line, snapshot

from alscell.io.errors import ValidationError
from alscell.io.reader import read_folder
from alscell.store.engine import open_database
from alscell.store.importer import import_folder


def _rejected(engine, folder) -> list:
    with pytest.raises(ValidationError) as err:
        import_folder(engine, folder)
    return err.value.problems


@pytest.fixture
def registry(db_url, example_dir):
    """The example folder imported into a fresh database: (url, engine, snapshot after the import)."""
    engine = open_database(db_url)
    import_folder(engine, example_dir)
    yield db_url, engine, snapshot(db_url)
    engine.dispose()


# 1. A truncated row is an error, never "missing values".
def test_1_truncated_row_is_rejected_and_stored_visit_kept(registry, example_dir):
    url, engine, before = registry
    row = lines(example_dir, "alsfrs")[12 - 1]  # ALS-003,2023-05-15,4,4,4,3,...
    replace_line(example_dir, "alsfrs", 12, ",".join(row.split(",")[:6]))  # cut after q4
    problems = _rejected(engine, example_dir)
    assert [(p.file, p.line, p.code) for p in problems] == [("alsfrs.csv", 12, "field_count")]
    assert "6 fields but the header has 15" in str(problems[0])
    assert snapshot(url) == before


# 2. NUL bytes are rejected with line and column, never cut.
@pytest.mark.parametrize(
    "line, column, cell",
    [(2, "product", "trea\x00ted"), (2, "treatment_id", "T-001-1\x00x")],
)
def test_2_nul_rejected_with_line_and_column(registry, example_dir, line, column, cell):
    url, engine, before = registry
    header = lines(example_dir, "treatments")[0].split(",")
    row = lines(example_dir, "treatments")[line - 1].split(",")
    row[header.index(column)] = cell
    replace_line(example_dir, "treatments", line, ",".join(row))
    problems = _rejected(engine, example_dir)
    assert [(p.file, p.line, p.column, p.code) for p in problems] == [("treatments.csv", line, column, "nul_character")]
    assert snapshot(url) == before


# 5. Re-imports are checked against the merged state (stored registry + folder).
def test_5_moving_onset_after_stored_visits_is_rejected(registry, example_dir, tmp_path):
    url, engine, before = registry
    keep_only(example_dir, "patients", 4)  # only ALS-003, onset moved after its stored visits
    replace_line(example_dir, "patients", 2, "ALS-003,M,1970,2023-06-10,2023-07-15,limb,possible,false,false,,,")
    for name in ("treatments", "alsfrs", "measurements", "adverse_events", "events"):
        (example_dir / f"{name}.csv").unlink()
    problems = _rejected(engine, example_dir)
    stored = [p for p in problems if p.stored is not None]
    assert {p.code for p in stored} == {"visit_before_onset"}
    assert any(p.file == "alsfrs.csv" and p.stored == "ALS-003 2023-01-15" for p in stored)
    assert "already in the registry" in str(stored[0])
    assert snapshot(url) == before


def test_5_moving_a_treatment_away_from_its_adverse_event_is_rejected(registry, example_dir):
    url, engine, before = registry
    keep_only(example_dir, "treatments", 2)  # T-001-1 now given to ALS-003; AE-1 (ALS-001) still points at it
    replace_line(
        example_dir, "treatments", 2, "T-001-1,ALS-003,2023-02-01,1,bone_marrow,autologous,intrathecal,1.0e8,,MSC-NTF,"
    )
    for name in ("alsfrs", "measurements", "adverse_events", "events"):
        (example_dir / f"{name}.csv").unlink()
    problems = _rejected(engine, example_dir)
    assert any(p.stored == "AE-1" and p.code == "treatment_of_another_patient" for p in problems)
    assert snapshot(url) == before


def test_5_same_verdict_as_a_fresh_import(registry, example_dir, tmp_path):
    """What the merged check rejects, an import of the merged folder into an empty database rejects too."""
    url, engine, before = registry
    append(example_dir, "events", "ALS-003,2023-06-01,death")  # ALS-003 has a stored visit on 2023-09-15
    problems = _rejected(engine, example_dir)
    assert {p.code for p in problems} == {"visit_after_end_of_follow_up"}
    with pytest.raises(ValidationError) as fresh:
        read_folder(example_dir)
    assert {p.code for p in fresh.value.problems} == {"visit_after_end_of_follow_up"}
    assert snapshot(url) == before


# 6. Impossible data: each an error with its rule name.
IMPOSSIBLE = [
    ("patients", "ALS-010,F,1960,2090-01-01,,limb,,,,,,", "onset_date", "date_in_future"),
    ("patients", "ALS-010,F,1960,2020-01-01,2099-01-01,limb,,,,,,", "diagnosis_date", "date_in_future"),
    ("patients", "ALS-010,F,1990,1985-01-01,,limb,,,,,,", "birth_year", "birth_after_onset"),
    ("patients", "ALS-010,F,,1700-01-01,,limb,,,,,,", "onset_date", "date_before_1900"),
    ("events", "ALS-002,2099-01-01,tracheostomy", "date", "date_in_future"),
    ("events", "ALS-002,2023-09-01,tracheostomy", "date", "event_after_death"),
    ("events", "ALS-002,2023-09-02,death", "event", "two_deaths"),
    (
        "treatments",
        "T-9,ALS-002,2023-09-01,2,bone_marrow,autologous,intrathecal,1e8,,,",
        "date",
        "treatment_after_death",
    ),
    ("treatments", "T-9,ALS-001,2023-06-01,1,bone_marrow,autologous,intrathecal,1e8,,,", "cycle", "duplicate_cycle"),
    (
        "treatments",
        "T" * 200 + ",ALS-003,2023-02-01,1,bone_marrow,autologous,intrathecal,1e8,,,",
        "treatment_id",
        "too_long",
    ),
    ("adverse_events", "AE-9,ALS-002,2023-09-01,,fever,1,false,,", "onset_date", "adverse_event_after_death"),
    (
        "adverse_events",
        "AE-9,ALS-001,2023-01-01,,headache,1,false,T-001-1,",
        "onset_date",
        "adverse_event_before_treatment",
    ),
    (
        "adverse_events",
        "AE-9,ALS-002,2023-07-01,2023-09-01,fever,1,false,,",
        "resolved_date",
        "adverse_event_after_death",
    ),
]


@pytest.mark.parametrize("name, row, column, code", IMPOSSIBLE)
def test_6_impossible_data_rejected_fresh(example_dir, name, row, column, code):
    append(example_dir, name, row)
    with pytest.raises(ValidationError) as err:
        read_folder(example_dir)
    n = len(lines(example_dir, name))
    hits = [p for p in err.value.problems if p.code == code]
    assert [(p.file, p.line, p.column) for p in hits] == [(f"{name}.csv", n, column)], [
        str(p) for p in err.value.problems
    ]
    assert f"(rule {code})" in str(hits[0])


@pytest.mark.parametrize("name, row, column, code", IMPOSSIBLE)
def test_6_and_7_impossible_data_rejected_on_reimport(registry, example_dir, name, row, column, code):
    """Also the 200-character id (7): one length rule, a sentence with file and line on SQLite and PostgreSQL."""
    url, engine, before = registry
    for other in ("patients", "treatments", "alsfrs", "measurements", "adverse_events", "events"):
        if other not in (name, "patients"):
            (example_dir / f"{other}.csv").unlink()
    append(example_dir, name, row)
    problems = _rejected(engine, example_dir)
    n = len(lines(example_dir, name))
    assert any(p.code == code and p.line == n and p.column == column for p in problems), [str(p) for p in problems]
    assert snapshot(url) == before


# 7. Smaller defects of the importer itself.
def test_7_extra_field_on_first_row_is_one_problem(registry, example_dir):
    url, engine, before = registry
    replace_line(example_dir, "alsfrs", 2, lines(example_dir, "alsfrs")[1] + ",4")
    problems = _rejected(engine, example_dir)
    assert [(p.file, p.line, p.code) for p in problems] == [("alsfrs.csv", 2, "field_count")]
    assert snapshot(url) == before


def test_7_line_numbers_are_physical_lines(registry, example_dir):
    url, engine, before = registry
    rows = lines(example_dir, "patients")
    rows[1] = rows[1].replace('"referred by neurologist, ""fast"" course"', '"two\nline note"')
    (example_dir / "patients.csv").write_text("\n".join(rows) + "\n")
    append(example_dir, "patients", "ALS-010,X,1960,2020-01-01,,limb,,,,,,")  # physical line 7, record 6
    problems = _rejected(engine, example_dir)
    assert [(p.line, p.column) for p in problems] == [(7, "sex")]
    assert snapshot(url) == before


def test_7_dangling_symlink_is_an_error(registry, example_dir, tmp_path):
    url, engine, before = registry
    (example_dir / "alsfrs.csv").unlink()
    (example_dir / "alsfrs.csv").symlink_to(tmp_path / "gone.csv")
    problems = _rejected(engine, example_dir)
    assert [(p.file, p.code) for p in problems] == [("alsfrs.csv", "dangling_link")]
    assert snapshot(url) == before

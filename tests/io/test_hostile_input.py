"""Hostile canonical folders (issue 15): the importer never raises anything but a ValidationError, never
stores part of a folder, and every problem names its file and where in it.  Hypothesis combines hostile
edits of a valid folder: wrong types, encodings, BOMs, NULs, formula-injection strings, missing and
duplicated columns and ids, truncated and extra fields, huge fields; one test feeds 200,000 rows whose last
one is bad."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from alscell.io.errors import ValidationError
from alscell.io.reader import read_folder
from alscell.store.engine import make_engine, open_database
from alscell.store.importer import import_folder
from alscell.store.models import AUDIT_TABLE, SQL_TABLES

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "small"
FILES = ("patients", "treatments", "alsfrs", "measurements", "adverse_events", "events")
HOSTILE = [
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    '=HYPERLINK("http://evil","x")',
    "\x00",
    "a\x00b",
    "\ufeffALS-001",
    "\u202eALS-001",
    "nan",
    "NULL",
    "None",
    "1e309",
    "-0",
    "9" * 40,
    "0x10",
    "2023-02-30",
    "2023-13-01",
    "23/01/2023",
    "true ",
    " ",
    "\t",
    '"',
    "'",
    "ALS-001\nALS-002",
    "💥",
    "\ud7ff",
    "x" * 5000,
]


def _cells(line: str) -> list[str]:
    return line.split(",")


@st.composite
def edits(draw):
    """One hostile edit of a folder: (kind, file, row, column index, value)."""
    kind = draw(
        st.sampled_from(
            [
                "cell",
                "cell",
                "cell",
                "drop_column",
                "duplicate_column",
                "duplicate_row",
                "drop_patient",
                "bom",
                "latin1",
                "utf16",
                "truncate",
                "extra_field",
                "empty_file",
                "garbage",
                "header_only",
                "blank_lines",
                "crlf",
            ]
        )
    )
    name = draw(st.sampled_from(FILES))
    row = draw(st.integers(1, 4))
    column = draw(st.integers(0, 14))
    value = draw(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12)))
    return kind, name, row, column, value


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n\r') else value


def apply_edit(folder: Path, edit) -> None:
    kind, name, row, column, value = edit
    path = folder / f"{name}.csv"
    text = path.read_bytes().decode("utf-8", "surrogateescape")  # an earlier edit may have broken the encoding
    lines = text.splitlines()
    if not lines and kind in ("drop_column", "duplicate_column"):
        return  # an earlier edit emptied the file: no column left to edit
    row = min(row, len(lines) - 1) if len(lines) > 1 else 0
    if kind == "cell" and row:
        cells = _cells(lines[row])
        cells[column % len(cells)] = _quote(value)
        lines[row] = ",".join(cells)
    elif kind == "drop_column" and _cells(lines[0]):
        drop = column % len(_cells(lines[0]))
        lines = [",".join(c for i, c in enumerate(_cells(line)) if i != drop) for line in lines]
    elif kind == "duplicate_column" and _cells(lines[0]):
        dup = column % len(_cells(lines[0]))
        # a row an earlier edit left shorter than the header gets an empty copy (it stays ragged)
        lines = [line + "," + (_cells(line) + [""] * (dup + 1))[dup] for line in lines]
    elif kind == "duplicate_row" and row:
        lines.append(lines[row])
    elif kind == "drop_patient":
        p = (folder / "patients.csv").read_bytes().decode("utf-8", "surrogateescape").splitlines()
        (folder / "patients.csv").write_bytes(
            ("\n".join(p[:row] + p[row + 1 :]) + "\n").encode("utf-8", "surrogateescape")
        )
    elif kind == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8", "surrogateescape"))
        return
    elif kind == "latin1":
        path.write_bytes(text.replace("ALS-001", "ALS-\xe9\xe0").encode("latin-1", "replace"))
        return
    elif kind == "utf16":
        path.write_bytes(text.encode("utf-16", "replace"))
        return
    elif kind == "truncate":
        data = text.encode("utf-8", "surrogateescape")
        path.write_bytes(data[: max(1, len(data) * row // 5 - 3)])
        return
    elif kind == "extra_field" and row:
        lines[row] += "," + _quote(value)
    elif kind == "empty_file":
        path.write_bytes(b"")
        return
    elif kind == "garbage":
        path.write_bytes(bytes(range(256)) * 4)
        return
    elif kind == "header_only":
        lines = lines[:1]
    elif kind == "blank_lines":
        lines.insert(row, "")
        lines.insert(row, ",,,")
    elif kind == "crlf":
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8", "surrogateescape"))
        return
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogateescape"))


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A migrated, empty SQLite registry, copied for each example (migrations are the slow part)."""
    path = tmp_path_factory.mktemp("template") / "empty.db"
    open_database(f"sqlite:///{path}").dispose()
    return path


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            counts = {n: conn.execute(select(func.count()).select_from(t)).scalar_one() for n, t in SQL_TABLES.items()}
            counts["audit_log"] = conn.execute(select(func.count()).select_from(AUDIT_TABLE)).scalar_one()
            return counts
    finally:
        engine.dispose()


def check_all_or_nothing(folder: Path, db: Path) -> list[str]:
    """Import ``folder`` into the empty registry ``db``; the outcome must be complete or nothing, with every
    problem named.  Returns the problems (empty when the folder was accepted)."""
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    try:
        import_folder(engine, folder)
    except ValidationError as exc:
        messages = exc.messages()
        assert messages and exc.total >= 1
        for p in exc.problems:
            assert p.file and p.rule and (p.file.endswith(".csv") or "/" not in p.file), p
            assert p.file.removesuffix(".csv") in str(p) or p.file in str(p)
            assert "Traceback" not in str(p) and "Error" not in p.rule.split(" ")[0], p
        assert all(n == 0 for n in _counts(url).values()), "a rejected folder left rows behind"
        return messages
    finally:
        engine.dispose()
    stored = _counts(url)
    expected = {n: len(t) for n, t in read_folder(folder).items()}
    assert {n: stored[n] for n in expected} == expected, "an accepted folder was not stored whole"
    return []


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(edits(), min_size=1, max_size=3))
def test_hostile_folders_are_rejected_whole_or_imported_whole(template, tmp_path_factory, edit_list):
    work = tmp_path_factory.mktemp("hostile")
    folder = work / "folder"
    shutil.copytree(EXAMPLE, folder)
    for edit in edit_list:
        apply_edit(folder, edit)
    db = work / "r.db"
    shutil.copyfile(template, db)
    check_all_or_nothing(folder, db)


def test_formula_strings_in_free_text_are_kept_as_text_and_exported_neutralised(template, tmp_path):
    """A formula in a free-text column is data, stored as typed; every export quotes it (test_csv_safety)."""
    folder = tmp_path / "f"
    shutil.copytree(EXAMPLE, folder)
    lines = (folder / "patients.csv").read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0] + "," + _quote("=cmd|' /C calc'!A0")  # ALS-002's x_site_note
    (folder / "patients.csv").write_text("\n".join(lines) + "\n")
    db = tmp_path / "r.db"
    shutil.copyfile(template, db)
    assert check_all_or_nothing(folder, db) == []
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "alscell", "export", str(out), "--db", f"sqlite:///{db}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    written = (out / "patients.csv").read_text()
    assert "'=cmd|' /C calc'!A0" in written and ",=cmd" not in written and '"=cmd' not in written


def test_a_one_megabyte_field_is_named_not_crashed_on(template, tmp_path):
    folder = tmp_path / "f"
    shutil.copytree(EXAMPLE, folder)
    lines = (folder / "patients.csv").read_text().splitlines()
    cells = lines[2].split(",")
    cells[0] = "A" * 1_000_000  # patient_id far beyond its maximum length
    lines[2] = ",".join(cells)
    (folder / "patients.csv").write_text("\n".join(lines) + "\n")
    db = tmp_path / "r.db"
    shutil.copyfile(template, db)
    problems = check_all_or_nothing(folder, db)
    assert problems and any("patients.csv" in p and "line 3" in p for p in problems), problems
    assert all(len(p) < 2000 for p in problems)  # the value is shortened in the message, not echoed whole


def test_200000_rows_with_the_last_one_bad(template, tmp_path):
    folder = tmp_path / "big"
    folder.mkdir()
    n_patients, per = 20_000, 10
    patients = ["patient_id,sex,birth_year,onset_date,diagnosis_date,onset_site"]
    patients += [f"P{i:06d},{'FM'[i % 2]},1960,2020-01-01,2020-06-01,limb" for i in range(n_patients)]
    (folder / "patients.csv").write_text("\n".join(patients) + "\n")
    visits = ["patient_id,date,q1,q2,q3,q4,q5a,q5b,q6,q7,q8,q9,q10,q11,q12"]
    for k in range(per):
        day = f"2021-{k + 1:02d}-15"
        visits += [f"P{i:06d},{day},4,4,4,3,3,,3,3,3,3,4,4,4" for i in range(n_patients)]
    visits[-1] = visits[-1].replace(",4,4,4,3,3,", ",4,4,9,3,3,", 1)  # q3 = 9 on the last line
    (folder / "alsfrs.csv").write_text("\n".join(visits) + "\n")
    assert len(visits) == 200_001
    db = tmp_path / "r.db"
    shutil.copyfile(template, db)
    problems = check_all_or_nothing(folder, db)
    assert len(problems) == 1 and "alsfrs.csv line 200001, column q3" in problems[0], problems


@pytest.mark.parametrize(
    "edit",
    [
        ("garbage", "patients", 1, 0, ""),
        ("cell", "alsfrs", 2, 3, "a\x00b"),
        ("cell", "treatments", 1, 7, "=cmd|' /C calc'!A0"),
    ],
)
def test_the_command_line_shows_no_traceback(edit, tmp_path):
    folder = tmp_path / "f"
    shutil.copytree(EXAMPLE, folder)
    apply_edit(folder, edit)
    result = subprocess.run(
        [sys.executable, "-m", "alscell", "import", str(folder), "--db", f"sqlite:///{tmp_path / 'r.db'}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr
    assert all(line.startswith("error: ") for line in result.stderr.strip().splitlines()), result.stderr

"""`alscell import / export / derive` through the real console script (exit codes, messages, effects)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd

from alscell.store.engine import open_database
from alscell.store.frames import load_tables


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "alscell", *args], capture_output=True, text=True, cwd=cwd)


def _dump(url):
    engine = open_database(url)
    with engine.connect() as conn:
        tables = load_tables(conn)
    engine.dispose()
    return tables


def test_five_kinds_of_bad_rows_rejected_with_all_named(db_url, example_dir):
    assert run("import", str(example_dir), "--db", db_url).returncode == 0
    before = _dump(db_url)
    with (example_dir / "alsfrs.csv").open("a") as fh:
        fh.write("ALS-404,2023-03-01,4,4,4,4,4,,4,4,4,4,4,4,4\n")  # line 18: unknown patient
        fh.write("ALS-003,2023-10-15,4,4,7,3,2,,3,3,2,2,4,4,4\n")  # line 19: item value 7
        fh.write("ALS-003,2023-11-15,4,4,4,3,2,2,3,3,2,2,4,4,4\n")  # line 20: both q5a and q5b
        fh.write("ALS-003,2021-01-01,4,4,4,4,4,,4,4,4,4,4,4,4\n")  # line 21: before onset
        fh.write("ALS-002,2023-09-01,1,1,1,4,,2,3,3,3,2,2,3,3\n")  # line 22: after death
    result = run("import", str(example_dir), "--db", db_url)
    assert result.returncode == 2, result.stderr
    err = result.stderr
    assert "Traceback" not in err
    assert "alsfrs.csv line 18, column patient_id: value 'ALS-404': unknown patient" in err
    assert "alsfrs.csv line 19, column q3: value '7'" in err
    assert "alsfrs.csv line 20, column q5b" in err and "only one of q5a" in err
    assert "alsfrs.csv line 21, column date: value '2021-01-01'" in err and "before the patient's onset_date" in err
    assert "alsfrs.csv line 22, column date: value '2023-09-01': visit after the end of follow-up" in err
    assert "nothing was imported" in err
    after = _dump(db_url)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])


def test_derive_matches_hand_worked_rows(example_dir, tmp_path):
    out = tmp_path / "derived.csv"
    result = run("derive", "--data", str(example_dir), "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == [
        "patient_id",
        "date",
        "total",
        "bulbar",
        "fine_motor",
        "gross_motor",
        "respiratory",
        "kings_stage",
        "mitos_stage",
        "delta_frs",
        "months_since_onset",
    ]
    by = {(r["patient_id"], r["date"]): r for r in rows}
    # ALS-001 first visit: items 4,4,4 | 3,3,3 | 4,3,2 | 4,4,4 -> 42; onset 2022-03-15 -> 232 days.
    r = by[("ALS-001", "2022-11-02")]
    assert (r["total"], r["bulbar"], r["fine_motor"], r["gross_motor"], r["respiratory"]) == (
        "42",
        "12",
        "9",
        "9",
        "12",
    )
    assert r["kings_stage"] == "2" and r["mitos_stage"] == "0"  # upper + lower limb; no domain lost
    assert abs(float(r["months_since_onset"]) - 232 / 30.4375) < 1e-4
    assert abs(float(r["delta_frs"]) - 6 / (232 / 30.4375)) < 1e-4
    # ALS-002 with gastrostomy (q5b) and q12 = 3 -> NIV: 4B outranks 4A; q3 = 1 -> swallowing lost.
    r = by[("ALS-002", "2023-01-10")]
    assert r["kings_stage"] == "4B" and r["mitos_stage"] == "1"
    # Partial row (q4 missing): total and fine motor empty, other subscores kept.
    r = by[("ALS-004", "2023-02-27")]
    assert r["total"] == "" and r["fine_motor"] == "" and r["gross_motor"] == "7" and r["delta_frs"] == ""


def test_derive_from_database_equals_from_folder(db_url, example_dir, tmp_path):
    assert run("import", str(example_dir), "--db", db_url).returncode == 0
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run("derive", "--data", str(example_dir), "--out", str(a)).returncode == 0
    assert run("derive", "--db", db_url, "--out", str(b)).returncode == 0
    assert a.read_text() == b.read_text()


def test_export_import_round_trip_via_cli(example_dir, tmp_path):
    db1, db2 = f"sqlite:///{tmp_path / 'one.db'}", f"sqlite:///{tmp_path / 'two.db'}"
    assert run("import", str(example_dir), "--db", db1).returncode == 0
    assert run("export", str(tmp_path / "out"), "--db", db1).returncode == 0
    assert run("import", str(tmp_path / "out"), "--db", db2).returncode == 0
    assert run("export", str(tmp_path / "out2"), "--db", db2).returncode == 0
    for f in sorted((tmp_path / "out").iterdir()):
        assert f.read_text() == (tmp_path / "out2" / f.name).read_text(), f.name


def test_bad_usage_is_exit_2_with_one_sentence(tmp_path):
    result = run("derive", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "x.csv"))
    assert result.returncode == 2 and "is not a folder" in result.stderr and "Traceback" not in result.stderr
    result = run("export", str(tmp_path / "o"), "--db", f"sqlite:///{tmp_path / 'empty.db'}")
    assert result.returncode == 2 and "no alscell registry" in result.stderr


def test_default_database_in_working_directory(example_dir, tmp_path):
    assert run("import", str(example_dir), cwd=tmp_path).returncode == 0
    assert (tmp_path / "alscell.db").exists()


def test_export_deidentified(example_dir, tmp_path):
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert run("import", str(example_dir), "--db", db).returncode == 0
    result = run("export", str(tmp_path / "anon"), "--db", db, "--deidentify")
    assert result.returncode == 0, result.stderr
    assert "ALS-001" not in (tmp_path / "anon" / "patients.csv").read_text()
    assert run("import", str(tmp_path / "anon"), "--db", f"sqlite:///{tmp_path / 'r2.db'}").returncode == 0
    result = run("export", str(tmp_path / "x"), "--db", db, "--format", "xml")
    assert result.returncode == 2 and "not supported yet" in result.stderr


def test_unreadable_database_is_one_sentence(tmp_path):
    bad = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}"
    for args in (("import", str(tmp_path), "--db", bad), ("derive", "--db", bad, "--out", str(tmp_path / "x.csv"))):
        result = run(*args)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "cannot" in lines[0] and "database" in lines[0], (args, result.stderr)


def test_read_only_commands_do_not_create_a_database(tmp_path):
    """Issue 14 (7): a missing SQLite file is "no registry here" (exit 2, one sentence), never created."""
    for args in (
        ("effect",),
        ("report", "--out", str(tmp_path / "r.html")),
        ("export", str(tmp_path / "out")),
        ("derive", "--out", str(tmp_path / "d.csv")),
        ("forecast", "--patient", "ALS-001"),
    ):
        result = run(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "no alscell registry" in lines[0], (args, result.stderr)
        assert not (tmp_path / "alscell.db").exists(), args


def test_import_error_messages_never_name_exception_classes(example_dir, tmp_path):
    import re

    (example_dir / "alsfrs.csv").write_bytes(b"patient_id,date,q1\nALS-001,2023-01-01,4\x00\n")
    result = run("import", str(example_dir), "--db", f"sqlite:///{tmp_path / 'r.db'}")
    assert result.returncode == 2
    assert "NUL" in result.stderr and "line 2, column q1" in result.stderr
    assert not re.search(r"\b[A-Z][A-Za-z]*(Error|Exception)\b|Traceback", result.stderr), result.stderr

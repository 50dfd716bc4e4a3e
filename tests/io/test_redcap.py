"""REDCap: 18-column dictionary of alscell's instruments, records export, and an exact round trip."""

from __future__ import annotations

import pandas as pd
import pytest

from alscell.io.reader import read_folder
from alscell.io.redcap import (
    DICTIONARY_COLUMNS,
    RECORDS_FILE,
    data_dictionary,
    records_to_folder,
    records_to_tables,
    to_records,
    write_redcap,
)
from alscell.store.engine import open_database
from alscell.store.frames import load_tables
from alscell.store.importer import import_folder


def _without_x(tables):
    return {n: t[[c for c in t.columns if not c.startswith("x_")]].reset_index(drop=True) for n, t in tables.items()}


def test_dictionary_has_the_standard_columns():
    d = data_dictionary()
    assert tuple(d.columns) == DICTIONARY_COLUMNS and len(DICTIONARY_COLUMNS) == 18
    assert d.iloc[0]["Variable / Field Name"] == "record_id"
    assert d["Variable / Field Name"].is_unique
    assert set(d["Form Name"]) == {
        "demographics",
        "administration",
        "alsfrs_r",
        "measurement",
        "adverse_event",
        "event",
    }
    sex = d[d["Variable / Field Name"] == "dem_sex"].iloc[0]
    assert sex["Field Type"] == "dropdown" and sex["Choices, Calculations, OR Slider Labels"] == "1, F | 2, M | 3, U"
    onset = d[d["Variable / Field Name"] == "dem_onset_date"].iloc[0]
    assert onset["Text Validation Type OR Show Slider Number"] == "date_ymd" and onset["Required Field?"] == "y"
    grade = d[d["Variable / Field Name"] == "ae_grade"].iloc[0]
    assert (grade["Text Validation Min"], grade["Text Validation Max"]) == ("1", "5")
    assert d[d["Variable / Field Name"] == "adm_target_muscles"].iloc[0]["Field Type"] == "checkbox"


def test_canonical_to_redcap_to_canonical_is_exact(example_dir, tmp_path):
    tables = read_folder(example_dir)
    out = write_redcap(tables, tmp_path / "redcap")
    records = pd.read_csv(out / RECORDS_FILE, dtype=str, keep_default_na=False)
    assert {"record_id", "redcap_repeat_instrument", "redcap_repeat_instance"} <= set(records.columns)
    assert "adm_target_muscles___2" in records.columns  # checkbox columns field___code
    again = read_folder(records_to_folder(out / RECORDS_FILE, tmp_path / "canonical"))
    for name, frame in _without_x(tables).items():
        pd.testing.assert_frame_equal(again[name].reset_index(drop=True), frame, check_like=True)


def test_redcap_records_import_into_the_registry(example_dir, tmp_path):
    tables = read_folder(example_dir)
    out = write_redcap(tables, tmp_path / "redcap")
    folder = records_to_folder(out / RECORDS_FILE, tmp_path / "canonical")
    engine = open_database(f"sqlite:///{tmp_path / 'r.db'}")
    import_folder(engine, folder)
    with engine.connect() as conn:
        stored = load_tables(conn)
    engine.dispose()
    assert len(stored["patients"]) == len(tables["patients"])
    assert len(stored["alsfrs"]) == len(tables["alsfrs"]) and len(stored["treatments"]) == len(tables["treatments"])


def test_labels_are_accepted_and_bad_codes_named(example_dir):
    records = to_records(read_folder(example_dir))
    records.loc[records["dem_sex"] == "1", "dem_sex"] = "F"  # a label export
    assert set(records_to_tables(records)["patients"]["sex"]) <= {"F", "M", "U"}
    bad = records.copy()
    row = bad.index[bad["redcap_repeat_instrument"] == "adverse_event"][0]
    bad.loc[row, "ae_term"] = "99"
    with pytest.raises(ValueError, match=r"record .*instrument adverse_event, instance 1: ae_term"):
        records_to_tables(bad)


def test_cli_export_redcap(example_dir, tmp_path):
    import subprocess
    import sys

    db = f"sqlite:///{tmp_path / 'r.db'}"
    run = [sys.executable, "-m", "alscell"]
    assert subprocess.run([*run, "import", str(example_dir), "--db", db], capture_output=True).returncode == 0
    result = subprocess.run(
        [*run, "export", str(tmp_path / "rc"), "--db", db, "--format", "redcap"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    again = read_folder(records_to_folder(tmp_path / "rc" / RECORDS_FILE, tmp_path / "canonical"))
    assert len(again["alsfrs"]) == 16


def test_cli_import_redcap_round_trip_and_bad_code(example_dir, tmp_path):
    """`alscell import DIR --format redcap`: export → import into a new registry gives the same rows;
    a bad code is one sentence naming record, instrument and instance, and nothing is stored."""
    import subprocess
    import sys

    run = [sys.executable, "-m", "alscell"]
    src, dst = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    assert subprocess.run([*run, "import", str(example_dir), "--db", src], capture_output=True).returncode == 0
    assert subprocess.run([*run, "export", str(tmp_path / "rc"), "--db", src, "--format", "redcap"]).returncode == 0
    r = subprocess.run(
        [*run, "import", str(tmp_path / "rc"), "--db", dst, "--format", "redcap"], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    engines = [open_database(u) for u in (src, dst)]
    with engines[0].connect() as ca, engines[1].connect() as cb:
        a, b = load_tables(ca), load_tables(cb)
    for name in ("patients", "treatments", "alsfrs", "measurements", "adverse_events", "events"):
        cols = [c for c in a[name].columns if not c.startswith("x_")]
        pd.testing.assert_frame_equal(a[name][cols].reset_index(drop=True), b[name][cols].reset_index(drop=True))
    for e in engines:
        e.dispose()
    rec = pd.read_csv(tmp_path / "rc" / RECORDS_FILE, dtype=str, keep_default_na=False)
    rec.loc[rec.index[rec["redcap_repeat_instrument"] == "adverse_event"][0], "ae_term"] = "99"
    rec.to_csv(tmp_path / "bad.csv", index=False)
    empty = f"sqlite:///{tmp_path / 'c.db'}"
    r = subprocess.run(
        [*run, "import", str(tmp_path / "bad.csv"), "--db", empty, "--format", "redcap"], capture_output=True, text=True
    )
    assert r.returncode == 2 and "instrument adverse_event, instance 1" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "c.db").exists()

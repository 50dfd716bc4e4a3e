"""Property (issue 14): for a random valid folder F and a random edit E that makes it invalid,
import(F) then import(F+E) leaves the database exactly as it was after import(F) — audit trail included."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from integrity_helpers import lines, snapshot, write_lines
from test_round_trip_property import registries

from alscell.io.errors import ValidationError
from alscell.io.writer import write_folder
from alscell.store.engine import open_database
from alscell.store.importer import import_folder


def _edit_cell(folder: Path, name: str, row: int, column: str, value: str) -> bool:
    rows = lines(folder, name)
    header = rows[0].split(",")
    if column not in header or len(rows) <= row or '"' in rows[row]:
        return False
    cells = rows[row].split(",")
    cells[header.index(column)] = value
    rows[row] = ",".join(cells)
    write_lines(folder, name, rows)
    return True


EDITS = {
    # name: (file, how) — each makes any valid folder invalid, or reports that it does not apply
    "truncate_row": lambda f, r: _truncate(f, "alsfrs", r),
    "extra_field": lambda f, r: _extra(f, "patients", r),
    "nul_in_id": lambda f, r: _edit_cell(f, "patients", r, "patient_id", "P\x00X"),
    "item_out_of_range": lambda f, r: _edit_cell(f, "alsfrs", r, "q1", "7"),
    "future_onset": lambda f, r: _edit_cell(f, "patients", r, "onset_date", "2090-01-01"),
    "onset_1700": lambda f, r: _edit_cell(f, "patients", r, "onset_date", "1700-01-01"),
    "unknown_patient": lambda f, r: _edit_cell(f, "alsfrs", r, "patient_id", "NOBODY-404"),
    "bad_sex": lambda f, r: _edit_cell(f, "patients", r, "sex", "X"),
    "visit_before_1900": lambda f, r: _edit_cell(f, "alsfrs", r, "date", "1899-12-31"),
    "duplicate_patient": lambda f, r: _duplicate(f, "patients", r),
    "unknown_measure": lambda f, r: _edit_cell(f, "measurements", r, "measure", "vo2max"),
    "onset_after_stored_visits": lambda f, r: _onset_after_stored_visits(f, r),
}


def _onset_after_stored_visits(folder, row):
    """Move a patient's onset after all of their visits and leave the visits to the registry only."""
    rows = lines(folder, "patients")
    if len(rows) <= row or '"' in rows[row]:
        return False
    pid = rows[row].split(",")[0]
    if not any(v.split(",")[0] == pid for v in lines(folder, "alsfrs")[1:]):
        return False
    for name in ("alsfrs", "measurements"):
        (folder / f"{name}.csv").unlink()
    return _edit_cell(folder, "patients", row, "onset_date", "2024-06-01")


def _truncate(folder, name, row):
    rows = lines(folder, name)
    if len(rows) <= row:
        return False
    rows[row] = ",".join(rows[row].split(",")[:3])
    write_lines(folder, name, rows)
    return True


def _extra(folder, name, row):
    rows = lines(folder, name)
    if len(rows) <= row:
        return False
    rows[row] += ",extra"
    write_lines(folder, name, rows)
    return True


def _duplicate(folder, name, row):
    rows = lines(folder, name)
    if len(rows) <= row:
        return False
    write_lines(folder, name, [*rows, rows[row]])
    return True


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registries(), st.sampled_from(sorted(EDITS)), st.integers(1, 6))
def test_rejected_reimport_changes_nothing(tables, edit, row):
    with tempfile.TemporaryDirectory() as tmp:
        f = write_folder(tables, Path(tmp) / "f")
        url = f"sqlite:///{Path(tmp) / 'r.db'}"
        engine = open_database(url)
        import_folder(engine, f)
        before = snapshot(url)
        edited = Path(tmp) / "f_e"
        shutil.copytree(f, edited)
        if not EDITS[edit](edited, row):
            engine.dispose()
            return
        with pytest.raises(ValidationError):
            import_folder(engine, edited)
        engine.dispose()
        assert snapshot(url) == before

"""Every CSV alscell writes neutralises spreadsheet formulas, and reading it back gives the original text."""

from __future__ import annotations

import pandas as pd

from alscell.io.deidentify import deidentify
from alscell.io.reader import read_folder
from alscell.io.writer import write_folder

FORMULAS = ["=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", '=HYPERLINK("http://x","y")', "+1+2", "-2+3", "\tx"]
TRICKY = ["'=already quoted", "''@two quotes", "'plain quote", "it's fine"]


def _folder_with(example_dir, tmp_path, values):
    tables = read_folder(example_dir)
    tables = {n: tables[n].copy() for n in tables}
    p = tables["patients"]
    notes = (values * len(p))[: len(p)]
    p["x_site_note"] = notes
    p["genetics"] = list(reversed(notes))
    p.loc[0, "patient_id"] = "-ALS-001"  # an id may start with '-': it is text, so it is quoted too
    for name in ("treatments", "alsfrs", "measurements", "adverse_events", "events"):
        t = tables[name]
        t.loc[t["patient_id"] == "ALS-001", "patient_id"] = "-ALS-001"
    tables["treatments"]["product"] = (values * 4)[: len(tables["treatments"])]
    return tables


def test_written_cells_never_start_a_formula_and_round_trip(example_dir, tmp_path):
    values = FORMULAS + TRICKY
    tables = _folder_with(example_dir, tmp_path, values)
    out = write_folder(tables, tmp_path / "out")
    for f in out.iterdir():
        for cell in pd.read_csv(f, dtype=str, keep_default_na=False).astype(str).to_numpy().ravel():
            assert not cell or (cell[0] not in "=+@\t\r" and not (cell[0] == "-" and not _number(cell))), (f, cell)
    again = read_folder(out)
    for name in tables:
        pd.testing.assert_frame_equal(again[name].reset_index(drop=True), tables[name].reset_index(drop=True))


def _number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def test_negative_numbers_are_not_quoted(tmp_path):
    from alscell.io.writer import csv_safe

    frame = pd.DataFrame({"value": ["-1.5"], "unit": ["-x"]})
    assert csv_safe(frame).to_dict("records") == [{"value": "-1.5", "unit": "'-x"}]


def test_deidentified_export_is_neutralised_too(example_dir, tmp_path):
    """A whitelisted x_ column survives de-identification verbatim: its formulas are neutralised on write."""
    tables = _folder_with(example_dir, tmp_path, FORMULAS)
    anon = deidentify(tables, seed=1, keep=["x_site_note"])
    out = write_folder(anon, tmp_path / "anon")
    cells = pd.read_csv(out / "patients.csv", dtype=str, keep_default_na=False)["x_site_note"]
    assert set(cells) == {"'" + v for v in tables["patients"]["x_site_note"]}  # every planted formula, quoted
    for f in out.iterdir():
        for cell in pd.read_csv(f, dtype=str, keep_default_na=False).astype(str).to_numpy().ravel():
            assert not cell or (cell[0] not in "=+@\t\r" and not (cell[0] == "-" and not _number(cell))), (f, cell)
    again = read_folder(out)["patients"].set_index("patient_id")["x_site_note"]
    assert again.to_dict() == anon["patients"].set_index("patient_id")["x_site_note"].to_dict()
    # Free text that is not whitelisted never comes out, formulas included.
    text = "".join(f.read_text() for f in out.iterdir() if f.name != "patients.csv")
    assert "cmd|" not in text and "HYPERLINK" not in text

"""The chunked writer (io.writer.write_folder / csv_lines) writes exactly the bytes pandas' ``to_csv`` wrote.

The reference is the previous writer, spelled out here: canonical text (``format_table``), formula cells
neutralised (``csv_safe``), then ``DataFrame.to_csv(index=False, lineterminator="\\n")`` (Python's csv
module, QUOTE_MINIMAL) on the whole table at once.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alscell.io import writer
from alscell.io.columns import FILE_ORDER, TABLES
from alscell.io.reader import read_folder
from alscell.io.tables import Tables
from alscell.simulate import CohortConfig, simulate_cohort


def _reference(tables, out):
    out.mkdir(parents=True, exist_ok=True)
    for name in FILE_ORDER:
        frame = tables.get(name)
        if frame is None:
            frame = pd.DataFrame(columns=list(TABLES[name]))
        text = writer.format_table(name, frame.reset_index(drop=True))
        if len(text.columns) == 0:
            text = pd.DataFrame(columns=list(TABLES[name]))
        writer.csv_safe(text).to_csv(out / f"{name}.csv", index=False, lineterminator="\n")


def _same_folders(a, b):
    for name in FILE_ORDER:
        assert (a / f"{name}.csv").read_bytes() == (b / f"{name}.csv").read_bytes(), name


@pytest.mark.parametrize("chunk", [7, 100_000])
def test_simulated_cohort_same_bytes_in_chunks(tmp_path, monkeypatch, chunk):
    tables = simulate_cohort(CohortConfig(n_patients=60, design="registry", effect=0.2), 4).tables
    _reference(tables, tmp_path / "ref")
    monkeypatch.setattr(writer, "WRITE_CHUNK", chunk)
    writer.write_folder(tables, tmp_path / "new")
    _same_folders(tmp_path / "ref", tmp_path / "new")


def test_awkward_text_same_bytes_and_round_trip(tmp_path, monkeypatch):
    # Commas, quotes, line breaks (quoted cells span lines), formula starts, unicode, float reprs.
    # (A lone carriage return inside a cell is left out: Python's csv writer does not quote it with a
    # "\n" line terminator, so neither the old nor the new writer round-trips it.)
    notes = ["a,b", 'say "hi"', "two\nlines", "x\r\ny", "=1+1", "-x", "@sum", "'=quoted", "ünïcødé", "plain"]
    n = len(notes)
    tables = Tables.from_frames(
        patients=pd.DataFrame(
            {
                "patient_id": [f"P{i}" for i in range(n)],
                "sex": ["F", "M"] * (n // 2),
                "onset_date": pd.to_datetime(["2020-01-02"] * n),
                "onset_site": ["limb"] * n,
                "genetics": notes,
                "cohort": [None, "c,1"] * (n // 2),
                "riluzole": [True, None] * (n // 2),
                "birth_year": [1950, None] * (n // 2),
                "x_note": notes[::-1],
            }
        ),
        measurements=pd.DataFrame(
            {
                "patient_id": ["P0"] * 4,
                "date": pd.to_datetime(["2020-02-01", "2020-03-01", "2020-04-01", "2020-05-01"]),
                "measure": ["fvc_pct_pred"] * 4,
                "value": [0.1 + 0.2, 1e-7, 123.456789123, 80.0],
                "unit": ["%"] * 4,
            }
        ),
    )
    _reference(tables, tmp_path / "ref")
    monkeypatch.setattr(writer, "WRITE_CHUNK", 3)
    writer.write_folder(tables, tmp_path / "new")
    _same_folders(tmp_path / "ref", tmp_path / "new")
    back = read_folder(tmp_path / "new")
    assert back["patients"]["genetics"].tolist() == notes
    assert back["measurements"]["value"].tolist() == [0.1 + 0.2, 1e-7, 123.456789123, 80.0]


def test_minimal_and_empty_tables(tmp_path):
    tables = {"patients": pd.DataFrame({"patient_id": ["P1"], "sex": ["F"], "onset_date": ["2020-01-01"]})}
    tables["patients"]["onset_date"] = pd.to_datetime(tables["patients"]["onset_date"])
    tables["patients"]["onset_site"] = "bulbar"
    _reference(tables, tmp_path / "ref")
    writer.write_folder(tables, tmp_path / "new")
    _same_folders(tmp_path / "ref", tmp_path / "new")
    assert (tmp_path / "new" / "events.csv").read_text() == "patient_id,date,event\n"


_cell = st.text(alphabet=st.sampled_from(list("ab ,\"\r\n=+-@\t'é")), max_size=6)


@given(st.lists(st.lists(_cell, min_size=1, max_size=3), min_size=0, max_size=6), st.integers(1, 3))
def test_csv_lines_equals_to_csv(rows, width):
    frame = pd.DataFrame(
        [(r * width)[:width] for r in rows] or np.empty((0, width), dtype=object),
        columns=[f"c{i}" for i in range(width)],
        dtype=object,
    )
    out = writer.csv_lines(frame)
    if not any("\r" in v for r in rows for v in r):
        assert out == frame.to_csv(index=False, lineterminator="\n")
    # every cell reads back exactly, a lone carriage return included (pandas' to_csv leaves it unquoted)
    back = list(csv.reader(io.StringIO(out, newline="")))
    assert back[0] == list(frame.columns)
    assert [tuple(r) for r in back[1:]] == [tuple(r) for r in frame.itertuples(index=False)] or (
        width == 1 and all(r == [""] for r in frame.to_numpy().tolist()) and back[1:] == [[""]] * len(frame)
    )


def test_lone_carriage_return_round_trips_through_a_folder(tmp_path):
    t = read_folder(Path(__file__).parents[2] / "examples" / "small")
    tr = t["treatments"].copy()
    tr.loc[tr.index[0], "product"] = "a\rb"
    writer.write_folder(t.replace(treatments=tr), tmp_path)
    assert read_folder(tmp_path)["treatments"]["product"].iloc[0] == "a\rb"

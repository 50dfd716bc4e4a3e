"""``SimulatedCohort.write`` writes from the simulator's numpy pieces (alscell.simulate.parts) the same bytes
as the pandas path: ``io.writer.write_folder(cohort.tables)`` and, before it, ``format_table`` +
``csv_safe`` + ``DataFrame.to_csv``."""

from __future__ import annotations

import math
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alscell.io import writer
from alscell.io.columns import FILE_ORDER, TABLES
from alscell.io.tables import Tables
from alscell.simulate import BLOCK_SIZE, CohortConfig, parts, simulate_cohort


def _pandas_reference(tables, out):
    out.mkdir(parents=True, exist_ok=True)
    for name in FILE_ORDER:
        text = writer.format_table(name, tables[name].reset_index(drop=True))
        writer.csv_safe(text).to_csv(out / f"{name}.csv", index=False, lineterminator="\n")


def _same(a, b):
    for name in FILE_ORDER:
        assert (a / f"{name}.csv").read_bytes() == (b / f"{name}.csv").read_bytes(), name


@pytest.mark.parametrize(
    "config",
    [
        CohortConfig(n_patients=120, design="registry", effect=0.3),
        CohortConfig(n_patients=90, design="rct", effect=0.2, route="intramuscular"),
        CohortConfig(n_patients=70, design="delayed_start", id_prefix='-S,"q'),  # id neutralised and quoted
        CohortConfig(n_patients=BLOCK_SIZE + 40, follow_up_months=3, measures=("fvc_pct_pred",)),  # two blocks
    ],
    ids=["registry", "rct_im", "odd_prefix", "two_blocks"],
)
@pytest.mark.parametrize("chunk", [37, 100_000])
def test_pieces_write_the_bytes_of_the_pandas_writer(tmp_path, config, chunk):
    cohort = simulate_cohort(config, seed=2)
    with mock.patch.object(parts, "WRITE_CHUNK", chunk):
        cohort.write(tmp_path / "fast")
    assert cohort._tables is None  # written without building the pandas tables
    summary = cohort.summary()
    assert cohort._tables is None
    writer.write_folder(cohort.tables, tmp_path / "tables")
    _pandas_reference(cohort.tables, tmp_path / "ref")
    _same(tmp_path / "fast", tmp_path / "tables")
    _same(tmp_path / "fast", tmp_path / "ref")
    t = cohort.tables
    assert summary.startswith(f"{len(t['patients'])} patients") and f"{len(t['measurements'])} measurements" in summary


def test_replaced_tables_are_what_is_written(tmp_path):
    cohort = simulate_cohort(CohortConfig(n_patients=30), seed=1)
    cohort.tables = cohort.tables.replace(events=cohort.tables["events"].iloc[:0])
    cohort.write(tmp_path / "out")
    assert (tmp_path / "out" / "events.csv").read_text() == "patient_id,date,event\n"
    assert "0 events" in cohort.summary()


_TEXT = st.one_of(
    st.none(), st.sampled_from(["=1+1", "-x", "@a", "''=x", "a,b", 'q"q', "l\nm", "\r", "", "plain", "é", "t\tx"])
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(_TEXT, st.floats(), st.integers(-5, 2**40), st.booleans(), st.integers(0, 80_000)), max_size=9),
    st.lists(_TEXT, min_size=1, max_size=4),
    st.integers(1, 4),
)
def test_every_kind_of_piece_writes_as_its_pandas_column(tmp_path_factory, rows, vocab, chunk):
    """Pieces of every kind (and pieces that take the generic path: floats in an int column, whole numbers
    as text), in two blocks, against io.writer on the frames ``SimulatedCohort.tables`` builds from them."""
    tmp = tmp_path_factory.mktemp("p")
    blocks = []
    for half in (rows[: len(rows) // 2], rows[len(rows) // 2 :]):
        n = len(half)
        text, floats, ints, bools, days = (list(c) for c in zip(*half, strict=True)) if half else ([],) * 5
        codes = (np.arange(n) % len(vocab)).astype(np.int32)  # int32: not copied, so shared below
        vocab_arr = np.array(vocab, dtype=object)
        day_arr = np.array(days, dtype=np.int64)
        blocks.append(
            {
                "treatments": {
                    "treatment_id": np.array(text, dtype=object),
                    "patient_id": parts.Coded(codes, vocab_arr),
                    "date": parts.Day(day_arr, np.array(bools, dtype=bool)),
                    "cycle": parts.Int(np.array(ints, dtype=np.int64), np.array(bools, dtype=bool)[::-1].copy()),
                    **{c: parts.Coded(codes, vocab_arr) for c in ("cell_source", "donor", "route")},  # one run
                    "dose_cells": np.array(floats, dtype=np.float64),
                    "passage": np.array(
                        [round(x) % 7 if math.isfinite(x) else math.nan for x in floats], dtype=float
                    ),  # float, int column
                    "lot": np.array(ints, dtype=np.int64),  # int piece, text column
                    "product": parts.Coded(codes[::-1].copy(), vocab_arr),
                    "blinded_arm": parts.Coded(codes, vocab_arr),  # shares its codes with patient_id...
                },
                "adverse_events": {
                    "ae_id": np.array([f"A{i}" for i in range(n)], dtype=object),
                    "onset_date": parts.Day(day_arr),
                    "serious": np.array(bools, dtype=bool),
                    "grade": parts.Int(np.array(ints, dtype=np.int64) % 5 + 1),
                    "term": parts.Coded(codes, vocab_arr),
                    "relatedness": parts.Coded(codes, vocab_arr),  # ...and this run ends the line
                },
            }
        )
    for block in blocks:  # the tables without rows of the other kinds
        for name in FILE_ORDER:
            block.setdefault(name, {})
    with mock.patch.object(parts, "WRITE_CHUNK", chunk):
        parts.write_folder(blocks, tmp / "fast")
    frames = {}
    for name in FILE_ORDER:
        cols = [c for c in TABLES[name] if c in blocks[0][name]]
        frames[name] = parts.frame({c: parts.concat([b[name][c] for b in blocks]) for c in cols})
    writer.write_folder(Tables.from_frames(frames), tmp / "ref")
    _same(tmp / "fast", tmp / "ref")


def test_shared_codes_form_one_lookup_run():
    codes = np.array([0, 1], dtype=np.int16)
    vocab = np.array(["a", "b"], dtype=object)
    pieces = {"measure": parts.Coded(codes, vocab), "value": np.zeros(2)}
    pieces |= {c: parts.Coded(codes, vocab) for c in ("unit", "side", "muscle", "specimen")}
    runs = parts._groups(pieces, TABLES["measurements"])
    assert runs == [["patient_id"], ["date"], ["measure"], ["value"], ["unit", "side", "muscle", "specimen"]]
    assert pd.isna(parts.concat([parts.Day(np.array([1]), np.array([True]))])[0])

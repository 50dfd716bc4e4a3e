"""The fast reading paths (issue 17) give the same tables, and so the same effect estimates, as the old ones.

Old path, spelled out here: pandas' C parser for the raw cells, ``validate_tables``, then
``Tables.from_frames`` (a conversion pass over every column).  New path: pyarrow's reader for files
without quotes and the validated frames taken as they are (``read_folder``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alscell.analysis.effects import estimate_effect
from alscell.io import rawcsv
from alscell.io.columns import FILE_ORDER
from alscell.io.parsing import parse_int
from alscell.io.reader import read_folder
from alscell.io.tables import Tables
from alscell.io.validate import validate_tables
from alscell.simulate import CohortConfig, simulate_cohort

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "small"


def _old_read(folder, monkeypatch) -> Tables:
    with monkeypatch.context() as m:
        m.setattr(rawcsv, "_arrow_frame", lambda data, header, compact=False: None)
        raw, problems = rawcsv.read_raw_folder(folder)
    assert not problems
    typed, problems, total = validate_tables(raw)
    assert not total
    return Tables.from_frames(typed)


@pytest.fixture(scope="module")
def registry_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reg") / "folder"
    simulate_cohort(CohortConfig(n_patients=300, design="registry", effect=0.2), 3).write(folder)
    return folder


@pytest.mark.parametrize("which", ["simulated", "example"])
def test_read_folder_same_tables_as_old_path(which, registry_folder, monkeypatch):
    folder = registry_folder if which == "simulated" else EXAMPLE
    new, old = read_folder(folder), _old_read(folder, monkeypatch)
    for name in FILE_ORDER:
        pd.testing.assert_frame_equal(new[name], old[name], check_exact=True)


def test_effect_same_as_old_path(registry_folder, monkeypatch):
    new = estimate_effect(read_folder(registry_folder), "alsfrs_r_total", "lmm_counterfactual")
    old = estimate_effect(_old_read(registry_folder, monkeypatch), "alsfrs_r_total", "lmm_counterfactual")
    for field in ("estimate", "ci_low", "ci_high", "p_value"):
        assert getattr(new, field) == pytest.approx(getattr(old, field), abs=1e-8, rel=0)
    assert (new.n_patients, new.n_treated, new.n_visits) == (old.n_patients, old.n_treated, old.n_visits)


def test_parse_int_same_as_pandas_cast():
    cells = pd.Series(["1", "", "-7", "x", "123456789", "+3", "0", "1.5"] * 3, dtype=object)
    values, bad = parse_int(cells)
    ref = pd.to_numeric(cells.where(cells.str.fullmatch(r"[+-]?\d{1,9}")), errors="coerce").astype("Int64")
    pd.testing.assert_series_equal(values, ref, check_names=False)
    assert bad.tolist() == [c not in ("",) and ref.iloc[i] is pd.NA for i, c in enumerate(cells)]
    assert np.asarray(bad).dtype == bool


_HEADER = "patient_id,date,measure,value,unit,side,muscle,specimen\n"
_ROW = "ALS-001,2022-11-02,fvc_pct_pred,88,%,,,\n"


@pytest.mark.parametrize(
    "content",
    [
        _HEADER + _ROW * 3,  # the common case
        _HEADER + _ROW * 2 + _ROW.rstrip("\n"),  # no line break at the end
        "\ufeff" + _HEADER + _ROW * 3,  # a byte-order mark
        _HEADER + _ROW + "ALS-002,2022-11-02,fvc_pct_pred,88,'=1+2,,,\n",  # a neutralised formula
        _HEADER + _ROW + "\n" + _ROW,  # a blank line (the careful reader)
        _HEADER.replace("\n", "\r\n") + _ROW.replace("\n", "\r\n"),  # CR LF (the careful reader)
        _HEADER + _ROW + "ALS-002,2022-11-02,fvc_pct_pred\n",  # a short row: a problem named
        _HEADER + _ROW + 'ALS-002,2022-11-02,"fvc_pct_pred",88,%,,,\n',  # quotes (the careful reader)
        _HEADER + _ROW + "ALS-002,2022-11-02,fvc_pct_pr\xe9d,88,%,,,\n",  # non-ASCII UTF-8
    ],
)
def test_streamed_reader_same_as_in_memory(tmp_path, monkeypatch, content):
    """A large file is checked and parsed without holding its bytes: forced here for a small file, the
    frame, its line numbers, the problems and the validator's codes are those of the in-memory reader."""
    path = tmp_path / "measurements.csv"
    path.write_bytes(content.encode("utf-8"))
    results = []
    for limit in (rawcsv.STREAM_BYTES, 0):
        monkeypatch.setattr(rawcsv, "STREAM_BYTES", limit)
        factorized: dict = {}
        frame, problems = rawcsv.read_raw_table(path, "measurements", factorized)
        results.append((frame, problems, factorized))
    (a, pa_, fa), (b, pb, fb) = results
    pd.testing.assert_frame_equal(a, b)
    assert pa_ == pb and fa.keys() == fb.keys()
    for col in fa:
        assert (fa[col][1][fa[col][0]] == fb[col][1][fb[col][0]]).all()


def test_streamed_reader_bad_utf8_is_named(tmp_path, monkeypatch):
    path = tmp_path / "measurements.csv"
    path.write_bytes((_HEADER + _ROW).encode() + b"ALS-002,2022-11-02,fvc\xff,88,%,,,\n")
    monkeypatch.setattr(rawcsv, "STREAM_BYTES", 0)
    with pytest.raises(ValueError, match="not UTF-8"):
        rawcsv.read_raw_table(path, "measurements")


def test_streamed_reader_is_taken_for_a_large_file(tmp_path, monkeypatch):
    """The streamed path is the one used above the size limit (not a silent fall-back to reading whole)."""
    path = tmp_path / "measurements.csv"
    path.write_bytes((_HEADER + _ROW * 5).encode())
    monkeypatch.setattr(rawcsv, "STREAM_BYTES", 0)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("the file was read whole"))
    frame, problems = rawcsv.read_raw_table(path, "measurements")
    assert not problems and len(frame) == 5 and frame.index.tolist() == [2, 3, 4, 5, 6]

"""De-identified export: no original id or date survives, intervals within a patient are kept, valid folder."""

from __future__ import annotations

import pandas as pd

from alscell.analysis.derived import derive_visits
from alscell.io.deidentify import deidentify
from alscell.io.reader import read_folder
from alscell.io.writer import write_folder


def test_deidentified_folder_keeps_intervals_and_hides_ids(example_dir, tmp_path):
    tables = read_folder(example_dir)
    anon = deidentify(tables, seed=3)
    write_folder(anon, tmp_path / "anon")
    again = read_folder(tmp_path / "anon")  # still a valid canonical folder
    text = "".join(f.read_text() for f in (tmp_path / "anon").iterdir())
    for pid in tables["patients"]["patient_id"]:
        assert pid not in text
    for tid in tables["treatments"]["treatment_id"]:
        assert tid not in text
    assert "x_site_note" not in again["patients"]
    assert "referred by neurologist" not in text
    # Scores, stages and months since onset are unchanged; only ids and absolute dates differ.
    a = derive_visits(tables).drop(columns=["patient_id", "date"]).sort_values(["months_since_onset", "total"])
    b = derive_visits(again).drop(columns=["patient_id", "date"]).sort_values(["months_since_onset", "total"])
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    # Each patient's dates moved by one shift of at most 182 days, and not all by zero.
    shifts = (anon["alsfrs"]["date"] - tables["alsfrs"]["date"]).dt.days
    per_patient = shifts.groupby(tables["alsfrs"]["patient_id"]).nunique()
    assert (per_patient == 1).all()
    assert shifts.abs().max() <= 182 and shifts.abs().max() > 0
    # The AE still points at the same patient's administration.
    ae = again["adverse_events"].merge(
        again["treatments"][["treatment_id", "patient_id"]], on="treatment_id", suffixes=("", "_t")
    )
    assert (ae["patient_id"] == ae["patient_id_t"]).all() and len(ae) == 3


def test_ages_over_89_are_top_coded(example_dir):
    tables = read_folder(example_dir)
    tables["patients"].loc[0, "birth_year"] = 1900
    anon = deidentify(tables, seed=1)
    p = anon["patients"]
    assert ((p["onset_date"].dt.year - p["birth_year"]) <= 90).all()

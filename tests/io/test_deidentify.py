"""De-identified export: nothing identifying survives, intervals within a patient are kept, keyed and stable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alscell.analysis.derived import derive_visits
from alscell.io.deidentify import MAX_AGE, date_shift, deidentify, pseudonym, seed_key
from alscell.io.reader import read_folder
from alscell.io.writer import write_folder
from alscell.simulate import CohortConfig, simulate_cohort

KEY = b"a test key that is long enough!!"
OTHER_KEY = b"another secret, also long enough"
PLANTED = {
    ("patients", "cohort"): "Jane Doe",
    ("patients", "genetics"): "MRN 4471902",
    ("patients", "site"): "st_elsewhere_hospital",
    ("treatments", "product"): "given 1987-06-05 by Dr House",
    ("treatments", "lot"): "LOT-SECRET-77",
}


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alscell", *args], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> tuple[Path, dict[str, pd.DataFrame]]:
    """A simulated 120-patient folder with planted free text, one patient over 89 and an ``x_`` note."""
    folder = tmp_path_factory.mktemp("sim") / "in"
    tables = simulate_cohort(CohortConfig(n_patients=120), 7).tables
    tables = {name: frame.copy() for name, frame in tables.items()}
    for (name, col), value in PLANTED.items():
        frame = tables[name]
        frame[col] = frame[col].astype(object) if col in frame else None
        frame.loc[frame.index[:5], col] = value
    tables["patients"]["x_note"] = "called Mrs Robinson"
    tables["patients"].loc[tables["patients"].index[3], "birth_year"] = 1925
    write_folder(tables, folder)
    return folder, read_folder(folder)


def _texts(folder: Path) -> str:
    return "\n".join(f.read_text() for f in sorted(folder.iterdir()))


def test_nothing_identifying_survives_in_any_file(registry, tmp_path):
    _, tables = registry
    out = write_folder(deidentify(tables, KEY), tmp_path / "anon")
    again = read_folder(out)  # still a valid canonical folder
    text = _texts(out)
    ids = [
        *tables["patients"]["patient_id"],
        *tables["treatments"]["treatment_id"],
        *tables["adverse_events"]["ae_id"],
    ]
    assert ids and not [i for i in ids if i in text]
    for value in [*PLANTED.values(), "1987-06-05", "called Mrs Robinson", "x_note"]:
        assert value not in text, value
    assert "lot" not in again["treatments"] or again["treatments"]["lot"].isna().all()
    # No row keeps its own date: every date of a patient moved by the patient's shift, never zero.
    for name in ("alsfrs", "measurements", "events", "treatments"):
        orig = tables[name].assign(pseudo=tables[name]["patient_id"].map(lambda p: pseudonym(KEY, "patient", p, "P-")))
        orig = orig.sort_values(["pseudo", "date"], kind="stable").reset_index(drop=True)
        anon = again[name].sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
        assert (orig["pseudo"] == anon["patient_id"]).all()
        moved = (anon["date"] - orig["date"]).dt.days
        assert (moved == orig["patient_id"].map(lambda p: date_shift(KEY, p))).all(), name
    assert (moved != 0).all() and moved.abs().max() <= 364
    # No exact original date of a patient (onset, diagnosis) is left anywhere in the folder.
    for col in ("onset_date", "diagnosis_date"):
        for d in tables["patients"][col].dropna():
            shifted_same = d.strftime("%Y-%m-%d") in text
            if shifted_same:  # only by coincidence with another patient's shifted date, never its own
                pid = tables["patients"].loc[tables["patients"][col] == d, "patient_id"]
                mine = again["patients"][
                    again["patients"]["patient_id"].isin([pseudonym(KEY, "patient", p, "P-") for p in pid])
                ]
                assert not (mine[col] == d).any()


def test_rows_are_shuffled_and_ages_top_coded(registry):
    _, tables = registry
    anon = deidentify(tables, KEY)
    p = anon["patients"]
    # Row order: the position of a patient in the output says nothing about its position in the input.
    where = {pseudonym(KEY, "patient", pid, "P-"): i for i, pid in enumerate(tables["patients"]["patient_id"])}
    positions = p["patient_id"].map(where).to_numpy()
    assert sorted(positions) == list(range(len(tables["patients"])))
    assert abs(np.corrcoef(positions, np.arange(len(positions)))[0, 1]) < 0.3
    for name in ("treatments", "alsfrs", "measurements"):
        before = tables[name]["patient_id"].map(lambda x: pseudonym(KEY, "patient", x, "P-")).tolist()
        assert anon[name]["patient_id"].tolist() != before, name
    # Ages: no dated row of a patient with a birth year is more than 89 calendar years after it.
    last = pd.concat(
        [f[["patient_id", c]].set_axis(["patient_id", "d"], axis=1) for f in anon.values() for c in f if "date" in c]
    )
    latest = last.groupby("patient_id")["d"].max().dt.year
    age = latest.reindex(p["patient_id"]).to_numpy() - p["birth_year"].astype("Float64").to_numpy(
        dtype=float, na_value=np.nan
    )
    assert np.nanmax(age) <= MAX_AGE
    old = tables["patients"]["patient_id"].iloc[3]
    row = p[p["patient_id"] == pseudonym(KEY, "patient", old, "P-")]
    assert row["birth_year"].isna().all() and (row["x_age_90_plus"] == "true").all()
    assert (p["x_age_90_plus"] == "true").sum() >= 1 and p["birth_year"].notna().sum() > 100


def test_same_key_same_export_other_key_different(registry):
    _, tables = registry
    a, b, c = deidentify(tables, KEY), deidentify(tables, KEY), deidentify(tables, OTHER_KEY)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not set(a["patients"]["patient_id"]) & set(c["patients"]["patient_id"])
    assert not set(a["treatments"]["treatment_id"]) & set(c["treatments"]["treatment_id"])
    shifts = [date_shift(KEY, p) for p in tables["patients"]["patient_id"]]
    others = [date_shift(OTHER_KEY, p) for p in tables["patients"]["patient_id"]]
    assert 0 not in shifts and shifts != others
    # Not a plain hash of the id: the pseudonym depends on the key.
    assert pseudonym(KEY, "patient", "ALS-001", "P-") != pseudonym(OTHER_KEY, "patient", "ALS-001", "P-")


def test_raters_become_keyed_pseudonyms_stable_under_one_key(registry, tmp_path):
    _, tables = registry
    tables = {name: frame.copy() for name, frame in tables.items()}
    a = tables["alsfrs"]
    a["rater"] = np.resize(np.array(["R07", None, "nurse-3", "R-7"], dtype=object), len(a))
    anon = deidentify(tables, KEY)
    text = _texts(write_folder(anon, tmp_path / "anon"))
    assert not [r for r in ("R07", "nurse-3", "R-7,", "R-7\n") if r in text]
    # Row by row (the pseudonymous patient and the shifted date find the row): the same rater has the same
    # pseudonym wherever it rated, an unrecorded rater stays empty.
    orig = a.assign(
        patient_id=a["patient_id"].map(lambda p: pseudonym(KEY, "patient", p, "P-")),
        date=a["date"] + pd.to_timedelta(a["patient_id"].map(lambda p: date_shift(KEY, p)), unit="D"),
    )
    got = orig.merge(anon["alsfrs"], on=["patient_id", "date"], suffixes=("", "_anon"), validate="1:1")
    assert len(got) == len(a)
    expected = got["rater"].map(lambda r: pseudonym(KEY, "rater", r, "R-") if isinstance(r, str) else None)
    assert got["rater_anon"].tolist() == expected.tolist()
    assert got.groupby("rater")["rater_anon"].nunique().to_dict() == {"R-7": 1, "R07": 1, "nurse-3": 1}
    # The same key gives the same pseudonyms in every export, another key other ones.
    again, other = deidentify(tables, KEY), deidentify(tables, OTHER_KEY)
    pd.testing.assert_series_equal(again["alsfrs"]["rater"], anon["alsfrs"]["rater"])
    assert not set(other["alsfrs"]["rater"].dropna()) & set(anon["alsfrs"]["rater"].dropna())


def test_example_keeps_intervals_and_links(example_dir, tmp_path):
    tables = read_folder(example_dir)
    again = read_folder(write_folder(deidentify(tables, seed=3), tmp_path / "anon"))
    assert "x_site_note" not in again["patients"]
    a = derive_visits(tables).drop(columns=["patient_id", "date"]).sort_values(["months_since_onset", "total"])
    b = derive_visits(again).drop(columns=["patient_id", "date"]).sort_values(["months_since_onset", "total"])
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    ae = again["adverse_events"].merge(
        again["treatments"][["treatment_id", "patient_id"]], on="treatment_id", suffixes=("", "_t")
    )
    assert (ae["patient_id"] == ae["patient_id_t"]).all() and len(ae) == 3
    assert seed_key(3) != seed_key(4)


def test_a_key_is_required(example_dir):
    with pytest.raises(ValueError, match="key"):
        deidentify(read_folder(example_dir))


def test_cli_exports_are_stable_with_the_registry_key(registry, tmp_path):
    folder, _ = registry
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert _run("import", str(folder), "--db", db).returncode == 0
    for name in ("one", "two"):
        result = _run("export", str(tmp_path / name), "--db", db, "--deidentify")
        assert result.returncode == 0, result.stderr
    assert _texts(tmp_path / "one") == _texts(tmp_path / "two")
    text = _texts(tmp_path / "one")
    assert not [v for v in PLANTED.values() if v in text]
    env = {"ALSCELL_DEIDENTIFY_KEY": "an outside secret of enough length"}
    result = _run("export", str(tmp_path / "three"), "--db", db, "--deidentify", env=env)
    assert result.returncode == 0, result.stderr
    one = pd.read_csv(tmp_path / "one" / "patients.csv")["patient_id"]
    three = pd.read_csv(tmp_path / "three" / "patients.csv")["patient_id"]
    assert len(one) == len(three) == 120 and not set(one) & set(three)
    result = _run("export", str(tmp_path / "four"), "--db", db, "--deidentify", env={"ALSCELL_DEIDENTIFY_KEY": "x"})
    assert result.returncode == 2 and "at least 16" in result.stderr


def test_whitelisted_x_columns_are_kept_and_only_those(registry):
    _, tables = registry
    kept = deidentify(tables, KEY, keep=["x_note"])
    assert (kept["patients"]["x_note"] == "called Mrs Robinson").all()
    assert "x_note" not in deidentify(tables, KEY)["patients"]
    for bad in (["lot"], ["genetics"], ["x_age_90_plus"]):
        with pytest.raises(ValueError, match="only x_ columns"):
            deidentify(tables, KEY, keep=bad)


def test_cli_keep_column(registry, tmp_path):
    folder, _ = registry
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert _run("import", str(folder), "--db", db).returncode == 0
    env = {"ALSCELL_DEIDENTIFY_KEY": KEY.decode()}
    ok = _run("export", str(tmp_path / "k"), "--db", db, "--deidentify", "--keep-column", "x_note", env=env)
    assert ok.returncode == 0, ok.stderr
    assert (pd.read_csv(tmp_path / "k" / "patients.csv")["x_note"] == "called Mrs Robinson").all()
    bad = _run("export", str(tmp_path / "l"), "--db", db, "--deidentify", "--keep-column", "lot", env=env)
    assert bad.returncode == 2 and "only x_ columns" in bad.stderr and "Traceback" not in bad.stderr
    typo = _run("export", str(tmp_path / "m"), "--db", db, "--deidentify", "--keep-column", "x_nope", env=env)
    assert typo.returncode == 2 and "no column x_nope" in typo.stderr
    plain = _run("export", str(tmp_path / "n"), "--db", db, "--keep-column", "x_note")
    assert plain.returncode == 2 and "only applies with --deidentify" in plain.stderr

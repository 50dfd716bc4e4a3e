"""PRO-ACT import (docs/proact.md): the synthetic fixture in PRO-ACT's exact shape imports as the untreated
cohort ``proact`` and matches, field by field, the truth it was generated from; bad values are named by
PRO-ACT file, line and column and nothing is stored; a minimal folder works; the cohort serves as external
controls and as natural-history training data."""

from __future__ import annotations

import datetime as dt
import filecmp
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alscell.io.errors import ValidationError
from alscell.io.proact import DEFAULT_ANCHOR, ID_PREFIX, read_proact
from alscell.store.engine import open_database
from alscell.store.frames import load_tables
from alscell.store.importer import import_folder

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "io" / "fixtures" / "proact"
ANCHOR = dt.date(2011, 6, 15)


def _generator():
    spec = importlib.util.spec_from_file_location("make_proact_fixture", REPO / "scripts" / "make_proact_fixture.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "alscell", *args], capture_output=True, text=True)


def _dump(url: str):
    engine = open_database(url)
    with engine.connect() as conn:
        tables = load_tables(conn)
    engine.dispose()
    return tables


def _day(anchor: dt.date, days: int | None) -> pd.Timestamp | None:
    return None if days is None else pd.Timestamp(anchor + dt.timedelta(days=days))


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_generator_writes_exactly_the_committed_fixture(tmp_path):
    rows, _ = GEN.make()
    GEN.write(rows, tmp_path)
    names = sorted(p.name for p in FIXTURE.iterdir())
    assert names == sorted(GEN.HEADERS)
    _, mismatch, errors = filecmp.cmpfiles(FIXTURE, tmp_path, names, shallow=False)
    assert not mismatch and not errors


def test_fixture_imports_and_matches_what_it_was_made_from(tmp_path):
    _, truth = GEN.make()
    url = f"sqlite:///{tmp_path / 'r.db'}"
    result = run("import", str(FIXTURE), "--format", "proact", "--anchor", ANCHOR.isoformat(), "--db", url)
    assert result.returncode == 0, result.stderr
    t = _dump(url)

    # patients: exactly the importable subjects, every field from its PRO-ACT source
    p = t["patients"].set_index("patient_id")
    assert set(p.index) == {ID_PREFIX + s for s in truth["patients"]}
    assert not set(p.index) & {ID_PREFIX + s for s in truth["dropped"]}
    for sid, want in truth["patients"].items():
        row = p.loc[ID_PREFIX + sid]
        assert row["sex"] == want["sex"]
        assert row["onset_date"] == _day(ANCHOR, want["onset_day"])
        if want["diagnosis_day"] is None:
            assert pd.isna(row["diagnosis_date"])
        else:
            assert row["diagnosis_date"] == _day(ANCHOR, want["diagnosis_day"])
        assert row["onset_site"] == want["site"]
        born = want["dob"] if want["dob"] is not None else -round(want["age"] * 365.25)
        assert row["birth_year"] == (ANCHOR + dt.timedelta(days=born)).year
        assert pd.isna(row["riluzole"]) if want["riluzole"] is None else bool(row["riluzole"]) is want["riluzole"]
        assert row["cohort"] == "proact"
        assert row["x_proact_study_arm"] == want["arm"]
    assert t["treatments"].empty  # an untreated cohort

    # ALSFRS: every visit of the truth and no other, item by item
    a = t["alsfrs"]
    assert len(a) == len(truth["alsfrs"])
    a = a.set_index(["patient_id", "date"])
    for (sid, day), want in truth["alsfrs"].items():
        row = a.loc[(ID_PREFIX + sid, _day(ANCHOR, day))]
        for item, value in want["items"].items():
            assert pd.isna(row[item]) if value is None else row[item] == value, (sid, day, item)
        assert row["x_proact_instrument"] == want["instrument"]
        q10 = row["x_proact_q10_respiratory"]
        assert (q10 is None or pd.isna(q10)) if want["q10_respiratory"] is None else q10 == str(want["q10_respiratory"])

    # FVC % predicted from each PRO-ACT shape
    m = t["measurements"]
    assert set(m["measure"]) == {"fvc_pct_pred"} and set(m["unit"]) == {"%"}
    assert len(m) == len(truth["capacity"])
    m = m.set_index(["patient_id", "date"])
    for (sid, day), want in truth["capacity"].items():
        row = m.loc[(ID_PREFIX + sid, _day(ANCHOR, day))]
        assert row["value"] == pytest.approx(want["value"], abs=1e-9), (sid, day)
        assert row["x_proact_source"] == want["source"]
    assert {w["source"] for w in truth["capacity"].values()} == {
        "pct_of_Normal",
        "liters/Subject_Normal",
        "Percent Predicted units",
    }

    # deaths
    e = t["events"]
    assert set(e["event"]) <= {"death"}
    got = {pid.removeprefix(ID_PREFIX): d for pid, d in zip(e["patient_id"], e["date"], strict=True)}
    assert got == {sid: _day(ANCHOR, d) for sid, d in truth["deaths"].items()}


def test_reimport_is_idempotent_and_another_anchor_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    assert run("import", str(FIXTURE), "--format", "proact", "--db", url).returncode == 0
    before = _dump(url)
    again = run("import", str(FIXTURE), "--format", "proact", "--db", url)
    assert again.returncode == 0 and "0 new, 0 updated" in again.stdout
    moved = run("import", str(FIXTURE), "--format", "proact", "--anchor", "2011-06-15", "--db", url)
    assert moved.returncode == 2
    assert "already holds 22 PRO-ACT subjects imported with day 0 = 2000-01-01" in moved.stderr
    assert "--anchor 2000-01-01" in moved.stderr
    after = _dump(url)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])


def test_fixture_stores_the_same_on_every_database(db_url, tmp_path):
    """SQLite and PostgreSQL (ALSCELL_TEST_PG_URL): the x_ columns come back from the JSON extra as written."""
    r = read_proact(FIXTURE)
    engine = open_database(db_url)
    try:
        summary = import_folder(engine, r.write(tmp_path / "canonical"))
    finally:
        engine.dispose()
    assert summary.inserted["alsfrs"] == len(r.tables["alsfrs"])
    t = _dump(db_url)
    assert set(t["patients"]["x_proact_anchor"]) == {"2000-01-01"}
    original = t["alsfrs"][t["alsfrs"]["x_proact_instrument"] == "ALSFRS"]
    assert len(original) == r.counts["alsfrs_original"] and original[["q10", "q11", "q12"]].isna().all().all()


def test_what_is_left_out_is_reported_one_sentence_each():
    _, truth = GEN.make()
    r = read_proact(FIXTURE)
    assert r.anchor == DEFAULT_ANCHOR
    text = "\n".join(r.notes)
    n_original = sum(v["instrument"] == "ALSFRS" for v in truth["alsfrs"].values())
    assert f"{n_original} ALSFRS rows of the original ALSFRS (Q10_Respiratory, no R_1-R_3)" in text
    assert "1 subject left out because PROACT_ALSHISTORY.csv gives no Onset_Delta" in text
    assert "gives no bulbar, limb or spinal site of onset (1 of them 'Other' only" in text
    assert "1 ALSFRS row without ALSFRS_Delta left out" in text
    assert "1 FVC row without Forced_Vital_Capacity_Delta left out" in text
    assert "FVC rows in litres without Subject_Normal left out" in text
    assert "1 FVC row on a day that already had one" in text
    assert "1 death (Subject_Died = Yes) without Death_Days left out" in text
    assert "1 ALSFRS row with both Q5a and Q5b scored: item 5 left empty" in text
    assert "1 ALSFRS row repeating another row" in text
    assert "1 ALSFRS row whose ALSFRS_R_Total differs" in text
    assert "imported with sex U" in text
    assert all(n.endswith(".") and "\n" not in n for n in r.notes)
    assert r.counts["patients"] == len(truth["patients"])


def test_placebo_only_keeps_placebo_subjects():
    _, truth = GEN.make()
    r = read_proact(FIXTURE, placebo_only=True)
    want = {ID_PREFIX + s for s, v in truth["patients"].items() if v["arm"] == "Placebo"}
    assert set(r.tables["patients"]["patient_id"]) == want
    assert any("not in a placebo arm" in n for n in r.notes)
    assert set(r.tables["alsfrs"]["patient_id"]) <= want


def _bad_copy(tmp_path: Path, file: str, line: int, column: str, value: str) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir()
    for src in FIXTURE.iterdir():
        frame = pd.read_csv(src, dtype=str, keep_default_na=False)
        if src.name == file:
            frame.loc[line - 2, column] = value
        frame.to_csv(folder / src.name, index=False, lineterminator="\n")
    return folder


@pytest.mark.parametrize(
    ("file", "line", "column", "value", "says"),
    [
        ("PROACT_ALSFRS.csv", 3, "Q1_Speech", "7", "ALSFRS-R items are integers 0-4"),  # canonical rule
        ("PROACT_ALSFRS.csv", 4, "Q3_Swallowing", "2.5", "whole number"),  # canonical rule
        ("PROACT_ALSFRS.csv", 5, "ALSFRS_Delta", "abc", "must be a whole number of days"),  # PRO-ACT parse
        ("PROACT_ALSFRS.csv", 2, "ALSFRS_Delta", "-5000", "before the patient's onset_date"),  # canonical rule
        ("PROACT_FVC.csv", 2, "Forced_Vital_Capacity_Units", "gallons", "must be Liters or Percent Predicted"),
        ("PROACT_FVC.csv", 2, "pct_of_Normal_Trial_1", "400", "fvc_pct_pred"),  # canonical measure range
        ("PROACT_DEMOGRAPHICS.csv", 2, "Sex", "X", "must be Female or Male"),
        ("PROACT_DEMOGRAPHICS.csv", 3, "Age", "150", "must be between 1900"),  # canonical range
        ("PROACT_ALSHISTORY.csv", 2, "Diagnosis_Delta", "-5000", "diagnosis_date"),  # before onset
        ("PROACT_DEATHDATA.csv", 2, "Subject_Died", "maybe", "must be Yes or No"),
    ],
)
def test_bad_values_are_named_by_file_line_and_column_and_nothing_is_stored(tmp_path, file, line, column, value, says):
    """What ``alscell import --format proact`` does, in process: PRO-ACT problems, or canonical ones named back."""
    url = f"sqlite:///{tmp_path / 'r.db'}"
    folder = _bad_copy(tmp_path, file, line, column, value)
    engine = open_database(url)
    try:
        r = read_proact(folder)
        with pytest.raises(ValidationError) as info:
            import_folder(engine, r.write(tmp_path / "canonical"))
        messages = r.messages(info.value)
    except ValidationError as exc:  # a value read_proact itself cannot read
        messages = exc.messages()
    finally:
        engine.dispose()
    hit = [m for m in messages if m.startswith(f"{file} line {line}, column {column}: value {value!r}")]
    assert hit and says in hit[0], messages
    assert all("\n" not in m for m in messages)
    assert all(t.empty for t in _dump(url).values())


def test_cli_error_is_one_sentence_per_problem_and_stores_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    folder = _bad_copy(tmp_path, "PROACT_ALSFRS.csv", 3, "Q1_Speech", "7")
    result = run("import", str(folder), "--format", "proact", "--db", url)
    assert result.returncode == 2, result.stdout
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert "Traceback" not in result.stderr
    assert "PROACT_ALSFRS.csv line 3, column Q1_Speech: value '7': ALSFRS-R items are integers 0-4" in lines[0]
    assert "nothing was imported" in lines[-1] and len(lines) == 2
    assert all(t.empty for t in _dump(url).values())


def test_translated_canonical_problem_names_the_proact_cell(tmp_path):
    folder = _bad_copy(tmp_path, "PROACT_ALSFRS.csv", 3, "Q1_Speech", "9")
    r = read_proact(folder)
    out = r.write(tmp_path / "canonical")
    engine = open_database(f"sqlite:///{tmp_path / 'r.db'}")
    with pytest.raises(ValidationError) as info:
        import_folder(engine, out)
    engine.dispose()
    (message,) = r.messages(info.value)
    assert message.startswith("PROACT_ALSFRS.csv line 3, column Q1_Speech: value '9':")


def test_a_missing_required_column_is_named(tmp_path):
    folder = tmp_path / "p"
    _write(folder, {"PROACT_ALSHISTORY.csv": "subject_id,Site_of_Onset\n1,Onset: Limb\n"})
    with pytest.raises(ValidationError) as info:
        read_proact(folder)
    assert "PROACT_ALSHISTORY.csv line 1, column Onset_Delta: the column is missing" in info.value.messages()[0]


def test_minimal_folder_one_patient_required_columns_only(tmp_path):
    folder = _write(
        tmp_path / "p",
        {
            "PROACT_DEMOGRAPHICS.csv": "subject_id,Sex\n7,Female\n",
            "PROACT_ALSHISTORY.csv": "subject_id,Onset_Delta,Site_of_Onset\n7,-200,Onset: Bulbar\n",
            "PROACT_ALSFRS.csv": "subject_id,ALSFRS_Delta,Q1_Speech\n7,0,3\n7,91,\n",
        },
    )
    url = f"sqlite:///{tmp_path / 'r.db'}"
    result = run("import", str(folder), "--format", "proact", "--db", url)
    assert result.returncode == 0, result.stderr
    assert "1 ALSFRS row without any item score left out." in result.stdout
    t = _dump(url)
    (p,) = t["patients"].itertuples()
    assert (p.patient_id, p.sex, p.onset_site, p.cohort) == ("proact-7", "F", "bulbar", "proact")
    assert p.onset_date == pd.Timestamp("1999-06-15")  # 2000-01-01 - 200 days
    assert list(t["alsfrs"]["q1"]) == [3] and t["alsfrs"]["date"].iloc[0] == pd.Timestamp("2000-01-01")


def test_svc_in_litres_and_percent_becomes_svc_pct_pred(tmp_path):
    folder = _write(
        tmp_path / "p",
        {
            "PROACT_ALSHISTORY.csv": "subject_id,Onset_Delta,Site_of_Onset___Limb\n3,-400,1\n",
            "PROACT_SVC.csv": "subject_id,Slow_vital_Capacity_Delta,Subject_Liters_Trial_1,Subject_Liters__Trial_2_,"
            "pct_of_Normal_Trial_1,Slow_Vital_Capacity_Units,Subject_Normal\n"
            "3,0,2.10,2.30,,Liters,4.00\n3,30,,,71,Liters,4.00\n",
        },
    )
    m = read_proact(folder).tables["measurements"]
    assert list(m["measure"]) == ["svc_pct_pred", "svc_pct_pred"]
    assert list(m["value"]) == [repr(57.5), repr(71.0)]  # 2.30 / 4.00 x 100; the percentage as given
    assert list(m["x_proact_source"]) == ["liters/Subject_Normal", "pct_of_Normal"]


def test_demographics_and_alsfrs_alone_cannot_give_an_onset(tmp_path):
    """Onset date and site are required by the canonical format and live in ALSHISTORY: refused, one sentence."""
    folder = _write(
        tmp_path / "p",
        {
            "PROACT_DEMOGRAPHICS.csv": "subject_id,Sex\n7,Male\n",
            "PROACT_ALSFRS.csv": "subject_id,ALSFRS_Delta,Q1_Speech\n7,0,3\n",
        },
    )
    url = f"sqlite:///{tmp_path / 'r.db'}"
    result = run("import", str(folder), "--format", "proact", "--db", url)
    assert result.returncode == 2
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert "PROACT_ALSHISTORY.csv: file is missing" in lines[0] and "none of the 1 subject" in lines[0]
    assert all(t.empty for t in _dump(url).values())


def test_anchor_must_be_a_date(tmp_path):
    result = run("import", str(FIXTURE), "--format", "proact", "--anchor", "15/06/2011", "--db", "sqlite://")
    assert result.returncode == 2 and "--anchor '15/06/2011' is not a date YYYY-MM-DD" in result.stderr


@settings(max_examples=25)
@given(
    days=st.lists(st.integers(-3000, 3000), min_size=1, max_size=6, unique=True),
    onset=st.integers(-6000, -3001),
    anchor=st.dates(dt.date(1950, 1, 1), dt.date(2010, 12, 31)),
)
def test_days_become_anchor_plus_days(tmp_path_factory, days, onset, anchor):
    folder = tmp_path_factory.mktemp("p")
    visits = "".join(f"1,{d},{i % 5}\n" for i, d in enumerate(days))
    _write(
        folder,
        {
            "PROACT_ALSHISTORY.csv": f"subject_id,Onset_Delta,Site_of_Onset\n1,{onset},Onset: Limb\n",
            "PROACT_ALSFRS.csv": "subject_id,ALSFRS_Delta,Q1_Speech\n" + visits,
        },
    )
    r = read_proact(folder, anchor)
    assert list(r.tables["alsfrs"]["date"]) == [(anchor + dt.timedelta(days=d)).isoformat() for d in days]
    assert r.tables["patients"]["onset_date"].iat[0] == (anchor + dt.timedelta(days=onset)).isoformat()


@pytest.fixture(scope="module")
def combined(tmp_path_factory):
    """A treated registry (simulated) and a PRO-ACT-shaped untreated cohort in one database."""
    from alscell.simulate import CohortConfig, simulate_cohort

    base = tmp_path_factory.mktemp("combined")
    sim = simulate_cohort(CohortConfig(n_patients=60, treated_fraction=1.0, follow_up_months=15), seed=11)
    treated = set(sim.tables["treatments"]["patient_id"])
    keep = {n: f[f["patient_id"].isin(treated)] if "patient_id" in f else f for n, f in sim.tables.items()}
    registry = base / "registry"
    from alscell.io.writer import write_folder

    write_folder(keep, registry)
    rows, truth = GEN.make(n_subjects=150, seed=7)
    proact = GEN.write(rows, base / "proact")
    url = f"sqlite:///{base / 'r.db'}"
    assert run("import", str(registry), "--db", url).returncode == 0
    result = run("import", str(proact), "--format", "proact", "--db", url)
    assert result.returncode == 0, result.stderr
    return url, treated, truth


def test_external_control_runs_with_the_proact_cohort_as_controls(combined):
    url, treated, truth = combined
    result = run("effect", "--db", url, "--method", "external_control", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["method"] == "external_control"
    assert 0 < out["n_treated"] <= len(treated)
    n_controls = out["n_patients"] - out["n_treated"]
    assert 10 <= n_controls <= len(truth["patients"])  # every control is a PRO-ACT subject
    assert np.isfinite(out["estimate"]) and out["ci_low"] < out["estimate"] < out["ci_high"]


def test_proact_cohort_trains_the_natural_history_model(combined):
    from alscell.analysis.forecast import fit_natural_history, forecast_patient

    url, treated, truth = combined
    tables = _dump(url)
    model = fit_natural_history(tables)
    labels = set(model.result.group_labels)
    proact = {ID_PREFIX + sid for (sid, _), v in truth["alsfrs"].items() if v["instrument"] == "ALSFRS-R"}
    complete = {
        ID_PREFIX + sid
        for (sid, _), v in truth["alsfrs"].items()
        if all(x is not None for k, x in v["items"].items() if k not in ("q5a", "q5b"))
        and (v["items"]["q5a"] is not None or v["items"]["q5b"] is not None)
    }
    assert complete <= labels <= proact | treated  # every complete PRO-ACT visit trains the model
    assert model.describe()["population_slope_at_2y"] < 0  # a declining natural history
    fc = forecast_patient(tables, sorted(treated)[0], model=model)
    assert fc.course["mean"].notna().all()

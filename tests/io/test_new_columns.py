"""Optional columns of data format 1 (site, lot, viability_pct, passage, assessor) and the extension columns
(treatments.decision_date, alsfrs.visit_type, alsfrs.eligible, alsfrs.rater; docs/data-rules.md): validated,
stored, round-tripped."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alscell.io.errors import ValidationError
from alscell.io.reader import read_folder
from alscell.io.writer import write_folder
from alscell.store.engine import open_database
from alscell.store.frames import load_tables
from alscell.store.importer import import_folder
from alscell.store.models import KEYS


def _with_new_columns(example_dir):
    tables = {n: t.copy() for n, t in read_folder(example_dir).items()}
    tables["patients"]["site"] = ["clinic.a", "clinic.a", "clinic-b", None]
    t = tables["treatments"]
    t["lot"] = ["L-2023/01", None, "=lot", "B7"]
    t["viability_pct"] = [92.5, 0.0, 100.0, None]
    t["passage"] = pd.array([3, 0, None, 12], dtype="Int64")
    a = tables["alsfrs"]
    a["assessor"] = [None, "self", "caregiver", "phone"] * 4
    t["decision_date"] = [t["date"].iloc[0] - pd.Timedelta(days=14), pd.NaT, t["date"].iloc[2], pd.NaT]
    a["visit_type"] = ["scheduled", None, "unscheduled", "home", "inpatient", "remote", None, "scheduled"] * 2
    a["eligible"] = pd.array([True, None, False, None] * 4, dtype="boolean")
    # the clinic's pseudonyms for its raters; one starts like a formula (the writer neutralises it, reading undoes it)
    a["rater"] = ["R07", None, "nurse-3", "-lead.1"] * 4
    return tables


def test_new_columns_round_trip_through_the_registry(db_url, example_dir, tmp_path):
    tables = _with_new_columns(example_dir)
    src = write_folder(tables, tmp_path / "src")
    engine = open_database(db_url)
    import_folder(engine, src)
    with engine.connect() as conn:
        stored = load_tables(conn)
    engine.dispose()
    assert stored["alsfrs"]["assessor"].isna().sum() == 4  # empty stays missing: nothing invented
    assert stored["alsfrs"]["eligible"].isna().sum() == 8  # an unrecorded screening is neither yes nor no
    assert stored["alsfrs"]["rater"].value_counts(dropna=False).to_dict() == {
        "R07": 4,
        None: 4,
        "nurse-3": 4,
        "-lead.1": 4,
    }
    out = write_folder(stored, tmp_path / "out")
    original, again = read_folder(src), read_folder(out)
    for name in original:
        keys = list(KEYS[name])
        a = original[name].sort_values(keys).reset_index(drop=True)
        b = again[name].sort_values(keys).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)
    lots = again["treatments"].set_index("treatment_id")["lot"]
    assert lots.to_dict() == {"T-001-1": "L-2023/01", "T-001-2": None, "T-002-1": "=lot", "T-004-1": "B7"}


@pytest.mark.parametrize(
    "name, column, value, code",
    [
        ("patients", "site", "clinic a!", "id_format"),
        ("patients", "site", "s" * 65, "id_format"),
        ("treatments", "viability_pct", "101", "viability_range"),
        ("treatments", "viability_pct", "-1", "viability_range"),
        ("treatments", "passage", "-1", "passage_range"),
        ("treatments", "passage", "1.5", "bad_integer"),
        ("alsfrs", "assessor", "nurse", "bad_choice"),
        ("alsfrs", "visit_type", "clinic", "bad_choice"),
        ("alsfrs", "eligible", "yes", "bad_boolean"),
        ("alsfrs", "rater", "Dr House", "bad_rater"),  # a name, not a pseudonym
        ("alsfrs", "rater", "r" * 41, "bad_rater"),
        ("alsfrs", "rater", "R07!", "bad_rater"),
        ("alsfrs", "rater", "R07", "rater_on_self_report"),  # line 3 is a self-report: the patient rated it
        ("treatments", "decision_date", "2024-02-30", "bad_date"),
    ],
)
def test_new_columns_are_validated(example_dir, tmp_path, name, column, value, code):
    tables = _with_new_columns(example_dir)
    src = write_folder(tables, tmp_path / "src")
    frame = pd.read_csv(src / f"{name}.csv", dtype=str, keep_default_na=False)
    frame.loc[1, column] = value
    frame.to_csv(src / f"{name}.csv", index=False)
    with pytest.raises(ValidationError) as err:
        read_folder(src)
    assert [(p.file, p.line, p.column, p.code) for p in err.value.problems] == [(f"{name}.csv", 3, column, code)]


def test_a_decision_date_after_its_administration_or_before_onset_is_refused(example_dir, tmp_path):
    tables = _with_new_columns(example_dir)
    src = write_folder(tables, tmp_path / "src")
    frame = pd.read_csv(src / "treatments.csv", dtype=str, keep_default_na=False)
    day = pd.Timestamp(frame.loc[1, "date"])
    frame.loc[1, "decision_date"] = (day + pd.Timedelta(days=1)).date().isoformat()
    frame.loc[3, "decision_date"] = "1901-01-01"
    frame.to_csv(src / "treatments.csv", index=False)
    with pytest.raises(ValidationError) as err:
        read_folder(src)
    got = {(p.line, p.column, p.code) for p in err.value.problems}
    assert got == {(5, "decision_date", "decision_before_onset"), (3, "decision_date", "decision_after_treatment")}


def test_migration_0002_upgrades_a_0001_registry(tmp_path, example_dir):
    from alscell.store.engine import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0001")
    engine.dispose()
    engine = open_database(url)
    assert import_folder(engine, example_dir).inserted["patients"] == 4
    engine.dispose()


def test_migration_0008_adds_the_rater_to_a_0007_registry_and_comes_back_down(tmp_path):
    from alembic import command
    from sqlalchemy import inspect, text

    from alscell.store.engine import alembic_config, make_engine, upgrade, write_transaction

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0007")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO patients (patient_id, sex, onset_date, onset_site) VALUES ('A', 'F', '2020-01-01', 'limb')"
            )
        )
        conn.execute(text("INSERT INTO alsfrs (patient_id, date, q1) VALUES ('A', '2021-01-01', 3)"))
    engine.dispose()
    engine = open_database(url)  # to the newest revision: the stored visit has no rater, nothing invented
    with engine.connect() as conn:
        assert load_tables(conn)["alsfrs"]["rater"].tolist() == [None]
    with write_transaction(engine) as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
    with engine.connect() as conn:
        assert "rater" not in {c["name"] for c in inspect(conn).get_columns("alsfrs")}
        assert conn.execute(text("SELECT q1 FROM alsfrs")).scalar_one() == 3
    engine.dispose()


def test_a_decision_date_is_shifted_with_its_patients_other_dates(example_dir):
    from alscell.io.deidentify import deidentify

    tables = _with_new_columns(example_dir)
    anon = deidentify(tables, seed=3)
    before = tables["treatments"].dropna(subset=["decision_date"])
    after = anon["treatments"].dropna(subset=["decision_date"])
    assert len(after) == len(before) == 2
    # the gap from decision to dose is kept, the calendar dates are not
    assert sorted((after["date"] - after["decision_date"]).dt.days) == sorted(
        (before["date"] - before["decision_date"]).dt.days
    )
    assert not set(after["decision_date"]) & set(before["decision_date"])
    counts = anon["alsfrs"]["visit_type"].value_counts(dropna=False)
    assert counts.to_dict() == tables["alsfrs"]["visit_type"].value_counts(dropna=False).to_dict()  # kept as recorded


def test_a_bad_rater_names_file_line_column_and_rule_and_stores_nothing(db_url, example_dir, tmp_path):
    tables = _with_new_columns(example_dir)
    engine = open_database(db_url)
    import_folder(engine, write_folder(tables, tmp_path / "first"))
    with engine.connect() as conn:
        before = load_tables(conn)
    # A valid change of rater on one visit and a name on another: nothing of the folder may be stored.
    src = write_folder(tables, tmp_path / "src")
    frame = pd.read_csv(src / "alsfrs.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "rater"] = "R08"
    frame.loc[4, "rater"] = "Jane Doe"
    frame.to_csv(src / "alsfrs.csv", index=False)
    with pytest.raises(ValidationError) as err:
        import_folder(engine, src)
    (problem,) = err.value.problems
    assert (problem.file, problem.line, problem.column, problem.value, problem.code) == (
        "alsfrs.csv",
        6,
        "rater",
        "Jane Doe",
        "bad_rater",
    )
    assert str(problem) == (
        "alsfrs.csv line 6, column rater: value 'Jane Doe': must be the rater's pseudonym, not a name: 1-40 "
        "characters of A-Z a-z 0-9 . _ - (no spaces) (rule bad_rater)"
    )
    with engine.connect() as conn:
        after = load_tables(conn)
    engine.dispose()
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])


def test_a_rater_is_pseudonymised_like_an_id(example_dir):
    from alscell.io.deidentify import deidentify, pseudonym, seed_key

    tables = _with_new_columns(example_dir)
    anon = deidentify(tables, seed=3)
    raters = anon["alsfrs"]["rater"]
    assert raters.isna().sum() == 4  # empty stays empty
    expected = {r: pseudonym(seed_key(3), "rater", r, "R-") for r in ("R07", "nurse-3", "-lead.1")}
    assert raters.value_counts().to_dict() == {code: 4 for code in expected.values()}  # one rater, one pseudonym
    assert all(re.fullmatch(r"R-[0-9A-F]{20}", r) for r in expected.values())
    assert not set(raters.dropna()) & set(expected)


_RATER_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
# A cell the rule must refuse: a space, a character outside the allowed set (not NUL, refused as such, nor a quote,
# which before a formula character the reader removes, nor a carriage return, which pandas' CSV writer leaves
# unquoted), or more than 40 of them.
_bad_char = st.characters(blacklist_characters=_RATER_CHARS + "\x00'\r", blacklist_categories=("Cs",))
BAD_RATERS = st.one_of(
    st.tuples(st.text(_RATER_CHARS, min_size=1, max_size=19), st.text(_RATER_CHARS, min_size=1, max_size=19)).map(
        " ".join
    ),
    st.tuples(st.text(_RATER_CHARS, max_size=19), _bad_char, st.text(_RATER_CHARS, min_size=1, max_size=19)).map(
        "".join
    ),
    st.text(_RATER_CHARS, min_size=41, max_size=80),
)


def _read_rater(tmp_path, base: pd.DataFrame, value: str) -> list[tuple[int, str, str]]:
    frame = base.copy()
    frame.loc[1, "rater"] = value
    folder = tmp_path / "f"
    folder.mkdir(exist_ok=True)
    frame.to_csv(folder / "alsfrs.csv", index=False)
    (folder / "patients.csv").write_text("patient_id,sex,onset_date,onset_site\nP1,F,2020-01-01,limb\n")
    try:
        got = read_folder(folder)
    except ValidationError as err:
        return [(p.line, p.column, p.code) for p in err.problems]
    assert got["alsfrs"]["rater"].tolist() == [None, value]
    return []


_BASE = pd.DataFrame({"patient_id": ["P1", "P1"], "date": ["2021-01-01", "2021-02-01"], "q1": ["4", "3"], "rater": ""})


@settings(max_examples=50)
@given(st.text(_RATER_CHARS, min_size=1, max_size=40))
def test_every_pseudonym_of_the_allowed_characters_is_accepted(tmp_path_factory, value):
    assert _read_rater(tmp_path_factory.mktemp("ok"), _BASE, value) == []


@settings(max_examples=50)
@given(BAD_RATERS)
def test_a_space_a_bad_character_or_more_than_40_is_refused(tmp_path_factory, value):
    assert _read_rater(tmp_path_factory.mktemp("bad"), _BASE, value) == [(3, "rater", "bad_rater")]

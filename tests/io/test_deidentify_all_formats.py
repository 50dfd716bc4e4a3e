"""De-identified export in EVERY format of `alscell export` (parametrized over EXPORT_FORMATS): scan each file.

A 40-patient registry (few enough dates that most original dates differ from every shifted one) gets planted free text (a name, a record number, an unshifted date) in ``cohort``,
``genetics``, ``product``, ``lot``, ``site`` and an ``x_`` column, a rater's pseudonym that names her in
``alsfrs.rater``, and one patient older than 89.  Each
format is exported three times through the command line (its entry point, run in-process) with ``--deidentify``: twice with one key, once
with another.  Every file of every export (text or binary, read as bytes) is searched for every original
id, exact original date and planted value; the order in which pseudonyms first appear in a file must not
follow the original order; formats alscell can read back (canonical, REDCap) are checked row by row for
the keyed, never-zero date shift and ages over 89.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alscell.cli import main
from alscell.cli.data_commands import DEIDENTIFY_KEY_ENV, EXPORT_FORMATS
from alscell.io.columns import DATE_COLUMNS
from alscell.io.deidentify import MAX_AGE, date_shift, deidentify, pseudonym
from alscell.io.reader import read_folder
from alscell.io.redcap import RECORDS_FILE, records_to_folder
from alscell.io.writer import write_folder
from alscell.simulate import CohortConfig, simulate_cohort

KEY = "one shared secret, long enough for the test"
OTHER_KEY = "a different secret of sufficient length"
PLANTED_DATE = "1987-06-05"
PLANTED = {
    ("patients", "cohort"): "Jane Doe",
    ("patients", "genetics"): "MRN 4471902",
    ("patients", "site"): "st_elsewhere_hospital",
    ("treatments", "product"): f"given {PLANTED_DATE} by Dr House",
    ("treatments", "lot"): "LOT-SECRET-77",
    ("patients", "x_note"): f"seen {PLANTED_DATE}, MRN 4471902",
    ("alsfrs", "rater"): "nurse.robinson",  # a rater's pseudonym that names her: keyed in every format
}
DATE_RE = re.compile(rb"(?<![0-9])(\d{4})-(\d{2})-(\d{2})(?![0-9])")
PSEUDONYM_RE = re.compile(rb"P-[0-9A-F]{20}")


def _run(*args: str, key: str) -> int:
    """Run ``alscell ARGS`` in this process (the command line's own entry point) with ``key`` as the secret;
    its exit status."""
    before = os.environ.get(DEIDENTIFY_KEY_ENV)
    os.environ[DEIDENTIFY_KEY_ENV] = key
    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        if before is None:
            del os.environ[DEIDENTIFY_KEY_ENV]
        else:
            os.environ[DEIDENTIFY_KEY_ENV] = before
    return 0


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> tuple[str, dict[str, pd.DataFrame], Path]:
    """The planted registry, imported into SQLite; returns its URL, its tables and a scratch folder."""
    base = tmp_path_factory.mktemp("deid")
    tables = {n: f.copy() for n, f in simulate_cohort(CohortConfig(n_patients=40), 7).tables.items()}
    for (name, col), value in PLANTED.items():
        frame = tables[name]
        frame[col] = frame[col].astype(object) if col in frame else None
        frame.loc[frame.index[:6], col] = value
    tables["patients"].loc[tables["patients"].index[3], "birth_year"] = 1925  # over 89 at every visit
    folder = write_folder(tables, base / "in")
    db = f"sqlite:///{base / 'r.db'}"
    assert _run("import", str(folder), "--db", db, key=KEY) == 0
    return db, read_folder(folder), base


@pytest.fixture(scope="module")
def exports(registry) -> dict[tuple[str, str], Path]:
    """(format, 'a'|'b'|'other') → export folder: a and b with KEY, other with OTHER_KEY."""
    db, _, base = registry
    out: dict[tuple[str, str], Path] = {}
    for fmt in EXPORT_FORMATS:
        for run, key in (("a", KEY), ("b", KEY), ("other", OTHER_KEY)):
            folder = base / f"{fmt}-{run}"
            assert _run("export", str(folder), "--db", db, "--format", fmt, "--deidentify", key=key) == 0, fmt
            out[fmt, run] = folder
    return out


def _files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    assert files, folder
    return files


def _ids(tables: dict[str, pd.DataFrame]) -> list[str]:
    p, t, ae = tables["patients"], tables["treatments"], tables["adverse_events"]
    return [*p["patient_id"], *p["site"].dropna().unique(), *t["treatment_id"], *ae["ae_id"]]


def _dates(tables: dict[str, pd.DataFrame]) -> set[str]:
    return {
        d.strftime("%Y-%m-%d")
        for frame in tables.values()
        for col in DATE_COLUMNS & set(frame.columns)
        for d in frame[col].dropna()
    }


def _today() -> set[bytes]:
    """Dates a format may stamp on an export (a bundle timestamp), not data."""
    now = dt.datetime.now(dt.UTC)
    return {(now + dt.timedelta(days=d)).strftime("%Y-%m-%d").encode() for d in (-1, 0, 1)}


def _found_dates(folder: Path) -> set[bytes]:
    found = {m.group(0) for f in _files(folder) for m in DATE_RE.finditer(f.read_bytes())}
    return found - _today()


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_no_original_id_date_or_free_text_in_any_file(registry, exports, fmt):
    _, tables, _ = registry
    original = _dates(tables)
    needles = [*_ids(tables), *PLANTED.values(), PLANTED_DATE, "x_note", "Jane Doe", "4471902", "House"]
    for run, key in (("a", KEY), ("other", OTHER_KEY)):
        # An original date that is also some patient's shifted date (under this key) cannot be told apart;
        # every other original date must be gone.
        telling = original - _dates(deidentify(tables, key.encode()))
        assert len(telling) > 0.5 * len(original)
        for f in _files(exports[fmt, run]):
            data = f.read_bytes()
            leaked = [n for n in needles if n.encode() in data]
            assert not leaked, (f.name, leaked[:5])
            dates = {m.group(0).decode() for m in DATE_RE.finditer(data)}
            assert not dates & telling, (f.name, sorted(dates & telling)[:5])


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_rows_do_not_link_back_by_position(registry, exports, fmt):
    """In every file that lists patients, their order of first appearance is unrelated to the original."""
    _, tables, _ = registry
    rank = {
        pseudonym(KEY.encode(), "patient", pid, "P-").encode(): i
        for i, pid in enumerate(tables["patients"]["patient_id"])
    }
    checked = 0
    for f in _files(exports[fmt, "a"]):
        seen: dict[bytes, int] = {}
        for m in PSEUDONYM_RE.finditer(f.read_bytes()):
            seen.setdefault(m.group(0), len(seen))
        known = [rank[p] for p in seen if p in rank]
        if len(known) >= 20:
            checked += 1
            # Under a random order the correlation has standard deviation 1/sqrt(n - 1): allow 4 of them.
            r = np.corrcoef(known, np.arange(len(known)))[0, 1]
            assert abs(r) < 4 / np.sqrt(len(known) - 1), (f.name, r)
            assert np.mean(np.asarray(known) == np.arange(len(known))) < 0.2, f.name  # few keep their place
    assert checked >= 1, f"no file of the {fmt} export names the patients by their pseudonyms"


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_same_key_same_pseudonyms_and_dates_other_key_different(exports, fmt):
    def tokens(folder: Path, pattern: bytes) -> set[bytes]:
        return {m.group(0) for f in _files(folder) for m in re.finditer(pattern, f.read_bytes())}

    for pattern in (rb"P-[0-9A-F]{20}", rb"T-[0-9A-F]{20}", rb"AE-[0-9A-F]{20}"):
        a, b, c = (tokens(exports[fmt, run], pattern) for run in ("a", "b", "other"))
        assert a == b, pattern
        assert not a & c, pattern
    a, b, c = (_found_dates(exports[fmt, run]) for run in ("a", "b", "other"))
    assert a and a == b and a != c


def _read_back(fmt: str, folder: Path, tmp: Path) -> dict[str, pd.DataFrame] | None:
    if fmt == "canonical":
        return read_folder(folder)
    if fmt == "redcap":
        return read_folder(records_to_folder(folder / RECORDS_FILE, tmp))
    return None


@pytest.mark.parametrize("fmt", [f for f in EXPORT_FORMATS if f in ("canonical", "redcap")])
def test_read_back_shifts_are_keyed_never_zero_and_ages_top_coded(registry, exports, fmt, tmp_path):
    _, tables, _ = registry
    key = KEY.encode()
    anon = _read_back(fmt, exports[fmt, "a"], tmp_path / "back")
    assert anon is not None
    to_pseudo = {pid: pseudonym(key, "patient", pid, "P-") for pid in tables["patients"]["patient_id"]}
    moved_all = []
    for name in ("alsfrs", "measurements", "events", "treatments"):
        orig = tables[name].assign(pseudo=tables[name]["patient_id"].map(to_pseudo))
        orig = orig.sort_values(["pseudo", "date"], kind="stable").reset_index(drop=True)
        got = anon[name].sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
        assert (orig["pseudo"] == got["patient_id"]).all(), name
        moved = (got["date"] - orig["date"]).dt.days
        assert (moved == orig["patient_id"].map(lambda p: date_shift(key, p))).all(), name
        moved_all.append(moved)
    moved = pd.concat(moved_all)
    assert (moved < 0).all() and moved.min() >= -364  # never zero, never forward, within a year
    # Ages: no dated row of a patient is more than 89 calendar years after the birth year left in the export.
    p = anon["patients"].set_index("patient_id")
    latest = pd.concat(
        [
            f[["patient_id", c]].set_axis(["patient_id", "d"], axis=1)
            for f in anon.values()
            for c in f
            if c in DATE_COLUMNS
        ]
    )
    years = latest.groupby("patient_id")["d"].max().dt.year.reindex(p.index)
    ages = years.to_numpy(dtype=float) - p["birth_year"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    assert np.nanmax(ages) <= MAX_AGE
    old = to_pseudo[tables["patients"]["patient_id"].iloc[3]]
    assert pd.isna(p.loc[old, "birth_year"]) and p.loc[old, "x_age_90_plus"] == "true"
    # The planted rater's six ratings carry one keyed pseudonym; the unrecorded ones stay empty.
    raters = anon["alsfrs"]["rater"]
    assert raters.value_counts().to_dict() == {pseudonym(key, "rater", PLANTED["alsfrs", "rater"], "R-"): 6}
    assert raters.isna().sum() == len(raters) - 6


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_no_stated_age_over_89(exports, fmt):
    """Formats that state an age (an SDTM-style AGE column) never state one over 89."""
    for f in _files(exports[fmt, "a"]):
        if f.suffix.lower() != ".csv":
            continue
        frame = pd.read_csv(f, dtype=str, keep_default_na=False)
        for col in (c for c in frame.columns if c.upper() == "AGE"):
            ages = pd.to_numeric(frame[col], errors="coerce").dropna()
            assert (ages <= MAX_AGE).all(), (f.name, ages.max())

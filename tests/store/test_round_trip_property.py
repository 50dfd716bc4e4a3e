"""Property: for any valid registry content, export followed by import reproduces it exactly."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alscell.domain.measures import MEASURES
from alscell.domain.vocabulary import MUSCLES, ONSET_SITES, SEXES, SPECIMENS
from alscell.io.reader import read_folder
from alscell.io.writer import write_folder
from alscell.store.engine import open_database
from alscell.store.frames import load_tables
from alscell.store.importer import import_folder
from alscell.store.models import KEYS

ids = st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True)
raters = st.from_regex(r"[A-Za-z0-9_.-]{1,40}", fullmatch=True)  # alsfrs.rater: a pseudonym (rule bad_rater)
free_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=15).filter(
    lambda s: s.strip() == s
)


@st.composite
def registries(draw):
    pids = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    onset = {p: dt.date(2015, 1, 1) + dt.timedelta(days=draw(st.integers(0, 2000))) for p in pids}
    patients = pd.DataFrame(
        {
            "patient_id": pids,
            "sex": [draw(st.sampled_from(SEXES)) for _ in pids],
            "birth_year": [draw(st.one_of(st.none(), st.integers(1900, 2000))) for _ in pids],
            "onset_date": [onset[p] for p in pids],
            "onset_site": [draw(st.sampled_from(ONSET_SITES)) for _ in pids],
            "riluzole": [draw(st.one_of(st.none(), st.booleans())) for _ in pids],
            "genetics": [draw(st.one_of(st.none(), free_text)) for _ in pids],
            "x_note": [draw(st.one_of(st.none(), free_text)) for _ in pids],
        }
    )
    visits, meas = [], []
    for p in pids:
        days = draw(st.lists(st.integers(1, 900), max_size=4, unique=True))
        for d in days:
            items = {
                q: draw(st.one_of(st.none(), st.integers(0, 4)))
                for q in ("q1", "q2", "q3", "q4", "q6", "q7", "q8", "q9", "q10", "q11", "q12")
            }
            items["q5a" if draw(st.booleans()) else "q5b"] = draw(st.one_of(st.none(), st.integers(0, 4)))
            rater = draw(st.one_of(st.none(), raters))
            visits.append({"patient_id": p, "date": onset[p] + dt.timedelta(days=d), **items, "rater": rater})
            key = draw(st.sampled_from(sorted(MEASURES)))
            spec = MEASURES[key]
            meas.append(
                {
                    "patient_id": p,
                    "date": onset[p] + dt.timedelta(days=d),
                    "measure": key,
                    "value": draw(st.floats(spec.low, spec.high, allow_nan=False)),
                    "unit": spec.unit,
                    "muscle": draw(st.sampled_from(MUSCLES)) if spec.needs_muscle else None,
                    "specimen": draw(st.sampled_from(SPECIMENS)) if spec.needs_specimen else None,
                }
            )
    tables = {"patients": patients}
    if visits:
        frame = pd.DataFrame(visits)
        frame["date"] = pd.to_datetime(frame["date"])
        tables["alsfrs"] = frame
        m = pd.DataFrame(meas)
        m["date"] = pd.to_datetime(m["date"])
        tables["measurements"] = m
    patients["onset_date"] = pd.to_datetime(patients["onset_date"])
    return tables


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registries())
def test_export_then_import_reproduces_registry(tables):
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "src", Path(tmp) / "out"
        write_folder(tables, src)
        original = read_folder(src)
        engine = open_database(f"sqlite:///{Path(tmp) / 'r.db'}")
        import_folder(engine, src)
        with engine.connect() as conn:
            write_folder(load_tables(conn), out)
        engine.dispose()
        again = read_folder(out)
        for name, frame in original.items():
            # An x_ column with no value at all carries no data and is not stored (documented).
            frame = frame.drop(columns=[c for c in frame if c.startswith("x_") and frame[c].isna().all()])
            keys = list(KEYS[name])
            a = frame.sort_values(keys, na_position="first").reset_index(drop=True)
            b = again[name].sort_values(keys, na_position="first").reset_index(drop=True)
            pd.testing.assert_frame_equal(a, b)

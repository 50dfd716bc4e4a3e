"""Import into SQLite and PostgreSQL: all or nothing, idempotent, updates audited, exact round trip."""

from __future__ import annotations

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from alscell.io.errors import ValidationError
from alscell.io.reader import read_folder
from alscell.io.writer import write_folder
from alscell.store.engine import open_database
from alscell.store.frames import load_tables
from alscell.store.importer import import_folder
from alscell.store.models import KEYS, MODELS, AuditEntry, Base


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {n: conn.execute(select(func.count()).select_from(m.__table__)).scalar_one() for n, m in MODELS.items()}


def _dump(engine) -> dict[str, pd.DataFrame]:
    with engine.connect() as conn:
        return load_tables(conn)


def test_migrations_match_models(db_url):
    engine = open_database(db_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()


def test_import_is_idempotent_and_round_trips(db_url, example_dir, tmp_path):
    engine = open_database(db_url)
    first = import_folder(engine, example_dir)
    assert first.inserted == {
        "patients": 4,
        "treatments": 4,
        "alsfrs": 16,
        "measurements": 16,
        "adverse_events": 3,
        "events": 3,
    }
    counts = _counts(engine)
    second = import_folder(engine, example_dir)
    assert sum(second.inserted.values()) == 0 and sum(second.updated.values()) == 0
    assert _counts(engine) == counts

    out = tmp_path / "exported"
    write_folder(_dump(engine), out)
    original, again = read_folder(example_dir), read_folder(out)
    for name in original:
        keys = list(KEYS[name])
        a = original[name].sort_values(keys, na_position="first").reset_index(drop=True)
        b = again[name].sort_values(keys, na_position="first").reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)
    assert (
        again["patients"].loc[again["patients"].patient_id == "ALS-001", "x_site_note"].item()
        == 'referred by neurologist, "fast" course'
    )
    engine.dispose()


def test_changed_row_is_an_audited_update(db_url, example_dir):
    engine = open_database(db_url)
    import_folder(engine, example_dir)
    text = (
        (example_dir / "alsfrs.csv")
        .read_text()
        .replace("ALS-003,2023-09-15,4,4,4,3,2,", "ALS-003,2023-09-15,4,4,3,3,2,")
    )
    (example_dir / "alsfrs.csv").write_text(text)
    summary = import_folder(engine, example_dir)
    assert summary.updated["alsfrs"] == 1 and summary.inserted["alsfrs"] == 0
    with engine.connect() as conn:
        rows = conn.execute(select(AuditEntry).where(AuditEntry.action == "update")).all()
    assert len(rows) == 1
    with engine.connect() as conn:
        before, after = conn.execute(
            select(AuditEntry.before, AuditEntry.after).where(AuditEntry.action == "update")
        ).one()
    assert before["q3"] == "4" and after["q3"] == "3"
    with engine.connect() as conn:
        reasons = set(
            conn.execute(select(AuditEntry.reason).where(AuditEntry.action.in_(["update", "import"]))).scalars()
        )
    assert reasons == {f"import of {example_dir.resolve()}"}  # 21 CFR 11.10(e): every change says why
    stored = _dump(engine)["alsfrs"]
    row = stored[(stored.patient_id == "ALS-003") & (stored.date == "2023-09-15")]
    assert int(row.q3.item()) == 3
    engine.dispose()


def test_failed_import_leaves_database_unchanged(db_url, example_dir):
    engine = open_database(db_url)
    import_folder(engine, example_dir)
    before = _dump(engine)
    # A valid new visit plus one invalid row: nothing of the folder may be stored.
    with (example_dir / "alsfrs.csv").open("a") as fh:
        fh.write("ALS-003,2023-12-15,4,4,4,3,2,,3,3,2,2,4,4,4\n")
        fh.write("ALS-003,2024-01-15,4,4,9,3,2,,3,3,2,2,4,4,4\n")
    with pytest.raises(ValidationError) as err:
        import_folder(engine, example_dir)
    assert any(p.column == "q3" and p.value == "9" for p in err.value.problems)
    after = _dump(engine)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])
    engine.dispose()


def test_new_folder_checked_against_stored_registry(db_url, example_dir, tmp_path):
    engine = open_database(db_url)
    import_folder(engine, example_dir)
    # A second folder with visits only: the patients are known from the registry.
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "patients.csv").write_text("patient_id,sex,onset_date,onset_site\n")
    (extra / "alsfrs.csv").write_text(
        "patient_id,date,q1,q2,q3,q4,q5a,q6,q7,q8,q9,q10,q11,q12\n"
        "ALS-003,2024-01-10,4,4,4,3,2,3,3,2,2,4,4,4\n"
        "ALS-002,2023-09-01,1,1,1,4,2,3,3,3,2,2,3,3\n"  # after ALS-002's stored death
        "ALS-009,2023-09-01,1,1,1,4,2,3,3,3,2,2,3,3\n"  # unknown patient
    )
    with pytest.raises(ValidationError) as err:
        import_folder(engine, extra)
    rules = {(p.line, p.column) for p in err.value.problems}
    assert rules == {(3, "date"), (4, "patient_id")}
    (extra / "alsfrs.csv").write_text(
        "patient_id,date,q1,q2,q3,q4,q5a,q6,q7,q8,q9,q10,q11,q12\nALS-003,2024-01-10,4,4,4,3,2,3,3,2,2,4,4,4\n"
    )
    assert import_folder(engine, extra).inserted["alsfrs"] == 1
    engine.dispose()

"""All-or-nothing import of a canonical folder into the registry, with an audit trail.

The folder is validated against itself and the stored registry inside the same transaction that writes
it; any problem rolls everything back.  Rows are matched on their natural keys: new rows are bulk
inserted, rows whose values changed are updated with one audit entry each (before and after), identical
rows are left alone — so re-importing the same folder changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, and_, bindparam, insert, select, update

from alscell.io.columns import FILE_ORDER
from alscell.io.reader import read_folder
from alscell.io.writer import format_table
from alscell.store.frames import frame_to_records, registry_context, rows_to_frame
from alscell.store.models import KEYS, MODELS, AuditEntry

INSERT_CHUNK = 50_000


@dataclass
class ImportSummary:
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.inserted.values()) + sum(self.updated.values()) + sum(self.unchanged.values())


def _key_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Key columns as canonical strings (so stored and incoming keys compare equal)."""
    return format_table(name, frame[list(KEYS[name])])


def _existing(conn: Connection, name: str) -> pd.DataFrame | None:
    table = MODELS[name].__table__
    first = conn.execute(select(table).limit(1)).first()
    if first is None:
        return None
    result = conn.execute(select(table))
    return rows_to_frame(name, pd.DataFrame(result.fetchall(), columns=list(result.keys())))


def _upsert_table(
    conn: Connection, name: str, frame: pd.DataFrame, actor: str, source: str, summary: ImportSummary
) -> None:
    table = MODELS[name].__table__
    keys = list(KEYS[name])
    stored = _existing(conn, name) if len(frame) else None
    if stored is None or stored.empty:
        new, changed = frame, frame.iloc[0:0]
        unchanged = 0
    else:
        incoming_text = format_table(name, frame)
        stored_text = format_table(name, stored).reindex(columns=incoming_text.columns.union(stored.columns))
        incoming_text = incoming_text.reindex(columns=stored_text.columns, fill_value="")
        stored_text = stored_text.fillna("")
        kin = incoming_text[keys].agg("\x1f".join, axis=1)
        kst = stored_text[keys].agg("\x1f".join, axis=1)
        is_new = ~kin.isin(set(kst))
        new = frame[is_new.to_numpy()]
        stored_by_key = stored_text.set_index(kst.to_numpy())
        old_rows = stored_by_key.loc[kin[~is_new].to_numpy()]
        new_rows = incoming_text[~is_new.to_numpy()]
        differs = (old_rows.to_numpy() != new_rows.to_numpy()).any(axis=1)
        changed = frame[~is_new.to_numpy()][differs]
        unchanged = int((~differs).sum())
        if differs.any():
            now = dt.datetime.now(dt.UTC)
            audit = [
                {
                    "at": now,
                    "actor": actor,
                    "action": "update",
                    "table_name": name,
                    "row_key": key,
                    "before": {c: v for c, v in before.items() if v != ""},
                    "after": {c: v for c, v in after.items() if v != ""},
                    "source": source,
                }
                for key, before, after in zip(
                    kin[~is_new][differs],
                    old_rows[differs].to_dict("records"),
                    new_rows[differs].to_dict("records"),
                    strict=False,
                )
            ]
            conn.execute(insert(AuditEntry.__table__), audit)
    if len(new):
        records = frame_to_records(name, new)
        for start in range(0, len(records), INSERT_CHUNK):
            conn.execute(insert(table), records[start : start + INSERT_CHUNK])
    if len(changed):
        records = frame_to_records(name, changed)
        where = and_(*(table.c[k] == bindparam(f"k_{k}") for k in keys))
        stmt = update(table).where(where).values({c: bindparam(c) for c in records[0] if c not in keys})
        conn.execute(stmt, [{**r, **{f"k_{k}": r[k] for k in keys}} for r in records])
    summary.inserted[name] = len(new)
    summary.updated[name] = len(changed)
    summary.unchanged[name] = unchanged


def import_tables(
    conn: Connection, tables: dict[str, pd.DataFrame], *, actor: str = "import", source: str = ""
) -> ImportSummary:
    """Upsert already validated typed frames on an open transaction."""
    summary = ImportSummary()
    for name in FILE_ORDER:
        _upsert_table(conn, name, tables[name], actor, source, summary)
    conn.execute(
        insert(AuditEntry.__table__),
        [
            {
                "at": dt.datetime.now(dt.UTC),
                "actor": actor,
                "action": "import",
                "table_name": "*",
                "row_key": source,
                "before": None,
                "after": {"inserted": summary.inserted, "updated": summary.updated},
                "source": source,
            }
        ],
    )
    return summary


def import_folder(engine: Engine, folder: str | Path, *, actor: str = "import") -> ImportSummary:
    """Validate ``folder`` against itself and the registry and store it, all or nothing.

    Raises alscell.io.errors.ValidationError (nothing stored) when any row breaks a rule.
    """
    with engine.begin() as conn:
        context = registry_context(conn)
        tables = read_folder(folder, context)
        return import_tables(conn, tables, actor=actor, source=str(Path(folder).resolve()))

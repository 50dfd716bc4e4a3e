"""All-or-nothing import of a canonical folder into the registry, with an audit trail.

The folder is read (every row with its physical line) before the database is touched, then validated
together with the stored registry (``validate_merged``: the merged state must pass every rule a fresh
import would) inside the same write transaction that stores it, which holds the registry's write lock from
its first statement (alscell.store.engine.write_transaction), so concurrent imports take turns and each
one is checked against what the others stored.  Any problem rolls everything back.  Rows are matched on their natural keys: new rows are bulk
inserted, rows whose values changed are updated with one audit entry each (before and after), identical
rows are left alone — so re-importing the same folder changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, and_, bindparam, insert, select, update

from alscell.io.columns import FILE_ORDER
from alscell.io.errors import ValidationError
from alscell.io.rawcsv import read_raw_folder
from alscell.io.reader import complete_columns
from alscell.io.validate import DEFAULT_PROBLEM_LIMIT, validate_merged
from alscell.io.writer import format_table
from alscell.store.bulk import insert_frame
from alscell.store.engine import write_transaction
from alscell.store.frames import frame_to_records, load_tables, rows_to_frame
from alscell.store.models import AUDIT_TABLE, KEYS, SQL_TABLES


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


def _joined(text: pd.DataFrame, keys: list[str]) -> pd.Series:
    """One string per row: the key columns joined by a unit separator."""
    out = text[keys[0]].astype(str)
    for k in keys[1:]:
        out = out + "\x1f" + text[k].astype(str)
    return out


def _existing(conn: Connection, name: str) -> pd.DataFrame | None:
    table = SQL_TABLES[name]
    first = conn.execute(select(table).limit(1)).first()
    if first is None:
        return None
    result = conn.execute(select(table))
    return rows_to_frame(name, pd.DataFrame(result.fetchall(), columns=list(result.keys())))


def _upsert_table(
    conn: Connection,
    name: str,
    frame: pd.DataFrame,
    actor: str,
    source: str,
    summary: ImportSummary,
    stored: pd.DataFrame | None = None,
) -> None:
    table = SQL_TABLES[name]
    keys = list(KEYS[name])
    if not len(frame):
        stored = None
    elif stored is None:
        stored = _existing(conn, name)
    if stored is None or stored.empty:
        new, changed = frame, frame.iloc[0:0]
        unchanged = 0
    else:
        incoming_text = format_table(name, frame)
        stored_text = format_table(name, stored).reindex(columns=incoming_text.columns.union(stored.columns))
        incoming_text = incoming_text.reindex(columns=stored_text.columns, fill_value="")
        stored_text = stored_text.fillna("")
        kin, kst = _joined(incoming_text, keys), _joined(stored_text, keys)
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
                    "reason": _reason(source),
                }
                for key, before, after in zip(
                    kin[~is_new][differs],
                    old_rows[differs].to_dict("records"),
                    new_rows[differs].to_dict("records"),
                    strict=False,
                )
            ]
            conn.execute(insert(AUDIT_TABLE), audit)
    insert_frame(conn, name, new)
    if len(changed):
        records = frame_to_records(name, changed)
        where = and_(*(table.c[k] == bindparam(f"k_{k}") for k in keys))
        stmt = update(table).where(where).values({c: bindparam(c) for c in records[0] if c not in keys})
        conn.execute(stmt, [{**r, **{f"k_{k}": r[k] for k in keys}} for r in records])
    summary.inserted[name] = len(new)
    summary.updated[name] = len(changed)
    summary.unchanged[name] = unchanged


def _reason(source: str) -> str:
    """The audit reason of an import's changes: the import itself, naming what was imported."""
    return f"import of {source}" if source else "import"


def import_tables(
    conn: Connection,
    tables: Mapping[str, pd.DataFrame],
    *,
    actor: str = "import",
    source: str = "",
    stored: Mapping[str, pd.DataFrame] | None = None,
) -> ImportSummary:
    """Upsert already validated typed frames on an open transaction (``stored``: the registry's tables,
    when the caller has already loaded them in this transaction)."""
    summary = ImportSummary()
    for name in FILE_ORDER:
        _upsert_table(conn, name, tables[name], actor, source, summary, None if stored is None else stored[name])
    conn.execute(
        insert(AUDIT_TABLE),
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
                "reason": _reason(source),
            }
        ],
    )
    return summary


def import_folder(
    engine: Engine,
    folder: str | Path,
    *,
    actor: str = "import",
    limit: int = DEFAULT_PROBLEM_LIMIT,
    today: dt.date | None = None,
) -> ImportSummary:
    """Validate ``folder`` together with the registry and store it, all or nothing.

    Raises alscell.io.errors.ValidationError (nothing stored) when any row breaks a rule, and
    alscell.store.engine.RegistryBusy when another writer holds the registry for too long.
    """
    raw, problems = read_raw_folder(folder)
    if problems:
        raise ValidationError(problems)
    with write_transaction(engine) as conn:
        stored = load_tables(conn)
        typed, problems, total = validate_merged(raw, stored, limit=limit, today=today)
        if total:
            raise ValidationError(problems, total)
        tables = {n: complete_columns(n, typed[n]) for n in FILE_ORDER}
        return import_tables(conn, tables, actor=actor, source=str(Path(folder).resolve()), stored=stored)

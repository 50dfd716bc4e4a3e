"""The patient list's summary table (``store.summary``): built from the registry, kept in step with it.

``ensure_current`` rebuilds the whole table (one vectorised pass over patients, visits and deaths) when the
registry changed since it was built — the newest audit entry's id is the data version, and every import and
every web write adds one.  A web write updates its own patient's row in the same transaction
(``refresh_patient``) and moves the version on, so that clinical data entry never triggers a rebuild.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from alscell.domain.alsfrs import score_items
from alscell.domain.progression import delta_frs
from alscell.domain.staging import kings_stage
from alscell.domain.time import months_between
from alscell.io.columns import ALSFRS_ITEMS
from alscell.io.deidentify import pseudonym as keyed_pseudonym
from alscell.store.accounts import SETTINGS, pseudonym_key
from alscell.store.engine import write_transaction
from alscell.store.models import AUDIT_TABLE, SQL_TABLES
from alscell.store.summary import SUMMARY

VERSION_SETTING = "patient_summary_version"
CHUNK = 5000


def pseudonym(key: bytes, patient_id: str) -> str:
    """The researcher's id of a patient: the same keyed pseudonym as ``alscell export --deidentify``."""
    return keyed_pseudonym(key, "patient", patient_id, "P-")


def data_version(conn: Connection) -> int:
    return int(conn.execute(select(func.max(AUDIT_TABLE.c.id))).scalar_one() or 0)


def _stored_version(conn: Connection) -> int | None:
    value = conn.execute(select(SETTINGS.c.value).where(SETTINGS.c.name == VERSION_SETTING)).scalar_one_or_none()
    return None if value is None else int(value)


def _set_version(conn: Connection, version: int) -> None:
    if _stored_version(conn) is None:
        conn.execute(insert(SETTINGS).values(name=VERSION_SETTING, value=str(version)))
    else:
        conn.execute(update(SETTINGS).where(SETTINGS.c.name == VERSION_SETTING).values(value=str(version)))


def _frame(conn: Connection, stmt) -> pd.DataFrame:
    result = conn.execute(stmt)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _dates(s: pd.Series) -> np.ndarray:
    d = pd.to_datetime(s)
    return np.array([None if pd.isna(v) else v.date() for v in d], dtype=object)


def _floats(s: pd.Series) -> np.ndarray:
    v = pd.to_numeric(s).to_numpy(dtype=float, na_value=np.nan)
    return np.array([None if np.isnan(x) else float(x) for x in v], dtype=object)


def summarise(conn: Connection, key: bytes, patient_id: str | None = None) -> list[dict]:
    """Summary rows of every patient (or of one), computed from the stored registry."""
    P, A, E = SQL_TABLES["patients"], SQL_TABLES["alsfrs"], SQL_TABLES["events"]
    cols = [P.c.patient_id, P.c.site, P.c.sex, P.c.onset_site, P.c.onset_date]
    p_stmt, a_stmt = select(*cols), select(A.c.patient_id, A.c.date, *(A.c[q] for q in ALSFRS_ITEMS))
    e_stmt = select(E.c.patient_id).where(E.c.event == "death").distinct()
    if patient_id is not None:
        p_stmt, a_stmt = p_stmt.where(P.c.patient_id == patient_id), a_stmt.where(A.c.patient_id == patient_id)
        e_stmt = e_stmt.where(E.c.patient_id == patient_id)
    patients = _frame(conn, p_stmt)
    if patients.empty:
        return []
    visits = _frame(conn, a_stmt.order_by(A.c.patient_id, A.c.date))
    dead = set(_frame(conn, e_stmt)["patient_id"])
    visits["date"] = pd.to_datetime(visits["date"])
    for q in ALSFRS_ITEMS:
        visits[q] = pd.to_numeric(visits[q]).astype("float64")
    visits["total"] = score_items(visits)["total"].to_numpy(dtype=float) if len(visits) else np.array([])
    visits["kings"] = kings_stage(visits, visits["patient_id"].isin(dead).to_numpy()) if len(visits) else None
    by = visits.groupby("patient_id", sort=False)
    last = by.tail(1).set_index("patient_id")
    first = by.head(1).set_index("patient_id")
    out = patients.set_index("patient_id")
    onset = pd.to_datetime(out["onset_date"])
    out["n_visits"] = by.size().reindex(out.index).fillna(0).astype(int)
    out["last_visit"] = last["date"].reindex(out.index)
    out["last_total"] = last["total"].reindex(out.index)
    out["kings"] = last["kings"].reindex(out.index)
    first_date = first["date"].reindex(out.index)
    dfrs = delta_frs(first["total"].reindex(out.index).to_numpy(float), months_between(onset, first_date))
    out["delta_frs"] = np.round(np.asarray(dfrs, dtype=float), 3)
    is_dead = out.index.isin(list(dead))
    out.loc[is_dead & out["kings"].isna(), "kings"] = "5"
    ids = out.index.astype(str)
    table = pd.DataFrame(
        {
            "patient_id": ids,
            "pseudonym": [pseudonym(key, pid) for pid in ids],
            "site": out["site"].astype(object).where(out["site"].notna(), None).to_numpy(),
            "sex": out["sex"].to_numpy(),
            "onset_site": out["onset_site"].to_numpy(),
            "onset_date": onset.dt.date.to_numpy(),
            "n_visits": out["n_visits"].to_numpy(),
            "last_visit": _dates(out["last_visit"]),
            "last_total": _floats(out["last_total"]),
            "kings": out["kings"].astype(object).where(out["kings"].notna(), None).to_numpy(),
            "delta_frs": _floats(out["delta_frs"]),
        }
    )
    rows = table.to_dict("records")
    for r in rows:
        r["n_visits"] = int(r["n_visits"])
    return rows


def ensure_current(engine: Engine) -> None:
    """Rebuild the summary table when the registry changed since it was built (e.g. by an import)."""
    with engine.connect() as conn:
        if _stored_version(conn) == data_version(conn):
            return
    key = pseudonym_key(engine)
    with write_transaction(engine) as conn:
        version = data_version(conn)
        if _stored_version(conn) == version:
            return
        rows = summarise(conn, key)
        conn.execute(delete(SUMMARY))
        for start in range(0, len(rows), CHUNK):
            conn.execute(insert(SUMMARY), rows[start : start + CHUNK])
        _set_version(conn, version)


def refresh_patient(conn: Connection, key: bytes, patient_id: str, version_before: int) -> None:
    """After a web write (inside its transaction): update this patient's row, and move the version on only
    when the table was current before the write (else the next list rebuilds it)."""
    if _stored_version(conn) != version_before:
        return
    conn.execute(delete(SUMMARY).where(SUMMARY.c.patient_id == patient_id))
    rows = summarise(conn, key, patient_id)
    if rows:
        conn.execute(insert(SUMMARY), rows)
    _set_version(conn, data_version(conn))

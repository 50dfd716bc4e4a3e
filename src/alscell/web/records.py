"""Registry reads and writes for the web app, with access rules, the importer's validation and the audit trail.

Access (deny by default): a clinician sees the patients of their own site (an account without a site sees
the patients without one); a researcher sees every patient, de-identified (a stable keyed pseudonym instead
of the id, months since onset instead of dates); a patient sees only their own record; an admin sees no
patient data.  A record the user may not see answers "not found", so ids cannot be probed.

Writes run in ``write_transaction`` (the same write lock as imports), validate the new row *merged with the
stored registry* by ``alscell.io.validate.validate_merged`` (the importer's own rules) and add one audit
entry (who, server UTC time, table, record, old and new canonical values, "web: <reason>").  A visit edit
carries the fingerprint of the row as the form showed it; if the stored row changed since, nothing is
written and ``EditConflict`` carries both versions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, update

from alscell.domain.alsfrs import score_items
from alscell.io.columns import TABLES
from alscell.io.rawcsv import LINE_INDEX
from alscell.io.reader import complete_columns
from alscell.io.tables import Tables
from alscell.io.validate import validate_merged
from alscell.io.writer import format_table
from alscell.store.accounts import Principal, pseudonym_key
from alscell.store.engine import write_transaction
from alscell.store.frames import frame_to_records, load_tables
from alscell.store.models import AUDIT_TABLE, KEYS, SQL_TABLES
from alscell.web.security import NotFound

PAGE_SIZE = 50
FORM_LINE = 2  # the submitted row is line 2 of a one-row "file" (line 1 = header)


class FieldErrors(Exception):
    """The submitted values break rules; ``errors`` maps a field (or "" for the whole form) to sentences."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k or 'form'}: {' '.join(v)}" for k, v in errors.items()))


@dataclass
class EditConflict(Exception):
    """Someone else changed the row after this form was opened."""

    current: dict[str, str]
    yours: dict[str, str]


@dataclass
class PatientView:
    shown_id: str  # the id, or the pseudonym for a researcher
    patient_id: str
    row: dict[str, Any]
    visits: list[dict[str, Any]] = field(default_factory=list)
    treatments: list[dict[str, Any]] = field(default_factory=list)
    adverse_events: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)


def pseudonym(key: bytes, patient_id: str) -> str:
    return "R-" + hmac.new(key, patient_id.encode(), hashlib.sha256).hexdigest()[:12].upper()


def _site_clause(principal: Principal):
    site = SQL_TABLES["patients"].c.site
    return site.is_(None) if not principal.site else site == principal.site


def list_patients(
    engine: Engine, principal: Principal, *, q: str = "", site: str = "", page: int = 1
) -> tuple[list[dict], int]:
    """One page of the patients this user may see, and how many match in all."""
    P, A = SQL_TABLES["patients"], SQL_TABLES["alsfrs"]
    where = []
    if principal.role == "clinician":
        where.append(_site_clause(principal))
    elif principal.role != "researcher":
        raise NotFound()
    if q and principal.role == "clinician":
        where.append(P.c.patient_id.contains(q, autoescape=True))
    if site:
        where.append(P.c.site == site)
    n_visits = select(func.count()).where(A.c.patient_id == P.c.patient_id).scalar_subquery()
    stmt = select(P.c.patient_id, P.c.sex, P.c.onset_site, P.c.onset_date, P.c.site, n_visits.label("n_visits"))
    stmt = stmt.where(*where)
    page = max(page, 1)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(P).where(*where)).scalar_one()
        rows = [
            dict(r._mapping)
            for r in conn.execute(stmt.order_by(P.c.patient_id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
        ]
    if principal.role == "researcher":
        key = pseudonym_key(engine)
        for r in rows:
            r["shown_id"] = pseudonym(key, r.pop("patient_id"))
            r["onset_date"] = None
    else:
        for r in rows:
            r["shown_id"] = r["patient_id"]
    return rows, int(total)


def sites(engine: Engine, principal: Principal) -> list[str]:
    P = SQL_TABLES["patients"]
    if principal.role != "researcher":
        return [principal.site] if principal.site else []
    with engine.connect() as conn:
        return [s for (s,) in conn.execute(select(P.c.site).where(P.c.site.is_not(None)).distinct().order_by(P.c.site))]


def resolve_patient(engine: Engine, principal: Principal, shown_id: str) -> str:
    """The real patient id behind ``shown_id`` when this user may see that patient; else NotFound."""
    P = SQL_TABLES["patients"]
    with engine.connect() as conn:
        if principal.role == "researcher":
            key = pseudonym_key(engine)
            for (pid,) in conn.execute(select(P.c.patient_id)):
                if hmac.compare_digest(pseudonym(key, pid), shown_id):
                    return pid
            raise NotFound()
        if principal.role == "patient":
            if principal.patient_id is None or shown_id != principal.patient_id:
                raise NotFound()
            where = P.c.patient_id == shown_id
        elif principal.role == "clinician":
            where = and_(P.c.patient_id == shown_id, _site_clause(principal))
        else:
            raise NotFound()
        if conn.execute(select(P.c.patient_id).where(where)).first() is None:
            raise NotFound()
    return shown_id


def registry_tables(engine: Engine) -> Tables:
    with engine.connect() as conn:
        return Tables.from_frames(load_tables(conn))


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    return v.item() if hasattr(v, "item") else v


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict("records")]


def patient_view(engine: Engine, principal: Principal, tables: Tables, patient_id: str, shown_id: str) -> PatientView:
    """Everything the patient page shows, de-identified for a researcher."""
    deid = principal.role == "researcher"
    p = tables["patients"]
    row = _records(p[p["patient_id"] == patient_id])[0]
    onset = pd.Timestamp(row["onset_date"])
    visits = tables["alsfrs"][tables["alsfrs"]["patient_id"] == patient_id].sort_values("date")
    scores = score_items(visits)
    vrecs = _records(pd.concat([visits, scores], axis=1))
    for v in vrecs:
        v["months_since_onset"] = round((pd.Timestamp(v["date"]) - onset).days / 30.4375, 1)
        v["version"] = fingerprint(row_text("alsfrs", visits[visits["date"] == pd.Timestamp(v["date"])]))
    tr = _records(tables["treatments"][tables["treatments"]["patient_id"] == patient_id].sort_values("date"))
    aes = _records(
        tables["adverse_events"][tables["adverse_events"]["patient_id"] == patient_id].sort_values("onset_date")
    )
    for t in tr:
        t["months_since_onset"] = round((pd.Timestamp(t["date"]) - onset).days / 30.4375, 1)
    for a in aes:
        a["months_since_onset"] = round((pd.Timestamp(a["onset_date"]) - onset).days / 30.4375, 1)
    view = PatientView(shown_id, patient_id, row, vrecs, tr, aes)
    if deid:
        view.patient_id = ""
        view.row = {k: row[k] for k in ("sex", "onset_site", "el_escorial", "site")}
        for recs, cols in (
            (view.visits, ("date", "version")),
            (view.treatments, ("date", "treatment_id", "lot")),
            (view.adverse_events, ("onset_date", "resolved_date", "ae_id", "treatment_id")),
        ):
            for r in recs:
                for c in cols:
                    r.pop(c, None)
    elif principal.role == "clinician":
        view.audit = audit_entries(engine, patient_id)
    return view


def audit_entries(engine: Engine, patient_id: str) -> list[dict[str, Any]]:
    """The audit trail of one patient's record and visits, newest first."""
    A = AUDIT_TABLE
    with engine.connect() as conn:
        rows = conn.execute(
            select(A)
            .where(
                or_(
                    and_(A.c.table_name == "patients", A.c.row_key == patient_id),
                    and_(A.c.table_name == "alsfrs", A.c.row_key.startswith(patient_id + "\x1f", autoescape=True)),
                )
            )
            .order_by(A.c.id.desc())
        )
        out = []
        for r in rows:
            d = dict(r._mapping)
            d["row_key"] = d["row_key"].replace("\x1f", " ")
            before, after = d["before"] or {}, d["after"] or {}
            d["changes"] = [
                (c, before.get(c, ""), after.get(c, ""))
                for c in dict.fromkeys([*before, *after])
                if before.get(c, "") != after.get(c, "")
            ]
            out.append(d)
        return out


def row_text(name: str, frame: pd.DataFrame) -> dict[str, str]:
    """One typed row as its canonical text values ('' = missing)."""
    if not len(frame):
        return {}
    text = format_table(name, complete_columns(name, frame.reset_index(drop=True)))
    return {c: str(v) for c, v in text.iloc[0].items() if c in TABLES[name]}


def fingerprint(values: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:32]


def _stored_row(stored: dict[str, pd.DataFrame], name: str, key: dict[str, str]) -> pd.DataFrame:
    frame = stored[name]
    text = format_table(name, frame[list(KEYS[name])]) if len(frame) else frame
    mask = pd.Series(True, index=frame.index)
    for k, v in key.items():
        mask &= text[k].astype(str) == v
    return frame[mask.to_numpy()]


def _raise_problems(problems) -> None:
    errors: dict[str, list[str]] = {}
    for p in problems:
        column = p.column or ""
        if p.stored is not None:  # the new row makes a stored row break a rule (e.g. a visit after death)
            errors.setdefault(column, []).append(f"{p.rule} (stored record {p.stored})")
        else:
            errors.setdefault(column, []).append(p.rule)
    raise FieldErrors(errors)


def write_row(
    engine: Engine,
    name: str,
    values: dict[str, str],
    *,
    actor: str,
    reason: str,
    version: str | None = None,
) -> dict[str, str]:
    """Create (``version`` None) or update one row of table ``name`` from canonical text ``values``.

    Raises FieldErrors (nothing written) when the row breaks a rule of the importer, and EditConflict when
    the stored row no longer matches ``version``."""
    table = SQL_TABLES[name]
    keys = list(KEYS[name])
    raw = pd.DataFrame(
        {c: pd.Series([values.get(c, "").strip()], dtype=object) for c in TABLES[name]},
    )
    raw.index = pd.Index([FORM_LINE], name=LINE_INDEX)
    key = {k: str(raw[k].iat[0]) for k in keys}
    if version is not None and not reason.strip():
        raise FieldErrors({"reason": ["a reason is required for every change to a stored record"]})
    with write_transaction(engine) as conn:
        stored = load_tables(conn)
        typed, problems, total = validate_merged({name: raw}, stored)
        if total:
            _raise_problems(problems)
        new_frame = complete_columns(name, typed[name])
        after = row_text(name, new_frame)
        existing = _stored_row(stored, name, key)
        before = row_text(name, existing) if len(existing) else None
        if version is None and before is not None:
            what = "a visit on this date" if name == "alsfrs" else "a record with this id"
            raise FieldErrors({keys[-1]: [f"{what} already exists"]})
        if version is not None:
            if before is None or fingerprint(before) != version:
                raise EditConflict(before or {}, after)
        record = frame_to_records(name, new_frame)[0]
        if before is None:
            conn.execute(insert(table), [record])
        else:
            where = and_(*(table.c[k] == record[k] for k in keys))
            conn.execute(update(table).where(where).values({c: v for c, v in record.items() if c not in keys}))
        _audit(conn, actor, name, key, before, after, reason)
    return after


def _audit(
    conn: Connection, actor: str, name: str, key: dict[str, str], before: dict | None, after: dict, reason: str
) -> None:
    conn.execute(
        insert(AUDIT_TABLE).values(
            at=dt.datetime.now(dt.UTC),
            actor=actor,
            action="insert" if before is None else "update",
            table_name=name,
            row_key="\x1f".join(key[k] for k in KEYS[name]),
            before=None if before is None else {c: v for c, v in before.items() if v != ""},
            after={c: v for c, v in after.items() if v != ""},
            source=f"web: {reason.strip() or 'created'}",
        )
    )

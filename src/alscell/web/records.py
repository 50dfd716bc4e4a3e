"""Registry reads and writes for the web app, with access rules, the importer's validation and the audit trail.

Access (deny by default): a clinician sees the patients of their own site (an account without a site sees
the patients without one); a researcher sees every patient, de-identified (a stable keyed pseudonym instead
of the id and of a visit's rater, months since onset instead of dates); a patient sees only their own record;
an admin sees no patient data.  A record the user may not see answers "not found", so ids cannot be probed.

Writes run in ``write_transaction`` (the same write lock as imports), validate the new row *merged with the
stored registry* by ``alscell.io.validate.validate_merged`` (the importer's own rules) and add one audit
entry (who, server UTC time, table, record, old and new canonical values, "web: <reason>").  A visit edit
carries the fingerprint of the row as the form showed it; if the stored row changed since, nothing is
written and ``EditConflict`` carries both versions.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select, update

from alscell.domain.alsfrs import score_items
from alscell.domain.time import DAYS_PER_MONTH
from alscell.io.columns import ALSFRS_ITEMS, FILE_ORDER, TABLES, kind_of
from alscell.io.deidentify import rater_pseudonym
from alscell.io.rawcsv import LINE_INDEX
from alscell.io.reader import complete_columns
from alscell.io.tables import Tables
from alscell.io.validate import rule_tables, validate_merged
from alscell.io.writer import csv_safe, format_table
from alscell.store.accounts import Principal, pseudonym_key
from alscell.store.engine import write_transaction
from alscell.store.frames import EMPTY_AS_BLANK, frame_to_records, load_tables, read_frame, rows_to_frame, stored_rows
from alscell.store.locks import LOCKS
from alscell.store.models import AUDIT_TABLE, KEYS, SQL_TABLES
from alscell.store.summary import SUMMARY
from alscell.web import summary
from alscell.web.security import NotFound

PAGE_SIZE = 50
ENTRY_TABLES = ("patients", "treatments", "alsfrs", "measurements", "adverse_events", "events")
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
    measurements: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    locked: bool = False


def _site_clause(principal: Principal, column=None):
    site = SUMMARY.c.site if column is None else column
    return site.is_(None) if not principal.site else site == principal.site


def list_patients(
    engine: Engine,
    principal: Principal,
    *,
    q: str = "",
    site: str = "",
    kings: str = "",
    dfrs_min: float | None = None,
    dfrs_max: float | None = None,
    page: int = 1,
) -> tuple[list[dict], int]:
    """One page of the patients this user may see, and how many match in all.

    Filtering, counting and paging run in SQL on the summary table (``web.summary``), never on the whole
    registry in Python."""
    S = SUMMARY
    where = []
    if principal.role == "clinician":
        where.append(_site_clause(principal))
    elif principal.role != "researcher":
        raise NotFound()
    summary.ensure_current(engine)
    if q and principal.role == "clinician":
        where.append(S.c.patient_id.contains(q, autoescape=True))
    if site:
        where.append(S.c.site == site)
    if kings:
        where.append(S.c.kings == kings)
    if dfrs_min is not None:
        where.append(S.c.delta_frs >= dfrs_min)
    if dfrs_max is not None:
        where.append(S.c.delta_frs <= dfrs_max)
    researcher = principal.role == "researcher"
    order = S.c.pseudonym if researcher else S.c.patient_id
    cols = [S.c.patient_id, S.c.pseudonym, S.c.sex, S.c.onset_site, S.c.onset_date, S.c.site, S.c.n_visits]
    cols += [S.c.last_visit, S.c.last_total, S.c.kings, S.c.delta_frs]
    page = max(page, 1)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(S).where(*where)).scalar_one()
        stmt = select(*cols).where(*where).order_by(order).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for r in rows:
        if researcher:
            r["shown_id"] = r.pop("pseudonym")
            r.pop("patient_id")
            r["onset_date"] = r["last_visit"] = None
        else:
            r["shown_id"] = r["patient_id"]
            r.pop("pseudonym")
    return rows, int(total)


def sites(engine: Engine, principal: Principal) -> list[str]:
    S = SUMMARY
    if principal.role != "researcher":
        return [principal.site] if principal.site else []
    with engine.connect() as conn:
        return [s for (s,) in conn.execute(select(S.c.site).where(S.c.site.is_not(None)).distinct().order_by(S.c.site))]


def resolve_patient(engine: Engine, principal: Principal, shown_id: str) -> str:
    """The real patient id behind ``shown_id`` when this user may see that patient; else NotFound."""
    P, S = SQL_TABLES["patients"], SUMMARY
    with engine.connect() as conn:
        if principal.role == "researcher":
            summary.ensure_current(engine)
            pid = conn.execute(select(S.c.patient_id).where(S.c.pseudonym == shown_id)).scalar_one_or_none()
            if pid is None:
                raise NotFound()
            return str(pid)
        if principal.role == "patient":
            if principal.patient_id is None or shown_id != principal.patient_id:
                raise NotFound()
            where = P.c.patient_id == shown_id
        elif principal.role == "clinician":
            where = and_(P.c.patient_id == shown_id, _site_clause(principal, P.c.site))
        else:
            raise NotFound()
        if conn.execute(select(P.c.patient_id).where(where)).first() is None:
            raise NotFound()
    return shown_id


def patient_frames(
    conn: Connection,
    patient_id: str,
    *,
    treatment_ids: tuple[str, ...] = (),
    ae_ids: tuple[str, ...] = (),
    tables: Collection[str] = FILE_ORDER,
) -> dict[str, pd.DataFrame]:
    """The stored rows of one patient, plus the treatments / AEs with the given ids (whoever they belong to)
    and those rows' patients (``tables``: of those tables only).

    Every rule of the importer is about one patient's rows except the uniqueness of treatment and AE ids and
    an AE's reference to a treatment: with those rows added, validating a new row against this subset gives
    the same answer as against the whole registry (tests/web/test_entry.py checks both cases)."""
    T, AE = SQL_TABLES["treatments"], SQL_TABLES["adverse_events"]
    owners = {patient_id}
    extra: dict[str, Any] = {}
    if treatment_ids:
        extra["treatments"] = T.c.treatment_id.in_(treatment_ids)
        owners |= set(conn.execute(select(T.c.patient_id).where(T.c.treatment_id.in_(treatment_ids))).scalars())
    if ae_ids:
        extra["adverse_events"] = AE.c.ae_id.in_(ae_ids)
        owners |= set(conn.execute(select(AE.c.patient_id).where(AE.c.ae_id.in_(ae_ids))).scalars())
    frames = {}
    for name in (n for n in FILE_ORDER if n in tables):
        table = SQL_TABLES[name]
        where = table.c.patient_id.in_(sorted(owners)) if name == "patients" else table.c.patient_id == patient_id
        if name in extra:
            where = or_(where, extra[name])
        frames[name] = read_frame(conn, name, where)
    return frames


def patient_tables(engine: Engine, patient_id: str) -> Tables:
    """One patient's rows (the patient page never loads the registry)."""
    with engine.connect() as conn:
        return Tables.from_frames(patient_frames(conn, patient_id))


@dataclass(frozen=True)
class PatientRows:
    """One patient's stored rows as the database returns them (plain Python values, key order per table), read
    in one transaction together with the registry's data version (the newest audit entry's id).

    The patient page is built from these without typed frames (a frame per table costs milliseconds of
    pandas overhead, several times the SQL); ``frame`` gives the typed canonical frame (``rows_to_frame``,
    the loader's own conversion) where canonical text is needed, e.g. for edit fingerprints."""

    patient_id: str
    version: int
    columns: dict[str, tuple[str, ...]]
    rows: dict[str, tuple[tuple, ...]]
    read_at: float  # time.monotonic() when the read ended

    def frame(self, name: str) -> pd.DataFrame:
        return rows_to_frame(name, pd.DataFrame(list(self.rows[name]), columns=list(self.columns[name])))

    def fingerprint(self, names: tuple[str, ...]) -> int:
        """A digest of the rows of ``names`` (equal to :func:`rows_fingerprint` of the same rows read from
        the whole registry in key order), the same in every process."""
        return rows_fingerprint(names, [self.rows[n] for n in names])


def rows_fingerprint(names: tuple[str, ...], rows: list[tuple[tuple, ...]] | list[list[tuple]]) -> int:
    """A digest of the rows, the same in every process (Python's ``hash`` of text is salted per process,
    and the snapshot's digests are made in the fit worker's process: ``alscell.web.fit_worker``)."""
    text = repr(tuple((n, tuple(r)) for n, r in zip(names, rows, strict=True))).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big", signed=True)


def patient_rows(engine: Engine, patient_id: str, tables: Collection[str] | None = None) -> PatientRows:
    """The stored rows of one patient in every table (``tables``: only those, and the patient's row), in key
    order, and the data version they reflect."""
    columns: dict[str, tuple[str, ...]] = {}
    rows: dict[str, tuple[tuple, ...]] = {}
    wanted = FILE_ORDER if tables is None else [n for n in FILE_ORDER if n == "patients" or n in tables]
    with engine.connect() as conn:
        version = summary.data_version(conn)
        for name in wanted:
            result = conn.execute(stored_rows(name).where(SQL_TABLES[name].c.patient_id == patient_id))
            columns[name] = tuple(result.keys())
            rows[name] = tuple(tuple(r) for r in result.fetchall())
    return PatientRows(patient_id, version, columns, rows, time.monotonic())


def registry_tables(
    engine: Engine, *, without: tuple[str, ...] = (), measures: tuple[str, ...] | None = None
) -> Tables:
    """The whole registry (``without``: tables left empty, e.g. measurements for the natural-history fit;
    ``measures``: only the measurements of these keys, e.g. those an effect reads,
    :func:`alscell.analysis.decision_inputs.measures_read`)."""
    with engine.connect() as conn:
        return Tables.from_frames(load_tables(conn, without=without, measures=measures))


def site_tables(tables: Tables, site: str | None) -> Tables:
    """The rows of one site's patients (``""``: the patients without a site) — what a clinician's analyses,
    exports and dashboard cover."""
    mine = tables["patients"]["site"].fillna("") == (site or "")
    return tables.subset(tables["patients"]["patient_id"][mine.to_numpy()].tolist())


def user_tables(engine: Engine, user: Principal, *, measures: tuple[str, ...] | None = None) -> Tables:
    """The registry rows a user's analyses and exports cover: a clinician's site (:func:`site_tables`), else all
    (``measures``: only the measurements of these keys, :func:`registry_tables`)."""
    tables = registry_tables(engine, measures=measures)
    return site_tables(tables, user.site) if user.role == "clinician" else tables


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    return v.item() if hasattr(v, "item") else v


def encode_key(values: list[str]) -> str:
    """A record's key (the values after patient_id) as one URL-safe path segment."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_key(token: str) -> list[str]:
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotFound() from exc
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise NotFound()
    return values


def key_of(name: str, text: dict[str, str]) -> dict[str, str]:
    return {k: text.get(k, "") for k in KEYS[name]}


def row_key_text(name: str, key: dict[str, str]) -> str:
    """The audit trail's / lock table's record key: the key values joined by the unit separator."""
    return "\x1f".join(key[k] for k in KEYS[name])


def url_key(name: str, key: dict[str, str]) -> str:
    return encode_key([key[k] for k in KEYS[name] if k != "patient_id"])


def key_from_url(name: str, patient_id: str, token: str) -> dict[str, str]:
    values = decode_key(token)
    names = [k for k in KEYS[name] if k != "patient_id"]
    if len(values) != len(names):
        raise NotFound()
    key = dict(zip(names, values, strict=True))
    if "patient_id" in KEYS[name]:
        key["patient_id"] = patient_id
    return {k: key[k] for k in KEYS[name]}


def _plain_records(prow: PatientRows, name: str) -> list[dict[str, Any]]:
    """The rows of ``name`` as the typed frame's values would be (``_records`` of ``rows_to_frame``): JSON
    ``extra`` spread into its ``x_`` columns, a measurement's blank qualifiers and unit missing."""
    cols = prow.columns[name]
    out = [dict(zip(cols, r, strict=True)) for r in prow.rows[name]]
    extras = []
    for rec in out:
        ex = rec.pop("extra", None)
        ex = json.loads(ex) if isinstance(ex, str) else ex
        extras.append(ex or {})
    x_cols = sorted({k for ex in extras for k in ex})
    for rec, ex in zip(out, extras, strict=True):
        if name == "measurements":
            for c in EMPTY_AS_BLANK:
                if rec.get(c) == "":
                    rec[c] = None
        for c in x_cols:
            v = ex.get(c)
            rec[c] = None if v is None or v != v else v
    return out


def _decorate(prow: PatientRows, name: str, locked: set[str], versions: bool) -> list[dict[str, Any]]:
    """The rows of ``name`` with their URL key, lock state and (``versions``) edit fingerprint, key order."""
    recs = _plain_records(prow, name)
    if not recs:
        return recs
    keys = list(KEYS[name])
    dates = [k for k in keys if kind_of(k) == "date"]
    for rec in recs:
        key = {k: "" if rec[k] is None else str(rec[k]) for k in keys}
        for k in dates:  # format_table's text of a date (tests/web/test_chart.py compares the keys with it)
            key[k] = rec[k].strftime("%Y-%m-%d") if rec[k] is not None else ""
        rec["url_key"] = url_key(name, key)
        rec["locked"] = row_key_text(name, key) in locked
    if versions:  # the canonical text of the typed row, as write_row and delete_row compare it
        frame = prow.frame(name)
        text = format_table(name, complete_columns(name, frame.reset_index(drop=True)))
        names = [c for c in text.columns if c in TABLES[name]]
        for rec, trow in zip(recs, text[names].itertuples(index=False, name=None), strict=True):
            rec["version"] = fingerprint(dict(zip(names, (str(v) for v in trow), strict=True)))
    return recs


def _by_date(recs: list[dict[str, Any]], col: str) -> list[dict[str, Any]]:
    return sorted(recs, key=lambda r: (r[col] is None, r[col] or dt.date.min))  # stable: key order within a day


def patient_view(
    engine: Engine,
    principal: Principal,
    prow: PatientRows,
    shown_id: str,
    *,
    versions: bool | Collection[str] = True,
    only: Collection[str] | None = None,
    audit: bool = True,
) -> PatientView:
    """Everything the patient page shows, de-identified for a researcher (``versions``: also the edit
    fingerprint of each row — of every table, or of the tables named — which the edit forms and the API
    need and the page does not; ``only``: the record tables to build, the others left empty — an API
    answer needs one or two; ``audit``: the clinician's audit entries)."""
    wanted = set(ENTRY_TABLES) if versions is True else set(versions or ())
    built = set(ENTRY_TABLES) if only is None else set(only)
    patient_id = prow.patient_id
    deid = principal.role == "researcher"
    row = _plain_records(prow, "patients")[0]
    onset = row["onset_date"]
    locks: dict[str, set[str]] = {n: set() for n in ENTRY_TABLES}
    with engine.connect() as conn:
        for name, key in conn.execute(
            select(LOCKS.c.table_name, LOCKS.c.row_key).where(LOCKS.c.table_name.in_(ENTRY_TABLES))
        ):
            locks[name].add(key)
    vrecs = (
        _by_date(_decorate(prow, "alsfrs", locks["alsfrs"], "alsfrs" in wanted), "date") if "alsfrs" in built else []
    )
    if vrecs:
        items = pd.DataFrame({q: [v[q] for v in vrecs] for q in ALSFRS_ITEMS}, dtype="float64")
        for v, sc in zip(vrecs, score_items(items).to_dict("records"), strict=True):
            v.update({k: _plain(x) for k, x in sc.items()})

    def mine(name: str, by: str) -> list[dict[str, Any]]:
        return _by_date(_decorate(prow, name, locks[name], name in wanted), by) if name in built else []

    tr, aes = mine("treatments", "date"), mine("adverse_events", "onset_date")
    ms, evs = mine("measurements", "date"), mine("events", "date")
    for recs, col in ((vrecs, "date"), (tr, "date"), (aes, "onset_date"), (ms, "date"), (evs, "date")):
        for r in recs:
            r["months_since_onset"] = round((r[col] - onset).days / DAYS_PER_MONTH, 1)
    view = PatientView(shown_id, patient_id, row, vrecs, tr, aes, ms, evs)
    view.locked = row_key_text("patients", {"patient_id": patient_id}) in locks["patients"]
    if deid:
        view.patient_id = ""
        view.row = {k: row[k] for k in ("sex", "onset_site", "el_escorial", "site")}
        for recs, cols in (
            (view.visits, ("date",)),
            (view.treatments, ("date", "treatment_id", "lot")),
            (view.adverse_events, ("onset_date", "resolved_date", "ae_id", "treatment_id")),
            (view.measurements, ("date",)),
            (view.events, ("date",)),
        ):
            for r in recs:
                for c in (*cols, "version", "url_key"):
                    r.pop(c, None)
        # The rater as in a de-identified export (io.deidentify): the keyed R-… pseudonym, not the clinic's own.
        if any(isinstance(r.get("rater"), str) for r in view.visits):
            key = pseudonym_key(engine)
            for r in view.visits:
                if isinstance(r.get("rater"), str):
                    r["rater"] = rater_pseudonym(key, r["rater"])
    elif principal.role == "patient":  # who rated a visit is the clinic's staff record: not on the page, nor here
        for r in view.visits:
            r.pop("rater", None)
    elif principal.role == "clinician" and audit:
        view.audit = audit_entries(engine, patient_id)
    return view


def _changes(before: dict | None, after: dict | None) -> list[tuple[str, str, str]]:
    before, after = before or {}, after or {}
    return [
        (c, str(before.get(c, "")), str(after.get(c, "")))
        for c in dict.fromkeys([*before, *after])
        if before.get(c, "") != after.get(c, "")
    ]


def _audit_rows(engine: Engine, where) -> list[dict[str, Any]]:
    A = AUDIT_TABLE
    with engine.connect() as conn:
        rows = conn.execute(select(A).where(where).order_by(A.c.id.desc()))
        out = []
        for r in rows:
            d = dict(r._mapping)
            d["record"] = d["row_key"].replace("\x1f", " ")
            d["changes"] = _changes(d["before"], d["after"])
            out.append(d)
        return out


def audit_entries(engine: Engine, patient_id: str) -> list[dict[str, Any]]:
    """The audit trail of one patient's record and every row of theirs (also deleted ones), newest first."""
    A = AUDIT_TABLE
    prefix = A.c.row_key.startswith(patient_id + "\x1f", autoescape=True)
    by_id = or_(A.c.before["patient_id"].as_string() == patient_id, A.c.after["patient_id"].as_string() == patient_id)
    return _audit_rows(
        engine,
        or_(
            and_(A.c.table_name == "patients", A.c.row_key == patient_id),
            and_(A.c.table_name.in_(("alsfrs", "measurements", "events")), prefix),
            and_(A.c.table_name.in_(("treatments", "adverse_events")), by_id),
            and_(A.c.table_name == LOCKS.name, or_(A.c.row_key == "patients\x1f" + patient_id, by_id)),
        ),
    )


def record_audit(engine: Engine, name: str, key: dict[str, str]) -> list[dict[str, Any]]:
    """The audit trail of one record (its creation, every change, signature, unlock and deletion)."""
    A = AUDIT_TABLE
    rk = row_key_text(name, key)
    return _audit_rows(
        engine,
        or_(
            and_(A.c.table_name == name, A.c.row_key == rk),
            and_(A.c.table_name == LOCKS.name, A.c.row_key == name + "\x1f" + rk),
        ),
    )


AUDIT_CSV_COLUMNS = ("id", "at_utc", "actor", "action", "table", "record", "field", "old", "new", "reason", "source")


def audit_csv(entries: list[dict[str, Any]]) -> str:
    """The entries as CSV, one line per changed field (formula-like cells neutralised: io.writer.csv_safe)."""
    lines = []
    for e in sorted(entries, key=lambda e: e["id"]):
        at = e["at"] if e["at"].tzinfo else e["at"].replace(tzinfo=dt.UTC)
        base = {
            "id": str(e["id"]),
            "at_utc": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "actor": e["actor"],
            "action": e["action"],
            "table": e["table_name"],
            "record": e["record"],
            "reason": e.get("reason") or "",
            "source": e.get("source") or "",
        }
        for c, old, new in e["changes"] or [("", "", "")]:
            lines.append(base | {"field": c, "old": old, "new": new})
    frame = pd.DataFrame(lines, columns=list(AUDIT_CSV_COLUMNS), dtype=object).fillna("")
    return csv_safe(frame).to_csv(index=False, lineterminator="\r\n")


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


def _scope(conn: Connection, name: str, values: dict[str, str]) -> dict[str, pd.DataFrame]:
    t_ids = tuple(v for v in [values.get("treatment_id", "").strip()] if v)
    a_ids = tuple(v for v in [values.get("ae_id", "").strip()] if v)
    # Only the tables the rules for a row of ``name`` read (a visit: the patient, the events and the visits).
    patient_id = values.get("patient_id", "").strip()
    return patient_frames(conn, patient_id, treatment_ids=t_ids, ae_ids=a_ids, tables=rule_tables(name))


def _is_locked(conn: Connection, name: str, key: dict[str, str]) -> bool:
    rk = row_key_text(name, key)
    return (
        conn.execute(select(LOCKS.c.row_key).where(LOCKS.c.table_name == name, LOCKS.c.row_key == rk)).first()
        is not None
    )


LOCKED_MESSAGE = "this record is signed and locked: an admin must unlock it (with a reason) before it can change"


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
    pkey = pseudonym_key(engine)
    with write_transaction(engine) as conn:
        version_before = summary.data_version(conn)
        stored = _scope(conn, name, values)
        typed, problems, total = validate_merged({name: raw}, stored)
        if total:
            _raise_problems(problems)
        new_frame = complete_columns(name, typed[name])
        after = row_text(name, new_frame)
        key = key_of(name, after) if after else key
        existing = _stored_row(stored, name, key)
        before = row_text(name, existing) if len(existing) else None
        if version is None and before is not None:
            what = "a visit on this date" if name == "alsfrs" else "a record with this key"
            raise FieldErrors({keys[-1]: [f"{what} already exists"]})
        if version is not None:
            if before is None or fingerprint(before) != version:
                raise EditConflict(before or {}, after)
            if _is_locked(conn, name, key):
                raise FieldErrors({"": [LOCKED_MESSAGE]})
            if before == after:
                return after
        record = frame_to_records(name, new_frame)[0]
        if before is None:
            conn.execute(insert(table), [record])
        else:
            where = and_(*(table.c[k] == record[k] for k in keys))
            conn.execute(update(table).where(where).values({c: v for c, v in record.items() if c not in keys}))
        _audit(conn, actor, name, key, before, after, reason or "created")
        summary.refresh_patient(conn, pkey, after["patient_id"], version_before)
    return after


def delete_row(
    engine: Engine, name: str, key: dict[str, str], *, actor: str, reason: str, version: str, patient_id: str
) -> None:
    """Delete one stored row (not a patient) with a reason; EditConflict when it changed since it was shown.

    An administration that an adverse event is attributed to cannot be deleted (the attribution would be
    lost silently): the error says so."""
    if name == "patients" or name not in SQL_TABLES:
        raise NotFound()
    if not reason.strip():
        raise FieldErrors({"reason": ["a reason is required to delete a stored record"]})
    table = SQL_TABLES[name]
    pkey = pseudonym_key(engine)
    with write_transaction(engine) as conn:
        version_before = summary.data_version(conn)
        stored = patient_frames(conn, patient_id)
        existing = _stored_row(stored, name, key)
        if not len(existing):
            raise NotFound()
        before = row_text(name, existing)
        if fingerprint(before) != version:
            raise EditConflict(before, {})
        if _is_locked(conn, name, key):
            raise FieldErrors({"": [LOCKED_MESSAGE]})
        if name == "treatments":
            AE = SQL_TABLES["adverse_events"]
            used = conn.execute(select(AE.c.ae_id).where(AE.c.treatment_id == key["treatment_id"])).scalars().all()
            if used:
                raise FieldErrors({"": [f"adverse events {', '.join(used)} are attributed to this administration"]})
        conn.execute(delete(table).where(and_(*(table.c[k] == v for k, v in _typed_key(name, existing).items()))))
        _audit(conn, actor, name, key, before, None, reason)
        summary.refresh_patient(conn, pkey, patient_id, version_before)


def _typed_key(name: str, row: pd.DataFrame) -> dict[str, Any]:
    record = frame_to_records(name, complete_columns(name, row.reset_index(drop=True)))[0]
    return {k: record[k] for k in KEYS[name]}


def _audit(
    conn: Connection,
    actor: str,
    name: str,
    key: dict[str, str],
    before: dict | None,
    after: dict | None,
    reason: str,
) -> None:
    conn.execute(
        insert(AUDIT_TABLE).values(
            at=dt.datetime.now(dt.UTC),
            actor=actor,
            action="insert" if before is None else ("delete" if after is None else "update"),
            table_name=name,
            row_key=row_key_text(name, key),
            before=None if before is None else {c: v for c, v in before.items() if v != ""},
            after=None if after is None else {c: v for c, v in after.items() if v != ""},
            source="web",
            reason=reason.strip(),
        )
    )

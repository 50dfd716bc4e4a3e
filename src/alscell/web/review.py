"""Sign and lock a reviewed record; an admin unlocks it with a reason (21 CFR 11.50, 11.70; docs/web.md).

Signing needs the signer's password again (11.200(a)(1): an electronic signature executed by a component
that only its owner knows).  The signature shows who signed, when (server UTC) and its meaning, and is
recorded in the audit trail; while it stands, ``records.write_row`` / ``delete_row`` refuse to change the
record.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, delete, insert, select

from alscell.store.accounts import Principal, verify_password
from alscell.store.engine import write_transaction
from alscell.store.locks import LOCKS, SIGNATURE_MEANING
from alscell.store.models import AUDIT_TABLE, SQL_TABLES
from alscell.web.records import FieldErrors, NotFound, _stored_row, patient_frames, row_key_text


def _audit(conn, actor: str, action: str, name: str, rk: str, before, after, reason: str) -> None:
    conn.execute(
        insert(AUDIT_TABLE).values(
            at=dt.datetime.now(dt.UTC),
            actor=actor,
            action=action,
            table_name=LOCKS.name,
            row_key=f"{name}\x1f{rk}",
            before=before,
            after=after,
            source="web",
            reason=reason,
        )
    )


def sign(
    engine: Engine, principal: Principal, name: str, key: dict[str, str], patient_id: str, password: str, client: str
) -> None:
    """Sign and lock one stored record of ``patient_id`` after checking ``principal``'s password again."""
    if name not in SQL_TABLES:
        raise NotFound()
    if not verify_password(engine, principal.user_id, password, client):
        raise FieldErrors({"password": ["wrong password (or too many failed attempts): the record was not signed"]})
    rk = row_key_text(name, key)
    with write_transaction(engine) as conn:
        if not len(_stored_row(patient_frames(conn, patient_id), name, key)):
            raise NotFound()
        found = conn.execute(select(LOCKS).where(LOCKS.c.table_name == name, LOCKS.c.row_key == rk)).first()
        if found is not None:
            raise FieldErrors({"": [f"already signed by {found.signed_by}"]})
        now = dt.datetime.now(dt.UTC)
        conn.execute(
            insert(LOCKS).values(
                table_name=name, row_key=rk, signed_by=principal.username, signed_at=now, meaning=SIGNATURE_MEANING
            )
        )
        after = {"signed_by": principal.username, "meaning": SIGNATURE_MEANING, "patient_id": patient_id}
        _audit(conn, principal.username, "sign", name, rk, None, after, SIGNATURE_MEANING)


def list_locks(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(LOCKS).order_by(LOCKS.c.signed_at.desc()))
        return [dict(r._mapping) | {"record": r.row_key.replace("\x1f", " ")} for r in rows]


def unlock(engine: Engine, admin: Principal, name: str, rk: str, reason: str) -> None:
    """Remove a signature lock (admins only, reason required; the signature stays in the audit trail)."""
    if not reason.strip():
        raise FieldErrors({"reason": ["a reason is required to unlock a signed record"]})
    with write_transaction(engine) as conn:
        found = conn.execute(select(LOCKS).where(LOCKS.c.table_name == name, LOCKS.c.row_key == rk)).first()
        if found is None:
            raise NotFound()
        conn.execute(delete(LOCKS).where(LOCKS.c.table_name == name, LOCKS.c.row_key == rk))
        before = {"signed_by": found.signed_by, "signed_at": found.signed_at.isoformat(), "meaning": found.meaning}
        patient = rk if name == "patients" else None
        if name in ("alsfrs", "measurements", "events"):
            patient = rk.split("\x1f", 1)[0]
        elif name in ("treatments", "adverse_events"):  # keyed by their own id: look the patient up
            table = SQL_TABLES[name]
            id_column = table.c.treatment_id if name == "treatments" else table.c.ae_id
            patient = conn.execute(select(table.c.patient_id).where(id_column == rk)).scalar_one_or_none()
        after = {"patient_id": patient} if patient else None
        _audit(conn, admin.username, "unlock", name, rk, before, after, reason.strip())

"""Data entry of administrations, measurements, AEs and events; audit trail, sign and lock; role matrix."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from sqlalchemy import select, text
from web_helpers import PASSWORD, csrf_of, snapshot

from alscell.io.columns import TABLES
from alscell.io.rawcsv import LINE_INDEX
from alscell.io.validate import validate_merged
from alscell.store.engine import open_database
from alscell.store.frames import load_tables
from alscell.store.locks import LOCKS
from alscell.store.models import AUDIT_TABLE, SQL_TABLES
from alscell.web import records, summary

IM = {
    "treatment_id": "T-001-3",
    "date": "2023-05-20",
    "cycle": "3",
    "cell_source": "adipose",
    "donor": "autologous",
    "route": "intramuscular",
    "dose_cells": "5e7",
    "product": "",
    "lot": "L-77",
    "viability_pct": "92.5",
    "passage": "3",
}


def _form(client, extra=None, **values):
    """Form data (a dict; list values are repeated fields)."""
    return {"csrf_token": csrf_of(client), **values, **(extra or {})}


def _rows(engine, name, **where):
    t = SQL_TABLES[name]
    with engine.connect() as conn:
        return conn.execute(select(t).where(*(t.c[k] == v for k, v in where.items()))).all()


def _last_audit(engine):
    with engine.connect() as conn:
        return conn.execute(select(AUDIT_TABLE).order_by(AUDIT_TABLE.c.id.desc())).first()


def test_intramuscular_administration_into_two_muscles(web_app, as_user):
    doc, engine = as_user("doc"), web_app.state.engine
    page = doc.get("/patients/ALS-001/records/treatments/new")
    assert page.status_code == 200 and 'name="target_muscles" value="deltoid"' in page.text
    before = snapshot(engine)
    r = doc.post("/patients/ALS-001/records/treatments", data=_form(doc, **IM), follow_redirects=False)
    assert r.status_code == 422  # intramuscular without a muscle: the importer's rule, next to the field
    assert re.search(r'data-field="target_muscles">[^<]*intramuscular', r.text), r.text
    assert snapshot(engine) == before
    muscles = {"target_muscles": ["deltoid", "tibialis_anterior"]}
    r = doc.post("/patients/ALS-001/records/treatments", data=_form(doc, muscles, **IM), follow_redirects=False)
    assert r.status_code == 303, r.text
    (row,) = _rows(engine, "treatments", treatment_id="T-001-3")
    assert row.target_muscles == "deltoid;tibialis_anterior" and row.lot == "L-77" and row.viability_pct == 92.5
    entry = _last_audit(engine)
    assert (entry.actor, entry.action, entry.table_name, entry.reason) == ("doc", "insert", "treatments", "created")
    assert entry.after["target_muscles"] == "deltoid;tibialis_anterior"
    assert "deltoid, tibialis_anterior" in doc.get("/patients/ALS-001").text


def test_measurement_needs_its_qualifiers_and_gets_its_unit(web_app, as_user):
    doc, engine = as_user("doc"), web_app.state.engine
    before = snapshot(engine)
    hhd = {"date": "2023-06-15", "measure": "hhd_kg", "value": "12.5", "side": "left"}
    r = doc.post("/patients/ALS-001/records/measurements", data=_form(doc, **hhd), follow_redirects=False)
    assert r.status_code == 422 and 'data-field="muscle"' in r.text
    assert snapshot(engine) == before
    r = doc.post(
        "/patients/ALS-001/records/measurements", data=_form(doc, **hhd, muscle="deltoid"), follow_redirects=False
    )
    assert r.status_code == 303, r.text
    (row,) = _rows(engine, "measurements", patient_id="ALS-001", measure="hhd_kg")
    assert (row.unit, row.side, row.muscle, row.value) == ("kg", "left", "deltoid", 12.5)
    nfl = {"date": "2023-06-15", "measure": "nfl", "value": "55"}
    r = doc.post("/patients/ALS-001/records/measurements", data=_form(doc, **nfl), follow_redirects=False)
    assert r.status_code == 422 and 'data-field="specimen"' in r.text


def _full_registry_verdict(engine, name, values):
    """The importer's answer against the whole registry (for comparison with the web's patient scope)."""
    raw = pd.DataFrame({c: pd.Series([values.get(c, "")], dtype=object) for c in TABLES[name]})
    raw.index = pd.Index([2], name=LINE_INDEX)
    with engine.connect() as conn:
        _, problems, total = validate_merged({name: raw}, load_tables(conn))
    return sorted({p.code for p in problems}), total


@pytest.mark.parametrize(
    "values",
    [
        # attributed to another patient's administration
        {"ae_id": "AE-9", "onset_date": "2023-05-01", "term": "fever", "grade": "1", "serious": "false",
         "treatment_id": "T-002-1", "relatedness": "possible"},
        # before the administration it is attributed to
        {"ae_id": "AE-10", "onset_date": "2023-01-01", "term": "fever", "grade": "2", "serious": "false",
         "treatment_id": "T-001-1", "relatedness": "possible"},
        {"ae_id": "AE-11", "onset_date": "2023-05-01", "term": "fever", "grade": "7", "serious": "maybe"},
    ],
)  # fmt: skip
def test_adverse_event_rules_match_the_whole_registry(web_app, as_user, values):
    doc, engine = as_user("doc"), web_app.state.engine
    codes, total = _full_registry_verdict(engine, "adverse_events", values | {"patient_id": "ALS-001"})
    assert total > 0, "each case breaks a rule of the importer"
    before = snapshot(engine)
    r = doc.post("/patients/ALS-001/records/adverse_events", data=_form(doc, **values), follow_redirects=False)
    assert r.status_code == 422 and "Nothing was saved" in r.text
    assert snapshot(engine) == before
    with pytest.raises(records.FieldErrors) as exc:
        records.write_row(engine, "adverse_events", values | {"patient_id": "ALS-001"}, actor="t", reason="created")
    assert sum(len(v) for v in exc.value.errors.values()) == total, (codes, exc.value.errors)


def test_an_id_of_another_patient_is_not_taken_over(web_app, as_user):
    """For the importer a row with a stored AE id is an update of that AE; entering a new AE must not move
    another patient's AE (the patient scope includes the rows with the same id)."""
    doc, engine = as_user("doc"), web_app.state.engine
    before = snapshot(engine)
    values = {"ae_id": "AE-3", "onset_date": "2023-05-01", "term": "fever", "grade": "1", "serious": "false"}
    r = doc.post("/patients/ALS-001/records/adverse_events", data=_form(doc, **values), follow_redirects=False)
    assert r.status_code == 422 and "already exists" in r.text
    assert snapshot(engine) == before


def test_event_after_death_is_refused_and_valid_event_saved(web_app, as_user):
    doc, engine = as_user("doc"), web_app.state.engine
    before = snapshot(engine)
    r = doc.post(
        "/patients/ALS-002/records/events",
        data=_form(doc, date="2023-09-01", event="niv_start"),
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert snapshot(engine) == before
    r = doc.post(
        "/patients/ALS-001/records/events",
        data=_form(doc, date="2023-06-01", event="gastrostomy"),
        follow_redirects=False,
    )
    assert r.status_code == 303


def _record_url(doc, pid, table, **match):
    rows = doc.get(f"/api/v1/patients/{pid}/records/{table}").json()["records"]
    row = next(r for r in rows if all(str(r[k]) == v for k, v in match.items()))
    return f"/patients/{pid}/records/{table}/{row['key']}", row


def test_edit_and_delete_need_a_reason_and_are_audited(web_app, as_user):
    doc, engine = as_user("doc"), web_app.state.engine
    url, row = _record_url(doc, "ALS-001", "adverse_events", ae_id="AE-1")
    edit = doc.get(url + "/edit")
    assert edit.status_code == 200 and 'name="version"' in edit.text
    values = {"onset_date": "2023-02-02", "resolved_date": "2023-02-05", "term": "headache", "grade": "2"}
    values |= {"serious": "false", "treatment_id": "T-001-1", "relatedness": "probable", "version": row["version"]}
    before = snapshot(engine)
    r = doc.post(url, data=_form(doc, **values, reason=""), follow_redirects=False)
    assert r.status_code == 422 and 'data-field="reason"' in r.text
    assert snapshot(engine) == before
    r = doc.post(url, data=_form(doc, **values, reason="grade corrected after review"), follow_redirects=False)
    assert r.status_code == 303, r.text
    entry = _last_audit(engine)
    assert entry.action == "update" and entry.reason == "grade corrected after review"
    assert (entry.before["grade"], entry.after["grade"]) == ("1", "2")
    page = doc.get(url)
    assert "grade: 1 → 2" in page.text and "grade corrected after review" in page.text
    # the same stale version again: a conflict showing both values, nothing written
    before = snapshot(engine)
    r = doc.post(url, data=_form(doc, **(values | {"grade": "3"}), reason="again"), follow_redirects=False)
    assert r.status_code == 409 and 'id="conflict"' in r.text
    assert snapshot(engine) == before
    # delete: reason required; the row goes, the audit keeps what it was
    _, row = _record_url(doc, "ALS-001", "adverse_events", ae_id="AE-1")
    r = doc.post(url + "/delete", data=_form(doc, version=row["version"], reason=""), follow_redirects=False)
    assert r.status_code == 422 and _rows(engine, "adverse_events", ae_id="AE-1")
    r = doc.post(
        url + "/delete", data=_form(doc, version=row["version"], reason="entered twice"), follow_redirects=False
    )
    assert r.status_code == 303 and not _rows(engine, "adverse_events", ae_id="AE-1")
    entry = _last_audit(engine)
    assert entry.action == "delete" and entry.before["ae_id"] == "AE-1" and entry.after is None
    csv = doc.get("/patients/ALS-001/audit.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "entered twice" in csv.text and "grade,1,2" in csv.text


def test_administration_with_attributed_ae_cannot_be_deleted(web_app, as_user):
    doc, engine = as_user("doc"), web_app.state.engine
    url, row = _record_url(doc, "ALS-001", "treatments", treatment_id="T-001-1")
    before = snapshot(engine)
    r = doc.post(url + "/delete", data=_form(doc, version=row["version"], reason="wrong"), follow_redirects=False)
    assert r.status_code == 422 and "AE-1" in r.text
    assert snapshot(engine) == before


def test_audit_csv_is_formula_safe(web_app, as_user):
    doc = as_user("doc")
    url, row = _record_url(doc, "ALS-001", "adverse_events", ae_id="AE-2")
    values = {"onset_date": "2023-04-02", "resolved_date": "2023-04-03", "term": "back_pain", "grade": "3"}
    values |= {"serious": "false", "treatment_id": "T-001-2", "relatedness": "possible", "version": row["version"]}
    evil = "=cmd|' /C calc'!A0"
    assert doc.post(url, data=_form(doc, **values, reason=evil), follow_redirects=False).status_code == 303
    text_ = doc.get(url + "/audit.csv").text
    assert "'=cmd" in text_ and ",=cmd" not in text_


def test_sign_lock_and_admin_unlock(web_app, as_user):
    doc, admin, engine = as_user("doc"), as_user("admin1"), web_app.state.engine
    url, row = _record_url(doc, "ALS-001", "adverse_events", ae_id="AE-2")
    before = snapshot(engine)
    r = doc.post(url + "/sign", data=_form(doc, password="not my password"), follow_redirects=False)
    assert r.status_code == 422 and 'data-field="password"' in r.text
    assert snapshot(engine)["record_locks"] == before["record_locks"] == []
    assert doc.post(url + "/sign", data=_form(doc, password=PASSWORD), follow_redirects=False).status_code == 303
    with engine.connect() as conn:
        (lock,) = conn.execute(select(LOCKS)).all()
    assert lock.signed_by == "doc" and lock.meaning == "reviewed and approved"
    assert "Signed and locked" in doc.get(url).text
    values = {"onset_date": "2023-04-02", "term": "back_pain", "grade": "3", "serious": "false"}
    locked = snapshot(engine)
    r = doc.post(url, data=_form(doc, **values, version=row["version"], reason="x"), follow_redirects=False)
    assert r.status_code == 422 and "locked" in r.text
    r = doc.post(url + "/delete", data=_form(doc, version=row["version"], reason="x"), follow_redirects=False)
    assert r.status_code == 422
    assert snapshot(engine) == locked
    # only an admin unlocks, and only with a reason
    assert doc.get("/admin/locks").status_code == 403
    page = admin.get("/admin/locks")
    key = re.search(r'name="key" value="([^"]+)"', page.text).group(1)
    form = {"table_name": "adverse_events", "key": key}
    assert admin.post("/admin/locks/unlock", data=_form(admin, **form, reason=" ")).status_code == 422
    assert snapshot(engine) == locked
    r = admin.post("/admin/locks/unlock", data=_form(admin, **form, reason="late lab result"), follow_redirects=False)
    assert r.status_code == 303
    r = doc.post(url, data=_form(doc, **values, version=row["version"], reason="lab result"), follow_redirects=False)
    assert r.status_code == 303
    actions = [(e["action"], e["reason"]) for e in records.record_audit(engine, "adverse_events", {"ae_id": "AE-2"})]
    assert actions[:3] == [("update", "lab result"), ("unlock", "late lab result"), ("sign", "reviewed and approved")]
    on_patient_page = [(e["action"], e["reason"]) for e in records.audit_entries(engine, "ALS-001")]
    assert ("unlock", "late lab result") in on_patient_page and ("sign", "reviewed and approved") in on_patient_page


def test_audit_log_is_append_only(db_url):
    engine = open_database(db_url)
    with engine.begin() as conn:
        conn.execute(
            AUDIT_TABLE.insert().values(
                at=pd.Timestamp.now(tz="UTC").to_pydatetime(), actor="t", action="insert", table_name="x", row_key="1"
            )
        )
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(select(AUDIT_TABLE.c.actor)).scalars().all() == ["t"]
    engine.dispose()


# Role × resource × action on the new resources: (method, path, form or JSON, roles that may).
def _matrix(doc):
    ae_url, ae = _record_url(doc, "ALS-001", "adverse_events", ae_id="AE-2")
    api_ae = ae_url.replace("/patients/", "/api/v1/patients/")
    ev = {"date": "2023-06-01", "event": "gastrostomy"}
    return [
        ("GET", "/patients/ALS-001/records/treatments/new", None, {"clinician"}),
        ("POST", "/patients/ALS-001/records/events", ev, {"clinician"}),
        ("GET", ae_url, None, {"clinician"}),
        ("GET", ae_url + "/audit.csv", None, {"clinician"}),
        ("POST", ae_url + "/sign", {"password": PASSWORD}, {"clinician"}),
        ("POST", ae_url + "/delete", {"version": ae["version"], "reason": "r"}, {"clinician"}),
        ("GET", "/patients/ALS-001/audit.csv", None, {"clinician"}),
        ("GET", "/admin/locks", None, {"admin"}),
        ("GET", "/import", None, {"clinician", "other-site"}),
        ("GET", "/export", None, {"clinician", "other-site", "researcher"}),
        ("GET", "/api/v1/patients/ALS-001/records/events", None, {"clinician", "patient"}),
        ("POST", "/api/v1/patients/ALS-001/records/events", {"values": ev}, {"clinician"}),
        ("PUT", api_ae, {"values": {"term": "fever"}, "version": ae["version"], "reason": "r"}, {"clinician"}),
        ("DELETE", api_ae, {"version": ae["version"], "reason": "r"}, {"clinician"}),
        ("GET", "/api/v1/patients/ALS-001/audit", None, {"clinician"}),
    ]


@pytest.mark.parametrize("username", ["admin1", "doc_b", "res", "pat1"])
def test_forbidden_actions_change_nothing(web_app, as_user, username):
    doc, engine = as_user("doc"), web_app.state.engine
    summary.ensure_current(engine)  # derived data, built by the first list after the fixture's import
    role = {"admin1": "admin", "doc_b": "other-site", "res": "researcher", "pat1": "patient"}[username]
    client = as_user(username)
    token = csrf_of(client)
    for method, path, body, allowed in _matrix(doc):
        if role in allowed:
            continue
        before = snapshot(engine)
        if path.startswith("/api/"):
            r = client.request(method, path, json=body, headers={"X-CSRF-Token": token})
        else:
            data = None if body is None else {"csrf_token": token, **body}
            r = client.request(method, path, data=data, follow_redirects=False)
        assert r.status_code in (403, 404), (username, method, path, r.status_code)
        assert snapshot(engine) == before, (username, method, path)


def test_clinician_api_round_trip(web_app, as_user):
    doc = as_user("doc")
    h = {"X-CSRF-Token": csrf_of(doc)}
    body = {"values": {"date": "2023-06-15", "measure": "grip_kg", "value": 17, "side": "left"}}
    r = doc.post("/api/v1/patients/ALS-001/records/measurements", json=body, headers=h)
    assert r.status_code == 422 and "unit" in r.json()["errors"]  # the API fills in nothing: unit required
    body["values"]["unit"] = "kg"
    r = doc.post("/api/v1/patients/ALS-001/records/measurements", json=body, headers=h)
    assert r.status_code == 201, r.text
    entries = doc.get("/api/v1/patients/ALS-001/audit").json()["entries"]
    assert entries[0]["table_name"] == "measurements" and entries[0]["action"] == "insert"

"""The extension columns in data entry (docs/data-rules.md, "Canonical extensions"): a visit's type, the clinic's
screening and the rater's pseudonym through the form and the API, an administration's decision date through the
form; a bad value is refused next to its field and nothing is stored; a patient's self-report carries no screening
and no rater; a researcher sees the rater only as its keyed pseudonym."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from web_helpers import csrf_of, snapshot

from alscell.domain.vocabulary import VISIT_TYPES
from alscell.io.deidentify import pseudonym
from alscell.store.accounts import pseudonym_key
from alscell.store.models import SQL_TABLES

ITEMS = {f"q{i}": "3" for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)} | {"q5a": "3"}
TREATMENT = {
    "treatment_id": "T-001-9",
    "date": "2023-05-20",
    "cycle": "9",
    "cell_source": "bone_marrow",
    "donor": "autologous",
    "route": "intrathecal",
    "dose_cells": "1e8",
}


def _one(engine, table, **where):
    t = SQL_TABLES[table]
    with engine.connect() as conn:
        return conn.execute(select(t).where(*(t.c[k] == v for k, v in where.items()))).one()


def test_a_visit_type_through_the_form_and_the_api(web_app, as_user):
    doc, engine = as_user("doc"), web_app.state.engine
    page = doc.get("/patients/ALS-001/visits/new")
    assert page.status_code == 200
    assert [v for v in VISIT_TYPES if f'<option value="{v}">{v}</option>' in page.text] == list(VISIT_TYPES)
    before = snapshot(engine)
    form = {"csrf_token": csrf_of(doc), "date": "2024-02-01", "visit_type": "clinic", **ITEMS}
    r = doc.post("/patients/ALS-001/visits", data=form, follow_redirects=False)
    assert r.status_code == 422 and 'class="field-error" data-field="visit_type"' in r.text
    assert snapshot(engine) == before
    r = doc.post("/patients/ALS-001/visits", data=form | {"visit_type": "home"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert _one(engine, "alsfrs", patient_id="ALS-001", date=dt.date(2024, 2, 1)).visit_type == "home"
    assert '<td class="visit-type">home</td>' in doc.get("/patients/ALS-001").text
    edit = doc.get("/patients/ALS-001/visits/2024-02-01/edit")  # the stored type is the one selected
    assert edit.status_code == 200 and '<option value="home" selected>home</option>' in edit.text
    body = {"date": "2024-03-01", "items": {k: int(v) for k, v in ITEMS.items()}, "visit_type": "inpatient"}
    token = {"X-CSRF-Token": csrf_of(doc)}
    r = doc.post("/api/v1/patients/ALS-001/visits", json=body | {"visit_type": "ward"}, headers=token)
    assert r.status_code == 422 and "visit_type" in r.json()["errors"]
    r = doc.post("/api/v1/patients/ALS-001/visits", json=body, headers=token)
    assert r.status_code == 201, r.text
    assert _one(engine, "alsfrs", patient_id="ALS-001", date=dt.date(2024, 3, 1)).visit_type == "inpatient"


def test_the_clinics_screening_through_the_form_and_the_api(web_app, as_user):
    doc, engine = as_user("doc"), web_app.state.engine
    page = doc.get("/patients/ALS-001/visits/new")
    assert page.status_code == 200 and '<select name="eligible">' in page.text
    before = snapshot(engine)
    form = {"csrf_token": csrf_of(doc), "date": "2024-02-01", "eligible": "maybe", **ITEMS}
    r = doc.post("/patients/ALS-001/visits", data=form, follow_redirects=False)
    assert r.status_code == 422 and 'class="field-error" data-field="eligible"' in r.text
    assert snapshot(engine) == before
    r = doc.post("/patients/ALS-001/visits", data=form | {"eligible": "false"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert _one(engine, "alsfrs", patient_id="ALS-001", date=dt.date(2024, 2, 1)).eligible is False
    assert '<td class="eligible">no</td>' in doc.get("/patients/ALS-001").text
    edit = doc.get("/patients/ALS-001/visits/2024-02-01/edit")  # the stored screening is the one selected
    assert edit.status_code == 200 and '<option value="false" selected>' in edit.text
    body = {"date": "2024-03-01", "items": {k: int(v) for k, v in ITEMS.items()}, "eligible": True}
    token = {"X-CSRF-Token": csrf_of(doc)}
    r = doc.post("/api/v1/patients/ALS-001/visits", json=body | {"eligible": "perhaps"}, headers=token)
    assert r.status_code == 422
    r = doc.post("/api/v1/patients/ALS-001/visits", json=body, headers=token)
    assert r.status_code == 201, r.text
    assert _one(engine, "alsfrs", patient_id="ALS-001", date=dt.date(2024, 3, 1)).eligible is True
    # the patient's self-report: no screening asked, none taken from a crafted form, refused in the API
    pat = as_user("pat1")
    page = pat.get("/me/self-report")
    assert page.status_code == 200 and 'name="eligible"' not in page.text
    form = {"csrf_token": csrf_of(pat), "date": "2024-04-01", "eligible": "true", **ITEMS}
    assert pat.post("/me/self-report", data=form, follow_redirects=False).status_code == 303
    assert _one(engine, "alsfrs", patient_id="ALS-001", date=dt.date(2024, 4, 1)).eligible is None
    before = snapshot(engine)
    body = {"date": "2024-05-01", "items": {k: int(v) for k, v in ITEMS.items()}, "eligible": True}
    r = pat.post("/api/v1/patients/ALS-001/visits", json=body, headers={"X-CSRF-Token": csrf_of(pat)})
    assert r.status_code == 422 and "eligible" in r.json()["errors"], r.text
    assert snapshot(engine) == before


def test_the_raters_pseudonym_through_the_form_and_the_api(web_app, as_user):
    doc, engine = as_user("doc"), web_app.state.engine
    page = doc.get("/patients/ALS-001/visits/new")
    assert page.status_code == 200 and 'name="rater"' in page.text and "Rater (pseudonym)" in page.text
    # A name is refused next to the field, with the rule, and nothing is stored.
    before = snapshot(engine)
    form = {"csrf_token": csrf_of(doc), "date": "2024-02-01", "rater": "Jane Doe", **ITEMS}
    r = doc.post("/patients/ALS-001/visits", data=form, follow_redirects=False)
    assert r.status_code == 422 and 'class="field-error" data-field="rater"' in r.text
    assert "not a name" in r.text and 'value="Jane Doe"' in r.text  # the entry is shown back to be corrected
    assert snapshot(engine) == before
    r = doc.post("/patients/ALS-001/visits", data=form | {"rater": "R07"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert _one(engine, "alsfrs", patient_id="ALS-001", date=dt.date(2024, 2, 1)).rater == "R07"
    stored = snapshot(engine)
    assert "<th>Rater</th>" in (shown := doc.get("/patients/ALS-001").text) and '<td class="rater">R07</td>' in shown
    edit = doc.get("/patients/ALS-001/visits/2024-02-01/edit")  # the stored rater is in the field
    assert edit.status_code == 200 and 'name="rater" value="R07"' in edit.text
    # The API: the same rule (422 naming the field), then the value stored.
    body = {"date": "2024-03-01", "items": {k: int(v) for k, v in ITEMS.items()}, "rater": "nurse-3"}
    token = {"X-CSRF-Token": csrf_of(doc)}
    for bad in ("Dr House", "r" * 41, "R07!"):
        r = doc.post("/api/v1/patients/ALS-001/visits", json=body | {"rater": bad}, headers=token)
        assert r.status_code == 422 and r.json()["detail"] == "invalid", r.text
        assert any("not a name" in m and "(no spaces)" in m for m in r.json()["errors"]["rater"]), r.text
    assert snapshot(engine) == stored
    r = doc.post("/api/v1/patients/ALS-001/visits", json=body, headers=token)
    assert r.status_code == 201, r.text
    assert _one(engine, "alsfrs", patient_id="ALS-001", date=dt.date(2024, 3, 1)).rater == "nurse-3"
    listed = {v["date"]: v["rater"] for v in doc.get("/api/v1/patients/ALS-001/visits").json()["visits"]}
    assert (listed["2024-02-01"], listed["2024-03-01"]) == ("R07", "nurse-3")
    # A researcher sees the keyed pseudonym of a de-identified export, never the clinic's own; no Rater column.
    res = as_user("res")
    key = pseudonym_key(engine)
    shown_id = pseudonym(key, "patient", "ALS-001", "P-")
    raters = [v["rater"] for v in res.get(f"/api/v1/patients/{shown_id}/visits").json()["visits"]]
    assert sorted(r for r in raters if r) == sorted(pseudonym(key, "rater", r, "R-") for r in ("R07", "nurse-3"))
    page = res.get(f"/patients/{shown_id}").text
    assert "<th>Rater</th>" not in page and "R07" not in page and "nurse-3" not in page
    # The patient's self-report: no rater asked, none taken from a crafted form, refused in the API.
    pat = as_user("pat1")
    page = pat.get("/me/self-report")
    assert page.status_code == 200 and 'name="rater"' not in page.text
    assert "<th>Rater</th>" not in pat.get("/me").text
    form = {"csrf_token": csrf_of(pat), "date": "2024-04-01", "rater": "R07", **ITEMS}
    assert pat.post("/me/self-report", data=form, follow_redirects=False).status_code == 303
    assert _one(engine, "alsfrs", patient_id="ALS-001", date=dt.date(2024, 4, 1)).rater is None
    before = snapshot(engine)
    body = {"date": "2024-05-01", "items": {k: int(v) for k, v in ITEMS.items()}, "rater": "R07"}
    r = pat.post("/api/v1/patients/ALS-001/visits", json=body, headers={"X-CSRF-Token": csrf_of(pat)})
    assert r.status_code == 422 and "rater" in r.json()["errors"], r.text
    assert snapshot(engine) == before
    # Who rated the clinic's visits is the clinic's staff record: the patient's own API answer leaves it out too.
    mine = pat.get("/api/v1/patients/ALS-001/visits")
    assert mine.status_code == 200 and len(mine.json()["visits"]) >= 3, mine.text
    assert (
        all("rater" not in v for v in mine.json()["visits"]) and "R07" not in mine.text and "nurse-3" not in mine.text
    )


def test_a_decision_date_through_the_administration_form(web_app, as_user):
    doc, engine = as_user("doc"), web_app.state.engine
    page = doc.get("/patients/ALS-001/records/treatments/new")
    assert page.status_code == 200 and 'name="decision_date"' in page.text
    before = snapshot(engine)
    form = {"csrf_token": csrf_of(doc), **TREATMENT, "decision_date": "2023-06-01"}  # after the administration
    r = doc.post("/patients/ALS-001/records/treatments", data=form, follow_redirects=False)
    assert r.status_code == 422 and 'data-field="decision_date"' in r.text
    assert snapshot(engine) == before
    r = doc.post(
        "/patients/ALS-001/records/treatments", data=form | {"decision_date": "2023-04-11"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    assert _one(engine, "treatments", treatment_id="T-001-9").decision_date == dt.date(2023, 4, 11)

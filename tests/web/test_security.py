"""Deny by default, role × resource × action, CSRF, session fixation, lockout, audit and edit conflicts."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.routing import Mount
from web_helpers import PASSWORD, csrf_of, login, snapshot

from alscell.store.models import AUDIT_TABLE
from alscell.web.security import ROLES_ATTRIBUTE, SESSION_COOKIE

NEW_PATIENT = {"patient_id": "NEW-1", "sex": "F", "onset_date": "2023-01-10", "onset_site": "limb"}
VISIT = {"date": "2024-01-15", "items": {f"q{i}": 3 for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)} | {"q5a": 3}}


def effective_routes(app):
    """(path, methods, dependant or None, route) of every route the app serves, routers included."""
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):  # FastAPI's included router
            for c in route.effective_route_contexts():
                dependant = c.dependant or getattr(c.original_route, "dependant", None)
                yield c.path, set(c.methods or ()), dependant, c.original_route
        else:
            yield route.path, set(getattr(route, "methods", None) or ()), getattr(route, "dependant", None), route


def _dependency_roles(dependant) -> list[frozenset]:
    found, stack = [], list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        roles = getattr(dep.call, ROLES_ATTRIBUTE, None)
        if roles is not None:
            found.append(roles)
        stack.extend(dep.dependencies)
    return found


def test_every_route_declares_its_roles(web_app):
    paths = set()
    for path, methods, dependant, route in effective_routes(web_app):
        if isinstance(route, Mount):
            assert path == "/static", f"unexpected mount {path}"
            continue
        assert isinstance(route, APIRoute) and dependant is not None, f"{path} is not an APIRoute"
        roles = _dependency_roles(dependant)
        assert len(roles) == 1, f"{methods} {path} declares {len(roles)} role dependencies"
        if "public" in roles[0]:
            assert path == "/login", f"{path} is public"
        paths.add(path)
    assert {"/patients/{shown_id}", "/api/v1/patients", "/api/v1/effect", "/me/self-report"} <= paths


def test_logged_out_requests_are_refused(web_app):
    client = TestClient(web_app)
    for template, methods, _, route in effective_routes(web_app):
        if not isinstance(route, APIRoute) or template == "/login":
            continue
        path = re.sub(r"\{[^}]+\}", "ALS-001", template)
        for method in methods:
            r = client.request(method, path, follow_redirects=False)
            if path.startswith("/api/"):
                assert r.status_code == 401, (method, path)
            else:
                assert r.status_code == 303 and r.headers["location"] == "/login", (method, path)


# (method, path, JSON body or None, roles allowed)
ACTIONS = [
    ("GET", "/api/v1/patients", None, {"clinician", "researcher"}),
    ("POST", "/api/v1/patients", NEW_PATIENT, {"clinician"}),
    ("GET", "/api/v1/patients/ALS-001", None, {"clinician", "patient"}),
    ("GET", "/api/v1/patients/ALS-001/visits", None, {"clinician", "patient"}),
    ("POST", "/api/v1/patients/ALS-001/visits", VISIT, {"clinician", "patient"}),
    ("POST", "/api/v1/patients/ALS-002/visits", VISIT, {"clinician"}),
    ("GET", "/api/v1/patients/ALS-002", None, {"clinician"}),
    ("PUT", "/api/v1/patients/ALS-001/visits/2022-11-02", VISIT | {"version": "x", "reason": "r"}, {"clinician"}),
    ("GET", "/api/v1/effect", None, {"clinician", "researcher"}),
    ("GET", "/patients", None, {"clinician", "researcher"}),
    ("GET", "/patients/ALS-001", None, {"clinician"}),
    ("GET", "/admin/users", None, {"admin"}),
    ("GET", "/me", None, {"patient"}),
]
ROLE_USERS = {"admin": "admin1", "clinician": "doc", "researcher": "res", "patient": "pat1"}


@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_role_resource_action_matrix(web_app, as_user, role):
    client = as_user(ROLE_USERS[role])
    token = csrf_of(client)
    engine = web_app.state.engine
    for method, path, body, allowed in ACTIONS:
        before = snapshot(engine)
        r = client.request(method, path, json=body, headers={"X-CSRF-Token": token}, follow_redirects=False)
        if role in allowed:
            assert r.status_code not in (401, 403, 404), (role, method, path, r.text)
        else:
            assert r.status_code in (403, 404), (role, method, path, r.status_code)
            assert snapshot(engine) == before, (role, method, path)


def test_other_site_clinician_sees_nothing(web_app, as_user):
    client = as_user("doc_b")
    token = csrf_of(client)
    assert client.get("/api/v1/patients").json()["total"] == 0
    before = snapshot(web_app.state.engine)
    assert client.get("/api/v1/patients/ALS-001").status_code == 404
    r = client.post("/api/v1/patients/ALS-001/visits", json=VISIT, headers={"X-CSRF-Token": token})
    assert r.status_code == 404
    assert snapshot(web_app.state.engine) == before


def test_patient_guessing_another_id(web_app, as_user):
    client = as_user("pat1")
    token = csrf_of(client)
    before = snapshot(web_app.state.engine)
    for pid in ("ALS-002", "ALS-003", "als-001", "ALS-001%00", "nope"):
        assert client.get(f"/api/v1/patients/{pid}").status_code == 404
        assert client.get(f"/api/v1/patients/{pid}/visits").status_code == 404
        r = client.post(f"/api/v1/patients/{pid}/visits", json=VISIT, headers={"X-CSRF-Token": token})
        assert r.status_code == 404
    assert client.get("/patients/ALS-002").status_code == 403
    assert "ALS-002" not in client.get("/me").text
    assert snapshot(web_app.state.engine) == before


def test_self_report_is_recorded_as_self(web_app, as_user):
    client = as_user("pat1")
    r = client.post("/api/v1/patients/ALS-001/visits", json=VISIT, headers={"X-CSRF-Token": csrf_of(client)})
    assert r.status_code == 201, r.text
    assert r.json()["assessor"] == "self"


def test_csrf_is_required_for_every_write(web_app, as_user):
    client = as_user("doc")
    engine = web_app.state.engine
    before = snapshot(engine)
    assert client.post("/api/v1/patients", json=NEW_PATIENT).status_code == 403
    assert client.post("/api/v1/patients", json=NEW_PATIENT, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.post("/patients", data=NEW_PATIENT).status_code == 403
    assert client.post("/patients", data=NEW_PATIENT | {"csrf_token": "wrong"}).status_code == 403
    token = csrf_of(client)
    cross = {"X-CSRF-Token": token, "Origin": "http://evil.example"}
    assert client.post("/api/v1/patients", json=NEW_PATIENT, headers=cross).status_code == 403
    assert snapshot(engine) == before
    assert client.post("/patients", data=NEW_PATIENT | {"csrf_token": token}, follow_redirects=False).status_code == 303


def test_login_form_needs_its_csrf_cookie(web_app):
    client = TestClient(web_app)
    r = client.post("/login", data={"username": "doc", "password": PASSWORD, "csrf_token": "x"})
    assert r.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_session_fixation_and_logout(web_app):
    client = TestClient(web_app)
    client.cookies.set(SESSION_COOKIE, "attacker-chosen", domain="testserver.local")
    assert login(client, "doc").status_code == 303
    first = client.cookies.get(SESSION_COOKIE)
    assert first and first != "attacker-chosen"
    assert login(client, "doc").status_code == 303
    second = client.cookies.get(SESSION_COOKIE)
    assert second != first
    stale = TestClient(web_app, cookies={SESSION_COOKIE: first})
    assert stale.get("/api/v1/session").status_code == 401  # the old session ended at the new login
    token = csrf_of(client)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    again = TestClient(web_app, cookies={SESSION_COOKIE: second})
    assert again.get("/api/v1/session").status_code == 401


def test_cookie_flags(web_app):
    client = TestClient(web_app)
    r = login(client, "doc")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    secure = TestClient(web_app, base_url="https://testserver")
    assert "secure" in login(secure, "doc").headers["set-cookie"].lower()


def test_lockout_after_failed_logins(web_app):
    client = TestClient(web_app)
    for _ in range(5):
        assert login(client, "doc", "wrong password!!").status_code == 401
    r = login(client, "doc")
    assert r.status_code == 401 and "too many" in r.text
    r = login(client, "nobody", "wrong password!!")
    assert "wrong user name or password" in r.text


def test_edit_is_audited_and_conflicts_are_caught(web_app, as_user):
    client = as_user("doc")
    token = {"X-CSRF-Token": csrf_of(client)}
    visit = next(v for v in client.get("/api/v1/patients/ALS-001/visits").json()["visits"] if v["date"] == "2022-11-02")
    body = VISIT | {"version": visit["version"], "reason": "transcription error"}
    r = client.put("/api/v1/patients/ALS-001/visits/2022-11-02", json=body | {"reason": " "}, headers=token)
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    r = client.put("/api/v1/patients/ALS-001/visits/2022-11-02", json=body, headers=token)
    assert r.status_code == 200, r.text
    with web_app.state.engine.connect() as conn:
        entry = conn.execute(select(AUDIT_TABLE).order_by(AUDIT_TABLE.c.id.desc())).first()
    assert entry.actor == "doc" and entry.action == "update" and entry.table_name == "alsfrs"
    assert entry.row_key == "ALS-001\x1f2022-11-02"
    assert entry.before["q1"] == "4" and entry.after["q1"] == "3"
    assert entry.source == "web" and entry.reason == "transcription error"
    before = snapshot(web_app.state.engine)
    r = client.put("/api/v1/patients/ALS-001/visits/2022-11-02", json=body | {"items": {"q1": 1}}, headers=token)
    assert r.status_code == 409
    assert r.json()["current"]["q1"] == "3" and r.json()["yours"]["q1"] == "1"
    assert snapshot(web_app.state.engine) == before
    page = client.get("/patients/ALS-001").text
    assert "transcription error" in page and "q1: 4 → 3" in page


def test_invalid_visit_is_not_saved_and_errors_are_next_to_the_field(web_app, as_user):
    client = as_user("doc")
    token = csrf_of(client)
    before = snapshot(web_app.state.engine)
    bad = VISIT | {"items": VISIT["items"] | {"q1": 7}}
    r = client.post("/api/v1/patients/ALS-001/visits", json=bad, headers={"X-CSRF-Token": token})
    assert r.status_code == 422 and "q1" in r.json()["errors"]
    form = {"csrf_token": token, "date": "2019-01-01", "q1": "3"}  # before symptom onset
    r = client.post("/patients/ALS-001/visits", data=form)
    assert r.status_code == 422
    assert 'class="field-error" data-field="date"' in r.text
    assert snapshot(web_app.state.engine) == before


def test_researcher_sees_no_ids_or_dates(as_user):
    client = as_user("res")
    listing = client.get("/api/v1/patients").json()
    assert listing["total"] == 4
    assert all(p["shown_id"].startswith("P-") and p["onset_date"] is None for p in listing["patients"])
    shown = listing["patients"][0]["shown_id"]
    page = client.get(f"/patients/{shown}").text
    assert "ALS-0" not in page and not re.search(r"\b20\d\d-\d\d-\d\d\b", page)
    visits = client.get(f"/api/v1/patients/{shown}/visits").json()["visits"]
    assert visits and all("date" not in v for v in visits)
    assert "ALS-0" not in client.get("/patients").text

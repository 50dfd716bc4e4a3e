"""The prognosis page: roles first (deny by default), the researcher sees no identifier, content shown."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize(
    ("username", "url", "status"),
    [
        ("doc", "/patients/ALS-001/prognosis", 200),
        ("pat1", "/me/prognosis", 200),
        ("pat1", "/patients/ALS-001/prognosis", 403),  # patients only through /me
        ("admin1", "/patients/ALS-001/prognosis", 403),
        ("admin1", "/me/prognosis", 403),
        ("doc", "/me/prognosis", 403),
        ("res", "/patients/ALS-001/prognosis", 404),  # researchers address pseudonyms, never real ids
    ],
)
def test_roles(as_user, username, url, status):
    assert as_user(username).get(url, follow_redirects=False).status_code == status


def test_not_logged_in_is_sent_to_login(web_app):
    from fastapi.testclient import TestClient

    r = TestClient(web_app).get("/patients/ALS-001/prognosis", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_clinician_sees_forecast_encals_scenarios_and_suitability(as_user):
    c = as_user("doc")
    page = c.get("/patients/ALS-001").text
    assert 'href="/patients/ALS-001/prognosis"' in page  # linked from the patient page
    r = c.get("/patients/ALS-001/prognosis")
    assert r.status_code == 200
    t = r.text
    for section in ('id="forecast"', 'id="event-free"', 'id="encals"', 'id="scenarios"', 'id="suitability"'):
        assert section in t, section
    assert "ALSFRS-R total" in t and "Lenzumestrocel phase 2" in t and "did not meet" in t
    assert "NurOwn" in t and "Bedlack" in t and "intrathecal" in t
    assert "ENCALS" in t and "Westeneng" in t


def test_other_site_clinician_cannot_see(as_user, web_app):
    from alscell.web.records import registry_tables

    p = registry_tables(web_app.state.engine)["patients"]
    other = p[p["site"].fillna("") != "site_b"]["patient_id"].iloc[0]
    assert as_user("doc_b").get(f"/patients/{other}/prognosis").status_code == 404


def test_researcher_sees_no_identifiers(as_user, web_app):
    c = as_user("res")
    listing = c.get("/patients").text
    shown = re.search(r'href="/patients/([^"/]+)"', listing).group(1)
    assert not shown.startswith("ALS-")
    r = c.get(f"/patients/{shown}/prognosis")
    assert r.status_code == 200 and 'id="encals"' in r.text
    from alscell.web.records import registry_tables

    t = registry_tables(web_app.state.engine)
    assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", r.text)  # no calendar date anywhere
    for pid in t["patients"]["patient_id"]:
        assert pid not in r.text

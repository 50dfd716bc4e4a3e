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


def test_too_small_registry_says_why_in_one_sentence(as_user):
    c = as_user("doc")
    page = c.get("/patients/ALS-001").text
    assert 'href="/patients/ALS-001/prognosis"' in page  # linked from the patient page
    r = c.get("/patients/ALS-001/prognosis")
    assert r.status_code == 200 and 'id="not-available"' in r.text and 'id="forecast"' not in r.text
    assert "too few patients with repeated untreated ALSFRS-R total values" in r.text


@pytest.fixture(scope="module")
def sim_app(tmp_path_factory):
    from web_helpers import PASSWORD

    from alscell.simulate import CohortConfig, simulate_cohort
    from alscell.store.accounts import create_user
    from alscell.store.importer import import_folder
    from alscell.web.app import create_app

    d = tmp_path_factory.mktemp("sim-web")
    sim = simulate_cohort(CohortConfig(n_patients=60, design="registry", effect=0.0), 4)
    sim.write(d / "registry")
    app = create_app(f"sqlite:///{d / 'web.db'}")
    import_folder(app.state.engine, d / "registry")
    pid = str(sim.tables["patients"]["patient_id"].iloc[0])
    create_user(app.state.engine, "simdoc", "clinician", PASSWORD)
    create_user(app.state.engine, "simres", "researcher", PASSWORD)
    create_user(app.state.engine, "simpat", "patient", PASSWORD, patient_id=pid)
    yield app, pid, sim.tables
    app.state.engine.dispose()


def _client(app, username):
    from fastapi.testclient import TestClient
    from web_helpers import login

    c = TestClient(app, base_url="http://testserver")
    assert login(c, username).status_code == 303
    return c


def test_clinician_sees_forecast_encals_scenarios_and_suitability(sim_app):
    app, pid, _ = sim_app
    r = _client(app, "simdoc").get(f"/patients/{pid}/prognosis")
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


def test_patient_sees_own_prognosis_in_plain_words(sim_app):
    app, _, _ = sim_app
    c = _client(app, "simpat")
    assert 'href="/me/prognosis"' in c.get("/me").text
    r = c.get("/me/prognosis")
    assert r.status_code == 200 and "My prognosis" in r.text and 'id="forecast"' in r.text
    assert "not promises" in r.text and "not a cure" in r.text


def test_researcher_sees_no_identifiers(sim_app):
    app, _, tables = sim_app
    c = _client(app, "simres")
    listing = c.get("/patients").text
    shown = re.search(r'href="/patients/([^"/?]+)"', listing).group(1)
    assert shown not in set(tables["patients"]["patient_id"])
    r = c.get(f"/patients/{shown}/prognosis")
    assert r.status_code == 200 and 'id="encals"' in r.text and 'id="forecast"' in r.text
    assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", r.text)  # no calendar date anywhere
    for pid in tables["patients"]["patient_id"]:
        assert pid not in r.text

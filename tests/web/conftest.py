"""Web app fixtures: a registry with the example data and one account per role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, login

from alscell.store.accounts import create_user
from alscell.store.importer import import_folder
from alscell.web.app import create_app

USERS = {
    "admin1": {"role": "admin"},
    "doc": {"role": "clinician"},
    "doc_b": {"role": "clinician", "site": "site_b"},
    "res": {"role": "researcher"},
    "pat1": {"role": "patient", "patient_id": "ALS-001"},
}


@pytest.fixture
def web_app(tmp_path, example_dir):
    app = create_app(f"sqlite:///{tmp_path / 'web.db'}")
    engine = app.state.engine
    import_folder(engine, example_dir)
    for name, kw in USERS.items():
        create_user(engine, name, kw["role"], PASSWORD, site=kw.get("site"), patient_id=kw.get("patient_id"))
    yield app
    engine.dispose()


@pytest.fixture
def as_user(web_app):
    def make(username: str) -> TestClient:
        client = TestClient(web_app, base_url="http://testserver")
        r = login(client, username)
        assert r.status_code == 303, r.text
        return client

    return make

"""`make demo` ends by serving the registry with a demo clinician and a demo patient login."""

from __future__ import annotations

import pytest

from alscell.cli.demo import DEMO_CLINICIAN, DEMO_PATIENT, demo_accounts
from alscell.store.accounts import LoginRefused, login
from alscell.store.engine import open_database
from alscell.store.importer import import_folder


def test_demo_logins_work_and_change_at_every_run(tmp_path, example_dir):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = open_database(url)
    import_folder(engine, example_dir)
    first = demo_accounts(url, "ALS-001")
    _token, who = login(engine, DEMO_PATIENT, first[DEMO_PATIENT], "127.0.0.1")
    assert who.role == "patient" and who.patient_id == "ALS-001"
    second = demo_accounts(url, "ALS-001")  # a second demo run: same accounts, new passwords
    assert second[DEMO_CLINICIAN] != first[DEMO_CLINICIAN]
    assert login(engine, DEMO_CLINICIAN, second[DEMO_CLINICIAN], "127.0.0.1")[1].role == "clinician"
    with pytest.raises(LoginRefused):
        login(engine, DEMO_CLINICIAN, first[DEMO_CLINICIAN], "127.0.0.1")
    engine.dispose()

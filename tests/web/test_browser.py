"""Browser tests: Playwright for Python driving Debian's Chromium against uvicorn on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from web_helpers import PASSWORD

from alscell.store.accounts import create_user
from alscell.store.importer import import_folder
from alscell.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "small"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    folder = tmp_path_factory.mktemp("browser")
    app = create_app(f"sqlite:///{folder / 'web.db'}")
    import_folder(app.state.engine, EXAMPLE)
    create_user(app.state.engine, "doc", "clinician", PASSWORD)
    create_user(app.state.engine, "pat1", "patient", PASSWORD, patient_id="ALS-001")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server)
    pg = context.new_page()
    outside, errors = [], []
    pg.on("request", lambda r: outside.append(r.url) if urlsplit(r.url).hostname not in ("127.0.0.1", None) else None)
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert [u for u in outside if not u.startswith("data:")] == [], "requests left 127.0.0.1"
    assert errors == [], "console errors"


def _login(page, username):
    page.goto("/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')


def _visit(page, patient_id, date, score):
    page.goto(f"/patients/{patient_id}/visits/new")
    page.fill('input[name="date"]', date)
    for q in ("q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12"):
        page.check(f'input[name="{q}"][value="{score}"]')
    page.wait_for_selector("#score strong")  # the live total (HTMX, computed on the server)
    assert page.inner_text("#score strong") == str(12 * score)
    page.click('form.alsfrs button[type="submit"]')
    page.wait_for_url(f"**/patients/{patient_id}")


def test_clinician_creates_a_patient_and_two_visits_and_sees_the_chart(page):
    _login(page, "doc")
    page.wait_for_url("**/patients")
    page.goto("/patients/new")
    page.fill('input[name="patient_id"]', "WEB-1")
    page.fill('input[name="onset_date"]', "2022-06-01")
    page.select_option('select[name="onset_site"]', "limb")
    page.click('form.record button[type="submit"]')
    page.wait_for_url("**/patients/WEB-1")
    _visit(page, "WEB-1", "2023-01-10", 4)
    _visit(page, "WEB-1", "2023-07-10", 3)
    rows = page.locator("#visits tbody tr")
    assert rows.count() == 2
    assert page.locator("#visits td.total").all_inner_texts() == ["48", "36"]
    assert page.locator("#chart svg[data-figure=trajectory]").count() == 1
    assert "expected course without treatment" in page.inner_text("#chart")
    assert page.locator("#audit").inner_text().count("insert") >= 3


def test_patient_sees_only_their_own_record(page):
    _login(page, "pat1")
    page.wait_for_url("**/me")
    text = page.inner_text("main")
    assert "ALS-001" in text and "ALS-002" not in text and "WEB-1" not in text
    assert page.locator("#visits tbody tr").count() >= 1
    assert page.request.get("/patients/ALS-002").status == 403  # a page for clinicians only
    assert page.request.get("/api/v1/patients/ALS-002").status == 404  # another patient: not even "exists"

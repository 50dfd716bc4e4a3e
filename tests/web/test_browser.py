"""Browser tests: Playwright for Python driving Debian's Chromium against uvicorn on 127.0.0.1."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from web_helpers import PASSWORD

from alscell.store.accounts import create_user
from alscell.store.importer import import_folder
from alscell.web.app import create_app
from alscell.web.local_server import serve_in_thread

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
    folder = tmp_path_factory.mktemp("browser")
    app = create_app(f"sqlite:///{folder / 'web.db'}")
    import_folder(app.state.engine, EXAMPLE)
    create_user(app.state.engine, "doc", "clinician", PASSWORD)
    create_user(app.state.engine, "pat1", "patient", PASSWORD, patient_id="ALS-001")
    create_user(app.state.engine, "res", "researcher", PASSWORD)
    with serve_in_thread(app) as base:
        yield base
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def pages(browser, server):
    """A factory of pages, each in its own browser context (its own cookies), all watched for requests that
    leave 127.0.0.1 and for console errors."""
    contexts, outside, errors = [], [], []

    def make():
        context = browser.new_context(base_url=server)
        contexts.append(context)
        pg = context.new_page()
        pg.on(
            "request", lambda r: outside.append(r.url) if urlsplit(r.url).hostname not in ("127.0.0.1", None) else None
        )
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: errors.append(str(e)))
        return pg

    make.expected_statuses = set()  # type: ignore[attr-defined]  # HTTP errors a test provokes on purpose
    yield make
    for context in contexts:
        context.close()
    assert [u for u in outside if not u.startswith("data:")] == [], "requests left 127.0.0.1"
    provoked = tuple(f"status of {code} " for code in make.expected_statuses)  # type: ignore[attr-defined]
    assert [
        e for e in errors if not (e.startswith("Failed to load resource") and any(p in e for p in provoked))
    ] == [], "console errors"


@pytest.fixture
def page(pages):
    return pages()


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


def _new_patient(page, patient_id):
    page.goto("/patients/new")
    page.fill('input[name="patient_id"]', patient_id)
    page.fill('input[name="onset_date"]', "2022-06-01")
    page.select_option('select[name="onset_site"]', "limb")
    page.click('form.record button[type="submit"]')
    page.wait_for_url(f"**/patients/{patient_id}")


def test_clinician_creates_a_patient_and_two_visits_and_sees_the_chart(page):
    _login(page, "doc")
    page.wait_for_url("**/patients")
    _new_patient(page, "WEB-1")
    _visit(page, "WEB-1", "2023-01-10", 4)
    _visit(page, "WEB-1", "2023-07-10", 3)
    rows = page.locator("#visits tbody tr")
    assert rows.count() == 2
    assert page.locator("#visits td.total").all_inner_texts() == ["48", "36"]
    assert page.locator("#chart svg[data-figure=trajectory]").count() == 1
    assert "expected course without treatment" in page.inner_text("#chart")
    assert page.locator("#audit").inner_text().count("insert") >= 3
    # an intramuscular administration into two muscles, with the muscle picker
    page.click("text=Record an administration")
    page.fill('input[name="treatment_id"]', "WEB-1-T1")
    page.fill('input[name="date"]', "2023-02-01")
    page.fill('input[name="cycle"]', "1")
    page.select_option('select[name="cell_source"]', "bone_marrow")
    page.select_option('select[name="donor"]', "autologous")
    page.select_option('select[name="route"]', "intramuscular")
    page.fill('input[name="dose_cells"]', "5e7")
    page.check('input[name="target_muscles"][value="deltoid"]')
    page.check('input[name="target_muscles"][value="biceps"]')
    page.click('form.entry button[type="submit"]')
    page.wait_for_url("**/patients/WEB-1#treatments")
    assert "deltoid, biceps" in page.inner_text("#treatments")
    assert page.locator("#chart svg[data-figure=trajectory]").count() == 1


def _open_edit(page, patient_id, date):
    page.goto(f"/patients/{patient_id}/visits/{date}/edit")
    page.check('input[name="q1"][value="2"]')


def test_edit_with_reason_shows_audit_and_a_second_editor_gets_the_conflict(pages):
    # Its own patient: pytest-xdist may run this test in another worker (another server) than the one above.
    first, second = pages(), pages()
    pages.expected_statuses.add(409)  # the conflict page answers 409, which Chromium reports in the console
    _login(first, "doc")
    first.wait_for_url("**/patients")
    _new_patient(first, "EDIT-1")
    _visit(first, "EDIT-1", "2023-07-10", 3)
    _login(second, "doc")
    second.wait_for_url("**/patients")
    for pg in (first, second):
        _open_edit(pg, "EDIT-1", "2023-07-10")  # both open the same stored visit
    first.fill('input[name="reason"]', "item 1 re-scored after video review")
    first.click('form.alsfrs button[type="submit"]')
    first.wait_for_url("**/patients/EDIT-1")
    audit = first.inner_text("#audit")
    assert "q1: 3 → 2" in audit and "item 1 re-scored after video review" in audit
    second.check('input[name="q2"][value="1"]')
    second.fill('input[name="reason"]', "my own correction")
    second.click('form.alsfrs button[type="submit"]')
    second.wait_for_selector("#conflict")
    assert "nothing was saved" in second.inner_text("h1").lower()
    differs = second.locator("#conflict tr.differs").all_inner_texts()
    assert any(t.split()[0] == "q2" for t in differs)


def test_patient_self_report_and_researcher_sees_no_identifiers(pages):
    pat = pages()
    _login(pat, "pat1")
    pat.wait_for_url("**/me")
    pat.goto("/me/self-report")
    pat.fill('input[name="date"]', "2023-07-01")
    for q in ("q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12"):
        pat.check(f'input[name="{q}"][value="3"]')
    pat.click('form.alsfrs button[type="submit"]')
    pat.wait_for_url("**/me")
    assert "self" in pat.inner_text("#visits")
    res = pages()
    _login(res, "res")
    res.wait_for_url("**/patients")
    listing = res.inner_text("main")
    assert "ALS-00" not in listing and "WEB-1" not in listing and "EDIT-1" not in listing and "P-" in listing
    res.click("#patient-list tbody tr:first-child a")
    res.wait_for_selector("#visits")
    text = res.inner_text("main")
    assert "ALS-00" not in text and "WEB-1" not in text and "EDIT-1" not in text
    assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", text), "an exact date is shown to a researcher"


def test_patient_sees_only_their_own_record(page):
    _login(page, "pat1")
    page.wait_for_url("**/me")
    text = page.inner_text("main")
    assert "ALS-001" in text and "ALS-002" not in text and "WEB-1" not in text
    assert page.locator("#visits tbody tr").count() >= 1
    assert page.request.get("/patients/ALS-002").status == 403  # a page for clinicians only
    assert page.request.get("/api/v1/patients/ALS-002").status == 404  # another patient: not even "exists"

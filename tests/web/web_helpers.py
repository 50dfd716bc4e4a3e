"""Helpers of the web tests."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"


def login(client: TestClient, username: str, password: str = PASSWORD):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=False
    )


def csrf_of(client: TestClient) -> str:
    return client.get("/api/v1/session").json()["csrf_token"]


def snapshot(engine) -> dict:
    """Every row of every registry table and the audit trail (sessions and failed logins left out)."""
    from sqlalchemy import select

    from alscell.store.models import Base

    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in ("web_sessions", "web_login_failures"):
                continue
            out[table.name] = sorted(map(repr, conn.execute(select(table)).all()))
    return out


def shown_text(page: str, key: str) -> str:
    """The text of the element marked ``data-key=key`` (a result page's figure as shown)."""
    m = re.search(rf'data-key="{re.escape(key)}"[^>]*>([^<]*)<', page)
    assert m, key
    return html.unescape(m.group(1))


def shown_value(page: str, key: str) -> float | None:
    """The exact number behind the element marked ``data-key=key`` (its ``data-value``; None where empty)."""
    m = re.search(rf'data-key="{re.escape(key)}" data-value="([^"]*)"', page)
    assert m, key
    return float(m.group(1)) if m.group(1) else None


def two_site_app(folder, n_patients: int, seed: int):
    """(app, patients): a web app on a simulated registry of ``n_patients`` split between site_a and site_b
    (alternately), imported into SQLite under ``folder``, with a researcher ``simres`` and a site_b clinician
    ``simdoc_b``."""
    from alscell.io.columns import FILE_ORDER
    from alscell.io.tables import Tables
    from alscell.io.writer import write_folder
    from alscell.simulate import CohortConfig, simulate_cohort
    from alscell.store.accounts import create_user
    from alscell.store.importer import import_folder
    from alscell.web.app import create_app

    sim = simulate_cohort(CohortConfig(n_patients=n_patients, design="registry", effect=0.0), seed).tables
    patients = sim["patients"].copy()
    patients["site"] = ["site_b" if i % 2 else "site_a" for i in range(len(patients))]
    write_folder(Tables.from_frames({**{n: sim[n] for n in FILE_ORDER}, "patients": patients}), folder / "registry")
    app = create_app(f"sqlite:///{folder / 'web.db'}")
    import_folder(app.state.engine, folder / "registry")
    create_user(app.state.engine, "simres", "researcher", PASSWORD)
    create_user(app.state.engine, "simdoc_b", "clinician", PASSWORD, site="site_b")
    return app, patients


@contextmanager
def chromium_page(app, username: str) -> Iterator[tuple]:
    """(page, errors): Debian's Chromium (Playwright) on ``app`` served on 127.0.0.1, logged in as ``username``;
    ``errors`` collects the console's errors and the page's script errors.  Skips the test without Playwright or
    Chromium."""
    import pytest

    from alscell.web.local_server import serve_in_thread

    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian's chromium is not installed")
    with serve_in_thread(app) as base, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(base_url=base)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto("/login")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', PASSWORD)
        page.click('button[type="submit"]')
        page.wait_for_load_state()
        try:
            yield page, errors
        finally:
            browser.close()

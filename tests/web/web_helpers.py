"""Helpers of the web tests."""

from __future__ import annotations

import html
import re

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

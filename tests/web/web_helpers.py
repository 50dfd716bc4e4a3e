"""Helpers of the web tests."""

from __future__ import annotations

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

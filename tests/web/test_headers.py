"""Security headers, no inline script, Secure cookies under HTTPS, nothing secret or identifying in the logs
(issue 15; OWASP ASVS 4.0.3 V14.4, V3.4, V7.1)."""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, csrf_of, login

from alscell.web.headers import HEADERS


def _assert_headers(response, *, static: bool = False) -> None:
    h = response.headers
    csp = h["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no other origin
    assert "unsafe" not in directives.get("default-src", "")
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    assert h.get_list("Content-Security-Policy") == [csp]  # set once, not twice
    if not static:
        assert h["Cache-Control"] == "no-store"


def test_every_kind_of_response_carries_the_headers(web_app, as_user):
    anon = TestClient(web_app)
    for r in (
        anon.get("/login"),
        anon.get("/patients", follow_redirects=False),  # redirect to the login page
        anon.get("/api/v1/patients"),  # 401 JSON
        anon.get("/no/such/page"),  # 404
    ):
        _assert_headers(r)
    _assert_headers(anon.get("/static/app.css"), static=True)
    doc = as_user("doc")
    for path in ("/patients", "/patients/ALS-001", "/api/v1/patients", "/api/v1/patients/ALS-404"):
        _assert_headers(doc.get(path))


class _Inline(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, event-handler attributes, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            src = a.get("src") or ""
            if not src:
                self._in_script = True
            elif not src.startswith("/static/"):
                self.found.append(f"script from {src}")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value}>")
            if name.startswith("hx-on"):
                self.found.append(f"<{tag} {name}> (htmx evaluates it as script)")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline <script> {data.strip()[:40]!r}")


def _links(html: str) -> set[str]:
    return {h for h in re.findall(r'href="(/[^"#?]*)', html) if not h.startswith(("/static/", "/logout"))}


@pytest.mark.parametrize("username", ["doc", "pat1", "res", "admin1"])
def test_no_page_has_inline_script_or_handlers(as_user, username):
    """Every page reachable by links from the role's home (two levels deep) works under script-src 'self'."""
    client = as_user(username)
    todo, seen, pages = ["/"], set(), 0
    for _depth in range(3):
        nxt = []
        for path in todo:
            if path in seen:
                continue
            seen.add(path)
            r = client.get(path)
            if "text/html" not in r.headers.get("content-type", ""):
                continue
            pages += 1
            parser = _Inline()
            parser.feed(r.text)
            assert parser.found == [], f"{path}: {parser.found}"
            nxt += sorted(_links(r.text) - seen)[:15]
        todo = nxt
    assert pages >= 2


def test_login_page_has_no_inline_script(web_app):
    parser = _Inline()
    parser.feed(TestClient(web_app).get("/login").text)
    assert parser.found == []


def test_https_cookies_are_secure_and_hsts_is_sent(web_app):
    client = TestClient(web_app, base_url="https://testserver")
    r = client.get("/login")
    assert "Strict-Transport-Security" in r.headers
    r = login(client, "doc")
    assert r.status_code == 303
    cookies = r.headers.get_list("set-cookie")
    assert cookies and all(re.search(r";\s*Secure\b", c, re.I) for c in cookies), cookies
    assert all(re.search(r";\s*HttpOnly\b", c, re.I) for c in cookies), cookies
    plain = TestClient(web_app, base_url="http://testserver")
    assert "Strict-Transport-Security" not in plain.get("/login").headers


def test_no_password_token_or_patient_id_in_logs(web_app, as_user, caplog, capfd):
    """Logins (good and bad), patient pages, the API, a visit entered: nothing secret or identifying is logged."""
    caplog.set_level(logging.DEBUG)
    anon = TestClient(web_app)
    login(anon, "doc", "wrong password 123")
    login(anon, "nobody", "another wrong one")
    doc = TestClient(web_app)
    assert login(doc, "doc").status_code == 303
    session = dict(doc.cookies)
    csrf = csrf_of(doc)
    for path in ("/patients", "/patients/ALS-001", "/patients/ALS-002", "/api/v1/patients/ALS-003/visits"):
        assert doc.get(path).status_code == 200
    items = {q: 3 for q in ("q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12")}
    r = doc.post(
        "/api/v1/patients/ALS-004/visits", json={"date": "2024-05-01", "items": items}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 201, r.text
    pat = as_user("pat1")
    assert pat.get("/api/v1/patients/ALS-001").status_code == 200
    doc.post("/logout", data={"csrf_token": csrf})
    out, err = capfd.readouterr()
    # The test's own HTTP client (httpx) logs the URLs it requests; in use that client is the browser.
    server = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    logged = "\n".join([out, err, *(f"{r.name} {r.getMessage()} {r.args}" for r in server)])
    secrets_ = [PASSWORD, "wrong password 123", "another wrong one", csrf, *session.values()]
    ids = ["ALS-001", "ALS-002", "ALS-003", "ALS-004"]
    for s in secrets_ + ids:
        assert s not in logged, f"{s!r} appears in the logs"


def test_headers_module_is_what_the_app_sends(web_app):
    r = TestClient(web_app).get("/login")
    for name, value in HEADERS.items():
        assert r.headers[name] == value

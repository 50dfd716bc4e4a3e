"""Security headers on every response (OWASP ASVS 4.0.3 V14.4; docs/web.md, docs/reliability.md).

A pure ASGI middleware, outermost, so that every answer carries them: pages, the JSON API, errors, static
files and responses made by other middleware.

* ``Content-Security-Policy``: scripts only from the app itself (no inline script, no ``eval``), nothing
  framed, no plug-ins, forms post only to the app.  Styles allow inline because htmx injects its small
  indicator style sheet; a style cannot run code.
* ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (a patient URL never leaves the
  site in a Referer), ``X-Frame-Options: DENY`` with ``frame-ancestors 'none'`` (no click-jacking),
  ``Cross-Origin-Opener-Policy``, ``Permissions-Policy`` (no camera, microphone, geolocation).
* ``Cache-Control: no-store`` on everything but static files: a shared computer's browser cache keeps no
  patient page.
* Under HTTPS (the request's scheme, as set by uvicorn's ``proxy_headers`` behind a proxy):
  ``Strict-Transport-Security`` and the ``Secure`` flag on every cookie the app sets.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
HSTS = "max-age=31536000; includeSubDomains"


def _secure_cookie(value: str) -> str:
    attributes = {part.strip().split("=", 1)[0].lower() for part in value.split(";")[1:]}
    return value if "secure" in attributes else f"{value}; Secure"


class SecurityHeaders:
    """ASGI middleware that adds the headers above to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if not static:
                    headers["Cache-Control"] = "no-store"
                if https:
                    headers["Strict-Transport-Security"] = HSTS
                    cookies = headers.getlist("set-cookie")
                    if cookies:
                        del headers["set-cookie"]
                        for cookie in cookies:
                            headers.append("set-cookie", _secure_cookie(cookie))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """Add the security headers to every response of ``app`` (call last: the outermost middleware)."""
    app.add_middleware(SecurityHeaders)

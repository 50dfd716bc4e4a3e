"""Who may call what: sessions, roles and CSRF as FastAPI dependencies (docs/web.md, "Security").

Deny by default: every route declares the roles it allows with one of the ``Annotated`` aliases below
(``Public`` for the login page only); a test walks the app's routes and fails when one has none.  The role
check also verifies the CSRF token of every state-changing request (form field ``csrf_token`` or header
``X-CSRF-Token``) and rejects a cross-origin ``Origin`` header.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from alscell.store.accounts import ROLES, Principal, csrf_matches, session_principal, token_principal

SESSION_COOKIE = "alscell_session"
LOGIN_CSRF_COOKIE = "alscell_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ROLES_ATTRIBUTE = "alscell_roles"


class NotLoggedIn(Exception):
    """No valid session: pages redirect to the login page, the API answers 401."""


class Forbidden(Exception):
    """Logged in, but this role may not do this (403), or the CSRF / origin check failed."""


class NotFound(Exception):
    """No such record, or one this user may not know exists (404)."""


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token sent with ``request``: the header, else the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another origin."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def _bearer(request: Request) -> str | None:
    """The personal access token of an API request (``Authorization: Bearer …``), else None."""
    if not request.url.path.startswith("/api/"):
        return None
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def require(*roles: str) -> Callable[[Request], Awaitable[Principal]]:
    """Dependency: the logged-in user when their role is one of ``roles`` (CSRF checked on writes)."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    async def check(request: Request) -> Principal:
        bearer = _bearer(request)
        if bearer is not None:  # a script with a personal access token: the API only, no cookie, no CSRF
            principal = await run_in_threadpool(token_principal, engine_of(request), bearer)
            if principal is None:
                raise NotLoggedIn()
            if principal.role not in roles:
                raise Forbidden(f"the role {principal.role} may not do this")
            request.state.principal = principal
            return principal
        token = request.cookies.get(SESSION_COOKIE)
        principal = await run_in_threadpool(session_principal, engine_of(request), token) if token else None
        if principal is None:
            raise NotLoggedIn()
        if principal.role not in roles:
            raise Forbidden(f"the role {principal.role} may not do this")
        if request.method not in SAFE_METHODS:
            if not same_origin(request):
                raise Forbidden("cross-origin request refused")
            if not csrf_matches(principal.csrf_token, await submitted_csrf(request)):
                raise Forbidden("missing or wrong CSRF token (reload the page and try again)")
        request.state.principal = principal
        return principal

    setattr(check, ROLES_ATTRIBUTE, frozenset(roles))
    return check


async def _public(request: Request) -> None:
    """The login page: anyone; its form is protected by a double-submit CSRF cookie instead."""
    if request.method not in SAFE_METHODS:
        if not same_origin(request):
            raise Forbidden("cross-origin request refused")
        given = await submitted_csrf(request)
        if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), given) or not given:
            raise Forbidden("missing or wrong CSRF token (reload the page and try again)")


setattr(_public, ROLES_ATTRIBUTE, frozenset({"public"}))

Public = Annotated[None, Depends(_public)]
AnyUser = Annotated[Principal, Depends(require(*ROLES))]
Admin = Annotated[Principal, Depends(require("admin"))]
Clinician = Annotated[Principal, Depends(require("clinician"))]
PatientUser = Annotated[Principal, Depends(require("patient"))]
Reader = Annotated[Principal, Depends(require("clinician", "researcher"))]  # patient lists, analyses
RecordReader = Annotated[Principal, Depends(require("clinician", "researcher", "patient"))]  # one record
VisitWriter = Annotated[Principal, Depends(require("clinician", "patient"))]  # ALSFRS-R entry

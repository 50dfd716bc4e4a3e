"""The FastAPI application: ``create_app(db_url)`` (served by ``alscell serve``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from alscell.domain.vocabulary import EL_ESCORIAL, ONSET_SITES, SEXES
from alscell.store.engine import open_database
from alscell.web.security import Forbidden, NotFound, NotLoggedIn

HERE = Path(__file__).parent
BODY_LIMIT = 2 * 1024 * 1024  # forms and JSON
UPLOAD_BODY_LIMIT = 65 * 1024 * 1024  # web.uploads.MAX_UPLOAD_BYTES plus the multipart envelope
templates = Jinja2Templates(
    # the web's own pages, and the report's shared pieces under "report/" (one template, two places)
    env=Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(HERE / "templates"),
                PrefixLoader({"report": PackageLoader("alscell.report", "templates")}),
            ]
        ),
        autoescape=select_autoescape(default=True),
    )
)
templates.env.globals["vocab"] = {"sexes": SEXES, "onset_sites": ONSET_SITES, "el_escorial": EL_ESCORIAL}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    principal = getattr(request.state, "principal", None)
    return templates.TemplateResponse(
        request, "error.html", {"status": status, "message": message, "user": principal}, status_code=status
    )


async def _not_logged_in(request: Request, exc: Exception) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": "log in first"}, status_code=401)
    return RedirectResponse("/login", status_code=303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    return _error(request, 403, str(exc) or "forbidden")


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error(request, 404, "not found")


DB_URL_ENV = "ALSCELL_SERVE_DB"  # the registry URL handed to each worker process of `alscell serve --workers N`


def app_from_environment() -> FastAPI:
    """The app of one worker process of ``alscell serve --workers N`` (uvicorn's factory)."""
    import os

    return create_app(os.environ[DB_URL_ENV], fit_process=True)


class BodyLimit:
    """ASGI middleware: refuse a body larger than the route allows before anything reads it (uploads: the
    import page).  Plain ASGI rather than ``@app.middleware("http")``, whose per-request task and streams
    cost more than most pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            request = Request(scope)
            limit = UPLOAD_BODY_LIMIT if scope["path"] == "/import" else BODY_LIMIT
            length = request.headers.get("content-length")
            refusal = None
            if length is None or not length.isdigit():
                if "chunked" in request.headers.get("transfer-encoding", "").lower():
                    refusal = _error(request, 411, "send the request with a Content-Length")
            elif int(length) > limit:
                refusal = _error(request, 413, f"the request is larger than {limit // 2**20} MB")
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(db_url: str, *, fit_process: bool = False) -> FastAPI:
    """The web app on the registry at ``db_url`` (schema upgraded to the newest migration).

    ``fit_process``: fit the whole-registry models (the patient chart's natural history, the prognosis
    models) in a child process rather than a thread of the server (``alscell serve`` does; see
    :mod:`alscell.web.fit_worker`).  Ignored for an in-memory SQLite database."""
    from alscell.store.accounts import pseudonym_key
    from alscell.web import (
        api,
        busy,
        effect_page,
        entry_pages,
        fit_worker,
        headers,
        pages,
        prognosis,
        summary,
        transfer_pages,
    )
    from alscell.web.dashboard import router as dashboard_router
    from alscell.web.natural_history import cache_for

    engine = open_database(db_url)
    worker = fit_worker.FitWorker(engine) if fit_process and fit_worker.can_use(engine) else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if worker is not None:
            worker.warm()
            cache_for(engine).start_now(engine)  # the first fit starts with the server, not at the first page
        yield
        if worker is not None:
            worker.close()

    app = FastAPI(
        title="alscell",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served at /api/v1/openapi.json behind a login instead
        lifespan=lifespan,
    )
    app.state.engine = engine
    if worker is not None:
        cache_for(engine).use_worker(worker)
    # Made now rather than by the first request that needs them, so that a refused request changes nothing.
    pseudonym_key(app.state.engine)
    summary.ensure_current(app.state.engine)
    app.add_exception_handler(NotLoggedIn, _not_logged_in)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(NotFound, _not_found)
    busy.install(app)  # a busy registry answers 503 + Retry-After (web/busy.py)

    app.add_middleware(BodyLimit)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(entry_pages.router)
    app.include_router(transfer_pages.router)
    app.include_router(api.router)
    app.include_router(prognosis.router)
    app.include_router(dashboard_router)
    app.include_router(effect_page.router)
    headers.install(app)  # security headers, outermost (web/headers.py)
    return app


def html(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
    """Render the page template ``name`` (the logged-in user and CSRF token are always available)."""
    principal = getattr(request.state, "principal", None)
    context = {"user": principal, "csrf": principal.csrf_token if principal else "", **context}
    return templates.TemplateResponse(request, name, context, status_code=status)

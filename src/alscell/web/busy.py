"""A registry busy with another writer answers 503 with one sentence and ``Retry-After`` (docs/reliability.md).

Every web write takes the registry's one write lock (``alscell.store.engine.write_transaction``, shared with
imports and migrations) and waits up to the busy timeout (``$ALSCELL_BUSY_TIMEOUT``, default 60 s); when
another writer holds it longer, the request is answered here instead of with a 500 and a driver's
"database is locked".  Nothing was written: the client may send the same request again.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from alscell.store.engine import RegistryBusy, is_busy_error

RETRY_AFTER_SECONDS = 2
MESSAGE = "the registry is busy (another import or edit is writing to it); nothing was saved, try again in a moment"


def busy_response(request: Request) -> Response:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": MESSAGE}, status_code=503, headers=headers)
    return PlainTextResponse(MESSAGE, status_code=503, headers=headers)


async def _registry_busy(request: Request, exc: Exception) -> Response:
    return busy_response(request)


async def _database_error(request: Request, exc: Exception) -> Response:
    """A lock error raised outside ``write_transaction`` (a driver's "database is locked") is a busy registry
    too; any other database error stays a server error."""
    if is_busy_error(exc):
        return busy_response(request)
    raise exc


def install(app: FastAPI) -> None:
    """Answer RegistryBusy (and a driver's lock error) with 503 on ``app``."""
    from sqlalchemy.exc import OperationalError

    app.add_exception_handler(RegistryBusy, _registry_busy)
    app.add_exception_handler(OperationalError, _database_error)

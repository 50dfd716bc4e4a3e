"""Import (a canonical folder as .zip), export (researchers: de-identified only) and personal access tokens.

Import runs the importer itself (``store.importer.import_folder``: the whole folder validated with the
registry, all or nothing) after ``uploads.unpack`` has refused unsafe archives; a clinician may import
only patients of their own site.  Export is the same code as ``alscell export``: the registry's tables,
``io.deidentify.deidentify`` with the registry's key, then ``io.writer.write_folder`` or
``io.redcap.write_redcap``, zipped.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from alscell.store import accounts
from alscell.store.accounts import Principal
from alscell.web import records, uploads
from alscell.web.app import html
from alscell.web.security import AnyUser, Clinician, Reader, engine_of

router = APIRouter(include_in_schema=False)
EXPORT_FORMATS = ("canonical", "redcap")


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- personal access tokens -------------------------------------------------------------------------------


def _tokens_page(request: Request, user: Principal, new_token: str | None, error: str | None, status: int = 200):
    tokens = accounts.list_tokens(engine_of(request), user.user_id)
    return html(request, "tokens.html", {"tokens": tokens, "new_token": new_token, "error": error}, status=status)


@router.get("/account/tokens")
def tokens_page(request: Request, user: AnyUser) -> Response:
    return _tokens_page(request, user, None, None)


@router.post("/account/tokens")
async def tokens_create(request: Request, user: AnyUser) -> Response:
    form = await request.form()
    try:
        token = await run_in_threadpool(accounts.create_token, engine_of(request), user, str(form.get("name", "")))
    except accounts.AccountError as exc:
        return _tokens_page(request, user, None, str(exc), status=422)
    return _tokens_page(request, user, token, None)


@router.post("/account/tokens/{token_id}/revoke")
def tokens_revoke(request: Request, user: AnyUser, token_id: int) -> Response:
    if not accounts.revoke_token(engine_of(request), user, token_id):
        raise records.NotFound()
    return _see_other("/account/tokens")


# --- import -----------------------------------------------------------------------------------------------


def _site_problems(engine, user: Principal, folder: Path) -> list[str]:
    """Rows of the folder about patients outside the clinician's site (one sentence each, at most 20)."""
    from sqlalchemy import select

    from alscell.io.rawcsv import read_raw_folder
    from alscell.store.models import SQL_TABLES

    raw, _problems = read_raw_folder(folder)
    mine = user.site or ""
    out: list[str] = []
    patients = raw.get("patients")
    own: set[str] = set()
    if patients is not None and "patient_id" in patients.columns:
        site = patients["site"].fillna("") if "site" in patients.columns else patients["patient_id"].map(lambda _: "")
        for pid, s in zip(patients["patient_id"].fillna(""), site, strict=True):
            if str(s).strip() != mine:
                out.append(f"patients.csv: patient {pid!r} is of site {str(s).strip() or '(none)'!r}, not yours")
            else:
                own.add(str(pid).strip())
    P = SQL_TABLES["patients"]
    site_clause = P.c.site.is_(None) if not user.site else P.c.site == user.site
    with engine.connect() as conn:
        for name, frame in raw.items():
            if name == "patients" or "patient_id" not in frame.columns:
                continue
            ids = set(frame["patient_id"].dropna().astype(str).str.strip()) - own
            if not ids:
                continue
            found = set(conn.execute(select(P.c.patient_id).where(P.c.patient_id.in_(ids), site_clause)).scalars())
            out += [f"{name}.csv: patient {pid!r} is not one of your site's patients" for pid in sorted(ids - found)]
    return out[:20]


def _import_page(request: Request, messages: list[str], summary: str | None, status: int = 200) -> Response:
    limit = uploads.MAX_UPLOAD_BYTES // (1024 * 1024)
    return html(request, "import.html", {"messages": messages, "summary": summary, "limit": limit}, status=status)


@router.get("/import")
def import_page(request: Request, user: Clinician) -> Response:
    return _import_page(request, [], None)


def _import_upload(engine, user: Principal, upload: Path, work: Path) -> str:
    from alscell.io.errors import ValidationError
    from alscell.store.importer import import_folder

    folder = uploads.unpack(upload, work)
    refused = _site_problems(engine, user, folder)
    if refused:
        raise ValidationErrorList(refused)
    try:
        summary = import_folder(engine, folder, actor=user.username)
    except ValidationError as exc:
        raise ValidationErrorList([*exc.messages(), f"nothing was imported ({exc.total} problem(s))"]) from exc
    return "; ".join(
        f"{name}: {summary.inserted[name]} new, {summary.updated[name]} updated, {summary.unchanged[name]} unchanged"
        for name in summary.inserted
    )


class ValidationErrorList(Exception):
    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("; ".join(messages))


@router.post("/import")
async def import_submit(request: Request, user: Clinician) -> Response:
    form = await request.form()  # the body size was checked before it was read (app.limit_body)
    try:
        return await _import_form(request, user, form.get("archive"))
    finally:
        await form.close()  # the uploaded file's spooled temporary file


async def _import_form(request: Request, user: Principal, upload) -> Response:
    if not isinstance(upload, UploadFile):
        return _import_page(request, ["choose a .zip file of a canonical folder"], None, status=422)
    with tempfile.TemporaryDirectory(prefix="alscell-upload-") as tmp:
        path, work = Path(tmp) / "upload.zip", Path(tmp) / "folder"
        work.mkdir()
        size = 0
        with open(path, "wb") as out:
            while chunk := await upload.read(1 << 20):
                size += len(chunk)
                if size > uploads.MAX_UPLOAD_BYTES:
                    return _import_page(
                        request, [f"the upload is larger than {uploads.MAX_UPLOAD_BYTES // 2**20} MB"], None, 413
                    )
                out.write(chunk)
        try:
            summary = await run_in_threadpool(_import_upload, engine_of(request), user, path, work)
        except uploads.UploadRefused as exc:
            return _import_page(request, [str(exc)], None, status=422)
        except ValidationErrorList as exc:
            return _import_page(request, exc.messages, None, status=422)
    return _import_page(request, [], summary)


# --- export -----------------------------------------------------------------------------------------------


@router.get("/export")
def export_page(request: Request, user: Reader) -> Response:
    return html(request, "export.html", {"formats": EXPORT_FORMATS})


def export_zip(engine, user: Principal, fmt: str, deidentify: bool) -> bytes:
    """The registry (a clinician: their site's patients) as a zipped folder, de-identified for a researcher
    always — the same steps as ``alscell export [--deidentify] [--format redcap]``."""
    from alscell.io.deidentify import deidentify as deidentify_tables
    from alscell.io.redcap import write_redcap
    from alscell.io.writer import write_folder

    tables = records.user_tables(engine, user)
    frames = dict(tables.items())
    if deidentify or user.role == "researcher":
        frames = deidentify_tables(frames, accounts.pseudonym_key(engine))
    with tempfile.TemporaryDirectory(prefix="alscell-export-") as tmp:
        folder = Path(tmp) / "export"
        if fmt == "redcap":
            write_redcap(frames, folder)
        else:
            write_folder(frames, folder)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.iterdir()):
                zf.write(path, f"alscell-export/{path.name}")
    return buffer.getvalue()


@router.get("/export/download")
async def export_download(request: Request, user: Reader, format: str = "canonical", deidentify: str = "") -> Response:
    if format not in EXPORT_FORMATS:
        raise records.NotFound()
    deid = user.role == "researcher" or deidentify == "1"
    data = await run_in_threadpool(export_zip, engine_of(request), user, format, deid)
    name = f"alscell-{format}{'-deidentified' if deid else ''}.zip"
    return Response(
        data, media_type="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )

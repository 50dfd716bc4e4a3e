"""Data entry pages for administrations, measurements, adverse events and events, and the record page
(values, audit trail with CSV export, sign and lock, delete with a reason).  Forms work without JavaScript.

Every write goes through ``records.write_row`` / ``delete_row``: the importer's validation of the row
merged with the stored registry, under the write lock, with one audit entry.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alscell.store.accounts import Principal
from alscell.web import forms, records, review
from alscell.web.app import html
from alscell.web.security import Admin, Clinician, NotFound, engine_of

router = APIRouter(include_in_schema=False)
FORM_TABLES = tuple(forms.ENTRY_TITLES)
RECORD_TABLES = ("patients", "alsfrs", *FORM_TABLES)
TITLES = {"patients": "Patient", "alsfrs": "ALSFRS-R visit", **forms.ENTRY_TITLES}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _table(name: str, allowed: tuple[str, ...] = FORM_TABLES) -> str:
    if name not in allowed:
        raise NotFound()
    return name


def _treatment_ids(request: Request, patient_id: str) -> list[str]:
    tables = records.patient_tables(engine_of(request), patient_id)
    return [str(t) for t in tables["treatments"]["treatment_id"]]


def _form(
    request: Request,
    patient_id: str,
    name: str,
    values: dict,
    errors: dict,
    *,
    edit: dict | None = None,
    status: int = 200,
) -> Response:
    fields = forms.entry_fields(name, _treatment_ids(request, patient_id) if name == "adverse_events" else None)
    base = f"/patients/{patient_id}/records/{name}"
    context = {
        "patient_id": patient_id,
        "table": name,
        "title": TITLES[name],
        "fields": fields,
        "values": values,
        "errors": errors,
        "action": f"{base}/{edit['url_key']}" if edit else base,
        "edit": edit,
        "muscles": set(values.get("target_muscles", "").split(";")),
        "today": forms.today(),
    }
    return html(request, "entry_form.html", context, status=status)


@router.get("/patients/{patient_id}/records/{name}/new")
def entry_new(request: Request, user: Clinician, patient_id: str, name: str) -> Response:
    records.resolve_patient(engine_of(request), user, patient_id)
    return _form(request, patient_id, _table(name), {}, {})


@router.post("/patients/{patient_id}/records/{name}")
async def entry_create(request: Request, user: Clinician, patient_id: str, name: str) -> Response:
    engine = engine_of(request)
    records.resolve_patient(engine, user, patient_id)
    name = _table(name)
    values = forms.entry_values(await request.form(), name, patient_id)
    try:
        await run_in_threadpool(records.write_row, engine, name, values, actor=user.username, reason="created")
    except records.FieldErrors as exc:
        return _form(request, patient_id, name, values, exc.errors, status=422)
    return _see_other(f"/patients/{patient_id}#{name}")


def _stored(request: Request, user: Principal, patient_id: str, name: str, url_key: str) -> tuple[dict, dict]:
    """The stored record (decorated view row) and its key; NotFound when this user may not see it."""
    engine = engine_of(request)
    records.resolve_patient(engine, user, patient_id)
    key = records.key_from_url(name, patient_id, url_key) if name != "patients" else {"patient_id": patient_id}
    view = records.patient_view(engine, user, records.patient_rows(engine, patient_id), patient_id, versions=(name,))
    rows = {
        "alsfrs": view.visits,
        "treatments": view.treatments,
        "measurements": view.measurements,
        "adverse_events": view.adverse_events,
        "events": view.events,
    }
    if name == "patients":
        return view.row | {"locked": view.locked, "url_key": "-"}, key
    wanted = records.url_key(name, key)
    row = next((r for r in rows[name] if r["url_key"] == wanted), None)
    if row is None:
        raise NotFound()
    return row, key


def _text_values(row: dict) -> dict[str, str]:
    return {k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for k, v in row.items()}


@router.get("/patients/{patient_id}/records/{name}/{url_key}/edit")
def entry_edit(request: Request, user: Clinician, patient_id: str, name: str, url_key: str) -> Response:
    name = _table(name, ("alsfrs", *FORM_TABLES))
    row, key = _stored(request, user, patient_id, name, url_key)
    if name == "alsfrs":
        return _see_other(f"/patients/{patient_id}/visits/{key['date']}/edit")
    return _form(request, patient_id, name, _text_values(row), {}, edit=row)


@router.post("/patients/{patient_id}/records/{name}/{url_key}")
async def entry_update(request: Request, user: Clinician, patient_id: str, name: str, url_key: str) -> Response:
    name = _table(name)
    row, key = _stored(request, user, patient_id, name, url_key)
    form = await request.form()
    values = forms.entry_values(form, name, patient_id) | {k: v for k, v in key.items()}
    version, reason = str(form.get("version", "")), str(form.get("reason", ""))
    try:
        await run_in_threadpool(
            records.write_row, engine_of(request), name, values, actor=user.username, reason=reason, version=version
        )
    except records.FieldErrors as exc:
        edit = row | {"version": version}
        return _form(request, patient_id, name, values | {"reason": reason}, exc.errors, edit=edit, status=422)
    except records.EditConflict as exc:
        return _conflict(request, patient_id, name, url_key, exc)
    return _see_other(f"/patients/{patient_id}/records/{name}/{url_key}")


def _conflict(request: Request, patient_id: str, name: str, url_key: str, exc: records.EditConflict) -> Response:
    columns = [c for c in dict.fromkeys([*exc.current, *exc.yours]) if c != "patient_id"]
    context = {
        "patient_id": patient_id,
        "what": TITLES[name],
        "current": exc.current,
        "yours": exc.yours,
        "columns": columns,
        "again": f"/patients/{patient_id}/records/{name}/{url_key}/edit",
    }
    return html(request, "conflict.html", context, status=409)


def _record_page(
    request: Request, user: Principal, patient_id: str, name: str, url_key: str, errors: dict, status: int = 200
) -> Response:
    row, key = _stored(request, user, patient_id, name, url_key)
    entries = records.record_audit(engine_of(request), name, key)
    shown = {k: v for k, v in row.items() if k not in ("version", "url_key", "locked", "months_since_onset")}
    context = {
        "patient_id": patient_id,
        "table": name,
        "title": TITLES[name],
        "row": shown,
        "record": row,
        "key": " ".join(key.values()),
        "entries": entries,
        "errors": errors,
        "base": f"/patients/{patient_id}/records/{name}/{url_key}",
        "editable": name in FORM_TABLES or name == "alsfrs",
    }
    return html(request, "record.html", context, status=status)


@router.get("/patients/{patient_id}/records/{name}/{url_key}")
def record_page(request: Request, user: Clinician, patient_id: str, name: str, url_key: str) -> Response:
    return _record_page(request, user, patient_id, _table(name, RECORD_TABLES), url_key, {})


@router.get("/patients/{patient_id}/records/{name}/{url_key}/audit.csv")
def record_audit_csv(request: Request, user: Clinician, patient_id: str, name: str, url_key: str) -> Response:
    name = _table(name, RECORD_TABLES)
    _row, key = _stored(request, user, patient_id, name, url_key)
    text = records.audit_csv(records.record_audit(engine_of(request), name, key))
    return _csv(text, f"audit-{name}.csv")


@router.get("/patients/{patient_id}/audit.csv")
def patient_audit_csv(request: Request, user: Clinician, patient_id: str) -> Response:
    engine = engine_of(request)
    records.resolve_patient(engine, user, patient_id)
    return _csv(records.audit_csv(records.audit_entries(engine, patient_id)), "audit.csv")


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/patients/{patient_id}/records/{name}/{url_key}/delete")
async def record_delete(request: Request, user: Clinician, patient_id: str, name: str, url_key: str) -> Response:
    name = _table(name, ("alsfrs", *FORM_TABLES))
    _row, key = _stored(request, user, patient_id, name, url_key)
    form = await request.form()
    version, reason = str(form.get("version", "")), str(form.get("reason", ""))
    try:
        await run_in_threadpool(
            records.delete_row,
            engine_of(request),
            name,
            key,
            actor=user.username,
            reason=reason,
            version=version,
            patient_id=patient_id,
        )
    except records.FieldErrors as exc:
        return _record_page(request, user, patient_id, name, url_key, exc.errors, status=422)
    except records.EditConflict as exc:
        return _conflict(request, patient_id, name, url_key, exc)
    return _see_other(f"/patients/{patient_id}")


@router.post("/patients/{patient_id}/records/{name}/{url_key}/sign")
async def record_sign(request: Request, user: Clinician, patient_id: str, name: str, url_key: str) -> Response:
    name = _table(name, RECORD_TABLES)
    _row, key = _stored(request, user, patient_id, name, url_key)
    form = await request.form()
    client = request.client.host if request.client else "unknown"
    try:
        await run_in_threadpool(
            review.sign, engine_of(request), user, name, key, patient_id, str(form.get("password", "")), client
        )
    except records.FieldErrors as exc:
        return _record_page(request, user, patient_id, name, url_key, exc.errors, status=422)
    return _see_other(f"/patients/{patient_id}/records/{name}/{url_key}")


def _locks(request: Request) -> list[dict]:
    locks = review.list_locks(engine_of(request))
    for lock in locks:
        lock["key"] = records.encode_key(lock["row_key"].split("\x1f"))
    return locks


@router.get("/admin/locks")
def locks_page(request: Request, user: Admin) -> Response:
    return html(request, "locks.html", {"locks": _locks(request), "errors": {}})


@router.post("/admin/locks/unlock")
async def locks_unlock(request: Request, user: Admin) -> Response:
    form = await request.form()
    engine = engine_of(request)
    try:
        await run_in_threadpool(
            review.unlock,
            engine,
            user,
            str(form.get("table_name", "")),
            "\x1f".join(records.decode_key(str(form.get("key", "")))),
            str(form.get("reason", "")),
        )
    except records.FieldErrors as exc:
        return html(request, "locks.html", {"locks": _locks(request), "errors": exc.errors}, status=422)
    return _see_other("/admin/locks")

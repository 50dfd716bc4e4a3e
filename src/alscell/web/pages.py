"""HTML pages (Jinja2 templates; forms work without JavaScript, HTMX makes the total and search live)."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alscell.domain.staging import KINGS_ORDER
from alscell.domain.vocabulary import VISIT_TYPES
from alscell.store import accounts
from alscell.store.accounts import Principal
from alscell.web import charts, forms, records
from alscell.web.app import html
from alscell.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Admin,
    AnyUser,
    Clinician,
    PatientUser,
    Public,
    Reader,
    VisitWriter,
    engine_of,
)

router = APIRouter(include_in_schema=False)
HOME = {"admin": "/admin/users", "clinician": "/patients", "researcher": "/patients", "patient": "/me"}


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/login")
def login_page(request: Request, _: Public) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = html(request, "login.html", {"login_csrf": token, "error": None})
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request))
    return response


@router.post("/login")
async def login_submit(request: Request, _: Public) -> Response:
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    engine = engine_of(request)
    old = request.cookies.get(SESSION_COOKIE)
    if old:  # a session id from before the login is never reused (session fixation)
        await run_in_threadpool(accounts.logout, engine, old)
    client = request.client.host if request.client else "unknown"
    try:
        token, principal = await run_in_threadpool(accounts.login, engine, username, password, client)
    except accounts.LoginRefused as exc:
        context = {"login_csrf": request.cookies.get(LOGIN_CSRF_COOKIE, ""), "error": str(exc)}
        refused = html(request, "login.html", context, status=401)
        refused.delete_cookie(SESSION_COOKIE)
        return refused
    response = _see_other(HOME[principal.role])
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=int(accounts.SESSION_ABSOLUTE.total_seconds()),
    )
    return response


@router.post("/logout")
def logout(request: Request, user: AnyUser) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.logout(engine_of(request), token)
    response = _see_other("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def home(user: AnyUser) -> Response:
    return _see_other(HOME[user.role])


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value else None


@router.get("/patients")
def patient_list(
    request: Request,
    user: Reader,
    q: str = "",
    site: str = "",
    kings: str = "",
    dfrs_min: str = "",
    dfrs_max: str = "",
    page: int = 1,
) -> Response:
    engine = engine_of(request)
    kings = kings if kings in KINGS_ORDER else ""
    rows, total = records.list_patients(
        engine,
        user,
        q=q,
        site=site,
        kings=kings,
        dfrs_min=_number(dfrs_min),
        dfrs_max=_number(dfrs_max),
        page=page,
    )
    pages = max((total + records.PAGE_SIZE - 1) // records.PAGE_SIZE, 1)
    filters = {"q": q, "site": site, "kings": kings, "dfrs_min": dfrs_min, "dfrs_max": dfrs_max}
    context = {"rows": rows, "total": total, "page": page, "pages": pages, "f": filters, **filters}
    context["query"] = urlencode({k: v for k, v in filters.items() if v})
    context["sites"] = records.sites(engine, user)
    context["stages"] = KINGS_ORDER
    name = "patient_rows.html" if request.headers.get("HX-Request") else "patients.html"
    return html(request, name, context)


@router.get("/patients/new")
def patient_new(request: Request, user: Clinician) -> Response:
    return html(request, "patient_new.html", {"values": {}, "errors": {}})


@router.post("/patients")
async def patient_create(request: Request, user: Clinician) -> Response:
    values = forms.patient_values(await request.form(), user.site)
    try:
        await run_in_threadpool(
            records.write_row, engine_of(request), "patients", values, actor=user.username, reason="created"
        )
    except records.FieldErrors as exc:
        return html(request, "patient_new.html", {"values": values, "errors": exc.errors}, status=422)
    return _see_other(f"/patients/{values['patient_id']}")


def _patient_page(request: Request, user: Principal, shown_id: str) -> Response:
    engine = engine_of(request)
    patient_id = records.resolve_patient(engine, user, shown_id)
    prow = records.patient_rows(engine, patient_id)  # one read of this patient's rows, never the registry
    view = records.patient_view(engine, user, prow, shown_id, versions=False)
    chart = None
    if user.role != "researcher":  # the chart's axis is in calendar dates
        chart = charts.trajectory_chart(engine, prow)
    context = {"p": view, "chart": chart, "chart_version": charts.version_text(chart) if chart else ""}
    return html(request, "patient.html", context)


@router.get("/patients/{shown_id}")
def patient_page(request: Request, user: Reader, shown_id: str) -> Response:
    return _patient_page(request, user, shown_id)


@router.get("/me")
def my_record(request: Request, user: PatientUser) -> Response:
    return _patient_page(request, user, user.patient_id or "")


def _visit_context(patient_id: str, values: dict) -> dict[str, object]:
    """What every rendering of the visit form shows: the patient, the items with their answers, the visit types."""
    return {"patient_id": patient_id, "items": forms.item_choices(), "visit_types": VISIT_TYPES, "values": values}


def _visit_form(
    request: Request, user: Principal, patient_id: str, values: dict, errors: dict, status: int = 200
) -> Response:
    action = "/me/self-report" if user.role == "patient" else f"/patients/{patient_id}/visits"
    context = _visit_context(patient_id, values) | {"errors": errors}
    context |= {"action": action, "edit": None, "today": forms.today()}
    return html(request, "visit_form.html", context, status=status)


@router.get("/patients/{patient_id}/visits/new")
def visit_new(request: Request, user: Clinician, patient_id: str) -> Response:
    records.resolve_patient(engine_of(request), user, patient_id)
    return _visit_form(request, user, patient_id, {}, {})


@router.get("/me/self-report")
def self_report_form(request: Request, user: PatientUser) -> Response:
    return _visit_form(request, user, user.patient_id or "", {}, {})


async def _visit_create(request: Request, user: Principal, patient_id: str) -> Response:
    patient_id = records.resolve_patient(engine_of(request), user, patient_id)
    assessor = "self" if user.role == "patient" else "clinician"
    form = await request.form()
    values = forms.visit_values(form, patient_id, assessor)
    if user.role == "patient":  # the clinic's screening and rater are not the patient's to record (not asked)
        values["eligible"] = ""
        values["rater"] = ""
    values["gastrostomy"] = str(form.get("gastrostomy", ""))
    try:
        await run_in_threadpool(
            records.write_row, engine_of(request), "alsfrs", values, actor=user.username, reason="created"
        )
    except records.FieldErrors as exc:
        return _visit_form(request, user, patient_id, values, exc.errors, status=422)
    return _see_other("/me" if user.role == "patient" else f"/patients/{patient_id}")


@router.post("/patients/{patient_id}/visits")
async def visit_create(request: Request, user: Clinician, patient_id: str) -> Response:
    return await _visit_create(request, user, patient_id)


@router.post("/me/self-report")
async def self_report(request: Request, user: PatientUser) -> Response:
    return await _visit_create(request, user, user.patient_id or "")


@router.get("/patients/{patient_id}/visits/{date}/edit")
def visit_edit(request: Request, user: Clinician, patient_id: str, date: str) -> Response:
    engine = engine_of(request)
    records.resolve_patient(engine, user, patient_id)
    view = records.patient_view(
        engine, user, records.patient_rows(engine, patient_id), patient_id, versions=("alsfrs",)
    )
    visit = next((v for v in view.visits if str(v["date"]) == date), None)
    if visit is None:
        raise records.NotFound()
    values = {k: ("" if v is None else str(v)) for k, v in visit.items()}
    values["gastrostomy"] = "yes" if values.get("q5b") else "no"
    context = _visit_context(patient_id, values)
    context |= {
        "errors": {},
        "action": f"/patients/{patient_id}/visits/{date}",
        "edit": visit["version"],
        "today": date,
    }
    return html(request, "visit_form.html", context)


@router.post("/patients/{patient_id}/visits/{date}")
async def visit_update(request: Request, user: Clinician, patient_id: str, date: str) -> Response:
    records.resolve_patient(engine_of(request), user, patient_id)
    form = await request.form()
    values = forms.visit_values(form, patient_id, str(form.get("assessor", "")) or "clinician")
    values["date"] = date
    version, reason = str(form.get("version", "")), str(form.get("reason", ""))
    try:
        await run_in_threadpool(
            records.write_row,
            engine_of(request),
            "alsfrs",
            values,
            actor=user.username,
            reason=reason,
            version=version,
        )
    except records.FieldErrors as exc:
        values |= {"gastrostomy": str(form.get("gastrostomy", "")), "reason": reason}
        context = _visit_context(patient_id, values)
        context |= {
            "errors": exc.errors,
            "action": f"/patients/{patient_id}/visits/{date}",
            "edit": version,
            "today": date,
        }
        return html(request, "visit_form.html", context, status=422)
    except records.EditConflict as exc:
        columns = [c for c in dict.fromkeys([*exc.current, *exc.yours]) if c not in ("patient_id",)]
        context = {"patient_id": patient_id, "date": date, "current": exc.current, "yours": exc.yours}
        return html(request, "conflict.html", context | {"columns": columns}, status=409)
    return _see_other(f"/patients/{patient_id}")


@router.get("/alsfrs/score")
def alsfrs_score(request: Request, user: VisitWriter) -> Response:
    return html(request, "score.html", {"s": forms.score_summary(request.query_params)})


@router.get("/admin/users")
def users_page(request: Request, user: Admin) -> Response:
    users = accounts.list_users(engine_of(request))
    return html(request, "users.html", {"users": users, "roles": accounts.ROLES, "error": None})


@router.post("/admin/users")
async def users_create(request: Request, user: Admin) -> Response:
    form = await request.form()
    engine = engine_of(request)
    values = {k: str(form.get(k, "")).strip() for k in ("username", "role", "site", "patient_id")}
    error = None
    try:
        await run_in_threadpool(
            accounts.create_user,
            engine,
            values["username"],
            values["role"],
            str(form.get("password", "")),
            site=values["site"] or None,
            patient_id=values["patient_id"] or None,
            actor=user.username,
        )
    except accounts.AccountError as exc:
        error = str(exc)
    users = accounts.list_users(engine)
    return html(
        request, "users.html", {"users": users, "roles": accounts.ROLES, "error": error}, status=422 if error else 200
    )

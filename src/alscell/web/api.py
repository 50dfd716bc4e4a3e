"""JSON API ``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``): the same records and role checks as the pages.

Writes need the session's CSRF token in the ``X-CSRF-Token`` header (``GET /api/v1/session`` returns it).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from alscell.io.columns import ALSFRS_ITEMS
from alscell.web import records
from alscell.web.security import AnyUser, Clinician, Reader, RecordReader, VisitWriter, engine_of


class ApiError(BaseModel):
    """Every 422 body of the API: a request that does not fit the schema gets FastAPI's list of errors in
    ``detail``; a well-formed request that breaks a rule gets one sentence in ``detail``, or ``"invalid"``
    with the sentences by field in ``errors`` (the importer's rules, io.validate)."""

    detail: str | list[dict[str, Any]]
    errors: dict[str, list[str]] | None = None


router = APIRouter(
    prefix="/api/v1",
    tags=["alscell"],
    responses={422: {"model": ApiError, "description": "The request breaks the schema or a rule of the data."}},
)


class PatientIn(BaseModel):
    patient_id: str
    sex: str
    onset_date: str
    onset_site: str
    birth_year: int | None = None
    diagnosis_date: str | None = None
    el_escorial: str | None = None


class VisitIn(BaseModel):
    date: str
    items: dict[str, int | None] = Field(description="q1 … q12 with q5a or q5b, each 0-4")
    visit_type: str | None = Field(
        None, description="optional: scheduled, unscheduled, home, inpatient or remote (docs/data-rules.md)"
    )
    eligible: bool | None = Field(
        None,
        description="optional: the clinic's screening for the therapy at this visit, true if the patient met its "
        "criteria (docs/data-rules.md); recorded by clinicians only",
    )
    rater: str | None = Field(
        None,
        description="optional: who rated the visit, as the clinic's pseudonym for the rater (e.g. R07), never a "
        "name: 1-40 characters of A-Z a-z 0-9 . _ - (rule bad_rater, docs/data-rules.md); recorded by clinicians only",
    )


class VisitEdit(VisitIn):
    version: str = Field(description="the visit's version as read from GET …/visits")
    reason: str


def _text(v: Any) -> str:
    return "" if v is None else str(v)


def _problem(exc: records.FieldErrors) -> JSONResponse:
    return JSONResponse({"detail": "invalid", "errors": exc.errors}, status_code=422)


@router.get("/session")
def session(user: AnyUser) -> dict:
    """Who is logged in, and the CSRF token for writes."""
    return {"username": user.username, "role": user.role, "site": user.site, "csrf_token": user.csrf_token}


@router.get("/patients")
def patients(request: Request, user: Reader, q: str = "", site: str = "", page: int = 1) -> dict:
    rows, total = records.list_patients(engine_of(request), user, q=q, site=site, page=page)
    for r in rows:
        r.pop("patient_id", None)
        r["onset_date"] = _text(r["onset_date"]) or None
    return {"total": total, "page": page, "page_size": records.PAGE_SIZE, "patients": rows}


@router.post("/patients", status_code=201, response_model=None)
def patient_create(request: Request, user: Clinician, body: PatientIn) -> dict | JSONResponse:
    values = {k: _text(v) for k, v in body.model_dump().items()} | {"site": user.site or ""}
    try:
        row = records.write_row(engine_of(request), "patients", values, actor=user.username, reason="created")
    except records.FieldErrors as exc:
        return _problem(exc)
    return row


def _view(request: Request, user, shown_id: str, versions: tuple[str, ...]) -> records.PatientView:
    """The patient's view with the edit fingerprints of the tables ``versions`` (the ones answered)."""
    engine = engine_of(request)
    patient_id = records.resolve_patient(engine, user, shown_id)
    prow = records.patient_rows(engine, patient_id, versions)  # only the tables answered are read
    return records.patient_view(engine, user, prow, shown_id, versions=versions, only=versions, audit=False)


def _jsonable(rows: list[dict]) -> list[dict]:
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in rows]


@router.get("/patients/{shown_id}")
def patient(request: Request, user: RecordReader, shown_id: str) -> dict:
    view = _view(request, user, shown_id, ("treatments", "adverse_events"))
    return {
        "id": view.shown_id,
        "patient": _jsonable([view.row])[0],
        "treatments": _jsonable(view.treatments),
        "adverse_events": _jsonable(view.adverse_events),
    }


@router.get("/patients/{shown_id}/visits")
def visits(request: Request, user: RecordReader, shown_id: str) -> dict:
    return {"id": shown_id, "visits": _jsonable(_view(request, user, shown_id, ("alsfrs",)).visits)}


def _visit_values(patient_id: str, body: VisitIn, assessor: str) -> dict[str, str]:
    values = {q: _text(body.items.get(q)) for q in ALSFRS_ITEMS}
    if assessor == "self" and body.eligible is not None:
        raise records.FieldErrors(
            {"eligible": ["the screening for the therapy is recorded by the clinic, not in a self-report"]}
        )
    if assessor == "self" and _text(body.rater).strip():
        raise records.FieldErrors({"rater": ["a self-report has no rater: the rater is recorded by the clinic"]})
    unknown = set(body.items) - set(ALSFRS_ITEMS)
    if unknown:
        raise records.FieldErrors({"items": [f"unknown items {sorted(unknown)}"]})
    return values | {
        "patient_id": patient_id,
        "date": body.date,
        "assessor": assessor,
        "visit_type": _text(body.visit_type),
        "eligible": "" if body.eligible is None else str(body.eligible).lower(),
        "rater": _text(body.rater),
    }


@router.post("/patients/{shown_id}/visits", status_code=201, response_model=None)
def visit_create(request: Request, user: VisitWriter, shown_id: str, body: VisitIn) -> dict | JSONResponse:
    engine = engine_of(request)
    patient_id = records.resolve_patient(engine, user, shown_id)
    try:
        values = _visit_values(patient_id, body, "self" if user.role == "patient" else "clinician")
        return records.write_row(engine, "alsfrs", values, actor=user.username, reason="created")
    except records.FieldErrors as exc:
        return _problem(exc)


@router.put("/patients/{shown_id}/visits/{date}", response_model=None)
def visit_update(request: Request, user: Clinician, shown_id: str, date: str, body: VisitEdit) -> dict | JSONResponse:
    engine = engine_of(request)
    patient_id = records.resolve_patient(engine, user, shown_id)
    try:
        values = _visit_values(patient_id, body, "clinician") | {"date": date}
        return records.write_row(
            engine, "alsfrs", values, actor=user.username, reason=body.reason, version=body.version
        )
    except records.FieldErrors as exc:
        return _problem(exc)
    except records.EditConflict as exc:
        return JSONResponse({"detail": "conflict", "current": exc.current, "yours": exc.yours}, status_code=409)


RECORD_TABLES = ("treatments", "measurements", "adverse_events", "events")


class RecordIn(BaseModel):
    values: dict[str, str | int | float | bool | None] = Field(
        description="canonical columns of the table (patient_id comes from the path); target_muscles ';'-separated"
    )


class RecordEdit(RecordIn):
    version: str = Field(description="the record's version as read from GET …/records/{table}")
    reason: str


class RecordDelete(BaseModel):
    version: str
    reason: str


def _record_table(table: str) -> str:
    if table not in RECORD_TABLES:
        raise records.NotFound()
    return table


def _values(patient_id: str, body: RecordIn) -> dict[str, str]:
    def text(v: object) -> str:
        return "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)

    return {k: text(v) for k, v in body.values.items()} | {"patient_id": patient_id}


@router.get("/patients/{shown_id}/records/{table}")
def record_list(request: Request, user: RecordReader, shown_id: str, table: str) -> dict:
    """Administrations, measurements, adverse events or events of one patient (de-identified for researchers);
    each with ``version`` and ``key`` (for PUT / DELETE) when the user may edit."""
    attr = _record_table(table)
    view = _view(request, user, shown_id, (table,))
    rows = getattr(view, attr)
    return {"id": shown_id, "table": table, "records": _jsonable([{**r, "key": r.get("url_key")} for r in rows])}


@router.post("/patients/{shown_id}/records/{table}", status_code=201, response_model=None)
def record_create(request: Request, user: Clinician, shown_id: str, table: str, body: RecordIn) -> dict | JSONResponse:
    engine = engine_of(request)
    patient_id = records.resolve_patient(engine, user, shown_id)
    try:
        values = _values(patient_id, body)
        return records.write_row(engine, _record_table(table), values, actor=user.username, reason="created")
    except records.FieldErrors as exc:
        return _problem(exc)


@router.put("/patients/{shown_id}/records/{table}/{key}", response_model=None)
def record_update(
    request: Request, user: Clinician, shown_id: str, table: str, key: str, body: RecordEdit
) -> dict | JSONResponse:
    engine = engine_of(request)
    patient_id = records.resolve_patient(engine, user, shown_id)
    fixed = records.key_from_url(_record_table(table), patient_id, key)
    try:
        values = _values(patient_id, body) | fixed
        return records.write_row(engine, table, values, actor=user.username, reason=body.reason, version=body.version)
    except records.FieldErrors as exc:
        return _problem(exc)
    except records.EditConflict as exc:
        return JSONResponse({"detail": "conflict", "current": exc.current, "yours": exc.yours}, status_code=409)


@router.delete("/patients/{shown_id}/records/{table}/{key}", response_model=None)
def record_delete(
    request: Request, user: Clinician, shown_id: str, table: str, key: str, body: RecordDelete
) -> dict | JSONResponse:
    engine = engine_of(request)
    patient_id = records.resolve_patient(engine, user, shown_id)
    fixed = records.key_from_url(_record_table(table), patient_id, key)
    try:
        records.delete_row(
            engine, table, fixed, actor=user.username, reason=body.reason, version=body.version, patient_id=patient_id
        )
    except records.FieldErrors as exc:
        return _problem(exc)
    except records.EditConflict as exc:
        return JSONResponse({"detail": "conflict", "current": exc.current, "yours": exc.yours}, status_code=409)
    return {"deleted": fixed}


@router.get("/patients/{shown_id}/audit")
def audit(request: Request, user: Clinician, shown_id: str) -> dict:
    """The audit trail of one patient's records (newest first)."""
    engine = engine_of(request)
    patient_id = records.resolve_patient(engine, user, shown_id)
    entries = records.audit_entries(engine, patient_id)
    keep = ("id", "at", "actor", "action", "table_name", "record", "changes", "reason", "source")
    return {"id": shown_id, "entries": _jsonable([{k: e[k] for k in keep} for e in entries])}


@router.get("/effect", response_model=None)
def effect(
    request: Request,
    user: Reader,
    outcome: str = "alsfrs_r_total",
    method: str | None = None,
    sensitivity: bool = False,
    modifiers: str | None = None,
    adjust_for: str | None = None,
    within_starters: bool = False,
    adjust_shape: str | None = None,
    decision_lag_days: str | None = None,  # checked by analysis.decision_inputs.check_lag (one sentence, 422)
    decision_visits: str | None = None,  # checked by analysis.decision_occasions.check_occasions (422)
    leave_out_visits: str | None = None,  # the same check
    eligible_when: str | None = None,  # checked by analysis.decision_inputs.parse_eligible (422)
    recorded_eligibility: bool = False,  # read alsfrs.eligible (analysis.decision_occasions.screened_out)
    # hold each alsfrs.rater's offset (analysis.rater_identity): true, false (as recorded), absent: held where two
    # raters or more are recorded (g_estimation's default)
    hold_raters: bool | None = None,
    # how the ratings made by the patient or a caregiver enter (analysis.self_ratings): read or outcome (checked,
    # 422), absent: g_estimation's default (DEFAULT_SELF_RATINGS)
    self_ratings: str | None = None,
    # the decision history g_estimation reads (analysis.g_estimation.HISTORIES; checked by
    # analysis.decision_inputs.check_history, 422), absent: g_estimation's default (DEFAULT_HISTORY, measures_only)
    history: str | None = None,
) -> dict | JSONResponse:
    """``alscell effect --json [--sensitivity | --modifiers M] [--adjust-for T [--within-starters]
    [--adjust-shape S] [--eligible-when E]] [--decision-lag D] [--decision-visits V] [--leave-out-visits V]
    [--recorded-eligibility] [--hold-raters | --raters-as-recorded] [--self-ratings read|outcome]
    [--history NAME]`` on the patients this user may see (analysis.effects.estimate_effect;
    analysis.sensitivity.sensitivity_analyses; analysis.effect_modification; analysis.decision_inputs)."""
    from alscell.analysis.errors import NotApplicable
    from alscell.web.effect_page import effect_json  # the one rule set, shared with the /effect page

    try:
        return effect_json(
            engine_of(request),
            user,
            outcome,
            method,
            sensitivity=sensitivity,
            modifiers=modifiers,
            adjust_for=adjust_for,
            within_starters=within_starters,
            adjust_shape=adjust_shape,
            decision_lag_days=decision_lag_days,
            decision_visits=decision_visits,
            leave_out_visits=leave_out_visits,
            eligible_when=eligible_when,
            recorded_eligibility=recorded_eligibility,
            hold_raters=hold_raters,
            self_ratings=self_ratings,
            history=history,
        )
    except NotApplicable as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, user: AnyUser) -> dict:
    return request.app.openapi()

"""The effect page ``/effect``: the treatment effect with the decision inputs a statistician names
(``alscell effect --adjust-for T [--within-starters] [--adjust-shape S] [--decision-lag D] [--decision-visits V] [--leave-out-visits V]
[--recorded-eligibility] [--hold-raters | --raters-as-recorded] [--self-ratings read|outcome] [--history NAME]``;
``GET /api/v1/effect``).

One rule set: :func:`effect_json` is the whole of ``GET /api/v1/effect`` (the checks of
``analysis.decision_inputs.named_options``, the user's scope, ``estimate_effect`` or its sensitivity and
modification variants, ``named_json``); the API route and this page both call it, so the page's numbers are the
API's for the same user and parameters.

Who sees what (deny by default, :mod:`alscell.web.security`): clinicians and researchers (``Reader``, as the
dashboard); a clinician's estimate covers the patients of their own site (an account without a site: the
patients without one), a researcher's every patient, and a researcher's page carries no patient id or calendar
date that a warning might name (``dashboard.redact``, as the dashboard).  The form offers every term of
``PATIENT_INPUTS``, of ``VISIT_INPUTS`` and the measurement keys recorded for the patients this user may see.

Computation: in the request, in FastAPI's threadpool (sync routes), as ``/api/v1/effect`` does: one g-estimation
fit, not the dashboard's eleven sections, so neither a background job nor a progress poll.  Timed by
``benchmarks/effect_request_time.py`` (docs/effect_request_time.md): most of a request is reading the registry, not
the fit, so the request reads only the measurements the analysis uses
(:func:`alscell.analysis.decision_inputs.measures_read`, as ``alscell effect`` keeps); a registry of tens of
thousands of patients would still want the dashboard's pattern.

HTMX: the form asks for ``/effect/result`` (the partial) and puts it under the form; without script the same
form loads ``/effect`` with the result in the page.  A choice the analysis cannot make (within the starters with
no term named, a term the registry does not record) is one sentence with 422; ``static/effect.js`` lets HTMX
show that answer (it swaps no 4xx answer by default; the CSP allows no inline script).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine, func, select

from alscell.analysis.decision_inputs import ADJUST_SHAPES, DEFAULT_SHAPE, PATIENT_INPUTS, VISIT_INPUTS
from alscell.analysis.errors import NotApplicable
from alscell.analysis.history_contrast import check_rows
from alscell.analysis.self_ratings import SELF_RATINGS
from alscell.domain.measures import MEASURES
from alscell.domain.vocabulary import VISIT_TYPES
from alscell.store.accounts import Principal
from alscell.store.models import SQL_TABLES
from alscell.web import records, summary
from alscell.web.app import html
from alscell.web.security import Reader, engine_of

router = APIRouter(include_in_schema=False)
DEFAULT_OUTCOME = "alsfrs_r_total"


# -- the one rule set (also GET /api/v1/effect) -------------------------------------------------------------------
def effect_json(
    engine: Engine,
    user: Principal,
    outcome: str = DEFAULT_OUTCOME,
    method: str | None = None,
    *,
    sensitivity: bool = False,
    modifiers: str | None = None,
    adjust_for: str | None = None,
    within_starters: bool = False,
    adjust_shape: str | None = None,
    decision_lag_days: float | str | None = None,
    decision_visits: str | None = None,
    leave_out_visits: str | None = None,
    eligible_when: str | None = None,
    recorded_eligibility: bool = False,
    hold_raters: bool | None = None,
    self_ratings: str | None = None,
    history: str | None = None,
) -> dict:
    """``alscell effect --json`` on the patients ``user`` may see: the object of ``GET /api/v1/effect`` (a
    researcher's de-identified: :func:`_deidentified`).
    The request's choices are checked before the registry is read.  Raises :class:`NotApplicable` (one
    sentence) for a choice the analysis cannot make."""
    from alscell.analysis.decision_inputs import measures_read, named_json, named_options
    from alscell.analysis.effect_modification import estimate_modified, modified_json, parse_modifiers
    from alscell.analysis.effects import DEFAULT_METHOD, estimate_effect

    method = method or DEFAULT_METHOD
    names = parse_modifiers(modifiers, sensitivity)
    options = named_options(
        adjust_for,
        within_starters,
        method,
        adjust_shape,
        decision_lag_days,
        decision_visits,
        leave_out_visits,
        eligible_when,
        recorded_eligibility,
        hold_raters,
        self_ratings,
        history,
    )
    # only the measurements the analysis reads, as `alscell effect` keeps (most of a large registry's rows are others)
    tables = records.user_tables(engine, user, measures=measures_read(outcome, options.get("adjust_for", ())))
    if names:
        est = estimate_modified(tables, outcome, method, names, **options)
        obj = named_json(modified_json(est), options, est.details)
    elif sensitivity:
        from alscell.analysis.sensitivity import sensitivity_analyses

        sens = sensitivity_analyses(tables, outcome, method, options)
        obj = named_json(sens.to_json_dict(), options, sens.primary.details)
    else:
        est = estimate_effect(tables, outcome, method, **options)
        obj = named_json(est.to_json_dict(), options, est.details)
    # a researcher's sentences carry no patient id, no calendar date and no rater's own id, in the API as on the page
    return _deidentified(obj, engine) if user.role == "researcher" else obj


# -- what the form offers -----------------------------------------------------------------------------------------
_measures_lock = threading.Lock()
_measures: weakref.WeakKeyDictionary[Engine, dict[str, tuple[int, tuple[str, ...]]]] = weakref.WeakKeyDictionary()


def recorded_measures(engine: Engine, user: Principal) -> tuple[str, ...]:
    """The measurement keys recorded for the patients ``user`` may see, in the order of ``MEASURES``; kept per
    registry data version and scope (one scan of the measurements)."""
    m, p = SQL_TABLES["measurements"], SQL_TABLES["patients"]
    scope = f"site:{user.site or ''}" if user.role == "clinician" else "all"
    query = select(m.c.measure).distinct()
    if user.role == "clinician":  # the rule of records.site_tables: "" and no site are the same
        query = query.join(p, p.c.patient_id == m.c.patient_id).where(func.coalesce(p.c.site, "") == (user.site or ""))
    with engine.connect() as conn:
        version = summary.data_version(conn)
        with _measures_lock:
            cached = _measures.setdefault(engine, {}).get(scope)
        if cached is not None and cached[0] == version:
            return cached[1]
        found = set(conn.scalars(query))
    keys = tuple(k for k in MEASURES if k in found)
    with _measures_lock:
        _measures.setdefault(engine, {})[scope] = (version, keys)
    return keys


def _scope_text(user: Principal) -> str:
    if user.role != "clinician":
        return "every patient of the registry"
    return f"the patients of site {user.site}" if user.site else "the patients without a site"


def _names(adjust_for: list[str] | None) -> list[str]:
    """The ticked terms (repeated ``adjust_for`` fields, or one comma-separated value as the API takes)."""
    return list(dict.fromkeys(t.strip() for v in adjust_for or () for t in v.split(",") if t.strip()))


# -- what the result shows -------------------------------------------------------------------------------------------
def _deidentified(obj: dict, engine: Engine) -> dict:
    """A researcher's result without patient ids or calendar dates in its sentences, each rater's id replaced by
    its keyed pseudonym (``alscell export --deidentify``'s; numbers unchanged)."""
    from alscell.io.deidentify import rater_pseudonym
    from alscell.store.accounts import pseudonym_key
    from alscell.web.dashboard import redact

    with engine.connect() as conn:
        ids = frozenset(str(x) for x in conn.scalars(select(SQL_TABLES["patients"].c.patient_id)))
        raters = [str(x) for x in conn.scalars(select(SQL_TABLES["alsfrs"].c.rater).distinct()) if x]
    key = pseudonym_key(engine) if raters else b""
    return redact(obj, ids, {r: rater_pseudonym(key, r) for r in raters})


def _result_view(obj: dict) -> dict[str, Any]:
    """The API's object and its display strings (the cohort report's formatting, as the dashboard)."""
    from alscell.report import text

    outcome = str(obj.get("outcome"))
    if outcome in MEASURES:
        label = MEASURES[outcome].label
    else:  # alsfrs_r_total, bulbar, fine_motor, gross_motor, respiratory
        label = "ALSFRS-R " + text.words(outcome).removeprefix("alsfrs r ")
    shown = {k: text.num(obj.get(k), 3) for k in ("estimate", "ci_low", "ci_high")}
    exact = {k: "" if obj.get(k) is None else repr(float(obj[k])) for k in ("estimate", "ci_low", "ci_high", "p_value")}
    return {
        "r": obj,
        "outcome_label": label,
        "shown": shown,
        "exact": exact,
        "p_shown": text.pval(obj.get("p_value")),
        "comparison": text.comparison(obj.get("method")),
        "inputs": obj.get("decision_inputs"),
        "checks": check_rows(obj),
    }


@dataclass(frozen=True)
class Choices:
    """What the form asks for (the query of ``/effect`` and ``/effect/result``): the ticked terms (repeated
    ``adjust_for`` fields, or one comma-separated value as the API takes), within the starters, the shape, the
    outcome and method carried through, the decision lag in days as typed (empty: none) and the ticked visit types at
    which the clinic decides (none: every visit) and those left out of the analysis, the stated eligibility, whether
    the recorded screening is read, the raters' offsets, the self-ratings and the decision history as chosen (empty:
    g_estimation's default)."""

    names: list[str]
    within_starters: bool
    adjust_shape: str
    outcome: str
    method: str
    decision_lag_days: str = ""
    decision_visits: tuple[str, ...] = ()
    leave_out_visits: tuple[str, ...] = ()
    eligible_when: str = ""
    recorded_eligibility: bool = False
    hold_raters: str = ""  # "true", "false" (as recorded), "": g_estimation's default (held where raters are recorded)
    self_ratings: str = ""  # "read", "outcome", "": g_estimation's default (analysis.self_ratings.DEFAULT_SELF_RATINGS)
    history: str = ""  # one of g_estimation.HISTORIES, "": g_estimation's default (DEFAULT_HISTORY)


def _choices(
    adjust_for: Annotated[list[str] | None, Query()] = None,
    within_starters: bool = False,
    adjust_shape: str = "",
    outcome: str = DEFAULT_OUTCOME,
    method: str = "",
    decision_lag_days: str = "",
    decision_visits: Annotated[list[str] | None, Query()] = None,
    leave_out_visits: Annotated[list[str] | None, Query()] = None,
    eligible_when: str = "",
    recorded_eligibility: bool = False,
    hold_raters: str = "",
    self_ratings: str = "",
    history: str = "",
) -> Choices:
    return Choices(_names(adjust_for), within_starters, adjust_shape, outcome, method, decision_lag_days.strip(),
                   tuple(_names(decision_visits)), tuple(_names(leave_out_visits)), eligible_when.strip(),
                   recorded_eligibility, hold_raters.strip(), self_ratings.strip(), history.strip())  # fmt: skip


FormChoices = Annotated[Choices, Depends(_choices)]


# the form's choice → g_estimation's hold_raters (the spellings of a boolean the API's query accepts, too)
HOLD_RATERS = (
    {"": None} | dict.fromkeys(("true", "1", "on", "yes"), True) | dict.fromkeys(("false", "0", "off", "no"), False)
)


def _run(request: Request, user: Principal, c: Choices) -> tuple[dict[str, Any], int]:
    """(the result's template context, HTTP status): the estimate, or the sentence why there is none (422)."""
    engine = engine_of(request)
    try:
        if c.hold_raters.lower() not in HOLD_RATERS:
            raise NotApplicable(f"hold_raters {c.hold_raters!r}: use true (held), false (as recorded) or leave it empty "
                                "(held where two raters or more are recorded).")  # fmt: skip
        obj = effect_json(
            engine,
            user,
            c.outcome,
            c.method or None,
            adjust_for=",".join(c.names) or None,
            within_starters=c.within_starters,
            adjust_shape=c.adjust_shape or None,
            decision_lag_days=c.decision_lag_days or None,  # checked by named_options (a form sends text)
            decision_visits=",".join(c.decision_visits) or None,
            leave_out_visits=",".join(c.leave_out_visits) or None,
            eligible_when=c.eligible_when or None,
            recorded_eligibility=c.recorded_eligibility,
            hold_raters=HOLD_RATERS[c.hold_raters.lower()],
            self_ratings=c.self_ratings or None,  # checked by named_options (an unknown choice: its sentence, 422)
            history=c.history or None,  # the same
        )
    except NotApplicable as exc:
        return {"problem": str(exc), "result": None}, 422
    return {"problem": None, "result": _result_view(obj)}, 200


@router.get("/effect")
def effect_page(request: Request, user: Reader, choices: FormChoices, run: bool = False) -> Response:
    """The form; with ``run`` (the form's submission without HTMX) also its result, in the page."""
    from alscell.analysis.g_estimation import DEFAULT_HISTORY, HISTORIES  # (not at import: the app starts lighter)

    context: dict[str, Any] = {
        "patient_inputs": PATIENT_INPUTS,
        "visit_inputs": VISIT_INPUTS,
        "lag": choices.decision_lag_days,
        "eligible_when": choices.eligible_when,
        "recorded_eligibility": choices.recorded_eligibility,
        # the choice as the form's select names it ("true", "false" or "": the default)
        "hold_raters": {True: "true", False: "false", None: ""}[HOLD_RATERS.get(choices.hold_raters.lower())],
        # the choice as the form's select names it ("read", "outcome" or "": the default)
        "self_ratings": choices.self_ratings if choices.self_ratings in SELF_RATINGS else "",
        "self_ratings_choices": SELF_RATINGS,
        # the decision history as the form's select names it (one of HISTORIES or "": the default)
        "history": choices.history if choices.history in HISTORIES else "",
        "history_choices": HISTORIES,
        "default_history": DEFAULT_HISTORY,
        "visit_types": VISIT_TYPES,
        "occasions": set(choices.decision_visits),
        "left_out": set(choices.leave_out_visits),
        "measures": [(k, MEASURES[k].label) for k in recorded_measures(engine_of(request), user)],
        "shapes": ADJUST_SHAPES,
        "ticked": set(choices.names),
        "within": choices.within_starters,
        "shape": choices.adjust_shape or DEFAULT_SHAPE,
        "outcome": choices.outcome,
        "method": choices.method,
        "scope_text": _scope_text(user),
        "ran": run,
    }
    status = 200
    if run:
        result, status = _run(request, user, choices)
        context |= result
    return html(request, "effect.html", context, status=status)


@router.get("/effect/result")
def effect_result(request: Request, user: Reader, choices: FormChoices) -> Response:
    """The result alone (HTMX); the address bar shows the page with the same choices (``HX-Push-Url``)."""
    context, status = _run(request, user, choices)
    response = html(request, "effect_result.html", context, status=status)
    query = request.url.query
    if "run" not in request.query_params:
        query = f"{query}&run=true" if query else "run=true"
    response.headers["HX-Push-Url"] = f"/effect?{query}"
    return response

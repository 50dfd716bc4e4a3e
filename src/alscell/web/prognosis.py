"""The patient's prognosis page: forecast, ENCALS, treatment scenarios and suitability (issue 16).

The same analysis as ``alscell forecast --json``'s ``prognosis`` key (:mod:`alscell.analysis.prognosis`).
The models are fitted on the whole registry in the background, right after the patient page's
natural-history snapshot of the same data version (:mod:`alscell.web.natural_history`); a page never fits
them.  A page uses the newest fitted models with the patient's records as read for the page
(``alscell.analysis.patient_course.prognosis_patient_current``: the patient's own random effects, visits and
survival row from those records, the population parts from the fit) — the numbers of ``prognosis_patient``
on the registry when the patient's records are those the models were fitted on — and says which data
version the models were fitted on.  Only when no models have been fitted yet does the page wait for them.

Who sees what (deny by default: each route names the roles it admits, :mod:`alscell.web.security`):
a clinician sees the patients of their site, a patient only their own record (``/me/prognosis``), a
researcher a pseudonymised patient with no identifier — no dates, no free-text sources that carry dates,
ages of 90 and over shown as "90 or older".
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from alscell.analysis.errors import NotApplicable
from alscell.analysis.patient_course import prognosis_patient_current
from alscell.analysis.prognosis import PrognosisModels
from alscell.store.accounts import Principal
from alscell.web import records
from alscell.web.app import html
from alscell.web.charts import data_version
from alscell.web.security import PatientUser, Reader, engine_of

router = APIRouter(include_in_schema=False)
AGE_CAP = 90  # ages at or above this are shown as "90 or older" to researchers (as the de-identified export)


def prognosis_models(engine: Engine) -> tuple[PrognosisModels | str, str]:
    """The registry's newest prognosis models (or one sentence why there are none) and a sentence saying
    which data version they were fitted on (empty when there are none)."""
    from alscell.web.natural_history import WAIT_S, cache_for

    version = data_version(engine)
    snap, why = cache_for(engine).prognosis_for(engine, version, wait=WAIT_S)
    if snap is None or snap.prognosis is None:
        return why, ""
    if isinstance(snap.prognosis, str):
        return snap.prognosis, ""
    basis = (
        f"The models were fitted on registry data version {snap.version}; this patient's own values are their "
        "current records."
    )
    if version > snap.version:
        basis += f" The registry has changed since (data version {version}); the models are refitted in the background."
    return snap.prognosis, basis


def _deidentify(d: dict[str, Any]) -> dict[str, Any]:
    """Drop dates and date-bearing texts; cap ages (researcher view)."""
    d = {k: v for k, v in d.items() if k != "as_of"}
    enc = dict(d.get("encals", {}))
    preds = {}
    for k, p in enc.get("predictors", {}).items():
        p = {**p, "source": ""}
        if k == "age_at_onset" and isinstance(p.get("value"), (int, float)) and p["value"] >= AGE_CAP:
            p["value"] = f"{AGE_CAP} or older"
        preds[k] = p
    enc["predictors"] = preds
    d["encals"] = enc
    sets = []
    for s in d.get("suitability", []):
        rows = []
        for c in s["criteria"]:
            if c.get("id") == "age" or "age is" in str(c.get("why", "")):
                v = c.get("value")
                if isinstance(v, (int, float)) and v >= AGE_CAP:
                    c = {**c, "value": f"{AGE_CAP} or older", "why": f"age is {AGE_CAP} or older."}
            rows.append(c)
        sets.append({**s, "criteria": rows})
    d["suitability"] = sets
    return d


def _page(request: Request, user: Principal, shown_id: str) -> Response:
    engine = engine_of(request)
    patient_id = records.resolve_patient(engine, user, shown_id)  # NotFound outside the user's scope
    models, basis = prognosis_models(engine)
    context: dict[str, Any] = {
        "shown_id": shown_id,
        "back": "/me" if user.role == "patient" else f"/patients/{shown_id}",
    }
    if isinstance(models, str):
        context.update(prognosis=None, not_available=models)
        return html(request, "prognosis.html", context)
    try:
        d = prognosis_patient_current(records.patient_tables(engine, patient_id), patient_id, models).to_json_dict()
    except NotApplicable as exc:
        context.update(prognosis=None, not_available=f"The prognosis cannot be computed for this patient: {exc}")
        return html(request, "prognosis.html", context)
    d["warnings"] = [basis, *d.get("warnings", [])]
    if user.role == "researcher":
        d = _deidentify(d)
    context.update(prognosis=d, not_available=None)
    return html(request, "prognosis.html", context)


@router.get("/patients/{shown_id}/prognosis")
def patient_prognosis(request: Request, user: Reader, shown_id: str) -> Response:
    return _page(request, user, shown_id)


@router.get("/me/prognosis")
def my_prognosis(request: Request, user: PatientUser) -> Response:
    return _page(request, user, user.patient_id or "")

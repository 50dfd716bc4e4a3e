"""The patient's prognosis page: forecast, ENCALS, treatment scenarios and suitability (issue 16).

The same analysis as ``alscell forecast --json``'s ``prognosis`` key (:mod:`alscell.analysis.prognosis`).
The models are fitted on the whole registry once per data version (:func:`alscell.web.charts.data_version`)
and reused for every patient until the registry changes.

Who sees what (deny by default: each route names the roles it admits, :mod:`alscell.web.security`):
a clinician sees the patients of their site, a patient only their own record (``/me/prognosis``), a
researcher a pseudonymised patient with no identifier — no dates, no free-text sources that carry dates,
ages of 90 and over shown as "90 or older".
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from alscell.analysis.errors import NotApplicable
from alscell.analysis.prognosis import PrognosisModels, fit_prognosis_models, prognosis_patient
from alscell.store.accounts import Principal
from alscell.web import records
from alscell.web.app import html
from alscell.web.charts import data_version
from alscell.web.security import PatientUser, Reader, engine_of

router = APIRouter(include_in_schema=False)
_lock = threading.RLock()
_cache: dict[str, tuple[int, PrognosisModels | str]] = {}
AGE_CAP = 90  # ages at or above this are shown as "90 or older" to researchers (as the de-identified export)


def prognosis_models(engine: Engine) -> PrognosisModels | str:
    """The registry's prognosis models, or one sentence why they cannot be fitted (cached per data version)."""
    key = engine.url.render_as_string()
    version = data_version(engine)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        try:
            models: PrognosisModels | str = fit_prognosis_models(records.registry_tables(engine))
        except NotApplicable as exc:
            models = f"The prognosis cannot be computed on this registry yet: {exc}"
        _cache[key] = (version, models)
        return models


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
    models = prognosis_models(engine)
    context: dict[str, Any] = {
        "shown_id": shown_id,
        "back": "/me" if user.role == "patient" else f"/patients/{shown_id}",
    }
    if isinstance(models, str):
        context.update(prognosis=None, not_available=models)
        return html(request, "prognosis.html", context)
    try:
        d = prognosis_patient(records.patient_tables(engine, patient_id), patient_id, models).to_json_dict()
    except NotApplicable as exc:
        context.update(prognosis=None, not_available=f"The prognosis cannot be computed for this patient: {exc}")
        return html(request, "prognosis.html", context)
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

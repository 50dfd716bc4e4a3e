"""The patient report: one person's course against their expected course without treatment."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import pandas as pd

from alscell.analysis.forecast import NaturalHistoryModel, PatientNotFound, forecast_patient
from alscell.analysis.prognosis import PrognosisModels
from alscell.io.tables import Tables, as_tables
from alscell.report import figures, interactive, text
from alscell.report.embed import svg
from alscell.report.render import render_html, write_report
from alscell.report.values import plain_record, plain_records

STRENGTH = ["grip_kg", "hhd_kg"]
BREATHING = ["fvc_pct_pred", "svc_pct_pred"]
QOL = ["fss", "alsaq40", "alsaq5"]
BIOMARKERS = ["nfl", "mcp1", "il6", "tnfa", "chi3l1", "munix", "cmap_mv"]
# Measures whose change from the pre-treatment value is listed per window (observed only: no
# expected course is modelled for them).
WINDOW_MEASURES = ["fvc_pct_pred", "grip_kg", "fss", "alsaq40"]


def _rows(tables: Tables, name: str, pid: str) -> pd.DataFrame:
    t = tables[name]
    return t[t["patient_id"] == pid]


def injected_muscles(treatments: pd.DataFrame) -> set[str]:
    out: set[str] = set()
    im = treatments[treatments["route"] == "intramuscular"]
    for v in im["target_muscles"].dropna():
        out.update(m.strip() for m in str(v).split(";") if m.strip())
    return out


def window_measures(meas: pd.DataFrame, t0: pd.Timestamp | None, windows: list[dict]) -> list[dict]:
    """Per window and measure: value at the last measurement in the window vs the last pre-treatment value."""
    from alscell.domain.measures import MEASURES
    from alscell.domain.outcomes import in_window

    if t0 is None or meas.empty:
        return []
    out = []
    for key in WINDOW_MEASURES:
        d = meas[meas["measure"] == key]
        if d.empty:
            continue
        daily = d.groupby("date")["value"].mean()
        pre = daily[daily.index <= t0]
        base = (pre.index[-1], float(pre.iloc[-1])) if len(pre) else None
        m = MEASURES[key]
        row: dict[str, Any] = {
            "measure": key,
            "label": m.label,
            "unit": m.unit,
            "higher_is_better": m.higher_is_better,
            "baseline_date": base[0] if base else None,
            "baseline": base[1] if base else None,
            "cells": [],
        }
        days = (daily.index - t0).days.to_numpy()
        for w in windows:
            sel = daily[in_window(days, w["window"]) & (days > 0)]
            if len(sel) and base:
                row["cells"].append(
                    {
                        "window": w["window"],
                        "date": sel.index[-1],
                        "value": float(sel.iloc[-1]),
                        "change": float(sel.iloc[-1] - base[1]),
                    }
                )
            else:
                row["cells"].append({"window": w["window"], "date": None, "value": None, "change": None})
        out.append(row)
    return out


def patient_context(
    tables: Tables,
    patient_id: str,
    model: NaturalHistoryModel | None = None,
    prognosis_models: PrognosisModels | str | None = None,
) -> dict:
    """Everything the patient template shows (figures as inline SVG / Plotly divs).

    ``model`` / ``prognosis_models``: fitted once on the cohort and shared by many reports (as ``alscell
    demo`` does); fitted here when not given."""
    tables = as_tables(tables)
    fc = forecast_patient(tables, patient_id, model)
    p = plain_record(tables["patients"].set_index("patient_id").loc[patient_id])
    treatments = _rows(tables, "treatments", patient_id).sort_values("date")
    active = treatments[treatments["blinded_arm"].fillna("active") != "placebo"]  # as active_treatments
    aes = _rows(tables, "adverse_events", patient_id).sort_values("onset_date")
    events = _rows(tables, "events", patient_id).sort_values("date")
    meas = _rows(tables, "measurements", patient_id).sort_values("date")
    visits = fc.visits
    injected = injected_muscles(treatments) if len(treatments) else set()

    figs = {
        "trajectory": svg(figures.trajectory_figure(fc, treatments, aes, events), "trajectory"),
        "subscores": _maybe(figures.subscores_figure(visits, treatments), "subscores"),
        "breathing": _maybe(figures.series_figure(meas, BREATHING, treatments, ""), "breathing"),
        "strength": _maybe(
            figures.strength_figure(meas[meas["measure"].isin(STRENGTH)], injected, treatments), "strength"
        ),
        "qol": _maybe(figures.series_figure(meas, QOL, treatments, ""), "qol"),
        "biomarkers": _maybe(
            figures.series_figure(meas, BIOMARKERS, treatments, "", log=True, group="specimen"), "biomarkers"
        ),
        "stages": _maybe(figures.stage_figure(visits, treatments), "stages"),
    }
    birth = p["birth_year"]
    onset = pd.Timestamp(p["onset_date"])
    age_onset = (onset.year - int(birth)) if birth is not None else None
    treated = fc.first_treatment is not None
    ae_rows = []
    for a in plain_records(aes):
        tr = (
            treatments[treatments["treatment_id"] == a["treatment_id"]]
            if a["treatment_id"] is not None
            else treatments.iloc[0:0]
        )
        ae_rows.append(
            {
                "date": a["onset_date"],
                "term": a["term"],
                "grade": a["grade"],
                "serious": a["serious"],
                "resolved": a["resolved_date"],
                "relatedness": a["relatedness"],
                "days_after": int((a["onset_date"] - tr["date"].iloc[0]).days) if len(tr) else None,
                "route": tr["route"].iloc[0] if len(tr) else None,
            }
        )
    return {
        "title": f"Patient report {patient_id}",
        "generated": _dt.date.today().isoformat(),
        "patient_id": patient_id,
        "patient": {
            "sex": p["sex"],
            "age_at_onset": age_onset,
            "onset_date": onset,
            "onset_site": p["onset_site"],
            "diagnosis_date": p["diagnosis_date"],
            "el_escorial": p["el_escorial"],
            "riluzole": p["riluzole"],
            "edaravone": p["edaravone"],
        },
        "fc": fc,
        "treated": treated,
        "n_active": len(active),
        "standing": text.standing_sentence(fc.status, treated),
        "treatments": plain_records(treatments),
        "injected": sorted(injected),
        "windows": fc.windows,
        "window_measures": window_measures(meas, fc.first_treatment, fc.windows),
        "adverse_events": ae_rows,
        "events": plain_records(events),
        "visits": plain_records(visits),
        "figs": figs,
        "interactive_trajectory": interactive.trajectory_plotly(fc, treatments, aes, events),
        "uses_plotly": True,
        "n_measurements": len(meas),
        "prognosis": _prognosis(tables, patient_id, prognosis_models),
    }


def shared_prognosis_models(tables: Tables) -> PrognosisModels | str:
    """The prognosis models fitted once for many patient reports, or one sentence why they cannot be."""
    from alscell.analysis.errors import NotApplicable
    from alscell.analysis.prognosis import fit_prognosis_models

    try:
        return fit_prognosis_models(tables)
    except NotApplicable as exc:
        return str(exc)


def _prognosis(tables: Tables, patient_id: str, models: PrognosisModels | str | None = None) -> dict:
    """The prognosis block (issue 16), or why it is not available."""
    from alscell.analysis.errors import NotApplicable
    from alscell.analysis.prognosis import prognosis_patient

    if isinstance(models, str):
        return {"not_available": models}
    try:
        return prognosis_patient(tables, patient_id, models).to_json_dict()
    except NotApplicable as exc:
        return {"not_available": str(exc)}


def _maybe(fig, label):
    return svg(fig, label) if fig is not None else None


def patient_report(
    tables: Tables,
    patient_id: str,
    out: str | Path,
    model: NaturalHistoryModel | None = None,
    prognosis_models: PrognosisModels | str | None = None,
) -> Path:
    """Write the patient report to ``out`` (.html, or .pdf through headless Chromium).

    Writing several reports: pass ``model=fit_natural_history(tables)`` and
    ``prognosis_models=shared_prognosis_models(tables)`` so each is fitted once, not per report."""
    html = render_html("patient.html", patient_context(tables, patient_id, model, prognosis_models))
    return write_report(html, out)


__all__ = [
    "PatientNotFound",
    "injected_muscles",
    "patient_context",
    "patient_report",
    "shared_prognosis_models",
    "window_measures",
]

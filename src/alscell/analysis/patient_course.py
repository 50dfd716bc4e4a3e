"""One patient's prognosis from models fitted earlier on the cohort and the patient's *current* records.

The prognosis models (:func:`alscell.analysis.prognosis.fit_prognosis_models`) are fitted on a whole cohort:
one natural-history mixed model per outcome, the stage tables and the survival data.  A patient's prognosis
uses the population parts of those (fixed effects, random-effect covariance, residual variance, the cohort's
stage tables and Kaplan–Meier curves) and the patient's own parts (random effects, visits, their survival
row).  :func:`prognosis_models_for_patient` recomputes the patient's own parts from their records as they are
now, with the population parts held: each outcome's random effects are the conditional BLUP from the
patient's current untreated values (``LMMResult.with_observations``), as are the number and date of those
values that pick the interval factor (the interval calibration itself is the fit's, computed once with it);
the derived visits and the survival row are the patient's current ones.  No refit is made (milliseconds
instead of a cohort fit).

For a patient whose records are those the models were fitted on, :func:`prognosis_patient_current` gives the
numbers of :func:`~alscell.analysis.prognosis.prognosis_patient` with those models (tests/analysis/
test_patient_course.py).  After a change to the patient's records it is what a refit would give if the
population parts did not move (one patient's records move them very little in a cohort of many).

The expected natural-history course (``alscell forecast``) has the same pair in
:mod:`alscell.analysis.forecast`: ``model_for_patient`` and ``forecast_patient_current``.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from alscell.analysis.forecast import forecast_patient_current, model_for_patient
from alscell.analysis.prognosis import (
    Prognosis,
    PrognosisModels,
    design,
    history_of,
    outcome_frames,
    prognosis_patient,
)
from alscell.io.tables import Tables, as_tables

__all__ = [
    "forecast_patient_current",
    "model_for_patient",
    "prognosis_models_for_patient",
    "prognosis_patient_current",
]


def prognosis_models_for_patient(models: PrognosisModels, tables: Tables, patient_id: str) -> PrognosisModels:
    """``models`` with this patient's own parts recomputed from ``tables`` (at least the patient's rows; other
    patients' rows are ignored) and the population parts kept (see the module docstring)."""
    from alscell.analysis.derived import derive_visits
    from alscell.analysis.prognosis import survival_data

    own = as_tables(tables).subset([patient_id])
    derived = derive_visits(own)
    frames = outcome_frames(own, derived)
    outcomes = {}
    for key, om in models.outcomes.items():
        f = frames[key].dropna(subset=["months", "y"])
        X, Z = design(f["months"].to_numpy(), om.random_curvature)
        result = om.result.with_observations(f["y"].to_numpy(dtype=float), X, Z, f["patient_id"].to_numpy())
        # the interval calibration is the fit's (computed once per fit); the history is the patient's now
        outcomes[key] = dataclasses.replace(om, result=result, history=history_of(f))
    survival = models.survival
    mine = survival_data(own, derived)
    if patient_id in survival.index or len(mine):
        others = survival[survival.index != patient_id]
        survival = pd.concat([others, mine]) if len(mine) else others
    return dataclasses.replace(models, outcomes=outcomes, survival=survival, derived=derived)


def prognosis_patient_current(
    tables: Tables, patient_id: str, models: PrognosisModels, as_of: pd.Timestamp | None = None
) -> Prognosis:
    """:func:`~alscell.analysis.prognosis.prognosis_patient` of one patient with their current records
    (``tables``: at least that patient's rows, e.g. read after ``models`` were fitted) and the population
    parts of ``models``; equal to ``prognosis_patient(tables, patient_id, models)`` when the patient's records
    are those the models were fitted on."""
    from alscell.analysis.forecast import PatientNotFound

    own = as_tables(tables).subset([patient_id])
    if not len(own["patients"]):
        raise PatientNotFound(f"patient {patient_id!r} is not in the data")
    return prognosis_patient(own, patient_id, prognosis_models_for_patient(models, own, patient_id), as_of)

"""A patient's expected natural-history course of the ALSFRS-R total (``alscell forecast``, patient report).

Model (DESIGN.md, "Counterfactuals"): a Gaussian linear mixed model (:mod:`alscell.analysis.lmm`) of the
ALSFRS-R total on time since symptom onset, quadratic in years since onset (curvilinear decline), random
intercept and slope per patient, fitted to the *untreated* course only:

* every visit of patients never given an active administration (sham/placebo rows do not count), and
* the visits of treated patients up to and including the day of their first active administration.

The visit that prompted treatment may have been chosen for looking bad (DESIGN.md, "Known pitfalls").
Leaving it out of the baseline (``exclude_prompting_visit=True``) was checked on simulated registries with
that selection (``selection_on_bad_visit=1``, no effect): it made the expected course *too optimistic*
(mean post-treatment residual about −1 to −2 points, 6–8% of visits below the 95% prediction band), because
the simulated selection is on the observed drop since the previous visit, which also reflects a real
current acceleration.  Keeping every pre-treatment visit (the default) gave residuals within ±0.8 points
and 2–4% of visits below / above the band on each side.  Both choices are kept; the caveat is printed.

The patient's expected course is the model's prediction with the patient's own random effects (BLUPs
from their untreated visits): ``mean`` with a 95% confidence band (where the patient's true untreated
course lies) and a 95% prediction band (where an observed visit would fall without treatment: adds the
visit-to-visit noise).  A patient with no untreated visit gets the population course, whose prediction
band includes the between-patient spread.

Stage: King's and MiToS at the latest visit (domain.staging).  Event risk: only the published median
survival of the patient's ΔFRS progression group (Labra et al., JNNP 2016;87:628–32, via
domain.progression); nothing else is claimed.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alscell.analysis.derived import derive_visits
from alscell.analysis.design_matrix import active_treatments
from alscell.analysis.errors import NotApplicable
from alscell.analysis.lmm import fit_lmm
from alscell.domain.alsfrs import TOTAL_MAX
from alscell.domain.outcomes import WINDOWS, in_window
from alscell.domain.progression import MEDIAN_SURVIVAL_YEARS, progression_group
from alscell.domain.time import DAYS_PER_MONTH
from alscell.io.tables import Tables, as_tables

__all__ = [
    "Forecast",
    "NaturalHistoryModel",
    "PatientNotFound",
    "active_treatments",
    "fit_natural_history",
    "forecast_patient",
    "forecast_patient_current",
    "model_for_patient",
    "untreated_visits",
]

MODEL_FORMULA = (
    "ALSFRS-R total ~ 1 + y + y² + (1 + y | patient), y = years since symptom onset; REML; untreated visits only"
)
HORIZON_MONTHS = 6.0  # the expected course is drawn this far past the latest visit
LABRA_SOURCE = "Labra et al., J Neurol Neurosurg Psychiatry 2016;87:628-32"


class PatientNotFound(NotApplicable):
    """The patient id is not in the data."""


def _first_treatment(tables) -> pd.Series:
    act = active_treatments(tables)
    # datetime64 even when there is no administration, so date comparisons stay well typed.
    return act.groupby("patient_id")["date"].min().astype("datetime64[ns]")


def untreated_visits(
    tables: Tables, derived: pd.DataFrame | None = None, exclude_prompting_visit: bool = False
) -> tuple[pd.DataFrame, pd.Series]:
    """Derived visits with columns ``phase`` (untreated/pre/post), ``prompting_visit`` (last visit on or
    before the first treatment) and ``in_fit`` (used by the model).

    Returns (visits, first_treatment_date per treated patient).
    """
    d = derive_visits(tables) if derived is None else derived
    d = d.sort_values(["patient_id", "date"]).reset_index(drop=True)
    first = _first_treatment(tables)
    t0 = d["patient_id"].map(first)
    phase = np.where(t0.isna(), "untreated", np.where(d["date"] <= t0, "pre", "post"))
    d["phase"] = phase
    d["first_treatment"] = t0
    ok = d["total"].notna() & d["months_since_onset"].notna()
    in_fit = ok & (d["phase"] != "post")
    # The visit that may have prompted treatment: the last pre-treatment visit.  Optionally out of the
    # baseline when the patient has another pre-treatment visit.
    pre = d[in_fit & (d["phase"] == "pre")]
    n_pre = pre.groupby("patient_id")["date"].transform("size")
    last = pre.groupby("patient_id")["date"].transform("max")
    prompting = pre.index[(n_pre >= 2) & (pre["date"] == last)]
    d["prompting_visit"] = False
    d.loc[prompting, "prompting_visit"] = True
    if exclude_prompting_visit:
        in_fit[prompting] = False
    d["in_fit"] = in_fit.to_numpy()
    return d, first


@dataclass
class NaturalHistoryModel:
    """The fitted natural-history LMM and the visits it used."""

    result: Any  # LMMResult
    visits: pd.DataFrame  # all derived visits with phase / in_fit
    first_treatment: pd.Series
    n_patients: int
    n_visits: int
    warnings: list[str] = field(default_factory=list)
    exclude_prompting_visit: bool = False

    @staticmethod
    def design(months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = np.asarray(months, dtype=float) / 12.0
        X = np.column_stack([np.ones_like(y), y, y * y])
        Z = np.column_stack([np.ones_like(y), y])
        return X, Z

    def predict(self, patient_id: str | None, months: np.ndarray, interval: str) -> pd.DataFrame:
        X, Z = self.design(months)
        known = patient_id is not None and patient_id in set(self.result.group_labels)
        return self.result.predict(X, Z, groups_new=patient_id if known else None, interval=interval)

    def expected_at_visits(self) -> pd.DataFrame:
        """Every visit with its expected untreated value and 95% prediction range (vectorised; the same
        numbers :func:`forecast_patient` gives per patient, before clipping to 0-48)."""
        v = self.visits.dropna(subset=["months_since_onset"]).copy()
        X, Z = self.design(v["months_since_onset"].to_numpy())
        pid = v["patient_id"]
        groups = pid.where(pid.isin(set(self.result.group_labels)), "\x00unknown").to_numpy(dtype=object)
        p = self.result.predict(X, Z, groups_new=groups, interval="prediction")
        v["expected"] = np.clip(p["mean"].to_numpy(), 0, TOTAL_MAX)
        v["pi_low"] = np.clip(p["lower"].to_numpy(), 0, TOTAL_MAX)
        v["pi_high"] = np.clip(p["upper"].to_numpy(), 0, TOTAL_MAX)
        v["residual"] = v["total"].astype(float) - v["expected"]
        v["position"] = _position(v["total"].astype(float), v["pi_low"], v["pi_high"])
        return v

    def describe(self) -> dict:
        fe = self.result.fe_params
        return {
            "formula": MODEL_FORMULA,
            "n_patients": self.n_patients,
            "n_visits": self.n_visits,
            "random_effects": list(self.result.re_names),
            "converged": bool(self.result.converged),
            "residual_sd": math.sqrt(self.result.scale),
            "population_slope_at_2y": float((fe.iloc[1] + 2 * fe.iloc[2] * 2.0) / 12.0),
        }


def fit_natural_history(
    tables: Tables, derived: pd.DataFrame | None = None, exclude_prompting_visit: bool = False
) -> NaturalHistoryModel:
    """Fit the natural-history mixed model once (reuse it for many patients)."""
    visits, first = untreated_visits(tables, derived, exclude_prompting_visit)
    fit = visits[visits["in_fit"]]
    notes: list[str] = []
    if fit["patient_id"].nunique() < 2 or len(fit) < 5:
        raise NotApplicable("too few untreated visits to fit a natural-history model (need at least two patients)")
    X, Z = NaturalHistoryModel.design(fit["months_since_onset"].to_numpy())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fit_lmm(
            fit["total"].to_numpy(dtype=float),
            X,
            Z,
            fit["patient_id"].to_numpy(),
            fe_names=["Intercept", "years", "years2"],
            re_names=["Intercept", "years"],
        )
    notes.extend(str(w.message) for w in caught)
    return NaturalHistoryModel(
        result=res,
        visits=visits,
        first_treatment=first,
        n_patients=int(fit["patient_id"].nunique()),
        n_visits=len(fit),
        warnings=notes,
        exclude_prompting_visit=exclude_prompting_visit,
    )


@dataclass
class Forecast:
    """A patient's expected untreated course and where their visits stand against it."""

    patient_id: str
    onset_date: pd.Timestamp
    first_treatment: pd.Timestamp | None
    patient_level: bool  # True: BLUPs from the patient's own untreated visits; False: population course
    course: pd.DataFrame  # date, months_since_onset, mean, ci_low, ci_high, pi_low, pi_high
    visits: pd.DataFrame  # the patient's derived visits with expected, pi_low, pi_high, residual, position
    stage: dict
    progression: dict
    windows: list[dict]
    status: dict  # where the patient stands at the latest post-treatment visit (or latest visit)
    model: dict
    expected_slope: float  # points/month of the expected course at the latest visit
    event_risks: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict:
        def rows(frame: pd.DataFrame, cols: list[str]) -> list[dict]:
            out = []
            for rec in frame[cols].to_dict("records"):
                out.append({k: _jsonable(v) for k, v in rec.items()})
            return out

        return {
            "patient_id": self.patient_id,
            "onset_date": _jsonable(self.onset_date),
            "first_treatment": _jsonable(self.first_treatment),
            "basis": "patient" if self.patient_level else "population",
            "expected_slope": _jsonable(self.expected_slope),
            "status": {k: _jsonable(v) for k, v in self.status.items()},
            "stage": {k: _jsonable(v) for k, v in self.stage.items()},
            "progression": {k: _jsonable(v) for k, v in self.progression.items()},
            "event_risks": self.event_risks,
            "windows": [{k: _jsonable(v) for k, v in w.items()} for w in self.windows],
            "visits": rows(
                self.visits,
                [
                    "date",
                    "months_since_onset",
                    "total",
                    "phase",
                    "in_fit",
                    "expected",
                    "pi_low",
                    "pi_high",
                    "residual",
                    "position",
                ],
            ),
            "course": rows(
                self.course, ["date", "months_since_onset", "mean", "ci_low", "ci_high", "pi_low", "pi_high"]
            ),
            "model": self.model,
            "warnings": self.warnings,
        }


def _jsonable(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else round(float(v), 4)
    return v


POSITIONS = {
    "above": "better than the range expected without treatment",
    "within": "within the range expected without treatment",
    "below": "worse than the range expected without treatment",
}


def _position(obs, lo, hi) -> np.ndarray:
    """Per visit: "above", "below" or "within" the prediction range; None where nothing was observed."""
    obs, lo, hi = (np.asarray(a, dtype=float) for a in (obs, lo, hi))
    out = np.where(obs > hi, "above", np.where(obs < lo, "below", "within")).astype(object)
    out[~np.isfinite(obs)] = None
    return out


def forecast_patient(
    tables: Tables,
    patient_id: str,
    model: NaturalHistoryModel | None = None,
    horizon_months: float = HORIZON_MONTHS,
) -> Forecast:
    """The patient's expected natural-history course with confidence and prediction bands."""
    tables = as_tables(tables)
    patients = tables["patients"].set_index("patient_id")
    if patient_id not in patients.index:
        raise PatientNotFound(f"patient {patient_id!r} is not in the data")
    nh = model if model is not None else fit_natural_history(tables)
    onset = pd.Timestamp(patients.loc[patient_id, "onset_date"])
    pv = nh.visits[nh.visits["patient_id"] == patient_id].copy()
    t0 = nh.first_treatment.get(patient_id)
    t0 = None if t0 is None or pd.isna(t0) else pd.Timestamp(t0)
    notes = list(nh.warnings)
    known = patient_id in set(nh.result.group_labels)
    if not known:
        notes.append(
            "No untreated ALSFRS-R visit of this patient could be used: the expected course is the "
            "population course, with a wider band."
        )
    n_pre = int(((pv["phase"] == "pre") & pv["total"].notna()).sum())
    if t0 is not None and n_pre == 1:
        notes.append(
            "Only one visit before the first treatment: the expected course rests on a single "
            "measurement (and the population course), so it is uncertain."
        )
    if t0 is not None and pv["prompting_visit"].any():
        if nh.exclude_prompting_visit:
            notes.append(
                "The last visit before the first treatment is left out of the baseline (it may have "
                "prompted treatment)."
            )
        elif n_pre >= 1:
            notes.append(
                "The last visit before the first treatment may have prompted it; a visit chosen for "
                "looking bad would make the expected course too pessimistic."
            )

    # Course on a monthly grid (plus every visit) from the first visit to the horizon.
    last_m = float(pv["months_since_onset"].max()) if len(pv) else 0.0
    first_m = float(pv["months_since_onset"].min()) if len(pv) else 0.0
    grid = np.unique(
        np.round(
            np.concatenate(
                [
                    np.arange(math.floor(first_m), last_m + horizon_months + 1e-9, 0.5),
                    pv["months_since_onset"].dropna().to_numpy(),
                ]
            ),
            6,
        )
    )
    pid = patient_id if known else None
    ci = nh.predict(pid, grid, "confidence")
    pi = nh.predict(pid, grid, "prediction")
    course = pd.DataFrame(
        {
            "date": onset + pd.to_timedelta(np.round(grid * DAYS_PER_MONTH), unit="D"),
            "months_since_onset": grid,
            "mean": np.clip(ci["mean"].to_numpy(), 0, TOTAL_MAX),
            "ci_low": np.clip(ci["lower"].to_numpy(), 0, TOTAL_MAX),
            "ci_high": np.clip(ci["upper"].to_numpy(), 0, TOTAL_MAX),
            "pi_low": np.clip(pi["lower"].to_numpy(), 0, TOTAL_MAX),
            "pi_high": np.clip(pi["upper"].to_numpy(), 0, TOTAL_MAX),
        }
    )
    # Expected value at each visit.
    if len(pv):
        vp = nh.predict(pid, pv["months_since_onset"].to_numpy(), "prediction")
        pv["expected"] = np.clip(vp["mean"].to_numpy(), 0, TOTAL_MAX)
        pv["pi_low"] = np.clip(vp["lower"].to_numpy(), 0, TOTAL_MAX)
        pv["pi_high"] = np.clip(vp["upper"].to_numpy(), 0, TOTAL_MAX)
        pv["pred_se"] = vp["se"].to_numpy()
    else:
        for c in ("expected", "pi_low", "pi_high", "pred_se"):
            pv[c] = pd.Series(dtype=float)
    pv["residual"] = pv["total"].astype(float) - pv["expected"]
    pv["position"] = _position(pv["total"].astype(float), pv["pi_low"], pv["pi_high"])

    # Expected slope (points/month) at the latest visit: derivative of fixed + random part.
    fe = nh.result.fe_params.to_numpy()
    b = nh.result.random_effects.loc[patient_id].to_numpy() if known else np.zeros(len(nh.result.re_names))
    y_last = last_m / 12.0
    slope_years = fe[1] + 2 * fe[2] * y_last + (b[1] if len(b) > 1 else 0.0)
    expected_slope = float(slope_years / 12.0)

    # Stage at the latest visit with a computable stage.
    stage: dict = {"date": None, "kings": None, "mitos": None}
    if len(pv):
        k = pv.dropna(subset=["kings_stage"])
        m = pv.dropna(subset=["mitos_stage"])
        if len(k):
            stage["date"] = k["date"].iloc[-1]
            stage["kings"] = str(k["kings_stage"].iloc[-1])
        if len(m):
            stage["mitos"] = int(m["mitos_stage"].iloc[-1])
            stage["date"] = stage["date"] or m["date"].iloc[-1]
    ev = tables["events"]
    if len(ev) and ((ev["patient_id"] == patient_id) & (ev["event"] == "death")).any():
        stage.update(
            {
                "kings": "5",
                "mitos": 5,
                "date": ev.loc[(ev["patient_id"] == patient_id) & (ev["event"] == "death"), "date"].min(),
            }
        )

    # Progression group from ΔFRS at the first visit with a total (Kimura 2006; Labra 2016).
    progression: dict = {"delta_frs": None, "group": None, "first_visit": None}
    event_risks: list[dict] = []
    first_total = pv.dropna(subset=["total"])
    if len(first_total):
        dfrs = float(first_total["delta_frs"].iloc[0])
        if np.isfinite(dfrs):
            group = progression_group(dfrs)
            progression = {"delta_frs": dfrs, "group": group, "first_visit": first_total["date"].iloc[0]}
            if group in MEDIAN_SURVIVAL_YEARS:
                event_risks.append(
                    {
                        "event": "death",
                        "measure": "median survival of the progression group (years)",
                        "value": MEDIAN_SURVIVAL_YEARS[group],
                        "group": group,
                        "source": LABRA_SOURCE,
                        "caveat": "a group median from a published cohort, not a prediction for one person; "
                        "half of that group lived longer",
                    }
                )

    windows = _windows(pv, t0)
    status = _status(pv, t0)
    model_info = nh.describe()
    model_info["basis"] = "patient" if known else "population"
    return Forecast(
        patient_id=patient_id,
        onset_date=onset,
        first_treatment=t0,
        patient_level=known,
        course=course,
        visits=pv.reset_index(drop=True),
        stage=stage,
        progression=progression,
        windows=windows,
        status=status,
        model=model_info,
        expected_slope=expected_slope,
        event_risks=event_risks,
        warnings=notes,
    )


def model_for_patient(model: NaturalHistoryModel, tables: Tables, patient_id: str) -> NaturalHistoryModel:
    """``model``'s population fit applied to one patient's *current* records.

    ``tables``: typed canonical frames holding at least that patient's rows (other patients' rows are
    ignored), e.g. read after ``model`` was fitted.  The result keeps ``model``'s population parameters
    (fixed effects and their covariance, random-effect covariance, residual variance, the fit's size and
    warnings) and holds this patient only: their derived visits from ``tables`` and their random effects
    computed from their untreated visits in ``tables`` with those parameters held fixed — the conditional
    BLUP b̂ = D Zᵀ V⁻¹ (y − Xβ̂) and its prediction-error covariance (``LMMResult.with_observations``).

    For a patient whose visits are those ``model`` was fitted with this is the same model as far as that
    patient's forecast goes (``forecast_patient`` gives the same numbers, to rounding).  After a change to
    the patient's visits it is what a refit would give if the population parameters did not move (one
    patient's visits move them very little in a registry of many patients)."""
    own = as_tables(tables).subset([patient_id])
    visits, first = untreated_visits(own, exclude_prompting_visit=model.exclude_prompting_visit)
    fit = visits[visits["in_fit"]]
    X, Z = NaturalHistoryModel.design(fit["months_since_onset"].to_numpy())
    result = model.result.with_observations(fit["total"].to_numpy(dtype=float), X, Z, fit["patient_id"].to_numpy())
    return dataclasses.replace(model, result=result, visits=visits, first_treatment=first)


def forecast_patient_current(
    tables: Tables, patient_id: str, model: NaturalHistoryModel, horizon_months: float = HORIZON_MONTHS
) -> Forecast:
    """:func:`forecast_patient` of one patient with their current records and the population parameters of
    a model fitted earlier (:func:`model_for_patient`): no refit, a few milliseconds.

    Equal to ``forecast_patient(tables, patient_id, model)`` when the patient's visits are those the model was
    fitted with."""
    own = as_tables(tables).subset([patient_id])
    if not len(own["patients"]):
        raise PatientNotFound(f"patient {patient_id!r} is not in the data")
    return forecast_patient(own, patient_id, model_for_patient(model, own, patient_id), horizon_months)


def _windows(pv: pd.DataFrame, t0: pd.Timestamp | None) -> list[dict]:
    """The article's windows after the first treatment, filled with the patient's own visits."""
    out: list[dict] = []
    if t0 is None:
        return out
    post = pv[(pv["phase"] == "post") & pv["total"].notna()]
    days = (post["date"] - t0).dt.days.to_numpy()
    for key, w in WINDOWS.items():
        sel = post[in_window(days, key)]
        rec: dict = {
            "window": key,
            "label": w.label,
            "n_visits": len(sel),
            "start_day": w.start_day,
            "end_day": None if math.isinf(w.end_day) else int(w.end_day),
        }
        if len(sel):
            last = sel.iloc[-1]
            rec.update(
                {
                    "date": last["date"],
                    "days_after": int((last["date"] - t0).days),
                    "observed": float(last["total"]),
                    "expected": float(last["expected"]),
                    "pi_low": float(last["pi_low"]),
                    "pi_high": float(last["pi_high"]),
                    "difference": float(last["total"] - last["expected"]),
                    "position": last["position"],
                }
            )
        out.append(rec)
    return out


def _status(pv: pd.DataFrame, t0: pd.Timestamp | None) -> dict:
    """Where the latest post-treatment visit stands, and the post-treatment visits overall."""
    scored = pv[pv["total"].notna()]
    post = scored[scored["phase"] == "post"] if t0 is not None else scored.iloc[0:0]
    ref = post if len(post) else scored
    if not len(ref):
        return {"position": None, "n_post_visits": 0}
    last = ref.iloc[-1]
    out = {
        "date": last["date"],
        "observed": float(last["total"]),
        "expected": float(last["expected"]),
        "pi_low": float(last["pi_low"]),
        "pi_high": float(last["pi_high"]),
        "difference": float(last["total"] - last["expected"]),
        "position": last["position"],
        "n_post_visits": len(post),
    }
    if len(post):
        out["n_above"] = int((post["position"] == "above").sum())
        out["n_within"] = int((post["position"] == "within").sum())
        out["n_below"] = int((post["position"] == "below").sum())
    return out

"""Building blocks of the effect models: outcome frames, natural cubic splines, treatment timing.

* :func:`outcome_frame` — one row per patient and visit date with the outcome ``y`` and months since onset.
* :func:`natural_spline_basis` — restricted (natural) cubic spline of Harrell (Regression Modeling
  Strategies, 2nd ed., §2.4.5): linear beyond the outer knots, so the expected course is not extrapolated
  wildly, and flexible enough for the D50 sigmoid (spec/domain-rules.md, "Progression rate").
* :func:`first_treatment` — first *active* administration per patient (a ``placebo`` row of a trial is
  a sham and never starts the effect; spec/data-format.md, treatments.csv).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alscell.analysis.errors import NotApplicable
from alscell.domain.alsfrs import SUBSCORE_KEYS, score_items
from alscell.domain.measures import MEASURES
from alscell.domain.time import DAYS_PER_MONTH
from alscell.io.tables import Tables, as_tables

ALSFRS_OUTCOMES = ("alsfrs_r_total", *SUBSCORE_KEYS)
# Biomarkers are log-normal: they are analysed on the log scale (estimate = change per month in log units).
LOG_MEASURES = frozenset({"nfl", "mcp1", "il6", "tnfa", "chi3l1"})


class OutcomeError(NotApplicable):
    """An outcome key alscell does not know or the data do not contain."""


def known_outcomes() -> tuple[str, ...]:
    return (*ALSFRS_OUTCOMES, *MEASURES)


def outcome_info(outcome: str) -> dict:
    """Unit, direction (+1 if higher is better) and scale of an outcome key."""
    if outcome in ALSFRS_OUTCOMES:
        return {"unit": "points", "direction": 1.0, "log": False, "label": outcome}
    if outcome in MEASURES:
        m = MEASURES[outcome]
        log = outcome in LOG_MEASURES
        return {
            "unit": "log units" if log else (m.unit or "units"),
            "direction": 1.0 if m.higher_is_better else -1.0,
            "log": log,
            "label": m.label,
        }
    raise OutcomeError(
        f"unknown outcome {outcome!r}: use alsfrs_r_total, bulbar, fine_motor, gross_motor, respiratory "
        f"or a measurement key ({', '.join(MEASURES)})."
    )


def _onset(tables) -> pd.Series:
    return tables["patients"].set_index("patient_id")["onset_date"]


def outcome_frame(tables: Tables, outcome: str, *, muscle: str | None = None) -> pd.DataFrame:
    """Columns ``patient_id, date, months, y`` (sorted), one row per patient and date with ``y`` observed.

    ALSFRS-R: total or subscore of each visit.  Measurements: the mean over sides (grip, HHD), muscles
    (HHD, unless ``muscle`` is given) and specimens (serum preferred when several specimens exist);
    biomarkers on the natural-log scale.

    What is left out is said in ``frame.attrs["notes"]`` (one sentence each): ALSFRS-R visits whose score
    is incomplete, and measurements of a biomarker in another specimen than the one analysed — serum,
    plasma and CSF levels differ by orders of magnitude, so one series never mixes them: the analysed
    specimen is serum when any serum value exists, else the most frequent one.
    """
    info = outcome_info(outcome)
    onset = _onset(tables)
    notes: list[str] = []
    if outcome in ALSFRS_OUTCOMES:
        v = tables["alsfrs"]
        scores = score_items(v)
        col = "total" if outcome == "alsfrs_r_total" else outcome
        y = pd.to_numeric(scores[col], errors="coerce").to_numpy(dtype=float)
        df = pd.DataFrame({"patient_id": v["patient_id"].to_numpy(), "date": v["date"].to_numpy(), "y": y})
        n_missing = int((~np.isfinite(y)).sum())
        if n_missing:
            notes.append(f"{n_missing} ALSFRS-R visits with an incomplete {outcome} score left out.")
    else:
        m = tables["measurements"]
        m = m[m["measure"] == outcome]
        if muscle is not None:
            m = m[m["muscle"] == muscle]
        spec = m["specimen"]
        if spec.notna().any():
            counts = spec.value_counts()
            chosen = "serum" if "serum" in counts.index else str(counts.index[0])
            other = int((spec != chosen).sum())  # includes values without a specimen
            if other:
                notes.append(
                    f"{outcome}: {other} values not measured in {chosen} left out (specimens are never mixed)."
                )
            m = m[spec == chosen]
        val = m["value"].astype(float)
        if info["log"]:
            val = np.log(val.clip(lower=1e-3))
        df = m.assign(y=val).groupby(["patient_id", "date"], as_index=False)["y"].mean()
        df["date"] = df["date"].astype("datetime64[ns]")
    df = df[np.isfinite(df["y"].to_numpy(dtype=float))]
    df = df.assign(months=((df["date"] - df["patient_id"].map(onset)).dt.days / DAYS_PER_MONTH).to_numpy(dtype=float))
    out = df.sort_values(["patient_id", "date"]).reset_index(drop=True)[["patient_id", "date", "months", "y"]]
    out.attrs["notes"] = notes
    return out


def active_treatments(tables: Tables) -> pd.DataFrame:
    """Administrations that are not sham (``blinded_arm`` ≠ placebo), sorted by patient and date."""
    t = as_tables(tables)["treatments"]
    t = t[t["blinded_arm"].fillna("active") != "placebo"]
    return t.sort_values(["patient_id", "date"]).reset_index(drop=True)


def first_treatment(tables: Tables, *, include_sham: bool = False) -> pd.DataFrame:
    """Per treated patient: date, route, cell_source, donor of the first (active) administration."""
    if include_sham:
        t = as_tables(tables)["treatments"].sort_values(["patient_id", "date"])
    else:
        t = active_treatments(tables)
    cols = ["patient_id", "date", "route", "cell_source", "donor", "dose_cells", "target_muscles"]
    # The first row per patient, whole (groupby.first would mix non-missing values of different rows).
    return t[cols].drop_duplicates("patient_id", keep="first").reset_index(drop=True)


def natural_spline_basis(x, knots) -> np.ndarray:
    """Restricted cubic spline basis (without intercept): columns x, then k−2 non-linear terms.

    Harrell's parameterisation, scaled by (t_k − t_1)² so columns are on the scale of x.
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(knots, dtype=float)
    k = len(t)
    cols = [x]
    if k >= 3:
        scale = (t[-1] - t[0]) ** 2
        p3 = lambda u: np.clip(u, 0.0, None) ** 3  # noqa: E731
        for j in range(k - 2):
            term = (
                p3(x - t[j])
                - p3(x - t[-2]) * (t[-1] - t[j]) / (t[-1] - t[-2])
                + p3(x - t[-1]) * (t[-2] - t[j]) / (t[-1] - t[-2])
            )
            cols.append(term / scale)
    return np.column_stack(cols)


def spline_knots(x, n_knots: int = 4) -> np.ndarray:
    """Knots at Harrell's recommended quantiles of ``x`` (unique, at least 2)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    qs = {3: (0.10, 0.5, 0.90), 4: (0.05, 0.35, 0.65, 0.95), 5: (0.05, 0.275, 0.5, 0.725, 0.95)}
    q = qs.get(n_knots, np.linspace(0.05, 0.95, n_knots))
    knots = np.unique(np.quantile(x, q)) if len(x) else np.array([0.0, 1.0])
    if len(knots) < 2:
        knots = np.array([knots[0] - 1.0, knots[0] + 1.0]) if len(knots) else np.array([0.0, 1.0])
    return knots


TIME_SCALE = 10.0  # months per design unit (conditioning of the mixed models)


def time_spline(t: np.ndarray, n_knots: int = 4) -> tuple[np.ndarray, list[str]]:
    """Centred restricted cubic spline of months since onset, in TIME_SCALE units, with column names."""
    B = natural_spline_basis(t, spline_knots(t, n_knots))
    B = (B - B.mean(axis=0)) / TIME_SCALE
    return B, [f"ns{i}" for i in range(B.shape[1])]


def per_patient_slopes(frame: pd.DataFrame, mask_col: str) -> pd.Series:
    """Per patient, the least-squares slope of ``y`` on ``months`` over the rows where ``mask_col`` is True
    (patients with fewer than 2 distinct times are left out)."""
    s = frame[frame[mask_col].astype(bool)]
    if s.empty:
        return pd.Series(dtype=float, index=pd.Index([], dtype=object, name="patient_id"))
    grp = s.groupby("patient_id")
    mt = grp["months"].transform("mean")
    my = grp["y"].transform("mean")
    sxy = ((s["months"] - mt) * (s["y"] - my)).groupby(s["patient_id"]).sum()
    sxx = ((s["months"] - mt) ** 2).groupby(s["patient_id"]).sum()
    ok = sxx > 1e-9
    return sxy[ok] / sxx[ok]


def patient_covariates(tables: Tables) -> pd.DataFrame:
    """Per patient: sex, age at onset (years), bulbar onset (0/1), indexed by patient_id.

    A missing birth year is imputed with the mean age at onset (60 when no patient has one);
    ``age_imputed`` marks those patients so estimators can say how many were imputed."""
    p = tables["patients"].set_index("patient_id")
    onset_year = p["onset_date"].dt.year
    age = (onset_year - p["birth_year"].astype("Float64")).astype(float)
    return pd.DataFrame(
        {
            "male": (p["sex"] == "M").astype(float),
            "age": age.fillna(age.mean() if age.notna().any() else 60.0),
            "bulbar_onset": (p["onset_site"] == "bulbar").astype(float),
            "age_imputed": age.isna(),
        },
        index=p.index,
    )


def imputation_note(covariates: pd.DataFrame, used: pd.Index | None = None) -> list[str]:
    """A warning naming the imputed covariates of the patients in ``used`` (all when None), or nothing."""
    c = covariates if used is None else covariates.loc[covariates.index.intersection(used)]
    n = int(c["age_imputed"].sum()) if "age_imputed" in c else 0
    if not n:
        return []
    return [f"age at onset imputed with the mean for {n} of {len(c)} patients without a birth year."]


__all__ = [
    "ALSFRS_OUTCOMES",
    "LOG_MEASURES",
    "OutcomeError",
    "active_treatments",
    "first_treatment",
    "known_outcomes",
    "natural_spline_basis",
    "outcome_frame",
    "outcome_info",
    "patient_covariates",
    "spline_knots",
]

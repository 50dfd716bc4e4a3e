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

from alscell.domain.alsfrs import SUBSCORE_KEYS, score_items
from alscell.domain.measures import MEASURES
from alscell.domain.time import DAYS_PER_MONTH

ALSFRS_OUTCOMES = ("alsfrs_r_total", *SUBSCORE_KEYS)
# Biomarkers are log-normal: they are analysed on the log scale (estimate = change per month in log units).
LOG_MEASURES = frozenset({"nfl", "mcp1", "il6", "tnfa", "chi3l1"})


class OutcomeError(ValueError):
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


def outcome_frame(tables: dict[str, pd.DataFrame], outcome: str, *, muscle: str | None = None) -> pd.DataFrame:
    """Columns ``patient_id, date, months, y`` (sorted), one row per patient and date with ``y`` observed.

    ALSFRS-R: total or subscore of each visit.  Measurements: the mean over sides (grip, HHD), muscles
    (HHD, unless ``muscle`` is given) and specimens (serum preferred when several specimens exist);
    biomarkers on the natural-log scale.
    """
    info = outcome_info(outcome)
    onset = _onset(tables)
    if outcome in ALSFRS_OUTCOMES:
        v = tables["alsfrs"]
        scores = score_items(v)
        col = "total" if outcome == "alsfrs_r_total" else outcome
        df = pd.DataFrame(
            {
                "patient_id": v["patient_id"].to_numpy(),
                "date": v["date"].to_numpy(),
                "y": pd.to_numeric(scores[col], errors="coerce").to_numpy(dtype=float),
            }
        )
    else:
        m = tables.get("measurements")
        if m is None or m.empty:
            df = pd.DataFrame({"patient_id": [], "date": pd.Series([], dtype="datetime64[ns]"), "y": []})
        else:
            m = m[m["measure"] == outcome]
            if muscle is not None and "muscle" in m:
                m = m[m["muscle"] == muscle]
            if "specimen" in m and m["specimen"].notna().any():
                spec = m["specimen"].fillna("serum")
                pref = np.where(spec == "serum", 0, np.where(spec == "plasma", 1, 2))
                m = m.assign(_pref=pref)
                best = m.groupby(["patient_id", "date"])["_pref"].transform("min")
                m = m[m["_pref"] == best]
            val = m["value"].astype(float)
            if info["log"]:
                val = np.log(val.clip(lower=1e-3))
            df = m.assign(y=val).groupby(["patient_id", "date"], as_index=False)["y"].mean()
    df = df[np.isfinite(df["y"].to_numpy(dtype=float))]
    df = df.assign(months=((df["date"] - df["patient_id"].map(onset)).dt.days / DAYS_PER_MONTH).to_numpy(dtype=float))
    return df.sort_values(["patient_id", "date"]).reset_index(drop=True)[["patient_id", "date", "months", "y"]]


def active_treatments(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Administrations that are not sham (``blinded_arm`` ≠ placebo), sorted by patient and date."""
    t = tables.get("treatments")
    if t is None:
        # Typed, so that date arithmetic on an empty result stays well defined.
        return pd.DataFrame(
            {
                "treatment_id": pd.Series(dtype=object),
                "patient_id": pd.Series(dtype=object),
                "date": pd.Series(dtype="datetime64[ns]"),
                "cycle": pd.Series(dtype="Int64"),
                **{c: pd.Series(dtype=object) for c in ("route", "cell_source", "donor")},
                "dose_cells": pd.Series(dtype=float),
                **{c: pd.Series(dtype=object) for c in ("target_muscles", "blinded_arm")},
            }
        )
    if "blinded_arm" in t:
        t = t[t["blinded_arm"].fillna("active") != "placebo"]
    return t.sort_values(["patient_id", "date"]).reset_index(drop=True)


def first_treatment(tables: dict[str, pd.DataFrame], *, include_sham: bool = False) -> pd.DataFrame:
    """Per treated patient: date, route, cell_source, donor of the first (active) administration."""
    t = tables.get("treatments")
    if not include_sham:
        t = active_treatments(tables)
    elif t is None:
        t = pd.DataFrame(columns=["patient_id", "date"])
    else:
        t = t.sort_values(["patient_id", "date"])
    cols = [
        c
        for c in ("patient_id", "date", "route", "cell_source", "donor", "dose_cells", "target_muscles")
        if c in t.columns
    ]
    return t.groupby("patient_id", as_index=False).first()[cols] if len(t) else pd.DataFrame(columns=cols)


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


def patient_covariates(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per patient: sex, age at onset (years), bulbar onset (0/1), indexed by patient_id."""
    p = tables["patients"].set_index("patient_id")
    onset_year = p["onset_date"].dt.year
    age = (onset_year - pd.to_numeric(p.get("birth_year"), errors="coerce")).astype(float)
    return pd.DataFrame(
        {
            "male": (p["sex"] == "M").astype(float),
            "age": age.fillna(age.mean() if age.notna().any() else 60.0),
            "bulbar_onset": (p["onset_site"] == "bulbar").astype(float),
        },
        index=p.index,
    )


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

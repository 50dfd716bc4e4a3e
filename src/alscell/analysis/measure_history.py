"""What a clinic measured before each visit, as terms of g-estimation's decision history (``history="measures"``).

Why: four held-out worlds in a row (docs/evidence.md, the sixth to tenth) found the default leaning where the
decision to treat followed something recorded that the history does not hold; on two of them it was a measure
beside the score (the ninth world decides on FVC and NfL, the tenth refers on slow vital capacity and its fall).
Clinics decide on these: NIV and gastrostomy on the vital capacity and on weight loss (AAN practice parameter,
Miller et al., Neurology 2009;73:1218–1226), trial eligibility on a minimum vital capacity, and serum
neurofilament light is the prognostic biomarker clinics and trials now read (Benatar et al., Neurology
2020;95:e59–e69).  So at each visit the history takes, per measure of :data:`MEASURES` the registry records,
the latest value on or before the visit, its change per month since the measurement before, and a flag where
there is none yet.

``history="measures"`` (with the registry terms) is a candidate, not the default: it takes most of the ninth world's
lean and a quarter of the tenth's, and fails its hold-out, the eleventh world, where the registry terms it includes
lean (docs/g_measures_calibration.md).  The measures without the registry terms (``history="measures_only"``) are
the default since 2026-12-07 (docs/world22_measures_only.md); the standard history's registry terms' contrast takes
these measures (alscell.analysis.g_estimation._history_check), and the default reports how far they moved its
estimate (alscell.analysis.g_estimation._measures_check; docs/measures_check.md).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from alscell.domain.measures import MEASURES as MEASURE_KEYS
from alscell.domain.time import DAYS_PER_MONTH as DPM
from alscell.io.tables import as_tables

# The measures (spec/data-format.md measurements.csv keys) and whether each is read on the log scale: NfL spans
# orders of magnitude between patients and is read on the log scale (Benatar et al. 2020).
MEASURES = {"fvc_pct_pred": False, "svc_pct_pred": False, "weight_kg": False, "nfl": True}
# NfL from blood only: CSF levels are about a hundred times the serum's and would read as a different patient.
BLOOD = ("serum", "plasma")
# Months between two measurements below which their change per month is taken over half a month (as the history's
# own declines are: alscell.analysis.g_estimation._history), so that two readings days apart do not explode.
MIN_GAP_MONTHS = 0.5
# Each change per month is clipped at this many of its SDs over the registry (as _history clips its declines).
RATE_CLIP_SDS = 10.0


def as_of(df: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """At each row of ``df`` (``patient_id``, ``date``), the row of ``values`` (``patient_id``, ``date`` and any
    other columns) of the same patient with the latest date on or before it (NaN where none); in ``df``'s
    order and index."""
    left = df[["patient_id", "date"]].assign(date=pd.to_datetime(df["date"]), _row=np.arange(len(df)))
    right = values.assign(date=pd.to_datetime(values["date"])).sort_values("date")
    look = pd.merge_asof(left.sort_values("date"), right, on="date", by="patient_id", direction="backward")
    return look.set_index("_row").sort_index().set_axis(df.index)


def measure_terms(tables, df: pd.DataFrame, measures: Mapping[str, bool] | None = None) -> tuple[np.ndarray, list[str]]:
    """(X, names): per measure of ``measures`` (key → read on the log scale; :data:`MEASURES` by default) recorded
    for some patient, three columns at every row of ``df`` — the latest value on or before the visit (the median
    where none yet), its change per month since the measurement before it (0 where there is no earlier one), and a
    flag where there is none yet.  Repeated measurements on one day (both sides, several muscles) are averaged; a
    measure taken on a specimen counts blood only (:data:`BLOOD`).  Nothing when ``df`` has no dates or the
    registry no such measure."""
    names: list[str] = []
    cols: list[np.ndarray] = []
    m = as_tables(tables)["measurements"]
    if "date" not in df or m.empty:
        return np.empty((len(df), 0)), names
    for measure, log in (MEASURES if measures is None else measures).items():
        r = _values(m, measure, log)
        if r.empty:
            continue
        g = r.groupby("patient_id", sort=False)
        gap = np.maximum((r["date"] - g["date"].shift(1)).dt.days.to_numpy(float) / DPM, MIN_GAP_MONTHS)
        r["rate"] = (r["v"].to_numpy(float) - g["v"].shift(1).to_numpy(float)) / gap
        look = as_of(df, r)
        value, rate = look["v"].to_numpy(float), look["rate"].to_numpy(float)
        none = ~np.isfinite(value)
        known = rate[np.isfinite(rate)]
        lim = RATE_CLIP_SDS * (float(np.std(known)) if len(known) > 1 and np.std(known) > 0 else 1.0)
        cols += [
            np.where(none, float(np.median(r["v"])), value),
            np.clip(np.nan_to_num(rate, nan=0.0), -lim, lim),
            none.astype(float),
        ]
        names += [measure, f"{measure} change per month", f"{measure} (none yet)"]
    return (np.column_stack(cols) if cols else np.empty((len(df), 0))), names


# The columns :func:`course_terms` gives per measure, and whether each is a level (what an eligibility rule cuts on:
# splines, ``inside_starters``) rather than a change per month.
COURSE_COLUMNS = (
    ("over its first", True),
    ("change per month since its first", False),
    ("taken at the visit", True),
    ("(one value so far)", True),
)


def _values(m: pd.DataFrame, measure: str, log: bool) -> pd.DataFrame:
    """One value per patient and day of ``measure`` (``patient_id``, ``date``, ``v``; blood only for a specimen
    measure, on the log scale when ``log``; repeated readings of a day averaged), by patient and date."""
    r = m[m["measure"] == measure]
    if MEASURE_KEYS[measure].needs_specimen and "specimen" in r:
        r = r[r["specimen"].isna() | r["specimen"].isin(BLOOD)]
    v = pd.to_numeric(r["value"], errors="coerce").to_numpy(float)
    if log:
        v = np.log(np.where(v > 0, v, np.nan))
    r = pd.DataFrame({"patient_id": r["patient_id"].to_numpy(), "date": pd.to_datetime(r["date"]), "v": v})
    return r.dropna().groupby(["patient_id", "date"], as_index=False)["v"].mean()


def course_terms(tables, df: pd.DataFrame, measures: Mapping[str, bool]) -> tuple[np.ndarray, list[str]]:
    """(X, names): per measure of ``measures`` (key → read on the log scale) recorded for some patient, the
    :data:`COURSE_COLUMNS` at every row of ``df`` — the latest value on or before the visit over the patient's first
    (their difference on the log scale; 1, or 0, where none yet), its change per month since the first (0 within
    :data:`MIN_GAP_MONTHS` of it or where none yet), whether it was taken on the visit's day, and whether it is the
    patient's only value so far.

    Why: a clinic's rule reads a measure's course, not only its level — weight lost since diagnosis (gastrostomy
    on weight loss: Miller et al., Neurology 2009;73:1218–1226), a vital capacity or motor-unit count fallen from its
    first value, a reading that must be taken at the review that decides.  A smooth model of the latest level cannot
    follow such a rule, and spreads the starts over visits the rule could not treat at; on the fifteenth and sixteenth
    held-out worlds that is where the named estimate's no-effect lean comes from (docs/decision_oracle.md)."""
    names: list[str] = []
    cols: list[np.ndarray] = []
    m = as_tables(tables)["measurements"]
    if "date" not in df or m.empty:
        return np.empty((len(df), 0)), names
    visit_day = pd.to_datetime(df["date"]).dt.normalize().to_numpy()
    for measure, log in measures.items():
        r = _values(m, measure, log)
        if r.empty:
            continue
        g = r.groupby("patient_id", sort=False)
        first, first_day = g["v"].transform("first").to_numpy(float), g["date"].transform("first")
        v = r["v"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = v - first if log else np.where(first > 0, v / first, np.nan)
        months = (r["date"] - first_day).dt.days.to_numpy(float) / DPM
        since = np.where(months > MIN_GAP_MONTHS, (v - first) / np.maximum(months, MIN_GAP_MONTHS), 0.0)
        look = as_of(df, r.assign(rel=rel, since=since, count=g.cumcount().to_numpy() + 1, day=r["date"]))
        now = look["rel"].to_numpy(float)
        taken = pd.to_datetime(look["day"]).dt.normalize().to_numpy() == visit_day
        cols += [
            np.where(np.isfinite(now), now, 0.0 if log else 1.0),
            np.nan_to_num(look["since"].to_numpy(float), nan=0.0),
            taken.astype(float),
            (look["count"].to_numpy(float) == 1).astype(float),
        ]
        names += [f"{measure} {label}" for label, _ in COURSE_COLUMNS]
    return (np.column_stack(cols) if cols else np.empty((len(df), 0))), names


__all__ = ["COURSE_COLUMNS", "MEASURES", "as_of", "course_terms", "measure_terms"]

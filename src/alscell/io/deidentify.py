"""De-identification of typed canonical tables for sharing (``alscell export --deidentify``).

What it does, in the spirit of HIPAA Safe Harbor (45 CFR 164.514(b)(2)) with date shifting, a common
research practice that keeps every interval within a patient exact:
- patient, treatment and adverse-event ids become pseudonyms (P0001…, in random order, unlinkable);
- every date of a patient is shifted by the same random number of days (−182…+182), so times since onset,
  between visits and after injections are unchanged; a shift never moves a date past today (a shared
  folder must stay importable, and dates in the future are impossible data);
- birth year is shifted with the patient's dates and ages over 89 at onset are top-coded to 90
  (Safe Harbor aggregates ages over 89);
- free-data ``x_`` columns are dropped (they may hold names or notes).
The random draws come from the operating system (``secrets``) unless a seed is given (for tests).
"""

from __future__ import annotations

import datetime as dt
import secrets

import numpy as np
import pandas as pd

from alscell.io.columns import DATE_COLUMNS

MAX_SHIFT_DAYS = 182
TOP_CODED_AGE = 90


def _latest_dates(tables, patients: pd.DataFrame) -> pd.Series:
    """Each patient's latest date in any table (NaT when none)."""
    parts = [
        frame[["patient_id", col]].rename(columns={col: "d"})
        for frame in tables.values()
        for col in sorted(DATE_COLUMNS & set(frame.columns))
    ]
    every = pd.concat(parts) if parts else pd.DataFrame({"patient_id": [], "d": pd.Series(dtype="datetime64[ns]")})
    return every.groupby("patient_id")["d"].max().reindex(patients["patient_id"])


def deidentify(
    tables: dict[str, pd.DataFrame], seed: int | None = None, today: dt.date | None = None
) -> dict[str, pd.DataFrame]:
    """Return de-identified copies of ``tables`` (the input is not modified)."""
    rng = np.random.default_rng(secrets.randbits(128) if seed is None else seed)
    patients = tables["patients"]
    order = rng.permutation(len(patients))
    width = max(4, len(str(len(patients))))
    pseudonym = dict(
        zip(patients["patient_id"].iloc[order], [f"P{i + 1:0{width}d}" for i in range(len(patients))], strict=False)
    )
    # The latest forward shift that keeps every date of the patient on or before today.
    room = (pd.Timestamp(today or dt.date.today()) - _latest_dates(tables, patients)).dt.days
    high = np.clip(room.fillna(MAX_SHIFT_DAYS).to_numpy(dtype=float), -MAX_SHIFT_DAYS, MAX_SHIFT_DAYS).astype(int)
    draws = rng.integers(-MAX_SHIFT_DAYS, high + 1, len(patients)) if len(patients) else np.array([], dtype=int)
    shift = dict(zip(patients["patient_id"], draws, strict=False))

    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        frame = frame.drop(columns=[c for c in frame.columns if c.startswith("x_")]).copy()
        days = pd.to_timedelta(frame["patient_id"].map(shift).astype("float64"), unit="D")
        for col in DATE_COLUMNS & set(frame.columns):
            frame[col] = frame[col] + days
        frame["patient_id"] = frame["patient_id"].map(pseudonym)
        out[name] = frame

    p = out["patients"]
    shifted_year = (
        p["birth_year"].astype("Float64") + (p["onset_date"].dt.year - patients["onset_date"].dt.year).to_numpy()
    )
    oldest = p["onset_date"].dt.year - TOP_CODED_AGE
    p["birth_year"] = shifted_year.where(shifted_year.isna() | (shifted_year >= oldest), oldest).astype("Int64")

    for name, key, prefix in (("treatments", "treatment_id", "T"), ("adverse_events", "ae_id", "AE")):
        ids = out[name][key]
        new = dict(
            zip(ids.iloc[rng.permutation(len(ids))], [f"{prefix}{i + 1:05d}" for i in range(len(ids))], strict=False)
        )
        out[name][key] = ids.map(new)
        if name == "treatments":
            ae = out["adverse_events"]
            ae["treatment_id"] = ae["treatment_id"].map(new).where(ae["treatment_id"].notna(), None)
    return out

"""Adverse-event incidence per administration, with exact (Clopper–Pearson) 95% intervals.

Denominator: administrations (treatments.csv rows; sham administrations included, grouped by
``blinded_arm`` if asked).  Numerator: administrations followed by at least one matching adverse event.
An AE belongs to the administration named in its ``treatment_id``; an AE without one is attributed to the
patient's latest administration on or before its onset date (background events then count too —
that is the point of comparing with sham).  ``within_days`` keeps AEs with onset 0…within_days days after
the administration; ``term`` one or more preferred terms (spec/data-format.md).  Grouping keys of the
administration (``route``, ``cell_source``, ``donor``, ``cycle``, ``blinded_arm``, ``product``) split the
denominator; AE keys (``term``, ``grade``, ``serious``, ``days_bin``) split the numerator only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alscell.analysis.errors import NotApplicable
from alscell.analysis.responders import clopper_pearson
from alscell.analysis.results import SafetyResult
from alscell.io.tables import as_tables

ADMIN_KEYS = ("route", "cell_source", "donor", "cycle", "blinded_arm", "product")
AE_KEYS = ("term", "grade", "serious", "days_bin")
DAYS_BINS = (-0.5, 1.5, 7.5, 30.5, np.inf)
DAYS_LABELS = ("0-1", "2-7", "8-30", ">30")


def attribute_events(tables) -> pd.DataFrame:
    """Adverse events joined to their administration, with ``days_after`` (onset − administration date)."""
    tables = as_tables(tables)
    tr = tables["treatments"].copy()
    ae = tables["adverse_events"].copy()
    if ae.empty:
        return ae.assign(admin_id=pd.Series(dtype=object), days_after=pd.Series(dtype=float))
    admin = ae["treatment_id"].where(ae["treatment_id"].isin(set(tr["treatment_id"])))
    missing = admin.isna()
    if missing.any():
        a = ae.loc[missing, ["patient_id", "onset_date"]].reset_index().sort_values("onset_date")
        t = tr[["patient_id", "date", "treatment_id"]].sort_values("date")
        m = pd.merge_asof(a, t, left_on="onset_date", right_on="date", by="patient_id", direction="backward")
        admin.loc[m["index"].to_numpy()] = m["treatment_id"].to_numpy()
    ae["admin_id"] = admin
    dates = tr.set_index("treatment_id")["date"]
    ae["days_after"] = (ae["onset_date"] - ae["admin_id"].map(dates)).dt.days.astype(float)
    ae["days_bin"] = pd.cut(ae["days_after"], DAYS_BINS, labels=DAYS_LABELS).astype(object)
    return ae


def ae_incidence(
    tables,
    by=("route",),
    within_days: int | None = None,
    term=None,
    *,
    grade_min: int | None = None,
    serious: bool | None = None,
    alpha: float = 0.05,
) -> SafetyResult:
    """Table columns: the ``by`` keys, n_administrations, n_events, rate, ci_low, ci_high (Clopper–Pearson).

    Warnings say how many adverse events could not be attributed to an administration (onset before the
    patient's first one) and were left out."""
    by = [by] if isinstance(by, str) else list(by)
    unknown = [k for k in by if k not in ADMIN_KEYS + AE_KEYS]
    if unknown:
        raise NotApplicable(f"cannot group adverse events by {', '.join(unknown)}.")
    tables = as_tables(tables)
    if tables["treatments"].empty:
        raise NotApplicable("no administrations: adverse-event rates per administration need treatments.")
    tr = tables["treatments"].copy()
    admin_by = [k for k in by if k in ADMIN_KEYS]
    ae_by = [k for k in by if k in AE_KEYS]
    ae = attribute_events(tables)
    notes: list[str] = []
    n_unattributed = int(ae["admin_id"].isna().sum())
    if n_unattributed:
        notes.append(f"{n_unattributed} adverse events before the patient's first administration left out.")
    ae = ae[ae["admin_id"].notna()]
    if term is not None:
        terms = [term] if isinstance(term, str) else list(term)
        ae = ae[ae["term"].isin(terms)]
    if within_days is not None:
        ae = ae[(ae["days_after"] >= 0) & (ae["days_after"] <= within_days)]
    if grade_min is not None:
        ae = ae[ae["grade"].astype(float) >= grade_min]
    if serious is not None:
        ae = ae[ae["serious"].fillna(False).astype(bool) == serious]
    for k in admin_by:
        tr[k] = tr[k].astype(object).where(tr[k].notna(), "none")
    ae = ae.merge(
        tr[["treatment_id", *admin_by]], left_on="admin_id", right_on="treatment_id", how="left", suffixes=("_ae", "")
    )
    if admin_by:
        denom = tr.groupby(admin_by).size().rename("n_administrations").reset_index()
    else:
        denom = pd.DataFrame({"n_administrations": [len(tr)]})
    hits = ae.drop_duplicates(["admin_id", *ae_by])
    if admin_by or ae_by:
        num = (
            hits.groupby(admin_by + ae_by).size().rename("n_events").reset_index()
            if len(hits)
            else pd.DataFrame(columns=[*admin_by, *ae_by, "n_events"])
        )
    else:
        num = pd.DataFrame({"n_events": [len(hits)]})
    if ae_by:
        levels = hits[ae_by].drop_duplicates()
        grid = denom.merge(levels, how="cross") if len(levels) else denom.assign(**{k: None for k in ae_by})
        out = grid.merge(num, on=admin_by + ae_by, how="left")
    elif admin_by:
        out = denom.merge(num, on=admin_by, how="left")
    else:
        out = denom.assign(n_events=num["n_events"].to_numpy())
    out["n_events"] = pd.to_numeric(out["n_events"]).fillna(0).astype(int)
    out["rate"] = out["n_events"] / out["n_administrations"]
    lo, hi = clopper_pearson(out["n_events"].to_numpy(), out["n_administrations"].to_numpy(), alpha)
    out["ci_low"], out["ci_high"] = lo, hi
    return SafetyResult(out, notes, by=(*admin_by, *ae_by))


__all__ = ["ADMIN_KEYS", "AE_KEYS", "ae_incidence", "attribute_events"]

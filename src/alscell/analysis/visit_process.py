"""The visit process as decision inputs an analyst may name (``alscell effect --adjust-for visit_spacing``,
``visit_measures``): what tells a visit at which the clinic decides from one at which it does not.

Why.  g-estimation takes every visit of a not-yet-treated patient as an occasion to start (alscell.analysis.
g_estimation).  Where a clinic decides only at some visits — scheduled reviews, not the contacts a patient asks for
between them, which come when the disease moves fast — a decision model that cannot tell the two apart gives the
contacts a chance to start that they never had, and the outcome regression mixes two kinds of visit; both then lean
(the thirteenth simulated world: docs/world13_pieces.md).  The registry format has no visit type, but the visit
process leaves traces: when the visit came after the previous ones and what was measured at it.  Irregular,
outcome-driven visit times are a known source of bias in longitudinal analyses, to be handled by conditioning on
the visit history (Pullenayegum & Lim, Stat Methods Med Res 2016;25:2992–3014; in g-methods with time-varying
treatments: Hernán, McAdams, McGrath, Lanoy & Costagliola, Stat Methods Med Res 2009;18:27–52), which is what
naming these terms does.

Terms (columns of the history at every row of the analysis frame, one row per patient and visit time):

* ``visit_spacing``: months since the previous visit and since the visit before it (0 and the previous gap where
  there is none), the number of visits in the :data:`RECENT_MONTHS` before, and the outcome lost since the previous
  visit (the course read together with the spacing: a fall between close visits is what brings a patient in
  unscheduled; the standard history holds the loss per month, not the loss).
* ``visit_measures``: for each measurement key, whether it was recorded (measurements.csv) for the patient on the
  visit's date: a scheduled clinic visit comes with a spirometry, a weight or blood; a phone call or an unscheduled
  contact often with none or fewer.
* ``visit_types`` (where ``alsfrs.visit_type`` is recorded; docs/data-rules.md "Canonical extensions"): for each
  recorded type but the most common, whether the visit is of that type, whether the previous visit was, and how many
  visits of that type came in the :data:`RECENT_MONTHS` before.  A registry that records why each visit took place
  records the course's events between the decision occasions — an urgent visit after a fall, an admission for
  ventilation or a feeding tube — which both the decision (a rule counting the recorded totals, a referral after an
  admission) and the months after it follow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alscell.analysis.decision_occasions import visit_types
from alscell.analysis.errors import NotApplicable
from alscell.io.tables import as_tables

# The visit inputs an analyst may name beside the patient terms and the measurement keys.
VISIT_INPUTS = ("visit_spacing", "visit_measures", "visit_types")
# "Recent" visits: two of the three-monthly multidisciplinary clinic visits usual in ALS care (an assumption of
# practice: the AAN practice parameter's multidisciplinary care, Miller et al., Neurology 2009;73:1218–1226; the
# three-monthly schedule of most registries, e.g. PRO-ACT's trials and ENCALS centres).
RECENT_MONTHS = 6.0


def _recent_first(s: pd.DataFrame) -> np.ndarray:
    """Per row of ``s`` (columns ``p``, ``t``; sorted by patient and time): the position of the patient's first row
    at most :data:`RECENT_MONTHS` before it.  The patients' rows are contiguous and sorted, so one search over
    (patient, time) keys finds them for everyone at once."""
    t = s["t"].to_numpy(float)
    code = pd.factorize(s["p"])[0].astype(float)
    key = code * (np.ptp(t) + 2 * RECENT_MONTHS + 1.0) + (t - t.min())
    return np.searchsorted(key, key - RECENT_MONTHS, side="left")


def spacing_terms(df: pd.DataFrame) -> tuple[list[np.ndarray], list[str], list[bool]]:
    """(columns, names, is-level) of ``visit_spacing`` at every row of ``df`` (``patient_id``, ``months``, ``y``; any
    order).  Raises :class:`NotApplicable` when no patient has two visits (there is no spacing to read)."""
    n = len(df)
    s = pd.DataFrame(
        {"p": df["patient_id"].to_numpy(), "t": df["months"].to_numpy(float), "y": df["y"].to_numpy(float)}
    ).sort_values(["p", "t"], kind="stable")
    at = s.index.to_numpy()  # the sorted rows' positions in df (a fresh RangeIndex above)
    g = s.groupby("p", sort=False)
    t, y = s["t"].to_numpy(float), s["y"].to_numpy(float)
    t1, t2, y1 = (g[c].shift(k).to_numpy(float) for c, k in (("t", 1), ("t", 2), ("y", 1)))
    if not np.isfinite(t1).any():
        raise NotApplicable("adjust for visit_spacing: no patient has two visits, so no spacing can be read.")
    gap = np.where(np.isfinite(t1), t - t1, 0.0)
    gap2 = np.where(np.isfinite(t2), t1 - t2, gap)
    lost = np.where(np.isfinite(y1), y1 - y, 0.0)
    recent = np.arange(n) - _recent_first(s)  # visits in the RECENT_MONTHS before
    cols = [np.empty(n) for _ in range(4)]
    for out, v in zip(cols, (gap, gap2, recent.astype(float), lost), strict=True):
        out[at] = v
    names = [
        "months since the previous visit",
        "months between the two previous visits",
        f"visits in the {RECENT_MONTHS:g} months before",
        "loss since the previous visit",
    ]
    return cols, names, [True, True, True, False]


def measured_terms(tables, df: pd.DataFrame) -> tuple[list[np.ndarray], list[str], list[bool]]:
    """(columns, names, is-level) of ``visit_measures`` at every row of ``df`` (``patient_id``, ``date``): for each
    measurement key recorded at some visit of ``df``, whether it was recorded for the patient on the visit's date.
    Raises :class:`NotApplicable` when no measurement falls on a visit's date (nothing tells the visits apart)."""
    m = as_tables(tables)["measurements"]
    day = pd.to_datetime(df["date"]).dt.normalize().to_numpy()
    visit = pd.DataFrame({"patient_id": df["patient_id"].to_numpy(), "day": day})  # index: row positions
    taken = pd.DataFrame(
        {
            "patient_id": m["patient_id"].to_numpy(),
            "day": pd.to_datetime(m["date"]).dt.normalize(),
            "measure": m["measure"],
        }
    ).drop_duplicates()
    hits = visit.reset_index().merge(taken, on=["patient_id", "day"])
    if hits.empty:
        raise NotApplicable("adjust for visit_measures: no measurement is recorded on the date of a visit.")
    keys = sorted(hits["measure"].unique())
    cols = []
    for key in keys:
        col = np.zeros(len(df))
        col[hits.loc[hits["measure"] == key, "index"].to_numpy()] = 1.0
        cols.append(col)
    return cols, [f"{key} taken at the visit" for key in keys], [True] * len(keys)


def type_terms(tables, df: pd.DataFrame) -> tuple[list[np.ndarray], list[str], list[bool]]:
    """(columns, names, is-level) of ``visit_types`` at every row of ``df`` (``patient_id``, ``date``, ``months``;
    any order).  Raises :class:`NotApplicable` when fewer than two visit types are recorded (nothing tells the
    visits apart)."""
    kind = visit_types(tables, df)
    counts = pd.Series(kind[kind != ""]).value_counts()
    if len(counts) < 2:
        raise NotApplicable("adjust for visit_types: alsfrs.csv records fewer than two visit types (visit_type).")
    s = pd.DataFrame({"p": df["patient_id"].to_numpy(), "t": df["months"].to_numpy(float), "k": kind})
    s = s.sort_values(["p", "t"], kind="stable")
    at = s.index.to_numpy()
    g = s.groupby("p", sort=False)
    lo = _recent_first(s)
    cols, names = [], []
    for k in sorted(counts.index[1:]):  # every recorded type but the most common (the reference)
        this = (s["k"].to_numpy() == k).astype(float)
        before = np.concatenate([[0.0], np.cumsum(this)])  # visits of type k among the rows before each row
        recent = before[np.arange(len(s))] - before[lo]
        prev = g["k"].shift(1).to_numpy() == k
        for v, name in ((this, f"visit {k}"), (prev.astype(float), f"previous visit {k}"),
                        (recent, f"{k} visits in the {RECENT_MONTHS:g} months before")):  # fmt: skip
            out = np.empty(len(s))
            out[at] = v
            cols.append(out)
            names.append(name)
    return cols, names, [True] * len(cols)


__all__ = ["RECENT_MONTHS", "VISIT_INPUTS", "measured_terms", "spacing_terms", "type_terms"]

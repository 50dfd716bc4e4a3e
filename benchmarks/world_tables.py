"""Canonical tables from a held-out world's arrays: the pieces the fifth and sixth worlds build the same way.

A world simulates visits, items and event times as patient × visit arrays; these turn them into the canonical
``alsfrs`` rows (item 5 as q5b after a gastrostomy, spec/data-format.md) and ``events`` rows (an event is
recorded while the patient is followed; death strictly after the last visit; a loss to follow-up declared some
months after the last visit; nothing dated after death).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alscell.io.tables import Tables

DPM = 30.4375
ITEMS = ["q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]
NEVER = np.iinfo(np.int64).max // 4  # the later worlds' day for what never comes (their ``BIG``)


@dataclass
class WorldCohort:
    """One cohort of a held-out world (the fourth and later) and its truths (0 under no effect; nan when
    nobody is treated).  Each world's docstring says how its effect makes them differ."""

    tables: Tables
    truth: float  # the nominal effect E
    n_treated: int
    # the world author's: per treated patient, least squares through the origin of treated − untreated
    # expected recorded total on months since treatment over the observed post-treatment visits; the mean
    truth_realised: float = float("nan")
    # our estimand's at the treated visits: that difference's slope (with an intercept) over the first 24
    # months (window_truth.window_truth; docs/estimand_calibration.md)
    truth_window: float = float("nan")
    # our estimand while observed: each course's 24-month slope over its own visits, treated minus untreated
    # (window_truth.observed_truth; docs/estimand_observed.md)
    truth_observed: float = float("nan")


def item_rows(ids: np.ndarray, items: np.ndarray, followed: np.ndarray, vis_day: np.ndarray,
              gastro_day: np.ndarray) -> pd.DataFrame:  # fmt: skip
    """One ``alsfrs`` row per followed visit (patient id, date, the 12 items as nullable integers), item 5
    recorded as q5b from the day of a gastrostomy (``gastro_day``: days since the epoch, inf for none)."""
    pi, vi = np.nonzero(followed)
    alsfrs = pd.DataFrame(items[pi, vi], columns=ITEMS)
    with_g = vis_day[pi, vi] >= gastro_day[pi]
    alsfrs["q5b"] = alsfrs["q5a"].where(with_g)
    alsfrs["q5a"] = alsfrs["q5a"].where(~with_g)
    alsfrs = alsfrs[[*ITEMS[:5], "q5b", *ITEMS[5:]]].astype("Int64")
    alsfrs.insert(0, "date", pd.to_datetime(vis_day[pi, vi], unit="D"))
    alsfrs.insert(0, "patient_id", ids[pi])
    return alsfrs


def event_rows(ids: np.ndarray, onset_days: np.ndarray, ev: str, t_ev: np.ndarray, d_ev: np.ndarray,
               end_obs: np.ndarray, lock_m: np.ndarray, death: np.ndarray) -> pd.DataFrame:  # fmt: skip
    """The ``events`` rows of ``ev`` at ``t_ev`` months from onset (``d_ev`` days, the world's rounding; inf for
    none) that are recorded: on or before the end of observation (``end_obs``, at most the lock) and before
    death."""
    with np.errstate(invalid="ignore"):
        keep_ev = np.isfinite(t_ev) & (d_ev <= np.rint(np.minimum(end_obs, lock_m) * DPM)) & (t_ev < death)
    p = np.flatnonzero(keep_ev)
    day = onset_days[p] + d_ev[p]
    return pd.DataFrame({"patient_id": ids[p], "date": pd.to_datetime(day, unit="D"), "event": ev})


def ending_events(ids: np.ndarray, onset_days: np.ndarray, rows: list[pd.DataFrame], died: np.ndarray,
                  death: np.ndarray, last_day: np.ndarray, lost: np.ndarray, last_t: np.ndarray,
                  lock_m: np.ndarray, declared_after: float) -> pd.DataFrame:  # fmt: skip
    """``rows`` with death (strictly after the last visit) and loss to follow-up (declared ``declared_after``
    months after the last visit, if before the lock) added; an event on a day rounded past the death day is
    dropped (nothing is dated after an ending event)."""
    p = np.flatnonzero(died)
    day = np.maximum(onset_days[p] + np.rint(death[p] * DPM), last_day[p] + 1)  # strictly after the last visit
    rows = [*rows, pd.DataFrame({"patient_id": ids[p], "date": pd.to_datetime(day, unit="D"), "event": "death"})]
    declared = last_t + declared_after
    p = np.flatnonzero(lost & (declared <= lock_m))
    day = onset_days[p] + np.rint(declared[p] * DPM)
    rows.append(
        pd.DataFrame({"patient_id": ids[p], "date": pd.to_datetime(day, unit="D"), "event": "lost_to_follow_up"})
    )
    events = pd.concat(rows, ignore_index=True)
    dday = events.loc[events["event"] == "death"].set_index("patient_id")["date"]
    return events[~(events["patient_id"].map(dday) < events["date"])].reset_index(drop=True)


def closing_events(ids: np.ndarray, onset_days: np.ndarray, rows: list[pd.DataFrame], wd_day: np.ndarray,
                   withdrawn: np.ndarray, died: np.ndarray, death: np.ndarray, last_day: np.ndarray,
                   lost: np.ndarray, last_t: np.ndarray, lock_m: np.ndarray,
                   declared_after: float) -> tuple[pd.DataFrame, np.ndarray]:  # fmt: skip
    """(events, gastrostomy day): ``rows`` with a withdrawal on ``wd_day`` for the ``withdrawn`` and the ending
    events of :func:`ending_events`, sorted by patient and date; and each patient's recorded gastrostomy day
    (days since the epoch; inf where none), which turns q5a into q5b in :func:`item_rows`."""
    pw = np.flatnonzero(withdrawn)
    wd = pd.DataFrame({"patient_id": ids[pw], "date": pd.to_datetime(wd_day[pw], unit="D"), "event": "withdrawal"})
    rows = [*rows, wd]
    gas = pd.concat(rows, ignore_index=True).query("event == 'gastrostomy'").set_index("patient_id")["date"]
    gastro_day = pd.Series(ids).map((gas - pd.Timestamp(0)).dt.days).to_numpy(float)
    gastro_day = np.where(np.isnan(gastro_day), np.inf, gastro_day)
    events = ending_events(ids, onset_days, rows, died, death, last_day, lost, last_t, lock_m, declared_after)
    return events.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True), gastro_day


def follow_up_events(ids: np.ndarray, onset_days: np.ndarray, last_day: np.ndarray, lock_day: np.ndarray | int,
                     dead_day: np.ndarray, wd_day: np.ndarray, lost: np.ndarray, dated: Mapping[str, np.ndarray],
                     declared_after: float, *, withdrawn: np.ndarray | None = None,
                     big: int = NEVER) -> tuple[pd.DataFrame, np.ndarray]:  # fmt: skip
    """(events, gastrostomy day) of :func:`closing_events` from a world's day arrays (days since the epoch,
    ``big`` for never): each patient's follow-up closed at withdrawal (``wd_day``, for the ``withdrawn``: by
    default whoever has one), at the last visit (``last_day``) for the ``lost``, else at the lock (``lock_day``,
    one day or one per patient); the events of ``dated`` (name → day, in that order) recorded within it and before
    death (``dead_day``), then withdrawal, death and a loss declared ``declared_after`` months after the last visit.

    The fourteenth to twenty-first worlds closed follow-up with this same block each; here once, computing exactly
    what they computed (same expressions, same order of rows), so their tables stay bit-identical."""
    lock_m = (lock_day - onset_days) / DPM
    last_t = (last_day - onset_days) / DPM
    died = dead_day < big
    death = np.where(died, (dead_day - onset_days) / DPM, np.inf)
    if withdrawn is None:
        withdrawn = wd_day < big
    end_obs = np.where(withdrawn, (wd_day - onset_days) / DPM, np.where(lost, last_t, lock_m))
    rows: list[pd.DataFrame] = []
    for name, day in dated.items():
        has = day < big
        rows.append(event_rows(ids, onset_days, name, np.where(has, (day - onset_days) / DPM, np.inf),
                               np.where(has, day - onset_days, 0), end_obs, lock_m, death))  # fmt: skip
    return closing_events(ids, onset_days, rows, wd_day, withdrawn, died, death, last_day, lost, last_t, lock_m,
                          declared_after)  # fmt: skip


__all__ = [
    "DPM",
    "ITEMS",
    "NEVER",
    "WorldCohort",
    "closing_events",
    "doses_while_followed",
    "end_of_follow_up",
    "ending_events",
    "event_rows",
    "follow_up_events",
    "item_rows",
    "share_cutoff",
]


def end_of_follow_up(events: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    """Per patient of ``ids``: the day (since 1970-01-01) of the first death, withdrawal or loss to follow-up in
    ``events``, :data:`NEVER` where there is none — when the later worlds stop recording doses."""
    ended = events.loc[events["event"].isin(["death", "withdrawal", "lost_to_follow_up"])]
    end_d = pd.Series(ids).map(ended.groupby("patient_id")["date"].min()).to_numpy()
    return np.where(pd.isna(end_d), NEVER, (pd.to_datetime(end_d) - pd.Timestamp(0)).days.to_numpy(float))


def doses_while_followed(given: np.ndarray, dose_day: np.ndarray, end_days: np.ndarray) -> np.ndarray:
    """Patients × cycles: the doses ``given`` dated before the patient's end of follow-up (``end_days``), each
    cycle only after every earlier one was given."""
    return np.cumprod(given & (dose_day < end_days[:, None]), 1).astype(bool)


def share_cutoff(first_crit: np.ndarray, target: int) -> float:
    """The cut-off c under which exactly ``target`` patients' first criterion value (``first_crit``, inf where
    it never comes) falls, halfway between the target-th and the next; −inf for no one, inf when fewer can."""
    finite = np.sort(first_crit[np.isfinite(first_crit)])
    if target == 0 or len(finite) == 0:
        return -np.inf
    if len(finite) <= target:
        return np.inf
    return float((finite[target - 1] + finite[target]) / 2)

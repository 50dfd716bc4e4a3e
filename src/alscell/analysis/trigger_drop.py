"""Did the first treatments follow unusually bad visits?  A diagnostic of the mixed-model estimators.

Clinics tend to treat after a bad-looking visit.  A decision made from the observed past is ignorable for
the mixed model's likelihood (``alscell.analysis.effects``), but only as far as the model's course is each
patient's true course: the recovery it predicts after a bad visit (regression to the mean) is that of a
straight line plus noise.  Where courses curve, a bad drop is partly the start of a steeper stretch, the
prediction is too optimistic and the slope change leans against treatment; on ``alscell.simulate``
registries the lean goes when the first treatment is not chosen for its drop or when the courses are
nearly straight (docs/simulate_ablation.md).  This module measures how unusual the drop into the visit
that preceded each first treatment was, against the drops between the other consecutive visits before
treatment, and words the warning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Standardised difference (mean trigger drop − mean other drop) / SD of the other drops above which the
# warning fires.  Chosen on alscell.simulate registries, where treatment is started by a logistic in the
# observed drop (selection_on_bad_visit = 1) or not (0); its rate per cohort is the "trigger-drop warning"
# column of docs/simulate_ablation.md (the second world there too) and "trigger drop" of docs/calibration.md.
TRIGGER_SMD = 0.3
MIN_INTERVALS = 20  # trigger intervals (treated patients) and other intervals needed; fewer: too noisy
MIN_GAP_MONTHS = 0.5  # shorter intervals count as half a month (a drop over a few days is mostly noise)


def trigger_drop_difference(df: pd.DataFrame) -> tuple[float, int, int]:
    """(standardised difference, trigger intervals, other intervals) of the drop in points/month.

    ``df``: the analysis frame of :func:`alscell.analysis.effects.prepare` (patient_id, months, y,
    days_after).  A visit on the day of the first treatment counts as before it.  The difference is NaN
    when either group has fewer than ``MIN_INTERVALS`` intervals or the other drops do not vary."""
    d = df["days_after"].to_numpy(dtype=float)
    pre = df.loc[~(d > 0), ["patient_id", "months", "y", "days_after"]].sort_values(["patient_id", "months"])
    pid = pre["patient_id"].to_numpy()
    same = pid[1:] == pid[:-1]
    months, y = pre["months"].to_numpy(dtype=float), pre["y"].to_numpy(dtype=float)
    drop = (y[:-1] - y[1:]) / np.maximum(months[1:] - months[:-1], MIN_GAP_MONTHS)
    treated = np.isfinite(pre["days_after"].to_numpy(dtype=float))[1:]
    last = np.r_[pid[1:-1] != pid[2:], True] if len(pid) > 1 else np.zeros(0, bool)  # interval ends the pre-visits
    ok = same & np.isfinite(drop)
    trig = drop[ok & treated & last]
    other = drop[ok & ~(treated & last)]
    if min(len(trig), len(other)) < MIN_INTERVALS:
        return float("nan"), len(trig), len(other)
    sd = float(other.std(ddof=1))
    if not sd > 0:
        return float("nan"), len(trig), len(other)
    return float((trig.mean() - other.mean()) / sd), len(trig), len(other)


def trigger_drop_warning(df: pd.DataFrame, top: float | None) -> list[str]:
    """The warning (one sentence, or nothing) for an ALSFRS-R outcome (``top`` = its maximum; None: none)."""
    if top is None:
        return []
    smd, n_trig, _ = trigger_drop_difference(df)
    if not smd > TRIGGER_SMD:
        return []
    return [
        f"the first treatments followed unusually steep drops (into the visit before treatment: {smd:+.2f} SDs "
        f"above the other drops between visits, {n_trig} patients): the model predicts the recovery after a bad "
        "visit as if each patient's course were a straight line, so where courses curve the estimate can lean by "
        "a fraction of its SE (docs/simulate_ablation.md)."
    ]

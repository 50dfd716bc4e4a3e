"""Had the treated patients' courses already bent before treatment?  A pre-trend (placebo) test of the
mixed-model estimators.

The default extends each patient's course before treatment as a straight line (plus the cohort's spline)
and reads the slope change against it.  That is safe only if, before treatment, the treated patients'
courses follow the model as the untreated patients' do.  Where the decision to treat depends on the recent
course — treated after a steep stretch (alscell.simulate, the second world) or only while the total is still
above an eligibility cut-off, which favours patients in a stable spell (the third world,
docs/calibration_world3.md) — and courses are not straight lines, the stretch before treatment is unusual
and the course after it regresses: the estimate leans, typically against the pre-treatment bend.

The test is the placebo (pre-trend) check of event-study and difference-in-differences designs: drop every
visit after the first treatment, pretend treatment started ``PRETREND_MONTHS`` earlier, and fit the same
model with a slope change from that pseudo-start (CR2 / Bell–McCaffrey, as the estimate).  Under the
model's assumption that slope change is zero.  Its window and level were fixed before it was measured on
any world: two visit intervals of the usual 3-monthly ALS clinic schedule, a two-sided test at 5%.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alscell.analysis.cr2 import mixed_contrast
from alscell.analysis.distributions import t_sf
from alscell.analysis.model_fit import fit_mixed
from alscell.domain.time import DAYS_PER_MONTH as DPM

PRETREND_MONTHS = 6.0  # the pseudo-start: two 3-monthly visit intervals before the first treatment
PRETREND_ALPHA = 0.05  # two-sided level of the test
MIN_PATIENTS = 20  # treated patients with a visit inside the window and one before it; fewer: no test


@dataclass(frozen=True)
class PreTrend:
    """The placebo slope change (points per month of the outcome's model scale) in the window before
    treatment, with its CR2 SE, Bell–McCaffrey df, two-sided p and the treated patients that inform it."""

    estimate: float
    se: float
    df: float
    p_value: float
    n_patients: int


def pretrend_test(df: pd.DataFrame, n_knots: int = 4, months: float = PRETREND_MONTHS) -> PreTrend | None:
    """The placebo test on the analysis frame of :func:`alscell.analysis.effects.prepare`; None when
    fewer than ``MIN_PATIENTS`` treated patients have visits both inside and before the window."""
    from alscell.analysis.effects import course_design  # effects imports this module

    d = df["days_after"].to_numpy(dtype=float)
    pre = df[~(d > 0)].reset_index(drop=True)  # a visit on the day of treatment counts as before it
    dd = pre["days_after"].to_numpy(dtype=float)
    treated = np.isfinite(dd)
    pseudo = np.where(treated, np.clip(np.where(treated, dd, 0.0) / DPM + months, 0.0, None), 0.0)
    pid = pre["patient_id"].to_numpy()
    inside = set(pid[pseudo > 0])
    before = set(pid[treated & (pseudo == 0)])
    n = len(inside & before)
    if n < MIN_PATIENTS:
        return None
    y = pre["y"].to_numpy(dtype=float)
    X0, names0, Z = course_design(pre, n_knots)
    names = [*names0, "pre_window"]
    fit = fit_mixed(y, np.column_stack([X0, pseudo]), Z, pid, names, required=("pre_window",), df_method="none")
    c = mixed_contrast(fit, y, pid, {"pre_window": 1.0})
    est, se, dfree = float(c["estimate"]), float(c["se"]), float(c["df"])
    p = float(2 * t_sf(abs(est / se), dfree)) if se > 0 else float("nan")
    return PreTrend(est, se, dfree, p, n)


def pretrend_warning(df: pd.DataFrame, top: float | None, n_knots: int = 4) -> list[str]:
    """The warning (one sentence, or nothing) for an ALSFRS-R outcome (``top`` = its maximum; None: none)."""
    if top is None:
        return []
    t = pretrend_test(df, n_knots)
    if t is None or not t.p_value < PRETREND_ALPHA:
        return []
    way = "flattened" if t.estimate > 0 else "steepened"
    return [
        f"the treated patients' courses had already {way} in the {PRETREND_MONTHS:.0f} months before treatment "
        f"(a slope change of {t.estimate:+.2f} points/month there against the model's course, p = {t.p_value:.3f}, "
        f"{t.n_patients} patients): treatment followed an unusual stretch, so the estimate can lean the other way "
        "(docs/calibration_world3.md)."
    ]


__all__ = ["MIN_PATIENTS", "PRETREND_ALPHA", "PRETREND_MONTHS", "PreTrend", "pretrend_test", "pretrend_warning"]

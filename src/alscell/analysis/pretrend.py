"""Had the treated patients' courses already bent before treatment?  A pre-trend (placebo) test of the
mixed-model estimators.

The mixed model (``lmm_counterfactual``, the default until 2026-12-04) extends each patient's course before treatment as a straight line (plus the cohort's spline)
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
from typing import Any

import numpy as np
import pandas as pd

from alscell.analysis.cr2 import mixed_contrast
from alscell.analysis.distributions import t_ppf, t_sf
from alscell.analysis.estimate import p_phrase
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


# The placebo term's name in the design: it appears in the fitter's messages, so it is written for people.
PLACEBO_TERM = "the slope change in the months before treatment"


def _window(df: pd.DataFrame, months: float) -> tuple[pd.DataFrame, np.ndarray, int]:
    """The visits up to treatment, the placebo ramp (months since the pseudo-start, 0 before it and for the
    untreated) and the number of treated patients with visits both inside and before the window."""
    d = df["days_after"].to_numpy(dtype=float)
    pre = df[~(d > 0)].reset_index(drop=True)  # a visit on the day of treatment counts as before it
    dd = pre["days_after"].to_numpy(dtype=float)
    treated = np.isfinite(dd)
    pseudo = np.where(treated, np.clip(np.where(treated, dd, 0.0) / DPM + months, 0.0, None), 0.0)
    pid = pre["patient_id"].to_numpy()
    n = len(set(pid[pseudo > 0]) & set(pid[treated & (pseudo == 0)]))
    return pre, pseudo, n


def pretrend_test(df: pd.DataFrame, n_knots: int = 4, months: float = PRETREND_MONTHS) -> PreTrend | None:
    """The placebo test on the analysis frame of :func:`alscell.analysis.effects.prepare`; None when
    fewer than ``MIN_PATIENTS`` treated patients have visits both inside and before the window."""
    from alscell.analysis.effects import course_design  # effects imports this module

    pre, pseudo, n = _window(df, months)
    if n < MIN_PATIENTS:
        return None
    y, pid = pre["y"].to_numpy(dtype=float), pre["patient_id"].to_numpy()
    X0, names0, Z = course_design(pre, n_knots)
    names = [*names0, PLACEBO_TERM]
    fit = fit_mixed(y, np.column_stack([X0, pseudo]), Z, pid, names, required=(PLACEBO_TERM,), df_method="none")
    c = mixed_contrast(fit, y, pid, {PLACEBO_TERM: 1.0})
    est, se, dfree = float(c["estimate"]), float(c["se"]), float(c["df"])
    p = float(2 * t_sf(abs(est / se), dfree)) if se > 0 else float("nan")
    return PreTrend(est, se, dfree, p, n)


@dataclass(frozen=True)
class Placebo:
    """The pre-trend test as a falsification check shown beside the sensitivity analyses: oriented like the
    headline (positive = the treated patients' courses had moved towards "benefit", flattened for ALSFRS-R,
    before any treatment), with its interval; or, when it could not be run, why not."""

    months: float
    alpha: float
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    n_patients: int = 0
    reason: str | None = None

    @property
    def passes(self) -> bool | None:
        """True when the placebo slope change is not significant at ``alpha`` (what the model assumes)."""
        return None if self.p_value is None or not np.isfinite(self.p_value) else bool(self.p_value >= self.alpha)

    def sentence(self, unit: str) -> str:
        """For people: what the check found and what it does and does not say."""
        if self.estimate is None:
            return f"placebo (pre-trend) check not run: {self.reason}"
        p = p_phrase(self.p_value or 0.0)
        found = (
            f"placebo (pre-trend) check: from a pseudo-start {self.months:.0f} months before treatment, on the visits "
            f"before it, the treated patients' courses changed slope by {self.estimate:+.3f} {unit} "
            f"({1 - self.alpha:.0%} CI {self.ci_low:+.3f} to {self.ci_high:+.3f}, {p}, {self.n_patients} patients)"
        )
        if self.passes is True:
            return (
                found + ": no bend before treatment at this level, as the mixed model assumes (a bend too small for "
                "the data to show is not ruled out)."
            )
        if self.passes is None:
            return found + ": no test at this level on these data."
        return (
            found
            + ": the courses had already bent before treatment, so the mixed model's estimate can lean the other way "
            "(docs/calibration_world3.md).  On large registries of curved courses the check also fires where the "
            "estimate does not lean (docs/calibration.md)."
        )

    def to_json_dict(self) -> dict[str, Any]:
        from alscell.analysis.estimate import json_value

        return {
            "window_months": self.months,
            **{k: json_value(getattr(self, k)) for k in ("estimate", "ci_low", "ci_high", "p_value")},
            "n_patients": self.n_patients,
            "passes": self.passes,
            "reason": self.reason,
        }


def placebo_check(df: pd.DataFrame, direction: int = 1, alpha: float = PRETREND_ALPHA, n_knots: int = 4) -> Placebo:
    """:func:`pretrend_test` on the analysis frame of :func:`alscell.analysis.effects.prepare`, oriented by
    the outcome's ``direction`` (+1: higher is better, −1: higher is worse) and with its interval."""
    months = PRETREND_MONTHS
    n = _window(df, months)[2]
    where = f"{n} treated patients have visits both in the {months:.0f} months before treatment and before that"
    if n < MIN_PATIENTS:
        return Placebo(months, alpha, n_patients=n, reason=f"only {where}; the check needs {MIN_PATIENTS}.")
    try:
        t = pretrend_test(df, n_knots, months)
    except (np.linalg.LinAlgError, ValueError) as exc:  # ValueError includes NotApplicable
        why = str(exc).strip().rstrip(".")
        return Placebo(months, alpha, n_patients=n, reason=f"the model could not be fitted on the visits before "
                       f"treatment: {why}.")  # fmt: skip
    if t is None or not (np.isfinite(t.se) and t.se > 0 and np.isfinite(t.df) and np.isfinite(t.p_value)):
        return Placebo(months, alpha, n_patients=n, reason="the slope change had no standard error on these data.")
    q = float(t_ppf(1 - alpha / 2, t.df))
    est = direction * t.estimate
    return Placebo(months, alpha, est, est - q * t.se, est + q * t.se, t.p_value, t.n_patients)


def pretrend_warning(df: pd.DataFrame, top: float | None, n_knots: int = 4) -> list[str]:
    """The warning (one sentence, or nothing) for an ALSFRS-R outcome (``top`` = its maximum; None: none)."""
    if top is None:
        return []
    try:
        t = pretrend_test(df, n_knots)
    except (np.linalg.LinAlgError, ValueError):  # the check must never cost the estimate; placebo_check says why
        return []
    if t is None or not t.p_value < PRETREND_ALPHA:
        return []
    way = "flattened" if t.estimate > 0 else "steepened"
    return [
        f"the treated patients' courses had already {way} in the {PRETREND_MONTHS:.0f} months before treatment "
        f"(a slope change of {t.estimate:+.2f} points/month there against the model's course, p = {t.p_value:.3f}, "
        f"{t.n_patients} patients): treatment followed an unusual stretch, so the estimate can lean the other way "
        "(docs/calibration_world3.md)."
    ]


__all__ = [
    "MIN_PATIENTS",
    "PLACEBO_TERM",
    "PRETREND_ALPHA",
    "PRETREND_MONTHS",
    "Placebo",
    "PreTrend",
    "placebo_check",
    "pretrend_test",
    "pretrend_warning",
]

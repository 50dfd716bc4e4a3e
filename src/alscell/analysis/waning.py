"""Does the slope change last?  The mixed model (``lmm_counterfactual``) with the slope change split at a
fixed time after treatment.

The headline is one slope change after the first treatment, which is one number only if the effect is a
constant change of slope.  Patients and clinicians ask whether a benefit fades after some months (clinics
repeat the injections in cycles on that belief).  Where an effect fades, a single slope term averages the
months in its own way and can read the effect low against the average the patients lived (docs/world4_ablation.md, a world
whose effect halves after 6 months).

This check fits the mixed model (``alscell.analysis.effects.course_design``, all visits, CR2 with
Bell–McCaffrey df) with two slope-change terms: months since the first treatment up to ``WANING_MONTHS``,
and months beyond it.  It reports both slope changes, oriented like the headline, and their difference
(later − earlier) with its interval and a two-sided test.  The split was fixed before it was measured: two
3-monthly visit intervals, the window of the placebo check (``alscell.analysis.pretrend``).
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

WANING_MONTHS = 6.0  # the split: two 3-monthly visit intervals after the first treatment
WANING_ALPHA = 0.05  # two-sided level of the test of a difference
MIN_PATIENTS = 20  # treated patients with a visit beyond the split; fewer: no check
# the two terms' names in the design: they appear in the fitter's messages, so they are written for people
EARLY_TERM = "the slope change in the first months after treatment"
LATE_TERM = "the slope change in the later months after treatment"


@dataclass(frozen=True)
class Part:
    """One slope change (or their difference), oriented like the headline, with its interval and p."""

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float

    def to_json_dict(self) -> dict[str, Any]:
        from alscell.analysis.estimate import json_value

        return {k: json_value(getattr(self, k)) for k in ("estimate", "ci_low", "ci_high", "p_value")}


@dataclass(frozen=True)
class Waning:
    """The slope change in the first ``months`` after treatment and beyond, and their difference; or why the
    check was not run."""

    months: float
    alpha: float
    early: Part | None = None
    late: Part | None = None
    difference: Part | None = None  # late − early
    n_patients: int = 0  # treated patients with a visit beyond the split
    reason: str | None = None

    @property
    def differs(self) -> bool | None:
        """True when the later slope change differs from the earlier one at ``alpha``; None when not run."""
        return None if self.difference is None else bool(self.difference.p_value < self.alpha)

    def sentence(self, unit: str) -> str:
        """For people: the two slope changes, whether they differ, and what that does and does not say."""
        if self.early is None or self.late is None or self.difference is None:
            return f"does the effect last? not checked: {self.reason}"
        e, lt, d = self.early, self.late, self.difference
        p = p_phrase(d.p_value)
        ci = f"{1 - self.alpha:.0%} CI"
        found = (
            f"does the effect last? slope change {e.estimate:+.3f} {unit} in the first {self.months:.0f} months "
            f"after treatment ({ci} {e.ci_low:+.3f} to {e.ci_high:+.3f}) and {lt.estimate:+.3f} after that "
            f"({ci} {lt.ci_low:+.3f} to {lt.ci_high:+.3f}; {self.n_patients} patients followed beyond "
            f"{self.months:.0f} months); difference {d.estimate:+.3f} ({ci} {d.ci_low:+.3f} to {d.ci_high:+.3f}, {p})"
        )
        if self.differs:
            # oriented like the headline: positive = towards benefit (slower decline for ALSFRS-R)
            way = "less favourable" if d.estimate < 0 else "more favourable"
            return (
                found + f": the later slope change is {way}, so the mixed model's single slope change averages "
                "two different slopes; read both.  Where the pre-trend or selection warning fires, a difference can "
                "also be the model's course missing the shape around treatment (docs/waning_check.md)."
            )
        return found + ": no difference at this level (a difference too small for the data to show is not ruled out)."

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "split_months": self.months,
            **{k: None if getattr(self, k) is None else getattr(self, k).to_json_dict() for k in ("early", "late")},
            "difference": None if self.difference is None else self.difference.to_json_dict(),
            "differs": self.differs,
            "n_patients": self.n_patients,
            "reason": self.reason,
        }


def _ramps(df: pd.DataFrame, months: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Months since the first treatment up to ``months`` and beyond it (0 before treatment and for the
    untreated), and the number of treated patients with a visit beyond the split."""
    d = df["days_after"].to_numpy(dtype=float)
    post = np.where(np.isfinite(d) & (d >= 0), np.where(np.isfinite(d), d, 0.0) / DPM, 0.0)
    late = np.clip(post - months, 0.0, None)
    return np.minimum(post, months), late, int(df.loc[late > 0, "patient_id"].nunique())


def waning_check(
    df: pd.DataFrame, direction: int = 1, alpha: float = WANING_ALPHA, n_knots: int = 4, months: float = WANING_MONTHS
) -> Waning:
    """The check on the analysis frame of :func:`alscell.analysis.effects.prepare`, oriented by the outcome's
    ``direction`` (+1: higher is better, −1: higher is worse)."""
    from alscell.analysis.effects import course_design  # effects imports the checks' siblings

    early, late, n = _ramps(df, months)
    if n < MIN_PATIENTS:
        return Waning(months, alpha, n_patients=n, reason=f"only {n} treated patients have a visit more than "
                      f"{months:.0f} months after treatment; the check needs {MIN_PATIENTS}.")  # fmt: skip
    y, pid = df["y"].to_numpy(dtype=float), df["patient_id"].to_numpy()
    try:
        X0, names0, Z = course_design(df, n_knots)
        names = [*names0, EARLY_TERM, LATE_TERM]
        fit = fit_mixed(
            y, np.column_stack([X0, early, late]), Z, pid, names, required=(EARLY_TERM, LATE_TERM), df_method="none"
        )
        parts = [
            mixed_contrast(fit, y, pid, c, alpha=alpha)
            for c in ({EARLY_TERM: 1.0}, {LATE_TERM: 1.0}, {LATE_TERM: 1.0, EARLY_TERM: -1.0})
        ]
    except (np.linalg.LinAlgError, ValueError) as exc:  # ValueError includes NotApplicable
        why = str(exc).strip().rstrip(".")
        return Waning(months, alpha, n_patients=n, reason=f"the model could not be fitted: {why}.")
    out = []
    for c in parts:
        est, se, dfree = float(c["estimate"]), float(c["se"]), float(c["df"])
        p = float(2 * t_sf(abs(est / se), dfree)) if se > 0 else float("nan")
        if not (np.isfinite(est) and np.isfinite(se) and se > 0 and np.isfinite(dfree) and np.isfinite(p)):
            return Waning(months, alpha, n_patients=n, reason="the slope changes had no standard error on these data.")
        q, o = float(t_ppf(1 - alpha / 2, dfree)), direction * est
        out.append(Part(o, o - q * se, o + q * se, p))
    return Waning(months, alpha, out[0], out[1], out[2], n)


__all__ = ["EARLY_TERM", "LATE_TERM", "MIN_PATIENTS", "WANING_ALPHA", "WANING_MONTHS", "Part", "Waning", "waning_check"]

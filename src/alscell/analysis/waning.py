"""Does the slope change last?  The headline's slope change split at a fixed time after treatment, by the
mixed model (``lmm_counterfactual``) or by g-estimation (``g_estimation``, the default).

The headline is one slope change after the first treatment, which is one number only if the effect is a
constant change of slope.  Patients and clinicians ask whether a benefit fades after some months (clinics
repeat the injections in cycles on that belief).  Where an effect fades, a single slope term averages the
months in its own way and can read the effect low against the average the patients lived (docs/world4_ablation.md, a world
whose effect halves after 6 months).

Both versions estimate two slope changes: in the first ``WANING_MONTHS`` after the first treatment, and
beyond; they report both, oriented like the headline, and their difference (later − earlier) with its
interval and a two-sided test.  The split was fixed before it was measured: two 3-monthly visit intervals,
the window of the placebo check (``alscell.analysis.pretrend``).

* :func:`waning_check` fits the mixed model (``alscell.analysis.effects.course_design``, all visits, CR2
  with Bell–McCaffrey df) with two slope-change terms, months since the first treatment up to the split and
  months beyond it.
* :func:`g_waning_check` is the default's own check: the structural nested model of
  ``alscell.analysis.g_estimation`` with the two slope changes, Y = Y(0) + δ₁·min(s, 6) + δ₂·(s − 6)₊ (s:
  months since the first treatment).  Two unknowns need two estimating equations; under sequential
  ignorability the untreated course's slope over *any* stretch after a decision visit is independent of
  the decision given the history, so each stretch gives one: Σ (A − p)(r_S − r_D·δ) = 0 over the visits
  from the decision to 6 months after it (which carries δ₁) and over those from 6 to 24 months after it
  (which carries δ₂).  Same decision model and history, same df (starters − 1); the covariance is the
  stacked sandwich with both stretches' regressions as nuisance blocks (``g_solve_windows``).
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
# what a difference means, by the estimator of the two slope changes (docs/waning_check.md)
MISREAD = {
    "lmm_counterfactual": "the mixed model's single slope change averages two different slopes; read both.  Where "
    "the pre-trend or selection warning fires, a difference can also be the model's course missing the shape "
    "around treatment (docs/waning_check.md).",
    "g_estimation": "the headline's single slope change averages two different slopes; read both.  Where the "
    "selection warning fires, a difference can also be a decision to treat that followed something the history "
    "does not hold (docs/waning_check.md).",
}


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
    method: str = "lmm_counterfactual"  # the estimator of both slope changes (or g_estimation)

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
            return found + f": the later slope change is {way}, so {MISREAD[self.method]}"
        return found + ": no difference at this level (a difference too small for the data to show is not ruled out)."

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "split_months": self.months,
            **{k: None if getattr(self, k) is None else getattr(self, k).to_json_dict() for k in ("early", "late")},
            "difference": None if self.difference is None else self.difference.to_json_dict(),
            "differs": self.differs,
            "n_patients": self.n_patients,
            "reason": self.reason,
            "method": self.method,
        }


def _split(df: pd.DataFrame, post: np.ndarray, months: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Months since the first treatment (``post``: 0 before it and for the untreated) up to ``months`` and
    beyond it, and the number of treated patients with a visit beyond the split."""
    late = np.clip(post - months, 0.0, None)
    return np.minimum(post, months), late, int(df.loc[late > 0, "patient_id"].nunique())


def _too_few(months: float, alpha: float, n: int, method: str) -> Waning:
    return Waning(months, alpha, n_patients=n, method=method, reason=f"only {n} treated patients have a visit more "
                  f"than {months:.0f} months after treatment; the check needs {MIN_PATIENTS}.")  # fmt: skip


def _result(
    contrasts: list[tuple[float, float, float]], direction: int, alpha: float, months: float, n: int, method: str
) -> Waning:
    """The check from (estimate, SE, df) of the early part, the late part and their difference, oriented by
    ``direction``; or why not, when one has no finite standard error."""
    out = []
    for est, se, dfree in contrasts:
        p = float(2 * t_sf(abs(est / se), dfree)) if se > 0 else float("nan")
        if not (np.isfinite(est) and np.isfinite(se) and se > 0 and np.isfinite(dfree) and np.isfinite(p)):
            return Waning(months, alpha, n_patients=n, method=method,
                          reason="the slope changes had no standard error on these data.")  # fmt: skip
        q, o = float(t_ppf(1 - alpha / 2, dfree)), direction * est
        out.append(Part(o, o - q * se, o + q * se, p))
    return Waning(months, alpha, out[0], out[1], out[2], n_patients=n, method=method)


def waning_check(
    df: pd.DataFrame, direction: int = 1, alpha: float = WANING_ALPHA, n_knots: int = 4, months: float = WANING_MONTHS
) -> Waning:
    """The check on the analysis frame of :func:`alscell.analysis.effects.prepare`, oriented by the outcome's
    ``direction`` (+1: higher is better, −1: higher is worse)."""
    from alscell.analysis.effects import course_design  # effects imports the checks' siblings

    d = df["days_after"].to_numpy(dtype=float)
    early, late, n = _split(df, np.where(d > 0, d, 0.0) / DPM, months)
    if n < MIN_PATIENTS:
        return _too_few(months, alpha, n, "lmm_counterfactual")
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
    contrasts = [(float(c["estimate"]), float(c["se"]), float(c["df"])) for c in parts]
    return _result(contrasts, direction, alpha, months, n, "lmm_counterfactual")


def g_waning_check(
    tables,
    outcome: str = "alsfrs_r_total",
    direction: int = 1,
    alpha: float = WANING_ALPHA,
    months: float = WANING_MONTHS,
    data: pd.DataFrame | None = None,
    adjust_for: tuple[str, ...] = (),
    within_starters: bool = False,
    adjust_shape: str = "linear",
    decision_lag_days: float = 0.0,
    decision_visits: tuple[str, ...] = (),
    leave_out_visits: tuple[str, ...] = (),
    eligible_when: tuple[tuple[str, str, float], ...] = (),
    recorded_eligibility: bool = False,
    self_ratings: str | None = None,
    history: str | None = None,
) -> Waning:
    """The check with g-estimation (``alscell.analysis.g_estimation``; module docstring): two slope changes
    from two estimating equations, the untreated course's slope over the visits from each decision visit to
    ``months`` after it, and from ``months`` to the estimator's window after it.  Oriented like the headline.
    ``adjust_for``, ``within_starters``, ``adjust_shape``, ``eligible_when``: the decision inputs the analyst named, as the headline holds them
    (``g_estimation.named_history``); ``decision_lag_days``, ``decision_visits``, ``leave_out_visits``: the headline's decision lag, decision occasions
    and visit types left out, with the recorded decision dates, and ``recorded_eligibility``, whether it read the clinic's
    recorded screening (:func:`alscell.analysis.decision_occasions.decision_occasions`); ``self_ratings``: how the
    headline took the ratings made by the patient or a caregiver (:mod:`alscell.analysis.self_ratings`; None: its
    default); ``history``: the headline's decision history (:data:`alscell.analysis.g_estimation.HISTORIES`; None: its
    default, :data:`alscell.analysis.g_estimation.DEFAULT_HISTORY`), as
    :func:`alscell.analysis.g_estimation.decision_history` builds it (who rated each visit, which g-estimation adds
    with ``"rater"``, is not added here)."""
    from alscell.analysis.decision_occasions import decision_occasions
    from alscell.analysis.g_estimation import (
        MIN_INITIATIONS,
        WINDOW_MONTHS,
        decision_history,
        finite_window_slopes,
        fit_decisions,
        named_history,
    )

    method = "g_estimation"
    df, H, post, at_risk, start = decision_history(
        tables,
        outcome,
        data,
        history,
        leave_out=tuple(leave_out_visits),
        self_ratings=self_ratings,
    )
    at_risk, start, *_ = decision_occasions(
        tables, df, at_risk, start, decision_lag_days, tuple(decision_visits), recorded_eligibility
    )
    early, late, n = _split(df, post, months)
    if n < MIN_PATIENTS:
        return _too_few(months, alpha, n, method)
    ramps, rows = np.column_stack([early, late]), np.flatnonzero(at_risk)
    windows = [finite_window_slopes(df, H, ramps, rows, lo, hi) for lo, hi in ((0.0, months), (months, WINDOW_MONTHS))]
    H, windows, _ = named_history(
        tables, df, H, start, windows, tuple(adjust_for), within_starters, adjust_shape, tuple(eligible_when)
    )
    used = np.union1d(windows[0][0], windows[1][0])
    n_init = int(start[used].sum())
    if n_init < MIN_INITIATIONS or len(used) - n_init < MIN_INITIATIONS:
        return Waning(months, alpha, n_patients=n, method=method,
                      reason="too few patients who start treatment with visits after it for g-estimation.")  # fmt: skip
    try:
        delta, V, _ = fit_decisions(H, start, df["patient_id"].to_numpy(), windows)
    except np.linalg.LinAlgError:
        return Waning(months, alpha, n_patients=n, method=method, reason="the treatment-decision model or the "
                      "two slope changes could not be separated on these data.")  # fmt: skip
    dfree = float(max(n_init - 1, 1))
    contrasts = [
        (float(c @ delta), float(np.sqrt(max(c @ V @ c, 0.0))), dfree) for c in np.array([[1, 0], [0, 1], [-1, 1]])
    ]
    return _result(contrasts, direction, alpha, months, n, method)


__all__ = [
    "EARLY_TERM",
    "LATE_TERM",
    "MIN_PATIENTS",
    "WANING_ALPHA",
    "WANING_MONTHS",
    "Part",
    "Waning",
    "g_waning_check",
    "waning_check",
]

"""A research prototype (issue 10, not a method of ``alscell effect``): a nonlinear mixed model with the
course on the logit scale and the slope change in points.

Why it was tried (docs/world2_ablation.md): the default fits each patient's course as a straight random line
in points around a population spline.  Where patients are followed into the floor of the scale the
individual courses bend and a straight random slope cannot follow them; the default then leans against
treatment.  On the logit scale ``u = log((y + c)/(K − y + c))`` an individual sigmoid is a straight line;
but a slope change fitted on the logit scale is multiplicative, which the simulated (points-additive)
effects are not.  So here the two scales are kept apart:

    y_ij = m(u_i(t_ij)) + δ · (months since first treatment)_+ + ε_ij,
    u_i(t) = x(t)ᵀβ + z(t)ᵀb_i,   b_i ~ N(0, D),   m(u) = (K + 2c)·expit(u) − c,

with x(t) the default's fixed effects (intercept, restricted cubic spline of months since onset, log entry
time and its interaction with time), z(t) = (1, time) a random intercept and slope *on the logit scale*,
K the ceiling of the course (48 = the scale's maximum, or higher: ``ceiling``) and δ the slope change in
points per month — the estimand itself, no map-back.

Fitting: Lindstrom & Bates linearisation (``alscell.analysis.bounded_course.fit_linearised``, with δ·post
added outside the link).  δ's SE: CR2 / Bell–McCaffrey on the final linearised model.
``llf_ml`` in the details: the Lindstrom–Bates approximate log-likelihood (the linearised model refitted
by ML), for comparing ceilings.

What it showed (benchmarks/course_shape.py, docs/course_shape.md): δ is identified partly by the *shape*
(a points-linear change against a logit-linear course), so its SE is small and its bias is set by how well
the assumed shape fits the world: the ceiling that removes the lean on one world creates one on the other,
and the approximate likelihood does not pick the ceiling that removes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alscell.analysis.bounded_course import fit_linearised
from alscell.analysis.cr2 import mixed_contrast
from alscell.analysis.design_matrix import outcome_info
from alscell.analysis.effects import (
    LOGIT_OFFSET,
    MethodError,
    _counts,
    _direction_warning,
    _empty,
    _scale_max,
    _selection_warning,
    course_design,
    exclude_trigger_visits,
    few_treated_warning,
    prepare,
    t_estimate,
    trigger_note,
)
from alscell.analysis.errors import NotApplicable
from alscell.analysis.estimate import Estimate
from alscell.analysis.lmm import fit_lmm
from alscell.domain.alsfrs import TOTAL_MAX
from alscell.domain.time import DAYS_PER_MONTH as DPM

METHOD = "nlmm_counterfactual (prototype)"


def _expit(u: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(u))
    return np.where(u >= 0, 1.0 / (1.0 + e), e / (1.0 + e))  # overflow-safe


def logit_points(y: np.ndarray, top: float, c: float) -> np.ndarray:
    """u = log((y + c)/(top − y + c)), y clipped to [0, top]."""
    yc = np.clip(y, 0.0, top)
    return np.log((yc + c) / (top - yc + c))


def points(u: np.ndarray, top: float, c: float) -> tuple[np.ndarray, np.ndarray]:
    """m(u) = (top + 2c)·expit(u) − c, the inverse of :func:`logit_points`, and its derivative dm/du."""
    s = _expit(u)
    return (top + 2 * c) * s - c, (top + 2 * c) * s * (1.0 - s)


@dataclass(frozen=True)
class LogitCourse:
    """Course straight on the logit scale with ceiling ``top`` and offset ``c`` (the slope change is added
    outside the link, in points)."""

    top: float
    c: float

    def __call__(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return points(u, self.top, self.c)

    def start(self, y: np.ndarray) -> np.ndarray:
        return logit_points(y, self.top, self.c)


def nlmm_counterfactual(
    tables,
    outcome: str = "alsfrs_r_total",
    *,
    exclude_pre_visits: int = 0,
    n_knots: int = 4,
    cov_type: str = "robust",
    alpha: float = 0.05,
    data: pd.DataFrame | None = None,
    logit_offset: float = LOGIT_OFFSET,
    max_iter: int = 50,
    ceiling: float | None = None,
) -> Estimate:
    """Slope change after first treatment in points/month, the natural course modelled on the logit scale
    with ceiling ``ceiling`` (default: the scale's maximum) (module docstring).  Same data handling,
    warnings and inference as ``lmm_counterfactual``."""
    estimand = "slope_change"
    top_ = _scale_max(outcome)
    if top_ is None:
        raise MethodError(
            f"{METHOD} needs a bounded ALSFRS-R outcome (its course is on the logit scale), not {outcome}."
        )
    c = logit_offset * float(top_) / TOTAL_MAX
    top = float(top_) if ceiling is None else float(ceiling)
    df = prepare(tables, outcome) if data is None else data
    warn = _direction_warning(outcome) + list(df.attrs.get("notes", []))
    keep = exclude_trigger_visits(df, exclude_pre_visits)
    warn += trigger_note(keep, df, exclude_pre_visits)
    df = df[keep].reset_index(drop=True)
    counts = _counts(df)
    n_pat, n_tr, n_vis = counts
    d = df["days_after"].to_numpy()
    post = np.where(np.isfinite(d) & (d >= 0), d / DPM, 0.0)
    n_post_pat = df.loc[post > 0, "patient_id"].nunique()
    if n_pat < 5 or n_post_pat < 2 or n_vis < 3 * n_pat // 2:
        return _empty(
            outcome, METHOD, estimand, n_pat, n_tr, n_vis, "too few patients or visits after treatment for the mixed model."
        )  # fmt: skip
    if n_tr == n_pat:
        warn.append("no untreated patients: natural history comes from pre-treatment visits only.")
    warn += _selection_warning(df, top)
    warn += few_treated_warning(n_post_pat)
    y = df["y"].to_numpy(dtype=float)
    X0, _, Z0 = course_design(df, n_knots)
    gid = df["patient_id"].to_numpy()
    try:
        lin = fit_linearised(y, X0, Z0, gid, [f"c{j}" for j in range(X0.shape[1])], LogitCourse(top, c),
                             outside=("post", post), required=("post",), cov_type=cov_type, max_iter=max_iter)  # fmt: skip
        fit, w, n_it, ok = lin.fit, lin.working, lin.iterations, lin.converged
    except NotApplicable as exc:
        return _empty(outcome, METHOD, estimand, n_pat, n_tr, n_vis, str(exc))
    warn += fit.notes
    if not ok:
        warn.append(
            f"the nonlinear mixed model did not reach a fixed point in {n_it} linearisation steps: "
            "the estimate is the last step's."
        )
    con = mixed_contrast(fit, w, gid, {"post": 1.0}, cov_type=cov_type, alpha=alpha)
    sgn = outcome_info(outcome)["direction"]
    try:
        llf = float(fit_lmm(w, fit.X, fit.Z, gid, reml=False, fallback=False, df_method="none").llf)
    except (np.linalg.LinAlgError, ValueError):
        llf = float("nan")
    details = {
        "llf_ml": llf,
        "df": float(con["df"]),
        "model": fit.result,
        "iterations": n_it,
        "converged": ok,
        "logit_offset": float(logit_offset),
        "excluded_pre_visits": exclude_pre_visits,
    }
    return t_estimate(
        outcome, estimand, METHOD, sgn * float(con["estimate"]), float(con["se"]), float(con["df"]), alpha,
        counts, warn, data=df.assign(post_months=post), details=details,
    )  # fmt: skip


__all__ = ["METHOD", "LogitCourse", "logit_points", "nlmm_counterfactual", "points"]

"""Raters that differ *after* the start: treated patients followed up by phone or by their own ratings.

:mod:`alscell.analysis.rater` looks at who rated the visit at which treatment started.  A registry can also
change the *follow-up* of the treated: a clinic that sells the cells calls its patients afterwards instead of
seeing them, or the patients rate themselves in the web app.  If such ratings read higher than a clinician's
(telephone and self-rated ALSFRS-R agree with a clinician's on average but not in every service: Kaufmann et
al., Amyotroph Lateral Scler 2007;8:42–46; Montes et al., Neurology 2006;67:1294–1296), every slope measured
after the start leans toward benefit, and more data do not remove it (a review probe of 2026-12-05 found
+0.14 points/month under no effect).  The history cannot hold this: the imbalance is in the visits after the
decision, not at it.

What is measured.  g-estimation is linear in the outcome: with a mode's flag f as the outcome, the same
estimating equation (same decision model and history) gives δ_f, how much the *share of visits so rated*
changes its slope at the start beyond what the history predicts.  If the mode reads γ points above a
clinician, the estimate leans by exactly γ·δ_f.  The rule (:func:`drift_rule`) fires when |δ_f| is at least
:data:`DRIFT_MIN` per month and :data:`DRIFT_Z` of its standard errors.

What is done.  γ is estimated within patients from the visits before any treatment (every patient's own
straight line through them, a flag per mode: :func:`rater_offsets`), and the estimate becomes
δ̂ − Σ γ̂·δ̂_f, the g-estimate of the outcome with each mode's offset removed, with the sampling error of γ̂
added to its standard error (the per-patient influence functions summed; stacked M-estimation).  Where no
untreated patient was rated both ways, γ is not identified and the result only warns.  Where the rule does
not fire the estimate is unchanged to the last digit.  The offset is assumed constant (the same γ at every
level of the scale and in treated and untreated patients); one that changes with the course is not removed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# The rule fires for a mode when its share's slope changes at the start by at least DRIFT_MIN per month (a
# 2-point offset — about Kaufmann et al.'s limits of agreement — would then lean the estimate by 0.01
# points/month, 5% of the 0.2 points/month the calibration pages use as an effect) and by at least DRIFT_Z
# standard errors (the z of the starts' rule, alscell.analysis.rater.RATER_Z, for the same reason: where
# modes are random it should almost never fire).
DRIFT_MIN = 0.005
DRIFT_Z = 4.0
# Fewest patients rated both ways before any treatment for a mode's offset to be estimated.
MIN_OFFSET_PATIENTS = 10


def rater_offsets(
    patient: np.ndarray, t: np.ndarray, y: np.ndarray, flags: np.ndarray, untreated: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(γ̂, influence, patients, identified): how many points each mode (a column of ``flags``) reads above a
    clinician, from the ``untreated`` visits, within patients: y and the flags are residualised on each
    patient's own intercept and slope in time ``t``, and the residual y regressed on the residual flags.
    ``influence`` (patients × modes) sums to γ̂ − γ to first order (cluster-robust); ``identified`` marks the
    modes rated both ways in at least :data:`MIN_OFFSET_PATIENTS` patients (γ̂ is 0 for the others)."""
    k = flags.shape[1]
    keep = untreated & np.isfinite(y)
    codes, labels = pd.factorize(patient[keep])
    tk, yk, fk = t[keep], y[keep], flags[keep]
    n = np.bincount(codes, minlength=len(labels)).astype(float)

    def within(v: np.ndarray) -> np.ndarray:  # residual of v on the patient's own straight line
        tm = np.bincount(codes, weights=tk) / n
        tc = tk - tm[codes]
        sxx = np.bincount(codes, weights=tc**2)
        vm = np.bincount(codes, weights=v) / n
        with np.errstate(invalid="ignore", divide="ignore"):
            b = np.where(sxx > 1e-9, np.bincount(codes, weights=tc * v) / sxx, 0.0)
        return v - vm[codes] - b[codes] * tc

    yr = within(yk)
    fr = np.column_stack([within(fk[:, j]) for j in range(k)]) if k else np.empty((len(yk), 0))
    both = np.array(
        [((np.bincount(codes, weights=np.abs(fr[:, j])) > 1e-9).sum()) >= MIN_OFFSET_PATIENTS for j in range(k)],
        dtype=bool,
    )
    gamma = np.zeros(k)
    infl = np.zeros((len(labels), k))
    if both.any():
        F = fr[:, both]
        bread = np.linalg.pinv(F.T @ F)
        g = bread @ F.T @ yr
        e = yr - F @ g
        score = np.column_stack(
            [np.bincount(codes, weights=F[:, c] * e, minlength=len(labels)) for c in range(F.shape[1])]
        )
        gamma[both] = g
        infl[:, both] = score @ bread.T
    return gamma, infl, np.asarray(labels), both


def drift_rule(delta_f: np.ndarray, se_f: np.ndarray) -> np.ndarray:
    """Which modes' share of visits changed its slope at the start (module docstring): |δ_f| ≥ DRIFT_MIN
    and ≥ DRIFT_Z standard errors."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.abs(delta_f) / se_f
    return (np.abs(delta_f) >= DRIFT_MIN) & (z >= DRIFT_Z) & np.isfinite(z)


def drift_warning(modes: list[str], delta_f: np.ndarray, gamma: np.ndarray | None, adjusted: bool) -> str:
    """The sentence for the modes the rule found (``gamma`` None: not estimable)."""
    per = "; ".join(
        f"{m}: its share of visits changed by {d:+.3f} per month at the start"
        for m, d in zip(modes, delta_f, strict=True)
    )
    head = f"after treatment started, visits were rated differently than before ({per})"
    lean = (
        "if such ratings differ in level from a clinician's, the estimate leans by that difference times the "
        "change in share, and more data do not remove it"
    )
    if adjusted and gamma is not None:
        offs = ", ".join(f"{m} {g:+.2f} points" for m, g in zip(modes, gamma, strict=True))
        return (
            f"{head}: {lean}; each mode's offset, estimated within patients from the visits before any treatment "
            f"({offs}), was removed from the slopes, with its uncertainty in the interval: this removes a constant "
            'difference in level, not one that changes with the course (docs/evidence.md, "Who rated the visit").'
        )
    why = (
        "no untreated patient was rated both ways, so the offset cannot be estimated"
        if gamma is None
        else "not adjusted with these settings (effect modifiers, learned nuisance models or adjust_raters=False)"
    )
    return f"{head}: {lean}; {why}."


__all__ = ["DRIFT_MIN", "DRIFT_Z", "MIN_OFFSET_PATIENTS", "drift_rule", "drift_warning", "rater_offsets"]

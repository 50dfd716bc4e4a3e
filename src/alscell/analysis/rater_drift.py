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

What is done.  Each flagged mode's offset is estimated within patients from the visits before any treatment,
as a linear function of the visit's level (on a bounded scale a rating that reads higher has less room near
the top, and the visits after a start sit lower than those it is estimated from: :func:`rater_offsets`), and
the estimate becomes the g-estimate of the outcome with those offsets removed — by linearity δ̂ − Σ γ̂·δ̂(column),
one column per mode for the offset and one for its change with the level — with the sampling error of γ̂
added to its standard error (the per-patient influence functions summed; stacked M-estimation).  Where no
untreated patient was rated both ways, γ is not identified and the result only warns.  Where the rule does
not fire the estimate is unchanged to the last digit.  An offset that changes with the course in another
way (with time since onset, or only in treated patients) is not removed.
"""

from __future__ import annotations

from typing import NamedTuple

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


class Offsets(NamedTuple):
    """Each mode's offset from a clinician's rating as a linear function of the level (:func:`rater_offsets`)."""

    columns: np.ndarray  # visits × 2 modes: the flag, and the flag times the visit's level (centred)
    gamma: np.ndarray  # the offset at the centre and per point of level, two per mode (0 where not identified)
    influence: np.ndarray  # patients × 2 modes: sums to γ̂ − γ to first order (cluster-robust)
    patients: np.ndarray  # the influence's rows
    identified: np.ndarray  # per mode


def _within(codes: np.ndarray, t: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The residual of v on each patient's own straight line in t (``codes`` the patients)."""
    n = np.bincount(codes).astype(float)
    tc = t - (np.bincount(codes, weights=t) / n)[codes]
    sxx = np.bincount(codes, weights=tc**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        b = np.where(sxx > 1e-9, np.bincount(codes, weights=tc * v) / np.where(sxx > 1e-9, sxx, 1.0), 0.0)
    return v - (np.bincount(codes, weights=v) / n)[codes] - b[codes] * tc


def rater_offsets(
    patient: np.ndarray, t: np.ndarray, y: np.ndarray, flags: np.ndarray, untreated: np.ndarray
) -> Offsets:
    """How many points each mode (a column of ``flags``) reads above a clinician, as a linear function of the
    visit's level: on a bounded scale a rating that reads higher has less room near the top (an item at 4
    cannot read higher), so the offset shrinks there, and the visits after a start sit lower on the scale
    than the ones it is estimated from.  The level of a visit is the patient's own straight line through all
    of their visits, at its time (smooth: a visit's own noise barely enters it).  Estimated from the
    ``untreated`` visits within patients: y, the flags and the flags times the centred level are residualised
    on each patient's own intercept and slope, and the residual y regressed on the others.  A mode is
    identified when rated both ways in at least :data:`MIN_OFFSET_PATIENTS` patients (its γ̂ is 0 otherwise)."""
    k = flags.shape[1]
    ok_y = np.isfinite(y)
    codes_all, _ = pd.factorize(patient)
    level = np.full(len(y), np.nan)
    sub = pd.factorize(codes_all[ok_y])[0]
    level[ok_y] = y[ok_y] - _within(sub, t[ok_y], y[ok_y])
    keep = untreated & ok_y
    codes, labels = pd.factorize(patient[keep])
    centre = np.array([np.nanmean(level[keep][flags[keep][:, j] > 0]) if (flags[keep][:, j] > 0).any() else 0.0
                       for j in range(k)])  # fmt: skip
    cols = np.zeros((len(y), 2 * k))
    cols[:, 0::2] = flags
    cols[:, 1::2] = flags * np.nan_to_num(level[:, None] - centre[None, :])
    yr = _within(codes, t[keep], y[keep])
    X = np.column_stack([_within(codes, t[keep], cols[keep][:, c]) for c in range(2 * k)])
    both = np.array(
        [(np.bincount(codes, weights=np.abs(X[:, 2 * j])) > 1e-9).sum() >= MIN_OFFSET_PATIENTS for j in range(k)],
        dtype=bool,
    )
    use = np.repeat(both, 2)
    gamma, infl = np.zeros(2 * k), np.zeros((len(labels), 2 * k))
    if use.any():
        F = X[:, use]
        bread = np.linalg.pinv(F.T @ F)
        g = bread @ F.T @ yr
        e = yr - F @ g
        score = np.column_stack(
            [np.bincount(codes, weights=F[:, c] * e, minlength=len(labels)) for c in range(F.shape[1])]
        )
        gamma[use], infl[:, use] = g, score @ bread.T
    return Offsets(cols, gamma, infl, np.asarray(labels), both)


def drift_rule(delta_f: np.ndarray, se_f: np.ndarray) -> np.ndarray:
    """Which modes' share of visits changed its slope at the start (module docstring): |δ_f| ≥ DRIFT_MIN
    and ≥ DRIFT_Z standard errors."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.abs(delta_f) / se_f
    return (np.abs(delta_f) >= DRIFT_MIN) & (z >= DRIFT_Z) & np.isfinite(z)


def drift_warning(modes: list[str], delta_f: np.ndarray, offsets: list[str] | None, adjust: bool) -> str:
    """The sentence for the modes the rule found: adjusted (``offsets`` says each mode's estimated offset), not
    estimable (``offsets`` None, ``adjust``) or not adjusted with these settings (``adjust`` False)."""
    per = "; ".join(
        f"{m}: its share of visits changed by {d:+.3f} per month at the start"
        for m, d in zip(modes, delta_f, strict=True)
    )
    head = f"after treatment started, visits were rated differently than before ({per})"
    lean = (
        "if such ratings differ in level from a clinician's, the estimate leans by that difference times the "
        "change in share, and more data do not remove it"
    )
    if offsets is not None:
        return (
            f"{head}: {lean}; each mode's offset, estimated within patients from the visits before any treatment "
            f"({'; '.join(offsets)}), was removed from the slopes, with its uncertainty in the interval: an offset "
            'that changes with the course in another way is not removed (docs/evidence.md, "Who rated the visit").'
        )
    if adjust:
        return f"{head}: {lean}; no untreated patient was rated both ways, so the offset cannot be estimated."
    return (
        f"{head}: {lean}; not adjusted with these settings (effect modifiers, learned nuisance models or "
        "adjust_raters=False)."
    )


__all__ = ["DRIFT_MIN", "DRIFT_Z", "MIN_OFFSET_PATIENTS", "Offsets", "drift_rule", "drift_warning", "rater_offsets"]

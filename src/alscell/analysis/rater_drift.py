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

What is done.  Each flagged mode's offset is estimated within patients from the visits before any treatment
(less those at which treatment started: a decision on a visit's reading selects its noise), as a linear
function of the level learned between patients (on a bounded scale a rating that reads higher has less room
near the top, and the visits after a start sit lower than those it is estimated from: :func:`rater_offsets`,
which also holds a second design, forward changes, measured and not the default), and the estimate becomes
the g-estimate of the outcome with those offsets removed — by linearity δ̂ − Σ γ̂·δ̂(column), one column per
mode for the offset and one for its change with the level — with the sampling error of γ̂ added to its
standard error (the per-patient influence functions summed; stacked
M-estimation).  Where too few patients were rated both ways, γ is not identified and the result only warns,
with the lean it may have.  Where the rule does not fire the estimate is unchanged to the last digit.  An
offset that changes with the course in another way (with time since onset, or only in treated patients) is
not removed.  A mode whose use follows disability for everyone can fire the rule too: its share after a start
changes because the course did, and adjusting for who rated is then still right (the review of 2026-12-05).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

# The rule fires for a mode when its share's slope changes at the start by at least DRIFT_MIN per month (a
# 2-point offset — about Kaufmann et al.'s limits of agreement — would then lean the estimate by 0.01
# points/month, 5% of the 0.2 points/month the calibration pages use as an effect) and by at least DRIFT_Z
# standard errors.  DRIFT_Z was 4 first (the starts' rule's); the review of 2026-12-05 found real leans left
# silent under it (+0.017, 1.4 SE, where 12% of the treated's later visits were phone calls; the rule fired in
# 7% of cohorts) and that adjusting where there is no offset costs little (coverage 0.95, SE 0.0111 against
# 0.0094), so it is 2: a share that moved by chance is adjusted for at a small price, one that moved for a
# reason is not left alone.
DRIFT_MIN = 0.005
DRIFT_Z = 2.0
# Fewest patients rated both ways before any treatment (design="forward": with a visit so rated followed by a
# clinician's) for a mode's offset to be estimated, and for its dependence on the level (learned between
# patients: it needs more of them; with fewer the offset is constant).  With 7–19 such patients the review of
# 2026-12-05 found the offsets' sandwich SE too small (coverage 0.79).
MIN_OFFSET_PATIENTS = 20
MIN_LEVEL_PATIENTS = 40
# The width (months, a Gaussian kernel's SD) of the stretch of a patient's course on each side of a pair whose
# pace a forward change is compared with (:func:`_pace_nearby`).  With both sides weighing alike it matters
# little (docs/rater_offset_pace.md: at most 0.08 points apart between 3 months and the whole course); 6 months
# keeps the pace to the stretch of the course around the pair.
PACE_BANDWIDTH = 6.0


class Offsets(NamedTuple):
    """Each mode's offset from a clinician's rating as a linear function of the level (:func:`rater_offsets`)."""

    columns: np.ndarray  # visits × 2 modes: the flag, and the flag times the visit's level (centred)
    gamma: np.ndarray  # the offset at the centre and per point of level, two per mode (0 where not identified)
    influence: np.ndarray  # patients × 2 modes: sums to γ̂ − γ to first order (cluster-robust)
    patients: np.ndarray  # the influence's rows
    identified: np.ndarray  # per mode
    rated_both_ways: np.ndarray  # per mode, patients rated both ways (forward: so rated, then a clinician)


def _within(codes: np.ndarray, t: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The residual of v on each patient's own straight line in t (``codes`` the patients)."""
    n = np.bincount(codes).astype(float)
    tc = t - (np.bincount(codes, weights=t) / n)[codes]
    sxx = np.bincount(codes, weights=tc**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        b = np.where(sxx > 1e-9, np.bincount(codes, weights=tc * v) / np.where(sxx > 1e-9, sxx, 1.0), 0.0)
    return v - (np.bincount(codes, weights=v) / n)[codes] - b[codes] * tc


def _within_quadratic(codes: np.ndarray, t: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The residual of v on each patient's own quadratic in t, for patients with at least four visits (their
    straight line's, :func:`_within`, for the others)."""
    n = np.bincount(codes).astype(float)
    tc = t - (np.bincount(codes, weights=t) / n)[codes]
    # each patient's times scaled to unit spread: the 3 × 3 normal equations stay well conditioned over long follow-up
    spread = np.sqrt(np.bincount(codes, weights=tc**2) / n)
    tc = tc / np.where(spread > 1e-9, spread, 1.0)[codes]
    X = np.column_stack([np.ones_like(tc), tc, tc**2])
    m = len(n)
    gram = np.empty((m, 3, 3))
    rhs = np.empty((m, 3))
    for a in range(3):
        rhs[:, a] = np.bincount(codes, weights=X[:, a] * v, minlength=m)
        for b in range(a, 3):
            gram[:, a, b] = gram[:, b, a] = np.bincount(codes, weights=X[:, a] * X[:, b], minlength=m)
    quad = n >= 4
    beta = np.zeros((m, 3))
    if quad.any():  # each patient's 3 × 3 normal equations at once (pinv: visits on two days only are a line)
        beta[quad] = (np.linalg.pinv(gram[quad]) @ rhs[quad][..., None])[..., 0]
    return np.where(quad[codes], v - (X * beta[codes]).sum(axis=1), _within(codes, t, v))


def _visits_used(
    patient: np.ndarray, t: np.ndarray, y: np.ndarray, untreated: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(level, keep, codes, labels): each visit's level on its patient's straight line through all of their
    visits (NaN where the score is missing), the visits an offset is learned from (``untreated`` with a score),
    and their patients' codes and labels."""
    ok_y = np.isfinite(y)
    level = np.full(len(y), np.nan)
    sub = pd.factorize(patient[ok_y])[0]
    level[ok_y] = y[ok_y] - _within(sub, t[ok_y], y[ok_y])
    keep = untreated & ok_y
    codes, labels = pd.factorize(patient[keep])
    return level, keep, codes, np.asarray(labels)


def _next_reference(patient: np.ndarray, t: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (each visit, the next later visit of the same patient rated by a clinician): two index arrays."""
    order = np.lexsort((t, patient))
    p, tt, ref = patient[order], t[order], reference[order]
    refs = np.flatnonzero(ref)
    if len(refs) == 0:
        return np.empty(0, int), np.empty(0, int)
    pos = np.arange(len(order))
    nxt = np.searchsorted(refs, pos, side="right")
    ok = nxt < len(refs)
    q = refs[np.minimum(nxt, len(refs) - 1)]
    # a clinician's visit on the same day as the visit is not "next": skip to the first one after it
    while True:
        same = ok & (p[q] == p) & (tt[q] <= tt)
        if not same.any():
            break
        nxt = np.where(same, nxt + 1, nxt)
        ok = nxt < len(refs)
        q = refs[np.minimum(nxt, len(refs) - 1)]
    ok &= p[q] == p
    return order[pos[ok]], order[q[ok]]


def _pace_nearby(
    codes: np.ndarray, t: np.ndarray, y: np.ndarray, reference: np.ndarray, first: np.ndarray, then: np.ndarray,
    bandwidth: float,
) -> np.ndarray:  # fmt: skip
    """Each pair's (``first`` → ``then``) pace of its patient's course, in points per month, from the patient's
    consecutive clinician visits before the pair and after it, each side weighing alike, within each side a
    Gaussian kernel of ``bandwidth`` months around the pair (``inf``: alike), leaving out every interval that
    overlaps the pair or the interval before its first visit; NaN where either side is empty.

    Why leave the interval before out: where a mode follows a sudden loss (a call after a fall), the loss lies
    there, in the patient's course but not in the change after the call, and a pace that held it would read
    the call as an offset.  Why both sides alike: ALS courses bend (they accelerate, or slow near the scale's
    floor), and a pace from one side only (the last visits before a start have nothing after them) would be
    the pace of another stretch of the course; with both sides weighing alike a pace that changes steadily
    with time cancels out.  Each side is a line through the origin of the change on the gap."""
    order = np.lexsort((t, codes))
    ref = order[reference[order]]
    same = codes[ref[1:]] == codes[ref[:-1]]
    a, b = ref[:-1][same], ref[1:][same]  # consecutive clinician visits: sorted by patient, then time
    if len(a) == 0 or len(first) == 0:
        return np.full(len(first), np.nan)
    g, d, mid = t[b] - t[a], y[b] - y[a], (t[a] + t[b]) / 2
    span, t0 = float(np.ptp(t)) + 1.0, float(t.min())

    def key(c: np.ndarray, when: np.ndarray) -> np.ndarray:  # one expression: equal times give equal keys
        return c * span + (when - t0)

    c = codes[first]
    lo, hi = np.searchsorted(codes[a], c, side="left"), np.searchsorted(codes[a], c, side="right")
    # the visit before each pair's first visit (any mode) opens the stretch left out
    pos = np.empty(len(order), int)
    pos[order] = np.arange(len(order))
    prev = order[np.maximum(pos[first] - 1, 0)]
    opens = np.where((pos[first] > 0) & (codes[prev] == c), t[prev], t[first])
    out_lo = np.searchsorted(key(codes[b], t[b]), key(c, opens), side="right")
    out_hi = np.searchsorted(key(codes[a], t[a]), key(c, t[then]), side="left")
    centre = (t[first] + t[then]) / 2
    idx = lo[:, None] + np.arange(max(int((hi - lo).max()), 1))[None, :]
    used = (idx < hi[:, None]) & ~((idx >= out_lo[:, None]) & (idx < out_hi[:, None]))
    idx = np.minimum(idx, len(a) - 1)
    x = mid[idx] - centre[:, None]
    w = used * (np.exp(-0.5 * (x / bandwidth) ** 2) if np.isfinite(bandwidth) else 1.0)
    gi, di = g[idx], d[idx]
    sides = []
    for side in (x < 0, x > 0):
        gg, gd = (w * side * gi**2).sum(axis=1), (w * side * gi * di).sum(axis=1)
        ok = gg > 1e-9 * float(np.median(g)) ** 2
        sides.append(np.where(ok, gd / np.where(ok, gg, 1.0), np.nan))
    return (sides[0] + sides[1]) / 2


def _level_slopes(
    codes: np.ndarray, t: np.ndarray, y: np.ndarray, f: np.ndarray, mean_level: np.ndarray, centre: np.ndarray,
    use: np.ndarray, n_patients: int,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Each mode's offset's change per point of level (0 where not ``use``) and its per-patient influence: each
    visit's residual on its patient's straight line in time regressed on the residual flags and the residual
    flags times the patient's mean level (centred), learned *between* patients — within a patient the level
    moves with time, and a within-patient level term took up the curvature of the course (the review of
    2026-12-05: +0.03 points/month with no offset at all)."""
    k = f.shape[1]
    slope, infl = np.zeros(k), np.zeros((n_patients, k))
    if not use.any():
        return slope, infl
    X = np.column_stack(
        [_within(codes, t, f[:, j]) for j in range(k)]
        + [_within(codes, t, f[:, j] * (mean_level[codes] - centre[j])) for j in np.flatnonzero(use)]
    )
    yr = _within(codes, t, y)
    bread = np.linalg.pinv(X.T @ X)
    b = bread @ X.T @ yr
    e = yr - X @ b
    score = np.column_stack([np.bincount(codes, weights=X[:, j] * e, minlength=n_patients) for j in range(X.shape[1])])
    slope[use], infl[:, use] = b[k:], (score @ bread.T)[:, k:]
    return slope, infl


def _forward_offsets(
    patient: np.ndarray, t: np.ndarray, y: np.ndarray, flags: np.ndarray, untreated: np.ndarray, bandwidth: float
) -> Offsets:
    """:func:`rater_offsets` with ``design="forward"``: the offset at the centre from forward changes against
    the pace on both sides of each pair (:func:`_pace_nearby`), its change with the level from
    :func:`_level_slopes`, stacked."""
    k = flags.shape[1]
    level, keep, codes, labels = _visits_used(patient, t, y, untreated)
    fk, yk, tk = flags[keep], y[keep], t[keep]
    mean_level = np.bincount(codes, weights=yk) / np.bincount(codes)
    rated = fk > 0
    centre = np.array([mean_level[codes[rated[:, j]]].mean() if rated[:, j].any() else 0.0 for j in range(k)])
    cols = np.zeros((len(y), 2 * k))
    cols[:, 0::2] = flags
    cols[:, 1::2] = flags * np.nan_to_num(level[:, None] - centre[None, :])
    clinician = ~rated.any(axis=1)
    first, then = _next_reference(codes, tk, clinician)
    pace = _pace_nearby(codes, tk, yk, clinician, first, then, bandwidth)
    ok = np.isfinite(pace)
    first, then, pace = first[ok], then[ok], pace[ok]
    pc = codes[first]
    change = yk[then] - yk[first] - pace * (tk[then] - tk[first])
    both = np.array([len(np.unique(pc[fk[first, j] > 0])) for j in range(k)])
    use = np.zeros(2 * k, dtype=bool)
    use[0::2] = both >= MIN_OFFSET_PATIENTS
    use[1::2] = use[0::2] & (both >= MIN_LEVEL_PATIENTS)
    gamma, infl = np.zeros(2 * k), np.zeros((len(labels), 2 * k))
    if not use.any():
        return Offsets(cols, gamma, infl, np.asarray(labels), use[0::2], both.astype(int))
    # the change with the level, within patients (each visit against the patient's straight line): a mode
    # reading higher reads higher at every visit so rated, so its offset's change with the level does not
    # depend on which visits were chosen for it, as the offset itself does (module docstring)
    slope, slope_if = _level_slopes(codes, tk, yk, fk, mean_level, centre, use[1::2], len(labels))
    # the offset at the centre from the forward changes, the level part (known up to its own error) moved over
    lev = fk[first] * (mean_level[pc][:, None] - centre[None, :])
    F = np.column_stack([fk[first][:, use[0::2]], np.ones(len(first))])  # the intercept: what the paces miss
    bread = np.linalg.pinv(F.T @ F)
    target = change + lev @ slope
    coef = bread @ F.T @ target
    e = target - F @ coef
    score = np.column_stack([np.bincount(pc, weights=F[:, j] * e, minlength=len(labels)) for j in range(F.shape[1])])
    n = int(use[0::2].sum())  # a mode reading γ high makes the change γ smaller: the offsets are −coef
    # stacked: γ0 = −(bread F' (change + lev·s))₀, so its influence also carries −(bread F' lev)·IF(s)
    lean = -(bread @ F.T @ lev)[:n]  # ∂γ0/∂s, n × k
    gamma[0::2][use[0::2]] = -coef[:n]
    infl[:, 0::2][:, use[0::2]] = -(score @ bread.T)[:, :n] + slope_if @ lean.T
    gamma[1::2], infl[:, 1::2] = slope, slope_if
    return Offsets(cols, gamma, infl, np.asarray(labels), use[0::2], both.astype(int))


def _line_offsets(
    patient: np.ndarray, t: np.ndarray, y: np.ndarray, flags: np.ndarray, untreated: np.ndarray, within=_within
) -> Offsets:
    """:func:`rater_offsets` with ``design="line"``: each visit against its patient's straight line in time (or, with
    ``within=_within_quadratic``, ``design="quadratic"``, its quadratic), the flags and the flags times the patient's
    mean level (centred) as regressors, within patients."""
    k = flags.shape[1]
    level, keep, codes, labels = _visits_used(patient, t, y, untreated)
    fk = flags[keep]
    mean_level = (np.bincount(codes, weights=y[keep]) / np.bincount(codes))[codes]
    rated = fk > 0
    centre = np.array([mean_level[rated[:, j]].mean() if rated[:, j].any() else 0.0 for j in range(k)])
    cols = np.zeros((len(y), 2 * k))
    cols[:, 0::2] = flags
    cols[:, 1::2] = flags * np.nan_to_num(level[:, None] - centre[None, :])
    fit = np.zeros((int(keep.sum()), 2 * k))
    fit[:, 0::2] = fk
    fit[:, 1::2] = fk * (mean_level[:, None] - centre[None, :])
    yr = within(codes, t[keep], y[keep])
    X = np.column_stack([within(codes, t[keep], fit[:, c]) for c in range(2 * k)])
    both = np.array([(np.bincount(codes, weights=np.abs(X[:, 2 * j])) > 1e-9).sum() for j in range(k)])
    use = np.zeros(2 * k, dtype=bool)
    use[0::2] = both >= MIN_OFFSET_PATIENTS
    use[1::2] = both >= MIN_LEVEL_PATIENTS
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
    return Offsets(cols, gamma, infl, np.asarray(labels), use[0::2], both.astype(int))


def rater_offsets(
    patient: np.ndarray, t: np.ndarray, y: np.ndarray, flags: np.ndarray, untreated: np.ndarray,
    design: str = "line", bandwidth: float = PACE_BANDWIDTH,
) -> Offsets:  # fmt: skip
    """How many points each mode (a column of ``flags``) reads above a clinician, as a linear function of the
    level: on a bounded scale a rating that reads higher has less room near the top (an item at 4 cannot read
    higher), so the offset shrinks there, and the visits after a start sit lower on the scale than the ones it
    is estimated from.  Learned from the ``untreated`` visits (the caller leaves out the visits at which
    treatment started: a decision taken on a visit's reading selects its noise).

    ``design="line"`` (the default): each visit's residual on its patient's own straight line in time is
    regressed on the residual flags and on the residual flags times the patient's mean level (centred), within
    patients; the dependence on the level is learned *between* patients only (within a patient the level moves
    with time, so a within-patient level term would take up the curvature of the course wherever a mode is
    used more as time goes on: the review of 2026-12-05 found +0.03 points/month from it with no offset).  It
    assumes the mode is not chosen by the course: a call after a sudden loss sits below the patient's line,
    and the loss reads as the phone's offset (the ninth world; docs/rater_offset_pace.md).

    ``design="forward"``: the offset at the centre from *forward changes* — each visit to the patient's next
    clinician visit, less the patient's pace on both sides of the pair (:func:`_pace_nearby`, ``bandwidth``
    months, leaving out the interval before the visit) — and its change with the level as in "line", stacked.
    It assumes instead that the course after a visit does not depend on how the visit was rated.  It mends the
    ninth world's sudden losses but reads the eighth world's phone offset too high (calls for cells come in a
    stretch of faster decline that goes on) and the tenth world's self-rating offset too low
    (docs/rater_offset_pace.md), and on the warning census it moved the estimates of those worlds further from
    the truth than it moved the ninth's toward it: the default stays "line".

    ``design="quadratic"`` (since 2026-12-07, thirty-eighth session; what ``hold_raters`` uses): as "line", each
    visit against its patient's own quadratic in time where the patient has four visits or more (a line for fewer),
    so that the curvature of a course does not read as the offset of a group that rates at one phase of it — a cell
    programme's raters, who rate its own visits, the last before a start among them: on the eighteenth world with the
    leniencies taken out of the ratings "line" found them below the clinic's raters, which moved the
    held estimate by about +0.01 (docs/world18_leniency_ratings.md).  The modes keep "line".

    Each way the offset is applied at each visit's level (the patient's straight line through all of their
    visits, at its time: smooth, so a visit's own noise barely enters it), in ``columns``.  A mode is
    identified when at least :data:`MIN_OFFSET_PATIENTS` patients are rated both ways among the visits used
    (its γ̂ is 0 otherwise), and its level term only with :data:`MIN_LEVEL_PATIENTS`."""
    if design == "line":
        return _line_offsets(patient, t, y, flags, untreated)
    if design == "quadratic":
        return _line_offsets(patient, t, y, flags, untreated, _within_quadratic)
    if design == "forward":
        return _forward_offsets(patient, t, y, flags, untreated, bandwidth)
    raise ValueError(f"unknown design {design!r}: use 'line', 'quadratic' or 'forward'")


def drift_rule(delta_f: np.ndarray, se_f: np.ndarray) -> np.ndarray:
    """Which modes' share of visits changed its slope at the start (module docstring): |δ_f| ≥ DRIFT_MIN
    and ≥ DRIFT_Z standard errors."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.abs(delta_f) / se_f
    return (np.abs(delta_f) >= DRIFT_MIN) & (z >= DRIFT_Z) & np.isfinite(z)


def drift_warning(modes: list[str], delta_f: np.ndarray, offsets: list[str] | None, why: str = "") -> str:
    """The sentence for the modes the rule found: adjusted (``offsets`` says each mode's estimated offset) or
    not (``why`` says why; the estimate is then the unadjusted one and the sentence gives its possible lean)."""
    per = "; ".join(
        f"the share rated by {m} {'rose' if d > 0 else 'fell'} {abs(d) * 100:.1f} percentage points per month "
        "faster after the start than the history predicts"
        for m, d in zip(modes, delta_f, strict=True)
    )
    head = (
        f"after treatment started, visits were rated differently than before ({per}; a clinic's follow-up of the "
        "treated, or a course that changed how patients can be seen)"
    )
    if offsets is not None:
        return (
            f"{head}.  If such ratings differ in level from a clinician's, every slope from the start leans and more "
            f"data do not remove it, so each mode's offset, estimated within patients from the visits before any "
            f"treatment, was removed from the slopes, with its uncertainty in the interval ({'; '.join(offsets)}): "
            "an offset that changes with the course in another way is not removed (docs/rater_drift.md)."
        )
    lean = float(np.max(np.abs(delta_f)))
    return (
        f"{head}.  Not adjusted: {why}.  The estimate is the unadjusted one; if such ratings read 1 to 3 points "
        f"apart from a clinician's it leans by about {lean:.3f} to {3 * lean:.3f} points/month, and more data do "
        "not remove that (docs/rater_drift.md)."
    )


__all__ = [
    "DRIFT_MIN",
    "DRIFT_Z",
    "MIN_LEVEL_PATIENTS",
    "MIN_OFFSET_PATIENTS",
    "Offsets",
    "drift_rule",
    "drift_warning",
    "rater_offsets",
]

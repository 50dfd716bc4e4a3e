"""A seventeenth data-generating mechanism, held out and written blind: from the canonical format
(spec/data-format.md, spec/domain-rules.md), the docstrings of the second to sixteenth worlds (so as to differ from
them), the sixteenth world's code and tests as an example of the interface and ALS clinical knowledge, without
reading the estimators, their documentation pages or any calibration result, and without running any estimator.

The other worlds use sigmoid, linear-quadratic, Markov-plateau, change-point, domain-ramp, item-Poisson,
subtype-random-walk, power-law, drift-with-steps, Gompertz-reserve, coupled-propagation, burden-clock,
spreading-front, gamma-process, metabolic-feedback and cortical-times-segmental courses; their items, visits,
decisions, effects and endings are listed in the sixteenth world's docstring and the earlier ones.  This world is a
two-centre registry whose hospital-exemption programme gives allogeneic placenta-derived MSCs intrathecally in a
monthly induction series, and differs in every piece (every constant below is an assumption unless a source is
named):

* **course: a two-stage compartmental chain of motor neurons in each domain (healthy → dysfunctional → lost), with
  a vulnerability gradient from the onset region.**  In domain d (bulbar, arm, leg, respiratory: the ALSFRS-R
  domains, Cedarbaum et al., J Neurol Sci 1999;169:13-21) the healthy fraction H_d falls at rate a_d, the
  dysfunctional fraction S_d fills from it and drains to loss at rate b: H' = −a_d·H, S' = a_d·H − b·S, and the
  domain keeps the function f_d = H_d + θ·S_d, θ = 0.6 (a dysfunctional, denervating motor unit still works in
  part before it is lost: ALS as a distal axonopathy, Fischer et al., Exp Neurol 2004;185:232-240).  Closed form:
  H = e^{−a·t}, S = a·t·e^{−a·t}·(1 − e^{−(b−a)·t})/((b − a)·t), t months from onset.  a_d = k·e^{−λ·dist_d +
  0.2·z_d}, dist_d the domain's distance from the onset region (neighbours 1, bulbar-leg and leg-respiratory 2),
  λ = 0.6: every domain is affected from onset, less the further it lies from the focus (a gradient of rates, not
  of delays; spread to contiguous regions first: Ravits & La Spada, Neurology 2009;73:805-811); k = K0·e^{0.45·z +
  0.012·(age − 63)} (older onset faster: Chiò et al., Amyotroph Lateral Scler 2009;10:310-323), b = B0·e^{0.25·z_b},
  K0 = 0.065 and B0 = 0.11 per month.
  Onset: bulbar 28%, arm 34%, leg 34%, respiratory 2%, generalized 2% (every distance 0); men 60%, age at onset
  N(62, 11²) within 30-88;
* **items: a logistic map of the domain's function, rated with a logistic error and a visit-wide shift.**  x_j =
  4·(Λ((f − m_j)/w) − Λ(−m_j/w))/(Λ((1 − m_j)/w) − Λ(−m_j/w)), Λ the logistic function, w = 0.15, m_j 0.68 for
  the item a domain loses first (speech, handwriting, stairs; dyspnea 0.66), 0.53 the middle one (orthopnea 0.5),
  0.38 the last (respiratory insufficiency 0.32); the rating
  is round(x_j + δ_j + s·logit(u_j) + η) within 0-4: logistic errors (heavier tails than the normal's) of scale s
  = 0.22 for a clinician and 0.28 for a self-rating, η ~ N(0, 0.15²) shared by the visit's items (the patient's
  day); self-ratings on the registry's portal read δ = +0.3 on the motor items q4-q9 (what is done with effort
  counts as normal) and −0.2 on dyspnea and orthopnea (home self-ratings track clinic ones with offsets: Maier et
  al., Amyotroph Lateral Scler 2012;13:210-216), and leave each item blank with probability 0.01.  On NIV q12 is at
  most 3; after a gastrostomy item 5 is q5b (spec/domain-rules.md);
* **visits: clinic reviews at intervals set by the recorded King's stage, portal self-ratings six weeks after each,
  dietitian visits on recorded weight loss, home reviews once ventilated.**  The diagnosis is the first review.  The
  next review is 4 months on at King's stage 1, 3 at stage 2 and 2 at stage 3 or more (stages estimated from the
  recorded items as spec/domain-rules.md: Roche et al., Brain 2012;135:847-852; Balendra et al., ALS FTD
  2014;15:279-284; a gastrostomy or NIV is stage 4), ± 10 days; once NIV has started the review is made at home by
  the home-ventilation team (``home``: rated, nothing measured).  42 ± 3 days after each review the portal invites
  a self-rating (``remote``, assessor ``self``), completed with probability 0.75 (0.5 for home-reviewed patients).
  A clinic review whose recorded weight is 5% or more below the diagnosis weight (before a gastrostomy) brings a
  dietitian visit 14-28 days later (``unscheduled``: rated by a clinician and weighed).  Measured at clinic reviews:
  SVC % predicted (``svc_pct_pred``) S0·(1 − 0.92·(1 − f_resp)^0.8) + N(0, 4²), grip strength (``grip_kg`` left and
  right) G0·f_arm^1.2·e^{0.1·z_side} + N(0, 1.2²), weight (``weight_kg``, also at dietitian visits) W0·(1 −
  0.14·(1 − f_bulb) − 0.05·(1 − f̄)) + N(0, 0.6²).  :data:`LEAVE_OUT_VISIT_TYPES` is ``("remote",)``: the
  self-ratings read differently from the clinicians';
* **who is treated: the programme's physician decides at clinic reviews after the diagnosis**
  (:data:`DECISION_VISIT_TYPES` ``("scheduled",)``) **on a hard eligibility rule, a points score, the patient's
  willingness and an allocation list.**  Eligible: the review's total complete, at most 24 months since
  ``diagnosis_date``, ``el_escorial`` recorded, the review's SVC at least 50% (lying for the puncture), no
  ``niv_start`` and no ``gastrostomy`` recorded on or before it, age (review year − birth year) at most 80.
  Referred when logit(u) < c + s + 0.8·ω: s = :func:`rule_score` (0.06·(total − 36) + 0.03·(stronger grip − 20) +
  0.02·(SVC − 80) − 0.03·(age − 60) + 0.5 at HUB, −0.5 at SPOKE), ω ~ N(0, 1) the patient's willingness and u the
  review's number on the allocation list, both from a stream of their own (:func:`lottery`, seeded by (seed, 17)):
  independent of the course.  c sets at most round(share·n) referrals (the first review where the criterion falls
  under c).  The bank's cells are released after the insurer's approval: the first dose 28-56 days after the
  decision (:data:`DECISION_LAG_DAYS` 28), then up to three more 28-35 days apart, each with probability 0.92
  (an induction series; NurOwn gave three doses 8 weeks apart, Cudkowicz et al., Muscle Nerve 2022;65:291), 5×10⁷
  cells per dose.  Adverse events per dose: headache 2.5%, fever 2%, puncture-site pain 1.7% (allogeneic
  intrathecal, spec/domain-rules.md), meningism 0.5%;
* **effect: the cells keep dysfunctional motor neurons alive (a lower drain b), building up with the induction
  doses and lasting.**  From the first dose the drain runs at b·(1 − ρ·C(t)): C = min(1, Σ_q 0.4·min(1, (t −
  τ_q)/0.5)⁺) over the doses the patient consents to (each dose adds 0.4 over two weeks; full from the third),
  ρ = min(0.9, E·g/R), R the expected clinic total's loss rate due to the drain at the first dose (points/month, at
  least 0.25): at C = 1 a patient with g = 1 loses about E points/month less.  g = e^{0.3·z_g − 0.045}·(0.6 for
  bulbar onset, 1.1 otherwise: the cells reach the lumbar and cervical cord more than the brainstem).  The kept
  function delays NIV, gastrostomy and death.  E = 0 gives the same course with and without cells;
* **follow-up ends by a hazard on the respiratory and bulbar function, hospice, disengagement and the lock.**
  Death at h0·e^{4.5·(1 − f_resp) + 1.5·(1 − f_bulb)} per month (h0 = 0.0018; on a half-month grid) (× 0.6 from NIV when f_bulb ≥ 0.5 at its start,
  × 0.9 otherwise: Bourke et al., Lancet Neurol 2006;5:140-147) plus 0.0006·e^{0.07·(age − 62)}.  NIV offered at a
  clinic review with a recorded SVC below 50% or orthopnea q11 ≤ 2 (Miller et al., Neurology 2009;73:1218-1226),
  accepted 40% at each offer, started 7-21 days later; a gastrostomy at a review with a recorded q3 ≤ 2 or weight ≤ 90% of the
  first (Andersen et al., EFNS guideline, Eur J Neurol 2012;19:360-375), accepted 20% at each offer, placed 14-35
  days later (untreated, 61% have NIV recorded and 50% a gastrostomy).
  After a review with a complete total below 18: hospice (``withdrawal``, 1-30 days later) with probability 0.06;
  lost after a review with probability 0.004, 0.04 when the last two portal invitations went unanswered (declared
  6 months after the last visit).  Diagnosis: lognormal delay (median 11 months × (k/K0)^−0.35, sd of log 0.45, at
  least 2 months: Paganoni et al., Amyotroph Lateral Scler Frontotemporal Degener 2014;15:453-456); patients
  diagnosed from 2016-01-01 to two months before the lock (2025-09-30), alive at diagnosis; onsets 2012-2025.

Calibration, measured on ``simulate_world17(3000, 0.0, 0.0, 1)`` once the constants were set (K0, B0, h0 and the
item midpoints m_j): the per-patient least-squares slope of the complete clinician-rated totals on months (2,756
patients with two or more spanning 3 months) averages -1.05 points/month, median -0.97, 95% of patients between
-2.23 and -0.34 (-0.99 PRO-ACT, -0.89 population-based, spec/domain-rules.md); the first recorded total's median 40;
the diagnostic delay's median 10.9 months; median survival from onset 36 months (Kaplan-Meier, entry at diagnosis,
censored at the lock or, for the lost and withdrawn, at the last visit; 30-45 months in population cohorts).  Rows:
38% clinic reviews, 36% portal self-ratings, 20% home reviews, 6% dietitian visits.  At E = 0.3, 30% treated,
``truth_window`` is 0.17 (the build-up over the induction doses and the items' bounds take the rest).  3,000
patients take about 1 s untreated, 2 s with 30% and 2.5 s with 60% treated.

:data:`PIECES` names the pieces ``off`` switches off without changing the random draws: all random numbers are
drawn first in a fixed order (a contact's uniforms follow its slot: review k, its dietitian visit, its portal
invitation).  The untreated course decides who is referred; the treated course shares it up to the first dose.
``truth`` is E; ``truth_realised``, ``truth_window``, ``truth_observed`` from ``window_truth.cohort_truths`` on the
expected clinician-rated totals with and without cells, zeros under E = 0.  With ``record_occasions=True`` the
tables also carry ``alsfrs.visit_type`` and ``treatments.decision_date`` (every dose the first's decision);
every other column is unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alscell.io.tables import Tables
from second_world import refuse_unknown
from window_truth import cohort_truths
from world_tables import (
    DPM,
    ITEMS,
    WorldCohort,
    doses_while_followed,
    end_of_follow_up,
    follow_up_events,
    item_rows,
    share_cutoff,
)

# what the physician's rule reads besides the ALSFRS-R totals
RECORDED_RULE_INPUTS = (
    "age", "time_since_diagnosis", "el_escorial", "site", "ventilation", "gastrostomy", "svc_pct_pred", "grip_kg",
)  # fmt: skip
DECISION_AT_EVERY_VISIT = False
DECISION_VISIT_TYPES = ("scheduled",)  # clinic reviews, where SVC and grip are measured
# portal self-ratings read the motor items higher and breathing lower than a clinician: not comparable
LEAVE_OUT_VISIT_TYPES = ("remote",)
DOSE_LAG = (28, 56)
DECISION_LAG_DAYS = DOSE_LAG[0]
DOSE_GAP = (28, 35)
N_DOSES = 4
PIECES = {
    "vulnerability_gradient": "the rates falling with the distance from the onset region (off: all at the onset's)",
    "dysfunction_stage": "the partial function of dysfunctional neurons (off: θ = 0)",
    "patient_pace": "the patients' own paces (off: the median pace; age kept)",
    "rating_error": "the logistic rating error (off: the latent level rounded)",
    "visit_shift": "the visit-wide shift of the items (off: none)",
    "self_offset": "the self-ratings' offsets and larger error (off: read as a clinician)",
    "portal_ratings": "the portal self-ratings (off: none)",
    "portal_gaps": "items left blank on the portal (off: none)",
    "dietitian_visits": "dietitian visits after a recorded weight loss (off: none)",
    "home_reviews": "reviews at home once on NIV (off: in the clinic)",
    "stage_intervals": "review intervals by King's stage (off: every 3 months)",
    "niv": "NIV offered and started (off: none)",
    "gastrostomy": "gastrostomy offered and placed (off: none)",
    "death": "death by the respiratory-bulbar hazard and other causes (off: none)",
    "hospice": "withdrawal to a hospice (off: none)",
    "loss": "loss to follow-up (off: none)",
    "grip_preference": "the points by grip strength (off: none)",
    "site_preference": "the points by site (off: none)",
    "willingness": "the patient's willingness (off: none)",
    "further_doses": "the second to fourth doses (off: one dose)",
    "build_up": "the effect building up over the doses (off: full from the first dose)",
    "bulbar_response": "the weaker response after bulbar onset (off: the same)",
    "response_spread": "the spread of the response between patients (off: none)",
    "adverse_events": "adverse events of the doses (off: none)",
}
SITES = np.array(["HUB", "SPOKE"])
SITE_PTS = np.array([0.5, -0.5])
ONSET_FROM, ONSET_YEARS = pd.Timestamp("2012-01-01"), 13.5
OPENING, LOCK = pd.Timestamp("2016-01-01"), pd.Timestamp("2025-09-30")
EPOCH = pd.Timestamp(0)
BIG = np.iinfo(np.int64).max // 4
BUL, ARM, LEG, RESP = range(4)
DOMAIN = np.repeat(np.arange(4), 3)
ONSET_P = np.array([0.28, 0.34, 0.34, 0.02, 0.02])  # bulbar, arm, leg, respiratory, generalized
DIST = np.array([[0, 1, 2, 1], [1, 0, 1, 1], [2, 1, 0, 2], [1, 1, 2, 0], [0, 0, 0, 0]], float)
LAMBDA = 0.6
THETA = 0.6
K0, K_SD = 0.065, 0.45  # the median healthy-to-dysfunctional rate of the onset domain (months⁻¹) and its spread
B0 = 0.11  # the median dysfunctional-to-lost rate (months⁻¹)
ITEM_M = np.array([0.68, 0.38, 0.53, 0.68, 0.53, 0.38, 0.38, 0.53, 0.68, 0.66, 0.5, 0.32])
ITEM_W = 0.15
SCHED, UNSCHED, REMOTE, HOME = range(4)
VISIT_TYPES = np.array(["scheduled", "unscheduled", "remote", "home"], dtype=object)
S_ERR = np.array([0.22, 0.22, 0.28, 0.22])
SELF_DELTA = np.array([0, 0, 0, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, -0.2, -0.2, 0])
ETA_SD = 0.15
GH_X, GH_W = np.polynomial.hermite_e.hermegauss(5)
GH_W = GH_W / GH_W.sum()
N_REV = 64  # reviews at most
SLOTS = 3 * N_REV  # review k: slot 3k, its dietitian visit 3k + 1, its portal invitation 3k + 2
STAGE_DAYS = np.array([122, 122, 91, 61, 61])  # by King's stage 0-4
H0, H_RESP, H_BUL = 0.0018, 4.5, 1.5
NIV_HR = (0.6, 0.9)
BG0, BG_AGE = 0.0006, 0.07
P_NIV, P_GAS, P_PORTAL, P_HOSPICE = 0.4, 0.2, 0.75, 0.06
HG, NG = 0.5, 330  # the grid (months from onset)
RATE_FLOOR, F_CAP, C_STEP = 0.25, 0.9, 0.4
AE_TERMS = np.array(["headache", "fever", "injection_site_pain", "meningism"])
AE_P = np.array([0.025, 0.02, 0.017, 0.005])
AE_SPAN = np.array([(1, 4), (1, 2), (1, 3), (2, 6)])
AE_REL = np.array(["probable", "possible", "definite", "probable"])


def _days(ts: pd.Timestamp) -> int:
    return (ts - EPOCH).days


def lottery(seed: int, n_patients: int) -> tuple[np.ndarray, np.ndarray]:
    """(willingness, allocation list): the i-th patient's (``W17{i:05d}``) willingness ω ~ N(0, 1) and the uniform
    of each of its reviews (column k the k-th, 0 the diagnosis), from a stream of their own."""
    rng = np.random.default_rng([seed, 17])
    return rng.standard_normal(n_patients), rng.random((n_patients, N_REV))


def rule_score(total, grip, svc, age, site, on=lambda piece: True) -> np.ndarray:
    """The physician's points: 0.06·(total − 36) + 0.03·(stronger grip − 20) + 0.02·(SVC − 80) − 0.03·(age − 60)
    + 0.5 at HUB (``site`` 0), −0.5 at SPOKE (1)."""
    s = 0.06 * (np.asarray(total, float) - 36) + 0.02 * (np.asarray(svc, float) - 80)
    s = s - 0.03 * (np.asarray(age, float) - 60)
    if on("grip_preference"):
        s = s + 0.03 * (np.asarray(grip, float) - 20)
    if on("site_preference"):
        s = s + SITE_PTS[np.asarray(site, int)]
    return s


def _levels(f: np.ndarray) -> np.ndarray:
    """The items' latent levels (... × 12) at the domains' functions ``f`` (... × 4)."""
    ff = np.clip(f[..., DOMAIN], 0.0, 1.0)

    def lg(v):
        return 1.0 / (1.0 + np.exp(-v / ITEM_W))

    lo, hi = lg(-ITEM_M), lg(1 - ITEM_M)
    return 4.0 * (lg(ff - ITEM_M) - lo) / (hi - lo)


def _item_curves() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x grid, expected clinician rating, P(rating ≥ 4)) of an item at latent level x: Σ_c E_η Λ((x + η − c +
    ½)/s), exact up to the 5-point Gauss-Hermite rule over η, tabulated finely (interpolated in :func:`_expected`)."""
    xs = np.linspace(-1.5, 5.5, 14001)
    cut = np.arange(1, 5) - 0.5
    ev, p4 = np.zeros_like(xs), np.zeros_like(xs)
    for gx, gw in zip(GH_X, GH_W, strict=True):
        cum = 1.0 / (1.0 + np.exp(-(xs[:, None] + ETA_SD * gx - cut) / S_ERR[SCHED]))
        ev += gw * cum.sum(1)
        p4 += gw * cum[:, 3]
    return xs, ev, p4


XS, EV_ITEM, P4_ITEM = _item_curves()


def _expected(x: np.ndarray, niv_on: np.ndarray) -> np.ndarray:
    """The expected clinician-rated total at the item levels ``x`` (... × 12), q12 at most 3 on NIV."""
    tot = np.interp(x, XS, EV_ITEM).sum(-1)
    return tot - niv_on * np.interp(x[..., 11], XS, P4_ITEM)


def _chain(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(H, S) of the two-stage chain at ``t`` (broadcast with ``a``, ``b``)."""
    t = np.maximum(t, 0.0)
    x = (b - a) * t
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        phi = np.where(np.abs(x) > 1e-8, -np.expm1(-x) / np.where(x == 0, 1.0, x), 1.0 - x / 2)
    h = np.exp(-a * t)
    return h, a * t * h * phi


def simulate_world17(
    n_patients: int,
    effect: float,
    treated_share: float,
    seed: int,
    off: frozenset[str] = frozenset(),
    record_occasions: bool = False,
) -> WorldCohort:
    """A cohort of ``n_patients`` from the seventeenth world, effect E = ``effect``, at most round(share·n)
    treated, the pieces of ``off`` switched off; ``record_occasions`` fills ``alsfrs.visit_type`` and
    ``treatments.decision_date`` (the same draws, every other column unchanged)."""
    refuse_unknown(off, PIECES)

    def on(piece: str) -> bool:
        return piece not in off

    rng = np.random.default_rng(seed)
    n, m = int(n_patients), 2 * int(n_patients) + 100
    # all random numbers first, in a fixed order
    site_u, sex_u, reg_u = (rng.random(m) for _ in range(3))
    age = np.clip(rng.normal(62, 11, m), 30, 88)
    onset_day = _days(ONSET_FROM) + rng.integers(0, int(ONSET_YEARS * 365.25), m)
    z_k, z_b, z_dx, z_g = (rng.normal(0, 1, m) for _ in range(4))
    z_d = rng.normal(0, 1, (m, 4))
    death_e = rng.exponential(1.0, m)
    u_esc, u_gen, u_ril, u_eda = (rng.random(m) for _ in range(4))
    s0_z, g0_z, w0_z = rng.normal(0, 1, m), rng.normal(0, 1, m), rng.normal(0, 1, m)
    z_side = rng.normal(0, 1, (m, 2))
    u_jit = rng.random((m, N_REV), dtype=np.float32)
    u_item = rng.random((m, SLOTS, 12), dtype=np.float32)
    eta_z = rng.standard_normal((m, SLOTS), dtype=np.float32)
    u_blank = rng.random((m, N_REV, 12), dtype=np.float32)
    meas_eps = rng.standard_normal((m, N_REV, 4), dtype=np.float32)
    u_wt = rng.standard_normal((m, SLOTS), dtype=np.float32)
    u_portal, u_niv, u_niv_lag, u_gas, u_gas_lag, u_hosp, u_loss, u_diet = (
        rng.random((m, N_REV), dtype=np.float32) for _ in range(8)
    )
    u_dose, u_more, u_more_lag = rng.random(m), rng.random((m, N_DOSES - 1)), rng.random((m, N_DOSES - 1))
    u_ae, u_ae_t = rng.random((m, N_DOSES, len(AE_TERMS))), rng.random((m, N_DOSES, len(AE_TERMS)))
    u_lot = rng.random((m, N_DOSES))
    u_pjit = rng.random((m, N_REV), dtype=np.float32)

    # the patients: onset region, paces
    r0 = np.searchsorted(np.cumsum(ONSET_P), reg_u * 0.999999)
    sex_m = sex_u < 0.6
    k = K0 * np.exp((K_SD * z_k if on("patient_pace") else 0.0) + 0.012 * (age - 63))
    grad = np.exp(-LAMBDA * DIST[r0]) if on("vulnerability_gradient") else np.ones((m, 4))
    a_d = k[:, None] * grad * np.exp(0.2 * z_d)
    b = B0 * np.exp(0.25 * z_b)
    theta = THETA if on("dysfunction_stage") else 0.0
    bg = BG0 * np.exp(BG_AGE * (age - 62))
    tgrid = np.arange(NG + 1) * HG

    def func0(rows: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The untreated domains' functions (... × 4) of ``rows`` at ``t`` months (rows × ... )."""
        ex = (slice(None),) + (None,) * (t.ndim - 1)
        h, s = _chain(a_d[rows][ex], b[rows][(*ex, None)], t[..., None])
        return h + theta * s

    def cumhaz(f: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The cumulative hazard of death (rows × grid) from the functions on the grid."""
        if not on("death"):
            return np.zeros(f.shape[:2])
        h = H0 * np.exp(H_RESP * (1 - f[..., RESP]) + H_BUL * (1 - f[..., BUL])) + bg[rows, None]
        return np.concatenate([np.zeros((len(rows), 1)), np.cumsum((h[:, 1:] + h[:, :-1]) / 2 * HG, 1)], 1)

    def death_time(ch: np.ndarray, fb: np.ndarray, rows: np.ndarray, t_niv: np.ndarray) -> np.ndarray:
        """Months from onset at which the cumulative hazard ``ch`` (× the NIV ratio from ``t_niv``) reaches the
        patient's Exp(1) draw; ``fb`` the bulbar function on the grid."""
        if not on("death"):
            return np.full(len(rows), np.inf)
        tn = np.where(np.isfinite(t_niv), t_niv, tgrid[-1] + 1)
        x = np.clip(tn / HG, 0, NG - 1e-9)
        j = np.floor(x).astype(np.int64)
        w = x - j
        rr = np.arange(len(rows))
        c_n = ch[rr, j] * (1 - w) + ch[rr, j + 1] * w
        fbn = fb[rr, j] * (1 - w) + fb[rr, j + 1] * w
        ratio = np.where(fbn >= 0.5, *NIV_HR)
        after = tgrid[None, :] > tn[:, None]
        c = np.where(after, c_n[:, None] + ratio[:, None] * (ch - c_n[:, None]), ch)
        e = death_e[rows]
        hit = c >= e[:, None]
        jj = hit.argmax(1)
        jm = np.maximum(jj - 1, 0)
        c0, c1 = c[rr, jm], c[rr, jj]
        t = tgrid[jm] + HG * np.clip((e - c0) / np.maximum(c1 - c0, 1e-12), 0, 1)
        return np.where(hit.any(1), np.where(jj > 0, t, 0.0), np.inf)

    # diagnosis: a lognormal delay, shorter in faster disease
    t_dx = np.maximum(11.0 * np.exp(0.45 * z_dx) * (k / K0) ** -0.35, 2.0)
    diag_day = onset_day + np.rint(t_dx * DPM).astype(np.int64)
    lock_day = _days(LOCK)
    # who is alive at diagnosis (untreated course, no NIV yet)
    ok0 = (diag_day >= _days(OPENING)) & (diag_day <= lock_day - 61)
    cand = np.flatnonzero(ok0)[: 2 * n + 50]
    fg_c = func0(cand, np.broadcast_to(tgrid, (len(cand), NG + 1)))
    ch_c = cumhaz(fg_c, cand)
    d_c = death_time(ch_c, fg_c[..., BUL], cand, np.full(len(cand), np.inf))
    alive = np.flatnonzero(d_c > t_dx[cand] + 1 / DPM)[:n]
    keep = cand[alive]
    if len(keep) < n:
        raise RuntimeError("too few candidates enter the cohort")
    (site_u, sex_m, age, onset_day, r0, k, a_d, b, bg, t_dx, diag_day, death_e, z_g, u_esc, u_gen, u_ril, u_eda,
     s0_z, g0_z, w0_z, z_side, u_jit, u_item, eta_z, u_blank, meas_eps, u_wt, u_portal, u_niv, u_niv_lag, u_gas,
     u_gas_lag, u_hosp, u_loss, u_diet, u_dose, u_more, u_more_lag, u_ae, u_ae_t, u_lot, u_pjit) = (a[keep] for a in (
        site_u, sex_m, age, onset_day, r0, k, a_d, b, bg, t_dx, diag_day, death_e, z_g, u_esc, u_gen, u_ril, u_eda,
        s0_z, g0_z, w0_z, z_side, u_jit, u_item, eta_z, u_blank, meas_eps, u_wt, u_portal, u_niv, u_niv_lag, u_gas,
        u_gas_lag, u_hosp, u_loss, u_diet, u_dose, u_more, u_more_lag, u_ae, u_ae_t, u_lot, u_pjit))  # fmt: skip
    rows_n = np.arange(n)
    site = (site_u >= 0.55).astype(int)
    birth_year = (pd.to_datetime(onset_day, unit="D").year.to_numpy() - np.floor(age)).astype(int)
    code = np.array([0, 1, 1, 2, 3])[r0]
    escorial = np.array(["definite", "probable", "probable_lab", "possible", None], dtype=object)[
        np.searchsorted([0.22, 0.6, 0.77, 0.92], u_esc)]  # fmt: skip
    genetics = np.where(u_gen < 0.07, "C9orf72", np.where(u_gen < 0.09, "SOD1", None)).astype(object)
    riluzole = np.where(u_ril < 0.82, "true", np.where(u_ril < 0.96, "false", None)).astype(object)
    edaravone = np.where(u_eda < 0.05, "true", np.where(u_eda < 0.85, "false", None)).astype(object)
    s0 = np.clip(100 + 12 * s0_z, 65, 130)
    g0 = np.clip(np.where(sex_m, 40 + 8 * g0_z, 26 + 6 * g0_z), 8, 70)
    w0 = np.clip(np.where(sex_m, 80 + 12 * w0_z, 66 + 11 * w0_z), 42, 140)
    g_resp = np.ones(n)
    if on("response_spread"):
        g_resp = g_resp * np.exp(0.3 * z_g - 0.045)
    if on("bulbar_response"):
        g_resp = g_resp * np.where(r0 == BUL, 0.6, 1.1)
    will, lot = lottery(seed, n)
    if not on("willingness"):
        will = np.zeros(n)
    year_of = pd.to_datetime(np.arange(_days(ONSET_FROM), lock_day + 400), unit="D").year.to_numpy()
    day_base = _days(ONSET_FROM)
    s_err = S_ERR.copy()
    delta = np.zeros((4, 12))
    if on("self_offset"):
        delta[REMOTE] = SELF_DELTA
    else:
        s_err[REMOTE] = S_ERR[SCHED]
    eta_sd = ETA_SD if on("visit_shift") else 0.0
    fg0, ch0 = fg_c[alive], ch_c[alive]  # the untreated functions and cumulative hazard on the grid
    del fg_c, ch_c

    def run(cw: dict, decide: bool) -> dict[str, np.ndarray]:
        """The registry's contacts of the rows of course ``cw`` (``rows``; ``fg`` the functions on the grid from
        ``t1`` on, None for the untreated course)."""
        idx = cw["rows"]
        r = len(idx)
        on_d, dx_d = onset_day[idx], diag_day[idx]
        fg = fg0[idx] if cw["fg"] is None else cw["fg"]
        ch = ch0[idx] if cw["fg"] is None else cumhaz(cw["fg"], idx)
        t1 = cw.get("t1", np.full(r, np.inf))

        def func(g: np.ndarray, t: np.ndarray) -> np.ndarray:
            f = func0(idx[g], t)
            if cw["fg"] is None:
                return f
            x = np.clip(t / HG, 0.0, NG - 1e-9)
            j = np.floor(x).astype(np.int64)
            w = (x - j)[:, None]
            fi = fg[g, j] * (1 - w) + fg[g, j + 1] * w
            return np.where((t > t1[g])[:, None], fi, f)

        vday = np.full((r, SLOTS), -1, np.int64)
        vtype = np.zeros((r, SLOTS), np.int64)
        items = np.full((r, SLOTS, 12), np.nan, np.float32)
        meas = np.full((r, SLOTS, 4), np.nan)  # SVC, grip left, grip right, weight
        crit = np.full((r, N_REV), np.inf)
        rev_day = np.full((r, N_REV), BIG)
        done = np.zeros(r, bool)
        t_none = np.full(r, np.inf)
        death_t = death_time(ch, fg[..., BUL], idx, t_none)
        dead_day, wd_day, stop_day = np.full(r, BIG), np.full(r, BIG), np.full(r, BIG)
        lost = np.zeros(r, bool)
        niv_day, gas_day = np.full(r, BIG), np.full(r, BIG)
        missed = np.zeros(r, np.int64)
        w_first = np.full(r, np.nan)
        nxt = dx_d.copy()

        def ddays(g: np.ndarray) -> np.ndarray:
            return on_d[g] + np.ceil(np.minimum(death_t[g], 1e4) * DPM).astype(np.int64)

        def rate(g, d, vt, slot, kk):
            """Items, totals and measurements of rows ``g`` on days ``d`` of types ``vt`` at ``slot``."""
            gi = idx[g]
            t = (d - on_d[g]) / DPM
            f = func(g, t)
            x = _levels(f) + delta[vt]
            uu = np.clip(u_item[gi, slot].astype(np.float64), 1e-9, 1 - 1e-9)
            e = s_err[vt][:, None] * np.log(uu / (1 - uu)) if on("rating_error") else 0.0
            sh = eta_sd * eta_z[gi, slot].astype(np.float64)[:, None] if on("rating_error") else 0.0
            it = np.clip(np.rint(x + e + sh), 0, 4)
            it[:, 11] = np.where(niv_day[g] <= d, np.minimum(it[:, 11], 3), it[:, 11])
            if on("portal_gaps"):
                it[(vt == REMOTE)[:, None] & (u_blank[gi, kk] < 0.01)] = np.nan
            me = meas_eps[gi, kk].astype(np.float64)
            svc = np.clip(np.rint(s0[gi] * (1 - 0.92 * (1 - f[:, RESP]) ** 0.8) + 4 * me[:, 0]), 5, 150)
            grip = g0[gi, None] * np.clip(f[:, [ARM]], 0, 1) ** 1.2 * np.exp(0.1 * z_side[gi]) + 1.2 * me[:, 1:3]
            grip = np.round(np.clip(grip, 0, 100), 1)
            wt = w0[gi] * (1 - 0.14 * (1 - f[:, BUL]) - 0.05 * (1 - f.mean(1))) + 0.6 * u_wt[gi, slot]
            wt = np.round(np.clip(wt, 25, 200), 1)
            clinic = vt == SCHED
            ms = np.stack([np.where(clinic, svc, np.nan), np.where(clinic, grip[:, 0], np.nan),
                           np.where(clinic, grip[:, 1], np.nan),
                           np.where(clinic | (vt == UNSCHED), wt, np.nan)], 1)  # fmt: skip
            vday[g, slot] = d
            vtype[g, slot] = vt
            items[g, slot] = it
            meas[g, slot] = ms
            return it, ms

        for kk in range(N_REV):
            act = ~done
            dd = ddays(np.arange(r))
            die = act & (dd <= nxt)
            dead_day = np.where(die & (dd <= lock_day), dd, dead_day)
            done |= die | (act & (nxt > lock_day))
            g = np.flatnonzero(~done)
            if len(g) == 0:
                break
            gi = idx[g]
            d = nxt[g]
            rev_day[g, kk] = d
            home = (niv_day[g] <= d) & on("home_reviews")
            vt = np.where(home, HOME, SCHED)
            it, ms = rate(g, d, vt, 3 * kk, kk)
            tot = it.sum(1)
            complete = np.isfinite(tot)
            svc, wt = ms[:, 0], ms[:, 3]
            w_first[g] = np.where(np.isnan(w_first[g]) & np.isfinite(wt), wt, w_first[g])
            if decide:
                a_now = year_of[d - day_base] - birth_year[gi]
                elig = (vt == SCHED) & (kk >= 1) & complete & ((d - dx_d[g]) / DPM <= 24)
                elig &= pd.notna(escorial[gi]) & (svc >= 50) & (niv_day[g] > d) & (gas_day[g] > d)
                elig &= a_now <= 80
                score = rule_score(tot, np.fmax(ms[:, 1], ms[:, 2]), svc, a_now, site[gi], on)
                ul = np.clip(lot[gi, kk], 1e-12, 1 - 1e-12)
                crit[g, kk] = np.where(elig, np.log(ul) - np.log1p(-ul) - score - 0.8 * will[gi], np.inf)
            # King's stage from the recorded items (spec/domain-rules.md)
            lt4 = np.nan_to_num(it, nan=4.0) < 4
            stage = lt4[:, :3].any(1).astype(int) + (lt4[:, 3] | lt4[:, 4]).astype(int) + lt4[:, 7].astype(int)
            stage = np.where((niv_day[g] <= d) | (gas_day[g] <= d), 4, np.maximum(stage, 1))
            gap = STAGE_DAYS[stage] if on("stage_intervals") else np.full(len(g), 91)
            nr = d + gap + np.floor(u_jit[gi, kk] * 21).astype(np.int64) - 10
            # offers: NIV at the clinic, gastrostomy at any review
            no = (vt == SCHED) & (niv_day[g] == BIG) & on("niv")
            no &= ((svc < 50) | (it[:, 10] <= 2)) & (u_niv[gi, kk] < P_NIV)
            if no.any():
                gn = g[no]
                niv_day[gn] = d[no] + 7 + np.floor(u_niv_lag[gi[no], kk] * 15).astype(np.int64)
                tn = (niv_day[gn] - on_d[gn]) / DPM
                death_t[gn] = death_time(ch[gn], fg[gn][..., BUL], idx[gn], tn)
            go = (gas_day[g] == BIG) & on("gastrostomy") & (u_gas[gi, kk] < P_GAS)
            go &= (it[:, 2] <= 2) | (wt <= 0.9 * w_first[g])
            gas_day[g] = np.where(go, d + 14 + np.floor(u_gas_lag[gi, kk] * 22).astype(np.int64), gas_day[g])
            # hospice, loss
            hosp = complete & (tot < 18) & (u_hosp[gi, kk] < P_HOSPICE) & on("hospice")
            wd_day[g] = np.where(hosp, d + 1 + np.floor(u_hosp[gi, kk] / P_HOSPICE * 30).astype(np.int64), wd_day[g])
            p_loss = np.where(missed[g] >= 2, 0.04, 0.004)
            gone = ~hosp & (u_loss[gi, kk] < p_loss) & on("loss")
            lost[g[gone]] = True
            stop = hosp | gone
            stop_day[g[stop]] = d[stop]
            done[g[stop]] = True
            # the dietitian's visit and the portal invitation, before the next review
            dth = ddays(g)
            diet = ~stop & (vt == SCHED) & (wt <= 0.95 * w_first[g]) & (gas_day[g] > d) & on("dietitian_visits")
            dday = d + 14 + np.floor(u_diet[gi, kk] * 15).astype(np.int64)
            diet &= (dday < dth) & (dday <= lock_day) & (dday < nr)
            if diet.any():
                rate(g[diet], dday[diet], np.full(diet.sum(), UNSCHED), 3 * kk + 1, kk)
            pday = d + 39 + np.floor(u_pjit[gi, kk] * 7).astype(np.int64)
            inv = ~stop & (pday < dth) & (pday <= lock_day) & (pday < nr) & on("portal_ratings")
            ans = inv & (u_portal[gi, kk] < np.where(home, P_PORTAL - 0.25, P_PORTAL))
            missed[g] = np.where(inv, np.where(ans, 0, missed[g] + 1), missed[g])
            if ans.any():
                rate(g[ans], pday[ans], np.full(ans.sum(), REMOTE), 3 * kk + 2, kk)
            nxt[g] = np.where(stop, BIG, nr)
        dd = ddays(np.arange(r))
        pend = wd_day < BIG
        first_death = pend & (dd < wd_day)
        dead_day = np.where(first_death & (dd <= lock_day), dd, dead_day)
        wd_day = np.where(pend & ~first_death & (wd_day <= lock_day), wd_day, BIG)
        fol = vday >= 0
        return {"fol": fol, "vday": vday, "vtype": vtype, "items": items, "meas": meas, "crit": crit,
                "rev_day": rev_day, "dead_day": dead_day, "wd_day": wd_day, "lost": lost & (wd_day == BIG),
                "niv_day": niv_day, "gas_day": gas_day, "stop_day": stop_day, "death_phys": dd}  # fmt: skip

    natural = run({"rows": rows_n, "fg": None}, True)
    target_n = round(treated_share * n)
    cstar = natural["crit"].min(1)
    cut = share_cutoff(cstar, target_n)
    decided = cstar < cut
    j_dec = (natural["crit"] < cut).argmax(1)
    dec_day = np.where(decided, natural["rev_day"][rows_n, j_dec], 0)
    dose_day = np.zeros((n, N_DOSES), np.int64)
    dose_day[:, 0] = dec_day + DOSE_LAG[0] + np.floor(u_dose * (DOSE_LAG[1] - DOSE_LAG[0] + 1)).astype(np.int64)
    for q in range(1, N_DOSES):
        gap = DOSE_GAP[0] + np.floor(u_more_lag[:, q - 1] * (DOSE_GAP[1] - DOSE_GAP[0] + 1)).astype(np.int64)
        dose_day[:, q] = dose_day[:, q - 1] + gap
    d1 = dose_day[:, 0]
    treated = decided & (d1 <= lock_day) & (natural["death_phys"] > d1) & (natural["stop_day"] > d1)
    treated &= natural["wd_day"] > d1
    p = np.flatnonzero(treated)
    t1 = np.where(treated, (d1 - onset_day) / DPM, np.inf)
    consent = np.concatenate([np.ones((n, 1), bool), (u_more < 0.92) & on("further_doses")], 1)
    consent = np.cumprod(consent, 1).astype(bool)
    res = {key: val.copy() for key, val in natural.items()}
    res0 = {key: val[p] for key, val in natural.items()}
    given = np.zeros((n, N_DOSES), bool)
    fg1 = None
    if len(p):
        if effect != 0:
            fg1 = _treated_grid(p, t1[p], dose_day[p], consent[p], onset_day[p], a_d[p], b[p], theta,
                                effect * g_resp[p], fg0[p], on("build_up"))  # fmt: skip
        cw1 = {"rows": p, "fg": fg1, "t1": t1[p]}
        res1 = run(cw1, False)
        alive = (res1["death_phys"][:, None] > dose_day[p]) & (res1["stop_day"][:, None] > dose_day[p])
        alive &= res1["wd_day"][:, None] > dose_day[p]
        given[p] = consent[p] & alive & (dose_day[p] <= lock_day)
        given[p] = np.cumprod(given[p], 1).astype(bool)
        for key in res:
            res[key][p] = res1[key]

    def truth_f(t: np.ndarray, treated_course: bool) -> np.ndarray:
        f = func0(p, t)
        if not treated_course or fg1 is None:
            return f
        x = np.clip(t / HG, 0.0, NG - 1e-9)
        j = np.floor(x).astype(np.int64)
        w = (x - j)[..., None]
        rr = np.arange(len(p))[:, None]
        fi = fg1[rr, j] * (1 - w) + fg1[rr, j + 1] * w
        return np.where((t > t1[p, None])[..., None], fi, f)

    return _tables(n, onset_day, diag_day, birth_year, sex_m, code, site, lock_day, res, given, dose_day,
                   (u_ae, u_ae_t, u_lot, on("adverse_events")), (escorial, genetics, riluzole, edaravone),
                   (p, t1, res0, truth_f, effect), dec_day if record_occasions else None)  # fmt: skip


def _treated_grid(p, t1, dose_day, consent, onset_day, a_d, b, theta, eg, fg0, build_up) -> np.ndarray:
    """The treated patients' domain functions on the grid: the drain b·(1 − ρ·C(t)) from the first dose ``t1``,
    ρ = min(0.9, E·g/R) (``eg`` = E·g), integrated exactly step by step (H is untouched)."""
    r = len(p)
    tgrid = np.arange(NG + 1) * HG
    h_now, s_now = _chain(a_d, b[:, None], t1[:, None])
    f_now = h_now + theta * s_now
    f_adv = f_now - theta * b[:, None] * s_now * 0.5
    nv = np.zeros(r)
    r_rate = (_expected(_levels(f_now), nv) - _expected(_levels(f_adv), nv)) / 0.5
    rho = np.minimum(eg / np.maximum(r_rate, RATE_FLOOR), F_CAP)
    tau = (dose_day - onset_day[:, None]) / DPM

    def c_of(t: np.ndarray) -> np.ndarray:
        if not build_up:
            return np.where(t >= t1[:, None], 1.0, 0.0)
        ramp = np.clip((t[:, :, None] - tau[:, None, :]) / 0.5, 0.0, 1.0) * consent[:, None, :]
        return np.minimum(1.0, C_STEP * ramp.sum(2))

    fg = fg0.copy()
    j0 = np.floor(t1 / HG).astype(np.int64) + 1  # the first grid point after the first dose
    s = s_now.copy()
    t_prev = t1.copy()
    rr = np.arange(r)
    for j in range(int(j0.min()), NG + 1):
        live = j >= j0
        if not live.any():
            continue
        tj = tgrid[j]
        hstep = np.where(live, tj - t_prev, 0.0)
        tm = np.where(live, (t_prev + tj) / 2, t_prev)
        beta = b[:, None] * (1 - rho[:, None] * c_of(tm[:, None])[:, 0, None])
        hp, _ = _chain(a_d, b[:, None], t_prev[:, None])
        # S(h) = S·e^{−βh} + a·H·(e^{−ah} − e^{−βh})/(β − a)
        _, kern = _chain(a_d, beta, hstep[:, None])  # a·h·e^{−ah}·φ((β − a)h) = a·(e^{−ah} − e^{−βh})/(β − a)
        s_new = s * np.exp(-beta * hstep[:, None]) + hp * kern
        s = np.where(live[:, None], s_new, s)
        t_prev = np.where(live, tj, t_prev)
        hj, _ = _chain(a_d, b[:, None], np.full((r, 1), tj))
        fg[rr[live], j] = (hj + theta * s)[live]
    return fg


def _tables(n, onset_day, diag_day, birth_year, sex_m, code, site, lock_day, res, given, dose_day, aes, recorded,
            truth_in, dec_day=None) -> WorldCohort:  # fmt: skip
    """The canonical tables of the recorded run ``res`` and the truths."""
    u_ae, u_ae_t, u_lot, ae_on = aes
    escorial, genetics, riluzole, edaravone = recorded
    p, t1, res0, truth_f, effect = truth_in
    fol, vday = res["fol"], res["vday"]
    ids = np.array([f"W17{i:05d}" for i in range(n)])
    events, gastro_day = follow_up_events(ids, onset_day, np.where(fol, vday, -1).max(1), lock_day, res["dead_day"],
                                          res["wd_day"], res["lost"],
                                          {"niv_start": res["niv_day"], "gastrostomy": res["gas_day"]}, 6.0)  # fmt: skip
    alsfrs = item_rows(ids, res["items"].astype(np.float64), fol, vday, gastro_day)
    pi, vi = np.nonzero(fol)
    vt = res["vtype"][pi, vi]
    alsfrs["assessor"] = np.where(vt == REMOTE, "self", "clinician")
    if dec_day is not None:
        alsfrs["visit_type"] = VISIT_TYPES[vt]
    alsfrs = alsfrs.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    ps, vs, ks = np.nonzero(fol[..., None] & np.isfinite(res["meas"]))
    measurements = pd.DataFrame({
        "patient_id": ids[ps], "date": pd.to_datetime(vday[ps, vs], unit="D"),
        "measure": np.array(["svc_pct_pred", "grip_kg", "grip_kg", "weight_kg"])[ks], "value": res["meas"][ps, vs, ks],
        "unit": np.array(["%", "kg", "kg", "kg"])[ks],
        "side": np.array([None, "left", "right", None], dtype=object)[ks],
    })  # fmt: skip
    measurements = measurements.sort_values(["patient_id", "date", "measure", "side"], kind="stable")
    measurements = measurements.reset_index(drop=True)
    patients = pd.DataFrame({
        "patient_id": ids, "sex": np.where(sex_m, "M", "F"), "birth_year": birth_year,
        "onset_date": pd.to_datetime(onset_day, unit="D"), "diagnosis_date": pd.to_datetime(diag_day, unit="D"),
        "onset_site": np.array(["bulbar", "limb", "respiratory", "generalized"])[code],
        "el_escorial": escorial, "riluzole": riluzole, "edaravone": edaravone, "genetics": genetics,
        "site": SITES[site],
    })  # fmt: skip
    # nothing after the end of follow-up: a dose is recorded only while followed
    end_days = end_of_follow_up(events, ids)
    give = doses_while_followed(given, dose_day, end_days)
    pg, kg = np.nonzero(give)
    lots = (2016 + np.floor(u_lot * 9)).astype(int) * 1000 + np.floor(u_lot * 1e5 % 997).astype(int)
    treatments = pd.DataFrame({
        "treatment_id": [f"{ids[i]}-T{q + 1}" for i, q in zip(pg, kg, strict=True)], "patient_id": ids[pg],
        "date": pd.to_datetime(dose_day[pg, kg], unit="D"), "cycle": kg + 1, "cell_source": "placenta",
        "donor": "allogeneic", "route": "intrathecal", "dose_cells": 5.0e7, "lot": [f"PL-{x}" for x in lots[pg, kg]],
    })  # fmt: skip
    if dec_day is not None:
        treatments["decision_date"] = pd.to_datetime(dec_day[pg], unit="D")
    treatments = treatments.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    hit = give[..., None] & (u_ae < AE_P) & ae_on
    ai, ak, aj = np.nonzero(hit)
    lo, hi = AE_SPAN[aj, 0], AE_SPAN[aj, 1]
    start = dose_day[ai, ak] + np.where(aj == 1, 0, 1)
    span = lo + np.floor(u_ae_t[ai, ak, aj] * (hi - lo + 1)).astype(np.int64)
    keep_ae = start < end_days[ai]
    resolved = np.where(start + span < end_days[ai], start + span, -1)
    adverse = pd.DataFrame({
        "ae_id": [f"{ids[i]}-T{q + 1}-AE{j + 1}" for i, q, j in zip(ai, ak, aj, strict=True)],
        "patient_id": ids[ai], "onset_date": pd.to_datetime(start, unit="D"),
        "resolved_date": pd.to_datetime(np.where(resolved >= 0, resolved, 0), unit="D").where(resolved >= 0),
        "term": AE_TERMS[aj], "grade": np.where(u_ae_t[ai, ak, aj] > 0.8, 2, 1), "serious": False,
        "treatment_id": [f"{ids[i]}-T{q + 1}" for i, q in zip(ai, ak, strict=True)], "relatedness": AE_REL[aj],
    })[keep_ae].reset_index(drop=True)  # fmt: skip
    tables = Tables.from_frames(patients=patients, treatments=treatments, alsfrs=alsfrs, measurements=measurements,
                                adverse_events=adverse, events=events)  # fmt: skip
    if len(p) == 0:
        return WorldCohort(tables, float(effect), 0)
    days = np.concatenate([np.where(fol[p], vday[p], onset_day[p, None]),
                           np.where(res0["fol"], res0["vday"], onset_day[p, None])], 1)  # fmt: skip
    tt = (days - onset_day[p, None]) / DPM
    since = tt - t1[p, None]
    e1 = _expected(_levels(truth_f(tt, True)), days >= res["niv_day"][p, None])
    e0 = _expected(_levels(truth_f(tt, False)), days >= res0["niv_day"][:, None])
    z = np.zeros_like(fol[p])
    truths = cohort_truths(e1, e0, since, np.concatenate([fol[p], z], 1), np.concatenate([z, res0["fol"]], 1), effect)
    return WorldCohort(tables, float(effect), len(p), *truths)


__all__ = [
    "DECISION_AT_EVERY_VISIT", "DECISION_LAG_DAYS", "DECISION_VISIT_TYPES", "ITEMS", "LEAVE_OUT_VISIT_TYPES",
    "PIECES", "RECORDED_RULE_INPUTS", "WorldCohort", "lottery", "rule_score", "simulate_world17",
]  # fmt: skip

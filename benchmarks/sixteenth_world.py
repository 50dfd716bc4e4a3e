"""A sixteenth data-generating mechanism, held out and written blind: from the canonical format
(spec/data-format.md, spec/domain-rules.md), the docstrings of the second to fifteenth worlds (so as to differ from
them), the fifteenth world's code and tests as an example of the interface and ALS clinical knowledge, without
reading the estimators, their documentation pages or any calibration result, and without running any estimator.

The other worlds' pieces are listed in the fifteenth world's docstring (and its own: a metabolic-feedback burden,
best-of-K-days items, booked clinic/video reviews, a referral on FVC, weight and ALSAQ-5, a burden slowed for a
random lifetime, death at a fluctuating respiratory reserve's first passage).  This world is a telemonitoring
registry whose multidisciplinary board offers allogeneic Wharton's-jelly MSCs intrathecally, and differs in every
piece (every constant below is an assumption unless a source is named):

* **course: a product of a cortical (upper motor neuron) loss that saturates early and segmental (lower motor
  neuron) losses joining region by region.**  Region r (bulbar, arm, leg, respiratory: the ALSFRS-R domains,
  Cedarbaum et al., J Neurol Sci 1999;169:13-21) keeps the fraction f_r = (1 − α·w_r·(1 − e^{−t/6}))·(1 −
  min(1, v_r·s_r)) of its function, t months from onset, s_r = (t − d_r)⁺ its segmental clock.  α ~ Beta(1,
  9) the patient's UMN predominance (UMN signs are widespread early, Ravits & La Spada, Neurology
  2009;73:805-811), w = (1, 0.6, 0.8, 0.3); v_r = v·e^{0.25·z_r} the segmental pace, v = V0·e^{0.45·z +
  0.012·(age − 63)} months⁻¹; d_r = 0 in the onset region and D·h_r·e^{0.4·z'_r} elsewhere, h the region's
  distance from the onset region (neighbours 1, bulbar-leg and leg-respiratory 2), D lognormal (median 7
  months, sd of log 0.5).  Onset: bulbar 28%, arm 36%, leg 33%, respiratory 3%.  Men 60%, age at onset
  N(62, 11²) within 30-88.
* **items: power maps of the region's function, rated with an asymmetric-Laplace error.**  x_j = 4·f_r^{a_j},
  a_j 1.8 for the item a region loses first (speech, handwriting, stairs, dyspnea), 1 for the middle one, 0.6 for
  the last; the rating is round(x_j + e) within 0-4, e = −Exp(b_d) or +Exp(b_u) with probability ½ each (a bad day
  costs more than a good day gives): (b_d, b_u) = (0.35, 0.12) in the clinic and on the ward, (0.3, 0.2) at home,
  (0.25, 0.3) by phone (self-report reads a little higher; phone ALSFRS-R agrees well with clinic ratings,
  Kaufmann et al., Amyotroph Lateral Scler 2007;8:42-46).  On the ward (the day after a gastrostomy is placed) every
  item's level is lowered by 0.6 (bulbar, respiratory) or 0.4 (limbs): post-procedural illness.  On NIV q12 is
  at most 3; after a gastrostomy item 5 is q5b.  Phone ratings leave an item blank with probability 0.01.
* **visits: monthly telemonitoring by phone, clinic reviews every 4 months, home reviews once walking is
  reported lost, clinic visits triggered by a phone drop, ward ratings after a gastrostomy.**  Contact k (k = 0
  the diagnosis) is on diagnosis + k months ± 5 days: every fourth a review (``scheduled`` in the clinic, or
  ``home`` by the specialist nurse once a recorded q8 is at most 1), the others ``remote`` phone ratings
  (assessor phone), answered with probability 0.92 − 0.3·(bulbar loss fraction) (dysarthria).  A phone total 3 or
  more points below the last complete review total brings an ``unscheduled`` clinic visit 7-20 days later (not
  from home care).  ``inpatient``: the ward rating the day after the gastrostomy.  FVC % predicted and MUNIX at
  clinic reviews (MUNIX when the EMG slot is free, 85%), weight at every clinic or ward visit; nothing at home or
  by phone.  :data:`LEAVE_OUT_VISIT_TYPES` is ``("inpatient",)``.
* **who is treated: the board decides at clinic reviews after the diagnosis** (:data:`DECISION_VISIT_TYPES`)
  **from the recorded MUNIX** (motor units remain but are being lost), the recorded totals, age, time since
  onset, riluzole, NIV and gastrostomy, and an allocation list from its own stream (:func:`lottery`, seeded by
  (seed, 16)): eligible when the total is complete, months since onset ≤ 36, no NIV and no gastrostomy recorded,
  riluzole recorded true, MUNIX recorded at this review and before, and the current MUNIX ≥ 40% of the first;
  referred when logit(u) < c + s, s = :func:`rule_score`.  c sets at most round(share·n) patients.  Cells are
  released from the bank after screening and hospital-exemption approval: the first dose 21-42 days after the
  decision (:data:`DECISION_LAG_DAYS` 21), then up to two more 56-63 days apart (each with probability 0.9, if
  alive, followed and before the lock; after NurOwn's 8-weekly schedule, Cudkowicz et al., Muscle Nerve
  2022;65:291), 1×10⁸ cells per dose.  Adverse events per dose: headache 2.5%, fever 2%, puncture-site pain 1.7%
  (allogeneic intrathecal, spec/domain-rules.md), back pain 5%, meningism 1%.
* **effect: the cells slow the segmental (LMN) loss of the regions already involved at the first dose, topped up
  by each dose and waning between (half-life 4 months), in responders.**  ρ(t) = min(0.9, E·g·h(t)/R): h = 2^{−(t −
  last dose)/4}, R the expected clinic total's loss rate from those regions' segmental loss at the first dose
  (at least 0.25 points/month), g = 2.2 in responders (40%) and 0.2 otherwise (mean 1): at a dose a patient with
  g = 1 loses about E points/month less; the cortical loss and regions joining later are untouched.  E = 0 gives
  the same course with and without cells.
* **follow-up ends by an accelerated failure time in the respiratory segment's clock, unanswered calls, a move
  to a care home and the lock.**  Death when the respiratory segmental clock reaches Z/v_resp, Z lognormal (median
  0.65, sd of log 0.3); from NIV on the clock counts 1/1.6 (1/1.15 when the bulbar function is below half: Bourke
  et al., Lancet Neurol 2006;5:140-147); other causes 0.0006·e^{0.07·(age − 62)} per month.  NIV offered at a
  review with a recorded q12 ≤ 3, q10 ≤ 2 or FVC < 50 (accepted 35%, started 7-28 days later); a gastrostomy at a
  review with a recorded q3 ≤ 2 or weight ≤ 90% of the first (accepted 20%, placed 14-42 days later).  Three
  unanswered calls in a row: lost to follow-up (declared 6 months after the last visit); a review total of 16 or
  less in a patient living alone (unrecorded, 30%): withdrawal to a care home with probability 0.3, 1-30 days
  later.  Diagnosis: lognormal delay (median 10 months, sd of log 0.5, × (v/V0)^−0.3); patients diagnosed from
  2015-01-01 to a month before the lock (2025-06-30), alive at diagnosis.

Calibration, measured on ``simulate_world16(3000, 0.0, 0.0, 1)`` once the constants were set (V0 = 1/36, the UMN
predominance Beta(1, 9), Z median 0.65): the per-patient least-squares slope of the complete recorded totals on
months (2,833 patients with two or more spanning 3 months) averages -1.08 points/month, median -0.99, 95% of
patients between -2.33 and -0.35 (-0.99 PRO-ACT, -0.89 population-based, spec/domain-rules.md); the first recorded
total's median 38; the diagnostic delay's median 9.9 months; median survival from onset 40 months (Kaplan-Meier,
entry at diagnosis, censored at the lock or, for the lost and withdrawn, at the last visit; 30-45 months in
population cohorts).  Rows: 63% phone, 18% clinic reviews, 11% home, 6% unscheduled, 2% ward.  3,000 patients take
about 1 s untreated and 7 s with 30% treated.

:data:`PIECES` names the pieces ``off`` switches off without changing the random draws: all random numbers are
drawn first in a fixed order (a contact's uniforms follow its slot).  ``truth`` is E; ``truth_realised``,
``truth_window``, ``truth_observed`` from ``window_truth.cohort_truths`` on the expected clinic-rated totals with
and without cells (exact: Σ_j Σ_c P(x_j + e ≥ c − ½)), zeros under E = 0.  With ``record_occasions=True`` the
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

# what the board's rule reads besides the ALSFRS-R totals
RECORDED_RULE_INPUTS = ("age", "time_since_onset", "ventilation", "gastrostomy", "riluzole", "munix")
DECISION_AT_EVERY_VISIT = False
DECISION_VISIT_TYPES = ("scheduled",)  # the board meets on clinic days, with the EMG lab's MUNIX
# ward ratings are taken the day after a gastrostomy, during a post-procedural illness that lowers every item
# for a few days: an analyst who knew this clinic would leave them out (not comparable with the others)
LEAVE_OUT_VISIT_TYPES = ("inpatient",)
DOSE_LAG = (21, 42)
DECISION_LAG_DAYS = DOSE_LAG[0]
DOSE_GAP = (56, 63)
PIECES = {
    "umn_loss": "the early saturating cortical (UMN) loss (off: none)",
    "segment_spread": "the regions joining after random delays (off: all regions at onset)",
    "patient_pace": "the patients' own segmental paces (off: the median pace; age kept)",
    "rating_error": "the asymmetric-Laplace rating error (off: the latent level rounded)",
    "phone_optimism": "the phone ratings' own error (off: the clinic's)",
    "phone_gaps": "items left blank by phone (off: none)",
    "home_reviews": "reviews at home once walking is recorded lost (off: all in the clinic)",
    "drop_visits": "unscheduled clinic visits after a phone drop (off: none)",
    "ward_ratings": "ratings on the ward after a gastrostomy (off: none)",
    "acute_illness": "the post-procedural lowering of ward ratings (off: none)",
    "niv": "NIV offered and started (off: none)",
    "gastrostomy": "gastrostomy offered and placed (off: none)",
    "death": "death by the respiratory clock or other causes (off: none)",
    "unanswered_calls": "loss after three unanswered calls (off: every call answered)",
    "care_home": "withdrawal to a care home (off: none)",
    "munix_rule": "the MUNIX criterion (off: MUNIX not read)",
    "age_preference": "the points by age (off: none)",
    "further_doses": "the second and third doses (off: one dose)",
    "responders": "responders and non-responders (off: g = 1)",
    "waning": "the waning between and after doses (off: h = 1 from the first dose)",
    "adverse_events": "adverse events of the doses (off: none)",
}
SITES = np.array(["NORTH", "SOUTH"])
ONSET_FROM, ONSET_YEARS = pd.Timestamp("2011-01-01"), 14.5
OPENING, LOCK = pd.Timestamp("2015-01-01"), pd.Timestamp("2025-06-30")
EPOCH = pd.Timestamp(0)
BIG = np.iinfo(np.int64).max // 4
BUL, ARM, LEG, RESP = range(4)
DOMAIN = np.repeat(np.arange(4), 3)
ONSET_P = np.array([0.28, 0.36, 0.33, 0.03])
DIST = np.array([[0, 1, 2, 1], [1, 0, 1, 1], [2, 1, 0, 2], [1, 1, 2, 0]], float)
UMN_W = np.array([1.0, 0.6, 0.8, 0.3])
TAU_U = 6.0
V0, V_SD = 1 / 36, 0.45  # the median segmental pace (months⁻¹) and its spread
D_MED = 7.0
ITEM_A = np.array([1.8, 0.6, 1.0, 1.8, 1.0, 0.6, 0.6, 1.0, 1.8, 1.8, 1.0, 0.6])
# asymmetric-Laplace rating error (b_down, b_up) by visit type
SCHED, REMOTE, HOME, UNSCHED, INPAT = range(5)
VISIT_TYPES = np.array(["scheduled", "remote", "home", "unscheduled", "inpatient"], dtype=object)
B_ERR = np.array([[0.35, 0.12], [0.25, 0.3], [0.3, 0.2], [0.35, 0.12], [0.35, 0.12]])
ACUTE = np.where(np.isin(DOMAIN, [BUL, RESP]), 0.6, 0.4)
N_MON = 132  # monthly contacts
SLOT_U = N_MON + 1  # the unscheduled visit after phone contact k: slot SLOT_U + k
SLOT_W = 2 * N_MON + 2  # the ward rating
SLOTS = SLOT_W + 1
Z_MED, Z_SD = 0.65, 0.3
NIV_STRETCH = (1.6, 1.15)
BG0, BG_AGE = 0.0006, 0.07
P_NIV, P_GAS = 0.35, 0.2
HALF_LIFE, RATE_FLOOR, F_CAP = 4.0, 0.25, 0.9
HG, NG = 0.25, 640  # the treated clock's grid (months from the first dose)
AE_TERMS = np.array(["headache", "fever", "injection_site_pain", "back_pain", "meningism"])
AE_P = np.array([0.025, 0.02, 0.017, 0.05, 0.01])
AE_SPAN = np.array([(1, 4), (1, 2), (1, 3), (2, 10), (2, 6)])
AE_REL = np.array(["probable", "possible", "definite", "probable", "probable"])


def _days(ts: pd.Timestamp) -> int:
    return (ts - EPOCH).days


def lottery(seed: int, n_patients: int) -> np.ndarray:
    """The board's allocation list: the uniform of the j-th clinic review (0 the diagnosis) of the i-th patient
    (``W16{i:05d}``), from a stream of its own."""
    return np.random.default_rng([seed, 16]).random((n_patients, N_MON // 4 + 2))


def rule_score(munix_fall, total, age, on=lambda piece: True) -> np.ndarray:
    """The board's points: +1 when the recorded MUNIX fell by 1.5%/month or more since the first (``munix_fall``,
    %/month; NaN none), + 0.06·(total − 36), − 0.03·(age − 60)."""
    f = np.asarray(munix_fall, float)
    s = 0.06 * (np.asarray(total, float) - 36)
    if on("munix_rule"):
        s = s + np.where(np.isfinite(f) & (f >= 1.5), 1.0, 0.0)
    if on("age_preference"):
        s = s - 0.03 * (np.asarray(age, float) - 60)
    return s


def _q(z: np.ndarray, b: np.ndarray) -> np.ndarray:
    """P(e ≥ z) of the asymmetric-Laplace error with (b_down, b_up) = ``b`` (... × 2)."""
    bd, bu = b[..., 0], b[..., 1]
    with np.errstate(over="ignore"):
        return np.where(z >= 0, 0.5 * np.exp(-np.maximum(z, 0) / bu), 1 - 0.5 * np.exp(np.minimum(z, 0) / bd))


def _expected(x: np.ndarray, niv_on: np.ndarray) -> np.ndarray:
    """The expected clinic-rated total at the item levels ``x`` (... × 12), q12 at most 3 on NIV."""
    b = B_ERR[SCHED]
    cum = _q(np.arange(1, 5) - 0.5 - x[..., None], np.broadcast_to(b, (*x.shape, 4, 2)))
    return cum.sum((-1, -2)) - niv_on * cum[..., 11, 3]


def simulate_world16(
    n_patients: int,
    effect: float,
    treated_share: float,
    seed: int,
    off: frozenset[str] = frozenset(),
    record_occasions: bool = False,
) -> WorldCohort:
    """A cohort of ``n_patients`` from the sixteenth world, effect E = ``effect``, at most round(share·n)
    treated, the pieces of ``off`` switched off; ``record_occasions`` fills ``alsfrs.visit_type`` and
    ``treatments.decision_date`` (the same draws, every other column unchanged)."""
    refuse_unknown(off, PIECES)

    def on(piece: str) -> bool:
        return piece not in off

    rng = np.random.default_rng(seed)
    n, m = int(n_patients), 2 * int(n_patients) + 100
    # all random numbers first, in a fixed order
    site_u, sex_u, reg_u, alone_u = (rng.random(m) for _ in range(4))
    age = np.clip(rng.normal(62, 11, m), 30, 88)
    onset_day = _days(ONSET_FROM) + rng.integers(0, int(ONSET_YEARS * 365.25), m)
    alpha = rng.beta(1.0, 9.0, m)
    z_v, z_d, z_dx = rng.normal(0, 1, m), rng.normal(0, 1, m), rng.normal(0, 1, m)
    z_vr, z_dr = rng.normal(0, 1, (m, 4)), rng.normal(0, 1, (m, 4))
    z_death, bg_e = rng.normal(0, 1, m), rng.exponential(1.0, m)
    u_esc, u_gen, u_ril, u_eda, u_resp = (rng.random(m) for _ in range(5))
    f0_z, w0_z, m0_z = rng.normal(0, 1, m), rng.normal(0, 1, m), rng.normal(0, 1, m)
    u_jit = rng.random((m, N_MON + 1), dtype=np.float32)
    u_item = rng.random((m, SLOTS, 12), dtype=np.float32)
    u_blank = rng.random((m, N_MON + 1, 12), dtype=np.float32)
    meas_eps = rng.standard_normal((m, SLOTS, 3), dtype=np.float32)
    u_answer, u_emg, u_niv, u_niv_lag, u_gas, u_gas_lag, u_home, u_ulag = (
        rng.random((m, SLOTS), dtype=np.float32) for _ in range(8)
    )
    u_dose, u_more, u_more_lag = rng.random(m), rng.random((m, 2)), rng.random((m, 2))
    u_resp_g = rng.random(m)
    u_ae, u_ae_t = rng.random((m, 3, len(AE_TERMS))), rng.random((m, 3, len(AE_TERMS)))
    u_lot = rng.random((m, 3))

    # the patients: onset region, paces, delays
    r0 = np.searchsorted(np.cumsum(ONSET_P), reg_u * 0.999999)
    sex_m = sex_u < 0.6
    v = V0 * np.exp((V_SD * z_v if on("patient_pace") else 0.0) + 0.012 * (age - 63))
    vr = v[:, None] * np.exp(0.25 * z_vr)
    dd = D_MED * np.exp(0.5 * z_d)
    delay = dd[:, None] * DIST[r0] * np.exp(0.4 * z_dr) if on("segment_spread") else np.zeros((m, 4))
    a_umn = alpha[:, None] * UMN_W if on("umn_loss") else np.zeros((m, 4))
    t_star = np.exp(np.log(Z_MED) + Z_SD * z_death) / vr[:, RESP]  # the respiratory clock at death
    t_bg = bg_e / (BG0 * np.exp(BG_AGE * (age - 62)))

    def seg(cw: dict, sub: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The segmental clocks s_r (... × 4) of rows ``sub`` of course ``cw`` at ``t`` months from onset."""
        rows = cw["rows"][sub]
        dl = delay[rows] if t.ndim == 1 else delay[rows][:, None, :]
        s = np.maximum(t[..., None] - dl, 0.0)
        if cw["D"] is None:
            return s
        tt = t - (cw["t1"][sub] if t.ndim == 1 else cw["t1"][sub][:, None])
        x = np.clip(np.where(np.isfinite(tt), tt, 0.0) / HG, 0.0, NG - 1e-9)
        j = np.floor(x).astype(np.int64)
        w = x - j
        rr = np.arange(len(sub)).reshape((-1,) + (1,) * (t.ndim - 1))
        dg = cw["D"][sub][rr, j] * (1 - w) + cw["D"][sub][rr, j + 1] * w
        inv = cw["inv"][sub] if t.ndim == 1 else cw["inv"][sub][:, None, :]
        return np.maximum(s - dg[..., None] * inv, 0.0)

    def func(cw: dict, sub: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Each region's kept function f_r (... × 4)."""
        rows = cw["rows"][sub]
        s = seg(cw, sub, t)
        shp = (lambda a: a) if t.ndim == 1 else (lambda a: a[:, None, :])
        umn = 1 - shp(a_umn[rows]) * (1 - np.exp(-np.maximum(t, 0) / TAU_U))[..., None]
        return umn * (1 - np.minimum(1.0, shp(vr[rows]) * s))

    def levels(f: np.ndarray) -> np.ndarray:
        return 4.0 * np.clip(f[..., DOMAIN], 0.0, 1.0) ** ITEM_A

    def death_time(cw: dict, sub: np.ndarray, t_niv: np.ndarray, stretch: np.ndarray) -> np.ndarray:
        """Months from onset at which the respiratory clock (counting 1/stretch from ``t_niv``) reaches its
        level; other causes too."""
        if not on("death"):
            return np.full(len(sub), np.inf)
        rows = cw["rows"][sub]
        ts = t_star[rows]
        s_n = seg(cw, sub, np.where(np.isfinite(t_niv), t_niv, 0.0))[:, RESP]
        target = np.where(np.isfinite(t_niv) & (s_n < ts), s_n + stretch * (ts - s_n), ts)
        t = delay[rows, RESP] + target  # untreated: the clock runs with calendar time
        if cw["D"] is not None:
            tg = cw["t1"][sub, None] + np.arange(NG + 1) * HG
            sg = np.maximum(tg - delay[rows, RESP, None] - cw["D"][sub] * cw["inv"][sub, RESP, None], 0)
            hit = sg >= target[:, None]
            k = hit.argmax(1)
            km = np.maximum(k - 1, 0)
            rr = np.arange(len(sub))
            s0, s1 = sg[rr, km], sg[rr, k]
            tt = tg[rr, km] + HG * np.clip((target - s0) / np.maximum(s1 - s0, 1e-12), 0, 1)
            late = cw["inv"][sub, RESP] & (t > cw["t1"][sub])
            t = np.where(late, np.where(hit.any(1), np.where(k > 0, tt, tg[:, 0]), np.inf), t)
        return np.minimum(t, t_bg[rows])

    all_cw = {"rows": np.arange(m), "D": None}
    # diagnosis: a lognormal delay, shorter in faster disease
    t_dx = np.maximum(10.0 * np.exp(0.5 * z_dx) * (v / V0) ** -0.3, 1.5)
    diag_day = onset_day + np.rint(t_dx * DPM).astype(np.int64)
    lock_day = _days(LOCK)
    d0 = death_time(all_cw, np.arange(m), np.full(m, np.inf), np.ones(m))
    ok0 = (diag_day >= _days(OPENING)) & (diag_day <= lock_day - 31) & (d0 > t_dx + 1 / DPM)
    keep = np.flatnonzero(ok0)[:n]
    if len(keep) < n:
        raise RuntimeError("too few candidates enter the cohort")
    (site_u, sex_m, alone_u, age, onset_day, r0, v, vr, delay, a_umn, t_star, t_bg, t_dx, diag_day, u_esc, u_gen,
     u_ril, u_eda, f0_z, w0_z, m0_z, u_jit, u_item, u_blank, meas_eps, u_answer, u_emg, u_niv, u_niv_lag, u_gas,
     u_gas_lag, u_home, u_ulag, u_dose, u_more, u_more_lag, u_resp_g, u_ae, u_ae_t, u_lot) = (a[keep] for a in (
        site_u, sex_m, alone_u, age, onset_day, r0, v, vr, delay, a_umn, t_star, t_bg, t_dx, diag_day, u_esc, u_gen,
        u_ril, u_eda, f0_z, w0_z, m0_z, u_jit, u_item, u_blank, meas_eps, u_answer, u_emg, u_niv, u_niv_lag, u_gas,
        u_gas_lag, u_home, u_ulag, u_dose, u_more, u_more_lag, u_resp_g, u_ae, u_ae_t, u_lot))  # fmt: skip
    del u_resp  # drawn for its place in the stream only (the draws that follow keep their values)
    rows_n = np.arange(n)
    cw0 = {"rows": rows_n, "D": None}
    site = (site_u >= 0.6).astype(int)
    birth_year = (pd.to_datetime(onset_day, unit="D").year.to_numpy() - np.floor(age)).astype(int)
    # onset site recorded: the region whose function is first lost; generalized when two start within a month
    second = np.sort(delay, 1)[:, 1]
    code = np.where(second < 1.0, 3, np.array([0, 1, 1, 2])[r0])
    escorial = np.array(["definite", "probable", "probable_lab", "possible"], dtype=object)[
        np.searchsorted([0.25, 0.65, 0.8], u_esc)]  # fmt: skip
    genetics = np.where(u_gen < 0.07, "C9orf72", np.where(u_gen < 0.09, "SOD1", None)).astype(object)
    riluzole = np.where(u_ril < 0.8, "true", np.where(u_ril < 0.96, "false", None)).astype(object)
    edaravone = np.where(u_eda < 0.04, "true", np.where(u_eda < 0.8, "false", None)).astype(object)
    ril_true = u_ril < 0.8
    f0 = np.clip(100 + 12 * f0_z, 65, 130)
    w0 = np.clip(np.where(sex_m, 80 + 12 * w0_z, 66 + 11 * w0_z), 42, 140)
    m0 = 220 * np.exp(0.25 * m0_z)
    g_resp = np.where(u_resp_g < 0.4, 2.2, 0.2) if on("responders") else np.ones(n)
    lot = lottery(seed, n)
    year_of = pd.to_datetime(np.arange(_days(ONSET_FROM), lock_day + 400), unit="D").year.to_numpy()
    day_base = _days(ONSET_FROM)
    b_err = B_ERR.copy()
    if not on("phone_optimism"):
        b_err[REMOTE] = B_ERR[SCHED]
    if not on("rating_error"):
        b_err[:] = 1e-6

    def run(cw: dict, decide: bool) -> dict[str, np.ndarray]:
        """The registry's contacts of the rows of ``cw`` on its course."""
        idx = cw["rows"]
        r = len(idx)
        sub_all = np.arange(r)
        on_d, dx_d = onset_day[idx], diag_day[idx]
        maxv = 2 * N_MON + 4
        cnt = np.zeros(r, np.int64)
        vday = np.full((r, maxv), -1, np.int64)
        vtype = np.zeros((r, maxv), np.int64)
        items = np.full((r, maxv, 12), np.nan, np.float32)
        meas = np.full((r, maxv, 3), np.nan)  # FVC, weight, MUNIX
        crit = np.full((r, N_MON // 4 + 2), np.inf)
        done = np.zeros(r, bool)
        death_t = death_time(cw, sub_all, np.full(r, np.inf), np.ones(r))
        dead_day, wd_day, stop_day = np.full(r, BIG), np.full(r, BIG), np.full(r, BIG)
        lost = np.zeros(r, bool)
        niv_day, gas_day, niv_pend, gas_pend, uns_pend = (np.full(r, BIG) for _ in range(5))
        home = np.zeros(r, bool)
        missed = np.zeros(r, np.int64)
        last_day = np.full(r, -BIG)
        last_rev_tot = np.full(r, np.nan)
        m_first, m_first_day = np.full(r, np.nan), np.zeros(r, np.int64)
        w_first = np.full(r, np.nan)

        def visit(g: np.ndarray, d: np.ndarray, vt: np.ndarray, slot: np.ndarray, kk: np.ndarray) -> None:
            """Rate and record the visits of rows ``g`` on days ``d`` of types ``vt`` (uniform slot ``slot``)."""
            nonlocal done
            gi = idx[g]
            t = (d - on_d[g]) / DPM
            f = func(cw, g, t)
            x = levels(f)
            if on("acute_illness"):
                x = np.where((vt == INPAT)[:, None], np.maximum(x - ACUTE, 0.0), x)
            b = b_err[vt]
            uu = np.clip(u_item[gi, slot].astype(np.float64), 1e-9, 1 - 1e-9)
            e = np.where(uu < 0.5, b[:, :1] * np.log(2 * uu), -b[:, 1:] * np.log(2 * (1 - uu)))
            it = np.clip(np.rint(x + e), 0, 4)
            it[:, 11] = np.where(niv_day[g] <= d, np.minimum(it[:, 11], 3), it[:, 11])
            if on("phone_gaps"):
                it[(vt == REMOTE)[:, None] & (u_blank[gi, np.minimum(kk, N_MON)] < 0.01)] = np.nan
            tot = it.sum(1)
            complete = np.isfinite(tot)
            me = meas_eps[gi, slot].astype(np.float64)
            clinic = (vt == SCHED) | (vt == UNSCHED) | (vt == INPAT)
            s_resp = seg(cw, g, t)[:, RESP]
            n_resp = 1 - np.minimum(1.0, vr[gi, RESP] * s_resp)
            fvc = np.clip(np.rint(f0[gi] * (0.55 + 0.45 * n_resp) * f[:, RESP] ** 0.3 + 4 * me[:, 0]), 5, 150)
            fvc = np.where(vt == SCHED, fvc, np.nan)
            wt = np.round(w0[gi] * (1 - 0.12 * (1 - f[:, BUL]) - 0.06 * (1 - f.mean(1))) + 0.6 * me[:, 1], 1)
            wt = np.where(clinic, np.clip(wt, 25, 200), np.nan)
            s_lim = seg(cw, g, t)[:, [ARM, LEG]]
            n_lim = (1 - np.minimum(1.0, vr[gi][:, [ARM, LEG]] * s_lim)).mean(1)
            mu = np.clip(np.rint(m0[gi] * (0.1 + 0.9 * n_lim) * np.exp(0.1 * me[:, 2])), 0, 2000)
            mu = np.where((vt == SCHED) & (u_emg[gi, slot] < 0.85), mu, np.nan)
            rec = d != last_day[g]
            gr = g[rec]
            pos = cnt[gr]
            vday[gr, pos] = d[rec]
            vtype[gr, pos] = vt[rec]
            items[gr, pos] = it[rec]
            meas[gr, pos] = np.stack([fvc, wt, mu], 1)[rec]
            cnt[gr] += 1
            last_day[gr] = d[rec]
            w_first[g] = np.where(rec & np.isfinite(wt) & np.isnan(w_first[g]), wt, w_first[g])
            review = rec & ((vt == SCHED) | (vt == HOME))
            if decide:
                # the board: at clinic reviews after the diagnosis, from the recorded history
                j = kk // 4
                a_now = year_of[d - day_base] - birth_year[gi]
                months = (d - m_first_day[g]) / DPM
                with np.errstate(invalid="ignore", divide="ignore"):
                    fall = 100 * (1 - mu / m_first[g]) / months
                elig = rec & (vt == SCHED) & (kk >= 1) & complete & ((d - on_d[g]) / DPM <= 36)
                elig &= (niv_day[g] > d) & (gas_day[g] > d) & ril_true[gi]
                if on("munix_rule"):
                    elig &= np.isfinite(mu) & np.isfinite(m_first[g]) & (mu >= 0.4 * m_first[g])
                else:
                    fall = np.full(len(g), np.nan)
                score = rule_score(fall, tot, a_now, on)
                ul = np.clip(lot[gi, j], 1e-12, 1 - 1e-12)
                crit[g, j] = np.where(elig, np.log(ul) - np.log1p(-ul) - score, crit[g, j])
            hm = rec & np.isfinite(mu) & np.isnan(m_first[g])
            m_first_day[g] = np.where(hm, d, m_first_day[g])
            m_first[g] = np.where(hm, mu, m_first[g])
            # offers at reviews: NIV, gastrostomy; the move home; the care home
            no = review & (niv_day[g] == BIG) & (niv_pend[g] == BIG) & on("niv")
            no &= (it[:, 11] <= 3) | (it[:, 9] <= 2) | (fvc < 50)
            no &= u_niv[gi, slot] < P_NIV
            niv_pend[g] = np.where(no, d + 7 + np.floor(u_niv_lag[gi, slot] * 22).astype(np.int64), niv_pend[g])
            go = review & (gas_day[g] == BIG) & (gas_pend[g] == BIG) & on("gastrostomy")
            go &= (it[:, 2] <= 2) | (wt <= 0.9 * w_first[g])
            go &= u_gas[gi, slot] < P_GAS
            gas_pend[g] = np.where(go, d + 14 + np.floor(u_gas_lag[gi, slot] * 29).astype(np.int64), gas_pend[g])
            home[g] |= rec & (vt != INPAT) & (it[:, 7] <= 1) & on("home_reviews")
            last_rev_tot[g] = np.where(review & complete, tot, last_rev_tot[g])
            ch = review & complete & (tot <= 16) & (alone_u[gi] < 0.3) & (u_home[gi, slot] < 0.3) & on("care_home")
            wd_day[g] = np.where(ch, d + 1 + np.floor(u_home[gi, slot] / 0.3 * 30).astype(np.int64), wd_day[g])
            stop_day[g] = np.where(ch, d, stop_day[g])
            done[g] |= ch
            # a phone drop brings the patient to the clinic
            if on("drop_visits"):
                dr = rec & (vt == REMOTE) & complete & (tot <= last_rev_tot[g] - 3) & ~home[g]
                uns_pend[g] = np.where(dr, d + 7 + np.floor(u_ulag[gi, slot] * 14).astype(np.int64), uns_pend[g])

        for k in range(N_MON + 1):
            # contact k's day; then what comes before it, in order
            jit = np.floor(u_jit[idx, k] * 11).astype(np.int64) - 5 if k > 0 else 0
            ck = dx_d + np.rint(k * DPM).astype(np.int64) + jit
            for _ in range(4):
                nxt = np.minimum(np.minimum(niv_pend, gas_pend), uns_pend)
                due = ~done & (nxt < ck)
                if not due.any():
                    break
                g = np.flatnonzero(due)
                d = nxt[g]
                death_day = on_d[g] + np.rint(np.minimum(death_t[g], 1e4) * DPM).astype(np.int64)
                die = death_day <= d
                dead_day[g[die]] = np.where(death_day[die] <= lock_day, death_day[die], BIG)
                done[g[die | (d > lock_day)]] = True
                g, d = g[~die & (d <= lock_day)], d[~die & (d <= lock_day)]
                nv = niv_pend[g] == d
                if nv.any():
                    gn = g[nv]
                    niv_day[gn] = d[nv]
                    niv_pend[gn] = BIG
                    tn = (d[nv] - on_d[gn]) / DPM
                    fb = func(cw, gn, tn)[:, BUL]
                    death_t[gn] = death_time(cw, gn, tn, np.where(fb >= 0.5, *NIV_STRETCH))
                gs = ~nv & (gas_pend[g] == d)
                if gs.any():
                    gg = g[gs]
                    gas_day[gg] = d[gs]
                    gas_pend[gg] = BIG
                    if on("ward_ratings"):
                        visit(gg, d[gs] + 1, np.full(gs.sum(), INPAT), np.full(gs.sum(), SLOT_W), np.full(gs.sum(), k))
                us = ~nv & ~gs & (uns_pend[g] == d)
                if us.any():
                    gu = g[us]
                    uns_pend[gu] = BIG
                    ok = d[us] < ck[gu] - 3
                    visit(
                        gu[ok],
                        d[us][ok],
                        np.full(ok.sum(), UNSCHED),
                        SLOT_U + np.full(ok.sum(), k - 1),
                        np.full(ok.sum(), k),
                    )
            act = ~done
            death_day = on_d + np.rint(np.minimum(death_t, 1e4) * DPM).astype(np.int64)
            die = act & (death_day <= ck)
            dead_day = np.where(die & (death_day <= lock_day), death_day, dead_day)
            done |= die | (act & (ck > lock_day))
            g = np.flatnonzero(~done)
            if len(g) == 0:
                break
            d = ck[g]
            is_rev = k % 4 == 0
            if is_rev:
                vt = np.where(home[g], HOME, SCHED)
                visit(g, d, vt, np.full(len(g), k), np.full(len(g), k))
            else:
                t = (d - on_d[g]) / DPM
                fb = func(cw, g, t)[:, BUL]
                ans = (u_answer[idx[g], k] < 0.92 - 0.3 * (1 - fb)) | (not on("unanswered_calls"))
                missed[g] = np.where(ans, 0, missed[g] + 1)
                ga = g[ans]
                visit(ga, d[ans], np.full(len(ga), REMOTE), np.full(len(ga), k), np.full(len(ga), k))
                gone = g[missed[g] >= 3]
                lost[gone] = True
                stop_day[gone] = d[missed[g] >= 3]
                done[gone] = True
        death_day = on_d + np.rint(np.minimum(death_t, 1e4) * DPM).astype(np.int64)
        pend = wd_day < BIG
        first_death = pend & (death_day < wd_day)
        dead_day = np.where(first_death & (death_day <= lock_day), death_day, dead_day)
        wd_day = np.where(pend & ~first_death & (wd_day <= lock_day), wd_day, BIG)
        fol = np.arange(maxv)[None, :] < cnt[:, None]
        return {"fol": fol, "vday": np.where(fol, vday, -1), "vtype": vtype, "items": items, "meas": meas,
                "crit": crit, "dead_day": dead_day, "wd_day": wd_day, "lost": lost & (wd_day == BIG),
                "niv_day": niv_day, "gas_day": gas_day, "stop_day": stop_day, "death_phys": death_day}  # fmt: skip

    natural = run(cw0, True)
    target_n = round(treated_share * n)
    cstar = natural["crit"].min(1)
    cut = share_cutoff(cstar, target_n)
    decided = cstar < cut
    j_dec = (natural["crit"] < cut).argmax(1)
    # the day of the j-th clinic review: contact 4j (clinic reviews are every fourth contact)
    k_dec = 4 * j_dec
    jit = np.floor(u_jit[rows_n, np.minimum(k_dec, N_MON)] * 11).astype(np.int64) - 5
    dec_day = diag_day + np.rint(k_dec * DPM).astype(np.int64) + np.where(k_dec > 0, jit, 0)
    dose_day = np.zeros((n, 3), np.int64)
    dose_day[:, 0] = dec_day + DOSE_LAG[0] + np.floor(u_dose * (DOSE_LAG[1] - DOSE_LAG[0] + 1)).astype(np.int64)
    for q in (1, 2):
        gap = DOSE_GAP[0] + np.floor(u_more_lag[:, q - 1] * (DOSE_GAP[1] - DOSE_GAP[0] + 1)).astype(np.int64)
        dose_day[:, q] = dose_day[:, q - 1] + gap
    d1 = dose_day[:, 0]
    treated = decided & (d1 <= lock_day) & (natural["death_phys"] > d1) & (natural["stop_day"] > d1)
    p = np.flatnonzero(treated)
    t1 = np.where(treated, (d1 - onset_day) / DPM, np.inf)
    consent = np.concatenate([np.ones((n, 1), bool), (u_more < 0.9) & on("further_doses")], 1)
    consent = np.cumprod(consent, 1).astype(bool)
    res = {key: val.copy() for key, val in natural.items()}
    res0 = {key: val[p] for key, val in natural.items()}
    given = np.zeros((n, 3), bool)
    cw1 = None
    if len(p):
        cw1 = {"rows": p, "D": None, "t1": t1[p], "inv": delay[p] < t1[p, None]}
        tgrid = np.arange(NG + 1) * HG
        if effect != 0:
            tp = t1[p]
            sub = np.arange(len(p))
            x_now = levels(func(cw0, p, tp))
            fake = {"rows": p, "D": np.full((len(p), NG + 1), -0.5), "t1": tp, "inv": cw1["inv"]}
            x_adv = levels(func(fake, sub, tp))  # the involved regions' segmental clocks 0.5 month on
            nv0 = np.zeros(len(p))
            r_rate = (_expected(x_now, nv0) - _expected(x_adv, nv0)) / 0.5
            since = (dose_day[p] - d1[p, None]) / DPM  # months from the first dose to each dose
            hmat = np.zeros((len(p), NG + 1))
            for q in range(3):
                dq = since[:, q : q + 1]
                h_q = np.where(tgrid[None, :] >= dq, 2.0 ** (-(tgrid[None, :] - dq) / HALF_LIFE), 0.0)
                if not on("waning"):
                    h_q = np.where(tgrid[None, :] >= dq, 1.0, 0.0)
                hmat = np.where(consent[p, q : q + 1] & (tgrid[None, :] >= dq), h_q, hmat)
            rho = np.minimum(effect * g_resp[p, None] * hmat / np.maximum(r_rate, RATE_FLOOR)[:, None], F_CAP)
            dgrid = np.concatenate([np.zeros((len(p), 1)), np.cumsum(rho[:, :-1] * HG, 1)], 1)
            cw1["D"] = dgrid
        res1 = run(cw1 if cw1["D"] is not None else {"rows": p, "D": None}, False)
        alive = (res1["death_phys"][:, None] > dose_day[p]) & (res1["stop_day"][:, None] > dose_day[p])
        given[p] = consent[p] & alive & (dose_day[p] <= lock_day)
        given[p] = np.cumprod(given[p], 1).astype(bool)
        for key in res:
            res[key][p] = res1[key]
    return _tables(n, onset_day, diag_day, birth_year, sex_m, code, site, lock_day, res, treated, given, dose_day,
                   (u_ae, u_ae_t, u_lot, on("adverse_events")), (escorial, genetics, riluzole, edaravone),
                   (p, t1, res0, cw0, cw1, func, levels, effect), dec_day if record_occasions else None)  # fmt: skip


def _tables(n, onset_day, diag_day, birth_year, sex_m, code, site, lock_day, res, treated, given, dose_day, aes,
            recorded, truth_in, dec_day=None) -> WorldCohort:  # fmt: skip
    """The canonical tables of the recorded run ``res`` and the truths."""
    u_ae, u_ae_t, u_lot, ae_on = aes
    escorial, genetics, riluzole, edaravone = recorded
    p, t1, res0, _cw0, cw1, func, levels, effect = truth_in
    fol, vday = res["fol"], res["vday"]
    ids = np.array([f"W16{i:05d}" for i in range(n)])
    events, gastro_day = follow_up_events(ids, onset_day, vday.max(1), lock_day, res["dead_day"], res["wd_day"],
                                          res["lost"], {"niv_start": res["niv_day"], "gastrostomy": res["gas_day"]},
                                          6.0)  # fmt: skip
    alsfrs = item_rows(ids, res["items"].astype(np.float64), fol, vday, gastro_day)
    pi, vi = np.nonzero(fol)
    vt = res["vtype"][pi, vi]
    alsfrs["assessor"] = np.where(vt == REMOTE, "phone", "clinician")
    if dec_day is not None:
        alsfrs["visit_type"] = VISIT_TYPES[vt]
    alsfrs = alsfrs.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    ps, vs, ks = np.nonzero(fol[..., None] & np.isfinite(res["meas"]))
    measurements = pd.DataFrame({
        "patient_id": ids[ps], "date": pd.to_datetime(vday[ps, vs], unit="D"),
        "measure": np.array(["fvc_pct_pred", "weight_kg", "munix"])[ks], "value": res["meas"][ps, vs, ks],
        "unit": np.array(["%", "kg", ""])[ks],
    })  # fmt: skip
    measurements = measurements.sort_values(["patient_id", "date", "measure"], kind="stable").reset_index(drop=True)
    patients = pd.DataFrame({
        "patient_id": ids, "sex": np.where(sex_m, "M", "F"), "birth_year": birth_year,
        "onset_date": pd.to_datetime(onset_day, unit="D"), "diagnosis_date": pd.to_datetime(diag_day, unit="D"),
        "onset_site": np.array(["bulbar", "limb", "respiratory", "generalized"])[code],
        "el_escorial": escorial, "riluzole": riluzole, "edaravone": edaravone, "genetics": genetics,
        "site": SITES[site],
    })  # fmt: skip
    # nothing after the end of follow-up: a dose is given only while followed (checked on the recorded run)
    end_days = end_of_follow_up(events, ids)
    give = doses_while_followed(given, dose_day, end_days)
    pg, kg = np.nonzero(give)
    lots = (2015 + np.floor(u_lot * 10)).astype(int) * 100 + np.floor(u_lot * 1000 % 97).astype(int)
    treatments = pd.DataFrame({
        "treatment_id": [f"{ids[i]}-T{k + 1}" for i, k in zip(pg, kg, strict=True)], "patient_id": ids[pg],
        "date": pd.to_datetime(dose_day[pg, kg], unit="D"), "cycle": kg + 1, "cell_source": "wharton_jelly",
        "donor": "allogeneic", "route": "intrathecal", "dose_cells": 1.0e8, "lot": [f"WJ-{x}" for x in lots[pg, kg]],
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
        "ae_id": [f"{ids[i]}-T{k + 1}-AE{j + 1}" for i, k, j in zip(ai, ak, aj, strict=True)],
        "patient_id": ids[ai], "onset_date": pd.to_datetime(start, unit="D"),
        "resolved_date": pd.to_datetime(np.where(resolved >= 0, resolved, 0), unit="D").where(resolved >= 0),
        "term": AE_TERMS[aj], "grade": np.where(u_ae_t[ai, ak, aj] > 0.8, 2, 1), "serious": False,
        "treatment_id": [f"{ids[i]}-T{k + 1}" for i, k in zip(ai, ak, strict=True)], "relatedness": AE_REL[aj],
    })[keep_ae].reset_index(drop=True)  # fmt: skip
    tables = Tables.from_frames(patients=patients, treatments=treatments, alsfrs=alsfrs, measurements=measurements,
                                adverse_events=adverse, events=events)  # fmt: skip
    if len(p) == 0:
        return WorldCohort(tables, float(effect), 0)
    days = np.concatenate([np.where(fol[p], vday[p], onset_day[p, None]),
                           np.where(res0["fol"], res0["vday"], onset_day[p, None])], 1)  # fmt: skip
    tt = (days - onset_day[p, None]) / DPM
    since = tt - t1[p, None]
    sub = np.arange(len(p))
    c0 = {"rows": p, "D": None}
    c1 = c0 if cw1 is None or cw1["D"] is None else {**cw1, "rows": p}
    e1 = _expected(levels(func(c1, sub, tt)), days >= res["niv_day"][p, None])
    e0 = _expected(levels(func(c0, sub, tt)), days >= res0["niv_day"][:, None])
    z = np.zeros_like(fol[p])
    truths = cohort_truths(e1, e0, since, np.concatenate([fol[p], z], 1), np.concatenate([z, res0["fol"]], 1), effect)
    return WorldCohort(tables, float(effect), len(p), *truths)


__all__ = [
    "DECISION_AT_EVERY_VISIT", "DECISION_LAG_DAYS", "DECISION_VISIT_TYPES", "ITEMS", "LEAVE_OUT_VISIT_TYPES",
    "PIECES", "RECORDED_RULE_INPUTS", "WorldCohort", "lottery", "rule_score", "simulate_world16",
]  # fmt: skip

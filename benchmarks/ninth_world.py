"""A ninth data-generating mechanism, held out: written from the canonical format (spec/data-format.md,
spec/domain-rules.md), the docstrings of the second to eighth worlds (so as to differ from them) and ALS clinical
knowledge, without reading the estimators, their documentation pages or any calibration result, and without
running any estimator on it.

The other worlds use sigmoid, linear-quadratic, Markov-plateau, change-point, domain-ramp, item-Poisson,
subtype-random-walk and power-law courses; rounded-noise, graded-response, rater-noise, misrated-count,
partial-credit and ordinal-probit items; fixed, personal, renewal or monthly-slot visits; treatment on drops, true
slopes, thresholds of the total, calendar access, runs of poor visits, new losses, a waiting list or a phone call;
effects on slopes, clocks, rates or levels that start at once.  This world differs in every piece:

* **course: a slow drift with sudden losses.**  Each of the four ALSFRS-R domains (bulbar q1–q3, fine motor q4–q6,
  gross motor q7–q9, respiratory q10–q12; Cedarbaum et al., J Neurol Sci 1999;169:13–21) has a latent loss in
  points growing from onset at a constant drift r·w_d plus sudden steps: an intercurrent event (a fall, an
  infection, an admission) strikes at a Poisson rate λ(t) = λ0·(1 + t/24) per month (t months from onset, at most
  one a month), in one domain chosen with probability w_d, and takes Gamma(2, 0.9) points (mean 1.8) at once.
  r = 0.75·exp(0.45·z + 0.015·(age − 62) + 0.15·bulbar) points/month, λ0 = 0.06·exp(0.5·z')·(r/0.75)^0.5; the
  domain shares w = (0.22, 0.27, 0.31, 0.20) with the onset region's ×2 (upper limb → fine motor, lower limb →
  gross motor), normalised.  Older onset and bulbar onset progress faster (Chiò et al., Amyotroph Lateral Scler
  2009;10:310–323); the drift-plus-steps form and every constant are assumptions.  Bulbar onset 30%, limb 67%
  (upper or lower half each), respiratory 3%, men 60%, age at onset N(62, 11²) within 25–88 (Chiò et al. 2009).
  Recorded: sex, birth year, onset and diagnosis dates, onset site, El Escorial (often missing), riluzole (85%, no
  effect), genetics (C9orf72 8%, SOD1 2%, descriptive), the centre (``site``);
* **measurement: a reading per domain, laid out along the patient's own loss sequence.**  At a visit the rater
  reads each domain's loss as X_d = clip(round(ℓ_d + 0.5·ε_d + 0.3·ω), 0, 12) (ε per domain, ω shared by the
  visit); the X_d points lost are taken from the domain's items in the patient's fixed sequence of its 12 item
  points (each item's four points in order; the sequence sorts k + lead_item + 0.5·b + 0.35·ν, with leads
  speech before swallowing before salivation, handwriting before cutting before dressing, stairs before walking
  before turning in bed, dyspnea before orthopnea before respiratory insufficiency, b and ν per patient).  So a
  patient's recorded items always follow one pattern, and noise moves whole points along it (an assumption).  The
  respiratory items read the respiratory loss less 1.5 points: the first losses are seen only by spirometry (an
  assumption: dyspnea comes late).  FVC % predicted (``fvc_pct_pred``) is measured at every booked clinic visit:
  F0·(1 − ℓ_resp/9) + N(0, 4²), rounded, F0 ~ N(98, 12²) (assumptions; the recorded FVC falls 1.8 %/month on
  average, less than the −2.7 %/month of slow vital capacity in trial placebo arms, Andrews et al., JAMA Neurol
  2018, as a population registry's patients are slower).  Serum neurofilament light (``nfl``, pg/mL) is measured
  at HUB and METRO at the first clinic visit and then at the first clinic visit 5.5 months or more after the
  last: a patient level 45·(r/0.75)^0.7·exp(0.35·z'') × exp(0.15·ε), higher in faster disease and roughly stable
  over time (Lu et al., Neurology 2015;84:2247–2257; the constants are assumptions).  On NIV q12 is at most 3
  (its definition, spec/domain-rules.md); after a gastrostomy item 5 is q5b.  A quarter of phone visits are cut
  short and miss one domain's three items (their total is missing);
* **entry and visits: a multi-centre registry, booked visits on the recorded FVC, phone visits after sudden
  losses.**  Four centres: HUB (tertiary; 33% of limb-onset patients, 45% of bulbar-onset), METRO (27%, 22%), COAST
  (25%, 20%), RURAL (15%, 13%).  Diagnosis a Gamma(2.5) delay with mean 11 months after onset, shorter for faster
  courses (× (r/0.75)^−0.4; about a year: Paganoni et al., Amyotroph Lateral Scler Frontotemporal Degener
  2014;15:453–456), at least 2 months; the first registry visit a Gamma(2) wait after diagnosis with a mean of 5
  (HUB: referred on, more advanced), 1.5 (METRO), 2.5 (COAST) or 4 (RURAL) months.  The registry opened on
  2014-01-01 and recruits at the first visit only (an incident cohort: patients first seen before are not in
  it); onsets 2011–2021, data lock 2024-09-30; the cohort is the first n candidates alive at their first visit.
  At each clinic visit the next is booked after the centre's interval, 2 (HUB), 3 (METRO, COAST) or 4 (RURAL)
  months, × 0.6 when the recorded FVC is below 80% (closer respiratory monitoring), × exp(0.15·z) (clinics review
  about every 3 months: Miller et al., Neurology 2009;73:1218–1226; the intervals are assumptions).  After a
  sudden loss the patient phones with probability 0.5 and is rated by phone 5–21 days later (``assessor``
  phone; telephone ALSFRS-R is reliable, Kaufmann et al., Amyotroph Lateral Scler 2007;8:42–46, so no bias), unless
  a visit comes first.  The dose days of the programme are clinic visits too (a rating before the injection);
* **who is treated, and when: a centre's programme, decided on a falling FVC.**  At each booked clinic visit an
  untreated patient is eligible when at least two FVCs are recorded, the last is ≥ 50% (the respiratory reserve
  for lumbar punctures; trials ask for 50–65%, spec/domain-rules.md), the last complete total is ≥ 24, the
  diagnosis at most 48 months old, the age (visit year − birth year) at most 80, no NIV or gastrostomy has
  started, and the centre runs a programme: COAST only from 2019-07-01 (a policy change).  The centre then
  offers cells and the patient accepts with probability expit(c + s), s = centre (HUB +0.8, METRO 0, COAST +0.8,
  RURAL −0.8: its patients must travel) + 1.5·[FVC < 80%] + 0.08·(first FVC − this FVC)⁺ + 0.6·log(last NfL/45)
  (where measured) + 0.4·[a phone visit since the last clinic visit] − 0.03·(age − 60) + 0.5·ζ, with ζ = 0.3·z' +
  0.95·N(0, 1) the patient's unrecorded wish (the stated minority of unrecorded influence, a little correlated
  with the rate of sudden losses: mild unmeasured confounding).  Everything else in s is recorded (site, dates,
  measurements, phone rows, birth year).  c is set so that at most round(share · n) patients accept (each first
  acceptance is a deterministic function of c on the untreated history); a few die before their first dose.
  The programme (after NurOwn's phase 3 schedule, Cudkowicz et al., Muscle Nerve 2022;65:291): autologous
  bone-marrow cells intrathecally, 1.0–1.25×10⁸ cells, first dose 7–21 days after the decision, then exactly 8 and
  16 weeks later, while alive and before the lock; no loss to follow-up or transfer during the three doses.  All
  coefficients are assumptions;
* **a co-intervention, not part of the treatment.**  When the decision's FVC is below 65% the programme starts NIV
  on the day of the first dose (if the patient accepts NIV at all, 70%): earlier than the clinic's own rule (NIV
  offered at a recorded FVC below 50%, Miller et al. 2009).  NIV caps q12 at 3 and postpones respiratory death
  (below).  The truths compare the treated course with the same programme and NIV without the cells, so they
  hold the cells' effect only; an estimator that compares treated and untreated patients also sees the NIV
  (recorded in ``events``);
* **effect: delayed, lasting, on the motor domains only, with partial and non-responders.**  The cells slow the
  loss of the fine- and gross-motor domains that still have function at the first dose (latent loss below 11 of
  12), drift and steps alike, by a fraction ρ·h(s): s months after the first dose, h = 0 until 2 months, rising
  linearly to 1 at 4 months and staying there (the cells need time to act, then keep acting: an assumption).  ρ
  = min(E·g / R, 0.9), R the expected loss rate of those domains at the first dose (drift and steps): a patient
  with g = 1 loses E points/month less once the effect is on, never more than 90% of the rate (the cells slow
  the loss, never reverse it).  g = class × (NfL level/45)^−0.4: full responders 65% (class 1), partial 25%
  (0.5), non-responders 10% (0); a high NfL (faster, more advanced degeneration) responds less.  The bulbar and
  respiratory domains, FVC, NIV, gastrostomy and death are untouched; loss to follow-up (on the recorded gross-
  motor items, below) is not.  (Measured once the constants were set, not tuned: for patients with g in 0.8–1.25,
  the expected-total difference over the visits 4–12 months after the first dose, divided by the months since
  less 3, averages 0.91·E at E = 0.2 and 0.72·E at E = 0.5, where the 90% limit binds for slow motor losses; the
  items' floors take the rest.  ``truth_window`` comes out near 0.47·E and 0.37·E: the delay, the responder
  classes, the floors and short follow-up.)  All assumptions; E = 0 gives a nil gain;
* **follow-up ends by respiratory failure, fatal intercurrent events, transfer to palliative care, loss or the
  lock.**  Respiratory failure when the FVC would fall below a personal U(20, 35)%: death then, unless NIV
  started before, which postpones it by an exponential time of mean 7 months when the bulbar loss is below 6
  points and 1.5 months otherwise (NIV prolonged survival by a median 205 days in patients with better bulbar
  function and gave no survival benefit with severe bulbar impairment: Bourke et al., Lancet Neurol
  2006;5:140–147).  A sudden loss is fatal with probability 0.01 + 0.15·(bulbar loss/12) (aspiration; an
  assumption), death 6 days later; other causes at 0.0008·exp(0.07·(age − 62)) per month.  NIV (accepted by 70%)
  starts when the recorded FVC at a clinic visit is below 50% (0–1 month later; Miller et al. 2009), or when the
  respiratory loss passes U(4.5, 6.5) points (symptoms; 0–1 month later).  A gastrostomy is offered at each
  clinic visit with a recorded q3 ≤ 2 and accepted with probability 0.12 (placed 0.5–1.5 months later).  After
  each visit once NIV or a gastrostomy has started, a patient moves to palliative home care with probability
  0.05 (``withdrawal``, 1–30 days after the visit).  After each visit a patient is lost with probability expit(−6.2 +
  0.3·(12 − recorded gross-motor subscore) + 0.9·RURAL) (those who can no longer walk stop travelling: missing at
  random on the recorded items; the treated course's higher motor items keep patients longer), declared 12
  months after the last visit.  Thresholds and rates are assumptions, set so that median survival from onset is
  about 39 months (Kaplan–Meier with delayed entry; 30–45 months in population cohorts, spec/domain-rules.md)
  and the untreated patients' per-patient slope of the recorded total about −0.93 points/month on average, median
  −0.85 (−0.89 population-based, PRECISION-ALS); the first recorded total's median is 38 (36 at HUB, 39 at METRO).

All random numbers are drawn first in a fixed order and shared by every course.  The untreated course decides who
is offered cells and when; the programme's course shares it up to the decision, and then follows the patient
twice on the same visits (the visit times do not depend on the cells): with the cells (recorded) and without
them (with the programme's visits and NIV).  ``truth`` is E; ``truth_realised`` per treated patient the least
squares through the origin of (with − without cells expected recorded total) on months since the first dose
over the recorded post-dose visits, the mean over patients; ``truth_window`` and ``truth_observed`` from
``window_truth`` (the latter with the visits each course keeps before its loss to follow-up); zeros under E = 0.
The expected total is the expectation over the reading noise of the 12 items given the latent losses, the loss
sequence and the NIV cap (no partial rows).  Writes canonical tables (patients, treatments, alsfrs,
measurements, events).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr

from alscell.io.tables import Tables
from second_world import refuse_unknown
from window_truth import cohort_truths
from world_tables import DPM, ITEMS, WorldCohort, closing_events, event_rows, item_rows, share_cutoff

PIECES = {
    "steps": "sudden losses at intercurrent events on top of the drift (off: none; the drift carries their mean "
    "rate at 24 months from onset)",
    "loss_sequence": "each patient's own order in which a domain's points are lost (off: one fixed order for all)",
    "resp_lag": "the respiratory items lagging behind spirometry (off: they read the respiratory loss at once)",
    "centre_entry": "centres seeing patients at different times after diagnosis (off: the same wait everywhere)",
    "centre_rhythm": "each centre's own interval between booked visits (off: 3 months everywhere)",
    "fvc_visits": "visits booked sooner once the recorded FVC is below 80% (off: no)",
    "acute_visits": "phone visits after sudden losses (off: none)",
    "centre_propensity": "centres' different readiness to treat (off: the same everywhere, no policy change)",
    "policy_change": "COAST starting its programme on 2019-07-01 (off: at its later readiness throughout)",
    "fvc_trigger": "the recorded FVC level and fall in the decision (off: no FVC terms)",
    "nfl_decision": "the recorded NfL in the decision (off: no NfL term)",
    "unrecorded_will": "the unrecorded willingness in the decision (off: ζ = 0)",
    "co_intervention": "NIV started with the first dose when the decision's FVC is below 65% (off: no)",
    "delay": "the effect's onset 2–4 months after the first dose (off: full from the first dose)",
    "responder_classes": "full, partial and non-responders (off: every patient a full responder)",
    "nfl_modifier": "a weaker response at a high NfL (off: no modification)",
    "missing_items": "phone visits cut short, missing one domain's items",
    "niv_survival": "NIV started before respiratory failure postponing death (off: no postponement)",
    "palliative": "transfer to palliative care after NIV or a gastrostomy (withdrawal)",
    "loss": "loss to follow-up",
    "death": "death",
}
CENTRES = np.array(["HUB", "METRO", "COAST", "RURAL"])
CENTRE_P = np.array([[0.33, 0.27, 0.25, 0.15], [0.45, 0.22, 0.20, 0.13]])  # limb/respiratory onset, bulbar onset
CENTRE_WAIT = np.array([5.0, 1.5, 2.5, 4.0])  # months from diagnosis to the registry's first visit (mean)
CENTRE_GAP = np.array([2.0, 3.0, 3.0, 4.0])  # months between booked visits
CENTRE_OFFSET = np.array([0.8, 0.0, 0.8, -0.8])  # readiness to treat (COAST: from the policy date)
NFL_CENTRES = (0, 1)
ONSET_FROM, ONSET_YEARS = pd.Timestamp("2011-01-01"), 11
OPENING = pd.Timestamp("2014-01-01")
POLICY = pd.Timestamp("2019-07-01")
LOCK = pd.Timestamp("2024-09-30")
MONTHS, VMAX = 168, 190
SHARES = np.array([0.22, 0.27, 0.31, 0.20])  # bulbar, fine motor, gross motor, respiratory
ONSET_LOAD = 2.0
DRIFT_MEDIAN, STEP_RATE, STEP_SHAPE, STEP_SCALE = 0.75, 0.06, 2.0, 0.9
READ_SD, VISIT_SD = 0.5, 0.3
SD_READ = float(np.hypot(READ_SD, VISIT_SD))
RESP_LAG, FVC_SCALE = 1.5, 9.0
RAMP_FROM, RAMP_TO, CAP = 2.0, 4.0, 0.9
MOTOR, FUNCTION_LEFT = np.array([0.0, 1.0, 1.0, 0.0]), 11.0
DOSE_GAP = 56  # days
NFL_REF = 45.0
# the order in which a domain's items lose their points: a fixed lead per item (lower = earlier; an assumption)
LEADS = np.array([
    [0.0, 0.8, 0.4],  # speech, salivation, swallowing
    [0.0, 0.2, 0.5],  # handwriting, cutting food, dressing
    [0.9, 0.2, 0.0],  # turning in bed, walking, stairs
    [0.0, 0.4, 1.2],  # dyspnea, orthopnea, respiratory insufficiency
])  # fmt: skip
EPOCH = pd.Timestamp(0)


def _days(ts: pd.Timestamp) -> int:
    return (ts - EPOCH).days


def _ramp(s: np.ndarray, delay: bool) -> tuple[np.ndarray, np.ndarray]:
    """(h, H): the effect's share h(s) at s months after the first dose and its integral H(s)."""
    s = np.nan_to_num(s, nan=-1.0, posinf=-1.0, neginf=-1.0)
    if not delay:
        return (s >= 0).astype(float), np.maximum(s, 0.0)
    w = RAMP_TO - RAMP_FROM
    h = np.clip((s - RAMP_FROM) / w, 0.0, 1.0)
    big = np.where(s >= RAMP_TO, w / 2 + (s - RAMP_TO), np.clip(s - RAMP_FROM, 0.0, None) ** 2 / (2 * w))
    return h, big


def _hitting(r: np.ndarray, cum: np.ndarray, step: np.ndarray, frac: np.ndarray, level: np.ndarray) -> np.ndarray:
    """The first time (months from onset) a domain's latent loss r·t + steps reaches ``level`` (inf: never in the
    grid): ``cum`` the steps before each month (rows × months + 1), ``step`` each month's step at its ``frac``."""
    k = step.shape[1]
    ends = r[:, None] * np.arange(1, k + 1) + cum[:, 1:]
    crossed = ends >= level[:, None]
    mo = crossed.argmax(1)
    rows = np.arange(len(r))
    s0 = r * mo + cum[rows, mo]
    u, jump = frac[rows, mo], step[rows, mo]
    t_a = mo + (level - s0) / r
    before = s0 + r * u
    t = np.where(t_a <= mo + u, t_a, np.where(before + jump >= level, mo + u, mo + u + (level - before - jump) / r))
    return np.where(crossed.any(1), np.maximum(t, mo), np.inf)


def _death(t_other: np.ndarray, t_rf: np.ndarray, ext: np.ndarray, niv_t: np.ndarray) -> np.ndarray:
    """Death (months from onset): other causes, or respiratory failure, postponed by ``ext`` under NIV started
    before it."""
    return np.minimum(t_other, np.where(niv_t < t_rf, t_rf + ext, t_rf))


def _at(t: np.ndarray, rows: np.ndarray, r: np.ndarray, cum: np.ndarray, step: np.ndarray,
        frac: np.ndarray) -> np.ndarray:  # fmt: skip
    """Latent domain losses (len(rows) × 4) at times ``t`` (finite) of patients ``rows``."""
    mo = np.clip(np.floor(t), 0, step.shape[1] - 1).astype(int)
    now = (frac[rows, mo] <= t - mo)[:, None]
    return r[rows] * t[:, None] + cum[rows, mo] + step[rows, mo] * now


def simulate_world9(
    n_patients: int, effect: float, treated_share: float, seed: int, off: frozenset[str] = frozenset()
) -> WorldCohort:
    """A cohort of ``n_patients`` from the ninth world, effect E = ``effect``, about ``treated_share`` of them
    treated (at most round(share·n)), with the pieces of ``off`` switched off."""
    refuse_unknown(off, PIECES)
    on = lambda piece: piece not in off  # noqa: E731
    rng = np.random.default_rng(seed)
    n, m = n_patients, int(np.ceil(1.6 * n_patients)) + 60
    K, V = MONTHS, VMAX
    # all random numbers first, in a fixed order (shared by every course)
    z_a, z_s = rng.normal(0, 1, m), rng.normal(0, 1, m)
    site_u, upper = rng.random(m), rng.random(m) < 0.5
    sex_m = rng.random(m) < 0.60
    age = np.clip(rng.normal(62, 11, m), 25, 88)
    onset_day = _days(ONSET_FROM) + rng.integers(0, int(ONSET_YEARS * 365.25), m)
    delay_g = rng.gamma(2.5, 1 / 2.5, m)
    centre_u = rng.random(m)
    wait_g = rng.gamma(2.0, 0.5, m)
    f0 = np.clip(rng.normal(98, 12, m), 60, 140)
    theta = rng.uniform(20, 35, m)
    bg_x, ext_x = rng.exponential(1.0, m), rng.exponential(1.0, m)
    niv_ok = rng.random(m) < 0.70
    niv_level, niv_wait, niv_clinic_wait = rng.uniform(4.5, 6.5, m), rng.uniform(0, 1, m), rng.uniform(0, 1, m)
    nfl_z, zeta_z, cls_u = rng.normal(0, 1, m), rng.normal(0, 1, m), rng.random(m)
    lead_b = rng.normal(0, 1, (m, 4, 3))
    slot_nu = rng.normal(0, 1, (m, 4, 3, 4))
    u_step, u_frac, u_dom = rng.random((m, K)), rng.random((m, K)), rng.random((m, K))
    jump = rng.gamma(STEP_SHAPE, STEP_SCALE, (m, K))
    u_fatal, u_acute, acute_days = rng.random((m, K)), rng.random((m, K)), rng.uniform(5, 21, (m, K))
    eps = rng.standard_normal((m, V, 4), dtype=np.float32)
    omega = rng.standard_normal((m, V), dtype=np.float32)
    fvc_eps, nfl_eps, gap_z = (rng.standard_normal((m, V), dtype=np.float32) for _ in range(3))
    u_ref, u_gas, gas_wait, u_pal, pal_days, u_loss, u_partial, u_pdom = (
        rng.random((m, V), dtype=np.float32) for _ in range(8)
    )
    delay1 = rng.integers(7, 22, m)  # days from the decision to the first dose
    u_ril, u_ril_missing, u_esc, u_gen, u_dose, u_viab = (rng.random(m) for _ in range(6))

    # the course: a drift shared out over the four domains, and sudden losses in one domain at a time
    site_code = np.where(site_u < 0.30, 0, np.where(site_u < 0.97, 1, 2))  # bulbar, limb, respiratory
    bulbar = (site_code == 0).astype(float)
    onset_dom = np.where(site_code == 0, 0, np.where(site_code == 2, 3, np.where(upper, 1, 2)))
    w = np.tile(SHARES, (m, 1))
    w[np.arange(m), onset_dom] *= ONSET_LOAD
    w /= w.sum(1, keepdims=True)
    drift = DRIFT_MEDIAN * np.exp(0.45 * z_a + 0.015 * (age - 62) + 0.15 * bulbar)
    lam0 = STEP_RATE * np.exp(0.5 * z_s) * (drift / DRIFT_MEDIAN) ** 0.5
    mu_jump = STEP_SHAPE * STEP_SCALE
    if not on("steps"):
        drift = drift + lam0 * 2.0 * mu_jump
        lam0 = np.zeros(m)
    r = drift[:, None] * w
    months = np.arange(K) + 0.5
    occur = u_step < -np.expm1(-lam0[:, None] * (1 + months / 24.0))
    dom = (u_dom[..., None] > np.cumsum(w, 1)[:, None, :]).sum(-1).clip(0, 3)
    step = np.where(occur, jump, 0.0)[..., None] * (dom[..., None] == np.arange(4))
    cum = np.concatenate([np.zeros((m, 1, 4)), np.cumsum(step, 1)], 1)
    tau = np.arange(K) + u_frac  # a step's time

    # death: respiratory failure (FVC below a personal level), fatal intercurrent events, other causes
    rows_m = np.arange(m)
    t_rf = _hitting(r[:, 3], cum[..., 3], step[..., 3], u_frac, FVC_SCALE * (1 - theta / f0))
    bul_at_rf = np.where(np.isfinite(t_rf), _at(np.nan_to_num(t_rf, posinf=0.0), rows_m, r, cum, step, u_frac)[:, 0], 0)
    ext = ext_x * np.where(bul_at_rf < 6, 7.0, 1.5) if on("niv_survival") else np.zeros(m)
    bul_before = r[:, :1] * tau + cum[:, :-1, 0]
    fatal = occur & (u_fatal < 0.01 + 0.15 * np.minimum(bul_before / 12, 1))
    t_fatal = np.where(fatal.any(1), tau[rows_m, fatal.argmax(1)] + 0.2, np.inf)
    t_bg = bg_x / (0.0008 * np.exp(0.07 * (age - 62)))
    t_other = np.minimum(t_fatal, t_bg)
    t_sym = _hitting(r[:, 3], cum[..., 3], step[..., 3], u_frac, niv_level) + niv_wait
    niv_sym = np.where(niv_ok, t_sym, np.inf)
    if not on("death"):
        t_rf, t_other = np.full(m, np.inf), np.full(m, np.inf)

    # entry: diagnosis, then the centre's first visit; an incident registry opened on 2014-01-01
    p_c = CENTRE_P[bulbar.astype(int)]
    centre = (centre_u[:, None] > np.cumsum(p_c, 1)).sum(1).clip(0, 3)
    diag = np.maximum(11.0 * delay_g * (drift / DRIFT_MEDIAN) ** -0.4, 2.0)
    wait = (CENTRE_WAIT[centre] if on("centre_entry") else np.full(m, 2.5)) * wait_g
    first_day = onset_day + np.rint((diag + wait) * DPM).astype(int)
    first = (first_day - onset_day) / DPM
    lock_day = _days(LOCK)
    ok = (first_day >= _days(OPENING)) & (first_day <= lock_day) & (first < _death(t_other, t_rf, ext, niv_sym))
    keep = np.flatnonzero(ok)[:n]
    if len(keep) < n:
        raise RuntimeError("too few candidates enter the cohort")
    sel = lambda a: a[keep]  # noqa: E731
    (z_s, sex_m, age, onset_day, site_code, w, drift, lam0, r, occur, step, cum, tau) = map(
        sel, (z_s, sex_m, age, onset_day, site_code, w, drift, lam0, r, occur, step, cum, tau)
    )
    (u_frac, u_acute, acute_days, f0, t_rf, ext, t_other, niv_sym, niv_ok, niv_clinic_wait, centre, diag) = map(
        sel, (u_frac, u_acute, acute_days, f0, t_rf, ext, t_other, niv_sym, niv_ok, niv_clinic_wait, centre, diag)
    )
    (first_day, nfl_z, zeta_z, cls_u, lead_b, slot_nu, eps, omega, fvc_eps, nfl_eps, gap_z) = map(
        sel, (first_day, nfl_z, zeta_z, cls_u, lead_b, slot_nu, eps, omega, fvc_eps, nfl_eps, gap_z)
    )
    (u_ref, u_gas, gas_wait, u_pal, pal_days, u_loss, u_partial, u_pdom, delay1) = map(
        sel, (u_ref, u_gas, gas_wait, u_pal, pal_days, u_loss, u_partial, u_pdom, delay1)
    )
    (u_ril, u_ril_missing, u_esc, u_gen, u_dose, u_viab) = map(
        sel, (u_ril, u_ril_missing, u_esc, u_gen, u_dose, u_viab)
    )
    rows = np.arange(n)
    lock_m = (lock_day - onset_day) / DPM
    diag_day = onset_day + np.rint(diag * DPM).astype(int)
    birth_year = pd.to_datetime(onset_day, unit="D").year.to_numpy() - np.floor(age).astype(int)
    rural = (centre == 3).astype(float)

    # the loss sequences: which item of a domain loses each of the domain's 12 points
    keys = np.arange(4)[None, None, None, :] + LEADS[None, :, :, None]
    if on("loss_sequence"):
        keys = keys + 0.5 * lead_b[..., None] + 0.35 * slot_nu
    order = (
        np.argsort(np.broadcast_to(keys, (n, 4, 3, 4)).reshape(n, 4, 12), -1, kind="stable") // 4
    )  # item (0-2) of each point, in order
    counts = np.zeros((n, 4, 13, 3), np.int8)
    counts[:, :, 1:, :] = np.cumsum(order[..., None] == np.arange(3), 2)
    q12_first = (order[:, 3, :] == 2).argmax(1) + 1  # position (1-based) of q12's first point

    # the recorded NfL level (serum, pg/mL), higher in faster disease; the response's modifiers
    nfl_level = NFL_REF * np.exp(0.7 * np.log(drift / DRIFT_MEDIAN) + 0.35 * nfl_z)
    cls = np.where(cls_u < 0.65, 1.0, np.where(cls_u < 0.90, 0.5, 0.0)) if on("responder_classes") else np.ones(n)
    g = cls * ((nfl_level / NFL_REF) ** -0.4 if on("nfl_modifier") else 1.0)
    zeta = 0.3 * z_s + 0.95 * zeta_z if on("unrecorded_will") else np.zeros(n)
    gap = CENTRE_GAP[centre] if on("centre_rhythm") else np.full(n, 3.0)
    offset = CENTRE_OFFSET[centre] if on("centre_propensity") else np.zeros(n)
    coast_early = (centre == 2) & on("centre_propensity") & on("policy_change")
    acute_t = np.where(occur & (u_acute < 0.5) & on("acute_visits"), tau + acute_days / DPM, np.inf)
    acute_min = np.concatenate([np.minimum.accumulate(acute_t[:, ::-1], 1)[:, ::-1], np.full((n, 1), np.inf)], 1)
    big_day = np.iinfo(np.int64).max // 4
    policy_day = _days(POLICY)

    def read(lat: np.ndarray) -> np.ndarray:
        """The loss the items read: the respiratory items lag behind spirometry."""
        out = lat.copy()
        if on("resp_lag"):
            out[..., 3] = np.maximum(lat[..., 3] - RESP_LAG, 0.0)
        return out

    def items_of(x: np.ndarray, niv_now: np.ndarray) -> np.ndarray:
        """The 12 items (patients × 12) for domain readings ``x`` (patients × 4 points lost, 0-12)."""
        it = 4 - counts[rows[:, None], np.arange(4)[None, :], x].reshape(n, 12)
        it[:, 11] = np.where(niv_now, np.minimum(it[:, 11], 3), it[:, 11])
        return it

    def run(dec_day: np.ndarray | None) -> dict[str, np.ndarray]:
        """One course on the visits it generates: natural (``dec_day`` None: also the decision criterion at each
        booked visit) or under the programme decided at ``dec_day`` (-1: never), for which it follows two
        courses on the same visits: with the cells (recorded) and without them (``0``: for the truths)."""
        treated_run = dec_day is not None
        vday = np.full((n, V), -1, np.int64)
        vkind = np.full((n, V), -1, np.int8)
        fol1, fol0 = np.zeros((n, V), bool), np.zeros((n, V), bool)
        items_rec = np.zeros((n, V, 12), np.int8)
        miss = np.zeros((n, V, 12), bool)
        lat1, lat0 = np.zeros((n, V, 4), np.float32), np.zeros((n, V, 4), np.float32)
        nivon = np.zeros((n, V), bool)
        fvc, nfl = np.full((n, V), np.nan), np.full((n, V), np.nan)
        crit = np.full((n, V), np.inf)
        day_prev, t_prev = np.full(n, -(10**6), np.int64), np.full(n, -1.0)
        sched = first_day.astype(np.int64).copy()
        dose_days = np.full((n, 3), big_day, np.int64)
        n_dose = np.zeros(n, int)
        prot_end = np.full(n, -1, np.int64)
        ended1, ended0, done = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
        lost1, lost0, wd1 = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
        wd_day = np.full(n, -1, np.int64)
        niv_t, gas_t = niv_sym.copy(), np.full(n, np.inf)
        fvc_first, tot_last = np.full(n, np.nan), np.full(n, np.nan)
        g1_last, g0_last = np.full(n, 12.0), np.full(n, 12.0)
        n_sched = np.zeros(n, int)
        nfl_t, nfl_last = np.full(n, -np.inf), np.full(n, np.nan)
        acute_since = np.zeros(n, bool)
        cells = np.zeros(n, bool)
        t0c = np.full(n, np.inf)
        if treated_run:
            t0c = np.where(dec_day >= 0, (dec_day + delay1 - onset_day) / DPM, np.inf)
            # the motor domains that still have function at the first dose, and their expected loss rate then
            t0f = np.nan_to_num(t0c, posinf=0.0)
            motor = MOTOR * (read(_at(t0f, rows, r, cum, step, u_frac)) < FUNCTION_LEFT)
            rate = ((r + lam0[:, None] * (1 + t0f[:, None] / 24.0) * mu_jump * w) * motor).sum(1)
            with np.errstate(divide="ignore", invalid="ignore"):
                rho = np.where(rate > 0, np.minimum(effect * g / rate, CAP), 0.0)
            sh = step * _ramp(tau - t0c[:, None], on("delay"))[0][..., None] * motor[:, None, :]
            cumh = np.concatenate([np.zeros((n, 1, 4)), np.cumsum(sh, 1)], 1)
        for v in range(V):
            if done.all():
                break
            mp = np.clip(np.floor(t_prev), 0, K - 1).astype(int)
            here = np.where(tau[rows, mp] > t_prev, acute_t[rows, mp], np.inf)
            nxt = np.minimum(here, acute_min[rows, mp + 1])
            acute_day = np.where(
                np.isfinite(nxt) & (v > 0), onset_day + np.floor(np.nan_to_num(nxt, posinf=0) * DPM + 0.5), big_day
            )
            acute_day = acute_day.astype(np.int64)
            dose_next = np.where(n_dose < 3, dose_days[rows, np.minimum(n_dose, 2)], big_day)
            nd = np.minimum(np.minimum(sched, acute_day), dose_next)
            kind = np.where(dose_next == nd, 2, np.where(sched == nd, 0, 1))
            nd = np.maximum(nd, day_prev + 1)
            t = (nd - onset_day) / DPM
            done |= (nd > lock_day) | (t >= _death(t_other, t_rf, ext, niv_t))
            act = ~done
            if not act.any():
                break
            tt = np.where(act, t, 0.0)
            l0 = _at(tt, rows, r, cum, step, u_frac)
            l1 = l0
            if treated_run and effect != 0:
                mo = np.clip(np.floor(tt), 0, K - 1).astype(int)
                now = (u_frac[rows, mo] <= tt - mo)[:, None]
                big_h = _ramp(tt - t0c, on("delay"))[1]
                gain = rho[:, None] * motor * (r * big_h[:, None] + cumh[rows, mo] + sh[rows, mo] * now)
                l1 = l0 - cells[:, None] * gain
            noise = READ_SD * eps[:, v] + VISIT_SD * omega[:, v, None]
            niv_now = niv_t <= tt
            rd1, rd0 = read(l1), read(l0)
            it1 = items_of(np.clip(np.floor(rd1 + noise + 0.5), 0, 12).astype(int), niv_now)
            it0 = items_of(np.clip(np.floor(rd0 + noise + 0.5), 0, 12).astype(int), niv_now) if treated_run else it1
            ms = np.zeros((n, 12), bool)
            if on("missing_items"):
                cut = act & (kind == 1) & (u_partial[:, v] < 0.25)
                d_cut = np.minimum((u_pdom[:, v] * 4).astype(int), 3)
                ms = cut[:, None] & ((np.arange(12) // 3)[None, :] == d_cut[:, None])
            sch = act & (kind == 0)
            f_true = np.clip(f0 * (1 - l0[:, 3] / FVC_SCALE), 0, 150)
            f_rec = np.clip(np.round(f_true + 4.0 * fvc_eps[:, v]), 0, 150)
            nfl_now = sch & np.isin(centre, NFL_CENTRES) & (tt - nfl_t >= 5.5)
            nfl_rec = np.round(nfl_level * np.exp(0.15 * nfl_eps[:, v]), 1)
            vday[:, v] = np.where(act, nd, -1)
            vkind[:, v] = np.where(act, kind, -1)
            fol1[:, v], fol0[:, v] = act & ~ended1, act & ~ended0
            items_rec[:, v], miss[:, v] = it1, ms & act[:, None]
            lat1[:, v], lat0[:, v] = rd1, rd0
            nivon[:, v] = niv_now & act
            fvc[:, v] = np.where(sch, f_rec, np.nan)
            nfl[:, v] = np.where(nfl_now, nfl_rec, np.nan)
            # the recorded history
            complete = ~ms.any(1)
            tot_last = np.where(act & complete, it1.sum(1), tot_last)
            gross_ok = ~ms[:, 6:9].any(1)
            g1_last = np.where(act & gross_ok, it1[:, 6:9].sum(1), g1_last)
            g0_last = np.where(act & gross_ok, it0[:, 6:9].sum(1), g0_last)
            fvc_first = np.where(sch & np.isnan(fvc_first), f_rec, fvc_first)
            n_sched += sch
            nfl_t = np.where(nfl_now, tt, nfl_t)
            nfl_last = np.where(nfl_now, nfl_rec, nfl_last)
            acute_since |= act & (kind == 1)
            if not treated_run:
                year = nd.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
                age_at = year - birth_year
                elig = (
                    sch & (n_sched >= 2) & (f_rec >= 50) & (tot_last >= 24) & (nd - diag_day <= 48 * DPM)
                    & (age_at <= 80) & (niv_t > tt) & (gas_t > tt) & ~ended1
                )  # fmt: skip
                elig &= ~(coast_early & (nd < policy_day))  # COAST has no programme before the policy date
                score = offset - 0.03 * (age_at - 60) + 0.5 * zeta
                if on("fvc_trigger"):
                    score = score + 1.5 * (f_rec < 80) + 0.08 * np.maximum(fvc_first - f_rec, 0)
                if on("nfl_decision"):
                    score = score + np.where(
                        np.isfinite(nfl_last), 0.6 * np.log(np.nan_to_num(nfl_last, nan=1) / NFL_REF), 0
                    )
                score = score + 0.4 * acute_since
                ur = np.clip(u_ref[:, v].astype(float), 1e-9, 1 - 1e-9)
                crit[:, v] = np.where(elig, np.log(ur) - np.log1p(-ur) - score, np.inf)
            else:
                dec = sch & (nd == dec_day)
                first_dose = nd + delay1
                dose_days = np.where(dec[:, None], first_dose[:, None] + DOSE_GAP * np.arange(3), dose_days)
                prot_end = np.where(dec, first_dose + 2 * DOSE_GAP, prot_end)
                if on("co_intervention"):
                    co = dec & niv_ok & (f_rec < 65) & (niv_t > t0c)
                    niv_t = np.where(co, t0c + 0.4 / DPM, niv_t)
                given = act & (kind == 2)
                n_dose = n_dose + given
                cells |= given
            acute_since &= ~sch
            # the clinic's devices: a gastrostomy on a recorded swallowing loss, NIV on a recorded FVC below 50%
            ask = sch & np.isinf(gas_t) & (it1[:, 2] <= 2) & (u_gas[:, v] < 0.12)
            gas_t = np.where(ask, tt + 0.5 + gas_wait[:, v], gas_t)
            niv_c = sch & niv_ok & (f_rec < 50) & (niv_t > tt + niv_clinic_wait)
            niv_t = np.where(niv_c, tt + niv_clinic_wait, niv_t)
            # endings after the visit (not while in the programme's three doses)
            free = act & (nd > prot_end)
            if on("palliative"):
                move = free & ((niv_t <= tt) | (gas_t <= tt)) & (u_pal[:, v] < 0.05)
                new_wd = move & ~ended1
                wd1 |= new_wd
                wd_day = np.where(new_wd, nd + 1 + (pal_days[:, v] * 29).astype(int), wd_day)
                ended1 |= move
                ended0 |= move
            if on("loss"):
                p1 = expit(-6.2 + 0.3 * (12 - g1_last) + 0.9 * rural)
                p0 = expit(-6.2 + 0.3 * (12 - g0_last) + 0.9 * rural)
                gone1 = free & ~ended1 & (u_loss[:, v] < p1)
                gone0 = free & ~ended0 & (u_loss[:, v] < p0)
                lost1 |= gone1
                lost0 |= gone0
                ended1 |= gone1
                ended0 |= gone0
            if not treated_run:
                ended0, lost0 = ended1.copy(), lost1.copy()
            soon = np.where(on("fvc_visits") & (f_rec < 80), 0.6, 1.0)
            nxt_sched = nd + np.maximum(np.rint(gap * soon * np.exp(0.15 * gap_z[:, v]) * DPM), 14).astype(np.int64)
            sched = np.where(sch, nxt_sched, sched)
            day_prev = np.where(act, nd, day_prev)
            t_prev = np.where(act, tt, t_prev)
            done |= ended1 & ended0
        else:
            if not done.all():
                raise RuntimeError("VMAX visits are too few")
        return {
            "day": vday, "kind": vkind, "fol1": fol1, "fol0": fol0, "items": items_rec, "miss": miss,
            "lat1": lat1, "lat0": lat0, "nivon": nivon, "fvc": fvc, "nfl": nfl, "crit": crit, "lost": lost1,
            "wd": wd1, "wd_day": wd_day, "niv_t": niv_t, "gas_t": gas_t, "cells": cells, "t0": t0c,
        }  # fmt: skip

    natural = run(None)
    target = round(treated_share * n)
    cstar = natural["crit"].min(1)
    c = share_cutoff(cstar, target)
    decided = cstar < c
    v_dec = (natural["crit"] < c).argmax(1)
    dec_day = np.where(decided, natural["day"][rows, v_dec], -1)
    res = run(dec_day)
    treated = res["cells"]
    t0 = np.where(treated, res["t0"], np.inf)

    # the recorded course (with the cells for the treated)
    fol1, vday, kinds = res["fol1"], res["day"], res["kind"]
    tgrid = np.where(vday >= 0, (vday - onset_day[:, None]) / DPM, np.inf)
    last_idx = np.where(fol1, np.arange(V), -1).max(1)
    last_day = vday[rows, last_idx]
    last_t = (last_day - onset_day) / DPM
    death = _death(t_other, t_rf, ext, res["niv_t"])
    lost = res["lost"]
    wd_t = (res["wd_day"] - onset_day) / DPM
    withdrawn = res["wd"] & ~lost & (wd_t < death) & (res["wd_day"] <= lock_day)
    end_obs = np.where(lost, last_t, np.where(withdrawn, wd_t, lock_m))
    t_niv, t_gas = res["niv_t"], res["gas_t"]
    d_niv = np.rint(np.where(np.isfinite(t_niv), t_niv, 0) * DPM)
    d_gas = np.rint(np.where(np.isfinite(t_gas), t_gas, 0) * DPM)
    ids = np.array([f"W9{i:05d}" for i in range(n)])
    ev_rows = [
        event_rows(ids, onset_day, "niv_start", t_niv, d_niv, end_obs, lock_m, death),
        event_rows(ids, onset_day, "gastrostomy", t_gas, d_gas, end_obs, lock_m, death),
    ]
    died = (death < lock_m) & ~lost & ~withdrawn
    events, gastro_day = closing_events(ids, onset_day, ev_rows, res["wd_day"], withdrawn, died, death, last_day,
                                        lost, last_t, lock_m, 12.0)  # fmt: skip
    items = res["items"].astype(float)
    items[res["miss"]] = np.nan
    alsfrs = item_rows(ids, items, fol1, vday, gastro_day)
    pi, vi = np.nonzero(fol1)
    alsfrs["assessor"] = np.where(kinds[pi, vi] == 1, "phone", "clinician")
    pf, vf = np.nonzero(fol1 & np.isfinite(res["fvc"]))
    pn, vn = np.nonzero(fol1 & np.isfinite(res["nfl"]))
    measurements = pd.concat([
        pd.DataFrame({"patient_id": ids[pf], "date": pd.to_datetime(vday[pf, vf], unit="D"), "measure": "fvc_pct_pred",
                      "value": res["fvc"][pf, vf], "unit": "%"}),
        pd.DataFrame({"patient_id": ids[pn], "date": pd.to_datetime(vday[pn, vn], unit="D"), "measure": "nfl",
                      "value": res["nfl"][pn, vn], "unit": "pg/mL", "specimen": "serum"}),
    ], ignore_index=True)  # fmt: skip
    measurements = measurements.sort_values(["patient_id", "date", "measure"], kind="stable").reset_index(drop=True)

    sites = np.array(["bulbar", "limb", "respiratory"])
    riluzole = np.where(u_ril < 0.85, "true", "false").astype(object)
    riluzole[u_ril_missing < 0.05] = None
    escorial = np.array(["definite", "probable", "probable_lab", "possible"])[(u_esc * 4).astype(int) % 4].astype(
        object
    )
    escorial[u_esc > 0.7] = None
    genetics = np.where(u_gen < 0.08, "C9orf72", np.where(u_gen < 0.10, "SOD1", None)).astype(object)
    genetics[u_gen >= 0.10] = None
    patients = pd.DataFrame({
        "patient_id": ids,
        "sex": np.where(sex_m, "M", "F"),
        "birth_year": birth_year,
        "onset_date": pd.to_datetime(onset_day, unit="D"),
        "diagnosis_date": pd.to_datetime(diag_day, unit="D"),
        "onset_site": sites[site_code],
        "el_escorial": escorial,
        "riluzole": riluzole,
        "genetics": genetics,
        "site": CENTRES[centre],
    })  # fmt: skip
    pd_, vd_ = np.nonzero(fol1 & (kinds == 2))
    cycle = (np.cumsum(fol1 & (kinds == 2), 1))[pd_, vd_]
    treatments = pd.DataFrame({
        "treatment_id": [f"{ids[i]}-T{j}" for i, j in zip(pd_, cycle, strict=True)],
        "patient_id": ids[pd_],
        "date": pd.to_datetime(vday[pd_, vd_], unit="D"),
        "cycle": cycle,
        "cell_source": "bone_marrow",
        "donor": "autologous",
        "route": "intrathecal",
        "dose_cells": np.round(1.0e8 + 2.5e7 * u_dose[pd_], -5),
        "viability_pct": np.round(85 + 13 * u_viab[pd_], 1),
    })  # fmt: skip
    tables = Tables.from_frames(
        patients=patients, treatments=treatments, alsfrs=alsfrs, measurements=measurements, events=events
    )

    # truths over the treated patients' visits: with the cells minus without them (the same visits)
    p = np.flatnonzero(treated)
    if len(p) == 0:
        return WorldCohort(tables, float(effect), 0)
    ks = np.arange(1, 13) - 0.5

    def expected(lat: np.ndarray) -> np.ndarray:
        lat = lat[p].astype(float)
        ex = ndtr((lat[..., None] - ks) / SD_READ).sum((-1, -2))
        q12_kept = 1 - ndtr((lat[..., 3] - (q12_first[p, None] - 0.5)) / SD_READ)
        return 48 - ex - res["nivon"][p] * q12_kept

    e1, e0 = expected(res["lat1"]), expected(res["lat0"])
    since = np.where(np.isfinite(tgrid[p]), tgrid[p] - t0[p, None], 1e9)
    truths = cohort_truths(e1, e0, since, fol1[p], res["fol0"][p], effect)
    return WorldCohort(tables, float(effect), len(p), *truths)


__all__ = ["ITEMS", "PIECES", "WorldCohort", "simulate_world9"]

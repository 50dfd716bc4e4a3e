"""A tenth data-generating mechanism, held out: written from the canonical format (spec/data-format.md,
spec/domain-rules.md), the docstrings of the second to ninth worlds (so as to differ from them) and ALS clinical
knowledge, without reading the estimators, their documentation pages or any calibration result, and without
running any estimator on it.

The other worlds use sigmoid, linear-quadratic, Markov-plateau, change-point, domain-ramp, item-Poisson,
subtype-random-walk, power-law and drift-with-steps courses; rounded-noise, graded-response, rater-noise,
misrated-count, partial-credit, ordinal-probit and loss-sequence items; fixed, personal, renewal, monthly-slot or
booked visits, with a clinician rating nearly every one; treatment on drops, true slopes, thresholds of the
total, calendar access, runs of poor visits, new losses, a waiting list, a phone call or a falling FVC at any
time; effects on slopes, clocks, rates or levels, renewed by cycles or delayed.  This world is a registry whose
raters change over a patient's course and with treatment, and differs in every piece:

* **course: regional motor-unit reserves lost at one Gompertz hazard, with compensation.**  Each of four regions
  (bulbar q1–q3; cervical: fine motor q4–q6; lumbar: gross motor q7–q9; respiratory q10–q12; Cedarbaum et al.,
  J Neurol Sci 1999;169:13–21) has a reserve r_d = KAPPA·e^{x_d} of its motor units, x_d(t) = a_d − v_d·Λ(t)
  its log-margin above the compensation limit KAPPA = 0.4, Λ(t) = (b/c)·(e^{ct} − 1) a Gompertz cumulative
  hazard from onset (t months): the hazard of losing a motor unit rises exponentially over the course.  The
  region's function is F_d = clip((e^{x_d} − 0.1)/0.9, 0, 1): full while collateral reinnervation compensates
  (until 60% of the units are lost: weakness appears only once a large share of motor units is gone, an
  often-quoted observation of motor unit number estimation; the 60% is an assumption), then falling with the
  reserve, nil below a tenth of the compensable reserve.  So a region's decline starts when its margin is used
  up, then slows as the reserve shrinks and speeds up as the hazard rises.  The onset region starts at its
  limit (a = 0, vulnerability v = 1.5); the others keep a preclinical margin a_d = −log(KAPPA)·(0.3 + 0.6·U)
  when contiguous to the onset region (bulbar–cervical, cervical–lumbar, cervical–respiratory: the phrenic
  segments) and (0.6 + 0.4·U) otherwise, the respiratory region (0.65 + 0.35·U) and (0.85 + 0.15·U): it joins
  later (spread to contiguous regions first: Ravits & La Spada, Neurology 2009;73:805–811); v_d = (1, 1, 1,
  0.8)·e^{0.25·z_d}; generalized onset: every margin within a quarter of the limit.  b = 0.026·e^{0.45·z +
  0.015·(age − 63) + 0.2·bulbar} per month, c = 0.015·e^{0.4·z'} per month (at most 0.1; the hazard doubles in
  about 46 months at the median), older and bulbar onset faster (Chiò et al., Amyotroph Lateral Scler
  2009;10:310–323).  The Gompertz reserve, the compensation and every constant are assumptions, set so that
  the untreated patients' per-patient slope of the recorded total is −1.00 points/month on average, median
  −0.92 (clinician-rated rows only: −0.89, median −0.80; −0.99 PRO-ACT, −0.89 population-based, spec/domain-
  rules.md) and the first recorded total's median 43 (measured on 3,000 patients, seed 1).  Onset: bulbar 28%,
  limb 66% (cervical or lumbar half each), respiratory 3%, generalized 3%; men 59%; age at onset N(63, 11²)
  within 30–88 (Chiò et al. 2009).  Recorded: sex, birth year, onset and diagnosis dates, onset site, El
  Escorial (often missing), riluzole (82%, no effect), genetics (C9orf72 7%, SOD1 2%, descriptive), the site;
* **spirometry: slow vital capacity, the respiratory reserve itself.**  SVC % predicted (``svc_pct_pred``) =
  S0·r_resp^0.8 + N(0, 4²), rounded, S0 ~ N(100, 12²) within 70–130, measured at in-person clinic visits only.
  SVC falls before the respiratory items do (they follow the compensated function): dyspnea begins near an SVC
  of half the predicted value.  The recorded SVC falls 1.5 %/month on average among untreated patients (median
  1.4; −2.7 in trial placebo arms, Andrews et al., JAMA Neurol 2018, whose patients are selected faster); its
  first value's median is 74%.  The exponent and S0 are assumptions;
* **items: a power of the region's function read on the logit scale by each rater, then dithered.**  Item j of
  region d has the fraction f_j = F_d^{s_j·e^{0.2·η_ij}}: s = (1.5, 0.6, 1.0 | 1.4, 1.0, 0.8 | 0.6, 1.3, 1.7 |
  1.5, 0.9, 0.5) (speech before swallowing before salivation, handwriting first, stairs before walking before
  turning in bed, dyspnea before orthopnea before respiratory insufficiency; η a patient's own item
  sensitivity; assumptions).  A rater in mode k reads p = expit(logit f_j + δ_kj + σ_k·ε + 0.15·ω), ε per item,
  ω per visit, and records 4p dithered to an integer: ⌊4p⌋ plus one with probability 4p − ⌊4p⌋ (unbiased
  rounding).  An item whose region is untouched (f = 1) reads 4 in every mode; offsets act most at mid-scale
  and vanish at both bounds (a bounded item cannot read above 4).  On NIV q12 is at most 3, after a
  tracheostomy 0 (its definition, spec/domain-rules.md); after a gastrostomy item 5 is q5b.  Ratings made on an
  app or portal (self, caregiver) skip each item with probability 0.004 (about 5% of them partial, 2% of all
  rows);
* **raters: who rates changes with disability and with treatment.**  Four modes (``assessor``), offsets δ in
  logits and reading error σ (assumptions; telephone ALSFRS-R agrees well with in-clinic ratings, Kaufmann et
  al., Amyotroph Lateral Scler 2007;8:42–46; home self-ratings track clinic ones with more scatter, Maier et
  al., Amyotroph Lateral Scler 2012;13:210–216, Rutkove et al., Ann Clin Transl Neurol 2020;7:1148–1157):
  clinician δ = 0, σ = 0.30; self δ = +0.35 on the fine- and gross-motor items (patients count what they still
  do with effort or aids as normal), −0.5 on dyspnea and orthopnea (patients feel breathlessness before a
  clinician scores it), σ = 0.50; caregiver −0.6 on the bulbar items (they hear the speech and see the
  choking), −0.3 on the motor items, −0.2 on dyspnea and orthopnea, σ = 0.45; phone +0.15 on the fine-motor
  and +0.35 on the gross-motor items (walking and stairs are not seen), σ = 0.35; q12 (a fact of ventilation)
  has no offset.  At mid-scale an offset δ moves an item by about δ points;
* **entry and visits: monthly slots, a clinic review every third, home ratings between.**  Diagnosis a
  lognormal delay after onset, median 10 months (× 0.8 for bulbar onset, × (b/0.026)^−0.35, sd of log 0.45, at
  least 1.5 months; about a year: Paganoni et al., Amyotroph Lateral Scler Frontotemporal Degener
  2014;15:453–456); the first visit an exponential time (mean 1 month) later.  The registry opened on
  2016-03-01 and includes patients diagnosed from then on (incident by diagnosis), alive at their first visit,
  first seen a month or more before the lock; onsets 2013–2023, data lock 2025-03-31.  Three sites: UNI (45%),
  REG (35%), PRIV (20%).  From the first visit, slot k is k months later (± 5 days); every third slot is a
  clinic review (about every 3 months: Miller et al., Neurology 2009;73:1218–1226), the first in person, later
  ones by phone with probability expit(−3.5 + 0.7·(8 − recorded q8 − q9) + 0.5·REG) (travel gets hard once
  walking and stairs are lost), rated by the caregiver on the phone once the recorded speech q1 ≤ 1 (or after a
  tracheostomy).  The other slots are home ratings on the registry's app (from the opening at UNI and PRIV, from
  2019-01-01 at REG), done with probability expit(0.6 − 0.04·k + 0.8·e), e a patient's engagement N(0, 1)
  (adherence fades); self-rated, or by the caregiver once the recorded handwriting and dressing (q4 + q6) are
  2 or less or after a tracheostomy (85% have one; otherwise the slot is skipped).  Measured among untreated
  patients: clinician 55%, self 40%, phone 4%, caregiver 2% of the rows in the first year from onset; 36, 42,
  12 and 10% in the second; 25, 30, 18 and 27% in years 3–4; 13, 19, 23 and 44% later;
* **who is treated, and when: a trial-like window on the recorded SVC and its fall, cells six weeks later.**
  At each in-person clinic review an untreated patient is eligible when an earlier SVC is recorded, the SVC now
  is ≥ 60% (a trial's respiratory criterion, spec/domain-rules.md), the visit's total ≥ 30, the visit within
  30 months of onset, the age (visit year − birth year) ≤ 75 and neither NIV nor a gastrostomy has started.
  The neurologist refers the patient for cells and the patient accepts with probability expit(c + s), s =
  0.04·(100 − SVC) + 0.5·clip(fall, −4, 10) (fall: the recorded SVC's fall since the last one, % predicted per
  month) + site (UNI 0, REG −0.8, PRIV +0.9) + 0.3·bulbar − 0.04·(age − 60) + 0.7·ζ, ζ = 0.35·z' + 0.94·N(0, 1)
  the patient's unrecorded wish and means, a little correlated with the hazard's acceleration (the stated
  minority of unrecorded influence: its sd 0.7 against roughly 1.3 for the recorded terms at eligible visits,
  a count from the terms' spreads, not a measurement; mild unmeasured confounding).  Everything
  else is recorded.  c is set so that at most round(share · n) patients accept (each first acceptance is a
  deterministic function of c on the untreated history).  One intrathecal dose of autologous bone-marrow cells
  (6–10×10⁷) exactly 42 days after the qualifying visit (harvest and expansion), if alive and before the lock;
  the cell clinic rates the patient (clinician) on the dose day, no SVC.  No withdrawal or loss while awaiting
  the cells.  All coefficients are assumptions;
* **the cell clinic's follow-up: remote ratings after the dose.**  In the 12 months after the dose the treated
  patient's clinic reviews are in person with probability 0.4 only (otherwise the cell clinic's phone review,
  no SVC) and the home slots become the cell clinic's phone call (probability 0.55) or else a self-rating on its
  portal (0.85), the caregiver rating by the same rules as above; then the registry's rules again (a
  commercial clinic's practice, an assumption).  Measured (3,000 patients, E = 0.2): the treated's rows before
  the dose are 50% clinician, 46% self, 3% phone, 1% caregiver; in the year after it 14%, 23%, 44% and 19%;
  later 28%, 24%, 17% and 32%.  So the treated's recorded totals after the dose mix modes with offsets;
* **effect: a single dose slowing the spinal reserves' loss, largest at once, fading.**  After the dose at t0
  the clock of the cervical, lumbar and respiratory regions runs at 1 − ρ·e^{−(t − t0)/6} times the hazard (the
  bulbar region untouched: cells injected in the lumbar theca reach the brainstem less, an assumption): ρ =
  min(E·g / max(R, 0.5), 0.9), R the spinal regions' expected loss of function points per month at t0, so a
  patient with g = 1 loses E points/month less right after the dose, the gain in rate fading with a mean life
  of 6 months (intrathecal MSCs survive weeks; lenzumestrocel's gain vs control grew from +2.98 at 4 months to
  only +3.38 at 6, Oh et al., Ann Neurol 2018;84:361); never more than 90% of the hazard.  g = e^{0.5·z'' −
  0.125}·e^{−0.02·(age − 63)} (mean 1 at 63; autologous cells from older patients act less, an assumption).
  The slowed respiratory reserve raises the SVC and delays respiratory failure: survival changes with the
  cells.  (Measured once the constants were set, not tuned, on 3,000 patients: the expected-total difference
  divided by the months since the dose averages 0.63·E at E = 0.2 and 0.48·E at E = 0.5 over the visits 0.5–3
  months after it (the 90% limit binds for slow patients at E = 0.5; the items' bounds and the floor of R take
  the rest), 0.51·E and 0.37·E over 6–12 months, 0.34·E and 0.25·E over 12–24; ``truth_window`` near 0.4·E
  and 0.3·E.)  E = 0 gives ρ = 0 and the same course with and without cells;
* **follow-up ends by respiratory failure, aspiration, withdrawal, loss and the lock.**  Respiratory failure at
  a monthly hazard 0.8·expit((25 − SVC)/4) on the true SVC, × 0.5 once NIV has started when the bulbar function
  is at least half, × 0.85 otherwise (NIV prolonged survival with better bulbar function and little with
  severe bulbar impairment: Bourke et al., Lancet Neurol 2006;5:140–147); then 8% have a tracheostomy
  (``tracheostomy``; q12 = 0; death an exponential time of mean 18 months later; rated by caregivers), the
  others die.  Other deaths (aspiration, other causes) at 0.05·(1 − F_bulbar)² + 0.0008·e^{0.07·(age − 62)} per
  month.  NIV (accepted by 70%) starts U(0, 1) month after an in-person visit with a recorded SVC below 50% or
  any rating with a recorded orthopnea q11 ≤ 2 (so a self-rater's lower respiratory reading brings NIV
  earlier).  A gastrostomy is advised at an in-person visit with a recorded q3 ≤ 2, or q3 ≤ 3 with the SVC
  below 60% (before the vital capacity falls below 50%: Andersen et al., EFNS guideline, Eur J Neurol
  2012;19:360–375), accepted with probability 0.5, placed 0.5–1.5 months later.  After each clinic review a
  patient withdraws with probability 0.006 (0.15 after a tracheostomy: long-term care), dated 1–30 days later,
  and is lost with probability expit(−5 + 0.08·(38 − last complete recorded total)⁺ + 0.6·REG) (missing at
  random on recorded values, which mix the raters), declared 8 months after the last visit.  Hazards and rates
  are assumptions, set so that median survival from onset is 37 months (Kaplan–Meier with entry at the first
  visit; 30–45 months in population cohorts, spec/domain-rules.md).

All random numbers are drawn first in a fixed order and shared by every course; the visit slots do not depend
on the cells.  The untreated course decides who is referred and when; the programme's course shares it up to the
decision and then is followed twice on the same slots, with the cells (recorded) and without them (with the
programme's dose visit and remote follow-up), each with its own recorded history, NIV, deaths and endings.
``truth`` is E; ``truth_realised`` per treated patient the least squares through the origin of (with − without
cells expected clinician-rated total) on months since the dose over the recorded post-dose visits, the mean over
patients; ``truth_window`` and ``truth_observed`` from ``window_truth`` (the latter with the visits each course
keeps); zeros under E = 0.  The expected total is in clinician points whatever the mode of the row: the
expectation over the clinician's reading error of the 12 dithered items given the regions' functions, with
each course's NIV and tracheostomy caps on q12 (no partial rows).  Writes canonical tables (patients,
treatments, alsfrs, measurements, events).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.polynomial.hermite_e import hermegauss
from scipy.special import expit, logit

from alscell.io.tables import Tables
from second_world import refuse_unknown
from window_truth import cohort_truths
from world_tables import DPM, ITEMS, WorldCohort, closing_events, event_rows, item_rows, share_cutoff

PIECES = {
    "acceleration": "the Gompertz acceleration of the reserve's loss hazard (off: a constant hazard, the one the "
    "patient has 18 months after onset)",
    "margins": "each region's own preclinical margin at onset, smaller next to the onset region (off: the same "
    "margin in every region but the onset one)",
    "item_sensitivity": "items of a region lost at different levels of its function (off: every item reads the "
    "region's function)",
    "self_offsets": "self-ratings' own offsets and reading error (off: a clinician's)",
    "caregiver_offsets": "caregivers' own offsets and reading error (off: a clinician's)",
    "phone_offsets": "phone ratings' own offsets and reading error (off: a clinician's)",
    "home_ratings": "monthly self-ratings at home between clinic visits (off: none, outside the cell clinic's "
    "follow-up)",
    "phone_on_mobility": "clinic visits held by phone once the recorded walking and stairs items are low (off: in "
    "person, unless after a tracheostomy or in the cell clinic's follow-up)",
    "caregiver_raters": "caregivers rating when the patient can no longer (off: the patient rates)",
    "cell_clinic_followup": "the cell clinic's remote follow-up in the 12 months after the dose (off: the "
    "registry's own rules throughout)",
    "app_gaps": "items skipped in ratings made on the app (off: none)",
    "svc_level": "the recorded SVC level in the decision (off: no level term)",
    "svc_fall": "the recorded SVC's fall since the last measurement in the decision (off: no fall term)",
    "site_propensity": "the sites' different readiness to refer for cells (off: the same everywhere)",
    "unrecorded_will": "the unrecorded wish and means in the decision (off: none)",
    "fading": "the effect fading after the single dose (off: the hazard reduction stays at its first size)",
    "age_response": "a weaker response in older patients (off: no age term)",
    "response_spread": "responses differing between patients of the same age (off: no spread)",
    "spinal_only": "the effect sparing the bulbar region (off: every region)",
    "niv": "NIV on a recorded SVC below 50% or recorded orthopnea (off: none)",
    "tracheostomy": "tracheostomy at respiratory failure for some (off: none)",
    "gastrostomy": "gastrostomy on recorded swallowing and SVC (off: none)",
    "withdrawal": "withdrawal from the registry",
    "loss": "loss to follow-up",
    "death": "death",
}
SITES = np.array(["UNI", "REG", "PRIV"])
SITE_P = np.array([0.45, 0.35, 0.20])
SITE_OFFSET = np.array([0.0, -0.8, 0.9])  # readiness to refer for cells
ONSET_FROM, ONSET_YEARS = pd.Timestamp("2013-01-01"), 11
OPENING = pd.Timestamp("2016-03-01")  # the registry (and its rating app at UNI and PRIV)
REG_APP = pd.Timestamp("2019-01-01")  # the app at REG
LOCK = pd.Timestamp("2025-03-31")
MONTHS, SLOTS = 170, 112
EPOCH = pd.Timestamp(0)
# the course: a regional motor-unit reserve lost at a Gompertz hazard, compensated down to KAPPA of it
KAPPA, FLOOR = 0.4, 0.1
B_MEDIAN, C_MEDIAN, C_MAX = 0.026, 0.015, 0.1
SVC_POWER = 0.8
REGION = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])  # bulbar, fine motor (cervical), gross motor (lumbar), resp
VULN = np.array([1.0, 1.0, 1.0, 0.8])  # relative vulnerability of the regions (other than the onset one)
ONSET_VULN = 1.5  # the onset region's vulnerability
ADJACENT = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [0, 1, 1, 0], [0, 1, 0, 1]], bool)  # contiguous regions
SENS = np.array([1.5, 0.6, 1.0, 1.4, 1.0, 0.8, 0.6, 1.3, 1.7, 1.5, 0.9, 0.5])  # item's exponent on its region
# raters: logit offsets per item (clinician, self, caregiver, phone) and reading error sd (logit units)
DELTA = np.array([
    [0.0] * 12,
    [0.0, 0.0, 0.0, 0.35, 0.35, 0.35, 0.35, 0.35, 0.35, -0.5, -0.5, 0.0],
    [-0.6, -0.6, -0.6, -0.3, -0.3, -0.3, -0.3, -0.3, -0.3, -0.2, -0.2, 0.0],
    [0.0, 0.0, 0.0, 0.15, 0.15, 0.15, 0.35, 0.35, 0.35, 0.0, 0.0, 0.0],
])  # fmt: skip
SIGMA = np.array([0.30, 0.50, 0.45, 0.35])
DAY_SD = 0.15
CLIN, SELF, CARE, PHONE = 0, 1, 2, 3
MODES = np.array(["clinician", "self", "caregiver", "phone"])
# the effect: a single dose slowing the reserve's loss, fading with a mean life of FADE months
FADE, CAP, RATE_FLOOR = 6.0, 0.9, 0.5
DOSE_DELAY = 42  # days from the qualifying visit to the dose
FOLLOW_MONTHS = 12.0  # the cell clinic's remote follow-up after the dose


def _days(ts: pd.Timestamp) -> int:
    return (ts - EPOCH).days


def _clock(t: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The Gompertz cumulative hazard (b/c)·(e^{ct} − 1) from onset to ``t`` months."""
    return b / c * np.expm1(c * t)


def _slowed(t: np.ndarray, b: np.ndarray, c: np.ndarray, t0: np.ndarray, fade: bool) -> np.ndarray:
    """∫_{t0}^{t} e^{−(u − t0)/FADE}·b·e^{cu} du (0 before t0; without fading the plain integral)."""
    s = np.maximum(t - t0, 0.0)
    s = np.where(np.isfinite(s), s, 0.0)
    t0f = np.where(np.isfinite(t0), t0, 0.0)
    k = c - 1.0 / FADE if fade else c
    return b * np.exp(c * t0f) * np.expm1(k * s) / k


def _function(x: np.ndarray) -> np.ndarray:
    """A region's function (0-1) at log-margin ``x`` above its compensation limit."""
    return np.clip((np.exp(x) - FLOOR) / (1 - FLOOR), 0.0, 1.0)


def _cum_at(cum: np.ndarray, t: np.ndarray) -> np.ndarray:
    """A cumulative hazard on the monthly grid (rows × months + 1) at ``t`` months (linear within a month)."""
    k = np.clip(np.floor(t), 0, cum.shape[1] - 2).astype(int)
    rows = np.arange(len(t))
    return cum[rows, k] + (np.clip(t, 0, cum.shape[1] - 1) - k) * (cum[rows, k + 1] - cum[rows, k])


def _crossing(cum: np.ndarray, x: np.ndarray, niv: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """The time (months) at which the cumulative hazard ``cum`` (rows × months + 1), multiplied by ``phi`` after
    ``niv``, reaches ``x`` (inf: not on the grid)."""
    grid = np.arange(cum.shape[1], dtype=float)
    c_niv = _cum_at(cum, np.minimum(niv, grid[-1]))
    h = np.where(grid[None, :] <= niv[:, None], cum, c_niv[:, None] + phi[:, None] * (cum - c_niv[:, None]))
    above = h >= x[:, None]
    k = above.argmax(1)
    rows = np.arange(len(x))
    lo = h[rows, np.maximum(k - 1, 0)]
    hi = h[rows, k]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(hi > lo, (x - lo) / (hi - lo), 0.0)
    t = np.where(k > 0, k - 1 + frac, 0.0)
    return np.where(above.any(1), t, np.inf)


def simulate_world10(
    n_patients: int, effect: float, treated_share: float, seed: int, off: frozenset[str] = frozenset()
) -> WorldCohort:
    """A cohort of ``n_patients`` from the tenth world, effect E = ``effect``, about ``treated_share`` of them
    treated (at most round(share·n)), with the pieces of ``off`` switched off."""
    refuse_unknown(off, PIECES)
    on = lambda piece: piece not in off  # noqa: E731
    rng = np.random.default_rng(seed)
    n, m = n_patients, 2 * n_patients + 100
    K, V = MONTHS, SLOTS
    W = V + 1  # the slots, then the dose visit
    # all random numbers first, in a fixed order (shared by every course)
    site_u, upper, gen_u = rng.random(m), rng.random(m), rng.random(m)
    sex_m = rng.random(m) < 0.59
    age = np.clip(rng.normal(63, 11, m), 30, 88)
    onset_day = _days(ONSET_FROM) + rng.integers(0, int(ONSET_YEARS * 365.25), m)
    z_b, z_c = rng.normal(0, 1, m), rng.normal(0, 1, m)
    z_v = rng.normal(0, 1, (m, 4))
    u_margin = rng.random((m, 4))
    s0 = np.clip(rng.normal(100, 12, m), 70, 130)
    delay_z, wait_x = rng.normal(0, 1, m), rng.exponential(1.0, m)
    x_rf, x_other, trach_u, trach_ext = (
        rng.exponential(1.0, m),
        rng.exponential(1.0, m),
        rng.random(m),
        rng.exponential(18.0, m),
    )
    niv_ok, niv_wait = rng.random(m) < 0.70, rng.random(m)
    eta = rng.normal(0, 1, (m, 12))
    eng, has_cg = rng.normal(0, 1, m), rng.random(m) < 0.85
    zeta_z, g_z = rng.normal(0, 1, m), rng.normal(0, 1, m)
    site_centre_u = rng.random(m)
    jitter = rng.integers(-5, 6, (m, V))
    eps = rng.standard_normal((m, W, 12), dtype=np.float32)
    omega = rng.standard_normal((m, W), dtype=np.float32)
    u_dither = rng.random((m, W, 12), dtype=np.float32)
    u_gap = rng.random((m, W, 12), dtype=np.float32)
    svc_eps = rng.standard_normal((m, W), dtype=np.float32)
    u_mode, u_home, u_cell, u_port, u_dec, u_gas, gas_wait, u_wd, wd_days, u_loss = (
        rng.random((m, W), dtype=np.float32) for _ in range(10)
    )
    u_ril, u_esc, u_dose, u_viab = (rng.random(m) for _ in range(4))

    # the course: four regional reserves lost at one Gompertz hazard, each region's function compensated
    code = np.where(site_u < 0.28, 0, np.where(site_u < 0.94, 1, np.where(site_u < 0.97, 2, 3)))
    bulbar = (code == 0).astype(float)  # bulbar, limb, respiratory, generalized onset
    onset_reg = np.where(code == 0, 0, np.where(code == 2, 3, np.where(upper < 0.5, 1, 2)))
    b = B_MEDIAN * np.exp(0.45 * z_b + 0.015 * (age - 63) + 0.2 * bulbar)
    c = np.minimum(C_MEDIAN * np.exp(0.4 * z_c), C_MAX)
    if not on("acceleration"):
        b, c = b * np.exp(c * 18.0), np.full(m, 1e-6)
    v = VULN * np.exp(0.25 * z_v)
    rows_m = np.arange(m)
    v[rows_m, onset_reg] = ONSET_VULN
    top = -np.log(KAPPA)
    adj = ADJACENT[onset_reg]
    if on("margins"):
        a = top * np.where(adj, 0.3 + 0.6 * u_margin, 0.6 + 0.4 * u_margin)
        a[:, 3] = top * np.where(adj[:, 3], 0.65 + 0.35 * u_margin[:, 3], 0.85 + 0.15 * u_margin[:, 3])
    else:
        a = np.full((m, 4), 0.7 * top)
    a[code == 3] = top * 0.25 * u_margin[code == 3]
    a[rows_m, onset_reg] = 0.0

    def regions(t: np.ndarray, sl: np.ndarray | None = None) -> np.ndarray:
        """Log-margins (n × 4) at ``t`` months from onset; ``sl`` the clock spared by the cells per region."""
        clock = _clock(t, b, c)[:, None]
        if sl is not None:
            clock = clock - sl
        return a - v * clock

    # the clocks on the monthly grid (onset = 0), the hazards of respiratory failure and of other deaths
    mid = np.arange(K) + 0.5
    lam_mid = _clock(mid[None, :], b[:, None], c[:, None])
    x_mid = a[:, None, :] - v[:, None, :] * lam_mid[..., None]

    def hazards(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(respiratory failure, other) cumulative hazards (rows × K + 1) and the bulbar function (rows × K)."""
        svc = s0[:, None] * (KAPPA * np.exp(x[..., 3])) ** SVC_POWER
        fb = _function(x[..., 0])
        h_rf = 0.8 * expit((25.0 - svc) / 4.0)
        h_o = 0.05 * (1 - fb) ** 2 + 0.0008 * np.exp(0.07 * (age[:, None] - 62))
        zero = np.zeros((len(x), 1))
        return np.concatenate([zero, np.cumsum(h_rf, 1)], 1), np.concatenate([zero, np.cumsum(h_o, 1)], 1), fb

    cum_rf, cum_o, fb_mid = hazards(x_mid)
    t_o = _crossing(cum_o, x_other, np.full(m, np.inf), np.ones(m))
    t_rf = _crossing(cum_rf, x_rf, np.full(m, np.inf), np.ones(m))
    trach = (trach_u < 0.08) & on("tracheostomy")
    if not on("death"):
        t_o, t_rf, trach = np.full(m, np.inf), np.full(m, np.inf), np.zeros(m, bool)
    death_nat = np.minimum(t_o, t_rf + np.where(trach, trach_ext, 0.0))

    # entry: diagnosis, the first visit a month later; an incident registry (diagnosed from its opening)
    diag = np.maximum(10.0 * np.exp(0.45 * delay_z) * (b / B_MEDIAN) ** -0.35 * np.where(bulbar > 0, 0.8, 1.0), 1.5)
    diag_day = onset_day + np.rint(diag * DPM).astype(int)
    first_day = diag_day + np.rint(wait_x * DPM).astype(int)
    first = (first_day - onset_day) / DPM
    lock_day = _days(LOCK)
    ok = (diag_day >= _days(OPENING)) & (first_day <= lock_day - 30) & (first < death_nat)
    keep = np.flatnonzero(ok)[:n]
    if len(keep) < n:
        raise RuntimeError("too few candidates enter the cohort")
    sel = lambda arr: arr[keep]  # noqa: E731
    (site_u, gen_u, sex_m, age, onset_day, s0, x_rf, x_other, trach, trach_ext, niv_ok, niv_wait, eta, eng) = map(
        sel, (site_u, gen_u, sex_m, age, onset_day, s0, x_rf, x_other, trach, trach_ext, niv_ok, niv_wait, eta, eng)
    )
    (has_cg, zeta_z, g_z, site_centre_u, jitter, eps, omega, u_dither, u_gap, svc_eps) = map(
        sel, (has_cg, zeta_z, g_z, site_centre_u, jitter, eps, omega, u_dither, u_gap, svc_eps)
    )
    (u_mode, u_home, u_cell, u_port, u_dec, u_gas, gas_wait, u_wd, wd_days, u_loss) = map(
        sel, (u_mode, u_home, u_cell, u_port, u_dec, u_gas, gas_wait, u_wd, wd_days, u_loss)
    )
    (u_ril, u_esc, u_dose, u_viab, code, bulbar, b, c, v, a, z_c) = map(
        sel, (u_ril, u_esc, u_dose, u_viab, code, bulbar, b, c, v, a, z_c)
    )
    (cum_rf, cum_o, fb_mid, t_o, diag_day, first_day, first) = map(
        sel, (cum_rf, cum_o, fb_mid, t_o, diag_day, first_day, first)
    )
    rows_m = rows = np.arange(n)
    lock_m = (lock_day - onset_day) / DPM
    birth_year = pd.to_datetime(onset_day, unit="D").year.to_numpy() - np.floor(age).astype(int)
    site = (site_centre_u[:, None] > np.cumsum(SITE_P)[None, :]).sum(1).clip(0, 2)
    reg = (site == 1).astype(float)
    app_from = np.where(site == 1, _days(REG_APP), _days(OPENING))
    sens = SENS * np.exp(0.2 * eta) if on("item_sensitivity") else np.ones((n, 12))
    delta, sigma = DELTA.copy(), SIGMA.copy()
    for mode, piece in ((SELF, "self_offsets"), (CARE, "caregiver_offsets"), (PHONE, "phone_offsets")):
        if not on(piece):
            delta[mode], sigma[mode] = 0.0, SIGMA[CLIN]
    zeta = 0.35 * z_c + 0.94 * zeta_z if on("unrecorded_will") else np.zeros(n)
    g = np.exp((0.5 * g_z - 0.125) if on("response_spread") else 0.0) * (
        np.exp(-0.02 * (age - 63)) if on("age_response") else 1.0
    )
    offset = SITE_OFFSET[site] if on("site_propensity") else np.zeros(n)

    # the visit grid: a slot a month from the first visit (every third a clinic review), then the dose visit
    slot_day = first_day[:, None] + np.rint(np.arange(V) * DPM).astype(np.int64) + np.where(np.arange(V) > 0, jitter, 0)
    clinic_slot = np.arange(V) % 3 == 0
    big_day = np.iinfo(np.int64).max // 4

    def items_of(x: np.ndarray, mode: np.ndarray, w: int, cap12: np.ndarray, trach_now: np.ndarray) -> np.ndarray:
        """The 12 items (n × 12) rated in ``mode`` at log-margins ``x`` (n × 4), column ``w``'s random numbers."""
        f = _function(x)[:, REGION] ** sens
        with np.errstate(divide="ignore"):
            lg = logit(f)
        p = expit(lg + delta[mode] + sigma[mode][:, None] * eps[:, w] + DAY_SD * omega[:, w, None])
        y = 4 * p
        fl = np.floor(y)
        it = (fl + (u_dither[:, w] < y - fl)).astype(np.int8)
        it[:, 11] = np.where(trach_now, 0, np.where(cap12, np.minimum(it[:, 11], 3), it[:, 11]))
        return it

    def run(dec_day: np.ndarray | None, cells: bool) -> dict[str, np.ndarray]:
        """One course on the visit grid: natural (``dec_day`` None: also the decision criterion at each in-person
        clinic visit) or under the programme decided at ``dec_day`` (-1: never), with the cells or without."""
        programme = dec_day is not None
        dec_at = np.where(dec_day >= 0, dec_day, big_day) if programme else np.full(n, big_day)
        dose_day = np.where(dec_at < big_day, dec_at + DOSE_DELAY, big_day)
        t0 = np.where(dose_day < big_day, (dose_day - onset_day) / DPM, np.inf)
        eff = cells and effect != 0
        rho = np.zeros(n)
        if eff:
            # the spinal regions' expected loss rate of function points at the dose
            t0f = np.where(np.isfinite(t0), t0, 0.0)
            x0 = regions(t0f)
            h0 = b * np.exp(c * t0f)
            fr = _function(x0)
            active = (fr > 0) & (fr < 1)
            rate = (12 * np.exp(x0) * v * h0[:, None] / (1 - FLOOR) * active)[:, 1:].sum(1)
            rho = np.minimum(effect * g / np.maximum(rate, RATE_FLOOR), CAP)
        spare = np.array([0.0, 1.0, 1.0, 1.0]) if on("spinal_only") else np.ones(4)

        def lat(t: np.ndarray) -> np.ndarray:
            sl = (rho * _slowed(t, b, c, t0, on("fading")))[:, None] * spare if eff else None
            return regions(t, sl)

        if eff:
            sl = rho[:, None] * _slowed(mid[None, :], b[:, None], c[:, None], t0[:, None], on("fading"))
            xg = a[:, None, :] - v[:, None, :] * (lam_mid_k[..., None] - sl[..., None] * spare)
            crf, co, fbm = hazards(xg)
        else:
            crf, co, fbm = cum_rf, cum_o, fb_mid
        to = _crossing(co, x_other, np.full(n, np.inf), np.ones(n)) if eff else t_o
        if not on("death"):
            to = np.full(n, np.inf)
        niv_t = np.full(n, np.inf)
        phi = np.ones(n)
        trf = _crossing(crf, x_rf, niv_t, phi) if on("death") else np.full(n, np.inf)

        def death_of(trf_: np.ndarray) -> np.ndarray:
            return np.minimum(to, trf_ + np.where(trach, trach_ext, 0.0))

        fol = np.zeros((n, W), bool)
        mode_a = np.full((n, W), -1, np.int8)
        items = np.zeros((n, W, 12), np.int8)
        miss = np.zeros((n, W, 12), bool)
        svc = np.full((n, W), np.nan)
        crit = np.full((n, W), np.inf)
        ended, lost, wd = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
        wd_day = np.full(n, -1, np.int64)
        gas_t = np.full(n, np.inf)
        q1, q4, q6, q8, q9 = (np.full(n, 4.0) for _ in range(5))
        tot_last = np.full(n, 48.0)
        svc_prev, svc_prev_t, n_svc = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, int)
        dosed = np.zeros(n, bool)
        given = np.zeros(n, bool)
        pending = dose_day < big_day

        def contact(mask: np.ndarray, w: int, day: np.ndarray, mode: np.ndarray, in_person: np.ndarray) -> None:
            nonlocal niv_t, phi, trf, gas_t, tot_last, svc_prev, svc_prev_t, n_svc, q1, q4, q6, q8, q9
            t = (day - onset_day) / DPM
            tt = np.where(mask, t, 0.0)
            x = lat(tt)
            trach_now = trach & (trf <= tt)
            it = items_of(x, mode, w, niv_t <= tt, trach_now)
            ms = np.zeros((n, 12), bool)
            if on("app_gaps"):
                ms = ((mode == SELF) | (mode == CARE))[:, None] & (u_gap[:, w] < 0.004)
            fol[:, w] |= mask
            mode_a[:, w] = np.where(mask, mode, mode_a[:, w])
            items[:, w] = np.where(mask[:, None], it, items[:, w])
            miss[:, w] = ms & mask[:, None]
            meas = mask & in_person & ~trach_now
            svc_true = s0 * (KAPPA * np.exp(x[:, 3])) ** SVC_POWER
            s_rec = np.clip(np.round(svc_true + 4.0 * svc_eps[:, w]), 0, 150)
            svc[:, w] = np.where(meas, s_rec, np.nan)
            # the recorded history
            q1 = np.where(mask & ~ms[:, 0], it[:, 0], q1)
            q4 = np.where(mask & ~ms[:, 3], it[:, 3], q4)
            q6 = np.where(mask & ~ms[:, 5], it[:, 5], q6)
            q8 = np.where(mask & ~ms[:, 7], it[:, 7], q8)
            q9 = np.where(mask & ~ms[:, 8], it[:, 8], q9)
            complete = ~ms.any(1)
            tot_last = np.where(mask & complete, it.sum(1), tot_last)
            fall = np.where(n_svc > 0, (svc_prev - s_rec) / np.maximum(tt - svc_prev_t, 0.5), np.nan)
            if not programme:
                year = day.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
                age_at = year - birth_year
                elig = (
                    meas & (n_svc >= 1) & (s_rec >= 60) & (it.sum(1) >= 30) & (tt <= 30.0) & (age_at <= 75)
                    & (niv_t > tt) & (gas_t > tt) & ~ended
                )  # fmt: skip
                score = offset + 0.3 * bulbar - 0.04 * (age_at - 60) + 0.7 * zeta
                if on("svc_level"):
                    score = score + 0.04 * (100 - s_rec)
                if on("svc_fall"):
                    score = score + 0.5 * np.clip(np.nan_to_num(fall), -4, 10)
                ur = np.clip(u_dec[:, w].astype(float), 1e-9, 1 - 1e-9)
                crit[:, w] = np.where(elig, np.log(ur) - np.log1p(-ur) - score, np.inf)
            svc_prev = np.where(meas, s_rec, svc_prev)
            svc_prev_t = np.where(meas, tt, svc_prev_t)
            n_svc = n_svc + meas
            # NIV on a recorded SVC below 50% (in person) or recorded orthopnea (q11 <= 2, any rater)
            if on("niv"):
                ask = mask & niv_ok & np.isinf(niv_t) & ((meas & (s_rec < 50)) | (it[:, 10] <= 2) & ~ms[:, 10])
                if ask.any():
                    niv_t = np.where(ask, tt + niv_wait, niv_t)
                    fbn = fbm[rows, np.clip(np.floor(niv_t), 0, K - 1).astype(int)]
                    phi = np.where(ask, np.where(fbn >= 0.5, 0.5, 0.85), phi)
                    p = np.flatnonzero(ask)
                    if on("death"):
                        trf[p] = _crossing(crf[p], x_rf[p], niv_t[p], phi[p])
            # gastrostomy on recorded swallowing, earlier when the SVC is low (in person)
            if on("gastrostomy"):
                offer = meas & np.isinf(gas_t) & ((it[:, 2] <= 2) | ((it[:, 2] <= 3) & (s_rec < 60)))
                offer &= u_gas[:, w] < 0.5
                gas_t = np.where(offer, tt + 0.5 + gas_wait[:, w], gas_t)

        for vv in range(V):
            if ended.all():
                break
            # the dose visit first, when it falls before this slot
            due = pending & ~dosed & (dose_day < slot_day[:, vv])
            if due.any():
                td = (dose_day - onset_day) / DPM
                can = due & ~ended & (dose_day <= lock_day) & (td < death_of(trf))
                contact(can, V, dose_day, np.full(n, CLIN, np.int8), np.zeros(n, bool))
                given |= can
                dosed |= due
            day = slot_day[:, vv]
            t = (day - onset_day) / DPM
            ended |= (day > lock_day) | (t >= death_of(trf))
            act = ~ended
            if not act.any():
                break
            trach_now = trach & (trf <= t)
            after = given & (day > dose_day) & (t - t0 <= FOLLOW_MONTHS) & on("cell_clinic_followup")
            unable = (q1 <= 1) | trach_now if on("caregiver_raters") else np.zeros(n, bool)
            unable_app = (q4 + q6 <= 2) | trach_now if on("caregiver_raters") else np.zeros(n, bool)
            if clinic_slot[vv]:
                mob = q8 + q9
                p_phone = expit(-3.5 + 0.7 * (8 - mob) + 0.5 * reg) if on("phone_on_mobility") else np.zeros(n)
                remote = np.where(after, u_mode[:, vv] >= 0.4, u_mode[:, vv] < p_phone) | (vv > 0) & trach_now
                remote &= vv > 0
                mode = np.where(remote, np.where(unable, CARE, PHONE), CLIN).astype(np.int8)
                done = act.copy()
            else:
                months = vv
                p_home = expit(0.6 - 0.04 * months + 0.8 * eng) if on("home_ratings") else np.zeros(n)
                home = (u_home[:, vv] < p_home) & (day >= app_from)
                call = after & (u_cell[:, vv] < 0.55)
                portal = after & ~call & (u_port[:, vv] < 0.85)
                self_ok = np.where(after, portal, home)
                mode = np.where(call, np.where(unable, CARE, PHONE), np.where(unable_app, CARE, SELF)).astype(np.int8)
                done = act & (call | (self_ok & (~unable_app | has_cg)))
                remote = np.ones(n, bool)
            contact(done, vv, day, mode, done & ~remote)
            if not clinic_slot[vv]:
                continue
            # endings after a clinic review (in person or by phone), not while awaiting the dose
            free = done & ~(pending & ~dosed & (day >= dec_at))
            if on("withdrawal"):
                p_wd = np.where(trach_now, 0.15, 0.006)
                out = free & ~ended & (u_wd[:, vv] < p_wd)
                wd |= out
                wd_day = np.where(out, day + 1 + (wd_days[:, vv] * 29).astype(int), wd_day)
                ended |= out
            if on("loss"):
                p_loss = expit(-5.0 + 0.08 * np.maximum(38 - tot_last, 0) + 0.6 * reg)
                gone = free & ~ended & (u_loss[:, vv] < p_loss)
                lost |= gone
                ended |= gone
        else:
            if (~ended).any():
                raise RuntimeError("SLOTS are too few")
        return {
            "fol": fol, "mode": mode_a, "items": items, "miss": miss, "svc": svc, "crit": crit, "lost": lost,
            "wd": wd, "wd_day": wd_day, "niv_t": niv_t, "gas_t": gas_t, "trf": trf, "to": to, "given": given,
            "t0": t0, "dose_day": dose_day, "rho": rho, "death": death_of(trf),
        }  # fmt: skip

    lam_mid_k = lam_mid[keep]
    natural = run(None, False)
    target = round(treated_share * n)
    cstar = natural["crit"].min(1)
    cut = share_cutoff(cstar, target)
    decided = cstar < cut
    w_dec = (natural["crit"] < cut).argmax(1)
    dec_day = np.where(decided, slot_day[rows, np.minimum(w_dec, V - 1)], -1)
    res = run(dec_day, True)
    res0 = run(dec_day, False) if effect != 0 else res
    treated = res["given"]

    # the recorded course (with the cells for the treated)
    fol = res["fol"]
    vday = np.concatenate([slot_day, res["dose_day"][:, None]], 1)
    vday = np.where(fol, vday, -1)
    last_day = vday.max(1)
    last_t = (last_day - onset_day) / DPM
    death = res["death"]
    lost = res["lost"]
    wd_t = (res["wd_day"] - onset_day) / DPM
    withdrawn = res["wd"] & ~lost & (wd_t < death) & (res["wd_day"] <= lock_day)
    end_obs = np.where(lost, last_t, np.where(withdrawn, wd_t, lock_m))
    t_niv, t_gas = res["niv_t"], res["gas_t"]
    t_tr = np.where(trach & np.isfinite(res["trf"]), res["trf"], np.inf)
    d_niv, d_gas, d_tr = (np.rint(np.where(np.isfinite(x), x, 0) * DPM) for x in (t_niv, t_gas, t_tr))
    ids = np.array([f"W10{i:05d}" for i in range(n)])
    ev_rows = [
        event_rows(ids, onset_day, "niv_start", t_niv, d_niv, end_obs, lock_m, death),
        event_rows(ids, onset_day, "gastrostomy", t_gas, d_gas, end_obs, lock_m, death),
        event_rows(ids, onset_day, "tracheostomy", t_tr, d_tr, end_obs, lock_m, death),
    ]
    died = (death < lock_m) & ~lost & ~withdrawn
    events, gastro_day = closing_events(ids, onset_day, ev_rows, res["wd_day"], withdrawn, died, death, last_day,
                                        lost, last_t, lock_m, 8.0)  # fmt: skip
    items = res["items"].astype(float)
    items[res["miss"]] = np.nan
    alsfrs = item_rows(ids, items, fol, vday, gastro_day)
    pi, vi = np.nonzero(fol)
    alsfrs["assessor"] = MODES[res["mode"][pi, vi]]
    alsfrs = alsfrs.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    ps, vs = np.nonzero(fol & np.isfinite(res["svc"]))
    measurements = pd.DataFrame({
        "patient_id": ids[ps], "date": pd.to_datetime(vday[ps, vs], unit="D"), "measure": "svc_pct_pred",
        "value": res["svc"][ps, vs], "unit": "%",
    })  # fmt: skip
    measurements = measurements.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)

    onset_names = np.array(["bulbar", "limb", "respiratory", "generalized"])
    riluzole = np.where(u_ril < 0.82, "true", "false").astype(object)
    riluzole[u_ril > 0.96] = None
    escorial = np.array(["definite", "probable", "probable_lab", "possible"])[(u_esc * 4).astype(int) % 4].astype(
        object
    )
    escorial[u_esc > 0.6] = None
    genetics = np.where(gen_u < 0.07, "C9orf72", np.where(gen_u < 0.09, "SOD1", None)).astype(object)
    patients = pd.DataFrame({
        "patient_id": ids,
        "sex": np.where(sex_m, "M", "F"),
        "birth_year": birth_year,
        "onset_date": pd.to_datetime(onset_day, unit="D"),
        "diagnosis_date": pd.to_datetime(diag_day, unit="D"),
        "onset_site": onset_names[code],
        "el_escorial": escorial,
        "riluzole": riluzole,
        "genetics": genetics,
        "site": SITES[site],
    })  # fmt: skip
    pt = np.flatnonzero(treated & fol[:, V])
    treatments = pd.DataFrame({
        "treatment_id": [f"{ids[i]}-T1" for i in pt],
        "patient_id": ids[pt],
        "date": pd.to_datetime(res["dose_day"][pt], unit="D"),
        "cycle": 1,
        "cell_source": "bone_marrow",
        "donor": "autologous",
        "route": "intrathecal",
        "dose_cells": np.round(6.0e7 + 4.0e7 * u_dose[pt], -5),
        "viability_pct": np.round(88 + 10 * u_viab[pt], 1),
    })  # fmt: skip
    tables = Tables.from_frames(
        patients=patients, treatments=treatments, alsfrs=alsfrs, measurements=measurements, events=events
    )

    # truths over the treated patients' visits: expected clinician totals with minus without the cells
    p = np.flatnonzero(treated)
    if len(p) == 0:
        return WorldCohort(tables, float(effect), 0)
    tgrid = np.concatenate([slot_day[p], res["dose_day"][p, None]], 1)
    tgrid = (tgrid - onset_day[p, None]) / DPM
    t0p = res["t0"][p]
    since = tgrid - t0p[:, None]
    seen = fol[p] | res0["fol"][p]
    pi_, wi_ = np.nonzero(seen)
    tt = tgrid[pi_, wi_]
    pp = p[pi_]
    nodes, weights = hermegauss(16)
    weights = weights / weights.sum()
    s_clin = float(np.hypot(SIGMA[CLIN], DAY_SD))
    spare = np.array([0.0, 1.0, 1.0, 1.0]) if on("spinal_only") else np.ones(4)
    lam = _clock(tt, b[pp], c[pp])
    sl = res["rho"][pp] * _slowed(tt, b[pp], c[pp], res["t0"][pp], on("fading"))

    def expected(x: np.ndarray, out: dict[str, np.ndarray]) -> np.ndarray:
        """The expected clinician-rated total at the visits ``seen`` (their log-margins ``x``), with the NIV and
        tracheostomy caps of course ``out``."""
        f = _function(x)[:, REGION] ** sens[pp]
        with np.errstate(divide="ignore"):
            lg = logit(f)
        y = 4 * expit(lg[..., None] + s_clin * nodes)
        ex = y @ weights
        over = np.maximum(y[:, 11] - 3, 0) @ weights
        niv_on = out["niv_t"][pp] <= tt
        tr_on = trach[pp] & (out["trf"][pp] <= out["death"][pp]) & (out["trf"][pp] <= tt)
        q12 = np.where(tr_on, 0.0, ex[:, 11] - niv_on * over)
        full = np.zeros(seen.shape)
        full[pi_, wi_] = ex[:, :11].sum(1) + q12
        return full

    x0 = a[pp] - v[pp] * lam[:, None]
    x1 = a[pp] - v[pp] * (lam[:, None] - sl[:, None] * spare)
    e1, e0 = expected(x1, res), expected(x0, res0)
    truths = cohort_truths(e1, e0, since, fol[p], res0["fol"][p], effect)
    return WorldCohort(tables, float(effect), len(p), *truths)


__all__ = ["ITEMS", "PIECES", "WorldCohort", "simulate_world10"]

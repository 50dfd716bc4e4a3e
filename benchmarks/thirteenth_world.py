"""A thirteenth data-generating mechanism, held out: written from the canonical format (spec/data-format.md,
spec/domain-rules.md), the docstrings of the second to twelfth worlds (so as to differ from them), the twelfth
world's code as an example of the interface and ALS clinical knowledge, without reading the estimators, their
documentation pages or any calibration result, and without running any estimator on it.

The other worlds use sigmoid, linear-quadratic, Markov-plateau, change-point, domain-ramp, item-Poisson,
subtype-random-walk, power-law, drift-with-steps, Gompertz-reserve, coupled-propagation and burden-clock courses;
rounded-noise, graded-response, rater-noise, misrated-count, partial-credit, ordinal-probit, loss-sequence,
logit-dithered, beta-binomial and continuation-ratio items; fixed, personal, renewal, monthly-slot, booked, banded,
3-monthly or tapering visits; treatment on drops, true slopes, thresholds of the total, calendar access, runs of poor
visits, new losses, a waiting list, a phone call, a falling FVC/SVC, a strength asymmetry or CSF CHI3L1; bone-marrow,
adipose or umbilical-cord cells; effects on slopes, clocks, rates, levels, hazards, local pulses or an activity's
mean.  This world is a registry whose centre runs a programme of intrathecal Wharton's jelly cells for patients
whose blood neurofilament lies in a band, and differs in every piece:

* **course: a front spreading along the neuraxis, motor neurons lost exponentially behind it.**  The neuraxis is 35
  segments in a row: 8 brainstem levels (an assumption for the bulbar nuclei), C1-C8, T1-T12, L1-L5, S1-S2.
  Degeneration starts at a focus and spreads to contiguous segments in both directions (focality and contiguous
  spread: Ravits & La Spada, Neurology 2009;73:805-811): crossing each boundary takes a Gamma(shape 2) time of mean
  tau·c_b months, tau = 1.8·e^{-0.35·z - 0.01·(age - 63)} the patient's transit scale, c_b 0.7 inside the brainstem,
  2.5 across the cranio-cervical junction, 1 in the cervical cord and at C8|T1, 0.6 in the thoracic cord, 1 at
  T12|L1 and in the lumbosacral cord; segment s is reached at T_s (the sum of the crossings from the focus; the
  nearest of three foci for a generalized onset).  Behind the front the segment loses its motor neurons at a
  constant hazard: its lost fraction is l_s(t) = 1 - e^{-k_s·(t - T_s)+}, k_s = 0.035·e^{0.4·z_k + 0.015·(age - 63) +
  0.15·bulbar + 0.15·C9orf72}·e^{0.2·z_r}, z_r per El Escorial region (bulbar, cervical, thoracic, lumbosacral), z_k
  = 0.5·z + 0.87·N(0, 1) (fast spread and fast loss go together; older and bulbar onset faster: Chiò et al.,
  Amyotroph Lateral Scler 2009;10:310-323).  Symptom onset (t = 0) is when the focus segment has lost 35%.  Foci:
  bulbar onset 28% (a brainstem level), limb 64% (half arm, C5-T1; half leg, L2-S2), respiratory 4% (C3-C5),
  generalized 4% (a brainstem, an arm and a leg focus at once); men 60%; age at onset N(63, 11²) within 30-88 (Chiò
  et al. 2009).  Six item groups average the segments' losses: bulbar (the brainstem), phrenic (C3-C5), arm (C5-T1),
  hand (C8-T1), trunk (T1-T12), leg (L2-S2).  The spread, the segment count, the transit and loss constants are
  assumptions, set so that the untreated patients' per-patient slope of the recorded total is -0.98 points/month on
  average, median -0.92, 95% of patients between -2.12 and -0.18 (-0.99 PRO-ACT, -0.89 population-based with 95%
  between -0.04 and -1.96, spec/domain-rules.md), the first recorded total's median 39, the median survival from
  onset 34 months (measured on ``simulate_world13(3000, 0.0, 0.0, 1)``: per patient the least-squares slope of the
  complete totals on months over the 2,661 patients with two or more spanning 3 months or more; survival by
  Kaplan-Meier with entry at the diagnosis, censored at the lock or, for the lost and withdrawn, at the last visit);
* **items: four sub-tasks per item, each failed with a Weibull probability (a Poisson-binomial count).**  Item j
  reads the loss y_j, a mix of the groups (Cedarbaum et al., J Neurol Sci 1999;169:13-21): speech, salivation,
  swallowing the bulbar group; handwriting 0.6 hand + 0.4 arm; cutting food 0.3 hand + 0.7 arm; dressing 0.7 arm +
  0.3 leg; turning in bed 0.4 arm + 0.3 trunk + 0.3 leg; walking the leg; stairs 0.85 leg + 0.15 trunk; dyspnea and
  respiratory insufficiency 0.6 phrenic + 0.4 trunk, orthopnea 0.8 phrenic + 0.2 trunk (the diaphragm).  Each item is
  4 minus the number of its four sub-tasks failed, independently, sub-task k with probability 1 - e^{-(y_j/b_jk)^4},
  b_jk = lead_j·(0.30, 0.48, 0.64, 0.80) (at most 0.97), lead = (0.9, 1.15, 1.0 | 0.85, 1.0, 1.05 | 1.15, 1.0, 0.88 |
  0.9, 1.0, 1.15) (speech before swallowing before salivation; handwriting first; stairs before walking before
  turning in bed; dyspnea before orthopnea before respiratory insufficiency): a Weibull dose-response of each
  sub-task on the lost motor neurons, all assumptions.  The count is drawn by inverting its distribution at a stored
  uniform; an untouched item reads 4.  The residual SD of a patient's totals about a quadratic in time is about 1.9
  points and 19% of consecutive totals rise.  On NIV q12 is at most 3; after a gastrostomy item 5 is q5b
  (spec/domain-rules.md).  Phone ratings (unbiased: Kaufmann et al., Amyotroph Lateral Scler 2007;8:42-46) skip each
  item with probability 0.006 (their total missing).  Measured at every clinic visit: FVC % predicted
  (``fvc_pct_pred``) F0·(1 - 0.95·L_R^1.6) - 6·L_B + N(0, 4²), rounded, L_R = 0.6·phrenic + 0.4·trunk loss, L_B the
  bulbar loss (a weak seal spoils the manoeuvre), F0 ~ N(97, 12²) within 65-130 (untreated: the first value's median
  83%, falling 1.6 %/month on average); weight (``weight_kg``) W0·(1 - a·L_B* - 0.12·L_M) + N(0, 0.7²), a =
  0.16·e^{0.4·N(0, 1)} (dysphagia), L_B* the bulbar loss frozen at a gastrostomy, L_M the mean arm, trunk and leg
  loss (wasting), W0 ~ N(80, 12²) men, N(66, 11²) women.  At the diagnosis and each 6-monthly review, serum
  neurofilament light (``nfl``, pg/mL, specimen serum) 10 + N·Q^0.7·e^{0.12·ε}, Q = Σ_s dl_s/dt the current rate of
  motor neuron loss (segments per month), N = 110·e^{0.3·N(0, 1)} the patient's release (NfL is released by
  degenerating axons and is higher in faster disease: Lu et al., Neurology 2015;84:2247-2257; the untreated first
  value's median is 79); at the diagnosis only, for the 85% examined by EMG at the centre, the ulnar compound muscle
  action potential (``cmap_mv``) C0·(1 - hand loss)^1.5 + N(0, 0.4²), C0 ~ N(10, 2²) mV within 6-15.  The constants
  are assumptions;
* **entry and contacts: diagnosis on the second region, 6-monthly reviews with blood, contacts the patient asks
  for.**  A region shows signs once one of its segments has lost 30%.  The diagnosis (the first visit, at the
  clinic) comes when the second of the clinical regions (bulbar, arm, leg) shows signs, or after a personal wait of
  13·Gamma(3, mean 1) months if sooner, at least 2 months after onset, plus an Exp(mean 2 months) wait for the
  neurologist: the median delay is 10.4 months (about a year: Paganoni et al., Amyotroph Lateral Scler Frontotemporal
  Degener 2014;15:453-456).  The El Escorial category (revised criteria: Brooks et al., Amyotroph Lateral Scler Other
  Motor Neuron Disord 2000;1:293-299) follows the number of its four regions showing signs at diagnosis (one:
  definite/probable/probable_lab/possible 0/5/40/55%; two: 10/65/20/5%; three: 80/18/2/0%; four: 90/10/0/0%),
  missing in 8%; genetics C9orf72 8% (faster, above), SOD1 2%; riluzole with probability expit(2 - 0.05·(age at
  diagnosis - 62)) (missing 3%), edaravone 8% (missing 20%), neither changing the course.  The registry includes the
  patients diagnosed from 2015-07-01 to a month before the lock, alive at diagnosis; onsets 2011-2024, data lock
  2025-09-30.  Three sites: CTR (the programme's centre) 50%, NRTH 30%, STH 20%.  Reviews at the clinic every 6
  months from the diagnosis (± 14 days), never missed, with blood (NfL), FVC and weight.  Between them the patient
  asks for contacts (patient-initiated follow-up) at a rate of min(0.03 + 0.25·D, 0.6) per month, D the expected
  total's fall over the past month in points (those who notice a loss ask: the contact process follows the latent
  course); a request within 14 days of a review, the diagnosis or the previous request is merged into it.  A request
  is seen at the clinic (FVC and weight, no blood) with probability 0.55 at CTR and 0.35 elsewhere, otherwise rated by
  the specialist nurse by phone.  All assumptions;
* **who is treated, and when: the centre's intrathecal programme, decided at a 6-monthly review.**  At a 6-monthly
  review (a clinic visit with a serum NfL) an untreated patient is *eligible* when (1) an earlier clinic visit with
  a complete total exists and this visit's total is complete, (2) the visit's serum ``nfl`` lies within 45-120 pg/mL
  (a band: below it the disease is judged too indolent to show a benefit, above it too aggressive to be slowed by
  cells; an assumption), (3) the ulnar ``cmap_mv`` recorded at the diagnosis is at least 3.0 mV (enough lower motor
  neurons left; a missing CMAP excludes), (4) the age (visit year - ``birth_year``) is 18-72, (5) ``riluzole`` is
  recorded true (on standard care), (6) no ``niv_start`` is recorded on or before the visit (lumbar punctures are
  done lying on the side), (7) the visit's ``weight_kg`` is at least 90% of the weight recorded at the diagnosis
  (malnourished patients are first referred for a gastrostomy: Andersen et al., EFNS guideline, Eur J Neurol
  2012;19:360-375), (8) the visit is at most 36 months after ``diagnosis_date``.  The patient then starts with
  probability expit(c + s), s = -1.5·(d - 0.8)² (d the recorded decline since the previous clinic visit with a
  complete total, (previous total - this total)/months, clipped to -1..4: the centre prefers intermediate
  progressors, an inverted U) + site (CTR +0.6, NRTH 0, STH -0.6: its own patients, the others referred) -
  0.03·(age - 55) + 0.6·ζ, ζ = 0.3·z_k + 0.95·N(0, 1) the patient's unrecorded wish and means, a little linked to the
  loss rate (the stated minority of unrecorded influence: its sd 0.59 against 2.6 for the recorded terms at eligible
  visits, measured on 3,000 patients; the recorded decline is noisy).  So the rule reads ``patients`` (birth_year,
  riluzole, site, diagnosis_date), ``events`` (niv_start), ``measurements`` (nfl, cmap_mv, weight_kg), the
  ``alsfrs`` totals and which rows are clinic visits: :data:`RECORDED_RULE_INPUTS`.  c is set so that at most
  round(share·n) patients start (each first start is a deterministic function of c on the untreated history; 38% of
  the patients are ever eligible and chosen at some c).  Allogeneic Wharton's jelly MSCs, 3.0×10⁷ cells
  intrathecally, the first dose 21-35 days after the decision, then two more 61 days apart (three intrathecal doses
  of 30×10⁶ Wharton's jelly cells two months apart: Barczewska et al., Stem Cell Rev Rep 2020;16:922-932), 75 days
  after a dose followed by a post-puncture headache.  Per injection headache 2.5% (the day after, 3-7 days), fever
  2% and puncture-site pain 1.7% (allogeneic intrathecal MSCs, spec/domain-rules.md), grade 1 (a headache grade 2
  in 30%), recorded in ``adverse_events``.  A further dose is given while alive, before moving away and the lock,
  without NIV, with probability 0.92; patients who die or move before the first are not treated; the programme's
  patients do not join the external trial (below).  All coefficients are assumptions;
* **effect: a Bateman exposure of the cells slowing the loss behind the front, graded from the lumbar injection
  site.**  Each dose's exposure rises and falls as a Bateman curve (absorption mean life 0.75 months, elimination 6
  months; peak 1 at 1.8 months), weighted 1, 0.8, 0.6 for the first, second and third dose (sensitisation to
  allogeneic cells: an assumption); M(t) their sum reaches 1.93 about 5 months after the first dose and is 0.68 at
  12 months.  The slowing is f(t) = 1 - e^{-λ·M(t)}, and segment s's loss runs on a clock at 1 - w_s·f(t), w_s from
  0.55 at the top of the brainstem to 1 at S2, linear along the neuraxis (cells injected at the lumbar level reach
  the caudal cord most: an assumption).  The front is not slowed.  λ = -ln(1 - min(E·g/R_w, 0.9)), R_w the w-weighted
  part of the expected total's loss rate at the first dose (points/month, at least 0.25): at the first dose's peak
  (M = 1) a patient with g = 1 loses E points/month less (unless the cap binds), more at the programme's peak.  g =
  e^{0.4·z'' - 0.08}, × 0.6 for C9orf72 carriers (recorded; an assumption).  The slower loss lowers the NfL and the
  requested contacts, raises the FVC and delays NIV, gastrostomy and death.  (Measured once the constants were set,
  not tuned, on 3,000 patients, 30% treated, seed 1: the expected-total difference divided by the months since the
  first dose averages 0.66·E at E = 0.2 and 0.61·E at E = 0.5 over the visits 0.5-3 months after it, 1.01·E and
  0.81·E over 3-9, 0.94·E and 0.75·E over 9-15, 0.66·E and 0.54·E over 15-24, 0.37·E and 0.29·E over 24-36;
  ``truth_window`` 0.127 and 0.255, ``truth_realised`` 0.138 and 0.276.)  E = 0 gives λ = 0 and the same course with
  and without cells;
* **follow-up ends by a pooled-logistic monthly death, an external trial, moving away and the lock.**  Each month
  the patient dies with probability expit(-8.1 + 6·L_R + 2.5·L_B² + 6·WL + 0.05·(age - 62) + NIV) on the state at
  the month's start (a discrete-time logistic hazard, the pooled logistic model: D'Agostino et al., Stat Med
  1990;9:1501-1515), WL = a·L_B* + 0.12·L_M the latent weight loss (weight loss is prognostic: Marin et al., J
  Neurol Neurosurg Psychiatry 2011;82:628-634), NIV -0.7 from its start when the bulbar loss is below 0.5 then and
  -0.2 otherwise (Bourke et al., Lancet Neurol 2006;5:140-147).  NIV is offered at a clinic visit with a recorded
  FVC below 50% or a recorded dyspnea q10 at most 2 (Miller et al., Neurology 2009;73:1218-1226), accepted with
  probability 0.15 at each offer and started 14-42 days later; a gastrostomy is offered at a clinic visit with a
  recorded swallowing q3 at most 2 or a recorded weight at most 90% of the diagnosis weight (Andersen et al. 2012),
  accepted with probability 0.12 and placed 21-56 days later; both follow the same rules after the registry has
  lost sight of the patient.  From 2019-03-01 to 2021-06-30 an external drug trial recruits: at a clinic visit with a
  recorded complete total at least 36, at most 24 months from onset and a recorded FVC at least 70%, a patient
  outside the programme joins it with probability 0.12 and withdraws from the registry 7-30 days later
  (``withdrawal``).  Patients move away at 0.004 per month from the diagnosis (0.008 under 55 at diagnosis), declared
  lost at the registry's annual review, the first 31 December at least 90 days after the move (if before the lock).
  Rates and thresholds are assumptions (median survival from onset 34 months, above; 30-45 months in population
  cohorts, spec/domain-rules.md).

All random numbers are drawn first in a fixed order and shared by every course (a contact's uniforms follow its
slot: the diagnosis, the review or the request, not its rank).  The untreated course decides who starts and when;
the programme's course shares it up to the first dose and is then followed twice, with the cells (recorded) and
without them, each with its own requested contacts, NIV, gastrostomy, deaths and endings (and no external trial from
the decision on).  ``truth`` is E; ``truth_realised`` per treated patient the least squares through the origin of
(with - without cells expected clinician-rated total) on months since the first dose over the recorded post-dose
visits, the mean over patients; ``truth_window`` and ``truth_observed`` from ``window_truth`` (the latter with the
visits each course keeps); zeros under E = 0.  The expected total is exact: Σ_j (4 - Σ_k P_jk) less, on NIV, the
probability that q12 would read 4 (no partial rows).  Simulating 3,000 patients takes about 5 s untreated, 9 s with
30% treated.  Writes canonical tables (patients, treatments, alsfrs, measurements, adverse_events, events).  With
``record_occasions=True`` the tables also say what the world knows (the optional ``alsfrs.visit_type``: the diagnosis
and 6-monthly reviews ``scheduled``, requested contacts seen at the clinic ``unscheduled``, by phone ``remote``;
``treatments.decision_date``: the review of the decision, for the later doses, which have no decision of their own,
the first's), drawing the same numbers: every other column is unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from alscell.io.tables import Tables
from second_world import refuse_unknown
from window_truth import cohort_truths
from world_tables import DPM, ITEMS, WorldCohort, closing_events, event_rows, item_rows, share_cutoff

# what the rule reads besides the ALSFRS-R items and totals (and which rows are clinic visits)
RECORDED_RULE_INPUTS = (
    "age", "time_since_diagnosis", "ventilation", "site", "riluzole", "nfl", "cmap_mv", "weight_kg",
)  # fmt: skip
PIECES = {
    "random_transit": "Gamma-distributed transit times of the front across each segment boundary (off: each its mean)",
    "regional_rates": "the loss rate behind the front differing between the El Escorial regions (off: one rate)",
    "subtask_scatter": "the sub-task failures' Weibull spread (off: shape 14, nearly deterministic ratings)",
    "patient_initiated": "contacts requested by the patient between the 6-monthly reviews (off: reviews only)",
    "phone_triage": "requested contacts answered by phone when not seen in person (off: all in person)",
    "relocation": "loss to follow-up by moving away (off: none)",
    "external_trial": "withdrawal to join an external drug trial (off: none)",
    "niv": "NIV offered on a recorded FVC below 50% or a recorded dyspnea q10 at most 2 (off: none)",
    "gastrostomy": "gastrostomy offered on a recorded q3 at most 2 or a 10% weight loss (off: none)",
    "weight_hazard": "the latent weight loss in the monthly death probability (off: no weight term)",
    "death": "death",
    "nfl_band": "the serum NfL band 45-120 pg/mL of the eligibility (off: any NfL)",
    "cmap_rule": "the diagnostic ulnar CMAP >= 3.0 mV criterion (off: none; a missing CMAP is then no bar)",
    "weight_rule": "the weight at least 90% of the diagnosis weight criterion (off: none)",
    "riluzole_rule": "the recorded riluzole criterion (off: none)",
    "slope_preference": "the inverted-U preference for an intermediate recorded decline (off: no term)",
    "site_choice": "the sites' different readiness (off: the same everywhere)",
    "unrecorded_wish": "the unrecorded wish, a little linked to the loss rate, in the choice (off: none)",
    "repeat_doses": "the second and third intrathecal doses (off: one dose)",
    "sensitisation": "later doses weighing less (1, 0.8, 0.6; off: each weighs 1)",
    "engraftment_lag": "the cells' exposure building up over weeks (Bateman; off: full at once, then decaying)",
    "neuraxis_gradient": "the slowing falling from the lumbar injection site rostrally (off: the same everywhere)",
    "response_spread": "responses differing between patients and lower in C9orf72 carriers (off: g = 1)",
    "adverse_events": "post-puncture headache, fever and puncture-site pain, a headache delaying the next dose "
    "(off: none)",
}
SITES = np.array(["CTR", "NRTH", "STH"])
SITE_P = np.array([0.5, 0.3, 0.2])
SITE_CHOICE = np.array([0.6, 0.0, -0.6])
IN_PERSON = np.array([0.55, 0.35, 0.35])  # a requested contact seen in person, by site
ONSET_FROM, ONSET_YEARS = pd.Timestamp("2011-01-01"), 14
OPENING = pd.Timestamp("2015-07-01")
LOCK = pd.Timestamp("2025-09-30")
TRIAL_FROM, TRIAL_TO = pd.Timestamp("2019-03-01"), pd.Timestamp("2021-06-30")
EPOCH = pd.Timestamp(0)
MONTHS = 180
BIG = np.iinfo(np.int64).max // 4

# the neuraxis: 8 brainstem levels (B1-B8), C1-C8, T1-T12, L1-L5, S1-S2 (35 segments)
N_SEG = 35
ESC_REGION = np.array([0] * 8 + [1] * 8 + [2] * 12 + [3] * 7)  # bulbar, cervical, thoracic, lumbosacral
# mean transit across each boundary (× the patient's tau): brainstem 0.7, cranio-cervical 2.5, cervical 1,
# thoracic 0.6, thoraco-lumbar and lumbosacral 1
CROSS = np.array([0.7] * 7 + [2.5] + [1.0] * 8 + [0.6] * 11 + [1.0] + [1.0] * 6)
# the item groups: bulbar B1-B8, phrenic C3-C5, arm C5-T1, hand C8-T1, trunk T1-T12, leg L2-S2
GROUP_SEGS = [range(0, 8), range(10, 13), range(12, 17), range(15, 17), range(16, 28), range(29, 35)]
GM = np.zeros((N_SEG, 6))
for _g, _segs in enumerate(GROUP_SEGS):
    GM[list(_segs), _g] = 1.0 / len(_segs)
GM_NZ = [np.flatnonzero(GM[s]) for s in range(N_SEG)]
BUL, PHR, ARM, HAND, TRUNK, LEG = range(6)
# each item's loss: a mix of the groups' mean losses (rows q1..q12)
MIX = np.zeros((12, 6))
MIX[0:3, BUL] = 1.0
MIX[3, [HAND, ARM]] = 0.6, 0.4
MIX[4, [HAND, ARM]] = 0.3, 0.7
MIX[5, [ARM, LEG]] = 0.7, 0.3
MIX[6, [ARM, TRUNK, LEG]] = 0.4, 0.3, 0.3
MIX[7, LEG] = 1.0
MIX[8, [LEG, TRUNK]] = 0.85, 0.15
MIX[9, [PHR, TRUNK]] = 0.6, 0.4
MIX[10, [PHR, TRUNK]] = 0.8, 0.2
MIX[11, [PHR, TRUNK]] = 0.6, 0.4
B_SUB = np.array([0.30, 0.48, 0.64, 0.80])
LEAD = np.array([0.9, 1.15, 1.0, 0.85, 1.0, 1.05, 1.15, 1.0, 0.88, 0.9, 1.0, 1.15])
B_JK = np.minimum(LEAD[:, None] * B_SUB, 0.97)
BETA, BETA_OFF = 4.0, 14.0
ONSET_LOSS = 0.35  # the focus segment's loss at symptom onset
SIGN_LOSS = 0.30  # a segment's loss at which its region shows clinical signs
TAU_SEG, K0 = 1.8, 0.035
# monthly death probability: expit(D0 + D_R·L_R + D_B·L_B² + D_W·WL + D_AGE·(age − 62) + NIV)
D0, D_R, D_B, D_W, D_AGE = -8.1, 6.0, 2.5, 6.0, 0.05
NIV_GOOD, NIV_POOR = -0.7, -0.2
W_MOTOR = 0.12  # weight lost at a full loss of the limbs and trunk (fraction)
LMAX = 0.6  # the dominating rate (per month) of requested contacts
N_ROUT, K_PIFU = 22, 100
SLOTS = 1 + N_ROUT + K_PIFU
KIND = np.array([0] + [1] * N_ROUT + [2] * K_PIFU)  # diagnosis, routine review, requested contact
# alsfrs.visit_type of the diagnosis and 6-monthly reviews, requested contacts at the clinic, those by phone
VISIT_TYPES = np.array(["scheduled", "unscheduled", "remote"], dtype=object)
TAU_IN, TAU_OUT = 0.75, 6.0
H_F, N_F = 0.05, 1441  # the slowing's integral: a grid of 72 months after the first dose
DOSE_W = np.array([1.0, 0.8, 0.6])
N_DOSES, GAP_DOSE, HEADACHE_DELAY, CONTINUE = 3, 61, 14, 0.92
RATE_FLOOR = 0.25
NFL_BAND, CMAP_MIN = (45.0, 120.0), 3.0
W_AXIS = 0.55 + 0.45 * np.arange(N_SEG) / (N_SEG - 1)
ESCORIAL = np.array(["definite", "probable", "probable_lab", "possible"])
# El Escorial category by the number of regions with signs at diagnosis (1, 2, 3 or 4)
ESC_P = np.array([[0.0, 0.05, 0.40, 0.55], [0.10, 0.65, 0.20, 0.05], [0.80, 0.18, 0.02, 0.0], [0.90, 0.10, 0.0, 0.0]])
AE_TERMS = np.array(["headache", "fever", "injection_site_pain"])
AE_P = np.array([0.025, 0.02, 0.017])  # per allogeneic intrathecal injection (spec/domain-rules.md)


def _days(ts: pd.Timestamp) -> int:
    return (ts - EPOCH).days


def _bateman(s: np.ndarray, lag: bool) -> np.ndarray:
    """The exposure of one dose ``s`` months after it (0 before): a Bateman curve of peak 1 (absorption with mean
    life TAU_IN, elimination with TAU_OUT; without ``lag`` full at once)."""
    t_in = TAU_IN if lag else 1e-4
    peak_s = np.log(TAU_OUT / t_in) * t_in * TAU_OUT / (TAU_OUT - t_in)
    b_max = np.exp(-peak_s / TAU_OUT) - np.exp(-peak_s / t_in)
    sp = np.where(np.isfinite(s), np.maximum(s, 0.0), 0.0)
    return np.where(np.isfinite(s) & (s > 0), (np.exp(-sp / TAU_OUT) - np.exp(-sp / t_in)) / b_max, 0.0)


def _frac(t: np.ndarray, course: dict) -> np.ndarray:
    """The cells' slowing f(t) = 1 − exp(−λ·M(t)) at ``t`` (rows × ...), M the sum of the given doses' exposures."""
    doses = course["doses"]
    expo = np.zeros(t.shape)
    extra = (1,) * (t.ndim - 1)
    for j in range(doses.shape[1]):
        expo += course["a"][j] * _bateman(t - doses[:, j].reshape((-1, *extra)), course["lag"])
    return -np.expm1(-course["lam"].reshape((-1, *extra)) * expo)


def _with_slowing(course: dict, t0: np.ndarray) -> dict:
    """``course`` with F, the integral of its slowing since the first dose ``t0`` on a fine grid (trapezoids)."""
    tg = t0[:, None] + H_F * np.arange(N_F)
    f = _frac(tg, course)
    big_f = np.zeros_like(f)
    np.cumsum(0.5 * H_F * (f[:, 1:] + f[:, :-1]), axis=1, out=big_f[:, 1:])
    return {**course, "t0": t0, "F": big_f}


def _slowed(t: np.ndarray, course: dict) -> np.ndarray:
    """F at ``t`` (rows × ...): 0 before the first dose, linear between grid points, constant after the grid."""
    extra = (1,) * (t.ndim - 1)
    x = np.clip((t - course["t0"].reshape((-1, *extra))) / H_F, 0.0, N_F - 1.0)
    j = np.minimum(np.floor(x).astype(int), N_F - 2)
    r = np.arange(len(x)).reshape((-1, *extra))
    w = x - j
    return course["F"][r, j] * (1 - w) + course["F"][r, j + 1] * w


def _state(T: np.ndarray, k: np.ndarray, t: np.ndarray, course: dict | None = None, h: float = 0.0,
           h_w: np.ndarray = W_AXIS, rate: bool = False) -> tuple[np.ndarray, np.ndarray | None]:  # fmt: skip
    """(groups' mean losses (rows × J × 6), neuronal loss rate Q (rows × J) or None) at ``t`` (rows × J months
    from onset) of the segments reached at ``T`` and lost at ``k`` (rows × 35), slowed by ``course`` (the cells);
    ``h`` advances every reached segment's clock by h·``h_w`` (a derivative's step)."""
    rows, cols = t.shape
    groups = np.zeros((rows, cols, 6))
    q = np.zeros((rows, cols)) if rate else None
    if course is not None:
        big_f = _slowed(t, course)
        f_t = _frac(t, course) if rate else None
        w_ax = course["w"]
    for s in range(N_SEG):
        ts = T[:, s, None]
        after = t > ts
        clock = np.where(after, t - ts, 0.0)
        if course is not None:
            clock = clock - w_ax[s] * np.where(after, big_f - _slowed(ts, course), 0.0)
        if h:
            clock = clock + h * h_w[s] * after
        e = np.exp(-k[:, s, None] * clock)
        lost = 1.0 - e
        for g in GM_NZ[s]:
            groups[..., g] += GM[s, g] * lost
        if rate:
            r_s = k[:, s, None] * e
            if course is not None:
                r_s = r_s * (1 - w_ax[s] * f_t)
            q += np.where(after, r_s, 0.0)
    return groups, q


def _pfail(groups: np.ndarray, beta: float) -> np.ndarray:
    """The sub-tasks' failure probabilities (... × 12 × 4) at the groups' losses (... × 6)."""
    y = groups @ MIX.T
    return -np.expm1(-((y[..., None] / B_JK) ** beta))


def _expected(groups: np.ndarray, niv_on: np.ndarray, beta: float) -> np.ndarray:
    """The expected total at the groups' losses: 4 − Σ failures per item, q12 at most 3 on NIV."""
    p = _pfail(groups, beta)
    return (4.0 - p.sum(-1)).sum(-1) - niv_on * np.prod(1.0 - p[..., 11, :], -1)


def _draw_items(groups: np.ndarray, u: np.ndarray, beta: float) -> np.ndarray:
    """Each item 4 − F, F the number of its four sub-tasks failed (Poisson-binomial), drawn by inverting its
    distribution at the uniform ``u`` (... × 12)."""
    p = _pfail(groups, beta)
    pm = np.zeros((*p.shape[:-1], 5))
    pm[..., 0] = 1.0
    for j in range(4):
        pj = p[..., j, None]
        shifted = np.concatenate([np.zeros_like(pm[..., :1]), pm[..., :-1]], -1)
        pm = pm * (1 - pj) + shifted * pj
    cdf = np.cumsum(pm, -1)[..., :4]
    return 4.0 - (u[..., None] > cdf).sum(-1)


def _at(grid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Linear interpolation of a monthly grid (rows × MONTHS) at ``t`` months (rows)."""
    tt = np.clip(np.where(np.isfinite(t), t, 0.0), 0, grid.shape[1] - 1)
    j = np.minimum(np.floor(tt).astype(int), grid.shape[1] - 2)
    rows = np.arange(len(t))
    w = tt - j
    return grid[rows, j] * (1 - w) + grid[rows, j + 1] * w


def _resp(g: np.ndarray) -> np.ndarray:
    return 0.6 * g[..., PHR] + 0.4 * g[..., TRUNK]


def _motor(g: np.ndarray) -> np.ndarray:
    return (g[..., ARM] + g[..., TRUNK] + g[..., LEG]) / 3


def simulate_world13(
    n_patients: int,
    effect: float,
    treated_share: float,
    seed: int,
    off: frozenset[str] = frozenset(),
    record_occasions: bool = False,
) -> WorldCohort:
    """A cohort of ``n_patients`` from the thirteenth world, effect E = ``effect``, about ``treated_share`` of them
    treated (at most round(share·n)), with the pieces of ``off`` switched off; ``record_occasions`` fills
    ``alsfrs.visit_type`` and ``treatments.decision_date`` (the same draws, every other column unchanged)."""
    refuse_unknown(off, PIECES)

    def on(piece: str) -> bool:
        return piece not in off

    rng = np.random.default_rng(seed)
    n, m = int(n_patients), 2 * int(n_patients) + 100
    # all random numbers first, in a fixed order (shared by every course)
    onset_u, limb_u, focus_u, sex_u, site_u = (rng.random(m) for _ in range(5))
    age = np.clip(rng.normal(63, 11, m), 30, 88)
    onset_day = _days(ONSET_FROM) + rng.integers(0, int(ONSET_YEARS * 365.25), m)
    z, z_reg = rng.normal(0, 1, (m, 3)), rng.normal(0, 1, (m, 4))
    cross_g = rng.gamma(2.0, 0.5, (m, N_SEG - 1))
    gen_u = rng.random((m, 3))
    dx_wait, dx_queue = rng.gamma(3.0, 1 / 3, m), rng.exponential(1.0, m)
    u_esc, u_esc_miss, u_gen, u_ril, u_eda, u_emg = (rng.random(m) for _ in range(6))
    c0_z, f0_z, w0_z, wl_z, nfl_z, zeta_z, g_z, cmap_eps = (rng.normal(0, 1, m) for _ in range(8))
    reloc_e = rng.exponential(1.0, m)
    u_death, v_death = rng.random((m, MONTHS)), rng.random(m)
    jitter = rng.random((m, N_ROUT))
    pifu_gap = rng.exponential(1.0, (m, K_PIFU))
    u_pifu, u_mode = rng.random((m, K_PIFU)), rng.random((m, K_PIFU))
    u_item = rng.random((m, SLOTS, 12), dtype=np.float32)
    u_skip = rng.random((m, SLOTS, 12), dtype=np.float32)
    meas_eps = rng.standard_normal((m, SLOTS, 3), dtype=np.float32)
    u_niv, u_niv_lag, u_gas, u_gas_lag, u_trial, u_trial_lag, u_dec = (
        rng.random((m, SLOTS), dtype=np.float32) for _ in range(7)
    )
    u_first, u_cont = rng.random(m), rng.random((m, N_DOSES))
    u_ae, u_ae_t = rng.random((m, N_DOSES, 3)), rng.random((m, N_DOSES, 3))
    u_viab, u_pass = rng.random((m, N_DOSES)), rng.random((m, N_DOSES))

    # the course: a front spreading along the neuraxis; each segment loses its motor neurons exponentially behind it
    code = np.where(onset_u < 0.28, 0, np.where(onset_u < 0.92, 1, np.where(onset_u < 0.96, 2, 3)))
    bulbar = (code == 0).astype(float)
    sex_m = sex_u < 0.6
    arm_on = limb_u < 0.5
    focus = np.where(
        code == 0,
        np.floor(focus_u * 8),
        np.where(code == 1, np.where(arm_on, 12 + np.floor(focus_u * 5), 29 + np.floor(focus_u * 6)),
                 10 + np.floor(focus_u * 3)),
    ).astype(int)  # fmt: skip
    c9 = u_gen < 0.08
    sod1 = (u_gen >= 0.08) & (u_gen < 0.10)
    z_s = z[:, 0]
    z_k = 0.5 * z[:, 0] + np.sqrt(0.75) * z[:, 1]
    tau = TAU_SEG * np.exp(-0.35 * z_s - 0.01 * (age - 63))
    k_i = K0 * np.exp(0.4 * z_k + 0.015 * (age - 63) + 0.15 * bulbar + 0.15 * c9)
    k_all = k_i[:, None] * (np.exp(0.2 * z_reg[:, ESC_REGION]) if on("regional_rates") else np.ones((1, N_SEG)))
    crossing = tau[:, None] * CROSS * (cross_g if on("random_transit") else 1.0)
    cpos = np.concatenate([np.zeros((m, 1)), np.cumsum(crossing, 1)], 1)
    rows_m = np.arange(m)
    lead = -np.log1p(-ONSET_LOSS) / k_all[rows_m, focus]
    arrive = np.abs(cpos - cpos[rows_m, focus][:, None])
    gen = code == 3
    if gen.any():
        foci = np.stack([np.floor(gen_u[:, 0] * 8), 12 + np.floor(gen_u[:, 1] * 5), 29 + np.floor(gen_u[:, 2] * 6)],
                        1).astype(int)  # fmt: skip
        multi = np.min(np.abs(cpos[:, :, None] - cpos[rows_m[:, None], foci][:, None, :]), -1)
        arrive = np.where(gen[:, None], multi, arrive)
    t_all = arrive - lead[:, None]
    # regions with signs: a segment of the region has lost SIGN_LOSS
    sign_t = t_all - np.log1p(-SIGN_LOSS) / k_all
    h_reg = np.stack([sign_t[:, ESC_REGION == r].min(1) for r in range(4)], 1)
    h_clin = np.stack([sign_t[:, list(GROUP_SEGS[g])].min(1) for g in (BUL, ARM, LEG)], 1)
    second = np.sort(h_clin, 1)[:, 1]
    t_dx = np.maximum(np.minimum(second, 13.0 * dx_wait), 2.0) + 2.0 * dx_queue
    diag_day = onset_day + np.rint(t_dx * DPM).astype(np.int64)
    lock_day = _days(LOCK)
    ok0 = (diag_day >= _days(OPENING)) & (diag_day <= lock_day - 31)
    cand = np.flatnonzero(ok0)
    grid_t = np.broadcast_to(np.arange(MONTHS, dtype=float), (len(cand), MONTHS))
    g_cand, _ = _state(t_all[cand], k_all[cand], grid_t)
    a_wl = 0.16 * np.exp(0.4 * wl_z)
    beta = BETA if on("subtask_scatter") else BETA_OFF

    def death_time(grid: np.ndarray, idx: np.ndarray, niv_t: np.ndarray, gas_t: np.ndarray) -> np.ndarray:
        """Months from onset to death: a monthly death probability on the state at the month's start."""
        j = np.arange(MONTHS)[None, :]
        l_b, l_r = grid[..., BUL], _resp(grid)
        l_bs = np.where(j >= gas_t[:, None], _at(l_b, gas_t)[:, None], l_b)
        lp = D0 + D_R * l_r + D_B * l_b**2 + D_AGE * (age[idx, None] - 62)
        if on("weight_hazard"):
            lp = lp + D_W * (a_wl[idx, None] * l_bs + W_MOTOR * _motor(grid))
        poor = _at(l_b, niv_t) >= 0.5
        lp = np.where(j >= niv_t[:, None], lp + np.where(poor, NIV_POOR, NIV_GOOD)[:, None], lp)
        hit = u_death[idx] < expit(lp)
        first = hit.argmax(1)
        out = np.where(hit.any(1), first + v_death[idx], np.inf)
        return out if on("death") else np.full(len(idx), np.inf)

    none_t = np.full(len(cand), np.inf)
    alive = death_time(g_cand, cand, none_t, none_t) > t_dx[cand] + 0.05
    keep_c = np.flatnonzero(alive)[:n]
    if len(keep_c) < n:
        raise RuntimeError("too few candidates enter the cohort")
    keep = cand[keep_c]
    grid_n = g_cand[keep_c]
    del g_cand

    def sel(arr: np.ndarray) -> np.ndarray:
        return arr[keep]

    (onset_day, diag_day, t_dx, age, sex_m, code, focus, c9, sod1, z_k, k_all, t_all, h_reg, a_wl, u_esc,
     u_esc_miss, u_ril, u_eda, u_emg, c0_z, f0_z, w0_z, nfl_z, zeta_z, g_z, cmap_eps, reloc_e, u_death, v_death,
     jitter, pifu_gap, u_pifu, u_mode, u_item, u_skip, meas_eps, u_niv, u_niv_lag, u_gas, u_gas_lag, u_trial,
     u_trial_lag, u_dec, u_first, u_cont, u_ae, u_ae_t, u_viab, u_pass, site_u) = map(sel, (
        onset_day, diag_day, t_dx, age, sex_m, code, focus, c9, sod1, z_k, k_all, t_all, h_reg, a_wl, u_esc,
        u_esc_miss, u_ril, u_eda, u_emg, c0_z, f0_z, w0_z, nfl_z, zeta_z, g_z, cmap_eps, reloc_e, u_death, v_death,
        jitter, pifu_gap, u_pifu, u_mode, u_item, u_skip, meas_eps, u_niv, u_niv_lag, u_gas, u_gas_lag, u_trial,
        u_trial_lag, u_dec, u_first, u_cont, u_ae, u_ae_t, u_viab, u_pass, site_u))  # fmt: skip
    rows = np.arange(n)
    site = np.searchsorted(np.cumsum(SITE_P), site_u * 0.999999)
    birth_year = (pd.to_datetime(onset_day, unit="D").year.to_numpy() - np.floor(age)).astype(int)
    # recorded at diagnosis: El Escorial by the regions with signs, genetics, riluzole, edaravone, the ulnar CMAP
    n_reg = (h_reg <= t_dx[:, None]).sum(1).clip(1, 4)
    esc = (u_esc[:, None] > np.cumsum(ESC_P[n_reg - 1], 1)[:, :3]).sum(1)
    escorial = ESCORIAL[esc].astype(object)
    escorial[u_esc_miss < 0.08] = None
    genetics = np.where(c9, "C9orf72", np.where(sod1, "SOD1", None)).astype(object)
    age_dx = pd.to_datetime(diag_day, unit="D").year.to_numpy() - birth_year
    ril = u_ril < expit(2.0 - 0.05 * (age_dx - 62))
    riluzole = np.where(ril, "true", "false").astype(object)
    riluzole[u_ril > 0.97] = None
    ril_rec = ril & (u_ril <= 0.97)
    edaravone = np.where(u_eda < 0.08, "true", np.where(u_eda < 0.8, "false", None)).astype(object)
    g_dx, _ = _state(t_all, k_all, t_dx[:, None])
    c0 = np.clip(10 + 2 * c0_z, 6, 15)
    cmap = np.round(np.clip(c0 * (1 - g_dx[:, 0, HAND]) ** 1.5 + 0.4 * cmap_eps, 0.1, 30), 1)
    cmap = np.where(u_emg < 0.85, cmap, np.nan)
    cmap_ok = (cmap >= CMAP_MIN) if on("cmap_rule") else np.ones(n, bool)
    f0 = np.clip(97 + 12 * f0_z, 65, 130)
    w0 = np.clip(np.where(sex_m, 80 + 12 * w0_z, 66 + 11 * w0_z), 42, 140)
    n_lvl = 110 * np.exp(0.3 * nfl_z)
    zeta = 0.3 * z_k + np.sqrt(1 - 0.09) * zeta_z
    reloc_t = t_dx + reloc_e / (0.004 * np.where(age_dx < 55, 2.0, 1.0)) if on("relocation") else np.full(n, np.inf)
    reloc_t = np.minimum(reloc_t, 1e4)
    trial_from, trial_to = _days(TRIAL_FROM), _days(TRIAL_TO)

    def run(idx: np.ndarray, course: dict | None, grid: np.ndarray, block_day: np.ndarray | None,
            decide: bool) -> dict[str, np.ndarray]:  # fmt: skip
        """The registry's contacts of the patients ``idx`` under ``course`` (None: untreated; ``grid`` its monthly
        state): the diagnosis, 6-monthly reviews and requested contacts, NIV, gastrostomy, the external trial (not
        from ``block_day`` on), death and the endings."""
        r = len(idx)
        rr = np.arange(r)
        on_d, t_d = onset_day[idx], t_dx[idx]
        tk, kk = t_all[idx], k_all[idx]
        rout_t = t_d[:, None] + 6 * np.arange(1, N_ROUT + 1) + (np.floor(jitter[idx] * 29) - 14) / DPM
        pifu_t = t_d[:, None] + np.cumsum(pifu_gap[idx], 1) / LMAX
        g1, _ = _state(tk, kk, pifu_t, course)
        g0, _ = _state(tk, kk, pifu_t - 1.0, course)
        none = np.zeros(pifu_t.shape)
        drop = np.maximum(_expected(g0, none, beta) - _expected(g1, none, beta), 0.0)
        acc = (u_pifu[idx] * LMAX < np.minimum(0.03 + 0.25 * drop, LMAX)) & on("patient_initiated")
        rout_day = on_d[:, None] + np.rint(rout_t * DPM).astype(np.int64)
        pifu_day = on_d[:, None] + np.rint(pifu_t * DPM).astype(np.int64)
        fixed = np.concatenate([diag_day[idx, None], rout_day], 1)
        near = (np.abs(pifu_day[:, :, None] - fixed[:, None, :]) < 14).any(-1)
        prev = np.maximum.accumulate(np.where(acc, pifu_day, -BIG), 1)
        prev = np.concatenate([np.full((r, 1), -BIG), prev[:, :-1]], 1)
        acc &= ~near & (pifu_day - prev >= 14)
        days = np.concatenate([fixed, np.where(acc, pifu_day, BIG)], 1)
        days = np.where(days > lock_day, BIG, days)
        order = np.argsort(days, axis=1, kind="stable")
        days = np.take_along_axis(days, order, 1)
        valid = days < BIG
        kind = KIND[order]
        in_person = u_mode[idx][rr[:, None], np.maximum(order - 1 - N_ROUT, 0)] < IN_PERSON[site[idx], None]
        clinic = valid & ((kind < 2) | in_person | ~np.bool_(on("phone_triage")))
        vtype = np.where(kind < 2, 0, np.where(clinic, 1, 2))  # index into VISIT_TYPES
        t_v = np.where(valid, (days - on_d[:, None]) / DPM, 0.0)
        g_v, q_v = _state(tk, kk, t_v, course, rate=True)
        items = _draw_items(g_v, u_item[idx][rr[:, None], order], beta)
        skip = (valid & ~clinic)[..., None] & (u_skip[idx][rr[:, None], order] < 0.006)
        items[skip] = np.nan
        eps = meas_eps[idx][rr[:, None], order]
        fvc_all = f0[idx, None] * (1 - 0.95 * _resp(g_v) ** 1.6) - 6 * g_v[..., BUL] + 4 * eps[..., 0]
        fvc_all = np.clip(np.round(fvc_all), 5, 150)
        nfl_all = np.round(10 + n_lvl[idx, None] * q_v**0.7 * np.exp(0.12 * eps[..., 2]), 1)
        l_m = _motor(g_v)
        niv_day = np.full(r, BIG)
        gas_day = np.full(r, BIG)
        lb_gas = np.zeros(r)
        wd_trig, wd_day = np.full(r, BIG), np.full(r, BIG)
        last_tot, last_day = np.full(r, np.nan), np.zeros(r, np.int64)
        w_dx = np.zeros(r)
        meas = np.full((r, SLOTS, 3), np.nan)  # FVC, weight, NfL
        crit = np.full((r, SLOTS), np.inf)
        cols_ = (u_niv, u_niv_lag, u_gas, u_gas_lag, u_trial, u_trial_lag, u_dec)
        un, unl, ug, ugl, ut, utl, ud = (c[idx][rr[:, None], order] for c in cols_)
        a_now_all = pd.to_datetime(np.where(valid, days, 0).ravel(), unit="D").year.to_numpy().reshape(days.shape)
        a_now_all = a_now_all - birth_year[idx, None]
        for v in range(SLOTS):
            ok = valid[:, v]
            if not ok.any():
                break
            day = days[:, v]
            it = items[:, v]
            it[:, 11] = np.where(niv_day <= day, np.minimum(it[:, 11], 3), it[:, 11])
            clin = clinic[:, v]
            lb_now = np.where(day >= gas_day, lb_gas, g_v[:, v, BUL])
            wt = w0[idx] * (1 - a_wl[idx] * lb_now - W_MOTOR * l_m[:, v]) + 0.7 * eps[:, v, 1]
            wt = np.clip(np.round(wt, 1), 25, 200)
            fvc = fvc_all[:, v]
            w_dx = np.where(v == 0, wt, w_dx)
            blood = kind[:, v] < 2
            meas[:, v, 0] = np.where(clin, fvc, np.nan)
            meas[:, v, 1] = np.where(clin, wt, np.nan)
            meas[:, v, 2] = np.where(clin & blood, nfl_all[:, v], np.nan)
            tot = it.sum(1)  # nan when an item is missing
            offer = clin & (niv_day == BIG) & ((fvc < 50) | (it[:, 9] <= 2)) & (un[:, v] < 0.15) & on("niv")
            niv_day = np.where(offer, day + 14 + np.floor(unl[:, v] * 29).astype(np.int64), niv_day)
            offer = clin & (gas_day == BIG) & ((it[:, 2] <= 2) | (wt <= 0.9 * w_dx)) & (ug[:, v] < 0.12)
            offer &= on("gastrostomy")
            new_gas = np.where(offer, day + 21 + np.floor(ugl[:, v] * 36).astype(np.int64), BIG)
            if offer.any():
                t_gas = (new_gas[offer] - on_d[offer]) / DPM
                lb_gas[offer] = _at(grid[offer][..., BUL], t_gas)
            gas_day = np.where(offer, new_gas, gas_day)
            t_now = (day - on_d) / DPM
            trig = clin & (wd_trig == BIG) & (day >= trial_from) & (day <= trial_to) & (tot >= 36)
            trig &= (t_now <= 24) & (fvc >= 70) & (ut[:, v] < 0.12) & on("external_trial")
            if block_day is not None:
                trig &= day < block_day
            wd_trig = np.where(trig, day, wd_trig)
            wd_day = np.where(trig, day + 7 + np.floor(utl[:, v] * 24).astype(np.int64), wd_day)
            if decide:
                a_now = a_now_all[:, v]
                nfl = nfl_all[:, v]
                elig = ok & (kind[:, v] == 1) & np.isfinite(last_tot) & np.isfinite(tot) & cmap_ok[idx]
                elig &= (a_now >= 18) & (a_now <= 72) & (niv_day > day) & ((day - diag_day[idx]) <= 36 * DPM)
                if on("nfl_band"):
                    elig &= (nfl >= NFL_BAND[0]) & (nfl <= NFL_BAND[1])
                if on("weight_rule"):
                    elig &= wt >= 0.9 * w_dx
                if on("riluzole_rule"):
                    elig &= ril_rec[idx]
                with np.errstate(invalid="ignore", divide="ignore"):
                    d = np.clip((last_tot - tot) / ((day - last_day) / DPM), -1.0, 4.0)
                score = -0.03 * (a_now - 55)
                if on("slope_preference"):
                    score = score - 1.5 * (d - 0.8) ** 2
                if on("site_choice"):
                    score = score + SITE_CHOICE[site[idx]]
                if on("unrecorded_wish"):
                    score = score + 0.6 * zeta[idx]
                uu = np.clip(ud[:, v].astype(float), 1e-9, 1 - 1e-9)
                crit[:, v] = np.where(elig, np.log(uu) - np.log1p(-uu) - score, np.inf)
            upd = clin & np.isfinite(tot)
            last_tot = np.where(upd, tot, last_tot)
            last_day = np.where(upd, day, last_day)
        niv_t = np.where(niv_day < BIG, (niv_day - on_d) / DPM, np.inf)
        gas_t = np.where(gas_day < BIG, (gas_day - on_d) / DPM, np.inf)
        death = death_time(grid, idx, niv_t, gas_t)
        wd_t = np.where(wd_trig < BIG, (wd_day - on_d) / DPM, np.inf)
        rel = reloc_t[idx]
        fol = valid & (t_v < death[:, None]) & (t_v < rel[:, None]) & (days <= wd_trig[:, None])
        return {"fol": fol, "vday": np.where(fol, days, -1), "items": items, "meas": meas, "clinic": clinic,
                "crit": np.where(fol, crit, np.inf), "death": death, "wd_t": wd_t, "wd_day": wd_day, "reloc": rel,
                "niv": niv_t, "gas": gas_t, "niv_day": niv_day, "gas_day": gas_day, "vtype": vtype}  # fmt: skip

    natural = run(rows, None, grid_n, None, True)
    # who is treated: the first eligible review whose criterion falls under the cut-off c (at most the target)
    target_n = round(treated_share * n)
    cstar = natural["crit"].min(1)
    cut = share_cutoff(cstar, target_n)
    decided = cstar < cut
    w_dec = (natural["crit"] < cut).argmax(1)
    dec_day = natural["vday"][rows, w_dec]
    first = dec_day + 21 + np.floor(u_first * 15).astype(np.int64)
    ae_hit = (u_ae < AE_P) & on("adverse_events")
    headache = ae_hit[..., 0]
    gaps = GAP_DOSE + HEADACHE_DELAY * headache[:, :-1]
    dose_day = first[:, None] + np.concatenate([np.zeros((n, 1), np.int64), np.cumsum(gaps, 1)], 1)
    t_dose = (dose_day - onset_day[:, None]) / DPM
    treated = decided & (first <= lock_day) & (t_dose[:, 0] + 1 / DPM < natural["death"]) & (t_dose[:, 0] < reloc_t)
    t0 = np.where(treated, t_dose[:, 0], np.inf)
    p = np.flatnonzero(treated)
    res = {key: val.copy() for key, val in natural.items()}
    given = np.zeros((n, N_DOSES), bool)
    course1 = None
    if len(p):
        block = dec_day[p]
        res0 = run(p, None, grid_n[p], block, False)

        def next_dose(gp: np.ndarray, k: int, ev: dict[str, np.ndarray]) -> np.ndarray:
            """Dose k (0-based) follows dose k − 1 if alive, followed, before the lock, without NIV, and the patient
            goes on."""
            ok = (gp[:, k - 1] & (dose_day[p, k] <= lock_day) & (t_dose[p, k] + 1 / DPM < ev["death"])
                  & (t_dose[p, k] < reloc_t[p]) & (ev["niv_day"] > dose_day[p, k]) & (u_cont[p, k] < CONTINUE)
                  & on("repeat_doses"))  # fmt: skip
            out = gp.copy()
            out[:, k] = ok
            return out

        gp = np.zeros((len(p), N_DOSES), bool)
        gp[:, 0] = True
        res1 = res0
        if effect == 0:
            for k in range(1, N_DOSES):
                gp = next_dose(gp, k, res0)
        else:
            tk, kk = t_all[p], k_all[p]
            w_ax = W_AXIS if on("neuraxis_gradient") else np.ones(N_SEG)
            # the part of the expected total's loss rate (points/month) at the first dose that the cells act on
            e_a = _expected(_state(tk, kk, t0[p, None])[0], np.zeros((len(p), 1)), beta)
            e_b = _expected(_state(tk, kk, t0[p, None], h=0.1, h_w=w_ax)[0], np.zeros((len(p), 1)), beta)
            r_w = np.maximum((e_a - e_b)[:, 0] / 0.1, RATE_FLOOR)
            g = np.exp(0.4 * g_z[p] - 0.08) * np.where(c9[p], 0.6, 1.0) if on("response_spread") else 1.0
            base = {"a": DOSE_W if on("sensitisation") else np.ones(N_DOSES), "lag": on("engraftment_lag"),
                    "w": w_ax}  # fmt: skip
            lam = -np.log1p(-np.minimum(effect * g / r_w, 0.9))
            grid_t = np.broadcast_to(np.arange(MONTHS, dtype=float), (len(p), MONTHS))

            def with_cells(gp: np.ndarray) -> tuple[dict, dict[str, np.ndarray]]:
                c = _with_slowing({**base, "lam": lam, "doses": np.where(gp, t_dose[p], np.inf)}, t0[p])
                return c, run(p, c, _state(tk, kk, grid_t, c)[0], block, False)

            for k in range(1, N_DOSES):
                gp = next_dose(gp, k, with_cells(gp)[1])
            course1, res1 = with_cells(gp)
        given[p] = gp
        for key in res:
            res[key][p] = res1[key]
    return _tables(n, effect, onset_day, diag_day, birth_year, sex_m, code, site, lock_day, res, given, dose_day,
                   (escorial, genetics, riluzole, edaravone, cmap, ae_hit, u_ae_t, u_viab, u_pass),
                   (p, t0, res0 if len(p) else None, course1, t_all, k_all, beta),
                   dec_day if record_occasions else None)  # fmt: skip


def _declared(day: np.ndarray) -> np.ndarray:
    """The annual data review that declares a patient gone: the first 31 December at least 90 days after ``day``
    (days since the epoch)."""
    year = pd.to_datetime(np.minimum(day + 90, 90000), unit="D").year.to_numpy()
    dec31 = pd.to_datetime(pd.DataFrame({"year": year, "month": 12, "day": 31}))
    return (dec31 - EPOCH).dt.days.to_numpy()


def _tables(n, effect, onset_day, diag_day, birth_year, sex_m, code, site, lock_day, res, given, dose_day, recorded,
            truth_in, dec_day=None) -> WorldCohort:  # fmt: skip
    """The canonical tables of the recorded run ``res`` and the truths against the run without cells; with the
    decision days ``dec_day`` also each visit's type and each dose's decision date."""
    escorial, genetics, riluzole, edaravone, cmap, ae_hit, u_ae_t, u_viab, u_pass = recorded
    p, t0, res0, course1, t_all, k_all, beta = truth_in
    fol, vday = res["fol"], res["vday"]
    lock_m = (lock_day - onset_day) / DPM
    last_day = vday.max(1)
    last_t = (last_day - onset_day) / DPM
    death, wd_t, rel = res["death"], res["wd_t"], res["reloc"]
    died = (death < wd_t) & (death < rel) & (death <= lock_m)
    withdrawn = (wd_t < death) & (wd_t < rel) & (res["wd_day"] <= lock_day)
    relocated = (rel < death) & (rel < wd_t) & (rel <= lock_m)
    rel_day = onset_day + np.rint(np.minimum(rel, 1e4) * DPM).astype(np.int64)
    decl = _declared(rel_day)
    lost = relocated & (decl <= lock_day)
    end_obs = np.where(withdrawn, wd_t, np.where(relocated, rel, lock_m))
    ids = np.array([f"W13{i:05d}" for i in range(n)])
    ev_rows = [
        event_rows(ids, onset_day, "niv_start", res["niv"], np.where(res["niv_day"] < BIG, res["niv_day"] - onset_day,
                                                                     0), end_obs, lock_m, death),
        event_rows(ids, onset_day, "gastrostomy", res["gas"], np.where(res["gas_day"] < BIG, res["gas_day"] - onset_day,
                                                                       0), end_obs, lock_m, death),
    ]  # fmt: skip
    events, gastro_day = closing_events(ids, onset_day, ev_rows, res["wd_day"], withdrawn, died, death, last_day,
                                        lost, last_t, lock_m, (decl - last_day) / DPM)  # fmt: skip
    alsfrs = item_rows(ids, res["items"], fol, vday, gastro_day)
    pi, vi = np.nonzero(fol)
    alsfrs["assessor"] = np.where(res["clinic"][pi, vi], "clinician", "phone")
    if dec_day is not None:
        alsfrs["visit_type"] = VISIT_TYPES[res["vtype"][pi, vi]]
    alsfrs = alsfrs.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    ps, vs, ks = np.nonzero(fol[..., None] & np.isfinite(res["meas"]))
    measurements = pd.DataFrame({
        "patient_id": ids[ps], "date": pd.to_datetime(vday[ps, vs], unit="D"),
        "measure": np.array(["fvc_pct_pred", "weight_kg", "nfl"])[ks], "value": res["meas"][ps, vs, ks],
        "unit": np.array(["%", "kg", "pg/mL"])[ks], "specimen": np.array([None, None, "serum"])[ks],
    })  # fmt: skip
    pc = np.flatnonzero(np.isfinite(cmap))
    emg = pd.DataFrame({"patient_id": ids[pc], "date": pd.to_datetime(diag_day[pc], unit="D"), "measure": "cmap_mv",
                        "value": cmap[pc], "unit": "mV"})  # fmt: skip
    measurements = pd.concat([measurements, emg], ignore_index=True)
    measurements = measurements.sort_values(["patient_id", "date", "measure"], kind="stable").reset_index(drop=True)
    patients = pd.DataFrame({
        "patient_id": ids, "sex": np.where(sex_m, "M", "F"), "birth_year": birth_year,
        "onset_date": pd.to_datetime(onset_day, unit="D"), "diagnosis_date": pd.to_datetime(diag_day, unit="D"),
        "onset_site": np.array(["bulbar", "limb", "respiratory", "generalized"])[code],
        "el_escorial": escorial, "riluzole": riluzole, "edaravone": edaravone, "genetics": genetics,
        "site": SITES[site],
    })  # fmt: skip
    pg, kg = np.nonzero(given)
    tid = np.array([f"{ids[i]}-D{k + 1}" for i, k in zip(pg, kg, strict=True)], dtype=object)
    when = pd.to_datetime(dose_day[pg, kg], unit="D")
    treatments = pd.DataFrame({
        "treatment_id": tid, "patient_id": ids[pg], "date": when, "cycle": kg + 1, "cell_source": "wharton_jelly",
        "donor": "allogeneic", "route": "intrathecal", "dose_cells": 3.0e7,
        "lot": [f"WJ{d.year}Q{d.quarter}" for d in when], "viability_pct": np.round(85 + 12 * u_viab[pg, kg], 1),
        "passage": 3 + np.floor(3 * u_pass[pg, kg]).astype(int),
    })  # fmt: skip
    if dec_day is not None:  # the later doses have no decision of their own: the first's
        treatments["decision_date"] = pd.to_datetime(dec_day[pg], unit="D")
    treatments = treatments.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    # adverse events of the given doses (the headache's draw is the one that delayed the next dose)
    hit = given[..., None] & ae_hit
    ai, ak, aj = np.nonzero(hit)
    start = dose_day[ai, ak] + np.array([1, 0, 0])[aj]
    span = np.array([3, 1, 1])[aj] + np.floor(u_ae_t[ai, ak, aj] * np.array([5, 2, 3])[aj]).astype(np.int64)
    dday = events.loc[events["event"] == "death"].set_index("patient_id")["date"]
    death_day = pd.Series(ids[ai]).map((dday - EPOCH).dt.days).to_numpy(float)
    death_day = np.where(np.isnan(death_day), np.inf, death_day)
    keep_ae = start <= death_day
    resolved = np.where(start + span <= death_day, start + span, -1)
    adverse = pd.DataFrame({
        "ae_id": [f"{tid_}-AE{j + 1}" for tid_, j in zip(
            pd.Series([f"{ids[i]}-D{k + 1}" for i, k in zip(ai, ak, strict=True)], dtype=object), aj, strict=True)],
        "patient_id": ids[ai], "onset_date": pd.to_datetime(start, unit="D"),
        "resolved_date": pd.to_datetime(np.where(resolved >= 0, resolved, 0), unit="D").where(resolved >= 0),
        "term": AE_TERMS[aj], "grade": np.where((aj == 0) & (u_ae_t[ai, ak, aj] > 0.7), 2, 1), "serious": False,
        "treatment_id": [f"{ids[i]}-D{k + 1}" for i, k in zip(ai, ak, strict=True)],
        "relatedness": np.array(["probable", "possible", "definite"])[aj],
    })[keep_ae].reset_index(drop=True)  # fmt: skip
    tables = Tables.from_frames(patients=patients, treatments=treatments, alsfrs=alsfrs, measurements=measurements,
                                adverse_events=adverse, events=events)  # fmt: skip
    if len(p) == 0:
        return WorldCohort(tables, float(effect), 0)
    # truths: expected clinician-rated totals with and without the cells, at the visits of either run
    days = np.concatenate([np.where(fol[p], vday[p], onset_day[p, None]),
                           np.where(res0["fol"], res0["vday"], onset_day[p, None])], 1)  # fmt: skip
    tt = (days - onset_day[p, None]) / DPM
    since = tt - t0[p, None]
    tk, kk = t_all[p], k_all[p]
    e1 = _expected(_state(tk, kk, tt, course1)[0], days >= res["niv_day"][p, None], beta)
    e0 = _expected(_state(tk, kk, tt)[0], days >= res0["niv_day"][:, None], beta)
    z = np.zeros_like(fol[p])
    truths = cohort_truths(e1, e0, since, np.concatenate([fol[p], z], 1), np.concatenate([z, res0["fol"]], 1), effect)
    return WorldCohort(tables, float(effect), len(p), *truths)


__all__ = ["ITEMS", "PIECES", "RECORDED_RULE_INPUTS", "WorldCohort", "simulate_world13"]

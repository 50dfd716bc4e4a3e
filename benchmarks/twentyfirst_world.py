"""A twenty-first data-generating mechanism, held out and written blind: from the canonical format
(spec/data-format.md, spec/domain-rules.md, docs/data-rules.md for the extension columns), the nineteenth and twentieth
worlds' code and tests as an example of the interface (and their docstrings' lists of the other worlds' courses, so as
to differ from them), without reading the estimators, their documentation pages or any calibration result, and
without running any estimator.

Its reason to exist: **patients and their caregivers rate the ALSFRS-R themselves on the registry's portal between
clinic visits, recorded as such** (``alsfrs.assessor`` ``self`` or ``caregiver``), and those ratings move who is
treated when: the portal alerts a patient whose score dropped, the patient asks for a clinic contact (and the cells),
and one site's clinicians read the portal's latest rating when they decide.  The other worlds use sigmoid,
linear-quadratic, Markov-plateau, change-point, domain-ramp, item-Poisson, subtype-random-walk, power-law,
drift-with-steps, Gompertz-reserve, coupled-propagation, burden-clock, spreading-front, gamma-process,
metabolic-feedback, cortical-times-segmental, two-stage-chain, glia-neuron-feedback, disease-course-map and
motor-unit-pool-with-reinnervation courses.  This world is a two-site registry (LAKE, an academic ALS centre, 60% of
the patients; MILL, a regional centre, 40%) whose programme gives banked allogeneic umbilical-cord MSCs
intravenously, and it differs in every piece (every constant below is an assumption unless a source is named):

* **course: a stochastic disease clock, its rate a geometric Ornstein-Uhlenbeck process, driving piecewise-linear
  regional burdens.**  Each patient's disease clock C(t) = ∫₀ᵗ r(s) ds (t months from onset) runs at r(s) =
  μ·e^{σX(s) − σ²/2}: X a stationary Ornstein-Uhlenbeck process (mean 0, SD 1, mean-reversion time τ = 4 months,
  exact AR(1) steps on a half-month grid, the rate constant within a step), σ = 0.5, so a patient goes through faster
  and slower phases of some months and never improves (plateaus over months are common in ALS, lasting reversals
  rare: Bedlack et al., Neurology 2016;86:808-812); μ = 0.28·π, π = e^{0.45·z + 0.012·(age − 62) + 0.15·bulbar} the
  patient's mean pace (older and bulbar onset faster: Chiò et al., Amyotroph Lateral Scler 2009;10:310-323).  Region
  d (bulbar, arm, leg, respiratory: the ALSFRS-R domains, Cedarbaum et al., J Neurol Sci 1999;169:13-21) carries the
  burden B_d = w_d·(C − c_d)⁺, in about subscore points: w = (1, 1, 1, 0.8)·e^{0.3·z_d}, ×1.4 for the onset region
  (it progresses fastest); c_d = 2.5·dist_d·e^{0.35·z_sd} the clock at which region d becomes involved, dist_d its
  distance from the onset region (contiguous 1: bulbar-arm, arm-leg, arm-respiratory; 1.5 bulbar-respiratory and
  leg-respiratory; 2 bulbar-leg: Ravits & La Spada, Neurology 2009;73:805-811), 0 for every region at a generalized
  onset.  All regions run on the one clock, so a fast phase speeds them all and the spread itself.  Onset: bulbar
  28%, arm 31%, leg 35% (both written ``limb``), respiratory 3%, generalized 3%; men 60%; age at onset N(62, 11²)
  within 30-88;
* **items: fixed milestones read through a Thurstonian (ordered-probit) perception of the burden.**  Item j of
  region d loses its c-th point when the burden passes θ_jc = h_j + 3·(c − 1): h = 0.7 for the item a region loses
  first (speech, handwriting, stairs, dyspnea), 1.7 for the middle one (swallowing, cutting food, walking,
  orthopnea), 2.7 for the last (salivation, dressing, turning in bed).  A rating records #{c: B_d + o + s_j·ε_j +
  s_day·ν < θ_jc}: ε_j item noise and ν the contact's day (shared by its items), standard normal draws; at the clinic
  s = 0.65, s_day = 0.4, o = 0.  Respiratory insufficiency (q12) follows the ventilation: 4 unventilated, on NIV the
  reading capped at 3 (3, 2, 1 as the breathing burden grows), 0 after a tracheostomy (spec/domain-rules.md); after
  a gastrostomy item 5 is q5b;
* **the portal: monthly self-ratings, a caregiver who takes over when the hands fail, fatigue, drop-off.**  At the
  diagnosis (MILL's portal opened on 2019-03-01, :data:`PORTAL_FROM`: its earlier patients start then) a patient
  joins the portal with probability logistic(0.3 − 0.05·(age − 60) + 0.4·male) (53% of the patients ever rate on it;
  remote users were more often men and less impaired in Meyer et al., Amyotroph Lateral Scler Frontotemporal Degener
  2023;24:175-184, where 21% of a multicentre cohort rated remotely, 10.9 times a year among the regular users, and
  younger in Steinfurth et al., same journal 2025;26:495-506).  A reminder comes each month (m +
  1 months after the diagnosis, answered 0-6 days later, never on the day of a clinic contact); it is answered with
  probability eng·e^{−(months on the portal)/48} (× 0.85 from a caregiver), eng ~ Beta(4, 1.5) the patient's
  engagement, and the patient leaves the portal for good at 2% of the live months.  Who rates: the caregiver from the
  start for 15%; otherwise the patient, until the arm's burden reaches 7.5 (handwriting about 1): then the caregiver
  for good, or, for the 15% with none, the portal stops (Meyer et al.: relatives entered ratings for patients in
  advanced stages).  A portal rating reads the items as the clinic does but with its rater's own persistent offset o
  (the patient's N(−0.15, 0.3²), a little kinder; the caregiver's N(+0.25, 0.3²), a little stricter: proxies' and
  patients' ratings agree well with the clinic's, Maier et al., Amyotroph Lateral Scler 2012;13:210-216, r = 0.96
  online vs on site; Kasarskis et al., Amyotroph Lateral Scler Other Motor Neuron Disord 2005;6:50-54 for caregivers;
  the directions and sizes here are assumptions) and more noise, s = 0.8 (1.1 on handwriting, walking and dyspnea,
  the items where a self-explanatory version agreed least: Maier et al., Muscle Nerve 2025, doi 10.1002/mus.70092),
  s_day = 0.5; one item is left blank on 2% of them (their total missing: the only partial rows).  Measured (below):
  a self-rating and a clinic rating within 14 days correlate 0.94, the self-rating 0.14 points higher on average;
  the caregiver's 0.97 and 1.0 lower.  :data:`LEAVE_OUT_VISIT_TYPES` is empty: every row reads the same items;
* **the clinic: reviews, alerts that bring unscheduled contacts, home reviews after a tracheostomy.**  The
  diagnosis (the first review, ``scheduled``) comes 3 + 8.5·e^{0.45·z}·π^−½ months after onset (median 11; about a
  year: Paganoni et al., Amyotroph Lateral Scler Frontotemporal Degener 2014;15:453-456), on a weekday; reviews are
  booked 77-105 days on (multidisciplinary review about every 3 months: Miller et al., Neurology 2009;73:1218-1226),
  a weekend moved to the Monday.  When a complete portal rating is at least 3 points below the patient's previous
  complete one (whoever rated either) the portal alerts the patient and offers a clinic contact: a "keen" patient
  (40%, a fact no column holds) takes it with probability 0.7, another with 0.2; the contact (``unscheduled``) comes
  5-21 days later on a weekday, unless the booked review comes first, and the next review is booked 77-105 days after
  it.  Alerts lead to contacts whether or not the patient is already treated (a worried patient is seen), so the
  cells change the visits only through the course.  Every clinic contact is rated by the clinic (``clinician``; at
  MILL the assessor is left empty, its form lacking the field) and measures FVC % predicted (``fvc_pct_pred``)
  F0·(1 − 0.075·B_fvc) − 3·min(B_bul/12, 1) + N(0, 4²), B_fvc = w_resp·(C − c_resp + 2)⁺ (the diaphragm weakens
  before breathlessness is reported), F0 ~ N(97, 12²) within 60-130, and weight (``weight_kg``) W0·(1 −
  0.012·min(B_bul, 12) − 0.004·min(B_arm + B_leg, 24)) + N(0, 0.8²), W0 ~ N(81, 12²) men, N(67, 11²) women, within
  42-140.  After a tracheostomy the reviews are made at home (``home``: rated, nothing measured);
* **who is treated: the clinicians decide at clinic contacts on the recorded totals, LAKE also on the portal, and an
  unscheduled contact weighs as the patient's own request** (:data:`DECISION_VISIT_TYPES` ``("scheduled",
  "unscheduled")``: every review after the diagnosis and every unscheduled contact).  Eligible: the contact's total
  at least 24, FVC at least 50% (typical trial criteria, spec/domain-rules.md), at most 48 months since
  ``onset_date``, age (contact year − ``birth_year``) at most 75, no ``niv_start`` or ``tracheostomy`` recorded on or
  before it, and, at a review, the patient willing (90%, a fact no column holds; at an unscheduled contact the
  patient came asking).  Chosen when logit(u) < c + s: s = :func:`rule_score` (0.08·(total − 34) + 0.5·decline −
  0.02·(age − 60) − 0.5 with a gastrostomy recorded + 0.2 at LAKE, −0.2 at MILL, + 0.5·portal decline at LAKE where
  there is one, + 1.5 at an unscheduled contact; decline the recorded total's fall per month since the previous
  clinic contact, portal decline the previous clinic total minus the latest complete portal rating since it, per
  month between the two; both clipped to −2..4), u the contact's number on the allocation list (:func:`lottery`, by
  the patient's clinic contact j, 0 the diagnosis; seeded by (seed, 21)), independent of the course.  c sets at most
  round(share·n) patients (the first occasion where the criterion falls under c).  So the self-ratings move the
  decision twice: a drop on the portal brings an early contact that weighs as a request, at a moment the portal
  picked for looking bad, and at LAKE the clinician reads the portal's trend.  At 3,000 patients (seed 1) 48% of the
  starts come at unscheduled contacts at a share of 0.05, 24% at 0.3 and 9% at 0.6; about 70% are ever eligible, so
  a share of 0.6 treats a little fewer than round(share·n) (1,765 of 1,800); switching the portal off the rule
  (piece ``portal_in_rule``) changes 11% of those treated at 0.3, switching the alerts off 13%.  A banked product: the
  first infusion 14-35 days after the decision (:data:`DECISION_LAG_DAYS` 14), a second 28-35 days after the first
  (95%), a booster 168-196 days after the first (60% of those with a second), each while alive, followed and before
  the lock; 1×10⁶ cells per kg of the weight measured at the decision, intravenously (allogeneic umbilical-cord MSCs),
  viability 88-99%, passage 3-5.  Adverse events per infusion: fever 4% (transient fever is the adverse event
  associated with intravascular MSCs: Lalu et al., PLoS One 2012;7:e47559), headache 3%, an allergic infusion
  reaction 1% (grade 2), thromboembolism 0.2% (grade 3, serious; MSCs express tissue factor: an assumption of size);
* **effect: the cells slow the disease clock, building up over the first two infusions and waning from six months
  after the last; a quarter do not respond.**  From the first infusion the clock runs at r(s)·(1 − ρ·A(s)): A =
  0.6·ramp(s − t₁) + 0.4·ramp(s − t₂) (ramp rising from 0 to 1 over a month; t₂ only if the second is consented to),
  times e^{−(s − t_last − 6)⁺/9} (t_last the last infusion consented to: the booster postpones the waning); ρ =
  min(0.9, E·g/S), S the untreated expected clinic total's loss over one month of the clock at the patient's mean pace
  from the first infusion (points, at least 0.3), g = 0 for the 25% who do not respond, else lognormal (log-SD 0.5,
  mean 1/0.75; mean g 1): with A = 1 a responder at his mean pace loses about E·g points/month less; his rate's
  fluctuations go on, scaled.  The slower clock slows every region and the spread, delays NIV, gastrostomy and death,
  and keeps FVC and weight.  E = 0 gives ρ = 0 and the same course with and without cells.  (Measured once the
  constants were set, not tuned, on 3,000 patients, 30% treated, seed 1: the expected-total difference divided by the
  months since the first infusion averages 0.46·E at E = 0.2 and 0.38·E at E = 0.5 over the rows 0.5-3 months after
  it, 0.79·E and 0.63·E over 3-9, 0.87·E and 0.69·E over 9-15, 0.75·E and 0.59·E over 15-24, 0.60·E and 0.43·E over
  24-36.)
* **follow-up ends by respiratory failure at a burden threshold (or a tracheostomy), a bulbar hazard, palliative care
  at home, loss that depends on walking and on the portal, and the lock.**  Respiratory failure comes when the
  breathing burden reaches the patient's threshold θ ~ U(6, 9) (θ + 2.5 from NIV: Bourke et al., Lancet Neurol
  2006;5:140-147); there the patient dies or, with probability 0.08 (a choice no column holds), has a tracheostomy
  and lives on at a hazard of 0.025 per month.  Death also comes earlier by the hazard 0.05·min(B_bul/12, 1)² +
  0.0015·e^{0.07·(age − 62)} per month against an Exp(1) draw (aspiration and other causes; a gastrostomy does not
  change it: evidence for a survival benefit is insufficient, Andersen et al., EFNS guideline, Eur J Neurol
  2012;19:360-375).  NIV offered at a clinic contact with a recorded FVC below 50% or dyspnea or orthopnea at most 2
  (Miller et al. 2009), accepted 50% at each offer, started 7-28 days later; a gastrostomy at a contact with a recorded
  swallowing at most 2 or a weight at most 90% of the first (Andersen et al. 2012), accepted 28%, placed 14-42 days
  later.  After a clinic contact with a total of 18 or less the patient moves to palliative care at home and leaves
  the registry (``withdrawal``, 1-30 days later) with probability 0.06; lost after a clinic contact with probability
  0.004, 0.02 when the recorded walking (q8) is at most 1 (the journey too hard), both halved while the patient is on
  the portal (engaged patients stay; declared 4 months after the last row).  One lock, 2025-12-31 (:data:`LOCK`);
  patients diagnosed from 2016-01-01 to two months before it, alive and unventilated at diagnosis; onsets 2011-2025.
  Deaths after a loss or a withdrawal are unknown.

Calibration, measured on ``simulate_world21(3000, 0.0, 0.0, 1)`` once the constants were set (μ, the onset region's
weight, the spread, the milestones, the reading noise, the delays, the thresholds and hazards; the mean rate was
lowered twice and the milestones and the spread moved earlier once from a first draft whose first recorded totals had
a median of 44 and whose slopes averaged -1.2): the per-patient least-squares slope of the complete totals on months
(2,810 patients with two or more spanning 3 months) averages -1.01 points/month, median -0.88, 95% of patients between
-2.71 and -0.16 (-0.99 PRO-ACT, -0.89 population-based, spec/domain-rules.md; the clinic rows alone the same); 15% of
consecutive clinic totals rise and 12% repeat, the residual SD about a patient's quadratic 1.8 points; the first
recorded total's median 42; the diagnostic delay's median 11.1 months; median survival from onset 39 months
(Kaplan-Meier, entry at diagnosis, censored at the lock or, for the lost and withdrawn, at the last visit; 30-45
months in population cohorts); NIV recorded for 56%, a gastrostomy for 52%, a tracheostomy for 1.7%.  Rows: 61%
scheduled reviews, 35% portal ratings (24% self, 11% caregiver), 3.6% unscheduled contacts, 0.4% home reviews.
Truths (seed 1, 3,000 patients): ``truth_realised``, ``truth_window``, ``truth_observed`` 0.129, 0.157, 0.166 at E =
0.2 and 0.246, 0.301, 0.319 at E = 0.5 with 30% treated (0.122-0.132, 0.143-0.165, 0.158-0.174 at E = 0.2 and 5-60%;
the non-responders, the build-up, the waning and the cap).  3,000 patients take about 0.6 s untreated and 0.8-1.5 s
with 5%, 30% or 60% treated.

:data:`PIECES` names the pieces ``off`` switches off without changing the random draws: all random numbers are
drawn first in a fixed order (the patients', then their clinic contacts' by the contact's number, then their portal
months' by the month, then the infusions').  The untreated course decides who is chosen; the treated course shares it
up to the first infusion, and the visits do not depend on the cells except through the course.  ``truth`` is E;
``truth_realised``, ``truth_window``, ``truth_observed`` from ``window_truth.cohort_truths`` on the expected recorded
totals with and without cells at every row, portal rows included (over the reading noise, by the normal integral:
each row read by its own kind of rater, the clinic's or the patient's or caregiver's own offset with the portal's
noise; q12 by each course's own NIV and tracheostomy), zeros under E = 0.  With ``record_occasions=True`` the tables
also carry ``alsfrs.visit_type`` (``scheduled``, ``unscheduled``, ``home``, and ``remote`` for the portal's ratings)
and ``treatments.decision_date`` (every infusion the first's decision); every other column is unchanged.
``record_raters`` is accepted and does nothing: the clinic's raters are not identified in this world and a portal
rating's rater is its assessor (the rule ``rater_on_self_report`` forbids a rater there).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.signal import lfilter
from scipy.special import ndtr

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

# what the clinicians' rule reads besides the ALSFRS-R totals (the contact's, the previous clinic contact's and, at
# LAKE, the latest portal rating since then) and the kind of contact (a scheduled review or an unscheduled one)
RECORDED_RULE_INPUTS = ("age", "time_since_onset", "site", "ventilation", "gastrostomy", "fvc_pct_pred")
# decisions only at clinic contacts, never at a portal rating or a home review
DECISION_AT_EVERY_VISIT = False
# the clinic reviews after the diagnosis and the unscheduled contacts a portal alert brings
DECISION_VISIT_TYPES = ("scheduled", "unscheduled")
# every row reads the same twelve items; the portal's ratings carry their raters' offsets (documented), not a scale
# of their own
LEAVE_OUT_VISIT_TYPES = ()
# a banked allogeneic product: ordered, released and infused 2-5 weeks after the decision
DOSE_LAG = (14, 35)
# the shortest delay from the decision to the first infusion (days)
DECISION_LAG_DAYS = DOSE_LAG[0]
SECOND_GAP = (28, 35)  # the second infusion after the first (days)
BOOSTER_GAP = (168, 196)  # the booster after the first infusion (days)
N_DOSES = 3
CELLS_PER_KG = 1.0e6
P_SECOND, P_BOOSTER = 0.95, 0.6
PIECES = {
    "patient_pace": "the patients' own mean paces (off: the median pace; age and onset site kept)",
    "rate_fluctuation": "the disease clock's rate fluctuating as an Ornstein-Uhlenbeck process (off: constant rate)",
    "spread_delays": "each patient's own delays of the spread to the other regions (off: the population's)",
    "region_weights": "each patient's own weights of the regions (off: the population's)",
    "day_effect": "the contact's day effect shared by its items (off: none)",
    "self_offsets": "the patients' and caregivers' own offsets on the portal (off: read like the clinic)",
    "home_noise": "the portal ratings' larger noise, most on handwriting, walking and dyspnea (off: the clinic's)",
    "caregiver_takeover": "the caregiver taking over the portal when the arm fails (off: the patient keeps rating)",
    "portal": "the portal's monthly self-ratings (off: none)",
    "portal_fatigue": "completion waning with months on the portal and drop-off (off: constant, no drop-off)",
    "blanks": "an item left blank on a portal rating (off: none)",
    "alerts": "the portal's alert after a drop and the unscheduled contact it brings (off: none)",
    "portal_in_rule": "LAKE's clinicians reading the latest portal rating (off: no site reads it)",
    "request_points": "the points of an unscheduled contact, where the patient asks for the cells (off: none)",
    "site_preference": "the points by site (off: none)",
    "unwilling": "patients unwilling at a review, a fact no column holds (off: all willing)",
    "second_infusion": "the second infusion (off: the first only)",
    "booster": "the booster at six months (off: none)",
    "build_up": "the effect building up over the first two infusions (off: full from the first)",
    "waning": "the effect waning from six months after the last infusion (off: lasting)",
    "response_spread": "non-responders and the spread of the response (off: g = 1)",
    "niv": "NIV offered and started (off: none)",
    "gastrostomy": "gastrostomy offered and placed (off: none)",
    "death": "death (off: none)",
    "respiratory_failure": "respiratory failure when the breathing burden reaches the patient's threshold "
    "(off: hazards only)",
    "tracheostomy": "a tracheostomy chosen at respiratory failure (off: none)",
    "withdrawal": "withdrawal to palliative home care at a low recorded total (off: none)",
    "loss": "loss to follow-up (off: none)",
    "informative_loss": "more loss when walking is lost, less for active portal users (off: the same for all)",
    "assessor_blank": "MILL's form without the assessor field (off: every clinic rating says clinician)",
    "adverse_events": "adverse events of the infusions (off: none)",
}
SITES = np.array(["LAKE", "MILL"])
SITE_P = np.array([0.6, 0.4])
SITE_PTS = np.array([0.2, -0.2])
READS_PORTAL = np.array([True, False])
PORTAL_FROM = (pd.Timestamp("2016-01-01"), pd.Timestamp("2019-03-01"))
ONSET_FROM, ONSET_YEARS = pd.Timestamp("2011-01-01"), 15.0
OPENING = pd.Timestamp("2016-01-01")
LOCK = pd.Timestamp("2025-12-31")
EPOCH = pd.Timestamp(0)
BIG = np.iinfo(np.int64).max // 4
NONE = np.array(None, dtype=object)  # a missing value in np.where (typed for mypy)
BUL, ARM, LEG, RESP = range(4)
DOMAIN = np.repeat(np.arange(4), 3)
ONSET_P = np.array([0.28, 0.31, 0.35, 0.03, 0.03])  # bulbar, arm, leg, respiratory, generalized
DIST = np.array([[0, 1, 2, 1.5], [1, 0, 1, 1], [2, 1, 0, 1.5], [1.5, 1, 1.5, 0]])
# the course: the disease clock's mean rate, its fluctuation, the regions' weights and the spread
MU0, PACE_SD, OU_SD, OU_TAU = 0.28, 0.45, 0.5, 4.0
W_REGION, W_SD, ONSET_W = np.array([1.0, 1.0, 1.0, 0.8]), 0.3, 1.4
SPREAD, SPREAD_SD = 2.5, 0.35
HG, NG = 0.5, 364  # the clock's grid (months from onset)
FVC_LEAD = 2.0  # the diaphragm's weakness leads the breathing items by this much of the clock
# the items: burden at which item j loses its c-th point: ITEM_H[j] + STEP·(c − 1)
H_FIRST, H_MID, H_LAST, STEP = 0.7, 1.7, 2.7, 3.0
ITEM_H = np.array([H_FIRST, H_LAST, H_MID, H_FIRST, H_MID, H_LAST, H_LAST, H_MID, H_FIRST, H_FIRST, H_MID, H_LAST])
TH = ITEM_H[:, None] + STEP * np.arange(4)[None, :]
CLIN_SD, CLIN_DAY = 0.65, 0.4
HOME_SD, HOME_DAY, HOME_NOISY_SD = 0.8, 0.5, 1.1
NOISY_ITEMS = np.array([3, 7, 9])  # handwriting, walking, dyspnea
SELF_MEAN, CG_MEAN, OFFSET_SD = -0.15, 0.25, 0.3
# the portal
P_CG_START, P_HAS_CG, ARM_SWITCH = 0.15, 0.85, 7.5
ENG_A, ENG_B, ENG_DECAY, CG_FACTOR, P_DROP_OFF = 4.0, 1.5, 48.0, 0.85, 0.02
P_BLANK = 0.02
ALERT_DROP, P_KEEN, P_ASK_KEEN, P_ASK = 3, 0.4, 0.7, 0.2
UNS_LAG = (5, 21)
# the clinic
REVIEW_GAP = (77, 105)
P_NIV, P_GAS, P_WD, P_TRACH = 0.5, 0.28, 0.06, 0.08
NIV_EXTRA, H_BUL, H_BG, H_TRACH = 2.5, 0.05, 0.0015, 0.025
WD_TOTAL, P_LOSS, P_LOSS_WALK = 18, 0.004, 0.02
DECLARED_AFTER = 4.0
# the rule
TOT_MIN, FVC_MIN, AGE_MAX, ONSET_MAX, P_WILL = 24, 50, 75, 48, 0.9
REQ_PTS, GASTRO_PTS = 1.5, -0.5
# the effect
P_NONRESP, G_SDLOG, RHO_CAP, RATE_FLOOR = 0.25, 0.5, 0.9, 0.3
BUILD = np.array([0.6, 0.4])
WANE_AFTER, WANE_TAU = 6.0, 9.0
AE_TERMS = np.array(["fever", "headache", "allergic_reaction", "thromboembolism"])
AE_P = np.array([0.04, 0.03, 0.01, 0.002])
AE_SPAN = np.array([(1, 2), (1, 3), (1, 2), (30, 120)])
AE_REL = np.array(["possible", "possible", "probable", "possible"])
AE_GRADE = np.array([1, 1, 2, 3])
N_CL = 72  # clinic contacts at most (0 the diagnosis)
N_HOME = 121  # portal months at most (month m's reminder m + 1 months after the diagnosis)
SCHED, UNSCHED, HOME_REVIEW, REMOTE = 0, 1, 2, 3
VISIT_TYPES = np.array(["scheduled", "unscheduled", "home", "remote"], dtype=object)


def _days(ts: pd.Timestamp) -> int:
    return (ts - EPOCH).days


def _weekday(d: np.ndarray) -> np.ndarray:
    """``d`` moved from a Saturday or Sunday to the next Monday (1970-01-01 was a Thursday)."""
    wd = (d + 3) % 7
    return d + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))


def lottery(seed: int, n_patients: int) -> np.ndarray:
    """The clinics' allocation list: the uniform of the i-th patient's (``W21{i:05d}``) j-th clinic contact (column j,
    0 the diagnosis; scheduled, unscheduled and home reviews counted alike), from a stream of its own."""
    return np.random.default_rng([seed, 21]).random((n_patients, N_CL))


def rule_score(total, decline, portal_decline, age, site, gastrostomy, unscheduled, on=lambda piece: True):
    """The clinicians' points: 0.08·(total − 34) + 0.5·decline − 0.02·(age − 60) − 0.5 with a gastrostomy, + 0.2 at
    LAKE (``site`` 0), − 0.2 at MILL (1), + 0.5·portal decline at LAKE where there is one (nan: none), + 1.5 at an
    unscheduled contact; the declines (points/month) clipped to −2..4."""
    total, age = np.asarray(total, float), np.asarray(age, float)
    site = np.asarray(site, int)
    s = 0.08 * (total - 34) + 0.5 * np.clip(np.asarray(decline, float), -2, 4) - 0.02 * (age - 60)
    s = s + GASTRO_PTS * np.asarray(gastrostomy, bool)
    if on("site_preference"):
        s = s + SITE_PTS[site]
    pd_ = np.asarray(portal_decline, float)
    if on("portal_in_rule"):
        s = s + np.where(READS_PORTAL[site] & np.isfinite(pd_), 0.5 * np.clip(np.nan_to_num(pd_), -2, 4), 0.0)
    if on("request_points"):
        s = s + REQ_PTS * np.asarray(unscheduled, bool)
    return s


def _expected_items(b: np.ndarray, offset: np.ndarray, sd: np.ndarray, niv: np.ndarray, trach: np.ndarray):
    """The expected total at region burdens ``b`` (... × 4) read with ``offset`` (...) and item noise ``sd`` (... ×
    12): Σ_c Φ((θ_jc − b − offset)/sd) per item; q12 is 4 off NIV, at most 3 on NIV, 0 after a tracheostomy."""
    x = b[..., DOMAIN] + offset[..., None]
    p = ndtr((TH - x[..., None]) / sd[..., None])
    items = p.sum(-1)
    q12 = np.where(trach, 0.0, np.where(niv, items[..., 11] - p[..., 11, 0], 4.0))
    return items[..., :11].sum(-1) + q12


def simulate_world21(
    n_patients: int,
    effect: float,
    treated_share: float,
    seed: int,
    off: frozenset[str] = frozenset(),
    record_occasions: bool = False,
    record_raters: bool = False,
) -> WorldCohort:
    """A cohort of ``n_patients`` from the twenty-first world, effect E = ``effect``, at most round(share·n) treated,
    the pieces of ``off`` switched off; ``record_occasions`` fills ``alsfrs.visit_type`` and
    ``treatments.decision_date`` (the same draws, every other column unchanged).  ``record_raters`` is accepted and
    does nothing: this world's clinic ratings come from teams it does not name, and the portal's from the patients
    and caregivers (``alsfrs.assessor``), who carry no rater."""
    refuse_unknown(off, PIECES)
    del record_raters

    def on(piece: str) -> bool:
        return piece not in off

    rng = np.random.default_rng(seed)
    n, m = int(n_patients), 2 * int(n_patients) + 100
    # all random numbers first, in a fixed order: the patients', their clinic contacts', their portal months', doses
    site_u, sex_u, reg_u = (rng.random(m) for _ in range(3))
    age = np.clip(rng.normal(62, 11, m), 30, 88)
    onset_day = _days(ONSET_FROM) + rng.integers(0, int(ONSET_YEARS * 365.25), m)
    z_pace, z_dx = rng.normal(0, 1, m), rng.normal(0, 1, m)
    z_w, z_s = rng.normal(0, 1, (m, 4)), rng.normal(0, 1, (m, 4))
    ou_z = rng.standard_normal((m, NG))
    theta_u, death_e, trach_u, trach_e = rng.random(m), rng.exponential(1.0, m), rng.random(m), rng.exponential(1.0, m)
    u_esc, u_gen, u_ril, u_eda = (rng.random(m) for _ in range(4))
    f0_z, w0_z = rng.normal(0, 1, m), rng.normal(0, 1, m)
    u_enrol, u_keen, u_cg0, u_hascg, u_will, u_resp = (rng.random(m) for _ in range(6))
    eng = rng.beta(ENG_A, ENG_B, m)
    z_self, z_cg, z_g = rng.normal(0, 1, m), rng.normal(0, 1, m), rng.normal(0, 1, m)
    cl_z = rng.standard_normal((m, N_CL, 12), dtype=np.float32)
    cl_nu = rng.standard_normal((m, N_CL), dtype=np.float32)
    cl_eps = rng.standard_normal((m, N_CL, 2), dtype=np.float32)  # FVC, weight
    u_gap, u_niv, u_niv_lag, u_gas, u_gas_lag, u_wd, u_loss = (
        rng.random((m, N_CL), dtype=np.float32) for _ in range(7)
    )
    h_z = rng.standard_normal((m, N_HOME, 12), dtype=np.float32)
    h_nu = rng.standard_normal((m, N_HOME), dtype=np.float32)
    u_hday, u_do, u_blank, u_bitem, u_req, u_req_lag, u_stop = (
        rng.random((m, N_HOME), dtype=np.float32) for _ in range(7)
    )
    u_dose, u_d2, u_d2lag, u_b, u_blag = (rng.random(m) for _ in range(5))
    u_viab, u_pass, u_lot = (rng.random((m, N_DOSES)) for _ in range(3))
    u_ae, u_ae_t = rng.random((m, N_DOSES, len(AE_TERMS))), rng.random((m, N_DOSES, len(AE_TERMS)))

    # the patients: onset region, mean pace, regions' weights and thresholds of involvement on the clock
    r0 = np.searchsorted(np.cumsum(ONSET_P), reg_u * 0.999999)
    gen = r0 == 4
    pace = np.exp((PACE_SD * z_pace if on("patient_pace") else 0.0) + 0.012 * (age - 62) + 0.15 * (r0 == BUL))
    mu = MU0 * pace
    w = W_REGION * (np.exp(W_SD * z_w) if on("region_weights") else np.ones((m, 4)))
    w = w * np.where(np.arange(4)[None, :] == r0[:, None], ONSET_W, 1.0)
    c_in = SPREAD * DIST[np.minimum(r0, 3)] * (np.exp(SPREAD_SD * z_s) if on("spread_delays") else 1.0)
    c_in[gen] = 0.0
    theta = 6.0 + 3.0 * theta_u
    bg = H_BG * np.exp(0.07 * (age - 62))
    site = np.searchsorted(np.cumsum(SITE_P), site_u * 0.999999)
    tgrid = np.arange(NG + 1) * HG
    lock_day = _days(LOCK)
    diag_day = _weekday(onset_day + np.rint((3.0 + 8.5 * np.exp(0.45 * z_dx) * pace**-0.5) * DPM).astype(np.int64))
    t_dx = (diag_day - onset_day) / DPM

    def rates(rows: np.ndarray) -> np.ndarray:
        """The untreated clock's rate on each grid step (rows × NG): μ·e^{σX − σ²/2}, X a stationary OU process."""
        if not on("rate_fluctuation"):
            return np.repeat(mu[rows, None], NG, 1)
        a = np.exp(-HG / OU_TAU)
        b0 = np.sqrt(1 - a * a)
        x = ou_z[rows].copy()
        x[:, 0] /= b0  # X_0 = the first draw: stationary from onset
        ou = lfilter([b0], [1.0, -a], x, axis=1)
        return mu[rows, None] * np.exp(OU_SD * ou - OU_SD**2 / 2)

    def clock(rate: np.ndarray) -> np.ndarray:
        return np.concatenate([np.zeros((len(rate), 1)), np.cumsum(rate * HG, 1)], 1)

    def death_time(rows: np.ndarray, cg: np.ndarray, t_niv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(death, tracheostomy) in months from onset of ``rows`` on the clock grid ``cg`` (rows × grid), NIV from
        ``t_niv``: the bulbar and background hazards against an Exp(1) draw, and respiratory failure when the
        breathing burden reaches the threshold (raised on NIV): death, or a tracheostomy and the hazard after it."""
        none = np.full(len(rows), np.inf)
        if not on("death"):
            return none, none
        b_bul = w[rows, BUL, None] * np.maximum(cg - c_in[rows, BUL, None], 0)
        h = H_BUL * np.minimum(b_bul / 12, 1) ** 2 + bg[rows, None]
        ch = np.concatenate([np.zeros((len(rows), 1)), np.cumsum((h[:, 1:] + h[:, :-1]) / 2 * HG, 1)], 1)
        e = death_e[rows]
        hit = ch >= e[:, None]
        jj = hit.argmax(1)
        rr = np.arange(len(rows))
        jm = np.maximum(jj - 1, 0)
        c0, c1 = ch[rr, jm], ch[rr, jj]
        t_h = tgrid[jm] + HG * np.clip((e - c0) / np.maximum(c1 - c0, 1e-12), 0, 1)
        t_h = np.where(hit.any(1), np.where(jj > 0, t_h, 0.0), np.inf)
        if not on("respiratory_failure"):
            return t_h, none
        b_resp = w[rows, RESP, None] * np.maximum(cg - c_in[rows, RESP, None], 0)
        th = theta[rows, None] + NIV_EXTRA * (tgrid[None, :] >= t_niv[:, None])
        over = b_resp >= th
        jb = over.argmax(1)
        jl = np.maximum(jb - 1, 0)
        bl, bh, thb = b_resp[rr, jl], b_resp[rr, jb], th[rr, jb]
        t_f = tgrid[jl] + HG * np.clip((thb - bl) / np.maximum(bh - bl, 1e-12), 0, 1)
        t_f = np.where(over.any(1), np.where(jb > 0, t_f, 0.0), np.inf)
        trach = on("tracheostomy") & (trach_u[rows] < P_TRACH) & np.isfinite(t_f) & (t_f < t_h)
        t_tr = np.where(trach, t_f, np.inf)
        t_d = np.where(trach, np.minimum(t_h, t_f + trach_e[rows] / H_TRACH), np.minimum(t_h, t_f))
        return t_d, t_tr

    # who enters: diagnosed at an opened clinic before the lock's last two months, alive and breathing unaided
    ok0 = (diag_day >= _days(OPENING)) & (diag_day <= lock_day - 61)
    cand = np.flatnonzero(ok0)[: 2 * n + 50]
    rate_c = rates(cand)
    cg_c = clock(rate_c)
    d_c, tr_c = death_time(cand, cg_c, np.full(len(cand), np.inf))
    alive = np.flatnonzero((d_c > t_dx[cand] + 1 / DPM) & (tr_c > t_dx[cand]))[:n]
    if len(alive) < n:
        raise RuntimeError("too few candidates enter the cohort")
    keep = cand[alive]
    rate0, cg0 = rate_c[alive], cg_c[alive]
    del rate_c, cg_c
    per = dict(
        site=site, sex_u=sex_u, age=age, onset_day=onset_day, r0=r0, gen=gen, mu=mu, w=w, c_in=c_in, theta=theta,
        bg=bg, diag_day=diag_day, t_dx=t_dx, death_e=death_e, trach_u=trach_u, trach_e=trach_e, u_esc=u_esc,
        u_gen=u_gen, u_ril=u_ril, u_eda=u_eda, f0_z=f0_z, w0_z=w0_z, u_enrol=u_enrol, u_keen=u_keen, u_cg0=u_cg0,
        u_hascg=u_hascg, u_will=u_will, u_resp=u_resp, eng=eng, z_self=z_self, z_cg=z_cg, z_g=z_g, cl_z=cl_z,
        cl_nu=cl_nu, cl_eps=cl_eps, u_gap=u_gap, u_niv=u_niv, u_niv_lag=u_niv_lag, u_gas=u_gas, u_gas_lag=u_gas_lag,
        u_wd=u_wd, u_loss=u_loss, h_z=h_z, h_nu=h_nu, u_hday=u_hday, u_do=u_do, u_blank=u_blank, u_bitem=u_bitem,
        u_req=u_req, u_req_lag=u_req_lag, u_stop=u_stop, u_dose=u_dose, u_d2=u_d2, u_d2lag=u_d2lag, u_b=u_b,
        u_blag=u_blag, u_viab=u_viab, u_pass=u_pass, u_lot=u_lot, u_ae=u_ae, u_ae_t=u_ae_t,
    )  # fmt: skip
    P = {key: val[keep] for key, val in per.items()}
    del per, cl_z, h_z
    site, age, onset_day, w, c_in, theta, bg, mu = (P[k] for k in ("site", "age", "onset_day", "w", "c_in", "theta",
                                                                   "bg", "mu"))  # fmt: skip
    diag_day, t_dx, death_e, trach_u, trach_e = (P[k] for k in ("diag_day", "t_dx", "death_e", "trach_u", "trach_e"))
    sex_m = P["sex_u"] < 0.6
    birth_year = (pd.to_datetime(onset_day, unit="D").year.to_numpy() - np.floor(age)).astype(int)
    f0 = np.clip(97 + 12 * P["f0_z"], 60, 130)
    w0 = np.clip(np.where(sex_m, 81 + 12 * P["w0_z"], 67 + 11 * P["w0_z"]), 42, 140)
    enrol_logit = 0.3 - 0.05 * (age - 60) + 0.4 * sex_m
    portal0 = (P["u_enrol"] < 1 / (1 + np.exp(-enrol_logit))) & on("portal")
    portal_from = np.array([_days(x) for x in PORTAL_FROM])[site]
    keen = P["u_keen"] < P_KEEN
    cg_start = (P["u_cg0"] < P_CG_START) & on("caregiver_takeover")
    has_cg = P["u_hascg"] < P_HAS_CG
    willing = (P["u_will"] < P_WILL) | (not on("unwilling"))
    self_off = (SELF_MEAN + OFFSET_SD * P["z_self"]) if on("self_offsets") else np.zeros(n)
    cg_off = (CG_MEAN + OFFSET_SD * P["z_cg"]) if on("self_offsets") else np.zeros(n)
    clin_sd = np.full(12, np.hypot(CLIN_SD, CLIN_DAY if on("day_effect") else 0.0))
    h_item_sd = np.full(12, HOME_SD if on("home_noise") else CLIN_SD)
    if on("home_noise"):
        h_item_sd[NOISY_ITEMS] = HOME_NOISY_SD
    h_day_sd = (HOME_DAY if on("home_noise") else CLIN_DAY) if on("day_effect") else 0.0
    home_sd = np.hypot(h_item_sd, h_day_sd)
    lot_list = lottery(seed, n)
    cl_z, cl_nu, cl_eps, h_z, h_nu = P["cl_z"], P["cl_nu"], P["cl_eps"], P["h_z"], P["h_nu"]

    def burden(rows: np.ndarray, rate: np.ndarray, cg: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(region burdens (rows × 4), clock) at months ``t`` on the clock of ``rate``/``cg`` (the run's rows)."""
        k = np.clip(np.floor(t / HG).astype(np.int64), 0, NG - 1)
        loc = np.arange(len(rows))
        cx = cg[loc, k] + rate[loc, k] * (t - k * HG)
        return w[rows] * np.maximum(cx[:, None] - c_in[rows], 0.0), cx

    def run(idx: np.ndarray, rate: np.ndarray, cg: np.ndarray, decide: bool) -> dict[str, np.ndarray]:
        """The registry's contacts of patients ``idx`` on the clock ``rate``/``cg`` (their rows); ``decide``: the
        clinicians' criterion at each decision contact (the untreated run)."""
        r = len(idx)
        loc = np.arange(r)
        on_d, dx_d, s_r = onset_day[idx], diag_day[idx], site[idx]
        cday = np.full((r, N_CL), -1, np.int64)
        ctype = np.zeros((r, N_CL), np.int64)
        citems = np.full((r, N_CL, 12), np.nan, np.float32)
        cmeas = np.full((r, N_CL, 2), np.nan)
        hday = np.full((r, N_HOME), -1, np.int64)
        hkind = np.zeros((r, N_HOME), np.int64)  # 0 self, 1 caregiver
        hitems = np.full((r, N_HOME, 12), np.nan, np.float32)
        crit = np.full((r, N_CL), np.inf)
        death_t, trach_t = death_time(idx, cg, np.full(r, np.inf))
        dead_day, wd_day, stop_day = np.full(r, BIG), np.full(r, BIG), np.full(r, BIG)
        lost = np.zeros(r, bool)
        done = np.zeros(r, bool)
        niv_day, gas_day = np.full(r, BIG), np.full(r, BIG)
        k_cl = np.zeros(r, np.int64)
        mm = np.zeros(r, np.int64)
        nxt_cl, nxt_type = dx_d.copy(), np.zeros(r, np.int64)
        portal_on = portal0[idx].copy()
        cg_now = cg_start[idx].copy()
        h0 = np.maximum(dx_d, portal_from[idx])  # months on the portal from here

        def home_day(g: np.ndarray) -> np.ndarray:
            ok = portal_on[g] & (mm[g] < N_HOME)
            mj = np.minimum(mm[g], N_HOME - 1)
            d = dx_d[g] + np.rint((mm[g] + 1) * DPM).astype(np.int64)
            d = d + np.floor(P["u_hday"][idx[g], mj] * 7).astype(np.int64)
            return np.where(ok, d, BIG)

        nxt_h = home_day(loc)
        last_h, lh_tot, lh_day = np.full(r, np.nan), np.full(r, np.nan), np.full(r, -1, np.int64)
        last_cl_tot, last_cl_day = np.full(r, np.nan), np.full(r, -1, np.int64)
        w_first = np.full(r, np.nan)

        def ddays(g: np.ndarray, t: np.ndarray) -> np.ndarray:
            return np.where(np.isfinite(t), on_d[g] + np.ceil(np.minimum(t, 1e4) * DPM).astype(np.int64), BIG)

        while True:
            act = ~done
            nd = np.minimum(nxt_cl, nxt_h)
            dd = ddays(loc, death_t)
            die = act & (dd <= nd)
            dead_day = np.where(die & (dd <= lock_day), dd, dead_day)
            done |= die | (act & (nd > lock_day))
            g = np.flatnonzero(~done)
            if len(g) == 0:
                break
            clinic = nxt_cl[g] <= nxt_h[g]
            # a clinic contact
            gc = g[clinic]
            if len(gc):
                gi, d, j = idx[gc], nxt_cl[gc], k_cl[gc]
                tr_on = ddays(gc, trach_t[gc]) <= d
                typ = np.where(tr_on, HOME_REVIEW, nxt_type[gc])
                t = (d - on_d[gc]) / DPM
                b, cx = burden(gi, rate[gc], cg[gc], t)
                x = b[:, DOMAIN] + CLIN_SD * cl_z[gi, j].astype(np.float64)
                if on("day_effect"):
                    x = x + CLIN_DAY * cl_nu[gi, j].astype(np.float64)[:, None]
                it = (x[..., None] < TH).sum(-1).astype(np.float64)
                niv_on = niv_day[gc] <= d
                it[:, 11] = np.where(tr_on, 0, np.where(niv_on, np.minimum(it[:, 11], 3), 4))
                tot = it.sum(1)
                eps = cl_eps[gi, j].astype(np.float64)
                b_fvc = w[gi, RESP] * np.maximum(cx - c_in[gi, RESP] + FVC_LEAD, 0)
                fvc = f0[gi] * (1 - 0.075 * b_fvc) - 3 * np.minimum(b[:, BUL] / 12, 1) + 4 * eps[:, 0]
                fvc = np.where(tr_on, np.nan, np.clip(np.rint(fvc), 5, 150))
                wt = w0[gi] * (1 - 0.012 * np.minimum(b[:, BUL], 12) - 0.004 * np.minimum(b[:, ARM] + b[:, LEG], 24))
                wt = np.where(tr_on, np.nan, np.round(np.clip(wt + 0.8 * eps[:, 1], 25, 200), 1))
                cday[gc, j], ctype[gc, j], citems[gc, j] = d, typ, it
                cmeas[gc, j, 0], cmeas[gc, j, 1] = fvc, wt
                w_first[gc] = np.where(np.isnan(w_first[gc]), wt, w_first[gc])
                if decide:
                    months = np.maximum(d - last_cl_day[gc], 1) / DPM
                    dec_c = (last_cl_tot[gc] - tot) / months
                    has_h = lh_day[gc] > last_cl_day[gc]
                    dec_h = np.where(has_h, (last_cl_tot[gc] - lh_tot[gc]) /
                                     (np.maximum(lh_day[gc] - last_cl_day[gc], 1) / DPM), np.nan)  # fmt: skip
                    a_now = pd.to_datetime(d, unit="D").year.to_numpy() - birth_year[gi]
                    occ = ((typ == SCHED) & (j >= 1)) | (typ == UNSCHED)
                    elig = occ & (tot >= TOT_MIN) & (fvc >= FVC_MIN) & ((d - on_d[gc]) / DPM <= ONSET_MAX)
                    elig &= (a_now <= AGE_MAX) & ~niv_on & ~tr_on & (willing[gi] | (typ == UNSCHED))
                    score = rule_score(tot, dec_c, dec_h, a_now, s_r[gc], gas_day[gc] <= d, typ == UNSCHED, on)
                    ul = np.clip(lot_list[gi, j], 1e-12, 1 - 1e-12)
                    crit[gc, j] = np.where(elig, np.log(ul) - np.log1p(-ul) - score, np.inf)
                last_cl_tot[gc], last_cl_day[gc] = tot, d
                # NIV and gastrostomy offered
                no = (niv_day[gc] == BIG) & ~tr_on & on("niv") & (P["u_niv"][gi, j] < P_NIV)
                no &= (fvc < 50) | (it[:, 9] <= 2) | (it[:, 10] <= 2)
                if no.any():
                    gn = gc[no]
                    niv_day[gn] = d[no] + 7 + np.floor(P["u_niv_lag"][gi[no], j[no]] * 22).astype(np.int64)
                    death_t[gn], trach_t[gn] = death_time(idx[gn], cg[gn], (niv_day[gn] - on_d[gn]) / DPM)
                go = (gas_day[gc] == BIG) & on("gastrostomy") & (P["u_gas"][gi, j] < P_GAS)
                go &= (it[:, 2] <= 2) | (wt <= 0.9 * w_first[gc])
                gas_day[gc] = np.where(go, d + 14 + np.floor(P["u_gas_lag"][gi, j] * 29).astype(np.int64),
                                       gas_day[gc])  # fmt: skip
                # palliative home care, loss
                uw = P["u_wd"][gi, j]
                wd = (tot <= WD_TOTAL) & (uw < P_WD) & on("withdrawal")
                wd_day[gc] = np.where(wd, d + 1 + np.floor(uw / P_WD * 30).astype(np.int64), wd_day[gc])
                p_loss = np.full(len(gc), P_LOSS)
                if on("informative_loss"):
                    p_loss = np.where(it[:, 7] <= 1, P_LOSS_WALK, P_LOSS) * np.where(portal_on[gc], 0.5, 1.0)
                gone = ~wd & (P["u_loss"][gi, j] < p_loss) & on("loss")
                lost[gc[gone]] = True
                stop = wd | gone
                stop_day[gc[stop]] = d[stop]
                done[gc[stop]] = True
                k_cl[gc] += 1
                gap = REVIEW_GAP[0] + np.floor(P["u_gap"][gi, j] * (REVIEW_GAP[1] - REVIEW_GAP[0] + 1))
                nxt_cl[gc] = np.where(stop | (k_cl[gc] >= N_CL), BIG, _weekday(d + gap.astype(np.int64)))
                nxt_type[gc] = SCHED
            # a portal month
            gh = g[~clinic]
            if len(gh):
                gi, d, mj = idx[gh], nxt_h[gh], mm[gh]
                t = (d - on_d[gh]) / DPM
                b, _ = burden(gi, rate[gh], cg[gh], t)
                if on("caregiver_takeover"):
                    cg_now[gh] |= b[:, ARM] >= ARM_SWITCH
                portal_on[gh] &= ~cg_now[gh] | has_cg[gi]
                live = portal_on[gh] & (d >= portal_from[gi]) & (d != last_cl_day[gh])
                months_on = np.maximum(d - h0[gh], 0) / DPM
                p_do = eng[gi] * (np.exp(-months_on / ENG_DECAY) if on("portal_fatigue") else 1.0)
                p_do = p_do * np.where(cg_now[gh], CG_FACTOR, 1.0)
                rated = live & (P["u_do"][gi, mj] < p_do)
                hr = gh[rated]
                if len(hr):
                    gi2, d2, m2 = gi[rated], d[rated], mj[rated]
                    kind = cg_now[hr].astype(np.int64)
                    offs = np.where(kind == 1, cg_off[gi2], self_off[gi2])
                    x = b[rated][:, DOMAIN] + offs[:, None] + h_item_sd * h_z[gi2, m2].astype(np.float64)
                    if on("day_effect"):
                        x = x + h_day_sd * h_nu[gi2, m2].astype(np.float64)[:, None]
                    it = (x[..., None] < TH).sum(-1).astype(np.float64)
                    tr_on = ddays(hr, trach_t[hr]) <= d2
                    it[:, 11] = np.where(tr_on, 0, np.where(niv_day[hr] <= d2, np.minimum(it[:, 11], 3), 4))
                    if on("blanks"):
                        blank = P["u_blank"][gi2, m2] < P_BLANK
                        bi = np.minimum(np.floor(P["u_bitem"][gi2, m2] * 12).astype(int), 11)
                        it[np.flatnonzero(blank), bi[blank]] = np.nan
                    hday[hr, m2], hkind[hr, m2], hitems[hr, m2] = d2, kind, it
                    tot = it.sum(1)  # nan when an item is blank
                    full = np.isfinite(tot)
                    if on("alerts"):
                        drop = full & (last_h[hr] - tot >= ALERT_DROP) & ~tr_on
                        ask = drop & (P["u_req"][gi2, m2] < np.where(keen[gi2], P_ASK_KEEN, P_ASK))
                        lag = UNS_LAG[0] + np.floor(P["u_req_lag"][gi2, m2] * (UNS_LAG[1] - UNS_LAG[0] + 1))
                        ud = _weekday(d2 + lag.astype(np.int64))
                        ask &= (ud < nxt_cl[hr]) & (k_cl[hr] < N_CL)
                        nxt_cl[hr] = np.where(ask, ud, nxt_cl[hr])
                        nxt_type[hr] = np.where(ask, UNSCHED, nxt_type[hr])
                    last_h[hr] = np.where(full, tot, last_h[hr])
                    lh_tot[hr] = np.where(full, tot, lh_tot[hr])
                    lh_day[hr] = np.where(full, d2, lh_day[hr])
                if on("portal_fatigue"):
                    portal_on[gh] &= ~(live & (P["u_stop"][gi, mj] < P_DROP_OFF))
                mm[gh] += 1
                nxt_h[gh] = home_day(gh)
        first_death = (wd_day < BIG) & (ddays(loc, death_t) < wd_day)
        dd = ddays(loc, death_t)
        dead_day = np.where(first_death & (dd <= lock_day), dd, dead_day)
        wd_day = np.where((wd_day < BIG) & ~first_death & (wd_day <= lock_day), wd_day, BIG)
        return {"cday": cday, "ctype": ctype, "citems": citems, "cmeas": cmeas, "hday": hday, "hkind": hkind,
                "hitems": hitems, "crit": crit, "dead_day": dead_day, "wd_day": wd_day, "lost": lost & (wd_day == BIG),
                "niv_day": niv_day, "gas_day": gas_day, "trach_day": ddays(loc, trach_t), "stop_day": stop_day,
                "death_phys": dd}  # fmt: skip

    rows_n = np.arange(n)
    natural = run(rows_n, rate0, cg0, True)
    target_n = round(treated_share * n)
    cstar = natural["crit"].min(1)
    cut = share_cutoff(cstar, target_n)
    decided = cstar < cut
    j_dec = (natural["crit"] < cut).argmax(1)
    dec_day = np.where(decided, natural["cday"][rows_n, j_dec], 0)
    dec_wt = natural["cmeas"][rows_n, j_dec, 1]
    dose_day = np.zeros((n, N_DOSES), np.int64)
    dose_day[:, 0] = dec_day + DOSE_LAG[0] + np.floor(P["u_dose"] * (DOSE_LAG[1] - DOSE_LAG[0] + 1)).astype(np.int64)
    dose_day[:, 1] = dose_day[:, 0] + SECOND_GAP[0] + np.floor(P["u_d2lag"] * (SECOND_GAP[1] - SECOND_GAP[0] + 1))
    dose_day[:, 2] = dose_day[:, 0] + BOOSTER_GAP[0] + np.floor(P["u_blag"] * (BOOSTER_GAP[1] - BOOSTER_GAP[0] + 1))
    consent = np.ones((n, N_DOSES), bool)
    consent[:, 1] = (P["u_d2"] < P_SECOND) & on("second_infusion")
    consent[:, 2] = consent[:, 1] & (P["u_b"] < P_BOOSTER) & on("booster")
    p = np.flatnonzero(decided)
    knots = (dose_day[p] - onset_day[p, None]) / DPM
    rho = np.zeros(len(p))
    rate1 = rate0[p]
    if len(p) and effect != 0:
        k1 = np.clip(np.floor(knots[:, 0] / HG).astype(np.int64), 0, NG - 1)
        c1 = cg0[p, k1] + rate0[p, k1] * (knots[:, 0] - k1 * HG)
        zero = np.zeros(len(p))
        e_now = _expected_items(w[p] * np.maximum(c1[:, None] - c_in[p], 0), zero, np.broadcast_to(clin_sd, (len(p),
                                12)), zero.astype(bool), zero.astype(bool))  # fmt: skip
        c_next = c1 + mu[p]  # a month at the patient's mean pace
        e_next = _expected_items(w[p] * np.maximum(c_next[:, None] - c_in[p], 0), zero,
                                 np.broadcast_to(clin_sd, (len(p), 12)), zero.astype(bool), zero.astype(bool))  # fmt: skip
        slope = np.maximum(e_now - e_next, RATE_FLOOR)
        if on("response_spread"):
            g_resp = np.where(P["u_resp"][p] < P_NONRESP, 0.0,
                              np.exp(G_SDLOG * P["z_g"][p] - G_SDLOG**2 / 2) / (1 - P_NONRESP))  # fmt: skip
        else:
            g_resp = np.ones(len(p))
        rho = np.minimum(effect * g_resp / slope, RHO_CAP)
        tm = (np.arange(NG) + 0.5) * HG
        ramp = lambda q: np.clip(tm[None, :] - knots[:, q, None], 0.0, 1.0)  # noqa: E731
        if on("build_up"):
            a_t = BUILD[0] * ramp(0) + BUILD[1] * ramp(1) * consent[p, 1, None]
        else:
            a_t = ramp(0)
        if on("waning"):
            t_last = np.where(consent[p, 2], knots[:, 2], np.where(consent[p, 1], knots[:, 1], knots[:, 0]))
            a_t = a_t * np.exp(-np.maximum(tm[None, :] - t_last[:, None] - WANE_AFTER, 0.0) / WANE_TAU)
        rate1 = rate0[p] * (1 - rho[:, None] * a_t)
    cg1 = clock(rate1)
    res = {key: val.copy() for key, val in natural.items()}
    given = np.zeros((n, N_DOSES), bool)
    treated = np.zeros(n, bool)
    if len(p):
        res1 = run(p, rate1, cg1, False)
        d1 = dose_day[p, 0]
        ok = (d1 <= lock_day) & (res1["death_phys"] > d1) & (res1["stop_day"] > d1) & (res1["wd_day"] > d1)
        treated[p[ok]] = True
        living = (res1["death_phys"][:, None] > dose_day[p]) & (res1["stop_day"][:, None] > dose_day[p])
        living &= res1["wd_day"][:, None] > dose_day[p]
        given[p] = consent[p] & living & (dose_day[p] <= lock_day) & ok[:, None]
        given[p] = np.cumprod(given[p], 1).astype(bool)
        for key in res:
            res[key][p[ok]] = res1[key][ok]
    pt = np.flatnonzero(treated)
    sel = np.searchsorted(p, pt)
    truth_in = None
    if len(pt):
        truth_in = (pt, sel, res1, natural, rate1, cg1, knots[sel, 0])
    ctx = dict(n=n, onset_day=onset_day, diag_day=diag_day, birth_year=birth_year, sex_m=sex_m, r0=P["r0"],
               site=site, P=P, dose_day=dose_day, dec_day=dec_day, dec_wt=np.where(np.isfinite(dec_wt), dec_wt, w0),
               on=on, effect=effect, w=w, c_in=c_in, rate0=rate0, cg0=cg0, self_off=self_off, cg_off=cg_off,
               clin_sd=clin_sd, home_sd=home_sd)  # fmt: skip
    return _tables(ctx, res, given, truth_in, record_occasions)


def _burden_at(w, c_in, rows, rate, cg, t):
    """Region burdens (... × 4) of ``rows`` (patients' indices, one per row of ``rate``/``cg``) at months ``t``
    (rows × visits)."""
    k = np.clip(np.floor(t / HG).astype(np.int64), 0, NG - 1)
    rr = np.arange(len(rows))[:, None]
    cx = cg[rr, k] + rate[rr, k] * (t - k * HG)
    return w[rows][:, None, :] * np.maximum(cx[..., None] - c_in[rows][:, None, :], 0.0)


def _course_rows(res: dict, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(days, followed, is_home, caregiver) of the run ``res``'s rows ``rows``: clinic contacts then portal months."""
    days = np.concatenate([res["cday"][rows], res["hday"][rows]], 1)
    home = np.zeros_like(days, bool)
    home[:, N_CL:] = True
    cgk = np.concatenate([np.zeros_like(res["cday"][rows], bool), res["hkind"][rows] == 1], 1)
    return days, days >= 0, home, cgk


def _tables(ctx: dict, res: dict, given: np.ndarray, truth_in, record_occasions: bool) -> WorldCohort:
    """The canonical tables of the recorded run ``res`` and the truths."""
    n, onset_day, site, P, on = ctx["n"], ctx["onset_day"], ctx["site"], ctx["P"], ctx["on"]
    dose_day, effect = ctx["dose_day"], ctx["effect"]
    days, fol, is_home, cgk = _course_rows(res, np.arange(n))
    vday = np.where(fol, days, -1)
    ids = np.array([f"W21{i:05d}" for i in range(n)])
    events, gastro_day = follow_up_events(ids, onset_day, vday.max(1), _days(LOCK), res["dead_day"], res["wd_day"],
                                          res["lost"], {"niv_start": res["niv_day"], "gastrostomy": res["gas_day"],
                                           "tracheostomy": res["trach_day"]}, DECLARED_AFTER)  # fmt: skip
    items = np.concatenate([res["citems"], res["hitems"]], 1).astype(np.float64)
    alsfrs = item_rows(ids, items, fol, vday, gastro_day)
    pi, vi = np.nonzero(fol)
    home = is_home[pi, vi]
    clin = np.where(on("assessor_blank") & (site[pi] == 1), NONE, "clinician")
    alsfrs["assessor"] = np.where(home, np.where(cgk[pi, vi], "caregiver", "self"), clin).astype(object)
    if record_occasions:
        ctype = np.concatenate([res["ctype"], np.full_like(res["hday"], REMOTE)], 1)
        alsfrs["visit_type"] = VISIT_TYPES[ctype[pi, vi]]
    alsfrs = alsfrs.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    cm = res["cmeas"]
    ps, vs, ks = np.nonzero((res["cday"] >= 0)[..., None] & np.isfinite(cm))
    measurements = pd.DataFrame({
        "patient_id": ids[ps], "date": pd.to_datetime(res["cday"][ps, vs], unit="D"),
        "measure": np.array(["fvc_pct_pred", "weight_kg"])[ks], "value": cm[ps, vs, ks],
        "unit": np.array(["%", "kg"])[ks],
    })  # fmt: skip
    measurements = measurements.sort_values(["patient_id", "date", "measure"], kind="stable").reset_index(drop=True)
    u_esc, u_gen, u_ril, u_eda = P["u_esc"], P["u_gen"], P["u_ril"], P["u_eda"]
    patients = pd.DataFrame({
        "patient_id": ids, "sex": np.where(ctx["sex_m"], "M", "F"), "birth_year": ctx["birth_year"],
        "onset_date": pd.to_datetime(onset_day, unit="D"), "diagnosis_date": pd.to_datetime(ctx["diag_day"], unit="D"),
        "onset_site": np.array(["bulbar", "limb", "limb", "respiratory", "generalized"])[ctx["r0"]],
        "el_escorial": np.array(["definite", "probable", "probable_lab", "possible", None], dtype=object)[
            np.searchsorted([0.25, 0.62, 0.78, 0.95], u_esc)],
        "riluzole": np.where(u_ril < 0.8, "true", np.where(u_ril < 0.95, "false", NONE)).astype(object),
        "edaravone": np.where(u_eda < 0.08, "true", np.where(u_eda < 0.85, "false", NONE)).astype(object),
        "genetics": np.where(u_gen < 0.06, "C9orf72", np.where(u_gen < 0.08, "SOD1", NONE)).astype(object),
        "site": SITES[site],
    })  # fmt: skip
    # nothing after the end of follow-up: an infusion is recorded only while followed
    end_days = end_of_follow_up(events, ids)
    give = doses_while_followed(given, dose_day, end_days)
    pg, kg = np.nonzero(give)
    u_lot = P["u_lot"]
    lots = (2016 + np.floor(u_lot * 10)).astype(int) * 1000 + np.floor(u_lot * 1e5 % 997).astype(int)
    treatments = pd.DataFrame({
        "treatment_id": [f"{ids[i]}-I{q + 1}" for i, q in zip(pg, kg, strict=True)], "patient_id": ids[pg],
        "date": pd.to_datetime(dose_day[pg, kg], unit="D"), "cycle": kg + 1, "cell_source": "umbilical_cord",
        "donor": "allogeneic", "route": "intravenous", "dose_cells": CELLS_PER_KG * np.rint(ctx["dec_wt"][pg]),
        "lot": [f"UC-{x}" for x in lots[pg, kg]], "viability_pct": np.round(88 + 11 * P["u_viab"][pg, kg], 1),
        "passage": (3 + np.floor(P["u_pass"][pg, kg] * 3)).astype(int),
    })  # fmt: skip
    if record_occasions:
        treatments["decision_date"] = pd.to_datetime(ctx["dec_day"][pg], unit="D")
    treatments = treatments.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    u_ae, u_ae_t = P["u_ae"], P["u_ae_t"]
    hit = give[..., None] & (u_ae < AE_P[None, None]) & on("adverse_events")
    ai, ak, aj = np.nonzero(hit)
    lo, hi = AE_SPAN[aj, 0], AE_SPAN[aj, 1]
    start = dose_day[ai, ak] + np.where(aj == 2, 0, 1)
    span = lo + np.floor(u_ae_t[ai, ak, aj] * (hi - lo + 1)).astype(np.int64)
    keep_ae = start < end_days[ai]
    resolved = np.where(start + span < end_days[ai], start + span, -1)
    adverse = pd.DataFrame({
        "ae_id": [f"{ids[i]}-I{q + 1}-AE{j + 1}" for i, q, j in zip(ai, ak, aj, strict=True)],
        "patient_id": ids[ai], "onset_date": pd.to_datetime(start, unit="D"),
        "resolved_date": pd.to_datetime(np.where(resolved >= 0, resolved, 0), unit="D").where(resolved >= 0),
        "term": AE_TERMS[aj], "grade": np.where((aj < 2) & (u_ae_t[ai, ak, aj] > 0.85), 2, AE_GRADE[aj]),
        "serious": AE_GRADE[aj] >= 3,
        "treatment_id": [f"{ids[i]}-I{q + 1}" for i, q in zip(ai, ak, strict=True)], "relatedness": AE_REL[aj],
    })[keep_ae].reset_index(drop=True)  # fmt: skip
    tables = Tables.from_frames(patients=patients, treatments=treatments, alsfrs=alsfrs, measurements=measurements,
                                adverse_events=adverse, events=events)  # fmt: skip
    if truth_in is None:
        return WorldCohort(tables, float(effect), 0)
    return WorldCohort(tables, float(effect), len(truth_in[0]), *_truths(ctx, truth_in))


def _truths(ctx: dict, truth_in) -> tuple[float, float, float]:
    """``window_truth.cohort_truths`` on the expected recorded totals of the treated, with and without the cells, at
    the rows each course leaves (each row read by its own kind of rater: the clinic's, or the patient's or caregiver's
    own offset and the portal's noise; q12 by each course's own NIV and tracheostomy)."""
    pt, sel, res1, natural, rate1, cg1, t1 = truth_in
    onset_day, w, c_in = ctx["onset_day"], ctx["w"], ctx["c_in"]
    d1, f1, h1, k1 = _course_rows(res1, sel)
    d0, f0, h0, k0 = _course_rows(natural, pt)
    days = np.concatenate([np.where(f1, d1, onset_day[pt, None]), np.where(f0, d0, onset_day[pt, None])], 1)
    fol = np.concatenate([f1, f0], 1)
    home = np.concatenate([h1, h0], 1)
    cgk = np.concatenate([k1, k0], 1)
    tt = (days - onset_day[pt, None]) / DPM
    since = tt - t1[:, None]
    offs = np.where(home, np.where(cgk, ctx["cg_off"][pt, None], ctx["self_off"][pt, None]), 0.0)
    sd = np.where(home[..., None], ctx["home_sd"], ctx["clin_sd"])
    v = days.shape[1] // 2
    first = np.zeros_like(fol)
    first[:, :v] = True
    b1 = _burden_at(w, c_in, pt, rate1[sel], cg1[sel], tt)
    b0 = _burden_at(w, c_in, pt, ctx["rate0"][pt], ctx["cg0"][pt], tt)
    niv1 = np.where(first, days >= res1["niv_day"][sel, None], days >= natural["niv_day"][pt, None])
    tr1 = np.where(first, days >= res1["trach_day"][sel, None], days >= natural["trach_day"][pt, None])
    niv0 = days >= natural["niv_day"][pt, None]
    tr0 = days >= natural["trach_day"][pt, None]
    e1, e0 = np.zeros(days.shape), np.zeros(days.shape)
    use = fol
    e1[use] = _expected_items(b1[use], offs[use], sd[use], niv1[use], tr1[use])
    e0[use] = _expected_items(b0[use], offs[use], sd[use], niv0[use], tr0[use])
    e1 = np.where(first, e1, e0)
    z = np.zeros_like(f1)
    return cohort_truths(e1, e0, since, np.concatenate([f1, z], 1), np.concatenate([z, f0], 1), ctx["effect"])


__all__ = [
    "DECISION_AT_EVERY_VISIT", "DECISION_LAG_DAYS", "DECISION_VISIT_TYPES", "ITEMS", "LEAVE_OUT_VISIT_TYPES",
    "PIECES", "RECORDED_RULE_INPUTS", "WorldCohort", "lottery", "rule_score", "simulate_world21",
]  # fmt: skip

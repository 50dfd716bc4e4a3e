"""A twenty-second data-generating mechanism, held out and written blind: from the canonical format
(spec/data-format.md, spec/domain-rules.md), alscell's own readers (src/alscell/io, src/alscell/domain), the
twenty-first world's code and tests as an example of the interface and the other worlds' docstrings (so as to differ
from them), without reading the estimators, their documentation pages or any calibration result, and without running
any estimator.

Its reason to exist: **the registry records what an ALS clinic measures — FVC and SVC % predicted, weight and blood
NfL — and a stem-cell programme reads some of them, after a lead-in of its own.**  The other worlds use sigmoid,
linear-quadratic, Markov-plateau, change-point, domain-ramp, item-Poisson, subtype-random-walk, power-law,
drift-with-steps, Gompertz-reserve, coupled-propagation, burden-clock, spreading-front, gamma-process,
metabolic-feedback, cortical-times-segmental, two-stage-chain, glia-neuron-feedback, disease-course-map,
motor-unit-pool-with-reinnervation and stochastic-clock courses; decisions at visits on the visit's own record.  This
world is a two-site registry (HARBOUR, a tertiary ALS centre with a research biobank, 55% of the patients; VALLEY, a
satellite clinic, 45%) whose hospital-exemption programme gives autologous bone-marrow MSCs intrathecally in three
doses eight weeks apart, and it differs in every piece (every constant below is an assumption unless a source is
named):

* **course: neuroaxonal injury turned into lost function through a first-order lag (a distributed-lag model), the
  injury rate log-linear with random regimes.**  Each patient has an injury rate J(t) = J0·π·e^{β·t + R(t)} (t months
  from onset; J0 = 0.33 points of function a month; π = e^{0.5·z + 0.012·(age − 62) + 0.15·bulbar} the patient's pace,
  older and bulbar onset faster: Chiò et al., Amyotroph Lateral Scler 2009;10:310-323; β ~ N(0.004, 0.012²) a drift,
  the course accelerating a little on average; R a regime level, N(0, 0.35²) − 0.35²/2, redrawn at the times of a
  Poisson process of rate 1/12 a month: the disease's activity shifts between regimes of about a year).  Region d
  (bulbar, arm, leg, respiratory: the ALSFRS-R domains, Cedarbaum et al., J Neurol Sci 1999;169:13-21) takes the
  injury q_d·J(t) from its involvement s_d on (q 1 in the onset region, 0.8·e^{0.3·z_d − 0.045} elsewhere; s_d =
  Δ·dist_d, Δ = 4·π^−½·e^{0.4·z} months, dist 1 between contiguous regions, 1.5 bulbar-respiratory and
  leg-respiratory, 2 bulbar-leg: Ravits & La Spada, Neurology 2009;73:805-811; 0 everywhere at a generalized onset).
  The function lost follows the region's cumulative injury A_d through a first-order lag, K_d' = (A_d − K_d)/κ, κ = 3
  months (compensation — collateral reinnervation, adaptation — delays what an injury costs), and saturates, L_d =
  12·tanh(K_d/12) points of the domain's 12.  Onset: bulbar 30%, arm 30%, leg 34% (both written ``limb``),
  respiratory 3%, generalized 3%; men 60%; age at onset N(62, 11²) within 30-88;
* **items: a domain's loss shared unevenly by its three items, read with rounding noise that spares intact items.**
  Item j of domain d has the expected score x_j = 4 − clip(L/3 + (1 − r_j)·(L/12)·(1 − L/12)·6, 0, 4), r_j 0 for the
  item a domain loses first (speech, handwriting, stairs, dyspnea), 1 for the middle (swallowing, cutting food,
  walking, orthopnea), 2 for the last (salivation, dressing, turning in bed, respiratory insufficiency); a rating
  records clip(round(x_j + f_j·(0.4·ε_j + 0.15·ν)), 0, 4), ε_j and the visit's day effect ν standard normal draws,
  f_j = min(1, 0.25 + 4 − x_j) (an intact item is rarely misrated); by phone 0.5 and 0.2.  q12 follows the
  ventilation (spec/domain-rules.md): 4 without NIV, the reading capped at 3 on NIV, 0 after a tracheostomy; after a
  gastrostomy item 5 is q5b.  :data:`LEAVE_OUT_VISIT_TYPES` is empty: every row reads the same items;
* **the measurements (canonical keys ``fvc_pct_pred``, ``svc_pct_pred``, ``weight_kg``, ``nfl``).**  The vital
  capacity VC = VC0·(1 − A_vc/13)⁺, VC0 ~ N(98, 13²) within 65-135, A_vc the respiratory region's cumulative injury
  (unlagged: the diaphragm's weakness shows in spirometry before breathlessness is reported) counted from 2 months
  before its involvement.  HARBOUR measures FVC at every clinic visit, VC − 2 − 5·L_bulbar/12 + N(0, 4²) (a forced
  manoeuvre needs a lip seal); VALLEY measures SVC, VC + N(0, 3.5²), and both sites measure SVC at the visit closing
  a lead-in (the programme's protocol), HARBOUR then both.  Spirometry fails (nothing recorded) with probability
  0.04 + 0.5·(L_bulbar/12)², and is not done after a tracheostomy.  Weight W0·(1 − 0.010·L_bulbar − 0.0035·(L_arm
  + L_leg) − 0.001·t) + N(0, 0.7²) kg (dysphagia, wasting and a hypermetabolic loss), W0 ~ N(82, 12²) men, N(67, 11²)
  women, within 42-140, at 97% of clinic visits.  NfL = 90·(J·φ^0.4/0.35)^0.8·e^{0.2·z + 0.01·(age − 60)}·e^{0.15·ε}
  pg/mL, φ the share of the patient's regional susceptibility already involved: NfL measures the injury going on now
  (blood NfL is prognostic in ALS: Lu et al., Neurology 2015;84:2247-2257; the sizes are assumptions), so it foretells
  the decline the lagged function has not shown yet.  HARBOUR draws serum at the diagnosis (90%) and at a clinic visit
  at least 167 days after its last draw (80%); both sites draw at every visit closing a lead-in, VALLEY plasma (×0.85,
  an assumption), ``specimen`` ``serum`` or ``plasma``;
* **the visits: reviews whose interval follows the recorded total, and the programme's lead-ins.**  The diagnosis (the
  first review) comes 3.5 + 8·e^{0.45·z}·π^−0.4 months after onset (median 11; about a year: Paganoni et al.,
  Amyotroph Lateral Scler Frontotemporal Degener 2014;15:453-456), on a weekday.  The next review is booked 112-126
  days on after a recorded total of 40 or more, 84-98 days after 30-39 and 56-70 days below 30 (closer follow-up as
  needs grow), weekends moved to the Monday.  A lead-in: at a review (the diagnosis included) the patient may ask for
  the programme; the review passes the screening's recorded limits (total at least 25, FVC at HARBOUR or SVC at VALLEY
  at least 50%, at most 48 months since ``onset_date``, age (year − ``birth_year``) at most 80, no NIV or
  gastrostomy recorded by then: typical trial limits, spec/domain-rules.md, loosened for a hospital exemption), no
  lead-in started in the last 120 days, fewer than 4 so far, and the patient asks: a "keen" patient (50%, a fact no
  column holds) with probability 0.85, another 0.45.  A phone ALSFRS-R follows 28-35 days later (``remote``, assessor
  ``phone``) and the clinic visit closing the lead-in (``scheduled``) 56-70 days after the review; the next review is
  booked from it;
* **who is treated: the programme's board decides once, at the end of a lead-in, on the lead-in's decline, SVC, weight
  loss and, at HARBOUR, the NfL** (:data:`DECISION_VISIT_TYPES` ``("scheduled",)``, but only the visits closing a
  lead-in).  The board sees a patient whose closing visit records a total of at least 25, an SVC of at least 50%, no
  NIV or tracheostomy, and who is still willing to have the marrow aspirated and three lumbar punctures (90%, a fact
  no column holds; an unwilling patient may ask again at a later review).  Chosen when logit(u) < c + s: s =
  :func:`rule_score` (0.45·min(decline, 1.5) − 0.9·(decline − 1.5)⁺, the decline the recorded total's fall per month
  over the lead-in clipped to −1..4 — active disease, but not so fast that three doses over four months come too late;
  + 0.9·log(NfL/80) at HARBOUR, clipped to ±1.5 — its biobank's result is back for the board, VALLEY's is not; +
  0.025·(SVC − 80) − 0.2·(weight loss % since the first recorded weight)⁺ − 0.02·(age − 60) + 0.3 at HARBOUR, − 0.3 at
  VALLEY), u the lead-in's number on the allocation list (:func:`lottery`, by the patient's lead-in k, 0 the first;
  seeded by (seed, 22)), independent of the course — the product slots.  c sets at most round(share·n) patients (the
  first lead-in where the criterion falls under c).  The board's decision, yes or no, is final: no lead-in follows it.
  At 3,000 patients (seed 1) 74% have a lead-in and 61% are ever seen by the board, so a share of 0.6 treats a
  little fewer than round(share·n) (1,682 of 1,800); 95% of the starts come at the first lead-in; switching the NfL
  off the rule (piece ``nfl_in_rule``) changes 15% of those treated at a share of 0.05 and 5% at 0.3.  The first dose
  35-49 days after the decision (marrow aspirated, cells expanded: :data:`DECISION_LAG_DAYS` 35), the second and
  third each 56-63 days after the one before (every 8 weeks, and 1.00-1.25×10⁸ cells a dose, as in NurOwn's phase 3:
  Cudkowicz et al., Muscle Nerve 2022;65:291), each consented to with probability 0.93 and given while alive,
  followed and before the lock; one autologous lot per patient, viability 85-98%, passage 2-4.  Adverse events per
  injection: headache 7%, fever 8%, puncture-site pain 7% (autologous intrathecal MSCs in a pooled review, Stem Cells
  Int 2019, 8421281), back pain 4%, meningism 1% (grade 2);
* **effect: the cells damp the injury, dose by dose, each dose's action decaying; the function follows through the
  lag; the response varies.**  From the first dose the injury rate is J(t)·(1 − min(0.9, ρ·H(t)/H*)): H(t) = Σ_k
  ⅓·ramp((t − t_k)/½ month)·e^{−(t − t_k)/12} over the doses consented to, H* its value half a month after the third
  dose of an on-time schedule; ρ = E·g/S, S the untreated expected clinic total's loss per month over the three
  months from the first dose (points, at least 0.3), g ~ Gamma(2, ½) (mean 1).  So a typical responder's injury falls
  by E points a month's worth at the peak, NfL falls at once, and the ALSFRS-R, FVC/SVC, weight, NIV, gastrostomy and
  death follow with the lag.  E = 0 gives ρ = 0 and the same course with and without cells;
* **follow-up ends by respiratory failure at a vital-capacity threshold, a hazard from weight loss, palliative care,
  loss, and the lock.**  Respiratory failure comes when VC falls to the patient's threshold θ ~ U(25, 38)% (θ − 12 on
  NIV: NIV prolongs survival, Bourke et al., Lancet Neurol 2006;5:140-147); there the patient dies or, with
  probability 0.06 (a choice no column holds), has a tracheostomy and lives on at a hazard of 0.025 a month, rated at
  the reviews (q12 0).  Death also comes earlier at the hazard 0.0012·e^{0.07·(age − 62)} + 0.06·clip((ω − 0.05)/0.15,
  0, 1)² a month, ω the fraction of weight lost (cachexia), against an Exp(1) draw.  NIV offered at a clinic visit
  with a recorded FVC (or SVC) below 50% or dyspnea or orthopnea at most 2 (Miller et al., Neurology
  2009;73:1218-1226), accepted 40% at each offer, started 7-35 days later; a gastrostomy at a visit with a recorded
  swallowing at most 2 or a weight at most 90% of the first, accepted 30%, placed 14-42 days later.  After a clinic
  visit with a total of 16 or less the patient moves to palliative care and leaves the registry (``withdrawal``, 1-30
  days later) with probability 0.07; lost after a clinic visit with probability 0.005, 0.025 at VALLEY once the
  recorded walking (q8) is at most 1 (the journey too hard); declared 6 months after the last row.  One lock,
  2025-06-30 (:data:`LOCK`); patients diagnosed from 2015-01-01 to two months before it, alive at diagnosis; onsets
  2010-2025.  Deaths after a loss or a withdrawal are unknown.

Calibration, measured on ``simulate_world22(3000, 0.0, 0.0, 1)`` with numpy/pandas on its tables once the constants
were set (J0, the spread, the diagnostic delay, VC's scale and lead and the screening limits were moved once from a
first draft whose first totals had a median of 44, whose first FVC had a median of 73% and whose lead-ins reached too
few patients): the per-patient least-squares slope of the totals on months (2,748 patients with two or more rows
spanning 3 months) averages -1.02 points/month, median -0.92, 95% of patients between -2.37 and -0.26 (-0.99
PRO-ACT, -0.89 population-based, spec/domain-rules.md); 19% of consecutive clinic totals rise and 11% repeat, the
residual SD about a patient's quadratic 1.9 points; the first total's median 43; the diagnostic delay's median 11.2
months; median survival from onset 33 months (Kaplan-Meier, entry at diagnosis, censored at the lock or, for the lost
and withdrawn, at the last visit; 30-45 months in population cohorts); NIV recorded for 73%, a gastrostomy for 51%, a
tracheostomy for 2.3%, death for 71%.  First recorded FVC median 77%, SVC 79%; SVC slopes average -2.2 %
predicted/month (-2.7 in trial placebo arms: Andrews et al., JAMA Neurol 2018); the first NfL's median 87 pg/mL at
HARBOUR (serum) and 70 at VALLEY (plasma), its log correlating -0.67 with the ALSFRS-R slope.  Rows: 92% clinic
visits, 8% phone ratings; spirometry at 91% of clinic visits.  Truths (seed 1, 3,000 patients): ``truth_realised``,
``truth_window``, ``truth_observed`` 0.059, 0.080, 0.089 at E = 0.2 and 0.138, 0.190, 0.209 at E = 0.5 with 30%
treated (0.058-0.059, 0.076-0.080, 0.079-0.089 at E = 0.2 and 5-60%: the lag, the decaying doses and the spread of
the response keep the slope change over 24 months well below E).  3,000 patients take about 2 s, treated or not.

:data:`PIECES` names the pieces ``off`` switches off without changing the random draws: all random numbers are
drawn first in a fixed order (the candidates', then the cohort's visits' by the visit's number, then the doses').
The untreated course decides who is chosen; the treated course shares it up to the first dose, and the visits do not
depend on the cells except through the course.  ``truth`` is E; ``truth_realised``, ``truth_window``,
``truth_observed`` from ``window_truth.cohort_truths`` on the expected recorded totals with and without cells at every
row (over the rounding noise, by the normal integral: the clinic's rows with the clinic's noise, the phone's with the
phone's; q12 by each course's own NIV and tracheostomy), zeros under E = 0.  With ``record_occasions=True`` the tables
also carry ``alsfrs.visit_type`` (``scheduled`` for the reviews and the visits closing a lead-in, ``remote`` for the
lead-in's phone rating) and ``treatments.decision_date`` (every dose the first's decision); every other column is
unchanged.  ``record_raters`` is accepted and does nothing: the raters are not identified in this world.
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

# what the programme reads besides the ALSFRS-R totals (at the screening review and at the lead-in's end): the
# screening's recorded limits and the decision's points (NfL at HARBOUR only, SVC, the weight since the first visit)
RECORDED_RULE_INPUTS = (
    "age", "time_since_onset", "site", "ventilation", "gastrostomy", "fvc_pct_pred", "svc_pct_pred", "nfl",
    "weight_kg",
)  # fmt: skip
# decisions only at the clinic visit that closes a lead-in, never at a plain review or the lead-in's phone rating
DECISION_AT_EVERY_VISIT = False
DECISION_VISIT_TYPES = ("scheduled",)
# every row reads the same twelve items (the phone ratings with more noise, documented), no scale of their own
LEAVE_OUT_VISIT_TYPES = ()
# an autologous product: bone marrow aspirated after the decision, expanded for 5-7 weeks
DOSE_LAG = (35, 49)
DECISION_LAG_DAYS = DOSE_LAG[0]
DOSE_GAP = (56, 63)  # every 8 weeks (the NurOwn phase 3 schedule, spec/domain-rules.md)
N_DOSES = 3
DOSE_CELLS = (1.0e8, 1.25e8)  # cells per intrathecal dose (NurOwn phase 3: 100-125 × 10⁶, spec/domain-rules.md)
P_NEXT_DOSE = 0.93
PIECES = {
    "patient_pace": "the patients' own injury rates (off: the median; age and onset site kept)",
    "rate_drift": "each patient's drift of the log injury rate (off: none)",
    "regimes": "the injury rate's regimes, switching at random times (off: one regime)",
    "lag": "the lag from injury to lost function (off: function follows the injury at once)",
    "spread_delays": "each patient's own delay of the spread to other regions (off: the population's)",
    "region_susceptibility": "each patient's own susceptibility of the other regions (off: the population's)",
    "day_effect": "the visit's day effect shared by its items (off: none)",
    "phone_leadin": "the lead-in's phone rating after a month (off: none)",
    "banded_reviews": "review intervals by the recorded total (off: every 3 months)",
    "spirometry_failure": "spirometry failing with bulbar weakness (off: only after a tracheostomy)",
    "nfl_surveillance": "HARBOUR's NfL at the diagnosis and every 6 months (off: NfL only at lead-in ends)",
    "plasma": "VALLEY's plasma NfL, lower than serum (off: serum at both sites)",
    "keen": "keen patients, who ask for a lead-in more often (off: all alike)",
    "nfl_in_rule": "HARBOUR's points for the NfL (off: no site reads it)",
    "fast_penalty": "the penalty for a very fast lead-in decline (off: the decline's points only rise)",
    "weight_in_rule": "the points against weight loss (off: none)",
    "site_preference": "the points by site (off: none)",
    "unwilling": "patients refusing the aspiration and punctures at the decision (off: all willing)",
    "second_dose": "the second dose (off: the first only)",
    "third_dose": "the third dose (off: two at most)",
    "waning": "each dose's action decaying (off: lasting)",
    "response_spread": "the spread of the response between patients (off: g = 1)",
    "niv": "NIV offered and started (off: none)",
    "gastrostomy": "gastrostomy offered and placed (off: none)",
    "death": "death (off: none)",
    "cachexia": "the death hazard from weight loss (off: the background only)",
    "respiratory_failure": "respiratory failure when the vital capacity reaches the patient's threshold (off: none)",
    "tracheostomy": "a tracheostomy chosen at respiratory failure (off: none)",
    "withdrawal": "withdrawal to palliative care at a low recorded total (off: none)",
    "loss": "loss to follow-up (off: none)",
    "informative_loss": "more loss at VALLEY once walking is lost (off: the same for all)",
    "adverse_events": "adverse events of the injections (off: none)",
}
SITES = np.array(["HARBOUR", "VALLEY"])
SITE_P = np.array([0.55, 0.45])
SITE_PTS = np.array([0.3, -0.3])
READS_NFL = np.array([True, False])
SPECIMEN = np.array(["serum", "plasma"], dtype=object)
PLASMA_FACTOR = 0.85
ONSET_FROM, ONSET_YEARS = pd.Timestamp("2010-01-01"), 15.4
OPENING = pd.Timestamp("2015-01-01")
LOCK = pd.Timestamp("2025-06-30")
EPOCH = pd.Timestamp(0)
BIG = np.iinfo(np.int64).max // 4
NONE = np.array(None, dtype=object)
BUL, ARM, LEG, RESP = range(4)
DOMAIN = np.repeat(np.arange(4), 3)
ONSET_P = np.array([0.30, 0.30, 0.34, 0.03, 0.03])  # bulbar, arm, leg, respiratory, generalized
DIST = np.array([[0, 1, 2, 1.5], [1, 0, 1, 1], [2, 1, 0, 1.5], [1.5, 1, 1.5, 0]])
# the course: the injury rate (points of function a month), its drift and regimes, the spread, the lag
J0, PACE_SD, DRIFT_MEAN, DRIFT_SD = 0.33, 0.5, 0.004, 0.012
REGIME_RATE, REGIME_SD = 1 / 12, 0.35
Q_OTHER, Q_SD, Q_ONSET = 0.8, 0.3, 1.0
SPREAD, SPREAD_SD = 4.0, 0.4
KAPPA = 3.0
HG, NG = 0.5, 372  # the course's grid (months from onset)
# the items: the share of the domain's loss each takes (first, middle, last to go)
RANK = np.array([0, 2, 1, 0, 1, 2, 2, 1, 0, 0, 1, 2])
ITEM_SD, DAY_SD, PHONE_SD, PHONE_DAY, INTACT = 0.4, 0.15, 0.5, 0.2, 0.25
# vital capacity, weight, NfL
VC_SCALE, VC_LEAD, FVC_BULBAR, FVC_GAP = 13.0, 2.0, 5.0, 2.0
FVC_SD, SVC_SD = 4.0, 3.5
W_BUL, W_LIMB, W_HYPER, W_SD = 0.010, 0.0035, 0.001, 0.7
NFL_REF, J_REF, NFL_EXP, NFL_SPREAD, NFL_AGE, NFL_PAT_SD, NFL_SD = 90.0, 0.35, 0.8, 0.4, 0.01, 0.2, 0.15
# visits
BANDS = ((40, (112, 126)), (30, (84, 98)), (-1, (56, 70)))
PLAIN_GAP = (84, 98)
PHONE_LAG, END_LAG = (28, 35), (56, 70)
# screening and the decision
ONSET_MAX, TOT_SCREEN, VC_SCREEN, AGE_MAX, LEAD_GAP, N_LEAD = 48, 25, 50, 80, 120, 4
P_KEEN, P_ASK_KEEN, P_ASK = 0.5, 0.85, 0.45
TOT_END, SVC_END, P_WILL = 25, 50, 0.9
# endings
P_NIV, P_GAS, P_TRACH, NIV_EXTRA = 0.4, 0.3, 0.06, 12.0
H_BG, H_CACH, H_TRACH = 0.0012, 0.06, 0.025
WD_TOTAL, P_WD, P_LOSS, P_LOSS_WALK, DECLARED_AFTER = 16, 0.07, 0.005, 0.025, 6.0
# the effect
RHO_CAP, RATE_FLOOR, WANE_TAU, G_SHAPE = 0.9, 0.3, 12.0, 2.0
AE_TERMS = np.array(["headache", "fever", "injection_site_pain", "back_pain", "meningism"])
AE_P = np.array([0.07, 0.08, 0.07, 0.04, 0.01])
AE_SPAN = np.array([(1, 4), (1, 2), (1, 5), (2, 10), (2, 7)])
AE_GRADE = np.array([1, 1, 1, 1, 2])
AE_REL = np.array(["probable", "possible", "definite", "probable", "probable"])
N_V = 72  # visits at most (0 the diagnosis)
REVIEW, PHONE, LEAD_END = 0, 1, 2
VISIT_TYPES = np.array(["scheduled", "remote", "scheduled"], dtype=object)


def _days(ts: pd.Timestamp) -> int:
    return (ts - EPOCH).days


def _weekday(d: np.ndarray) -> np.ndarray:
    """``d`` moved from a Saturday or Sunday to the next Monday (1970-01-01 was a Thursday)."""
    wd = (d + 3) % 7
    return d + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))


def lottery(seed: int, n_patients: int) -> np.ndarray:
    """The programme's allocation list: the uniform of the i-th patient's (``W22{i:05d}``) k-th lead-in (column k,
    0 the first), from a stream of its own."""
    return np.random.default_rng([seed, 22]).random((n_patients, N_LEAD))


def rule_score(decline, nfl, svc, weight_loss_pct, age, site, on=lambda piece: True):
    """The programme board's points at a lead-in's end: 0.45·min(decline, 1.5) − 0.9·(decline − 1.5)⁺ (decline the
    recorded total's fall per month over the lead-in, clipped to −1..4) + 0.9·log(NfL/80) at HARBOUR (``site`` 0;
    clipped to ±1.5; nan: none) + 0.025·(SVC − 80) − 0.2·(weight loss % since the first recorded weight)⁺ − 0.02·(age −
    60) + 0.3 at HARBOUR, − 0.3 at VALLEY (1)."""
    dec = np.clip(np.asarray(decline, float), -1, 4)
    site = np.asarray(site, int)
    s = 0.45 * np.minimum(dec, 1.5)
    if on("fast_penalty"):
        s = s - 0.9 * np.maximum(dec - 1.5, 0)
    nfl = np.asarray(nfl, float)
    if on("nfl_in_rule"):
        with np.errstate(divide="ignore", invalid="ignore"):
            ln = np.clip(np.log(nfl / 80), -1.5, 1.5)
        s = s + np.where(READS_NFL[site] & np.isfinite(ln), 0.9 * np.nan_to_num(ln), 0.0)
    s = s + 0.025 * (np.asarray(svc, float) - 80) - 0.02 * (np.asarray(age, float) - 60)
    if on("weight_in_rule"):
        s = s - 0.2 * np.maximum(np.nan_to_num(np.asarray(weight_loss_pct, float)), 0)
    if on("site_preference"):
        s = s + SITE_PTS[site]
    return s


def _item_means(loss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(expected item scores before rounding, noise scale) at domain losses ``loss`` (... × 4, points 0-12): the
    first item of a domain takes more of its loss early, the last less; an intact item is rarely misrated."""
    lq = loss[..., DOMAIN]
    lo = np.clip(lq / 3 + (1 - RANK) * (lq / 12) * (1 - lq / 12) * 6, 0, 4)
    return 4 - lo, np.minimum(1.0, INTACT + lo)


def _expected_total(loss: np.ndarray, sd: np.ndarray, niv: np.ndarray, trach: np.ndarray) -> np.ndarray:
    """The expected recorded total at domain losses ``loss`` (... × 4) read with noise ``sd`` (...): Σ_c Φ((x − c +
    ½)/s) per item; q12 4 off NIV, the reading capped at 3 on NIV, 0 after a tracheostomy."""
    x, sc = _item_means(loss)
    s = sc * sd[..., None]
    p = ndtr((x[..., None] - np.arange(1, 5) + 0.5) / s[..., None])
    items = p.sum(-1)
    q12 = np.where(trach, 0.0, np.where(niv, items[..., 11] - p[..., 11, 3], 4.0))
    return items[..., :11].sum(-1) + q12


def _interp(arr: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``arr`` (rows × [4 ×] grid points) linearly at months ``t`` (rows × visits): (rows × visits [× 4])."""
    k = np.clip(np.floor(t / HG).astype(np.int64), 0, NG - 1)
    f = np.clip(t / HG - k, 0.0, 1.0)
    rr = np.arange(arr.shape[0])[:, None]
    if arr.ndim == 3:
        a0, a1 = arr[rr, :, k], arr[rr, :, k + 1]  # rows × visits × 4
        return a0 * (1 - f[..., None]) + a1 * f[..., None]
    return arr[rr, k] * (1 - f) + arr[rr, k + 1] * f


def _first_below(v: np.ndarray, th: np.ndarray) -> np.ndarray:
    """The first month at which the grid series ``v`` (rows × grid points) falls below ``th`` (rows [× grid]), linear
    between grid points; inf where it never does (0 where it starts below)."""
    th = np.broadcast_to(th if np.ndim(th) == 2 else th[:, None], v.shape)
    under = v < th
    j = under.argmax(1)
    rr = np.arange(len(v))
    jl = np.maximum(j - 1, 0)
    d0, d1 = v[rr, jl] - th[rr, jl], v[rr, j] - th[rr, j]
    t = HG * jl + HG * np.clip(d0 / np.maximum(d0 - d1, 1e-12), 0, 1)
    return np.where(under.any(1), np.where(j > 0, t, 0.0), np.inf)


def simulate_world22(
    n_patients: int,
    effect: float,
    treated_share: float,
    seed: int,
    off: frozenset[str] = frozenset(),
    record_occasions: bool = False,
    record_raters: bool = False,
) -> WorldCohort:
    """A cohort of ``n_patients`` from the twenty-second world, effect E = ``effect``, at most round(share·n)
    treated, the pieces of ``off`` switched off; ``record_occasions`` fills ``alsfrs.visit_type`` and
    ``treatments.decision_date`` (the same draws, every other column unchanged).  ``record_raters`` is accepted and
    does nothing: this world's raters are not identified."""
    refuse_unknown(off, PIECES)
    del record_raters

    def on(piece: str) -> bool:
        return piece not in off

    rng = np.random.default_rng(seed)
    n, m = int(n_patients), 2 * int(n_patients) + 100
    # all random numbers first, in a fixed order: the candidates', then the cohort's visits', then the doses'
    site_u, sex_u, reg_u = (rng.random(m) for _ in range(3))
    age = np.clip(rng.normal(62, 11, m), 30, 88)
    onset_day = _days(ONSET_FROM) + rng.integers(0, int(ONSET_YEARS * 365.25), m)
    z_pace, z_dx, z_drift, z_spread = (rng.normal(0, 1, m) for _ in range(4))
    z_q = rng.normal(0, 1, (m, 4))
    u_reg = rng.random((m, NG), dtype=np.float32)
    z_reg = rng.standard_normal((m, NG), dtype=np.float32)
    theta_u, death_e, trach_u, trach_e = rng.random(m), rng.exponential(1.0, m), rng.random(m), rng.exponential(1.0, m)
    vc0_z, w0_z, nfl_z = rng.normal(0, 1, m), rng.normal(0, 1, m), rng.normal(0, 1, m)
    u_keen, u_resp_g = rng.random(m), rng.gamma(G_SHAPE, 1 / G_SHAPE, m)
    u_esc, u_gen, u_ril, u_eda = (rng.random(m) for _ in range(4))

    r0 = np.searchsorted(np.cumsum(ONSET_P), reg_u * 0.999999)
    gen = r0 == 4
    pace = np.exp((PACE_SD * z_pace if on("patient_pace") else 0.0) + 0.012 * (age - 62) + 0.15 * (r0 == BUL))
    q = Q_OTHER * (np.exp(Q_SD * z_q - Q_SD**2 / 2) if on("region_susceptibility") else np.ones((m, 4)))
    q = np.where(np.arange(4)[None, :] == r0[:, None], Q_ONSET, q)
    delta = SPREAD * pace**-0.5 * (np.exp(SPREAD_SD * z_spread) if on("spread_delays") else 1.0)
    s_in = delta[:, None] * DIST[np.minimum(r0, 3)]
    s_in[gen] = 0.0
    drift = DRIFT_MEAN + DRIFT_SD * z_drift if on("rate_drift") else np.zeros(m)
    theta = 25.0 + 13.0 * theta_u
    bg = H_BG * np.exp(0.07 * (age - 62))
    site = np.searchsorted(np.cumsum(SITE_P), site_u * 0.999999)
    sex_m = sex_u < 0.6
    vc0 = np.clip(98 + 13 * vc0_z, 65, 135)
    w0 = np.clip(np.where(sex_m, 82 + 12 * w0_z, 67 + 11 * w0_z), 42, 140)
    tm = (np.arange(NG) + 0.5) * HG
    tgrid = np.arange(NG + 1) * HG
    lock_day = _days(LOCK)
    diag_day = _weekday(onset_day + np.rint((3.5 + 8.0 * np.exp(0.45 * z_dx) * pace**-0.4) * DPM).astype(np.int64))
    t_dx = (diag_day - onset_day) / DPM

    def log_rate(rows: np.ndarray) -> np.ndarray:
        """The untreated injury rate's log on each grid step (rows × NG): the pace, the drift, the regimes."""
        lj = np.log(J0 * pace[rows])[:, None] + drift[rows, None] * tm[None, :]
        if on("regimes"):
            sw = u_reg[rows] < REGIME_RATE * HG
            sw[:, 0] = True
            last = np.maximum.accumulate(np.where(sw, np.arange(NG)[None, :], 0), 1)
            lj = lj + REGIME_SD * z_reg[rows][np.arange(len(rows))[:, None], last] - REGIME_SD**2 / 2
        return lj

    def course(rows: np.ndarray, mult: np.ndarray | None) -> dict[str, np.ndarray]:
        """The course of ``rows`` with the injury rate times ``mult`` (rows × NG; None: 1) on the grid: regions'
        lost function L (rows × 4 × grid points), the cumulative injury behind the vital capacity, the total injury
        rate (the NfL's), the latent vital capacity and weight-loss fraction."""
        j = np.exp(log_rate(rows))
        if mult is not None:
            j = j * mult
        inv = tm[None, None, :] >= s_in[rows][:, :, None]
        jd = j[:, None, :] * q[rows][:, :, None] * inv
        a = np.concatenate([np.zeros((len(rows), 4, 1)), np.cumsum(jd * HG, 2)], 2)
        if on("lag"):
            al = np.exp(-HG / KAPPA)
            mid = (a[:, :, 1:] + a[:, :, :-1]) / 2
            k = np.concatenate([np.zeros((len(rows), 4, 1)), lfilter([1 - al], [1.0, -al], mid, axis=2)], 2)
        else:
            k = a
        loss = 12 * np.tanh(k / 12)
        jv = j * q[rows, RESP, None] * (tm[None, :] >= s_in[rows, RESP, None] - VC_LEAD)
        avc = np.concatenate([np.zeros((len(rows), 1)), np.cumsum(jv * HG, 1)], 1)
        vc = vc0[rows, None] * np.maximum(1 - avc / VC_SCALE, 0.0)
        wl = W_BUL * loss[:, BUL] + W_LIMB * (loss[:, ARM] + loss[:, LEG]) + W_HYPER * tgrid[None, :]
        frac = (q[rows][:, :, None] * inv).sum(1) / q[rows].sum(1)[:, None]
        return {"loss": loss, "vc": vc, "jnfl": j * frac**NFL_SPREAD, "wl": wl}

    def ending_times(rows: np.ndarray, c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Months from onset of ``rows``' other-cause death, respiratory failure without and with NIV (before any
        tracheostomy) and whether it brings a tracheostomy."""
        inf = np.full(len(rows), np.inf)
        if not on("death"):
            return {"other": inf, "rf": inf, "rf_niv": inf, "trach": np.zeros(len(rows), bool)}
        h = bg[rows, None] + (H_CACH * np.clip((c["wl"] - 0.05) / 0.15, 0, 1) ** 2 if on("cachexia") else 0.0)
        ch = np.concatenate([np.zeros((len(rows), 1)), np.cumsum((h[:, 1:] + h[:, :-1]) / 2 * HG, 1)], 1)
        other = _first_below(-ch, -death_e[rows])
        if on("respiratory_failure"):
            rf, rf_niv = _first_below(c["vc"], theta[rows]), _first_below(c["vc"], theta[rows] - NIV_EXTRA)
        else:
            rf, rf_niv = inf, inf
        return {"other": other, "rf": rf, "rf_niv": rf_niv, "trach": (trach_u[rows] < P_TRACH) & on("tracheostomy")}

    def death_of(et: dict[str, np.ndarray], rows_local: np.ndarray, rows: np.ndarray, t_niv: np.ndarray):
        """(death, tracheostomy) months from onset given NIV from ``t_niv``."""
        rf = np.where(t_niv <= et["rf"][rows_local], et["rf_niv"][rows_local], et["rf"][rows_local])
        other = et["other"][rows_local]
        tr = et["trach"][rows_local] & (rf < other)
        t_tr = np.where(tr, rf, np.inf)
        return np.where(tr, np.minimum(other, rf + trach_e[rows] / H_TRACH), np.minimum(other, rf)), t_tr

    # who enters: diagnosed while the registry is open, before the lock's last two months, alive at the diagnosis
    ok0 = (diag_day >= _days(OPENING)) & (diag_day <= lock_day - 61)
    cand = np.flatnonzero(ok0)[: n + n // 5 + 50]
    et_c = ending_times(cand, course(cand, None))
    d_c, tr_c = death_of(et_c, np.arange(len(cand)), cand, np.full(len(cand), np.inf))
    alive = np.flatnonzero((d_c > t_dx[cand] + 1 / DPM) & (tr_c > t_dx[cand]))[:n]
    if len(alive) < n:
        raise RuntimeError("too few candidates enter the cohort")
    keep = cand[alive]
    # the cohort's visits' draws, then the doses'
    v_z = rng.standard_normal((n, N_V, 12), dtype=np.float32)
    v_nu = rng.standard_normal((n, N_V), dtype=np.float32)
    v_eps = rng.standard_normal((n, N_V, 4), dtype=np.float32)  # FVC, SVC, weight, NfL
    u_gap, u_spiro, u_wt, u_nfl, u_ask, u_will, u_niv, u_niv_lag, u_gas, u_gas_lag, u_wd, u_loss = (
        rng.random((n, N_V), dtype=np.float32) for _ in range(12)
    )
    u_dose, u_next, u_dgap, u_cells, u_viab, u_pass = (rng.random((n, N_DOSES)) for _ in range(6))
    u_ae, u_ae_t = rng.random((n, N_DOSES, len(AE_TERMS))), rng.random((n, N_DOSES, len(AE_TERMS)))
    u_lot = rng.random(n)

    # the cohort's own arrays (re-indexed 0..n-1)
    age, onset_day, site, sex_m, r0, q, s_in = age[keep], onset_day[keep], site[keep], sex_m[keep], r0[keep], q[keep], s_in[keep]  # fmt: skip
    pace, drift, theta, bg, vc0, w0 = pace[keep], drift[keep], theta[keep], bg[keep], vc0[keep], w0[keep]
    u_reg, z_reg, death_e, trach_u, trach_e = u_reg[keep], z_reg[keep], death_e[keep], trach_u[keep], trach_e[keep]
    diag_day, nfl_z, u_keen, g_resp = diag_day[keep], nfl_z[keep], u_keen[keep], u_resp_g[keep]
    u_esc, u_gen, u_ril, u_eda = u_esc[keep], u_gen[keep], u_ril[keep], u_eda[keep]
    birth_year = (pd.to_datetime(onset_day, unit="D").year.to_numpy() - np.floor(age)).astype(int)
    keen = (u_keen < P_KEEN) & on("keen")
    p_ask = np.where(keen, P_ASK_KEEN, P_ASK) if on("keen") else np.full(n, P_KEEN * P_ASK_KEEN + (1 - P_KEEN) * P_ASK)
    nfl_pat = np.exp(NFL_PAT_SD * nfl_z + NFL_AGE * (age - 60))
    spec_factor = np.where((site == 1) & on("plasma"), PLASMA_FACTOR, 1.0)
    specimen = np.where(on("plasma"), SPECIMEN[site], "serum")
    lot_list = lottery(seed, n)
    clin_sd = np.hypot(ITEM_SD, DAY_SD if on("day_effect") else 0.0)
    phone_sd = np.hypot(PHONE_SD, PHONE_DAY if on("day_effect") else 0.0)

    def run(idx: np.ndarray, c: dict[str, np.ndarray], decide: bool) -> dict:
        """The registry's visits of patients ``idx`` on the course ``c`` (their rows); ``decide``: the board's
        criterion at the lead-in's end that reaches it (the untreated run)."""
        r = len(idx)
        loc = np.arange(r)
        on_d, dx_d, s_r = onset_day[idx], diag_day[idx], site[idx]
        et = ending_times(idx, c)
        vday = np.full((r, N_V), -1, np.int64)
        vkind = np.zeros((r, N_V), np.int64)
        vitems = np.full((r, N_V, 12), np.nan, np.float32)
        vmeas = np.full((r, N_V, 4), np.nan)  # FVC, SVC, weight, NfL
        crit = np.full((r, N_LEAD), np.inf)
        crit_day = np.full((r, N_LEAD), -1, np.int64)
        death_t, trach_t = death_of(et, loc, idx, np.full(r, np.inf))
        dead_day, wd_day = np.full(r, BIG), np.full(r, BIG)
        lost, done = np.zeros(r, bool), np.zeros(r, bool)
        niv_day, gas_day = np.full(r, BIG), np.full(r, BIG)
        k = np.zeros(r, np.int64)
        nxt, nkind = dx_d.copy(), np.full(r, REVIEW)
        n_lead, lead_day, lead_tot = np.zeros(r, np.int64), np.full(r, -BIG), np.full(r, np.nan)
        w_first, nfl_last = np.full(r, np.nan), np.full(r, -BIG)
        boarded = np.zeros(r, bool)  # a lead-in ended eligible and willing: the board's decision, final

        def ddays(t: np.ndarray, g: np.ndarray) -> np.ndarray:
            return np.where(np.isfinite(t), on_d[g] + np.ceil(np.minimum(t, 1e4) * DPM).astype(np.int64), BIG)

        while True:
            act = ~done
            dd = ddays(death_t, loc)
            die = act & (dd <= nxt)
            dead_day = np.where(die & (dd <= lock_day), dd, dead_day)
            done |= die | (act & (nxt > lock_day))
            g = np.flatnonzero(~done)
            if len(g) == 0:
                break
            gi, d, j, kind = idx[g], nxt[g], k[g], nkind[g]
            t = (d - on_d[g]) / DPM
            tr_on = ddays(trach_t[g], g) <= d
            niv_on = niv_day[g] <= d
            ks = np.clip(np.floor(t / HG).astype(np.int64), 0, NG - 1)
            fr = np.clip(t / HG - ks, 0, 1)
            loss = c["loss"][g, :, ks] * (1 - fr[:, None]) + c["loss"][g, :, ks + 1] * fr[:, None]
            x, sc = _item_means(loss)
            phone = kind == PHONE
            e = np.where(phone[:, None], PHONE_SD, ITEM_SD) * v_z[gi, j].astype(np.float64)
            if on("day_effect"):
                e = e + np.where(phone, PHONE_DAY, DAY_SD)[:, None] * v_nu[gi, j].astype(np.float64)[:, None]
            it = np.clip(np.rint(x + sc * e), 0, 4)
            it[:, 11] = np.where(tr_on, 0, np.where(niv_on, np.minimum(it[:, 11], 3), 4))
            tot = it.sum(1)
            vday[g, j], vkind[g, j], vitems[g, j] = d, kind, it
            clinic = ~phone
            # measurements at the clinic: weight, spirometry (FVC at HARBOUR's reviews, SVC at VALLEY's and at every
            # lead-in's end, both at HARBOUR's), NfL (HARBOUR's surveillance, every lead-in's end)
            eps = v_eps[gi, j].astype(np.float64)
            vc = c["vc"][g, ks] * (1 - fr) + c["vc"][g, ks + 1] * fr
            p_fail = 0.04 + (0.5 * (loss[:, BUL] / 12) ** 2 if on("spirometry_failure") else 0.0)
            spiro = clinic & ~tr_on & (u_spiro[gi, j] >= p_fail)
            end = kind == LEAD_END
            fvc = vc - FVC_GAP - FVC_BULBAR * loss[:, BUL] / 12 + FVC_SD * eps[:, 0]
            fvc = np.where(spiro & (s_r[g] == 0), np.clip(np.rint(fvc), 5, 150), np.nan)
            svc = vc + SVC_SD * eps[:, 1]
            svc = np.where(spiro & ((s_r[g] == 1) | end), np.clip(np.rint(svc), 5, 150), np.nan)
            wt_l = c["wl"][g, ks] * (1 - fr) + c["wl"][g, ks + 1] * fr
            wt = w0[gi] * (1 - wt_l) + W_SD * eps[:, 2]
            wt = np.where(clinic & ~tr_on & (u_wt[gi, j] >= 0.03), np.round(np.clip(wt, 25, 200), 1), np.nan)
            jt = c["jnfl"][g, ks]
            nfl_draw = end | (
                on("nfl_surveillance") & clinic & (s_r[g] == 0) & (u_nfl[gi, j] < np.where(j == 0, 0.9, 0.8))
                & (d - nfl_last[g] >= 167)
            )  # fmt: skip
            nfl = NFL_REF * (np.maximum(jt, 1e-3) / J_REF) ** NFL_EXP * nfl_pat[gi] * spec_factor[gi]
            nfl = np.where(nfl_draw, np.round(nfl * np.exp(NFL_SD * eps[:, 3]), 1), np.nan)
            nfl_last[g] = np.where(nfl_draw, d, nfl_last[g])
            vmeas[g, j] = np.stack([fvc, svc, wt, nfl], 1)
            w_first[g] = np.where(np.isnan(w_first[g]), wt, w_first[g])
            age_now = pd.to_datetime(d, unit="D").year.to_numpy() - birth_year[gi]
            since = (d - on_d[g]) / DPM
            gas_on = gas_day[g] <= d
            # the board's criterion at a lead-in's end, eligible on the record and the patient willing
            elig = end & (tot >= TOT_END) & (svc >= SVC_END) & ~niv_on & ~tr_on
            elig &= (u_will[gi, j] < P_WILL) | (not on("unwilling"))
            boarded[g] |= elig
            if decide:
                months = np.maximum(d - lead_day[g], 1) / DPM
                decline = (lead_tot[g] - tot) / months
                wl_pct = 100 * (1 - wt / w_first[g])
                score = rule_score(decline, nfl, svc, wl_pct, age_now, s_r[g], on)
                li = np.clip(n_lead[g] - 1, 0, N_LEAD - 1)
                ul = np.clip(lot_list[gi, li], 1e-12, 1 - 1e-12)
                cv = np.where(elig, np.log(ul) - np.log1p(-ul) - score, np.inf)
                ge = g[end]
                crit[ge, li[end]] = cv[end]
                crit_day[ge, li[end]] = d[end]
            # NIV and gastrostomy offered at the clinic
            vc_rec = np.where(np.isfinite(fvc), fvc, svc)
            no = clinic & (niv_day[g] == BIG) & ~tr_on & on("niv") & (u_niv[gi, j] < P_NIV)
            no &= (vc_rec < 50) | (it[:, 9] <= 2) | (it[:, 10] <= 2)
            if no.any():
                gn = g[no]
                niv_day[gn] = d[no] + 7 + np.floor(u_niv_lag[gi[no], j[no]] * 29).astype(np.int64)
                death_t[gn], trach_t[gn] = death_of(et, gn, idx[gn], (niv_day[gn] - on_d[gn]) / DPM)
            go = clinic & (gas_day[g] == BIG) & on("gastrostomy") & (u_gas[gi, j] < P_GAS)
            go &= (it[:, 2] <= 2) | (wt <= 0.9 * w_first[g])
            gas_day[g] = np.where(go, d + 14 + np.floor(u_gas_lag[gi, j] * 29).astype(np.int64), gas_day[g])
            # palliative care, loss (after clinic visits)
            uw = u_wd[gi, j]
            wd = clinic & (tot <= WD_TOTAL) & (uw < P_WD) & on("withdrawal")
            wd_day[g] = np.where(wd, d + 1 + np.floor(uw / P_WD * 30).astype(np.int64), wd_day[g])
            p_loss = np.full(len(g), P_LOSS)
            if on("informative_loss"):
                p_loss = np.where((s_r[g] == 1) & (it[:, 7] <= 1), P_LOSS_WALK, P_LOSS)
            gone = clinic & ~wd & (u_loss[gi, j] < p_loss) & on("loss")
            lost[g[gone]] = True
            done[g[gone | wd]] = True
            # screening at a review after the diagnosis: recorded limits, the patient asking (unrecorded)
            vc_scr = np.where(s_r[g] == 0, fvc, svc)
            scr = (kind == REVIEW) & (tot >= TOT_SCREEN) & (vc_scr >= VC_SCREEN) & (since <= ONSET_MAX)
            scr &= (age_now <= AGE_MAX) & ~niv_on & ~tr_on & ~gas_on & (n_lead[g] < N_LEAD)
            scr &= (d - lead_day[g] >= LEAD_GAP) & ~boarded[g] & (u_ask[gi, j] < p_ask[gi])
            n_lead[g] += scr
            lead_day[g] = np.where(scr, d, lead_day[g])
            lead_tot[g] = np.where(scr, tot, lead_tot[g])
            # the next visit
            ug = u_gap[gi, j]
            lo, hi = np.full(len(g), PLAIN_GAP[0]), np.full(len(g), PLAIN_GAP[1])
            if on("banded_reviews"):
                for floor_, (a_, b_) in BANDS[::-1]:
                    lo, hi = np.where(tot >= floor_, a_, lo), np.where(tot >= floor_, b_, hi)
            gap = lo + np.floor(ug * (hi - lo + 1))
            ph = PHONE_LAG[0] + np.floor(ug * (PHONE_LAG[1] - PHONE_LAG[0] + 1))
            en = END_LAG[0] + np.floor(ug * (END_LAG[1] - END_LAG[0] + 1))
            to_phone = scr & on("phone_leadin")
            nk = np.where(to_phone, PHONE, np.where(scr | phone, LEAD_END, REVIEW))
            step = np.where(to_phone, ph, np.where(scr, en, np.where(phone, en - np.maximum(d - lead_day[g], 0), gap)))
            k[g] += 1
            nxt[g] = np.where(gone | wd | (k[g] >= N_V), BIG, _weekday(d + np.maximum(step, 7).astype(np.int64)))
            nkind[g] = nk
        first_death = (wd_day < BIG) & (ddays(death_t, loc) < wd_day)
        ddd = ddays(death_t, loc)
        dead_day = np.where(first_death & (ddd <= lock_day), ddd, dead_day)
        wd_day = np.where((wd_day < BIG) & ~first_death & (wd_day <= lock_day), wd_day, BIG)
        return {"vday": vday, "vkind": vkind, "vitems": vitems, "vmeas": vmeas, "crit": crit, "crit_day": crit_day,
                "dead_day": dead_day, "wd_day": wd_day, "lost": lost & (wd_day == BIG), "niv_day": niv_day,
                "gas_day": gas_day, "trach_day": ddays(trach_t, loc), "death_phys": ddd}  # fmt: skip

    rows_n = np.arange(n)
    # from here the closures above read the cohort's arrays (the names were rebound to them after the entry)
    c0 = course(rows_n, None)
    natural = run(rows_n, c0, True)
    target_n = round(treated_share * n)
    cstar = natural["crit"].min(1)
    cut = share_cutoff(cstar, target_n)
    decided = cstar < cut
    l_dec = (natural["crit"] < cut).argmax(1)
    dec_day = np.where(decided, natural["crit_day"][rows_n, l_dec], 0)
    dose_day = np.zeros((n, N_DOSES), np.int64)
    dose_day[:, 0] = dec_day + DOSE_LAG[0] + np.floor(u_dose[:, 0] * (DOSE_LAG[1] - DOSE_LAG[0] + 1)).astype(np.int64)
    for kq in (1, 2):
        gap = DOSE_GAP[0] + np.floor(u_dgap[:, kq] * (DOSE_GAP[1] - DOSE_GAP[0] + 1)).astype(np.int64)
        dose_day[:, kq] = dose_day[:, kq - 1] + gap
    consent = np.ones((n, N_DOSES), bool)
    consent[:, 1] = (u_next[:, 1] < P_NEXT_DOSE) & on("second_dose")
    consent[:, 2] = consent[:, 1] & (u_next[:, 2] < P_NEXT_DOSE) & on("third_dose")
    p = np.flatnonzero(decided)
    knots = (dose_day[p] - onset_day[p, None]) / DPM
    res1 = None
    mult = np.ones((len(p), NG))
    rho = np.zeros(len(p))
    if len(p) and effect != 0:
        # S: the untreated expected clinic total's loss a month over the 3 months from the first dose
        t1 = knots[:, 0]
        lo0 = _interp(c0["loss"][p], np.stack([t1, t1 + 3], 1))
        zero = np.zeros((len(p), 2), bool)
        et = _expected_total(lo0, np.full((len(p), 2), clin_sd), zero, zero)
        slope = np.maximum((et[:, 0] - et[:, 1]) / 3, RATE_FLOOR)
        g_r = g_resp[p] if on("response_spread") else np.ones(len(p))
        rho = effect * g_r / slope
        h = np.zeros((len(p), NG))
        for kq in range(N_DOSES):
            dt = tm[None, :] - knots[:, kq, None]
            act = np.clip(dt / 0.5, 0, 1) * (np.exp(-np.maximum(dt, 0) / WANE_TAU) if on("waning") else 1.0)
            h += consent[p, kq, None] * act / N_DOSES
        h_peak = (1 + np.exp(-2 / WANE_TAU) + np.exp(-4 / WANE_TAU)) / N_DOSES if on("waning") else 1.0
        mult = 1 - np.minimum(RHO_CAP, rho[:, None] * h / h_peak)
    c1 = course(p, mult)
    given = np.zeros((n, N_DOSES), bool)
    treated = np.zeros(n, bool)
    res = {key: val.copy() for key, val in natural.items()}
    if len(p):
        res1 = run(p, c1, False)
        d1 = dose_day[p, 0]
        stop1 = np.minimum(res1["wd_day"], np.where(res1["lost"], res1["vday"].max(1), BIG))
        ok = (d1 <= lock_day) & (res1["death_phys"] > d1) & (stop1 > d1)
        treated[p[ok]] = True
        living = (res1["death_phys"][:, None] > dose_day[p]) & (stop1[:, None] > dose_day[p])
        given[p] = consent[p] & living & (dose_day[p] <= lock_day) & ok[:, None]
        given[p] = np.cumprod(given[p], 1).astype(bool)
        for key in res:
            if key not in ("crit", "crit_day"):
                res[key][p[ok]] = res1[key][ok]
    pt = np.flatnonzero(treated)
    sel = np.searchsorted(p, pt)
    truth_in = (pt, sel, res1, natural, c1, c0, knots[sel, 0]) if len(pt) else None
    ctx = dict(n=n, onset_day=onset_day, diag_day=diag_day, birth_year=birth_year, sex_m=sex_m, r0=r0, site=site,
               dose_day=dose_day, dec_day=dec_day, effect=effect, on=on, clin_sd=clin_sd, phone_sd=phone_sd,
               specimen=specimen, u_esc=u_esc, u_gen=u_gen, u_ril=u_ril, u_eda=u_eda, u_cells=u_cells, u_viab=u_viab,
               u_pass=u_pass, u_ae=u_ae, u_ae_t=u_ae_t, u_lot=u_lot)  # fmt: skip
    return _tables(ctx, res, given, truth_in, record_occasions)


def _tables(ctx: dict, res: dict, given: np.ndarray, truth_in, record_occasions: bool) -> WorldCohort:
    """The canonical tables of the recorded run ``res`` and the truths."""
    n, onset_day, site, on = ctx["n"], ctx["onset_day"], ctx["site"], ctx["on"]
    dose_day, effect = ctx["dose_day"], ctx["effect"]
    fol = res["vday"] >= 0
    vday = res["vday"]
    ids = np.array([f"W22{i:05d}" for i in range(n)])
    events, gastro_day = follow_up_events(ids, onset_day, vday.max(1), _days(LOCK), res["dead_day"], res["wd_day"],
                                          res["lost"], {"niv_start": res["niv_day"], "gastrostomy": res["gas_day"],
                                           "tracheostomy": res["trach_day"]}, DECLARED_AFTER)  # fmt: skip
    alsfrs = item_rows(ids, res["vitems"].astype(np.float64), fol, vday, gastro_day)
    pi, vi = np.nonzero(fol)
    alsfrs["assessor"] = np.where(res["vkind"][pi, vi] == PHONE, "phone", "clinician").astype(object)
    if record_occasions:
        alsfrs["visit_type"] = VISIT_TYPES[res["vkind"][pi, vi]]
    alsfrs = alsfrs.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    vm = res["vmeas"]
    ps, vs, ks = np.nonzero(fol[..., None] & np.isfinite(vm))
    measurements = pd.DataFrame({
        "patient_id": ids[ps], "date": pd.to_datetime(vday[ps, vs], unit="D"),
        "measure": np.array(["fvc_pct_pred", "svc_pct_pred", "weight_kg", "nfl"])[ks], "value": vm[ps, vs, ks],
        "unit": np.array(["%", "%", "kg", "pg/mL"])[ks],
        "specimen": np.where(ks == 3, ctx["specimen"][ps], NONE).astype(object),
    })  # fmt: skip
    measurements = measurements.sort_values(["patient_id", "date", "measure"], kind="stable").reset_index(drop=True)
    u_esc, u_gen, u_ril, u_eda = ctx["u_esc"], ctx["u_gen"], ctx["u_ril"], ctx["u_eda"]
    patients = pd.DataFrame({
        "patient_id": ids, "sex": np.where(ctx["sex_m"], "M", "F"), "birth_year": ctx["birth_year"],
        "onset_date": pd.to_datetime(onset_day, unit="D"), "diagnosis_date": pd.to_datetime(ctx["diag_day"], unit="D"),
        "onset_site": np.array(["bulbar", "limb", "limb", "respiratory", "generalized"])[ctx["r0"]],
        "el_escorial": np.array(["definite", "probable", "probable_lab", "possible", None], dtype=object)[
            np.searchsorted([0.22, 0.6, 0.76, 0.94], u_esc)],
        "riluzole": np.where(u_ril < 0.82, "true", np.where(u_ril < 0.96, "false", NONE)).astype(object),
        "edaravone": np.where(u_eda < 0.05, "true", np.where(u_eda < 0.8, "false", NONE)).astype(object),
        "genetics": np.where(u_gen < 0.07, "C9orf72", np.where(u_gen < 0.09, "SOD1", NONE)).astype(object),
        "site": SITES[site],
    })  # fmt: skip
    end_days = end_of_follow_up(events, ids)
    give = doses_while_followed(given, dose_day, end_days)
    pg, kg = np.nonzero(give)
    lots = 1000 + np.floor(ctx["u_lot"] * 9000).astype(int)
    cells = DOSE_CELLS[0] + (DOSE_CELLS[1] - DOSE_CELLS[0]) * ctx["u_cells"]
    treatments = pd.DataFrame({
        "treatment_id": [f"{ids[i]}-IT{q + 1}" for i, q in zip(pg, kg, strict=True)], "patient_id": ids[pg],
        "date": pd.to_datetime(dose_day[pg, kg], unit="D"), "cycle": kg + 1, "cell_source": "bone_marrow",
        "donor": "autologous", "route": "intrathecal", "dose_cells": np.round(cells[pg, kg] / 1e6) * 1e6,
        "lot": [f"BM-{x}" for x in lots[pg]], "viability_pct": np.round(85 + 13 * ctx["u_viab"][pg, kg], 1),
        "passage": (2 + np.floor(ctx["u_pass"][pg, kg] * 3)).astype(int),
    })  # fmt: skip
    if record_occasions:
        treatments["decision_date"] = pd.to_datetime(ctx["dec_day"][pg], unit="D")
    treatments = treatments.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    u_ae, u_ae_t = ctx["u_ae"], ctx["u_ae_t"]
    hit = give[..., None] & (u_ae < AE_P[None, None]) & on("adverse_events")
    ai, ak, aj = np.nonzero(hit)
    lo, hi = AE_SPAN[aj, 0], AE_SPAN[aj, 1]
    start = dose_day[ai, ak] + np.where(aj == 2, 0, 1)
    span = lo + np.floor(u_ae_t[ai, ak, aj] * (hi - lo + 1)).astype(np.int64)
    keep_ae = start < end_days[ai]
    resolved = np.where(start + span < end_days[ai], start + span, -1)
    adverse = pd.DataFrame({
        "ae_id": [f"{ids[i]}-IT{q + 1}-AE{j + 1}" for i, q, j in zip(ai, ak, aj, strict=True)],
        "patient_id": ids[ai], "onset_date": pd.to_datetime(start, unit="D"),
        "resolved_date": pd.to_datetime(np.where(resolved >= 0, resolved, 0), unit="D").where(resolved >= 0),
        "term": AE_TERMS[aj], "grade": np.where((aj == 0) & (u_ae_t[ai, ak, aj] > 0.8), 2, AE_GRADE[aj]),
        "serious": False, "treatment_id": [f"{ids[i]}-IT{q + 1}" for i, q in zip(ai, ak, strict=True)],
        "relatedness": AE_REL[aj],
    })[keep_ae].reset_index(drop=True)  # fmt: skip
    tables = Tables.from_frames(patients=patients, treatments=treatments, alsfrs=alsfrs, measurements=measurements,
                                adverse_events=adverse, events=events)  # fmt: skip
    if truth_in is None:
        return WorldCohort(tables, float(effect), 0)
    return WorldCohort(tables, float(effect), len(truth_in[0]), *_truths(ctx, truth_in))


def _truths(ctx: dict, truth_in) -> tuple[float, float, float]:
    """``window_truth.cohort_truths`` on the expected recorded totals of the treated, with and without the cells, at
    the rows each course leaves (the clinic's rows read with the clinic's noise, the phone's with the phone's; q12 by
    each course's own NIV and tracheostomy)."""
    pt, sel, res1, natural, c1, c0, t1 = truth_in
    onset_day = ctx["onset_day"]
    d1, d0 = res1["vday"][sel], natural["vday"][pt]
    f1, f0 = d1 >= 0, d0 >= 0
    days = np.concatenate([np.where(f1, d1, onset_day[pt, None]), np.where(f0, d0, onset_day[pt, None])], 1)
    kind = np.concatenate([res1["vkind"][sel], natural["vkind"][pt]], 1)
    sd = np.where(kind == PHONE, ctx["phone_sd"], ctx["clin_sd"])
    tt = (days - onset_day[pt, None]) / DPM
    since = tt - t1[:, None]
    v = N_V
    first = np.zeros(days.shape, bool)
    first[:, :v] = True
    l1 = _interp(c1["loss"][sel], tt)
    l0 = _interp(c0["loss"][pt], tt)
    niv1 = np.where(first, days >= res1["niv_day"][sel, None], days >= natural["niv_day"][pt, None])
    tr1 = np.where(first, days >= res1["trach_day"][sel, None], days >= natural["trach_day"][pt, None])
    niv0 = days >= natural["niv_day"][pt, None]
    tr0 = days >= natural["trach_day"][pt, None]
    fol = np.concatenate([f1, f0], 1)
    e1, e0 = np.zeros(days.shape), np.zeros(days.shape)
    e1[fol] = _expected_total(l1[fol], sd[fol], niv1[fol], tr1[fol])
    e0[fol] = _expected_total(l0[fol], sd[fol], niv0[fol], tr0[fol])
    e1 = np.where(first, e1, e0)
    z = np.zeros_like(f1)
    return cohort_truths(e1, e0, since, np.concatenate([f1, z], 1), np.concatenate([z, f0], 1), ctx["effect"])


__all__ = [
    "DECISION_AT_EVERY_VISIT", "DECISION_LAG_DAYS", "DECISION_VISIT_TYPES", "ITEMS", "LEAVE_OUT_VISIT_TYPES",
    "PIECES", "RECORDED_RULE_INPUTS", "WorldCohort", "lottery", "rule_score", "simulate_world22",
]  # fmt: skip

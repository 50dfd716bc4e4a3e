"""A nineteenth data-generating mechanism, held out and written blind: from the canonical format
(spec/data-format.md, spec/domain-rules.md), the docstrings of the second to seventeenth worlds (so as to differ from
them), the eighteenth world's code and tests as an example of the interface and ALS clinical knowledge, without
reading the estimators, their documentation pages or any calibration result, and without running any estimator.

Its reason to exist: **the clinic screens its patients for the therapy and records the screening**
(``alsfrs.eligible``).  The programme's criteria mix recorded levels, the course of recorded measures and facts no
exported column holds (:data:`ELIGIBILITY_TEXT`, :data:`ELIGIBILITY_UNRECORDED`), so the rule cannot be stated from
the recorded columns, but the recorded flag holds it where it was entered; the decision to treat is then a lottery
among the visits screened eligible.  The other worlds use sigmoid, linear-quadratic, Markov-plateau, change-point,
domain-ramp, item-Poisson, subtype-random-walk, power-law, drift-with-steps, Gompertz-reserve, coupled-propagation,
burden-clock, spreading-front, gamma-process, metabolic-feedback, cortical-times-segmental, two-stage-chain and
glia-neuron-feedback courses.  This world is a two-clinic registry (EAST, WEST) whose cell centre gives autologous
adipose-derived MSCs intrathecally, and differs in every piece (every constant below is an assumption unless a source
is named):

* **course: a disease course map, one population trajectory per region read on each patient's own clock, with
  patient-specific delays of the spread.**  Each patient has a disease age ψ(t) = α·t, t months from onset, α =
  0.65·e^{0.5·z + 0.012·(age − 62) + 0.15·bulbar} (older and bulbar onset faster: Chiò et al., Amyotroph Lateral
  Scler 2009;10:310-323).  Region d (bulbar, arm, leg, respiratory: the ALSFRS-R domains, Cedarbaum et al., J
  Neurol Sci 1999;169:13-21) keeps the function f_d = 1/(1 + e^{(ψ − T_d)/s_d}): a logistic curve in disease age
  (the time-reparametrised mixed-effects trajectories of Schiratti et al., J Mach Learn Res 2017;18(133):1-33, the
  "disease course mapping" model; its use for ALS regions is an assumption), s = (5, 6, 6, 5) months, T_d = 10.6 +
  9·dist_d·e^{0.35·z_d} its midpoint: dist_d the region's distance from the onset region (contiguous 1: bulbar-arm,
  arm-leg, arm-respiratory; 1.5 bulbar-respiratory and leg-respiratory; 2 bulbar-leg; 0.3 for every region at a
  generalized onset): spread to contiguous regions first, Ravits & La Spada, Neurology 2009;73:805-811; the z_d are
  the patient's own space shifts.  So each region's logit function falls linearly in time, the regions one after
  another.  Onset: bulbar 27%, arm 33%, leg 34% (both written ``limb``), respiratory 3%, generalized 3%; men 60%;
  age at onset N(62, 11²) within 30-88;
* **items: Anderson's stereotype ordinal model, with the patients' persistent item offsets.**  Item j of region d
  sits at η_j = logit(f_d) − m_j + 0.3·b_j: m_j = 0.7 for the item a region loses first (speech, handwriting,
  stairs, dyspnea), 0 for the middle one (swallowing, cutting food, walking, orthopnea), −0.7 for the last
  (salivation, dressing, turning in bed, respiratory insufficiency); b_j ~ N(0, 1) the patient's own lasting offset
  of that item.  P(item = k) ∝ exp(Σ_{l ≤ k} δ_l·(η − c_l)), cut-points c = (−1.8, −0.6, 0.6, 1.8) and step
  discriminations δ = (2.4, 2.0, 2.0, 1.6): the stereotype model's ordered but unequally spaced category scores
  (Anderson, J R Stat Soc B 1984;46:1-30), the first point lost more sharply than the last.  Drawn by inversion at a
  stored uniform per item.  On NIV q12 is at most 3; after a gastrostomy item 5 is q5b (spec/domain-rules.md).  Phone
  ratings (assessor ``phone``; telephone ALSFRS-R agrees well with clinic ratings, Kaufmann et al., Amyotroph Lateral
  Scler 2007;8:42-46, so no offset) leave each item blank with probability 0.01 (their total missing: the only
  partial rows);
* **visits: three-monthly reviews, a phone rating between, home reviews once walking is lost.**  The diagnosis (the
  first review, ``scheduled``) comes when the onset region's function falls below 0.7 (the arm's at a generalized
  onset) plus the neurology clinic's wait, 2.5·Gamma(2, ½) months (median delay 11 months; about a year: Paganoni et
  al., Amyotroph Lateral Scler Frontotemporal Degener 2014;15:453-456).  Reviews every 91 ± 14 days
  (multidisciplinary care about every 3 months: Miller et al., Neurology 2009;73:1218-1226); once the leg's function
  is below 0.3 (walking lost) a review is made at home (``home``: rated, nothing measured).  35-49 days after each
  review the clinic's nurse phones for an ALSFRS-R (``remote``), answered with probability 0.7.  Clinic reviews
  measure FVC % predicted (``fvc_pct_pred``) F0·(0.1 + 0.9·f_resp) − 5·(1 − f_bul) + N(0, 4²), F0 ~ N(98, 13²)
  within 62-130 (the first value's median 91%), and weight (``weight_kg``) W0·(1 − 0.12·(1 − f_bul) − 0.07·(1 −
  f̄)) + N(0, 0.8²), W0 ~ N(81, 13²) men, N(67, 12²) women.  Untreated rows: 45% clinic reviews, 40% phone ratings,
  16% home reviews.  :data:`LEAVE_OUT_VISIT_TYPES` is empty: every row reads the same scale;
* **the screening and its record: the clinic screens at its reviews in the programme's intake months, and enters
  the result, except at WEST before its form had the field and now and then.**  The cell centre takes patients in
  January-May and August-November (its laboratory validates in June-July and December); at every clinic review
  after the diagnosis in those months the clinic screens each patient not yet in the programme against the
  criteria of :data:`ELIGIBILITY_TEXT` (typical trial criteria, spec/domain-rules.md; El Escorial possible admitted
  as by the Gold Coast criteria, Shefner et al., Clin Neurophysiol 2020;131:1975-1978): recorded levels (total ≥ 28,
  FVC ≥ 55%, ≤ 36 months since ``onset_date``, age ≤ 80, ``el_escorial`` not suspected, no ``niv_start``); the
  course of recorded measures (weight ≥ 90% of the first recorded, the total's fall since its first complete value
  at least 3 months earlier 0.05-2.0 points/month); and facts no column holds: screening bloods out of range (2% of
  patients for good, 4% of screenings by chance), positive serology (0.5%), a cancer in the last five years (3%),
  frontotemporal dementia (6% are excluded for it; about 15% of ALS patients meet FTD criteria, Ringholz et al.,
  Neurology 2005;65:586-590, ``patients.ftd`` is not filled here), a body-mass index below 18 (from the screening's
  weight and an unrecorded height N(1.76, 0.07²) men, N(1.63, 0.07²) women), the clinician's judgement of unfitness
  for the fat harvest and the lumbar punctures (logit −4.5 + 2.5·(1 − f_bul) + 2.5·(1 − f_resp) + 0.7·frailty, at
  each screening), the patient unwilling (6%) or living far away (25%) and no longer able to walk to the car (leg
  function below 0.4).  The flag (``alsfrs.eligible``) is ``true`` where every criterion holds and ``false``
  otherwise, at the screenings entered: WEST's case report form gained the field on 2021-01-01 (:data:`WEST_FORM`)
  and 7% of screenings are not entered at either clinic; empty at every other visit and after the decision to treat.
  47.5% of the patients are ever screened eligible; untreated, 18% of the intake months' reviews after the diagnosis
  read ``true``, 58% ``false`` and 24% are empty (52% of all clinic reviews empty);
* **who is treated: a lottery among the visits screened eligible** (:data:`DECISION_VISIT_TYPES` ``("scheduled",)``).
  At a review screened eligible the patient is chosen when logit(u) < c + s: s = :func:`rule_score` (0.06·(total −
  36) + 0.025·(FVC − 80) − 0.05·(months since ``diagnosis_date`` − 6) − 0.02·(age − 60) − 0.5 with a ``gastrostomy``
  recorded + 0.35 at EAST, −0.35 at WEST), u the patient's number for the visit's calendar month on the allocation
  list (:func:`lottery`, :func:`lot_month`; seeded by (seed, 19)), independent of the course.  c sets at most
  round(share·n) patients (the first screened visit where the criterion falls under c).  Compassionate use: 5% of
  the patients (unrecorded) ask for it, and at a review screened not eligible on the disease criteria alone (the
  safety criteria, no NIV, age, bloods, serology, cancer, dementia, BMI, fitness and consent met) they are chosen
  when logit(u) + 1.5 < c + s: such starts carry a ``false`` flag (1.4% of the starts at 30% treated, 3.6% at 60%).
  A start at a screening that was not entered carries an empty flag (24% of starts).  No start comes at a visit not
  screened.  Since fewer than half are ever eligible, a share above about 0.45 treats fewer than round(share·n)
  (1,405 of 3,000 at 60%).  The fat is harvested after the decision and the cells expanded: the first dose 35-56
  days after the decision (:data:`DECISION_LAG_DAYS` 35), then two more 84-98 days apart, each with probability 0.9
  (and while alive, followed and before the lock), 1×10⁸ cells intrathecally (intrathecal autologous adipose MSCs up
  to 1×10⁸: Staff et al., Neurology 2016;87:2230-2234), viability 80-97%, passage 2-4.  Adverse events per dose:
  headache 7%, fever 8%, puncture-site pain 7% (autologous intrathecal, spec/domain-rules.md), radiculopathy 4%
  (radicular pain at the highest dose: Staff et al.), meningism 1%, arachnoiditis 0.3% (grade 3, serious);
* **effect: the cells hold back the spread: the regions not yet involved at the first dose age more slowly, the
  involved ones a little; building up over the doses, lasting, weaker from older donors.**  From the first dose
  region d's disease age runs at α·(1 − ρ_d·C(t)): C rises by 0.6, 0.25 and 0.15 over the month after the first,
  second and third dose consented to and stays; ρ_d = ρ for a region still uninvolved at the first dose (f_d ≥ 0.8)
  and 0.3·ρ for an involved one; ρ = min(0.9, 12·E·g/L), L the untreated expected total's loss over the 12 months
  after the first dose weighted alike (points, at least 3): at C = 1 a patient with g = 1 would lose about 12·E
  points less over that year.  g = e^{0.35·z_g − 0.061}·e^{−0.02·(age − 62)}: autologous adipose MSCs from older
  donors expand and differentiate less (Choudhery et al., J Transl Med 2014;12:8).  95% of the treated have a
  region uninvolved at the first dose (2.1 on average).  So the gain starts small (the involved regions barely
  slow) and grows as the regions that would have been reached are reached later: the slope of the difference is
  not constant.  The kept function delays NIV, gastrostomy and death.  (Measured once the constants were set, not
  tuned, on 3,000 patients, 30% treated, seed 1: the expected-total difference divided by the months since the first
  dose averages 0.36·E at E = 0.2 and 0.26·E at E = 0.5 over the visits 0.5-3 months after it, 0.63·E and 0.45·E
  over 3-9, 0.86·E and 0.60·E over 9-15, 1.01·E and 0.69·E over 15-24, 1.12·E and 0.72·E over 24-36; the cap binds
  for 12% of the treated at E = 0.2 and 58% at E = 0.5; ``truth_window`` 0.199 and 0.349, ``truth_realised`` 0.171
  and 0.291, ``truth_observed`` 0.201 and 0.352.)  E = 0 gives ρ = 0 and the same course with and without cells;
* **follow-up ends by hazards of the latent King's stage with failure states, hospice and loss that depend on the
  distance, and the lock.**  Death at h per month against an Exp(1) draw on a half-month grid: h = 0.0015·2^R +
  0.0005·e^{0.07·(age − 62)} + 0.12·Λ((0.35 − f_resp)/0.05)·(0.6 on NIV) + 0.05·Λ((0.2 − f_bul)/0.05), R the number
  of spinal and bulbar regions involved (function below 0.8; the stages of Roche et al., Brain 2012;135:847-852), Λ
  the logistic function: respiratory and bulbar failure as states of their own (NIV prolongs survival: Bourke et al.,
  Lancet Neurol 2006;5:140-147).  NIV offered at a review with a recorded FVC below 50% or orthopnea q11 at most 2
  (Miller et al. 2009), accepted 50% at each offer, started 7-28 days later; a gastrostomy at a review with a
  recorded swallowing q3 at most 2 or a weight at most 90% of the first (Andersen et al., EFNS guideline, Eur J
  Neurol 2012;19:360-375), accepted 30% at each offer, placed 14-42 days later (untreated, 58% have NIV recorded and
  51% a gastrostomy).  After a review with a complete total below 15 the patient moves to hospice care
  (``withdrawal``, 1-30 days later) with probability 0.05; lost after a review with probability 0.003, 0.012 for
  those living far away (the same unrecorded distance as the screening's; declared 6 months after the last visit).
  One lock, 2025-12-31 (:data:`LOCK`); patients diagnosed from 2015-01-01 to two months before it, alive at
  diagnosis; onsets 2010-2025.  Deaths after a loss or a withdrawal are unknown.

Calibration, measured on ``simulate_world19(3000, 0.0, 0.0, 1)`` once the constants were set (the median speed 0.65,
T_d, the spread 9 months, s_d, the item locations and cut-points, the stage hazards): the per-patient least-squares
slope of the complete totals on months (2,854 patients with two or more spanning 3 months) averages -1.03
points/month, median -0.91, 95% of patients between -2.64 and -0.20 (-0.99 PRO-ACT, -0.89 population-based,
spec/domain-rules.md); the first recorded total's median 41; the diagnostic delay's median 11.2 months; median
survival from onset 37 months (Kaplan-Meier, entry at diagnosis, censored at the lock or, for the lost and
withdrawn, at the last visit; 30-45 months in population cohorts).  The criteria's thresholds were loosened once
(from total ≥ 30, FVC ≥ 60%, age ≤ 75, El Escorial probable or definite, no gastrostomy, and higher shares of the
unrecorded exclusions) when only 21% were ever eligible.  3,000 patients take about 1 s untreated and 1-2 s with 30% or 60% treated.

:data:`PIECES` names the pieces ``off`` switches off without changing the random draws: all random numbers are
drawn first in a fixed order (the patients', then each review's and its phone rating's by their slot: review k at
slot 2k, its phone rating at 2k + 1).  The untreated course decides who is screened eligible and chosen; the treated
course shares it up to the first dose, and the visits do not depend on the cells except through the course.
``truth`` is E; ``truth_realised``, ``truth_window``, ``truth_observed`` from ``window_truth.cohort_truths`` on the
expected totals (over the items' categories, given the patient's offsets; less on NIV the probability that q12
would read 4) with and without cells, zeros under E = 0.  With ``record_occasions=True`` the tables also carry
``alsfrs.visit_type`` and ``treatments.decision_date`` (every dose the first's decision); with
``record_eligibility=False`` ``alsfrs.eligible`` is left empty; every other column is unchanged either way.  The
cohort also carries ``diagnostics`` (who was decided, the exceptions, the decision days, ever eligible and the
treatment's ρ_d), for checks only.
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

# what the programme's rule reads besides the ALSFRS-R totals: its recorded criteria and its points
RECORDED_RULE_INPUTS = (
    "age", "time_since_onset", "time_since_diagnosis", "site", "ventilation", "gastrostomy", "el_escorial",
    "fvc_pct_pred", "weight_kg",
)  # fmt: skip
DECISION_AT_EVERY_VISIT = False
DECISION_VISIT_TYPES = ("scheduled",)  # the clinic reviews of the programme's intake months, where it screens
LEAVE_OUT_VISIT_TYPES = ()  # phone and home ratings read the same scale as the clinic's
DOSE_LAG = (35, 56)  # fat harvest, then four to six weeks of culture
DECISION_LAG_DAYS = DOSE_LAG[0]
DOSE_GAP = (84, 98)  # dose q + 1 after dose q
N_DOSES = 3
DOSE_CELLS = 1.0e8
ELIGIBILITY_UNRECORDED = (
    "screening_bloods", "infection_serology", "cancer_history", "frontotemporal_dementia", "body_mass_index",
    "fitness_for_procedures", "consent_and_travel",
)  # fmt: skip
PIECES = {
    "patient_speed": "the patients' own disease speeds (off: the median; age and onset site kept)",
    "space_shifts": "each patient's own delays of the spread to the other regions (off: the population's)",
    "item_offsets": "each patient's persistent item offsets (off: none)",
    "unequal_steps": "the stereotype model's unequal step discriminations (off: equal, adjacent-category logits)",
    "phone_checks": "the phone ratings between reviews (off: none)",
    "phone_gaps": "items left blank on a phone rating (off: none)",
    "home_reviews": "reviews at home once walking is lost (off: in the clinic)",
    "screening_rounds": "screening in the programme's intake months only (off: at every review after the diagnosis)",
    "course_criteria": "the weight and progression-rate criteria (off: not read)",
    "unrecorded_criteria": "the criteria no column records (off: not read)",
    "late_form": "WEST recording the flag only from 2021 (off: from the start)",
    "entry_gaps": "screenings not entered (off: every screening entered)",
    "compassionate": "compassionate-use starts outside the criteria (off: none)",
    "fvc_preference": "the points by FVC (off: none)",
    "site_preference": "the points by site (off: none)",
    "further_doses": "the second and third doses (off: one dose)",
    "build_up": "the effect building up over the doses (off: full from the first)",
    "spread_target": "the regions not yet involved slowed more than the involved (off: all alike)",
    "age_potency": "the autologous cells' potency falling with the patient's age (off: 1)",
    "response_spread": "the spread of the response between patients (off: g = 1)",
    "niv": "NIV offered and started (off: none)",
    "gastrostomy": "gastrostomy offered and placed (off: none)",
    "death": "death by the stage hazards (off: none)",
    "failure_states": "the hazards of respiratory and bulbar failure (off: the stage hazard only)",
    "withdrawal": "withdrawal to hospice care at a low recorded total (off: none)",
    "loss": "loss to follow-up (off: none)",
    "distance": "the far-living patients' higher loss (off: the same for all)",
    "adverse_events": "adverse events of the doses (off: none)",
}
SITES = np.array(["EAST", "WEST"])
SITE_PTS = np.array([0.35, -0.35])
ONSET_FROM, ONSET_YEARS = pd.Timestamp("2010-01-01"), 16.0
OPENING = pd.Timestamp("2015-01-01")
LOCK = pd.Timestamp("2025-12-31")
WEST_FORM = pd.Timestamp("2021-01-01")  # WEST's case report form gained the flag
EPOCH = pd.Timestamp(0)
BIG = np.iinfo(np.int64).max // 4
BUL, ARM, LEG, RESP = range(4)
DOMAIN = np.repeat(np.arange(4), 3)
ONSET_P = np.array([0.27, 0.33, 0.34, 0.03, 0.03])  # bulbar, arm, leg, respiratory, generalized
# distances between the regions (contiguous 1): bulbar, arm, leg, respiratory
DIST = np.array([[0, 1, 2, 1.5], [1, 0, 1, 1], [2, 1, 0, 1.5], [1.5, 1, 1.5, 0]])
SPEED_SD, A0 = 0.5, 0.65
S_D = np.array([5.0, 6.0, 6.0, 5.0])  # months of disease age per logit of a region's function
T_ON, D_SPREAD, SHIFT_SD = 10.6, 9.0, 0.35
F_DX, DX_WAIT = 0.7, 2.5  # diagnosis: the onset region's function below F_DX, then the neurology wait (months)
M_FIRST, M_MID, M_LAST = 0.7, 0.0, -0.7
ITEM_M = np.array([M_FIRST, M_LAST, M_MID, M_FIRST, M_MID, M_LAST, M_LAST, M_MID, M_FIRST, M_FIRST, M_MID, M_LAST])
CUTS = np.array([-1.8, -0.6, 0.6, 1.8])
STEPS = np.array([2.4, 2.0, 2.0, 1.6])  # the stereotype scores' steps × the discrimination
OFFSET_SD = 0.3
SCHED, REMOTE, HOME = range(3)
VISIT_TYPES = np.array(["scheduled", "remote", "home"], dtype=object)
N_REV = 52
SLOTS = 2 * N_REV  # review k at slot 2k, its phone rating at 2k + 1
P_PHONE, P_BLANK = 0.7, 0.01
INTAKE_MONTHS = (1, 2, 3, 4, 5, 8, 9, 10, 11)
TOT_MIN, FVC_MIN, ONSET_MAX, AGE_MAX = 28, 55, 36.0, 80
WT_MIN, RATE_LO, RATE_HI, RATE_MONTHS = 0.9, 0.05, 2.0, 3.0
P_SEROLOGY, P_CANCER, P_FTD, P_UNWILLING, P_FAR = 0.005, 0.03, 0.06, 0.06, 0.25
P_CHRONIC_BLOODS, P_BLOODS = 0.02, 0.04
BMI_MIN = 18.0
P_NOT_ENTERED, P_REQUEST, COMP_PENALTY = 0.07, 0.05, 1.5
FIT0, FIT_BUL, FIT_RESP, FIT_FRAIL = -4.5, 2.5, 2.5, 0.7  # the clinician's judgement of fitness (logit of unfit)
GASTRO_PTS = -0.5
N_LOT = 12 * 12  # the allocation list's months, from OPENING
HG, NG = 0.5, 360
H_ST0, H_RF, H_BF, NIV_HR = 0.0015, 0.12, 0.05, 0.6
BG0, BG_AGE = 0.0005, 0.07
P_NIV, P_GAS, P_WD, P_LOSS, P_LOSS_FAR = 0.5, 0.3, 0.05, 0.003, 0.012
RHO_CAP, LOSS_FLOOR, W_INVOLVED, INCREMENTS = 0.9, 3.0, 0.3, np.array([0.6, 0.25, 0.15])
AE_TERMS = np.array(["headache", "fever", "injection_site_pain", "radiculopathy", "meningism", "arachnoiditis"])
AE_P = np.array([0.07, 0.08, 0.07, 0.04, 0.01, 0.003])
AE_SPAN = np.array([(1, 4), (1, 2), (1, 5), (3, 21), (2, 6), (30, 120)])
AE_REL = np.array(["probable", "possible", "definite", "probable", "probable", "possible"])
AE_GRADE3 = np.array([False, False, False, False, False, True])


ELIGIBILITY_TEXT = (
    "At a clinic review after the diagnosis in the programme's intake months (January-May and August-November) the "
    "clinic screens every patient not yet in the programme; he is eligible when every criterion holds: the review's "
    f"ALSFRS-R total complete and at least {TOT_MIN}; its FVC at least {FVC_MIN}% predicted; at most "
    f"{ONSET_MAX:.0f} months since symptom onset; age (review year - birth year) at most {AGE_MAX}; El Escorial "
    "definite, probable, probable laboratory-supported or possible (not suspected); no NIV started; weight at least "
    f"{WT_MIN:.0%} of the first recorded weight; the ALSFRS-R total fallen at {RATE_LO}-{RATE_HI} points/month since "
    f"the first complete total, at least {RATE_MONTHS:.0f} months earlier (documented progression, not explosive); "
    "and, on information no exported column holds: screening bloods in range (eGFR, INR, platelets), negative "
    "infection serology (HIV, hepatitis B and C), no cancer in the last five years, no frontotemporal dementia "
    f"(capacity to consent), a body-mass index of at least {BMI_MIN} (height is not recorded), the clinician's "
    "judgement that the patient is fit for the fat harvest and repeated lumbar punctures, and the patient's consent "
    "and ability to travel to the cell centre (a patient living far away who can no longer walk cannot)."
)


def _days(ts: pd.Timestamp) -> int:
    return (ts - EPOCH).days


def lottery(seed: int, n_patients: int) -> np.ndarray:
    """The programme's allocation list: the uniform of the i-th patient (``W19{i:05d}``) for the calendar month m
    (column m, months from January 2015), from a stream of its own."""
    return np.random.default_rng([seed, 19]).random((n_patients, N_LOT))


def lot_month(day: np.ndarray) -> np.ndarray:
    """The allocation list's column of a visit on ``day`` (days since 1970-01-01)."""
    ts = pd.to_datetime(np.asarray(day), unit="D")
    return np.clip((ts.year.to_numpy() - OPENING.year) * 12 + ts.month.to_numpy() - 1, 0, N_LOT - 1)


def rule_score(total, fvc, months_dx, age, site, gastrostomy, on=lambda piece: True) -> np.ndarray:
    """The programme's points: 0.06·(total − 36) + 0.025·(FVC − 80) − 0.05·(months since diagnosis − 6)
    − 0.02·(age − 60) − 0.5 with a gastrostomy recorded on or before the visit, + 0.35 at EAST (``site`` 0), −0.35
    at WEST (1)."""
    s = 0.06 * (np.asarray(total, float) - 36) - 0.05 * (np.asarray(months_dx, float) - 6)
    s = s - 0.02 * (np.asarray(age, float) - 60) + GASTRO_PTS * np.asarray(gastrostomy, bool)
    if on("fvc_preference"):
        s = s + 0.025 * (np.asarray(fvc, float) - 80)
    if on("site_preference"):
        s = s + SITE_PTS[np.asarray(site, int)]
    return s


def _probs(eta: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """P(item = k), k = 0..4 (last axis), of the stereotype model at ``eta``."""
    lp = np.concatenate([np.zeros((*eta.shape, 1)), np.cumsum(steps * (eta[..., None] - CUTS), -1)], -1)
    lp -= lp.max(-1, keepdims=True)
    p = np.exp(lp)
    return p / p.sum(-1, keepdims=True)


def _eta(f: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The items' locations at the regions' functions ``f`` (... × 4) and the patients' offsets (... × 12)."""
    fc = np.clip(f, 1e-9, 1 - 1e-9)
    return (np.log(fc) - np.log1p(-fc))[..., DOMAIN] - ITEM_M + offsets


def _ramp_integral(s: np.ndarray) -> np.ndarray:
    """∫ of a ramp rising from 0 to 1 over one month from s = 0."""
    return np.where(s <= 0, 0.0, np.where(s <= 1, s**2 / 2, s - 0.5))


def simulate_world19(
    n_patients: int,
    effect: float,
    treated_share: float,
    seed: int,
    off: frozenset[str] = frozenset(),
    record_occasions: bool = False,
    record_eligibility: bool = True,
) -> WorldCohort:
    """A cohort of ``n_patients`` from the nineteenth world, effect E = ``effect``, at most round(share·n) treated,
    the pieces of ``off`` switched off; ``record_occasions`` fills ``alsfrs.visit_type`` and
    ``treatments.decision_date``, ``record_eligibility`` ``alsfrs.eligible`` at the screened visits entered (both:
    the same draws, every other column unchanged)."""
    refuse_unknown(off, PIECES)

    def on(piece: str) -> bool:
        return piece not in off

    rng = np.random.default_rng(seed)
    n, m = int(n_patients), 2 * int(n_patients) + 100
    # all random numbers first, in a fixed order
    site_u, sex_u, reg_u = (rng.random(m) for _ in range(3))
    age = np.clip(rng.normal(62, 11, m), 30, 88)
    onset_day = _days(ONSET_FROM) + rng.integers(0, int(ONSET_YEARS * 365.25), m)
    z_a, z_wait = rng.normal(0, 1, m), rng.gamma(2.0, 0.5, m)
    z_d = rng.normal(0, 1, (m, 4))
    death_e = rng.exponential(1.0, m)
    u_esc, u_gen, u_ril, u_eda = (rng.random(m) for _ in range(4))
    f0_z, w0_z, h_z = (rng.normal(0, 1, m) for _ in range(3))
    b_item = rng.normal(0, 1, (m, 12))
    z_g = rng.normal(0, 1, m)
    u_ser, u_can, u_ftd, u_will, u_far, u_req, u_chron = (rng.random(m) for _ in range(7))
    frail_z = rng.normal(0, 1, m)
    u_item = rng.random((m, SLOTS, 12), dtype=np.float32)
    u_blank = rng.random((m, SLOTS, 12), dtype=np.float32)
    meas_eps = rng.standard_normal((m, N_REV, 2), dtype=np.float32)  # FVC, weight
    u_jit, u_phone, u_phone_d, u_bl, u_fit, u_entry = (rng.random((m, N_REV), dtype=np.float32) for _ in range(6))
    u_niv, u_niv_lag, u_gas, u_gas_lag, u_wd, u_loss = (rng.random((m, N_REV), dtype=np.float32) for _ in range(6))
    u_dose, u_more, u_more_lag = rng.random(m), rng.random((m, N_DOSES - 1)), rng.random((m, N_DOSES - 1))
    u_viab, u_pass = rng.random((m, N_DOSES)), rng.random((m, N_DOSES))
    u_ae, u_ae_t = rng.random((m, N_DOSES, len(AE_TERMS))), rng.random((m, N_DOSES, len(AE_TERMS)))

    # the patients: onset region, speed, the regions' timing
    r0 = np.searchsorted(np.cumsum(ONSET_P), reg_u * 0.999999)
    sex_m = sex_u < 0.6
    alpha = A0 * np.exp((SPEED_SD * z_a if on("patient_speed") else 0.0) + 0.012 * (age - 62) + 0.15 * (r0 == BUL))
    gen = r0 == 4
    dist = np.where(gen[:, None], 0.3, DIST[np.minimum(r0, 3)])
    shift = np.exp(SHIFT_SD * z_d) if on("space_shifts") else np.ones((m, 4))
    t_reg = T_ON + D_SPREAD * dist * shift  # disease age at which a region's function is half
    offsets = OFFSET_SD * b_item if on("item_offsets") else np.zeros((m, 12))
    steps = STEPS if on("unequal_steps") else np.full(4, 2.0)
    site = (site_u >= 0.6).astype(int)
    lock_day = _days(LOCK)
    tgrid = np.arange(NG + 1) * HG
    bg = BG0 * np.exp(BG_AGE * (age - 62))

    def reg_f(rows: np.ndarray, t: np.ndarray, tp: dict | None = None) -> np.ndarray:
        """The regions' functions (rows × ... × 4) at months ``t`` from onset (rows × ...); ``tp`` the treatment:
        from the first dose each region's disease age runs slower by ρ_d·C(t)."""
        t = np.asarray(t, float)
        extra = (slice(None),) + (None,) * (t.ndim - 1)
        psi = (alpha[rows][extra] * t)[..., None] * np.ones(4)
        if tp is not None:
            integ = sum(tp["c"][:, q][extra] * _ramp_integral(t - tp["tau"][:, q][extra]) for q in range(N_DOSES))
            psi = psi - (alpha[rows][extra] * integ)[..., None] * tp["rho"][(*extra, slice(None))]
        return 1.0 / (1.0 + np.exp((psi - t_reg[rows][(*extra, slice(None))]) / S_D))

    xs = np.linspace(-20, 20, 8001)
    p_xs = _probs(xs, steps)
    ev_xs, p4_xs = (p_xs * np.arange(5)).sum(-1), p_xs[:, 4]

    def expected(f: np.ndarray, off_rows: np.ndarray, niv_on: np.ndarray, by_region: bool = False) -> np.ndarray:
        """The expected recorded total (or each region's expected points) at functions ``f`` (tabulated)."""
        eta = _eta(f, off_rows)
        e = np.interp(eta, xs, ev_xs)
        if by_region:
            return e.reshape(*e.shape[:-1], 4, 3).sum(-1)
        return e.sum(-1) - niv_on * np.interp(eta[..., 11], xs, p4_xs)

    def cumhaz(rows: np.ndarray, tp: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The cumulative hazards (rows × grid) of respiratory failure and of the rest."""
        if not on("death"):
            z = np.zeros((len(rows), NG + 1))
            return z, z
        f = reg_f(rows, np.broadcast_to(tgrid, (len(rows), NG + 1)), tp)
        involved = (f[..., :3] < 0.8).sum(-1)
        h_st = H_ST0 * 2.0**involved + bg[rows, None]
        fail = on("failure_states")
        h_rf = H_RF / (1 + np.exp((f[..., RESP] - 0.35) / 0.05)) if fail else np.zeros_like(h_st)
        h_o = h_st + (H_BF / (1 + np.exp((f[..., BUL] - 0.2) / 0.05)) if fail else 0.0)

        def integ(h):
            return np.concatenate([np.zeros((len(rows), 1)), np.cumsum((h[:, 1:] + h[:, :-1]) / 2 * HG, 1)], 1)

        return integ(h_rf), integ(h_o)

    def death_time(chs, rows, t_niv) -> np.ndarray:
        """Months from onset at which the cumulative hazard (respiratory failure × NIV_HR from ``t_niv``) reaches
        the patient's Exp(1) draw."""
        if not on("death"):
            return np.full(len(rows), np.inf)
        ch_r, ch_o = chs
        tn = np.where(np.isfinite(t_niv), t_niv, tgrid[-1] + 1)
        x = np.clip(tn / HG, 0, NG - 1e-9)
        j = np.floor(x).astype(np.int64)
        w = x - j
        rr = np.arange(len(rows))
        c_n = ch_r[rr, j] * (1 - w) + ch_r[rr, j + 1] * w
        after = tgrid[None, :] > tn[:, None]
        c = np.where(after, c_n[:, None] + NIV_HR * (ch_r - c_n[:, None]), ch_r) + ch_o
        e = death_e[rows]
        hit = c >= e[:, None]
        jj = hit.argmax(1)
        jm = np.maximum(jj - 1, 0)
        c0, c1 = c[rr, jm], c[rr, jj]
        t = tgrid[jm] + HG * np.clip((e - c0) / np.maximum(c1 - c0, 1e-12), 0, 1)
        return np.where(hit.any(1), np.where(jj > 0, t, 0.0), np.inf)

    # diagnosis: the onset region's function below F_DX, then the neurology clinic's wait
    t_sym = (t_reg[np.arange(m), np.minimum(r0, 3)] - S_D[np.minimum(r0, 3)] * np.log(F_DX / (1 - F_DX))) / alpha
    t_sym = np.where(gen, (t_reg[:, ARM] - S_D[ARM] * np.log(F_DX / (1 - F_DX))) / alpha, t_sym)
    t_dx = np.maximum(t_sym, 1.0) + DX_WAIT * z_wait
    diag_day = onset_day + np.rint(t_dx * DPM).astype(np.int64)
    ok0 = (diag_day >= _days(OPENING)) & (diag_day <= lock_day - 61)
    cand = np.flatnonzero(ok0)[: 2 * n + 50]
    chs_c = cumhaz(cand)
    d_c = death_time(chs_c, cand, np.full(len(cand), np.inf))
    alive = np.flatnonzero(d_c > t_dx[cand] + 1 / DPM)[:n]
    keep = cand[alive]
    if len(keep) < n:
        raise RuntimeError("too few candidates enter the cohort")
    (sex_m, age, onset_day, r0, alpha, t_reg, offsets, t_dx, diag_day, death_e, bg, u_esc, u_gen, u_ril, u_eda,
     f0_z, w0_z, h_z, z_g, u_ser, u_can, u_ftd, u_will, u_far, u_req, u_chron, frail_z, u_item, u_blank, meas_eps,
     u_jit, u_phone, u_phone_d, u_bl, u_fit, u_entry, u_niv, u_niv_lag, u_gas, u_gas_lag, u_wd, u_loss, u_dose,
     u_more, u_more_lag, u_viab, u_pass, u_ae, u_ae_t, site) = (a[keep] for a in (
        sex_m, age, onset_day, r0, alpha, t_reg, offsets, t_dx, diag_day, death_e, bg, u_esc, u_gen, u_ril, u_eda,
        f0_z, w0_z, h_z, z_g, u_ser, u_can, u_ftd, u_will, u_far, u_req, u_chron, frail_z, u_item, u_blank,
        meas_eps, u_jit, u_phone, u_phone_d, u_bl, u_fit, u_entry, u_niv, u_niv_lag, u_gas, u_gas_lag, u_wd,
        u_loss, u_dose, u_more, u_more_lag, u_viab, u_pass, u_ae, u_ae_t, site))  # fmt: skip
    chs0 = (chs_c[0][alive], chs_c[1][alive])
    del chs_c
    birth_year = (pd.to_datetime(onset_day, unit="D").year.to_numpy() - np.floor(age)).astype(int)
    code = np.array([0, 1, 1, 2, 3])[r0]
    escorial = np.array(["definite", "probable", "probable_lab", "possible", "suspected"], dtype=object)[
        np.searchsorted([0.24, 0.62, 0.76, 0.96], u_esc)]  # fmt: skip
    esc_ok = escorial != "suspected"
    genetics = np.where(u_gen < 0.07, "C9orf72", np.where(u_gen < 0.09, "SOD1", None)).astype(object)
    riluzole = np.where(u_ril < 0.85, "true", np.where(u_ril < 0.97, "false", None)).astype(object)
    edaravone = np.where(u_eda < 0.05, "true", np.where(u_eda < 0.9, "false", None)).astype(object)
    f0 = np.clip(98 + 13 * f0_z, 62, 130)
    w0 = np.clip(np.where(sex_m, 81 + 13 * w0_z, 67 + 12 * w0_z), 42, 150)
    height = np.where(sex_m, 1.76, 1.63) + 0.07 * h_z
    unrec = on("unrecorded_criteria")
    far = u_far < P_FAR
    pt_ok = (u_ser >= P_SEROLOGY) & (u_can >= P_CANCER) & (u_ftd >= P_FTD) & (u_chron >= P_CHRONIC_BLOODS)
    willing = u_will >= P_UNWILLING
    request = (u_req < P_REQUEST) & on("compassionate")
    g_resp = np.exp(0.35 * z_g - 0.06125) if on("response_spread") else np.ones(n)
    if on("age_potency"):
        g_resp = g_resp * np.exp(-0.02 * (age - 62))
    lot_list = lottery(seed, n)
    west_form = _days(WEST_FORM) if on("late_form") else -BIG
    intake = np.zeros(13, bool)
    intake[list(INTAKE_MONTHS)] = True
    if not on("screening_rounds"):
        intake[:] = True

    def run(rows: np.ndarray, tp: dict | None, decide: bool) -> dict[str, np.ndarray]:
        """The registry's contacts of ``rows`` under the course of treatment ``tp`` (None: untreated)."""
        r = len(rows)
        on_d, dx_d = onset_day[rows], diag_day[rows]
        chs = (chs0[0][rows], chs0[1][rows]) if tp is None else cumhaz(rows, tp)

        def fstate(g: np.ndarray, t: np.ndarray) -> np.ndarray:
            if tp is None:
                return reg_f(rows[g], t)
            sub = {key: val[g] for key, val in tp.items()}
            return reg_f(rows[g], t, sub)

        vday = np.full((r, SLOTS), -1, np.int64)
        vtype = np.zeros((r, SLOTS), np.int64)
        items = np.full((r, SLOTS, 12), np.nan, np.float32)
        meas = np.full((r, SLOTS, 2), np.nan)
        scr = np.zeros((r, SLOTS), bool)  # screened
        elg = np.zeros((r, SLOTS), bool)  # met every criterion
        ent = np.zeros((r, SLOTS), bool)  # the screening entered
        crit = np.full((r, N_REV), np.inf)
        done = np.zeros(r, bool)
        death_t = death_time(chs, rows, np.full(r, np.inf))
        dead_day, wd_day, stop_day = np.full(r, BIG), np.full(r, BIG), np.full(r, BIG)
        lost = np.zeros(r, bool)
        niv_day, gas_day = np.full(r, BIG), np.full(r, BIG)
        w_first, tot_first, tot_first_day = np.full(r, np.nan), np.full(r, np.nan), np.full(r, BIG)
        nxt = dx_d.copy()

        def ddays(g: np.ndarray) -> np.ndarray:
            return on_d[g] + np.ceil(np.minimum(death_t[g], 1e4) * DPM).astype(np.int64)

        def rate(g, d, vt, slot, f):
            gi = rows[g]
            pc = np.cumsum(_probs(_eta(f, offsets[gi]), steps), -1)[..., :4]
            it = (u_item[gi, slot][..., None] >= pc).sum(-1).astype(np.float64)
            it[:, 11] = np.where(niv_day[g] <= d, np.minimum(it[:, 11], 3), it[:, 11])
            if on("phone_gaps"):
                it[(vt == REMOTE)[:, None] & (u_blank[gi, slot] < P_BLANK)] = np.nan
            vday[g, slot], vtype[g, slot], items[g, slot] = d, vt, it
            return it

        for kk in range(N_REV):
            act = ~done
            dd = ddays(np.arange(r))
            die = act & (dd <= nxt)
            dead_day = np.where(die & (dd <= lock_day), dd, dead_day)
            done |= die | (act & (nxt > lock_day))
            g = np.flatnonzero(~done)
            if len(g) == 0:
                break
            gi = rows[g]
            d = nxt[g]
            t = (d - on_d[g]) / DPM
            f = fstate(g, t)
            home = (kk >= 1) & (f[:, LEG] < 0.3) & on("home_reviews")
            vt = np.where(home, HOME, SCHED)
            it = rate(g, d, vt, 2 * kk, f)
            tot = it.sum(1)
            clinic = vt == SCHED
            me = meas_eps[gi, kk].astype(np.float64)
            fvc = np.clip(np.rint(f0[gi] * (0.1 + 0.9 * f[:, RESP]) - 5 * (1 - f[:, BUL]) + 4 * me[:, 0]), 5, 150)
            wt = w0[gi] * (1 - 0.12 * (1 - f[:, BUL]) - 0.07 * (1 - f.mean(1))) + 0.8 * me[:, 1]
            wt = np.round(np.clip(wt, 25, 200), 1)
            fvc, wt = np.where(clinic, fvc, np.nan), np.where(clinic, wt, np.nan)
            meas[g, 2 * kk] = np.stack([fvc, wt], 1)
            w_first[g] = np.where(np.isnan(w_first[g]) & clinic, wt, w_first[g])
            complete = np.isfinite(tot)
            new_first = np.isnan(tot_first[g]) & complete
            tot_first[g] = np.where(new_first, tot, tot_first[g])
            tot_first_day[g] = np.where(new_first, d, tot_first_day[g])
            # the programme's screening at a clinic review of its intake months
            month = pd.to_datetime(d, unit="D").month.to_numpy()
            sc = clinic & (kk >= 1) & intake[month]
            if sc.any():
                a_now = pd.to_datetime(d, unit="D").year.to_numpy() - birth_year[gi]
                since_on = (d - on_d[g]) / DPM
                no_dev = niv_day[g] > d
                disease = complete & (tot >= TOT_MIN) & (fvc >= FVC_MIN) & (since_on <= ONSET_MAX) & esc_ok[gi]
                if on("course_criteria"):
                    span = (d - tot_first_day[g]) / DPM
                    with np.errstate(invalid="ignore", divide="ignore"):
                        pace = (tot_first[g] - tot) / span
                    disease &= (span >= RATE_MONTHS) & (pace >= RATE_LO) & (pace <= RATE_HI)
                    disease &= wt >= WT_MIN * w_first[g]
                safety = no_dev & (a_now <= AGE_MAX)
                if unrec:
                    unfit = FIT0 + FIT_BUL * (1 - f[:, BUL]) + FIT_RESP * (1 - f[:, RESP]) + FIT_FRAIL * frail_z[gi]
                    fit_p = 1 / (1 + np.exp(-unfit))
                    safety &= pt_ok[gi] & (u_bl[gi, kk] >= P_BLOODS) & (u_fit[gi, kk] >= fit_p)
                    safety &= wt / height[gi] ** 2 >= BMI_MIN
                    safety &= willing[gi] & ~(far[gi] & (f[:, LEG] < 0.4))
                el = sc & disease & safety
                s_ = 2 * kk
                scr[g, s_], elg[g, s_] = sc, el
                entered = (d >= west_form) | (site[gi] == 0)
                if on("entry_gaps"):
                    entered &= u_entry[gi, kk] >= P_NOT_ENTERED
                ent[g, s_] = sc & entered
                if decide:
                    s = rule_score(tot, fvc, (d - dx_d[g]) / DPM, a_now, site[gi], gas_day[g] <= d, on)
                    ul = np.clip(lot_list[gi, lot_month(d)], 1e-12, 1 - 1e-12)
                    lg = np.log(ul) - np.log1p(-ul) - s
                    comp = sc & ~el & safety & request[gi]
                    crit[g, kk] = np.where(el, lg, np.where(comp, lg + COMP_PENALTY, np.inf))
            # NIV and gastrostomy offered at the review
            q11, q3 = it[:, 10], it[:, 2]
            no = (niv_day[g] == BIG) & on("niv") & (u_niv[gi, kk] < P_NIV) & ((fvc < 50) | (q11 <= 2))
            if no.any():
                gn = g[no]
                niv_day[gn] = d[no] + 7 + np.floor(u_niv_lag[gi[no], kk] * 22).astype(np.int64)
                tn = (niv_day[gn] - on_d[gn]) / DPM
                death_t[gn] = death_time((chs[0][gn], chs[1][gn]), rows[gn], tn)
            go = (gas_day[g] == BIG) & on("gastrostomy") & (u_gas[gi, kk] < P_GAS)
            go &= (q3 <= 2) | (wt <= 0.9 * w_first[g])
            gas_day[g] = np.where(go, d + 14 + np.floor(u_gas_lag[gi, kk] * 29).astype(np.int64), gas_day[g])
            # hospice, loss
            wd = complete & (tot < 15) & (u_wd[gi, kk] < P_WD) & on("withdrawal")
            wd_day[g] = np.where(wd, d + 1 + np.floor(u_wd[gi, kk] / P_WD * 30).astype(np.int64), wd_day[g])
            p_loss = np.where(far[gi] & on("distance"), P_LOSS_FAR, P_LOSS)
            gone = ~wd & (u_loss[gi, kk] < p_loss) & on("loss")
            lost[g[gone]] = True
            stop = wd | gone
            stop_day[g[stop]] = d[stop]
            done[g[stop]] = True
            nr = d + 91 + np.floor(u_jit[gi, kk] * 29).astype(np.int64) - 14
            # the phone rating between reviews
            pd_ = d + 35 + np.floor(u_phone_d[gi, kk] * 15).astype(np.int64)
            ph = ~stop & (u_phone[gi, kk] < P_PHONE) & on("phone_checks") & (pd_ < ddays(g)) & (pd_ <= lock_day)
            if ph.any():
                gp = g[ph]
                rate(gp, pd_[ph], np.full(len(gp), REMOTE), 2 * kk + 1, fstate(gp, (pd_[ph] - on_d[gp]) / DPM))
            nxt[g] = np.where(stop, BIG, nr)
        dd = ddays(np.arange(r))
        pend = wd_day < BIG
        first_death = pend & (dd < wd_day)
        dead_day = np.where(first_death & (dd <= lock_day), dd, dead_day)
        wd_day = np.where(pend & ~first_death & (wd_day <= lock_day), wd_day, BIG)
        return {"fol": vday >= 0, "vday": vday, "vtype": vtype, "items": items, "meas": meas, "scr": scr, "elg": elg,
                "ent": ent, "crit": crit, "dead_day": dead_day, "wd_day": wd_day, "lost": lost & (wd_day == BIG),
                "niv_day": niv_day, "gas_day": gas_day, "stop_day": stop_day, "death_phys": dd}  # fmt: skip

    rows_n = np.arange(n)
    natural = run(rows_n, None, True)
    target_n = round(treated_share * n)
    cstar = natural["crit"].min(1)
    cut = share_cutoff(cstar, target_n)
    decided = cstar < cut
    k_dec = (natural["crit"] < cut).argmax(1)
    dec_day = np.where(decided, natural["vday"][rows_n, 2 * k_dec], 0)
    exception = decided & ~natural["elg"][rows_n, 2 * k_dec]
    dose_day = np.zeros((n, N_DOSES), np.int64)
    dose_day[:, 0] = dec_day + DOSE_LAG[0] + np.floor(u_dose * (DOSE_LAG[1] - DOSE_LAG[0] + 1)).astype(np.int64)
    for q in range(1, N_DOSES):
        dose_day[:, q] = dose_day[:, q - 1] + DOSE_GAP[0] + np.floor(u_more_lag[:, q - 1] * 15).astype(np.int64)
    d1 = dose_day[:, 0]
    treated = decided & (d1 <= lock_day) & (natural["death_phys"] > d1) & (natural["stop_day"] > d1)
    treated &= natural["wd_day"] > d1
    p = np.flatnonzero(treated)
    t1 = np.where(treated, (d1 - onset_day) / DPM, np.inf)
    consent = np.concatenate([np.ones((n, 1), bool), (u_more < 0.9) & on("further_doses")], 1)
    consent = np.cumprod(consent, 1).astype(bool)
    viability = np.round(80 + 17 * u_viab**0.7, 1)
    passage = 2 + np.floor(u_pass * 3).astype(int)
    res = {key: val.copy() for key, val in natural.items()}
    res0 = {key: val[p] for key, val in natural.items()}
    given = np.zeros((n, N_DOSES), bool)
    tp = None
    if len(p):
        tau = (dose_day[p] - onset_day[p, None]) / DPM
        inc = INCREMENTS if on("build_up") else np.array([1.0, 0.0, 0.0])
        c = consent[p] * inc
        f1 = reg_f(p, t1[p])
        w = np.where(f1 >= 0.8, 1.0, W_INVOLVED) if on("spread_target") else np.ones((len(p), 4))
        loss12 = expected(f1, offsets[p], 0, True) - expected(reg_f(p, t1[p] + 12), offsets[p], 0, True)
        lw = (w * loss12).sum(1)
        rho = np.minimum(effect * g_resp[p] * 12 / np.maximum(lw, LOSS_FLOOR), RHO_CAP)
        tp = {"tau": tau, "c": c, "rho": rho[:, None] * w}
        res1 = run(p, tp, False) if effect != 0 else res0
        alive = (res1["death_phys"][:, None] > dose_day[p]) & (res1["stop_day"][:, None] > dose_day[p])
        alive &= res1["wd_day"][:, None] > dose_day[p]
        given[p] = consent[p] & alive & (dose_day[p] <= lock_day)
        given[p] = np.cumprod(given[p], 1).astype(bool)
        for key in res:
            res[key][p] = res1[key]

    diag = {
        "decided": decided,
        "exception": exception,
        "dec_day": dec_day,
        "treatment": tp,
        "ever_eligible": natural["elg"].any(1),
    }
    return _tables(n, onset_day, diag_day, birth_year, sex_m, code, site, res, given, dose_day, viability, passage,
                   (u_ae, u_ae_t, on("adverse_events")), (escorial, genetics, riluzole, edaravone),
                   (p, t1, res0, tp, effect, reg_f, expected, offsets), decided, dec_day, record_occasions,
                   record_eligibility, diag)  # fmt: skip


def _tables(n, onset_day, diag_day, birth_year, sex_m, code, site, res, given, dose_day, viability, passage, aes,
            recorded, truth_in, decided, dec_day, record_occasions, record_eligibility, diag) -> WorldCohort:  # fmt: skip
    """The canonical tables of the recorded run ``res`` and the truths."""
    u_ae, u_ae_t, ae_on = aes
    escorial, genetics, riluzole, edaravone = recorded
    p, t1, res0, tp, effect, reg_f, expected, offsets = truth_in
    fol, vday = res["fol"], res["vday"]
    ids = np.array([f"W19{i:05d}" for i in range(n)])
    events, gastro_day = follow_up_events(ids, onset_day, np.where(fol, vday, -1).max(1), _days(LOCK), res["dead_day"],
                                          res["wd_day"], res["lost"],
                                          {"niv_start": res["niv_day"], "gastrostomy": res["gas_day"]}, 6.0)  # fmt: skip
    alsfrs = item_rows(ids, res["items"].astype(np.float64), fol, vday, gastro_day)
    pi, vi = np.nonzero(fol)
    vt = res["vtype"][pi, vi]
    alsfrs["assessor"] = np.where(vt == REMOTE, "phone", "clinician")
    if record_occasions:
        alsfrs["visit_type"] = VISIT_TYPES[vt]
    # the screening's flag where the clinic screened and entered it; none after the decision (in the programme)
    shown = res["scr"] & res["ent"] & ~(decided[:, None] & (vday > dec_day[:, None]))
    flag = np.where(shown, np.where(res["elg"], "true", "false"), None).astype(object)[pi, vi]
    alsfrs["eligible"] = flag if record_eligibility else None
    alsfrs = alsfrs.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    ps, vs, ks = np.nonzero(fol[..., None] & np.isfinite(res["meas"]))
    measurements = pd.DataFrame({
        "patient_id": ids[ps], "date": pd.to_datetime(vday[ps, vs], unit="D"),
        "measure": np.array(["fvc_pct_pred", "weight_kg"])[ks], "value": res["meas"][ps, vs, ks],
        "unit": np.array(["%", "kg"])[ks],
    })  # fmt: skip
    measurements = measurements.sort_values(["patient_id", "date", "measure"], kind="stable").reset_index(drop=True)
    patients = pd.DataFrame({
        "patient_id": ids, "sex": np.where(sex_m, "M", "F"), "birth_year": birth_year,
        "onset_date": pd.to_datetime(onset_day, unit="D"), "diagnosis_date": pd.to_datetime(diag_day, unit="D"),
        "onset_site": np.array(["bulbar", "limb", "respiratory", "generalized"])[code],
        "el_escorial": escorial, "riluzole": riluzole, "edaravone": edaravone, "genetics": genetics,
        "site": SITES[site],
    })  # fmt: skip
    end_days = end_of_follow_up(events, ids)
    give = doses_while_followed(given, dose_day, end_days)
    pg, kg = np.nonzero(give)
    treatments = pd.DataFrame({
        "treatment_id": [f"{ids[i]}-T{q + 1}" for i, q in zip(pg, kg, strict=True)], "patient_id": ids[pg],
        "date": pd.to_datetime(dose_day[pg, kg], unit="D"), "cycle": kg + 1, "cell_source": "adipose",
        "donor": "autologous", "route": "intrathecal", "dose_cells": DOSE_CELLS,
        "lot": [f"AD-{ids[i][3:]}-{q + 1}" for i, q in zip(pg, kg, strict=True)],
        "viability_pct": viability[pg, kg], "passage": passage[pg, kg],
    })  # fmt: skip
    if record_occasions:
        treatments["decision_date"] = pd.to_datetime(dec_day[pg], unit="D")
    treatments = treatments.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    hit = give[..., None] & (u_ae < AE_P) & ae_on
    ai, ak, aj = np.nonzero(hit)
    lo, hi = AE_SPAN[aj, 0], AE_SPAN[aj, 1]
    start = dose_day[ai, ak] + np.where(aj == 2, 0, 1)
    span = lo + np.floor(u_ae_t[ai, ak, aj] * (hi - lo + 1)).astype(np.int64)
    keep_ae = start < end_days[ai]
    resolved = np.where(start + span < end_days[ai], start + span, -1)
    grade = np.where(AE_GRADE3[aj], 3, np.where(u_ae_t[ai, ak, aj] > 0.8, 2, 1))
    adverse = pd.DataFrame({
        "ae_id": [f"{ids[i]}-T{q + 1}-AE{j + 1}" for i, q, j in zip(ai, ak, aj, strict=True)],
        "patient_id": ids[ai], "onset_date": pd.to_datetime(start, unit="D"),
        "resolved_date": pd.to_datetime(np.where(resolved >= 0, resolved, 0), unit="D").where(resolved >= 0),
        "term": AE_TERMS[aj], "grade": grade, "serious": AE_GRADE3[aj],
        "treatment_id": [f"{ids[i]}-T{q + 1}" for i, q in zip(ai, ak, strict=True)], "relatedness": AE_REL[aj],
    })[keep_ae].reset_index(drop=True)  # fmt: skip
    tables = Tables.from_frames(patients=patients, treatments=treatments, alsfrs=alsfrs, measurements=measurements,
                                adverse_events=adverse, events=events)  # fmt: skip
    if len(p) == 0:
        out = WorldCohort(tables, float(effect), 0)
    else:
        days = np.concatenate([np.where(fol[p], vday[p], onset_day[p, None]),
                               np.where(res0["fol"], res0["vday"], onset_day[p, None])], 1)  # fmt: skip
        tt = (days - onset_day[p, None]) / DPM
        since = tt - t1[p, None]
        e1 = expected(reg_f(p, tt, tp), offsets[p][:, None], days >= res["niv_day"][p, None])
        e0 = expected(reg_f(p, tt), offsets[p][:, None], days >= res0["niv_day"][:, None])
        z = np.zeros_like(fol[p])
        truths = cohort_truths(e1, e0, since, np.concatenate([fol[p], z], 1), np.concatenate([z, res0["fol"]], 1),
                               effect)  # fmt: skip
        out = WorldCohort(tables, float(effect), len(p), *truths)
    out.diagnostics = diag  # type: ignore[attr-defined]
    return out


__all__ = [
    "DECISION_AT_EVERY_VISIT", "DECISION_LAG_DAYS", "DECISION_VISIT_TYPES", "ELIGIBILITY_TEXT",
    "ELIGIBILITY_UNRECORDED", "ITEMS", "LEAVE_OUT_VISIT_TYPES", "PIECES", "RECORDED_RULE_INPUTS", "WorldCohort",
    "lot_month", "lottery", "rule_score", "simulate_world19",
]  # fmt: skip

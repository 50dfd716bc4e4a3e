"""A fifteenth data-generating mechanism, held out and written blind: from the canonical format (spec/data-format.md,
spec/domain-rules.md), the docstrings of the second to fourteenth worlds (so as to differ from them), the fourteenth
world's code and tests as an example of the interface and ALS clinical knowledge, without reading the estimators,
their documentation pages or any calibration result, and without running any estimator on it.

The other worlds use sigmoid, linear-quadratic, Markov-plateau, change-point, domain-ramp, item-Poisson,
subtype-random-walk, power-law, drift-with-steps, Gompertz-reserve, coupled-propagation, burden-clock,
spreading-front and gamma-process courses; rounded-noise, graded-response, rater-noise, misrated-count,
partial-credit, ordinal-probit, loss-sequence, logit-dithered, beta-binomial, continuation-ratio, sub-task and
anchored items; fixed, personal, renewal, monthly-slot, booked, banded, 3-monthly, tapering, review-plus-requested
or outpatient-home-admission visits; treatment on drops, true slopes, thresholds of the total, calendar access, runs
of poor visits, new losses, a waiting list, a phone call, a falling FVC/SVC, a strength asymmetry, CSF CHI3L1, a
serum NfL band or an intermediate diagnostic Delta-FRS; intrathecal, intramuscular, intravenous or intraspinal
cells; effects on slopes, clocks, rates, levels, hazards, pulses, an activity's mean, the loss behind a front or
the size of jumps; death by hazards, hitting times of the course, a pooled logistic or at intercurrent illnesses.
This world is a registry whose centre refers patients to an intrathecal programme of autologous adipose cells from
its planned reviews, in the clinic or by video, and differs in every piece:

* **course: a disease burden driven by a metabolic feedback, shared out over the domains by the phenotype.**  A
  latent burden B (ALSFRS-R points' worth) grows from B0 = 1 at the first symptom at dB/dt = r·e^{4·δ(t)}: r =
  1.0·π·e^{0.5·z + 0.012·(age − 63) + 0.15·C9orf72} the patient's pace (π the phenotype's, below; older onset
  faster: Chiò et al., Amyotroph Lateral Scler 2009;10:310-323), δ(t) = min(h·t/12 + 0.2·T(B)/48, 0.35) the
  latent energy deficit (the fraction of premorbid weight lost): h = 0.025·e^{0.7·N(0, 1)} a year the patient's
  unrecorded hypermetabolism, 0.2·T/48 the muscle wasting.  So weight loss and decline feed each other
  (hypermetabolism goes with faster functional decline and shorter survival: Steyn et al., J Neurol Neurosurg
  Psychiatry 2018;89:1016-1023; weight loss is prognostic: Marin et al., J Neurol Neurosurg Psychiatry
  2011;82:628-634; the form and the constants are assumptions).  Integrated by Euler steps of half a month.  Domain
  d (bulbar, fine motor, gross motor, respiratory: Cedarbaum et al., J Neurol Sci 1999;169:13-21) has lost y_d =
  12·tanh(p_d·B/48) points, T = Σ y_d, p the patient's pattern (Σ p = 4): the phenotype's pattern × e^{0.25·N(0, 1)}
  per domain, renormalised.  Phenotypes (after a population register's, Chiò et al., J Neurol Neurosurg Psychiatry
  2011;82:740-746; shares rounded, the pure lower and upper motor neuron forms folded into flail and pyramidal):
  bulbar 30% (pattern 2.2, 0.7, 0.5, 0.6; pace π 1.15), classic arm-first 20% (0.6, 1.8, 0.9, 0.7; 1) and
  leg-first 20% (0.5, 0.9, 1.9, 0.7; 1), flail arm 6% (0.3, 2.5, 0.6, 0.6; 0.6), flail leg 6% (0.3, 0.6, 2.6, 0.5;
  0.7), pyramidal 12% (1, 1, 1.5, 0.5; 0.55), respiratory 3% (0.7, 0.9, 0.6, 1.8; 1.3), generalized 3% (1, 1, 1, 1;
  1.2); ``onset_site`` bulbar, limb (the classic, flail and pyramidal), respiratory or generalized: the phenotype
  itself is not recorded.  No spread delays: every domain loses from onset at its share; the late domains show
  late through the item maps.  Men 60%, age at onset N(63, 11²) within 30-88, C9orf72 8%, SOD1 2%.  The constants
  are assumptions, set so that the untreated patients' per-patient slope of the recorded total is -1.03
  points/month on average, median -0.95, 95% of patients between -2.32 and -0.27 (-0.99 PRO-ACT, -0.89
  population-based with 95% between -0.04 and -1.96, spec/domain-rules.md), the first recorded total's median 40,
  the median survival from onset 36 months (measured on ``simulate_world15(3000, 0.0, 0.0, 1)``: per patient the
  least-squares slope of the complete totals on months over the 2,766 patients with two or more spanning 3 months
  or more; survival by Kaplan-Meier with entry at the diagnosis, censored at the lock or, for the lost and
  withdrawn, at the last visit);
* **items: Beta-distribution maps of the domain's loss, rated on the best of the recalled days (an extreme-value
  reading).**  Item j's latent level is x_j = 4 − 4·I_{y_d/12}(a_j, b_j), I the regularised incomplete beta
  function: (a, b) = (1.2, 2.4) for the item a domain loses first (speech, handwriting, stairs, dyspnea), (1.8,
  1.8) for the middle one (swallowing, cutting food, walking, orthopnea), (2.4, 1.2) for the last (salivation,
  dressing, turning in bed, respiratory insufficiency; assumptions).  A patient's function varies from day to day
  (sd σ = 0.4 points per item) and the rating is that of the best of the K days recalled: round(x_j + σ·M_K)
  within 0-4, M_K the largest of K standard normals, drawn as Φ⁻¹(U^{1/K}) at a stored uniform; K = 2 in the
  clinic or on the ward (the day and the one before), K = 4 at a video review (the patient's account of the past
  days only: reads about 0.2 points higher per item at mid-scale; assumptions; telephone ALSFRS-R agrees well with
  clinic ratings, Kaufmann et al., Amyotroph Lateral Scler 2007;8:42-46, so the offset is small).  18% of
  consecutive untreated totals rise and 14% repeat.  On NIV q12 is at most 3; after a gastrostomy item 5 is q5b
  (spec/domain-rules.md).  Video reviews (``assessor`` phone) leave each item blank with probability 0.006 (their
  total missing; the only partial rows).  Measured: FVC % predicted (``fvc_pct_pred``) at every clinic review (the
  diagnosis and the planned reviews in the clinic), the latent vital capacity (below) + N(0, 3²), rounded
  (untreated: the first value's median 82%, falling 2.5 %/month on average); weight (``weight_kg``) at every visit
  in person (clinic, urgent, ward) W0·(1 − δ − a·y_B*/12) + N(0, 0.6²), a = 0.07·e^{0.3·N(0, 1)} the dysphagia's
  part, y_B* the bulbar loss frozen at a gastrostomy, W0 ~ N(80, 12²) men, N(66, 11²) women (untreated: falling
  0.57 kg/month on average); ALSAQ-5 (``alsaq5``, 0-100 in steps of 5, higher is worse) returned at 80% of the
  planned reviews after the diagnosis, 5·round((90·(1 − x̄/4) + 10·c + N(0, 6²))/5) within 0-100, x̄ the mean
  latent item level, c ~ N(0, 1) the patient's unrecorded coping (assumptions);
* **visits: planned reviews booked on the recorded decline, every other one by video; urgent visits after falls;
  admissions for NIV and gastrostomy.**  The diagnosis (the first visit, a clinic review) comes after the patient's
  own delay (Exp, mean 5 months, × 0.7 for bulbar onset: speech changes are noticed), the GP's referral (lognormal,
  median 2.5 months, sd of log 0.7) and the neurologist's work-up (Gamma(2), mean 4 months, × e^{-0.05·(T − 4)}
  at referral: quicker when worse), at least 2 months after onset: the median delay is 9.8 months (about a year:
  Paganoni et al., Amyotroph Lateral Scler Frontotemporal Degener 2014;15:453-456).  The registry includes the
  patients diagnosed from 2016-10-01 to a month before the lock, alive at diagnosis; onsets 2012-2025, data lock
  2025-10-31.  Three sites: MAIN (the programme's centre) 50%, LAKES 30%, HILLS 20% (whose clinic closes on
  2022-03-31: MAIN takes its later diagnoses).  ``scheduled``: at each planned review (the diagnosis included) the
  next is booked 2 months on when the recorded total fell by 1 point/month or more since the last planned review
  with a complete total, 3 months at 0.4-1, 4 months below (3 when not computable), ± 7 days (uniform; clinics
  review about every 3 months and more often in faster disease: Miller et al., Neurology 2009;73:1218-1226; the
  bands are assumptions); after a clinic review other than the diagnosis with a recorded FVC of 65% or more the
  next planned review is ``remote``, by video (no spirometry, no weight), and after a video review the clinic
  again (the centre's hybrid follow-up: an assumption).  ``unscheduled``: falls come at a rate 0.02 + 0.25·x8·(4 −
  x8)/4 per month, x8 the latent walking level (most while walking is impaired but possible, few once it is lost:
  an assumption), thinned from a rate-0.3 Poisson process from the diagnosis; 60% bring the patient to the clinic
  2-10 days later (rating and weight, no spirometry), unless a visit was within 14 days before or a planned review
  is due within 10 days.  ``inpatient``: the elective admission for NIV (set up on the ward that day) or for a
  gastrostomy (placed the next day), rated and weighed on the ward.  Untreated, 66% of the rows are clinic reviews,
  12% video reviews, 14% urgent visits and 8% ward ratings.  Only the planned reviews after the diagnosis, in the
  clinic or by video, are decision occasions (:data:`DECISION_VISIT_TYPES`; :data:`DECISION_AT_EVERY_VISIT` is
  False): an urgent visit follows a fall (the legs failing) and an admission comes with advanced bulbar or
  respiratory disease, so treating them as occasions would put decisions at moments chosen by the course;
* **who is treated, and when: the centre's programme, decided at a planned review from the recorded history and
  an allocation list.**  At a planned review after the diagnosis an untreated patient is *eligible* when (1) the
  visit's total is complete, (2) three or more complete totals are recorded, the first at least 4 months before,
  (3) the last recorded ``fvc_pct_pred`` is at least 60% and at most 183 days old (lying still for the puncture),
  (4) the age (visit year − ``birth_year``) is 18-75, (5) the visit is at most 30 months after ``diagnosis_date``,
  (6) ``el_escorial`` is recorded, (7) no ``niv_start`` and no ``gastrostomy`` is recorded on or before it, (8) the
  last recorded ``weight_kg`` is at least 90% of the first (fat to harvest; the malnourished are referred for
  nutrition first).  The patient is then referred with probability expit(c + s), drawn as logit(u) < c + s, u the
  patient's number for that review on the programme's allocation list (:func:`lottery`: a table of uniforms, row
  i the patient ``W15{i:05d}``, column k the k-th planned review, the diagnosis 0, from a stream of its own seeded
  by (seed, 15): chance unrelated to prognosis); s (:func:`rule_score`) = +1 when the recorded decline (minus the
  least-squares slope of all recorded complete totals on months) lies within 0.3-1.2 points/month, −0.6 above 1.5
  (the programme wants patients neither too slow to show a benefit nor too fast to reach the dose), + 0.02·(last
  recorded ALSAQ-5 − 40) (distress drives the wish for cells; 0 when none is recorded), + site (MAIN +0.6, LAKES 0,
  HILLS −0.6), − 0.04·(age − 55).  Nothing unrecorded enters: the rule reads ``patients`` (birth_year,
  diagnosis_date, el_escorial, site), ``events`` (niv_start, gastrostomy), ``measurements`` (fvc_pct_pred,
  weight_kg, alsaq5) and the ``alsfrs`` totals: :data:`RECORDED_RULE_INPUTS`; the tests rebuild every decision
  from the tables.  c is set so that at most round(share·n) patients are referred (each first referral is a
  deterministic function of c on the untreated history; 49% of the patients are ever eligible; two thirds of the
  referrals come at video reviews, the first eligible occasion being often the review after the first clinic
  one); a referred patient who dies, leaves or meets the lock before the first dose is not treated.  Fat is
  harvested by lipoaspiration and the cells expanded: the first dose 42-70 days after the decision
  (:data:`DECISION_LAG_DAYS` 42), autologous adipose-derived MSCs intrathecally, 1×10⁸ cells per dose before
  2021-01-01 and 5×10⁷ after (the radicular pain seen at 1×10⁸ × 2 made the centre halve the dose: Staff et al.,
  Neurology 2016, spec/domain-rules.md; the date is an assumption); a second dose of the same expansion 28-35 days
  later with probability 0.9 if alive, still seen and before the lock.  Adverse events per dose: headache 7%,
  fever 8%, puncture-site pain 7% (autologous intrathecal MSCs, spec/domain-rules.md), radiculopathy 12% at 1×10⁸
  and 4% at 5×10⁷ (grade 2), meningism 3% (grade 2), arachnoiditis 1% at 1×10⁸ (grade 3, serious); the others
  grade 2 in 25%;
* **effect: the cells slow the burden for a random lifetime, after a latency.**  From the first grid point on or
  after t1 + ℓ (t1 the first dose, ℓ ~ Gamma(2, mean 1 month) the latency) until t1 + ℓ + L (L ~ Exp, mean 12
  months, + 6 when the second dose is given: the response's lifetime), dB/dt is multiplied by 1 − min(ρ, 0.9), ρ
  = E·g/R, R the expected clinician-rated total's loss rate at t1 (points/month, at least 0.25): while the response
  lasts a patient with g = 1 loses about E points/month less; g = e^{0.4·N(0, 1) − 0.08} (mean 1).  A slower
  burden also slows the wasting and so the feedback, and keeps up the FVC and the weight, delaying NIV,
  gastrostomy and death.  (Measured once the constants were set, not tuned, on 3,000 patients, 30% treated, seed
  1: the expected-total difference divided by the months since the first dose averages 0.33·E at E = 0.2 and
  0.30·E at E = 0.5 over the visits 0.5-3 months after it, 0.63·E and 0.57·E over 3-9, 0.58·E and 0.52·E over
  9-15, 0.50·E and 0.45·E over 15-24, 0.41·E and 0.36·E over 24-36; ``truth_window`` 0.099 and 0.224,
  ``truth_realised`` 0.086 and 0.190.)  E = 0 gives ρ = 0 and the same course with and without cells;
* **follow-up ends by the first passage of a fluctuating respiratory reserve, loss, a clinic's closure, distress
  and the lock.**  The latent vital capacity is V(t) = F0·(1 − 0.9·φ^1.6)·(1 − 1.2·(δ − 0.04)⁺) − 10·(y_B/12)² +
  1.4·W(t), φ = 1 − e^{−(0.5 + 0.5·p_R)·B/30} the respiratory muscles' lost fraction (the vital capacity falls
  before dyspnea is rated), F0 ~ N(100, 12²) within 65-130, W a standard Wiener process from onset (infections,
  secretions); the patient dies when V first falls below a personal critical level U(20, 32)% — a first hitting
  time of a diffusion (threshold regression: Lee & Whitmore, Stat Sci 2006;21:501-513) — lowered from the start
  of NIV by 12 points when the bulbar loss is below 6 then and by 4 otherwise (NIV prolonged survival with better
  bulbar function and little with severe bulbar impairment: Bourke et al., Lancet Neurol 2006;5:140-147); other
  causes at 0.0008·e^{0.07·(age − 62)} per month.  NIV is offered at a planned review with a recorded FVC below
  50% (in the clinic) or a recorded orthopnea q11 at most 2 (in the clinic or by video: Miller et al. 2009),
  accepted with probability 0.3, the admission 7-35 days later; a gastrostomy at a clinic review with a recorded
  swallowing q3 at most 2, a weight at most 90% of the first, or an FVC below 60% with q3 at most 3 (Andersen et
  al., EFNS guideline, Eur J Neurol 2012;19:360-375), accepted with probability 0.12, the admission 14-42 days later
  (untreated, 51% have NIV recorded and 39% a gastrostomy).  After a planned review a patient is lost with
  probability 0.004 (clinic) or 0.02 (video: those followed remotely drift away), declared 6 months after the last
  visit; after a planned review with a recorded ALSAQ-5 of 70 or more the patient withdraws with probability 0.04
  (1-30 days later); when the HILLS clinic closes 70% of its patients still followed go to hospitals outside the
  registry (``withdrawal`` 1-30 days after the closure), the others stay with its outreach clinic run by MAIN.
  Deaths after a loss or a withdrawal are unknown to the registry.  Rates and thresholds are assumptions (median
  survival from onset 36 months, above; 30-45 months in population cohorts, spec/domain-rules.md).

:data:`PIECES` names the pieces ``off`` switches off without changing the random draws.  All random numbers are
drawn first in a fixed order and shared by every course (a contact's uniforms follow its slot: the k-th planned
review, the NIV or gastrostomy admission, the f-th fall; not its rank); the allocation list comes from its own
stream.  The untreated course decides who is referred and when; the programme's course shares it up to the first
dose and is then followed twice, with the cells (recorded) and without them, each with its own falls, admissions,
reviews booked on its own recorded totals, deaths and endings.  ``truth`` is E; ``truth_realised`` per treated
patient the least squares through the origin of (with − without cells expected clinician-rated total) on months
since the first dose over the recorded post-dose visits, the mean over patients; ``truth_window`` and
``truth_observed`` from ``window_truth`` (the latter with the visits each course keeps); zeros under E = 0.  The
expected total is exact for a clinic rating: Σ_j Σ_c 1 − Φ((c − ½ − x_j)/σ)^2, less, on NIV, the probability that
q12 would read 4 (no blank items).  Simulating 3,000 patients takes about 1 s untreated, 3.5 s with 30% treated.
Writes canonical tables (patients, treatments, alsfrs, measurements, adverse_events, events).  The occasions were
part of this world from its start: with ``record_occasions=True`` the tables also say what it knows (the optional
``alsfrs.visit_type``: the diagnosis and clinic reviews ``scheduled``, video reviews ``remote``, urgent visits after
falls ``unscheduled``, ward ratings ``inpatient``; ``treatments.decision_date``: the planned review of the decision,
for the second dose, which has no decision of its own, the first's), drawing the same numbers: every other column
is unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betainc, ndtr, ndtri

from alscell.io.tables import Tables
from second_world import refuse_unknown
from window_truth import cohort_truths
from world_tables import DPM, ITEMS, WorldCohort, follow_up_events, item_rows, share_cutoff

# what the rule reads besides the ALSFRS-R totals (their recorded history)
RECORDED_RULE_INPUTS = (
    "age", "time_since_diagnosis", "ventilation", "gastrostomy", "site", "el_escorial", "fvc_pct_pred",
    "weight_kg", "alsaq5",
)  # fmt: skip
# the programme decides only at planned reviews (in the clinic or by video), never after a fall or on the ward
DECISION_AT_EVERY_VISIT = False
DECISION_VISIT_TYPES = ("scheduled", "remote")
DOSE_LAG = (42, 70)  # days from the decision to the first dose (lipoaspiration, then expansion)
DECISION_LAG_DAYS = DOSE_LAG[0]
SECOND_GAP = (28, 35)  # days from the first dose to the second
PIECES = {
    "phenotypes": "the clinical phenotypes' own patterns and paces (off: a classic pattern by onset site, pace 1)",
    "pattern_spread": "each patient's own share of the loss by domain (off: the phenotype's pattern)",
    "patient_rates": "the patients' own paces (off: every patient the median pace; age, phenotype kept)",
    "hypermetabolism": "the hypermetabolic energy deficit growing with time (off: none, wasting only)",
    "metabolic_feedback": "the energy deficit speeding the loss (off: the pace does not depend on it)",
    "rating_noise": "the day-to-day variation of each item read by the rater (off: nearly none, sd 0.02)",
    "best_day_recall": "the rating taken on the best of the recalled days (off: a single day everywhere)",
    "video_recall": "the longer recall of the video reviews (off: the clinic's recall at video reviews too)",
    "video_gaps": "items left blank at video reviews (off: none)",
    "booked_reviews": "the next planned review booked by the recorded decline (off: every 3 months)",
    "video_reviews": "every other planned review by video while the FVC is 65% or more (off: all in the clinic)",
    "falls": "urgent clinic visits after falls (off: none)",
    "admissions": "ratings on the ward at the admissions for NIV and gastrostomy (off: not rated)",
    "respiratory_noise": "the Wiener fluctuation of the respiratory reserve (off: none)",
    "niv": "NIV offered on a recorded FVC below 50% or orthopnea q11 at most 2 (off: none)",
    "gastrostomy": "gastrostomy offered on a recorded q3, weight loss or FVC with q3 (off: none)",
    "death": "death when the respiratory reserve crosses its critical level, or of other causes (off: none)",
    "loss": "loss to follow-up after a planned review (off: none)",
    "site_closure": "withdrawal of HILLS patients when its clinic closes (off: all stay)",
    "distress_withdrawal": "withdrawal after a planned review with a recorded ALSAQ-5 of 70 or more (off: none)",
    "fvc_rule": "the last recorded FVC of at least 60% within 6 months criterion (off: none)",
    "weight_rule": "the last recorded weight at least 90% of the first criterion (off: none)",
    "slope_preference": "the points by the recorded totals' least-squares decline (off: none)",
    "alsaq_preference": "the points by the last recorded ALSAQ-5 (off: none)",
    "site_choice": "the sites' different readiness (off: the same everywhere)",
    "second_dose": "the second intrathecal dose a month after the first (off: none)",
    "response_latency": "the response starting some weeks after the first dose (off: at the dose)",
    "response_lifetime": "the response ending after a random lifetime (off: it lasts)",
    "response_spread": "responses differing between patients (off: g = 1)",
    "adverse_events": "adverse events of the lumbar punctures and the cells (off: none)",
}
SITES = np.array(["MAIN", "LAKES", "HILLS"])
SITE_P = np.array([0.5, 0.3, 0.2])
HILLS = 2
SITE_CHOICE = np.array([0.6, 0.0, -0.6])
ONSET_FROM, ONSET_YEARS = pd.Timestamp("2012-01-01"), 13.5
OPENING = pd.Timestamp("2016-10-01")
CLOSURE = pd.Timestamp("2022-03-31")  # the HILLS clinic closes
DEESCALATION = pd.Timestamp("2021-01-01")  # 5×10⁷ cells per dose from then on, 1×10⁸ before
LOCK = pd.Timestamp("2025-10-31")
EPOCH = pd.Timestamp(0)
H = 0.5  # the course's grid step (months)
MONTHS = 192
NS = int(MONTHS / H)
BIG = np.iinfo(np.int64).max // 4
BUL, FINE, GROSS, RESP = range(4)
DOMAIN = np.repeat(np.arange(4), 3)  # the domain of q1..q12
# phenotypes: bulbar, classic arm-first, classic leg-first, flail arm, flail leg, pyramidal, respiratory, generalized
PHENO_P = np.array([0.30, 0.20, 0.20, 0.06, 0.06, 0.12, 0.03, 0.03])
PHENO_SITE = np.array([0, 1, 1, 1, 1, 1, 2, 3])  # onset_site: bulbar, limb, respiratory, generalized
PHENO_PACE = np.array([1.15, 1.0, 1.0, 0.6, 0.7, 0.55, 1.3, 1.2])
PATTERN = np.array([
    [2.2, 0.7, 0.5, 0.6], [0.6, 1.8, 0.9, 0.7], [0.5, 0.9, 1.9, 0.7], [0.3, 2.5, 0.6, 0.6],
    [0.3, 0.6, 2.6, 0.5], [1.0, 1.0, 1.5, 0.5], [0.7, 0.9, 0.6, 1.8], [1.0, 1.0, 1.0, 1.0],
])  # fmt: skip
CLASSIC = np.array([0, 1, 6, 7])  # the phenotype standing for each onset site when "phenotypes" is off
R0, R_SD = 1.0, 0.5  # the median pace (burden points/month) and its spread (sd of log)
B0 = 1.0  # the burden at the first symptom
LOSS_SCALE = 48.0  # the burden at which a domain of share 1 has lost tanh(1) = 76% of its points
PATIENT_DELAY, GP_DELAY, SPEC_DELAY = 5.0, 2.5, 4.0  # months: mean, median, mean
H_MED, H_SD = 0.025, 0.7  # the hypermetabolic deficit's growth (fraction of weight per year): median, sd of log
WASTE, DMAX = 0.2, 0.35  # the deficit from muscle wasting at a total loss of 48 points, and its cap
GAMMA_M = 4.0  # log pace per unit of energy deficit
# each item's deficit is 4 × a Beta(a, b) distribution function of its domain's lost fraction
EARLY, MID, LATE = (1.2, 2.4), (1.8, 1.8), (2.4, 1.2)
ITEM_AB = np.array([EARLY, LATE, MID, EARLY, MID, LATE, LATE, MID, EARLY, EARLY, MID, LATE])
SIGMA = 0.4  # the day-to-day variation of an item (points)
K_CLINIC, K_VIDEO = 2, 4  # days recalled: in the clinic (the day and the one before), by video
P_BLANK = 0.006  # an item left blank at a video review
# the respiratory reserve (latent vital capacity, % predicted)
A_R, P_R, B_V, C_D, C_B, SIG_W = 0.9, 1.6, 30.0, 1.2, 10.0, 1.4
CRIT = (20.0, 32.0)
NIV_GAIN_GOOD, NIV_GAIN_POOR = 12.0, 4.0
BG0, BG_AGE = 0.0008, 0.07  # other causes of death per month at 62, per year of age
# falls and the urgent visits they bring
FALL_BASE, FALL_PEAK, FALL_MAX, FALL_VISIT = 0.02, 0.25, 0.3, 0.6
N_PLAN, K_FALL = 60, 60
SLOT_NIV, SLOT_GAS = N_PLAN + 1, N_PLAN + 2
SLOT_FALL = N_PLAN + 3
SLOTS = SLOT_FALL + K_FALL
SCHED, REMOTE, UNSCHED, INPAT = range(4)
VISIT_TYPES = np.array(["scheduled", "remote", "unscheduled", "inpatient"], dtype=object)
P_LOSS = np.array([0.004, 0.02])  # loss after a clinic or a video review
P_NIV, P_GAS = 0.3, 0.12  # an offer of NIV, of a gastrostomy accepted
ESCORIAL = np.array(["definite", "probable", "probable_lab", "possible"])
ESC_P = np.array([[0.02, 0.10, 0.38, 0.50], [0.12, 0.58, 0.22, 0.08], [0.70, 0.25, 0.04, 0.01],
                  [0.88, 0.12, 0.0, 0.0]])  # fmt: skip
LIFE_MEAN, LIFE_BOOST, LATENCY = 12.0, 6.0, 1.0  # months
RATE_FLOOR, F_CAP = 0.25, 0.9
AE_TERMS = np.array(["headache", "fever", "injection_site_pain", "radiculopathy", "meningism", "arachnoiditis"])
AE_P_HIGH = np.array([0.07, 0.08, 0.07, 0.12, 0.03, 0.01])  # per dose of 1×10⁸ cells
AE_P_LOW = np.array([0.07, 0.08, 0.07, 0.04, 0.03, 0.0])  # per dose of 5×10⁷
AE_START = np.array([1, 0, 0, 2, 1, 7])  # days after the dose
AE_SPAN = np.array([(1, 5), (1, 2), (1, 3), (14, 60), (2, 7), (60, 180)])
AE_REL = np.array(["probable", "possible", "definite", "probable", "probable", "probable"])


def _days(ts: pd.Timestamp) -> int:
    return (ts - EPOCH).days


def lottery(seed: int, n_patients: int) -> np.ndarray:
    """The programme's allocation list: the uniform of the k-th planned review (0 the diagnosis) of the i-th
    patient (``W15{i:05d}``), from a stream of its own; the chance part of the decision."""
    return np.random.default_rng([seed, 15]).random((n_patients, N_PLAN + 1))


def rule_score(decline, alsaq5, site_code, age, on=lambda piece: True) -> np.ndarray:
    """The programme's points at an eligible occasion from the recorded decline (minus the least-squares slope of
    the recorded complete totals on months), the last recorded ALSAQ-5 (NaN: none), the site and the age."""
    decline, alsaq5 = np.asarray(decline, float), np.asarray(alsaq5, float)
    s = -0.04 * (np.asarray(age, float) - 55)
    if on("slope_preference"):
        s = s + np.where((decline >= 0.3) & (decline <= 1.2), 1.0, np.where(decline > 1.5, -0.6, 0.0))
    if on("alsaq_preference"):
        s = s + np.where(np.isfinite(alsaq5), 0.02 * (alsaq5 - 40), 0.0)
    if on("site_choice"):
        s = s + SITE_CHOICE[np.asarray(site_code)]
    return s


def _interp(grid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """A grid (rows × NS+1) at ``t`` months from onset (rows, or rows × K), linear between grid points."""
    x = np.clip(np.where(np.isfinite(t), t, 0.0) / H, 0.0, NS - 1e-9)
    j = np.floor(x).astype(np.int64)
    w = x - j
    r = np.arange(len(grid)).reshape((-1,) + (1,) * (t.ndim - 1))
    return grid[r, j] * (1 - w) + grid[r, j + 1] * w


def _losses(b: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Each domain's loss (points, 0-12) at the burden ``b`` (...) with the loss pattern ``p`` (... × 4)."""
    return 12.0 * np.tanh(p * b[..., None] / LOSS_SCALE)


def _levels(y: np.ndarray) -> np.ndarray:
    """Each item's latent level (... × 12) at the domains' losses ``y`` (... × 4)."""
    f = np.clip(y[..., DOMAIN] / 12.0, 0.0, 1.0)
    return 4.0 - 4.0 * betainc(ITEM_AB[:, 0], ITEM_AB[:, 1], f)


def _expected(x: np.ndarray, niv_on: np.ndarray, k: int, sigma: float) -> np.ndarray:
    """The expected rated total at the item levels ``x`` (... × 12) read on the best of ``k`` days: Σ_j Σ_c
    1 − Φ((c − ½ − x_j)/σ)^k, less on NIV the probability that q12 would read 4."""
    cum = 1.0 - ndtr((np.arange(1, 5) - 0.5 - x[..., None]) / sigma) ** k
    return cum.sum((-1, -2)) - niv_on * cum[..., 11, 3]


def _first_below(v: np.ndarray, crit: np.ndarray, t0: np.ndarray) -> np.ndarray:
    """Months from onset at which the grid ``v`` (rows × NS+1) first falls below ``crit`` at or after ``t0``
    months (linear between grid points); inf for never."""
    k0 = np.ceil(np.maximum(t0, 0.0) / H - 1e-9).astype(np.int64)
    below = (v < crit[:, None]) & (np.arange(NS + 1) >= k0[:, None])
    has = below.any(1)
    k = below.argmax(1)
    rr = np.arange(len(v))
    km = np.maximum(k - 1, 0)
    v0, v1 = v[rr, km], v[rr, k]
    frac = np.clip((v0 - crit) / np.maximum(v0 - v1, 1e-9), 0.0, 1.0)
    t = np.where(k > 0, H * (km + frac), 0.0)
    return np.where(has, np.maximum(t, t0), np.inf)


def simulate_world15(
    n_patients: int,
    effect: float,
    treated_share: float,
    seed: int,
    off: frozenset[str] = frozenset(),
    record_occasions: bool = False,
) -> WorldCohort:
    """A cohort of ``n_patients`` from the fifteenth world, effect E = ``effect``, about ``treated_share`` of them
    treated (at most round(share·n)), with the pieces of ``off`` switched off; ``record_occasions`` fills
    ``alsfrs.visit_type`` and ``treatments.decision_date`` (the same draws, every other column unchanged)."""
    refuse_unknown(off, PIECES)

    def on(piece: str) -> bool:
        return piece not in off

    rng = np.random.default_rng(seed)
    n, m = int(n_patients), 2 * int(n_patients) + 100
    # all random numbers first, in a fixed order, shared by every course
    pheno_u, sex_u, site_u = (rng.random(m) for _ in range(3))
    age = np.clip(rng.normal(63, 11, m), 30, 88)
    onset_day = _days(ONSET_FROM) + rng.integers(0, int(ONSET_YEARS * 365.25), m)
    z_rate, z_h = rng.normal(0, 1, m), rng.normal(0, 1, m)
    z_pat = rng.normal(0, 1, (m, 4))
    pat_delay, gp_z, spec_g = rng.exponential(1.0, m), rng.normal(0, 1, m), rng.gamma(2.0, 1.0, m)
    u_esc, u_esc_miss, u_gen, u_ril, u_eda = (rng.random(m) for _ in range(5))
    f0_z, w0_z, dys_z, cope_z, g_z = (rng.normal(0, 1, m) for _ in range(5))
    u_crit, bg_e = rng.random(m), rng.exponential(1.0, m)
    lat_g, life_e = rng.gamma(2.0, 0.5, m), rng.exponential(1.0, m)
    w_steps = rng.standard_normal((m, NS))
    fall_gap, u_fall, u_fall_lag = rng.exponential(1.0, (m, K_FALL)), rng.random((m, K_FALL)), rng.random((m, K_FALL))
    u_jit = rng.random((m, N_PLAN + 1))
    u_item = rng.random((m, SLOTS, 12), dtype=np.float32)
    meas_eps = rng.standard_normal((m, SLOTS, 3), dtype=np.float32)
    u_blank = rng.random((m, N_PLAN + 1, 12), dtype=np.float32)
    u_niv, u_niv_lag, u_gas, u_gas_lag, u_loss, u_wd, u_wd_lag, u_aq = (
        rng.random((m, SLOTS), dtype=np.float32) for _ in range(8)
    )
    u_close, u_close_lag = rng.random(m), rng.random(m)
    u_dose, u_boost, u_boost_lag = (rng.random(m) for _ in range(3))
    u_ae, u_ae_t = rng.random((m, 2, len(AE_TERMS))), rng.random((m, 2, len(AE_TERMS)))
    u_viab, u_pass = rng.random((m, 2)), rng.random((m, 2))

    # the patients: phenotype, pace, loss pattern, metabolism
    pheno = np.searchsorted(np.cumsum(PHENO_P), pheno_u * 0.999999)
    code = PHENO_SITE[pheno]
    sex_m = sex_u < 0.6
    c9 = u_gen < 0.08
    sod1 = (u_gen >= 0.08) & (u_gen < 0.10)
    kind_p = pheno if on("phenotypes") else CLASSIC[code]
    pat = PATTERN[kind_p] * (np.exp(0.25 * z_pat) if on("pattern_spread") else 1.0)
    pat = 4.0 * pat / pat.sum(1, keepdims=True)
    pace = PHENO_PACE[kind_p] if on("phenotypes") else np.ones(m)
    rate_z = z_rate if on("patient_rates") else np.zeros(m)
    r_rate = R0 * pace * np.exp(R_SD * rate_z + 0.012 * (age - 63) + 0.15 * c9)
    h_rate = H_MED * np.exp(H_SD * z_h) if on("hypermetabolism") else np.zeros(m)
    gam = GAMMA_M if on("metabolic_feedback") else 0.0
    f0 = np.clip(100 + 12 * f0_z, 65, 130)
    crit0 = CRIT[0] + (CRIT[1] - CRIT[0]) * u_crit
    t_bg = bg_e / (BG0 * np.exp(BG_AGE * (age - 62)))
    wpath = np.zeros((m, NS + 1))
    if on("respiratory_noise"):
        np.cumsum(SIG_W * np.sqrt(H) * w_steps, axis=1, out=wpath[:, 1:])
    del w_steps

    def course(rows: np.ndarray, damp: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """The burden B and the energy deficit on the grid, the latent vital capacity, and death without NIV,
        of the candidates ``rows``; ``damp`` (rows × NS) the cells' slowing of each step."""
        k_n = len(rows)
        bg = np.empty((k_n, NS + 1))
        dg = np.empty((k_n, NS + 1))
        b = np.full(k_n, B0)
        pr, rr_, hr = pat[rows], r_rate[rows], h_rate[rows]
        for k in range(NS + 1):
            tot = _losses(b, pr).sum(1)
            d = np.minimum(hr * (k * H) / 12 + WASTE * tot / 48, DMAX)
            bg[:, k], dg[:, k] = b, d
            if k < NS:
                step = rr_ * np.exp(gam * d)
                if damp is not None:
                    step = step * (1 - damp[:, k])
                b = b + H * step
        y_b = _losses(bg, pr[:, None, :])[..., BUL]
        phi = 1 - np.exp(-(0.5 + 0.5 * pr[:, RESP, None]) * bg / B_V)  # the respiratory muscles' lost fraction
        v = (f0[rows, None] * (1 - A_R * phi**P_R) * (1 - C_D * np.maximum(dg - 0.04, 0)) - C_B * (y_b / 12) ** 2
             + wpath[rows])  # fmt: skip
        t_resp = _first_below(v, crit0[rows], np.zeros(k_n))
        death = np.minimum(t_resp, t_bg[rows]) if on("death") else np.full(k_n, np.inf)
        return {"B": bg, "dl": dg, "V": v, "death0": death}

    def x_at(rows: np.ndarray, cw: dict, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(domain losses, item levels) of ``rows`` (indices into the course ``cw``'s rows) at ``t`` months."""
        pr = pat[cw["rows"][rows]]
        y = _losses(_interp(cw["B"][rows], t), pr if t.ndim == 1 else pr[:, None, :])
        return y, _levels(y)

    lock_day = _days(LOCK)
    all_rows = np.arange(m)
    cw_all = course(all_rows)
    cw_all["rows"] = all_rows
    # diagnosis: the patient's own delay, the GP's referral and the neurologist's work-up (quicker when worse)
    t_ref = pat_delay * PATIENT_DELAY * np.where(code == 0, 0.7, 1.0) + GP_DELAY * np.exp(0.7 * gp_z)
    loss_ref = _losses(_interp(cw_all["B"], t_ref), pat).sum(1)
    t_dx = np.maximum(t_ref + SPEC_DELAY / 2 * spec_g * np.exp(-0.05 * (loss_ref - 4)), 2.0)
    diag_day = onset_day + np.rint(np.minimum(t_dx, 1e4) * DPM).astype(np.int64)
    ok0 = (diag_day >= _days(OPENING)) & (diag_day <= lock_day - 31) & (cw_all["death0"] > t_dx + 1 / DPM)
    keep = np.flatnonzero(ok0)[:n]
    if len(keep) < n:
        raise RuntimeError("too few candidates enter the cohort")

    def sel(arr: np.ndarray) -> np.ndarray:
        return arr[keep]

    (pheno, code, sex_m, c9, sod1, age, onset_day, t_dx, diag_day, pat, r_rate, h_rate, f0, crit0, t_bg, wpath,
     u_esc, u_esc_miss, u_ril, u_eda, w0_z, dys_z, cope_z, g_z, lat_g, life_e, fall_gap, u_fall, u_fall_lag, u_jit,
     u_item, meas_eps, u_blank, u_niv, u_niv_lag, u_gas, u_gas_lag, u_loss, u_wd, u_wd_lag, u_aq, u_close,
     u_close_lag, u_dose, u_boost, u_boost_lag, u_ae, u_ae_t, u_viab, u_pass, site_u) = map(sel, (
        pheno, code, sex_m, c9, sod1, age, onset_day, t_dx, diag_day, pat, r_rate, h_rate, f0, crit0, t_bg, wpath,
        u_esc, u_esc_miss, u_ril, u_eda, w0_z, dys_z, cope_z, g_z, lat_g, life_e, fall_gap, u_fall, u_fall_lag,
        u_jit, u_item, meas_eps, u_blank, u_niv, u_niv_lag, u_gas, u_gas_lag, u_loss, u_wd, u_wd_lag, u_aq, u_close,
        u_close_lag, u_dose, u_boost, u_boost_lag, u_ae, u_ae_t, u_viab, u_pass, site_u))  # fmt: skip
    cw0 = {key: (val[keep] if key != "rows" else np.arange(n)) for key, val in cw_all.items()}
    del cw_all
    rows_n = np.arange(n)
    site = np.searchsorted(np.cumsum(SITE_P), site_u * 0.999999)
    site = np.where((site == HILLS) & (diag_day > _days(CLOSURE)), 0, site)  # after the closure MAIN takes them
    birth_year = (pd.to_datetime(onset_day, unit="D").year.to_numpy() - np.floor(age)).astype(int)
    # recorded at diagnosis: El Escorial by the regions with a point or more lost, genetics, riluzole, edaravone
    y_dx, _ = x_at(rows_n, cw0, t_dx)
    n_reg = (y_dx >= 1.0).sum(1).clip(1, 4)
    esc = (u_esc[:, None] > np.cumsum(ESC_P[n_reg - 1], 1)[:, :3]).sum(1)
    escorial = ESCORIAL[esc].astype(object)
    escorial[u_esc_miss < 0.07] = None
    esc_ok = u_esc_miss >= 0.07  # any recorded category
    genetics = np.where(c9, "C9orf72", np.where(sod1, "SOD1", None)).astype(object)
    riluzole = np.where(u_ril < 0.85, "true", "false").astype(object)
    riluzole[u_ril > 0.97] = None
    edaravone = np.where(u_eda < 0.05, "true", np.where(u_eda < 0.85, "false", None)).astype(object)
    w0 = np.clip(np.where(sex_m, 80 + 12 * w0_z, 66 + 11 * w0_z), 42, 140)
    a_dys = 0.07 * np.exp(0.3 * dys_z)
    sigma = SIGMA if on("rating_noise") else 0.02
    k_clinic = K_CLINIC if on("best_day_recall") else 1
    k_video = (K_VIDEO if on("video_recall") else K_CLINIC) if on("best_day_recall") else 1
    lot = lottery(seed, n)
    closure_day = _days(CLOSURE)
    year_of = pd.to_datetime(np.arange(_days(ONSET_FROM), lock_day + 400), unit="D").year.to_numpy()
    day_base = _days(ONSET_FROM)

    def falls(cw: dict) -> tuple[np.ndarray, np.ndarray]:
        """(days, slots) of the urgent visits after falls on the course ``cw``, in order (BIG: none): falls at a
        rate that peaks while walking is impaired but possible, each brought to the clinic with probability 0.6,
        2-10 days later."""
        rows = cw["rows"]
        t_f = t_dx[rows, None] + np.cumsum(fall_gap[rows], 1) / FALL_MAX
        _, x = x_at(np.arange(len(rows)), cw, t_f)
        x8 = x[..., 7]
        lam = FALL_BASE + FALL_PEAK * x8 * (4 - x8) / 4
        acc = (u_fall[rows] < FALL_VISIT * lam / FALL_MAX) & (t_f < MONTHS) & on("falls")
        fd = onset_day[rows, None] + np.rint(np.minimum(t_f, MONTHS) * DPM).astype(np.int64)
        fd = fd + 2 + np.floor(u_fall_lag[rows] * 9).astype(np.int64)
        fd = np.where(acc, fd, BIG)
        order = np.argsort(fd, axis=1, kind="stable")
        return np.take_along_axis(fd, order, 1), order

    def run(cw: dict, decide: bool) -> dict[str, np.ndarray]:
        """The registry's contacts of the patients ``cw["rows"]`` on the course ``cw``: the diagnosis, planned
        reviews (in the clinic or by video), urgent visits after falls, admissions for NIV and gastrostomy; NIV,
        gastrostomy, deaths, loss and withdrawal; with ``decide`` the programme's criterion at each occasion."""
        idx = cw["rows"]
        r = len(idx)
        rr = np.arange(r)
        on_d, dx_d = onset_day[idx], diag_day[idx]
        fall_day, fall_slot = falls(cw)
        maxv = N_PLAN + K_FALL + 4
        cnt = np.zeros(r, np.int64)
        vday = np.full((r, maxv), -1, np.int64)
        vtype = np.zeros((r, maxv), np.int64)
        items = np.full((r, maxv, 12), np.nan)
        meas = np.full((r, maxv, 3), np.nan)  # FVC, weight, ALSAQ-5
        crit = np.full((r, N_PLAN + 1), np.inf)
        next_plan, plan_k, plan_mode = dx_d.copy(), np.zeros(r, np.int64), np.zeros(r, np.int64)
        niv_adm, gas_adm = np.full(r, BIG), np.full(r, BIG)
        fptr = np.zeros(r, np.int64)
        done = np.zeros(r, bool)
        last_day = np.full(r, -BIG)
        death_t = cw["death0"].copy()  # months from onset, as NIV stands
        dead_day, wd_day, stop_day = np.full(r, BIG), np.full(r, BIG), np.full(r, BIG)
        lost = np.zeros(r, bool)
        niv_day, gas_day = np.full(r, BIG), np.full(r, BIG)
        yb_gas = np.full(r, np.inf)
        closure_seen = np.zeros(r, bool)
        s_n, s_t, s_tt, s_y, s_ty = (np.zeros(r) for _ in range(5))
        t_first = np.full(r, np.nan)
        prev_tot, prev_day = np.full(r, np.nan), np.zeros(r, np.int64)
        fvc_last, fvc_day = np.full(r, np.nan), np.full(r, -BIG)
        w_first, w_last, aq_last = np.full(r, np.nan), np.full(r, np.nan), np.full(r, np.nan)
        while not done.all():
            death_day = on_d + np.rint(np.minimum(death_t, 1e4) * DPM).astype(np.int64)
            dp = np.where(plan_k <= N_PLAN, next_plan, BIG)
            da = np.minimum(niv_adm, gas_adm)
            df = np.where(fptr < K_FALL, fall_day[rr, np.minimum(fptr, K_FALL - 1)], BIG)
            day = np.minimum(np.minimum(dp, da), df)
            kind = np.where(dp == day, 0, np.where(da == day, 1, 2))
            act = ~done
            die = act & (death_day <= day)
            dead_day = np.where(die & (death_day <= lock_day), death_day, dead_day)
            done |= die
            done |= act & (day > lock_day)
            # the HILLS clinic closes: most of its patients go to hospitals outside the registry
            cl = ~done & (site[idx] == HILLS) & (day > closure_day) & ~closure_seen
            closure_seen |= cl
            move = cl & (u_close[idx] < 0.7) & on("site_closure")
            wd_day = np.where(move, closure_day + 1 + np.floor(u_close_lag[idx] * 30).astype(np.int64), wd_day)
            stop_day = np.where(move, closure_day, stop_day)
            done |= move
            go = ~done
            # a fall is not brought in soon after a visit or shortly before a planned review
            fk = go & (kind == 2)
            fptr += fk
            go &= ~(fk & ((day - last_day < 14) | (dp - day <= 10)))
            g = np.flatnonzero(go)
            if len(g) == 0:
                continue
            d, k = day[g], kind[g]
            t = (d - on_d[g]) / DPM
            y, x = x_at(g, cw, t)
            dl = _interp(cw["dl"][g], t)
            vv = _interp(cw["V"][g], t)
            is_plan = k == 0
            pk = plan_k[g]
            vt = np.where(is_plan, np.where(plan_mode[g] == 1, REMOTE, SCHED), np.where(k == 1, INPAT, UNSCHED))
            slot = np.where(is_plan, np.minimum(pk, N_PLAN),
                            np.where(k == 1, np.where(niv_adm[g] == d, SLOT_NIV, SLOT_GAS),
                                     SLOT_FALL + fall_slot[g, np.maximum(fptr[g] - 1, 0)]))  # fmt: skip
            gi = idx[g]
            rec = d != last_day[g]
            if not on("admissions"):
                rec &= k != 1
            # admissions: NIV is set up on the ward that day; the gastrostomy is placed the next day
            adm = k == 1
            nv = adm & (niv_adm[g] == d)
            gs = adm & (gas_adm[g] == d)
            niv_day[g[nv]] = d[nv]
            niv_adm[g[nv]] = BIG
            gas_day[g[gs]] = d[gs] + 1
            yb_gas[g[gs]] = y[gs, BUL]
            gas_adm[g[gs]] = BIG
            if nv.any() and on("death"):  # alive now, so NIV lowers the critical level from here on
                gn = g[nv]
                gain = np.where(y[nv, BUL] < 6, NIV_GAIN_GOOD, NIV_GAIN_POOR)
                t_niv = _first_below(cw["V"][gn], crit0[idx[gn]] - gain, t[nv])
                death_t[gn] = np.minimum(t_niv, t_bg[idx[gn]])
            # the rating: each item on the best of the recalled days
            kd = np.where(vt == REMOTE, k_video, k_clinic)
            uu = u_item[gi, slot].astype(np.float64)
            best = ndtri(np.clip(uu, 1e-12, 1 - 1e-12) ** (1.0 / kd[:, None]))
            it = np.clip(np.rint(x + sigma * best), 0, 4)
            it[:, 11] = np.where(niv_day[g] <= d, np.minimum(it[:, 11], 3), it[:, 11])
            if on("video_gaps"):
                it[(vt == REMOTE)[:, None] & (u_blank[gi, np.minimum(pk, N_PLAN)] < P_BLANK)] = np.nan
            tot = it.sum(1)
            complete = np.isfinite(tot)
            # measurements: FVC in the clinic, weight at every visit in person, ALSAQ-5 at planned reviews
            me = meas_eps[gi, slot].astype(np.float64)
            fvc = np.clip(np.rint(vv + 3.0 * me[:, 0]), 5, 150)
            fvc = np.where(vt == SCHED, fvc, np.nan)
            yb = np.where(d >= gas_day[g], np.minimum(yb_gas[g], y[:, BUL]), y[:, BUL])
            wt = np.round(w0[gi] * (1 - dl - a_dys[gi] * yb / 12) + 0.6 * me[:, 1], 1)
            wt = np.where(vt != REMOTE, np.clip(wt, 25, 200), np.nan)
            aq = 5 * np.clip(np.rint((90 * (1 - x.mean(1) / 4) + 10 * cope_z[gi] + 6 * me[:, 2]) / 5), 0, 20)
            aq = np.where(is_plan & (pk >= 1) & (u_aq[gi, slot] < 0.8), aq, np.nan)
            gr = g[rec]
            pos = cnt[gr]
            vday[gr, pos] = d[rec]
            vtype[gr, pos] = vt[rec]
            items[gr, pos] = it[rec]
            meas[gr, pos] = np.stack([fvc, wt, aq], 1)[rec]
            cnt[gr] += 1
            last_day[gr] = d[rec]
            # the recorded history the programme reads
            tm = (d - dx_d[g]) / DPM
            add = rec & complete
            s_n[g] += add
            s_t[g] += np.where(add, tm, 0)
            s_tt[g] += np.where(add, tm * tm, 0)
            s_y[g] += np.where(add, tot, 0)
            s_ty[g] += np.where(add, tm * tot, 0)
            t_first[g] = np.where(add & np.isnan(t_first[g]), tm, t_first[g])
            has_f = rec & np.isfinite(fvc)
            fvc_last[g] = np.where(has_f, fvc, fvc_last[g])
            fvc_day[g] = np.where(has_f, d, fvc_day[g])
            has_w = rec & np.isfinite(wt)
            w_first[g] = np.where(has_w & np.isnan(w_first[g]), wt, w_first[g])
            w_last[g] = np.where(has_w, wt, w_last[g])
            aq_last[g] = np.where(rec & np.isfinite(aq), aq, aq_last[g])
            if decide:
                a_now = year_of[d - day_base] - birth_year[gi]
                with np.errstate(invalid="ignore", divide="ignore"):
                    nn = s_n[g]
                    slope = (nn * s_ty[g] - s_t[g] * s_y[g]) / (nn * s_tt[g] - s_t[g] ** 2)
                elig = rec & is_plan & (pk >= 1) & complete & (nn >= 3) & (tm - t_first[g] >= 4)
                elig &= (a_now >= 18) & (a_now <= 75) & (tm <= 30) & esc_ok[gi]
                elig &= (niv_day[g] > d) & (gas_day[g] > d)
                if on("fvc_rule"):
                    elig &= (fvc_last[g] >= 60) & (d - fvc_day[g] <= 183)
                if on("weight_rule"):
                    elig &= w_last[g] >= 0.9 * w_first[g]
                score = rule_score(-slope, aq_last[g], site[gi], a_now, on)
                ul = np.clip(lot[gi, np.minimum(pk, N_PLAN)], 1e-12, 1 - 1e-12)
                crit[g, np.minimum(pk, N_PLAN)] = np.where(elig, np.log(ul) - np.log1p(-ul) - score, np.inf)
            # offers at planned reviews: NIV on a low FVC or orthopnea, a gastrostomy on swallowing or weight loss
            q11, q3 = it[:, 10], it[:, 2]
            niv_offer = rec & is_plan & (niv_day[g] == BIG) & (niv_adm[g] == BIG) & on("niv")
            niv_offer &= ((vt == SCHED) & (fvc < 50)) | (q11 <= 2)
            niv_offer &= u_niv[gi, slot] < P_NIV
            niv_adm[g] = np.where(niv_offer, d + 7 + np.floor(u_niv_lag[gi, slot] * 29).astype(np.int64), niv_adm[g])
            wl = wt <= 0.9 * w_first[g]
            gas_offer = rec & (vt == SCHED) & (gas_day[g] == BIG) & (gas_adm[g] == BIG) & on("gastrostomy")
            gas_offer &= (q3 <= 2) | wl | ((fvc < 60) & (q3 <= 3))
            gas_offer &= u_gas[gi, slot] < P_GAS
            gas_adm[g] = np.where(gas_offer, d + 14 + np.floor(u_gas_lag[gi, slot] * 29).astype(np.int64), gas_adm[g])
            # the next planned review: booked by the recorded decline since the last planned review
            pl = g[is_plan]
            dcl = (prev_tot[pl] - tot[is_plan]) / np.maximum((d[is_plan] - prev_day[pl]) / DPM, 1e-9)
            gap = np.where(dcl >= 1.0, 2.0, np.where(dcl >= 0.4, 3.0, 4.0))
            gap = np.where(np.isfinite(dcl), gap, 3.0) if on("booked_reviews") else np.full(len(pl), 3.0)
            jit = np.floor(u_jit[idx[pl], np.minimum(pk[is_plan], N_PLAN)] * 15).astype(np.int64) - 7
            next_plan[pl] = d[is_plan] + np.rint(gap * DPM).astype(np.int64) + jit
            okt = complete[is_plan]
            prev_tot[pl] = np.where(okt, tot[is_plan], prev_tot[pl])
            prev_day[pl] = np.where(okt, d[is_plan], prev_day[pl])
            to_video = (vt[is_plan] == SCHED) & (pk[is_plan] >= 1) & (fvc[is_plan] >= 65) & on("video_reviews")
            plan_mode[pl] = to_video.astype(np.int64)
            plan_k[pl] += 1
            # endings after a planned review: loss (more often after video reviews), withdrawal in distress
            gone = rec & is_plan & (u_loss[gi, slot] < P_LOSS[(vt == REMOTE).astype(int)]) & on("loss")
            lost[g] |= gone
            stop_day[g] = np.where(gone, d, stop_day[g])
            quit_ = rec & is_plan & ~gone & (aq >= 70) & (u_wd[gi, slot] < 0.04) & on("distress_withdrawal")
            wd_day[g] = np.where(quit_, d + 1 + np.floor(u_wd_lag[gi, slot] * 30).astype(np.int64), wd_day[g])
            stop_day[g] = np.where(quit_, d, stop_day[g])
            done[g] |= gone | quit_
        # a withdrawal is recorded unless death (known to the registry until then) or the lock comes first
        death_day = on_d + np.rint(np.minimum(death_t, 1e4) * DPM).astype(np.int64)
        pend = wd_day < BIG
        first_death = pend & (death_day < wd_day)
        dead_day = np.where(first_death & (death_day <= lock_day), death_day, dead_day)
        wd_day = np.where(pend & ~first_death & (wd_day <= lock_day), wd_day, BIG)
        fol = np.arange(maxv)[None, :] < cnt[:, None]
        return {"fol": fol, "vday": np.where(fol, vday, -1), "vtype": vtype, "items": items, "meas": meas,
                "crit": crit, "dead_day": dead_day, "wd_day": wd_day, "lost": lost, "niv_day": niv_day,
                "gas_day": gas_day, "stop_day": stop_day, "death_phys": death_day}  # fmt: skip

    natural = run(cw0, True)
    # who is treated: the first occasion whose criterion falls under the cut-off c (at most the target decided)
    target_n = round(treated_share * n)
    cstar = natural["crit"].min(1)
    cut = share_cutoff(cstar, target_n)
    decided = cstar < cut
    k_dec = (natural["crit"] < cut).argmax(1)
    plan_days = _plan_days(natural)
    dec_day = plan_days[rows_n, k_dec]
    dose_day = dec_day + DOSE_LAG[0] + np.floor(u_dose * (DOSE_LAG[1] - DOSE_LAG[0] + 1)).astype(np.int64)
    treated = decided & (dose_day <= lock_day) & (natural["death_phys"] > dose_day) & (natural["stop_day"] > dose_day)
    boost_day = dose_day + SECOND_GAP[0] + np.floor(u_boost_lag * (SECOND_GAP[1] - SECOND_GAP[0] + 1)).astype(np.int64)
    t1 = np.where(treated, (dose_day - onset_day) / DPM, np.inf)
    p = np.flatnonzero(treated)
    res = {key: val.copy() for key, val in natural.items()}
    res0 = {key: val[p] for key, val in natural.items()}
    boosted = np.zeros(n, bool)
    cw1 = None
    cwp = {key: val[p] for key, val in cw0.items()}
    cwp["pat"] = pat[p]
    if len(p):

        def boost_ok(ev: dict[str, np.ndarray]) -> np.ndarray:
            """The second dose follows the first if consented, alive, still seen and before the lock."""
            bd = boost_day[p]
            alive = (ev["death_phys"] > bd) & (ev["stop_day"] > bd)
            return (u_boost[p] < 0.9) & (bd <= lock_day) & alive & on("second_dose")

        res1 = res0
        if effect == 0:
            bst = boost_ok(res0)
        else:
            tp = t1[p]
            y1 = _losses(_interp(cw0["B"][p], tp), pat[p])
            e_now = _expected(_levels(y1), 0.0, k_clinic, sigma)
            db = 0.05
            e_next = _expected(_levels(_losses(_interp(cw0["B"][p], tp) + db, pat[p])), 0.0, k_clinic, sigma)
            d_now = _interp(cw0["dl"][p], tp)
            b_rate = r_rate[p] * np.exp(gam * d_now)  # burden points/month at the dose
            r_w = (e_now - e_next) / db * b_rate
            gp = np.exp(0.4 * g_z[p] - 0.08) if on("response_spread") else 1.0
            rho = effect * gp / np.maximum(r_w, RATE_FLOOR)
            t_on = tp + (LATENCY * lat_g[p] if on("response_latency") else 0.0)
            t_grid = np.arange(NS) * H

            def with_cells(bst: np.ndarray) -> dict[str, np.ndarray]:
                """The course with the cells slowing the burden by min(ρ, 0.9) while the response lasts."""
                life = (LIFE_MEAN + LIFE_BOOST * bst) * life_e[p] if on("response_lifetime") else np.full(len(p), 1e9)
                active = (t_grid[None, :] >= t_on[:, None]) & (t_grid[None, :] < (t_on + life)[:, None])
                damp = np.minimum(rho, F_CAP)[:, None] * active
                cw = course(p, damp)
                cw["rows"] = p
                return cw

            cw1 = with_cells(np.zeros(len(p), bool))
            bst = boost_ok(run(cw1, False))
            if bst.any():
                cw1 = with_cells(bst)
            res1 = run(cw1, False)
        boosted[p] = bst
        for key in res:
            res[key][p] = res1[key]
    return _tables(
        n, onset_day, diag_day, birth_year, sex_m, code, site, lock_day, res, treated,
        (dose_day, boost_day, boosted, u_ae, u_ae_t, u_viab, u_pass, on("adverse_events")),
        (escorial, genetics, riluzole, edaravone), (p, t1, res0, cwp, cw1, k_clinic, sigma, effect),
        dec_day if record_occasions else None,
    )  # fmt: skip


def _plan_days(res: dict[str, np.ndarray]) -> np.ndarray:
    """Each patient's planned reviews' days (the diagnosis first), in order; -1 beyond the last."""
    planned = res["fol"] & (res["vtype"] <= REMOTE)
    out = np.full((len(planned), N_PLAN + 1), -1, np.int64)
    pi, vi = np.nonzero(planned)
    rank = np.cumsum(planned, 1)[pi, vi] - 1
    out[pi, rank] = res["vday"][pi, vi]
    return out


def _tables(n, onset_day, diag_day, birth_year, sex_m, code, site, lock_day, res, treated, doses, recorded, truth_in,
            dec_day=None) -> WorldCohort:  # fmt: skip
    """The canonical tables of the recorded run ``res`` and the truths against the run without cells; with the
    decision days ``dec_day`` also each visit's type and each administration's decision date."""
    dose_day, boost_day, boosted, u_ae, u_ae_t, u_viab, u_pass, ae_on = doses
    escorial, genetics, riluzole, edaravone = recorded
    p, t1, res0, cwp, cw1, k_clinic, sigma, effect = truth_in
    fol, vday = res["fol"], res["vday"]
    ids = np.array([f"W15{i:05d}" for i in range(n)])
    events, gastro_day = follow_up_events(ids, onset_day, vday.max(1), lock_day, res["dead_day"], res["wd_day"],
                                          res["lost"], {"niv_start": res["niv_day"], "gastrostomy": res["gas_day"]},
                                          6.0)  # fmt: skip
    alsfrs = item_rows(ids, res["items"], fol, vday, gastro_day)
    pi, vi = np.nonzero(fol)
    vt = res["vtype"][pi, vi]
    alsfrs["assessor"] = np.where(vt == REMOTE, "phone", "clinician")
    if dec_day is not None:
        alsfrs["visit_type"] = VISIT_TYPES[vt]
    alsfrs = alsfrs.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    ps, vs, ks = np.nonzero(fol[..., None] & np.isfinite(res["meas"]))
    measurements = pd.DataFrame({
        "patient_id": ids[ps], "date": pd.to_datetime(vday[ps, vs], unit="D"),
        "measure": np.array(["fvc_pct_pred", "weight_kg", "alsaq5"])[ks], "value": res["meas"][ps, vs, ks],
        "unit": np.array(["%", "kg", "index"])[ks],
    })  # fmt: skip
    measurements = measurements.sort_values(["patient_id", "date", "measure"], kind="stable").reset_index(drop=True)
    patients = pd.DataFrame({
        "patient_id": ids, "sex": np.where(sex_m, "M", "F"), "birth_year": birth_year,
        "onset_date": pd.to_datetime(onset_day, unit="D"), "diagnosis_date": pd.to_datetime(diag_day, unit="D"),
        "onset_site": np.array(["bulbar", "limb", "respiratory", "generalized"])[code],
        "el_escorial": escorial, "riluzole": riluzole, "edaravone": edaravone, "genetics": genetics,
        "site": SITES[site],
    })  # fmt: skip
    given = np.stack([treated, treated & boosted], 1)
    pg, kg = np.nonzero(given)
    day_g = np.where(kg == 0, dose_day[pg], boost_day[pg])
    high = dose_day[pg] < _days(DEESCALATION)  # the dose level of the programme when it started
    treatments = pd.DataFrame({
        "treatment_id": [f"{ids[i]}-A{k + 1}" for i, k in zip(pg, kg, strict=True)], "patient_id": ids[pg],
        "date": pd.to_datetime(day_g, unit="D"), "cycle": kg + 1, "cell_source": "adipose", "donor": "autologous",
        "route": "intrathecal", "dose_cells": np.where(high, 1.0e8, 5.0e7), "lot": [f"AD-{ids[i]}" for i in pg],
        "viability_pct": np.round(80 + 18 * u_viab[pg, kg], 1), "passage": 2 + np.floor(2 * u_pass[pg, kg]).astype(int),
    })  # fmt: skip
    if dec_day is not None:  # the second dose has no decision of its own: the first's
        treatments["decision_date"] = pd.to_datetime(dec_day[pg], unit="D")
    treatments = treatments.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    # adverse events of each dose given: the lumbar puncture's and the cells' (radicular pain at the high dose)
    p_ae = np.where((dose_day < _days(DEESCALATION))[:, None, None], AE_P_HIGH, AE_P_LOW)
    hit = given[..., None] & (u_ae < p_ae) & ae_on
    ai, ak, aj = np.nonzero(hit)
    lo, hi = AE_SPAN[aj, 0], AE_SPAN[aj, 1]
    start = np.where(ak == 0, dose_day[ai], boost_day[ai]) + AE_START[aj]
    span = lo + np.floor(u_ae_t[ai, ak, aj] * (hi - lo + 1)).astype(np.int64)
    dday = events.loc[events["event"] == "death"].set_index("patient_id")["date"]
    death_d = pd.Series(ids[ai]).map((dday - EPOCH).dt.days).to_numpy(float)
    death_d = np.where(np.isnan(death_d), np.inf, death_d)
    keep_ae = start <= death_d
    resolved = np.where(start + span <= death_d, start + span, -1)
    serious = AE_TERMS[aj] == "arachnoiditis"
    grade = np.where(serious, 3, np.where(np.isin(AE_TERMS[aj], ["radiculopathy", "meningism"]), 2,
                                          np.where(u_ae_t[ai, ak, aj] > 0.75, 2, 1)))  # fmt: skip
    adverse = pd.DataFrame({
        "ae_id": [f"{ids[i]}-A{k + 1}-AE{j + 1}" for i, k, j in zip(ai, ak, aj, strict=True)],
        "patient_id": ids[ai], "onset_date": pd.to_datetime(start, unit="D"),
        "resolved_date": pd.to_datetime(np.where(resolved >= 0, resolved, 0), unit="D").where(resolved >= 0),
        "term": AE_TERMS[aj], "grade": grade, "serious": serious,
        "treatment_id": [f"{ids[i]}-A{k + 1}" for i, k in zip(ai, ak, strict=True)], "relatedness": AE_REL[aj],
    })[keep_ae].reset_index(drop=True)  # fmt: skip
    tables = Tables.from_frames(patients=patients, treatments=treatments, alsfrs=alsfrs, measurements=measurements,
                                adverse_events=adverse, events=events)  # fmt: skip
    if len(p) == 0:
        return WorldCohort(tables, float(effect), 0)
    # truths: expected clinician-rated totals with and without the cells, at the visits of either run
    days = np.concatenate([np.where(fol[p], vday[p], onset_day[p, None]),
                           np.where(res0["fol"], res0["vday"], onset_day[p, None])], 1)  # fmt: skip
    tt = (days - onset_day[p, None]) / DPM
    since = tt - t1[p, None]
    pat_p = cwp["pat"]
    c1 = cwp if cw1 is None else cw1

    def expected(cw: dict, niv_day: np.ndarray) -> np.ndarray:
        x = _levels(_losses(_interp(cw["B"], tt), pat_p[:, None, :]))
        return _expected(x, days >= niv_day[:, None], k_clinic, sigma)

    e1 = expected(c1, res["niv_day"][p])
    e0 = expected(cwp, res0["niv_day"])
    z = np.zeros_like(fol[p])
    truths = cohort_truths(e1, e0, since, np.concatenate([fol[p], z], 1), np.concatenate([z, res0["fol"]], 1), effect)
    return WorldCohort(tables, float(effect), len(p), *truths)


__all__ = [
    "DECISION_AT_EVERY_VISIT", "DECISION_LAG_DAYS", "DECISION_VISIT_TYPES", "ITEMS", "PIECES", "RECORDED_RULE_INPUTS",
    "WorldCohort", "lottery", "rule_score", "simulate_world15",
]  # fmt: skip

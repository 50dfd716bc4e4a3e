"""A fourteenth data-generating mechanism, held out and written blind: from the canonical format (spec/data-format.md,
spec/domain-rules.md), the docstrings of the second to thirteenth worlds (so as to differ from them), the thirteenth
world's code as an example of the interface and ALS clinical knowledge, without reading the estimators, their
documentation pages or any calibration result, and without running any estimator on it.

The other worlds use sigmoid, linear-quadratic, Markov-plateau, change-point, domain-ramp, item-Poisson,
subtype-random-walk, power-law, drift-with-steps, Gompertz-reserve, coupled-propagation, burden-clock and
spreading-front courses; rounded-noise, graded-response, rater-noise, misrated-count, partial-credit, ordinal-probit,
loss-sequence, logit-dithered, beta-binomial, continuation-ratio and sub-task items, each rating independent of the
last; fixed, personal, renewal, monthly-slot, booked, banded, 3-monthly, tapering or review-plus-requested visits;
treatment on drops, true slopes, thresholds of the total, calendar access, runs of poor visits, new losses, a waiting
list, a phone call, a falling FVC/SVC, a strength asymmetry, CSF CHI3L1 or a serum NfL band; intrathecal,
intramuscular or intravenous cells; effects on slopes, clocks, rates, levels, hazards, pulses, an activity's mean or
the loss behind a front; death by hazards, hitting times or a pooled logistic.  This world is a registry whose hub
runs a surgical programme of intraspinal autologous bone-marrow cells, and differs in every piece:

* **course: four gamma processes (monotone degradation by random jumps).**  The damage y_d of each ALSFRS-R domain
  (bulbar, fine motor, gross motor, respiratory: Cedarbaum et al., J Neurol Sci 1999;169:13-21) is a gamma process
  (independent, non-negative, gamma-distributed increments: the degradation model of van Noortwijk, Reliab Eng Syst
  Saf 2009;94:2-21): on a half-month grid each increment is Gamma(shape ν_d·ρ_d(t)·H/β, scale β = 0.4), mean
  ν_d·ρ_d(t)·H, so the loss comes in irregular jumps, never back.  ν_d = 0.21·e^{0.45·z + 0.012·(age − 63) +
  0.1·bulbar + 0.15·C9orf72}·ω_d·e^{0.25·z_d} (ω = 1, 1, 1, 0.8; older and bulbar onset faster: Chiò et al.,
  Amyotroph Lateral Scler 2009;10:310-323); ρ_d(t) = expit((t − T_d)/1.5) the domain's recruitment, T_d = −4
  months for the onset domain (every domain for a generalized onset) and dist·7·(0.21/ν)^0.6·e^{0.35·z'_d} − 4 for
  the others, dist the contiguity (1 between neighbours, 1.5 gross motor-respiratory, 2 bulbar-gross motor: spread to
  contiguous regions, Ravits & La Spada, Neurology 2009;73:805-811).  Onset: bulbar 27%, limb 67% (arm or leg, half
  each), respiratory 3%, generalized 3%; men 60%; age at onset N(63, 11²) within 30-88 (Chiò et al. 2009).  The
  constants are assumptions, set so that the untreated patients' per-patient slope of the recorded total is -1.04
  points/month on average, median -0.93, 95% of patients between -2.34 and -0.29 (-0.99 PRO-ACT, -0.89
  population-based with 95% between -0.04 and -1.96, spec/domain-rules.md), the first recorded total's median 40, the
  median survival from onset 41 months (measured on ``simulate_world14(3000, 0.0, 0.0, 1)``: per patient the
  least-squares slope of the complete totals on months over the patients with two or more spanning 3 months or
  more; survival by Kaplan-Meier with entry at the diagnosis, censored at the lock or, for the lost and withdrawn,
  at the last visit);
* **items: a rater's reading with error, anchored on the last recorded score (a hysteresis).**  Item j of domain d
  has the latent level x_j = 4·e^{-(y_d/θ_j)^1.5}, θ = (4.5, 6.5, 5.5 | 4.0, 5.0, 6.0 | 6.5, 5.0, 4.0 | 4.5, 5.5,
  7.0) (speech before swallowing before salivation; handwriting first; stairs before walking before turning in bed;
  dyspnea before orthopnea before respiratory insufficiency: assumptions).  The rater reads x_j + σ(x_j)·ε, σ = 0.15
  + 0.35·min(x, 4 − x)/2 (least error at the ends of the scale), and writes the rounded reading (0-4) unless a score
  of the item is already recorded and the reading lies within 0.5 + 0.3 of it: then the last score is carried
  forward (anchoring: Tversky & Kahneman, Science 1974;185:1124-1131; the size is an assumption).  So ratings have
  memory: 9% of consecutive totals rise, 14% repeat.  On NIV q12 is at most 3; after a gastrostomy item 5 is q5b
  (spec/domain-rules.md).  At the diagnosis and each outpatient review: FVC % predicted (``fvc_pct_pred``)
  F0·e^{-0.085·y_R} − 5·min(y_B, 12)/12 + N(0, 4²), rounded, F0 ~ N(98, 12²) within 65-130 (untreated: the first
  value's median 87%, falling 1.3 %/month on average); weight (``weight_kg``) W0·(1 − a·y_B* − 0.003·(y_F + y_G)) +
  N(0, 0.7²), a = 0.008·e^{0.3·N(0, 1)}, y_B* the bulbar damage frozen at a gastrostomy, W0 ~ N(80, 12²) men,
  N(66, 11²) women.  Nothing is measured at home visits and admissions.  All clinician-rated;
* **visits: outpatient reviews, home visits once walking is lost, admissions for intercurrent illness.**  The
  diagnosis (the first visit) comes when the summed damage reaches 5·e^{0.45·N(0, 1)}, at least 2 months after onset,
  plus an Exp(mean 1.5 months) wait for the neurologist (median delay 11 months: Paganoni et al., Amyotroph Lateral
  Scler Frontotemporal Degener 2014;15:453-456).  The registry includes the patients diagnosed from 2014-01-01 to a
  month before the lock, alive at diagnosis; onsets 2010-2024, data lock 2025-06-30.  Three sites: HUB (the
  programme's centre) 45%, NORTH 35%, EAST 20%.  Reviews follow the diagnosis at gaps of the site's mean (3, 3.5, 4
  months) × Gamma(5, mean 1), never on the course (multidisciplinary review about every 3 months: Miller et al.,
  Neurology 2009;73:1218-1226).  Once the latent walking level x_8 is below 1 (non-ambulatory) a review is a home
  visit by the specialist nurse (no spirometry, no scales).  Intercurrent illnesses (chest infections, falls,
  aspiration) come at a rate min(0.015·e^{2.6·D}, 0.5) per month, D = (0.6·y_R + 0.4·y_B)/12 the respiratory-bulbar
  damage (thinned from a rate-0.5 Poisson process); a non-fatal one is an admission whose ward rating is lowered by
  the acute illness (each item by κ·s_j, κ ~ Gamma(2, mean 1) per admission, s = 0.5 bulbar, 0.4 fine motor, 0.8
  gross motor and breathing, 0.5 q12) and leaves each item blank with probability 0.015 (the only partial rows).
  Only outpatient reviews are decision occasions (:data:`DECISION_AT_EVERY_VISIT` is False); nothing in the tables
  says which rows are reviews, home visits or admissions (the reviews and the diagnosis are the rows with an FVC).
  Untreated, 64% of rows are outpatient visits.  All assumptions;
* **who is treated, and when: the hub's surgical programme, decided at an outpatient review.**  At an outpatient
  review (not the diagnosis) an untreated patient is *eligible* when (1) the total is complete, (2) the visit's
  ``fvc_pct_pred`` is at least 60% (general anaesthesia), (3) the bulbar subscore q1-q3 is at least 8 (airway
  safety in the prone position), (4) ``el_escorial`` is definite, probable or probable_lab (missing excludes), (5)
  the age (visit year − ``birth_year``) is 20-75, (6) the visit is at most 48 months after ``onset_date``, (7) no
  ``niv_start`` and no ``gastrostomy`` is recorded on or before it.  The patient then starts with probability
  expit(c + s), s a points score: 1.2 for an intermediate Delta-FRS at the diagnosis ((48 − the diagnostic total) /
  months from onset, 0.47-1.11), 0.4 for a fast one, 0 for a slow one (Labra et al., J Neurol Neurosurg Psychiatry
  2016;87:628-632; Kimura et al., Neurology 2006;66:265-267: the programme prefers intermediate progressors), + 0.8
  when the recorded motor deficit (24 − q4..q9) exceeds the bulbar deficit by 3 or more (a spinal implant for
  spinal disease), + 0.5 limb onset, − 0.5 bulbar onset (``onset_site``), + site (HUB +0.8, NORTH 0, EAST −0.8),
  − 0.04·(age − 55) + 0.6·ζ, ζ = 0.3·z + 0.95·N(0, 1) the patient's unrecorded wish and fitness for surgery, a
  little linked to the rate (the stated minority of unrecorded influence).  So the rule reads ``patients``
  (birth_year, onset_date, onset_site, el_escorial, site), ``events`` (niv_start, gastrostomy), ``measurements``
  (fvc_pct_pred, which also marks the outpatient rows) and the ``alsfrs`` items and totals:
  :data:`RECORDED_RULE_INPUTS`.  c is set so that at most round(share·n) patients start (each first start is a
  deterministic function of c on the untreated history; about 48% of the patients are ever eligible).  Bone marrow
  is harvested at the decision; the cells, expanded, are implanted into the thoracic cord 35-63 days later
  (autologous bone-marrow MSCs injected intraspinally at 11-120×10⁶ cells: Mazzini et al., Amyotroph Lateral Scler
  Other Motor Neuron Disord 2003;4:158-161; Exp Neurol 2010;223:229-237; the dose log-uniform over that range), if
  the patient is alive, still followed and before the lock.  With probability 0.7 an intrathecal booster of 2×10⁷
  cryopreserved cells of the same harvest follows 182-209 days later, if alive, followed, before the lock and without
  NIV (an assumption).  Adverse events (``adverse_events``): after the implant back pain 35%, intercostal
  dysaesthesia (``radiculopathy``) 20%, headache 10%, a wound infection 2% (grade 3, serious, from day 4); after the
  booster headache 7%, fever 8% and puncture-site pain 7% (autologous intrathecal MSCs, spec/domain-rules.md); the
  sensory complaints of Mazzini et al. 2010; grade 2 in 30% of the others;
* **effect: the graft damps the size of each later jump, and wears off.**  From the first grid point on or after the
  implant at t1 each increment of domain d is multiplied by 1 − w_d·min(ρ·A(t), 0.9), w = (0.4, 0.7, 1, 1) (the
  bulbar and cervical domains far from a thoracic graft, assumptions), A(t) = S(t − t1) + 0.6·S(t − t2) (the booster
  at t2, if given), S(s) = e^{-(s/η)^1.5} the graft's Weibull survival, η = 18·e^{0.3·N(0, 1)} months.  The jumps
  keep their timing; only their size shrinks.  ρ = E·g/R_w, R_w the w-weighted expected total's loss rate at t1
  (points/month, at least 0.25): just after the implant a patient with g = 1 loses E points/month less.  g =
  e^{0.35·z_g − 0.06} (mean 1).  The damping also lowers the intercurrent illnesses and their fatality, and so
  admissions, NIV, gastrostomy and death.  (Measured once the constants were set, not tuned, on 3,000 patients, 30%
  treated, seed 1: the expected-total difference divided by the months since the implant averages 0.79·E at E = 0.2
  and 0.76·E at E = 0.5 over the visits 0.5-3 months after it, 0.82·E and 0.78·E over 3-9, 0.73·E and 0.70·E over
  9-15, 0.57·E and 0.55·E over 15-24, 0.39·E and 0.39·E over 24-36; ``truth_window`` 0.105 and 0.260,
  ``truth_realised`` 0.104 and 0.244.)  E = 0 gives ρ = 0 and the same course with and without cells;
* **follow-up ends by death at an intercurrent illness, loss, withdrawal and the lock.**  Each intercurrent illness
  is fatal with probability expit(−2.2 + 5.5·D + 0.04·(age − 62) + NIV), NIV −0.8 when the bulbar damage was below 6
  at its start and −0.3 otherwise (Bourke et al., Lancet Neurol 2006;5:140-147): death comes only with an acute event
  (respiratory infections and failure are the commonest causes of death in ALS), not at a smooth hazard.  NIV: at an
  outpatient visit with a recorded FVC below 50% or orthopnea q11 at most 2, accepted with probability 0.3 and
  started 14-42 days later (Miller et al. 2009); at an admission with respiratory damage y_R ≥ 6 (acute failure)
  with probability 0.6, started 1-7 days later.  Gastrostomy: at a review (outpatient or at home) with a recorded
  swallowing q3 at most 2 or, at the clinic, a weight at most 90% of the diagnostic weight (Andersen et al., EFNS
  guideline, Eur J Neurol 2012;19:360-375), accepted with probability 0.12 and placed 14-42 days later.  After an
  outpatient review a patient is lost with probability 0.006 (HUB), 0.012 (NORTH) or 0.025 (EAST, far away),
  declared 12 months after the last visit; after a review with a recorded total below 16 the patient withdraws with
  probability 0.03 (1-30 days later).  Deaths of the lost are unknown to the registry.  Rates and thresholds are
  assumptions (median survival from onset 41 months, above; 30-45 months in population cohorts,
  spec/domain-rules.md).

All random numbers are drawn first in a fixed order and shared by every course (a contact's uniforms follow its
slot: the diagnosis, the review or the illness, not its rank); the gamma increments, whose generator consumes a
shape-dependent count of draws, come from a stream of their own.  The untreated course decides who starts and when;
the programme's course shares it up to the implant and is then followed twice, with the cells (recorded) and
without them, each with its own home visits, admissions, NIV, gastrostomy, deaths and endings.  ``truth`` is E;
``truth_realised`` per treated patient the least squares through the origin of (with − without cells expected
rated total) on months since the implant over the recorded post-implant visits, the mean over patients;
``truth_window`` and ``truth_observed`` from ``window_truth`` (the latter with the visits each course keeps); zeros
under E = 0.  The expected total is that of an unanchored outpatient rating of the latent levels, Σ_j Σ_c Φ((x_j − c
+ ½)/σ), less, on NIV, the probability that q12 would read 4 (no acute dip, no anchoring, no blank items).
Simulating 3,000 patients takes about 2 s untreated, 4 s with 30% treated.  Writes canonical tables (patients,
treatments, alsfrs, measurements, adverse_events, events).  With ``record_occasions=True`` the tables also say what
the world knows (the optional ``alsfrs.visit_type``: the diagnosis and outpatient reviews ``scheduled``, the nurse's
home visits ``home``, admissions ``inpatient``; ``treatments.decision_date``: the review of the decision, for the
booster, which has no decision of its own, the implant's), drawing the same numbers: every other column is unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr

from alscell.io.tables import Tables
from second_world import refuse_unknown
from window_truth import cohort_truths
from world_tables import DPM, ITEMS, WorldCohort, follow_up_events, item_rows, share_cutoff

# what the rule reads besides the ALSFRS-R items and totals (and which rows are outpatient reviews)
RECORDED_RULE_INPUTS = (
    "age", "time_since_onset", "ventilation", "gastrostomy", "site", "onset_site", "el_escorial", "fvc_pct_pred",
)  # fmt: skip
# treatment can start only after an outpatient review, never after a home visit or a hospital admission
DECISION_AT_EVERY_VISIT = False
PIECES = {
    "gamma_jumps": "the degeneration's random gamma increments (off: each half-month increment its mean)",
    "patient_rates": "the patients' own degeneration rates (off: every patient the median rate; age, onset kept)",
    "domain_spread": "the domains joining one after another (off: all four degenerate from onset)",
    "rating_noise": "the rater's reading error of each item (off: nearly none, sd 0.02)",
    "anchoring": "the rater keeping the item's last recorded score unless the reading moved clearly (off: none)",
    "irregular_reviews": "the outpatient reviews' Gamma-distributed gaps (off: each the site's mean)",
    "home_visits": "reviews at home by the nurse once walking is lost (off: outpatient reviews throughout)",
    "admissions": "non-fatal intercurrent illnesses recorded as admission ratings (off: not recorded)",
    "illness_dip": "the acute illness lowering the admission's ratings (off: no dip)",
    "ward_gaps": "items left blank on the ward (off: none)",
    "loss": "loss to follow-up after an outpatient review (off: none)",
    "withdrawal": "withdrawal from the registry after a visit with a total below 16 (off: none)",
    "niv": "NIV started in clinic (FVC below 50% or orthopnea q11 at most 2) or in hospital (off: none)",
    "gastrostomy": "gastrostomy offered on a recorded q3 at most 2 or a 10% weight loss (off: none)",
    "death": "death at intercurrent illnesses (off: none)",
    "fvc_rule": "the FVC of at least 60% criterion (off: none)",
    "bulbar_rule": "the bulbar subscore of at least 9 criterion (off: none)",
    "escorial_rule": "the El Escorial definite/probable/probable_lab criterion (off: none)",
    "dfrs_preference": "the points by the diagnostic Delta-FRS group (off: none)",
    "spinal_preference": "the points for spinal-dominant involvement and limb onset (off: none)",
    "site_choice": "the sites' different readiness (off: the same everywhere)",
    "unrecorded_wish": "the unrecorded wish and fitness, a little linked to the rate, in the choice (off: none)",
    "booster": "the intrathecal booster of cryopreserved cells six months after the implant (off: none)",
    "graft_decay": "the graft's Weibull decay (off: the graft lasts)",
    "domain_reach": "the damping weaker in the bulbar and fine-motor domains, far from the implant (off: the same)",
    "response_spread": "responses differing between patients (off: g = 1)",
    "adverse_events": "surgical and lumbar-puncture adverse events (off: none)",
}
SITES = np.array(["HUB", "NORTH", "EAST"])
SITE_P = np.array([0.45, 0.35, 0.20])
SITE_GAP = np.array([3.0, 3.5, 4.0])  # mean months between outpatient reviews
SITE_CHOICE = np.array([0.8, 0.0, -0.8])
P_LOSS = np.array([0.006, 0.012, 0.025])  # loss to follow-up after an outpatient review, by site
ONSET_FROM, ONSET_YEARS = pd.Timestamp("2010-01-01"), 15
OPENING = pd.Timestamp("2014-01-01")
LOCK = pd.Timestamp("2025-06-30")
EPOCH = pd.Timestamp(0)
H = 0.5  # the course's grid step (months)
MONTHS = 192
NS = int(MONTHS / H)  # steps
BIG = np.iinfo(np.int64).max // 4
BUL, FINE, GROSS, RESP = range(4)
DOMAIN = np.repeat(np.arange(4), 3)  # the domain of q1..q12
# the item deficits' scales (domain damage at which 1 - e^-1 of the item is lost): which item goes first
THETA = np.array([4.5, 6.5, 5.5, 4.0, 5.0, 6.0, 6.5, 5.0, 4.0, 4.5, 5.5, 7.0])
GAMMA_I = 1.5
# contiguity of the domains (bulbar, fine motor, gross motor, respiratory)
DIST = np.array([[0, 1, 2, 1], [1, 0, 1, 1], [2, 1, 0, 1.5], [1, 1, 1.5, 0]])
OMEGA = np.array([1.0, 1.0, 1.0, 0.8])
NU0, BETA_J = 0.21, 0.4  # the median degeneration rate per domain (points/month) and the jump scale
DELTA0 = 7.0  # months per unit of distance at the median rate
SIG_LO, SIG_HI = 0.15, 0.35  # the reading error's sd at the ends and its rise towards the middle
ANCHOR = 0.3
DIP = np.array([0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.8, 0.8, 0.8, 0.8, 0.8, 0.5])
# intercurrent illnesses: rate min(R0·e^{A·D}, RMAX) per month, fatal with expit(P0 + P1·D + P_AGE·(age − 62) + NIV)
R0, R_A, RMAX = 0.015, 2.6, 0.5
P0, P1, P_AGE = -2.2, 5.5, 0.04
NIV_GOOD, NIV_POOR = -0.8, -0.3
N_REV, K_EP = 70, 110
SLOTS = 1 + N_REV + K_EP
KIND = np.array([0] + [1] * N_REV + [2] * K_EP)  # diagnosis, review, illness episode
# alsfrs.visit_type of the diagnosis and outpatient reviews, the nurse's home visits, the admissions
VISIT_TYPES = np.array(["scheduled", "home", "inpatient"], dtype=object)
ESCORIAL = np.array(["definite", "probable", "probable_lab", "possible"])
ESC_P = np.array([[0.0, 0.05, 0.40, 0.55], [0.10, 0.65, 0.20, 0.05], [0.80, 0.18, 0.02, 0.0], [0.90, 0.10, 0.0, 0.0]])
DFRS_PTS = np.array([0.0, 1.2, 0.4])  # slow (< 0.47), intermediate, fast (> 1.11 points/month)
W_REACH = np.array([0.4, 0.7, 1.0, 1.0])
ETA, K_GRAFT, BOOST_W = 18.0, 1.5, 0.6
RATE_FLOOR, F_CAP = 0.25, 0.9
SURG_LAG, BOOST_GAP, BOOST_P = (35, 63), 182, 0.7
AE_TERMS = np.array([["back_pain", "radiculopathy", "infection", "headache"],
                     ["headache", "fever", "injection_site_pain", "other"]])  # fmt: skip
AE_P = np.array([[0.35, 0.20, 0.02, 0.10], [0.07, 0.08, 0.07, 0.0]])
AE_SPAN = np.array([[(7, 21), (14, 76), (14, 28), (2, 5)], [(2, 5), (1, 2), (1, 3), (1, 1)]])
AE_REL = np.array([["definite", "probable", "probable", "probable"], ["probable", "possible", "definite", "possible"]])


def _days(ts: pd.Timestamp) -> int:
    return (ts - EPOCH).days


def _interp(grid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The course (rows × NS+1 × 4) at ``t`` months from onset (rows × K), linear between grid points:
    rows × K × 4."""
    x = np.clip(np.where(np.isfinite(t), t, 0.0) / H, 0.0, NS - 1e-9)
    j = np.floor(x).astype(np.int64)
    w = (x - j)[..., None]
    r = np.arange(len(grid)).reshape((-1,) + (1,) * (t.ndim - 1))
    return grid[r, j] * (1 - w) + grid[r, j + 1] * w


def _level(y: np.ndarray) -> np.ndarray:
    """Each item's latent level 4 − deficit (... × 12) at the domains' damage ``y`` (... × 4)."""
    yi = np.maximum(y[..., DOMAIN], 0.0)
    return 4.0 * np.exp(-((yi / THETA) ** GAMMA_I))


def _sigma(x: np.ndarray, on_noise: bool) -> np.ndarray:
    if not on_noise:
        return np.full(x.shape, 0.02)
    return SIG_LO + SIG_HI * np.clip(np.minimum(x, 4 - x), 0, 2) / 2


def _expected(y: np.ndarray, niv_on: np.ndarray, on_noise: bool) -> np.ndarray:
    """The expected rated total at ``y`` (... × 4): Σ_j Σ_c Φ((x_j − c + ½)/σ), less on NIV P(q12 = 4)."""
    x = _level(y)
    s = _sigma(x, on_noise)
    cum = ndtr((x[..., None] - np.arange(1, 5) + 0.5) / s[..., None])
    return cum.sum((-1, -2)) - niv_on * cum[..., 11, 3]


def _pressure(y: np.ndarray) -> np.ndarray:
    """The respiratory-bulbar damage D driving intercurrent illnesses and their fatality."""
    return np.clip((0.6 * y[..., RESP] + 0.4 * y[..., BUL]) / 12, 0, 1.5)


def simulate_world14(
    n_patients: int,
    effect: float,
    treated_share: float,
    seed: int,
    off: frozenset[str] = frozenset(),
    record_occasions: bool = False,
) -> WorldCohort:
    """A cohort of ``n_patients`` from the fourteenth world, effect E = ``effect``, about ``treated_share`` of them
    treated (at most round(share·n)), with the pieces of ``off`` switched off; ``record_occasions`` fills
    ``alsfrs.visit_type`` and ``treatments.decision_date`` (the same draws, every other column unchanged)."""
    refuse_unknown(off, PIECES)

    def on(piece: str) -> bool:
        return piece not in off

    rng = np.random.default_rng(seed)
    n, m = int(n_patients), 2 * int(n_patients) + 100
    # all random numbers first, in a fixed order (shared by every course); the gamma increments, whose count of
    # underlying draws depends on their shapes, come from a stream of their own
    onset_u, limb_u, sex_u, site_u = (rng.random(m) for _ in range(4))
    age = np.clip(rng.normal(63, 11, m), 30, 88)
    onset_day = _days(ONSET_FROM) + rng.integers(0, int(ONSET_YEARS * 365.25), m)
    z_rate, z_dx, dx_queue = rng.normal(0, 1, m), rng.normal(0, 1, m), rng.exponential(1.0, m)
    z_dom, z_inv = rng.normal(0, 1, (m, 4)), rng.normal(0, 1, (m, 4))
    u_esc, u_esc_miss, u_gen, u_ril, u_eda = (rng.random(m) for _ in range(5))
    f0_z, w0_z, eta_z, g_z, zeta_z, wl_z = (rng.normal(0, 1, m) for _ in range(6))
    rev_g = rng.gamma(5.0, 0.2, (m, N_REV))
    ep_gap = rng.exponential(1.0, (m, K_EP))
    u_ep, u_fatal, dip_k = rng.random((m, K_EP)), rng.random((m, K_EP)), rng.gamma(2.0, 0.5, (m, K_EP))
    eps_item = rng.standard_normal((m, SLOTS, 12), dtype=np.float32)
    meas_eps = rng.standard_normal((m, SLOTS, 2), dtype=np.float32)
    u_skip = rng.random((m, SLOTS, 12), dtype=np.float32)
    u_niv, u_niv_lag, u_gas, u_gas_lag, u_loss, u_wd, u_wd_lag, u_dec = (
        rng.random((m, SLOTS), dtype=np.float32) for _ in range(8)
    )
    u_surg, dose_u, u_boost, u_boost_lag = (rng.random(m) for _ in range(4))
    u_ae, u_ae_t = rng.random((m, 2, 4)), rng.random((m, 2, 4))
    u_viab, u_pass = rng.random((m, 2)), rng.random((m, 2))
    rng_jump = np.random.default_rng([seed, 14])

    # the course: four domains, each a gamma process whose intensity rises as the disease reaches it
    code = np.where(onset_u < 0.27, 0, np.where(onset_u < 0.94, 1, np.where(onset_u < 0.97, 2, 3)))
    sex_m = sex_u < 0.6
    c9 = u_gen < 0.08
    sod1 = (u_gen >= 0.08) & (u_gen < 0.10)
    first_dom = np.where(code == 0, BUL, np.where(code == 1, np.where(limb_u < 0.5, FINE, GROSS), RESP))
    rate_z = z_rate if on("patient_rates") else np.zeros(m)
    nu = NU0 * np.exp(0.45 * rate_z + 0.012 * (age - 63) + 0.1 * (code == 0) + 0.15 * c9)
    nu_d = nu[:, None] * OMEGA * np.exp(0.25 * z_dom)
    delta = DELTA0 * (NU0 / nu) ** 0.6
    t_inv = DIST[first_dom] * delta[:, None] * np.exp(0.35 * z_inv) - 4.0
    t_inv = np.where(code[:, None] == 3, -4.0, t_inv)
    if not on("domain_spread"):
        t_inv = np.full((m, 4), -4.0)
    t_mid = (np.arange(NS) + 0.5) * H
    ramp = expit((t_mid[None, None, :] - t_inv[..., None]) / 1.5)  # m × 4 × NS
    shape = nu_d[..., None] * ramp * H / BETA_J
    if on("gamma_jumps"):
        inc = rng_jump.standard_gamma(np.maximum(shape, 1e-12)).astype(np.float32) * BETA_J
    else:
        inc = (shape * BETA_J).astype(np.float32)
    inc = np.ascontiguousarray(inc.transpose(0, 2, 1))  # m × NS × 4
    del ramp, shape
    grid = np.zeros((m, NS + 1, 4))
    np.cumsum(inc, axis=1, dtype=np.float64, out=grid[:, 1:])
    # diagnosis: when the summed damage reaches a personal threshold, then a wait for the neurologist
    tot = grid.sum(-1)
    thr = 5.0 * np.exp(0.45 * z_dx)
    cross = tot >= thr[:, None]
    j = cross.argmax(1)
    jj = np.maximum(j - 1, 0)
    t_cross = np.where(cross.any(1),
                       H * (jj + np.clip((thr - tot[np.arange(m), jj]) / np.maximum(
                           tot[np.arange(m), j] - tot[np.arange(m), jj], 1e-9), 0, 1)), np.inf)  # fmt: skip
    t_dx = np.maximum(t_cross, 2.0) + 1.5 * dx_queue
    diag_day = onset_day + np.rint(np.minimum(t_dx, 1e4) * DPM).astype(np.int64)
    lock_day = _days(LOCK)
    ep_t = np.cumsum(ep_gap, 1) / RMAX
    # alive at diagnosis: no fatal illness before it
    y_ep = _interp(grid, ep_t)
    dd = _pressure(y_ep)
    ep_acc = u_ep < np.minimum(R0 * np.exp(R_A * dd), RMAX) / RMAX
    fatal0 = ep_acc & (u_fatal < expit(P0 + P1 * dd + P_AGE * (age[:, None] - 62))) & (ep_t <= MONTHS)
    early_death = (fatal0 & (ep_t < t_dx[:, None])).any(1) & on("death")
    ok0 = (diag_day >= _days(OPENING)) & (diag_day <= lock_day - 31) & ~early_death
    keep = np.flatnonzero(ok0)[:n]
    if len(keep) < n:
        raise RuntimeError("too few candidates enter the cohort")

    def sel(arr: np.ndarray) -> np.ndarray:
        return arr[keep]

    (onset_day, diag_day, t_dx, age, sex_m, code, c9, sod1, nu_d, grid, inc, u_esc, u_esc_miss, u_ril, u_eda,
     f0_z, w0_z, eta_z, g_z, zeta_z, wl_z, z_rate, rev_g, ep_t, u_ep, u_fatal, dip_k, eps_item, meas_eps, u_skip,
     u_niv, u_niv_lag, u_gas, u_gas_lag, u_loss, u_wd, u_wd_lag, u_dec, u_surg, dose_u, u_boost, u_boost_lag, u_ae,
     u_ae_t, u_viab, u_pass, site_u, t_inv) = map(sel, (
        onset_day, diag_day, t_dx, age, sex_m, code, c9, sod1, nu_d, grid, inc, u_esc, u_esc_miss, u_ril, u_eda,
        f0_z, w0_z, eta_z, g_z, zeta_z, wl_z, z_rate, rev_g, ep_t, u_ep, u_fatal, dip_k, eps_item, meas_eps,
        u_skip, u_niv, u_niv_lag, u_gas, u_gas_lag, u_loss, u_wd, u_wd_lag, u_dec, u_surg, dose_u, u_boost,
        u_boost_lag, u_ae, u_ae_t, u_viab, u_pass, site_u, t_inv))  # fmt: skip
    rows = np.arange(n)
    site = np.searchsorted(np.cumsum(SITE_P), site_u * 0.999999)
    birth_year = (pd.to_datetime(onset_day, unit="D").year.to_numpy() - np.floor(age)).astype(int)
    # recorded at diagnosis: El Escorial by the domains involved, genetics, riluzole, edaravone
    y_dx = _interp(grid, t_dx[:, None])[:, 0]
    n_reg = (y_dx >= 1.0).sum(1).clip(1, 4)
    esc = (u_esc[:, None] > np.cumsum(ESC_P[n_reg - 1], 1)[:, :3]).sum(1)
    escorial = ESCORIAL[esc].astype(object)
    escorial[u_esc_miss < 0.08] = None
    esc_ok = (esc <= 2) & (u_esc_miss >= 0.08) if on("escorial_rule") else np.ones(n, bool)
    genetics = np.where(c9, "C9orf72", np.where(sod1, "SOD1", None)).astype(object)
    riluzole = np.where(u_ril < 0.8, "true", "false").astype(object)
    riluzole[u_ril > 0.97] = None
    edaravone = np.where(u_eda < 0.1, "true", np.where(u_eda < 0.8, "false", None)).astype(object)
    f0 = np.clip(98 + 12 * f0_z, 65, 130)
    w0 = np.clip(np.where(sex_m, 80 + 12 * w0_z, 66 + 11 * w0_z), 42, 140)
    a_wl = 0.008 * np.exp(0.3 * wl_z)
    zeta = 0.3 * z_rate + np.sqrt(1 - 0.09) * zeta_z
    gaps = SITE_GAP[site, None] * (rev_g if on("irregular_reviews") else np.ones_like(rev_g))
    rev_t = t_dx[:, None] + np.cumsum(gaps, 1)
    noise = on("rating_noise")
    delta_a = ANCHOR if on("anchoring") else 0.0
    onset_pts = np.where(code == 1, 0.5, np.where(code == 0, -0.5, 0.0))

    def run(idx: np.ndarray, g: np.ndarray, decide: bool) -> dict[str, np.ndarray]:
        """The registry's contacts of the patients ``idx`` on the course ``g`` (rows × NS+1 × 4): the diagnosis,
        outpatient reviews (at home once walking is lost), intercurrent illnesses (fatal, or an admission),
        NIV, gastrostomy, loss and withdrawal."""
        r = len(idx)
        rr = np.arange(r)
        on_d = onset_day[idx]
        t_ep = ep_t[idx]
        dd = _pressure(_interp(g, t_ep))
        acc_ep = (u_ep[idx] < np.minimum(R0 * np.exp(R_A * dd), RMAX) / RMAX) & (t_ep > t_dx[idx, None])
        t_sl = np.concatenate([t_dx[idx, None], rev_t[idx], t_ep], 1)
        days = on_d[:, None] + np.rint(np.minimum(t_sl, 1e4) * DPM).astype(np.int64)
        valid = np.concatenate([np.ones((r, 1 + N_REV), bool), acc_ep], 1) & (days <= lock_day)
        days = np.where(valid, days, BIG)
        order = np.argsort(days, axis=1, kind="stable")
        days = np.take_along_axis(days, order, 1)
        valid = days < BIG
        kind = KIND[order]
        t_v = np.where(valid, (days - on_d[:, None]) / DPM, 0.0)
        y_v = _interp(g, t_v)  # r × SLOTS × 4
        x_v = _level(y_v)
        ep_col = np.maximum(order - 1 - N_REV, 0)
        home_v = (kind == 1) & (x_v[..., 7] < 1.0) & on("home_visits")
        vtype = np.where(kind == 2, 2, np.where(home_v, 1, 0))  # index into VISIT_TYPES
        eps = eps_item[idx][rr[:, None], order]
        meps = meas_eps[idx][rr[:, None], order]
        usk = u_skip[idx][rr[:, None], order]
        cols_ = (u_niv, u_niv_lag, u_gas, u_gas_lag, u_loss, u_wd, u_wd_lag, u_dec)
        un, unl, ug, ugl, ul, uw, uwl, ud = (c[idx][rr[:, None], order] for c in cols_)
        uf = u_fatal[idx][rr[:, None], ep_col]
        dk = dip_k[idx][rr[:, None], ep_col]
        a_now_all = pd.to_datetime(np.where(valid, days, 0).ravel(), unit="D").year.to_numpy().reshape(days.shape)
        a_now_all = a_now_all - birth_year[idx, None]
        seen = np.ones(r, bool)  # the registry still sees the patient
        track = np.ones(r, bool)  # the registry will still learn of a death
        dead_day, niv_day, gas_day = np.full(r, BIG), np.full(r, BIG), np.full(r, BIG)
        niv_poor = np.zeros(r, bool)
        y_b_gas = np.full(r, np.inf)
        lost, wd_trig, wd_day, stop_day = np.zeros(r, bool), np.full(r, BIG), np.full(r, BIG), np.full(r, BIG)
        last_rec = np.full(r, -BIG)
        r_prev = np.full((r, 12), np.nan)
        w_dx = np.full(r, np.nan)
        dfrs_pts = np.zeros(r)
        fol = np.zeros((r, SLOTS), bool)
        clinic = np.zeros((r, SLOTS), bool)
        items = np.full((r, SLOTS, 12), np.nan)
        meas = np.full((r, SLOTS, 2), np.nan)  # FVC, weight
        crit = np.full((r, SLOTS), np.inf)
        for v in range(SLOTS):
            ok = valid[:, v]
            if not ok.any():
                break
            day = days[:, v]
            k = kind[:, v]
            y, x = y_v[:, v], x_v[:, v]
            is_ep = k == 2
            track &= day <= wd_day
            niv_on = niv_day <= day
            # an intercurrent illness: fatal, or an admission
            dd_v = _pressure(y)
            lp = P0 + P1 * dd_v + P_AGE * (age[idx] - 62) + np.where(niv_on, np.where(niv_poor, NIV_POOR, NIV_GOOD), 0)
            fatal = ok & is_ep & track & (uf[:, v] < expit(lp)) & on("death")
            dead_day = np.where(fatal, day, dead_day)
            track &= ~fatal
            seen &= ~fatal
            rec = ok & seen & (day != last_rec) & (~is_ep | on("admissions"))
            # the rating: a reading with error, anchored on the last recorded score
            xd = x - (is_ep[:, None] * dk[:, v, None] * DIP if on("illness_dip") else 0.0)
            xd = np.maximum(xd, 0.0)
            raw = xd + _sigma(xd, noise) * eps[:, v]
            fresh = np.clip(np.rint(raw), 0, 4)
            keep_a = np.isfinite(r_prev) & (np.abs(raw - r_prev) <= 0.5 + delta_a)
            it = np.where(keep_a, r_prev, fresh)
            it[:, 11] = np.where(niv_on, np.minimum(it[:, 11], 3), it[:, 11])
            if on("ward_gaps"):
                it[is_ep[:, None] & (usk[:, v] < 0.015)] = np.nan
            r_prev = np.where(rec[:, None] & np.isfinite(it), it, r_prev)
            items[:, v] = np.where(rec[:, None], it, np.nan)
            fol[:, v] = rec
            last_rec = np.where(rec, day, last_rec)
            out = rec & (k < 2) & ~home_v[:, v]  # the diagnosis and outpatient reviews
            clinic[:, v] = out
            tot = it.sum(1)
            y_bw = np.where(day >= gas_day, y_b_gas, y[:, BUL])
            wt = w0[idx] * (1 - a_wl[idx] * y_bw - 0.003 * (y[:, FINE] + y[:, GROSS])) + 0.7 * meps[:, v, 1]
            wt = np.clip(np.round(wt, 1), 25, 200)
            fvc = f0[idx] * np.exp(-0.085 * y[:, RESP]) - 5 * np.minimum(y[:, BUL], 12) / 12 + 4 * meps[:, v, 0]
            fvc = np.clip(np.round(fvc), 5, 150)
            meas[:, v, 0] = np.where(out, fvc, np.nan)
            meas[:, v, 1] = np.where(out, wt, np.nan)
            w_dx = np.where(out & (k == 0), wt, w_dx)
            if decide:
                t_on = (day - on_d) / DPM
                dfrs = (48 - tot) / np.maximum(t_on, 1e-9)
                grp = np.where(dfrs < 0.47, 0, np.where(dfrs <= 1.11, 1, 2))
                dfrs_pts = np.where(out & (k == 0), DFRS_PTS[grp], dfrs_pts)
                a_now = a_now_all[:, v]
                elig = out & (k == 1) & np.isfinite(tot) & (a_now >= 20) & (a_now <= 75) & (t_on <= 48)
                elig &= (niv_day > day) & (gas_day > day) & esc_ok[idx]
                if on("fvc_rule"):
                    elig &= fvc >= 60
                if on("bulbar_rule"):
                    elig &= it[:, :3].sum(1) >= 8
                score = -0.04 * (a_now - 55)
                if on("dfrs_preference"):
                    score = score + dfrs_pts
                if on("spinal_preference"):
                    spinal = (24 - it[:, 3:9].sum(1)) >= (12 - it[:, :3].sum(1)) + 3
                    score = score + 0.8 * spinal + onset_pts[idx]
                if on("site_choice"):
                    score = score + SITE_CHOICE[site[idx]]
                if on("unrecorded_wish"):
                    score = score + 0.6 * zeta[idx]
                uu = np.clip(ud[:, v].astype(float), 1e-9, 1 - 1e-9)
                crit[:, v] = np.where(elig, np.log(uu) - np.log1p(-uu) - score, np.inf)
            # NIV: in clinic on a low FVC or orthopnea, in hospital when the breathing fails
            none_yet = niv_day == BIG
            offer = out & none_yet & ((fvc < 50) | (it[:, 10] <= 2)) & (un[:, v] < 0.3)
            acute = rec & is_ep & none_yet & (y[:, RESP] >= 6) & (un[:, v] < 0.6)
            start = np.where(offer, day + 14 + np.floor(unl[:, v] * 29), day + 1 + np.floor(unl[:, v] * 7))
            new = (offer | acute) & on("niv")
            niv_day = np.where(new, start.astype(np.int64), niv_day)
            niv_poor = np.where(new, y[:, BUL] >= 6, niv_poor)
            # gastrostomy: at a review (in clinic or at home) on a recorded q3 <= 2 or a 10% weight loss
            review = rec & (k < 2)
            wl = out & (wt <= 0.9 * w_dx)
            offer = review & (gas_day == BIG) & ((it[:, 2] <= 2) | wl) & (ug[:, v] < 0.12) & on("gastrostomy")
            new_gas = day + 14 + np.floor(ugl[:, v] * 29).astype(np.int64)
            if offer.any():
                y_b_gas[offer] = _interp(g[offer], ((new_gas[offer] - on_d[offer]) / DPM)[:, None])[:, 0, BUL]
            gas_day = np.where(offer, new_gas, gas_day)
            # endings: lost after an outpatient review, a withdrawal after a review with a low total
            gone = out & (k == 1) & (ul[:, v] < P_LOSS[site[idx]]) & on("loss")
            lost |= gone
            stop_day = np.where(gone & seen, day, stop_day)
            seen &= ~gone
            track &= ~gone
            quit_ = review & seen & (tot < 16) & (uw[:, v] < 0.03) & on("withdrawal")
            wd_trig = np.where(quit_, day, wd_trig)
            wd_day = np.where(quit_, day + 1 + np.floor(uwl[:, v] * 30).astype(np.int64), wd_day)
            stop_day = np.where(quit_, day, stop_day)
            seen &= ~quit_
        return {"fol": fol, "vday": np.where(fol, days, -1), "items": items, "meas": meas, "clinic": clinic,
                "crit": np.where(fol, crit, np.inf), "dead_day": dead_day, "wd_day": wd_day, "lost": lost,
                "niv_day": niv_day, "gas_day": gas_day, "stop_day": stop_day, "vtype": vtype}  # fmt: skip

    natural = run(rows, grid, True)
    # who is treated: the first eligible review whose criterion falls under the cut-off c (at most the target)
    target_n = round(treated_share * n)
    cstar = natural["crit"].min(1)
    cut = share_cutoff(cstar, target_n)
    decided = cstar < cut
    w_dec = (natural["crit"] < cut).argmax(1)
    dec_day = natural["vday"][rows, w_dec]
    surg_day = dec_day + SURG_LAG[0] + np.floor(u_surg * (SURG_LAG[1] - SURG_LAG[0] + 1)).astype(np.int64)
    treated = decided & (surg_day <= lock_day) & (natural["dead_day"] > surg_day) & (natural["stop_day"] > surg_day)
    boost_day = surg_day + BOOST_GAP + np.floor(u_boost_lag * 28).astype(np.int64)
    t1 = np.where(treated, (surg_day - onset_day) / DPM, np.inf)
    t2 = (boost_day - onset_day) / DPM
    p = np.flatnonzero(treated)
    res = {key: val.copy() for key, val in natural.items()}
    res0 = {key: val[p] for key, val in natural.items()}
    boosted = np.zeros(n, bool)
    grid1 = None
    if len(p):

        def boost_ok(ev: dict[str, np.ndarray]) -> np.ndarray:
            """The booster follows the implant if alive, still seen, before the lock and without NIV."""
            bd = boost_day[p]
            return ((u_boost[p] < BOOST_P) & (bd <= lock_day) & (ev["dead_day"] > bd) & (ev["stop_day"] > bd)
                    & (ev["niv_day"] > bd) & on("booster"))  # fmt: skip

        res1 = res0
        if effect == 0:
            bst = boost_ok(res0)
        else:
            w = W_REACH if on("domain_reach") else np.ones(4)
            tp = t1[p]
            y1 = _interp(grid[p], tp[:, None])
            rate = nu_d[p] * expit((tp[:, None] - t_inv[p]) / 1.5)
            r_w = (_expected(y1, 0.0, noise) - _expected(y1 + 0.1 * w * rate[:, None], 0.0, noise))[:, 0] / 0.1
            gp = np.exp(0.35 * g_z[p] - 0.06125) if on("response_spread") else 1.0
            rho = effect * gp / np.maximum(r_w, RATE_FLOOR)
            eta = ETA * np.exp(0.3 * eta_z[p])
            t_mid = (np.arange(NS) + 0.5) * H

            def surv(s: np.ndarray) -> np.ndarray:
                s = np.maximum(s, 0.0)
                return np.exp(-((s / eta[:, None]) ** K_GRAFT)) if on("graft_decay") else np.ones(s.shape)

            def with_cells(bst: np.ndarray) -> np.ndarray:
                """The course with the graft damping each later increment by w_d·min(ρ·A(t), 0.9)."""
                frac = t_mid - H / 2 >= tp[:, None]  # from the first grid point on or after the implant
                te = np.maximum(t_mid, tp[:, None])
                expo = surv(te - tp[:, None]) + BOOST_W * (bst[:, None] & (te > t2[p, None])) * surv(te - t2[p, None])
                f = np.minimum(rho[:, None] * expo, F_CAP) * frac
                g1 = np.zeros((len(p), NS + 1, 4))
                np.cumsum(inc[p].astype(np.float64) * (1.0 - f[..., None] * w), axis=1, out=g1[:, 1:])
                return g1

            grid1 = with_cells(np.zeros(len(p), bool))
            bst = boost_ok(run(p, grid1, False))
            if bst.any():
                grid1 = with_cells(bst)
            res1 = run(p, grid1, False)
        boosted[p] = bst
        for key in res:
            res[key][p] = res1[key]
    return _tables(n, effect, onset_day, diag_day, birth_year, sex_m, code, site, lock_day, res, treated,
                   (surg_day, boost_day, boosted, dose_u, u_ae, u_ae_t, u_viab, u_pass, on("adverse_events")),
                   (escorial, genetics, riluzole, edaravone),
                   (p, t1, res0, grid, grid1, noise), dec_day if record_occasions else None)  # fmt: skip


def _tables(n, effect, onset_day, diag_day, birth_year, sex_m, code, site, lock_day, res, treated, doses, recorded,
            truth_in, dec_day=None) -> WorldCohort:  # fmt: skip
    """The canonical tables of the recorded run ``res`` and the truths against the run without cells; with the
    decision days ``dec_day`` also each visit's type and each administration's decision date."""
    surg_day, boost_day, boosted, dose_u, u_ae, u_ae_t, u_viab, u_pass, ae_on = doses
    escorial, genetics, riluzole, edaravone = recorded
    p, t1, res0, grid0, grid1, noise = truth_in
    fol, vday = res["fol"], res["vday"]
    ids = np.array([f"W14{i:05d}" for i in range(n)])
    dead_day, wd_day = res["dead_day"], res["wd_day"]
    withdrawn = (wd_day < BIG) & (wd_day < dead_day) & (wd_day <= lock_day)
    events, gastro_day = follow_up_events(ids, onset_day, vday.max(1), lock_day, dead_day, wd_day, res["lost"],
                                          {"niv_start": res["niv_day"], "gastrostomy": res["gas_day"]}, 12.0,
                                          withdrawn=withdrawn)  # fmt: skip
    alsfrs = item_rows(ids, res["items"], fol, vday, gastro_day)
    alsfrs["assessor"] = "clinician"
    if dec_day is not None:
        pi, vi = np.nonzero(fol)
        alsfrs["visit_type"] = VISIT_TYPES[res["vtype"][pi, vi]]
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
    given = np.stack([treated, treated & boosted], 1)
    pg, kg = np.nonzero(given)
    tid = np.array([f"{ids[i]}-C{k + 1}" for i, k in zip(pg, kg, strict=True)], dtype=object)
    day_g = np.where(kg == 0, surg_day[pg], boost_day[pg])
    dose1 = np.round(1.1e7 * (120 / 11) ** dose_u, -6)  # log-uniform 11-120 million cells
    treatments = pd.DataFrame({
        "treatment_id": tid, "patient_id": ids[pg], "date": pd.to_datetime(day_g, unit="D"), "cycle": kg + 1,
        "cell_source": "bone_marrow", "donor": "autologous",
        "route": np.array(["intraspinal", "intrathecal"])[kg], "dose_cells": np.where(kg == 0, dose1[pg], 2.0e7),
        "lot": [f"BM-{ids[i]}" for i in pg], "viability_pct": np.round(82 + 16 * u_viab[pg, kg], 1),
        "passage": 2 + np.floor(3 * u_pass[pg, kg]).astype(int),
    })  # fmt: skip
    if dec_day is not None:  # the booster has no decision of its own: the implant's
        treatments["decision_date"] = pd.to_datetime(dec_day[pg], unit="D")
    treatments = treatments.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    # adverse events of the given administrations: the implant's surgery, the booster's lumbar puncture
    hit = given[..., None] & (u_ae < AE_P) & ae_on
    ai, ak, aj = np.nonzero(hit)
    lo, hi = AE_SPAN[ak, aj, 0], AE_SPAN[ak, aj, 1]
    start = np.where(ak == 0, surg_day[ai], boost_day[ai]) + np.where((ak == 0) & (aj == 2), 4, np.where(ak == 0, 0, 1))
    span = lo + np.floor(u_ae_t[ai, ak, aj] * (hi - lo + 1)).astype(np.int64)
    dday = events.loc[events["event"] == "death"].set_index("patient_id")["date"]
    death_d = pd.Series(ids[ai]).map((dday - EPOCH).dt.days).to_numpy(float)
    death_d = np.where(np.isnan(death_d), np.inf, death_d)
    keep_ae = start <= death_d
    resolved = np.where(start + span <= death_d, start + span, -1)
    infection = (ak == 0) & (aj == 2)
    adverse = pd.DataFrame({
        "ae_id": [f"{ids[i]}-C{k + 1}-AE{j + 1}" for i, k, j in zip(ai, ak, aj, strict=True)],
        "patient_id": ids[ai], "onset_date": pd.to_datetime(start, unit="D"),
        "resolved_date": pd.to_datetime(np.where(resolved >= 0, resolved, 0), unit="D").where(resolved >= 0),
        "term": AE_TERMS[ak, aj], "grade": np.where(infection, 3, np.where(u_ae_t[ai, ak, aj] > 0.7, 2, 1)),
        "serious": infection, "treatment_id": [f"{ids[i]}-C{k + 1}" for i, k in zip(ai, ak, strict=True)],
        "relatedness": AE_REL[ak, aj],
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
    g1 = grid0[p] if grid1 is None else grid1
    e1 = _expected(_interp(g1, tt), days >= res["niv_day"][p, None], noise)
    e0 = _expected(_interp(grid0[p], tt), days >= res0["niv_day"][:, None], noise)
    z = np.zeros_like(fol[p])
    truths = cohort_truths(e1, e0, since, np.concatenate([fol[p], z], 1), np.concatenate([z, res0["fol"]], 1), effect)
    return WorldCohort(tables, float(effect), len(p), *truths)


__all__ = ["DECISION_AT_EVERY_VISIT", "ITEMS", "PIECES", "RECORDED_RULE_INPUTS", "WorldCohort", "simulate_world14"]

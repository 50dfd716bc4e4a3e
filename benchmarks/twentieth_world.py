"""A twentieth data-generating mechanism, held out and written blind: from the canonical format
(spec/data-format.md, spec/domain-rules.md, docs/data-rules.md for the extension columns), the eighteenth and
nineteenth worlds' code and tests as an example of the interface (and their docstrings' lists of the other worlds'
courses, so as to differ from them), without reading the estimators, their documentation pages or any calibration
result, and without running any estimator.

Its reason to exist: **who rated each visit matters, and is recorded** (``alsfrs.rater``, sparsely).  A three-site
registry (NORTH, SOUTH, COAST) whose ALSFRS-R is rated by identifiable staff in rating posts (a neurologist, an ALS
nurse, a physiotherapist: 4, 3 and 2 posts), each post held by one person after another (staff turnover), each
patient followed by one post (continuity of care), and raters who differ by domain, in reading the breathing items,
and as newcomers.  The other worlds use sigmoid, linear-quadratic, Markov-plateau, change-point, domain-ramp,
item-Poisson, subtype-random-walk, power-law, drift-with-steps, Gompertz-reserve, coupled-propagation, burden-clock,
spreading-front, gamma-process, metabolic-feedback, cortical-times-segmental, two-stage-chain, glia-neuron-feedback
and disease-course-map courses.  This world's clinics give allogeneic Wharton's-jelly MSCs intrathecally, and it
differs in every piece (every constant below is an assumption unless a source is named):

* **course: an exponentially shrinking motor-unit pool in each region, masked by collateral reinnervation that
  saturates and wears out.**  In region d (bulbar, arm, leg, respiratory: the ALSFRS-R domains, Cedarbaum et al., J
  Neurol Sci 1999;169:13-21) the surviving fraction of motor units is M_d = e^{−L_d}, L_d = L0_d + λ_d·(t − t0_d)⁺
  (an exponential loss of motor units once a region is involved, as motor unit number estimates fall: Dantes &
  McComas, Muscle Nerve 1991;14:416-421), and the region's function is F_d = R·M/(1 + (R − 1)·M): surviving units
  enlarge by collateral sprouting up to R times, so function is kept while units are lost and then falls (weakness
  when about half the units are gone: the compensation described by Wohlfart, Neurology 1957;7:124-134; the
  hyperbolic form is an assumption).  R = 1 + (R0 − 1)·e^{−κ·(t − t0_d)⁺}: the sprouting capacity wears out (κ =
  0.015/month), R0 = 1 + 3·e^{0.3·z_R}.  λ_d = Λ0·π·e^{0.2·z_d}, π = e^{0.5·z + 0.012·(age − 63) + 0.2·bulbar} the
  patient's pace (older and bulbar onset faster: Chiò et al., Amyotroph Lateral Scler 2009;10:310-323), Λ0 = 0.072.
  The onset region is involved at onset with F = 0.82 (L0 set by R0); region d at t0_d = 7·dist_d·e^{0.4·z_sd}·π^−½
  months, dist_d its distance from the onset region (contiguous 1: bulbar-arm, arm-leg, arm-respiratory; 1.5
  bulbar-respiratory and leg-respiratory; 2 bulbar-leg: Ravits & La Spada, Neurology 2009;73:805-811); at a
  generalized onset every region is involved at onset with F = 0.92.  Closed form, no grid but death's.  Onset:
  bulbar 28%, arm 32%, leg 35% (both written ``limb``), respiratory 3%, generalized 2%; men 60%; age at onset N(62,
  11²) within 30-88;
* **items: a continuation-ratio (sequential) ordinal model with a day effect and the rater's own reading.**  Item j
  of region d at x_j = logit(F_d) − m_j + ν + o_rj: P(item ≥ c | item ≥ c − 1) = Λ(2.5·(x_j − b_c)), b = (−2, −1, 0,
  1) (the sequential item response model: Tutz, Br J Math Stat Psychol 1990;43:39-55); m_j = 0.8 for the item a
  region loses first (speech, handwriting, stairs, dyspnea), 0 for the middle one (swallowing, cutting food,
  walking, orthopnea), −0.8 for the last (salivation, dressing, turning in bed, respiratory insufficiency); ν ~ N(0,
  0.12²) the visit's day (fatigue, a good or bad day), shared by its items; o_rj the rater's reading (below).  Drawn
  by inversion at a stored uniform per item.  On NIV q12 is at most 3; after a gastrostomy item 5 is q5b
  (spec/domain-rules.md);
* **raters: posts, turnover, continuity, and readings that differ by domain.**  Each post's first holder started 0-8
  years before 2010; a holder stays Gamma(2, 2 years) (at least 6 months) and the post is vacant 1-4 months before the
  next (:data:`N_HOLDERS` at most).  At the diagnosis a patient is given one of the site's posts (the clinician who
  follows him); a review is rated by that post's holder with probability 0.75, otherwise by another post's (a
  colleague covering), and by the next filled post when the chosen one is vacant; so a patient sees one or two raters
  for long stretches and a new one when a holder leaves.  Rater r's reading of item j is o_rj = ℓ_r + ℓ_r,dom(j) +
  𝟙(literal)·(−0.35 on dyspnea and orthopnea) + η_r·e^{−(months in post)/6}: a general leniency ℓ_r ~ N(0, 0.08²), a
  leniency of each domain ℓ_r,d ~ N(0, 0.14²) (some read swallowing or walking more kindly than speech or breathing),
  30% of raters read the breathing items literally (any breathlessness reported scores below 4), and a newcomer's
  severity η_r ~ N(−0.2, 0.12²) that fades over the first months in post (an assumption: rater training reduces
  variability, Kaufmann et al., Amyotroph Lateral Scler 2007;8:42-46, where the ICC among trained trial raters was
  about 0.93).  On the total the raters' readings differ by about 0.5-2 points (measured on 72 raters drawn as the
  world draws them: the expected total's SD across raters is 0.45 points at a total near 40, 0.7 near 37 and 0.95 near
  20-31, the range 2-4.6 points; a newcomer at η = −0.2 rates 1-2 points lower in his first month, fading): with the
  totals' SD across the registry's rows, 11.5 points, and the residual 2.1, two raters of one visit would agree with
  an ICC of about 0.96 (0.93 among trial raters); the first holders are long in post.  The rater is recorded
  (``alsfrs.rater``, the clinic's pseudonyms :data:`RATER_IDS`, with ``record_raters``) at 93% of clinic reviews, and
  at COAST only from :data:`COAST_FORM` (its form gained the field);
* **visits: three-monthly reviews on each site's clinic day, irregular, and the patients' own portal ratings.**  The
  diagnosis (the first review, ``scheduled``) comes 3 + 10·Gamma(2.5, 0.4)·π^−0.4 months after onset (median about
  11 months; about a year: Paganoni et al., Amyotroph Lateral Scler Frontotemporal Degener 2014;15:453-456), on the
  site's clinic day (NORTH Monday, SOUTH Wednesday, COAST Friday).  Reviews are booked 77-105 days on
  (multidisciplinary review about every 3 months: Miller et al., Neurology 2009;73:1218-1226), 12% postponed by
  another 4-10 weeks, on the next clinic day; each measures FVC % predicted (``fvc_pct_pred``) F0·(0.1 + 0.9·F_resp)
  − 4·(1 − F_bul) + N(0, 4²), F0 ~ N(97, 12²) within 60-130, and weight (``weight_kg``) W0·(1 − 0.1·(1 − F_bul) −
  0.05·(1 − F̄)) + N(0, 0.8²).  Half the patients use the registry's portal: 35-56 days after a review they rate
  themselves online with probability 0.6 (``remote``, assessor ``self``, no rater; an online self-administered
  ALSFRS-R agrees well with the clinic's: Maier et al., Amyotroph Lateral Scler 2012;13:210-216, so the same scale;
  each item left blank with probability 0.01, their total then missing: the only partial rows).
  :data:`LEAVE_OUT_VISIT_TYPES` is empty;
* **who is treated: the clinician decides at a review on the recorded total and its recent decline**
  (:data:`DECISION_VISIT_TYPES` ``("scheduled",)``, every review after the diagnosis).  Eligible: the review's total at
  least 26, a recorded decline since the previous review (its total minus this one's, per month) of at least 0.15
  points/month (documented progression, at least 2.5 months apart by the schedule), FVC at least 60%, at most 36
  months since ``onset_date``, age (review year − ``birth_year``) at most 75, no ``niv_start`` or ``gastrostomy``
  recorded on or before it, and the patient willing (90%, a fact no column holds, independent of the course).  Chosen
  when logit(u) < c + s: s = :func:`rule_score` (0.07·(total − 36) + 0.6·decline − 0.02·(age − 60) + 0.3 at NORTH, 0
  at SOUTH, −0.4 at COAST), u the review's number on the allocation list (:func:`lottery`, seeded by (seed, 20)),
  independent of the course.  c sets at most round(share·n) patients (the first review where the criterion falls under
  c).  So the raters of the decision review and of the review before it move who is treated: a kind rater now and a
  strict one before lift the total and shrink the decline.  The first dose 14-42 days after the decision
  (:data:`DECISION_LAG_DAYS` 14), then two more 56-70 days apart, each with probability 0.9 (while alive, followed and
  before the lock), 3×10⁷ cells intrathecally (three intrathecal Wharton's-jelly MSC doses two months apart:
  Barczewska et al., Stem Cell Rev Rep 2020;16:922-932), viability 85-98%, passage 3-5.  Adverse events per dose:
  headache 2.5%, fever 2%, puncture-site pain 1.7% (allogeneic intrathecal, spec/domain-rules.md), back pain 3%,
  meningism 0.5%;
* **effect: the cells slow the loss of motor units, building up over the doses; a third do not respond.**  From dose
  q on (q = 1, 2, 3, as consented) every region's λ_d falls by a further share (0.6, 0.25, 0.15)·ρ, ρ = min(0.9,
  E·g/S), S the untreated expected total's loss over the month after the first dose (points, at least 0.3); g = 0
  for the 30% who do not respond, else Gamma(4, mean 1/0.7) (mean g 1), so after the third dose a responder loses
  about E·g points/month less.  The sprouting's wear is untouched.  The kept function delays NIV, gastrostomy and
  death and keeps FVC and weight.  E = 0 gives ρ = 0 and the same course with and without cells;
* **follow-up ends by respiratory failure at a threshold, hazards of aspiration and other causes, hospice, loss that
  grows with disability, and the lock.**  Death comes when F_resp falls below the patient's threshold θ ~ U(0.08,
  0.25) (× 0.55 from NIV: Bourke et al., Lancet Neurol 2006;5:140-147), or earlier by the hazard 0.04·(1 − F_bul)² +
  0.03·(1 − F_resp)³ + 0.0015·e^{0.07·(age − 62)} per month against an Exp(1) draw, on a half-month grid.  NIV
  offered at a review with a recorded FVC below 50% or a recorded orthopnea q11 at most 2 (Miller et al. 2009; so
  the literal readers bring it earlier), accepted 45% at each offer, started 7-28 days later; a gastrostomy at a
  review with a recorded swallowing q3 at most 2 or a weight at most 90% of the first (Andersen et al., EFNS
  guideline, Eur J Neurol 2012;19:360-375), accepted 30%, placed 14-42 days later.  After a review with a total below
  16 the patient moves to hospice care (``withdrawal``, 1-30 days later) with probability 0.07; lost after a review
  with probability 0.003, 0.03 when the recorded gross-motor items sum to 4 or less (the journey too hard; declared 6
  months after the last visit).  One lock, 2025-12-31 (:data:`LOCK`); patients diagnosed from 2016-01-01 to two months
  before it, alive at diagnosis; onsets 2011-2025.  Deaths after a loss or a withdrawal are unknown.

Calibration, measured on ``simulate_world20(3000, 0.0, 0.0, 1)`` once the constants were set (Λ0, the onset function,
the item steps, the raters' spreads, the day effect, the delays, the thresholds and hazards; the raters' spreads and
the day effect were halved once from a first draft whose raters differed by 1.3-1.7 points SD and whose consecutive
totals rose 26% of the time): the per-patient least-squares slope of the complete totals on months (2,778 patients
with two or more spanning 3 months) averages -1.03 points/month, median -0.93, 95% of patients between -2.31 and -0.21
(-0.99 PRO-ACT, -0.89 population-based, spec/domain-rules.md); 21% of consecutive totals rise and 10% repeat, the
residual SD about a patient's quadratic 2.1 points; the first recorded total's median 42; the diagnostic delay's
median 11.3 months; median survival from onset 40 months (Kaplan-Meier, entry at diagnosis, censored at the lock or,
for the lost and withdrawn, at the last visit; 30-45 months in population cohorts); NIV recorded for 60%, a
gastrostomy for 51%.  Rows: 79% reviews, 21% portal self-ratings; the rater recorded at 88% of the reviews; a patient's
named reviews come from a median of 2 raters, 69% from the one who rates most of them.  Who is treated: at most about
56% can be (1,684 of 3,000 at a share of 0.6); reading the totals without the raters' readings (piece
``raters_in_rule`` off) changes 6% of those treated at a share of 0.3 and the decision review of 6% of the
others.  Truths at 30% treated (seed 1): ``truth_realised``, ``truth_window``, ``truth_observed`` 0.160, 0.183, 0.186
at E = 0.2 and 0.296, 0.348, 0.357 at E = 0.5 (the build-up over the doses, the sprouting's wear and the cap). 3,000
patients take about 1 s untreated, with 30% or with 60% treated.

:data:`PIECES` names the pieces ``off`` switches off without changing the random draws: all random numbers are
drawn first in a fixed order (the world's posts and raters, then the patients'; a contact's uniforms follow its
slot: review k at slot 2k, its portal rating at 2k + 1).  The untreated course decides who is chosen; the treated
course shares it up to the first dose, and the visits and raters do not depend on the cells except through the
course.  ``truth`` is E; ``truth_realised``, ``truth_window``, ``truth_observed`` from ``window_truth.cohort_truths``
on the expected totals with and without cells (over the visit's day and a rater drawn from the raters' population,
by Gauss-Hermite; less on NIV the probability that q12 would read 4), zeros under E = 0.  With
``record_occasions=True`` the tables also carry ``alsfrs.visit_type`` and ``treatments.decision_date`` (every dose
the first's decision), with ``record_raters=True`` ``alsfrs.rater`` (empty where not recorded and on the portal's
self-ratings); every other column is unchanged either way.
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

# what the clinician's rule reads besides the ALSFRS-R totals (the review's and the previous review's)
RECORDED_RULE_INPUTS = ("age", "time_since_onset", "site", "ventilation", "gastrostomy", "fvc_pct_pred")
DECISION_AT_EVERY_VISIT = False
DECISION_VISIT_TYPES = ("scheduled",)  # every clinic review after the diagnosis
LEAVE_OUT_VISIT_TYPES = ()  # the portal's self-ratings read the clinic's scale
DOSE_LAG = (14, 42)
DECISION_LAG_DAYS = DOSE_LAG[0]
DOSE_GAP = (56, 70)  # dose q + 1 after dose q
N_DOSES = 3
DOSE_CELLS = 3.0e7
BUILD_UP = np.array([0.6, 0.25, 0.15])
PIECES = {
    "patient_pace": "the patients' own paces (off: the median pace; age and onset site kept)",
    "spread_delays": "each patient's own delays of the spread to the other regions (off: the population's)",
    "reinnervation": "collateral reinnervation masking the loss of motor units (off: R0 = 1, function = units)",
    "sprouting_wear": "the sprouting capacity wearing out (off: R constant)",
    "visit_day": "the visit's day effect shared by its items (off: none)",
    "rater_general": "each rater's general leniency (off: 0)",
    "rater_domains": "each rater's leniency by domain (off: 0)",
    "literal_breathing": "raters reading dyspnea and orthopnea literally (off: none)",
    "newcomers": "a newcomer's severity fading with months in post (off: none)",
    "continuity": "a patient's own post rating most of his reviews (off: any of the site's posts alike)",
    "turnover": "posts changing hands (off: each post's first holder stays)",
    "rater_gaps": "raters not recorded (off: every clinic review's rater recorded; with record_raters only)",
    "portal": "the patients' own portal ratings (off: none)",
    "portal_gaps": "items left blank on a portal rating (off: none)",
    "postponements": "reviews postponed (off: none)",
    "clinic_days": "each site's clinic day (off: the booked day itself)",
    "decline_criterion": "the rule's criterion and points on the recorded decline (off: not read)",
    "raters_in_rule": "the rule reads the totals as rated (off: the same item draws without the rater's reading)",
    "site_preference": "the points by site (off: none)",
    "unwilling": "patients unwilling, a fact no column holds (off: all willing)",
    "further_doses": "the second and third doses (off: one dose, its share of the effect only)",
    "build_up": "the effect building up over the doses (off: full from the first)",
    "response_spread": "non-responders and the spread of the response (off: g = 1)",
    "niv": "NIV offered and started (off: none)",
    "gastrostomy": "gastrostomy offered and placed (off: none)",
    "death": "death by respiratory failure and the hazards (off: none)",
    "threshold_death": "death when the breathing function falls below the patient's threshold (off: hazards only)",
    "withdrawal": "withdrawal to hospice care at a low recorded total (off: none)",
    "loss": "loss to follow-up (off: none)",
    "informative_loss": "more loss with a low recorded gross-motor score (off: the same for all)",
    "adverse_events": "adverse events of the doses (off: none)",
}
SITES = np.array(["NORTH", "SOUTH", "COAST"])
SITE_P = np.array([0.45, 0.35, 0.20])
SITE_PTS = np.array([0.3, 0.0, -0.4])
POSTS = np.array([4, 3, 2])  # rating posts per site
POST_SITE = np.repeat(np.arange(3), POSTS)
POST_FIRST = np.concatenate([[0], np.cumsum(POSTS)[:-1]])  # the first post of each site
N_POSTS = int(POSTS.sum())
N_HOLDERS = 8  # holders per post at most
N_RATERS = N_POSTS * N_HOLDERS
# the clinic's pseudonyms, the same for every visit a person rates: site letter, then a number within the site
RATER_IDS = np.array([
    f"{SITES[POST_SITE[p]][0]}-R{(p - POST_FIRST[POST_SITE[p]]) * N_HOLDERS + h + 1:02d}"
    for p in range(N_POSTS) for h in range(N_HOLDERS)
])  # fmt: skip
CLINIC_WEEKDAY = np.array([0, 2, 4])  # Monday, Wednesday, Friday
COAST_FORM = pd.Timestamp("2019-07-01")
P_PRIMARY, P_NO_RATER = 0.75, 0.07
GEN_SD, DOM_SD, LITERAL_P, LITERAL = 0.08, 0.14, 0.3, -0.35
NEW_MEAN, NEW_SD, NEW_MONTHS = -0.2, 0.12, 6.0
ONSET_FROM, ONSET_YEARS = pd.Timestamp("2011-01-01"), 15.0
OPENING = pd.Timestamp("2016-01-01")
POSTS_FROM = pd.Timestamp("2010-01-01")
LOCK = pd.Timestamp("2025-12-31")
EPOCH = pd.Timestamp(0)
BIG = np.iinfo(np.int64).max // 4
BUL, ARM, LEG, RESP = range(4)
DOMAIN = np.repeat(np.arange(4), 3)
ONSET_P = np.array([0.28, 0.32, 0.35, 0.03, 0.02])  # bulbar, arm, leg, respiratory, generalized
DIST = np.array([[0, 1, 2, 1.5], [1, 0, 1, 1], [2, 1, 0, 1.5], [1.5, 1, 1.5, 0]])
SPREAD, LAMBDA0, KAPPA, F_ONSET, F_GEN = 7.0, 0.072, 0.015, 0.82, 0.92
A_STEP = 2.5
B_CUTS = np.array([-2.0, -1.0, 0.0, 1.0])
M_FIRST, M_MID, M_LAST = 0.8, 0.0, -0.8
ITEM_M = np.array([M_FIRST, M_LAST, M_MID, M_FIRST, M_MID, M_LAST, M_LAST, M_MID, M_FIRST, M_FIRST, M_MID, M_LAST])
NU_SD = 0.12
GH_X, GH_W = np.polynomial.hermite_e.hermegauss(9)
GH_W = GH_W / GH_W.sum()
SCHED, REMOTE = 0, 1
VISIT_TYPES = np.array(["scheduled", "remote"], dtype=object)
N_REV = 48  # reviews at most (0 the diagnosis)
SLOTS = 2 * N_REV
P_PORTAL, P_SELF, P_BLANK = 0.5, 0.6, 0.01
P_POSTPONE = 0.12
HG, NG = 0.5, 384  # death's grid (months from onset)
H_BUL, H_RESP, H_BG = 0.04, 0.03, 0.0015
NIV_TH = 0.55
P_NIV, P_GAS, P_WD, P_WILL = 0.45, 0.3, 0.07, 0.9
TOT_MIN, DECLINE_MIN, FVC_MIN, ONSET_MAX, AGE_MAX = 26, 0.15, 60, 36, 75
RATE_FLOOR, RHO_CAP, P_NONRESP = 0.3, 0.9, 0.3
AE_TERMS = np.array(["headache", "fever", "injection_site_pain", "back_pain", "meningism"])
AE_P = np.array([0.025, 0.02, 0.017, 0.03, 0.005])
AE_SPAN = np.array([(1, 4), (1, 2), (1, 3), (2, 10), (2, 6)])
AE_REL = np.array(["probable", "possible", "definite", "probable", "probable"])


def _days(ts: pd.Timestamp) -> int:
    return (ts - EPOCH).days


def lottery(seed: int, n_patients: int) -> np.ndarray:
    """The clinics' allocation list: the uniform of the i-th patient's (``W20{i:05d}``) k-th review (column k, 0 the
    diagnosis), from a stream of its own."""
    return np.random.default_rng([seed, 20]).random((n_patients, N_REV))


def rule_score(total, decline, age, site, on=lambda piece: True) -> np.ndarray:
    """The clinician's points: 0.07·(total − 36) + 0.6·decline − 0.02·(age − 60) + 0.3 at NORTH (``site`` 0), 0 at
    SOUTH (1), −0.4 at COAST (2); ``decline`` the recorded total's fall per month since the previous review."""
    s = 0.07 * (np.asarray(total, float) - 36) - 0.02 * (np.asarray(age, float) - 60)
    if on("decline_criterion"):
        s = s + 0.6 * np.asarray(decline, float)
    if on("site_preference"):
        s = s + SITE_PTS[np.asarray(site, int)]
    return s


def _logit(f: np.ndarray) -> np.ndarray:
    f = np.clip(f, 1e-5, 0.998)
    return np.log(f) - np.log1p(-f)


def _at_least(x: np.ndarray) -> np.ndarray:
    """P(item ≥ c), c = 1..4 (last axis), of the continuation-ratio model at locations ``x``."""
    steps = 1.0 / (1.0 + np.exp(-A_STEP * (x[..., None] - B_CUTS)))
    return np.cumprod(steps, -1)


def _item_curves(sd: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x grid, expected rating, P(rating = 4)) of an item at location x averaged over a N(0, sd²) shift (the
    visit's day and a rater from the raters' population), tabulated finely (interpolated in :func:`_expected`)."""
    xs = np.linspace(-14, 14, 14001)
    ev, p4 = np.zeros_like(xs), np.zeros_like(xs)
    for gx, gw in zip(GH_X, GH_W, strict=True):
        pc = _at_least(xs + sd * gx)
        ev += gw * pc.sum(-1)
        p4 += gw * pc[:, 3]
    return xs, ev, p4


def _expected(f: np.ndarray, niv_on: np.ndarray, curves) -> np.ndarray:
    """The expected total at the regions' functions ``f`` (... × 4), q12 at most 3 on NIV."""
    xs, ev, p4 = curves
    x = _logit(f)[..., DOMAIN] - ITEM_M
    return np.interp(x, xs, ev).sum(-1) - niv_on * np.interp(x[..., 11], xs, p4)


def simulate_world20(
    n_patients: int,
    effect: float,
    treated_share: float,
    seed: int,
    off: frozenset[str] = frozenset(),
    record_occasions: bool = False,
    record_raters: bool = False,
) -> WorldCohort:
    """A cohort of ``n_patients`` from the twentieth world, effect E = ``effect``, at most round(share·n) treated,
    the pieces of ``off`` switched off; ``record_occasions`` fills ``alsfrs.visit_type`` and
    ``treatments.decision_date``, ``record_raters`` ``alsfrs.rater`` (who rated each clinic review, where the clinic
    recorded it: :data:`RATER_IDS`; the same draws, every other column unchanged either way)."""
    refuse_unknown(off, PIECES)

    def on(piece: str) -> bool:
        return piece not in off

    rng = np.random.default_rng(seed)
    n, m = int(n_patients), 2 * int(n_patients) + 100
    # all random numbers first, in a fixed order: the world's posts and raters, then the patients
    first_start = _days(POSTS_FROM) - np.floor(rng.random(N_POSTS) * 8 * 365.25).astype(np.int64)
    tenure = np.maximum(rng.gamma(2.0, 2 * 365.25, (N_POSTS, N_HOLDERS)), 182).astype(np.int64)
    vacancy = (30 + np.floor(rng.random((N_POSTS, N_HOLDERS)) * 91)).astype(np.int64)
    r_gen = rng.normal(0, GEN_SD, N_RATERS)
    r_dom = rng.normal(0, DOM_SD, (N_RATERS, 4))
    r_lit = rng.random(N_RATERS) < LITERAL_P
    r_new = rng.normal(NEW_MEAN, NEW_SD, N_RATERS)
    site_u, sex_u, reg_u = (rng.random(m) for _ in range(3))
    age = np.clip(rng.normal(62, 11, m), 30, 88)
    onset_day = _days(ONSET_FROM) + rng.integers(0, int(ONSET_YEARS * 365.25), m)
    z_pace, z_r = rng.normal(0, 1, m), rng.normal(0, 1, m)
    z_d, z_s = rng.normal(0, 1, (m, 4)), rng.normal(0, 1, (m, 4))
    delay_g = rng.gamma(2.5, 0.4, m)
    death_e, theta_u = rng.exponential(1.0, m), rng.random(m)
    u_esc, u_gen, u_ril, u_eda = (rng.random(m) for _ in range(4))
    f0_z, w0_z = rng.normal(0, 1, m), rng.normal(0, 1, m)
    u_post, u_will, u_portal, u_resp = (rng.random(m) for _ in range(4))
    g_shape = rng.gamma(4.0, 1 / (4 * (1 - P_NONRESP)), m)
    u_item = rng.random((m, SLOTS, 12), dtype=np.float32)
    nu_z = rng.standard_normal((m, SLOTS), dtype=np.float32)
    u_cover, u_cover2, u_norater = (rng.random((m, SLOTS), dtype=np.float32) for _ in range(3))
    u_blank = rng.random((m, SLOTS, 12), dtype=np.float32)
    meas_eps = rng.standard_normal((m, SLOTS, 2), dtype=np.float32)  # FVC, weight
    u_gap, u_pp, u_pp_lag, u_self, u_self_lag, u_niv, u_niv_lag, u_gas, u_gas_lag, u_wd, u_loss = (
        rng.random((m, N_REV), dtype=np.float32) for _ in range(11)
    )
    u_dose, u_more, u_more_lag = rng.random(m), rng.random((m, N_DOSES - 1)), rng.random((m, N_DOSES - 1))
    u_viab, u_pass, u_lot = rng.random((m, N_DOSES)), rng.random((m, N_DOSES)), rng.random((m, N_DOSES))
    u_ae, u_ae_t = rng.random((m, N_DOSES, len(AE_TERMS))), rng.random((m, N_DOSES, len(AE_TERMS)))

    # the posts' holders: start and end days (holder h of post p is rater p·N_HOLDERS + h)
    h_start = np.zeros((N_POSTS, N_HOLDERS), np.int64)
    h_end = np.zeros((N_POSTS, N_HOLDERS), np.int64)
    h_start[:, 0] = first_start
    for h in range(N_HOLDERS):
        h_end[:, h] = h_start[:, h] + tenure[:, h]
        if h + 1 < N_HOLDERS:
            h_start[:, h + 1] = h_end[:, h] + vacancy[:, h]
    h_end[:, -1] = BIG
    if not on("turnover"):
        h_end[:, 0] = BIG
        h_start[:, 1:] = BIG
    r_start = h_start.ravel()
    off_gen = r_gen if on("rater_general") else np.zeros(N_RATERS)
    off_dom = r_dom if on("rater_domains") else np.zeros((N_RATERS, 4))
    lit = np.where(r_lit & on("literal_breathing"), LITERAL, 0.0)
    r_item = off_gen[:, None] + off_dom[:, DOMAIN] + lit[:, None] * np.isin(np.arange(12), [9, 10])[None, :]
    newc = r_new if on("newcomers") else np.zeros(N_RATERS)

    # the calendar: each site's next clinic day
    day_base = _days(ONSET_FROM) - 400
    n_cal = 20 * 366
    cal_days = np.arange(day_base, day_base + n_cal)
    weekday = pd.to_datetime(cal_days, unit="D").weekday.to_numpy()
    next_clinic = np.zeros((3, n_cal), np.int64)
    for s in range(3):
        pos = np.flatnonzero(weekday == CLINIC_WEEKDAY[s])
        next_clinic[s] = cal_days[pos[np.minimum(np.searchsorted(pos, np.arange(n_cal)), len(pos) - 1)]]

    def clinic_day(d: np.ndarray, s: np.ndarray) -> np.ndarray:
        if not on("clinic_days"):
            return d
        return next_clinic[s, np.clip(d - day_base, 0, n_cal - 1)]

    # the patients: onset region, paces, regions' involvement
    r0 = np.searchsorted(np.cumsum(ONSET_P), reg_u * 0.999999)
    gen = r0 == 4
    sex_m = sex_u < 0.6
    pace = np.exp((0.5 * z_pace if on("patient_pace") else 0.0) + 0.012 * (age - 63) + 0.2 * (r0 == BUL))
    lam = LAMBDA0 * pace[:, None] * np.exp(0.2 * z_d)
    r0max = 1 + 3 * np.exp(0.3 * z_r) if on("reinnervation") else np.ones(m)
    kappa = KAPPA if on("sprouting_wear") else 0.0
    dist = DIST[np.minimum(r0, 3)]
    t0 = SPREAD * dist * (np.exp(0.4 * z_s) if on("spread_delays") else 1.0) / np.sqrt(pace)[:, None]
    t0[gen] = 0.0
    f_start = np.where(gen, F_GEN, F_ONSET)
    m_start = f_start / (r0max - f_start * (r0max - 1))
    l0 = np.where((dist == 0) | gen[:, None], -np.log(m_start)[:, None], 0.0)
    theta = 0.08 + 0.17 * theta_u
    bg = H_BG * np.exp(0.07 * (age - 62))
    site = np.searchsorted(np.cumsum(SITE_P), site_u * 0.999999)
    tgrid = np.arange(NG + 1) * HG
    lock_day = _days(LOCK)
    curves = _item_curves(np.sqrt((NU_SD**2 if on("visit_day") else 0.0) + (GEN_SD**2 if on("rater_general") else 0)
                                  + (DOM_SD**2 if on("rater_domains") else 0)))  # fmt: skip

    def frac(rows: np.ndarray, t: np.ndarray, knots=None, drho=None) -> np.ndarray:
        """The regions' functions F (rows × [grid ×] 4) of ``rows`` at months ``t`` (rows or rows × grid); ``knots``
        (rows × doses, months) and ``drho`` the treatment's steps in the share of λ spared."""
        tt = t[..., None]
        ex = (slice(None),) + (None,) * (t.ndim - 1)
        t0r, lr = t0[rows][ex], lam[rows][ex]
        since = np.maximum(tt - t0r, 0.0)
        loss = l0[rows][ex] + lr * since
        if knots is not None:
            spared = np.zeros_like(loss)
            for q in range(knots.shape[1]):
                kq = knots[:, q][ex][..., None]
                spared = spared + drho[:, q][ex][..., None] * np.maximum(tt - np.maximum(kq, t0r), 0.0)
            loss = loss - lr * spared
        mu = np.exp(-loss)
        rr = 1 + (r0max[rows][ex][..., None] - 1) * np.exp(-kappa * since)
        return rr * mu / (1 + (rr - 1) * mu)

    def death_time(fg: np.ndarray, rows: np.ndarray, t_niv: np.ndarray) -> np.ndarray:
        """Months from onset of death on the grid functions ``fg`` (rows × grid × 4), NIV from ``t_niv``."""
        if not on("death"):
            return np.full(len(rows), np.inf)
        fr, fb = fg[..., RESP], fg[..., BUL]
        h = H_BUL * (1 - fb) ** 2 + H_RESP * (1 - fr) ** 3 + bg[rows, None]
        ch = np.concatenate([np.zeros((len(rows), 1)), np.cumsum((h[:, 1:] + h[:, :-1]) / 2 * HG, 1)], 1)
        e = death_e[rows]
        hit = ch >= e[:, None]
        jj = hit.argmax(1)
        rr = np.arange(len(rows))
        jm = np.maximum(jj - 1, 0)
        c0, c1 = ch[rr, jm], ch[rr, jj]
        t_h = tgrid[jm] + HG * np.clip((e - c0) / np.maximum(c1 - c0, 1e-12), 0, 1)
        t_h = np.where(hit.any(1), np.where(jj > 0, t_h, 0.0), np.inf)
        if not on("threshold_death"):
            return t_h
        th = theta[rows, None] * np.where(tgrid[None, :] >= t_niv[:, None], NIV_TH, 1.0)
        below = fr < th
        jb = below.argmax(1)
        t_b = np.where(below.any(1), tgrid[jb], np.inf)
        return np.minimum(t_h, t_b)

    # diagnosis, on the site's clinic day
    ref_day = onset_day + np.rint((3.0 + 10.0 * delay_g * pace**-0.4) * DPM).astype(np.int64)
    diag_day = clinic_day(ref_day, site)
    t_dx = (diag_day - onset_day) / DPM
    ok0 = (diag_day >= _days(OPENING)) & (diag_day <= lock_day - 61)
    cand = np.flatnonzero(ok0)[: 2 * n + 50]
    fg_c = frac(cand, np.broadcast_to(tgrid, (len(cand), NG + 1)))
    d_c = death_time(fg_c, cand, np.full(len(cand), np.inf))
    alive = np.flatnonzero(d_c > t_dx[cand] + 1 / DPM)[:n]
    keep = cand[alive]
    if len(keep) < n:
        raise RuntimeError("too few candidates enter the cohort")
    (sex_m, age, onset_day, r0, gen, pace, lam, r0max, t0, l0, theta, bg, site, t_dx, diag_day, death_e, u_esc,
     u_gen, u_ril, u_eda, f0_z, w0_z, u_post, u_will, u_portal, u_resp, g_shape, u_item, nu_z, u_cover, u_cover2,
     u_norater, u_blank, meas_eps, u_gap, u_pp, u_pp_lag, u_self, u_self_lag, u_niv, u_niv_lag, u_gas, u_gas_lag, u_wd,
     u_loss, u_dose, u_more, u_more_lag, u_viab, u_pass, u_lot, u_ae, u_ae_t) = (a[keep] for a in (
        sex_m, age, onset_day, r0, gen, pace, lam, r0max, t0, l0, theta, bg, site, t_dx, diag_day, death_e, u_esc,
        u_gen, u_ril, u_eda, f0_z, w0_z, u_post, u_will, u_portal, u_resp, g_shape, u_item, nu_z, u_cover, u_cover2,
        u_norater, u_blank, meas_eps, u_gap, u_pp, u_pp_lag, u_self, u_self_lag, u_niv, u_niv_lag, u_gas, u_gas_lag,
        u_wd, u_loss, u_dose, u_more, u_more_lag, u_viab, u_pass, u_lot, u_ae, u_ae_t))  # fmt: skip
    fg0 = fg_c[alive]
    del fg_c
    birth_year = (pd.to_datetime(onset_day, unit="D").year.to_numpy() - np.floor(age)).astype(int)
    code = np.array([0, 1, 1, 2, 3])[r0]
    escorial = np.array(["definite", "probable", "probable_lab", "possible", None], dtype=object)[
        np.searchsorted([0.22, 0.6, 0.77, 0.94], u_esc)]  # fmt: skip
    genetics = np.where(u_gen < 0.07, "C9orf72", np.where(u_gen < 0.09, "SOD1", None)).astype(object)
    riluzole = np.where(u_ril < 0.85, "true", np.where(u_ril < 0.97, "false", None)).astype(object)
    edaravone = np.where(u_eda < 0.05, "true", np.where(u_eda < 0.9, "false", None)).astype(object)
    f0 = np.clip(97 + 12 * f0_z, 60, 130)
    w0 = np.clip(np.where(sex_m, 80 + 12 * w0_z, 66 + 11 * w0_z), 42, 140)
    n_site = POSTS[site]
    primary = POST_FIRST[site] + np.minimum(np.floor(u_post * n_site), n_site - 1).astype(int)
    willing = (u_will < P_WILL) | (not on("unwilling"))
    portal = (u_portal < P_PORTAL) & on("portal")
    lot_list = lottery(seed, n)
    coast_form = _days(COAST_FORM)

    def holder(post: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rater, vacant) of ``post`` on days ``d``."""
        h = np.maximum((h_start[post] <= d[:, None]).sum(1) - 1, 0)
        return post * N_HOLDERS + h, d > h_end[post, h]

    def rater_of(gi: np.ndarray, d: np.ndarray, slot: int) -> np.ndarray:
        """Who rates the reviews of patients ``gi`` on days ``d``: their post's holder, or a colleague's."""
        s = site[gi]
        ns = POSTS[s]
        own = primary[gi] - POST_FIRST[s]
        cover = u_cover[gi, slot] >= P_PRIMARY if on("continuity") else np.ones(len(gi), bool)
        if on("continuity"):
            other = (own + 1 + np.floor(u_cover2[gi, slot] * (ns - 1)).astype(int)) % ns
        else:
            other = np.minimum(np.floor(u_cover2[gi, slot] * ns).astype(int), ns - 1)
        local = np.where(cover, other, own)
        rater, vacant = holder(POST_FIRST[s] + local, d)
        for step in range(1, 4):  # the next filled post of the site when the chosen one is vacant
            if not vacant.any():
                break
            alt, alt_vacant = holder(POST_FIRST[s] + (local + step) % ns, d)
            use = vacant & ~alt_vacant & (step < ns)
            rater = np.where(use, alt, rater)
            vacant &= ~use
        return rater

    def run(cw: dict, decide: bool) -> dict[str, np.ndarray]:
        """The registry's contacts of the rows ``cw["rows"]`` on their course (``knots``, ``drho`` the treatment's,
        none for the untreated course; ``fg`` the course on death's grid)."""
        idx = cw["rows"]
        r = len(idx)
        knots, drho = cw.get("knots"), cw.get("drho")
        on_d, dx_d, s_r = onset_day[idx], diag_day[idx], site[idx]
        fg = cw["fg"]
        vday = np.full((r, SLOTS), -1, np.int64)
        vtype = np.zeros((r, SLOTS), np.int64)
        vrater = np.full((r, SLOTS), -1, np.int64)
        items = np.full((r, SLOTS, 12), np.nan, np.float32)
        meas = np.full((r, SLOTS, 2), np.nan)  # FVC, weight
        crit = np.full((r, N_REV), np.inf)
        done = np.zeros(r, bool)
        death_t = death_time(fg, idx, np.full(r, np.inf))
        dead_day, wd_day, stop_day = np.full(r, BIG), np.full(r, BIG), np.full(r, BIG)
        lost = np.zeros(r, bool)
        niv_day, gas_day = np.full(r, BIG), np.full(r, BIG)
        last_tot, last_day = np.full(r, np.nan), np.full(r, -1, np.int64)
        w_first = np.full(r, np.nan)
        nxt = dx_d.copy()

        def ddays(g: np.ndarray) -> np.ndarray:
            return on_d[g] + np.ceil(np.minimum(death_t[g], 1e4) * DPM).astype(np.int64)

        def rate(g: np.ndarray, d: np.ndarray, slot: int, self_rated: bool):
            gi = idx[g]
            t = (d - on_d[g]) / DPM
            kn = None if knots is None else knots[g]
            f = frac(gi, t, kn, None if drho is None else drho[g])
            x = _logit(f)[:, DOMAIN] - ITEM_M
            if on("visit_day"):
                x = x + NU_SD * nu_z[gi, slot].astype(np.float64)[:, None]
            rater = np.full(len(g), -1)
            x0 = x
            if not self_rated:
                rater = rater_of(gi, d, slot)
                months = np.maximum(d - r_start[rater], 0) / DPM
                x = x + r_item[rater] + (newc[rater] * np.exp(-months / NEW_MONTHS))[:, None]
            ui = u_item[gi, slot][..., None]
            it = (ui < _at_least(x)).sum(-1).astype(np.float64)
            niv_on = niv_day[g] <= d
            it[:, 11] = np.where(niv_on, np.minimum(it[:, 11], 3), it[:, 11])
            seen = it
            if not self_rated and not on("raters_in_rule"):  # what the rule reads: the same draws, no reading
                seen = (ui < _at_least(x0)).sum(-1).astype(np.float64)
                seen[:, 11] = np.where(niv_on, np.minimum(seen[:, 11], 3), seen[:, 11])
            if self_rated and on("portal_gaps"):
                it[u_blank[gi, slot] < P_BLANK] = np.nan
            me = meas_eps[gi, slot].astype(np.float64)
            fvc = f0[gi] * (0.1 + 0.9 * f[:, RESP]) - 4 * (1 - f[:, BUL]) + 4 * me[:, 0]
            fvc = np.clip(np.rint(fvc), 5, 150)
            wt = w0[gi] * (1 - 0.1 * (1 - f[:, BUL]) - 0.05 * (1 - f.mean(1))) + 0.8 * me[:, 1]
            wt = np.round(np.clip(wt, 25, 200), 1)
            vday[g, slot] = d
            vtype[g, slot] = REMOTE if self_rated else SCHED
            vrater[g, slot] = rater
            items[g, slot] = it
            if not self_rated:
                meas[g, slot] = np.stack([fvc, wt], 1)
            return it, seen, fvc, wt

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
            it, seen, fvc, wt = rate(g, d, 2 * kk, False)
            tot, tot_seen = it.sum(1), seen.sum(1)
            w_first[g] = np.where(np.isnan(w_first[g]), wt, w_first[g])
            if decide and kk >= 1:
                months = (d - last_day[g]) / DPM
                decline = (last_tot[g] - tot_seen) / months
                a_now = pd.to_datetime(d, unit="D").year.to_numpy() - birth_year[gi]
                elig = (tot_seen >= TOT_MIN) & (fvc >= FVC_MIN) & ((d - on_d[g]) / DPM <= ONSET_MAX)
                elig &= (a_now <= AGE_MAX) & (niv_day[g] > d) & (gas_day[g] > d) & willing[gi]
                if on("decline_criterion"):
                    elig &= decline >= DECLINE_MIN
                score = rule_score(tot_seen, decline, a_now, s_r[g], on)
                ul = np.clip(lot_list[gi, kk], 1e-12, 1 - 1e-12)
                crit[g, kk] = np.where(elig, np.log(ul) - np.log1p(-ul) - score, np.inf)
            last_tot[g], last_day[g] = tot_seen, d
            # NIV and gastrostomy offered
            no = (niv_day[g] == BIG) & on("niv") & (u_niv[gi, kk] < P_NIV) & ((fvc < 50) | (it[:, 10] <= 2))
            if no.any():
                gn = g[no]
                niv_day[gn] = d[no] + 7 + np.floor(u_niv_lag[gi[no], kk] * 22).astype(np.int64)
                death_t[gn] = death_time(fg[gn], idx[gn], (niv_day[gn] - on_d[gn]) / DPM)
            go = (gas_day[g] == BIG) & on("gastrostomy") & (u_gas[gi, kk] < P_GAS)
            go &= (it[:, 2] <= 2) | (wt <= 0.9 * w_first[g])
            gas_day[g] = np.where(go, d + 14 + np.floor(u_gas_lag[gi, kk] * 29).astype(np.int64), gas_day[g])
            # hospice, loss
            wd = (tot < 16) & (u_wd[gi, kk] < P_WD) & on("withdrawal")
            wd_day[g] = np.where(wd, d + 1 + np.floor(u_wd[gi, kk] / P_WD * 30).astype(np.int64), wd_day[g])
            gross = it[:, 6:9].sum(1)
            p_loss = np.where((gross <= 4) & on("informative_loss"), 0.03, 0.003)
            gone = ~wd & (u_loss[gi, kk] < p_loss) & on("loss")
            lost[g[gone]] = True
            stop = wd | gone
            stop_day[g[stop]] = d[stop]
            done[g[stop]] = True
            # the next review, and a portal rating before it
            target = d + 77 + np.floor(u_gap[gi, kk] * 29).astype(np.int64)
            pp = (u_pp[gi, kk] < P_POSTPONE) & on("postponements")
            target = target + np.where(pp, 28 + np.floor(u_pp_lag[gi, kk] * 43).astype(np.int64), 0)
            nr = clinic_day(target, s_r[g])
            sd_ = d + 35 + np.floor(u_self_lag[gi, kk] * 22).astype(np.int64)
            mk = ~stop & portal[gi] & (u_self[gi, kk] < P_SELF) & (sd_ < nr) & (sd_ < ddays(g)) & (sd_ <= lock_day)
            if mk.any():
                rate(g[mk], sd_[mk], 2 * kk + 1, True)
            nxt[g] = np.where(stop, BIG, nr)
        dd = ddays(np.arange(r))
        pend = wd_day < BIG
        first_death = pend & (dd < wd_day)
        dead_day = np.where(first_death & (dd <= lock_day), dd, dead_day)
        wd_day = np.where(pend & ~first_death & (wd_day <= lock_day), wd_day, BIG)
        return {"fol": vday >= 0, "vday": vday, "vtype": vtype, "vrater": vrater, "items": items, "meas": meas,
                "crit": crit, "dead_day": dead_day, "wd_day": wd_day, "lost": lost & (wd_day == BIG),
                "niv_day": niv_day, "gas_day": gas_day, "stop_day": stop_day, "death_phys": dd}  # fmt: skip

    rows_n = np.arange(n)
    natural = run({"rows": rows_n, "fg": fg0}, True)
    target_n = round(treated_share * n)
    cstar = natural["crit"].min(1)
    cut = share_cutoff(cstar, target_n)
    decided = cstar < cut
    k_dec = (natural["crit"] < cut).argmax(1)
    dec_day = np.where(decided, natural["vday"][rows_n, 2 * k_dec], 0)
    dose_day = np.zeros((n, N_DOSES), np.int64)
    dose_day[:, 0] = dec_day + DOSE_LAG[0] + np.floor(u_dose * (DOSE_LAG[1] - DOSE_LAG[0] + 1)).astype(np.int64)
    for q in range(1, N_DOSES):
        lo, hi = DOSE_GAP
        dose_day[:, q] = dose_day[:, q - 1] + lo + np.floor(u_more_lag[:, q - 1] * (hi - lo + 1)).astype(np.int64)
    d1 = dose_day[:, 0]
    treated = decided & (d1 <= lock_day) & (natural["death_phys"] > d1) & (natural["stop_day"] > d1)
    treated &= natural["wd_day"] > d1
    p = np.flatnonzero(treated)
    t1 = np.where(treated, (d1 - onset_day) / DPM, np.inf)
    consent = np.concatenate([np.ones((n, 1), bool), (u_more < 0.9) & on("further_doses")], 1)
    consent = np.cumprod(consent, 1).astype(bool)
    viability = np.round(85 + 13 * u_viab**0.7, 1)
    passage = (3 + np.floor(u_pass * 3)).astype(int)
    res = {key: val.copy() for key, val in natural.items()}
    res0 = {key: val[p] for key, val in natural.items()}
    given = np.zeros((n, N_DOSES), bool)
    knots = (dose_day[p] - onset_day[p, None]) / DPM
    drho = np.zeros((len(p), N_DOSES))
    if len(p):
        if effect != 0:
            t1p = t1[p]
            e_now = _expected(frac(p, t1p), np.zeros(len(p)), curves)
            e_next = _expected(frac(p, t1p + 1.0), np.zeros(len(p)), curves)
            slope = np.maximum(e_now - e_next, RATE_FLOOR)
            g_resp = np.where(u_resp[p] < P_NONRESP, 0.0, g_shape[p]) if on("response_spread") else np.ones(len(p))
            rho = np.minimum(effect * g_resp / slope, RHO_CAP)
            steps = BUILD_UP if on("build_up") else np.array([1.0, 0.0, 0.0])
            drho = rho[:, None] * steps[None, :] * consent[p]
        fg1 = frac(p, np.broadcast_to(tgrid, (len(p), NG + 1)), knots, drho)
        res1 = run({"rows": p, "fg": fg1, "knots": knots, "drho": drho}, False)
        alive = (res1["death_phys"][:, None] > dose_day[p]) & (res1["stop_day"][:, None] > dose_day[p])
        alive &= res1["wd_day"][:, None] > dose_day[p]
        given[p] = consent[p] & alive & (dose_day[p] <= lock_day)
        given[p] = np.cumprod(given[p], 1).astype(bool)
        for key in res:
            res[key][p] = res1[key]

    def truth_f(t: np.ndarray, treated_course: bool) -> np.ndarray:
        return frac(p, t, knots if treated_course else None, drho if treated_course else None)

    return _tables(n, onset_day, diag_day, birth_year, sex_m, code, site, res, given, dose_day, viability, passage,
                   (u_ae, u_ae_t, u_lot, on("adverse_events")), (escorial, genetics, riluzole, edaravone),
                   (p, t1, res0, truth_f, effect, curves), dec_day if record_occasions else None,
                   (record_raters, on("rater_gaps"), u_norater, coast_form))  # fmt: skip


def _tables(n, onset_day, diag_day, birth_year, sex_m, code, site, res, given, dose_day, viability, passage, aes,
            recorded, truth_in, dec_day, raters) -> WorldCohort:  # fmt: skip
    """The canonical tables of the recorded run ``res`` and the truths."""
    u_ae, u_ae_t, u_lot, ae_on = aes
    escorial, genetics, riluzole, edaravone = recorded
    p, t1, res0, truth_f, effect, curves = truth_in
    record_raters, gaps_on, u_norater, coast_form = raters
    fol, vday = res["fol"], res["vday"]
    ids = np.array([f"W20{i:05d}" for i in range(n)])
    events, gastro_day = follow_up_events(ids, onset_day, np.where(fol, vday, -1).max(1), _days(LOCK), res["dead_day"],
                                          res["wd_day"], res["lost"],
                                          {"niv_start": res["niv_day"], "gastrostomy": res["gas_day"]}, 6.0)  # fmt: skip
    alsfrs = item_rows(ids, res["items"].astype(np.float64), fol, vday, gastro_day)
    pi, vi = np.nonzero(fol)
    vt = res["vtype"][pi, vi]
    alsfrs["assessor"] = np.where(vt == REMOTE, "self", "clinician")
    if dec_day is not None:
        alsfrs["visit_type"] = VISIT_TYPES[vt]
    if record_raters:
        rater = res["vrater"][pi, vi]
        shown = (rater >= 0) & (vt == SCHED)
        if gaps_on:
            shown &= (u_norater[pi, vi] >= P_NO_RATER) & ((site[pi] != 2) | (vday[pi, vi] >= coast_form))
        alsfrs["rater"] = np.where(shown, RATER_IDS[np.maximum(rater, 0)], None).astype(object)
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
    # nothing after the end of follow-up: a dose is recorded only while followed
    end_days = end_of_follow_up(events, ids)
    give = doses_while_followed(given, dose_day, end_days)
    pg, kg = np.nonzero(give)
    lots = (2016 + np.floor(u_lot * 10)).astype(int) * 1000 + np.floor(u_lot * 1e5 % 997).astype(int)
    treatments = pd.DataFrame({
        "treatment_id": [f"{ids[i]}-T{q + 1}" for i, q in zip(pg, kg, strict=True)], "patient_id": ids[pg],
        "date": pd.to_datetime(dose_day[pg, kg], unit="D"), "cycle": kg + 1, "cell_source": "wharton_jelly",
        "donor": "allogeneic", "route": "intrathecal", "dose_cells": DOSE_CELLS,
        "lot": [f"WJ-{x}" for x in lots[pg, kg]], "viability_pct": viability[pg, kg], "passage": passage[pg, kg],
    })  # fmt: skip
    if dec_day is not None:
        treatments["decision_date"] = pd.to_datetime(dec_day[pg], unit="D")
    treatments = treatments.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    hit = give[..., None] & (u_ae < AE_P[None, None]) & ae_on
    ai, ak, aj = np.nonzero(hit)
    lo, hi = AE_SPAN[aj, 0], AE_SPAN[aj, 1]
    start = dose_day[ai, ak] + np.where(aj == 2, 0, 1)
    span = lo + np.floor(u_ae_t[ai, ak, aj] * (hi - lo + 1)).astype(np.int64)
    keep_ae = start < end_days[ai]
    resolved = np.where(start + span < end_days[ai], start + span, -1)
    adverse = pd.DataFrame({
        "ae_id": [f"{ids[i]}-T{q + 1}-AE{j + 1}" for i, q, j in zip(ai, ak, aj, strict=True)],
        "patient_id": ids[ai], "onset_date": pd.to_datetime(start, unit="D"),
        "resolved_date": pd.to_datetime(np.where(resolved >= 0, resolved, 0), unit="D").where(resolved >= 0),
        "term": AE_TERMS[aj], "grade": np.where(u_ae_t[ai, ak, aj] > 0.85, 2, 1), "serious": False,
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
    f1 = np.where((tt > t1[p, None])[..., None], truth_f(tt, True), truth_f(tt, False))
    e1 = _expected(f1, days >= res["niv_day"][p, None], curves)
    e0 = _expected(truth_f(tt, False), days >= res0["niv_day"][:, None], curves)
    z = np.zeros_like(fol[p])
    truths = cohort_truths(e1, e0, since, np.concatenate([fol[p], z], 1), np.concatenate([z, res0["fol"]], 1), effect)
    return WorldCohort(tables, float(effect), len(p), *truths)


__all__ = [
    "DECISION_AT_EVERY_VISIT", "DECISION_LAG_DAYS", "DECISION_VISIT_TYPES", "ITEMS", "LEAVE_OUT_VISIT_TYPES",
    "PIECES", "RATER_IDS", "RECORDED_RULE_INPUTS", "WorldCohort", "lottery", "rule_score", "simulate_world20",
]  # fmt: skip

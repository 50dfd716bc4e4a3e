"""An eighteenth data-generating mechanism, held out and written blind: from the canonical format
(spec/data-format.md, spec/domain-rules.md), the docstrings of the second to seventeenth worlds (so as to differ from
them), the seventeenth and sixteenth worlds' code and tests as an example of the interface and ALS clinical knowledge,
without reading the estimators, their documentation pages or any calibration result, and without running any
estimator.

The other worlds use sigmoid, linear-quadratic, Markov-plateau, change-point, domain-ramp, item-Poisson,
subtype-random-walk, power-law, drift-with-steps, Gompertz-reserve, coupled-propagation, burden-clock,
spreading-front, gamma-process, metabolic-feedback, cortical-times-segmental and two-stage-chain courses; their
items, visits, decisions, effects and endings are listed in the seventeenth world's docstring and the earlier ones.
This world is a two-site registry whose centre runs an immunomodulation programme of allogeneic bone-marrow MSCs,
intrathecal and intravenous, with visits of its own, and differs in every piece (every constant below is an
assumption unless a source is named):

* **course: a glia-neuron feedback loop in each domain; onset cell-autonomous, progression driven by the glia.**  In
  domain d (bulbar, arm, leg, respiratory: the ALSFRS-R domains, Cedarbaum et al., J Neurol Sci 1999;169:13-21) the
  functioning fraction of motor neurons N and the glial activation A (0-1) follow N' = −(k_d + β·A)·N and A' =
  (γ·(1 − N) + ε·Σ_j W_dj·A_j)·(1 − A) − δ·A: neurons die of their own disease (k_d) and are killed by activated
  microglia and astrocytes (β), whose activation is driven by the neurons' damage (γ) and by the activation of
  contiguous regions (ε; W 1 for bulbar-arm, arm-leg and arm-respiratory, 0.5 for bulbar-respiratory and
  leg-respiratory, 0.2 for bulbar-leg) and resolves at δ.  Mutant SOD1 in microglia sets the pace of progression but
  not the onset (Boillée et al., Science 2006;312:1389-1392); microglial activation is seen in ALS in vivo (Turner et
  al., Neurobiol Dis 2004;15:601-609); glial activation as a feedback on motor neuron injury: Philips & Robberecht,
  Lancet Neurol 2011;10:253-263; spread to contiguous regions: Ravits & La Spada, Neurology 2009;73:805-811.  At
  onset the onset domain has N = 0.9 and A = 0.1 (generalized: every domain 0.95 and 0.05), the others N = 1, A = 0.
  k_d = K0·π·e^{0.2·z_d}, × 0.2 outside the onset domain; π = e^{0.55·z + 0.012·(age − 63) + 0.15·bulbar} the
  patient's pace (older and bulbar onset faster: Chiò et al., Amyotroph Lateral Scler 2009;10:310-323); β =
  B0·e^{0.3·z_β}·√π, γ = 0.3, δ = 0.12, ε = 0.04·e^{0.3·z_ε}, K0 = 0.022, B0 = 0.046, all per month.  Heun steps of
  half a month, linear between.  Onset: bulbar 28%, arm 34%, leg 33% (both written ``limb``), respiratory 3%,
  generalized 2%; men 60%; age at onset N(62, 11²) within 30-88;
* **items: a grouped complementary log-log (proportional-hazards ordinal) model with a per-domain shift at each visit
  and the raters' own leniencies.**  Item j of domain d, at location x_j = logit(N_d) − m_j, is rated c or more with
  probability 1 − exp(−exp(α·(x_j − 0.7·(c − 2.5)) + ℓ + τ_d)), c = 1..4, α = 3 (cumulative cloglog: McCullagh, J R
  Stat Soc B 1980;42:109-142; Gumbel errors, skewed): m_j = 1.2 for the item a domain loses first (speech,
  handwriting, stairs, dyspnea), 0.5 for the middle one (swallowing, cutting food, walking, orthopnea), −0.2 for the
  last (salivation, dressing, turning in bed, respiratory insufficiency); τ_d ~ N(0, 0.3²) shared by a domain's
  three items at a visit (local dependence within a domain: a testlet, Wainer, Bradlow & Wang, Testlet Response
  Theory and Its Applications, CUP 2007); ℓ the leniency of the visit's rater, one of the clinic's 8 raters (video
  reviews too) or the programme's 2, drawn uniformly, each rater's leniency N(0, 0.25²) drawn once per world (ratings
  are correlated across patients through their raters).  Drawn by inversion at a stored uniform per item.  19% of
  consecutive untreated totals rise and 11% repeat; the residual SD about a patient's quadratic is 1.6 points.  On
  NIV q12 is at most 3; after a gastrostomy item 5 is q5b (spec/domain-rules.md).  Video reviews (assessor ``phone``;
  telephone ALSFRS-R agrees well with clinic ratings, Kaufmann et al., Amyotroph Lateral Scler 2007;8:42-46, so no
  offset) leave each item blank with probability 0.008 (their total missing: the only partial rows);
* **visits: a calendar clinic with closures and a backlog, winter video reviews, the programme's own visits.**  The
  diagnosis (the first review) follows the patient's own delay, 1 + 4·Gamma(2, 1)·π^−0.5 months, and the neurology
  clinic's wait, 2.5·e^{0.4·N(0, 1)}·b months, on the next open clinic Tuesday (median delay 10.1 months; about a
  year: Paganoni et al., Amyotroph Lateral Scler Frontotemporal Degener 2014;15:453-456).  Reviews are booked 12 weeks
  on (8 once NIV or a gastrostomy is recorded) plus the clinic's waiting time 10·b days, on the next Tuesday the
  clinic is open (closed 1-21 August and 22 December-4 January): b is the clinic's backlog in that calendar month, a
  log-AR(1) process (0.85, innovations sd 0.12) shared by every patient; the median interval is 98 days
  (multidisciplinary review about every 3 months: Miller et al., Neurology 2009;73:1218-1226).  A review after the
  diagnosis that falls in December-February is a video review (``remote``, nothing measured) when NIV is recorded or
  the last recorded walking q8 is at most 1 (winter travel).  In-person reviews (``scheduled``) measure FVC %
  predicted (``fvc_pct_pred``) F0·(0.08 + 0.92·N_resp^1.1) − 6·(1 − N_bul) + N(0, 4²), rounded, F0 ~ N(100, 12²)
  within 65-130 (untreated: first value's median 90%, falling 1.7 %/month on average), and weight (``weight_kg``)
  W0·(1 − 0.12·(1 − N_bul) − 0.06·(1 − N̄)) + N(0, 0.7²), W0 ~ N(80, 12²) men, N(66, 11²) women.  The programme's
  visits (``unscheduled``): at an in-person review after the diagnosis with a complete total of at least 24, at most
  30 months after ``diagnosis_date``, no ``niv_start`` and no ``gastrostomy`` recorded and age (review year −
  ``birth_year``) at most 75, the neurologist refers the patient to the cell centre (once; the patient agrees with
  probability 0.8 at each such review: 72% are referred), which sees him 14-35 days later and then 6, 12 and 18 months
  after that first visit (± 14 days), each on the next open Thursday, treated or not, while followed: rated by the
  programme's raters, with plasma IL-6 (``il6``, specimen plasma) 1.8·e^{1.6·Ā + 0.4·z_IL + 0.3·ε} pg/mL, Ā the mean
  glial activation (raised in ALS: Lu et al., Neurol Neuroimmunol Neuroinflamm 2016;3:e244; first value's median 2.9),
  and the CNS Bulbar Function Scale (``cnsbfs``, 21-112, higher worse: Smith et al., Eur J Neurol 2018;25:907-e66)
  21 + 75·(1 − N_bul)^1.3 + N(0, 3²), rounded.  Untreated rows: 73% in-person reviews, 20% programme visits, 7% video
  reviews.  :data:`LEAVE_OUT_VISIT_TYPES` is empty: every row reads the same scale;
* **who is treated: the programme decides at its own visits** (:data:`DECISION_VISIT_TYPES` ``("unscheduled",)``)
  **on eligibility, points and its allocation list.**  Eligible: the visit's total complete and at least 24, at most
  42 months since ``onset_date``, age at most 75, no ``niv_start`` and no ``gastrostomy`` recorded on or before it,
  the visit's CNS-BFS at most 55 (a safe swallow for the procedures).  Chosen when logit(u) < c + s: s =
  :func:`rule_score` (0.9·ln(IL-6/3) + 0.05·(total − 36) − 0.03·(age − 60) + 0.4 at CENTRE, −0.4 at DISTRICT: the
  programme targets systemic inflammation), u the visit's number on the allocation list (:func:`lottery`, seeded by
  (seed, 18)), independent of the course.  c sets at most round(share·n) patients (the first programme visit where
  the criterion falls under c; 63% of the patients are ever eligible).  The referral that makes the occasions reads
  recorded facts and the patient's agreement only.  The cells are cryopreserved and off the shelf: the first dose
  10-24 days after the decision (:data:`DECISION_LAG_DAYS` 10), 5×10⁷ intrathecally; then 1×10⁸ intravenously 28-35
  days later, again 56-63 days after that, and 5×10⁷ intrathecally 84-98 days after that (each with probability 0.9
  and while alive, followed and before the lock; intrathecal and intravenous bone-marrow MSCs: Karussis et al., Arch
  Neurol 2010;67:1187-1194); each lot's viability recorded (``viability_pct`` 70-98%).  Adverse events per dose:
  intrathecal headache 2.5%, fever 2%, puncture-site pain 1.7% (allogeneic intrathecal, spec/domain-rules.md),
  meningism 0.5%; intravenous fever 4%, infusion reaction (``allergic_reaction``) 3%, thromboembolism 0.3% (grade 3,
  serious);
* **effect: each dose knocks the glial activation down at once, and the feedback rebuilds it.**  At the first grid
  point on or after each dose, A ← A·(1 − φ·w·π_q) in every domain: w = 1 intrathecal and 0.5 intravenous (cells
  given intravenously are mostly held in the lungs: Fischer et al., Stem Cells Dev 2009;18:683-692), π_q = the lot's
  viability/90, and no effect of the doses after the first in the 30% who are sensitised to the donor (allo-
  antibodies); φ = min(0.9, E·g/R_A), R_A the expected clinic-rated total's loss rate due to the activation at the
  first dose (points/month, at least 0.25; its median 0.58, two thirds of the total's), g ~ Gamma(3, mean 1): right
  after an intrathecal dose of a 90% lot a patient with g = 1 loses about E points/month less (the cap binds for 45%
  of the treated at E = 0.5).  The activation then returns at the feedback's own pace, so the gain ebbs between the
  doses and after the last.  The kept function delays NIV, gastrostomy and death and lowers IL-6.  (Measured once the
  constants were set, not tuned, on 3,000 patients, 30% treated, seed 1: the expected-total difference divided by the
  months since the first dose averages 0.74·E at E = 0.2 and 0.56·E at E = 0.5 over the visits 0.5-3 months after
  it, 0.75·E and 0.54·E over 3-9, 0.64·E and 0.44·E over 9-15, 0.45·E and 0.30·E over 15-24, 0.27·E and 0.16·E over
  24-36; ``truth_window`` 0.083 and 0.137, ``truth_realised`` 0.094 and 0.167.)  E = 0 gives φ = 0 and the same course
  with and without cells;
* **follow-up ends by cause-specific hazards with a winter excess, palliative care at a low FVC, loss from the
  district and two data locks.**  Death at h_R + h_P per month against an Exp(1) draw (on the half-month grid):
  respiratory failure h_R = 0.0022·e^{5·(1 − N_resp)}, × 0.55 from NIV when N_bul ≥ 0.5 at its start and × 0.85
  otherwise (Bourke et al., Lancet Neurol 2006;5:140-147); aspiration pneumonia and other causes h_P = 0.03·(1 −
  N_bul)²·(1 + 0.6·cos(2π·(day − 15 January)/365.25))·(2 − N_resp) + 0.0006·e^{0.07·(age − 62)}, peaking in
  mid-January (the winter season of respiratory infections: Dowell, Emerg Infect Dis 2001;7:369-374).  NIV offered at
  an in-person review with a recorded FVC below 45%, or below 60% with a recorded dyspnea q10 at most 3 (Miller et al.
  2009), accepted 50% at each offer, started 7-28 days later; a gastrostomy at an in-person review with a recorded q3
  at most 2 or a weight at most 92% of the first (Andersen et al., EFNS guideline, Eur J Neurol 2012;19:360-375), or
  at a programme visit with a CNS-BFS of 70 or more, accepted 25% at each offer, placed 14-42 days later (untreated,
  50% have NIV recorded and 50% a gastrostomy).  After an in-person review with a recorded FVC below 40% the patient
  moves to palliative care (``withdrawal``, 1-30 days later) with probability 0.08; after an in-person review a
  DISTRICT patient whose last recorded q8 is at most 1 is followed locally from then on (lost, declared 4 months after
  the last visit) with probability 0.08, after any other review 0.003.  DISTRICT's data sharing ended with its lock on
  2025-06-30, CENTRE's lock is 2025-12-31 (:data:`LOCKS`); patients diagnosed from 2016-01-01 to two months before
  their site's lock, alive at diagnosis; onsets 2011-2025.  Deaths after a loss or a withdrawal are unknown.

Calibration, measured on ``simulate_world18(3000, 0.0, 0.0, 1)`` once the constants were set (K0, B0, the item
locations, α, the delays and H_R0): the per-patient least-squares slope of the complete totals on months (2,863
patients with two or more spanning 3 months) averages -1.02 points/month, median -0.98, 95% of patients between
-2.04 and -0.29 (-0.99 PRO-ACT, -0.89 population-based, spec/domain-rules.md); the first recorded total's median 42;
the diagnostic delay's median 10.1 months; median survival from onset 41 months (Kaplan-Meier, entry at diagnosis,
censored at the site's lock or, for the lost and withdrawn, at the last visit; 30-45 months in population cohorts).
3,000 patients take about 1 s untreated, 1 s with 30% and 1.5 s with 60% treated.

:data:`PIECES` names the pieces ``off`` switches off without changing the random draws: all random numbers are
drawn first in a fixed order (the world's raters and backlog, then the patients'; a contact's uniforms follow its
slot: review k, programme visit j).  The untreated course decides who is referred and chosen; the treated course
shares it up to the first dose, and the visits do not depend on the cells except through the course.  ``truth`` is
E; ``truth_realised``, ``truth_window``, ``truth_observed`` from ``window_truth.cohort_truths`` on the expected
clinic-rated totals with and without cells (exact over the clinic's raters, the domain shift by Gauss-Hermite, less
on NIV the probability that q12 would read 4), zeros under E = 0.  With ``record_occasions=True`` the tables also
carry ``alsfrs.visit_type`` and ``treatments.decision_date`` (every dose the first's decision), with
``record_raters=True`` ``alsfrs.rater`` (added 2026-12-07, after the world was judged: the rater each visit already
drew, named); every other column is unchanged.
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

# what the programme's rule reads besides the ALSFRS-R totals (the referral to its visits included)
RECORDED_RULE_INPUTS = (
    "age", "time_since_onset", "time_since_diagnosis", "site", "ventilation", "gastrostomy", "il6", "cnsbfs",
)  # fmt: skip
DECISION_AT_EVERY_VISIT = False
DECISION_VISIT_TYPES = ("unscheduled",)  # the cell programme's own visits, with plasma IL-6 and the CNS-BFS
LEAVE_OUT_VISIT_TYPES = ()  # the winter video reviews are rated by the clinic's raters, without offset
DOSE_LAG = (10, 24)
DECISION_LAG_DAYS = DOSE_LAG[0]
DOSE_GAP = ((28, 35), (56, 63), (84, 98))  # dose q + 1 after dose q
N_DOSES = 4
ROUTES = np.array(["intrathecal", "intravenous", "intravenous", "intrathecal"])
DOSE_CELLS = np.array([5.0e7, 1.0e8, 1.0e8, 5.0e7])
PIECES = {
    "glial_feedback": "damage activating the glia (off: γ = 0)",
    "glial_spread": "glial activation spreading to neighbouring regions (off: none)",
    "patient_pace": "the patients' own paces (off: the median pace; age and onset site kept)",
    "domain_testlet": "the per-domain shift at each visit (off: none)",
    "rater_leniency": "the raters' own leniencies (off: all 0)",
    "video_reviews": "winter reviews by video for the ventilated and the non-walking (off: in the clinic)",
    "video_gaps": "items left blank on a video review (off: none)",
    "clinic_calendar": "clinic days (Tuesday, Thursday) and closures (off: the booked day itself)",
    "backlog": "the clinic's waiting time (off: none)",
    # the backlog's two parts (added 2026-12-07, after the world was judged, to find where its lean comes from;
    # both off is the backlog off)
    "backlog_diagnosis": "the backlog in the neurology clinic's wait for the diagnosis (off: its mean, b = 1)",
    "backlog_reviews": "the clinic's waiting time for the reviews (off: none)",
    "backlog_drift": "the backlog's drift from month to month (off: b = 1 every month, a constant wait)",
    # added 2026-12-07 like the backlog's parts: does the raters' leniency act through who the programme treats?
    "leniency_in_rule": "the programme's rule reads the totals its raters recorded (off: the same item draws without "
    "the rater's leniency)",
    # added 2026-12-07 (thirty-eighth session): the other half — does a perfect correction of the ratings take the noise?
    "leniency_in_ratings": "the recorded ratings carry their rater's leniency (off: the same item draws without it are "
    "recorded, while every decision of the clinic and the programme reads the ratings as made)",
    "close_follow_up": "8-weekly reviews once NIV or a gastrostomy is recorded (off: 12-weekly)",
    "niv": "NIV offered and started (off: none)",
    "gastrostomy": "gastrostomy offered and placed (off: none)",
    "death": "death by respiratory failure, pneumonia and other causes (off: none)",
    "winter_excess": "the winter excess of fatal pneumonia (off: none)",
    "palliative": "withdrawal to palliative care at a low recorded FVC (off: none)",
    "loss": "loss to follow-up (off: none)",
    "site_locks": "DISTRICT's earlier data lock (off: both at CENTRE's)",
    "bulbar_safety": "the CNS-BFS criterion (off: not read)",
    "il6_preference": "the points by IL-6 (off: none)",
    "site_preference": "the points by site (off: none)",
    "further_doses": "the second to fourth doses (off: one dose)",
    "iv_weaker": "intravenous doses knocking the activation down half as much (off: as intrathecal)",
    "potency": "each lot's knock-down scaled by its recorded viability (off: 1)",
    "sensitisation": "no effect of later doses in sensitised patients (off: every dose acts)",
    "response_spread": "the spread of the response between patients (off: g = 1)",
    "adverse_events": "adverse events of the doses (off: none)",
}
SITES = np.array(["CENTRE", "DISTRICT"])
SITE_PTS = np.array([0.4, -0.4])
ONSET_FROM, ONSET_YEARS = pd.Timestamp("2011-01-01"), 15.0
OPENING = pd.Timestamp("2016-01-01")
LOCKS = (pd.Timestamp("2025-12-31"), pd.Timestamp("2025-06-30"))  # CENTRE, DISTRICT
LOCK = LOCKS[0]
EPOCH = pd.Timestamp(0)
BIG = np.iinfo(np.int64).max // 4
BUL, ARM, LEG, RESP = range(4)
DOMAIN = np.repeat(np.arange(4), 3)
ONSET_P = np.array([0.28, 0.34, 0.33, 0.03, 0.02])  # bulbar, arm, leg, respiratory, generalized
# contiguity weights of glial spread: bulbar-arm, arm-leg, arm-respiratory 1; bulbar-respiratory, leg-respiratory
# 0.5; bulbar-leg 0.2
W_SPREAD = np.array([[0, 1, 0.2, 0.5], [1, 0, 1, 1], [0.2, 1, 0, 0.5], [0.5, 1, 0.5, 0]])
K0, K_SD, K_OTHER = 0.022, 0.55, 0.2
B0, GAMMA, DELTA, EPS0 = 0.046, 0.3, 0.12, 0.04
N_ONSET = 0.9
ALPHA, STEP = 3.0, 0.7
M_FIRST, M_MID, M_LAST = 1.2, 0.5, -0.2
ITEM_M = np.array([M_FIRST, M_LAST, M_MID, M_FIRST, M_MID, M_LAST, M_LAST, M_MID, M_FIRST, M_FIRST, M_MID, M_LAST])
CUTS = np.arange(1, 5) - 2.5
TAU_SD, LEN_SD = 0.3, 0.25
N_CLINIC_RATERS, N_PROG_RATERS = 8, 2
# the pseudonyms alsfrs.rater records with record_raters=True: the clinic's raters, then the programme's
RATER_IDS = np.array([f"C{i + 1}" for i in range(N_CLINIC_RATERS)] + [f"P{i + 1}" for i in range(N_PROG_RATERS)])
GH_X, GH_W = np.polynomial.hermite_e.hermegauss(7)
GH_W = GH_W / GH_W.sum()
SCHED, REMOTE, UNSCHED = range(3)
VISIT_TYPES = np.array(["scheduled", "remote", "unscheduled"], dtype=object)
N_REV = 80  # clinic reviews at most (0 the diagnosis)
N_PROG = 4  # programme visits at most
SLOTS = N_REV + N_PROG
P_BLANK = 0.008
TUESDAY, THURSDAY = 1, 3
WAIT0 = 10.0  # the clinic's mean waiting time beyond the booked interval (days)
N_MONTHS = 12 * 18
H_R0, A_R, H_P0, WINTER = 0.0022, 5.0, 0.03, 0.6
NIV_HR = (0.55, 0.85)
BG0, BG_AGE = 0.0006, 0.07
P_REF, P_NIV, P_GAS, P_PAL = 0.8, 0.5, 0.25, 0.08
HG, NG = 0.5, 372  # the grid (months from onset)
RATE_FLOOR, F_CAP, IV_W, P_SENS = 0.25, 0.9, 0.5, 0.3
AE_TERMS = np.array(["headache", "fever", "injection_site_pain", "meningism", "allergic_reaction", "thromboembolism"])
AE_P = np.array([[0.025, 0.02, 0.017, 0.005, 0.0, 0.0], [0.0, 0.04, 0.0, 0.0, 0.03, 0.003]])  # intrathecal, intravenous
AE_SPAN = np.array([(1, 4), (1, 2), (1, 3), (2, 6), (0, 1), (14, 60)])
AE_REL = np.array(["probable", "possible", "definite", "probable", "probable", "possible"])
AE_GRADE3 = np.array([False, False, False, False, False, True])


def _days(ts: pd.Timestamp) -> int:
    return (ts - EPOCH).days


def lottery(seed: int, n_patients: int) -> np.ndarray:
    """The programme's allocation list: the uniform of the i-th patient's (``W18{i:05d}``) j-th programme visit
    (column j), from a stream of its own."""
    return np.random.default_rng([seed, 18]).random((n_patients, N_PROG))


def rule_score(il6, total, age, site, on=lambda piece: True) -> np.ndarray:
    """The programme's points: 0.9·ln(IL-6/3) + 0.05·(total − 36) − 0.03·(age − 60) + 0.4 at CENTRE (``site`` 0),
    −0.4 at DISTRICT (1)."""
    s = 0.05 * (np.asarray(total, float) - 36) - 0.03 * (np.asarray(age, float) - 60)
    if on("il6_preference"):
        s = s + 0.9 * np.log(np.asarray(il6, float) / 3.0)
    if on("site_preference"):
        s = s + SITE_PTS[np.asarray(site, int)]
    return s


def _psi(n: np.ndarray) -> np.ndarray:
    """The logit of the domains' functioning fractions."""
    n = np.clip(n, 1e-6, 1 - 1e-9)
    return np.log(n) - np.log1p(-n)


def _at_least(x: np.ndarray, shift: np.ndarray | float) -> np.ndarray:
    """P(item ≥ c), c = 1..4 (last axis), at the items' locations ``x`` and the shifts on the cloglog scale."""
    e = ALPHA * (x[..., None] - STEP * CUTS) + np.asarray(shift)[..., None]
    return -np.expm1(-np.exp(np.minimum(e, 6.0)))


def _item_curves(leniency: np.ndarray, tau_sd: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x grid, expected clinic rating, P(rating = 4)) of an item at location x, averaged over the clinic's raters
    and the domain's visit shift (Gauss-Hermite), tabulated finely (interpolated in :func:`_expected`)."""
    xs = np.linspace(-16, 16, 16001)
    ev, p4 = np.zeros_like(xs), np.zeros_like(xs)
    for lv in leniency:
        for gx, gw in zip(GH_X, GH_W, strict=True):
            pc = _at_least(xs, lv + tau_sd * gx)
            ev += gw * pc.sum(-1) / len(leniency)
            p4 += gw * pc[:, 3] / len(leniency)
    return xs, ev, p4


def _expected(n: np.ndarray, niv_on: np.ndarray, curves) -> np.ndarray:
    """The expected clinic-rated total at the domains' fractions ``n`` (... × 4), q12 at most 3 on NIV."""
    xs, ev, p4 = curves
    x = _psi(n)[..., DOMAIN] - ITEM_M
    return np.interp(x, xs, ev).sum(-1) - niv_on * np.interp(x[..., 11], xs, p4)


def _step(n, a, k, beta, gam, eps):
    """d(N, A)/dt of the glia-neuron feedback."""
    dn = -(k + beta * a) * n
    da = (gam * (1 - n) + eps * (a @ W_SPREAD.T)) * (1 - a) - DELTA * a
    return dn, da


def _heun(n, a, k, beta, gam, eps, h):
    dn1, da1 = _step(n, a, k, beta, gam, eps)
    dn2, da2 = _step(n + h * dn1, np.clip(a + h * da1, 0, 1), k, beta, gam, eps)
    return np.clip(n + h * (dn1 + dn2) / 2, 0.0, 1.0), np.clip(a + h * (da1 + da2) / 2, 0.0, 1.0)


def simulate_world18(
    n_patients: int,
    effect: float,
    treated_share: float,
    seed: int,
    off: frozenset[str] = frozenset(),
    record_occasions: bool = False,
    record_raters: bool = False,
) -> WorldCohort:
    """A cohort of ``n_patients`` from the eighteenth world, effect E = ``effect``, at most round(share·n)
    treated, the pieces of ``off`` switched off; ``record_occasions`` fills ``alsfrs.visit_type`` and
    ``treatments.decision_date``, ``record_raters`` ``alsfrs.rater`` (who rated each visit: the rater drawn for
    it, :data:`RATER_IDS`; the same draws, every other column unchanged either way)."""
    refuse_unknown(off, PIECES)

    def on(piece: str) -> bool:
        return piece not in off

    rng = np.random.default_rng(seed)
    n, m = int(n_patients), 2 * int(n_patients) + 100
    # all random numbers first, in a fixed order: the world's raters and the clinic's backlog, then the patients
    leniency = rng.normal(0, LEN_SD, N_CLINIC_RATERS + N_PROG_RATERS)
    backlog_z = rng.normal(0, 1, N_MONTHS)
    site_u, sex_u, reg_u = (rng.random(m) for _ in range(3))
    age = np.clip(rng.normal(62, 11, m), 30, 88)
    onset_day = _days(ONSET_FROM) + rng.integers(0, int(ONSET_YEARS * 365.25), m)
    z_k, z_b, z_s, z_w = (rng.normal(0, 1, m) for _ in range(4))
    z_d = rng.normal(0, 1, (m, 4))
    pt_delay = rng.gamma(2.0, 1.0, m)
    death_e = rng.exponential(1.0, m)
    u_esc, u_gen, u_ril, u_eda, u_sens = (rng.random(m) for _ in range(5))
    f0_z, w0_z, il_z = rng.normal(0, 1, m), rng.normal(0, 1, m), rng.normal(0, 1, m)
    g_shape = rng.gamma(3.0, 1 / 3, m)
    u_item = rng.random((m, SLOTS, 12), dtype=np.float32)
    tau_z = rng.standard_normal((m, SLOTS, 4), dtype=np.float32)
    u_rater = rng.random((m, SLOTS), dtype=np.float32)
    u_blank = rng.random((m, SLOTS, 12), dtype=np.float32)
    meas_eps = rng.standard_normal((m, SLOTS, 4), dtype=np.float32)  # FVC, weight, IL-6, CNS-BFS
    u_ref, u_niv, u_niv_lag, u_gas, u_gas_lag, u_pal, u_loss = (
        rng.random((m, N_REV), dtype=np.float32) for _ in range(7)
    )
    u_plag, u_pgas, u_pgas_lag = (rng.random((m, N_PROG)) for _ in range(3))
    u_dose, u_more, u_more_lag = rng.random(m), rng.random((m, N_DOSES - 1)), rng.random((m, N_DOSES - 1))
    u_viab, u_lot = rng.random((m, N_DOSES)), rng.random((m, N_DOSES))
    u_ae, u_ae_t = rng.random((m, N_DOSES, len(AE_TERMS))), rng.random((m, N_DOSES, len(AE_TERMS)))

    # the calendar: months, weekdays, closures, the clinic's backlog
    day_base = _days(ONSET_FROM) - 400
    cal = pd.date_range(EPOCH + pd.Timedelta(days=day_base), periods=int((N_MONTHS / 12 + 1) * 366), freq="D")
    cal_days = np.arange(day_base, day_base + len(cal))
    month_of = ((cal.year - (ONSET_FROM.year - 2)) * 12 + cal.month - 1).to_numpy()
    month_of = np.clip(month_of, 0, N_MONTHS - 1)
    winter_of = np.isin(cal.month, (12, 1, 2))
    closed = (
        ((cal.month == 8) & (cal.day <= 21))
        | ((cal.month == 12) & (cal.day >= 22))
        | ((cal.month == 1) & (cal.day <= 4))
    )
    weekday = cal.weekday.to_numpy()

    def next_open(day_of_week: int) -> np.ndarray:
        ok = (weekday == day_of_week) & ~closed
        pos = np.flatnonzero(ok)
        nxt_pos = pos[np.minimum(np.searchsorted(pos, np.arange(len(cal))), len(pos) - 1)]
        return cal_days[nxt_pos]

    tue, thu = next_open(TUESDAY), next_open(THURSDAY)
    log_b = np.zeros(N_MONTHS)
    for mm in range(1, N_MONTHS):
        log_b[mm] = 0.85 * log_b[mm - 1] + 0.12 * backlog_z[mm]
    backlog = np.exp(log_b) if on("backlog") and on("backlog_drift") else np.ones(N_MONTHS)

    def clinic_day(d: np.ndarray, table: np.ndarray) -> np.ndarray:
        if not on("clinic_calendar"):
            return d
        return table[np.clip(d - day_base, 0, len(table) - 1)]

    def wait_days(d: np.ndarray) -> np.ndarray:
        if not (on("backlog") and on("backlog_reviews")):
            return np.zeros(len(d), np.int64)
        return np.rint(WAIT0 * backlog[month_of[np.clip(d - day_base, 0, len(cal) - 1)]]).astype(np.int64)

    # the patients: onset region, paces
    r0 = np.searchsorted(np.cumsum(ONSET_P), reg_u * 0.999999)
    sex_m = sex_u < 0.6
    pace = np.exp((K_SD * z_k if on("patient_pace") else 0.0) + 0.012 * (age - 63) + 0.15 * (r0 == BUL))
    onset_dom = np.arange(4)[None, :] == r0[:, None]
    gen = r0 == 4
    k_d = K0 * pace[:, None] * np.where(onset_dom | gen[:, None], 1.0, K_OTHER) * np.exp(0.2 * z_d)
    beta = B0 * np.exp(0.3 * z_b)[:, None] * np.sqrt(pace)[:, None]
    gam = GAMMA if on("glial_feedback") else 0.0
    eps = (EPS0 * np.exp(0.3 * z_s))[:, None] if on("glial_spread") else np.zeros((m, 1))
    n_init = np.where(onset_dom, N_ONSET, 1.0)
    n_init[gen] = 1 - (1 - N_ONSET) / 2
    a_init = 1.0 - n_init
    bg = BG0 * np.exp(BG_AGE * (age - 62))
    tgrid = np.arange(NG + 1) * HG
    site = (site_u >= 0.6).astype(int)
    lock_day = np.where((site == 1) & on("site_locks"), _days(LOCKS[1]), _days(LOCKS[0]))
    curves = _item_curves(leniency[:N_CLINIC_RATERS] if on("rater_leniency") else np.zeros(1),
                          TAU_SD if on("domain_testlet") else 0.0)  # fmt: skip

    def course(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The untreated (N, A) of ``rows`` on the grid (rows × grid × 4, float32)."""
        r = len(rows)
        ng, ag = np.zeros((r, NG + 1, 4), np.float32), np.zeros((r, NG + 1, 4), np.float32)
        nn, aa = n_init[rows].copy(), a_init[rows].copy()
        kk, bb, ee = k_d[rows], beta[rows], eps[rows]
        ng[:, 0], ag[:, 0] = nn, aa
        for j in range(NG):
            nn, aa = _heun(nn, aa, kk, bb, gam, ee, HG)
            ng[:, j + 1], ag[:, j + 1] = nn, aa
        return ng, ag

    def cumhaz(ng: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cumulative hazards (rows × grid) of respiratory failure and of pneumonia with other causes."""
        if not on("death"):
            z = np.zeros(ng.shape[:2])
            return z, z
        nr, nb = ng[..., RESP].astype(float), ng[..., BUL].astype(float)
        h_r = H_R0 * np.exp(A_R * (1 - nr))
        cal_d = onset_day[rows, None] + tgrid * DPM
        season = np.cos(2 * np.pi * (cal_d - 14) / 365.25) if on("winter_excess") else 0.0
        h_o = H_P0 * (1 - nb) ** 2 * (1 + WINTER * season) * (1 + (1 - nr)) + bg[rows, None]

        def integ(h):
            return np.concatenate([np.zeros((len(rows), 1)), np.cumsum((h[:, 1:] + h[:, :-1]) / 2 * HG, 1)], 1)

        return integ(h_r), integ(h_o)

    def death_time(chs, nb, rows, t_niv) -> np.ndarray:
        """Months from onset at which the cumulative hazard (the respiratory one × the NIV ratio from ``t_niv``)
        reaches the patient's Exp(1) draw; ``nb`` the bulbar fraction on the grid."""
        if not on("death"):
            return np.full(len(rows), np.inf)
        ch_r, ch_o = chs
        tn = np.where(np.isfinite(t_niv), t_niv, tgrid[-1] + 1)
        x = np.clip(tn / HG, 0, NG - 1e-9)
        j = np.floor(x).astype(np.int64)
        w = x - j
        rr = np.arange(len(rows))
        c_n = ch_r[rr, j] * (1 - w) + ch_r[rr, j + 1] * w
        fbn = nb[rr, j] * (1 - w) + nb[rr, j + 1] * w
        ratio = np.where(fbn >= 0.5, *NIV_HR)
        after = tgrid[None, :] > tn[:, None]
        c = np.where(after, c_n[:, None] + ratio[:, None] * (ch_r - c_n[:, None]), ch_r) + ch_o
        e = death_e[rows]
        hit = c >= e[:, None]
        jj = hit.argmax(1)
        jm = np.maximum(jj - 1, 0)
        c0, c1 = c[rr, jm], c[rr, jj]
        t = tgrid[jm] + HG * np.clip((e - c0) / np.maximum(c1 - c0, 1e-12), 0, 1)
        return np.where(hit.any(1), np.where(jj > 0, t, 0.0), np.inf)

    # diagnosis: the patient's own delay, then the neurology clinic's wait (its backlog), on a clinic day
    ref_day = onset_day + np.rint((1.0 + 4.0 * pt_delay * pace**-0.5) * DPM).astype(np.int64)
    b_dx = backlog if on("backlog_diagnosis") else np.ones(N_MONTHS)
    wait = 2.5 * DPM * np.exp(0.4 * z_w) * b_dx[month_of[np.clip(ref_day - day_base, 0, len(cal) - 1)]]
    diag_day = clinic_day(ref_day + np.rint(wait).astype(np.int64), tue)
    t_dx = (diag_day - onset_day) / DPM
    ok0 = (diag_day >= _days(OPENING)) & (diag_day <= lock_day - 61)
    cand = np.flatnonzero(ok0)[: 2 * n + 50]
    ng_c, ag_c = course(cand)
    chs_c = cumhaz(ng_c, cand)
    d_c = death_time(chs_c, ng_c[..., BUL], cand, np.full(len(cand), np.inf))
    alive = np.flatnonzero(d_c > t_dx[cand] + 1 / DPM)[:n]
    keep = cand[alive]
    if len(keep) < n:
        raise RuntimeError("too few candidates enter the cohort")
    (sex_m, age, onset_day, r0, pace, k_d, beta, eps, n_init, a_init, bg, t_dx, diag_day, death_e, g_shape,
     u_esc, u_gen, u_ril, u_eda, u_sens, f0_z, w0_z, il_z, u_item, tau_z, u_rater, u_blank, meas_eps, u_ref, u_niv,
     u_niv_lag, u_gas, u_gas_lag, u_pal, u_loss, u_plag, u_pgas, u_pgas_lag, u_dose, u_more, u_more_lag, u_viab,
     u_lot, u_ae, u_ae_t, site, lock_day) = (a[keep] for a in (
        sex_m, age, onset_day, r0, pace, k_d, beta, eps, n_init, a_init, bg, t_dx, diag_day, death_e, g_shape,
        u_esc, u_gen, u_ril, u_eda, u_sens, f0_z, w0_z, il_z, u_item, tau_z, u_rater, u_blank, meas_eps, u_ref,
        u_niv, u_niv_lag, u_gas, u_gas_lag, u_pal, u_loss, u_plag, u_pgas, u_pgas_lag, u_dose, u_more, u_more_lag,
        u_viab, u_lot, u_ae, u_ae_t, site, lock_day))  # fmt: skip
    ng0, ag0 = ng_c[alive], ag_c[alive]
    chs0 = (chs_c[0][alive], chs_c[1][alive])
    del ng_c, ag_c, chs_c
    birth_year = (pd.to_datetime(onset_day, unit="D").year.to_numpy() - np.floor(age)).astype(int)
    code = np.array([0, 1, 1, 2, 3])[r0]
    escorial = np.array(["definite", "probable", "probable_lab", "possible", None], dtype=object)[
        np.searchsorted([0.2, 0.58, 0.76, 0.93], u_esc)]  # fmt: skip
    genetics = np.where(u_gen < 0.07, "C9orf72", np.where(u_gen < 0.09, "SOD1", None)).astype(object)
    riluzole = np.where(u_ril < 0.84, "true", np.where(u_ril < 0.97, "false", None)).astype(object)
    edaravone = np.where(u_eda < 0.04, "true", np.where(u_eda < 0.9, "false", None)).astype(object)
    f0 = np.clip(100 + 12 * f0_z, 65, 130)
    w0 = np.clip(np.where(sex_m, 80 + 12 * w0_z, 66 + 11 * w0_z), 42, 140)
    g_resp = g_shape if on("response_spread") else np.ones(n)
    sensitised = (u_sens < P_SENS) & on("sensitisation")
    lot_list = lottery(seed, n)
    len_eff = leniency if on("rater_leniency") else np.zeros_like(leniency)
    tau_sd = TAU_SD if on("domain_testlet") else 0.0

    def run(cw: dict, decide: bool) -> dict[str, np.ndarray]:
        """The registry's contacts of the rows of course ``cw`` (``rows``; ``ng``, ``ag`` the grids, ``t1`` the
        first dose: the untreated course before it)."""
        idx = cw["rows"]
        r = len(idx)
        on_d, dx_d, lk = onset_day[idx], diag_day[idx], lock_day[idx]
        ngr, agr = cw["ng"], cw["ag"]
        t1 = cw.get("t1", np.full(r, np.inf))
        chs = (chs0[0][idx], chs0[1][idx]) if cw.get("natural", True) else cumhaz(ngr, idx)

        def state(g: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            x = np.clip(t / HG, 0.0, NG - 1e-9)
            j = np.floor(x).astype(np.int64)
            w = (x - j)[:, None]
            nn = ngr[g, j] * (1 - w) + ngr[g, j + 1] * w
            aa = agr[g, j] * (1 - w) + agr[g, j + 1] * w
            if not cw.get("natural", True):
                n0 = ng0[idx[g], j] * (1 - w) + ng0[idx[g], j + 1] * w
                a0 = ag0[idx[g], j] * (1 - w) + ag0[idx[g], j + 1] * w
                before = (t <= t1[g])[:, None]
                nn, aa = np.where(before, n0, nn), np.where(before, a0, aa)
            return nn.astype(float), aa.astype(float)

        vday = np.full((r, SLOTS), -1, np.int64)
        vtype = np.zeros((r, SLOTS), np.int64)
        vrater = np.full((r, SLOTS), -1, np.int64)
        items = np.full((r, SLOTS, 12), np.nan, np.float32)
        meas = np.full((r, SLOTS, 4), np.nan)  # FVC, weight, IL-6, CNS-BFS
        crit = np.full((r, N_PROG), np.inf)
        prog_day = np.full((r, N_PROG), BIG)
        done = np.zeros(r, bool)
        referred = np.zeros(r, bool)
        death_t = death_time(chs, ngr[..., BUL], idx, np.full(r, np.inf))
        dead_day, wd_day, stop_day = np.full(r, BIG), np.full(r, BIG), np.full(r, BIG)
        lost = np.zeros(r, bool)
        niv_day, gas_day = np.full(r, BIG), np.full(r, BIG)
        last_q8 = np.full(r, 4.0)
        w_first = np.full(r, np.nan)
        nxt = dx_d.copy()

        def ddays(g: np.ndarray) -> np.ndarray:
            return on_d[g] + np.ceil(np.minimum(death_t[g], 1e4) * DPM).astype(np.int64)

        unlenient: dict[str, np.ndarray] = {}  # rate()'s items without the leniency, when the rule reads those

        def rate(g, d, vt, slot):
            """Items and measurements of rows ``g`` on days ``d`` of types ``vt`` at ``slot``."""
            gi = idx[g]
            t = (d - on_d[g]) / DPM
            nn, aa = state(g, t)
            x = _psi(nn)[:, DOMAIN] - ITEM_M
            ur = u_rater[gi, slot].astype(np.float64)
            rater = np.where(vt == UNSCHED, N_CLINIC_RATERS + np.floor(ur * N_PROG_RATERS),
                             np.floor(ur * N_CLINIC_RATERS)).astype(int)  # fmt: skip
            shift = len_eff[rater][:, None] + tau_sd * tau_z[gi, slot].astype(np.float64)[:, DOMAIN]
            pc = _at_least(x, shift)
            it = (u_item[gi, slot][..., None] < pc).sum(-1).astype(np.float64)
            it[:, 11] = np.where(niv_day[g] <= d, np.minimum(it[:, 11], 3), it[:, 11])
            if on("video_gaps"):
                it[(vt == REMOTE)[:, None] & (u_blank[gi, slot] < P_BLANK)] = np.nan
            recorded = it
            if not (on("leniency_in_rule") and on("leniency_in_ratings")):  # the same uniforms without the leniency
                pc0 = _at_least(x, shift - len_eff[rater][:, None])
                it0 = (u_item[gi, slot][..., None] < pc0).sum(-1).astype(np.float64)
                it0[:, 11] = np.where(niv_day[g] <= d, np.minimum(it0[:, 11], 3), it0[:, 11])
                it0 = np.where(np.isnan(it), np.nan, it0)
                if not on("leniency_in_rule"):  # what the programme's rule reads
                    unlenient["items"] = it0
                if not on("leniency_in_ratings"):  # what is recorded (every decision below reads ``it``, as made)
                    recorded = it0
            me = meas_eps[gi, slot].astype(np.float64)
            fvc = f0[gi] * (0.08 + 0.92 * nn[:, RESP] ** 1.1) - 6 * (1 - nn[:, BUL]) + 4 * me[:, 0]
            fvc = np.clip(np.rint(fvc), 5, 150)
            wt = w0[gi] * (1 - 0.12 * (1 - nn[:, BUL]) - 0.06 * (1 - nn.mean(1))) + 0.7 * me[:, 1]
            wt = np.round(np.clip(wt, 25, 200), 1)
            il6 = np.round(np.clip(1.8 * np.exp(1.6 * aa.mean(1) + 0.4 * il_z[gi] + 0.3 * me[:, 2]), 0.1, 9999), 1)
            bfs = np.clip(np.rint(21 + 75 * (1 - nn[:, BUL]) ** 1.3 + 3 * me[:, 3]), 21, 112)
            clinic, prog = vt == SCHED, vt == UNSCHED
            ms = np.stack([np.where(clinic, fvc, np.nan), np.where(clinic, wt, np.nan),
                           np.where(prog, il6, np.nan), np.where(prog, bfs, np.nan)], 1)  # fmt: skip
            vday[g, slot] = d
            vtype[g, slot] = vt
            vrater[g, slot] = rater
            items[g, slot] = recorded
            meas[g, slot] = ms
            return it, ms

        for kk in range(N_REV):
            act = ~done
            dd = ddays(np.arange(r))
            die = act & (dd <= nxt)
            dead_day = np.where(die & (dd <= lk), dd, dead_day)
            done |= die | (act & (nxt > lk))
            g = np.flatnonzero(~done)
            if len(g) == 0:
                break
            gi = idx[g]
            d = nxt[g]
            off_d = np.clip(d - day_base, 0, len(cal) - 1)
            video = (kk >= 1) & winter_of[off_d] & ((niv_day[g] <= d) | (last_q8[g] <= 1)) & on("video_reviews")
            vt = np.where(video, REMOTE, SCHED)
            it, ms = rate(g, d, vt, kk)
            tot = it.sum(1)
            complete = np.isfinite(tot)
            last_q8[g] = np.where(np.isfinite(it[:, 7]), it[:, 7], last_q8[g])
            fvc, wt = ms[:, 0], ms[:, 1]
            w_first[g] = np.where(np.isnan(w_first[g]) & np.isfinite(wt), wt, w_first[g])
            clinic = vt == SCHED
            a_now = pd.to_datetime(d, unit="D").year.to_numpy() - birth_year[gi]
            # referral to the cell programme's visits (once)
            pre = clinic & (kk >= 1) & complete & (tot >= 24) & ((d - dx_d[g]) / DPM <= 30) & ~referred[g]
            pre &= (niv_day[g] > d) & (gas_day[g] > d) & (a_now <= 75) & (u_ref[gi, kk] < P_REF)
            if pre.any():
                gr = g[pre]
                referred[gr] = True
                first = clinic_day(d[pre] + 14 + np.floor(u_plag[idx[gr], 0] * 22).astype(np.int64), thu)
                prog_day[gr, 0] = first
                for j in range(1, N_PROG):
                    jit = np.floor(u_plag[idx[gr], j] * 29).astype(np.int64) - 14
                    prog_day[gr, j] = clinic_day(first + 182 * j + jit, thu)
            # NIV and gastrostomy offered in the clinic
            no = clinic & (niv_day[g] == BIG) & on("niv") & (u_niv[gi, kk] < P_NIV)
            no &= (fvc < 45) | ((fvc < 60) & (it[:, 9] <= 3))
            if no.any():
                gn = g[no]
                niv_day[gn] = d[no] + 7 + np.floor(u_niv_lag[gi[no], kk] * 22).astype(np.int64)
                tn = (niv_day[gn] - on_d[gn]) / DPM
                death_t[gn] = death_time((chs[0][gn], chs[1][gn]), ngr[gn][..., BUL], idx[gn], tn)
            go = clinic & (gas_day[g] == BIG) & on("gastrostomy") & (u_gas[gi, kk] < P_GAS)
            go &= (it[:, 2] <= 2) | (wt <= 0.92 * w_first[g])
            gas_day[g] = np.where(go, d + 14 + np.floor(u_gas_lag[gi, kk] * 29).astype(np.int64), gas_day[g])
            # palliative care, loss
            pal = clinic & (fvc < 40) & (u_pal[gi, kk] < P_PAL) & on("palliative")
            wd_day[g] = np.where(pal, d + 1 + np.floor(u_pal[gi, kk] / P_PAL * 30).astype(np.int64), wd_day[g])
            p_loss = np.where(clinic & (site[gi] == 1) & (last_q8[g] <= 1), 0.08, 0.003)
            gone = ~pal & (u_loss[gi, kk] < p_loss) & on("loss")
            lost[g[gone]] = True
            stop = pal | gone
            stop_day[g[stop]] = d[stop]
            done[g[stop]] = True
            # the next review
            close = ((niv_day[g] <= d) | (gas_day[g] <= d)) & on("close_follow_up")
            target = d + np.where(close, 56, 84)
            nr = clinic_day(target + wait_days(target), tue)
            # the programme's visits before it
            dth = ddays(g)
            for j in range(N_PROG):
                pdj = prog_day[g, j]
                mk = ~stop & (pdj > d) & (pdj < nr) & (pdj < dth) & (pdj <= lk[g])
                if not mk.any():
                    continue
                gp = g[mk]
                pd_ = pdj[mk]
                pit, pms = rate(gp, pd_, np.full(len(gp), UNSCHED), N_REV + j)
                ptot = pit.sum(1)
                bfs = pms[:, 3]
                if not on("leniency_in_rule"):
                    ptot = unlenient["items"].sum(1)  # what the rule reads (the recorded items stay as rated)
                if decide:
                    pa = pd.to_datetime(pd_, unit="D").year.to_numpy() - birth_year[idx[gp]]
                    elig = np.isfinite(ptot) & (ptot >= 24) & ((pd_ - on_d[gp]) / DPM <= 42) & (pa <= 75)
                    elig &= (niv_day[gp] > pd_) & (gas_day[gp] > pd_)
                    if on("bulbar_safety"):
                        elig &= bfs <= 55
                    score = rule_score(pms[:, 2], ptot, pa, site[idx[gp]], on)
                    ul = np.clip(lot_list[idx[gp], j], 1e-12, 1 - 1e-12)
                    crit[gp, j] = np.where(elig, np.log(ul) - np.log1p(-ul) - score, np.inf)
                # a high CNS-BFS: the programme's physician advises a gastrostomy
                pg = (gas_day[gp] == BIG) & (bfs >= 70) & (u_pgas[idx[gp], j] < P_GAS) & on("gastrostomy")
                gas_day[gp] = np.where(pg, pd_ + 14 + np.floor(u_pgas_lag[idx[gp], j] * 29).astype(np.int64),
                                       gas_day[gp])  # fmt: skip
            nxt[g] = np.where(stop, BIG, nr)
        dd = ddays(np.arange(r))
        pend = wd_day < BIG
        first_death = pend & (dd < wd_day)
        dead_day = np.where(first_death & (dd <= lk), dd, dead_day)
        wd_day = np.where(pend & ~first_death & (wd_day <= lk), wd_day, BIG)
        fol = vday >= 0
        return {"fol": fol, "vday": vday, "vtype": vtype, "vrater": vrater, "items": items, "meas": meas, "crit": crit,
                "prog_day": prog_day, "dead_day": dead_day, "wd_day": wd_day, "lost": lost & (wd_day == BIG),
                "niv_day": niv_day, "gas_day": gas_day, "stop_day": stop_day, "death_phys": dd}  # fmt: skip

    rows_n = np.arange(n)
    natural = run({"rows": rows_n, "ng": ng0, "ag": ag0}, True)
    target_n = round(treated_share * n)
    cstar = natural["crit"].min(1)
    cut = share_cutoff(cstar, target_n)
    decided = cstar < cut
    j_dec = (natural["crit"] < cut).argmax(1)
    dec_day = np.where(decided, natural["prog_day"][rows_n, j_dec], 0)
    dose_day = np.zeros((n, N_DOSES), np.int64)
    dose_day[:, 0] = dec_day + DOSE_LAG[0] + np.floor(u_dose * (DOSE_LAG[1] - DOSE_LAG[0] + 1)).astype(np.int64)
    for q in range(1, N_DOSES):
        lo, hi = DOSE_GAP[q - 1]
        dose_day[:, q] = dose_day[:, q - 1] + lo + np.floor(u_more_lag[:, q - 1] * (hi - lo + 1)).astype(np.int64)
    d1 = dose_day[:, 0]
    treated = decided & (d1 <= lock_day) & (natural["death_phys"] > d1) & (natural["stop_day"] > d1)
    treated &= natural["wd_day"] > d1
    p = np.flatnonzero(treated)
    t1 = np.where(treated, (d1 - onset_day) / DPM, np.inf)
    consent = np.concatenate([np.ones((n, 1), bool), (u_more < 0.9) & on("further_doses")], 1)
    consent = np.cumprod(consent, 1).astype(bool)
    viability = np.round(70 + 28 * u_viab**0.6, 1)
    res = {key: val.copy() for key, val in natural.items()}
    res0 = {key: val[p] for key, val in natural.items()}
    given = np.zeros((n, N_DOSES), bool)
    ng1, ag1 = ng0[p], ag0[p]
    if len(p):
        if effect != 0:
            potency = viability[p] / 90 if on("potency") else np.ones((len(p), N_DOSES))
            route_w = np.where(ROUTES == "intravenous", IV_W if on("iv_weaker") else 1.0, 1.0)
            acts = consent[p] & ~(sensitised[p, None] & (np.arange(N_DOSES) >= 1))
            knock = acts * potency * route_w
            course_in = (ng0[p], ag0[p], k_d[p], beta[p], gam, eps[p], curves)
            ng1, ag1 = _treated_grid(p, t1[p], dose_day[p], onset_day[p], knock, effect * g_resp[p], *course_in)
        res1 = run({"rows": p, "ng": ng1, "ag": ag1, "t1": t1[p], "natural": effect == 0}, False)
        alive = (res1["death_phys"][:, None] > dose_day[p]) & (res1["stop_day"][:, None] > dose_day[p])
        alive &= res1["wd_day"][:, None] > dose_day[p]
        given[p] = consent[p] & alive & (dose_day[p] <= lock_day[p, None])
        given[p] = np.cumprod(given[p], 1).astype(bool)
        for key in res:
            res[key][p] = res1[key]

    def truth_n(t: np.ndarray, treated_course: bool) -> np.ndarray:
        grid = ng1 if treated_course else ng0[p]
        x = np.clip(t / HG, 0.0, NG - 1e-9)
        j = np.floor(x).astype(np.int64)
        w = (x - j)[..., None]
        rr = np.arange(len(p))[:, None]
        return grid[rr, j].astype(float) * (1 - w) + grid[rr, j + 1].astype(float) * w

    return _tables(n, onset_day, diag_day, birth_year, sex_m, code, site, lock_day, res, given, dose_day,
                   viability, (u_ae, u_ae_t, u_lot, on("adverse_events")), (escorial, genetics, riluzole, edaravone),
                   (p, t1, res0, truth_n, effect, curves), dec_day if record_occasions else None,
                   record_raters)  # fmt: skip


def _treated_grid(p, t1, dose_day, onset_day, knock, eg, ng0, ag0, k_d, beta, gam, eps, curves):
    """The treated patients' (N, A) on the grid: from the first grid point on or after each dose the activation
    is knocked down by the fraction φ·``knock``, φ = min(0.9, E·g/R_A) (``eg`` = E·g), R_A the expected total's
    loss rate due to the activation at the first dose; the feedback then rebuilds it."""
    r = len(p)
    rr = np.arange(r)
    x = np.clip(t1 / HG, 0.0, NG - 1e-9)
    j = np.floor(x).astype(np.int64)
    w = (x - j)[:, None]
    n_now = ng0[rr, j].astype(float) * (1 - w) + ng0[rr, j + 1].astype(float) * w
    a_now = ag0[rr, j].astype(float) * (1 - w) + ag0[rr, j + 1].astype(float) * w
    h = 0.25
    n_adv = n_now - h * beta * a_now * n_now
    nv = np.zeros(r)
    r_a = (_expected(n_now, nv, curves) - _expected(n_adv, nv, curves)) / h
    phi = np.minimum(eg / np.maximum(r_a, RATE_FLOOR), F_CAP)
    tau = (dose_day - onset_day[:, None]) / DPM
    jq = np.ceil(tau / HG - 1e-9).astype(np.int64)  # the first grid point on or after each dose
    ng1, ag1 = ng0.copy(), ag0.copy()
    j0 = jq[:, 0]
    nn = ng0[rr, np.minimum(j0, NG)].astype(float)
    aa = ag0[rr, np.minimum(j0, NG)].astype(float)
    for jj in range(int(j0.min()), NG + 1):
        live = jj >= j0
        if not live.any():
            continue
        hitq = (jq == jj) & live[:, None]
        if hitq.any():
            f = 1 - np.prod(1 - np.where(hitq, phi[:, None] * knock, 0.0), 1)
            aa = aa * (1 - f[:, None])
        ng1[live, jj], ag1[live, jj] = nn[live], aa[live]
        if jj < NG:
            n2, a2 = _heun(nn, aa, k_d, beta, gam, eps, HG)
            nn = np.where(live[:, None], n2, nn)
            aa = np.where(live[:, None], a2, aa)
    return ng1, ag1


def _tables(n, onset_day, diag_day, birth_year, sex_m, code, site, lock_day, res, given, dose_day, viability, aes,
            recorded, truth_in, dec_day=None, record_raters=False) -> WorldCohort:  # fmt: skip
    """The canonical tables of the recorded run ``res`` and the truths."""
    u_ae, u_ae_t, u_lot, ae_on = aes
    escorial, genetics, riluzole, edaravone = recorded
    p, t1, res0, truth_n, effect, curves = truth_in
    fol, vday = res["fol"], res["vday"]
    ids = np.array([f"W18{i:05d}" for i in range(n)])
    events, gastro_day = follow_up_events(ids, onset_day, np.where(fol, vday, -1).max(1), lock_day, res["dead_day"],
                                          res["wd_day"], res["lost"],
                                          {"niv_start": res["niv_day"], "gastrostomy": res["gas_day"]}, 4.0)  # fmt: skip
    alsfrs = item_rows(ids, res["items"].astype(np.float64), fol, vday, gastro_day)
    pi, vi = np.nonzero(fol)
    vt = res["vtype"][pi, vi]
    alsfrs["assessor"] = np.where(vt == REMOTE, "phone", "clinician")
    if dec_day is not None:
        alsfrs["visit_type"] = VISIT_TYPES[vt]
    if record_raters:
        alsfrs["rater"] = RATER_IDS[res["vrater"][pi, vi]]
    alsfrs = alsfrs.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    ps, vs, ks = np.nonzero(fol[..., None] & np.isfinite(res["meas"]))
    measurements = pd.DataFrame({
        "patient_id": ids[ps], "date": pd.to_datetime(vday[ps, vs], unit="D"),
        "measure": np.array(["fvc_pct_pred", "weight_kg", "il6", "cnsbfs"])[ks], "value": res["meas"][ps, vs, ks],
        "unit": np.array(["%", "kg", "pg/mL", "score"])[ks],
        "specimen": np.array([None, None, "plasma", None], dtype=object)[ks],
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
    lots = (2016 + np.floor(u_lot * 10)).astype(int) * 1000 + np.floor(u_lot * 1e5 % 991).astype(int)
    treatments = pd.DataFrame({
        "treatment_id": [f"{ids[i]}-T{q + 1}" for i, q in zip(pg, kg, strict=True)], "patient_id": ids[pg],
        "date": pd.to_datetime(dose_day[pg, kg], unit="D"), "cycle": kg + 1, "cell_source": "bone_marrow",
        "donor": "allogeneic", "route": ROUTES[kg], "dose_cells": DOSE_CELLS[kg],
        "lot": [f"BM-{x}" for x in lots[pg, kg]], "viability_pct": viability[pg, kg],
    })  # fmt: skip
    if dec_day is not None:
        treatments["decision_date"] = pd.to_datetime(dec_day[pg], unit="D")
    treatments = treatments.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    iv = (ROUTES == "intravenous").astype(int)
    hit = give[..., None] & (u_ae < AE_P[iv][None]) & ae_on
    ai, ak, aj = np.nonzero(hit)
    lo, hi = AE_SPAN[aj, 0], AE_SPAN[aj, 1]
    start = dose_day[ai, ak] + np.where(np.isin(aj, [1, 4]), 0, 1)
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
        return WorldCohort(tables, float(effect), 0)
    days = np.concatenate([np.where(fol[p], vday[p], onset_day[p, None]),
                           np.where(res0["fol"], res0["vday"], onset_day[p, None])], 1)  # fmt: skip
    tt = (days - onset_day[p, None]) / DPM
    since = tt - t1[p, None]
    n1 = np.where((tt > t1[p, None])[..., None], truth_n(tt, True), truth_n(tt, False))
    e1 = _expected(n1, days >= res["niv_day"][p, None], curves)
    e0 = _expected(truth_n(tt, False), days >= res0["niv_day"][:, None], curves)
    z = np.zeros_like(fol[p])
    truths = cohort_truths(e1, e0, since, np.concatenate([fol[p], z], 1), np.concatenate([z, res0["fol"]], 1), effect)
    return WorldCohort(tables, float(effect), len(p), *truths)


__all__ = [
    "DECISION_AT_EVERY_VISIT", "DECISION_LAG_DAYS", "DECISION_VISIT_TYPES", "ITEMS", "LEAVE_OUT_VISIT_TYPES",
    "PIECES", "RECORDED_RULE_INPUTS", "WorldCohort", "lottery", "rule_score", "simulate_world18",
]  # fmt: skip

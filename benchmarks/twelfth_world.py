"""A twelfth data-generating mechanism, held out: written from the canonical format (spec/data-format.md,
spec/domain-rules.md), the docstrings of the second to eleventh worlds (so as to differ from them), the eleventh
world's code as an example of the interface and ALS clinical knowledge, without reading the estimators, their
documentation pages or any calibration result, and without running any estimator on it.

The other worlds use sigmoid, linear-quadratic, Markov-plateau, change-point, domain-ramp, item-Poisson,
subtype-random-walk, power-law, drift-with-steps, Gompertz-reserve and coupled-propagation courses; rounded-noise,
graded-response, rater-noise, misrated-count, partial-credit, ordinal-probit, loss-sequence, logit-dithered and
beta-binomial items; fixed, personal, renewal, monthly-slot, booked, banded or 3-monthly visits; treatment on drops,
true slopes, thresholds of the total, calendar access, runs of poor visits, new losses, a waiting list, a phone
call, a falling FVC/SVC or a strength asymmetry, always intrathecal, intramuscular or (descriptively) intravenous;
effects on slopes, clocks, rates, levels, hazards or local pulses.  This world is a registry whose clinic runs an
inflammation-targeted programme of repeated intravenous infusions, and differs in every piece:

* **course: a fluctuating disease activity drives a burden clock; King's regions join on it.**  Each patient has
  a disease activity a(t) = e^{μ + X(t)}, t months from onset: μ = 0.45·z + 0.015·(age − 63) + 0.15·bulbar (older
  and bulbar onset faster: Chiò et al., Amyotroph Lateral Scler 2009;10:310–323) its set-point, X a stationary
  Ornstein–Uhlenbeck process (Uhlenbeck & Ornstein, Phys Rev 1930;36:823–841) with mean reversion 0.25/month and
  standard deviation 0.3 (the pace wanders and returns: an assumption), exact on a quarter-month grid and linear
  between.  Its integral Λ(t) = ∫a is the burden.  The three King's regions, bulbar, arms (cervical) and legs
  (lumbar) (Roche et al., Brain 2012;135:847–852), join in order: the onset region at Λ = 0, the next after a
  Gamma(2, mean 8) increment of burden and the last after another; the second is contiguous with the first in most
  (bulbar onset: arms 80%, legs 20%; arm onset: bulbar or legs, half each; leg onset: arms 80%, bulbar 20%; spread
  to contiguous regions: Ravits & La Spada, Neurology 2009;73:805–811).  The respiratory region joins a
  Gamma(3, mean 15) increment after the arms (the phrenic segments are cervical).  Respiratory onset: it starts at
  0, the arms join first (Gamma(2, mean 8)), then bulbar or legs; generalized onset: the three regions at 0, the
  respiratory one after half its increment.  A region's damage (item points) grows linearly in the burden since it
  joined, y_d = κ_d·e^{0.2·z_d}·(Λ − h_d)⁺, κ = (0.115, 0.11, 0.105, 0.13) for bulbar, arms, legs and respiration.
  So the total's course bends with the spread and wanders with the activity; the activity, the recruitment by burden and
  every constant are assumptions.  Onset: bulbar 28%, limb 66% (arms or legs half each), respiratory 3%,
  generalized 3%; men 60%; age at onset N(63, 11²) within 30–88 (Chiò et al. 2009).  The constants were set so
  that the untreated patients' per-patient slope of the recorded total is −1.14 points/month on average, median
  −0.97 (−0.99 PRO-ACT, −0.89 population-based, spec/domain-rules.md), the first recorded total's median 43, the
  median survival from onset 32 months (measured on ``simulate_world12(3000, 0.0, 0.0, 1)``: per patient the
  least-squares slope of the complete totals on months over the 2,771 patients with two or more spanning 3 months
  or more; survival by Kaplan–Meier with entry at the diagnosis, censored at the lock, withdrawal or the last visit
  of the lost);
* **items: a continuation-ratio (sequential) model of each item's damage.**  Item j reads y_j = w_j·y_d of its
  region (Cedarbaum et al., J Neurol Sci 1999;169:13–21), w = (1.15, 0.8, 1.0 | 1.15, 1.0, 0.9 | 0.8, 1.0, 1.15 |
  1.1, 0.95, 0.7) (speech before swallowing before salivation; handwriting first; stairs before walking before
  turning in bed; dyspnea before orthopnea before respiratory insufficiency: assumptions).  The rating loses its
  first point with probability expit(2.6·(y_j − 0.9)) and, having lost l points, another with probability
  expit(2.6·(y_j − δ_l)), δ = (0.9, 1.9, 2.9, 3.9): a sequence of hurdles (Tutz, Br J Math Stat Psychol
  1990;43:39–55), drawn by inverting the item's distribution at a stored uniform.  An untouched item reads below 4
  with probability 9% (the scale's ceiling noise).  On NIV q12 is at most 3; after a gastrostomy item 5 is q5b
  (spec/domain-rules.md).  Phone ratings (unbiased: Kaufmann et al., Amyotroph Lateral Scler 2007;8:42–46) skip
  each item with probability 0.01 (their total missing).  At every clinic visit: FVC % predicted
  (``fvc_pct_pred``) F0·clip(1 − 1.05·ȳ_R/4.5, 0.05, 1) − 5·min(ȳ_B, 4)/4 + N(0, 4²), rounded (ȳ a region's mean
  item damage; bulbar weakness spoils the manoeuvre), F0 ~ N(98, 12²) within 70–130 (untreated: falls 2.3 %/month
  on average, median 1.9; first value's median 93); weight (``weight_kg``) W0·(1 − 0.025·min(ȳ_B, 4) −
  0.01·min(ȳ_{arms, legs}, 4)) + N(0, 0.8²), W0 ~ N(80, 12²) men, N(66, 11²) women; the ALSAQ-40 index
  (``alsaq40``, 0–100, higher is worse: Jenkinson et al., J Neurol 1999;246 Suppl 3:III16–III21) 4 + 1.5·(48 −
  expected total) + 8·c + N(0, 5²), c a patient's unrecorded coping N(0, 1), rounded to 0.1.  CSF chitinase-3-like
  protein 1 (``chi3l1``, ng/mL, specimen csf) at the diagnostic lumbar puncture only (UNI 90%, GEN 60%, REM 40% of
  patients): 150·e^{0.8·(μ + X(t_dx)) + 0.25·ε}, a reading of the activity (CSF CHI3L1 is raised in ALS and
  correlates with the progression rate: Thompson et al., Ann Neurol 2018); the constants are assumptions;
* **entry and contacts: diagnosis on the burden, a tapering protocol, reviews after events, no-shows.**  The
  diagnosis (the first visit, at the clinic) comes when the burden reaches 12·e^{0.45·N(0, 1)} (× 0.85 bulbar
  onset), at least 2 months after onset: faster courses are diagnosed sooner (the idea behind ΔFRS, Kimura et al.,
  Neurology 2006;66:265–267); the median delay is 10.7 months (about a year: Paganoni et al., Amyotroph Lateral
  Scler Frontotemporal Degener 2014;15:453–456).  The registry includes the patients diagnosed from 2016-01-01 to
  a month before the lock, alive at diagnosis; onsets 2012–2023, data lock 2025-12-31.  Three sites: UNI 45%,
  GEN 35%, REM (remote) 20%.  The El Escorial category (revised criteria: Brooks et al., Amyotroph Lateral Scler
  Other Motor Neuron Disord 2000;1:293–299) follows the King's regions involved at diagnosis (one region:
  definite/probable/probable_lab/possible 5/20/35/40%; two: 15/50/25/10%; three: 60/30/8/2%), missing in 10%;
  genetics C9orf72 7%, SOD1 2%; riluzole 80% (no effect).  The protocol's contacts are every 3 months from the
  diagnosis, ± N(0, 6²) days: at the clinic in the first year and every 6 months after it, by phone in between
  (months 15, 21, …; multidisciplinary review about every 3 months: Miller et al., Neurology 2009;73:1218–1226).
  A clinic review is added 28–42 days after NIV or a gastrostomy starts (tolerance, settings).  A clinic visit is
  missed (no row) with probability expit(−3.6 + 0.9·REM + 0.8·ȳ_legs) (patients who walk badly and live far
  miss them: missing not at random on the damage), a call with 0.04; the diagnosis and the reviews are kept; after
  two protocol contacts missed in a row the patient is lost, declared 6 months after the last visit.  After a
  clinic visit with a recorded ALSAQ-40 ≥ 50 the patient withdraws from the registry with probability 0.1 (1–20
  days later).  All assumptions;
* **who is treated, and when: the clinic's rule for its immunomodulation programme.**  At a clinic visit (rated by
  the clinician, FVC, weight and ALSAQ-40 measured) an untreated patient is *eligible* when (1) it is not the
  diagnostic visit (a clinic visit before), (2) ``el_escorial`` is definite, probable or probable_lab, (3)
  ``genetics`` is not SOD1 (carriers are referred for tofersen: Miller et al., N Engl J Med 2022;387:1099–1110),
  (4) the visit is at most 30 months after ``onset_date``, (5) the visit's ``fvc_pct_pred`` is ≥ 60% (intravenous
  MSCs are first trapped in the lungs: Fischer et al., Stem Cells Dev 2009), (6) no ``niv_start`` or
  ``gastrostomy`` is recorded on or before the visit, (7) the age (visit year − ``birth_year``) is ≤ 75.  The
  patient then starts with probability expit(c + s), s = 0.9·log(CHI3L1/150) (the CSF value of ``chi3l1``; 0
  where no lumbar puncture was done: the programme targets neuroinflammation) + 0.04·(ALSAQ-40 − 25) (the visit's
  ``alsaq40``: distress drives the wish for cells) + site (UNI +0.5, GEN 0, REM −0.7: the university runs the
  programme, the remote patients must travel) − 0.04·(age − 60) + 0.6·ζ, ζ = 0.35·z + 0.94·N(0, 1) the patient's
  unrecorded wish and means, correlated with the activity's set-point z (the stated minority of unrecorded
  influence: its sd 0.6 against about 1.0 for the recorded terms, a count from the terms' spreads; mild unmeasured
  confounding).  So the rule reads ``patients`` (el_escorial, genetics, onset_date, birth_year, site), ``events``
  (niv_start, gastrostomy), ``measurements`` (chi3l1, fvc_pct_pred, alsaq40) and which ``alsfrs`` rows are clinic
  visits; CHI3L1 and ALSAQ-40 bear on the course (the activity; the current disability), never the ALSFRS-R total
  itself.  c is set so that at most round(share · n) patients start (each first start is a deterministic
  function of c on the untreated history; about half the patients are ever eligible).  The first infusion is 14–27
  days after the decision; allogeneic umbilical-cord MSCs intravenously, 1×10⁶ cells per kg of the decision
  visit's weight (rounded to 10⁵), then every 13 weeks (91 days), up to four cycles.  No infusion is given once NIV
  or a gastrostomy has started, after death or the lock; after the first, each further cycle follows the previous
  one and the patient goes on with probability 0.85.  Patients lost or withdrawn before the first infusion are not
  treated; nobody misses a contact, is lost or withdraws from the first infusion to the fourth's planned date.  All
  coefficients are assumptions;
* **effect: a shift of the activity's mean, growing with the infusions, reaching the course through its own
  reversion.**  From the first quarter-month grid point on or after each infusion the Ornstein–Uhlenbeck mean of
  log a is lowered by δ = min(δ1·w(n), ln 10), n the infusions given so far, w(n) = 1.5·n/(n + 0.5) (1, 1.2, 1.29,
  1.33: an Emax in the cycles), until 91 days after the last infusion given; the log-activity follows the lowered
  mean at the process's own rate (0.25/month, so the effect builds over months and ebbs the same way after the
  programme), its fluctuations untouched.  δ1 = −ln(1 − ρ), ρ = min(E·g/R, 0.9), R the expected total's loss rate
  at the first infusion (points/month at the activity then, at least 0.2): at the full first-cycle shift a patient
  with g = 1 loses E points/month less.  g = e^{0.135·z + 0.4·z' − 0.08}: a higher set-point (a higher CHI3L1)
  responds more, and an unrecorded spread.  The slower burden also delays the later regions, NIV, gastrostomy and
  death (and so allows more cycles).  (Measured once the constants were set, not tuned, on 3,000 patients, 30%
  treated, seed 1: the expected-total difference divided by the months since the first infusion averages 0.30·E
  at E = 0.2 and 0.32·E at E = 0.5 over the visits 0.5–3 months after it, 0.69·E and 0.66·E over 3–9, 0.97·E and
  0.85·E over 9–15, 0.97·E and 0.81·E over 15–24, 0.78·E and 0.58·E over 24–36; ``truth_window`` 0.184 and 0.390,
  ``truth_realised`` 0.143 and 0.313.)  All assumptions; E = 0 gives δ = 0 and the same course with and without
  cells;
* **follow-up ends by a joint-model hazard, no-shows, distress and the lock.**  Death at a monthly hazard
  [0.001·e^{1.6·min(y_R, 6)} + 0.03·(min(y_B, 4)/4)²]·√a(t) + 0.0008·e^{0.07·(age − 62)}: the respiratory and
  bulbar damage (respiratory failure and aspiration), times the square root of the current activity (a joint
  model's current-rate association: Rizopoulos, Joint Models for Longitudinal and Time-to-Event Data, Chapman &
  Hall/CRC 2012), × 0.55 on NIV when the bulbar damage is below 2 at its start and × 0.85 otherwise (NIV prolongs
  survival with better bulbar function and little with severe bulbar impairment: Bourke et al., Lancet Neurol
  2006;5:140–147), against an Exp(1) draw.  NIV (accepted by 70%) half a month after the respiratory damage passes
  U(1.5, 2.3) (Miller et al. 2009); a gastrostomy (accepted by 55%) 0.5–1.5 months after the bulbar damage passes
  U(2.3, 3.0).  Loss and withdrawal as above.  Rates and thresholds are assumptions (median survival from onset 32
  months, above; 30–45 months in population cohorts, spec/domain-rules.md).

All random numbers are drawn first in a fixed order and shared by every course (a contact's uniforms follow the
contact, not its rank).  The untreated course decides who starts and when; the programme's course shares it up
to the first infusion and then is followed twice, with the cells (recorded) and without them, each with its own
contacts (reviews after its own NIV and gastrostomy), deaths and endings.  ``truth`` is E; ``truth_realised`` per
treated patient the least squares through the origin of (with − without cells expected clinician-rated total) on
months since the first infusion over the recorded post-infusion visits, the mean over patients; ``truth_window``
and ``truth_observed`` from ``window_truth`` (the latter with the visits each course keeps); zeros under E = 0.
The expected total is exact: the continuation-ratio expectation of the 12 items at the damage, less, on NIV, the
probability that q12 would read 4 (no partial rows).  Writes canonical tables (patients, treatments, alsfrs,
measurements, events).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.signal import lfilter
from scipy.special import expit

from alscell.io.tables import Tables
from second_world import refuse_unknown
from window_truth import cohort_truths
from world_tables import DPM, ITEMS, WorldCohort, closing_events, event_rows, item_rows, share_cutoff

PIECES = {
    "fluctuation": "the activity's mean-reverting fluctuation (off: each patient's activity stays at its set-point)",
    "recruitment": "King's regions joining in a random contiguous order at random burdens (off: fixed order, fixed "
    "burdens)",
    "item_scatter": "the continuation-ratio scatter of the ratings (off: nearly deterministic ratings, slope 8)",
    "protocol_taper": "clinic visits six-monthly after the first year with phone calls between (off: the clinic "
    "every 3 months)",
    "event_reviews": "an extra clinic review after NIV or a gastrostomy starts (off: none)",
    "no_shows": "missed contacts, and loss to follow-up after two in a row (off: every contact kept, no loss)",
    "distress_withdrawal": "withdrawal after a clinic visit with a high recorded ALSAQ-40 (off: none)",
    "escorial_rule": "the El Escorial eligibility criterion (off: any category, or none recorded, is eligible)",
    "chi3l1_choice": "the recorded CSF CHI3L1 in the choice (off: no CHI3L1 term)",
    "alsaq_choice": "the recorded ALSAQ-40 in the choice (off: no ALSAQ-40 term)",
    "site_choice": "the sites' different readiness (off: the same everywhere)",
    "unrecorded_wish": "the unrecorded wish, linked to the activity's set-point, in the choice (off: none)",
    "cycles": "repeated infusions every 13 weeks, up to four (off: one infusion)",
    "emax": "the shift growing with the number of infusions, saturating (off: the first infusion's shift throughout)",
    "lag": "the shift reaching the activity through its mean reversion (off: at once, and gone at once)",
    "response_spread": "responses differing between patients and with the set-point (off: g = 1)",
    "activity_hazard": "the death hazard rising with the current activity (off: on the damage only)",
    "niv": "NIV on the respiratory damage (off: none)",
    "gastrostomy": "gastrostomy on the bulbar damage (off: none)",
    "death": "death",
}
SITES = np.array(["UNI", "GEN", "REM"])
SITE_P = np.array([0.45, 0.35, 0.20])
SITE_CHOICE = np.array([0.5, 0.0, -0.7])
LP_P = np.array([0.9, 0.6, 0.4])  # a diagnostic lumbar puncture (CSF CHI3L1) by site
ONSET_FROM, ONSET_YEARS = pd.Timestamp("2012-01-01"), 12
OPENING = pd.Timestamp("2016-01-01")
LOCK = pd.Timestamp("2025-12-31")
EPOCH = pd.Timestamp(0)
MONTHS, STEPS = 172, 4
GRID = MONTHS * STEPS + 1
H = 1.0 / STEPS
N_PROTO = 58  # protocol contacts, every 3 months from the diagnosis
SLOTS = N_PROTO + 2  # + a review after NIV, + a review after a gastrostomy
BIG = np.iinfo(np.int64).max // 4
# regions: bulbar, arms (cervical), legs (lumbar), respiratory (thoracic)
B, A, L, R = range(4)
ITEM_REGION = np.array([B, B, B, A, A, A, L, L, L, R, R, R])
ITEM_W = np.array([1.15, 0.8, 1.0, 1.15, 1.0, 0.9, 0.8, 1.0, 1.15, 1.1, 0.95, 0.7])
HURDLES = np.array([0.9, 1.9, 2.9, 3.9])
ALPHA, ALPHA_OFF = 2.6, 8.0
KAPPA = np.array([0.115, 0.11, 0.105, 0.13])  # damage (item points) per unit of burden, by region
MU0, THETA, SD_X = 0.0, 0.25, 0.3
PHI = float(np.exp(-THETA * H))
# death hazard (per month): C_R·e^{B_R·y_R} + C_B·min(y_B/4, 1)², × activity^0.5, × NIV factor; + other causes
C_R, B_R, C_B = 0.001, 1.6, 0.03
GAP_CYCLE, N_CYCLES, CONTINUE, CAP_SHIFT, RATE_FLOOR = 91, 4, 0.85, float(np.log(10.0)), 0.2
ESCORIAL = np.array(["definite", "probable", "probable_lab", "possible"])
# El Escorial category by the number of King's regions involved at diagnosis (1, 2, 3)
ESC_P = np.array([[0.05, 0.20, 0.35, 0.40], [0.15, 0.50, 0.25, 0.10], [0.60, 0.30, 0.08, 0.02]])


def _days(ts: pd.Timestamp) -> int:
    return (ts - EPOCH).days


def _pmf(y: np.ndarray, alpha: float) -> np.ndarray:
    """Continuation-ratio probabilities of the scores 0..4 (last axis) of items at damage ``y``: the rating takes
    step l + 1 (a point lost) with probability expit(alpha·(y − HURDLES[l])) once it has taken step l."""
    p = expit(alpha * (y[..., None] - HURDLES))
    reach = np.concatenate([np.ones_like(y)[..., None], np.cumprod(p, -1)], -1)  # P(L ≥ l), l = 0..4
    prob_l = reach - np.concatenate([reach[..., 1:], np.zeros_like(y)[..., None]], -1)  # P(L = l)
    return prob_l[..., ::-1]  # score s = 4 − L


def _item_y(lam: np.ndarray, h: np.ndarray, kap: np.ndarray) -> np.ndarray:
    """The 12 items' damage (... × 12) at burden ``lam`` (...), regions' joining burdens ``h`` and rates ``kap``
    (rows × 4, broadcast over the trailing axes of ``lam``)."""
    extra = lam.ndim - 1
    hh = h.reshape(h.shape[:1] + (1,) * extra + (4,))
    kk = kap.reshape(kap.shape[:1] + (1,) * extra + (4,))
    y = kk * np.maximum(lam[..., None] - hh, 0.0)
    return y[..., ITEM_REGION] * ITEM_W


def _expected(y: np.ndarray, niv_on: np.ndarray, alpha: float) -> np.ndarray:
    """The expected total of the ratings at item damage ``y`` (... × 12): q12 at most 3 on NIV."""
    pm = _pmf(y, alpha)
    return (pm * np.arange(5)).sum((-1, -2)) - niv_on * pm[..., 11, 4]


def _at(grid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Linear interpolation of a grid (rows × GRID, STEPS per month) at ``t`` months (rows, or rows × columns)."""
    tt = np.clip(np.where(np.isfinite(t), t, 0.0) * STEPS, 0, grid.shape[1] - 1)
    k = np.minimum(np.floor(tt).astype(int), grid.shape[1] - 2)
    rows = np.arange(len(t)).reshape((-1,) + (1,) * (t.ndim - 1))
    w = tt - k
    return grid[rows, k] * (1 - w) + grid[rows, k + 1] * w


def _first_cross(series: np.ndarray, level: np.ndarray) -> np.ndarray:
    """The first time (months, linear between grid points) a non-decreasing grid series reaches ``level``."""
    above = series >= level[:, None]
    k = above.argmax(1)
    rows = np.arange(len(level))
    lo, hi = series[rows, np.maximum(k - 1, 0)], series[rows, k]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(hi > lo, (level - lo) / (hi - lo), 0.0)
    return np.where(above.any(1), np.where(k > 0, k - 1 + frac, 0.0) / STEPS, np.inf)


def _burden(act: np.ndarray) -> np.ndarray:
    """The cumulative burden Λ on the grid (trapezoids) of the activity on the grid."""
    out = np.zeros_like(act)
    np.cumsum(0.5 * H * (act[:, 1:] + act[:, :-1]), axis=1, out=out[:, 1:])
    return out


def simulate_world12(
    n_patients: int, effect: float, treated_share: float, seed: int, off: frozenset[str] = frozenset()
) -> WorldCohort:
    """A cohort of ``n_patients`` from the twelfth world, effect E = ``effect``, about ``treated_share`` of them
    treated (at most round(share·n)), with the pieces of ``off`` switched off."""
    refuse_unknown(off, PIECES)

    def on(piece: str) -> bool:
        return piece not in off

    rng = np.random.default_rng(seed)
    n, m = int(n_patients), 2 * int(n_patients) + 100
    # all random numbers first, in a fixed order (shared by every course)
    onset_u, limb_u, order_u, sex_u, site_u = (rng.random(m) for _ in range(5))
    age = np.clip(rng.normal(63, 11, m), 30, 88)
    onset_day = _days(ONSET_FROM) + rng.integers(0, int(ONSET_YEARS * 365.25), m)
    z, z_reg = rng.normal(0, 1, m), rng.normal(0, 1, (m, 4))
    x_eps = rng.standard_normal((m, GRID))
    d_king = rng.gamma(2.0, 4.0, (m, 3))
    d_resp = rng.gamma(3.0, 5.0, m)
    dx_z = rng.normal(0, 1, m)
    th_niv, th_gas = rng.uniform(1.5, 2.3, m), rng.uniform(2.3, 3.0, m)
    niv_ok, gas_ok = rng.random(m) < 0.70, rng.random(m) < 0.55
    gas_lag = rng.uniform(0.5, 1.5, m)
    e_death = rng.exponential(1.0, m)
    w0_z, f0_z, cope, zeta_z, g_z = (rng.normal(0, 1, m) for _ in range(5))
    u_esc, u_esc_miss, u_gen, u_ril, u_lp = (rng.random(m) for _ in range(5))
    chi_eps = rng.normal(0, 1, m)
    jitter = rng.normal(0, 1, (m, N_PROTO))
    rev_u = rng.random((m, 2))
    u_item = rng.random((m, SLOTS, 12), dtype=np.float32)
    u_skip = rng.random((m, SLOTS, 12), dtype=np.float32)
    meas_eps = rng.standard_normal((m, SLOTS, 3), dtype=np.float32)
    u_show, u_dec, u_wd, wd_days = (rng.random((m, SLOTS), dtype=np.float32) for _ in range(4))
    u_first, u_viab = rng.random(m), rng.random(m)
    u_cont = rng.random((m, N_CYCLES))

    # the course: a fluctuating activity drives a burden clock; regions join on it and accrue damage linearly
    code = np.where(onset_u < 0.28, 0, np.where(onset_u < 0.94, 1, np.where(onset_u < 0.97, 2, 3)))
    bulbar = (code == 0).astype(float)
    sex_m = sex_u < 0.6
    arms_on = limb_u < 0.5
    first_reg = np.where(code == 0, B, np.where(arms_on, A, L))
    if on("recruitment"):
        p_contig = np.where(code == 0, 0.8, np.where(code == 1, np.where(arms_on, 0.5, 0.8), 0.5))
        first_alt = np.where(code == 0, A, np.where(code == 1, np.where(arms_on, B, A), B))
        second_alt = np.where(code == 0, L, np.where(code == 1, np.where(arms_on, L, B), L))
        swap = order_u >= p_contig
        second, third = np.where(swap, second_alt, first_alt), np.where(swap, first_alt, second_alt)
        incr = d_king
    else:
        second = np.where(code == 0, A, np.where(code == 1, np.where(arms_on, B, A), B))
        third = np.where(code == 1, np.where(arms_on, L, B), L)
        incr = np.full((m, 3), 8.0)
    rows_m = np.arange(m)
    h = np.zeros((m, 4))
    resp_on = code == 2
    first_at = np.where(resp_on, incr[:, 2], 0.0)
    first_reg = np.where(resp_on, A, first_reg)
    h[rows_m, first_reg] = first_at
    h[rows_m, second] = first_at + incr[:, 0]
    h[rows_m, third] = first_at + incr[:, 0] + incr[:, 1]
    h[code == 3, :3] = 0.0
    h[:, R] = np.where(
        resp_on, 0.0, np.where(code == 3, 0.5, 1.0) * (h[:, A] + (d_resp if on("recruitment") else 15.0))
    )
    kap = KAPPA * np.exp(0.2 * z_reg)
    h_all, kap_all = h, kap
    mu = MU0 + 0.45 * z + 0.015 * (age - 63) + 0.15 * bulbar
    x_eps[:, 0] *= SD_X
    x_eps[:, 1:] *= SD_X * np.sqrt(1 - PHI**2)
    x_nat = lfilter([1.0], [1.0, -PHI], x_eps, axis=1) if on("fluctuation") else np.zeros((m, GRID))
    del x_eps
    age_all = age

    # entry: diagnosed when the burden reaches a personal level (a hitting time of the course); the first visit
    lam_dx = 12.0 * np.exp(0.45 * dx_z) * (1 - 0.15 * bulbar)
    lock_day = _days(LOCK)
    # the burden of every candidate (computed in one go: the grid is small)
    act_all = np.exp(mu[:, None] + x_nat)
    lam_all = _burden(act_all)
    t_dx = np.maximum(_first_cross(lam_all, lam_dx), 2.0)
    diag_day = onset_day + np.rint(np.where(np.isfinite(t_dx), t_dx, 1e4) * DPM).astype(np.int64)
    ok0 = (diag_day >= _days(OPENING)) & (diag_day <= lock_day - 31)
    cand = np.flatnonzero(ok0)

    def endpoints(lam: np.ndarray, act: np.ndarray, idx: np.ndarray) -> dict[str, np.ndarray]:
        """NIV, gastrostomy and death times (months from onset) of a course (burden and activity on the grid)."""
        t_niv = _first_cross(lam, h_all[idx, R] + th_niv[idx] / kap_all[idx, R]) + 0.5
        t_niv = np.where(niv_ok[idx] & on("niv"), t_niv, np.inf)
        t_gas = _first_cross(lam, h_all[idx, B] + th_gas[idx] / kap_all[idx, B]) + gas_lag[idx]
        t_gas = np.where(gas_ok[idx] & on("gastrostomy"), t_gas, np.inf)
        mid_l = 0.5 * (lam[:, 1:] + lam[:, :-1])
        y_r = np.minimum(kap_all[idx, R, None] * np.maximum(mid_l - h_all[idx, R, None], 0), 6.0)
        y_b = np.minimum(kap_all[idx, B, None] * np.maximum(mid_l - h_all[idx, B, None], 0), 4.0)
        tm = (np.arange(GRID - 1) + 0.5) * H
        haz = C_R * np.exp(B_R * y_r) + C_B * (y_b / 4) ** 2
        if on("activity_hazard"):
            haz = haz * np.sqrt(0.5 * (act[:, 1:] + act[:, :-1]) / np.exp(MU0))
        yb_niv = kap_all[idx, B] * np.maximum(_at(lam, np.minimum(t_niv, MONTHS)) - h_all[idx, B], 0)
        niv_f = np.where(yb_niv < 2.0, 0.55, 0.85)
        haz = np.where(tm[None, :] >= t_niv[:, None], haz * niv_f[:, None], haz)
        haz = haz + 0.0008 * np.exp(0.07 * (age_all[idx, None] - 62))
        cum = np.zeros((len(idx), GRID))
        np.cumsum(haz * H, axis=1, out=cum[:, 1:])
        death = _first_cross(cum, e_death[idx])
        if not on("death"):
            death = np.full(len(idx), np.inf)
        return {"niv": t_niv, "gas": t_gas, "death": death}

    ends = endpoints(lam_all[cand], act_all[cand], cand)
    alive = ends["death"] > t_dx[cand] + 0.05
    keep_c = np.flatnonzero(alive)[:n]
    if len(keep_c) < n:
        raise RuntimeError("too few candidates enter the cohort")
    keep = cand[keep_c]
    lam_n, act_n = lam_all[keep], act_all[keep]
    del lam_all, act_all
    nat_end = {k: v[keep_c] for k, v in ends.items()}

    def sel(arr: np.ndarray) -> np.ndarray:
        return arr[keep]

    (onset_day, diag_day, age, sex_m, code, h, kap, mu, z, jitter, rev_u, u_item, u_skip, meas_eps, u_show, u_dec,
     u_wd, wd_days, cope, zeta_z, g_z, w0_z, f0_z, u_lp, chi_eps, site_u, x_nat, u_first, u_viab, u_cont, u_esc,
     u_esc_miss, u_gen, u_ril) = map(sel, (
        onset_day, diag_day, age, sex_m, code, h, kap, mu, z, jitter, rev_u, u_item, u_skip, meas_eps, u_show, u_dec,
        u_wd, wd_days, cope, zeta_z, g_z, w0_z, f0_z, u_lp, chi_eps, site_u, x_nat, u_first, u_viab, u_cont, u_esc,
        u_esc_miss, u_gen, u_ril))  # fmt: skip
    site = np.searchsorted(np.cumsum(SITE_P), site_u * 0.999999)
    birth_year = (pd.to_datetime(onset_day, unit="D").year.to_numpy() - np.floor(age)).astype(int)
    rows = np.arange(n)
    t_dx = (diag_day - onset_day) / DPM
    # recorded at diagnosis: El Escorial by the King's regions involved then, genetics, riluzole, CSF CHI3L1
    n_reg = (h[:, :3] <= _at(lam_n, t_dx)[:, None]).sum(1).clip(1, 3)
    esc = (u_esc[:, None] > np.cumsum(ESC_P[n_reg - 1], 1)[:, :3]).sum(1)
    escorial = ESCORIAL[esc].astype(object)
    escorial[u_esc_miss < 0.1] = None
    genetics = np.where(u_gen < 0.07, "C9orf72", np.where(u_gen < 0.09, "SOD1", None)).astype(object)
    lp = u_lp < LP_P[site]
    x_dx = x_nat[rows, np.minimum(np.rint(t_dx * STEPS).astype(int), GRID - 1)]
    chi3l1 = np.round(150 * np.exp(0.8 * (mu + x_dx - MU0) + 0.25 * chi_eps), 1)
    chi3l1 = np.where(lp, chi3l1, np.nan)
    w0 = np.clip(np.where(sex_m, 80 + 12 * w0_z, 66 + 11 * w0_z), 42, 140)
    f0 = np.clip(98 + 12 * f0_z, 70, 130)
    zeta = 0.35 * z + np.sqrt(1 - 0.35**2) * zeta_z
    esc_ok = np.isin(escorial, ["definite", "probable", "probable_lab"]) if on("escorial_rule") else np.ones(n, bool)
    sod1 = genetics == "SOD1"
    alpha = ALPHA if on("item_scatter") else ALPHA_OFF

    # the protocol's contacts: every 3 months from the diagnosis; at the clinic in the first year and every 6 months
    # after it, by phone between; a few days off their dates
    k_proto = np.arange(N_PROTO)
    months_k = 3 * k_proto
    clinic_k = (months_k <= 12) | (months_k % 6 == 0) if on("protocol_taper") else np.ones(N_PROTO, bool)
    proto_day = diag_day[:, None] + np.rint(months_k * DPM + np.where(k_proto > 0, 6 * jitter, 0)).astype(np.int64)

    def run(lam: np.ndarray, ev: dict[str, np.ndarray], block: tuple[np.ndarray, np.ndarray] | None,
            decide: bool) -> dict[str, np.ndarray]:  # fmt: skip
        """The registry's contacts of a course (burden ``lam`` on the grid, events ``ev``): the protocol's visits
        and calls, reviews after NIV and a gastrostomy; no losses or withdrawals in [block) days (the cycles)."""
        niv_day = onset_day + np.rint(np.where(np.isfinite(ev["niv"]), ev["niv"], 1e5) * DPM).astype(np.int64)
        gas_day = onset_day + np.rint(np.where(np.isfinite(ev["gas"]), ev["gas"], 1e5) * DPM).astype(np.int64)
        extra = np.stack([niv_day, gas_day], 1) + 28 + np.floor(rev_u * 15).astype(np.int64)
        real = np.isfinite(np.stack([ev["niv"], ev["gas"]], 1)) & on("event_reviews")
        clash = (extra[:, :, None] == proto_day[:, None, :]).any(-1)
        clash[:, 1] |= extra[:, 1] == extra[:, 0]
        extra = np.where(real & ~clash & (extra > diag_day[:, None]), extra, BIG)
        days = np.concatenate([proto_day, extra], 1)
        order = np.argsort(days, axis=1, kind="stable")
        days = np.take_along_axis(days, order, 1)
        is_clinic = np.take_along_axis(np.concatenate([np.broadcast_to(clinic_k, (n, N_PROTO)), np.ones((n, 2), bool)],
                                                      1), order, 1)  # fmt: skip
        is_proto = order < N_PROTO
        fol = np.zeros((n, SLOTS), bool)
        phone = np.zeros((n, SLOTS), bool)
        items = np.zeros((n, SLOTS, 12))
        meas = np.full((n, SLOTS, 3), np.nan)  # FVC, weight, ALSAQ-40
        crit = np.full((n, SLOTS), np.inf)
        ended, lost, wd = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
        wd_day = np.full(n, -1, np.int64)
        misses = np.zeros(n, int)
        n_clinic = np.zeros(n, int)
        for v in range(SLOTS):
            day = days[:, v]
            col = order[:, v]
            t = (day - onset_day) / DPM
            ended |= (day > lock_day) | (t >= ev["death"])
            act = ~ended
            if not act.any():
                break
            inblock = np.zeros(n, bool) if block is None else (day >= block[0]) & (day < block[1])
            clinic = is_clinic[:, v]
            lam_t = _at(lam, np.minimum(t, MONTHS))
            y = _item_y(lam_t, h, kap)
            y_l = np.minimum(y[:, 6:9].mean(1), 4.0)
            p_miss = np.where(clinic, expit(-3.6 + 0.9 * (site == 2) + 0.8 * y_l), expit(-3.2))
            miss = act & is_proto[:, v] & (col > 0) & ~inblock & (u_show[rows, col] < p_miss) & on("no_shows")
            att = act & ~miss
            cdf = np.cumsum(_pmf(y, alpha), -1)[..., :4]
            it = (u_item[rows, col][..., None] > cdf).sum(-1).astype(float)
            it[:, 11] = np.where(day >= niv_day, np.minimum(it[:, 11], 3), it[:, 11])
            skip = (~clinic)[:, None] & (u_skip[rows, col] < 0.01)
            it[skip] = np.nan
            fol[:, v], phone[:, v], items[:, v] = att, ~clinic, it
            # at the clinic: FVC % predicted, weight, ALSAQ-40
            e_tot = _expected(y, np.zeros(n), alpha)
            eps = meas_eps[rows, col]
            fvc = f0 * np.clip(1 - y[:, 9:].mean(1) / 4.5 * 1.05, 0.05, 1) - 5 * np.minimum(y[:, :3].mean(1), 4) / 4
            fvc = np.clip(np.round(fvc + 4 * eps[:, 0]), 5, 150)
            wt = w0 * (1 - 0.025 * np.minimum(y[:, :3].mean(1), 4) - 0.01 * np.minimum(y[:, 3:9].mean(1), 4))
            wt = np.clip(np.round(wt + 0.8 * eps[:, 1], 1), 25, 200)
            aq = np.clip(np.round(4 + 1.5 * (48 - e_tot) + 8 * cope + 5 * eps[:, 2], 1), 0, 100)
            rec = att & clinic
            meas[:, v] = np.where(rec[:, None], np.stack([fvc, wt, aq], 1), np.nan)
            if decide:
                a_now = pd.to_datetime(day, unit="D").year.to_numpy() - birth_year
                elig = (
                    rec & (n_clinic >= 1) & esc_ok & ~sod1 & (day - onset_day <= 30 * DPM) & (fvc >= 60)
                    & (niv_day > day) & (gas_day > day) & (a_now <= 75)
                )  # fmt: skip
                score = -0.04 * (a_now - 60)
                if on("chi3l1_choice"):
                    score = score + 0.9 * np.nan_to_num(np.log(chi3l1 / 150))
                if on("alsaq_choice"):
                    score = score + 0.04 * (aq - 25)
                if on("site_choice"):
                    score = score + SITE_CHOICE[site]
                if on("unrecorded_wish"):
                    score = score + 0.6 * zeta
                ur = np.clip(u_dec[rows, col].astype(float), 1e-9, 1 - 1e-9)
                crit[:, v] = np.where(elig, np.log(ur) - np.log1p(-ur) - score, np.inf)
            n_clinic += rec
            misses = np.where(is_proto[:, v] & act, np.where(miss, misses + 1, 0), misses)
            free = act & ~inblock
            if on("distress_withdrawal"):
                out = free & rec & (aq >= 50) & (u_wd[rows, col] < 0.1)
                wd |= out
                wd_day = np.where(out, day + 1 + (wd_days[rows, col] * 20).astype(int), wd_day)
                ended |= out
            gone = free & ~ended & (misses >= 2)
            lost |= gone
            ended |= gone
        return {"fol": fol, "vday": np.where(fol, days, -1), "phone": phone, "items": items, "meas": meas,
                "crit": crit, "lost": lost, "wd": wd, "wd_day": wd_day, "niv_day": niv_day, "gas_day": gas_day,
                **ev}  # fmt: skip

    natural = run(lam_n, nat_end, None, True)
    target_n = round(treated_share * n)
    cstar = natural["crit"].min(1)
    cut = share_cutoff(cstar, target_n)
    decided = cstar < cut
    w_dec = (natural["crit"] < cut).argmax(1)
    dec_day = natural["vday"][rows, w_dec]
    dose_w = natural["meas"][rows, w_dec, 1]
    first = dec_day + 14 + np.floor(u_first * 14).astype(np.int64)
    cyc_day = first[:, None] + GAP_CYCLE * np.arange(N_CYCLES)
    last_nat = natural["vday"].max(1)
    gone_by = np.where(natural["lost"], last_nat, np.where(natural["wd"], natural["wd_day"], BIG))
    t_cyc = (cyc_day - onset_day[:, None]) / DPM
    treated = (
        decided & (first <= lock_day) & (t_cyc[:, 0] + 1 / DPM < nat_end["death"]) & (first < gone_by)
        & (natural["niv_day"] > first) & (natural["gas_day"] > first)
    )  # fmt: skip
    t0 = np.where(treated, t_cyc[:, 0], np.inf)
    p = np.flatnonzero(treated)

    def next_cycles(given: np.ndarray, k: int, ev: dict[str, np.ndarray]) -> np.ndarray:
        """Cycle k (0-based) is given after k − 1, 13 weeks on, if alive, before the lock, no NIV or gastrostomy
        has started and the patient goes on."""
        nd = onset_day[p] + np.rint(np.where(np.isfinite(ev["niv"]), ev["niv"], 1e5) * DPM)
        gd = onset_day[p] + np.rint(np.where(np.isfinite(ev["gas"]), ev["gas"], 1e5) * DPM)
        ok = (given[:, k - 1] & (cyc_day[p, k] <= lock_day) & (t_cyc[p, k] + 1 / DPM < ev["death"])
              & (nd > cyc_day[p, k]) & (gd > cyc_day[p, k]) & (u_cont[p, k] < CONTINUE) & on("cycles"))  # fmt: skip
        out = given.copy()
        out[:, k] = ok
        return out

    res, res0 = natural, natural
    lam_t = lam_n
    given = np.zeros((n, N_CYCLES), bool)
    if len(p):
        block = (np.where(treated, first, 0), np.where(treated, cyc_day[:, -1] + 1, 0))
        res0 = run(lam_n, nat_end, block, False)
        res = res0
        ev_p = {k: v[p] for k, v in nat_end.items()}
        gp = np.zeros((len(p), N_CYCLES), bool)
        gp[:, 0] = True
        if effect == 0:
            for k in range(1, N_CYCLES):
                gp = next_cycles(gp, k, ev_p)
        else:
            # the expected total's loss rate (points/month) at the first infusion, at the activity then
            lam0, act0 = _at(lam_n[p], t0[p]), _at(act_n[p], t0[p])
            e_a = _expected(_item_y(lam0, h[p], kap[p]), np.zeros(len(p)), alpha)
            e_b = _expected(_item_y(lam0 + 0.1 * act0, h[p], kap[p]), np.zeros(len(p)), alpha)
            r_pts = np.maximum((e_a - e_b) / 0.1, RATE_FLOOR)
            g = np.exp(0.135 * z[p] + 0.4 * g_z[p] - 0.08) if on("response_spread") else 1.0
            rho = np.minimum(effect * g / r_pts, 0.9)
            shift1 = -np.log1p(-rho)
            tg = np.arange(GRID) * H

            def course(gp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                """Burden and activity of the treated with the cycles ``gp``: a shift of the activity's mean."""
                start = np.ceil(t_cyc[p] * STEPS) / STEPS  # the grid point on or after each infusion
                n_g = (gp[:, None, :] & (tg[None, :, None] >= start[:, None, :])).sum(-1)
                last = np.where(gp, t_cyc[p], -np.inf).max(1) + GAP_CYCLE / DPM
                w = 1.5 * n_g / (n_g + 0.5) if on("emax") else (n_g > 0).astype(float)
                lvl = np.minimum(shift1[:, None] * w, CAP_SHIFT) * (
                    tg[None, :] < np.ceil(last * STEPS)[:, None] / STEPS
                )
                if on("lag"):
                    e = np.zeros_like(lvl)
                    e[:, 1:] = -(1 - PHI) * lvl[:, :-1]
                    y_sh = lfilter([1.0], [1.0, -PHI], e, axis=1)
                else:
                    y_sh = -lvl
                act = act_n[p] * np.exp(y_sh)
                return _burden(act), act

            for k in range(1, N_CYCLES):
                lp_, ap_ = course(gp)
                gp = next_cycles(gp, k, endpoints(lp_, ap_, keep[p]))
            lam_p, act_p = course(gp)
            lam_t = lam_n.copy()
            lam_t[p] = lam_p
            ev1 = {k: v.copy() for k, v in nat_end.items()}
            e1 = endpoints(lam_p, act_p, keep[p])
            for k in ev1:
                ev1[k][p] = e1[k]
            res = run(lam_t, ev1, block, False)
        given[p] = gp
    return _tables(n, effect, onset_day, diag_day, birth_year, sex_m, code, site, lock_day, res, res0, given,
                   cyc_day, dose_w, lam_t, lam_n, h, kap, p, t0, alpha,
                   (escorial, genetics, u_ril, u_viab, chi3l1))  # fmt: skip


def _tables(n, effect, onset_day, diag_day, birth_year, sex_m, code, site, lock_day, res, res0, given, cyc_day,
            dose_w, lam_t, lam_n, h, kap, p, t0, alpha, recorded) -> WorldCohort:  # fmt: skip
    """The canonical tables of the recorded run ``res`` and the truths against the run without cells ``res0``."""
    escorial, genetics, u_ril, u_viab, chi3l1 = recorded
    fol, vday = res["fol"], res["vday"]
    lock_m = (lock_day - onset_day) / DPM
    last_day = vday.max(1)
    last_t = (last_day - onset_day) / DPM
    death, lost = res["death"], res["lost"]
    wd_t = (res["wd_day"] - onset_day) / DPM
    withdrawn = res["wd"] & ~lost & (wd_t < death) & (res["wd_day"] <= lock_day)
    end_obs = np.where(lost, last_t, np.where(withdrawn, wd_t, lock_m))
    ids = np.array([f"W12{i:05d}" for i in range(n)])
    d_niv = np.where(np.isfinite(res["niv"]), res["niv_day"] - onset_day, 0)
    d_gas = np.where(np.isfinite(res["gas"]), res["gas_day"] - onset_day, 0)
    ev_rows = [
        event_rows(ids, onset_day, "niv_start", res["niv"], d_niv, end_obs, lock_m, death),
        event_rows(ids, onset_day, "gastrostomy", res["gas"], d_gas, end_obs, lock_m, death),
    ]
    died = (death < lock_m) & ~lost & ~withdrawn
    events, gastro_day = closing_events(ids, onset_day, ev_rows, res["wd_day"], withdrawn, died, death, last_day,
                                        lost, last_t, lock_m, 6.0)  # fmt: skip
    alsfrs = item_rows(ids, res["items"], fol, vday, gastro_day)
    pi, vi = np.nonzero(fol)
    alsfrs["assessor"] = np.where(res["phone"][pi, vi], "phone", "clinician")
    alsfrs = alsfrs.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    ps, vs, ks = np.nonzero(fol[..., None] & np.isfinite(res["meas"]))
    measurements = pd.DataFrame({
        "patient_id": ids[ps], "date": pd.to_datetime(vday[ps, vs], unit="D"),
        "measure": np.array(["fvc_pct_pred", "weight_kg", "alsaq40"])[ks], "value": res["meas"][ps, vs, ks],
        "unit": np.array(["%", "kg", "index"])[ks],
    })  # fmt: skip
    pc = np.flatnonzero(np.isfinite(chi3l1))
    csf = pd.DataFrame({"patient_id": ids[pc], "date": pd.to_datetime(diag_day[pc], unit="D"), "measure": "chi3l1",
                        "value": chi3l1[pc], "unit": "ng/mL", "specimen": "csf"})  # fmt: skip
    measurements = pd.concat([measurements, csf], ignore_index=True)
    measurements = measurements.sort_values(["patient_id", "date", "measure"], kind="stable").reset_index(drop=True)
    riluzole = np.where(u_ril < 0.8, "true", "false").astype(object)
    riluzole[u_ril > 0.97] = None
    patients = pd.DataFrame({
        "patient_id": ids, "sex": np.where(sex_m, "M", "F"), "birth_year": birth_year,
        "onset_date": pd.to_datetime(onset_day, unit="D"), "diagnosis_date": pd.to_datetime(diag_day, unit="D"),
        "onset_site": np.array(["bulbar", "limb", "respiratory", "generalized"])[code],
        "el_escorial": escorial, "riluzole": riluzole, "genetics": genetics, "site": SITES[site],
    })  # fmt: skip
    pg, kg = np.nonzero(given)
    treatments = pd.DataFrame({
        "treatment_id": [f"{ids[i]}-C{k + 1}" for i, k in zip(pg, kg, strict=True)], "patient_id": ids[pg],
        "date": pd.to_datetime(cyc_day[pg, kg], unit="D"), "cycle": kg + 1, "cell_source": "umbilical_cord",
        "donor": "allogeneic", "route": "intravenous", "dose_cells": np.round(1e6 * dose_w[pg], -5),
        "viability_pct": np.round(88 + 9 * u_viab[pg], 1),
    })  # fmt: skip
    treatments = treatments.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    tables = Tables.from_frames(
        patients=patients, treatments=treatments, alsfrs=alsfrs, measurements=measurements, events=events
    )
    if len(p) == 0:
        return WorldCohort(tables, float(effect), 0)
    # truths: expected clinician-rated totals with and without the cells, at the visits of either run
    days = np.concatenate([np.where(fol[p], vday[p], onset_day[p, None]),
                           np.where(res0["fol"][p], res0["vday"][p], onset_day[p, None])], 1)  # fmt: skip
    tt = np.minimum((days - onset_day[p, None]) / DPM, MONTHS)
    since = tt - t0[p, None]
    e1 = _expected(_item_y(_at(lam_t[p], tt), h[p], kap[p]), days >= res["niv_day"][p, None], alpha)
    e0 = _expected(_item_y(_at(lam_n[p], tt), h[p], kap[p]), days >= res0["niv_day"][p, None], alpha)
    z = np.zeros_like(fol[p])
    followed1 = np.concatenate([fol[p], z], 1)
    followed0 = np.concatenate([z, res0["fol"][p]], 1)
    truths = cohort_truths(e1, e0, since, followed1, followed0, effect)
    return WorldCohort(tables, float(effect), len(p), *truths)


__all__ = ["ITEMS", "PIECES", "WorldCohort", "simulate_world12"]

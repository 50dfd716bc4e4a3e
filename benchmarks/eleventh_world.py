"""An eleventh data-generating mechanism, held out: written from the canonical format (spec/data-format.md,
spec/domain-rules.md), the docstrings of the third to tenth worlds (so as to differ from them), the tenth world's
code as an example of the interface and ALS clinical knowledge, without reading the estimators, their
documentation pages or any calibration result, and without running any estimator on it.

The other worlds use sigmoid, linear-quadratic, Markov-plateau, change-point, domain-ramp, item-Poisson,
subtype-random-walk, power-law, drift-with-steps and Gompertz-reserve courses; rounded-noise, graded-response,
rater-noise, misrated-count, partial-credit, ordinal-probit, loss-sequence and logit-dithered items; fixed,
personal, renewal, monthly-slot, booked-on-FVC or 3-monthly visits; treatment on drops, true slopes, thresholds of
the total, calendar access, runs of poor visits, new losses, a waiting list, a phone call or a falling FVC/SVC,
always intrathecal or intravenous; effects on slopes, clocks, rates, levels or hazards of the whole body.  This
world is a registry whose patients may buy a course of intramuscular injections, and differs in every piece:

* **course: a loss spreading between six body segments by sub-linear contact (a coupled propagation).**  The
  segments are bulbar, left arm, right arm, left leg, right leg and respiratory (thoracic); x_k(t) ∈ [0, 1] is the
  fraction of segment k's motor units lost, t months from onset, and dx_k/dt = r_k·(x_k + κ·Σ_j A_kj·x_j)^γ·(1 −
  x_k), κ = 0.8, γ = 0.3: a segment loses units driven by its own loss and its neighbours' (A: bulbar–arms 1,
  arm–arm 0.6, arm–leg of the same side 0.5, leg–leg 0.6, arms–respiratory 0.7 (the phrenic segments), legs–
  respiratory 0.3, bulbar–respiratory 0.4), the drive saturating (γ < 1) so that a segment touched by a neighbour
  soon declines at nearly its own rate, and the loss slowing as the segment empties.  Spread from the onset
  region to contiguous ones (Ravits & La Spada, Neurology 2009;73:805–811), and one side before the other in a limb
  onset; the equation, A, κ, γ are assumptions.  Symptom onset: the onset segment has lost 12% (x = 0.12, the
  others 0; generalized onset 6% everywhere).  r_k = 0.029·e^{0.45·z + 0.015·(age − 63) + 0.15·bulbar}·e^{0.2·z_k}
  per month (× 0.85 for the respiratory segment): older and bulbar onset faster (Chiò et al., Amyotroph Lateral
  Scler 2009;10:310–323).  Onset: bulbar 28%, limb 66% (arm or leg, left or right, a quarter each), respiratory 3%,
  generalized 3%; men 60%; age at onset N(63, 11²) within 30–88 (Chiò et al. 2009); 90% right-handed.  Integrated
  by Heun steps of a quarter month.  The constants were set so that the untreated patients' per-patient slope of
  the recorded total is −1.03 points/month on average, median −0.94 (−0.99 PRO-ACT, −0.89 population-based,
  spec/domain-rules.md) and the first recorded total's median 43; median survival from onset 39 months (measured
  on ``simulate_world11(3000, 0.0, 0.0, 1)``: per patient the least-squares slope of the complete totals on
  months over the 2,889 patients with two or more spanning 3 months or more; survival by Kaplan–Meier with entry
  at the first visit).  Recorded: sex, birth year, onset and diagnosis dates, onset site (not the side), El
  Escorial (often missing), riluzole (80%, no effect), the site;
* **items: a window of each item on its segments' loss, then beta-binomial ratings.**  Item j reads a mix y_j of
  segment losses: bulbar items the bulbar segment; handwriting the dominant arm; cutting food 0.6 dominant + 0.4
  other arm; dressing the arms (0.9) and legs (0.1); turning in bed arms 0.4, legs 0.4, trunk (respiratory) 0.2;
  walking and stairs 0.65·worse + 0.35·better leg; the respiratory items the respiratory segment (Cedarbaum et al.,
  J Neurol Sci 1999;169:13–21).  Its fraction of normal is f_j = clip(1 − (y_j − a_j)/(b_j − a_j), 0, 1), a linear
  window [a_j, b_j] of loss (speech 0.05–0.8 before swallowing 0.15–0.9 before salivation 0.25–1; handwriting
  first; stairs 0–0.75 before walking 0.1–0.9 before turning 0.25–1; dyspnea 0.15–0.85 before orthopnea 0.25–0.95
  before respiratory insufficiency 0.45–1; assumptions).  The recorded item is beta-binomial: 4 trials with a
  success probability drawn from Beta(ν·f, ν·(1 − f)), ν = 14 at the clinic and 7 by phone (unbiased, noisier:
  telephone ALSFRS-R agrees well with clinic ratings, Kaufmann et al., Amyotroph Lateral Scler 2007;8:42–46);
  drawn by inverting its distribution at a stored uniform.  Its mean is exactly 4·f.  On NIV q12 is at most 3;
  after a gastrostomy item 5 is q5b (spec/domain-rules.md).  Phone ratings skip each item with probability 0.008
  (about 1% of all rows partial).  Dynamometry at each in-person visit: grip (``grip_kg``, left and right) G0·(1 −
  x_arm)^1.3 and quadriceps hand-held dynamometry (``hhd_kg``, ``quadriceps``, left and right) H0·(1 − x_leg)^1.3,
  each × e^{0.07·ε}, rounded to 0.1 kg; G0 ~ N(40, 8²) men, N(26, 6²) women, H0 ~ N(38, 8²), N(27, 6²)
  (assumptions);
* **entry and visits: diagnosis at the clinic, reviews booked by the recorded total's band, a pandemic.**  The
  first visit is the diagnosis, a lognormal delay after onset (median 11 months × (r/0.029)^−0.4, × 0.85 for
  bulbar onset, sd of log 0.5, at least 2 months; about a year: Paganoni et al., Amyotroph Lateral Scler
  Frontotemporal Degener 2014;15:453–456).  The registry opened on 2015-01-01 and includes the patients diagnosed
  from then on, alive at diagnosis and a month before the lock; onsets 2011–2022, data lock 2025-06-30.  Three
  sites: NORTH 45%, SOUTH 35%, EAST 20%.  After each visit the next is booked 4 months on when the last complete
  recorded total is ≥ 36, 3 months when 24–35 and 2 months below (× e^{0.15·z}; clinics review about every 3
  months and more often as the disease advances: Miller et al., Neurology 2009;73:1218–1226; the bands are
  assumptions).  From 2020-03-16 to 2021-06-30 (the COVID-19 pandemic) every review after the first is by phone
  (``assessor`` phone, no dynamometry), its interval × 1.5 and its loss to follow-up 0.03 instead of 0.004
  (assumptions);
* **who is treated, and when: a private programme of intramuscular injections into a limb that is weak on one
  side.**  At an in-person review an untreated patient is eligible when dynamometry was recorded at an earlier
  visit, the diagnosis is at most 36 months old, the visit's complete total ≥ 24, the age (visit year − birth
  year) ≤ 80, neither NIV nor a gastrostomy has started, and a limb has a *target*: the weaker side's recorded
  strength (grip for the arms, quadriceps for the legs) is ≤ 75% of the stronger side's and ≥ 5 kg (a focal,
  asymmetric weakness with muscle left to inject; the limb with the lower ratio when both qualify).  The patient
  starts with probability expit(c + s), s = 8·(0.75 − ratio) + 0.3·clip(fall, −2, 6) (fall: the weaker side's
  recorded strength fall since the last dynamometry, kg/month) + site (NORTH 0, SOUTH −0.7, EAST +0.7) −
  0.03·(age − 60) + 0.7·ζ, ζ = 0.4·z + 0.92·N(0, 1) the patient's unrecorded wish and means, correlated with the
  speed z (the clinician sees fasciculations and a fast course the registry does not record: mild unmeasured
  confounding; the rest is recorded, and the ratio carries noise of about 0.1, so it also selects on chance
  asymmetry).  c is set so that at most round(share · n) patients start (each first start is a deterministic
  function of c on the untreated history).  Fat is harvested at the decision; autologous adipose-derived cells
  (2.4–4.8×10⁷ per session) are injected into the target limb's muscles on both sides (arm: deltoid, biceps,
  triceps, first dorsal interosseous; leg: quadriceps, hamstrings, tibialis anterior) at the cell clinic's first
  fortnightly session at least 28–34 days after the decision (28–47 days), then twice more 84 days apart (a
  package of three), while alive and before the lock (intramuscular MSC injections: Petrou et al., JAMA Neurol
  2016;73:337–344, where they were combined with intrathecal ones).  Patients who withdraw or are lost before
  the first session are not treated; none withdraws or is lost during the package.  All coefficients are
  assumptions;
* **effect: pulses of trophic support after each injection, local to the injected limb, with a systemic
  quarter.**  After the first injection at t0 the loss rate of the injected limb's two segments is multiplied by
  1 − min(ρ·S(t), 0.9), that of the other segments by 1 − min(ρ·S(t)/4, 0.9): S(t) = Σ_k (s_k/1.5)·e^{1 −
  s_k/1.5}, s_k the months since injection k (each injection's support peaks 1.5 months after it at 1 and fades;
  S reaches about 1.5 by the third, then fades over 6–9 months).  ρ = E·g / R, R the expected total's loss rate
  (points/month, at least 0.2) that the weighted slowing acts on at t0: a patient with g = 1 loses E points/month
  less at the first pulse's peak (unless the 90% cap binds).  g = min((1 − x_limb)/0.7, 1.2)·e^{0.5·z'' − 0.125}:
  more units left to protect, more benefit, and an unrecorded spread.  The slowed segments feed less loss to
  their neighbours (the spread is slowed too); the respiratory segment's slowing delays NIV and death.
  (Measured once the constants were set, not tuned, on 3,000 patients, 30% treated, seed 1: the expected-total
  difference divided by the months since the first injection averages 0.56·E at E = 0.2 and 0.50·E at E = 0.5
  over the visits 0.5–3 months after it, 0.72·E and 0.62·E over 3–9, 0.63·E and 0.54·E over 9–15, 0.39·E and
  0.33·E over 15–24; ``truth_window`` 0.085 and 0.177, ``truth_realised`` 0.100 and 0.208.)  All assumptions;
  E = 0 gives ρ = 0 and the same course with and without cells;
* **follow-up ends by respiratory failure, fatal chest infections, transfer to hospice, loss and the lock.**
  Respiratory failure when the respiratory segment's loss reaches a personal U(0.6, 0.8): death then, or, on NIV,
  after an exponential time of mean 6 months when the bulbar loss is below half and 1.5 months otherwise (NIV
  prolonged survival with better bulbar function and little with severe bulbar impairment: Bourke et al., Lancet
  Neurol 2006;5:140–147).  Each month a chest infection (aspiration, weak cough) occurs with probability 0.004 +
  0.10·x_bulbar² + 0.05·x_resp² and is fatal with probability expit(−3 + 6·x_resp − 1·NIV) (respiratory failure
  and pneumonia are the usual causes of death: Corcia et al., Amyotroph Lateral Scler 2008;9:59–62); other causes
  at 0.0008·e^{0.07·(age − 62)} per month.  NIV (accepted by 70%) half a month after the respiratory loss passes
  U(0.4, 0.6); a gastrostomy (accepted by 55%) a month after the bulbar loss passes U(0.55, 0.75).  After each
  review with a last complete recorded total below 16 the patient moves to hospice care with probability 0.1
  (``withdrawal``, 1–19 days later); after each review a patient is lost with probability 0.004 (0.03 in the
  pandemic), declared 6 months after the last visit.  Rates and thresholds are assumptions (median survival from
  onset 39 months, above; 30–45 months in population cohorts, spec/domain-rules.md).

All random numbers are drawn first in a fixed order and shared by every course.  The untreated course decides who
starts and when; the programme's course shares it up to the first injection and then is followed twice, with the
cells (recorded) and without them, each with its own visits (booked on its own recorded totals), NIV,
gastrostomy, deaths and endings.  ``truth`` is E; ``truth_realised`` per treated patient the least squares through
the origin of (with − without cells expected clinician-rated total) on months since the first injection over the
recorded post-injection visits, the mean over patients; ``truth_window`` and ``truth_observed`` from
``window_truth`` (the latter with the visits each course keeps); zeros under E = 0.  The expected total is exact:
4·Σ f_j less, on NIV, the probability that q12 would read 4 (no partial rows).  Writes canonical tables (patients,
treatments, alsfrs, measurements, events).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from alscell.io.tables import Tables
from second_world import refuse_unknown
from window_truth import cohort_truths
from world_tables import DPM, ITEMS, WorldCohort, closing_events, event_rows, item_rows, share_cutoff

PIECES = {
    "coupling": "the spread of the loss from segment to neighbouring segment (off: each segment on its own seed)",
    "asymmetry": "a limb onset on one side (off: both sides of the onset limb start together)",
    "item_windows": "each item lost over its own window of its segments' loss (off: one window for all)",
    "overdispersion": "beta-binomial scatter of the ratings (off: binomial)",
    "pandemic": "phone reviews, longer gaps and more losses in the pandemic months (off: an ordinary period)",
    "banded_gaps": "review intervals by the recorded total's band (off: 3 months for everyone)",
    "asymmetry_rule": "the recorded strength asymmetry in the decision (off: no asymmetry term)",
    "strength_fall": "the weaker side's recorded fall in strength in the decision (off: no fall term)",
    "site_propensity": "the sites' different readiness to refer (off: the same everywhere)",
    "unrecorded_will": "the unrecorded wish, linked to the speed, in the decision (off: none)",
    "pulses": "the effect building and fading after each injection (off: a constant slowing for 9 months)",
    "systemic": "a quarter of the slowing in the segments outside the injected limb (off: the limb only)",
    "response_spread": "responses differing between patients (off: g from the segment's reserve only)",
    "niv": "NIV on the respiratory loss (off: none)",
    "gastrostomy": "gastrostomy on the bulbar loss (off: none)",
    "infections": "fatal chest infections (off: none)",
    "withdrawal": "transfer to hospice at a low recorded total",
    "loss": "loss to follow-up",
    "death": "death",
}
SITES = np.array(["NORTH", "SOUTH", "EAST"])
SITE_P = np.array([0.45, 0.35, 0.20])
SITE_OFFSET = np.array([0.0, -0.7, 0.7])
ONSET_FROM, ONSET_YEARS = pd.Timestamp("2011-01-01"), 12
OPENING = pd.Timestamp("2015-01-01")
LOCK = pd.Timestamp("2025-06-30")
PANDEMIC = (pd.Timestamp("2020-03-16"), pd.Timestamp("2021-06-30"))
SESSION0 = pd.Timestamp("2015-01-06")  # the cell clinic's fortnightly injection sessions (a Tuesday)
MONTHS, VISITS, STEPS = 178, 90, 4
EPOCH = pd.Timestamp(0)
# segments: bulbar, left arm, right arm, left leg, right leg, respiratory (thoracic)
B, LA, RA, LL, RL, R = range(6)
ADJ = np.zeros((6, 6))
for i, j, w in [(B, LA, 1), (B, RA, 1), (LA, RA, 0.6), (LA, LL, 0.5), (RA, RL, 0.5), (LL, RL, 0.6), (LA, R, 0.7),
                (RA, R, 0.7), (LL, R, 0.3), (RL, R, 0.3), (B, R, 0.4)]:  # fmt: skip
    ADJ[i, j] = ADJ[j, i] = w
KAPPA, SEED_X, RATE_MED = 0.8, 0.12, 0.029
RF_LO, RF_HI = 0.6, 0.8
GAMMA = 0.3
SEG_VULN = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.85])
WIN_A = np.array([0.05, 0.25, 0.15, 0.05, 0.10, 0.15, 0.25, 0.10, 0.00, 0.15, 0.25, 0.45])
WIN_B = np.array([0.80, 1.00, 0.90, 0.80, 0.90, 0.95, 1.00, 0.90, 0.75, 0.85, 0.95, 1.00])
NU = {"clinician": 14.0, "phone": 7.0}
# the effect: per injection a gamma-shaped pulse peaking PEAK months after it; three injections 84 days apart
PEAK, GAP_INJ, N_INJ, CAP, RATE_FLOOR, SYSTEMIC = 1.5, 84, 3, 0.9, 0.2, 0.25
LIMB_SEGS = np.array([[LA, RA], [LL, RL]])
MUSCLES = np.array(["deltoid;biceps;triceps;first_dorsal_interosseous", "quadriceps;hamstrings;tibialis_anterior"])


def _days(ts: pd.Timestamp) -> int:
    return (ts - EPOCH).days


def _items_y(x: np.ndarray, dom_right: np.ndarray, on_windows: bool) -> np.ndarray:
    """Each item's fraction (0-1) of normal from the segments' losses ``x`` (... × 6)."""
    dr = dom_right.reshape(dom_right.shape + (1,) * (x.ndim - 1 - dom_right.ndim))
    dom = np.where(dr, x[..., RA], x[..., LA])
    oth = np.where(dr, x[..., LA], x[..., RA])
    arms = 0.5 * (x[..., LA] + x[..., RA])
    legs_w = np.maximum(x[..., LL], x[..., RL])
    legs_b = np.minimum(x[..., LL], x[..., RL])
    walk = 0.65 * legs_w + 0.35 * legs_b
    y = np.stack(
        [x[..., B], x[..., B], x[..., B], dom, 0.6 * dom + 0.4 * oth,
         0.9 * arms + 0.1 * (x[..., LL] + x[..., RL]) / 2, 0.4 * arms + 0.4 * walk + 0.2 * x[..., R], walk, walk,
         x[..., R], x[..., R], x[..., R]], -1,
    )  # fmt: skip
    a, b = (WIN_A, WIN_B) if on_windows else (np.full(12, 0.1), np.full(12, 0.9))
    return np.clip(1 - (y - a) / (b - a), 0.0, 1.0)


def _pmf(f: np.ndarray, nu: float | np.ndarray) -> np.ndarray:
    """Beta-binomial(4, f, precision nu) probabilities of 0..4 (last axis); nu = inf: binomial."""
    f = np.clip(f, 1e-9, 1 - 1e-9)
    if np.all(np.isinf(nu)):
        k = np.arange(5)
        return np.array([1, 4, 6, 4, 1]) * f[..., None] ** k * (1 - f[..., None]) ** (4 - k)
    a, b = nu * f, nu * (1 - f)
    up = [np.ones_like(f)]
    dn = [np.ones_like(f)]
    for i in range(4):
        up.append(up[-1] * (a + i))
        dn.append(dn[-1] * (b + i))
    den = up[0] * (a + b) * (a + b + 1) * (a + b + 2) * (a + b + 3)
    return np.stack([c * up[k] * dn[4 - k] / den for k, c in enumerate([1, 4, 6, 4, 1])], -1)


def _expected(f: np.ndarray, niv_on: np.ndarray, nu: float) -> np.ndarray:
    """The expected clinician-rated total: 4·Σf, less P(q12 = 4) on NIV (q12 at most 3)."""
    p4 = _pmf(f[..., 11], nu)[..., 4]
    return 4 * f.sum(-1) - niv_on * p4


def _integrate(x0: np.ndarray, rate: np.ndarray, adj: np.ndarray, mult=None) -> np.ndarray:
    """The segments' losses on the monthly grid (rows × MONTHS + 1 × 6): dx/dt = rate·(x + KAPPA·A·x)^GAMMA·(1 − x),
    Heun steps of 1/STEPS month; ``mult(t)`` (rows × 6) scales the rate."""
    out = np.empty((len(x0), MONTHS + 1, 6))
    x = x0.copy()
    out[:, 0] = x
    h = 1.0 / STEPS

    def d(x: np.ndarray, t: float) -> np.ndarray:
        g = rate * (x + KAPPA * x @ adj) ** GAMMA * (1 - x)
        return g if mult is None else g * mult(t)

    for k in range(MONTHS * STEPS):
        t = k * h
        k1 = d(x, t)
        k2 = d(np.minimum(x + h * k1, 1.0), t + h)
        x = np.minimum(x + 0.5 * h * (k1 + k2), 1.0)
        if (k + 1) % STEPS == 0:
            out[:, (k + 1) // STEPS] = x
    return out


def _at(grid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Linear interpolation of a monthly grid (rows × months + 1 × 6) at ``t`` (rows, or rows × columns) months."""
    tt = np.clip(np.where(np.isfinite(t), t, 0.0), 0, grid.shape[1] - 1)
    k = np.minimum(np.floor(tt).astype(int), grid.shape[1] - 2)
    rows = np.arange(len(t)).reshape((-1,) + (1,) * (t.ndim - 1))
    w = (tt - k)[..., None]
    return grid[rows, k] * (1 - w) + grid[rows, k + 1] * w


def _first_cross(series: np.ndarray, level: np.ndarray) -> np.ndarray:
    """The first time (months, linear within a month) a monthly series (rows × months + 1) reaches ``level``."""
    above = series >= level[:, None]
    k = above.argmax(1)
    rows = np.arange(len(level))
    lo, hi = series[rows, np.maximum(k - 1, 0)], series[rows, k]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(hi > lo, (level - lo) / (hi - lo), 0.0)
    return np.where(above.any(1), np.where(k > 0, k - 1 + frac, 0.0), np.inf)


def _pulses(t: np.ndarray, t0: np.ndarray, pulsed: bool) -> np.ndarray:
    """The effect's time profile: Σ over the injections of (s/PEAK)·e^{1 − s/PEAK}, s months since each."""
    s0 = t - t0
    if not pulsed:
        return ((s0 >= 0) & (s0 < N_INJ * GAP_INJ / DPM)).astype(float)
    tot = np.zeros(np.broadcast(t, t0).shape)
    for k in range(N_INJ):
        s = np.maximum(s0 - k * GAP_INJ / DPM, 0.0)
        s = np.where(np.isfinite(s), s, 0.0)
        tot = tot + s / PEAK * np.exp(1 - s / PEAK)
    return tot


def simulate_world11(
    n_patients: int, effect: float, treated_share: float, seed: int, off: frozenset[str] = frozenset()
) -> WorldCohort:
    """A cohort of ``n_patients`` from the eleventh world, effect E = ``effect``, about ``treated_share`` of them
    treated (at most round(share·n)), with the pieces of ``off`` switched off."""
    refuse_unknown(off, PIECES)

    def on(piece: str) -> bool:
        return piece not in off

    rng = np.random.default_rng(seed)
    n, m, K, V = int(n_patients), 2 * int(n_patients) + 100, MONTHS, VISITS
    # all random numbers first, in a fixed order (shared by every course)
    site_u, limb_u, side_u, dom_u = (rng.random(m) for _ in range(4))
    sex_m = rng.random(m) < 0.6
    age = np.clip(rng.normal(63, 11, m), 30, 88)
    onset_day = _days(ONSET_FROM) + rng.integers(0, int(ONSET_YEARS * 365.25), m)
    z_r, z_seg = rng.normal(0, 1, m), rng.normal(0, 1, (m, 6))
    delay_z = rng.normal(0, 1, m)
    g0 = np.where(sex_m, rng.normal(40, 8, m), rng.normal(26, 6, m)).clip(10, 70)
    h0 = np.where(sex_m, rng.normal(38, 8, m), rng.normal(27, 6, m)).clip(10, 80)
    th_niv, th_gas, th_rf = rng.uniform(0.4, 0.6, m), rng.uniform(0.55, 0.75, m), rng.uniform(RF_LO, RF_HI, m)
    niv_ok, gas_ok = rng.random(m) < 0.70, rng.random(m) < 0.55
    niv_ext = rng.exponential(1.0, m)
    u_death, u_frac = rng.random((m, K)), rng.random(m)
    bg_x = rng.exponential(1.0, m)
    zeta_z, g_z = rng.normal(0, 1, m), rng.normal(0, 1, m)
    site_cu = rng.random(m)
    u_item = rng.random((m, V, 12), dtype=np.float32)
    u_miss = rng.random((m, V, 12), dtype=np.float32)
    str_eps = rng.standard_normal((m, V, 4), dtype=np.float32)
    gap_z = rng.standard_normal((m, V), dtype=np.float32)
    u_dec, u_wd, wd_days, u_loss = (rng.random((m, V), dtype=np.float32) for _ in range(4))
    u_ril, u_esc, u_dose, u_viab, u_harvest = (rng.random(m) for _ in range(5))

    # the course: a loss spreading between six body segments by sub-linear contact (a coupled propagation)
    code = np.where(site_u < 0.28, 0, np.where(site_u < 0.94, 1, np.where(site_u < 0.97, 2, 3)))
    bulbar = (code == 0).astype(float)
    limb_seg = LIMB_SEGS[(limb_u < 0.5).astype(int), (side_u < 0.5).astype(int)]
    onset_seg = np.where(code == 0, B, np.where(code == 2, R, limb_seg))
    rate = RATE_MED * np.exp(0.45 * z_r + 0.015 * (age - 63) + 0.15 * bulbar)
    rates = rate[:, None] * SEG_VULN * np.exp(0.2 * z_seg)
    x0 = np.zeros((m, 6))
    rows_m = np.arange(m)
    x0[rows_m, onset_seg] = SEED_X
    if not on("asymmetry"):
        both = np.flatnonzero(code == 1)
        x0[both[:, None], LIMB_SEGS[(limb_u[both] < 0.5).astype(int)]] = SEED_X
    x0[code == 3] = SEED_X / 2
    adj = ADJ if on("coupling") else np.zeros((6, 6))
    if not on("coupling"):
        x0 = np.maximum(x0, 0.01)
    dom_right = dom_u < 0.9
    age_all = age

    # entry: diagnosed at the ALS clinic (the first visit) after a lognormal delay
    delay = np.maximum(11.0 * np.exp(0.5 * delay_z) * (rate / RATE_MED) ** -0.4 * (1 - 0.15 * bulbar), 2.0)
    diag_day = onset_day + np.rint(delay * DPM).astype(np.int64)
    lock_day = _days(LOCK)
    lock_m_all = (lock_day - onset_day) / DPM
    ok0 = (diag_day >= _days(OPENING)) & (diag_day <= lock_day - 31)
    cand = np.flatnonzero(ok0)
    xs = _integrate(x0[cand], rates[cand], adj)

    def endpoints(xg: np.ndarray, idx: np.ndarray) -> dict[str, np.ndarray]:
        """NIV, gastrostomy and death times (months from onset) of a course on the grid (rows = ``idx``)."""
        t_niv = _first_cross(xg[..., R], th_niv[idx]) + 0.5
        t_niv = np.where(niv_ok[idx] & on("niv"), t_niv, np.inf)
        t_gas = _first_cross(xg[..., B], th_gas[idx]) + 1.0
        t_gas = np.where(gas_ok[idx] & on("gastrostomy"), t_gas, np.inf)
        mid = 0.5 * (xg[:, 1:] + xg[:, :-1])
        grid = np.arange(K) + 0.5
        niv_on = grid[None, :] >= t_niv[:, None]
        p_inf = 0.004 + 0.10 * mid[..., B] ** 2 + 0.05 * mid[..., R] ** 2
        fatal = p_inf * expit(-3.0 + 6.0 * mid[..., R] - 1.0 * niv_on) if on("infections") else 0 * p_inf
        hit = u_death[idx, :K] < fatal
        t_inf = np.where(hit.any(1), hit.argmax(1) + u_frac[idx], np.inf)
        t_rf = _first_cross(xg[..., R], th_rf[idx])
        ext = np.where(_at(xg, np.minimum(t_niv, K))[:, B] < 0.5, 6.0, 1.5) * niv_ext[idx]
        t_rf = t_rf + np.where(t_niv < t_rf, ext, 0.0)
        t_bg = bg_x[idx] / (0.0008 * np.exp(0.07 * (age_all[idx] - 62)))  # other causes
        death = np.minimum(np.minimum(t_inf, t_rf), t_bg)
        if not on("death"):
            death = np.full(len(idx), np.inf)
        return {"niv": t_niv, "gas": t_gas, "death": death}

    ends = endpoints(xs, cand)
    t_diag = (diag_day[cand] - onset_day[cand]) / DPM
    alive = ends["death"] > t_diag + 0.05
    keep_c = np.flatnonzero(alive)[:n]
    if len(keep_c) < n:
        raise RuntimeError("too few candidates enter the cohort")
    keep = cand[keep_c]
    xn = xs[keep_c]
    nat_end = {k: v[keep_c] for k, v in ends.items()}

    def sel(arr: np.ndarray) -> np.ndarray:
        return arr[keep]

    (onset_day, diag_day, age, sex_m, code, bulbar, dom_right, rates, g0, h0, zeta_z, g_z, z_r, lock_m, u_item,
     u_miss, str_eps, gap_z, u_dec, u_wd, wd_days, u_loss, site_cu, onset_seg) = map(sel, (
        onset_day, diag_day, age, sex_m, code, bulbar, dom_right, rates, g0, h0, zeta_z, g_z, z_r, lock_m_all,
        u_item, u_miss, str_eps, gap_z, u_dec, u_wd, wd_days, u_loss, site_cu, onset_seg))  # fmt: skip
    site = np.searchsorted(np.cumsum(SITE_P), site_cu * 0.999999)
    birth_year = (pd.to_datetime(onset_day, unit="D").year.to_numpy() - np.floor(age)).astype(int)
    zeta = 0.4 * z_r + np.sqrt(1 - 0.16) * zeta_z
    rows = np.arange(n)
    pan0, pan1 = (_days(d) for d in PANDEMIC)
    d_first = diag_day

    def run(xg: np.ndarray, ev: dict[str, np.ndarray], block: tuple[np.ndarray, np.ndarray] | None,
            decide: bool) -> dict[str, np.ndarray]:  # fmt: skip
        """The registry's visits of a course (``xg`` on the grid, its events ``ev``): booked by the recorded
        total's band, phone in the pandemic; endings blocked in [block) days (the injections)."""
        fol = np.zeros((n, V), bool)
        vday = np.full((n, V), -1, np.int64)
        mode = np.zeros((n, V), bool)  # phone
        items = np.zeros((n, V, 12))
        strength = np.full((n, V, 4), np.nan)
        crit = np.full((n, V), np.inf)
        target = np.full((n, V), -1)
        ended, lost, wd = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
        wd_day = np.full(n, -1, np.int64)
        tot_last = np.full(n, 48.0)
        prev_w = np.full((n, 4), np.nan)
        prev_t = np.full(n, np.nan)
        n_str = np.zeros(n, int)
        day = d_first.copy()
        for v in range(V):
            t = (day - onset_day) / DPM
            ended |= (day > lock_day) | (t >= ev["death"])
            act = ~ended
            if not act.any():
                break
            x = _at(xg, t)
            f = _items_y(x, dom_right, on("item_windows"))
            phone = (day >= pan0) & (day <= pan1) & on("pandemic") & (v > 0)
            nu = np.where(phone, NU["phone"], NU["clinician"])[:, None] if on("overdispersion") else np.inf
            cdf = np.cumsum(_pmf(f, nu), -1)[..., :4]
            it = (u_item[:, v, :, None] > cdf).sum(-1).astype(float)
            it[:, 11] = np.where(t >= ev["niv"], np.minimum(it[:, 11], 3), it[:, 11])
            miss = phone[:, None] & (u_miss[:, v] < 0.008)
            it[miss] = np.nan
            fol[:, v], vday[:, v], mode[:, v] = act, np.where(act, day, -1), phone
            items[:, v] = it
            meas = act & ~phone
            # dynamometry at in-person reviews: grip (left, right), quadriceps (left, right)
            sw = np.stack([g0, g0, h0, h0], 1) * (1 - x[:, [LA, RA, LL, RL]]) ** 1.3
            sw = np.clip(np.round(sw * np.exp(0.07 * str_eps[:, v]), 1), 0, 100)
            strength[:, v] = np.where(meas[:, None], sw, np.nan)
            complete = ~miss.any(1)
            tot = np.nansum(it, 1)
            if decide:
                year = pd.to_datetime(day, unit="D").year.to_numpy()
                a_now = year - birth_year
                ratio = np.stack([sw[:, :2].min(1) / np.maximum(sw[:, :2].max(1), 0.1),
                                  sw[:, 2:].min(1) / np.maximum(sw[:, 2:].max(1), 0.1)], 1)  # fmt: skip
                weak = np.stack([sw[:, :2].min(1), sw[:, 2:].min(1)], 1)
                okl = (ratio <= 0.75) & (weak >= 5)
                limb = np.where(okl[:, 0] & okl[:, 1], (ratio[:, 1] < ratio[:, 0]).astype(int), okl[:, 1].astype(int))
                wi = np.where(limb == 0, sw[:, :2].argmin(1), 2 + sw[:, 2:].argmin(1))
                fall = (prev_w[rows, wi] - sw[rows, wi]) / np.maximum(t - prev_t, 0.5)
                elig = (
                    meas & (n_str >= 1) & okl.any(1) & (day - diag_day <= 36 * DPM) & (tot >= 24) & complete
                    & (a_now <= 80) & (t < ev["niv"]) & (t < ev["gas"])
                )  # fmt: skip
                score = -0.03 * (a_now - 60)
                if on("asymmetry_rule"):
                    score = score + 8.0 * (0.75 - ratio[rows, limb])
                if on("strength_fall"):
                    score = score + 0.3 * np.clip(np.nan_to_num(fall), -2, 6)
                if on("site_propensity"):
                    score = score + SITE_OFFSET[site]
                if on("unrecorded_will"):
                    score = score + 0.7 * zeta
                ur = np.clip(u_dec[:, v].astype(float), 1e-9, 1 - 1e-9)
                crit[:, v] = np.where(elig, np.log(ur) - np.log1p(-ur) - score, np.inf)
                target[:, v] = np.array([LA, RA, LL, RL])[wi]
            prev_w = np.where(meas[:, None], sw, prev_w)
            prev_t = np.where(meas, t, prev_t)
            n_str += meas
            tot_last = np.where(act & complete, tot, tot_last)
            free = act if block is None else act & ~((day >= block[0]) & (day < block[1]))
            if on("withdrawal"):
                out = free & (tot_last < 16) & (u_wd[:, v] < 0.1)
                wd |= out
                wd_day = np.where(out, day + 1 + (wd_days[:, v] * 19).astype(int), wd_day)
                ended |= out
            if on("loss"):
                gone = free & ~ended & (u_loss[:, v] < np.where(phone, 0.03, 0.004))
                lost |= gone
                ended |= gone
            gap = np.where(tot_last >= 36, 4.0, np.where(tot_last >= 24, 3.0, 2.0)) if on("banded_gaps") else 3.0
            gap = gap * np.exp(0.15 * gap_z[:, v]) * np.where(phone, 1.5, 1.0)
            day = day + np.maximum(np.rint(gap * DPM), 30).astype(np.int64)
        else:
            if (~ended).any():
                raise RuntimeError("VISITS are too few")
        return {"fol": fol, "vday": vday, "phone": mode, "items": items, "strength": strength, "crit": crit,
                "target": target, "lost": lost, "wd": wd, "wd_day": wd_day, **ev}  # fmt: skip

    natural = run(xn, nat_end, None, True)
    target_n = round(treated_share * n)
    cstar = natural["crit"].min(1)
    cut = share_cutoff(cstar, target_n)
    decided = cstar < cut
    w_dec = (natural["crit"] < cut).argmax(1)
    dec_day = natural["vday"][rows, w_dec]
    seg = natural["target"][rows, w_dec]
    # the first injection: the first fortnightly session 28 days or more after the decision (fat harvest, culture)
    s0 = _days(SESSION0)
    first = s0 + 14 * np.ceil((dec_day + 28 + np.floor(u_harvest[keep] * 7) - s0) / 14).astype(np.int64)
    inj = first[:, None] + GAP_INJ * np.arange(N_INJ)
    nf = natural["fol"]
    last_nat = np.where(nf, natural["vday"], -1).max(1)
    gone_by = np.where(natural["lost"], last_nat, np.where(natural["wd"], natural["wd_day"], np.iinfo(np.int64).max))
    t_inj = (inj - onset_day[:, None]) / DPM
    treated = decided & (first <= lock_day) & (t_inj[:, 0] + 1 / DPM < nat_end["death"]) & (first < gone_by)
    t0 = np.where(treated, t_inj[:, 0], np.inf)

    p = np.flatnonzero(treated)
    res, res0 = natural, natural
    xt = xn
    if len(p):
        block = (np.where(treated, first, 0), np.where(treated, inj[:, -1] + 1, 0))
        res0 = run(xn, nat_end, block, False)
        res, xt = res0, xn
        if effect != 0:
            # the injected segment's expected loss rate of total points at the first injection
            # the expected loss rate of total points the weighted slowing would save at the first injection
            xa = _at(xn[p], t0[p])
            limb = np.isin(seg[p], [LL, RL]).astype(int)
            wts = np.full((len(p), 6), SYSTEMIC if on("systemic") else 0.0)
            wts[np.arange(len(p))[:, None], LIMB_SEGS[limb]] = 1.0
            dx = rates[p] * (xa + KAPPA * xa @ adj) ** GAMMA * (1 - xa)
            e_a = 4 * _items_y(xa, dom_right[p], on("item_windows")).sum(-1)
            e_b = 4 * _items_y(np.minimum(xa + 0.1 * dx * wts, 1), dom_right[p], on("item_windows")).sum(-1)
            r_pts = np.maximum((e_a - e_b) / 0.1, RATE_FLOOR)
            reserve = 1 - xa[np.arange(len(p))[:, None], LIMB_SEGS[limb]].mean(1)
            g = np.minimum(reserve / 0.7, 1.2) * (np.exp(0.5 * g_z[p] - 0.125) if on("response_spread") else 1.0)
            rho = effect * g / r_pts
            t0p = t0[p]
            pulsed = on("pulses")

            def mult(t: float) -> np.ndarray:
                return 1 - np.minimum(wts * (rho * _pulses(np.float64(t), t0p, pulsed))[:, None], CAP)

            xp = _integrate(x0[keep][p], rates[p], adj, mult)
            xt = xn.copy()
            xt[p] = xp
            ev1 = {k: v.copy() for k, v in nat_end.items()}
            e1 = endpoints(xp, keep[p])
            for k in ev1:
                ev1[k][p] = e1[k]
            res = run(xt, ev1, block, False)
    death = res["death"]
    given = treated[:, None] & (inj <= lock_day) & ((t_inj + 1 / DPM) < death[:, None])
    return _tables(n, effect, onset_day, diag_day, birth_year, sex_m, code, site, lock_day, lock_m, res, res0,
                   given, inj, seg, xt, xn, p, t0, dom_right, on, (u_ril, u_esc, u_dose, u_viab), keep)  # fmt: skip


def _tables(n, effect, onset_day, diag_day, birth_year, sex_m, code, site, lock_day, lock_m, res, res0, given, inj,
            seg, xt, xn, p, t0, dom_right, on, uniforms, keep) -> WorldCohort:  # fmt: skip
    """The canonical tables of the recorded run ``res`` and the truths against the run without cells ``res0``."""
    fol, vday = res["fol"], res["vday"]
    last_day = vday.max(1)
    last_t = (last_day - onset_day) / DPM
    death, lost = res["death"], res["lost"]
    wd_t = (res["wd_day"] - onset_day) / DPM
    withdrawn = res["wd"] & ~lost & (wd_t < death) & (res["wd_day"] <= lock_day)
    end_obs = np.where(lost, last_t, np.where(withdrawn, wd_t, lock_m))
    ids = np.array([f"W11{i:05d}" for i in range(n)])
    d_niv, d_gas = (np.rint(np.where(np.isfinite(x), x, 0) * DPM) for x in (res["niv"], res["gas"]))
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
    ps, vs, ks = np.nonzero(fol[..., None] & np.isfinite(res["strength"]))
    measurements = pd.DataFrame({
        "patient_id": ids[ps], "date": pd.to_datetime(vday[ps, vs], unit="D"),
        "measure": np.where(ks < 2, "grip_kg", "hhd_kg"), "value": res["strength"][ps, vs, ks],
        "unit": "kg", "side": np.where(ks % 2 == 0, "left", "right"),
        "muscle": np.where(ks < 2, None, "quadriceps"),
    })  # fmt: skip
    measurements = measurements.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    u_ril, u_esc, u_dose, u_viab = (u[keep] for u in uniforms)
    riluzole = np.where(u_ril < 0.8, "true", "false").astype(object)
    riluzole[u_ril > 0.97] = None
    escorial = np.array(["definite", "probable", "probable_lab", "possible"])[(u_esc * 4).astype(int) % 4]
    escorial = escorial.astype(object)
    escorial[u_esc > 0.7] = None
    patients = pd.DataFrame({
        "patient_id": ids, "sex": np.where(sex_m, "M", "F"), "birth_year": birth_year,
        "onset_date": pd.to_datetime(onset_day, unit="D"), "diagnosis_date": pd.to_datetime(diag_day, unit="D"),
        "onset_site": np.array(["bulbar", "limb", "respiratory", "generalized"])[code],
        "el_escorial": escorial, "riluzole": riluzole, "site": SITES[site],
    })  # fmt: skip
    pg, kg = np.nonzero(given)
    arm = np.isin(seg[pg], [LA, RA])
    treatments = pd.DataFrame({
        "treatment_id": [f"{ids[i]}-T{k + 1}" for i, k in zip(pg, kg, strict=True)], "patient_id": ids[pg],
        "date": pd.to_datetime(inj[pg, kg], unit="D"), "cycle": kg + 1, "cell_source": "adipose",
        "donor": "autologous", "route": "intramuscular", "dose_cells": np.round(2.4e7 + 2.4e7 * u_dose[pg], -5),
        "target_muscles": np.where(arm, MUSCLES[0], MUSCLES[1]), "viability_pct": np.round(85 + 12 * u_viab[pg], 1),
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
    tt = (days - onset_day[p, None]) / DPM
    since = tt - t0[p, None]
    f1 = _items_y(_at(xt[p], tt), dom_right[p], on("item_windows"))
    f0 = _items_y(_at(xn[p], tt), dom_right[p], on("item_windows"))
    nu = NU["clinician"] if on("overdispersion") else np.inf
    e1 = _expected(f1, tt >= res["niv"][p, None], nu)
    e0 = _expected(f0, tt >= res0["niv"][p, None], nu)
    z = np.zeros_like(fol[p])
    followed1 = np.concatenate([fol[p], z], 1)
    followed0 = np.concatenate([z, res0["fol"][p]], 1)
    truths = cohort_truths(e1, e0, since, followed1, followed0, effect)
    return WorldCohort(tables, float(effect), len(p), *truths)


__all__ = ["ITEMS", "PIECES", "WorldCohort", "simulate_world11"]

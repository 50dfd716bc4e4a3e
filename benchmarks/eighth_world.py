"""An eighth data-generating mechanism, held out: written from the canonical format (spec/data-format.md,
spec/domain-rules.md), the docstrings of the second to seventh worlds (so as to differ from them) and ALS
clinical knowledge, without reading the estimators, their documentation pages or any calibration result, and
without running any estimator on it.

The other worlds use sigmoid, linear-quadratic, Markov-plateau, change-point, domain-ramp, item-Poisson and
subtype-random-walk courses; rounded-noise, graded-response, rater-noise, misrated-count and partial-credit
items; visits on fixed or personal schedules, halved after drops, missed on the state, or a renewal process
independent of the course; treatment on steep drops, true slopes, thresholds, calendar access, runs of poor
visits, newly recorded losses or a waiting list, always on a visit day.  This world differs in every piece:

* **course: a power law with a slow start, shared frailty.**  The latent loss from onset is L(t) = A·(t/12)^p
  points, t months from onset: A the loss at 12 months, median 8.5 points × exp(0.3·z + 0.35·φ + 0.015·(age −
  63) + 0.2·bulbar), p = 1.3·exp(0.2·z'), so most courses start slowly and accelerate (a plateau-like start)
  and some (p < 1) decelerate.  The mean course is curvilinear (Gordon et al., Amyotroph Lateral Scler
  2010;11:1–8); older age at onset and bulbar onset are poor prognostic factors (Chiò et al., Amyotroph
  Lateral Scler 2009;10:310–323); the power law, its constants and the frailty's loadings are assumptions.
  φ ~ N(0, 1) is a latent frailty shared by the rate, death, withdrawal, the wish for cells and the response
  to them.  Bulbar onset 30%, limb 67% (upper or lower half each), respiratory 3%; men 58%; age at onset
  N(63, 10²) within 30–88 (Chiò et al. 2009).  Recorded: sex, birth year, onset and diagnosis dates, onset
  site, site (descriptive), riluzole (80%, no effect), El Escorial (often missing);
* **measurement: an ordinal probit with spreading item loads, persistent offsets and an autocorrelated day
  effect.**  Item j loses ℓ_j = L·w_j(L)/12 latent points (at most 5): the load w_j(L) ∝ 1 + (w⁰_j − 1)·
  exp(−L/20), normalised to a mean of 1, with w⁰ = 3 on the onset region's items and 0.6 on the respiratory
  items (unless respiratory onset), so the loss is focal at first and spreads to every item as it grows
  (spread from the onset region: Ravits & La Spada, Neurology 2009;73:805–811; the loads are assumptions).
  The item's latent score x_j = 4.4 − 1.1·ℓ_j + b_ij is recorded as the number of item cut-points c_jk (k −
  0.5 plus fixed item shifts, an assumption) that x_j + η_i(t) + 0.2·phone + 0.35·ε_ijt passes: b_ij ~ N(0,
  0.25²) a patient's persistent item offset, η an AR(1) day effect shared by the 12 items (sd 0.2,
  correlation 0.7 between monthly slots), ε standard normal.  Phone-rated visits read 0.2 higher per item (an
  assumption: telephone ALSFRS-R is reliable, Kaufmann et al., Amyotroph Lateral Scler 2007;8:42–46, so the
  bias is small).  On NIV q12 is at most 3 (its definition, spec/domain-rules.md); after a gastrostomy item 5
  is q5b.  3% of visits are partial (each item missing with probability 0.3, at least one).  Weight
  (``measurements``, ``weight_kg``) is recorded at clinic visits (not by phone): W0·(1 − 0.0025·L − 0.006·
  bulbar loss) + N(0, 0.7²) kg, W0 ~ N(80, 12²) for men, N(66, 11²) for women (assumptions); after a
  gastrostomy the weight loss slows to 30%;
* **entry: a registry that opens.**  Diagnosis a Gamma(shape 3, mean 11 months) delay after onset, shorter
  for faster courses (× (A/8.5)^−0.5; a diagnostic delay of about a year: Paganoni et al., Amyotroph Lateral
  Scler Frontotemporal Degener 2014;15:453–456), at least 1.5 months; first visit an exponential time (mean 2
  months) after diagnosis, but the registry opens on 2016-01-01 and patients who would have been first seen
  earlier are recruited at a visit U(0, 4) months after the opening (a calendar-time left truncation that
  brings in long survivors; an assumption).  Onsets 2013–2022, data lock 2025-06-30; the cohort is the
  first n candidates alive at their first visit before the lock;
* **visits: an informative intensity on monthly slots.**  After the first visit, each month (slot times
  first + k + U(−0.3, 0.3)) a visit happens with probability expit(−1.5 + 1.1·(gap − 2.5) + 0.6·d + 2.8·post):
  gap the months since the last visit (a clinic's rhythm of about 3–4 months: Miller et al., Neurology
  2009;73:1218–1226), d the recorded decline between the last two complete totals (points/month, within
  0–3: patients who worsen are seen sooner), post = 1 in the 3 months after each injection (a paying clinic
  follows its patients monthly after an injection).  10% of routine visits are by phone (``assessor``).
  After each visit a patient is lost with probability 0.008 (not while awaiting cells), declared 9 months
  after the last visit.  The coefficients are assumptions;
* **who is treated, and when: self-referral by phone, prompted by recorded weight loss and decline, cells
  given weeks later.**  Each month an eligible untreated patient phones the clinic asking for cells with
  probability expit(c + 1.2·w + 0.5·d − 0.03·(age − 60) + 0.6·ζ): w = 1 when the last recorded weight is
  at least 5% below the first (weight loss is common in ALS and prognostic: Marin et al., J Neurol Neurosurg
  Psychiatry 2011;82:628–634), d as above, age = visit year − birth year, ζ = −0.3·φ + 0.95·N(0, 1) the
  patient's unrecorded willingness and means (the stated minority of unrecorded influence: correlated with
  the frailty, so a little unmeasured confounding).  Eligible: followed, at least one earlier visit with a
  complete total, the last complete total ≥ 20, diagnosis at most 48 months before, age ≤ 78, no NIV started
  (the clinic's rule).  The call is recorded as a phone ALSFRS-R row on that day; the autologous bone-marrow
  cells are given intrathecally 21–49 days later (harvest and expansion; no visit in between), on a day that
  is not a visit day, if the patient is then alive, not withdrawn and before the lock.  c is set so that at
  most round(share · n) patients call (each patient's first call is a deterministic function of c given the
  untreated history; a few die or withdraw before the cells).  Repeat cycles: at a visit at least 2 months
  after the latest cycle, if the recorded total has fallen by 2 points or more since the last complete total
  before that cycle, or 9 months have passed, the patient takes another cycle with probability 0.7 (up to 4
  cycles; cryopreserved cells 14–28 days later, no visit in between; no NIV started).  All assumptions;
* **effect: a rate reduction that wanes after each cycle and is renewed by the next.**  The treated latent
  loss is L(t) − ∫ δ, δ(u) = min(E·g·exp(−(u − T_c)/6), 0.9·L′(u)) with T_c the latest cycle before u: a
  slowing of E·g points/month right after each cycle, fading with a mean life of 6 months, never more than
  90% of the untreated rate (the cells slow the loss, never reverse it).  g = Gamma(4, 1/4)·exp(−0.25·φ −
  0.03) (mean about 1; frail, fast patients respond less).  So a typical responder's recorded total declines
  about E points/month slower early after the first treatment (where the items are mid-scale); later its
  size depends on the timing of the cycles, which depends on the treated course.  (Measured once the
  constants were set, not tuned: over the slots up to 3 months after the first cycle the expected-total
  difference divided by the months since averages about 0.85·E for patients with g in 0.8–1.2, the items'
  floors and ceilings taking the rest; ``truth_window`` comes out near 0.5·E, the waning between cycles.)
  Survival is not changed (the treatment acts on function only).  All assumptions; E = 0 gives a nil gain,
  but the cycles still change who is seen when (the call, no visit while awaiting cells, monthly visits
  after them);
* **events: death and withdrawal by a frailty process of their own, devices on the course and the weight.**
  Death at a Weibull hazard in months from onset (shape 1.7, scale 44·exp(−(0.7·φ + 0.04·(age − 63) +
  0.25·bulbar)/1.7)), not on the course itself (median survival from onset about 3 years: 20–48 months in
  Chiò et al. 2009); withdrawal (``withdrawal`` event, ending follow-up) at 0.006·exp(0.7·φ) per month from
  the first visit.  NIV when the respiratory items' latent loss passes U(2.5, 5) (accepted by 65%); a
  gastrostomy when a recorded weight is 10% or more below the first (EFNS guideline, Andersen et al., Eur J
  Neurol 2012;19:360–375), accepted by 60%, 0.5–2 months later.  Thresholds and shares are assumptions.

All random numbers are drawn first in a fixed order and shared by the treated and untreated courses, both run
on the same monthly slots.  ``truth`` is E; ``truth_realised`` per treated patient the least squares through
the origin of (treated − untreated expected recorded total) on months since the first treatment over the
treated course's post-treatment visits, the mean over patients; ``truth_window`` and ``truth_observed`` from
``window_truth`` (zeros under E = 0).  The expected total is the expectation over ε and η of the
clinician-rated items (no phone bias) given the latent loss, the offsets b and the NIV cap.  Writes canonical
tables (patients, treatments, alsfrs, measurements, events).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr

from alscell.io.tables import Tables
from second_world import refuse_unknown
from window_truth import cohort_truths
from world_tables import DPM, ITEMS, WorldCohort, ending_events, event_rows, item_rows, share_cutoff

PIECES = {
    "power_course": "the power-law course, slow then accelerating (off: p = 1, a line through the same 12-month loss)",
    "frailty": "the frailty shared by rate, death, withdrawal, willingness and response (off: φ = 0)",
    "spread": "item loads spreading from the onset region (off: every item loses alike)",
    "item_offsets": "persistent item offsets and the autocorrelated day effect (off: neither)",
    "phone_bias": "phone-rated items read higher (off: no bias)",
    "prevalent_entry": "the registry's opening date recruiting earlier-diagnosed patients (off: always open)",
    "informative_visits": "visits sooner after recorded decline and monthly after injections (off: gap only)",
    "weight_trigger": "recorded weight loss prompting the call for cells (off: no weight term)",
    "unrecorded_will": "the unrecorded willingness in the call for cells (off: ζ = 0)",
    "repeat_cycles": "further cycles on a recorded fall or after 9 months (off: one injection)",
    "waning": "the effect waning after each cycle (off: a constant reduction from the first)",
    "heterogeneity": "a gamma response, weaker in frail patients (off: g = 1)",
    "missing_items": "partial rows",
    "loss": "loss to follow-up",
    "withdrawal": "withdrawal",
    "death": "death",
}
KMAX = 150  # monthly slots from the first visit
LOCK = pd.Timestamp("2025-06-30")
OPENING = pd.Timestamp("2016-01-01")
ONSET_FROM = pd.Timestamp("2013-01-01")
SIGMA, ETA_SD, ETA_RHO, OFFSET_SD, PHONE_BIAS = 0.35, 0.2, 0.7, 0.25, 0.2
TAU, CAP, MAX_CYCLES, NSUB = 6.0, 0.9, 4, 4
# item cut-points: k − 0.5 plus a fixed shift per item (an assumption: items differ in how their categories
# are passed; salivation and orthopnea hold their top categories longer, walking and stairs lose them sooner)
CUT_SHIFT = np.array([
    [0.0, 0.0, 0.0, 0.0],  # q1 speech
    [-0.2, -0.2, -0.3, -0.3],  # q2 salivation
    [0.0, 0.0, 0.1, 0.1],  # q3 swallowing
    [0.1, 0.0, 0.0, 0.1],  # q4 handwriting
    [0.0, 0.1, 0.1, 0.0],  # q5 cutting food
    [0.1, 0.1, 0.0, 0.0],  # q6 dressing
    [-0.1, 0.0, 0.0, 0.0],  # q7 turning in bed
    [0.2, 0.2, 0.2, 0.2],  # q8 walking
    [0.3, 0.3, 0.2, 0.2],  # q9 stairs
    [0.0, 0.0, 0.0, -0.1],  # q10 dyspnea
    [-0.1, -0.1, -0.2, -0.3],  # q11 orthopnea
    [-0.2, -0.2, -0.2, -0.2],  # q12 respiratory insufficiency
])  # fmt: skip
CUTS = np.arange(4) + 0.5 + CUT_SHIFT  # 12 × 4


def _loads(loss: np.ndarray, w_on: np.ndarray, spread: bool) -> np.ndarray:
    """Item loads (patients × 12, mean 1) at latent ``loss``: focal on the onset region, spreading as it grows."""
    if not spread:
        return np.ones_like(w_on)
    w = 1.0 + (w_on - 1.0) * np.exp(-loss / 20.0)[:, None]
    return w / w.mean(1, keepdims=True)


def _weight(w0: np.ndarray, loss: np.ndarray, bulbar: np.ndarray) -> np.ndarray:
    return w0 * (1.0 - 0.0025 * np.minimum(loss, 48.0) - 0.006 * bulbar)


def simulate_world8(
    n_patients: int, effect: float, treated_share: float, seed: int, off: frozenset[str] = frozenset()
) -> WorldCohort:
    """A cohort of ``n_patients`` from the eighth world, effect E = ``effect``, about ``treated_share`` of
    them treated (at most round(share·n)), with the pieces of ``off`` switched off."""
    refuse_unknown(off, PIECES)
    on = lambda piece: piece not in off  # noqa: E731
    rng = np.random.default_rng(seed)
    n, m = n_patients, int(np.ceil(1.5 * n_patients)) + 40
    K = KMAX
    # all random numbers first, in a fixed order (shared by both courses)
    phi = rng.normal(0, 1, m)
    z_a, z_p = rng.normal(0, 1, m), rng.normal(0, 1, m)
    site_u, upper = rng.random(m), rng.random(m) < 0.5
    sex_m = rng.random(m) < 0.58
    age = np.clip(rng.normal(63, 10, m), 30, 88)
    onset_day = (ONSET_FROM - pd.Timestamp(0)).days + rng.integers(0, 10 * 365, m)
    delay_g = rng.gamma(3.0, 1.0 / 3.0, m)
    wait = rng.exponential(2.0, m)
    recruit = rng.uniform(0, 4, m)
    death_x, withdraw_x = rng.exponential(1.0, m), rng.exponential(1.0, m)
    zeta_z = rng.normal(0, 1, m)
    offsets = rng.normal(0, OFFSET_SD, (m, 12))
    eta_z = rng.normal(0, 1, (m, K))
    jitter = rng.uniform(-0.3, 0.3, (m, K))
    u_vis, u_phone, u_loss, u_ref, u_cyc = (rng.random((m, K)) for _ in range(5))
    u_partial = rng.random((m, K))
    u_miss = rng.random((m, K, 12), dtype=np.float32)
    eps = rng.standard_normal((m, K, 12), dtype=np.float32)
    w_noise = rng.normal(0, 0.7, (m, K))
    delay1 = rng.uniform(21, 49, m)  # days
    delay2 = rng.uniform(14, 28, (m, MAX_CYCLES))
    g_gamma = rng.gamma(4.0, 0.25, m)
    w0 = np.where(sex_m, rng.normal(80, 12, m), rng.normal(66, 11, m)).clip(40, 140)
    niv_thr, niv_ok = rng.uniform(2.5, 5.0, m), rng.random(m) < 0.65
    gas_ok, gas_delay = rng.random(m) < 0.60, rng.uniform(0.5, 2.0, m)
    u_ril, u_ril_missing, u_esc, u_dose, u_site = (rng.random(m) for _ in range(5))

    # course
    if not on("frailty"):
        phi = np.zeros(m)
    site_code = np.where(site_u < 0.30, 0, np.where(site_u < 0.97, 1, 2))  # bulbar, limb, respiratory
    bulbar = (site_code == 0).astype(float)
    amp = 8.5 * np.exp(0.3 * z_a + 0.35 * phi + 0.015 * (age - 63) + 0.2 * bulbar)
    power = 1.3 * np.exp(0.2 * z_p) if on("power_course") else np.ones(m)
    w_on = np.ones((m, 12))
    w_on[:, 9:] = np.where(site_code == 2, 3.0, 0.6)[:, None]
    w_on[site_code == 0, :3] = 3.0
    w_on[(site_code == 1) & upper, 3:6] = 3.0
    w_on[(site_code == 1) & ~upper, 6:9] = 3.0

    # entry
    delay = np.maximum(11.0 * delay_g * (amp / 8.5) ** -0.5, 1.5)
    lock_m = ((LOCK - pd.Timestamp(0)).days - onset_day) / DPM
    open_m = ((OPENING - pd.Timestamp(0)).days - onset_day) / DPM
    first = delay + wait
    if on("prevalent_entry"):
        first = np.where(first < open_m, open_m + recruit, first)
    scale = 44.0 * np.exp(-(0.7 * phi + 0.04 * (age - 63) + 0.25 * bulbar) / 1.7)
    death = scale * death_x ** (1 / 1.7) if on("death") else np.full(m, np.inf)
    withdraw = first + withdraw_x / (0.006 * np.exp(0.7 * phi)) if on("withdrawal") else np.full(m, np.inf)
    keep = np.flatnonzero((first < death) & (first < lock_m))[:n]
    if len(keep) < n:
        raise RuntimeError("too few candidates enter the cohort")
    sel = lambda a: a[keep]  # noqa: E731
    (phi, site_code, upper, sex_m, age, onset_day, delay, first, death, withdraw, lock_m, amp, power, w_on) = map(
        sel, (phi, site_code, upper, sex_m, age, onset_day, delay, first, death, withdraw, lock_m, amp, power, w_on)
    )
    (zeta_z, offsets, eta_z, jitter, u_vis, u_phone, u_loss, u_ref, u_cyc, u_partial, u_miss, eps) = map(
        sel, (zeta_z, offsets, eta_z, jitter, u_vis, u_phone, u_loss, u_ref, u_cyc, u_partial, u_miss, eps)
    )
    (w_noise, delay1, delay2, g_gamma, w0, niv_thr, niv_ok, gas_ok, gas_delay) = map(
        sel, (w_noise, delay1, delay2, g_gamma, w0, niv_thr, niv_ok, gas_ok, gas_delay)
    )
    (u_ril, u_ril_missing, u_esc, u_dose, u_site) = map(sel, (u_ril, u_ril_missing, u_esc, u_dose, u_site))
    bulbar = (site_code == 0).astype(float)

    # the monthly slots, shared by both courses
    ks = np.arange(K)
    t = first[:, None] + ks + np.where(ks == 0, 0.0, jitter)
    day = onset_day[:, None] + np.rint(t * DPM)
    lock_day = (LOCK - pd.Timestamp(0)).days
    k_used = int((day <= lock_day).any(0).nonzero()[0].max()) + 1  # later slots are after the lock for all
    year = pd.to_datetime(day.ravel(), unit="D").year.to_numpy().reshape(n, K)
    birth_year = pd.to_datetime(onset_day, unit="D").year.to_numpy() - np.floor(age).astype(int)
    age_at = year - birth_year[:, None]
    diag_day = onset_day + np.rint(delay * DPM)
    if on("item_offsets"):
        eta = np.empty((n, K))
        eta[:, 0] = ETA_SD * eta_z[:, 0]
        for k in range(1, K):
            eta[:, k] = ETA_RHO * eta[:, k - 1] + ETA_SD * np.sqrt(1 - ETA_RHO**2) * eta_z[:, k]
        sd_tot = np.hypot(SIGMA, ETA_SD)
    else:
        offsets, eta, sd_tot = np.zeros((n, 12)), np.zeros((n, K)), SIGMA
    missing = np.zeros((n, K, 12), bool)
    if on("missing_items"):
        partial = u_partial < 0.03
        missing = partial[..., None] & (u_miss < 0.3)
        none = partial & ~missing.any(-1)
        missing[none, u_miss[none].argmin(-1)] = True
    complete = ~missing.any(-1)
    g = np.ones(n) if not on("heterogeneity") else g_gamma * np.exp(-0.25 * phi - 0.03)
    zeta = -0.3 * phi + 0.95 * zeta_z if on("unrecorded_will") else np.zeros(n)
    phone_bias = PHONE_BIAS if on("phone_bias") else 0.0
    informative = 1.0 if on("informative_visits") else 0.0
    spread = on("spread")

    def loss0(tt: np.ndarray) -> np.ndarray:
        return np.minimum(amp * (np.maximum(tt, 0.0) / 12.0) ** power, 80.0)

    def rate0(tt: np.ndarray) -> np.ndarray:
        tt = np.maximum(tt, 1e-6)
        return amp * power / 12.0 * (tt / 12.0) ** (power - 1.0)

    def run(k_ref: np.ndarray | None) -> dict[str, np.ndarray]:
        """One course on the slots: untreated (``k_ref`` None: also the call criterion per slot) or treated
        (the first call at slot ``k_ref``, -1 for none; then the cycles follow the treated course)."""
        treated_course = k_ref is not None
        rows = np.arange(n)
        followed = np.zeros((n, K), bool)
        phone = np.zeros((n, K), bool)
        items = np.zeros((n, K, 12), np.int8)
        expected = np.zeros((n, K))
        weight = np.full((n, K), np.nan)
        crit = np.full((n, K), np.inf)
        lost_at = np.zeros((n, K), bool)
        t_last = np.full(n, np.nan)
        tot_last = tot_prev = np.full(n, np.nan)
        t_tot_last = t_tot_prev = np.full(n, np.nan)
        w_first = w_last = np.full(n, np.nan)
        lost = np.zeros(n, bool)
        niv_t, gas_t = np.full(n, np.inf), np.full(n, np.inf)
        gas_asked = np.zeros(n, bool)
        loss_g, bulb_g = np.full(n, np.nan), np.full(n, np.nan)
        gain = np.zeros(n)
        cyc_latest, cyc_prev = np.full(n, np.inf), np.full(n, np.inf)
        n_cyc = np.zeros(n, int)
        cycles = np.full((n, MAX_CYCLES), np.inf)
        ref_total = np.full(n, np.nan)
        pend_day = np.full(n, -np.inf)
        resp_prev = np.zeros(n)
        t_prev = np.zeros(n)
        for k in range(k_used):
            tk, dk = t[:, k], day[:, k]
            if treated_course and effect != 0 and k > 0:
                dt = (tk - t_prev) / NSUB
                for j in range(NSUB):
                    u = t_prev + (j + 0.5) * dt
                    t_eff = np.where(u >= cyc_latest, cyc_latest, cyc_prev)
                    has = np.isfinite(t_eff)
                    if on("waning"):
                        pi = np.where(has, np.exp(-(u - np.where(has, t_eff, u)) / TAU), 0.0)
                    else:
                        pi = has.astype(float)
                    gain += np.minimum(effect * g * pi, CAP * rate0(u)) * dt
            loss = np.maximum(loss0(tk) - gain, 0.0)
            ell = np.minimum(loss[:, None] * _loads(loss, w_on, spread) / 12.0, 5.0)
            resp = ell[:, 9:].sum(1)
            cross = niv_ok & np.isinf(niv_t) & (resp >= niv_thr)
            frac = (niv_thr - resp_prev) / np.maximum(resp - resp_prev, 1e-9)
            niv_t = np.where(cross, t_prev + np.clip(frac, 0, 1) * (tk - t_prev), niv_t)
            niv_on = niv_t <= tk
            x = 4.4 - 1.1 * ell + offsets
            p = ndtr((x[..., None] - CUTS) / sd_tot)
            p[:, 11, 3] = np.where(niv_on, 0.0, p[:, 11, 3])
            expected[:, k] = p.sum((1, 2))

            active = (dk <= lock_day) & (tk < death) & (tk < withdraw) & ~lost
            dec = np.clip(np.nan_to_num((tot_prev - tot_last) / np.maximum(t_tot_last - t_tot_prev, 0.5)), 0, 3)
            wl = (w_last <= 0.95 * w_first) if on("weight_trigger") else np.zeros(n, bool)
            if not treated_course and k > 0:
                elig = active & (tot_last >= 20) & (diag_day >= dk - 48 * DPM) & (age_at[:, k] <= 78) & (niv_t >= tk)
                score = 1.2 * wl + 0.5 * dec - 0.03 * (age_at[:, k] - 60) + 0.6 * zeta
                logit_u = np.log(np.clip(u_ref[:, k], 1e-12, None)) - np.log1p(-np.clip(u_ref[:, k], None, 1 - 1e-12))
                crit[:, k] = np.where(elig, logit_u - score, np.inf)
            call = (k_ref == k) if treated_course else np.zeros(n, bool)
            gap = tk - t_last
            since_cyc = tk - cyc_latest
            post = (since_cyc > 0) & (since_cyc <= 3)
            lp = -1.5 + 1.1 * (gap - 2.5) + informative * (0.6 * dec + 2.8 * post)
            if k == 0:
                attend = active.copy()
            else:
                attend = (active & (dk > pend_day) & (u_vis[:, k] < expit(lp))) | call
            ph = call | ((k > 0) & (u_phone[:, k] < 0.10))
            y = x + eta[:, k, None] + phone_bias * ph[:, None] + SIGMA * eps[:, k]
            it = (y[..., None] > CUTS).sum(-1)
            it[:, 11] = np.where(niv_on, np.minimum(it[:, 11], 3), it[:, 11])
            items[:, k] = it
            followed[:, k] = attend
            phone[:, k] = attend & ph
            total = it.sum(1).astype(float)
            upd = attend & complete[:, k]
            tot_prev = np.where(upd, tot_last, tot_prev)
            t_tot_prev = np.where(upd, t_tot_last, t_tot_prev)
            tot_last = np.where(upd, total, tot_last)
            t_tot_last = np.where(upd, tk, t_tot_last)
            # weight at clinic visits; a gastrostomy slows its loss
            newly_g = np.isnan(loss_g) & (tk >= gas_t)
            loss_g = np.where(newly_g, loss, loss_g)
            bulb_g = np.where(newly_g, ell[:, :3].sum(1), bulb_g)
            w_now = _weight(w0, loss, ell[:, :3].sum(1))
            w_g = _weight(w0, loss_g, bulb_g)  # nan until a gastrostomy
            w_true = np.where(np.isnan(loss_g), w_now, w_g - 0.3 * (w_g - w_now))
            clinic = attend & ~ph
            w_rec = np.round(np.clip(w_true + w_noise[:, k], 20, 250), 1)
            weight[:, k] = np.where(clinic, w_rec, np.nan)
            w_first = np.where(clinic & np.isnan(w_first), w_rec, w_first)
            w_last = np.where(clinic, w_rec, w_last)
            ask = clinic & ~gas_asked & (w_rec <= 0.9 * w_first)
            gas_asked |= ask
            gas_t = np.where(ask & gas_ok, tk + gas_delay, gas_t)
            if treated_course:
                # the first cycle, weeks after the call; then repeats on the recorded course
                due = np.zeros(n, bool)
                wait_d = np.zeros(n)
                first_c = call
                due |= first_c
                wait_d = np.where(first_c, delay1, wait_d)
                if on("repeat_cycles"):
                    fell = upd & (ref_total - total >= 2)
                    rep = (
                        attend & ~call & (n_cyc >= 1) & (n_cyc < MAX_CYCLES) & (since_cyc >= 2)
                        & (fell | (since_cyc >= 9)) & (u_cyc[:, k] < 0.7) & (niv_t >= tk)
                    )  # fmt: skip
                    due |= rep
                    wait_d = np.where(rep, delay2[rows, np.minimum(n_cyc, MAX_CYCLES) - 1], wait_d)
                when = tk + wait_d / DPM
                when_day = onset_day + np.rint(when * DPM)
                valid = due & (when < death) & (when < withdraw) & (when_day <= lock_day)
                pend_day = np.where(due, np.maximum(when_day, dk + 1), pend_day)
                cyc_prev = np.where(valid, cyc_latest, cyc_prev)
                cyc_latest = np.where(valid, when, cyc_latest)
                cycles[rows[valid], n_cyc[valid]] = when[valid]
                n_cyc = n_cyc + valid
                ref_total = np.where(valid, tot_last, ref_total)
            gone = attend & (u_loss[:, k] < 0.008) & (dk > pend_day) if on("loss") else np.zeros(n, bool)
            lost_at[:, k] = gone
            lost |= gone
            t_last = np.where(attend, tk, t_last)
            resp_prev, t_prev = resp, tk
        return {
            "followed": followed, "phone": phone, "items": items, "expected": expected, "weight": weight,
            "crit": crit, "lost_at": lost_at, "lost": lost, "niv_t": niv_t, "gas_t": gas_t, "cycles": cycles,
        }  # fmt: skip

    c0 = run(None)
    target = round(treated_share * n)
    cstar = c0["crit"].min(1)
    c = share_cutoff(cstar, target)
    called = cstar < c
    k_ref = np.where(called, (c0["crit"] < c).argmax(1), -1)
    c1 = run(k_ref)
    cycles = c1["cycles"]
    t0 = cycles[:, 0]
    treated = np.isfinite(t0)

    # recorded data: the course each patient actually had (the treated course; the same for the untreated)
    followed1, followed0 = c1["followed"], c0["followed"]
    items = c1["items"].astype(float)
    items[missing] = np.nan
    last_idx = np.where(followed1, np.arange(K), -1).max(1)
    last_t = t[np.arange(n), last_idx]
    last_day = day[np.arange(n), last_idx]
    lost = c1["lost"]
    withdrawn = (withdraw < death) & (withdraw <= lock_m) & ~lost
    end_obs = np.where(lost, last_t, np.where(withdrawn, withdraw, lock_m))
    t_niv, t_gas = c1["niv_t"], c1["gas_t"]
    d_niv = np.rint(np.where(np.isfinite(t_niv), t_niv, 0) * DPM)
    d_gas = np.rint(np.where(np.isfinite(t_gas), t_gas, 0) * DPM)
    ids = np.array([f"W8{i:05d}" for i in range(n)])
    rows = [
        event_rows(ids, onset_day, "niv_start", t_niv, d_niv, end_obs, lock_m, death),
        event_rows(ids, onset_day, "gastrostomy", t_gas, d_gas, end_obs, lock_m, death),
    ]
    pw = np.flatnonzero(withdrawn)
    w_day = np.maximum(onset_day[pw] + np.rint(withdraw[pw] * DPM), last_day[pw] + 1)
    rows.append(pd.DataFrame({"patient_id": ids[pw], "date": pd.to_datetime(w_day, unit="D"), "event": "withdrawal"}))
    gas_rec = rows[1].set_index("patient_id")["date"]
    gastro_day = pd.Series(ids).map((gas_rec - pd.Timestamp(0)).dt.days).to_numpy(float)
    gastro_day = np.where(np.isnan(gastro_day), np.inf, gastro_day)
    died = (death < lock_m) & ~lost & ~withdrawn
    events = ending_events(ids, onset_day, rows, died, death, last_day, lost, last_t, lock_m, 9.0)
    events = events.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    alsfrs = item_rows(ids, items, followed1, day, gastro_day)
    pi, vi = np.nonzero(followed1)
    alsfrs["assessor"] = np.where(c1["phone"][pi, vi], "phone", "clinician")
    wmask = followed1 & np.isfinite(c1["weight"])
    pw, vw = np.nonzero(wmask)
    measurements = pd.DataFrame({
        "patient_id": ids[pw],
        "date": pd.to_datetime(day[pw, vw], unit="D"),
        "measure": "weight_kg",
        "value": c1["weight"][pw, vw],
        "unit": "kg",
    })  # fmt: skip

    sites = np.array(["bulbar", "limb", "respiratory"])
    riluzole = np.where(u_ril < 0.80, "true", "false").astype(object)
    riluzole[u_ril_missing < 0.06] = None
    escorial = np.array(["definite", "probable", "probable_lab", "possible"])[(u_esc * 4).astype(int) % 4].astype(
        object
    )
    escorial[u_esc > 0.6] = None
    patients = pd.DataFrame({
        "patient_id": ids,
        "sex": np.where(sex_m, "M", "F"),
        "birth_year": birth_year,
        "onset_date": pd.to_datetime(onset_day, unit="D"),
        "diagnosis_date": pd.to_datetime(diag_day, unit="D"),
        "onset_site": sites[site_code],
        "el_escorial": escorial,
        "riluzole": riluzole,
        "site": np.array(["NORTH", "SOUTH", "EAST"])[(u_site * 3).astype(int) % 3],
    })  # fmt: skip
    pc, cc = np.nonzero(np.isfinite(cycles))
    treatments = pd.DataFrame({
        "treatment_id": [f"{ids[i]}-T{j + 1}" for i, j in zip(pc, cc, strict=True)],
        "patient_id": ids[pc],
        "date": pd.to_datetime(onset_day[pc] + np.rint(cycles[pc, cc] * DPM), unit="D"),
        "cycle": cc + 1,
        "cell_source": "bone_marrow",
        "donor": "autologous",
        "route": "intrathecal",
        "dose_cells": np.round(1.0e7 * (1 + 4 * u_dose[pc]), -4),
    })  # fmt: skip
    tables = Tables.from_frames(
        patients=patients, treatments=treatments, alsfrs=alsfrs, measurements=measurements, events=events
    )

    # truths over the treated patients' slots
    p = np.flatnonzero(treated)
    if len(p) == 0:
        return WorldCohort(tables, float(effect), 0)
    e1, e0 = c1["expected"], c0["expected"]
    since = (t - t0[:, None])[p]
    truths = cohort_truths(e1[p], e0[p], since, followed1[p], followed0[p], effect)
    return WorldCohort(tables, float(effect), len(p), *truths)


__all__ = ["ITEMS", "PIECES", "WorldCohort", "simulate_world8"]

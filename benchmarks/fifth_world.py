"""A fifth data-generating mechanism, held out: written from the canonical format (spec/data-format.md), the
clinical rules (spec/domain-rules.md), ``alscell.simulate`` and the four other worlds, without reading the
estimators or their calibration pages.

``alscell.simulate`` (D50 sigmoid courses, treatment after a steep observed drop), ``second_world.py``
(linear-quadratic courses, treated patients chosen by their true slope), ``third_world.py`` (Markov
plateaus, an eligibility cut-off on the observed total, visits that follow drops, death as a hitting time of
the total) and ``fourth_world.py`` (a latent trait with a change-point, graded-response items, calendar-time
access by site, a waning effect, hazards) differ from this world in every piece:

* **course: a sum of four domains, each with its own kinetics.**  The four ALSFRS-R domains (bulbar q1–q3,
  fine motor q4–q6, gross motor q7–q9, respiratory q10–q12; Cedarbaum et al., J Neurol Sci 1999;169:13–21)
  are each a subscore D_d(t) = clip(12 − r_d·(t − s_d), 0, 12): untouched until the disease reaches the
  region at s_d months from onset, then a straight decline at r_d points/month to the domain's floor.  The
  disease starts in the onset region (s = 0) and reaches contiguous regions first (Ravits & La Spada,
  Neurology 2009;73:805–811): s_d = distance·Δ·exp(0.3·z_d), distance 1 between bulbar and cervical (fine
  motor), bulbar and respiratory, cervical and respiratory (the phrenic segments), cervical and lumbar (gross
  motor), 2 between bulbar or respiratory and lumbar; Δ = 7 months·exp(0.3·z)/v^0.7.  Rates r_d =
  v·12/T_d·exp(0.2·z'_d), T = (34, 32, 34, 36) months from involvement to the floor at v = 1, v the
  patient's speed, lognormal (sd of log 0.45) and faster with age at onset (log v + 0.012 per year above 62;
  older age at onset is a poor prognostic factor: Chiò et al., Amyotroph Lateral Scler 2009;10:310–323).
  The sum of four such ramps is slow while one region is affected, accelerates as others join and slows as
  domains reach their floor.  Distances, Δ, T, the spreads and the age slope are assumptions (they give a
  mean per-patient slope of the recorded totals near −1.1 points/month; −0.99 in PRO-ACT, Muscle Nerve
  2018;57:937).  Onset region: bulbar 28%, upper limb 32%, lower limb 34% (both written ``limb``),
  respiratory 3%, generalized 3% (every region at onset); men 58%; age at onset N(62, 10.5²) within 25–88
  (assumptions in the range of population registries: Chiò et al. 2009; Logroscino et al., J Neurol
  Neurosurg Psychiatry 2010;81:385–390).  Recorded: sex, birth year, onset and diagnosis dates, onset site,
  site, riluzole (80%, no effect);
* **measurement: items from the domains, rater error by site and assessor, floors, gaps.**  Item j of a
  domain has mean μ_j = D/3 + o_j·min(D, 12 − D)/6 (fixed offsets o_j summing to 0 in each domain: which
  item of a region is lost first, an assumption; the offsets vanish at the domain's floor and ceiling), and
  is recorded as clip(round(μ_j + b_site + 0.08·η_visit + σ·ε), 0, 4): a rater bias per site b (0, 0,
  −0.05, +0.10 points per item), a visit-level shift common to the 12 items η (the rater's day), item noise
  σ by site (0.25, 0.30, 0.40, 0.30), ×1.3 for self-rated visits (piece ``rater`` off: σ = 0.30 everywhere,
  no bias).  The clipping gives floor and ceiling effects item by item.  Assessor per visit: clinician 80%,
  phone 15%, self 5% (the first visit at the clinic); telephone ALSFRS-R is reliable (Kaufmann et al.,
  Amyotroph Lateral Scler 2007;8:42–46), so phone visits have the clinic's noise; the self-rated factor is
  an assumption.  Each item is missing with probability 0.006 at a visit (about 7% partial rows, their
  total missing).  After a gastrostomy item 5 is recorded as q5b instead of q5a; on NIV q12 is at most 3,
  after a tracheostomy 0 (the item's definitions, spec/domain-rules.md);
* **entry and visits: a patient's own rhythm, missed appointments that follow the unobserved state.**
  Diagnosis after a delay lognormal with median 11 months (sd of log 0.45), shorter for fast progressors
  (elasticity −0.5 on v; a diagnostic delay of about a year: Paganoni et al., Amyotroph Lateral Scler
  Frontotemporal Degener 2014;15:453–456); the registry's first visit an exponential time (mean 1.5
  months) after diagnosis; a prevalent cohort: patients dead before their first visit, or first seen after
  the lock, are never in it.  Each patient keeps a preferred interval (2, 3, 4 or 6 months, 15/45/25/15%:
  distance and habits, not the site) and each gap is that interval ×exp(0.25·z).  A scheduled visit after
  the first is missed (no row) with probability expit(−3 + 0.3·(12 − G(t))), G the *latent* gross-motor
  subscore then (patients who can no longer travel miss visits: missing not at random, and a treated patient
  misses fewer).  Four sites, 35/30/20/15%; onsets spread over 2014–2021, data lock 2024-06-30 (all
  assumptions);
* **who is treated, and when: a run of poor visits, covariates and means, on recorded information.**  At
  each followed visit from the second on, an untreated patient is *eligible* if the recorded respiratory
  subscore (q10–q12, complete) is at least 6, age (visit year − birth year) at most 80, disease duration at
  most 60 months and no tracheostomy; a visit is *poor* when the recorded total fell by at least 1.5
  points/month since the previous complete total (faster than the fast-progressor boundary of 1.11, Labra
  et al., J Neurol Neurosurg Psychiatry 2016;87:628–632; a partial row is not poor and breaks a run).
  Treatment at that visit with probability expit(c + h): h = 2.5 after two or more consecutive poor visits,
  1.2 after one, + a site term (site A runs a hospital-exemption programme +1.0, B 0, C −0.5, D +0.3) −
  0.04 per year of age above 60 − 0.04 per month since the first visit (the wish to try cells fades) + 0.9·ζ,
  ζ ~ N(0, 1) the patient's unrecorded means and willingness, independent of the disease.  c is set so that
  round(share · n) patients are treated (each patient's first crossing is a deterministic function of c, so
  exactly that many unless fewer are ever eligible: about 80% are).  The decision depends on the recorded
  history, the recorded covariates and ζ only; ζ is unrecorded but independent of the course, so treatment
  is sequentially ignorable given the recorded history — but it selects on noisy drops (regression to the
  mean) and on age and site, which also bear on the course or the measurement.  The coefficients are
  assumptions;
* **repeat cycles, decided on the recorded response.**  At the first followed visit at least 2 months after
  a cycle, a patient whose recorded total has fallen by at most 3 points since that cycle's visit (the
  clinic sees a stabilisation) and who is still eligible gets the next cycle with probability 0.75, up to
  cycle 3 (NurOwn gave three intrathecal doses 8 weeks apart, Cudkowicz et al., Muscle Nerve 2022;65:291;
  the rule is an assumption).  Every cycle is on a visit day; site A gives autologous bone-marrow cells
  intrathecally, the other sites' patients allogeneic umbilical-cord cells intravenously (descriptive only);
* **effect: a slowing of each domain's disease clock, delayed, a year per cycle, weaker in the bulbar
  domain.**  After a cycle at t_c each domain's disease clock runs at 1 − ρ_d over [t_c + 1, t_c + 13]
  months (the union over cycles): D_d is evaluated at t − ρ_d·C(t), C(t) the covered time so far.
  ρ = min(E / S_REF, 0.95), S_REF = 1 point/month: a patient whose spinal and respiratory domains decline
  at 1 point/month in all gains E points/month while covered; ρ_bulbar = ρ/2 (assumptions: intrathecal cells
  reach the cord more than the brainstem).  So the slope change differs between patients (proportional to
  the speed of their active domains, nil in domains at their floor, a later involvement of domains not yet
  reached) and over time (none in the first month, none after the coverage ends, while the level gained
  stays).  The treated course drives everything downstream (respiratory events and death, missed visits,
  loss, gastrostomy, repeat cycles); E = 0 gives recorded data identical to an untreated cohort's;
* **follow-up ends by respiratory failure, background death, loss, or the lock.**  Respiratory failure when
  the respiratory domain (on its clock) reaches a patient threshold U(2, 5); then 7% get a tracheostomy
  (invasive ventilation, follow-up continues; death after an exponential time, mean 36 months), the
  others die Gamma(2, 1) months later.  NIV (accepted by 55%) starts an exponential time (mean 2 months)
  after the respiratory domain falls below 8.  Background death from other causes at
  0.001·exp(0.06·(age − 62)) per month.  Gastrostomy: at a followed visit with a recorded q3 ≤ 2, placed with
  probability 0.2, U(0.5, 2.5) months later.  Loss to follow-up after a visit with probability expit(−4.8 +
  0.08·(40 − recorded total)⁺) (missing at random: on the recorded score, prorated over a partial row),
  declared 9 months after the last visit (recorded only if before the lock; a lost patient's later events
  are never known).  Events are recorded while the patient is followed; death strictly after the last
  visit.  The thresholds and rates are assumptions, set so that median survival from onset is about 3 years
  (30–45 months in population cohorts, spec/domain-rules.md; 20–48 in Chiò et al. 2009).

``truth`` is the nominal effect E; ``truth_realised`` is the slope change the treated patients' *expected*
recorded totals (the expectation over rater noise of the clipped, rounded items, with the NIV and
tracheostomy caps on q12, under each course) show over their observed post-treatment visits: per treated
patient, least squares through the origin of (treated − untreated expected total) on months since the first
treatment, then the mean over patients with a post-treatment visit (as ``fourth_world``); later cycles'
effects are part of the treated course.  Writes canonical tables (``Tables.from_frames``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.special import expit, logit, ndtr

from alscell.io.tables import Tables
from second_world import refuse_unknown
from window_truth import observed_truth, window_truth
from world_tables import WorldCohort, ending_events, event_rows, item_rows

DPM = 30.4375
ITEMS = ["q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]
N_VISITS = 72  # scheduled visits drawn per patient (more than any follow-up until the lock needs)
OVERDRAW = 1.2  # patients drawn per patient kept (the dead before their first visit are never seen)
BULBAR, FINE, GROSS, RESP = 0, 1, 2, 3
# onset kinds: bulbar, upper limb, lower limb, respiratory, generalized
ONSET_P = np.array([0.28, 0.32, 0.34, 0.03, 0.03])
ONSET_SITE = np.array(["bulbar", "limb", "limb", "respiratory", "generalized"])
# region distance from the onset region (rows: the onset kinds) to each domain (bulbar, fine, gross, respiratory)
DIST = np.array([[0, 1, 2, 1], [1, 0, 1, 1], [2, 1, 0, 2], [1, 1, 2, 0], [0, 0, 0, 0]], float)
SPREAD = 7.0  # months per step of spread at v = 1
T_FLOOR = np.array([34.0, 32.0, 34.0, 36.0])  # months from involvement to the domain's floor at v = 1
# item offsets within each domain (sum 0): speech, salivation, swallowing | handwriting, cutting, dressing |
# turning in bed, walking, stairs | dyspnea, orthopnea, respiratory insufficiency
OFFSETS = np.array([-0.4, 0.5, -0.1, -0.3, -0.2, 0.5, 0.5, 0.0, -0.5, -0.3, 0.0, 0.3])
SITES = ("A", "B", "C", "D")
SITE_SHARES = np.array([0.35, 0.30, 0.20, 0.15])
SITE_SD = np.array([0.25, 0.30, 0.40, 0.30])  # item noise by site
SITE_BIAS = np.array([0.0, 0.0, -0.05, 0.10])  # rater bias per item by site
SITE_PROPENSITY = np.array([1.0, 0.0, -0.5, 0.3])
VISIT_SD = 0.08  # the visit-level shift common to the 12 items
SELF_FACTOR = 1.3
ASSESSOR_P = (0.80, 0.15, 0.05)  # clinician, phone, self
P_ITEM_MISSING = 0.006
INTERVALS = np.array([2.0, 3.0, 4.0, 6.0])
INTERVAL_P = np.array([0.15, 0.45, 0.25, 0.15])
# treatment
ELIG_RESP, ELIG_AGE, ELIG_MONTHS = 6, 80.0, 60.0
POOR_RATE = 1.5  # points/month
RUN2, RUN1 = 2.5, 1.2
REPEAT_GAP, REPEAT_DROP, REPEAT_P, MAX_CYCLES = 2.0, 3.0, 0.75, 3
# effect
S_REF, LAG, COVER, BULBAR_SHARE, RHO_MAX = 1.0, 1.0, 12.0, 0.5, 0.95
# follow-up
P_TRACH, TRACH_SURV, NIV_LEVEL, NIV_DELAY, P_NIV = 0.07, 36.0, 8.0, 2.0, 0.55
H_BG = (0.001, 0.06)
P_GASTRO = 0.2  # per visit with a recorded q3 ≤ 2
LOSS = (-4.8, 0.08)  # loss to follow-up after a visit: expit(a + b·(40 − recorded total)⁺)
LOSS_DECLARED = 9.0
LOCK = pd.Timestamp("2024-06-30")

# Pieces that ``off`` switches off (an ablation, as benchmarks/second_world.py's): the random numbers drawn
# stay the same, so a switched-off world differs from the default in that piece only.
PIECES = {
    "spread": "every domain involved from onset (no spread between regions)",
    "rater": "one noise level for every site and assessor, no site bias",
    "missing_items": "no partial rows (no item missing)",
    "missed_visits": "no missed appointments",
    "runs": "treatment does not depend on runs of poor visits (covariates, site and means only)",
    "repeats": "one administration each (no repeat cycles)",
    "lag": "the effect starts on the day of the administration (no 1-month delay)",
    "bulbar_effect": "the bulbar domain slowed as much as the others",
    "loss": "no loss to follow-up",
    "death": "no death or tracheostomy after the first visit",
}


def _windows(cycle_t: np.ndarray, lag: float) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of the disjoint covered intervals (n × MAX_CYCLES) from the cycle times (inf = none)."""
    a = np.sort(cycle_t, axis=1) + lag
    b = a + COVER
    prev_b = np.concatenate([np.full((len(a), 1), -np.inf), np.maximum.accumulate(b, axis=1)[:, :-1]], axis=1)
    start = np.maximum(a, prev_b)
    with np.errstate(invalid="ignore"):
        length = np.where(np.isfinite(a), np.maximum(b - start, 0.0), 0.0)
    return start, length


def _covered(t: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Covered months before ``t`` (n × k) for windows (n × J)."""
    with np.errstate(invalid="ignore"):
        part = np.clip(t[..., None] - start[:, None, :], 0.0, length[:, None, :])
    return np.nan_to_num(part, nan=0.0).sum(-1)


def _domains(t: np.ndarray, s: np.ndarray, r: np.ndarray, rho: np.ndarray, win) -> np.ndarray:
    """Latent domain subscores (n × k × 4) at months ``t`` (n × k) on each domain's clock."""
    tau = t[..., None] - rho[:, None, :] * _covered(t, *win)[..., None]
    return np.clip(12.0 - r[:, None, :] * (tau - s[:, None, :]), 0.0, 12.0)


def _clock_inverse(x: np.ndarray, rho: np.ndarray, win) -> np.ndarray:
    """Months t at which a domain's clock t − ρ·C(t) reaches ``x`` (n,): exact, window by window (the clock
    increases; it is t itself before the first window, so t = x there and wherever ρ = 0)."""
    start, length = win
    before = np.cumsum(length, axis=1) - length  # covered months before each window
    t = x.copy()
    if not np.any(rho):
        return t
    with np.errstate(invalid="ignore"):
        tau_a = start - rho[:, None] * before  # the clock at each window's start (inf: no window)
        for j in range(start.shape[1]):
            reached = tau_a[:, j] <= x
            inside = x <= tau_a[:, j] + (1.0 - rho) * length[:, j]
            t_in = start[:, j] + (x - tau_a[:, j]) / (1.0 - rho)
            t_out = x + rho * (before[:, j] + length[:, j])
            t = np.where(reached & (rho != 0.0), np.where(inside, t_in, t_out), t)
    return t


def _item_means(dom: np.ndarray) -> np.ndarray:
    """Item means (… × 12) from the domain subscores (… × 4)."""
    d = np.repeat(dom, 3, axis=-1)
    return d / 3.0 + OFFSETS * np.minimum(d, 12.0 - d) / 6.0


def simulate_world5(
    n_patients: int, effect: float, treated_share: float, seed: int, off: frozenset[str] = frozenset()
) -> WorldCohort:
    """One cohort of the fifth world (module docstring); seeded, vectorised over patients.  ``off``: pieces
    of ``PIECES`` switched off (an ablation; the default world has them all)."""
    refuse_unknown(off, PIECES)
    rng = np.random.default_rng(seed)
    n = int(n_patients)
    m = int(np.ceil(n * OVERDRAW)) + 20
    K = N_VISITS
    # every random number first, in a fixed order, whatever is switched off
    age0 = np.clip(rng.normal(62.0, 10.5, m), 25.0, 88.0)
    male = rng.random(m) < 0.58
    kind = rng.choice(5, m, p=ONSET_P)
    z_v = rng.standard_normal(m)
    z_spread = rng.standard_normal(m)
    z_dom = rng.standard_normal((m, 4))
    z_rate = rng.standard_normal((m, 4))
    r_star = rng.uniform(2.0, 5.0, m)
    u_trach = rng.random(m)
    death_lag = rng.gamma(2.0, 1.0, m)
    trach_surv = rng.exponential(TRACH_SURV, m)
    e_bg = rng.exponential(1.0, m)
    z_diag = rng.standard_normal(m)
    enrol = rng.exponential(1.5, m)
    onset_day0 = rng.integers(0, 8 * 365, m)
    site = rng.choice(4, m, p=SITE_SHARES)
    pref = rng.choice(4, m, p=INTERVAL_P)
    z_gap = rng.standard_normal((m, K))
    eps = rng.standard_normal((m, K, 12))
    eta = rng.standard_normal((m, K))
    u_assessor = rng.random((m, K))
    u_item_missing = rng.random((m, K, 12))
    u_missed = rng.random((m, K))
    u_loss = rng.random((m, K))
    u_treat = rng.random((m, K))
    zeta = rng.standard_normal(m)
    u_repeat = rng.random((m, MAX_CYCLES - 1))
    u_gastro = rng.random((m, K))
    gastro_delay = rng.uniform(0.5, 2.5, (m, K))
    niv_delay = rng.exponential(NIV_DELAY, m)
    riluzole = rng.random(m) < 0.8
    u_niv = rng.random(m)

    # the natural course: speed, spread, domain rates
    v = np.exp(0.45 * z_v + 0.012 * (age0 - 62.0))
    dist = np.zeros((m, 4)) if "spread" in off else DIST[kind]
    delta = SPREAD * np.exp(0.3 * z_spread) / v**0.7
    s = dist * delta[:, None] * np.exp(0.3 * z_dom)
    r = v[:, None] * 12.0 / T_FLOOR * np.exp(0.2 * z_rate)
    entry = 11.0 * np.exp(0.45 * z_diag - 0.5 * np.log(v)) + enrol
    diag = entry - enrol

    def respiratory_times(rho_r, win):
        """NIV start, tracheostomy (at respiratory failure) and death, months from onset, on the respiratory
        clock (of the patients' arrays as they stand: all drawn, then the kept)."""
        fail = _clock_inverse(s[:, RESP] + (12.0 - r_star) / r[:, RESP], rho_r, win)
        niv = _clock_inverse(s[:, RESP] + (12.0 - NIV_LEVEL) / r[:, RESP], rho_r, win) + niv_delay
        niv = np.where(u_niv < P_NIV, niv, np.inf)  # the others decline or do not tolerate NIV
        bg = e_bg / (H_BG[0] * np.exp(H_BG[1] * (age0 - 62.0)))
        trach = u_trach < P_TRACH
        death = np.minimum(bg, fail + np.where(trach, trach_surv, death_lag))
        return niv, np.where(trach & (fail < death), fail, np.inf), death

    # a prevalent cohort: the first n patients alive at their first visit and seen before the lock (death
    # switched off or not: the switch acts after the first visit)
    *_, death0 = respiratory_times(np.zeros(m), (np.full((m, 1), np.inf), np.zeros((m, 1))))
    onset_all = pd.Timestamp("2014-01-01") + pd.to_timedelta(onset_day0, unit="D")
    lock_all = ((LOCK - onset_all) / pd.Timedelta(days=1)).to_numpy() / DPM
    keep = np.flatnonzero((death0 > entry) & (np.rint(entry * DPM) / DPM <= lock_all))[:n]
    if len(keep) < n:
        raise RuntimeError("not enough patients alive at their first visit; raise OVERDRAW")
    (age0, male, kind, s, r, r_star, entry, diag, site, pref, z_gap, eps, eta, u_assessor, u_item_missing, u_missed) = (
        x[keep]
        for x in (
            age0,
            male,
            kind,
            s,
            r,
            r_star,
            entry,
            diag,
            site,
            pref,
            z_gap,
            eps,
            eta,
            u_assessor,
            u_item_missing,
            u_missed,
        )
    )
    (u_loss, u_treat, zeta, u_repeat, u_gastro, gastro_delay, riluzole, onset_day0) = (
        x[keep] for x in (u_loss, u_treat, zeta, u_repeat, u_gastro, gastro_delay, riluzole, onset_day0)
    )
    u_trach, death_lag, trach_surv, e_bg, niv_delay, u_niv = (
        x[keep] for x in (u_trach, death_lag, trach_surv, e_bg, niv_delay, u_niv)
    )
    rows = np.arange(n)

    # visits: the patient's own interval, jittered; calendar and lock
    gaps = INTERVALS[pref][:, None] * np.exp(0.25 * z_gap)
    gaps[:, 0] = 0.0
    t_vis = entry[:, None] + np.cumsum(gaps, axis=1)
    onset = pd.Timestamp("2014-01-01") + pd.to_timedelta(onset_day0, unit="D")
    onset_days = ((onset - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy()
    lock_m = ((LOCK - onset) / pd.Timedelta(days=1)).to_numpy() / DPM
    vis_day = onset_days[:, None] + np.rint(t_vis * DPM)
    t_vis = (vis_day - onset_days[:, None]) / DPM  # on the recorded day
    k_idx = np.arange(K)[None, :]
    birth_year = onset.year.to_numpy() - np.floor(age0).astype(int)
    # age as the registry knows it: the visit's year minus the birth year
    age_vis = vis_day.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970 - birth_year[:, None]

    # measurement parameters per visit
    assessor = np.where(u_assessor < ASSESSOR_P[0], 0, np.where(u_assessor < ASSESSOR_P[0] + ASSESSOR_P[1], 1, 2))
    assessor[:, 0] = 0
    if "rater" in off:
        sd = np.full((n, K), 0.3)
        bias = np.zeros(n)
    else:
        sd = SITE_SD[site][:, None] * np.where(assessor == 2, SELF_FACTOR, 1.0)
        bias = SITE_BIAS[site]
    missing = (u_item_missing < P_ITEM_MISSING) & ("missing_items" not in off)

    rho = float(np.clip(effect / S_REF, -RHO_MAX, RHO_MAX))
    rho_d = np.full((n, 4), rho)
    if "bulbar_effect" not in off:
        rho_d[:, BULBAR] *= BULBAR_SHARE
    lag = 0.0 if "lag" in off else LAG
    no_dropout = "death" in off

    def observe(cycle_t: np.ndarray) -> dict:
        """Latent course, recorded items and follow-up under the covered windows of ``cycle_t``."""
        win = _windows(cycle_t, lag)
        dom = _domains(t_vis, s, r, rho_d, win)
        niv, trach, death = respiratory_times(rho_d[:, RESP], win)
        if no_dropout:
            trach, death = np.full(n, np.inf), np.full(n, np.inf)
        mu = _item_means(dom) + bias[:, None, None]
        noisy = mu + VISIT_SD * eta[..., None] + sd[..., None] * eps
        items = np.clip(np.rint(noisy), 0.0, 4.0)
        cap12 = np.where(t_vis >= trach[:, None], 0.0, np.where(t_vis >= niv[:, None], 3.0, 4.0))
        items[..., 11] = np.minimum(items[..., 11], cap12)
        items = np.where(missing, np.nan, items)
        total = items.sum(-1)  # nan where an item is missing
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a row with every item missing: no total
            prorated = np.nanmean(items, axis=-1) * 12.0
        # follow-up: missed appointments on the latent gross-motor subscore, loss on the recorded total
        p_miss = 0.0 if "missed_visits" in off else expit(-3.0 + 0.3 * (12.0 - dom[..., GROSS]))
        attended = (k_idx == 0) | (u_missed >= p_miss)
        candidate = attended & (t_vis < death[:, None]) & (t_vis <= lock_m[:, None])
        p_loss = 0.0 if "loss" in off else expit(LOSS[0] + LOSS[1] * np.maximum(40.0 - prorated, 0.0))
        lost_after = candidate & (u_loss < p_loss)
        lost_before = np.cumsum(lost_after, axis=1) - lost_after > 0
        followed = candidate & ~lost_before
        lost = (lost_after & followed).any(1)
        return {
            "win": win,
            "dom": dom,
            "items": items,
            "total": total,
            "followed": followed,
            "lost": lost,
            "niv": niv,
            "trach": trach,
            "death": death,
            "cap12": cap12,
        }

    def eligible(obs: dict) -> np.ndarray:
        resp = obs["items"][..., 9:12].sum(-1)  # nan if an item is missing
        return (
            obs["followed"]
            & (resp >= ELIG_RESP)
            & (age_vis <= ELIG_AGE)
            & (t_vis <= ELIG_MONTHS)
            & (t_vis < obs["trach"][:, None])
        )

    # cycle 1: decided on the natural course's recorded history
    nat = observe(np.full((n, MAX_CYCLES), np.inf))
    tot = np.where(nat["followed"], nat["total"], np.nan)
    run = np.zeros((n, K), int)
    last_tot, last_t = np.full(n, np.nan), np.full(n, np.nan)
    for k in range(K):  # a loop over visits, vectorised over patients
        have = ~np.isnan(tot[:, k])
        with np.errstate(invalid="ignore"):
            poor = have & ((last_tot - tot[:, k]) / (t_vis[:, k] - last_t) >= POOR_RATE)
        run[:, k] = np.where(poor, (run[:, k - 1] if k else 0) + 1, 0)
        last_tot = np.where(have, tot[:, k], last_tot)
        last_t = np.where(have, t_vis[:, k], last_t)
    h = SITE_PROPENSITY[site][:, None] - 0.04 * (age_vis - 60.0) - 0.04 * (t_vis - t_vis[:, :1]) + 0.9 * zeta[:, None]
    if "runs" not in off:
        h = h + np.where(run >= 2, RUN2, np.where(run == 1, RUN1, 0.0))
    ok = eligible(nat) & (k_idx >= 1)
    cross = np.where(ok, logit(np.clip(u_treat, 1e-12, 1 - 1e-12)) - h, np.inf)
    c_star = cross.min(1)
    n_want = min(round(treated_share * n), int(np.isfinite(c_star).sum()))
    treated = np.zeros(n, bool)
    if n_want:
        c = np.sort(c_star)[n_want - 1]
        treated = c_star <= c
        tv = np.where(treated, (cross <= c).argmax(1), -1)
    else:
        tv = np.full(n, -1)
    cycle_t = np.full((n, MAX_CYCLES), np.inf)
    cycle_k = np.full((n, MAX_CYCLES), -1)
    cycle_t[treated, 0] = t_vis[treated, tv[treated]]
    cycle_k[treated, 0] = tv[treated]

    # repeat cycles: at the first followed visit ≥ 2 months on, if the recorded total held up
    obs = observe(cycle_t) if treated.any() else nat
    for c_i in range(1, MAX_CYCLES):
        if "repeats" in off or not treated.any():
            break
        prev_k, prev_t = cycle_k[:, c_i - 1], cycle_t[:, c_i - 1]
        cand = obs["followed"] & (k_idx > prev_k[:, None]) & (t_vis >= prev_t[:, None] + REPEAT_GAP)
        has = (prev_k >= 0) & cand.any(1)
        nk = cand.argmax(1)
        before = obs["total"][rows, np.maximum(prev_k, 0)]
        now = obs["total"][rows, nk]
        with np.errstate(invalid="ignore"):
            go = has & (now >= before - REPEAT_DROP) & eligible(obs)[rows, nk] & (u_repeat[:, c_i - 1] < REPEAT_P)
        if not go.any():
            break
        cycle_t[go, c_i] = t_vis[go, nk[go]]
        cycle_k[go, c_i] = nk[go]
        obs = observe(cycle_t)

    # the recorded data
    followed, items, death = obs["followed"], obs["items"], obs["death"]
    last_k = np.where(followed.any(1), K - 1 - np.argmax(followed[:, ::-1], axis=1), 0)
    last_t = t_vis[rows, last_k]
    lost = obs["lost"]
    died = ~lost & (death <= lock_m)
    end_obs = np.where(lost, last_t, np.where(died, death, lock_m))
    # gastrostomy: decided at a visit with a recorded q3 ≤ 2
    want_g = followed & (items[..., 2] <= 2) & (u_gastro < P_GASTRO)
    g_k = want_g.argmax(1)
    t_gastro = np.where(want_g.any(1), t_vis[rows, g_k] + gastro_delay[rows, g_k], np.inf)
    t_gastro = np.where(t_gastro < death, t_gastro, np.inf)
    with np.errstate(invalid="ignore"):
        gastro_day = onset_days + np.rint(t_gastro * DPM)  # inf: none

    ids = np.array([f"W5{p:06d}" for p in range(n)])
    alsfrs = item_rows(ids, items, followed, vis_day, gastro_day)
    pi, vi = np.nonzero(followed)
    alsfrs["assessor"] = np.array(["clinician", "phone", "self"])[assessor[pi, vi]]
    alsfrs = alsfrs.drop_duplicates(["patient_id", "date"])

    cp, cc = np.nonzero(np.isfinite(cycle_t))
    site_a = site[cp] == 0
    treatments = pd.DataFrame(
        {
            "treatment_id": [f"{ids[p]}-T{c + 1}" for p, c in zip(cp, cc, strict=True)],
            "patient_id": ids[cp],
            "date": pd.to_datetime(vis_day[cp, cycle_k[cp, cc]], unit="D"),
            "cycle": cc + 1,
            # site A's in-house programme: autologous bone marrow, intrathecal; elsewhere cells from abroad
            "cell_source": np.where(site_a, "bone_marrow", "umbilical_cord"),
            "donor": np.where(site_a, "autologous", "allogeneic"),
            "route": np.where(site_a, "intrathecal", "intravenous"),
            "dose_cells": np.where(site_a, 1.0e8, 5.0e7),
        }
    )

    last_day = np.where(followed.any(1), vis_day[rows, last_k], -np.inf)
    known = {"gastrostomy": t_gastro, "niv_start": obs["niv"], "tracheostomy": obs["trach"]}
    with np.errstate(invalid="ignore"):  # recorded while followed (and, if lost, up to the last visit)
        ev_rows = [event_rows(ids, onset_days, ev, t_ev, np.rint(t_ev * DPM), end_obs, lock_m, death)
                   for ev, t_ev in known.items()]  # fmt: skip
    # a gastrostomy on the day of death would be dated after an ending event: ending_events drops it
    events = ending_events(ids, onset_days, ev_rows, died, death, last_day, lost, last_t, lock_m, LOSS_DECLARED)

    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "sex": np.where(male, "M", "F"),
            "birth_year": birth_year,
            "onset_date": onset,
            "diagnosis_date": onset + pd.to_timedelta(np.rint(diag * DPM), unit="D"),
            "onset_site": ONSET_SITE[kind],
            "riluzole": riluzole,
            "site": np.array([f"site_{x}" for x in SITES])[site],
        }
    )
    tables = Tables.from_frames(patients=patients, treatments=treatments, alsfrs=alsfrs, events=events)

    # the realised truth: treated − untreated expected recorded total at the observed post-treatment visits
    realised = window = observed = float("nan")
    tr = np.flatnonzero(treated)
    if len(tr):
        t0 = cycle_t[tr, 0]
        post = followed[tr] & (t_vis[tr] > t0[:, None])
        dt = np.where(post, t_vis[tr] - t0[:, None], 0.0)
        sig = np.sqrt(sd[tr] ** 2 + VISIT_SD**2)[..., None]

        def expected_total(o):
            mu = _item_means(o["dom"][tr]) + bias[tr, None, None]
            cuts = np.arange(4)[None, None, None, :] + 0.5
            p_ge = ndtr((mu[..., None] - cuts) / sig[..., None])  # P(item ≥ c), c = 1..4
            cap = o["cap12"][tr]
            e = p_ge.sum(-1)
            e[..., 11] = np.where(cap == 0.0, 0.0, np.where(cap == 3.0, p_ge[..., 11, :3].sum(-1), e[..., 11]))
            return e.sum(-1)

        e1, e0 = expected_total(obs), expected_total(nat)
        diff = e1 - e0
        sxx = (dt**2).sum(1)
        has = sxx > 0
        if has.any():
            realised = float(((diff * dt).sum(1)[has] / sxx[has]).mean())
        window = window_truth(diff, t_vis[tr] - t0[:, None], followed[tr])
        observed = observed_truth(e1, e0, t_vis[tr] - t0[:, None], followed[tr], nat["followed"][tr])
    return WorldCohort(tables, float(effect), int(treated.sum()), realised, window, observed)


__all__ = ["PIECES", "WorldCohort", "simulate_world5"]

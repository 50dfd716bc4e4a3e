"""A sixth data-generating mechanism, held out: written after the five others from the canonical format
(spec/data-format.md), the clinical rules (spec/domain-rules.md) and the other worlds' docstrings, without
reading the estimators or any calibration page, and committed before any estimator's calibration ran on it.

``alscell.simulate`` (D50 sigmoid courses, treatment after a steep observed drop), ``second_world.py``
(linear-quadratic courses, treated patients chosen by their true slope), ``third_world.py`` (Markov
plateaus of a latent total, an eligibility cut-off on the observed total), ``fourth_world.py`` (a latent
trait with a change-point, graded-response items, calendar-time access by site) and ``fifth_world.py``
(deterministic domain ramps with rater noise, treatment after runs of poor visits, a slowed disease clock)
differ from this world in every piece:

* **course: every item a counting process.**  The disease is a set of point losses: each of the 12 items
  (bulbar q1–q3, fine motor q4–q6, gross motor q7–q9, respiratory q10–q12; Cedarbaum et al., J Neurol Sci
  1999;169:13–21) starts at 4 and, once its region is involved, loses one point at a time after
  exponential waiting times at its own rate λ_j = ITEM_RATE · v · w_j · exp(0.3·z_d), until 0 (a point is
  never regained): v the patient's speed (lognormal, sd of log 0.5, × exp(0.015·(age at onset − 63)); older
  onset progresses faster, Chiò et al., Amyotroph Lateral Scler 2009;10:310–323), z_d a region term, w_j a
  fixed item weight (within a region some items go first: speech before salivation, stairs before turning
  in bed, dyspnea before respiratory insufficiency; an assumption).  The item's expected course is a ramp
  that flattens towards 0; the patient's total falls in unit steps at random times, and its mean slope
  grows as regions join.  Symptom onset is the first loss: one item of the onset region (speech, handwriting,
  walking or dyspnea) loses its first point at month 0;
* **spread: contiguous, along random delays.**  ALS spreads from the onset region to neighbouring ones
  (Ravits & La Spada, Neurology 2009;73:805–811).  The four regions are the nodes of a graph with edges
  bulbar–cervical (fine motor), cervical–respiratory (the phrenic segments), cervical–lumbar (gross motor)
  and respiratory (thoracic)–lumbar; each edge has its own delay, Gamma(shape 2) with mean EDGE_MEAN
  (7, 6, 9, 8 months) · v^−0.5; a region is involved at the shortest path from the onset region (a
  first-passage time, not a fixed distance).  Onset region: bulbar 30%, upper limb 32%, lower limb 35% (both
  written ``limb``), respiratory 3% (Chiò et al. 2009; Logroscino et al., J Neurol Neurosurg Psychiatry
  2010;81:385–390); the delays and the graph are assumptions;
* **entry: diagnosis follows the losses.**  Diagnosis at the time of the patient's K-th point lost, K = 2 +
  Poisson(3) (a patient is referred and diagnosed once the deficit has grown: a hitting time of the course,
  not a delay drawn beside it), then an exponential wait of mean 3 months (tests, second opinions); the
  diagnostic delay's median comes out near 10 months (about a year: Paganoni et al., Amyotroph Lateral Scler
  Frontotemporal Degener 2014;15:453–456).  The registry's first visit an exponential time (mean 1 month) after diagnosis; a
  prevalent cohort (the dead before their first visit, or first seen after the lock, are never in it).
  Men 60%, age at onset N(63, 10²) within 30–88, riluzole 75% (no effect), three sites (descriptive only);
* **measurement: the items themselves, misrated now and then, gaps.**  The recorded item is the item's
  state, except that at each visit each of q1–q11 is recorded one point up or down with probability 0.05
  (clipped to 0–4; an assumption for the ALSFRS-R's imperfect test-retest agreement); q12 is a fact (the
  ventilatory support used) and never misrated.  A visit is partial with probability 0.05 and then misses each
  item with probability 0.2, at least one (its total is missing, spec/data-format.md).  After a gastrostomy
  item 5 is recorded as q5b instead of q5a;
* **visits: a 3-monthly protocol, missed appointments on the recorded state, referrals seen once.**
  Visits every 3 months from the first (multidisciplinary clinics review patients about every 3 months,
  Miller et al., Neurology 2009;73:1218–1226), each N(0, 0.3²) months off its date.  A scheduled visit after
  the first is missed with probability expit(−3 + 0.35·(12 − G)), G the gross-motor subscore (q7–q9)
  recorded at the last attended visit with those items complete (patients who can no longer walk miss
  appointments: missing at random given the recorded history).  6% of patients are second-opinion referrals,
  seen once and followed elsewhere (nothing after their first visit is recorded).  After each attended
  visit a patient is lost to follow-up with probability 0.012, at random, declared 6 months after the last
  visit; onsets spread over 2013–2021, data lock 2024-12-31 (assumptions);
* **who is treated, and when: the patient's choice, prompted by recorded bulbar or respiratory losses,
  within a physician's rule.**  At each followed visit from the second on, an untreated patient may start if
  the recorded diagnosis is at most 36 months old, the age (visit year − birth year) at most 75 and no NIV
  start is recorded on or before the visit (the physician's rule).  The patient then chooses cells with
  probability expit(c + 1.5·new + 0.12·L − 0.03·(age − 60)): new = 1 when the recorded bulbar (q1–q3) or
  respiratory (q10–q12) subscore is lower than at the last visit where it was recorded (a newly noticed loss
  of speech, swallowing or breath, which frightens patients most), L = the points those two subscores have
  lost (24 − their last recorded values).  c is set so that round(share · n) patients are treated (each
  patient's first crossing is a deterministic function of c, so exactly that many unless fewer are ever
  eligible).  The decision depends on recorded information only (items, dates, birth year, events) and on
  independent uniforms; it selects on misratings as well as real losses (new losses are common: about 70%
  of the follow-up visits of untreated patients show one).  The coefficients are assumptions;
* **two doses, one course.**  Autologous bone-marrow cells intrathecally at the decision visit, a second
  dose 26 days later (probability 0.9, if alive, followed and before the lock; not on a visit day), as in the
  lenzumestrocel phase 2 trial (two doses 26 days apart, Oh et al., Ann Neurol 2018;84:361); the effect
  belongs to the pair and is timed from the first;
* **effect: a limited-time slowing of every item's loss rate, by a factor that differs between patients.**
  For EFFECT_MONTHS = 9 months after the first dose every involved item's rate is multiplied by 1 − ρ_i,
  ρ_i = min(E · g_i · d_i / R_REF, 0.9): g_i lognormal with median 1 (sd of log 0.6; unrecorded), d_i =
  exp(−(t0 − 18)/36) with t0 the months from onset at treatment (cells given earlier, with more motor
  neurons left, slow the losses more); R_REF = 1 point/month, near the mean ALSFRS-R slope of trial
  populations (−0.99, PRO-ACT, Muscle Nerve 2018;57:937).  So for a typical patient (g = d = 1) losing 1
  point/month the total's slope changes by E points/month while the effect lasts; a patient losing faster
  gains more, a region not yet involved or at its floor gains nothing, and after 9 months the rates are
  back while the points saved stay (the gap then narrows as the untreated course reaches the floors).  The
  spread is not slowed.  (Measured once the constants were set, not tuned: over the visits 2–10 months
  after the first dose the treated patients' expected-total difference divided by the months since averages
  0.20 at E = 0.2 and 0.46 at E = 0.5, median 0.14 and 0.36.)  All assumptions; E = 0 gives ρ = 0 and recorded data identical to an untreated
  cohort's.  The treated course drives everything after t0 (missed visits, events, death);
* **follow-up ends by respiratory death, loss or the lock.**  Death at a monthly hazard 0.001·exp(0.07·
  (age at onset − 63)) + 0.0025·exp(0.33·(points lost in q10–q12)), rising with each respiratory point lost
  (respiratory failure is the usual cause of death in ALS); and when q12 would reach 0 (invasive ventilation
  needed) the patient dies then, unless one of the 7% who accept a tracheostomy (recorded; q12 = 0 from
  then; death an exponential time of mean 30 months later).  NIV starts when q12 first loses a point (its
  definition: 3 = intermittent BiPAP), recorded as ``niv_start``; a gastrostomy when swallowing (q3) reaches
  1, accepted by 65%, an exponential time (mean 1.5 months) later.  Events are recorded while the patient is
  followed; death strictly after the last visit, never for lost patients or referrals.  The coefficients
  are assumptions, set so that median survival from onset is about 3 years (30–45 months in population
  cohorts, spec/domain-rules.md; 37 months here, of all patients drawn, before the prevalent cohort's
  selection) and the per-patient slope of the recorded totals near −0.9 to −1 points/month (−0.89
  population-based, PRECISION-ALS; −0.99 PRO-ACT; here a mean of −1.0 and a median of −0.9 among untreated
  patients followed for 3 months or more); the first recorded total's median comes out near 40.

All random numbers are drawn first, in a fixed order, and shared by the treated and untreated courses
(common random numbers): the item losses are unit-rate Poisson processes run on each region's clock
λ_j·∫ m(u) du, m = 1 − ρ_i inside the effect window and 1 outside, so the treatment moves the same losses
later.  ``truth`` is the nominal effect E; ``truth_realised`` is the slope change the treated patients'
*expected* recorded totals show over their observed post-treatment visits (the expectation over the items'
waiting times and misratings, given the patient's rates, involvement times, ρ_i and treatment time, exact:
an item is 4 − min(4, h + N), N Poisson with mean λ_j times the region's clock, h = 1 for the onset item;
not conditioned on survival): per treated patient, least squares through the origin of (treated − untreated
expected total) on months since the first dose, then the mean over patients with a post-treatment visit
(as ``fourth_world``); ``truth_window`` the same difference's slope (with an intercept) over the visits from
the treatment visit to 24 months after it (``window_truth.window_truth``).  Writes canonical tables
(``Tables.from_frames``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, logit, pdtr

from alscell.io.tables import Tables
from second_world import refuse_unknown
from window_truth import observed_truth, window_truth
from world_tables import WorldCohort, ending_events, event_rows, item_rows

DPM = 30.4375
ITEMS = ["q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]
BULBAR, FINE, GROSS, RESP = 0, 1, 2, 3  # regions: bulbar, cervical (fine motor), lumbar (gross motor), respiratory
REGION_OF_ITEM = np.repeat(np.arange(4), 3)  # q1–q3 bulbar, q4–q6 fine, q7–q9 gross, q10–q12 respiratory
N_VISITS = 48  # 3-monthly visits drawn per patient (12 years: more than any follow-up until the lock needs)
OVERDRAW = 1.4  # patients drawn per patient kept (the dead before their first visit are never seen)
# onset kinds: bulbar, upper limb, lower limb, respiratory (Chiò et al. 2009; Logroscino et al. 2010)
ONSET_P = np.array([0.30, 0.32, 0.35, 0.03])
ONSET_REGION = np.array([BULBAR, FINE, GROSS, RESP])
ONSET_SITE = np.array(["bulbar", "limb", "limb", "respiratory"])
ONSET_ITEM = np.array([0, 3, 7, 9])  # the item losing the first point at onset: speech, handwriting, walking, dyspnea
# the spread graph's edges (contiguous regions) and their mean delays in months at v = 1 (assumptions)
EDGES = ((BULBAR, FINE), (FINE, RESP), (FINE, GROSS), (RESP, GROSS))
EDGE_MEAN = np.array([7.0, 6.0, 9.0, 8.0])
EDGE_SHAPE = 2.0  # Gamma shape of an edge's delay
SPREAD_SPEED = 0.5  # delays scale as v^−0.5: faster patients spread faster (assumption)
ITEM_RATE = 0.1  # point losses per month of an involved item at v = 1, w = 1 (assumption, set to the mean slope)
# item weights (mean 1 within each region): speech, salivation, swallowing | handwriting, cutting, dressing |
# turning in bed, walking, stairs | dyspnea, orthopnea, respiratory insufficiency (assumption)
ITEM_WEIGHT = np.array([1.2, 0.8, 1.0, 1.1, 1.0, 0.9, 0.7, 1.0, 1.3, 1.3, 1.0, 0.7])
SPEED_SD, REGION_SD = 0.5, 0.3  # sd of log v, sd of a region's log rate around it
AGE_MEAN, AGE_SD, AGE_RANGE, AGE_SLOPE = 63.0, 10.0, (30.0, 88.0), 0.015  # age at onset; log v per year
P_MALE, P_RILUZOLE = 0.60, 0.75
SITES, SITE_SHARES = ("A", "B", "C"), np.array([0.45, 0.35, 0.20])  # descriptive only
DIAG_EXTRA = 3.0  # diagnosis at the (2 + Poisson(3))-th point lost ...
DIAG_WAIT = 3.0  # ... plus an exponential wait of this mean (months)
ENROL_MEAN = 1.0  # months from diagnosis to the registry's first visit (exponential mean)
INTERVAL, JITTER_SD = 3.0, 0.3  # the visit protocol (months) and each visit's deviation from its date
P_MISRATE = 0.05  # an item of q1–q11 recorded one point up or down (half each)
P_PARTIAL, P_ITEM_IN_PARTIAL = 0.05, 0.2  # partial visits, and each item's chance to be missing in one
MISS = (-3.0, 0.35)  # a scheduled visit missed: expit(a + b·(12 − last recorded gross-motor subscore))
P_REFERRAL = 0.06  # second-opinion referrals, seen once
P_LOSS, LOSS_DECLARED = 0.012, 6.0  # loss to follow-up after an attended visit; declared months after it
# treatment: the physician's rule and the patient's choice
ELIG_DX_MONTHS, ELIG_AGE = 36.0, 75.0
B_NEW, B_LOSS, B_AGE = 1.5, 0.12, 0.03
SECOND_DOSE_DAYS, P_SECOND = 26, 0.9
# effect
EFFECT_MONTHS = 9.0  # how long the rates are slowed after the first dose
R_REF = 1.0  # points/month: the loss rate at which a typical patient's slope changes by E
RHO_MAX = 0.9
G_SD = 0.6  # sd of log g_i, the patient's own response
DURATION_REF, DURATION_SCALE = 18.0, 36.0  # d_i = exp(−(t0 − 18) / 36)
# follow-up
H_BG = (0.001, 0.07)  # background death per month: a·exp(b·(age at onset − 63))
H_RESP = (0.0025, 0.33)  # respiratory death per month: a·exp(b·points lost in q10–q12)
P_TRACH, TRACH_SURV = 0.07, 30.0
P_GASTRO, GASTRO_DELAY = 0.65, 1.5
ONSETS_FROM, ONSET_YEARS = pd.Timestamp("2013-01-01"), 9
LOCK = pd.Timestamp("2024-12-31")

# Pieces that ``off`` switches off (an ablation, as benchmarks/second_world.py's): the random numbers drawn
# stay the same, so a switched-off world differs from the default in that piece only.
PIECES = {
    "spread": "every region involved from onset (no spread between regions)",
    "misrating": "every item recorded as it is (no misrating)",
    "missing_items": "no partial rows (no item missing)",
    "missed_visits": "no missed appointments",
    "referrals": "no second-opinion referrals seen once",
    "loss": "no loss to follow-up",
    "choice": "the choice does not depend on recorded bulbar or respiratory losses (age only)",
    "eligibility": "no physician's rule (diagnosis age, age, NIV)",
    "heterogeneity": "every treated patient's factor the same (g = d = 1)",
    "limited": "the effect lasts (no 9-month limit)",
    "death": "no death: respiratory failure always leads to a tracheostomy, no other death",
}


def _involvement(onset_region: np.ndarray, delays: np.ndarray) -> np.ndarray:
    """Months from onset at which each region is involved (n × 4): shortest paths over the spread graph from
    the onset region, the edges' delays ``delays`` (n × len(EDGES))."""
    n = len(onset_region)
    s = np.full((n, 4), np.inf)
    s[np.arange(n), onset_region] = 0.0
    for _ in range(3):  # Bellman–Ford: 4 nodes, 3 rounds
        for e, (a, b) in enumerate(EDGES):
            s[:, b] = np.minimum(s[:, b], s[:, a] + delays[:, e])
            s[:, a] = np.minimum(s[:, a], s[:, b] + delays[:, e])
    return s


def _clock(t: np.ndarray, s: np.ndarray, rho: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A region's clock at months ``t`` (n × k × 4 broadcastable): time since its involvement ``s`` (n × 4),
    less ρ·(the part of it inside the effect window [a, b]) (ρ, a, b per patient; a = inf: untreated)."""
    inside = np.clip(np.minimum(t, b[:, None, None]) - np.maximum(s[:, None, :], a[:, None, None]), 0.0, None)
    inside = np.nan_to_num(inside, nan=0.0, posinf=0.0)
    return np.clip(t - s[:, None, :], 0.0, None) - rho[:, None, None] * inside


def _clock_inverse(x: np.ndarray, s: np.ndarray, rho: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Months from onset at which a region's clock reaches ``x`` (n × 12 × 4, by item and loss), the
    items' regions' involvement ``s`` (n × 12); exact (the clock runs at 1, then 1 − ρ in [a, b], then 1)."""
    s_, a_, b_, r_ = s[..., None], a[:, None, None], b[:, None, None], rho[:, None, None]
    start = np.maximum(a_, s_)  # the window's start on this region (inf: none)
    with np.errstate(invalid="ignore"):
        before = start - s_  # clock time before the window
        span = np.where(b_ > start, b_ - start, 0.0)  # the window's length on this region
        inside = s_ + before + (x - before) / (1.0 - r_) if np.any(rho) else x
        after = s_ + x + r_ * span
        t = np.where(x <= before, s_ + x, np.where(x <= before + (1.0 - r_) * span, inside, after))
    return np.where(np.isfinite(start) & (span > 0), t, s_ + x)


def _death(
    jumps: np.ndarray, h_bg: np.ndarray, e_death: np.ndarray, trach: np.ndarray, trach_surv: np.ndarray, dies: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Death and tracheostomy times (months from onset) from the item jump times (n × 12 × 4): a hazard
    h_bg + H_RESP[0]·exp(H_RESP[1]·respiratory points lost), piecewise constant between the respiratory
    losses, crossed by the unit-exponential ``e_death``; respiratory failure when q12 reaches 0."""
    n = len(h_bg)
    fail = jumps[:, 11, 3]
    if not dies:
        return np.full(n, np.inf), fail
    resp = np.sort(jumps[:, 9:12, :].reshape(n, 12), axis=1)
    edges = np.c_[np.zeros(n), resp]  # segment l starts at edges[:, l] with l points lost
    haz = h_bg[:, None] + H_RESP[0] * np.exp(H_RESP[1] * np.arange(13))[None, :]
    length = np.diff(np.c_[edges, np.full(n, np.inf)], axis=1)
    with np.errstate(invalid="ignore"):
        cum_end = np.cumsum(haz * length, axis=1)  # cumulative hazard at each segment's end
    j = (cum_end >= e_death[:, None]).argmax(1)  # the last segment is infinite, so always crossed
    rows = np.arange(n)
    cum_start = np.where(j > 0, cum_end[rows, np.maximum(j - 1, 0)], 0.0)
    hazard_death = edges[rows, j] + (e_death - cum_start) / haz[rows, j]
    t_trach = np.where(trach & (fail < hazard_death), fail, np.inf)
    death = np.where(trach, np.minimum(hazard_death, fail + trach_surv), np.minimum(hazard_death, fail))
    return death, t_trach


def _expected_items(lam: np.ndarray, head: np.ndarray, p_misrate: float) -> np.ndarray:
    """Expected recorded items (n × k × 12) for Poisson means ``lam`` (n × k × 12) and head starts ``head``
    (n × 12, 1 for the onset item): an item is 4 − min(4, h + N), its mean Σ_{c=0..3} P(N ≤ c − h); a
    misrating adds p/2·(P(item < 4) − P(item > 0)) on q1–q11."""
    h = head[:, None, :]
    ex = sum(np.where(c - h >= 0, pdtr(np.maximum(c - h, 0), lam), 0.0) for c in range(4))
    below4 = 1.0 - np.where(h == 0, np.exp(-lam), 0.0)
    above0 = pdtr(3 - h, lam)
    adj = 0.5 * p_misrate * (below4 - above0)
    adj[..., 11] = 0.0
    return ex + adj


def simulate_world6(
    n_patients: int, effect: float, treated_share: float, seed: int, off: frozenset[str] = frozenset()
) -> WorldCohort:
    """One cohort of the sixth world (module docstring); seeded, vectorised over patients.  ``off``: pieces
    of ``PIECES`` switched off (an ablation; the default world has them all)."""
    refuse_unknown(off, PIECES)
    rng = np.random.default_rng(seed)
    n = int(n_patients)
    m = int(np.ceil(n * OVERDRAW)) + 20
    K = N_VISITS
    # every random number first, in a fixed order, whatever is switched off
    d = {
        "age0": np.clip(rng.normal(AGE_MEAN, AGE_SD, m), *AGE_RANGE),
        "male": rng.random(m) < P_MALE,
        "kind": rng.choice(4, m, p=ONSET_P),
        "z_v": rng.standard_normal(m),
        "z_reg": rng.standard_normal((m, 4)),
        "edge": rng.gamma(EDGE_SHAPE, 1.0 / EDGE_SHAPE, (m, len(EDGES))),
        "e_items": rng.exponential(1.0, (m, 12, 4)),
        "k_diag": 2 + rng.poisson(DIAG_EXTRA, m),
        "diag_wait": rng.exponential(DIAG_WAIT, m),
        "enrol": rng.exponential(ENROL_MEAN, m),
        "onset_day": rng.integers(0, ONSET_YEARS * 365, m),
        "site": rng.choice(len(SITES), m, p=SITE_SHARES),
        "riluzole": rng.random(m) < P_RILUZOLE,
        "jitter": rng.normal(0.0, JITTER_SD, (m, K)),
        "u_misrate": rng.random((m, K, 12)),
        "u_partial": rng.random((m, K)),
        "u_item_missing": rng.random((m, K, 12)),
        "u_missed": rng.random((m, K)),
        "u_loss": rng.random((m, K)),
        "u_referral": rng.random(m),
        "u_treat": rng.random((m, K)),
        "z_g": rng.standard_normal(m),
        "u_second": rng.random(m),
        "e_death": rng.exponential(1.0, m),
        "u_trach": rng.random(m),
        "trach_surv": rng.exponential(TRACH_SURV, m),
        "u_gastro": rng.random(m),
        "gastro_delay": rng.exponential(GASTRO_DELAY, m),
    }
    dies = "death" not in off

    def natural(d: dict) -> dict:
        """The natural course's parameters and jump times (n × 12 × 4) of the patients in ``d``."""
        mm = len(d["age0"])
        rows = np.arange(mm)
        v = np.exp(SPEED_SD * d["z_v"] + AGE_SLOPE * (d["age0"] - AGE_MEAN))
        region = ONSET_REGION[d["kind"]]
        delays = EDGE_MEAN * d["edge"] * v[:, None] ** -SPREAD_SPEED
        s = np.zeros((mm, 4)) if "spread" in off else _involvement(region, delays)
        lam = ITEM_RATE * v[:, None] * ITEM_WEIGHT * np.exp(REGION_SD * d["z_reg"])[:, REGION_OF_ITEM]
        e = d["e_items"].copy()
        head = np.zeros((mm, 12), int)
        head[rows, ONSET_ITEM[d["kind"]]] = 1
        e[rows, ONSET_ITEM[d["kind"]], 0] = 0.0  # symptom onset: the onset item's first loss at month 0
        x = np.cumsum(e, axis=-1) / lam[..., None]  # each loss's time on its region's clock
        jumps = s[:, REGION_OF_ITEM, None] + x
        losses = np.sort(jumps.reshape(mm, 48), axis=1)
        diag = losses[rows, np.minimum(d["k_diag"], 48) - 1] + d["diag_wait"]
        h_bg = H_BG[0] * np.exp(H_BG[1] * (d["age0"] - AGE_MEAN))
        return {"s": s, "lam": lam, "head": head, "x": x, "jumps": jumps, "diag": diag, "h_bg": h_bg}

    # a prevalent cohort: the first n patients alive at their first visit and seen before the lock
    nat = natural(d)
    entry = nat["diag"] + d["enrol"]
    trach_all = d["u_trach"] < P_TRACH
    death0, _ = _death(nat["jumps"], nat["h_bg"], d["e_death"], trach_all, d["trach_surv"], True)
    onset_all = ONSETS_FROM + pd.to_timedelta(d["onset_day"], unit="D")
    lock_all = ((LOCK - onset_all) / pd.Timedelta(days=1)).to_numpy() / DPM
    keep = np.flatnonzero((death0 > entry) & (np.rint(entry * DPM) / DPM <= lock_all))[:n]
    if len(keep) < n:
        raise RuntimeError("not enough patients alive at their first visit; raise OVERDRAW")
    d = {key: val[keep] for key, val in d.items()}
    nat = {key: val[keep] for key, val in nat.items()}
    entry, diag = entry[keep], nat["diag"]
    rows = np.arange(n)
    trach_ok = (d["u_trach"] < P_TRACH) | (not dies)

    # visits on the 3-monthly protocol, on the recorded day; calendar, lock and age as the registry knows it
    onset = ONSETS_FROM + pd.to_timedelta(d["onset_day"], unit="D")
    onset_days = ((onset - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy()
    lock_m = ((LOCK - onset) / pd.Timedelta(days=1)).to_numpy() / DPM
    k_idx = np.arange(K)[None, :]
    t_sched = entry[:, None] + INTERVAL * k_idx + np.where(k_idx > 0, d["jitter"], 0.0)
    vis_day = onset_days[:, None] + np.rint(t_sched * DPM)
    t_vis = (vis_day - onset_days[:, None]) / DPM
    birth_year = onset.year.to_numpy() - np.floor(d["age0"]).astype(int)
    age_vis = vis_day.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970 - birth_year[:, None]
    diag_day = onset_days + np.rint(diag * DPM)

    # measurement: misratings and partial rows (the same draws under both courses)
    p_mis = 0.0 if "misrating" in off else P_MISRATE
    u = d["u_misrate"]
    delta = np.where(u < p_mis / 2, -1.0, np.where(u > 1.0 - p_mis / 2, 1.0, 0.0))
    delta[..., 11] = 0.0  # q12 is the ventilatory support used: never misrated
    partial = (d["u_partial"] < P_PARTIAL) & ("missing_items" not in off)
    u_im = d["u_item_missing"]
    first_missing = u_im.argmin(-1)[..., None] == np.arange(12)  # a partial row misses at least one item
    missing = partial[..., None] & ((u_im < P_ITEM_IN_PARTIAL) | first_missing)
    referral = (d["u_referral"] < P_REFERRAL) & ("referrals" not in off)

    def course(t0: np.ndarray, rho: np.ndarray) -> dict:
        """The course with the effect window [t0, t0 + EFFECT_MONTHS] at factor 1 − ρ (t0 = inf: untreated):
        jump times, events, recorded items and who is followed at which visit."""
        a = t0
        b = np.full(n, np.inf) if "limited" in off else t0 + EFFECT_MONTHS
        s_item = nat["s"][:, REGION_OF_ITEM]
        jumps = _clock_inverse(nat["x"], s_item, rho, a, b) if np.any(rho) else nat["jumps"]
        death, trach = _death(jumps, nat["h_bg"], d["e_death"], trach_ok, d["trach_surv"], dies)
        niv = jumps[:, 11, 0]  # q12's first point: intermittent BiPAP
        gastro = np.where(d["u_gastro"] < P_GASTRO, jumps[:, 2, 2] + d["gastro_delay"], np.inf)
        gastro = np.where(gastro < death, gastro, np.inf)
        state = 4.0 - (jumps[:, None, :, :] <= t_vis[:, :, None, None]).sum(-1)  # n × K × 12
        items = np.clip(state + delta, 0.0, 4.0)
        items = np.where(missing, np.nan, items)
        # follow-up, visit by visit (vectorised over patients): attendance on the last recorded gross motor
        followed = np.zeros((n, K), bool)
        active = np.ones(n, bool)
        lost = np.zeros(n, bool)
        g_last = np.full(n, 12.0)
        gross = items[..., 6:9].sum(-1)  # nan if an item is missing
        for k in range(K):
            if k == 0 or "missed_visits" in off:
                attended = np.ones(n, bool)
            else:
                attended = d["u_missed"][:, k] >= expit(MISS[0] + MISS[1] * (12.0 - g_last))
            followed[:, k] = active & attended & (t_vis[:, k] < death) & (t_vis[:, k] <= lock_m)
            g_last = np.where(followed[:, k] & ~np.isnan(gross[:, k]), gross[:, k], g_last)
            gone = followed[:, k] & (d["u_loss"][:, k] < P_LOSS) & ("loss" not in off) & ~(referral & (k == 0))
            lost |= gone
            active &= ~gone
            if k == 0:
                active &= ~referral
        return {
            "jumps": jumps,
            "death": death,
            "trach": trach,
            "niv": niv,
            "gastro": gastro,
            "items": items,
            "followed": followed,
            "lost": lost,
        }

    # the decision, on the natural course's recorded history
    nat_obs = course(np.full(n, np.inf), np.zeros(n))
    items_n, fol_n = nat_obs["items"], nat_obs["followed"]
    bulb, resp = items_n[..., 0:3].sum(-1), items_n[..., 9:12].sum(-1)  # nan if an item is missing
    new = np.zeros((n, K), bool)
    lost_pts = np.zeros((n, K))
    b_last, r_last = np.full(n, np.nan), np.full(n, np.nan)
    for k in range(K):  # a loop over visits, vectorised over patients
        seen_b = fol_n[:, k] & ~np.isnan(bulb[:, k])
        seen_r = fol_n[:, k] & ~np.isnan(resp[:, k])
        with np.errstate(invalid="ignore"):
            new[:, k] = (seen_b & (bulb[:, k] < b_last)) | (seen_r & (resp[:, k] < r_last))
        b_last = np.where(seen_b, bulb[:, k], b_last)
        r_last = np.where(seen_r, resp[:, k], r_last)
        lost_pts[:, k] = np.nan_to_num(12.0 - b_last) + np.nan_to_num(12.0 - r_last)  # a subscore never recorded: 0
    niv_day = onset_days + np.ceil(np.where(np.isfinite(nat_obs["niv"]), nat_obs["niv"], 1e6) * DPM)
    ok = fol_n & (k_idx >= 1)
    if "eligibility" not in off:
        months_dx = (vis_day - diag_day[:, None]) / DPM
        ok &= (months_dx <= ELIG_DX_MONTHS) & (age_vis <= ELIG_AGE) & (vis_day < niv_day[:, None])
    h = -B_AGE * (age_vis - 60.0)
    if "choice" not in off:
        h = h + B_NEW * new + B_LOSS * lost_pts
    cross = np.where(ok, logit(np.clip(d["u_treat"], 1e-12, 1 - 1e-12)) - h, np.inf)
    c_star = cross.min(1)
    n_want = min(round(treated_share * n), int(np.isfinite(c_star).sum()))
    treated = np.zeros(n, bool)
    tv = np.full(n, -1)
    if n_want > 0:
        c = np.sort(c_star)[n_want - 1]
        treated = c_star <= c
        tv = np.where(treated, (cross <= c).argmax(1), -1)
    t0 = np.where(treated, t_vis[rows, np.maximum(tv, 0)], np.inf)

    # the effect: a factor 1 − ρ_i on every item's rate for EFFECT_MONTHS after the first dose
    g = np.ones(n) if "heterogeneity" in off else np.exp(G_SD * d["z_g"])
    dur = (
        np.ones(n) if "heterogeneity" in off else np.exp(-(np.where(treated, t0, 0.0) - DURATION_REF) / DURATION_SCALE)
    )
    rho = np.where(treated, np.minimum(effect * g * dur / R_REF, RHO_MAX), 0.0)
    obs = course(t0, rho) if np.any(rho) else nat_obs

    # the recorded data
    followed, items, death, lost = obs["followed"], obs["items"], obs["death"], obs["lost"]
    last_k = np.where(followed.any(1), K - 1 - np.argmax(followed[:, ::-1], axis=1), 0)
    last_t = t_vis[rows, last_k]
    last_day = vis_day[rows, last_k]
    died = ~lost & ~referral & (death <= lock_m)
    # events are known up to the end of observation: the lock; the last visit of the lost and the referred
    end_obs = np.where(lost | referral, last_t, lock_m)
    with np.errstate(invalid="ignore"):
        gastro_day = onset_days + np.ceil(obs["gastro"] * DPM)  # inf: none

    ids = np.array([f"W6{p:06d}" for p in range(n)])
    alsfrs = item_rows(ids, items, followed, vis_day, gastro_day)

    # two doses: the decision visit, and 26 days later if alive, still followed and before the lock
    tr = np.flatnonzero(treated)
    first_day = vis_day[tr, tv[tr]]
    second_day = first_day + SECOND_DOSE_DAYS
    death_day_raw = onset_days[tr] + np.rint(np.where(np.isfinite(death[tr]), death[tr], 1e6) * DPM)
    lost_at_first = (lost | referral)[tr] & (last_k[tr] == tv[tr])
    second = (d["u_second"][tr] < P_SECOND) & (second_day < death_day_raw) & ~lost_at_first
    second &= second_day <= onset_days[tr] + np.floor(lock_m[tr] * DPM)
    dose = pd.DataFrame({"patient_id": ids[tr], "date": pd.to_datetime(first_day, unit="D"), "cycle": 1})
    dose2 = pd.DataFrame(
        {"patient_id": ids[tr[second]], "date": pd.to_datetime(second_day[second], unit="D"), "cycle": 2}
    )
    treatments = pd.concat([dose, dose2], ignore_index=True).sort_values(["patient_id", "cycle"], ignore_index=True)
    treatments.insert(0, "treatment_id", treatments["patient_id"] + "-T" + treatments["cycle"].astype(str))
    treatments["cell_source"] = "bone_marrow"
    treatments["donor"] = "autologous"
    treatments["route"] = "intrathecal"
    treatments["dose_cells"] = 7.0e7  # about 1e6 cells/kg

    known = {"niv_start": obs["niv"], "gastrostomy": obs["gastro"], "tracheostomy": obs["trach"]}
    with np.errstate(invalid="ignore"):  # recorded while followed (the lost and the referred: to their last visit)
        ev_rows = [event_rows(ids, onset_days, ev, t_ev, np.ceil(t_ev * DPM), end_obs, lock_m, death)
                   for ev, t_ev in known.items()]  # fmt: skip
    # an event on a day rounded past the death day would be dated after an ending event: ending_events drops it
    events = ending_events(ids, onset_days, ev_rows, died, death, last_day, lost, last_t, lock_m, LOSS_DECLARED)

    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "sex": np.where(d["male"], "M", "F"),
            "birth_year": birth_year,
            "onset_date": onset,
            "diagnosis_date": pd.to_datetime(diag_day, unit="D"),
            "onset_site": ONSET_SITE[d["kind"]],
            "riluzole": d["riluzole"],
            "site": np.array([f"site_{x}" for x in SITES])[d["site"]],
        }
    )
    tables = Tables.from_frames(patients=patients, treatments=treatments, alsfrs=alsfrs, events=events)

    # the truths: treated − untreated expected recorded total at the treated patients' observed visits
    realised = window = observed = float("nan")
    if len(tr):
        if effect == 0:
            realised = window = observed = 0.0
        else:
            t_tr = t_vis[tr]
            b_tr = np.full(len(tr), np.inf) if "limited" in off else t0[tr] + EFFECT_MONTHS
            lam_item = nat["lam"][tr][:, None, :]

            def expected_total(r: np.ndarray) -> np.ndarray:
                clk = _clock(t_tr[..., None], nat["s"][tr], r, t0[tr], b_tr)[..., REGION_OF_ITEM]
                return _expected_items(lam_item * clk, nat["head"][tr], p_mis).sum(-1)

            e1, e0 = expected_total(rho[tr]), expected_total(np.zeros(len(tr)))
            diff = e1 - e0
            since = t_tr - t0[tr, None]
            post = followed[tr] & (since > 0)
            dt = np.where(post, since, 0.0)
            sxx = (dt**2).sum(1)
            has = sxx > 0
            if has.any():
                realised = float(((diff * dt).sum(1)[has] / sxx[has]).mean())
            window = window_truth(diff, since, followed[tr])
            observed = observed_truth(e1, e0, since, followed[tr], fol_n[tr])
    return WorldCohort(tables, float(effect), int(treated.sum()), realised, window, observed)


__all__ = ["PIECES", "WorldCohort", "simulate_world6"]

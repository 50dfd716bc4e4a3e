"""A seventh data-generating mechanism, held out: written from the canonical format (spec/data-format.md), the
docstrings of the fourth to sixth worlds (so as to differ from them) and ALS clinical knowledge, without reading
the estimators, their documentation pages or any calibration result.

The other worlds use sigmoid, linear-quadratic, Markov-plateau, change-point, domain-ramp and item-Poisson
courses; treatment after steep drops, by true slope, below a threshold, by calendar access per site, on runs of
poor visits or on newly recorded losses.  This world differs in every piece:

* **course: a mixture of progression subtypes with a random walk in the rate.**  Each patient belongs to a
  subtype, slow (25%), typical (55%) or fast (20%), with a median latent rate of 0.30, 0.80 and 1.70
  points/month (lognormal within the subtype, sd of log 0.25).  Subpopulations of slow and fast progressors
  were found in PRO-ACT (Gomeni & Fava, Amyotroph Lateral Scler Frontotemporal Degener 2014;15:119–129); the
  fast-progressor boundary of 1.11 points/month (Labra et al., J Neurol Neurosurg Psychiatry 2016;87:628–632)
  falls between the typical and fast subtypes; the shares and medians are assumptions.  The log-rate then
  follows a Gaussian random walk (monthly steps N(0, 0.07²), an assumption: courses are non-linear and
  heterogeneous, Gordon et al., Amyotroph Lateral Scler 2010;11:1–8).  The latent loss L(t) is the integral
  of the rate from onset (a monthly grid);
* **measurement: a partial-credit model of the 12 items.**  The latent loss is shared out over the items by
  fixed weights (the onset region's items ×1.6, respiratory items ×0.7 unless the onset is respiratory;
  normalised to a mean of 1, an assumption): item j's nominal score is s_j = 5 − L·w_j/12, and the recorded
  item follows Masters' partial-credit model (Psychometrika 1982;47:149–174), P(k) ∝ exp(Σ_{m≤k}(θ_j − δ_m)),
  θ_j = 1.6·(s_j − 2), δ_m = 1.6·(m − 2.5): adjacent-category logits, not graded-response cumulative logits;
  ceilings and floors come from the model (expected total about 47 at onset).  Each item is drawn by the
  inverse of its distribution at a uniform shared by the treated and untreated courses.  4% of visits are
  partial (each item missing with probability 0.25, at least one); 10% are by phone (``assessor``);
* **entry and visits: a renewal process.**  Diagnosis a lognormal delay after onset (median 11 months, sd of
  log 0.5, shorter for faster patients with elasticity −0.4; about a year: Paganoni et al., Amyotroph Lateral
  Scler Frontotemporal Degener 2014;15:453–456), the first visit Exp(mean 1.5) months later; the cohort is
  the first n candidates alive and first seen before the lock (a prevalent cohort).  Gaps between visits are
  1 + Gamma(2, 1.25) months (mean 3.5: clinics review about 3-monthly, Miller et al., Neurology
  2009;73:1218–1226; the irregular gaps are an assumption), independent of the course.  5% are one-off
  consultations (``consults``); after each later visit a patient is lost at random with probability 0.012,
  declared 6 months after the last visit.  Onsets 2012–2020, data lock 2024-06-30;
* **who is treated, and when: a waiting list served in waves, ordered by the recorded score.**  A clinic
  offers cells every 6 months (1 January and 1 July, 2016–2023).  On a wave day D a patient is on the list
  if untreated and not yet offered, seen at least twice before D, last seen within 6 months, diagnosed at
  most 60 months before D, with a last complete recorded total ≥ 20.  The list is ordered by that recorded
  total, highest first (the clinic favours the less advanced, an assumption; ties at random); offers go down
  the list until ceil(target/8) patients accept (target = round(share·n), never exceeded overall); each
  offered patient accepts with probability 0.75 (decliners leave the list).  An acceptor is treated at the
  first visit within 4 months after D (if none, the offer lapses).  The rule uses recorded items, dates and
  diagnosis dates only;
* **effect: a transient rise in level plus a lasting slope change, with non-responders.**  After the
  treatment at t0 the latent loss is reduced by gain(s) = E·g·(P·(1 − e^{−s/2})·e^{−s/12} + 0.4·s), s = t −
  t0 months, P = 1.2: the initial slope of the gain is E·g (P/2 + 0.4 = 1), a hump that builds over 2 months
  and fades over a year, and 0.4·E·g points/month for good.  g = 0 for 25% non-responders, otherwise
  lognormal with median 1 (sd of log 0.5): so for a typical responder the early slope change of the total is
  about E points/month (where the item scale is linear).  All assumptions; E = 0 gives a nil gain;
* **events: a hazard on the latent loss, thresholds for devices.**  Death at a monthly hazard
  0.003·exp(0.085·L) + 0.0008·exp(0.06·(age − 62)) (proportional hazards on current functional loss plus
  background mortality; assumed coefficients, median survival from onset about 3 years: 20–48 months in
  Chiò et al., Amyotroph Lateral Scler 2009;10:310–323), against an Exp(1) draw shared by both courses.
  NIV when the respiratory items' nominal loss passes U(2.5, 5) (accepted by 60%), gastrostomy when the
  bulbar items' passes U(4, 7) (accepted by 55%); thresholds and shares are assumptions.  Bulbar onset 30%,
  limb 67%, respiratory 3%; men 58%; age at onset N(62, 10²) within 30–85 (Chiò et al. 2009).

``truth`` is E; ``truth_realised`` per treated patient the least squares through the origin of (treated −
untreated expected recorded total) on months since treatment over the observed post-treatment visits, the
mean over patients; ``truth_window`` and ``truth_observed`` from ``window_truth``.  Writes canonical tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alscell.io.tables import Tables
from second_world import refuse_unknown
from window_truth import cohort_truths
from world_tables import DPM, ITEMS, WorldCohort, ending_events, event_rows, item_rows

PIECES = {
    "subtypes": "a mixture of slow, typical and fast subtypes (off: everyone typical)",
    "random_walk": "a random walk in the log-rate (off: a constant rate)",
    "ranking": "the waiting list ordered by the recorded total (off: a random order)",
    "hump": "the transient rise in level (off: only the lasting slope change)",
    "heterogeneity": "non-responders and a lognormal response (off: g = 1)",
    "missing_items": "partial rows",
    "consults": "one-off consultations",
    "loss": "loss to follow-up",
    "death": "death",
}
GRID = 160  # months from onset on the monthly grid
MAXV = 72  # visits per patient at most
A_PCM = 1.6
DELTA = A_PCM * (np.arange(1, 5) - 2.5)
CUM_DELTA = np.concatenate([[0.0], np.cumsum(DELTA)])
WAVES = pd.date_range("2016-01-01", "2023-07-01", freq="6MS")
LOCK = pd.Timestamp("2024-06-30")
HUMP, TAU_UP, TAU_DOWN, LASTING = 1.2, 2.0, 12.0, 0.4


def _pcm_probs(s: np.ndarray) -> np.ndarray:
    """Category probabilities (last axis 0..4) of the partial-credit model at nominal scores ``s``."""
    theta = A_PCM * (s - 2.0)
    logits = np.arange(5) * theta[..., None] - CUM_DELTA
    logits -= logits.max(-1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(-1, keepdims=True)


def _items(loss: np.ndarray, w: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(recorded items, expected total) at latent ``loss`` (patients × visits), item weights ``w``
    (patients × 12) and uniforms ``u`` (patients × visits × 12)."""
    s = 5.0 - loss[..., None] * w[:, None, :] / 12.0
    p = _pcm_probs(s)
    expected = (p * np.arange(5)).sum(-1).sum(-1)
    cdf = np.cumsum(p, -1)[..., :4]
    return (u[..., None] > cdf).sum(-1), expected


def _gain(s: np.ndarray, g: np.ndarray, effect: float, hump: bool) -> np.ndarray:
    s = np.maximum(s, 0.0)
    bump = HUMP * (1 - np.exp(-s / TAU_UP)) * np.exp(-s / TAU_DOWN) if hump else 0.0
    return effect * g * (bump + LASTING * s)


def _at(grid_vals: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Linear interpolation of per-patient grid values (patients × GRID+1) at times ``t`` (patients × k)."""
    tc = np.clip(t, 0, GRID - 1e-9)
    k = np.floor(tc).astype(int)
    f = tc - k
    rows = np.arange(len(grid_vals))[:, None]
    return grid_vals[rows, k] * (1 - f) + grid_vals[rows, k + 1] * f


def _death_time(loss: np.ndarray, background: np.ndarray, x: np.ndarray) -> np.ndarray:
    """First time the cumulative hazard on the grid passes ``x`` (inf if never)."""
    h = 0.003 * np.exp(0.085 * loss) + background[:, None]
    cum = np.concatenate([np.zeros((len(h), 1)), np.cumsum((h[:, 1:] + h[:, :-1]) / 2, 1)], 1)
    past = cum >= x[:, None]
    k = past.argmax(1)
    ok = past.any(1) & (k > 0)
    r = np.arange(len(h))
    lo, hi = cum[r, np.maximum(k - 1, 0)], cum[r, k]
    t = (k - 1) + (x - lo) / np.maximum(hi - lo, 1e-12)
    return np.where(ok, t, np.inf)


def _crossing(vals: np.ndarray, thr: np.ndarray) -> np.ndarray:
    """First grid time (interpolated) at which increasing ``vals`` reach ``thr`` (inf if never)."""
    past = vals >= thr[:, None]
    k = past.argmax(1)
    r = np.arange(len(vals))
    ok = past.any(1) & (k > 0)
    lo, hi = vals[r, np.maximum(k - 1, 0)], vals[r, k]
    return np.where(ok, (k - 1) + (thr - lo) / np.maximum(hi - lo, 1e-12), np.inf)


def simulate_world7(
    n_patients: int, effect: float, treated_share: float, seed: int, off: frozenset[str] = frozenset()
) -> WorldCohort:
    """A cohort of ``n_patients`` from the seventh world, effect E = ``effect``, about ``treated_share`` of
    them treated (at most round(share·n)), with the pieces of ``off`` switched off."""
    refuse_unknown(off, PIECES)
    rng = np.random.default_rng(seed)
    n, m = n_patients, int(np.ceil(1.6 * n_patients)) + 20
    # all random numbers first, in a fixed order (shared by both courses)
    subtype = rng.choice(3, m, p=[0.25, 0.55, 0.20])
    z_rate = rng.normal(0, 0.25, m)
    steps = rng.normal(0, 0.07, (m, GRID))
    site_u = rng.random(m)
    upper = rng.random(m) < 0.5
    sex_m = rng.random(m) < 0.58
    age = np.clip(rng.normal(62, 10, m), 30, 85)
    onset_day = (pd.Timestamp("2012-01-01") - pd.Timestamp(0)).days + rng.integers(0, 9 * 365, m)
    z_delay = rng.normal(0, 0.5, m)
    first_wait = rng.exponential(1.5, m)
    gaps = 1.0 + rng.gamma(2.0, 1.25, (m, MAXV - 1))
    death_x = rng.exponential(1.0, m)
    u_items = rng.random((m, MAXV, 12))
    u_partial = rng.random((m, MAXV))
    u_miss = rng.random((m, MAXV, 12))
    u_phone = rng.random((m, MAXV))
    u_consult = rng.random(m)
    u_loss = rng.random((m, MAXV))
    u_rank = rng.random(m)
    u_accept = rng.random((m, len(WAVES)))
    responder = rng.random(m) >= 0.25
    g_ln = rng.lognormal(0.0, 0.5, m)
    niv_thr, niv_ok = rng.uniform(2.5, 5.0, m), rng.random(m) < 0.60
    gas_thr, gas_ok = rng.uniform(4.0, 7.0, m), rng.random(m) < 0.55
    u_ril, u_ril_missing = rng.random(m), rng.random(m)
    u_esc = rng.random(m)
    u_dose = rng.uniform(0.5, 1.5, m)

    # course
    medians = np.array([0.30, 0.80, 1.70])
    rate0 = medians[np.where("subtypes" in off, 1, subtype)] * np.exp(z_rate)
    walk = np.cumsum(steps, 1) if "random_walk" not in off else np.zeros_like(steps)
    rate = rate0[:, None] * np.exp(np.concatenate([np.zeros((m, 1)), walk[:, :-1]], 1))
    loss0 = np.concatenate([np.zeros((m, 1)), np.cumsum(rate, 1)], 1)  # m × GRID+1
    site_code = np.where(site_u < 0.30, 0, np.where(site_u < 0.97, 1, 2))  # bulbar, limb, respiratory
    w = np.ones((m, 12))
    w[:, 9:] = np.where(site_code == 2, 1.6, 0.7)[:, None]
    w[site_code == 0, :3] = 1.6
    w[(site_code == 1) & upper, 3:6] = 1.6
    w[(site_code == 1) & ~upper, 6:9] = 1.6
    w /= w.mean(1, keepdims=True)
    background = 0.0008 * np.exp(0.06 * (age - 62))
    no_death = "death" in off
    death0 = np.full(m, np.inf) if no_death else _death_time(loss0, background, death_x)

    # entry and visits
    delay = np.maximum(11.0 * np.exp(z_delay - 0.4 * (np.log(rate0) - np.log(0.8))), 1.5)
    first = delay + first_wait
    t = first[:, None] + np.concatenate([np.zeros((m, 1)), np.cumsum(gaps, 1)], 1)
    lock_m = ((LOCK - pd.Timestamp(0)).days - onset_day) / DPM
    keep = np.flatnonzero((first < death0) & (first < lock_m))[:n]
    if len(keep) < n:
        raise RuntimeError("too few candidates enter the cohort")
    sel = lambda a: a[keep]  # noqa: E731
    (subtype, rate0, loss0, site_code, w, age, onset_day, delay, t, lock_m, death0, death_x, background) = map(
        sel, (subtype, rate0, loss0, site_code, w, age, onset_day, delay, t, lock_m, death0, death_x, background)
    )
    (u_items, u_partial, u_miss, u_phone, u_consult, u_loss, u_rank, u_accept, responder, g_ln) = map(
        sel, (u_items, u_partial, u_miss, u_phone, u_consult, u_loss, u_rank, u_accept, responder, g_ln)
    )
    (niv_thr, niv_ok, gas_thr, gas_ok, u_ril, u_ril_missing, u_esc, u_dose, sex_m, upper) = map(
        sel, (niv_thr, niv_ok, gas_thr, gas_ok, u_ril, u_ril_missing, u_esc, u_dose, sex_m, upper)
    )
    vis_day = onset_day[:, None] + np.rint(t * DPM)
    lock_day = (LOCK - pd.Timestamp(0)).days
    consult = (u_consult < 0.05) if "consults" not in off else np.zeros(n, bool)
    lost_at = (u_loss < 0.012) if "loss" not in off else np.zeros((n, MAXV), bool)
    lost_at[:, 0] = False
    lost_before = np.cumsum(lost_at, 1) - lost_at > 0  # a visit after the one the patient was lost after
    admin = (vis_day <= lock_day) & ~lost_before & ~(consult[:, None] & (np.arange(MAXV) > 0))

    def followed_for(death: np.ndarray) -> np.ndarray:
        return admin & (t < death[:, None])

    followed0 = followed_for(death0)
    items0, e0 = _items(_at(loss0, t), w, u_items)
    missing = np.zeros((n, MAXV, 12), bool)
    if "missing_items" not in off:
        partial = u_partial < 0.04
        missing = partial[..., None] & (u_miss < 0.25)
        none = partial & ~missing.any(-1)
        missing[none, (u_miss[none]).argmin(-1)] = True
    complete_total = np.where(missing.any(-1), np.nan, items0.sum(-1))

    # the waiting list, served in waves on recorded information only
    target = round(treated_share * n)
    cap = int(np.ceil(target / 8)) if target > 0 else 0
    t0 = np.full(n, np.inf)
    t0_idx = np.full(n, -1)
    gone = np.zeros(n, bool)
    diag_day = onset_day + np.rint(delay * DPM)
    n_done = 0
    for k, wave in enumerate(WAVES):
        if n_done >= target:
            break
        d = (wave - pd.Timestamp(0)).days
        seen = followed0 & (vis_day < d)
        n_seen = seen.sum(1)
        last_idx = np.where(seen, np.arange(MAXV), -1).max(1)
        last_day = np.where(n_seen > 0, vis_day[np.arange(n), np.maximum(last_idx, 0)], -np.inf)
        ok_tot = seen & np.isfinite(complete_total)
        lt_idx = np.where(ok_tot, np.arange(MAXV), -1).max(1)
        last_total = np.where(lt_idx >= 0, complete_total[np.arange(n), np.maximum(lt_idx, 0)], np.nan)
        listed = (~gone) & (n_seen >= 2) & (last_day >= d - 183) & (diag_day >= d - 60 * DPM) & (last_total >= 20)
        cand = np.flatnonzero(listed)
        if len(cand) == 0:
            continue
        key = u_rank[cand] if "ranking" in off else -last_total[cand] + 1e-3 * u_rank[cand]
        cand = cand[np.argsort(key, kind="stable")]
        acc = u_accept[cand, k] < 0.75
        slots = min(cap, target - n_done)
        offered = cand[np.cumsum(acc) - acc < slots]  # down the list until ``slots`` have accepted
        acc_off = u_accept[offered, k] < 0.75
        gone[offered] = True
        n_done += int(acc_off.sum())
        takers = offered[acc_off]
        nxt = followed0[takers] & (vis_day[takers] > d) & (vis_day[takers] <= d + 122)
        has = nxt.any(1)
        idx = nxt.argmax(1)
        t0_idx[takers[has]] = idx[has]
        t0[takers[has]] = t[takers[has], idx[has]]
    treated = np.isfinite(t0)

    # the treated course
    g = np.ones(n) if "heterogeneity" in off else np.where(responder, g_ln, 0.0)
    hump = "hump" not in off
    grid = np.arange(GRID + 1.0)
    loss1 = np.where(
        treated[:, None], np.maximum(loss0 - _gain(grid - t0[:, None], g[:, None], effect, hump), 0), loss0
    )
    vis_loss1 = np.where(
        treated[:, None], np.maximum(_at(loss0, t) - _gain(t - t0[:, None], g[:, None], effect, hump), 0), _at(loss0, t)
    )
    if effect == 0:
        loss1, vis_loss1 = loss0, _at(loss0, t)
    death1 = death0 if (no_death or effect == 0) else np.where(treated, _death_time(loss1, background, death_x), death0)
    followed1 = followed_for(death1)
    items1, e1 = _items(vis_loss1, w, u_items)

    # recorded data: the course each patient actually had
    items = np.where(missing, -1, items1).astype(float)
    items[items < 0] = np.nan
    last_idx = np.where(followed1, np.arange(MAXV), -1).max(1)
    last_t = t[np.arange(n), last_idx]
    last_day = vis_day[np.arange(n), last_idx]
    lost = lost_at[np.arange(n), last_idx] & ~consult
    end_obs = np.where(lost | consult, last_t, lock_m)
    resp_loss = loss1 * w[:, 9:].sum(1, keepdims=True) / 12
    bulb_loss = loss1 * w[:, :3].sum(1, keepdims=True) / 12
    t_niv = np.where(niv_ok, _crossing(resp_loss, niv_thr), np.inf)
    t_gas = np.where(gas_ok, _crossing(bulb_loss, gas_thr), np.inf)
    d_niv, d_gas = np.rint(t_niv * DPM), np.rint(t_gas * DPM)
    ids = np.array([f"W7{i:05d}" for i in range(n)])
    rows = [
        event_rows(ids, onset_day, "niv_start", t_niv, d_niv, end_obs, lock_m, death1),
        event_rows(ids, onset_day, "gastrostomy", t_gas, d_gas, end_obs, lock_m, death1),
    ]
    gas_rec = rows[1].set_index("patient_id")["date"]
    gastro_day = pd.Series(ids).map((gas_rec - pd.Timestamp(0)).dt.days).to_numpy(float)
    gastro_day = np.where(np.isnan(gastro_day), np.inf, gastro_day)
    died = (death1 < lock_m) & ~lost & ~consult
    events = ending_events(ids, onset_day, rows, died, death1, last_day, lost, last_t, lock_m, 6.0)
    alsfrs = item_rows(ids, items, followed1, vis_day, gastro_day)
    pi, vi = np.nonzero(followed1)
    alsfrs["assessor"] = np.where(u_phone[pi, vi] < 0.10, "phone", "clinician")

    sites = np.array(["bulbar", "limb", "respiratory"])
    riluzole = np.where(u_ril < 0.78, "true", "false").astype(object)
    riluzole[u_ril_missing < 0.08] = None
    escorial = np.array(["definite", "probable", "probable_lab", "possible"])[(u_esc * 4).astype(int) % 4].astype(
        object
    )
    escorial[u_esc > 0.7] = None
    patients = pd.DataFrame({
        "patient_id": ids,
        "sex": np.where(sex_m, "M", "F"),
        "birth_year": pd.to_datetime(onset_day, unit="D").year - np.floor(age).astype(int),
        "onset_date": pd.to_datetime(onset_day, unit="D"),
        "diagnosis_date": pd.to_datetime(diag_day, unit="D"),
        "onset_site": sites[site_code],
        "el_escorial": escorial,
        "riluzole": riluzole,
        "site": np.array(["CLIN_A", "CLIN_B"])[(u_rank * 1000).astype(int) % 2],
    })  # fmt: skip
    p = np.flatnonzero(treated)
    treatments = pd.DataFrame({
        "treatment_id": [f"{ids[i]}-T1" for i in p],
        "patient_id": ids[p],
        "date": pd.to_datetime(vis_day[p, t0_idx[p]], unit="D"),
        "cycle": 1,
        "cell_source": "adipose",
        "donor": "autologous",
        "route": "intrathecal",
        "dose_cells": 1.0e8 * u_dose[p],
    })  # fmt: skip
    tables = Tables.from_frames(patients=patients, treatments=treatments, alsfrs=alsfrs, events=events)

    # truths over the treated patients' visits
    if len(p) == 0:
        return WorldCohort(tables, float(effect), 0)
    since = (t - t0[:, None])[p]
    truths = cohort_truths(e1[p], e0[p], since, followed1[p], followed0[p], effect)
    return WorldCohort(tables, float(effect), len(p), *truths)


__all__ = ["ITEMS", "PIECES", "WorldCohort", "simulate_world7"]

"""A fourth data-generating mechanism, held out: written by someone who had not tuned the default, and
committed before the calibration first ran on it (docs/calibration_world4.md).

``alscell.simulate`` (D50 sigmoid courses, treatment after a steep observed drop), ``benchmarks/second_world.py``
(linear-quadratic courses, treated patients chosen by their true slope, treatment below an observed threshold)
and ``benchmarks/third_world.py`` (Markov plateaus, an eligibility cut-off on the observed total, death as a
hitting time, visits that follow drops) all shaped or judged the default.  This world differs from each of
them in structure:

* **course**: a latent trait θ (logits) that declines piecewise-linearly with a random change-point: a slow
  phase at r1 logits/month (lognormal, median 0.08, sd of log 0.5) until τ months from onset (Gamma, shape
  2, mean 18), then a faster phase at k·r1 (k lognormal, median 2.0, sd of log 0.3).  The mean ALSFRS-R
  course is curvilinear and accelerates (Gordon et al., Amyotroph Lateral Scler 2010;11:1–8); that the
  acceleration is a per-patient change-point, and its size and timing, are assumptions.  θ at onset
  N(3, 0.4²) (an expected total near 47, at the ceiling, as at symptom onset).  The latent trait is not
  clipped: the floor and ceiling of the total come from the item model;
* **measurement**: 12 items, 0–4 each, from a graded-response model (Samejima 1969):
  P(item j ≥ c | θ) = expit(α·(θ − b_jc)), α = 1.8 for every item, thresholds b_jc = (−2.4, −1.1, 0.1,
  1.3) + a shift by domain and onset site (fixed constants, an assumption: items of the onset region are
  lost first; respiratory items last).  The ALSFRS-R fits a unidimensional item-response model only
  roughly (Franchignoni et al., J Neurol Neurosurg Psychiatry 2013;84:1340–1345); one trait
  keeps this world simple.  Natural and treated items share their uniforms (common random numbers).
  After a gastrostomy, item 5 is recorded as q5b instead of q5a (spec/data-format.md);
* **entry**: referral at a random time after onset, lognormal with median 12 months (diagnostic delay
  about a year: Paganoni et al., Amyotroph Lateral Scler Frontotemporal Degener 2014;15:453–456), earlier
  for faster progressors: log delay − log 12 = −0.6·(log r1 − log 0.08) + N(0, 0.35²) (the elasticity
  −0.6 is an assumption; fast progressors are diagnosed sooner, the basis of the ΔFS prognostic index,
  Kimura et al., Neurology 2006;66:265–267); at least 2 months.  The cohort is of patients referred alive;
* **visits**: three sites with fixed schedules every 2, 3 and 6 months (shares 40%, 35%, 25%), each visit
  jittered N(0, (0.1·interval)²) around its scheduled time; the schedule depends on the site only, never
  on the course (multidisciplinary ALS clinics commonly review patients about every 3 months, Miller et
  al., Neurology 2009;73:1218–1226; the three intervals, their shares and the jitter are assumptions);
* **who is treated, and when**: calendar-time access.  Cells become available at site A (2-monthly) on
  2016-07-01, B (3-monthly) on 2018-01-01 and C (6-monthly) on 2019-07-01 (assumed dates, as a hospital
  exemption or compassionate-use programme opens at a clinic).  A patient is eligible at a visit after
  the baseline (visit 2 on) dated on or after the site's date, within 48 months of onset (a disease-
  duration criterion of the kind MSC trials use) and alive; of the eligible patients, round(share · n),
  chosen at random (consent), are treated at their first eligible visit: fewer when fewer are eligible.
  One administration each.  The decision depends on site, calendar time and disease duration, never on
  the course or on the observed total;
* **effect**: a slope change that wanes: E/κ logits/month for the first 6 months after the treatment,
  half of it afterwards; κ is the largest slope of the expected total per logit (so the effect is at most E
  points/month where the scale is steepest and less towards its floor and ceiling);
* **dropout**: gastrostomy, non-invasive ventilation (NIV) and death as events with monthly hazards that
  rise with the expected loss of the bulbar subscore (q1–q3) or of the respiratory subscore (q10–q12) under
  the latent trait: gastrostomy 0.002·exp(0.45·bulbar loss), NIV 0.003·exp(0.4·respiratory loss), death
  0.001·exp(0.55·respiratory loss), counted from referral (assumed coefficients, chosen so that median
  survival from onset is about 3 years: 20–48 months in Chiò et al., Amyotroph Lateral Scler
  2009;10:310–323).  A hazard, not a hitting time; the treated course enters the hazards after treatment.
  Death ends follow-up; gastrostomy and NIV do not.  Administrative censoring: onsets spread over
  2015–2020, data lock 2023-06-30.  Bulbar onset 30%, men 60% (Chiò et al. 2009; Logroscino et al., JNNP
  2010;81:385–390).

``truth`` is the nominal effect E (points/month in the first 6 months where the scale is steepest);
``truth_realised`` is the slope change the treated patients' expected totals show over their observed
post-treatment visits (per patient: least squares through the origin of treated − untreated expected total
on months since treatment; then the mean over patients): below E, by the waning and by the scale's
compression.  Writes canonical tables (``Tables.from_frames``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alscell.io.tables import Tables
from second_world import refuse_unknown
from window_truth import observed_truth, window_truth
from world_tables import WorldCohort

DPM = 30.4375
ITEMS = ["q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]
MONTHS = 120  # latent grid, months from onset
N_VISITS = 32
ALPHA = 1.8  # item discrimination (assumption)
BASE_THRESHOLDS = np.array([-2.4, -1.1, 0.1, 1.3])  # b_jc before the shifts (assumption)
# threshold shifts by item (logits; higher = lost earlier): bulbar q1–q3, fine motor q4–q6, gross motor
# q7–q9, respiratory q10–q12; the onset region's items are lost first (assumption)
_SHIFT_BULBAR = np.array([0.8, 0.8, 0.6, -0.3, -0.3, -0.3, -0.4, -0.4, -0.4, -0.5, -0.6, -0.5])
_SHIFT_LIMB = np.array([-0.5, -0.5, -0.4, 0.5, 0.5, 0.4, 0.6, 0.6, 0.5, -0.4, -0.5, -0.4])
BULBAR_ITEMS, RESP_ITEMS = slice(0, 3), slice(9, 12)
# sites: name, visit interval (months), share of patients, date cells become available there
SITES = ("A", "B", "C")
INTERVALS = np.array([2.0, 3.0, 6.0])
SITE_SHARES = np.array([0.40, 0.35, 0.25])
AVAILABLE = pd.to_datetime(["2016-07-01", "2018-01-01", "2019-07-01"])
ELIGIBLE_MONTHS = 48.0  # months from onset within which a patient may be treated
FULL_MONTHS, WANED = 6.0, 0.5  # the effect is full for 6 months after treatment, then half
LOCK = pd.Timestamp("2023-06-30")
# monthly hazards (base, coefficient on the expected subscore loss), counted from referral (assumptions)
H_GASTRO, H_NIV, H_DEATH = (0.002, 0.45), (0.003, 0.4), (0.001, 0.55)

# Pieces that ``off`` switches off (an ablation, as benchmarks/second_world.py's): the random numbers drawn
# stay the same, so a switched-off world differs from the default in that piece only.
PIECES = {
    "changepoint": "no change-point: every patient declines at the slow-phase rate throughout",
    "referral": "referral time independent of the rate of decline",
    "sites": "every site on a 3-month schedule",
    "calendar": "cells available at every site from the start (no calendar-time access)",
    "eligibility": "no disease-duration cut-off for treatment",
    "waning": "the effect does not wane (full after 6 months too)",
    "dropout": "no gastrostomy, NIV or death: administrative censoring only",
}


def _thresholds(bulbar: np.ndarray) -> np.ndarray:
    """Item thresholds b_jc per patient (n × 12 × 4)."""
    shift = np.where(bulbar[:, None], _SHIFT_BULBAR, _SHIFT_LIMB)
    return shift[:, :, None] + BASE_THRESHOLDS


def _p_at_least(theta: np.ndarray, b: np.ndarray) -> np.ndarray:
    """P(item ≥ c) for c = 1..4 under the graded-response model: theta (n × k), b (n × 12 × 4) -> n × k × 12 × 4."""
    return 1.0 / (1.0 + np.exp(-ALPHA * (theta[:, :, None, None] - b[:, None, :, :])))


def _expected_items(theta: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Expected item scores (n × k × 12)."""
    return _p_at_least(theta, b).sum(-1)


def _kappa() -> float:
    """The largest slope of the expected total per logit, over both onset sites (points per logit)."""
    grid = np.linspace(-8.0, 8.0, 3201)[None, :]
    slopes = []
    for bulbar in (False, True):
        total = _expected_items(grid, _thresholds(np.array([bulbar]))).sum(-1)[0]
        slopes.append(np.max(np.diff(total) / np.diff(grid[0])))
    return float(max(slopes))


KAPPA = _kappa()


def _at(grid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Linear interpolation of each row of ``grid`` (monthly) at times ``t`` (n × k months)."""
    t = np.clip(t, 0.0, MONTHS - 1e-9)
    i = np.floor(t).astype(int)
    w = t - i
    rows = np.arange(grid.shape[0])[:, None]
    return grid[rows, i] * (1 - w) + grid[rows, i + 1] * w


def _event_time(hazard: np.ndarray, start: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Months from onset of an event with piecewise-constant monthly ``hazard`` (n × MONTHS, month m holding
    over [m, m+1)) counted from ``start``, for unit-exponential draws ``e``; inf if beyond the grid."""
    m = np.arange(MONTHS)[None, :]
    exposure = np.clip(m + 1.0 - start[:, None], 0.0, 1.0)  # the part of each month after ``start``
    cum = np.cumsum(hazard * exposure, axis=1)
    crossed = cum >= e[:, None]
    j = crossed.argmax(1)
    rows = np.arange(hazard.shape[0])
    before = np.where(j > 0, cum[rows, np.maximum(j - 1, 0)], 0.0)
    t = np.maximum(j, start) + (e - before) / hazard[rows, j]
    return np.where(crossed.any(1), t, np.inf)


def simulate_world4(
    n_patients: int, effect: float, treated_share: float, seed: int, off: frozenset[str] = frozenset()
) -> WorldCohort:
    """One cohort of the fourth world (module docstring); seeded, vectorised over patients.  ``off``: pieces
    of ``PIECES`` switched off (an ablation; the default world has them all)."""
    refuse_unknown(off, PIECES)
    rng = np.random.default_rng(seed)
    n = int(n_patients)
    rows = np.arange(n)
    # every random number first, in a fixed order, whatever is switched off
    r1 = rng.lognormal(np.log(0.08), 0.5, n)
    k_fast = rng.lognormal(np.log(2.0), 0.3, n)
    tau = rng.gamma(2.0, 9.0, n)
    theta0 = rng.normal(3.0, 0.4, n)
    z_ref = rng.normal(0.0, 0.35, n)
    bulbar = rng.random(n) < 0.3
    site = rng.choice(3, n, p=SITE_SHARES)
    jitter = rng.standard_normal((n, N_VISITS))
    u_items = rng.random((n, N_VISITS, 12))
    u_consent = rng.random(n)
    e_gastro, e_niv, e_death = rng.exponential(1.0, (3, n))
    onset = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 6 * 365, n), unit="D")
    male = rng.random(n) < 0.6
    birth_year = rng.integers(1945, 1975, n)

    # the latent course on the monthly grid (n × MONTHS + 1)
    fast = r1 * (1.0 if "changepoint" in off else k_fast)
    grid_t = np.arange(MONTHS + 1, dtype=float)[None, :]
    theta = theta0[:, None] - r1[:, None] * np.minimum(grid_t, tau[:, None])
    theta -= fast[:, None] * np.maximum(grid_t - tau[:, None], 0.0)
    b = _thresholds(bulbar)

    # referral and visits
    elasticity = 0.0 if "referral" in off else -0.6
    entry = np.maximum(2.0, 12.0 * np.exp(elasticity * (np.log(r1) - np.log(0.08)) + z_ref))
    interval = np.where("sites" in off, 3.0, INTERVALS[site])
    k = np.arange(N_VISITS)[None, :]
    t_vis = entry[:, None] + interval[:, None] * (k + 0.1 * jitter * (k > 0))
    t_vis = np.maximum.accumulate(t_vis, axis=1)
    onset_days = ((onset - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy()
    lock_m = ((LOCK - onset) / pd.Timedelta(days=1)).to_numpy() / DPM
    vis_day = onset_days[:, None] + np.rint(t_vis * DPM)  # days since 1970

    def hazards(lat: np.ndarray) -> dict[str, np.ndarray]:
        expected = _expected_items(lat[:, :MONTHS], b)
        bulb = 12.0 - expected[..., BULBAR_ITEMS].sum(-1)
        resp = 12.0 - expected[..., RESP_ITEMS].sum(-1)
        scale = 0.0 if "dropout" in off else 1.0
        return {
            "gastrostomy": scale * H_GASTRO[0] * np.exp(H_GASTRO[1] * bulb),
            "niv_start": scale * H_NIV[0] * np.exp(H_NIV[1] * resp),
            "death": scale * H_DEATH[0] * np.exp(H_DEATH[1] * resp),
        }

    draws = {"gastrostomy": e_gastro, "niv_start": e_niv, "death": e_death}
    with np.errstate(divide="ignore", invalid="ignore"):
        death_nat = _event_time(hazards(theta)["death"], entry, e_death)

    # treatment: calendar-time access by site, a disease-duration cut-off, consent at random
    avail_day = ((AVAILABLE - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy()
    avail = np.full(n, -np.inf) if "calendar" in off else avail_day[site]
    max_m = np.inf if "eligibility" in off else ELIGIBLE_MONTHS
    ok = (
        (k >= 1)
        & (vis_day >= avail[:, None])
        & (t_vis <= max_m)
        & (t_vis < death_nat[:, None])
        & (t_vis <= lock_m[:, None])
    )
    eligible = ok.any(1)
    n_want = round(treated_share * n)
    order = np.argsort(np.where(eligible, u_consent, np.inf), kind="stable")
    treated = np.zeros(n, bool)
    treated[order[: min(n_want, int(eligible.sum()))]] = True
    tv = ok.argmax(1)
    t0 = np.where(treated, t_vis[rows, tv], np.inf)

    # the treated course: a slope change of E/κ logits/month, waning to half after 6 months
    s = np.clip(grid_t - t0[:, None], 0.0, None)
    waned = 1.0 if "waning" in off else WANED
    gain = effect / KAPPA * (np.minimum(s, FULL_MONTHS) + waned * np.maximum(s - FULL_MONTHS, 0.0))
    theta_eff = theta + gain
    with np.errstate(divide="ignore", invalid="ignore"):
        h_eff = hazards(theta_eff)
        when = {ev: _event_time(h_eff[ev], entry, draws[ev]) for ev in draws}
    death = when["death"]
    seen = (t_vis < death[:, None]) & (t_vis <= lock_m[:, None])

    # items: graded-response draws at each visit from the treated course (equal to the natural before t0)
    th_vis = _at(theta_eff, t_vis)
    items = (u_items[..., None] < _p_at_least(th_vis, b)).sum(-1).astype(float)
    ids = np.array([f"W4{p:06d}" for p in range(n)])
    pi, vi = np.nonzero(seen)
    dates = pd.to_datetime(vis_day[pi, vi], unit="D")
    alsfrs = pd.DataFrame(items[pi, vi], columns=ITEMS)
    gastro = t_vis[pi, vi] >= when["gastrostomy"][pi]
    alsfrs["q5b"] = alsfrs["q5a"].where(gastro)
    alsfrs["q5a"] = alsfrs["q5a"].where(~gastro)
    alsfrs = alsfrs[[*ITEMS[:5], "q5b", *ITEMS[5:]]].astype("Int64")
    alsfrs.insert(0, "date", dates)
    alsfrs.insert(0, "patient_id", ids[pi])
    alsfrs = alsfrs.drop_duplicates(["patient_id", "date"])

    tr = np.flatnonzero(treated)
    treatments = pd.DataFrame(
        {
            "treatment_id": [f"{ids[p]}-T1" for p in tr],
            "patient_id": ids[tr],
            "date": pd.to_datetime(vis_day[tr, tv[tr]], unit="D"),
            "cycle": 1,
            "cell_source": "bone_marrow",
            "donor": "autologous",
            "route": "intrathecal",
            "dose_cells": 1.0e8,
        }
    )
    ev_rows = []
    for ev, t_ev in when.items():
        # recorded while the patient is followed: before the lock, and (other than death) before death
        keep = np.isfinite(t_ev) & (t_ev <= lock_m) & ((t_ev < death) | (ev == "death"))
        p = np.flatnonzero(keep)
        day = onset_days[p] + np.rint(t_ev[p] * DPM)
        if ev == "death":  # strictly after the last visit
            last = np.where(seen[p].any(1), np.max(np.where(seen[p], vis_day[p], -np.inf), axis=1), -np.inf)
            day = np.maximum(day, last + 1)
        ev_rows.append(pd.DataFrame({"patient_id": ids[p], "date": pd.to_datetime(day, unit="D"), "event": ev}))
    events = pd.concat(ev_rows, ignore_index=True).drop_duplicates(["patient_id", "event"])
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "sex": np.where(male, "M", "F"),
            "birth_year": birth_year,
            "onset_date": onset,
            "onset_site": np.where(bulbar, "bulbar", "limb"),
            "site": np.array([f"site_{x}" for x in SITES])[site],
        }
    )
    tables = Tables.from_frames(patients=patients, treatments=treatments, alsfrs=alsfrs, events=events)

    # the realised truth: treated − untreated expected total at the observed post-treatment visits
    post = seen & treated[:, None] & (t_vis > np.where(treated, t0, 0.0)[:, None])
    dt = np.where(post, t_vis - np.where(treated, t0, 0.0)[:, None], 0.0)
    e1, e0 = _expected_items(th_vis, b).sum(-1), _expected_items(_at(theta, t_vis), b).sum(-1)
    diff = e1 - e0
    sxx = (dt**2).sum(1)
    has = sxx > 0
    realised = float(((diff * dt).sum(1)[has] / sxx[has]).mean()) if has.any() else float("nan")
    tr = np.flatnonzero(treated)
    window = observed = float("nan")
    if len(tr):
        since = t_vis[tr] - t0[tr, None]
        window = window_truth(diff[tr], since, seen[tr])
        seen_nat = (t_vis < death_nat[:, None]) & (t_vis <= lock_m[:, None])
        observed = observed_truth(e1[tr], e0[tr], since, seen[tr], seen_nat[tr])
    return WorldCohort(tables, float(effect), int(treated.sum()), realised, window, observed)


__all__ = ["KAPPA", "PIECES", "WorldCohort", "simulate_world4"]

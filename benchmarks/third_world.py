"""A third data-generating mechanism, held out: written after the default and its warnings were settled,
and run through the calibration only once it was committed (docs/calibration_world3.md).

``alscell.simulate`` (D50 sigmoid courses, treatment after a steep observed *drop*) and
``benchmarks/second_world.py`` (linear-quadratic courses, treated patients chosen by their *true slope*,
treatment when the observed total falls below a threshold) shaped the default and its warnings over many
sessions, so neither is an out-of-sample check any more.  This world differs from both in every piece:

* **course**: each patient declines at a rate a_i (lognormal, median 0.9 points/month) while *declining*
  and not at all while *stable*; the two states alternate as a monthly Markov chain (in 6% a month, out
  15%: about 30% of months stable, spells of about 7 months).  Plateaus of this kind are common in ALS:
  25% of PRO-ACT participants did not decline over 6 months, 16% over 12 (Bedlack et al., Neurology
  2016;86:808–812).  Month-to-month rates vary ±25% around a_i; the latent level is clipped to 0..48;
* **entry and survival**: months from onset to the first visit Gamma (mean 14), independent of the rate;
  death (or tracheostomy) when the latent level first falls below a patient's own respiratory threshold
  U(6, 18) — a hitting time, not a hazard; a prevalent cohort: patients dead before their first visit are
  never seen (left truncation);
* **visits**: irregular, gaps 1.5 + Gamma(2, 1.25) months (mean 4); after a visit whose observed total
  fell by 3 points or more since the previous one the next gap is halved (worse patients are seen sooner:
  the visit process depends on the observed past); a data lock on 2022-06-30 with onsets spread over
  2015–2020 (calendar censoring); 2% loss to follow-up after each visit, at random;
* **who is treated**: access, not prognosis: exactly round(share · n) patients can get cells (chosen at
  random); each decides at a time after entry (exponential, mean 5 months) and is treated at the first
  visit from then on where the observed total is at least 25 points (a clinic's eligibility cut-off, of
  the kind MSC trials use); patients who never meet it are not treated, so the realised share is lower;
  further administrations 3 and 6 months later with probability 0.5 each (effect from the first only);
* **effect**: responders and non-responders: 40% of treated patients respond with a slope change of
  E / 0.4 points/month from the first administration, the others not at all (a mixture, not a continuum);
* **measurement**: 12 items, each round(L/12 + offset + N(0, 0.4²)) within 0–4, the offsets following
  the onset site (bulbar onset: bulbar items lower); 3% of visits miss one item (their total is missing,
  spec/data-format.md).

The truth of the estimand is E (population mean of the slope change); ``truth_att`` is the mean over the
cohort's treated patients.  Writes canonical tables (``Tables.from_frames``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from alscell.io.tables import Tables
from second_world import refuse_unknown
from window_truth import observed_truth, window_truth

DPM = 30.4375
ITEMS = ["q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]
MONTHS = 96  # latent grid, months from onset
N_VISITS = 14
# item offsets by onset site (points above the mean item; each row sums to 0): the region where the
# disease starts loses its items first
_BULBAR = np.array([-0.6, -0.5, -0.6, 0.1, 0.1, 0.2, 0.2, 0.2, 0.2, 0.3, 0.2, 0.2])
_LIMB = np.array([0.4, 0.3, 0.4, -0.3, -0.4, -0.3, -0.4, -0.4, -0.3, 0.3, 0.3, 0.4])
P_STABLE_IN, P_STABLE_OUT = 0.06, 0.15  # monthly switching of the declining / stable chain
ELIGIBLE = 25.0  # observed total needed to be treated
RESPONDERS = 0.4
LOCK = pd.Timestamp("2022-06-30")


# Pieces that ``off`` switches off (an ablation, as benchmarks/second_world.py's): the random numbers drawn
# stay the same, so a switched-off world differs from the default in that piece only.
PIECES = {
    "plateaus": "every patient declining all the time (no stable spells)",
    "death": "no death (and so no left truncation)",
    "visit_timing": "gaps not halved after a drop",
    "eligibility": "treated at the first visit after the decision whatever the total",
    "loss": "no loss to follow-up at random and no data lock",
}


@dataclass
class WorldCohort:
    tables: Tables
    truth_att: float
    n_treated: int
    # the slope change the latent course shows over the treated patients' observed post-treatment visits
    # (per patient: least squares through the origin of treated − untreated latent level on time since
    # treatment; then the mean over patients): below E where the scale's ceiling or floor cuts the effect
    truth_realised: float = float("nan")
    # the same slope change on the recorded scale (added after docs/calibration_world3.md was first run,
    # docs/world3_estimand.md): treated − untreated *expected recorded total* (the 12 items' rounding, noise
    # and 0–4 bounds: ``_expected_total``) at the same visits, as the fourth and fifth worlds define theirs
    truth_recorded: float = float("nan")
    # our estimand's truth: that recorded-scale change over the first 24 months after treatment (per patient,
    # least squares with an intercept; window_truth.py, docs/estimand_calibration.md)
    truth_window: float = float("nan")
    # the same under the *while observed* strategy: each course's slope over its own visits (the untreated
    # visits: those before the natural course's death; window_truth.observed_truth, docs/estimand_observed.md)
    truth_observed: float = float("nan")


def _latent(rng: np.random.Generator, n: int, plateaus: bool = True) -> np.ndarray:
    """Natural latent level on the monthly grid (n × MONTHS + 1), months from onset."""
    a = rng.lognormal(np.log(0.9), 0.5, n)
    u = rng.random((n, MONTHS))
    stable = np.zeros((n, MONTHS), bool)
    for m in range(1, MONTHS):  # a loop over months, vectorised over patients
        stable[:, m] = np.where(stable[:, m - 1], u[:, m] >= P_STABLE_OUT, u[:, m] < P_STABLE_IN)
    stable &= plateaus
    rate = a[:, None] * np.clip(1.0 + 0.25 * rng.standard_normal((n, MONTHS)), 0.0, None) * ~stable
    start = 48.0 - rng.uniform(0.0, 1.0, n)
    lat = np.c_[start, start[:, None] - np.cumsum(rate, axis=1)]
    return np.clip(lat, 0.0, 48.0)


def _at(grid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Linear interpolation of each row of ``grid`` (monthly) at times ``t`` (n × k months)."""
    t = np.clip(t, 0.0, MONTHS - 1e-9)
    i = np.floor(t).astype(int)
    w = t - i
    rows = np.arange(grid.shape[0])[:, None]
    return grid[rows, i] * (1 - w) + grid[rows, i + 1] * w


def _expected_total(level: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Expected recorded total at latent ``level`` (n × k) for patients with item ``offsets`` (n × 12): each
    item is round(level / 12 + offset + N(0, 0.4²)) within 0–4 (``observe`` in :func:`simulate_world3`), so
    its mean is Σ_c P(level / 12 + offset + noise ≥ c − 0.5) over c = 1..4."""
    mu = level[..., None] / 12.0 + offsets[:, None, :]
    cuts = np.arange(1, 5) - 0.5
    return ndtr((mu[..., None] - cuts) / 0.4).sum(-1).sum(-1)


def _first_below(grid: np.ndarray, thr: np.ndarray) -> np.ndarray:
    """Month (interpolated) at which each row first falls below its threshold; inf if never."""
    below = grid < thr[:, None]
    any_ = below.any(1)
    j = below.argmax(1)
    rows = np.arange(grid.shape[0])
    prev = grid[rows, np.maximum(j - 1, 0)]
    cur = grid[rows, j]
    frac = np.where(prev > cur, (prev - thr) / np.where(prev > cur, prev - cur, 1.0), 0.0)
    t = np.where(j > 0, j - 1 + np.clip(frac, 0.0, 1.0), 0.0)
    return np.where(any_, t, np.inf)


def simulate_world3(
    n_patients: int, effect: float, treated_share: float, seed: int, off: frozenset[str] = frozenset()
) -> WorldCohort:
    """One cohort of the third world (module docstring); seeded, vectorised over patients.  ``off``: pieces
    of ``PIECES`` switched off (an ablation; the default world has them all)."""
    refuse_unknown(off, PIECES)
    rng = np.random.default_rng(seed)
    n = int(n_patients)
    # draw more than needed: those dead before their first visit are never seen (left truncation)
    m = int(np.ceil(n * 1.6)) + 20
    lat = _latent(rng, m, "plateaus" not in off)
    entry = rng.gamma(3.0, 14.0 / 3.0, m)
    resp = rng.uniform(6.0, 18.0, m) - (100.0 if "death" in off else 0.0)
    alive_at_entry = _first_below(lat, resp) > entry
    keep = np.flatnonzero(alive_at_entry)[:n]
    if len(keep) < n:
        raise RuntimeError("not enough patients alive at entry; raise the over-draw")
    lat, entry, resp = lat[keep], entry[keep], resp[keep]
    bulbar = rng.random(n) < 0.3
    offsets = np.where(bulbar[:, None], _BULBAR, _LIMB)

    def observe(level: np.ndarray) -> np.ndarray:
        noise = rng.normal(0.0, 0.4, (*level.shape, 12))
        return np.clip(np.rint(level[..., None] / 12.0 + offsets[:, None, :] + noise), 0, 4)

    # who can be treated, when they decide, whether they respond
    n_access = round(treated_share * n)
    access = np.zeros(n, bool)
    access[rng.permutation(n)[:n_access]] = True
    decide = entry + rng.exponential(5.0, n)
    e_i = np.where(rng.random(n) < RESPONDERS, effect / RESPONDERS, 0.0) * access
    gaps = 1.5 + rng.gamma(2.0, 1.25, (n, N_VISITS))
    extra = rng.random((n, 2)) < 0.5
    lost = rng.random((n, N_VISITS)) < (0.0 if "loss" in off else 0.02)
    # visits one at a time (vectorised over patients): the next gap depends on the observed drop
    t_vis = np.zeros((n, N_VISITS))
    items_nat = np.zeros((n, N_VISITS, 12))
    t_vis[:, 0] = entry
    for k in range(N_VISITS):
        items_nat[:, k] = observe(_at(lat, t_vis[:, k : k + 1]))[:, 0]
        if k + 1 < N_VISITS:
            tot_k = items_nat[:, k].sum(-1)
            drop = items_nat[:, k - 1].sum(-1) - tot_k if k else np.zeros(n)
            t_vis[:, k + 1] = t_vis[:, k] + gaps[:, k] * np.where((drop >= 3.0) & ("visit_timing" not in off), 0.5, 1.0)
    # treatment: the first visit on or after the decision with an observed total ≥ ELIGIBLE
    ok = (
        access[:, None]
        & (t_vis >= decide[:, None])
        & (items_nat.sum(-1) >= (0.0 if "eligibility" in off else ELIGIBLE))
    )
    tv = np.where(ok.any(1), ok.argmax(1), -1)
    t0 = np.where(tv >= 0, t_vis[np.arange(n), np.maximum(tv, 0)], np.inf)
    # the treated course on the grid: effect added from t0, clipped to the scale
    grid_t = np.arange(MONTHS + 1)[None, :]
    lat_eff = np.clip(lat + e_i[:, None] * np.clip(grid_t - t0[:, None], 0.0, None), 0.0, 48.0)
    death = _first_below(lat_eff, resp)
    post = t_vis > t0[:, None]
    items = np.where(post[..., None], observe(_at(lat_eff, t_vis)), items_nat)
    # calendar: onsets over 2015–2020, data lock; seen while alive, before the lock, not yet lost
    onset = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 6 * 365, n), unit="D")
    lock_m = ((LOCK - onset) / pd.Timedelta(days=1)).to_numpy() / DPM + (1e3 if "loss" in off else 0.0)
    lost_before = np.cumsum(np.c_[np.zeros((n, 1), bool), lost[:, :-1]], 1) > 0
    seen = (t_vis < death[:, None]) & (t_vis <= lock_m[:, None]) & ~lost_before
    # the visits the untreated course would leave (the visit times follow the natural course already)
    seen_nat = (t_vis < _first_below(lat, resp)[:, None]) & (t_vis <= lock_m[:, None]) & ~lost_before
    treated = (tv >= 0) & seen[np.arange(n), np.maximum(tv, 0)]
    e_i = np.where(treated, e_i, 0.0)
    ids = np.array([f"W3{p:06d}" for p in range(n)])
    pi, vi = np.nonzero(seen)
    dates = onset[pi] + pd.to_timedelta(np.rint(t_vis[pi, vi] * DPM), unit="D")
    use = np.where(treated[pi, None], items[pi, vi], items_nat[pi, vi])
    # 3% of visits miss one item
    gap_rows = np.flatnonzero(rng.random(len(pi)) < 0.03)
    use[gap_rows, rng.integers(0, 12, len(gap_rows))] = np.nan
    alsfrs = pd.DataFrame(use, columns=ITEMS).astype("Int64")
    alsfrs.insert(0, "date", dates)
    alsfrs.insert(0, "patient_id", ids[pi])
    alsfrs = alsfrs.drop_duplicates(["patient_id", "date"])
    tr = np.flatnonzero(treated)
    cycles = [(p, 1, t0[p]) for p in tr]
    cycles += [(p, 2 + j, t0[p] + 3.0 * (j + 1)) for j in range(2) for p in tr[extra[tr, j]]]
    cycles = [c for c in cycles if c[2] < min(death[c[0]], lock_m[c[0]])]
    cp = np.array([c[0] for c in cycles], int)
    treatments = pd.DataFrame(
        {
            "treatment_id": [f"{ids[p]}-T{c}" for p, c, _ in cycles],
            "patient_id": ids[cp],
            "date": onset[cp] + pd.to_timedelta(np.rint(np.array([c[2] for c in cycles]) * DPM), unit="D"),
            "cycle": [c for _, c, _ in cycles],
            "cell_source": "adipose",
            "donor": "autologous",
            "route": "intravenous",
            "dose_cells": 1.0e8,
        }
    ).sort_values(["patient_id", "cycle"], kind="stable")
    died = np.isfinite(death) & (death <= lock_m) & seen.any(1)
    dth = np.flatnonzero(died)
    events = pd.DataFrame(
        {
            "patient_id": ids[dth],
            "date": onset[dth] + pd.to_timedelta(np.rint(death[dth] * DPM), unit="D"),
            "event": "death",
        }
    )
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "sex": np.where(rng.random(n) < 0.6, "M", "F"),
            "birth_year": rng.integers(1945, 1975, n),
            "onset_date": onset,
            "onset_site": np.where(bulbar, "bulbar", "limb"),
        }
    )
    tables = Tables.from_frames(patients=patients, treatments=treatments, alsfrs=alsfrs, events=events)
    att = float(e_i[treated].mean()) if treated.any() else float("nan")
    dt = np.where(seen & post & treated[:, None], t_vis - np.where(np.isfinite(t0), t0, 0.0)[:, None], 0.0)
    gain = _at(lat_eff, t_vis) - _at(lat, t_vis)
    sxx = (dt**2).sum(1)
    has = sxx > 0
    realised = float(((gain * dt).sum(1)[has] / sxx[has]).mean()) if has.any() else float("nan")
    e1, e0 = _expected_total(_at(lat_eff, t_vis), offsets), _expected_total(_at(lat, t_vis), offsets)
    shown = e1 - e0
    recorded = float(((shown * dt).sum(1)[has] / sxx[has]).mean()) if has.any() else float("nan")
    window = observed = float("nan")
    if len(tr):
        since = t_vis[tr] - t0[tr, None]
        window = window_truth(shown[tr], since, seen[tr])
        observed = observed_truth(e1[tr], e0[tr], since, seen[tr], seen_nat[tr])
    return WorldCohort(tables, att, int(treated.sum()), realised, recorded, window, observed)


__all__ = ["PIECES", "WorldCohort", "simulate_world3"]

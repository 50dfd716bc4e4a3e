"""A second data-generating mechanism, built to differ in structure from ``alscell.simulate``.

``alscell.simulate`` draws D50 sigmoid courses, treats at a visit chosen for a steep *drop*, and lets
dropout and death follow its own hazards.  Here, on purpose, every piece is different:

* **course**: per-patient linear-quadratic decline in months since onset, F(t) = F0 − a·t − b·t²
  (Gordon et al., Amyotroph Lateral Scler 2010;11:1–8: the ALSFRS-R course is curvilinear and a
  quadratic fits better than a line); a lognormal, b normal (accelerating on average, some decelerate);
* **entry**: months from onset to the first visit lognormal, shorter for fast progressors;
* **effects differ between patients**: e_i = E · Gamma(shape 2, scale 1/2) (mean E, CV 0.71), a slope
  change of e_i points/month from the first (single) administration;
* **selection**: the treated patients are chosen by a propensity in their *own true slope* (faster
  progressors more often: confounding by indication at patient level), exactly round(share · n) of them;
  each is treated at the first visit from the 2nd on where the *observed* total falls below a patient
  threshold U(28, 40) (a level rule, not a drop rule), else at a random one of visits 2–4.  That "else"
  looks ahead: whether the total will fall below the threshold by the 7th visit decides who is treated
  early at random, so the patients treated that way are the ones whose course stays high (piece
  ``lookahead`` switches it off: they are treated at the 8th visit instead, a decision on the past);
* **dropout**: death with monthly hazard 0.003·exp(0.15·(20 − F)) from the latent level, and loss to
  follow-up after a visit with probability expit(−3.5 + 0.6·(observed drop since the previous visit));
  administrative end 30 months after entry;
* **measurement**: 12 items, each round(F/12 + item offset + N(0, 0.45²)) within 0–4.

The truth of the estimand is E (population mean of e_i); ``truth_att`` in the result is the mean of e_i
over the treated patients of the cohort.  Writes canonical tables (``Tables.from_frames``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alscell.io.tables import Tables

DPM = 30.4375
ITEMS = ["q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]
# item offsets (points above the mean item): bulbar/respiratory items lag limb items, summing to 0
_OFFSETS = np.array([0.3, 0.2, 0.3, -0.2, -0.3, -0.2, -0.3, -0.3, -0.4, 0.3, 0.3, 0.3])


@dataclass
class WorldCohort:
    tables: Tables
    truth_att: float
    n_treated: int


# Pieces of the world that ``off`` can switch off, one at a time or together (benchmarks/world2_ablation.py):
# the random numbers drawn stay the same, so a switched-off world differs from the default in that piece only.
PIECES = {
    "curvature": "every patient's course a straight line (b = 0)",
    "floor": "no floor or ceiling: latent course and items not clipped",
    "death": "no death",
    "loss": "no loss to follow-up",
    "slope_selection": "treated patients chosen at random, not by their true slope",
    "threshold": "treated at a random one of visits 2–4, not when the observed total falls below a threshold",
    "lookahead": "a treated patient whose total does not fall below the threshold by the 7th visit is treated at "
    "the 8th (a decision on the past), not at a random one of visits 2–4 chosen knowing it will not fall",
}


def refuse_unknown(off: frozenset[str], pieces: dict[str, str]) -> None:
    """A ValueError naming the pieces of ``off`` that are not in ``pieces`` (an ablation's switches)."""
    unknown = set(off) - set(pieces)
    if unknown:
        raise ValueError(f"unknown pieces {sorted(unknown)}: use {', '.join(pieces)}")


def _draw_onset_slopes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Each patient's rate of decline at onset, points/month (lognormal); the generator's first draw."""
    return rng.lognormal(np.log(0.75), 0.45, n)


def onset_slopes(n_patients: int, seed: int) -> np.ndarray:
    """The true onset slopes of ``simulate_world2(n_patients, …, seed)``'s patients (patient k at index k):
    the same first draw of the same generator, for diagnostics that compare fitted and true slopes."""
    return _draw_onset_slopes(np.random.default_rng(seed), int(n_patients))


def simulate_world2(
    n_patients: int, effect: float, treated_share: float, seed: int, off: frozenset[str] = frozenset()
) -> WorldCohort:
    """One cohort of the second world (module docstring); seeded, vectorised over patients.  ``off``: pieces
    of ``PIECES`` switched off (an ablation; the default world has them all)."""
    refuse_unknown(off, PIECES)
    rng = np.random.default_rng(seed)
    n = int(n_patients)
    a = _draw_onset_slopes(rng, n)  # points/month at onset
    b = rng.normal(0.004, 0.006, n)  # points/month²
    if "curvature" in off:
        b = np.zeros(n)
    z = (np.log(a) - np.log(0.75)) / 0.45
    entry = np.exp(rng.normal(np.log(12.0) - 0.35 * z, 0.45))  # months from onset to first visit
    f0 = 48.0 - rng.uniform(0.0, 2.0, n)
    # visits every 3 months (jittered) for up to 30 months
    k = np.arange(11)
    t_vis = entry[:, None] + 3.0 * k[None, :] + rng.normal(0, 0.4, (n, len(k))) * (k[None, :] > 0)
    t_vis = np.maximum.accumulate(t_vis, axis=1)
    lat = f0[:, None] - a[:, None] * t_vis - b[:, None] * t_vis**2
    floor = "floor" not in off
    lat = np.clip(lat, 0.0, 48.0) if floor else lat
    # selection: exactly round(share·n) treated, chosen by a propensity in the true slope
    n_tr = round(treated_share * n)
    score = (0.0 if "slope_selection" in off else 1.2) * z + rng.gumbel(size=n)
    treated = np.zeros(n, bool)
    if n_tr:
        treated[np.argsort(-score)[:n_tr]] = True
    e_i = np.where(treated, effect * rng.gamma(2.0, 0.5, n), 0.0)

    def observe(F):
        items = np.rint(F[..., None] / 12.0 + _OFFSETS + rng.normal(0, 0.45, (*F.shape, 12)))
        items = np.clip(items, 0, 4) if floor else items
        return items

    items_nat = observe(lat)
    tot_nat = items_nat.sum(-1)
    thr = rng.uniform(28.0, 40.0, n)
    below = (tot_nat <= thr[:, None]) & (k[None, :] >= 1) & (k[None, :] <= 6)
    first_below = np.where(below.any(1), below.argmax(1), -1)
    fallback = rng.integers(1, 4, n)
    if "lookahead" in off:  # six visits without a crossing seen: treat at the next one (past information only)
        fallback = np.full(n, 7)
    # the default fallback looks ahead: whether the total will cross by the 7th visit decides it
    tv = np.where(first_below >= 0, first_below, fallback)  # treated right after visit tv (same day)
    if "threshold" in off:
        tv = fallback
    t0 = t_vis[np.arange(n), tv]  # treated on the day of visit tv (the visit that prompted it)
    post = np.clip(t_vis - t0[:, None], 0.0, None) * treated[:, None]
    lat_eff = lat + e_i[:, None] * post
    lat_eff = np.clip(lat_eff, 0.0, 48.0) if floor else lat_eff
    # observed items: natural-history noise reused where there is no effect (same draws)
    items = np.where((post > 0)[..., None], observe(lat_eff), items_nat)
    tot = items.sum(-1)
    # death between visits: hazard from the latent level at the start of the interval
    gap = np.diff(t_vis, axis=1, prepend=t_vis[:, :1])
    haz = 0.003 * np.exp(0.15 * (20.0 - lat_eff)) * (0.0 if "death" in off else 1.0)
    p_die = 1.0 - np.exp(-haz * gap)
    dies = rng.random((n, len(k))) < p_die
    dies[:, 0] = False
    # loss to follow-up after a visit: observed drop since the previous visit
    drop = np.diff(tot, axis=1, prepend=tot[:, :1]) * -1.0
    p_lost = 1.0 / (1.0 + np.exp(3.5 - 0.6 * drop)) * (0.0 if "loss" in off else 1.0)
    lost = rng.random((n, len(k))) < p_lost
    ended = np.cumsum(dies, 1) > 0  # dead before this visit
    lost_before = np.cumsum(np.c_[np.zeros((n, 1), bool), lost[:, :-1]], 1) > 0
    seen = ~ended & ~lost_before
    # a treated patient must be seen at visit tv; otherwise untreated
    treated &= seen[np.arange(n), tv]
    e_i = np.where(treated, e_i, 0.0)
    ids = np.array([f"W2{p:06d}" for p in range(n)])
    onset = pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    pi, vi = np.nonzero(seen)
    dates = onset[pi] + pd.to_timedelta(np.rint(t_vis[pi, vi] * DPM), unit="D")
    use = np.where(treated[pi, None], items[pi, vi], items_nat[pi, vi]).astype(int)
    alsfrs = pd.DataFrame(use, columns=ITEMS)
    alsfrs.insert(0, "date", dates)
    alsfrs.insert(0, "patient_id", ids[pi])
    alsfrs = alsfrs.drop_duplicates(["patient_id", "date"])
    tr = np.flatnonzero(treated)
    t0_date = onset[tr] + pd.to_timedelta(np.rint(t0[tr] * DPM), unit="D")
    treatments = pd.DataFrame(
        {
            "treatment_id": [f"{ids[p]}-T1" for p in tr],
            "patient_id": ids[tr],
            "date": t0_date,
            "cycle": 1,
            "cell_source": "bone_marrow",
            "donor": "autologous",
            "route": "intrathecal",
            "dose_cells": 1.0e8,
        }
    )
    last = np.where(seen, np.arange(len(k))[None, :], -1).max(1)
    died = dies[np.arange(n), np.minimum(last + 1, len(k) - 1)] & (last + 1 < len(k))
    dth = np.flatnonzero(died)
    d_date = onset[dth] + pd.to_timedelta(np.rint((t_vis[dth, last[dth]] + 1.0) * DPM), unit="D")
    events = pd.DataFrame({"patient_id": ids[dth], "date": d_date, "event": "death"})
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "sex": np.where(rng.random(n) < 0.6, "M", "F"),
            "birth_year": rng.integers(1945, 1975, n),
            "onset_date": onset,
            "onset_site": np.where(rng.random(n) < 0.3, "bulbar", "limb"),
        }
    )
    tables = Tables.from_frames(patients=patients, treatments=treatments, alsfrs=alsfrs, events=events)
    att = float(e_i[treated].mean()) if treated.any() else float("nan")
    return WorldCohort(tables, att, int(treated.sum()))


__all__ = ["WorldCohort", "simulate_world2"]

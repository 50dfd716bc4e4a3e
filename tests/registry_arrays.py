"""Tables from arrays: the small independent registries the estimator tests generate (visit times and
ALSFRS-R totals per patient, first-treatment times), written as the canonical tables, not by
``alscell.simulate``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from alscell.io.tables import Tables

ITEMS = ["q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]
ONSET = pd.Timestamp("2018-01-01")


def valid_folder(tables: Tables, folder) -> Path:
    """``tables`` written as a canonical folder at ``folder``, with the required columns the registries here leave
    empty filled (each patient's sex and onset site; each administration's cell source, donor, route and dose)."""
    from alscell.io.writer import write_folder

    t = dict(tables.items())
    t["patients"] = t["patients"].assign(sex="F", onset_site="limb")
    t["treatments"] = t["treatments"].assign(cell_source="bone_marrow", donor="autologous", route="intrathecal",
                                             dose_cells=1e8)  # fmt: skip
    return write_folder(t, folder)


def tables_from_totals(t: np.ndarray, y: np.ndarray, T: np.ndarray) -> Tables:
    """``t`` (patients × visits) months from onset, ``y`` the totals there (rounded, 0..48, spread over the 12
    items), ``T`` each patient's first-treatment month (inf: never treated).  Patient k is ``P{k:04d}``."""
    n = t.shape[0]
    ids = [f"P{i:04d}" for i in range(n)]
    tot = np.rint(np.clip(y, 0, 48).ravel()).astype(int)
    alsfrs = pd.DataFrame(np.minimum(np.maximum(tot[:, None] - 4 * np.arange(12)[None, :], 0), 4), columns=ITEMS)
    alsfrs.insert(0, "date", ONSET + pd.to_timedelta(np.rint(t.ravel() * 30.4375), unit="D"))
    alsfrs.insert(0, "patient_id", np.repeat(ids, t.shape[1]))
    tr = np.flatnonzero(np.isfinite(T))
    treatments = pd.DataFrame(
        {
            "treatment_id": [f"{ids[i]}-T1" for i in tr],
            "patient_id": [ids[i] for i in tr],
            "date": ONSET + pd.to_timedelta(np.rint(T[tr] * 30.4375), unit="D"),
            "cycle": 1,
        }
    )
    patients = pd.DataFrame({"patient_id": ids, "onset_date": ONSET})
    return Tables.from_frames(patients=patients, treatments=treatments, alsfrs=alsfrs)


def floor_registry(n: int, effect: float, seed: int, *, base: float = 46.0, rate: float = 1.3) -> Tables:
    """Straight latent courses in points, many followed into the floor; observed = latent + slope change
    after treatment + noise, clipped to 0..48 and rounded; treatment starts at a visit with a probability
    rising with the observed drop since the previous visit (a decision on the observed past).  Where the
    default leans (tests/analysis/test_bounded_course.py)."""
    rng = np.random.default_rng(seed)
    a = rng.lognormal(np.log(rate), 0.35, n)
    entry = rng.uniform(3, 12, n)
    t = entry[:, None] + 3.0 * np.arange(10)[None, :]
    lat = base - a[:, None] * t
    noise = rng.normal(0, 1.5, lat.shape)
    obs_nat = np.clip(lat + noise, 0, 48)
    T = np.full(n, np.inf)
    for j in range(1, 8):
        drop = obs_nat[:, j - 1] - obs_nat[:, j]
        start = np.isinf(T) & (rng.random(n) < 1 / (1 + np.exp(-(-3.0 + 0.5 * drop))))
        T[start] = t[start, j]
    y = np.clip(lat + effect * np.clip(t - T[:, None], 0, None) + noise, 0, 48)
    return tables_from_totals(t, y, T)


def reviews_and_contacts(
    n: int, seed: int, effect: float = 0.0, lag_months: float = 1.8, record: bool = False
) -> Tables:
    """Six-monthly reviews with an FVC (the only visits at which the clinic decides, on the recorded drop since the
    previous review) and a contact 0.5–1.5 months after each review that faster patients ask for more often (no
    decision at it, no measurement); cells ``lag_months`` after the decision, so that a contact often falls between
    the decision and the dose.  Straight courses, score noise SD 2.  Where taking the last visit before the dose as
    the decision leans (tests/analysis/test_visit_process.py).  ``record``: the optional extension columns filled
    (alsfrs.visit_type scheduled at a review, unscheduled at a contact; treatments.decision_date the deciding
    review's date); the draws are the same."""
    rng = np.random.default_rng(seed)
    k = 7
    rate = 0.9 * np.exp(0.5 * rng.normal(0, 1, n))
    rev = rng.uniform(4, 14, n)[:, None] + 6.0 * np.arange(k)[None, :]
    ask = rng.random((n, k)) < 1 / (1 + np.exp(-(-1.0 + 2.5 * (rate[:, None] - 0.9))))
    con = rev + rng.uniform(0.5, 1.5, (n, k))
    noise_r = rng.normal(0, 2.0, (n, k))
    seen = 46 - rate[:, None] * rev + noise_r
    T, decided = np.full(n, np.inf), np.full(n, np.inf)
    for j in range(1, k - 2):
        drop = (seen[:, j - 1] - seen[:, j]) / 6
        go = np.isinf(T) & (rng.random(n) < 1 / (1 + np.exp(-(-3.5 + 0.8 * drop))))
        T[go], decided[go] = rev[go, j] + lag_months, rev[go, j]
    t = np.concatenate([rev, con], 1)
    noise = np.concatenate([noise_r, rng.normal(0, 2.0, (n, k))], 1)
    base = tables_from_totals(t, 46 - rate[:, None] * t + effect * np.clip(t - T[:, None], 0, None) + noise, T)
    a = base["alsfrs"]
    kept = np.concatenate([np.ones((n, k), bool), ask], 1).ravel()
    review = np.concatenate([np.ones((n, k), bool), np.zeros((n, k), bool)], 1).ravel()
    m = pd.DataFrame(
        {
            "patient_id": a["patient_id"][review],
            "date": a["date"][review],
            "measure": "fvc_pct_pred",
            "unit": "%",
            "value": 80.0,
        }
    )
    tr = base["treatments"]
    if record:
        a = a.assign(visit_type=np.where(review, "scheduled", "unscheduled"))
        on = np.isfinite(decided)
        tr = tr.assign(decision_date=(ONSET + pd.to_timedelta(np.rint(decided[on] * 30.4375), unit="D")).to_numpy())
    a = a[kept].sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    return Tables.from_frames(patients=base["patients"], treatments=tr, alsfrs=a, measurements=m)


def screened_clinic(n: int, seed: int, effect: float = 0.0, record: bool = True, share_recorded: float = 1.0) -> Tables:
    """Three-monthly reviews at which the clinic screens for the therapy: eligible while the patient's marker of a
    coming acceleration (a screening test never recorded; each patient's course steepens by a factor 1 + b from 12
    months after onset, the marker reads b) is below its median and the review is within 36 months of onset; among
    the eligible a lottery on the drop since the previous review.  Score noise SD 1.5.  Those about to decline fast
    are never eligible: taken as decisions their visits compare the starters with patients no rule would treat, and
    the estimate leans for treatment (tests/analysis/test_decision_occasions.py).  ``record``: the screening written
    to ``alsfrs.eligible`` at a share ``share_recorded`` of the reviews (the rest empty); the draws are the same."""
    rng = np.random.default_rng(seed)
    k = 10
    rate = rng.lognormal(np.log(0.5), 0.3, n)  # slow enough that no starter reaches the floor of 0
    b = rng.uniform(0.0, 2.0, n)
    marker = b * np.exp(rng.normal(0, 0.2, n))
    t = rng.uniform(4, 14, n)[:, None] + 3.0 * np.arange(k)[None, :] + rng.uniform(-0.3, 0.3, (n, k))
    noise = rng.normal(0, 1.5, (n, k))
    course = 46 - rate[:, None] * (t + b[:, None] * np.clip(t - 12, 0, None))
    seen = course + noise
    eligible = (marker[:, None] < np.median(marker)) & (t < 36)
    u = rng.random((n, k))
    T = np.full(n, np.inf)
    for j in range(1, k - 2):
        drop = seen[:, j - 1] - seen[:, j]
        go = np.isinf(T) & eligible[:, j] & (u[:, j] < 1 / (1 + np.exp(-(-3.0 + 0.3 * drop))))
        T[go] = t[go, j]
    out = tables_from_totals(t, course + effect * np.clip(t - T[:, None], 0, None) + noise, T)
    if not record:
        return out
    shown = rng.random((n, k)) < share_recorded
    flag = pd.array(eligible.ravel(), dtype="boolean")  # the rows are patient-major, as tables_from_totals wrote them
    flag[~shown.ravel()] = pd.NA
    return Tables.from_frames(**{**dict(out.items()), "alsfrs": out["alsfrs"].assign(eligible=flag)})


def rated_clinic(n: int, seed: int, effect: float = 0.0, record: bool = True, share_recorded: float = 1.0) -> Tables:
    """Three-monthly reviews, each rated by one of six clinic raters, and programme visits between them (a third of
    the reviews are followed by one, a month later) rated by the programme's own rater, who reads 2 points higher
    than the clinic's (the clinic's offsets N(0, 1) points, drawn once); the programme decides at its visits by a
    lottery on the drop since the review before.  Every start is at a visit the programme's rater rated, a visit
    whose reading is 2 points high: as recorded every slope from a start leans against treatment.  Score noise SD
    1.  ``record``: who rated each visit written to ``alsfrs.rater`` at a share ``share_recorded`` of the visits (the
    rest empty); the draws are the same."""
    rng = np.random.default_rng(seed)
    k = 10
    rate = rng.lognormal(np.log(0.5), 0.3, n)
    offsets = np.append(rng.normal(0.0, 1.0, 6), 2.0)  # C1..C6, then P1
    review = rng.uniform(4, 10, n)[:, None] + 3.0 * np.arange(k)[None, :]
    prog = rng.random((n, k)) < 1 / 3
    t = np.concatenate([review, review + 1.0], axis=1)  # every review's month-later slot; unused slots dropped below
    who = np.concatenate([rng.integers(0, 6, (n, k)), np.full((n, k), 6)], axis=1)
    course = 46 - rate[:, None] * t
    seen = course + offsets[who] + rng.normal(0, 1.0, (n, 2 * k))
    u = rng.random((n, k))
    T = np.full(n, np.inf)
    for j in range(1, k - 2):
        drop = seen[:, j - 1] - seen[:, k + j]
        go = np.isinf(T) & prog[:, j] & (u[:, j] < 1 / (1 + np.exp(-(-2.0 + 0.3 * drop))))
        T[go] = t[go, k + j]
    keep = np.concatenate([np.ones((n, k), bool), prog], axis=1)
    order = np.argsort(np.where(keep, t, np.inf), axis=1, kind="stable")
    m = int(keep.sum(axis=1).min())  # the same number of visits for each patient: the first m kept
    pick = order[:, :m]
    tt, yy, ww = (np.take_along_axis(a, pick, axis=1) for a in (t, seen, who))
    out = tables_from_totals(tt, yy + effect * np.clip(tt - T[:, None], 0, None), T)
    if not record:
        return out
    names = np.array([f"C{i}" for i in range(1, 7)] + ["P1"], dtype=object)[ww.ravel()]
    names[rng.random(names.size) >= share_recorded] = None
    return Tables.from_frames(**{**dict(out.items()), "alsfrs": out["alsfrs"].assign(rater=names)})


def self_rated_contacts(n: int, seed: int, mode: str = "self") -> Tables:
    """:func:`reviews_and_contacts` (its extension columns recorded) with each contact rated by the patient (``mode``:
    ``alsfrs.assessor``; the reviews by a clinician): the clinic decides at its reviews, the contacts are self-ratings
    (alscell.analysis.self_ratings)."""
    t = reviews_and_contacts(n, seed, record=True)
    a = t["alsfrs"]
    a = a.assign(assessor=np.where((a["visit_type"] == "unscheduled").to_numpy(), mode, "clinician"))
    return Tables.from_frames(**{**dict(t.items()), "alsfrs": a})

"""The held-out worlds' truth over the estimator's horizon (``truth_window``), one definition for all of them.

Our estimand (docs/evidence.md, "Estimand") is the change of slope of the *recorded* ALSFRS-R total over the
first 24 months after the first treatment (g-estimation's window), averaged over the patients who start.
The held-out worlds' own truths (``truth_realised``, chosen by their authors) differ in horizon (each
patient's whole follow-up, years for some) and, on the third world, in scale (the latent level).  Where the
effect fades or is cut by the scale's bounds "the slope change" depends on both, so the worlds also report
this one, computed from the same expected totals and changing none of their data (added after their
calibration pages were first run: docs/world5_estimand.md, docs/estimand_calibration.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

WINDOW_TRUTH_MONTHS = 24.0  # the horizon (that of g-estimation's window, alscell.analysis.g_estimation)


def window_slopes(values: np.ndarray, since: np.ndarray, followed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(slopes, ok): per row (a treated patient), the least-squares slope (with an intercept) of ``values``
    on months ``since`` the first treatment over the ``followed`` visits from the treatment visit to
    WINDOW_TRUTH_MONTHS after it; ``ok`` where there are two such visits at distinct times."""
    use = followed & (since >= -1e-9) & (since <= WINDOW_TRUTH_MONTHS)
    k = use.sum(1)
    x = np.where(use, since, 0.0)
    xbar = x.sum(1) / np.maximum(k, 1)
    xc = np.where(use, since - xbar[:, None], 0.0)
    sxx = (xc**2).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slopes = (xc * np.where(use, values, 0.0)).sum(1) / sxx
    ok = (k >= 2) & (sxx > 1e-9) & np.isfinite(slopes)  # a value missing at a used visit: no slope
    return np.where(ok, slopes, np.nan), ok


def window_truth(diff: np.ndarray, since: np.ndarray, followed: np.ndarray) -> float:
    """Per treated patient (rows), the least-squares slope (with an intercept) of treated − untreated
    expected total ``diff`` on months ``since`` the first treatment over the observed (``followed``) visits
    from the treatment visit to WINDOW_TRUTH_MONTHS after it; then the mean over patients with two such
    visits (nan when none has)."""
    slopes, ok = window_slopes(diff, since, followed)
    return float(slopes[ok].mean()) if ok.any() else float("nan")


def observed_truth(
    treated: np.ndarray, untreated: np.ndarray, since: np.ndarray, followed: np.ndarray, followed0: np.ndarray
) -> float:
    """Our estimand under the *while observed* strategy for death and dropout (docs/evidence.md): per treated
    patient, the 24-month slope of the expected recorded total under treatment over the visits observed under
    treatment (``followed``) minus that of the untreated expected total over the visits that would be observed
    untreated (``followed0``: death, missed visits and loss as the untreated course would have them); then the
    mean over patients with both slopes.  Where treatment does not change who is seen when, it is
    :func:`window_truth` of the difference."""
    s1, ok1 = window_slopes(treated, since, followed)
    s0, ok0 = window_slopes(untreated, since, followed0)
    both = ok1 & ok0
    return float((s1 - s0)[both].mean()) if both.any() else float("nan")


__all__ = ["WINDOW_TRUTH_MONTHS", "observed_truth", "window_slopes", "window_truth"]


def cohort_truths(
    e1: np.ndarray, e0: np.ndarray, since: np.ndarray, followed1: np.ndarray, followed0: np.ndarray, effect: float
) -> tuple[float, float, float]:
    """(truth_realised, truth_window, truth_observed) of a held-out world's cohort (the seventh and later) from
    its treated patients' expected recorded totals with (``e1``) and without (``e0``) treatment, months since
    the first treatment and which visits each course leaves: the realised truth is, per patient, the least
    squares through the origin of e1 − e0 on months since treatment over the treated course's post-treatment
    visits, averaged; the other two :func:`window_truth` and :func:`observed_truth`.  0 under no effect (nan
    stays nan)."""
    diff = e1 - e0
    post = followed1 & (since > 1e-9)
    sxx = np.where(post, since**2, 0).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per = np.where(post, since * diff, 0).sum(1) / sxx
    realised = float(per[sxx > 0].mean()) if (sxx > 0).any() else float("nan")
    tw = window_truth(diff, since, followed1)
    to = observed_truth(e1, e0, since, followed1, followed0)
    if effect == 0:
        return 0.0 * realised, 0.0 * tw, 0.0 * to
    return realised, tw, to


# A stored cohort's key: the world, the cell (size, share treated, effect) and the seed.
KEY = ["world", "n", "share", "E", "seed"]


def with_stored_truth(rows: pd.DataFrame, path: Path | str, column: str) -> pd.DataFrame:
    """``rows`` (cohorts of one world, by :data:`KEY`) with ``truth`` 0 under no effect and otherwise the
    ``column`` (``truth_window``, ``truth_observed``) of the truths estimand_calibration.py stored in ``path`` for
    the same cohorts.  Refused when a cohort under an effect has none there: other seeds would not pair."""
    t = pd.read_csv(path, float_precision="round_trip")[[*KEY, column]].drop_duplicates(KEY)
    m = rows.merge(t, on=KEY, how="left", validate="many_to_one")
    missing = (m["E"] != 0) & m[column].isna()
    if missing.any():
        world = m["world"].iloc[0]
        raise SystemExit(f"{path}: the stored truths do not hold every cohort of {world} ({int(missing.sum())} "
                         "under an effect have none: other seeds?)")  # fmt: skip
    return m.assign(truth=np.where(m["E"] == 0, 0.0, m[column])).drop(columns=column)

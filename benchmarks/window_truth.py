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

import numpy as np

WINDOW_TRUTH_MONTHS = 24.0  # the horizon (that of g-estimation's window, alscell.analysis.g_estimation)


def window_truth(diff: np.ndarray, since: np.ndarray, followed: np.ndarray) -> float:
    """Per treated patient (rows), the least-squares slope (with an intercept) of treated − untreated
    expected total ``diff`` on months ``since`` the first treatment over the observed (``followed``) visits
    from the treatment visit to WINDOW_TRUTH_MONTHS after it; then the mean over patients with two such
    visits (nan when none has)."""
    use = followed & (since >= -1e-9) & (since <= WINDOW_TRUTH_MONTHS)
    k = use.sum(1)
    x = np.where(use, since, 0.0)
    xbar = x.sum(1) / np.maximum(k, 1)
    xc = np.where(use, since - xbar[:, None], 0.0)
    sxx = (xc**2).sum(1)
    ok = (k >= 2) & (sxx > 1e-9)
    return float(((xc * np.where(use, diff, 0.0)).sum(1)[ok] / sxx[ok]).mean()) if ok.any() else float("nan")


__all__ = ["WINDOW_TRUTH_MONTHS", "window_truth"]

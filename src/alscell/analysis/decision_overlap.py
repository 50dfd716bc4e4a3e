"""How far the starts could have gone the other way: g-estimation's positivity check.

Why.  g-estimation compares, at each decision visit, patients who started with patients who, with the same
history, did not (alscell.analysis.g_estimation).  That needs positivity: at the visits where treatment starts,
not starting must also have been possible (Robins, Comm Stat 1994; Petersen et al., Stat Methods Med Res
2012;21:31-54, "Diagnosing and responding to violations in the positivity assumption").  A clinic that treats
every eligible patient at the first visit where the patient is eligible leaves almost no such visit: the
decision model then gives each start a probability near 1, the comparison rests on the few visits without a
start that the model's smooth form puts near the eligibility boundary, and the estimate is the model's
extrapolation, however many patients there are.  In the simulated registries this is what "60% treated" means in
most held-out worlds: fewer than 60% are ever eligible, so everyone who is is treated (docs/decision_overlap.md).

Measure.  ``start_overlap``: over the decision visits at which treatment started, the mean fitted probability of
*not* starting (1 − p̂).  It is also the expected number of starts among the visits without one, per start (the
logistic fit's score equation for its intercept makes the two equal), so it reads as "how many comparable visits
without a start stood against each start": near 1 when starts are rare and the model cannot foresee them (a
lottery among many visits), 0 when every start was certain.  It depends on what the decision model holds (the named terms make it smaller: they
explain the decision better).
"""

from __future__ import annotations

import numpy as np

# The warning fires below this mean probability of not starting (on average a start had less than one chance in
# four of not happening, i.e. fewer than one comparable visit without a start per four starts).  A judgement set
# on the design worlds (the sixth to sixteenth, from probes of a few cohorts; docs/decision_overlap.md now shows them:
# at 30% treated the named decision models' values lie at 0.36 and above, in the 60% cells where every eligible
# patient is treated mostly below 0.25) and registered before the seventeenth world ran
# (benchmarks/decision_occasions.py).
OVERLAP_MIN = 0.25


def start_overlap(starts: np.ndarray, p: np.ndarray) -> float:
    """The mean of 1 − ``p`` over the decision visits where ``starts`` is true (NaN without a start)."""
    s = np.asarray(starts, dtype=bool)
    if not s.any():
        return float("nan")
    return float(np.mean(1.0 - np.asarray(p, dtype=float)[s]))


def overlap_warning(overlap: float, n_starts: int) -> list[str]:
    """The warning when ``overlap`` (:func:`start_overlap`) is below :data:`OVERLAP_MIN`."""
    if not np.isfinite(overlap) or overlap >= OVERLAP_MIN:
        return []
    return [
        f"the decision model gave the {n_starts} starts a mean probability of {1 - overlap:.2f} of starting at that "
        f"visit: against each start stood {overlap:.2f} comparable visits without one, so the decisions followed "
        "the recorded history almost without exception (as when a clinic treats every eligible patient at the first "
        "visit where they are eligible).  The estimate then rests on the decision model's extrapolation and not on "
        "comparable untreated patients (positivity; Petersen et al. 2012): on simulated registries like this the "
        "estimate varied several times more between cohorts than where decisions were left to chance, and its mean "
        "leaned, mostly for treatment (docs/decision_overlap.md)."
    ]


__all__ = ["OVERLAP_MIN", "overlap_warning", "start_overlap"]

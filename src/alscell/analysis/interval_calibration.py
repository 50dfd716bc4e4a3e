"""Registry-internal recalibration of the prognosis prediction intervals (issue 16, docs/prognosis.md).

The forecast's 80% prediction intervals come from a mixed model with a random intercept and slope per
patient.  Where individual courses bend more than the model assumes, its intervals are too narrow far
ahead (benchmarks/prognosis_calibration.py).  This module checks them on the registry's own patients —
internal validation by landmarking, in the manner of split-conformal prediction — and returns one
inflation factor per horizon, computed once per fit:

1. every patient of the fit with at least two values gets a landmark at a random one of their values other
   than the last (numpy ``Generator`` with a fixed seed; patients in sorted order, so the draw is
   reproducible);
2. their random effects are recomputed from their values up to the landmark only, with the fit's population
   parameters held (``LMMResult.with_observations``: the conditional BLUP, no refit; a patient's own later
   values weigh 1/N in the population parameters, which the minimum count below keeps small);
3. for each horizon h (3, 6, 12 months) the hidden value nearest to landmark + h, within
   ± max(1.5, h/4) months, is predicted, giving one standardized residual z = (observed − predicted mean) /
   predicted SD per patient and horizon (zero when both the value and the mean are at or beyond the same end
   of the scale: the interval, clipped to the scale as shown, holds it at any width);
4. factor(h) = the split-conformal 80% quantile of |z| (the ⌈0.8 (n + 1)⌉-th smallest of n) / 1.2816, never
   below 1: intervals are only ever widened.  With fewer than ``MIN_CALIBRATION_PAIRS`` pairs at a horizon
   that horizon keeps factor 1 and :attr:`IntervalCalibration.statement` says so in one sentence.

Between horizons the factor is interpolated linearly (1 at 0 months; the last factor beyond the last
horizon).  The factor multiplies the predictive SD, so the 80% and 95% half-widths alike (the intervals are
normal on the outcome's own scale, clipped to it afterwards); the 95% interval so inherits a factor chosen
at 80%, i.e. a normal shape is assumed (benchmarks/prognosis_calibration.py prints its coverage too).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "CALIBRATION_SEED",
    "MIN_CALIBRATION_PAIRS",
    "MIN_GROUP_PAIRS",
    "Z80",
    "IntervalCalibration",
    "calibrate_intervals",
    "history_group",
    "horizon_tolerance",
]

Z80 = 1.2815515655446004  # standard normal 90th percentile: half-width of the 80% interval in SDs
MIN_CALIBRATION_PAIRS = 50  # below: no recalibration at that horizon (a design choice, not a published rule)
MIN_GROUP_PAIRS = 100  # below: a history group uses the pooled factor (same; a small group's quantile is noisy)
CALIBRATION_SEED = 16  # the landmark draw (issue 16)
METHOD = (
    "registry-internal landmark check: for patients of the fit, values after a random landmark visit are "
    "hidden and forecast from the values up to it; factor = 80% quantile of |observed - forecast| / forecast SD, "
    "divided by 1.2816, never below 1"
)


def horizon_tolerance(h: float) -> float:
    """Months around landmark + h within which a hidden value counts for horizon h."""
    return max(1.5, h / 4.0)


# History groups: the number of the patient's values the forecast rests on.  The model's intervals miss by
# different amounts for a patient seen once and one seen many times (a longer history pins a straight line
# whose bend shows later), so each group gets its own factor when it has enough pairs.
GROUPS = ((1, 1), (2, 2), (3, 4), (5, 10**9))
GROUP_LABELS = ("1", "2", "3-4", "5+")


def history_group(n_values) -> np.ndarray:
    """Index into ``GROUPS`` for each number of values (at least 1)."""
    n = np.asarray(n_values)
    return np.searchsorted(np.array([g[0] for g in GROUPS]), np.maximum(n, 1), side="right") - 1


@dataclass(frozen=True)
class IntervalCalibration:
    """Inflation factors of the predictive SD per horizon (pooled) and per horizon and history group, fitted
    once with the outcome model."""

    horizons: tuple[float, ...]
    factors: tuple[float, ...]  # pooled over history groups; 1.0 where not recalibrated
    n_pairs: tuple[int, ...]
    coverage80_before: tuple[float | None, ...]  # share of |z| ≤ 1.2816: the model's own 80% intervals here
    group_factors: tuple[tuple[float, ...], ...] = ()  # [group][horizon]: used (own, else pooled, else 1)
    group_pairs: tuple[tuple[int, ...], ...] = ()
    group_coverage80_before: tuple[tuple[float | None, ...], ...] = ()
    min_pairs: int = MIN_CALIBRATION_PAIRS
    statement: str | None = None  # one sentence when some horizon is not recalibrated

    @property
    def applied(self) -> tuple[bool, ...]:
        return tuple(n >= self.min_pairs for n in self.n_pairs)

    def factor_at(self, months_ahead, n_values=None) -> np.ndarray:
        """Factor ``months_ahead`` after the last value used: linear between the horizons, 1 at 0, the last one
        beyond; for forecasts resting on ``n_values`` values (broadcast with ``months_ahead``), their history
        group's factors, else the pooled ones."""
        ahead = np.asarray(months_ahead, dtype=float)
        xs = (0.0, *self.horizons)
        if n_values is None or not self.group_factors:
            return np.interp(ahead, xs, (1.0, *self.factors))
        a, g = np.broadcast_arrays(ahead, history_group(n_values))
        return np.choose(g, [np.interp(a, xs, (1.0, *row)) for row in self.group_factors])

    def to_json_dict(self) -> dict:
        def r(c):
            return None if c is None else round(c, 3)

        out: dict = {
            "method": METHOD,
            "min_pairs": self.min_pairs,
            "horizons": [
                {
                    "months_ahead": h,
                    "factor": round(self.factors[i], 3),
                    "n_pairs": self.n_pairs[i],
                    "applied": self.applied[i],
                    "coverage80_before": r(self.coverage80_before[i]),
                    "by_values": [
                        {
                            "values": lab,
                            "factor": round(self.group_factors[g][i], 3),
                            "n_pairs": self.group_pairs[g][i],
                            "coverage80_before": r(self.group_coverage80_before[g][i]),
                        }
                        for g, lab in enumerate(GROUP_LABELS[: len(self.group_factors)])
                    ],
                }
                for i, h in enumerate(self.horizons)
            ],
        }
        if self.statement:
            out["statement"] = self.statement
        return out


def _landmark_pairs(frame: pd.DataFrame, horizons: Sequence[float], seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per horizon, history group and patient one (landmark, hidden value) pair, vectorised over patients.

    Returns (``past``: the values up to each pair's landmark, column ``group`` = pair id; ``pairs``: one row per
    pair with ``group``, ``horizon`` (index into ``horizons``), ``hist`` (index into ``GROUPS``), ``pooled``
    (the patient's one pair for the pooled factor), ``patient_id``, ``months`` and ``y`` of the hidden value)."""
    f = frame.sort_values(["patient_id", "months", "y"], kind="mergesort").reset_index(drop=True)
    f["rank"] = f.groupby("patient_id", sort=True).cumcount()
    # every (landmark j, later value k) of a patient: Σ n_i(n_i − 1)/2 rows
    both = f.merge(f, on="patient_id", suffixes=("_lm", ""))
    both = both[both["rank"] > both["rank_lm"]]
    both = both.assign(hist=history_group(both["rank_lm"].to_numpy() + 1))
    d = (both["months"] - both["months_lm"]).to_numpy()
    rng = np.random.default_rng(seed)
    chosen = []
    for i, h in enumerate(horizons):  # a loop over the three horizons, never over patients
        c = both.assign(gap=np.abs(d - h))
        c = c[c["gap"] <= horizon_tolerance(h)]
        # the hidden value nearest to landmark + h, per landmark
        c = c.sort_values(["patient_id", "rank_lm", "gap", "rank"], kind="mergesort")
        c = c.drop_duplicates(["patient_id", "rank_lm"])
        # one landmark per patient and history group, uniformly among those with such a value (fixed row order)
        c = c.assign(key=rng.random(len(c))).sort_values(["patient_id", "hist", "key"], kind="mergesort")
        c = c.drop_duplicates(["patient_id", "hist"])
        # the pooled factor: one pair per patient, a landmark drawn uniformly among all of theirs
        pooled = c["key"].to_numpy() == c.groupby("patient_id")["key"].transform("min").to_numpy()
        chosen.append(c.assign(horizon=i, pooled=pooled))
    pairs = pd.concat(chosen, ignore_index=True)
    pairs["group"] = np.arange(len(pairs))
    # the values up to each pair's landmark
    past = f.merge(pairs[["patient_id", "rank_lm", "group"]], on="patient_id")
    past = past[past["rank"] <= past["rank_lm"]]
    return past, pairs


def _factor(z: np.ndarray) -> float:
    """Split-conformal 80% quantile of |z| (the ⌈0.8 (n + 1)⌉-th smallest) / 1.2816, never below 1."""
    n = len(z)
    k = min(n, math.ceil(0.8 * (n + 1)))
    q = float(np.partition(z, k - 1)[k - 1])
    return max(1.0, q / Z80) if math.isfinite(q) else 1.0


def calibrate_intervals(
    result,
    frame: pd.DataFrame,
    design: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    horizons: Sequence[float],
    bounds: tuple[float, float] = (-math.inf, math.inf),
    label: str = "values",
    seed: int = CALIBRATION_SEED,
    min_pairs: int = MIN_CALIBRATION_PAIRS,
    min_group_pairs: int = MIN_GROUP_PAIRS,
) -> IntervalCalibration:
    """The per-horizon factors for ``result`` (an ``LMMResult``) fitted to ``frame`` (patient_id, months, y;
    the values it was fitted to); ``design(months) -> (X, Z)`` its design; ``bounds`` the outcome's scale."""
    f = frame.dropna(subset=["months", "y"])[["patient_id", "months", "y"]]
    past, pairs = _landmark_pairs(f, horizons, seed)
    lo, hi = bounds
    z = np.zeros(len(pairs))
    if len(pairs):
        # each pair's random effects from its values up to the landmark, population parameters held
        Xp, Zp = design(past["months"].to_numpy())
        cal = result.with_observations(past["y"].to_numpy(dtype=float), Xp, Zp, past["group"].to_numpy())
        X, Z = design(pairs["months"].to_numpy())
        p = cal.predict(X, Z, groups_new=pairs["group"].to_numpy(), interval="prediction", alpha=0.2)
        mean, se, y = p["mean"].to_numpy(), p["se"].to_numpy(), pairs["y"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.abs(y - mean) / se
        held = ((y >= hi) & (mean >= hi)) | ((y <= lo) & (mean <= lo))  # clipped interval holds it at any width
        z = np.where(held, 0.0, np.where(np.isfinite(z), z, np.inf))
    which, hist, pooled = pairs["horizon"].to_numpy(), pairs["hist"].to_numpy(), pairs["pooled"].to_numpy(dtype=bool)
    factors: list[float] = []
    counts: list[int] = []
    before: list[float | None] = []
    g_f = [[1.0] * len(horizons) for _ in GROUPS]
    g_n = [[0] * len(horizons) for _ in GROUPS]
    g_b: list[list[float | None]] = [[None] * len(horizons) for _ in GROUPS]
    for i in range(len(horizons)):
        zh = z[(which == i) & pooled]
        n = len(zh)
        counts.append(n)
        before.append(float(np.mean(zh <= Z80)) if n else None)
        factors.append(_factor(zh) if n >= min_pairs else 1.0)
        for g in range(len(GROUPS)):
            zg = z[(which == i) & (hist == g)]
            g_n[g][i] = len(zg)
            g_b[g][i] = float(np.mean(zg <= Z80)) if len(zg) else None
            g_f[g][i] = _factor(zg) if len(zg) >= min_group_pairs and n >= min_pairs else factors[i]
    short = [(h, n) for h, n in zip(horizons, counts, strict=True) if n < min_pairs]
    statement = None
    if short:
        where = ", ".join(f"{h:g} months ({n})" for h, n in short)
        statement = (
            f"The {label} ranges are the model's own, not checked against this registry, at {where}: too few "
            f"patients with a later value at that distance (at least {min_pairs} are needed)."
        )
    return IntervalCalibration(
        tuple(float(h) for h in horizons),
        tuple(factors),
        tuple(counts),
        tuple(before),
        tuple(tuple(r) for r in g_f),
        tuple(tuple(r) for r in g_n),
        tuple(tuple(r) for r in g_b),
        min_pairs,
        statement,
    )

"""Performance measures of a simulated design with their Monte Carlo standard errors.

Formulas from Morris, White & Crowther, Stat Med 2019;38:2074-102, Table 6 (n_sim replications):

* rejection rate (power, or type-I error under no effect) and CI coverage p: MCSE √(p(1 − p)/n_sim);
* bias = mean(θ̂) − θ: MCSE √(Σ(θ̂ᵢ − mean θ̂)² / (n_sim(n_sim − 1)));
* empirical SE = SD(θ̂): MCSE SD/√(2(n_sim − 1));
* model SE = √mean(SE²): MCSE √(Var(SE²) / (4 n_sim · mean(SE²))).
"""

from __future__ import annotations

import math

import numpy as np


def rate(x: np.ndarray) -> dict:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    n = len(x)
    p = float(x.mean()) if n else math.nan
    return {"value": p, "mcse": math.sqrt(p * (1 - p) / n) if n else math.nan, "n": n}


def bias(est: np.ndarray, truth: float) -> dict:
    est = np.asarray(est, float)
    est = est[np.isfinite(est)]
    n = len(est)
    if not n or not math.isfinite(truth):
        return {"value": math.nan, "mcse": math.nan, "n": n}
    return {
        "value": float(est.mean() - truth),
        "mcse": float(est.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
        "n": n,
    }


def coverage(lower: np.ndarray, upper: np.ndarray, truth: float) -> dict:
    if not math.isfinite(truth):
        return {"value": math.nan, "mcse": math.nan, "n": 0}
    ok = np.isfinite(lower) & np.isfinite(upper)
    return rate(((lower <= truth) & (truth <= upper))[ok].astype(float))


def empirical_se(est: np.ndarray) -> dict:
    est = np.asarray(est, float)
    est = est[np.isfinite(est)]
    n = len(est)
    if n < 2:
        return {"value": math.nan, "mcse": math.nan, "n": n}
    sd = float(est.std(ddof=1))
    return {"value": sd, "mcse": sd / math.sqrt(2 * (n - 1)), "n": n}


def model_se(se: np.ndarray) -> dict:
    se = np.asarray(se, float)
    se = se[np.isfinite(se)]
    n = len(se)
    if n < 2:
        return {"value": math.nan, "mcse": math.nan, "n": n}
    v = se**2
    m = float(v.mean())
    return {"value": math.sqrt(m), "mcse": math.sqrt(float(v.var(ddof=1)) / (4 * n * m)), "n": n}


__all__ = ["bias", "coverage", "empirical_se", "model_se", "rate"]

"""Brute-force M-estimation for the g-estimation solvers' tests (tests/analysis/test_g_waning.py,
test_g_modifiers.py): a Newton logistic fit and the sandwich of stacked estimating functions with the
Jacobian by central differences — independent of the closed forms they check."""

from collections.abc import Callable

import numpy as np


def expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def logistic(X: np.ndarray, A: np.ndarray) -> np.ndarray:
    """Maximum-likelihood coefficients of a logistic regression of A on X (plain Newton)."""
    g = np.zeros(X.shape[1])
    for _ in range(50):
        p = expit(X @ g)
        g += np.linalg.solve((X * (p * (1 - p))[:, None]).T @ X, X.T @ (A - p))
    return g


def sandwich(per_patient: Callable[[np.ndarray], np.ndarray], theta_hat: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """J⁻¹ (UᵀU) J⁻ᵀ: ``per_patient(θ)`` gives every estimating function summed per patient (patients ×
    parameters); J is the Jacobian of their total by central differences, U their values at ``theta_hat``."""
    m = theta_hat.size
    J = np.zeros((m, m))
    for j in range(m):
        e = np.zeros(m)
        e[j] = h
        J[:, j] = (per_patient(theta_hat + e).sum(0) - per_patient(theta_hat - e).sum(0)) / (2 * h)
    U = per_patient(theta_hat)
    Jinv = np.linalg.inv(J)
    return Jinv @ (U.T @ U) @ Jinv.T

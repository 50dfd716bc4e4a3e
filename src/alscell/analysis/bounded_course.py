"""Mixed models whose mean is a nonlinear function of a linear predictor, fitted by Lindstrom–Bates
linearisation; and the link of the bounded ALSFRS-R scale (``lmm_counterfactual(..., bounds="censored")``).

Why (docs/world2_ablation.md, docs/course_shape.md): the default fits each patient's course as a straight
random line in points.  ALSFRS-R is bounded: a patient followed into the floor of 0 stays there while the
line goes on falling, so the straight line bends away from the data exactly where follow-up is long, and
the slope change leans against treatment (the second world without death or loss to follow-up: −0.13
points/month under no effect).  :class:`CensoredMean` keeps the course a straight line *of the latent
function* and says what is observed: the latent value plus noise, clipped to the scale.  With normal noise
of SD σ the mean of the observed score is

    m(μ) = g(μ) − g(μ − top),   g(v) = v·Φ(v/σ) + σ·φ(v/σ)

(g is the mean of max(0, N(v, σ²)); Johnson, Kotz & Balakrishnan, *Continuous Univariate Distributions*
vol. 1, truncated and censored normal moments): the identity away from the bounds, flattening at 0 and at
the top over the width of the noise.  σ is the model's own residual SD, re-estimated at every step, so the
link has no setting of its own.  The slope change enters the latent course (μ = xᵀβ + δ·post + zᵀb), as a
treatment that slows the decline of function does: where the latent course is below the floor it does not
show.  Far from the bounds the model *is* the default's linear mixed model.

The mean is right; the variance near the bounds is not modelled (it shrinks there), so this is a
quasi-likelihood fit — the sandwich (CR2) standard error of the default carries over.

Fitting (:func:`fit_linearised`): Lindstrom & Bates (Biometrics 1990), the algorithm of R's ``nlme``.  At
the current estimates, with m′ = dm/dμ at μ̂, the working response w = y − m(μ̂) + m′·μ̂ follows the
*linear* mixed model w = (m′x)ᵀβ + (m′z)ᵀb + ε, which the fast LMM fits (REML); its estimates and BLUPs give
the next μ̂; iterated until the fixed effects change by less than ``tol`` (relative).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import pandas as pd
from scipy.special import ndtr

from alscell.analysis.model_fit import MixedFit, fit_mixed

_SQRT_2PI = float(np.sqrt(2.0 * np.pi))


class Link(Protocol):
    def __call__(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...  # mean and its derivative

    def start(self, y: np.ndarray) -> np.ndarray: ...  # the response of the linear starting fit


@dataclass(frozen=True)
class CensoredMean:
    """m(μ) = E[clip(μ + ε, 0, top)], ε ~ N(0, σ²) (module docstring); σ ≤ 0: estimated by the fit."""

    top: float
    sigma: float = 0.0

    def __call__(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sd = self.sigma
        a, b = u / sd, (u - self.top) / sd
        m = u * ndtr(a) + sd * np.exp(-0.5 * a * a) / _SQRT_2PI
        m -= (u - self.top) * ndtr(b) + sd * np.exp(-0.5 * b * b) / _SQRT_2PI
        return m, ndtr(a) - ndtr(b)

    def start(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(y, dtype=float)


@dataclass
class LinearisedFit:
    """The final linearised fit (coefficients named as the linear predictor's columns), its working
    response, the link at convergence, the number of steps and whether the fixed point was reached."""

    fit: MixedFit
    working: np.ndarray
    link: Link
    iterations: int
    converged: bool


def _predictor(fit: MixedFit, X: np.ndarray, Z: np.ndarray, gid: np.ndarray, names: list[str]) -> np.ndarray:
    """μ̂ = x β̂ + z b̂ with ``X``'s columns named ``names`` (a column fit_mixed left out as aliased counts 0;
    a random slope it had to drop counts 0)."""
    res = fit.result
    fe = res.fe_params
    beta = np.array([float(fe[n]) if n in fe.index else 0.0 for n in names])
    b = np.zeros((len(gid), Z.shape[1]))
    re = res.random_effects.to_numpy()[pd.Index(res.group_labels).get_indexer(gid)]
    b[:, : re.shape[1]] = re
    return X @ beta + np.einsum("ij,ij->i", Z, b)


def fit_linearised(
    y: np.ndarray,
    X: np.ndarray,
    Z: np.ndarray,
    gid: np.ndarray,
    names: list[str],
    link: Link,
    *,
    outside: tuple[str, np.ndarray] | None = None,
    required: tuple[str, ...] = (),
    cov_type: str = "robust",
    max_iter: int = 50,
    tol: float = 1e-5,
) -> LinearisedFit:
    """Lindstrom–Bates fit of y = m(Xβ + Zb) (+ γ·v for ``outside = (name, v)``, a term added to the mean
    outside the link) + ε, b ~ N(0, D) per ``gid``.  A :class:`CensoredMean` link with σ ≤ 0 takes σ from
    the latest fit's residual variance at every step."""
    names = list(names)
    all_names = names + ([outside[0]] if outside else [])
    free_sd = isinstance(link, CensoredMean) and link.sigma <= 0
    codes = pd.factorize(gid)[0]  # integer groups inside the loop (labels are slow to sort); labels at the end
    fit = fit_mixed(link.start(y), X, Z, codes, names, required=tuple(r for r in required if r in names),
                    cov_type="model", df_method="none")  # fmt: skip
    u = _predictor(fit, X, Z, codes, names)
    prev: np.ndarray | None = None
    done, it = False, 0
    while not done and it < max_iter:
        it += 1
        if free_sd:
            link = replace(link, sigma=float(np.sqrt(fit.result.scale)))  # type: ignore[type-var]
        m, dm = link(u)
        w = y - m + dm * u
        Xl = dm[:, None] * X
        if outside:
            Xl = np.column_stack([Xl, outside[1]])
        fit = fit_mixed(w, Xl, dm[:, None] * Z, codes, all_names, required=required, cov_type="model",
                        df_method="none", start=fit.result)  # fmt: skip
        u = _predictor(fit, X, Z, codes, names)
        cur = fit.result.fe_params.to_numpy()
        done = (
            prev is not None
            and len(prev) == len(cur)
            and np.max(np.abs(cur - prev) / np.maximum(np.abs(prev), 1e-3)) < tol
        )
        prev = cur
    final = fit_mixed(w, Xl, dm[:, None] * Z, gid, all_names, required=required, cov_type=cov_type, df_method="none",
                      start=fit.result)  # fmt: skip
    return LinearisedFit(final, w, link, it, bool(done))


__all__ = ["CensoredMean", "LinearisedFit", "Link", "fit_linearised"]

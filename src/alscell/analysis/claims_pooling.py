"""Partial pooling of the claims table: one random-effects model per measure × window across its
route × cell-source cells (empirical Bayes).

Why: the claims table answers the article's claims one cell at a time (route × cell source × window ×
measure); with hundreds of cells a few always look striking by chance.  The question a reader asks is
"does treatment change this measure in this window, and does route or cell source matter?".  A
random-effects model across the cells of one measure × window answers both at once:

    y_i ~ N(θ_i, v_i),   θ_i ~ N(μ, τ²)

* ``y_i``: a cell's estimate from :func:`alscell.analysis.claims.claims_table`; ``v_i`` its CR2 variance.
  A cell's CR2 SE with Bell–McCaffrey df ``d_i`` is itself noisy, so ``v_i`` is the variance of the
  cell's t reference distribution, ``se_i² · d_i / (d_i − 2)`` (cells with ``d_i ≤ MIN_DF`` are left out
  of the pooling and named): a cell whose SE came out small by chance would otherwise take over the pool.
* ``τ²`` by Paule–Mandel (statsmodels ``combine_effects(method_re="iterated")``; Veroniki et al., Res
  Synth Methods 2016, recommend it over DerSimonian–Laird); its 95% interval by the Q-profile method
  (Viechtbauer, Stat Med 2007).
* ``μ`` (the treatment's average deviation in that measure and window) with the Hartung–Knapp–Sidik–
  Jonkman interval (t with k − 1 df, scale not below 1: Röver et al., BMC Med Res Methodol 2015), which
  keeps its coverage with few cells.
* Shrunken cell estimates (empirical-Bayes BLUPs) ``θ̂_i = μ̂ + (1 − B_i)(y_i − μ̂)``, ``B_i = v_i/(v_i + τ̂²)``,
  with the variance that also carries the uncertainty of ``μ̂``: ``v_i(1 − B_i) + B_i² Var(μ̂)`` (Raudenbush &
  Bryk 2002, eq. 3.62; metafor's ``blup``).  Its interval is a t interval whose df combine the two parts
  by Welch–Satterthwaite: the cell's own part with the cell's df ``d_i``, the μ part with μ's k − 1 (HKSJ)
  df.  A normal interval here under-covered under no effect: with τ̂² = 0 a cell's interval is μ's HKSJ
  interval, and z in place of t on k − 1 df is too narrow for k ≈ 10 cells (docs/claims_pooling_calibration.md
  measures the t interval's coverage).
* "Does route / cell source matter?": Cochran's Q test of τ² = 0 (χ² with k − 1 df).

Cells of one measure × window come from one mixed model and share its natural-history terms, so they
are not exactly independent; the pooling treats them as independent (stated in every result's notes).
The calibration of these intervals and of the heterogeneity test is measured by
``benchmarks/claims_pooling_calibration.py`` (docs/claims_pooling_calibration.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from alscell.analysis.results import ClaimsResult, TableResult

# Cells whose CR2 Bell–McCaffrey df are at or below this have no finite t variance (df ≤ 2) or one so
# inflated (df ≤ 3: 3×) that they carry no usable information into the pool.
MIN_DF = 3.0
DEPENDENCE_NOTE = (
    "Pooled cells of one measure and window share one mixed model's natural-history terms; the pooling "
    "treats them as independent."
)


@dataclass
class PooledCellsResult(TableResult):
    """One row per pooled claims cell: its own and its shrunken (partially pooled) estimate."""

    KIND: ClassVar[str] = "claims_pooled_cells"
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "domain", "measure", "window", "route", "cell_source", "estimate", "variance", "shrinkage",
        "pooled_estimate", "pooled_ci_low", "pooled_ci_high", "unit",
    )  # fmt: skip


@dataclass
class PooledClaimsResult(TableResult):
    """One row per measure × window: the average deviation μ across its cells, the between-cell
    heterogeneity τ and the test of "does route / cell source matter?".  ``cells`` holds the shrunken
    cell estimates."""

    KIND: ClassVar[str] = "claims_pooled"
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "domain", "measure", "window", "k", "mu", "mu_ci_low", "mu_ci_high", "mu_p", "mu_p_adjusted",
        "verdict", "tau", "tau_ci_low", "tau_ci_high", "q", "q_p", "i2", "unit",
    )  # fmt: skip

    cells: PooledCellsResult | None = None

    def to_json_dict(self) -> dict:
        out = super().to_json_dict()
        out["cells"] = (self.cells or PooledCellsResult.empty()).to_json_dict()
        return out


@dataclass(frozen=True)
class RandomEffects:
    """A fitted random-effects model of k estimates (see the module docstring)."""

    mu: float
    mu_se: float
    mu_ci: tuple[float, float]
    mu_p: float
    tau2: float
    tau2_ci: tuple[float, float]
    q: float
    q_p: float
    i2: float
    blup: np.ndarray
    blup_se: np.ndarray
    blup_df: np.ndarray


def _q_stat(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    """Generalised Q at τ²: Σ w_i (y_i − μ̂(τ²))² with w_i = 1/(v_i + τ²)."""
    w = 1.0 / (v + tau2)
    mu = float((w * y).sum() / w.sum())
    return float((w * (y - mu) ** 2).sum())


def _q_profile(y: np.ndarray, v: np.ndarray, alpha: float) -> tuple[float, float]:
    """Q-profile interval for τ² (Viechtbauer 2007): the τ² where Q(τ²) crosses χ²_{k−1} quantiles.
    Q(τ²) decreases in τ²; a bound whose quantile Q(0) already lies below is 0."""
    from scipy import optimize, stats

    k = len(y)
    hi_q, lo_q = stats.chi2.ppf([1 - alpha / 2, alpha / 2], k - 1)
    upper_end = 100.0 * max(float(np.var(y, ddof=1)), float(v.max()), 1e-12)

    def root(target: float) -> float:
        f = lambda t2: _q_stat(y, v, t2) - target  # noqa: E731
        if f(0.0) <= 0:
            return 0.0
        if f(upper_end) > 0:
            return float("inf")
        return float(optimize.brentq(f, 0.0, upper_end, xtol=1e-12))

    return root(hi_q), root(lo_q)


def random_effects(y: np.ndarray, v: np.ndarray, *, df: np.ndarray | None = None, alpha: float = 0.05) -> RandomEffects:
    """Paule–Mandel random-effects model of estimates ``y`` with variances ``v`` (k ≥ 2).

    ``df``: each estimate's degrees of freedom (infinite when ``None``: ``v`` known), used only for the
    Welch–Satterthwaite df of the shrunken estimates (``blup_df``)."""
    from scipy import stats
    from statsmodels.stats.meta_analysis import combine_effects

    y = np.asarray(y, float)
    v = np.asarray(v, float)
    k = len(y)
    if k < 2:
        raise ValueError("a random-effects model needs at least two estimates")
    res = combine_effects(y, v, method_re="iterated")
    tau2 = float(res.tau2)
    w = 1.0 / (v + tau2)
    mu = float((w * y).sum() / w.sum())
    # Hartung–Knapp–Sidik–Jonkman with the scale truncated at 1 (never narrower than the plain RE interval)
    scale = max(1.0, float((w * (y - mu) ** 2).sum() / (k - 1)))
    mu_var = scale / float(w.sum())
    mu_se = float(np.sqrt(mu_var))
    crit = float(stats.t.ppf(1 - alpha / 2, k - 1))
    mu_p = float(2 * stats.t.sf(abs(mu) / mu_se, k - 1)) if mu_se > 0 else float("nan")
    q = _q_stat(y, v, 0.0)
    q_p = float(stats.chi2.sf(q, k - 1))
    i2 = max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0
    B = v / (v + tau2)
    blup = mu + (1 - B) * (y - mu)
    own, pooled = v * (1 - B), B**2 * mu_var
    blup_se = np.sqrt(own + pooled)
    d_own = np.full(k, np.inf) if df is None else np.asarray(df, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Welch–Satterthwaite: (a + b)² / (a²/d_a + b²/d_b); a part that is exactly 0 contributes nothing
        blup_df = (own + pooled) ** 2 / (own**2 / d_own + pooled**2 / (k - 1))
    blup_df = np.where(np.isfinite(blup_df), blup_df, np.inf)
    return RandomEffects(
        mu=mu,
        mu_se=mu_se,
        mu_ci=(mu - crit * mu_se, mu + crit * mu_se),
        mu_p=mu_p,
        tau2=tau2,
        tau2_ci=_q_profile(y, v, alpha),
        q=q,
        q_p=q_p,
        i2=i2,
        blup=blup,
        blup_se=blup_se,
        blup_df=blup_df,
    )


def pool_claims(claims: ClaimsResult, *, alpha: float = 0.05) -> PooledClaimsResult:
    """Partially pool a claims table (``ClaimsResult`` with ``se`` and ``df``) per measure × window.

    ``mu_p_adjusted`` is Holm-adjusted over the measure × window families of the table; ``verdict`` is
    ``supported`` / ``harm`` when it is below ``alpha``, else ``not shown`` (positive = benefit)."""
    from scipy import stats
    from statsmodels.stats.multitest import multipletests

    table = claims.table
    notes: list[str] = []
    fam_rows: list[dict] = []
    cell_rows: list[dict] = []
    for (domain, measure, window), g in table.groupby(["domain", "measure", "window"], sort=False):
        usable = g[(g["df"] > MIN_DF) & np.isfinite(g["se"]) & (g["se"] > 0)]
        dropped = len(g) - len(usable)
        if dropped:
            notes.append(
                f"{measure}, window {window}: {dropped} cell(s) with ≤ {MIN_DF:g} degrees of freedom left out of the pooling."
            )
        if len(usable) < 2:
            continue
        d = usable["df"].to_numpy(float)
        v = usable["se"].to_numpy(float) ** 2 * d / (d - 2)
        y = usable["estimate"].to_numpy(float)
        re = random_effects(y, v, df=d, alpha=alpha)
        crit = stats.t.ppf(1 - alpha / 2, re.blup_df)
        unit = g["unit"].iloc[0]
        fam_rows.append(
            dict(
                domain=domain,
                measure=measure,
                window=window,
                k=len(usable),
                mu=re.mu,
                mu_ci_low=re.mu_ci[0],
                mu_ci_high=re.mu_ci[1],
                mu_p=re.mu_p,
                tau=np.sqrt(re.tau2),
                tau_ci_low=np.sqrt(re.tau2_ci[0]),
                tau_ci_high=np.sqrt(re.tau2_ci[1]),
                q=re.q,
                q_p=re.q_p,
                i2=re.i2,
                unit=unit,
            )
        )
        for (_, r), b, bse, vi, q in zip(usable.iterrows(), re.blup, re.blup_se, v, crit, strict=True):
            cell_rows.append(
                dict(
                    domain=domain,
                    measure=measure,
                    window=window,
                    route=r["route"],
                    cell_source=r["cell_source"],
                    estimate=r["estimate"],
                    variance=vi,
                    shrinkage=vi / (vi + re.tau2),
                    pooled_estimate=b,
                    pooled_ci_low=b - q * bse,
                    pooled_ci_high=b + q * bse,
                    unit=unit,
                )
            )
    cells = pd.DataFrame(cell_rows, columns=list(PooledCellsResult.COLUMNS))
    fam = pd.DataFrame(
        fam_rows, columns=[c for c in PooledClaimsResult.COLUMNS if c not in ("mu_p_adjusted", "verdict")]
    )
    if fam.empty:
        fam = fam.assign(mu_p_adjusted=[], verdict=[])
    else:
        fam["mu_p_adjusted"] = multipletests(fam["mu_p"], method="holm")[1]
        fam["verdict"] = np.where(
            fam["mu_p_adjusted"] < alpha, np.where(fam["mu"] > 0, "supported", "harm"), "not shown"
        )
        notes.append(DEPENDENCE_NOTE)
    return PooledClaimsResult(fam, notes, cells=PooledCellsResult(cells))


__all__ = ["MIN_DF", "PooledCellsResult", "PooledClaimsResult", "RandomEffects", "pool_claims", "random_effects"]

"""A natural-history model whose slope wanders: the default's mixed model plus an integrated
Ornstein–Uhlenbeck (IOU) process per patient, fitted by REML (Taylor, Cumberland & Sy, JASA 1994;89:727–736).

Why: the default reads a bend before treatment as noise around each patient's straight course, and an
event-study variant that frees the window before treatment reads it as a passing stretch
(docs/event_window.md); each is right on one world and wrong on the other.  In the IOU model each patient's
slope deviates from its own mean slope by a stationary process with SD ``nu`` (points/month) that returns
to the mean at rate ``alpha`` per month: ``alpha`` near 0 makes a bend last (a random slope), a large
``alpha`` makes it pass.  Both are estimated from all the courses, most of them untreated, so the
counterfactual course after treatment is the conditional expectation given the patient's history with the
bend's persistence learned from the data rather than assumed.

Covariance of W (W(0) = 0 at the patient's first analysed visit, s ≤ t in months):
``nu²/alpha² · (2·alpha·s + e^(−alpha·s) + e^(−alpha·t) − 1 − e^(−alpha·(t−s)))`` (Taylor et al. 1994, eq. 3,
with sigma² = 2·alpha·nu²).  The slope change is the GLS coefficient of the default's ``post`` term; its SE
the cluster-robust sandwich (CR1, patients as clusters).

    .venv/bin/python benchmarks/stochastic_slope.py --workers 2 --write-md docs/stochastic_slope.md
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

ALPHA_BOUNDS = (0.005, 5.0)  # per month: a bend's memory from 200 months down to a week


@dataclass(frozen=True)
class IOUFit:
    estimate: float
    se: float
    df: float
    alpha: float
    nu: float
    sigma_e: float
    sd_intercept: float
    sd_slope: float
    converged: bool


def _padded(df: pd.DataFrame, X: np.ndarray, Z: np.ndarray):
    """Per-patient arrays padded to the largest number of visits: y (N,m), X (N,m,p), Z (N,m,q), s (N,m)
    months since the patient's first visit, and the mask of real visits."""
    gid = df["patient_id"].to_numpy()
    codes, _ = pd.factorize(gid)
    order = np.lexsort((df["months"].to_numpy(), codes))
    codes, t = codes[order], df["months"].to_numpy(dtype=float)[order]
    y = df["y"].to_numpy(dtype=float)[order]
    X, Z = X[order], Z[order]
    n = codes.max() + 1
    counts = np.bincount(codes, minlength=n)
    m = int(counts.max())
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(len(codes)) - starts[codes]
    mask = np.zeros((n, m), bool)
    mask[codes, pos] = True
    Y = np.zeros((n, m))
    Y[codes, pos] = y
    XX = np.zeros((n, m, X.shape[1]))
    XX[codes, pos] = X
    ZZ = np.zeros((n, m, Z.shape[1]))
    ZZ[codes, pos] = Z
    first = t[starts]
    S = np.zeros((n, m))
    S[codes, pos] = t - first[codes]
    return Y, XX, ZZ, S, mask


def _iou(S: np.ndarray, alpha: float, nu: float) -> np.ndarray:
    s, t = S[:, :, None], S[:, None, :]
    lo = np.minimum(s, t)
    return (nu**2 / alpha**2) * (
        2 * alpha * lo + np.exp(-alpha * s) + np.exp(-alpha * t) - 1 - np.exp(-alpha * np.abs(t - s))
    )


def _covariance(theta: np.ndarray, ZZ, S, mask) -> np.ndarray:
    l0, l1, r, lnu, la, le = theta
    sd0, sd1, rho = np.exp(l0), np.exp(l1), np.tanh(r)
    G = np.array([[sd0**2, rho * sd0 * sd1], [rho * sd0 * sd1, sd1**2]])
    V = np.einsum("nij,jk,nlk->nil", ZZ, G, ZZ) + _iou(S, np.exp(la), np.exp(lnu))
    V += np.exp(2 * le) * np.eye(S.shape[1])[None]
    out = mask[:, :, None] & mask[:, None, :]
    V = np.where(out, V, 0.0)
    pad = ~mask
    V[pad, pad.nonzero()[1]] = 1.0  # padded positions: an identity block that adds nothing
    return V


def _gls(theta, Y, XX, ZZ, S, mask):
    V = _covariance(theta, ZZ, S, mask)
    L = np.linalg.cholesky(V)
    rhs = np.concatenate([XX, Y[:, :, None]], axis=2)
    W = np.linalg.solve(L, rhs)  # L⁻¹[X y]
    p = XX.shape[2]
    WX, Wy = W[:, :, :p], W[:, :, p]
    A = np.einsum("nij,nik->jk", WX, WX)
    b = np.einsum("nij,ni->j", WX, Wy)
    beta = np.linalg.solve(A, b)
    logdet = 2 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum()
    quad = float((Wy**2).sum() - b @ beta)
    return beta, A, logdet, quad, V


def _reml(theta, *data) -> float:
    try:
        _, A, logdet, quad, _ = _gls(theta, *data)
        sign, ld_a = np.linalg.slogdet(A)
    except np.linalg.LinAlgError:
        return 1e12
    return 0.5 * (logdet + ld_a + quad) if sign > 0 else 1e12


def fit_iou(df: pd.DataFrame, n_knots: int = 4) -> IOUFit:
    """The default's design plus an IOU process per patient (module docstring), on the analysis frame of
    ``alscell.analysis.effects.prepare``; the slope change after treatment with its CR1 SE."""
    from scipy.optimize import minimize

    from alscell.analysis.effects import course_design
    from alscell.analysis.model_fit import independent_columns
    from alscell.domain.time import DAYS_PER_MONTH as DPM

    d = df["days_after"].to_numpy(dtype=float)
    post = np.where(np.isfinite(d) & (d >= 0), d / DPM, 0.0)
    X0, names0, Z = course_design(df, n_knots)
    X = np.column_stack([X0, post])
    names = [*names0, "post"]
    keep = independent_columns(X, [0, len(names) - 1, *range(1, len(names) - 1)])
    keep = sorted(keep)
    X, names = X[:, keep], [names[j] for j in keep]
    data = _padded(df, X, Z)
    y = df["y"].to_numpy(dtype=float)
    theta0 = np.array([np.log(np.std(y) / 2), np.log(0.3), 0.0, np.log(0.3), np.log(0.2), np.log(1.5)])
    bounds = [(None, None), (-8, None), (-3, 3), (-8, 2), tuple(np.log(ALPHA_BOUNDS)), (-5, None)]
    res = minimize(_reml, theta0, args=data, method="L-BFGS-B", bounds=bounds)
    theta = res.x
    beta, A, _, _, V = _gls(theta, *data)
    Y, XX, _, _, _ = data
    R = Y - np.einsum("nij,j->ni", XX, beta)
    u = np.einsum("nij,ni->nj", XX, np.linalg.solve(V, R[:, :, None])[:, :, 0])  # X_i' V_i⁻¹ r_i
    bread = np.linalg.inv(A)
    g = len(Y)
    cov = bread @ (u.T @ u) @ bread * g / (g - 1)
    k = names.index("post")
    return IOUFit(
        estimate=float(beta[k]),
        se=float(np.sqrt(cov[k, k])),
        df=float(g - 1),
        alpha=float(np.exp(theta[4])),
        nu=float(np.exp(theta[3])),
        sigma_e=float(np.exp(theta[5])),
        sd_intercept=float(np.exp(theta[0])),
        sd_slope=float(np.exp(theta[1])),
        converged=bool(res.success),
    )


ENTROPY = 20261205


def run_chunk(items: list[tuple], n: int) -> list[dict]:
    warnings.simplefilter("ignore")
    from event_window import cohort_with_default, t_row

    rows = []
    for world, share, effect, seed in items:
        df, base, default = cohort_with_default(world, n, share, effect, seed)
        f = fit_iou(df)
        rows += [default, t_row(base, "stochastic slope", f.estimate, f.se, f.df, alpha=f.alpha, nu=f.nu,
                                converged=f.converged)]  # fmt: skip
    return rows


def main(argv=None) -> int:
    from rich.console import Console

    from event_window import markdown, run_worlds, summarise, worlds_parser
    from results_page import finish

    args = worlds_parser(__doc__, 1000).parse_args(argv)
    console = Console()
    raw, minutes = run_worlds(run_chunk, args, ENTROPY, "stochastic slope", console, chunk=2)
    iou = raw[raw["estimator"] == "stochastic slope"]
    persist = iou.groupby(["world", "share"], sort=False).agg(alpha=("alpha", "median"), nu=("nu", "median"),
                                                               converged=("converged", "mean"))  # fmt: skip
    table = markdown(summarise(raw)) + "\n\n" + persistence_table(persist)
    finish(console, table, minutes, args.write_md, MD, "stochastic_slope.py", argv,
           entropy=ENTROPY, n=args.patients, workers=args.workers, reading=READING)  # fmt: skip
    return 0


def persistence_table(p: pd.DataFrame) -> str:
    lines = [
        "| world | share | median alpha (per month) | median nu (points/month) | fits converged |",
        "|---|---|---|---|---|",
    ]
    for (w, s), r in p.iterrows():
        lines.append(f"| {w} | {s:.0%} | {r.alpha:.3f} | {r.nu:.3f} | {r.converged:.0%} |")
    return "\n".join(lines)


MD = """# A natural-history model whose slope wanders (integrated Ornstein–Uhlenbeck)

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}).

The default (`lmm_counterfactual`) and the same mixed model with an integrated Ornstein–Uhlenbeck slope
process per patient (REML; the slope change's SE cluster-robust, CR1, df = patients − 1) on the same cohorts
of {n} patients of `alscell.simulate`, the second world and the held-out third world (truth = its realised
slope change).  "outside 2 MCSE": bias against 0 ± 2 empirical MCSE, coverage against the band computed at 0.95.  The
second table: the persistence the model learned (alpha: the rate at which a patient's slope returns to its
mean, per month; nu: the SD of the slope's deviation).

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the tables above (rerun to check).  The model learns a different persistence on each
  world: on the second a bend lasts (alpha about 0.04 per month, a memory of about two years: its courses
  accelerate), on `alscell.simulate` and the held-out third world it passes within about five months (alpha
  about 0.2).  But it does not remove the third world's lean: under no effect and 0.2 the bias is -0.020 to
  -0.031 points/month, the default's, and in units of its (smaller) SE larger (-0.8 to -1.3).  On the second
  world it cuts the default's lean at 60% treated (+0.006 against +0.028 under no effect) and adds one at 30%
  (-0.019 against -0.003).  On `alscell.simulate` the two agree.  Tried and not kept.
* So the event-study variant's fix on the third world (docs/event_window.md) is not a matter of how long a
  bend lasts on average.  A reading, not measured here: the third world's stable spells switch between two
  rates (none, then the patient's full decline), and the eligibility cut-off picks patients who are in one at
  the decision; a Gaussian slope process with one memory for everyone does not represent that selection."""

if __name__ == "__main__":
    raise SystemExit(main())

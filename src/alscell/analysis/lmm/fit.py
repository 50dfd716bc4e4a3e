"""Fitting entry points: :func:`fit_lmm`, :func:`fit_lmm_frame`, :class:`LMM`."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .design import GroupStats, build_stats, factorize_groups
from .errors import ConvergenceWarning, FallbackWarning
from .inference import compute, hessian_quantities
from .likelihood import Structure
from .optim import lbfgs_fit, moment_start, newton_batch, normalize_lambda
from .results import LMMResult

__all__ = ["LMM", "fallback_chain", "fit_lmm", "fit_lmm_frame", "fit_stats"]

_COV_TYPES = ("model", "expected", "robust")
_DF_METHODS = ("satterthwaite", "residual", "none")


def fallback_chain(q: int) -> list[tuple[tuple[int, ...], bool]]:
    """Random-effects structures tried in order: (columns kept, diagonal?).

    Unstructured on all q terms → drop the last term (e.g. curvature) →
    … → random intercept (first column) only.  Correlations are kept at
    every step (intercept–slope correlation matters for ALS courses); the
    highest-order term is what goes first.
    """
    return [(tuple(range(m)), False) for m in range(q, 0, -1)]


def _start_candidates(stats: GroupStats, structure: Structure, user_theta) -> list[np.ndarray]:
    cands = []
    if user_theta is not None:
        cands.append(np.asarray(user_theta, dtype=float))
    mom = moment_start(stats, structure)[0]
    cands.append(mom)
    cands.append(mom * 0.1)
    q = structure.q
    diag = np.zeros((q, q))
    zs = np.sqrt(np.maximum(np.diagonal(stats.dsum(stats.ZtZ)[0]) / stats.n_obs[0], 1e-12))
    diag[np.arange(q), np.arange(q)] = 1.0 / zs
    cands.append(structure.from_lambda(diag[None])[0])
    return cands


def fit_stats(
    stats: GroupStats, structure: Structure, reml: bool, user_theta=None, maxiter: int = 500, tol: float = 1e-9
) -> dict:
    """Optimise one data set for one structure; several starts if needed."""
    tried = []
    best = None
    cands = _start_candidates(stats, structure, user_theta)
    # 1) damped Newton straight from the first (user / moment) start: fastest path
    th0 = cands[0]
    if np.all(np.isfinite(th0)):
        nt = newton_batch(stats, structure, reml, th0[None], maxiter=40, tol=tol, polish="step")
        rec = {
            "start": 0,
            "method": "newton",
            "lbfgs_success": None,
            "lbfgs_message": "",
            "lbfgs_iter": 0,
            "lbfgs_nfev": 0,
            "newton_iter": int(nt["n_iter"][0]),
            "n_eval": int(nt["n_eval"][0]),
            "newton_decrement": float(nt["decrement"][0]),
            "grad_norm": float(np.abs(nt["grad"][0]).max()),
            "converged": bool(nt["converged"][0]) and bool(np.isfinite(nt["dev"][0])),
            "dev": float(nt["dev"][0]),
            "theta": nt["theta"][0],
        }
        tried.append(rec)
        best = rec
        if rec["converged"]:
            return {"best": best, "tried": tried}
    # 2) L-BFGS-B from several starts, each polished by Newton
    for i, th0 in enumerate(cands):
        if not np.all(np.isfinite(th0)):
            continue
        lb = lbfgs_fit(stats, structure, reml, th0, maxiter=maxiter)
        nt = newton_batch(stats, structure, reml, lb["theta"][None], maxiter=30, tol=tol, polish="step")
        rec = {
            "start": i,
            "method": "lbfgs+newton",
            "lbfgs_success": lb["success"],
            "lbfgs_message": lb["message"],
            "lbfgs_iter": lb["nit"],
            "lbfgs_nfev": lb["nfev"],
            "newton_iter": int(nt["n_iter"][0]),
            "n_eval": int(lb["nfev"]) + int(nt["n_eval"][0]),
            "newton_decrement": float(nt["decrement"][0]),
            "grad_norm": float(np.abs(nt["grad"][0]).max()),
            "converged": bool(nt["converged"][0]) and bool(np.isfinite(nt["dev"][0])),
            "dev": float(nt["dev"][0]),
            "theta": nt["theta"][0],
        }
        tried.append(rec)
        if (
            best is None
            or (rec["converged"] and not best["converged"])
            or (rec["converged"] == best["converged"] and rec["dev"] < best["dev"])
        ):
            best = rec
        if rec["converged"]:
            break
    return {"best": best, "tried": tried}


def _structure_for(q: int, diag: bool) -> Structure:
    return Structure.diagonal(q) if diag else Structure.unstructured(q)


def _theta_from_start(start, structure: Structure, cols) -> np.ndarray | None:
    if start is None:
        return None
    if isinstance(start, LMMResult):
        Lam_full = np.zeros((max(max(cols) + 1, start.lambda_.shape[0]),) * 2)
        rc = start.re_cols
        Lam_full[np.ix_(rc, rc)] = start.lambda_
        Lam = Lam_full[np.ix_(cols, cols)]
        return structure.from_lambda(Lam[None])[0]
    a = np.asarray(start, dtype=float)
    if a.ndim == 2:
        Lam = a[np.ix_(cols, cols)] if a.shape[0] > len(cols) else a
        return structure.from_lambda(Lam[None])[0]
    if a.shape == (structure.k,):
        return a
    return None


def fit_lmm(
    y,
    X,
    Z,
    groups,
    *,
    reml: bool = True,
    fe_names: Sequence[str] | None = None,
    re_names: Sequence[str] | None = None,
    start=None,
    cov_type: str = "model",
    fallback: bool = True,
    df_method: str = "satterthwaite",
    maxiter: int = 500,
    tol: float = 1e-9,
    _stats: GroupStats | None = None,
) -> LMMResult:
    """Fit a Gaussian linear mixed model with per-group random effects.

    Parameters
    ----------
    y : (n,) outcome.  X : (n, p) fixed-effects design.  Z : (n, q) random-
        effects design (column 0 is usually the intercept; q ≤ ~6).
    groups : (n,) group labels of any hashable type; need not be sorted.
    reml : REML (default) or ML.
    start : warm start — a previous :class:`LMMResult`, a relative Cholesky
        factor Λ (q×q) or a θ vector.
    cov_type : "model" (observed information, statsmodels-compatible),
        "expected" (σ²A⁻¹) or "robust" (cluster sandwich, CR1 factor G/(G−1)).
    fallback : if the requested structure does not converge, try simpler ones
        (see :func:`fallback_chain`); recorded in ``result.fallback`` and
        announced with a :class:`FallbackWarning`.
    df_method : "satterthwaite" (default), "residual" (n − p) or "none"
        (normal reference); with ``cov_type="robust"`` Satterthwaite is replaced
        by G − 1.
    """
    if cov_type not in _COV_TYPES:
        raise ValueError(f"cov_type must be one of {_COV_TYPES}")
    if df_method not in _DF_METHODS:
        raise ValueError(f"df_method must be one of {_DF_METHODS}")
    if _stats is None:
        y = np.asarray(y, dtype=float).ravel()
        codes, labels = factorize_groups(groups)
        stats = build_stats(y, X, Z, codes, n_groups=len(labels), labels=[labels])
    else:
        stats = _stats
        labels = stats.labels[0]
    p, q = stats.p, stats.q
    fe_names = list(fe_names) if fe_names is not None else [f"x{j}" for j in range(p)]
    re_names = list(re_names) if re_names is not None else [f"z{j}" for j in range(q)]
    if len(fe_names) != p or len(re_names) != q:
        raise ValueError("fe_names / re_names length does not match X / Z")
    n = int(stats.n_obs[0])
    if n <= p:
        raise ValueError("need more observations than fixed effects")
    XtX = stats.sum_XtX[0]
    w = np.linalg.eigvalsh(XtX)
    if w[0] <= 1e-12 * max(w[-1], 1e-300):
        raise ValueError("fixed-effects design matrix X is rank deficient")
    if stats.G < 2:
        raise ValueError("need at least two groups")

    chain = fallback_chain(q) if fallback else [(tuple(range(q)), False)]
    reasons = []
    chosen = None
    for cols, diag in chain:
        st = stats if len(cols) == q else stats.subset_re(cols)
        structure = _structure_for(len(cols), diag)
        th_user = _theta_from_start(start, structure, cols)
        res = fit_stats(st, structure, reml, th_user, maxiter=maxiter, tol=tol)
        desc = structure.describe([re_names[c] for c in cols])
        if res["best"]["converged"]:
            chosen = (cols, structure, st, res, desc)
            break
        b = res["best"]
        reasons.append(
            f"{desc}: not converged (L-BFGS-B: {b['lbfgs_message']}; Newton decrement "
            f"{b['newton_decrement']:.3g}, max|grad| {b['grad_norm']:.3g}, {len(res['tried'])} starts)"
        )
        if chosen is None or res["best"]["dev"] < np.inf:
            last = (cols, structure, st, res, desc)
    converged = chosen is not None
    if chosen is None:
        chosen = last
    cols, structure, st, res, desc = chosen
    requested = _structure_for(q, False).describe(re_names)
    fb = None
    if reasons and converged:
        fb = f"random effects reduced from {requested} to {desc} because " + "; ".join(reasons)
        warnings.warn(fb, FallbackWarning, stacklevel=2)
    elif not converged:
        msg = "LMM did not converge: " + "; ".join(reasons)
        if fallback and len(chain) > 1:
            fb = f"no structure converged; returning {desc} unconverged. " + "; ".join(reasons)
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    best = res["best"]
    Lam = normalize_lambda(structure.to_lambda(best["theta"]))
    fitq = compute(st, structure, Lam, reml)
    # a partial, not a lambda: results must pickle (Dask workers, caches)
    fitq["_hessian"] = functools.partial(hessian_quantities, st, structure, Lam, reml, fitq["beta"], fitq["scale"])
    convergence = {
        "optimizer": "damped Newton (analytic gradient and Hessian); fallback L-BFGS-B + Newton polish",
        "converged": converged,
        "starts": [{k: v for k, v in t.items() if k != "theta"} for t in res["tried"]],
        "newton_decrement": best["newton_decrement"],
        "grad_norm": best["grad_norm"],
        "structures_tried": [d.split(":")[0] for d in reasons] + [desc],
        "hessian_pd": None,  # filled in when the observed information is first computed
        "evaluations": sum(t.get("n_eval", 0) for t in res["tried"]),
    }
    n_iter = sum(t["lbfgs_iter"] + t["newton_iter"] for t in res["tried"])
    return LMMResult(
        fit=fitq,
        fe_names=fe_names,
        re_names=[re_names[c] for c in cols],
        re_cols=cols,
        re_names_requested=re_names,
        labels=labels,
        reml=reml,
        cov_type=cov_type,
        df_method=df_method,
        n_obs=n,
        structure=structure,
        Lam=Lam,
        converged=converged,
        n_iter=n_iter,
        convergence=convergence,
        fallback=fb,
    )


def _frame_design(
    data: pd.DataFrame,
    outcome: str,
    fixed: Sequence[str],
    random: Sequence[str],
    group: str,
    intercept: bool,
    random_intercept: bool = True,
):
    cols = [outcome, group, *list(fixed), *list(random)]
    d = data.loc[:, list(dict.fromkeys(cols))].dropna()
    n = len(d)
    Xcols = [np.ones(n)] if intercept else []
    fe_names = ["Intercept"] if intercept else []
    for c in fixed:
        Xcols.append(d[c].to_numpy(dtype=float))
        fe_names.append(c)
    Zcols = [np.ones(n)] if random_intercept else []
    re_names = ["Intercept"] if random_intercept else []
    for c in random:
        Zcols.append(d[c].to_numpy(dtype=float))
        re_names.append(c)
    if not Zcols:
        raise ValueError("no random effects requested")
    return (
        d[outcome].to_numpy(dtype=float),
        np.column_stack(Xcols),
        np.column_stack(Zcols),
        d[group].to_numpy(),
        fe_names,
        re_names,
    )


def fit_lmm_frame(
    data: pd.DataFrame,
    outcome: str,
    fixed: Sequence[str],
    random: Sequence[str],
    group: str,
    intercept: bool = True,
    random_intercept: bool = True,
    **kw,
) -> LMMResult:
    """Fit from a DataFrame: ``fixed``/``random`` are column names.

    An intercept is added to both designs (``random=["time"]`` means random
    intercept + slope on time).  Rows with missing values in used columns are
    dropped.  Other keyword arguments go to :func:`fit_lmm`.
    """
    y, X, Z, g, fe_names, re_names = _frame_design(data, outcome, fixed, random, group, intercept, random_intercept)
    return fit_lmm(y, X, Z, g, fe_names=fe_names, re_names=re_names, **kw)


class LMM:
    """Convenience model object: ``LMM(data, "alsfrs", ["time"], ["time"], "patient").fit()``."""

    def __init__(
        self,
        data: pd.DataFrame,
        outcome: str,
        fixed: Sequence[str],
        random: Sequence[str],
        group: str,
        intercept: bool = True,
        random_intercept: bool = True,
    ):
        self.data, self.outcome, self.fixed, self.random, self.group = data, outcome, list(fixed), list(random), group
        self.intercept, self.random_intercept = intercept, random_intercept

    def fit(self, **kw) -> LMMResult:
        return fit_lmm_frame(
            self.data,
            self.outcome,
            self.fixed,
            self.random,
            self.group,
            intercept=self.intercept,
            random_intercept=self.random_intercept,
            **kw,
        )

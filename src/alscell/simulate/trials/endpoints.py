"""Primary analyses of simulated trials, many trials at once.

Each function takes a list of :class:`TrialData` and returns arrays over the trials: ``estimate``,
``se``, ``lower``, ``upper``, ``p`` (two-sided) and ``z`` (signed so that positive = benefit of the first
arm).  Conventions:

* slope / fvc_slope — mixed model ``y ~ 1 + t + t:arm`` (randomised: common baseline; external controls:
  ``+ arm``), random intercept and slope per patient, REML, model-based SE, Satterthwaite df; fitted for
  all trials in one ``fit_lmm_batch`` call.  Estimate: slope difference, points/month (% predicted/month).
* change — ANCOVA of the change from baseline at the last scheduled visit (or the one before when the last
  was missed) on arm and baseline ALSFRS-R (plus the PROCOVA prognostic score when given); patients
  without either visit are left out (complete cases).  Estimate: difference in change, points.
* responder — post- minus pre-treatment slope ≥ 1.25 points/month (NurOwn phase 3; pre-treatment slope
  from the run-in, else the pre-baseline ΔFRS); patients without two post-baseline visits count as
  non-responders.  Estimate: difference in responder proportions; Wald CI, pooled two-proportion z test.
* cafs — Finkelstein–Schoenfeld pairwise comparison (Berry et al., ALS FTD 2013): each pair first on death
  or tracheostomy (the earlier event within the pair's common follow-up is worse), otherwise on the
  ALSFRS-R change at the last visit both attended.  Estimate: net benefit (wins − losses)/(n₁n₀);
  permutation-variance z test.
* survival — log-rank test of death or tracheostomy; estimate: Peto's log hazard ratio (O − E)/V, SE 1/√V
  (negative = fewer events in the first arm).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from alscell.simulate.trials.design import RESPONDER_IMPROVEMENT
from alscell.simulate.trials.population import TrialData


def _result(est, se, df=None, sign: float = 1.0, alpha: float = 0.05) -> dict:
    est, se = np.asarray(est, float), np.asarray(se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    if df is None:
        q = stats.norm.isf(alpha / 2)
        p = 2 * stats.norm.sf(np.abs(t))
    else:
        df = np.maximum(np.asarray(df, float), 1.0)
        q = stats.t.isf(alpha / 2, df)
        p = 2 * stats.t.sf(np.abs(t), df)
    return {"estimate": est, "se": se, "lower": est - q * se, "upper": est + q * se, "p": p, "z": sign * t}


def slope(
    trials: list[TrialData],
    *,
    outcome: str = "y",
    randomised: bool = True,
    alpha: float = 0.05,
    cov_type: str = "model",
) -> dict:
    """Slope difference from one batched mixed-model fit over all trials."""
    from alscell.analysis.lmm import fit_lmm_batch

    ys = [getattr(tr, outcome) for tr in trials]
    with warnings.catch_warnings():  # a rare non-converging trial is refitted with fallback; counted below
        warnings.simplefilter("ignore")
        if len({y.shape for y in ys}) == 1:  # (one design: always) patients × visits panels, no long format
            Y = np.stack(ys)
            t = np.stack([tr.months for tr in trials])  # (NaN where the visit was missed: not observed)
            a = np.stack([tr.arm for tr in trials])[:, :, None]
            X = [1.0, t, t * a] if randomised else [1.0, a, t, t * a]
            fit = fit_lmm_batch(Y, X, [1.0, t], None, cov_type=cov_type)
        else:
            Ys, Xs, Zs, Gs = [], [], [], []
            for tr, y in zip(trials, ys, strict=True):
                r, c = np.nonzero(np.isfinite(y))
                tt = tr.months[r, c]
                ar = tr.arm[r]
                lcols = [np.ones(len(r)), tt, tt * ar] if randomised else [np.ones(len(r)), ar, tt, tt * ar]
                Ys.append(y[r, c])
                Xs.append(np.column_stack(lcols))
                Zs.append(np.column_stack([np.ones(len(r)), tt]))
                Gs.append(r)
            fit = fit_lmm_batch(Ys, Xs, Zs, Gs, cov_type=cov_type)
    k = fit.fe_params.shape[1] - 1
    out = _result(fit.fe_params[:, k], fit.bse[:, k], fit.df[:, k], alpha=alpha)
    out["converged"] = fit.converged.astype(float)
    return out


def _final_change(tr: TrialData) -> np.ndarray:
    y = tr.y
    last = y[:, -1]
    prev = y[:, -2] if y.shape[1] > 1 else np.full(len(last), np.nan)
    return np.where(np.isfinite(last), last, prev) - y[:, 0]


def ancova_design(tr: TrialData, score: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(X, outcome) of the change-from-baseline ANCOVA for the complete cases of ``tr``."""
    d = _final_change(tr)
    cols = [np.ones(tr.n), tr.arm, tr.y[:, 0]]
    if score is not None:
        cols.append(score)
    X = np.column_stack(cols)
    keep = np.isfinite(d) & np.isfinite(X).all(axis=1)
    return X[keep], d[keep]


def change(trials: list[TrialData], *, scores: list[np.ndarray] | None = None, alpha: float = 0.05) -> dict:
    """ANCOVA of change from baseline (``scores``: PROCOVA prognostic score per trial)."""
    est, se, df = (np.full(len(trials), np.nan) for _ in range(3))
    for i, tr in enumerate(trials):
        X, d = ancova_design(tr, None if scores is None else scores[i])
        n, p = X.shape
        if n <= p + 1 or X[:, 1].min() == X[:, 1].max():
            continue
        beta, *_ = np.linalg.lstsq(X, d, rcond=None)
        resid = d - X @ beta
        s2 = resid @ resid / (n - p)
        cov = s2 * np.linalg.pinv(X.T @ X)
        est[i], se[i], df[i] = beta[1], np.sqrt(cov[1, 1]), n - p
    return _result(est, se, df, alpha=alpha)


def post_slopes(tr: TrialData) -> np.ndarray:
    """Per-patient least-squares ALSFRS-R slope after baseline (NaN with fewer than 2 visits)."""
    m = np.isfinite(tr.y)
    t = np.where(m, tr.months, 0.0)
    y = np.where(m, tr.y, 0.0)
    k = m.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        tb = t.sum(1) / k
        yb = y.sum(1) / k
        sxx = (m * (t - tb[:, None]) ** 2).sum(1)
        sxy = (m * (t - tb[:, None]) * (y - yb[:, None])).sum(1)
        return np.where((k >= 2) & (sxx > 0), sxy / sxx, np.nan)


def responders(tr: TrialData) -> np.ndarray:
    """Responder flags: post- minus pre-treatment slope ≥ 1.25 points/month (missing = non-responder)."""
    pre = np.where(np.isfinite(tr.pre_slope), tr.pre_slope, -tr.covariates[:, 3])
    post = post_slopes(tr)
    return np.isfinite(post) & (post - pre >= RESPONDER_IMPROVEMENT)


def responder(trials: list[TrialData], *, alpha: float = 0.05) -> dict:
    """Difference in responder proportions (first arm − second)."""
    p1, p0, n1, n0 = (np.empty(len(trials)) for _ in range(4))
    for i, tr in enumerate(trials):
        r = responders(tr)
        a = tr.arm == 1
        n1[i], n0[i] = a.sum(), (~a).sum()
        p1[i], p0[i] = r[a].mean(), r[~a].mean()
    est = p1 - p0
    se = np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    pool = (p1 * n1 + p0 * n0) / (n1 + n0)
    se0 = np.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n0))
    q = stats.norm.isf(alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se0 > 0, est / se0, 0.0)
    return {
        "estimate": est,
        "se": se,
        "lower": est - q * se,
        "upper": est + q * se,
        "p": 2 * stats.norm.sf(np.abs(z)),
        "z": z,
        "rate_active": p1,
        "rate_control": p0,
    }


def cafs_scores(tr: TrialData) -> np.ndarray:
    """Finkelstein–Schoenfeld score U_i = Σ_j (i better than j) − (j better than i)."""
    t, e = tr.event_months, tr.event
    worse_surv = e[:, None] & (t[:, None] < t[None, :])  # i had the event first (j still followed)
    surv = worse_surv.T.astype(np.int8) - worse_surv.astype(np.int8)  # +1 when i outlived j
    decided = worse_surv | worse_surv.T
    m = np.isfinite(tr.y)
    V = tr.y.shape[1]
    last = np.where(m.any(1), V - 1 - np.argmax(m[:, ::-1], axis=1), 0)
    # change from baseline carried forward to every later visit index
    idx = np.where(m, np.arange(V)[None, :], -1)
    idx = np.maximum.accumulate(idx, axis=1)
    ylocf = np.take_along_axis(tr.y, np.maximum(idx, 0), axis=1)
    chg = np.where(idx >= 0, ylocf - tr.y[:, :1], 0.0)
    common = np.minimum(last[:, None], last[None, :])
    ci = np.take_along_axis(chg, common, axis=1)  # (n, n): i's change at the common visit
    cj = ci.T  # j's change at the same common visit index (common is symmetric)
    func = np.sign(np.nan_to_num(ci - cj)).astype(np.int8)  # no baseline: a tie
    score = np.where(decided, surv, func)
    return score.sum(axis=1).astype(float)


def cafs(trials: list[TrialData], *, alpha: float = 0.05) -> dict:
    """CAFS net benefit of the first arm and its permutation-variance z test."""
    est, se, z = (np.empty(len(trials)) for _ in range(3))
    for i, tr in enumerate(trials):
        u = cafs_scores(tr)
        a = tr.arm == 1
        n1, n0, n = a.sum(), (~a).sum(), len(a)
        T = u[a].sum()
        var = n1 * n0 / (n * (n - 1)) * (u**2).sum()
        est[i] = T / (n1 * n0)
        se[i] = np.sqrt(var) / (n1 * n0)
        z[i] = T / np.sqrt(var) if var > 0 else 0.0
    q = stats.norm.isf(alpha / 2)
    return {
        "estimate": est,
        "se": se,
        "lower": est - q * se,
        "upper": est + q * se,
        "p": 2 * stats.norm.sf(np.abs(z)),
        "z": z,
    }


def logrank(trials: list[TrialData], *, alpha: float = 0.05) -> dict:
    """Log-rank test of death or tracheostomy; Peto log hazard ratio of the first arm."""
    o_e, var = np.empty(len(trials)), np.empty(len(trials))
    for i, tr in enumerate(trials):
        order = np.argsort(tr.event_months, kind="stable")
        t, e, a = tr.event_months[order], tr.event[order], tr.arm[order] == 1
        n = len(t)
        new = np.r_[True, t[1:] != t[:-1]]
        first = np.maximum.accumulate(np.where(new, np.arange(n), 0))  # first index of each tie group
        at_risk = n - first
        at_risk1 = (a[::-1].cumsum()[::-1])[first]  # arm-1 patients at risk at each tie group
        grp = np.cumsum(new) - 1
        d = np.bincount(grp, weights=e)[grp]  # events in the tie group
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = at_risk1 / at_risk
            v = np.where(at_risk > 1, frac * (1 - frac) * (at_risk - d) / (at_risk - 1), 0.0)
        o_e[i] = (e * (a - frac)).sum()
        var[i] = (e * v).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(var > 0, o_e / var, np.nan)
        se = np.where(var > 0, 1 / np.sqrt(var), np.nan)
    out = _result(est, se, alpha=alpha, sign=-1.0)
    out["p"] = np.where(var > 0, out["p"], 1.0)
    out["z"] = np.nan_to_num(out["z"])
    return out


__all__ = [
    "ancova_design",
    "cafs",
    "cafs_scores",
    "change",
    "logrank",
    "post_slopes",
    "responder",
    "responders",
    "slope",
]

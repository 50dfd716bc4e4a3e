"""Inverse-probability-of-treatment weights for a marginal structural Cox model (registry data).

In a registry the first MSC administration tends to follow a visit that looks bad, and the same ALSFRS-R
decline predicts death: a time-dependent confounder.  Adjusting for it in the outcome model is wrong once
it is affected by earlier treatment; the textbook answer is to model the treatment decision and weight
(Robins, Hernán & Brumback, Epidemiology 2000; Hernán, Brumback & Robins, Epidemiology 2000; Cole & Hernán,
Am J Epidemiol 2008 for weight truncation).

The decision is modelled at every ALSFRS-R visit of a not-yet-treated patient ("decision rows"): the
outcome is 1 when the first active administration falls on or after this visit and before the next one
(pooled logistic regression).

* denominator model: time since entry (linear + quadratic), the baseline covariates of the Cox model, and
  the time-varying state at the visit — current ALSFRS-R total, its decline per month since the previous
  visit (at the first visit: ΔFRS since onset, flagged), the decline over the two previous intervals;
* numerator model (stabilisation): time since entry and the baseline covariates only.

Each decision contributes p_num/p_den (treated at this visit) or (1 − p_num)/(1 − p_den) (not yet); the
stabilised weight of a patient from a visit onwards is the product over his decisions so far, frozen once
treated (treatment is "ever treated": it does not stop).  Weights are truncated at the 1st and 99th
percentiles of the person-time rows they are applied to (reported).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from alscell.domain.time import DAYS_PER_MONTH as DPM

TIME_TERMS = ("t", "t2")
STATE_TERMS = ("alsfrs_current", "decline_rate", "decline_rate_2", "first_visit")


@dataclass
class WeightDiagnostics:
    """Summary of the stabilised weights over the person-time rows of the weighted Cox model."""

    mean: float
    sd: float
    min: float
    max: float
    mean_untruncated: float
    max_untruncated: float
    truncation: tuple[float, float]  # percentiles used (e.g. (1, 99)); (0, 100) = none
    bounds: tuple[float, float]  # weight values at those percentiles
    n_truncated: int
    n_rows: int
    n_decisions: int
    n_initiations: int
    denominator_terms: list[str]
    numerator_terms: list[str]

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def text(self) -> str:
        lo, hi = self.truncation
        trunc = (
            "not truncated"
            if (lo, hi) == (0, 100)
            else f"truncated at the {lo:g}th/{hi:g}th percentiles [{self.bounds[0]:.3g}, {self.bounds[1]:.3g}], "
            f"{self.n_truncated} of {self.n_rows} rows"
        )
        return (
            f"stabilised weights: mean {self.mean:.3f} (untruncated {self.mean_untruncated:.3f}), "
            f"max {self.max:.3g} (untruncated {self.max_untruncated:.3g}), {trunc}; treatment model on "
            f"{self.n_decisions} visit decisions, {self.n_initiations} initiations"
        )


def scored_visits(tables, sf: pd.DataFrame) -> pd.DataFrame:
    """Complete ALSFRS-R totals of the patients of ``sf`` with ``t``, months from their entry date."""
    from alscell.domain.alsfrs import score_items

    v = tables["alsfrs"]
    tot = pd.DataFrame(
        {
            "patient_id": v["patient_id"].to_numpy(),
            "total": score_items(v)["total"].to_numpy(dtype=float),
            "date": v["date"].to_numpy(),
        }
    )
    tot = tot.dropna(subset=["total"])
    tot = tot[tot["patient_id"].isin(sf.index)]
    tot["t"] = (tot["date"] - tot["patient_id"].map(sf["entry_date"])).dt.days / DPM
    return tot


def visit_totals(tables, sf: pd.DataFrame) -> pd.DataFrame:
    """ALSFRS-R totals per visit with ``t`` (months from entry), for patients of ``sf``, before their end."""
    tot = scored_visits(tables, sf)
    tot = tot[(tot["t"] >= 0) & (tot["t"] < tot["patient_id"].map(sf["stop"]))]
    tot = tot.sort_values(["patient_id", "t"]).drop_duplicates(["patient_id", "t"], keep="last")
    return tot.reset_index(drop=True)


def decision_frame(tables, sf: pd.DataFrame, baseline=()) -> pd.DataFrame:
    """One row per visit of a not-yet-treated patient: the state at the visit and ``treat`` (1 if the first
    administration is on or after this visit and before the next one / the end of follow-up)."""
    tot = visit_totals(tables, sf)
    pid = tot["patient_id"]
    g = tot.groupby("patient_id", sort=False)
    t = tot["t"].to_numpy()
    prev_t, prev_tot = g["t"].shift(1), g["total"].shift(1)
    prev2_t, prev2_tot = g["t"].shift(2), g["total"].shift(2)
    next_t = g["t"].shift(-1).to_numpy()
    first = prev_t.isna().to_numpy()
    dfrs = pid.map(sf["dfrs"]).to_numpy(dtype=float)
    rate = np.where(first, dfrs, (prev_tot - tot["total"]) / np.maximum(t - prev_t, 0.5))
    rate2 = np.where(prev2_t.isna(), rate, (prev2_tot - tot["total"]) / np.maximum(t - prev2_t, 0.5))
    tt = pid.map(sf["t_treat"]).to_numpy(dtype=float)
    stop = pid.map(sf["stop"]).to_numpy(dtype=float)
    nxt = np.where(np.isnan(next_t), stop, next_t)
    at_risk = ~(tt < t)  # NaN (never treated) → at risk at every visit
    treat = np.isfinite(tt) & (tt >= t) & (tt < nxt)
    out = pd.DataFrame(
        {
            "patient_id": pid.to_numpy(),
            "t": t,
            "t2": t**2 / 12.0,
            "alsfrs_current": tot["total"].to_numpy(),
            "decline_rate": np.clip(rate, -5, 10),
            "decline_rate_2": np.clip(rate2, -5, 10),
            "first_visit": first.astype(float),
            "treat": treat.astype(int),
        }
    )
    for c in baseline:
        out[c] = pid.map(sf[c]).to_numpy(dtype=float)
    return out[at_risk].reset_index(drop=True)


LOSS_EVENTS = ("withdrawal", "lost_to_follow_up")


def censoring_frame(tables, sf: pd.DataFrame, baseline=()) -> pd.DataFrame:
    """One row per visit before the end of follow-up, treated or not: the state at the visit (as in
    :func:`decision_frame`), ``treated`` (1 once the first administration has happened) and ``censor`` (1 at
    a patient's last visit when follow-up then ends by withdrawal or loss to follow-up, recorded in events,
    without the analysed event): the rows of the censoring model."""
    dec_like = decision_frame(tables, sf.assign(t_treat=np.nan), baseline)  # every visit is "at risk"
    ev = tables["events"]
    lost = ev[ev["event"].isin(LOSS_EVENTS)].groupby("patient_id")["date"].min()
    lost_t = (lost.reindex(sf.index) - sf["entry_date"]).dt.days / DPM
    is_lost = (sf["event"] == 0) & lost_t.notna() & (lost_t <= sf["stop"] + 1e-9)
    pid = dec_like["patient_id"]
    last = dec_like.groupby("patient_id")["t"].transform("max").to_numpy() == dec_like["t"].to_numpy()
    out = dec_like.drop(columns="treat")
    out["treated"] = (pid.map(sf["t_treat"]).to_numpy(dtype=float) <= dec_like["t"].to_numpy()).astype(float)
    out["censor"] = (last & pid.isin(is_lost.index[is_lost]).to_numpy()).astype(int)
    return out


def censoring_weights(cens: pd.DataFrame, baseline=(), state_terms=STATE_TERMS) -> pd.DataFrame:
    """Add the cumulative stabilised inverse-probability-of-censoring weight ``cw`` (in force from the visit
    on): Π (1 − p_num)/(1 − p_den) over the patient's visits so far, p = P(lost before the next visit);
    denominator on time, baseline, treatment and the state at the visit, numerator on time, baseline and
    treatment (Robins & Finkelstein, Biometrics 2000; Hernán & Robins, *Causal Inference: What If*, ch. 12)."""
    baseline = [c for c in baseline if c in cens and cens[c].std() > 0]
    num_terms = [*TIME_TERMS, *baseline, "treated"]
    den_terms = [*num_terms, *state_terms]
    y = cens["censor"].to_numpy(dtype=float)
    cens = cens.copy()
    if y.sum() == 0:
        cens["cw"] = 1.0
        return cens
    p_num, p_den = _fitted_pair(cens, y, num_terms, den_terms)
    cens["cw"] = _cumulative((1 - p_num) / (1 - p_den), cens["patient_id"])
    return cens


def standardised_design(X: np.ndarray) -> np.ndarray:
    """An intercept column and the standardised non-constant columns of X (the design of
    :func:`fit_logistic`; g-estimation's sandwich needs the same matrix)."""
    X = np.asarray(X, dtype=float)
    mu, sd = X.mean(axis=0), X.std(axis=0)
    keep = sd > 1e-12
    return np.column_stack([np.ones(len(X)), (X[:, keep] - mu[keep]) / sd[keep]])


def _fitted_pair(frame: pd.DataFrame, y: np.ndarray, num_terms, den_terms) -> tuple[np.ndarray, np.ndarray]:
    """(p_num, p_den): the numerator and denominator logistic models of a stabilised weight, bounded away
    from 0 and 1."""
    p_num = np.clip(fit_logistic(frame[num_terms].to_numpy(), y), 1e-6, 1 - 1e-6)
    p_den = np.clip(fit_logistic(frame[den_terms].to_numpy(), y), 1e-6, 1 - 1e-6)
    return p_num, p_den


def _cumulative(f: np.ndarray, patient_ids: pd.Series) -> np.ndarray:
    """Running product of the per-visit factors ``f`` within each patient (rows in visit order)."""
    return pd.Series(np.log(f)).groupby(patient_ids.to_numpy()).cumsum().pipe(np.exp).to_numpy()


def fit_logistic(
    X: np.ndarray, y: np.ndarray, ridge: float = 1e-4, max_iter: int = 50, weight: np.ndarray | None = None
) -> np.ndarray:
    """Logistic regression by Newton–Raphson on standardised columns with a tiny ridge (no intercept
    penalty) so that sparse or separable decision data still give finite probabilities.  Returns fitted p
    at every row; ``weight`` (default 1) weighs each row's log-likelihood — 0 leaves a row's outcome out of
    the fit and gives its predicted p (cross-fitting; its X still enters the standardisation, which moves the
    fit only through the tiny ridge).

    A step that lowers the penalised log-likelihood is halved until it does not (step-halving, as GLM
    fitters do): on nearly separable decisions (no one starts treatment at a first visit, say) full Newton
    steps can overshoot until every weight underflows; on well-behaved data every full step is taken."""
    Z = standardised_design(X)
    w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=float)
    beta = np.zeros(Z.shape[1])
    ybar = float(np.clip(y.mean() if weight is None else w @ y / w.sum(), 1e-6, 1 - 1e-6))
    beta[0] = np.log(ybar / (1 - ybar))
    pen = np.full(Z.shape[1], ridge)
    pen[0] = 0.0

    def loglik(b: np.ndarray) -> float:
        eta = Z @ b
        return float((w * y) @ eta - (w * np.logaddexp(0.0, eta)).sum() - 0.5 * pen @ b**2)  # w = 1: as unweighted

    ll = loglik(beta)
    for _ in range(max_iter):
        p = expit(Z @ beta)
        W = w * p * (1 - p)
        grad = Z.T @ (w * (y - p)) - pen * beta
        H = (Z * W[:, None]).T @ Z + np.diag(pen)
        step = np.linalg.solve(H, grad)
        for _halving in range(30):
            new = loglik(beta + step)
            if new >= ll - 1e-10 * abs(ll):
                break
            step = step / 2
        beta, ll = beta + step, new
        if np.max(np.abs(step)) < 1e-8:
            break
    return expit(Z @ beta)


def decision_weights(dec: pd.DataFrame, baseline=(), state_terms=STATE_TERMS) -> pd.DataFrame:
    """Add ``p_den``, ``p_num`` and the cumulative stabilised weight ``sw`` (valid from the visit on).
    ``state_terms``: the time-varying columns of ``dec`` in the denominator model."""
    baseline = [c for c in baseline if c in dec and dec[c].std() > 0]
    num_terms = [*TIME_TERMS, *baseline]
    den_terms = [*num_terms, *state_terms]
    y = dec["treat"].to_numpy(dtype=float)
    dec = dec.copy()
    if y.sum() == 0:
        dec["p_den"] = dec["p_num"] = 0.0
        dec["sw"] = 1.0
        return dec
    p_num, p_den = _fitted_pair(dec, y, num_terms, den_terms)
    dec["p_den"], dec["p_num"] = p_den, p_num
    f = np.where(y == 1, dec["p_num"] / dec["p_den"], (1 - dec["p_num"]) / (1 - dec["p_den"]))
    dec["sw"] = _cumulative(f, dec["patient_id"])
    dec.attrs["numerator_terms"], dec.attrs["denominator_terms"] = num_terms, den_terms
    return dec


def split_at(long: pd.DataFrame, cuts: pd.DataFrame) -> pd.DataFrame:
    """Split start/stop rows at the times ``cuts`` (patient_id, cut) strictly inside them (vectorised)."""
    long = long.reset_index(drop=True).assign(_row=lambda d: np.arange(len(d)))
    m = long[["_row", "patient_id", "start", "stop"]].merge(cuts, on="patient_id")
    m = m[(m["cut"] > m["start"]) & (m["cut"] < m["stop"])]
    edges = pd.concat(
        [long[["_row", "start"]].rename(columns={"start": "a"}), m[["_row", "cut"]].rename(columns={"cut": "a"})]
    )
    edges = edges.sort_values(["_row", "a"]).drop_duplicates().reset_index(drop=True)
    edges["b"] = edges.groupby("_row")["a"].shift(-1)
    out = long.iloc[edges["_row"].to_numpy()].reset_index(drop=True)
    last = edges["b"].isna().to_numpy()
    out["start"] = edges["a"].to_numpy()
    out["stop"] = np.where(last, out["stop"].to_numpy(), edges["b"].to_numpy())
    out["event"] = np.where(last, out["event"].to_numpy(), 0)
    return out.drop(columns="_row").sort_values(["patient_id", "start"]).reset_index(drop=True)


def _in_force(rows: pd.DataFrame, key: pd.DataFrame, col: str) -> np.ndarray:
    """The value of ``key[col]`` at the latest ``key.t`` on or before each row's start (1 before any)."""
    look = (
        pd.merge_asof(
            rows[["patient_id", "start"]].reset_index().sort_values("start"),
            key[["patient_id", "t", col]].sort_values("t"),
            left_on="start",
            right_on="t",
            by="patient_id",
            direction="backward",
        )
        .set_index("index")
        .sort_index()
    )
    return look[col].fillna(1.0).to_numpy()


def weighted_long(long: pd.DataFrame, dec: pd.DataFrame, truncate=(1.0, 99.0), cens: pd.DataFrame | None = None):
    """Split the Cox rows at every decision visit (and censoring-model visit), attach the stabilised weight
    in force at each row's start — the treatment weight, times the censoring weight when ``cens`` is given —
    (``w_raw``) and its truncated version ``w``; return (rows, diagnostics)."""
    cut_frames = [dec[["patient_id", "t"]]] + ([cens[["patient_id", "t"]]] if cens is not None else [])
    cuts = pd.concat(cut_frames).drop_duplicates().rename(columns={"t": "cut"})
    rows = split_at(long, cuts)
    w = _in_force(rows, dec, "sw")
    if cens is not None:
        w = w * _in_force(rows, cens, "cw")
    rows["w_raw"] = w
    lo_p, hi_p = truncate if truncate else (0.0, 100.0)
    lo, hi = np.percentile(w, [lo_p, hi_p])
    rows["w"] = np.clip(w, lo, hi)
    diag = WeightDiagnostics(
        mean=float(rows["w"].mean()),
        sd=float(rows["w"].std()),
        min=float(rows["w"].min()),
        max=float(rows["w"].max()),
        mean_untruncated=float(w.mean()),
        max_untruncated=float(w.max()),
        truncation=(float(lo_p), float(hi_p)),
        bounds=(float(lo), float(hi)),
        n_truncated=int(((w < lo) | (w > hi)).sum()),
        n_rows=len(rows),
        n_decisions=len(dec),
        n_initiations=int(dec["treat"].sum()),
        denominator_terms=list(dec.attrs.get("denominator_terms", [])),
        numerator_terms=list(dec.attrs.get("numerator_terms", [])),
    )
    return rows, diag


__all__ = [
    "LOSS_EVENTS",
    "WeightDiagnostics",
    "censoring_frame",
    "censoring_weights",
    "decision_frame",
    "decision_weights",
    "fit_logistic",
    "scored_visits",
    "split_at",
    "standardised_design",
    "visit_totals",
    "weighted_long",
]

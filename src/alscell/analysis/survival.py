"""Survival and events with treatment as a time-varying exposure (no immortal-time bias).

Time origin: the patient's first ALSFRS-R visit (registry entry); time in months.  A treated patient
contributes untreated person-time from entry to the first active administration and treated person-time
afterwards (Cox model with a time-varying covariate, lifelines ``CoxTimeVaryingFitter``), so the time a
patient had to survive to be treated is never credited to treatment.  On observational data the Cox
models are adjusted for age at onset, bulbar onset, months since onset at entry and the ΔFRS progression
group at entry (``COX_ADJUST``); on randomised data the comparison is unadjusted.  The Kaplan–Meier frame
is the Simon–Makuch form: the "untreated" curve uses untreated person-time only (treated patients censored at treatment), the "treated"
curve starts each patient at treatment (left truncation, ``entry``).  The KM curves are unweighted
(descriptive) whatever the method of the hazard ratio.

On observational data (no ``blinded_arm``) the default hazard ratio is a marginal structural Cox model with
inverse-probability-of-treatment weights (``method="msm_iptw"``, ``alscell.analysis.treatment_weights``):
in a registry treatment starts after a bad-looking visit and the same decline predicts death.  The
unweighted time-varying Cox model (``method="cox_time_varying"``) is the primary analysis on randomised data
and is kept, named as such, for comparison.  Calibration: docs/survival_calibration.md.

Events (events.csv): ``death``; ``tracheostomy`` (tracheostomy or permanent ventilation);
``death_or_tracheostomy`` (the usual ALS composite); ``gastrostomy``; ``niv`` (niv_start).  Follow-up ends
at the event, death, withdrawal or loss to follow-up, or the last visit.
"""

from __future__ import annotations

import itertools
import warnings as _warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alscell.analysis.design_matrix import first_treatment, imputation_note, patient_covariates
from alscell.analysis.errors import NotApplicable
from alscell.analysis.estimate import json_value
from alscell.domain.progression import FAST_ABOVE, SLOW_BELOW, delta_frs_covariate
from alscell.domain.time import DAYS_PER_MONTH as DPM
from alscell.io.tables import Tables, as_tables

if TYPE_CHECKING:
    from alscell.analysis.treatment_weights import WeightDiagnostics

EVENT_DEFINITIONS = {
    "death": ("death",),
    "tracheostomy": ("tracheostomy", "permanent_ventilation"),
    "death_or_tracheostomy": ("death", "tracheostomy", "permanent_ventilation"),
    "gastrostomy": ("gastrostomy",),
    "niv": ("niv_start",),
}
# Baseline covariates measured at entry.  The treatment-decision model of the MSM uses all of them, ΔFRS
# linearly.  The Cox models use ΔFRS only through the progression groups of Labra et al. 2016 (slow /
# intermediate / fast, domain-rules.md): on simulated registries, where death follows the course closely, a
# linear ΔFRS term made the hazard ratio of treatment unstable (its spread across cohorts 1.2–1.7 times the
# reported SE, rejection 10–25% under no effect, even on randomised trials; docs/survival_variance.md).
ADJUST = ("age", "bulbar_onset", "dfrs", "months_at_entry")
COX_ADJUST = ("age", "bulbar_onset", "months_at_entry", "dfrs_intermediate", "dfrs_fast")


@dataclass
class EventResult:
    event: str
    hr: float
    ci_low: float
    ci_high: float
    p_value: float
    n_patients: int
    n_events: int
    n_events_treated: int
    km: pd.DataFrame  # group, time (months from entry), survival, at_risk
    long: pd.DataFrame  # start/stop data given to lifelines
    covariates: list[str]
    warnings: list[str] = field(default_factory=list)
    model: object | None = field(default=None, repr=False)
    method: str = "cox_time_varying"  # "msm_iptw" (weighted, robust SE) or "cox_time_varying" (unweighted)
    se: float = float("nan")  # SE of log HR (robust for msm_iptw, model-based for cox_time_varying)
    weights: WeightDiagnostics | None = None  # for msm_iptw
    decisions: pd.DataFrame | None = field(default=None, repr=False)  # treatment-decision rows (msm_iptw)
    details: dict = field(default_factory=dict, repr=False)

    SCALARS = ("event", "method", "hr", "ci_low", "ci_high", "p_value", "se", "n_patients", "n_events",
               "n_events_treated")  # fmt: skip
    KM_COLUMNS = ("group", "time", "survival", "at_risk")

    def to_json_dict(self) -> dict:
        """The scalar fields (``SCALARS``), the adjustment covariates and ``warnings``."""
        return {
            **{k: json_value(getattr(self, k)) for k in self.SCALARS},
            "covariates": list(self.covariates),
            "warnings": list(self.warnings),
        }

    def describe(self) -> str:
        """One line: the method of the hazard ratio and, for the MSM, the weight diagnostics."""
        name = {
            "msm_iptw": "marginal structural Cox model (IPT weights, robust SE)",
            "cox_time_varying": "unweighted time-varying Cox model",
        }.get(self.method, self.method)
        return f"{name}; {self.weights.text()}" if self.weights is not None else name

    @property
    def benefit(self) -> bool:
        return self.hr < 1 and self.p_value < 0.05


def survival_frame(tables, event: str = "death") -> pd.DataFrame:
    """One row per patient: entry date, end (months from entry), event flag, treatment time (months) and
    the adjustment covariates.  ``attrs["notes"]`` says who was left out and what was imputed: patients
    whose event happened before entry (prevalent: never at risk), patients without follow-up time after
    entry, ΔFRS imputed where the first visit's total is missing."""
    tables = as_tables(tables)
    if event not in EVENT_DEFINITIONS:
        raise NotApplicable(f"unknown event {event!r}: use one of {', '.join(EVENT_DEFINITIONS)}.")
    kinds = EVENT_DEFINITIONS[event]
    p = tables["patients"].set_index("patient_id")
    v = tables["alsfrs"]
    entry = v.groupby("patient_id")["date"].min()
    last_visit = v.groupby("patient_id")["date"].max()
    ev = tables["events"]
    hit = ev[ev["event"].isin(kinds)].groupby("patient_id")["date"].min()
    last_ev = ev.groupby("patient_id")["date"].max()
    ends = ev[ev["event"].isin(("death", "withdrawal", "lost_to_follow_up"))].groupby("patient_id")["date"].min()
    ids = entry.index
    end_date = pd.concat([last_visit, last_ev.reindex(ids)], axis=1).max(axis=1)
    end_date = end_date.where(ends.reindex(ids).isna(), pd.concat([end_date, ends.reindex(ids)], axis=1).min(axis=1))
    ev_date = hit.reindex(ids)
    prevalent = ev_date.notna() & (ev_date < entry)
    has = ev_date.notna() & (ev_date >= entry)
    stop_date = end_date.where(~has, ev_date)
    ft = first_treatment(tables)
    t0 = ft.set_index("patient_id")["date"].reindex(ids) if len(ft) else pd.Series(pd.NaT, index=ids)
    out = pd.DataFrame(index=ids)
    out["entry_date"] = entry
    out["stop"] = (stop_date - entry).dt.days / DPM
    out["event"] = has.astype(int)
    out["t_treat"] = (t0 - entry).dt.days / DPM
    tot = v.assign(_t=v.groupby("patient_id")["date"].transform("min"))
    from alscell.domain.alsfrs import score_items

    first_rows = v.loc[v.groupby("patient_id")["date"].idxmin()]
    first_total = pd.Series(score_items(first_rows)["total"].to_numpy(dtype=float), index=first_rows["patient_id"])
    months_entry = (entry - p["onset_date"].reindex(ids)).dt.days / DPM
    out["months_at_entry"] = months_entry
    out["dfrs"] = delta_frs_covariate(first_total.reindex(ids).to_numpy(), months_entry.to_numpy())
    cov = patient_covariates(tables).reindex(ids)
    out["age"] = cov["age"]
    out["bulbar_onset"] = cov["bulbar_onset"]
    notes: list[str] = []
    n_dfrs = int(out["dfrs"].isna().sum())
    if n_dfrs == len(out):
        notes.append("ΔFRS at entry not used: no patient's first visit has a complete ALSFRS-R total.")
        out["dfrs"] = 0.0  # constant: dropped from the adjustment set
    elif n_dfrs:
        notes.append(f"ΔFRS at entry imputed with the median for {n_dfrs} patients whose first visit has no total.")
        out["dfrs"] = out["dfrs"].fillna(out["dfrs"].median())
    out["dfrs_intermediate"] = ((out["dfrs"] >= SLOW_BELOW) & (out["dfrs"] <= FAST_ABOVE)).astype(float)
    out["dfrs_fast"] = (out["dfrs"] > FAST_ABOVE).astype(float)
    n_prev = int(prevalent.sum())
    if n_prev:
        notes.append(f"{n_prev} patients whose {event} happened before their first visit left out (never at risk).")
    n_none = int(((out["stop"] <= 0) & ~prevalent).sum())
    if n_none:
        notes.append(f"{n_none} patients without follow-up time after their first visit left out.")
    out = out[(out["stop"] > 0) & ~prevalent]
    del tot
    notes += imputation_note(cov, out.index)
    out.attrs["notes"] = notes
    return out


def long_format(sf: pd.DataFrame, covariates=COX_ADJUST) -> pd.DataFrame:
    """Start/stop rows: split at the treatment time (treated = 1 afterwards)."""
    rows = []
    tt = sf["t_treat"].to_numpy()
    stop = sf["stop"].to_numpy()
    split = np.isfinite(tt) & (tt > 0) & (tt < stop)
    treated_from_start = np.isfinite(tt) & (tt <= 0)
    base = sf[list(covariates)].reset_index().rename(columns={"index": "patient_id"})
    base = base.rename(columns={base.columns[0]: "patient_id"})
    a = base.assign(
        start=0.0,
        stop=np.where(split, tt, stop),
        event=np.where(split, 0, sf["event"]),
        treated=treated_from_start.astype(int),
    )
    b = base[split].assign(start=tt[split], stop=stop[split], event=sf["event"].to_numpy()[split], treated=1)
    rows = pd.concat([a, b], ignore_index=True)
    return rows.sort_values(["patient_id", "start"]).reset_index(drop=True)


def kaplan_meier_frame(sf: pd.DataFrame) -> pd.DataFrame:
    """Simon–Makuch Kaplan–Meier curves: untreated person-time vs time after treatment (left-truncated)."""
    from lifelines import KaplanMeierFitter
    from lifelines.exceptions import StatError

    tt = sf["t_treat"].to_numpy()
    stop = sf["stop"].to_numpy()
    ev = sf["event"].to_numpy()
    treated = np.isfinite(tt) & (tt < stop)
    frames = []
    # untreated person-time: censored at treatment
    u_stop = np.where(treated, np.maximum(tt, 1e-9), stop)
    u_ev = np.where(treated, 0, ev)
    kmf = KaplanMeierFitter().fit(u_stop, u_ev)
    frames.append(
        pd.DataFrame(
            {
                "group": "untreated",
                "time": kmf.survival_function_.index,
                "survival": kmf.survival_function_.iloc[:, 0].to_numpy(),
                "at_risk": kmf.event_table["at_risk"].to_numpy(),
            }
        )
    )
    notes: list[str] = []
    if treated.any():
        try:
            kmf = KaplanMeierFitter().fit(stop[treated], ev[treated], entry=np.maximum(tt[treated], 0))
        except StatError:
            # Left truncation with few early entries: every patient at risk at some early time died, so
            # the product-limit estimate is 0 from then on although later entrants survive; lifelines
            # refuses such a curve rather than draw a meaningless one, and so do we.
            notes.append(
                "treated Kaplan–Meier curve not drawn: too few treated patients were at risk early on for a "
                "left-truncated estimate (it drops to 0 although later-treated patients survive)."
            )
            kmf = None
    if treated.any() and kmf is not None:
        frames.append(
            pd.DataFrame(
                {
                    "group": "treated",
                    "time": kmf.survival_function_.index,
                    "survival": kmf.survival_function_.iloc[:, 0].to_numpy(),
                    "at_risk": kmf.event_table["at_risk"].to_numpy(),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out.attrs["notes"] = notes
    return out


def add_current_score(tables, sf: pd.DataFrame, long: pd.DataFrame) -> pd.DataFrame:
    """Split the start/stop rows at every ALSFRS-R visit and add ``alsfrs_current``: the latest total before
    the interval — frozen at its value before the first treatment in treated person-time (the state at the
    treatment decision; later values are on the causal path and must not be adjusted for)."""
    from alscell.analysis.treatment_weights import scored_visits

    tot = scored_visits(tables, sf)
    tt = tot["patient_id"].map(sf["t_treat"])
    tot = tot[~(tot["t"] >= tt)]  # freeze at treatment: only pre-treatment visits
    cuts = tot[["patient_id", "t"]].rename(columns={"t": "cut"})
    rows = long.merge(cuts, on="patient_id", how="left")
    rows = rows[(rows["cut"] > rows["start"]) & (rows["cut"] < rows["stop"])]
    pieces = [long]
    if len(rows):
        # build split points per original interval
        pts = rows.groupby(["patient_id", "start"])["cut"].apply(sorted)
        new = []
        for r in long.itertuples(index=False):
            key = (r.patient_id, r.start)
            if key not in pts.index:
                new.append(r._asdict())
                continue
            edges = [r.start, *pts[key], r.stop]
            for a, b in itertools.pairwise(edges):
                d = r._asdict()
                d.update(start=a, stop=b, event=r.event if b == r.stop else 0)
                new.append(d)
        pieces = [pd.DataFrame(new)]
    out = pieces[0].sort_values(["patient_id", "start"]).reset_index(drop=True)
    tot = tot.sort_values("t")
    lookup = (
        pd.merge_asof(
            out[["patient_id", "start"]].reset_index().sort_values("start"),
            tot[["patient_id", "t", "total"]],
            left_on="start",
            right_on="t",
            by="patient_id",
            direction="backward",
        )
        .set_index("index")
        .sort_index()
    )
    out["alsfrs_current"] = lookup["total"].to_numpy()
    first = tot.groupby("patient_id")["total"].first()
    out["alsfrs_current"] = out["alsfrs_current"].fillna(out["patient_id"].map(first))
    out["alsfrs_current"] = out["alsfrs_current"].fillna(out["alsfrs_current"].median())
    return out


METHODS = ("msm_iptw", "cox_time_varying")


def _randomized(tables: Tables) -> bool:
    return bool(tables["treatments"]["blinded_arm"].notna().any())


def _fit_ctv(rows, weights_col, penalizer, warn):
    from lifelines import CoxTimeVaryingFitter
    from lifelines.exceptions import ConvergenceError

    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        for pen in (penalizer, 0.01, 0.1):
            ctv = CoxTimeVaryingFitter(penalizer=pen)
            try:
                ctv.fit(
                    rows,
                    id_col="patient_id",
                    event_col="event",
                    start_col="start",
                    stop_col="stop",
                    weights_col=weights_col,
                    show_progress=False,
                )
                break
            except (ConvergenceError, np.linalg.LinAlgError):
                warn.append(f"Cox model did not converge with penalizer {pen:g}; retried with more shrinkage.")
        else:
            return None
    warn += sorted({str(w.message).split("\n")[0] for w in caught if "onvergence" in str(w.message)})
    return ctv


def event_analysis(
    tables,
    event: str = "death",
    *,
    method: str | None = None,
    adjust=None,
    current_score: bool = False,
    penalizer: float = 0.0,
    truncate=(1.0, 99.0),
    censoring_weights: bool = False,
) -> EventResult:
    """Hazard ratio of treatment (time-varying exposure) for ``event`` with 95% CI and p.

    ``method``:

    * ``"msm_iptw"`` (default for observational data — no ``blinded_arm`` in treatments): marginal
      structural Cox model.  The treatment decision at each visit of a not-yet-treated patient is modelled
      (pooled logistic regression on the current ALSFRS-R total, its recent decline, time and the baseline
      covariates; ``alscell.analysis.treatment_weights``); stabilised weights truncated at the ``truncate``
      percentiles; weighted time-varying Cox (lifelines, ``weights_col``) with cluster-robust (sandwich)
      standard errors by patient.  Diagnostics in ``weights``.
    * ``"cox_time_varying"`` (default for randomised data): the unweighted time-varying Cox model with
      model-based standard errors.  On registry data it is confounded by the decline that prompts treatment;
      kept, named as such, for comparison.  ``current_score`` (this method only) adds the latest
      pre-treatment ALSFRS-R total as a covariate — not a fix (see docs/survival_calibration.md).

    ``censoring_weights`` (``msm_iptw`` only): multiply in stabilised inverse-probability-of-censoring weights
    for withdrawal and loss to follow-up recorded in events (``treatment_weights.censoring_weights``: a pooled
    logistic model of being lost before the next visit on the same observed state plus treatment so far).
    Off by default: on simulated registries they took back about half of the small lean that loss to
    follow-up adds, within Monte Carlo error (docs/survival_calibration.md, docs/evidence.md).

    ``adjust``: the Cox model's covariates (and the stabilising numerator's).  Default: none on randomised
    data, ``COX_ADJUST`` otherwise; the MSM's decision model adds the rest of ``ADJUST`` (ΔFRS linearly).
    """
    tables = as_tables(tables)
    if tables["alsfrs"].empty:
        raise NotApplicable("no ALSFRS-R visits: follow-up starts at the first visit, so survival cannot be analysed.")
    sf = survival_frame(tables, event)
    randomized = _randomized(tables)
    if method is None:
        method = "cox_time_varying" if randomized else "msm_iptw"
    if method not in METHODS:
        raise NotApplicable(f"unknown method {method!r}: use one of {', '.join(METHODS)}.")
    if adjust is None:
        # randomised: the arms are comparable by design, so the primary comparison needs no covariate
        # (and the adjusted model was anti-conservative on simulated trials, see COX_ADJUST)
        adjust = () if randomized and method == "cox_time_varying" else COX_ADJUST
    adjust = [c for c in adjust if sf[c].std() > 0]
    long = long_format(sf, adjust)
    if current_score and method == "cox_time_varying":
        long = add_current_score(tables, sf, long)
        adjust = [*adjust, "alsfrs_current"]
    warn: list[str] = list(sf.attrs.get("notes", []))
    if not randomized and method == "cox_time_varying":
        warn.append(
            "unweighted time-varying Cox on observational data: treatment timing follows a decline "
            "(time-dependent confounding); this hazard ratio is biased towards harm on simulated "
            "registries (see docs/survival_calibration.md). Use method='msm_iptw'."
        )
    n_ev = int(sf["event"].sum())
    n_ev_tr = int(long.loc[(long["treated"] == 1) & (long["event"] == 1)].shape[0])
    nan = float("nan")
    km = kaplan_meier_frame(sf) if len(sf) else pd.DataFrame(columns=["group", "time", "survival", "at_risk"])
    warn += km.attrs.get("notes", [])

    def empty(extra):
        return EventResult(
            event, nan, nan, nan, nan, len(sf), n_ev, n_ev_tr, km, long, adjust, warn + extra, method=method
        )

    if n_ev < 2 or long["treated"].nunique() < 2:
        return empty([f"too few {event} events or no treated/untreated contrast for a Cox model."])
    if method == "cox_time_varying":
        ctv = _fit_ctv(long, None, penalizer, warn)
        if ctv is None:
            return empty(["Cox model did not converge."])
        s = ctv.summary.loc["treated"]
        return EventResult(
            event,
            float(s["exp(coef)"]),
            float(s["exp(coef) lower 95%"]),
            float(s["exp(coef) upper 95%"]),
            float(s["p"]),
            len(sf),
            n_ev,
            n_ev_tr,
            km,
            long,
            adjust,
            warn,
            ctv,
            method=method,
            se=float(s["se(coef)"]),
        )

    from scipy.stats import norm

    from alscell.analysis import treatment_weights as tw
    from alscell.analysis.cox_sandwich import robust_cox_se

    # the decision model (denominator) also sees the baseline covariates the Cox model leaves out (ΔFRS
    # linearly); the numerator has exactly the Cox model's covariates, as a stabilised MSM requires
    extra = [c for c in ADJUST if c not in adjust and sf[c].std() > 0]
    dec = tw.decision_frame(tables, sf, [*adjust, *extra])
    dec = tw.decision_weights(dec, adjust, state_terms=(*tw.STATE_TERMS, *extra))
    cens = None
    if censoring_weights:
        cens = tw.censoring_frame(tables, sf, [*adjust, *extra])
        if cens["censor"].sum() == 0:
            cens = None  # nobody recorded as lost: nothing to weight for (and the rows stay as they are)
        else:
            cens = tw.censoring_weights(cens, adjust, state_terms=(*tw.STATE_TERMS, *extra))
    rows, diag = tw.weighted_long(long, dec, truncate, cens)
    ctv = _fit_ctv(rows.drop(columns="w_raw"), "w", penalizer, warn)
    if ctv is None:
        return empty(["weighted Cox model did not converge."])
    se = robust_cox_se(rows, ctv.params_, weights_col="w")
    b, s_ = float(ctv.params_["treated"]), float(se["treated"])
    p = float(2 * norm.sf(abs(b / s_)))
    if not randomized:
        warn.append(
            "observational data: the hazard ratio is from a marginal structural Cox model (inverse-"
            "probability-of-treatment weights); it removes confounding by the measured ALSFRS-R course "
            "only: when clinicians treat on what the registry does not record, it leans towards harm "
            "(see docs/survival_calibration.md)."
        )
    if diag.max_untruncated > 20:
        warn.append(
            f"extreme treatment weights (max {diag.max_untruncated:.3g} before truncation): "
            "little overlap between treated and untreated decisions."
        )
    return EventResult(
        event,
        float(np.exp(b)),
        float(np.exp(b - 1.959964 * s_)),
        float(np.exp(b + 1.959964 * s_)),
        p,
        len(sf),
        n_ev,
        n_ev_tr,
        km,
        rows,
        adjust,
        warn,
        ctv,
        method=method,
        se=s_,
        weights=diag,
        decisions=dec,
    )


__all__ = [
    "EVENT_DEFINITIONS",
    "METHODS",
    "EventResult",
    "event_analysis",
    "kaplan_meier_frame",
    "long_format",
    "survival_frame",
]

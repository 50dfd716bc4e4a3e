"""Prognosis and suitability: what the specialist and the patient need before an injection (issue 16).

* **Individual forecast** at 3, 6 and 12 months after the reference date (the latest ALSFRS-R visit) of the
  ALSFRS-R total, the four subscores and FVC % predicted: one natural-history mixed model per outcome
  (``alscell.analysis.lmm``: quadratic in years since onset = the curvilinear course, random intercept and
  slope, untreated visits only as in :mod:`alscell.analysis.forecast`), predicted with the patient's own
  random effects (BLUPs); 80% and 95% prediction intervals for a new visit.  Calibration:
  benchmarks/prognosis_calibration.py, docs/prognosis.md.
* **Stages by then**: P(King's ≥ k) and P(MiToS ≥ k) at each horizon = Σⱼ P(total = j) · P(stage ≥ k | total
  = j), the first from the total's predictive distribution, the second the cohort's own visits (pooled over
  totals j ± 2); stages are taken as never going back (floor at the current stage).  Conditional on being
  alive.
* **Event-free survival** (death, tracheostomy, permanent ventilation = NIV > 23 h/day): the cohort's
  Kaplan–Meier curve from onset with delayed entry at the first visit, in the patient's ΔFRS group (Labra et
  al. 2016) when it has enough patients, conditional on being event-free now; and the ENCALS model
  (:mod:`alscell.analysis.encals`).
* **What a treatment could plausibly do**: the forecast shifted by the effect sizes actually reported
  (spec/domain-rules.md), next to natural plateaus and reversals (Bedlack et al., Neurology 2016;86:808–12).
* **Suitability**: the shipped criteria sets and route flags (:mod:`alscell.domain.suitability`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alscell.analysis.errors import NotApplicable
from alscell.analysis.forecast import NaturalHistoryModel
from alscell.analysis.interval_calibration import Z80, IntervalCalibration, calibrate_intervals
from alscell.domain.time import DAYS_PER_MONTH
from alscell.io.tables import Tables, as_tables

HORIZONS = (3.0, 6.0, 12.0)
OUTCOMES = {  # key -> (label, lower, upper)
    "total": ("ALSFRS-R total", 0.0, 48.0),
    "bulbar": ("bulbar subscore", 0.0, 12.0),
    "fine_motor": ("fine motor subscore", 0.0, 12.0),
    "gross_motor": ("gross motor subscore", 0.0, 12.0),
    "respiratory": ("respiratory subscore", 0.0, 12.0),
    "fvc_pct_pred": ("FVC (% predicted)", 0.0, 150.0),
}
COMPOSITE_EVENTS = ("death", "tracheostomy", "permanent_ventilation")  # permanent ventilation = NIV > 23 h/day
MIN_GROUP_PATIENTS = 30  # KM in the ΔFRS group only with at least this many patients …
MIN_GROUP_EVENTS = 10  # … and events; otherwise the whole cohort
STAGE_POOL = 2  # P(stage | total) pools totals within ± this many points
# Outcome models need enough repeated values to separate between-patient from visit-to-visit variation: on
# the bundled 4-patient example (2 visits each) the fitted residual SD collapsed to 0.0006–0.05 points and the
# 80% intervals to zero width.  Below these, the outcome is "not available" (a design choice, not a source).
MIN_REPEATED_PATIENTS = 10  # patients with at least two untreated values of the outcome
MIN_RESIDUAL_SD = 0.1  # points (or % predicted): a smaller fitted visit-to-visit SD means a degenerate fit

# Published effect sizes (spec/domain-rules.md, "Reference numbers"); positive = better ALSFRS-R.
NUROWN_SOURCE = "Cudkowicz et al., Muscle Nerve 2022;65:291 (NurOwn phase 3)"
LENZ_SOURCE = "Oh et al., Ann Neurol 2018;84:361 (lenzumestrocel phase 2)"
ALSUMMIT = "lenzumestrocel phase 3 (ALSUMMIT, NCT04745299) did not meet its primary endpoint (sponsor announcement)"
RESPONDER_SLOPE = 1.25  # points/month, NurOwn responder definition (same source)
# Natural variability without treatment: Bedlack et al., Neurology 2016;86:808-12 (PRO-ACT).
BEDLACK = {
    "source": "Bedlack et al., Neurology 2016;86:808-12 (PRO-ACT, no effective treatment)",
    "no_decline_6_months": 0.25,  # of 3,132 participants
    "no_decline_12_months": 0.16,  # of 2,105
    "no_decline_18_months": 0.07,  # of 1,218
    "positive_slope_180_days": 0.14,  # of 1,343: a 180-day interval with ALSFRS-R slope > 0
    "improved_4_points_12_months": "< 1%",
}
SHIPPED_SETS = ("nurown_phase3", "typical_lenient", "typical_strict")
# Per-patient curvature (random y² term) in the outcome models: chosen on alscell.simulate cohorts by the
# coverage of the 80% prediction interval at 3/6/12 months (benchmarks/prognosis_calibration.py --choose);
# judged on the two other worlds (docs/prognosis.md, "Calibration").
RANDOM_CURVATURE = False


# ----------------------------------------------------------------------------- outcome models
@dataclass
class OutcomeModel:
    """A natural-history LMM of one outcome (y ~ 1 + yr + yr², random 1 + yr | patient)."""

    outcome: str
    result: Any  # LMMResult
    n_patients: int
    n_visits: int
    warnings: list[str] = field(default_factory=list)

    random_curvature: bool = RANDOM_CURVATURE
    # registry-internal recalibration of the prediction intervals (alscell.analysis.interval_calibration),
    # computed once with the fit; None = the model's own intervals
    calibration: IntervalCalibration | None = None
    # per patient of the result: number of values (``n``) and months since onset of the last one (``last``)
    history: pd.DataFrame | None = None

    def predict(self, patient_id: str | None, months: np.ndarray, alpha: float) -> pd.DataFrame:
        """The model's own prediction (mean, se, lower, upper) at ``months`` since onset, not recalibrated."""
        X, Z = design(months, self.random_curvature)
        known = patient_id is not None and patient_id in self.labels
        return self.result.predict(X, Z, groups_new=patient_id if known else None, interval="prediction", alpha=alpha)

    def interval_factors(self, patient_id: str | None, now: float, months_ahead) -> np.ndarray:
        """The factor on the predictive SD ``months_ahead`` after ``now`` (months since onset): the registry's
        recalibration for a forecast from the patient's own values — for their number of values, at the
        distance from the last of them (further than ``months_ahead`` when the latest visits are not in the
        model, e.g. after a first treatment) — and 1 for the population course (not what the check covers)."""
        ahead = np.asarray(months_ahead, dtype=float)
        if self.calibration is None or patient_id is None or patient_id not in self.labels:
            return np.ones_like(ahead)
        n, last = None, now
        if self.history is not None and patient_id in self.history.index:
            n, last = int(self.history.at[patient_id, "n"]), float(self.history.at[patient_id, "last"])
        return self.calibration.factor_at(np.maximum(ahead, now + ahead - last), n)

    def predict_ahead(self, patient_id: str | None, now: float, months_ahead) -> pd.DataFrame:
        """Mean, model SD (``se_model``), interval factor and calibrated SD (``se``) ``months_ahead`` after
        ``now`` (months since onset); the calibrated SD never falls with the distance (a dip is raised to the
        SD at the nearer distance, and ``factor`` is then the ratio actually used)."""
        ahead = np.asarray(months_ahead, dtype=float)
        p = self.predict(patient_id, now + ahead, alpha=0.2)
        k = self.interval_factors(patient_id, now, ahead)
        se = p["se"].to_numpy()
        # farther ahead is never more certain: factors estimated per horizon can dip by sampling noise
        order = np.argsort(ahead, kind="stable")
        sd = np.empty_like(se)
        sd[order] = np.maximum.accumulate((se * k)[order])
        return pd.DataFrame({"mean": p["mean"].to_numpy(), "se_model": se, "factor": sd / se, "se": sd})

    @property
    def labels(self) -> set:
        if not hasattr(self, "_labels"):
            self._labels = set(self.result.group_labels)
        return self._labels


def design(months: np.ndarray, random_curvature: bool = RANDOM_CURVATURE) -> tuple[np.ndarray, np.ndarray]:
    """Fixed design 1 + y + y² (y = years since onset); random 1 + y, or 1 + y + y² with per-patient curvature."""
    X, Z = NaturalHistoryModel.design(months)
    return (X, X) if random_curvature else (X, Z)


def fit_outcome(frame: pd.DataFrame, outcome: str = "y", random_curvature: bool = RANDOM_CURVATURE) -> OutcomeModel:
    """Fit the natural-history LMM to a long frame with columns patient_id, months, y."""
    from alscell.analysis.lmm import fit_lmm

    f = frame.dropna(subset=["months", "y"])
    label = OUTCOMES[outcome][0] if outcome in OUTCOMES else outcome
    repeated = int((f.groupby("patient_id").size() >= 2).sum())
    if repeated < MIN_REPEATED_PATIENTS:
        raise NotApplicable(
            f"too few patients with repeated untreated {label} values ({repeated}; at least "
            f"{MIN_REPEATED_PATIENTS} are needed to estimate how values vary between visits and between patients)"
        )
    X, Z = design(f["months"].to_numpy(), random_curvature)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fit_lmm(
            f["y"].to_numpy(dtype=float),
            X,
            Z,
            f["patient_id"].to_numpy(),
            fe_names=["Intercept", "years", "years2"],
            re_names=["Intercept", "years", "years2"][: Z.shape[1]],
        )
    if math.sqrt(max(res.scale, 0.0)) < MIN_RESIDUAL_SD:
        raise NotApplicable(
            f"the {label} model estimates almost no visit-to-visit variation (residual SD "
            f"{math.sqrt(max(res.scale, 0.0)):.2g}): its prediction intervals would be falsely narrow"
        )
    bounds = OUTCOMES[outcome][1:] if outcome in OUTCOMES else (-math.inf, math.inf)
    cal = calibrate_intervals(
        res, f, lambda months: design(months, random_curvature), HORIZONS, bounds=bounds, label=label
    )
    return OutcomeModel(
        outcome,
        res,
        int(f["patient_id"].nunique()),
        len(f),
        [f"{outcome}: {w.message}" for w in caught],
        random_curvature,
        cal,
        history_of(f),
    )


def history_of(frame: pd.DataFrame) -> pd.DataFrame:
    """Per patient of a (patient_id, months, y) frame: number of values ``n`` and the last months ``last``."""
    f = frame.dropna(subset=["months", "y"])
    return f.groupby("patient_id")["months"].agg(n="size", last="max")


def outcome_frames(tables: Tables, derived: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Per outcome: untreated values (patient_id, months, y) as in the forecast's natural-history fit."""
    from alscell.analysis.forecast import untreated_visits

    tables = as_tables(tables)
    v, first = untreated_visits(tables, derived)
    v = v[(v["phase"] != "post") & v["months_since_onset"].notna()]
    out = {
        k: pd.DataFrame({"patient_id": v["patient_id"], "months": v["months_since_onset"], "y": v[k].astype(float)})
        for k in OUTCOMES
        if k != "fvc_pct_pred"
    }
    m = tables["measurements"]
    m = m[m["measure"] == "fvc_pct_pred"]
    daily = m.groupby(["patient_id", "date"], as_index=False)["value"].mean()
    onset = tables["patients"].set_index("patient_id")["onset_date"]
    daily["months"] = (daily["date"] - daily["patient_id"].map(onset)).dt.days / DAYS_PER_MONTH
    t0 = daily["patient_id"].map(first)
    keep = t0.isna() | (daily["date"] <= t0)
    out["fvc_pct_pred"] = daily.loc[keep, ["patient_id", "months"]].assign(y=daily.loc[keep, "value"].astype(float))
    return out


# ----------------------------------------------------------------------------- cohort pieces
def _stage_tables(derived: pd.DataFrame) -> dict[str, np.ndarray]:
    """P(stage ≥ k | total = j), j = 0..48, from the cohort's visits (pooled over j ± STAGE_POOL)."""
    d = derived.dropna(subset=["total"])
    out: dict[str, np.ndarray] = {}
    kings = d["kings_stage"].astype("string").str[0]
    scales = {
        "kings": (pd.to_numeric(kings, errors="coerce"), (2, 3, 4)),
        "mitos": (pd.to_numeric(d["mitos_stage"], errors="coerce"), (1, 2, 3, 4)),
    }
    j = d["total"].astype(int).to_numpy()
    for name, (stage, ks) in scales.items():
        ok = stage.notna().to_numpy() & (stage.to_numpy(dtype=float, na_value=np.nan) < 5)
        s = stage.to_numpy(dtype=float, na_value=np.nan)[ok]
        jj = j[ok]
        n = np.bincount(jj, minlength=49).astype(float)
        kern = np.ones(2 * STAGE_POOL + 1)
        npool = np.convolve(n, kern, mode="same")
        tab = np.full((len(ks), 49), np.nan)
        for i, k in enumerate(ks):
            c = np.convolve(np.bincount(jj[s >= k], minlength=49).astype(float), kern, mode="same")
            with np.errstate(invalid="ignore", divide="ignore"):
                tab[i] = np.where(npool > 0, c / np.where(npool > 0, npool, 1), np.nan)
        # totals with no cohort visit nearby: nearest total with data
        have = np.flatnonzero(np.isfinite(tab[0]))
        if len(have):
            nearest = have[np.abs(np.arange(49)[:, None] - have[None, :]).argmin(axis=1)]
            tab = tab[:, nearest]
        out[name] = tab
        out[name + "_levels"] = np.array(ks)
    return out


def _km_delayed_entry(entry: np.ndarray, stop: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier with left truncation (vectorised): event times and S just after each."""
    times = np.unique(stop[event == 1])
    if not len(times):
        return np.array([0.0]), np.array([1.0])
    es, ss = np.sort(entry), np.sort(stop)
    at_risk = np.searchsorted(es, times, side="left") - np.searchsorted(ss, times, side="left")
    d = np.bincount(np.searchsorted(times, stop[event == 1]), minlength=len(times)).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(at_risk > 0, 1 - d / np.maximum(at_risk, 1), 1.0)
    return times, np.cumprod(frac)


def survival_data(tables: Tables, derived: pd.DataFrame) -> pd.DataFrame:
    """Per patient: entry and stop (months since onset), composite event, ΔFRS group."""
    from alscell.domain.progression import progression_group

    p = tables["patients"].set_index("patient_id")
    d = derived.dropna(subset=["months_since_onset"])
    entry = d.groupby("patient_id")["months_since_onset"].min()
    last = d.groupby("patient_id")["date"].max()
    ev = tables["events"]
    onset = p["onset_date"]
    hit = ev[ev["event"].isin(COMPOSITE_EVENTS)].groupby("patient_id")["date"].min()
    last_ev = ev.groupby("patient_id")["date"].max()
    ids = entry.index
    end = pd.concat([last, last_ev.reindex(ids)], axis=1).max(axis=1)
    stop_date = end.where(hit.reindex(ids).isna(), hit.reindex(ids))
    out = pd.DataFrame(index=ids)
    out["entry"] = entry
    out["stop"] = (stop_date - onset.reindex(ids)).dt.days / DAYS_PER_MONTH
    out["event"] = hit.reindex(ids).notna().astype(int)
    first = d.sort_values("date").dropna(subset=["delta_frs"]).groupby("patient_id")["delta_frs"].first()
    out["group"] = pd.Series(progression_group(first.to_numpy()), index=first.index).reindex(ids)
    return out[out["stop"] > out["entry"]]


@dataclass
class PrognosisModels:
    """Everything fitted once on a cohort and reused for each patient."""

    outcomes: dict[str, OutcomeModel]
    not_fitted: dict[str, str]
    stage: dict[str, np.ndarray]
    survival: pd.DataFrame
    derived: pd.DataFrame


def fit_prognosis_models(tables: Tables) -> PrognosisModels:
    """Fit the per-outcome models, the stage tables and the survival data on a cohort."""
    from alscell.analysis.derived import derive_visits

    tables = as_tables(tables)
    derived = derive_visits(tables)
    frames = outcome_frames(tables, derived)
    models, skipped = {}, {}
    for k, f in frames.items():
        try:
            models[k] = fit_outcome(f, k)
        except NotApplicable as exc:
            skipped[k] = str(exc)
    if "total" not in models:
        raise NotApplicable(skipped.get("total", "no ALSFRS-R total to model"))
    return PrognosisModels(models, skipped, _stage_tables(derived), survival_data(tables, derived), derived)


# ----------------------------------------------------------------------------- per patient
def _clip(a, lo, hi):
    return np.clip(np.asarray(a, dtype=float), lo, hi)


Z95 = 1.959963984540054  # standard normal 97.5th percentile


def _outcome_forecast(m: OutcomeModel, pid: str, now: float, last_obs: float | None, n_obs: int) -> dict:
    label, lo, hi = OUTCOMES[m.outcome]
    p = m.predict_ahead(pid, now, HORIZONS)
    mean, sd = p["mean"].to_numpy(), p["se"].to_numpy()
    cols = {
        "mean": _clip(mean, lo, hi),
        "pi80_low": _clip(mean - Z80 * sd, lo, hi),
        "pi80_high": _clip(mean + Z80 * sd, lo, hi),
        "pi95_low": _clip(mean - Z95 * sd, lo, hi),
        "pi95_high": _clip(mean + Z95 * sd, lo, hi),
    }
    rows = []
    for i, h in enumerate(HORIZONS):
        row: dict[str, Any] = {"months_ahead": h}
        row.update({k: round(float(v[i]), 2) for k, v in cols.items()})
        row["sd"] = round(float(sd[i]), 3)
        row["interval_factor"] = round(float(p["factor"].iloc[i]), 3)
        rows.append(row)
    known = pid in m.labels
    out: dict[str, Any] = {
        "outcome": m.outcome,
        "label": label,
        "basis": "patient" if known else "population",
        "n_patient_values": n_obs,
        "last_observed": None if last_obs is None or not math.isfinite(last_obs) else float(last_obs),
        "horizons": rows,
    }
    if m.calibration is not None:
        cal = m.calibration.to_json_dict()
        if known and m.history is not None and pid in m.history.index:
            cal["values_used"] = int(m.history.at[pid, "n"])
        if not known:
            cal["population_course"] = (
                "The population course is not recalibrated: the registry's check covers forecasts from a "
                "patient's own values."
            )
        out["interval_calibration"] = cal
    if not known:
        out["note"] = (
            f"No untreated {label} value of this patient: the population course, with the whole spread between "
            "patients in its ranges."
        )
    elif n_obs <= 1:
        out["note"] = (
            f"One {label} value only: the patient's own rate of change cannot be estimated yet, so the ranges "
            "use the cohort's spread of rates and are wide; each further visit narrows them."
        )
    return out


def _stage_probs(models: PrognosisModels, fc_total: dict, current: dict) -> list[dict]:
    from scipy.stats import norm

    out = []
    edges = np.arange(-0.5, 49.0, 1.0)
    for r in fc_total["horizons"]:
        mu, sd = r["mean"], max(r["sd"], 1e-6)
        cdf = norm.cdf((edges - mu) / sd)
        cdf[0], cdf[-1] = 0.0, 1.0  # mass below 0 / above 48 goes to the ends
        pj = np.diff(cdf)
        rec: dict[str, Any] = {"months_ahead": r["months_ahead"]}
        for name in ("kings", "mitos"):
            tab, levels = models.stage[name], models.stage[name + "_levels"]
            probs = tab @ pj
            cur = current.get(name)
            rec[name] = {
                f">={k}": round(float(1.0 if cur is not None and cur >= k else p), 3)
                for k, p in zip(levels, probs, strict=True)
            }
        out.append(rec)
    return out


def _event_free(models: PrognosisModels, pid: str, now: float) -> dict:
    sd = models.survival
    row = sd.loc[pid] if pid in sd.index else None
    res: dict[str, Any] = {"events": list(COMPOSITE_EVENTS), "method": "Kaplan-Meier from onset, delayed entry"}
    if row is not None and row["event"] == 1 and row["stop"] <= now + 1e-9:
        res["already"] = True
        res["statement"] = "The patient has already had death, tracheostomy or permanent ventilation recorded."
        return res
    group = row["group"] if row is not None and isinstance(row["group"], str) else None
    sub = sd[sd["group"] == group] if group else sd.iloc[0:0]
    if group and len(sub) >= MIN_GROUP_PATIENTS and sub["event"].sum() >= MIN_GROUP_EVENTS:
        res["stratum"] = f"{group} progression (ΔFRS group, Labra et al. 2016), {len(sub)} patients"
    else:
        sub = sd
        res["stratum"] = f"whole cohort, {len(sub)} patients"
    res["n_events"] = int(sub["event"].sum())
    times, s = _km_delayed_entry(sub["entry"].to_numpy(), sub["stop"].to_numpy(), sub["event"].to_numpy())

    def at(t):
        i = np.searchsorted(times, t, side="right") - 1
        return 1.0 if i < 0 else float(s[i])

    s_now = at(now)
    last_t = float(sub["stop"].max()) if len(sub) else 0.0
    res["horizons"] = []
    for h in HORIZONS:
        if now + h > last_t or s_now <= 0:
            res["horizons"].append({"months_ahead": h, "event_free": None, "why": "beyond the cohort's follow-up"})
        else:
            res["horizons"].append({"months_ahead": h, "event_free": round(at(now + h) / s_now, 3)})
    return res


def _scenarios(total: dict) -> list[dict]:
    """The forecast of the total under each reported effect size (extra points at each horizon)."""
    base = {r["months_ahead"]: r for r in total["horizons"]}
    last = total.get("last_observed")

    def lenz(h):  # +2.98 at 4 months, +3.38 at 6 months (Oh 2018); 3 months interpolated linearly from 0
        return {3.0: 2.98 * 3 / 4, 6.0: 3.38}.get(h)

    defs = [
        ("none", "No treatment effect", lambda h: 0.0, "the natural-history forecast above", None, True),
        (
            "nurown_phase3_overall",
            "NurOwn phase 3, all participants",
            lambda h: (0.33 - 0.28) * RESPONDER_SLOPE * h,
            NUROWN_SOURCE,
            "Responders (slope improved by at least 1.25 points/month) 33% vs 28% on placebo, p = 0.45: the trial "
            "did not show a benefit. Shown as 5 extra responders per 100 × 1.25 points/month (a rough lower-bound "
            "translation).",
            True,
        ),
        (
            "nurown_phase3_alsfrs35",
            "NurOwn phase 3, ALSFRS-R ≥ 35 subgroup",
            lambda h: (0.35 - 0.16) * RESPONDER_SLOPE * h,
            NUROWN_SOURCE,
            "Responders 35% vs 16% on placebo in the subgroup with ALSFRS-R ≥ 35, p = 0.29: not statistically "
            "significant, a subgroup of a negative trial. Shown as 19 extra responders per 100 × 1.25 "
            "points/month.",
            last is not None and last >= 35,
        ),
        (
            "lenzumestrocel_phase2",
            "Lenzumestrocel phase 2",
            lenz,
            LENZ_SOURCE,
            "ALSFRS-R change +2.98 points at 4 months and +3.38 at 6 months against riluzole-only controls (open "
            "label, not blinded); no FVC difference; not reported beyond 6 months. " + ALSUMMIT + ".",
            True,
        ),
    ]
    out = []
    for key, label, extra, src, caveat, applies in defs:
        rows = []
        for h, r in base.items():
            e = extra(h)
            if e is None:
                rows.append(
                    {"months_ahead": h, "extra_points": None, "mean": None, "pi80_low": None, "pi80_high": None}
                )
                continue
            rows.append(
                {
                    "months_ahead": h,
                    "extra_points": round(e, 2),
                    "mean": round(min(r["mean"] + e, 48.0), 2),
                    "pi80_low": round(min(r["pi80_low"] + e, 48.0), 2),
                    "pi80_high": round(min(r["pi80_high"] + e, 48.0), 2),
                }
            )
        out.append(
            {
                "key": key,
                "label": label,
                "source": src,
                "caveat": caveat,
                "applies_to_patient": bool(applies),
                "horizons": rows,
            }
        )
    return out


def _natural_variability(m: OutcomeModel, pid: str, now: float, last: float | None) -> dict:
    from scipy.stats import norm

    res: dict[str, Any] = {"published": BEDLACK}
    if last is None:
        return res
    p = m.predict_ahead(pid, now, [6.0, 12.0])
    # P(a visit then scores at least today's total) under the (recalibrated) predictive normal (continuity 0.5)
    z = (p["mean"].to_numpy() - (last - 0.5)) / p["se"].to_numpy()
    res["patient_no_decline"] = [
        {"months_ahead": h, "probability": round(float(norm.cdf(zz)), 3)} for h, zz in zip((6.0, 12.0), z, strict=True)
    ]
    return res


def screening_values(tables: Tables, pid: str, as_of: pd.Timestamp) -> tuple[dict[str, Any], Any]:
    """Variables the criteria files can use, and a decline function of ``over_months``."""
    from alscell.analysis.design_matrix import active_treatments
    from alscell.domain.alsfrs import score_items
    from alscell.domain.suitability import invasive_ventilation_from

    p = tables["patients"].set_index("patient_id").loc[pid]
    onset = pd.Timestamp(p["onset_date"])
    a = tables["alsfrs"]
    a = a[(a["patient_id"] == pid) & (a["date"] <= as_of)].sort_values("date")
    sc = score_items(a)
    tot = pd.Series(sc["total"].to_numpy(dtype=float), index=pd.DatetimeIndex(a["date"])).dropna()
    ev = tables["events"]
    ev = ev[(ev["patient_id"] == pid) & (ev["date"] <= as_of)]["event"].tolist()
    m = tables["measurements"]
    m = m[(m["patient_id"] == pid) & (m["date"] <= as_of)].sort_values("date")

    def latest(key):
        x = m[m["measure"] == key]
        return float(x["value"].iloc[-1]) if len(x) else None

    last = a.iloc[-1] if len(a) else None
    q12 = last["q12"] if last is not None else None
    q10 = last["q10"] if last is not None else None
    inv = invasive_ventilation_from(q12, ev)
    niv_ev = any(e in ("niv_start", "tracheostomy", "permanent_ventilation") for e in ev)
    if niv_ev or inv:
        vent: bool | None = True
    elif q12 is None or pd.isna(q12):
        vent = None
    else:
        vent = bool(float(q12) < 4 or (q10 is not None and not pd.isna(q10) and float(q10) == 0))
    if "gastrostomy" in ev or (last is not None and not pd.isna(last.get("q5b"))):
        gast: bool | None = True
    else:
        gast = None if last is None or pd.isna(last.get("q5a")) else False
    fvc, svc = latest("fvc_pct_pred"), latest("svc_pct_pred")
    act = active_treatments(tables)
    prior = bool(((act["patient_id"] == pid) & (act["date"] <= as_of)).any())
    by = p.get("birth_year")
    vals: dict[str, Any] = {
        "el_escorial": None if pd.isna(p.get("el_escorial")) else p.get("el_escorial"),
        "months_since_onset": (as_of - onset).days / DAYS_PER_MONTH,
        "age": None if by is None or pd.isna(by) else float(as_of.year - int(by)),
        "alsfrs_total": float(tot.iloc[-1]) if len(tot) else None,
        "fvc_pct_pred": fvc,
        "svc_pct_pred": svc,
        "vc_pct_pred": svc if svc is not None else fvc,
        "invasive_ventilation": inv,
        "ventilation": vent,
        "gastrostomy": gast,
        "edaravone": None if pd.isna(p.get("edaravone")) else bool(p.get("edaravone")),
        "riluzole": None if pd.isna(p.get("riluzole")) else bool(p.get("riluzole")),
        "prior_cell_therapy": prior,
    }
    for col in p.index:
        if str(col).startswith("x_"):
            v = p[col]
            s = str(v).strip().lower() if v is not None and not pd.isna(v) else ""
            vals[str(col)[2:]] = True if s in ("true", "yes", "1") else False if s in ("false", "no", "0") else None

    def decline(over: float) -> dict:
        if len(tot) < 2:
            return {"why": "fewer than two ALSFRS-R totals before screening"}
        t_last = tot.index[-1]
        gap = np.abs((t_last - tot.index).days / DAYS_PER_MONTH - over)
        i = int(np.argmin(gap))
        if gap[i] > max(1.5, over / 2) or tot.index[i] >= t_last:
            return {"why": f"no ALSFRS-R total about {over:g} months before the latest one"}
        months = (t_last - tot.index[i]).days / DAYS_PER_MONTH
        return {"points": float(tot.iloc[i] - tot.iloc[-1]), "months": months}

    return vals, decline


@dataclass
class Prognosis:
    """A patient's prognosis and suitability at a reference date."""

    patient_id: str
    as_of: pd.Timestamp
    months_since_onset: float
    forecasts: list[dict]
    stages_now: dict
    stage_probabilities: list[dict]
    event_free: dict
    encals: dict
    scenarios: list[dict]
    natural_variability: dict
    suitability: list[dict]
    routes: dict
    warnings: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict:
        return {
            "as_of": self.as_of.strftime("%Y-%m-%d"),
            "months_since_onset": round(self.months_since_onset, 2),
            "horizons_months": list(HORIZONS),
            "forecasts": self.forecasts,
            "stages_now": self.stages_now,
            "stage_probabilities": self.stage_probabilities,
            "event_free": self.event_free,
            "encals": self.encals,
            "scenarios": self.scenarios,
            "natural_variability": self.natural_variability,
            "suitability": self.suitability,
            "routes": self.routes,
            "warnings": self.warnings,
        }


def prognosis_patient(
    tables: Tables, patient_id: str, models: PrognosisModels | None = None, as_of: pd.Timestamp | None = None
) -> Prognosis:
    """Forecast, stages, event-free survival, ENCALS, treatment scenarios and suitability for one patient."""
    from alscell.analysis.encals import encals_patient
    from alscell.analysis.forecast import PatientNotFound
    from alscell.domain.suitability import evaluate_routes, evaluate_set, load_criteria, load_route_flags

    tables = as_tables(tables)
    pats = tables["patients"].set_index("patient_id")
    if patient_id not in pats.index:
        raise PatientNotFound(f"patient {patient_id!r} is not in the data")
    mod = models if models is not None else fit_prognosis_models(tables)
    onset = pd.Timestamp(pats.loc[patient_id, "onset_date"])
    dv = mod.derived[mod.derived["patient_id"] == patient_id].sort_values("date")
    if as_of is None:
        as_of = pd.Timestamp(dv["date"].max()) if len(dv) else onset
    as_of = pd.Timestamp(as_of)
    dv = dv[dv["date"] <= as_of]
    now = (as_of - onset).days / DAYS_PER_MONTH
    notes: list[str] = []
    for om in mod.outcomes.values():
        notes.extend(om.warnings)
    forecasts = []
    frames_n = {k: int(dv[k].notna().sum()) for k in OUTCOMES if k in dv.columns}
    fvc = tables["measurements"]
    fvc = fvc[(fvc["patient_id"] == patient_id) & (fvc["measure"] == "fvc_pct_pred") & (fvc["date"] <= as_of)]
    frames_n["fvc_pct_pred"] = int(fvc["date"].nunique())
    for k in OUTCOMES:
        if k not in mod.outcomes:
            forecasts.append({"outcome": k, "label": OUTCOMES[k][0], "not_available": mod.not_fitted.get(k, "")})
            continue
        if k == "fvc_pct_pred":
            last = float(fvc.sort_values("date")["value"].iloc[-1]) if len(fvc) else None
        else:
            s = dv[k].dropna()
            last = float(s.iloc[-1]) if len(s) else None
        forecasts.append(_outcome_forecast(mod.outcomes[k], patient_id, now, last, frames_n[k]))
    n_tot = frames_n.get("total", 0)
    if n_tot == 0:
        notes.append(
            "No ALSFRS-R total of this patient: the forecast is the population course, with the whole spread "
            "between patients in its intervals."
        )
    elif n_tot == 1:
        notes.append(
            "Only one ALSFRS-R visit: the patient's own rate of decline cannot be estimated yet, so the forecast "
            "uses the cohort's average rate and its intervals are wide; each further visit narrows them."
        )
    total = forecasts[0]
    stages_now: dict[str, Any] = {"kings": None, "mitos": None}
    k = dv.dropna(subset=["kings_stage"])
    if len(k):
        stages_now["kings"] = str(k["kings_stage"].iloc[-1])
    mm = dv.dropna(subset=["mitos_stage"])
    if len(mm):
        stages_now["mitos"] = int(mm["mitos_stage"].iloc[-1])
    cur = {
        "kings": int(stages_now["kings"][0]) if stages_now["kings"] else None,
        "mitos": stages_now["mitos"],
    }
    stage_p = _stage_probs(mod, total, cur) if "horizons" in total else []
    ef = _event_free(mod, patient_id, now)
    enc = encals_patient(tables, patient_id, as_of=as_of, horizons=HORIZONS).to_json_dict()
    scen = _scenarios(total) if "horizons" in total else []
    last_obs = total.get("last_observed")
    nv = _natural_variability(mod.outcomes["total"], patient_id, now, None if last_obs is None else float(last_obs))
    vals, decline = screening_values(tables, patient_id, as_of)
    suit = [evaluate_set(load_criteria(n), vals, decline) for n in SHIPPED_SETS]
    rsrc, flags = load_route_flags()
    routes = {"source": rsrc, "routes": evaluate_routes(flags, vals)}
    return Prognosis(patient_id, as_of, now, forecasts, stages_now, stage_p, ef, enc, scen, nv, suit, routes, notes)


__all__ = [
    "HORIZONS",
    "OUTCOMES",
    "OutcomeModel",
    "Prognosis",
    "PrognosisModels",
    "design",
    "fit_outcome",
    "fit_prognosis_models",
    "history_of",
    "outcome_frames",
    "prognosis_patient",
    "screening_values",
]

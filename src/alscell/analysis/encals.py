"""The ENCALS personalised prognostic model (Westeneng et al., Lancet Neurol 2018;17:423–33).

Outcome: event-free survival from symptom onset, the event being death, tracheostomy or non-invasive
ventilation > 23 h/day.  Royston–Parmar flexible parametric model on the *proportional odds* scale with a
restricted cubic spline of log time (months since onset) and two interior knots:

    S(t | x) = 1 / (1 + exp(s(ln t) + LP)),   LP = Σ βᵢ fᵢ(xᵢ)
    s(u) = γ0 + γ1 u + γ2 v1(u) + γ3 v2(u),
    vj(u) = (u − kj)³₊ − λj (u − kmin)³₊ − (1 − λj)(u − kmax)³₊,  λj = (kmax − kj)/(kmax − kmin)

(the basis of Royston & Parmar, Stat Med 2002;21:2175–97, as in R ``flexsurv::flexsurvspline``).

Sources of every number (docs/prognosis.md, "ENCALS", says what was checked and what was not):

* Predictors, composite outcome, model type: the paper's summary (Lancet Neurol 2018;17:423).
* β coefficients and the fractional-polynomial transformations: ``MyLP`` ("Calculate ENCALS LP") in
  ``Source_Basics.R`` of the public repository rpavaneijk/Basics, written by R.P.A. van Eijk, a co-author
  of the paper, at full precision (:data:`BETA`).  A second, independent public file,
  ``ENCALS risk modelling.R`` in rpavaneijk/Precision-ALS (commit c81e88c, "added my own function based on
  the published version of the model"), gives the same transformations and the same βs to 3 decimals
  (:data:`BETA_3DP`; tests check the two agree to rounding).
* Baseline spline γ0–γ3, knots and λ: the second file only (one source; the printed λs equal
  (kmax − kj)/(kmax − kmin) to 6 digits, checked in tests).  That file omits the cube on the kmax term,
  which only matters beyond kmax (e^5.917 ≈ 371 months); we use the standard cubed basis.
* Not checked: the paper's supplementary table itself (not in the material available here), so neither
  source could be compared with the printed numbers.
* Risk groups: the paper defines five (very short, short, intermediate, long, very long) by cut-offs of
  the linear predictor; the names are confirmed by secondary sources (e.g. Fast Fact #437, mypcnow.org;
  FORTITUDE-ALS post-hoc, PMID 40324960) but the cut-offs could not be found, so they are reported as
  *not available*, never approximated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alscell.domain.time import DAYS_PER_MONTH
from alscell.io.tables import Tables, as_tables

PAPER = "Westeneng et al., Lancet Neurol 2018;17:423-33"
COEF_SOURCE = (
    "βs: R.P.A. van Eijk (co-author), MyLP in rpavaneijk/Basics Source_Basics.R, matching "
    "rpavaneijk/Precision-ALS 'ENCALS risk modelling.R' to 3 decimals; baseline spline from the latter only; "
    "not checked against the paper's supplement"
)
# β for the transformed predictors, full precision (source: MyLP, rpavaneijk/Basics Source_Basics.R).
BETA = {
    "delta_frs": -1.83665700485301,  # on (ΔFRS + 0.1)^-0.5, ΔFRS in points/month (= −SLOPE there)
    "diagnostic_delay": -2.37341404599814,  # on (d/10)^-0.5 + ln(d/10), d months from onset to diagnosis
    "age_at_onset": -0.266972062796289,  # on (age/100)^-2, years
    "fvc": 0.476853332498141,  # on (FVC/100)^-1 + (FVC/100)^-0.5, % predicted
    "bulbar_onset": 0.268874087566745,
    "definite_el_escorial": 0.232783007891563,
    "ftd": 0.38831322640700,
    "c9orf72": 0.256078493763062,
}
# The same βs to 3 decimals from the second source (rpavaneijk/Precision-ALS, encals_beta_function).
BETA_3DP = {
    "delta_frs": -1.837,
    "diagnostic_delay": -2.373,
    "age_at_onset": -0.267,
    "fvc": 0.477,
    "bulbar_onset": 0.269,
    "definite_el_escorial": 0.233,
    "ftd": 0.388,
    "c9orf72": 0.256,
}
# The 7-predictor "TRICALS risk profile" (no C9orf72) in rpavaneijk/Precision-ALS, used there for trial
# selection; slightly different βs.  Reference only, not used.
TRICALS_BETA = {
    "delta_frs": -1.839,
    "diagnostic_delay": -2.376,
    "age_at_onset": -0.264,
    "fvc": 0.474,
    "bulbar_onset": 0.271,
    "definite_el_escorial": 0.238,
    "ftd": 0.415,
}
# Baseline spline of ln(months since onset) (source: rpavaneijk/Precision-ALS, encals_survival_function).
GAMMA = (-6.409, 2.643, -0.546, 0.585)
KNOTS = (0.081, 3.108, 3.638, 5.917)  # kmin, k1, k2, kmax on ln(months)
LAMBDA_GIVEN = (0.481323, 0.390507)  # as printed in the source; equal to (kmax - kj)/(kmax - kmin)

PREDICTORS = tuple(BETA)
LABELS = {
    "delta_frs": "ALSFRS-R progression rate ΔFRS (points/month)",
    "diagnostic_delay": "diagnostic delay (months from onset to diagnosis)",
    "age_at_onset": "age at onset (years)",
    "fvc": "vital capacity (% predicted)",
    "bulbar_onset": "bulbar onset",
    "definite_el_escorial": "definite ALS (El Escorial)",
    "ftd": "frontotemporal dementia",
    "c9orf72": "C9orf72 repeat expansion",
}
BINARY = ("bulbar_onset", "definite_el_escorial", "ftd", "c9orf72")
RISK_GROUPS = ("very short", "short", "intermediate", "long", "very long")  # the paper's five groups
RISK_GROUPS_NOTE = (
    "The paper assigns one of five risk groups (very short, short, intermediate, long, very long) by cut-offs "
    "of the linear predictor; those cut-offs (in the paper's supplement) were not available to alscell, so no "
    "group is shown rather than an approximated one."
)
# What-if values for a missing continuous predictor: the prediction is shown at each (all listed in the
# output as 'assumed'), never a single number.  Illustrative points across the scale, not estimates.
WHAT_IF = {
    "delta_frs": (0.25, 0.5, 1.0, 1.5),
    "diagnostic_delay": (6.0, 12.0, 24.0),
    "age_at_onset": (45.0, 60.0, 75.0),
    "fvc": (60.0, 80.0, 100.0),
}
MAX_BOUNDS = 32  # more combinations than this: list only the extremes
FVC_WINDOW_MONTHS = 3.0  # FVC used if measured within this many months of the ΔFRS visit
C9_NEGATIVE = {"none", "negative", "no_mutation", "c9orf72_negative", "c9orf72-", "tested_negative"}


def transforms(x: dict[str, Any]) -> dict[str, np.ndarray]:
    """The model's transformations fᵢ of each (possibly array) predictor value."""
    f = {k: np.asarray(x[k], dtype=float) for k in PREDICTORS}
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "delta_frs": (f["delta_frs"] + 0.1) ** -0.5,
            "diagnostic_delay": (f["diagnostic_delay"] / 10) ** -0.5 + np.log(f["diagnostic_delay"] / 10),
            "age_at_onset": (f["age_at_onset"] / 100) ** -2.0,
            "fvc": (f["fvc"] / 100) ** -1.0 + (f["fvc"] / 100) ** -0.5,
            **{k: f[k] for k in BINARY},
        }


def linear_predictor(x: dict[str, Any]) -> np.ndarray:
    """LP = Σ βᵢ fᵢ(xᵢ) (vectorised over arrays of predictor values)."""
    t = transforms(x)
    lp = np.zeros(np.broadcast_shapes(*(np.shape(t[k]) for k in PREDICTORS)))
    for k in PREDICTORS:
        lp = lp + BETA[k] * np.asarray(t[k], dtype=float)
    return lp


def _lambdas() -> tuple[float, float]:
    kmin, k1, k2, kmax = KNOTS
    return ((kmax - k1) / (kmax - kmin), (kmax - k2) / (kmax - kmin))


def baseline_spline(months: Any) -> np.ndarray:
    """s(ln t) of the baseline log cumulative odds, t in months since onset (> 0)."""
    u = np.log(np.asarray(months, dtype=float))
    kmin, k1, k2, kmax = KNOTS
    lam = _lambdas()

    def cube(a):
        return np.clip(a, 0, None) ** 3

    v = [cube(u - k) - lj * cube(u - kmin) - (1 - lj) * cube(u - kmax) for k, lj in zip((k1, k2), lam, strict=True)]
    g0, g1, g2, g3 = GAMMA
    return g0 + g1 * u + g2 * v[0] + g3 * v[1]


def survival(months: Any, lp: Any) -> np.ndarray:
    """Event-free survival probability at ``months`` since onset (broadcasts months against lp)."""
    eta = baseline_spline(months) + np.asarray(lp, dtype=float)
    return 1.0 / (1.0 + np.exp(eta))


def median_months(lp: float) -> float:
    """Predicted median event-free survival from onset (months): s(ln t) = −LP, by bisection on ln t."""
    lo, hi = -3.0, 8.0  # ln months
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if baseline_spline(math.exp(mid)) + lp < 0:
            lo = mid
        else:
            hi = mid
    return math.exp(0.5 * (lo + hi))


@dataclass
class EncalsPrediction:
    """The ENCALS model for one patient: predictors found, and the prediction or why there is none."""

    predictors: dict[str, Any]  # name -> value (None = missing)
    sources: dict[str, str]  # name -> where the value came from / why missing
    missing: list[str]
    months_now: float | None  # months since onset at the reference date
    linear_predictor: float | None = None
    median_months_from_onset: float | None = None
    survival_now: float | None = None
    conditional: list[dict] = field(default_factory=list)  # event-free at +h months given event-free now
    bounds: list[dict] = field(default_factory=list)  # range over missing binary predictors
    statement: str = ""
    warnings: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict:
        def r(v):
            return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else round(float(v), 4)

        return {
            "model": "ENCALS (Royston-Parmar, proportional odds)",
            "paper": PAPER,
            "coefficients_source": COEF_SOURCE,
            "outcome": "death, tracheostomy or non-invasive ventilation > 23 h/day",
            "predictors": {
                k: {
                    "label": LABELS[k],
                    "value": (
                        self.predictors[k]
                        if isinstance(self.predictors[k], (bool, type(None)))
                        else r(self.predictors[k])
                    ),
                    "source": self.sources.get(k, ""),
                }
                for k in PREDICTORS
            },
            "missing": self.missing,
            "linear_predictor": r(self.linear_predictor),
            "median_months_from_onset": r(self.median_months_from_onset),
            "months_since_onset_now": r(self.months_now),
            "event_free_now": r(self.survival_now),
            "conditional": self.conditional,
            "bounds": self.bounds,
            "risk_group": None,
            "risk_groups": list(RISK_GROUPS),
            "risk_group_note": RISK_GROUPS_NOTE,
            "statement": self.statement,
            "warnings": self.warnings,
        }


def _conditional(lp: float, now: float, horizons: tuple[float, ...]) -> list[dict]:
    s_now = float(survival(now, lp))
    out = []
    for h in horizons:
        s = float(survival(now + h, lp))
        out.append({"months_ahead": h, "event_free": round(s / s_now, 4) if s_now > 0 else None})
    return out


def encals_predictors(tables: Tables, patient_id: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The eight ENCALS predictors from the canonical tables; None (with a reason) where missing."""
    from alscell.domain.alsfrs import score_items

    tables = as_tables(tables)
    p = tables["patients"].set_index("patient_id").loc[patient_id]
    onset = pd.Timestamp(p["onset_date"])
    val: dict[str, Any] = dict.fromkeys(PREDICTORS)
    src: dict[str, str] = {}

    a = tables["alsfrs"]
    a = a[a["patient_id"] == patient_id].sort_values("date")
    tot = pd.Series(score_items(a)["total"].to_numpy(dtype=float), index=a["date"].to_numpy()).dropna()
    first_date = None
    if len(tot):
        first_date = pd.Timestamp(tot.index[0])
        months = (first_date - onset).days / DAYS_PER_MONTH
        if months > 0:
            val["delta_frs"] = max((48.0 - float(tot.iloc[0])) / months, 0.0)
            src["delta_frs"] = f"(48 − {tot.iloc[0]:g}) / {months:.1f} months, first visit {first_date:%Y-%m-%d}"
        else:
            src["delta_frs"] = "first ALSFRS-R visit is on the onset date: ΔFRS undefined"
    else:
        src["delta_frs"] = "no complete ALSFRS-R total recorded"

    dx = p.get("diagnosis_date")
    if dx is not None and not pd.isna(dx):
        d = (pd.Timestamp(dx) - onset).days / DAYS_PER_MONTH
        if d > 0:
            val["diagnostic_delay"] = d
            src["diagnostic_delay"] = f"diagnosis {pd.Timestamp(dx):%Y-%m-%d}"
        else:
            src["diagnostic_delay"] = "diagnosis on the onset date: the model's transformation is undefined at 0"
    else:
        src["diagnostic_delay"] = "diagnosis date not recorded"

    by = p.get("birth_year")
    if by is not None and not pd.isna(by):
        # birth year only: assume mid-year birth (error at most ±0.5 year)
        val["age_at_onset"] = onset.year + (onset.dayofyear - 0.5) / 365.25 - (int(by) + 0.5)
        src["age_at_onset"] = "from birth year (mid-year assumed, ±0.5 year)"
    else:
        src["age_at_onset"] = "birth year not recorded"

    m = tables["measurements"]
    m = m[m["patient_id"] == patient_id]
    ref = first_date if first_date is not None else None
    for key in ("fvc_pct_pred", "svc_pct_pred"):
        mm = m[m["measure"] == key]
        if len(mm) and ref is not None:
            gap = (mm["date"] - ref).abs().dt.days / DAYS_PER_MONTH
            near = mm[gap <= FVC_WINDOW_MONTHS]
            if len(near):
                row = near.loc[(near["date"] - ref).abs().idxmin()]
                if float(row["value"]) > 0:
                    val["fvc"] = float(row["value"])
                    src["fvc"] = f"{key} on {row['date']:%Y-%m-%d}"
                    break
    if val["fvc"] is None:
        src["fvc"] = f"no FVC/SVC (% predicted) within {FVC_WINDOW_MONTHS:g} months of the first ALSFRS-R visit"

    val["bulbar_onset"] = p["onset_site"] == "bulbar"
    src["bulbar_onset"] = f"onset site {p['onset_site']}"
    ee = p.get("el_escorial")
    if ee is not None and not pd.isna(ee):
        val["definite_el_escorial"] = ee == "definite"
        src["definite_el_escorial"] = f"El Escorial {ee}"
    else:
        src["definite_el_escorial"] = "El Escorial category not recorded"
    ftd, col = None, None
    for c in ("ftd", "x_ftd"):  # canonical optional column, or a free x_ column before it existed
        if c in p.index and p[c] is not None and not pd.isna(p[c]):
            ftd, col = p[c], c
            break
    if ftd is not None:
        text = str(ftd).strip().lower()
        val["ftd"] = ftd if isinstance(ftd, bool) else text in ("true", "yes", "1")
        src["ftd"] = f"patients.{col}"
    else:
        src["ftd"] = "frontotemporal dementia status not recorded (optional column patients.ftd)"
    g = p.get("genetics")
    if g is not None and not pd.isna(g) and str(g).strip():
        text = str(g).strip().lower()
        if "c9orf72" in text and text not in C9_NEGATIVE:
            val["c9orf72"] = True
            src["c9orf72"] = f"genetics {g!s}"
        elif text in C9_NEGATIVE:
            val["c9orf72"] = False
            src["c9orf72"] = f"genetics {g!s}"
        else:
            src["c9orf72"] = f"genetics {g!s} does not say whether C9orf72 was tested"
    else:
        src["c9orf72"] = "genetics not recorded"
    return val, src


def encals_patient(
    tables: Tables, patient_id: str, as_of: pd.Timestamp | None = None, horizons: tuple[float, ...] = (3.0, 6.0, 12.0)
) -> EncalsPrediction:
    """The ENCALS prediction for one patient, or a clear statement of what is missing."""
    import itertools

    tables = as_tables(tables)
    val, src = encals_predictors(tables, patient_id)
    onset = pd.Timestamp(tables["patients"].set_index("patient_id").loc[patient_id, "onset_date"])
    now = None if as_of is None else (pd.Timestamp(as_of) - onset).days / DAYS_PER_MONTH
    missing = [k for k in PREDICTORS if val[k] is None]
    res = EncalsPrediction(predictors=val, sources=src, missing=missing, months_now=now)
    res.warnings.append(
        "Coefficients: " + COEF_SOURCE + ". The model was developed at diagnosis in 14 European "
        "centres and is applied here to the first recorded visit."
    )
    if not missing:
        lp = float(linear_predictor({k: float(v) for k, v in val.items()}))
        res.linear_predictor = lp
        res.median_months_from_onset = median_months(lp)
        if now is not None and now > 0:
            res.survival_now = float(survival(now, lp))
            res.conditional = _conditional(lp, now, horizons)
        res.statement = (
            f"ENCALS model: predicted median event-free survival {res.median_months_from_onset:.0f} months "
            "from symptom onset (half of patients with these characteristics do better, half worse)."
        )
        return res
    names = ", ".join(LABELS[k] for k in missing)
    # Not a prediction: the model at every combination of values for the missing predictors (yes/no, and the
    # what-if values of a missing continuous one), so the reader sees how much the answer depends on them.
    choices = [WHAT_IF[k] if k in WHAT_IF else (False, True) for k in missing]
    for combo in itertools.product(*choices):
        x = {k: float(v) if v is not None else 0.0 for k, v in val.items()}
        x.update({k: float(c) for k, c in zip(missing, combo, strict=True)})
        lp = float(linear_predictor(x))
        b: dict[str, Any] = {
            "assumed": {k: (bool(c) if k in BINARY else float(c)) for k, c in zip(missing, combo, strict=True)},
            "linear_predictor": round(lp, 4),
            "median_months_from_onset": round(median_months(lp), 1),
        }
        if now is not None and now > 0:
            b["conditional"] = _conditional(lp, now, horizons)
        res.bounds.append(b)
    meds = [b["median_months_from_onset"] for b in res.bounds]
    if len(res.bounds) > MAX_BOUNDS:  # many missing predictors: keep the two extremes only
        lps = [b["linear_predictor"] for b in res.bounds]
        res.bounds = [res.bounds[int(np.argmin(lps))], res.bounds[int(np.argmax(lps))]]
        res.warnings.append(f"Only the two extreme combinations of {len(lps)} are listed in 'bounds'.")
    tried = "; ".join(f"{LABELS[k]} {', '.join(f'{v:g}' for v in WHAT_IF[k])}" for k in missing if k in WHAT_IF)
    res.statement = (
        f"No ENCALS prediction: {names} not recorded, and alscell does not fill in a missing predictor with a "
        f"guess. Depending on the missing value{'s' if len(missing) > 1 else ''}"
        + (f" (values tried: {tried}; yes/no for the others)" if tried else " (yes or no)")
        + f", the predicted median event-free survival would be between {min(meds):.0f} and {max(meds):.0f} "
        "months from onset; recording it gives one number."
    )
    return res


__all__ = [
    "BETA",
    "BETA_3DP",
    "GAMMA",
    "KNOTS",
    "RISK_GROUPS",
    "EncalsPrediction",
    "baseline_spline",
    "encals_patient",
    "encals_predictors",
    "linear_predictor",
    "median_months",
    "survival",
]

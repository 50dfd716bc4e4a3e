"""Repeated treatments: effect by cycle and dose–response across cycles.

Same mixed model as the default effect method (``effects.lmm_counterfactual``: spline of months since
onset, entry-time terms, random intercept and slope, CR2 SEs, every visit kept), with one slope-change term
per active administration k: ``(months since administration k)_+``.  Every visit is kept, the visits that
prompted the first treatment included, for the headline's reason (a decision on the observed past is
ignorable for the likelihood); ``benchmarks/cycles_calibration.py`` (docs/cycles_calibration.md) measured
both settings on ``alscell.simulate`` registries: leaving the two trigger visits out leaned against
treatment more and had the larger spread.
Its coefficient is the *additional* slope change after cycle k; the cumulative slope change after k cycles
is the sum of the first k coefficients (a contrast).  ``dose_response`` replaces the per-cycle terms after
the first by one common term ``Σ_{k≥2} (months since administration k)_+``: the extra slope change per
additional cycle (0 = repeating adds nothing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alscell.analysis.cr2 import mixed_contrast
from alscell.analysis.design_matrix import TIME_SCALE, active_treatments, outcome_info, time_spline
from alscell.analysis.effects import entry_terms, exclude_trigger_visits, prepare, trigger_note
from alscell.analysis.errors import NotApplicable
from alscell.analysis.model_fit import MixedFit, fit_mixed
from alscell.analysis.results import CycleResult, DoseResponseResult
from alscell.domain.time import DAYS_PER_MONTH as DPM
from alscell.io.tables import Tables, as_tables


def _cycle_terms(tables, df: pd.DataFrame, max_cycles: int | None, min_patients: int):
    tr = active_treatments(tables)
    tr = tr.assign(k=tr.groupby("patient_id").cumcount() + 1)
    counts = tr.groupby("k")["patient_id"].nunique()
    ks = [int(k) for k in counts.index if counts[k] >= min_patients]
    if max_cycles:
        ks = [k for k in ks if k <= max_cycles]
    ks = sorted(ks) or [1]
    cols = {}
    for k in ks:
        dk = df["patient_id"].map(tr[tr["k"] == k].set_index("patient_id")["date"])
        days = (df["date"] - dk).dt.days.to_numpy(dtype=float)
        cols[k] = np.where(np.isfinite(days) & (days >= 0), days / DPM, 0.0)
    return ks, cols, counts


def _fit(df: pd.DataFrame, extra_cols: dict[str, np.ndarray], n_knots: int = 4) -> MixedFit:
    t = df["months"].to_numpy()
    B, bn = time_spline(t, n_knots)
    tc = (t - t.mean()) / TIME_SCALE
    E, en = entry_terms(df, tc)  # entry time and its product with time, as in the headline
    X = np.column_stack([np.ones(len(t)), B, E, *extra_cols.values()])
    names = ["intercept", *bn, *en, *extra_cols]
    Z = np.column_stack([np.ones(len(t)), tc])
    return fit_mixed(
        df["y"].to_numpy(), X, Z, df["patient_id"].to_numpy(), names, required=tuple(extra_cols), df_method="none"
    )


def _contrast(fit: MixedFit, df: pd.DataFrame, contrast: dict[str, float]) -> pd.Series:
    """CR2 / Bell–McCaffrey contrast (a cycle carried by few patients gets few df)."""
    return mixed_contrast(fit, df["y"].to_numpy(dtype=float), df["patient_id"].to_numpy(), contrast)


def _prepared(tables: Tables, outcome: str, exclude_pre_visits: int) -> tuple[pd.DataFrame, list[str]]:
    df = prepare(tables, outcome)
    if active_treatments(tables).empty:
        raise NotApplicable("no administrations: there are no treatment cycles to analyse.")
    keep = exclude_trigger_visits(df, exclude_pre_visits)
    notes = list(df.attrs.get("notes", [])) + trigger_note(keep, df, exclude_pre_visits)
    df = df[keep].reset_index(drop=True)
    if df["patient_id"].nunique() < 2:
        raise NotApplicable("fewer than 2 patients with visits left to analyse treatment cycles.")
    return df, notes


def effect_by_cycle(
    tables: Tables,
    outcome: str = "alsfrs_r_total",
    *,
    max_cycles: int | None = None,
    min_patients: int = 5,
    exclude_pre_visits: int = 0,
) -> CycleResult:
    """One row per cycle: additional and cumulative slope change (positive = benefit) with CI and p.

    Cycles given to fewer than ``min_patients`` patients get no term of their own (said in warnings)."""
    tables = as_tables(tables)
    df, msgs = _prepared(tables, outcome, exclude_pre_visits)
    ks, cols, counts = _cycle_terms(tables, df, max_cycles, min_patients)
    small = [int(k) for k in counts.index if int(k) not in ks]
    if small:
        msgs.append(
            f"cycles {', '.join(map(str, small))} have fewer than {min_patients} patients: no term of their own."
        )
    fit = _fit(df, {f"cycle{k}": cols[k] for k in ks})
    res = fit.result
    msgs += fit.notes
    sgn = outcome_info(outcome)["direction"]
    rows = []
    for i, k in enumerate(ks):
        add = _contrast(fit, df, {f"cycle{k}": 1.0})
        cum = _contrast(fit, df, {f"cycle{j}": 1.0 for j in ks[: i + 1]})
        a_lo, a_hi = sorted((sgn * add["lower"], sgn * add["upper"]))
        c_lo, c_hi = sorted((sgn * cum["lower"], sgn * cum["upper"]))
        rows.append(
            dict(
                cycle=k,
                n_patients=int(counts.get(k, 0)),
                additional=sgn * add["estimate"],
                additional_ci_low=a_lo,
                additional_ci_high=a_hi,
                additional_p=add["p"],
                cumulative=sgn * cum["estimate"],
                cumulative_ci_low=c_lo,
                cumulative_ci_high=c_hi,
                cumulative_p=cum["p"],
                unit=f"{outcome_info(outcome)['unit']}/month",
            )
        )
    return CycleResult(pd.DataFrame(rows, columns=list(CycleResult.COLUMNS)), msgs, {"model": res})


def dose_response(
    tables: Tables, outcome: str = "alsfrs_r_total", *, exclude_pre_visits: int = 0
) -> DoseResponseResult:
    """Rows ``first_cycle`` (slope change after the first administration) and ``per_extra_cycle``."""
    tables = as_tables(tables)
    df, msgs = _prepared(tables, outcome, exclude_pre_visits)
    ks, cols, _counts = _cycle_terms(tables, df, None, 1)
    extra = sum((cols[k] for k in ks if k >= 2), np.zeros(len(df)))
    terms = {"first_cycle": cols[ks[0]]}
    if extra.any():
        terms["per_extra_cycle"] = extra
    fit = _fit(df, terms)
    res = fit.result
    msgs += fit.notes
    sgn = outcome_info(outcome)["direction"]
    rows = []
    for name in terms:
        c = _contrast(fit, df, {name: 1.0})
        lo, hi = sorted((sgn * c["lower"], sgn * c["upper"]))
        rows.append(
            dict(
                term=name,
                estimate=sgn * c["estimate"],
                ci_low=lo,
                ci_high=hi,
                p_value=c["p"],
                unit=f"{outcome_info(outcome)['unit']}/month",
            )
        )
    return DoseResponseResult(pd.DataFrame(rows, columns=list(DoseResponseResult.COLUMNS)), msgs, {"model": res})


__all__ = ["dose_response", "effect_by_cycle"]

"""The article's claims as a table: outcome domain × window × route × cell source, multiplicity-adjusted.

Estimand per row: the mean difference between the measure at visits inside the window after the latest
active injection and the patient's expected natural history (measure units; biomarkers in log units;
positive = benefit, sign flipped where lower is better).  Windows: domain/outcomes.py (short 0–42 d,
mid 30–91 d, long ≥ 182 d).

Model (one per measure and window, on all patients; the principles of effects.lmm_counterfactual):
restricted cubic spline of months since onset, log months from onset to the first visit and its product
with time (entry time, as in the headline; adding it halved the rows' lean in the long window and brought
the single-product rows' type-I error to the nominal 5%, docs/claims_calibration.md), random intercept and
slope per patient, and per route ×
cell source group g (by the latest injection) two terms: ``(months since first treatment)_+ · [group g]``
(the group's slope change, from *all* its post-treatment visits, so each treated patient's own course
before and after treatment anchors the counterfactual) and ``[visit in window w, group g]`` (the window's
shift from that line).  Row estimate = shift + slope change × mean months since first treatment at the
group's window visits, i.e. the fitted mean deviation at exactly those visits.  The two visits before the
first treatment are left out (they may have prompted it).  Post-treatment visits of groups with fewer than
``min_patients`` patients in the window are left out of that model.

Inference: CR2 cluster-robust SEs with Bell–McCaffrey degrees of freedom (``window_effects``).  A group
carried by k patients gets about k − 1 df, not "all patients − 1": the CR1 sandwich with G − 1 df that an
earlier version used rejected ≈ 16% of rows under no effect (benchmarks/claims_calibration.py,
docs/claims_calibration.md).

Multiplicity: all rows of the table form one family; ``adjust="holm"`` (default, Holm 1979, controls the
family-wise error) or ``"bh"`` (Benjamini–Hochberg 1995, controls the false discovery rate).  Verdict:
``supported`` (adjusted p < 0.05 and benefit), ``harm`` (adjusted p < 0.05 and worse), else ``not shown``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alscell.analysis.design_matrix import ALSFRS_OUTCOMES, TIME_SCALE, active_treatments, outcome_info, time_spline
from alscell.analysis.effects import entry_terms, exclude_trigger_visits, prepare, trigger_note
from alscell.analysis.errors import NotApplicable
from alscell.analysis.model_fit import fit_mixed
from alscell.analysis.results import ClaimsResult, MuscleResult
from alscell.analysis.window_effects import cr2_contrasts
from alscell.domain.outcomes import OUTCOME_DOMAINS, WINDOWS, in_window
from alscell.domain.time import DAYS_PER_MONTH as DPM
from alscell.io.tables import Tables, as_tables


def _present(tables: Tables, key: str) -> bool:
    if key in ALSFRS_OUTCOMES:
        return not tables["alsfrs"].empty
    return bool((tables["measurements"]["measure"] == key).any())


def _latest_injection(tables, df: pd.DataFrame) -> pd.DataFrame:
    tr = active_treatments(tables)[["patient_id", "date", "route", "cell_source"]].rename(columns={"date": "adm"})
    left = df.reset_index().sort_values("date")
    m = (
        pd.merge_asof(
            left, tr.sort_values("adm"), left_on="date", right_on="adm", by="patient_id", direction="backward"
        )
        .set_index("index")
        .sort_index()
    )
    return m


def _measure_rows(
    tables: Tables, key: str, notes: list[str], *, min_patients: int, alpha: float, exclude_pre_visits: int
) -> list[dict]:
    """Rows of one measure: one mixed model per window, one estimate per route × cell source group;
    what is left out is appended to ``notes``."""
    base = prepare(tables, key)
    notes += base.attrs.get("notes", [])
    keep_rows = exclude_trigger_visits(base, exclude_pre_visits)
    notes += [f"{key}: {n}" for n in trigger_note(keep_rows, base, exclude_pre_visits)]
    base = base[keep_rows].reset_index(drop=True)
    if base.empty:
        return []
    base = _latest_injection(tables, base)
    days_since = (base["date"] - base["adm"]).dt.days.to_numpy(dtype=float)
    da = base["days_after"].to_numpy(dtype=float)
    post = np.isfinite(da) & (da >= 0)
    post_months = np.where(post, da / DPM, 0.0)
    route = base["route"].to_numpy(dtype=object)
    source = base["cell_source"].to_numpy(dtype=object)
    known = post & pd.notna(base["route"]).to_numpy() & pd.notna(base["cell_source"]).to_numpy()
    pid = base["patient_id"].to_numpy()
    sgn = outcome_info(key)["direction"]
    unit = outcome_info(key)["unit"]
    rows = []
    for w in WINDOWS:
        inw = known & in_window(np.nan_to_num(days_since, nan=-1), w)
        groups = []
        for r, s in pd.DataFrame({"r": route[inw], "s": source[inw]}).drop_duplicates().itertuples(index=False):
            in_g = known & (route == r) & (source == s)
            npat = len(pd.unique(pid[inw & in_g]))
            if npat >= min_patients:
                groups.append((r, s, in_g, npat, int((inw & in_g).sum())))
        if not groups:
            continue
        # post-treatment visits of groups too small to estimate (or of unknown route/source): leave out
        in_any = np.zeros(len(base), bool)
        for g in groups:
            in_any |= g[2]
        keep = ~post | in_any
        d = base[keep].reset_index(drop=True)
        t = d["months"].to_numpy()
        pm = post_months[keep] / TIME_SCALE
        iw = inw[keep]
        B, bn = time_spline(t, 4)
        tc = (t - t.mean()) / TIME_SCALE
        E, en = entry_terms(d, tc)  # entry time and its product with time, as in the headline
        cols, names = [np.ones(len(t)), B, E], ["intercept", *bn, *en]
        for i, (_, _, in_g, _, _) in enumerate(groups):
            g = in_g[keep]
            cols += [(g * pm)[:, None], (g & iw).astype(float)[:, None]]
            names += [f"slope{i}", f"window{i}"]
        X = np.column_stack(cols)
        Z = np.column_stack([np.ones(len(t)), tc])
        y, gid = d["y"].to_numpy(), d["patient_id"].to_numpy()
        required = [n for n in names if n.startswith(("slope", "window"))]
        try:
            fit = fit_mixed(y, X, Z, gid, names, required=required, df_method="none")
        except NotApplicable as exc:
            notes.append(f"{key}, window {w}: not estimated: {exc}")
            continue
        res, Zu, X, names = fit.result, fit.Z, fit.X, fit.names
        notes += [f"{key}, window {w}: {n}" for n in fit.notes]
        # estimand: mean deviation from natural history over the group's visits in the window =
        # window shift + post-treatment slope × mean time since first treatment at those visits
        L = np.zeros((len(groups), X.shape[1]))
        for i, (_, _, in_g, _, _) in enumerate(groups):
            sel = in_g[keep] & iw
            L[i, names.index(f"window{i}")] = 1.0
            L[i, names.index(f"slope{i}")] = pm[sel].mean()
        ct = cr2_contrasts(res, y, X, Zu, gid, L, alpha=alpha)
        for (r, s, _, npat, nvis), c in zip(groups, ct.itertuples(index=False), strict=False):
            lo, hi = sorted((sgn * c.lower, sgn * c.upper))
            rows.append(
                dict(
                    domain=None,
                    measure=key,
                    window=w,
                    route=r,
                    cell_source=s,
                    estimate=sgn * c.estimate,
                    ci_low=lo,
                    ci_high=hi,
                    p_value=c.p,
                    n_patients=npat,
                    n_visits=nvis,
                    unit=unit,
                    se=c.se,
                    df=c.df,
                )
            )
    return rows


def claims_table(
    tables: Tables,
    *,
    adjust: str = "holm",
    measures: dict[str, tuple[str, ...]] | None = None,
    min_patients: int = 3,
    alpha: float = 0.05,
    exclude_pre_visits: int = 2,
) -> ClaimsResult:
    """Table columns (``ClaimsResult.COLUMNS``): domain, measure, window, route, cell_source, estimate,
    ci_low, ci_high, p_value, p_adjusted, verdict, n_patients, n_visits, unit, adjust, se (CR2), df
    (Bell–McCaffrey); :func:`alscell.analysis.claims_pooling.pool_claims` pools it across cells."""
    from statsmodels.stats.multitest import multipletests

    if adjust not in ("holm", "bh"):
        raise NotApplicable("adjust must be 'holm' or 'bh'.")
    tables = as_tables(tables)
    notes: list[str] = []
    domains = measures or {k: d.measures for k, d in OUTCOME_DOMAINS.items() if d.measures}
    rows = []
    for domain, keys in domains.items():
        for key in keys:
            if not _present(tables, key):
                continue
            for r in _measure_rows(
                tables, key, notes, min_patients=min_patients, alpha=alpha, exclude_pre_visits=exclude_pre_visits
            ):
                r["domain"] = domain
                rows.append(r)
    added = ("p_adjusted", "verdict", "adjust")  # computed below, over the whole family of rows
    out = pd.DataFrame(rows, columns=[c for c in ClaimsResult.COLUMNS if c not in added])
    if out.empty:
        return ClaimsResult(out.assign(p_adjusted=[], verdict=[], adjust=[]), notes)
    ok = out["p_value"].notna()
    padj = np.full(len(out), np.nan)
    padj[ok.to_numpy()] = multipletests(out.loc[ok, "p_value"], method="holm" if adjust == "holm" else "fdr_bh")[1]
    out["p_adjusted"] = padj
    out["verdict"] = np.where(
        out["p_adjusted"] < alpha, np.where(out["estimate"] > 0, "supported", "harm"), "not shown"
    )
    out["adjust"] = "Holm" if adjust == "holm" else "Benjamini-Hochberg"
    return ClaimsResult(out, notes)


def muscle_effects(tables: Tables, *, measure: str = "hhd_kg") -> MuscleResult:
    """Intramuscular injections: slope change of injected vs non-injected muscles of the same patient.

    Per intramuscular patient and muscle (sides averaged): least-squares fit of strength on months with a
    ``(months since first injection)_+`` term, whose coefficient is that muscle's slope change (kg/month).
    Per patient the mean over injected muscles minus the mean over non-injected ones; across patients a
    one-sample t-test.  Row ``all`` pools every muscle; one row per injected muscle key.
    """
    from scipy import stats

    tables = as_tables(tables)
    tr = active_treatments(tables)
    im = (
        tr[tr["route"] == "intramuscular"]
        .groupby("patient_id")
        .agg(t0=("date", "min"), targets=("target_muscles", lambda s: set(";".join(x for x in s if x).split(";"))))
    )
    m = tables["measurements"]
    if im.empty:
        raise NotApplicable("no intramuscular administrations: injected and non-injected muscles cannot be compared.")
    if not (m["measure"] == measure).any():
        raise NotApplicable(f"no {measure} measurements: muscle strength cannot be compared.")
    no_muscle = int(((m["measure"] == measure) & m["muscle"].isna()).sum())
    m = m[(m["measure"] == measure) & m["patient_id"].isin(im.index) & m["muscle"].notna()]
    m = m.groupby(["patient_id", "muscle", "date"], as_index=False)["value"].mean()
    onset = tables["patients"].set_index("patient_id")["onset_date"]
    m["months"] = (m["date"] - m["patient_id"].map(onset)).dt.days / DPM
    m["post"] = ((m["date"] - m["patient_id"].map(im["t0"])).dt.days / DPM).clip(lower=0)
    recs = []
    for (pid, mus), g in m.groupby(["patient_id", "muscle"]):
        if (g["post"] > 0).sum() < 2 or (g["post"] == 0).sum() < 2:
            continue
        X = np.column_stack([np.ones(len(g)), g["months"], g["post"]])
        beta = np.linalg.lstsq(X, g["value"].to_numpy(), rcond=None)[0]
        recs.append((pid, mus, beta[2], mus in im.loc[pid, "targets"]))
    per = pd.DataFrame(recs, columns=["patient_id", "muscle", "slope_change", "injected"])
    out = []

    def row(label, sub):
        a = sub[sub["injected"]].groupby("patient_id")["slope_change"].mean()
        b = sub[~sub["injected"]].groupby("patient_id")["slope_change"].mean()
        both = a.index.intersection(b.index)
        if len(both) < 2:
            return
        diff = (a.loc[both] - b.loc[both]).to_numpy()
        res = stats.ttest_1samp(diff, 0.0)
        ci = res.confidence_interval()
        out.append(
            dict(
                muscle=label,
                n_patients=len(both),
                injected=a.loc[both].mean(),
                non_injected=b.loc[both].mean(),
                difference=diff.mean(),
                ci_low=ci.low,
                ci_high=ci.high,
                p_value=res.pvalue,
                unit="kg/month",
            )
        )

    if not per.empty:
        row("all", per)
        for mus in sorted(per.loc[per["injected"], "muscle"].unique()):
            pats = per.loc[per["injected"] & (per["muscle"] == mus), "patient_id"]
            row(mus, per[per["patient_id"].isin(pats) & ((per["muscle"] == mus) | ~per["injected"])])
    notes = []
    if no_muscle:
        notes.append(f"{no_muscle} {measure} values without a muscle left out.")
    n_im, n_used = len(im), int(per["patient_id"].nunique()) if len(per) else 0
    if n_used < n_im:
        notes.append(
            f"{n_im - n_used} of {n_im} intramuscular patients left out: no muscle with 2 measurements before "
            "and 2 after the first injection."
        )
    return MuscleResult(pd.DataFrame(out, columns=list(MuscleResult.COLUMNS)), notes)


__all__ = ["claims_table", "muscle_effects"]

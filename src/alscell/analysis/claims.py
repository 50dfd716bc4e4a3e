"""The article's claims as a table: outcome domain × window × route × cell source, multiplicity-adjusted.

Estimand per row: the mean difference between the measure at visits inside the window after the latest
active injection and the patient's expected natural history (measure units; biomarkers in log units;
positive = benefit, sign flipped where lower is better).  Model (one per measure and window), on all
patients: restricted cubic spline of months since onset, random intercept and slope per patient,
indicators "visit in window w after an injection, route r, source s" for every route × source group,
cluster-robust SEs (G − 1 df).  Treated visits after the first treatment that are outside the window are
left out of that model (they belong to other rows), as are the two visits before the first treatment (they
may have prompted it; see effects.lmm_counterfactual).  Windows: domain/outcomes.py (short 0–42 d,
mid 30–91 d, long ≥ 182 d).

Multiplicity: all rows of the table form one family; ``adjust="holm"`` (default, Holm 1979, controls the
family-wise error) or ``"bh"`` (Benjamini–Hochberg 1995, controls the false discovery rate).  Verdict:
``supported`` (adjusted p < 0.05 and benefit), ``harm`` (adjusted p < 0.05 and worse), else ``not shown``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alscell.analysis.design_matrix import active_treatments, outcome_frame, outcome_info
from alscell.analysis.effects import TIME_SCALE, _spline, exclude_trigger_visits, fit_lmm_robust, prepare
from alscell.domain.outcomes import OUTCOME_DOMAINS, WINDOWS, in_window


def _present(tables, key) -> bool:
    if key in ("alsfrs_r_total", "bulbar", "fine_motor", "gross_motor", "respiratory"):
        return "alsfrs" in tables and not tables["alsfrs"].empty
    m = tables.get("measurements")
    return m is not None and (m["measure"] == key).any()


def _latest_injection(tables, df: pd.DataFrame) -> pd.DataFrame:
    tr = active_treatments(tables)[["patient_id", "date", "route", "cell_source"]].rename(columns={"date": "adm"})
    left = df.reset_index().sort_values("date")
    m = pd.merge_asof(left, tr.sort_values("adm"), left_on="date", right_on="adm", by="patient_id",
                      direction="backward").set_index("index").sort_index()
    return m


def claims_table(tables, *, adjust: str = "holm", measures: dict[str, tuple[str, ...]] | None = None,
                 min_patients: int = 3, alpha: float = 0.05) -> pd.DataFrame:
    """Columns: domain, measure, window, route, cell_source, estimate, ci_low, ci_high, p_value, p_adjusted,
    verdict, n_patients, n_visits, unit, adjust."""
    from statsmodels.stats.multitest import multipletests

    if adjust not in ("holm", "bh"):
        raise ValueError("adjust must be 'holm' or 'bh'.")
    domains = measures or {k: d.measures for k, d in OUTCOME_DOMAINS.items() if d.measures}
    rows = []
    for domain, keys in domains.items():
        for key in keys:
            if not _present(tables, key):
                continue
            base = prepare(tables, key)
            base = base[exclude_trigger_visits(base, 2)].reset_index(drop=True)
            base = _latest_injection(tables, base)
            days_since = (base["date"] - base["adm"]).dt.days.to_numpy(dtype=float)
            post = np.isfinite(base["days_after"].to_numpy()) & (base["days_after"].to_numpy() >= 0)
            sgn = outcome_info(key)["direction"]
            for w in WINDOWS:
                inw = post & in_window(np.nan_to_num(days_since, nan=-1), w)
                d = base[~post | inw].reset_index(drop=True)
                inw_d = inw[~post | inw]
                groups = d.loc[inw_d, ["route", "cell_source"]].drop_duplicates().itertuples(index=False)
                cols, labels = [], []
                for r, s in groups:
                    ind = (inw_d & (d["route"] == r).to_numpy() & (d["cell_source"] == s).to_numpy()).astype(float)
                    if d.loc[ind == 1, "patient_id"].nunique() >= min_patients:
                        cols.append(ind)
                        labels.append((r, s, int(d.loc[ind == 1, "patient_id"].nunique()), int(ind.sum())))
                if not cols:
                    continue
                # visits in window of groups too small to estimate: leave out
                keep = ~inw_d | (np.column_stack(cols).sum(axis=1) > 0)
                d = d[keep].reset_index(drop=True)
                C = np.column_stack(cols)[keep]
                t = d["months"].to_numpy()
                B, bn = _spline(t, 4)
                X = np.column_stack([np.ones(len(t)), B, C])
                names = ["intercept", *bn, *[f"g{i}" for i in range(C.shape[1])]]
                Z = np.column_stack([np.ones(len(t)), (t - t.mean()) / TIME_SCALE])
                try:
                    res, _ = fit_lmm_robust(d["y"].to_numpy(), X, Z, d["patient_id"].to_numpy(), names)
                except Exception:  # noqa: BLE001 - a row that cannot be fitted is left out
                    continue
                for i, (r, s, npat, nvis) in enumerate(labels):
                    c = res.contrast({f"g{i}": 1.0}, alpha=alpha).iloc[0]
                    lo, hi = sorted((sgn * c["lower"], sgn * c["upper"]))
                    rows.append(dict(domain=domain, measure=key, window=w, route=r, cell_source=s,
                                     estimate=sgn * c["estimate"], ci_low=lo, ci_high=hi, p_value=c["p"],
                                     n_patients=npat, n_visits=nvis, unit=outcome_info(key)["unit"]))
    out = pd.DataFrame(rows, columns=["domain", "measure", "window", "route", "cell_source", "estimate", "ci_low",
                                      "ci_high", "p_value", "n_patients", "n_visits", "unit"])
    if out.empty:
        return out.assign(p_adjusted=[], verdict=[], adjust=[])
    ok = out["p_value"].notna()
    padj = np.full(len(out), np.nan)
    padj[ok.to_numpy()] = multipletests(out.loc[ok, "p_value"], method="holm" if adjust == "holm" else "fdr_bh")[1]
    out["p_adjusted"] = padj
    out["verdict"] = np.where(out["p_adjusted"] < alpha, np.where(out["estimate"] > 0, "supported", "harm"), "not shown")
    out["adjust"] = "Holm" if adjust == "holm" else "Benjamini-Hochberg"
    return out[["domain", "measure", "window", "route", "cell_source", "estimate", "ci_low", "ci_high", "p_value",
                "p_adjusted", "verdict", "n_patients", "n_visits", "unit", "adjust"]]


def muscle_effects(tables, *, measure: str = "hhd_kg") -> pd.DataFrame:
    """Intramuscular injections: slope change of injected vs non-injected muscles of the same patient.

    Per intramuscular patient and muscle (sides averaged): least-squares fit of strength on months with a
    ``(months since first injection)_+`` term, whose coefficient is that muscle's slope change (kg/month).
    Per patient the mean over injected muscles minus the mean over non-injected ones; across patients a
    one-sample t-test.  Row ``all`` pools every muscle; one row per injected muscle key.
    """
    from scipy import stats

    tr = active_treatments(tables)
    im = tr[tr["route"] == "intramuscular"].groupby("patient_id").agg(
        t0=("date", "min"), targets=("target_muscles", lambda s: set(";".join(x for x in s if x).split(";"))))
    m = tables.get("measurements")
    cols = ["muscle", "n_patients", "injected", "non_injected", "difference", "ci_low", "ci_high", "p_value", "unit"]
    if m is None or im.empty:
        return pd.DataFrame(columns=cols)
    m = m[(m["measure"] == measure) & m["patient_id"].isin(im.index) & m["muscle"].notna()]
    m = m.groupby(["patient_id", "muscle", "date"], as_index=False)["value"].mean()
    onset = tables["patients"].set_index("patient_id")["onset_date"]
    m["months"] = (m["date"] - m["patient_id"].map(onset)).dt.days / 30.4375
    m["post"] = ((m["date"] - m["patient_id"].map(im["t0"])).dt.days / 30.4375).clip(lower=0)
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
        diff = (a[both] - b[both]).to_numpy()
        res = stats.ttest_1samp(diff, 0.0)
        ci = res.confidence_interval()
        out.append(dict(muscle=label, n_patients=len(both), injected=a[both].mean(), non_injected=b[both].mean(),
                        difference=diff.mean(), ci_low=ci.low, ci_high=ci.high, p_value=res.pvalue, unit="kg/month"))

    if not per.empty:
        row("all", per)
        for mus in sorted(per.loc[per["injected"], "muscle"].unique()):
            pats = per.loc[per["injected"] & (per["muscle"] == mus), "patient_id"]
            row(mus, per[per["patient_id"].isin(pats) & ((per["muscle"] == mus) | ~per["injected"])])
    return pd.DataFrame(out, columns=cols)


__all__ = ["claims_table", "muscle_effects"]

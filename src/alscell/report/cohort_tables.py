"""Descriptive cohort tables: table 1, administrations, and data-quality flags."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alscell.analysis.design_matrix import active_treatments
from alscell.domain.outcomes import WINDOWS, in_window
from alscell.domain.time import DAYS_PER_MONTH
from alscell.io.tables import Tables

MAX_GAP_FACTOR = 2.0  # a gap longer than this many times the patient's median interval counts as missed visits
PAIRING_DAYS = 14  # a measurement further than this from every ALSFRS-R visit cannot be paired with a visit


def _median_iqr(x: pd.Series, nd: int = 1) -> str:
    x = pd.to_numeric(x, errors="coerce").dropna()
    if x.empty:
        return "n/a"
    q = np.percentile(x, [25, 50, 75])
    return f"{q[1]:.{nd}f} ({q[0]:.{nd}f}–{q[2]:.{nd}f})"


def _share(mask: pd.Series) -> str:
    mask = mask.fillna(False).astype(bool)
    n = len(mask)
    return "n/a" if n == 0 else f"{int(mask.sum())} ({100 * mask.mean():.0f}%)"


def table_one(tables: Tables, visits: pd.DataFrame) -> dict:
    """Rows × columns (all, treated, untreated) as display strings, plus the group sizes."""
    pts = tables["patients"].copy()
    first = active_treatments(tables).groupby("patient_id")["date"].min()
    pts["treated"] = pts["patient_id"].isin(first.index)
    v = visits.dropna(subset=["total"]).sort_values("date")
    firstv = v.groupby("patient_id").first()
    lastv = visits.groupby("patient_id")["date"].max()
    pts = pts.set_index("patient_id")
    pts["age_onset"] = pts["onset_date"].dt.year - pts["birth_year"].astype("Float64")
    pts["delay"] = (pts["diagnosis_date"] - pts["onset_date"]).dt.days / DAYS_PER_MONTH
    pts["alsfrs0"] = firstv["total"]
    pts["dfrs0"] = firstv["delta_frs"]
    pts["followup"] = (lastv - visits.groupby("patient_id")["date"].min()).dt.days / DAYS_PER_MONTH
    pts["n_visits"] = visits.groupby("patient_id").size()
    meas = tables["measurements"]
    pts["fvc0"] = meas[meas["measure"] == "fvc_pct_pred"].sort_values("date").groupby("patient_id")["value"].first()
    ev = tables["events"]
    dead = set(ev.loc[ev["event"] == "death", "patient_id"])
    pts["died"] = pts.index.isin(dead)
    groups = {"all": pts, "treated": pts[pts["treated"]], "untreated": pts[~pts["treated"]]}
    rows = [
        ("patients", {k: str(len(g)) for k, g in groups.items()}),
        ("female", {k: _share(g["sex"] == "F") for k, g in groups.items()}),
        ("age at onset, years, median (IQR)", {k: _median_iqr(g["age_onset"], 0) for k, g in groups.items()}),
        ("bulbar onset", {k: _share(g["onset_site"] == "bulbar") for k, g in groups.items()}),
        (
            "El Escorial definite or probable",
            {k: _share(g["el_escorial"].isin(["definite", "probable", "probable_lab"])) for k, g in groups.items()},
        ),
        ("riluzole", {k: _share(g["riluzole"].astype("boolean")) for k, g in groups.items()}),
        ("edaravone", {k: _share(g["edaravone"].astype("boolean")) for k, g in groups.items()}),
        ("diagnostic delay, months", {k: _median_iqr(g["delay"]) for k, g in groups.items()}),
        ("first ALSFRS-R total", {k: _median_iqr(g["alsfrs0"], 0) for k, g in groups.items()}),
        ("ΔFRS at first visit, points/month", {k: _median_iqr(g["dfrs0"], 2) for k, g in groups.items()}),
        ("first FVC, % predicted", {k: _median_iqr(g["fvc0"], 0) for k, g in groups.items()}),
        ("ALSFRS-R visits per patient", {k: _median_iqr(g["n_visits"], 0) for k, g in groups.items()}),
        ("follow-up, months", {k: _median_iqr(g["followup"]) for k, g in groups.items()}),
        ("died during follow-up", {k: _share(g["died"]) for k, g in groups.items()}),
    ]
    return {"columns": list(groups), "n": {k: len(g) for k, g in groups.items()}, "rows": rows}


def administrations(tables: Tables) -> dict:
    """Administrations by route × cell source, and patients by number of cycles."""
    tr = active_treatments(tables)
    if tr.empty:
        return {"by_route_source": None, "cycles": None, "n": 0, "n_patients": 0, "sham": 0}
    cross = pd.crosstab(tr["route"], tr["cell_source"], margins=True, margins_name="total")
    cycles = tr.groupby("patient_id")["cycle"].max().value_counts().sort_index()
    all_tr = tables["treatments"]
    sham = int((all_tr["blinded_arm"].astype(str) == "placebo").sum()) if "blinded_arm" in all_tr else 0
    return {
        "by_route_source": cross,
        "cycles": cycles,
        "n": len(tr),
        "n_patients": int(tr["patient_id"].nunique()),
        "sham": sham,
    }


def quality_flags(tables: Tables, visits: pd.DataFrame) -> list[dict]:
    """Data-quality flags: each {flag, count, detail, examples}."""
    flags: list[dict] = []
    v = visits.sort_values(["patient_id", "date"])
    # Missing visits: gaps much longer than the patient's usual interval.
    gap = v.groupby("patient_id")["date"].diff().dt.days
    med = gap.groupby(v["patient_id"]).transform("median")
    long_gap = gap > MAX_GAP_FACTOR * med
    pts_gap = v.loc[long_gap.fillna(False), "patient_id"].unique()
    flags.append(
        {
            "flag": "missing visits",
            "detail": f"a gap between ALSFRS-R visits longer than {MAX_GAP_FACTOR:g}× the patient's median interval",
            "count": int(long_gap.sum()),
            "patients": len(pts_gap),
            "examples": list(pts_gap[:5]),
        }
    )
    counts = v.groupby("patient_id").size()
    no_visit = sorted(set(tables["patients"]["patient_id"]) - set(counts.index))
    one = counts[counts == 1].index.tolist()
    flags.append(
        {
            "flag": "too few visits",
            "detail": "patients with no or a single ALSFRS-R visit (no slope)",
            "count": len(no_visit) + len(one),
            "patients": len(no_visit) + len(one),
            "examples": (no_visit + one)[:5],
        }
    )
    partial = v[v["total"].isna()]
    flags.append(
        {
            "flag": "partial ALSFRS-R",
            "detail": "visits with missing items (no total)",
            "count": len(partial),
            "patients": int(partial["patient_id"].nunique()),
            "examples": list(partial["patient_id"].unique()[:5]),
        }
    )
    first = active_treatments(tables).groupby("patient_id")["date"].min()
    pre = v[v["patient_id"].isin(first.index) & (v["date"] <= v["patient_id"].map(first))]
    no_base = sorted(set(first.index) - set(pre["patient_id"]))
    flags.append(
        {
            "flag": "treated without baseline",
            "detail": "treated patients with no ALSFRS-R visit on or before the first administration",
            "count": len(no_base),
            "patients": len(no_base),
            "examples": no_base[:5],
        }
    )
    # Out-of-window measures: after an administration but in none of the article's windows (relative to the latest administration).
    act = active_treatments(tables)[["patient_id", "date"]].sort_values("date")
    meas = tables["measurements"]
    if len(meas) and len(act):
        m = meas[["patient_id", "date", "measure"]].sort_values("date")
        m = pd.merge_asof(
            m,
            act.rename(columns={"date": "tdate"}),
            left_on="date",
            right_on="tdate",
            by="patient_id",
            direction="backward",
        )
        days = (m["date"] - m["tdate"]).dt.days
        post = m[days.notna() & (days > 0)]
        d = days[post.index]
        inside = np.zeros(len(post), bool)
        for key in WINDOWS:
            inside |= in_window(d.to_numpy(), key)
        out = post[~inside]
        flags.append(
            {
                "flag": "out-of-window measures",
                "detail": "measurements after an administration that fall in none of the windows "
                "(short 0–42 d, mid 30–91 d, long ≥ 182 d after the latest administration)",
                "count": len(out),
                "patients": int(out["patient_id"].nunique()),
                "examples": list(out["patient_id"].unique()[:5]),
            }
        )
        # Measurements that cannot be paired with an ALSFRS-R visit.
        vv = v[["patient_id", "date"]].rename(columns={"date": "vdate"}).sort_values("vdate")
        near = pd.merge_asof(
            m[["patient_id", "date"]].reset_index(drop=True),
            vv,
            left_on="date",
            right_on="vdate",
            by="patient_id",
            direction="nearest",
        )
        far = near[(near["date"] - near["vdate"]).abs().dt.days.fillna(1e9) > PAIRING_DAYS]
        flags.append(
            {
                "flag": "unpaired measures",
                "detail": f"measurements more than {PAIRING_DAYS} days from every ALSFRS-R visit",
                "count": len(far),
                "patients": int(far["patient_id"].nunique()),
                "examples": list(far["patient_id"].unique()[:5]),
            }
        )
    return flags

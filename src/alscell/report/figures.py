"""Static report figures (matplotlib).  Each builder returns a matplotlib Figure, or None when the data
for it are absent; :mod:`alscell.report.embed` turns figures into inline SVG."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alscell.domain.alsfrs import SUBSCORE_KEYS, SUBSCORE_MAX
from alscell.domain.measures import MEASURES
from alscell.domain.staging import KINGS_ORDER
from alscell.report.embed import plt

ROUTE_COLORS = {
    "intrathecal": "#c0392b",
    "intravenous": "#2471a3",
    "intramuscular": "#1e8449",
    "intraspinal": "#7d3c98",
}
ROUTE_SHORT = {"intrathecal": "IT", "intravenous": "IV", "intramuscular": "IM", "intraspinal": "IS"}
SOURCE_SHORT = {
    "bone_marrow": "BM",
    "adipose": "AD",
    "umbilical_cord": "UC",
    "wharton_jelly": "WJ",
    "placenta": "PL",
    "other": "OT",
}
SOURCE_MARKERS = {
    "bone_marrow": "o",
    "adipose": "s",
    "umbilical_cord": "^",
    "wharton_jelly": "D",
    "placenta": "v",
    "other": "P",
}
EVENT_LABELS = {
    "death": "death",
    "tracheostomy": "tracheostomy",
    "niv_start": "NIV start",
    "permanent_ventilation": "permanent ventilation",
    "gastrostomy": "gastrostomy",
    "withdrawal": "withdrawal",
    "lost_to_follow_up": "lost to follow-up",
}
SUBSCORE_LABELS = {
    "bulbar": "Bulbar (items 1-3)",
    "fine_motor": "Fine motor (items 4-6)",
    "gross_motor": "Gross motor (items 7-9)",
    "respiratory": "Respiratory (items 10-12)",
}
OBS_COLOR = "#1b2631"
EXPECTED_COLOR = "#7f8c8d"


def treatment_label(row) -> str:
    return (
        f"C{int(row['cycle'])} {ROUTE_SHORT.get(row['route'], row['route'])}·"
        f"{SOURCE_SHORT.get(row['cell_source'], row['cell_source'])}"
        + (" sham" if str(row.get("blinded_arm") or "") == "placebo" else "")
    )


def mark_treatments(ax, treatments: pd.DataFrame, labels: bool = True) -> None:
    """Vertical lines at each administration, coloured by route, labelled with cycle/route/source."""
    if treatments is None or treatments.empty:
        return
    ymax = ax.get_ylim()[1]
    for _, row in treatments.iterrows():
        sham = str(row.get("blinded_arm") or "") == "placebo"
        color = ROUTE_COLORS.get(row["route"], "#555")
        ax.axvline(row["date"], color=color, lw=1.4, ls=":" if sham else "-", alpha=0.85, zorder=1)
        if labels:
            ax.annotate(
                treatment_label(row),
                (row["date"], ymax),
                xytext=(2, -2),
                textcoords="offset points",
                rotation=90,
                va="top",
                ha="left",
                fontsize=7,
                color=color,
            )


def mark_events(ax, events: pd.DataFrame) -> None:
    if events is None or events.empty:
        return
    for _, row in events.iterrows():
        ax.axvline(row["date"], color="#000", lw=0.8, ls="--", alpha=0.5, zorder=1)
        ax.annotate(
            EVENT_LABELS.get(row["event"], row["event"]),
            (row["date"], ax.get_ylim()[0]),
            xytext=(2, 2),
            textcoords="offset points",
            rotation=90,
            va="bottom",
            fontsize=7,
        )


def _date_axis(ax) -> None:
    import matplotlib.dates as mdates

    loc = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))


def trajectory_figure(fc, treatments: pd.DataFrame, aes: pd.DataFrame, events: pd.DataFrame):
    """ALSFRS-R total: every visit, the expected untreated course with its bands, treatments, AEs, events."""
    fig, ax = plt.subplots(figsize=(9, 4.6))
    c = fc.course
    ax.fill_between(
        c["date"],
        c["pi_low"],
        c["pi_high"],
        color=EXPECTED_COLOR,
        alpha=0.18,
        lw=0,
        label="95% range of a visit expected without treatment",
    )
    ax.fill_between(
        c["date"],
        c["ci_low"],
        c["ci_high"],
        color=EXPECTED_COLOR,
        alpha=0.35,
        lw=0,
        label="95% confidence band of the expected course",
    )
    ax.plot(c["date"], c["mean"], color=EXPECTED_COLOR, ls="--", lw=1.6, label="expected course without treatment")
    v = fc.visits.dropna(subset=["total"])
    pre = v[v["phase"] != "post"]
    post = v[v["phase"] == "post"]
    ax.plot(v["date"], v["total"], color=OBS_COLOR, lw=0.8, alpha=0.6)
    ax.scatter(pre["date"], pre["total"], color=OBS_COLOR, s=22, zorder=3, label="visit (before treatment)")
    if len(post):
        ax.scatter(
            post["date"],
            post["total"],
            facecolor="white",
            edgecolor=OBS_COLOR,
            s=28,
            lw=1.5,
            zorder=3,
            label="visit (after treatment)",
        )
    ax.set_ylim(max(0, np.nanmin([c["pi_low"].min(), v["total"].min() if len(v) else 48]) - 6), 49)
    ax.set_ylabel("ALSFRS-R total (0-48)")
    mark_treatments(ax, treatments)
    mark_events(ax, events)
    if aes is not None and len(aes):
        y0 = ax.get_ylim()[0] + 1
        sizes = 20 + 18 * aes["grade"].astype(float).fillna(1).to_numpy()
        ax.scatter(
            aes["onset_date"],
            np.full(len(aes), y0),
            marker="^",
            s=sizes,
            color="#e67e22",
            zorder=4,
            label="adverse event (size = grade)",
        )
    _date_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    ax.set_title("ALSFRS-R total against the expected course without treatment", fontsize=10, loc="left")
    return fig


def subscores_figure(visits: pd.DataFrame, treatments: pd.DataFrame):
    if visits is None or visits.empty:
        return None
    fig, axes = plt.subplots(2, 2, figsize=(9, 4.8), sharex=True)
    for ax, key in zip(axes.ravel(), SUBSCORE_KEYS, strict=False):
        d = visits.dropna(subset=[key])
        ax.plot(d["date"], d[key], marker="o", ms=3.5, color=OBS_COLOR, lw=1)
        ax.set_ylim(-0.5, SUBSCORE_MAX + 0.5)
        ax.set_title(SUBSCORE_LABELS[key], fontsize=9, loc="left")
        mark_treatments(ax, treatments, labels=False)
        _date_axis(ax)
    fig.tight_layout()
    return fig


def series_figure(
    frame: pd.DataFrame,
    measures: list[str],
    treatments: pd.DataFrame,
    title: str,
    log: bool = False,
    group: str | None = None,
):
    """One panel per measure key present in ``frame`` (long format: date, measure, value[, side, specimen])."""
    keys = [m for m in measures if (frame["measure"] == m).any()] if frame is not None and len(frame) else []
    if not keys:
        return None
    ncol = min(len(keys), 3)
    nrow = int(np.ceil(len(keys) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.1 * ncol + 0.6, 2.5 * nrow + 0.4), squeeze=False)
    for ax, key in zip(axes.ravel(), keys, strict=False):
        d = frame[frame["measure"] == key]
        sub = group if group and d[group].notna().any() else None
        for name, g in d.groupby(sub, dropna=False) if sub else [(None, d)]:
            g = g.sort_values("date")
            ax.plot(g["date"], g["value"], marker="o", ms=3, lw=1, label=str(name) if sub else None)
        m = MEASURES.get(key)
        ax.set_title(f"{m.label if m else key}" + (f" ({m.unit})" if m and m.unit else ""), fontsize=9, loc="left")
        if log:
            ax.set_yscale("log")
        if sub:
            ax.legend(fontsize=7)
        mark_treatments(ax, treatments, labels=False)
        _date_axis(ax)
    for ax in axes.ravel()[len(keys) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10, x=0.01, ha="left")
    fig.tight_layout()
    return fig


def strength_figure(frame: pd.DataFrame, injected: set[str], treatments: pd.DataFrame):
    """Grip (per side) and hand-held dynamometry per muscle and side; injected muscles highlighted."""
    if frame is None or frame.empty:
        return None
    panels: list[tuple[str, pd.DataFrame, bool]] = []
    grip = frame[frame["measure"] == "grip_kg"]
    if len(grip):
        panels.append(("Grip strength (kg)", grip, False))
    hhd = frame[frame["measure"] == "hhd_kg"]
    for muscle, g in hhd.groupby("muscle"):
        panels.append((f"{str(muscle).replace('_', ' ')} (HHD, kg)", g, muscle in injected))
    if not panels:
        return None
    panels.sort(key=lambda p: (not p[2], p[0]))  # injected muscles first
    ncol = min(len(panels), 3)
    nrow = int(np.ceil(len(panels) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.1 * ncol + 0.6, 2.4 * nrow + 0.4), squeeze=False)
    for ax, (title, g, inj) in zip(axes.ravel(), panels, strict=False):
        for side, s in g.groupby(g["side"].fillna("n/a")):
            s = s.sort_values("date")
            ax.plot(s["date"], s["value"], marker="o", ms=3, lw=2.2 if inj else 1, label=side)
        if inj:
            ax.set_facecolor("#fdf2e9")
            title += " — injected"
        ax.set_title(
            title, fontsize=9, loc="left", color="#a04000" if inj else "black", fontweight="bold" if inj else "normal"
        )
        ax.legend(fontsize=7)
        mark_treatments(ax, treatments, labels=False)
        _date_axis(ax)
    for ax in axes.ravel()[len(panels) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def stage_figure(visits: pd.DataFrame, treatments: pd.DataFrame):
    if visits is None or visits.empty:
        return None
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 2.6), sharex=True)
    k = visits.dropna(subset=["kings_stage"])
    rank = k["kings_stage"].map({s: i for i, s in enumerate(KINGS_ORDER)})
    a1.step(k["date"], rank, where="post", color=OBS_COLOR, marker="o", ms=3)
    a1.set_yticks(range(len(KINGS_ORDER)), KINGS_ORDER)
    a1.set_ylim(-0.4, len(KINGS_ORDER) - 0.6)
    a1.set_title("King's stage", fontsize=9, loc="left")
    m = visits.dropna(subset=["mitos_stage"])
    a2.step(m["date"], m["mitos_stage"].astype(float), where="post", color=OBS_COLOR, marker="o", ms=3)
    a2.set_yticks(range(6))
    a2.set_ylim(-0.4, 5.4)
    a2.set_title("MiToS stage", fontsize=9, loc="left")
    for ax in (a1, a2):
        mark_treatments(ax, treatments, labels=False)
        _date_axis(ax)
    fig.tight_layout()
    return fig


def forest_figure(rows: pd.DataFrame, label_col: str = "label", title: str = "", unit: str = ""):
    """Estimates with 95% CIs, one row each (positive = benefit)."""
    d = rows.dropna(subset=["estimate"]).reset_index(drop=True)
    if d.empty:
        return None
    h = 0.9 + 0.2 * len(d)
    fig, ax = plt.subplots(figsize=(5.4, min(h, 30)))
    y = np.arange(len(d))[::-1]
    # coloured by the multiplicity-adjusted verdict only (an unadjusted CI off zero is often chance)
    verdict = d["verdict"] if "verdict" in d else pd.Series("not shown", index=d.index)
    colors = np.where(verdict == "supported", "#1e8449", np.where(verdict == "harm", "#c0392b", "#34495e"))
    ax.hlines(y, d["ci_low"], d["ci_high"], color=colors, lw=1.6)
    ax.scatter(d["estimate"], y, color=colors, s=22, zorder=3)
    ax.axvline(0, color="#000", lw=0.8)
    ax.set_yticks(y, d[label_col].astype(str), fontsize=7)
    ax.set_xlabel(f"change vs expected{(' (' + unit + ')') if unit else ''}; positive = benefit", fontsize=8)
    ax.grid(axis="y", alpha=0)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    fig.tight_layout()
    return fig


def km_figure(
    curves: pd.DataFrame,
    time_col: str,
    surv_col: str,
    group_col: str | None,
    lo_col: str | None = None,
    hi_col: str | None = None,
    title: str = "",
    xlabel: str = "months",
):
    if curves is None or curves.empty:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    groups = curves.groupby(group_col) if group_col else [("all", curves)]
    for name, g in groups:
        g = g.sort_values(time_col)
        ax.step(g[time_col], g[surv_col], where="post", label=str(name))
        if lo_col and hi_col and lo_col in g and hi_col in g:
            ax.fill_between(g[time_col], g[lo_col], g[hi_col], step="post", alpha=0.15)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("probability event-free")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    fig.tight_layout()
    return fig


def cohort_trajectories_figure(
    visits: pd.DataFrame, population: pd.DataFrame | None, max_patients: int = 150, seed: int = 0
):
    """Observed ALSFRS-R courses by months since onset (a sample), untreated grey, treated coloured."""
    if visits is None or visits.empty:
        return None
    fig, ax = plt.subplots(figsize=(8.5, 4))
    ids = visits["patient_id"].drop_duplicates()
    if len(ids) > max_patients:
        ids = ids.sample(max_patients, random_state=seed)
    v = visits[visits["patient_id"].isin(set(ids))].dropna(subset=["total"])
    for _pid, g in v.groupby("patient_id"):
        treated = (g["phase"] != "untreated").any()
        ax.plot(g["months_since_onset"], g["total"], lw=0.7, alpha=0.45, color="#c0392b" if treated else "#7f8c8d")
    if population is not None:
        ax.plot(
            population["months"], population["mean"], color="#000", lw=2.2, label="natural-history model (population)"
        )
        ax.fill_between(
            population["months"],
            population["pi_low"],
            population["pi_high"],
            color="#000",
            alpha=0.08,
            label="95% range of patients without treatment",
        )
    ax.plot([], [], color="#c0392b", label="treated patient")
    ax.plot([], [], color="#7f8c8d", label="untreated patient")
    ax.set_xlabel("months since symptom onset")
    ax.set_ylabel("ALSFRS-R total")
    ax.set_ylim(0, 49)
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title(f"Observed courses ({len(ids)} patients shown)", fontsize=10, loc="left")
    fig.tight_layout()
    return fig


def cycle_figure(frame: pd.DataFrame, x: str, unit: str = ""):
    """Estimates by cycle: every series among ``estimate``, ``additional`` and ``cumulative`` that comes with
    ``<name>_ci_low`` / ``<name>_ci_high`` (or ``ci_low`` / ``ci_high`` for ``estimate``)."""
    series = []
    for name in ("estimate", "additional", "cumulative"):
        lo, hi = ("ci_low", "ci_high") if name == "estimate" else (f"{name}_ci_low", f"{name}_ci_high")
        if {name, lo, hi} <= set(frame.columns):
            series.append((name, lo, hi))
    d = frame.reset_index(drop=True)
    if not series or d.empty:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    xs = np.arange(len(d))
    width = 0.18
    for i, (name, lo, hi) in enumerate(series):
        off = (i - (len(series) - 1) / 2) * width
        e = d[name].to_numpy(dtype=float)
        ax.errorbar(
            xs + off,
            e,
            yerr=[e - d[lo].to_numpy(dtype=float), d[hi].to_numpy(dtype=float) - e],
            fmt="o",
            capsize=4,
            label=name.replace("_", " "),
        )
    ax.axhline(0, color="#000", lw=0.8)
    ax.set_xticks(xs, [str(v) for v in d[x]])
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(f"slope change{(' (' + unit + ')') if unit else ''}")
    if len(series) > 1:
        ax.legend(fontsize=8)
    ax.set_title("Effect by treatment cycle (positive = benefit)", fontsize=10, loc="left")
    fig.tight_layout()
    return fig

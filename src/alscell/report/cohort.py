"""The cohort report: description, the evidence engine's answers to the article's claims, safety, quality."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from alscell.analysis.derived import derive_visits
from alscell.analysis.errors import NotApplicable
from alscell.analysis.forecast import fit_natural_history, untreated_visits
from alscell.analysis.history_contrast import check_rows
from alscell.analysis.results import ClaimsResult
from alscell.io.tables import Tables, as_tables
from alscell.report import figures, text
from alscell.report.cohort_tables import administrations, quality_flags, table_one
from alscell.report.embed import svg
from alscell.report.evidence import Section, run_evidence
from alscell.report.render import render_html, write_report

CLAIM_KEYS = ("domain", "measure", "window", "route", "cell_source")
_PROB_COLS = ("p_value", "p_adjusted", "p")


def frame_table(df: pd.DataFrame | None, max_rows: int = 400, table_id: str = "") -> Markup:
    """A DataFrame as an HTML table; floats through :func:`text.num` (p-values through :func:`text.pval`)."""
    if df is None or len(df) == 0:
        return Markup('<p class="note">No rows.</p>')
    d = df.head(max_rows)
    head = "".join(
        f"<th{' class=num' if pd.api.types.is_numeric_dtype(d[c]) else ''}>{escape(text.words(c))}</th>"
        for c in d.columns
    )
    body = []
    for _, row in d.iterrows():
        cells = []
        for c in d.columns:
            v = row[c]
            if c in _PROB_COLS:
                s, cls = text.pval(v), " class=num"
            elif isinstance(v, float | np.floating):
                s, cls = text.num(v, 3 if abs(float(v)) < 10 else 1), " class=num"
            elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                s, cls = str(v), " class=num"
            elif isinstance(v, pd.Timestamp):
                s, cls = text.date(v), ""
            else:
                s, cls = ("" if v is None or (isinstance(v, float) and np.isnan(v)) else text.words(v)), ""
            cells.append(f"<td{cls}>{escape(s)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = f'<p class="note">First {max_rows} of {len(df)} rows.</p>' if len(df) > max_rows else ""
    tid = f' id="{escape(table_id)}"' if table_id else ""
    return Markup(f"<table{tid}><tr>{head}</tr>{''.join(body)}</table>{more}")


def _claim_label(row, keys=("window", "route", "cell_source")) -> str:
    return " · ".join(text.words(row[k]) for k in keys if k in row and row[k] is not None and not pd.isna(row[k]))


def claims_view(section: Section) -> dict:
    """Claims table with labels and one forest plot per measure (one unit each): every comparison is drawn.

    The cohort report has no interactive figure, so it carries no plotly.js (a self-contained file well
    under 1.5 MB, benchmarks/scale.py)."""
    if not section.available:
        return {}
    df = section.value.table.copy()
    df["label"] = df.apply(lambda r: _claim_label(r, CLAIM_KEYS), axis=1)
    short = df.apply(_claim_label, axis=1)
    forests = []
    for (domain, measure), g in df.assign(short=short).groupby(["domain", "measure"], sort=False):
        unit = str(g["unit"].iloc[0]) if "unit" in g and g["unit"].notna().any() else ""
        fig = figures.forest_figure(
            g, label_col="short", title=f"{text.words(domain)}: {text.words(measure)}", unit=unit
        )
        if fig is not None:
            forests.append({"domain": domain, "measure": measure, "svg": svg(fig, f"forest-{domain}-{measure}")})
    shown = (*ClaimsResult.COLUMNS[:11], "n_patients", "unit")  # the table's columns without n_visits, adjust
    show = [c for c in shown if c in df.columns]
    verdict_cls = {"supported": "sig-benefit", "harm": "sig-harm"}
    rows = [{"cls": verdict_cls.get(r["verdict"], ""), "cells": r[show].to_dict()} for _, r in df.iterrows()]
    return {
        "pooled": _pooled_table(section.value),
        "columns": show,
        "rows": rows,
        "forests": forests,
        "n": len(df),
        "verdicts": df["verdict"].value_counts().to_dict() if "verdict" in df else {},
    }


def _pooled_table(claims: ClaimsResult) -> Markup | None:
    """The partially pooled claims (one row per measure × window), or None when nothing pools."""
    from alscell.analysis.claims_pooling import pool_claims

    pooled = pool_claims(claims)
    if pooled.table.empty:
        return None
    cols = ["domain", "measure", "window", "k", "mu", "mu_ci_low", "mu_ci_high", "mu_p_adjusted", "verdict"]
    cols += ["tau", "tau_ci_low", "tau_ci_high", "q_p", "unit"]
    return frame_table(pooled.table[cols], table_id="claims-pooled")


def survival_view(section: Section) -> dict:
    """Kaplan–Meier figure and hazard ratio of an :class:`~alscell.analysis.survival.EventResult`."""
    if not section.available:
        return {}
    res = section.value
    km = res.km
    fig = None
    if len(km):
        fig = figures.km_figure(
            km, "time", "survival", "group", None, None, title="Kaplan–Meier: time to death", xlabel="time (months)"
        )
    fields = res.to_json_dict()
    fields.pop("warnings")
    fields.pop("covariates")
    return {
        "hr": res.hr,
        "hr_low": res.ci_low,
        "hr_high": res.ci_high,
        "hr_p": res.p_value,
        "fields": _scalars(fields),
        "figure": svg(fig, "kaplan-meier") if fig is not None else None,
        "table": None if fig is not None else frame_table(km),
    }


def _scalars(d: dict) -> list[tuple[str, str, str]]:
    """(key, label, formatted value) of the scalar fields of a result."""
    out = []
    for k, v in d.items():
        if not (v is None or isinstance(v, (str, bool, int, float, np.integer, np.floating))):
            continue
        if k in _PROB_COLS:
            s = text.pval(v)
        elif isinstance(v, (float, np.floating)):
            s = text.num(v, 3)
        else:
            s = str(v)
        out.append((k, text.words(k), s))
    return out


def sensitivity_view(section: Section, modification: Section | None = None) -> dict | None:
    """The primary and each alternative of a :class:`~alscell.analysis.sensitivity.Sensitivity`, as display
    rows (estimate, interval, verdict, distance from the primary in its SEs), the summary sentence, and the
    does-it-work-better-in-some-patients sentence of ``modification`` when it ran."""
    if not section.available:
        return None
    s = section.value
    p = s.primary

    def ci(e) -> str:
        return f"{text.num(e.ci_low, 2)} to {text.num(e.ci_high, 2)}"

    rows = [dict(key=s.primary_analysis, analysis=f"{text.words(s.primary_analysis)} (primary)",
                 changes="the recommended method", estimate=text.num(p.estimate, 2), ci=ci(p),
                 verdict=s.primary_verdict or "—", distance="")]  # fmt: skip
    for r in s.rows:
        e = r.result if r.verdict is not None else None  # None: not run (its reason is shown)
        rows.append(dict(
            key=r.analysis, analysis=text.words(r.analysis), changes=r.changes + (f" — not run: {r.reason or 'no interval on these data.'}" if e is None else ""),
            estimate="—" if e is None else text.num(e.estimate, 2), ci="—" if e is None else ci(e),
            verdict=r.verdict or "not run",
            distance="" if r.difference_in_se is None else f"{r.difference_in_se:+.1f}",
        ))  # fmt: skip
    placebo = None if s.placebo is None else s.placebo.sentence(p.unit)
    waning = None if s.waning is None else s.waning.sentence(p.unit)
    mod = modification.value if modification is not None and modification.available else None
    return {"rows": rows, "summary": s.summary(), "agrees": s.conclusion_agrees, "unit": p.unit, "placebo": placebo,
            "waning": waning, "modification": mod}  # fmt: skip


def cycles_view(section: Section) -> dict:
    """Table and figure of a :class:`~alscell.analysis.results.CycleResult`."""
    if not section.available:
        return {}
    df = section.value.table
    unit = str(df["unit"].iloc[0]) if len(df) else ""
    fig = figures.cycle_figure(df, "cycle", unit) if len(df) else None
    return {"table": frame_table(df), "figure": svg(fig, "cycles") if fig is not None else None}


def left_out(ev: dict[str, Section]) -> list[tuple[str, str]]:
    """(section title, sentence) for everything an analysis left out, imputed or simplified."""
    return [(sec.title, w) for sec in ev.values() if sec.available for w in sec.warnings]


def cohort_context(
    tables: Tables,
    evidence: dict[str, Section] | None = None,
    progress: Callable[[str], None] | None = None,
    source: str = "",
) -> dict:
    """Everything the cohort template shows."""
    tables = as_tables(tables)
    say = progress or (lambda _msg: None)
    say("deriving visits")
    derived = derive_visits(tables)
    visits, _first = untreated_visits(tables, derived)
    say("fitting the natural-history model")
    try:
        nh = fit_natural_history(tables, derived)
        nh_info = nh.describe()
    except NotApplicable as exc:
        nh, nh_info = None, {"error": str(exc)}
    ev = evidence if evidence is not None else run_evidence(tables, progress=say)
    say("drawing figures")
    effect = ev["effect"]
    effect_d = effect.value.to_json_dict() if effect.available else {}
    naive_d = ev["effect_naive"].value.to_json_dict() if ev["effect_naive"].available else {}
    responders_d = ev["responders"].value.to_json_dict() if ev["responders"].available else {}
    muscles = ev["muscles"]
    safety = ev["safety"]
    safety_terms = ev["safety_terms"]
    return {
        "title": "Cohort report",
        "generated": _dt.date.today().isoformat(),
        "source": source,
        "counts": {
            "patients": len(tables["patients"]),
            "visits": len(derived),
            "measurements": len(tables["measurements"]),
            "adverse_events": len(tables["adverse_events"]),
            "treated": int(visits.loc[visits["phase"] != "untreated", "patient_id"].nunique()),
        },
        "table1": table_one(tables, derived),
        "admin": _admin_view(administrations(tables)),
        "trajectories": _svg_or_none(figures.cohort_trajectories_figure(visits, None), "cohort-trajectories"),
        "nh": nh_info,
        "ev": ev,
        "effect": effect_d,
        "effect_checks": check_rows(effect.value.details) if effect.available else [],
        "naive": naive_d,
        "sensitivity": sensitivity_view(ev["sensitivity"], ev.get("modification")),
        "claims": claims_view(ev["claims"]),
        "muscles_table": frame_table(muscles.value.table) if muscles.available else None,
        "responders": responders_d,
        "responders_fields": _scalars({k: v for k, v in responders_d.items() if k != "warnings"}),
        "cycles": cycles_view(ev["cycles"]),
        "survival": survival_view(ev["survival"]),
        "safety": frame_table(safety.value.table, table_id="safety-table") if safety.available else None,
        "safety_terms": frame_table(safety_terms.value.table) if safety_terms.available else None,
        "left_out": left_out(ev),
        "quality": quality_flags(tables, derived),
        "uses_plotly": False,
    }


def _svg_or_none(fig, label):
    return svg(fig, label) if fig is not None else None


def _admin_view(a: dict) -> dict:
    out = dict(a)
    if a["by_route_source"] is not None:
        t = a["by_route_source"].copy()
        t.index = [text.words(i) for i in t.index]
        t.columns = [text.words(c) for c in t.columns]
        out["by_route_source"] = frame_table(t.reset_index().rename(columns={"index": "route"}))
        out["cycles"] = [(int(k), int(v)) for k, v in a["cycles"].items()]
    return out


def cohort_report(
    tables: Tables,
    out: str | Path,
    evidence: dict[str, Section] | None = None,
    progress: Callable[[str], None] | None = None,
    source: str = "",
) -> Path:
    """Write the cohort report to ``out`` (.html, or .pdf through headless Chromium)."""
    html = render_html("cohort.html", cohort_context(tables, evidence, progress, source))
    return write_report(html, out)

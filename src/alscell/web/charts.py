"""The patient page's chart: the patient's ALSFRS-R visits against the expected course without treatment.

The numbers are ``alscell.analysis.forecast.forecast_patient`` on a snapshot of the registry
(:mod:`alscell.web.natural_history`: one fit per data version, made in the background) — the same
function as ``alscell forecast`` and the patient report — or, for a patient whose rows changed since that
snapshot, ``forecast_patient_current`` of the patient's current rows with the snapshot's population fit.  The figure is inline SVG written here (a few
hundred elements; no matplotlib on the server, no script in the browser, so the page's
Content-Security-Policy stays ``script-src 'self'``).  Hovering a visit shows its value, the
expected value and the 95% range (an SVG ``<title>``).  Colours and labels are the patient report's
(:mod:`alscell.report.figures`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup, escape
from sqlalchemy import Engine

from alscell.analysis.errors import NotApplicable
from alscell.analysis.forecast import POSITIONS, Forecast
from alscell.domain.alsfrs import TOTAL_MAX
from alscell.io.tables import Tables
from alscell.web import summary
from alscell.web.natural_history import cache_for
from alscell.web.records import PatientRows

W, H = 980, 400  # SVG user units (scaled to the column width by CSS)
LEFT, RIGHT, TOP, BOTTOM = 46, 660, 14, 362  # the plot area; the legend is right of it
AE_COLOR = "#e67e22"


def data_version(engine: Engine) -> int:
    """The registry's data version (the newest audit entry's id; every import and web write adds one)."""
    with engine.connect() as conn:
        return summary.data_version(conn)


@dataclass
class Chart:
    """What the page shows in its chart section."""

    svg: Markup | None = None
    note: str = ""  # why there is no chart
    status: str = ""  # the latest visit against the expected range, in words
    basis: dict[str, Any] = field(default_factory=dict)  # the snapshot: version, fitted_at, n_patients, ...
    current_version: int = 0
    own_rows: bool = False  # drawn from the patient's rows as read for the page (they changed since the fit)


def trajectory_chart(engine: Engine, prow: PatientRows) -> Chart:
    """The chart of patient ``prow.patient_id`` (rows as read for the page), or a note why there is none."""
    from alscell.web.natural_history import CHART_TABLES, WAIT_S

    snap, why, own_rows = cache_for(engine).snapshot_for(engine, prow, wait=WAIT_S)
    if snap is None:
        return Chart(note=why, current_version=prow.version)
    chart = Chart(basis=snap.describe(), current_version=prow.version, own_rows=own_rows)
    if snap.model is None:
        chart.note = snap.reason or ""
        return chart
    if own_rows:
        key: tuple = ("current", prow.patient_id, prow.fingerprint(CHART_TABLES))
        chart.svg, chart.status, chart.note = snap.memo(key, lambda: _draw(lambda: snap.forecast_current(prow)))
    else:
        key = ("chart", prow.patient_id)
        chart.svg, chart.status, chart.note = snap.memo(key, lambda: _draw(lambda: snap.forecast(prow.patient_id)))
    return chart


def _draw(forecast: Callable[[], tuple[Forecast, Tables]]) -> tuple[Markup | None, str, str]:
    try:
        fc, tables = forecast()
    except NotApplicable as exc:
        return None, "", f"The expected course cannot be drawn yet: {exc}"
    svg = trajectory_svg(fc, tables["treatments"], tables["adverse_events"], tables["events"])
    return svg, status_text(fc), ""


def status_text(fc: Forecast) -> str:
    """The latest visit (after treatment, if any) against the expected range, in one sentence."""
    s = fc.status
    if s.get("position") is None:
        return ""
    when = "latest visit after treatment" if s.get("n_post_visits") else "latest visit"
    return (
        f"{when.capitalize()} ({pd.Timestamp(s['date']):%Y-%m-%d}): {s['observed']:.0f}; expected without "
        f"treatment {s['expected']:.1f} (95% range {s['pi_low']:.1f}–{s['pi_high']:.1f}) — "
        f"{POSITIONS[s['position']]}."
    )


# ----------------------------------------------------------------------------------------------- drawing
def _day(v) -> float:
    return pd.Timestamp(v).value / 86_400e9


def _days(dates: pd.Series) -> np.ndarray:
    return pd.to_datetime(dates).to_numpy(dtype="datetime64[ns]").astype("int64") / 86_400e9


def _month_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    start, end = pd.Timestamp(lo * 86_400e9), pd.Timestamp(hi * 86_400e9)
    span_months = (end.year - start.year) * 12 + end.month - start.month + 1
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60) if span_months / s <= 7), 120)
    m = start.year * 12 + start.month - 1
    m += (-m) % step
    ticks, labels = [], []
    while True:
        y, mo = divmod(m, 12)
        t = pd.Timestamp(year=y, month=mo + 1, day=1)
        if t > end:
            break
        if t >= start:
            ticks.append(_day(t))
            labels.append(f"{y}" if step >= 12 else f"{y}-{mo + 1:02d}")
        m += step
    return ticks, labels


def _num(v: float) -> str:
    return f"{v:.1f}"


def trajectory_svg(fc: Forecast, treatments: pd.DataFrame, aes: pd.DataFrame, events: pd.DataFrame) -> Markup:
    """Inline SVG: the expected course without treatment (95% prediction and confidence bands, dashed mean),
    every visit (filled before the first treatment, open after), administrations (lines coloured by route,
    dotted for sham), clinical events (dashed) and adverse events (triangles sized by grade)."""
    from alscell.report.figures import EVENT_LABELS, EXPECTED_COLOR, OBS_COLOR, ROUTE_COLORS, treatment_label

    c = fc.course
    v = fc.visits.dropna(subset=["total"])
    cdays, vdays = _days(c["date"]), _days(v["date"])
    extra = [
        _day(d)
        for frame, col in ((treatments, "date"), (aes, "onset_date"), (events, "date"))
        for d in frame[col].dropna()
    ]
    every = [*cdays.tolist(), *vdays.tolist(), *extra]
    x0, x1 = min(every), max(every)
    if x1 - x0 < 30:
        x0, x1 = x0 - 15, x1 + 15
    pad = (x1 - x0) * 0.02
    x0, x1 = x0 - pad, x1 + pad
    low = min([float(c["pi_low"].min())] + ([float(v["total"].min())] if len(v) else []))
    y0, y1 = max(0.0, low - 6), TOTAL_MAX + 1.0

    def X(d) -> str:
        return _num(LEFT + (_day(d) - x0) / (x1 - x0) * (RIGHT - LEFT))

    def Y(y: float) -> str:
        return _num(BOTTOM - (float(y) - y0) / (y1 - y0) * (BOTTOM - TOP))

    def xs(days: np.ndarray) -> list[str]:
        return [f"{a:.1f}" for a in (LEFT + (days - x0) / (x1 - x0) * (RIGHT - LEFT)).tolist()]

    def ys(values) -> list[str]:
        a = np.asarray(values, dtype=float)
        return [f"{b:.1f}" for b in (BOTTOM - (a - y0) / (y1 - y0) * (BOTTOM - TOP)).tolist()]

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" data-figure="trajectory" viewBox="0 0 {W} {H}" '
        f'width="{W}" height="{H}" role="img" aria-labelledby="trajectory-title" font-family="sans-serif" font-size="11">',
        '<title id="trajectory-title">ALSFRS-R total against the expected course without treatment</title>',
    ]
    # grid and axes
    step = 4 if y1 - y0 <= 25 else 8
    for y in range(int(math.ceil(y0 / step) * step), TOTAL_MAX + 1, step):
        out.append(f'<line x1="{LEFT}" x2="{RIGHT}" y1="{Y(y)}" y2="{Y(y)}" stroke="#e5e8e8"/>')
        out.append(f'<text x="{LEFT - 5}" y="{Y(y)}" dy="0.35em" text-anchor="end" fill="#333">{y}</text>')
    ticks, labels = _month_ticks(x0, x1)
    for t, lab in zip(ticks, labels, strict=True):
        x = _num(LEFT + (t - x0) / (x1 - x0) * (RIGHT - LEFT))
        out.append(f'<line x1="{x}" x2="{x}" y1="{BOTTOM}" y2="{BOTTOM + 4}" stroke="#333"/>')
        out.append(f'<text x="{x}" y="{BOTTOM + 16}" text-anchor="middle" fill="#333">{lab}</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{RIGHT - LEFT}" height="{BOTTOM - TOP}" fill="none" stroke="#999"/>')
    out.append(
        f'<text transform="translate(12 {(TOP + BOTTOM) / 2:.0f}) rotate(-90)" text-anchor="middle" '
        'fill="#333">ALSFRS-R total (0-48)</text>'
    )
    # expected course
    cx = xs(cdays)

    def points(xx: list[str], yy: list[str]) -> str:
        return " ".join(f"{a},{b}" for a, b in zip(xx, yy, strict=True))

    for lo_col, hi_col, opacity in (("pi_low", "pi_high", 0.18), ("ci_low", "ci_high", 0.35)):
        band = f"{points(cx, ys(c[hi_col]))} {points(cx[::-1], ys(c[lo_col])[::-1])}"
        out.append(f'<polygon points="{band}" fill="{EXPECTED_COLOR}" fill-opacity="{opacity}"/>')
    mean = points(cx, ys(c["mean"]))
    out.append(
        f'<polyline points="{mean}" fill="none" stroke="{EXPECTED_COLOR}" stroke-width="1.6" stroke-dasharray="6 4"/>'
    )
    # administrations and clinical events
    routes: dict[str, str] = {}
    for _, row in treatments.sort_values("date").iterrows():
        color = ROUTE_COLORS.get(row["route"], "#555")
        routes[str(row["route"])] = color
        sham = str(row.get("blinded_arm") or "") == "placebo"
        x = X(row["date"])
        dash = ' stroke-dasharray="2 3"' if sham else ""
        label = treatment_label(row)
        tip = f"{pd.Timestamp(row['date']):%Y-%m-%d}: administration {label}"
        out.append(
            f'<line x1="{x}" x2="{x}" y1="{TOP}" y2="{BOTTOM}" stroke="{color}" stroke-width="1.4"{dash}>'
            f"<title>{escape(tip)}</title></line>"
        )
        out.append(
            f'<text transform="translate({x} {TOP + 4}) rotate(90)" dy="-3" fill="{color}" '
            f'font-size="9">{escape(label)}</text>'
        )
    for _, row in events.sort_values("date").iterrows():
        x = X(row["date"])
        label = EVENT_LABELS.get(row["event"], str(row["event"]))
        tip = f"{pd.Timestamp(row['date']):%Y-%m-%d}: {label}"
        out.append(
            f'<line x1="{x}" x2="{x}" y1="{TOP}" y2="{BOTTOM}" stroke="#000" stroke-opacity="0.5" '
            f'stroke-dasharray="4 3"><title>{escape(tip)}</title></line>'
        )
        out.append(
            f'<text transform="translate({x} {BOTTOM - 4}) rotate(-90)" dy="-3" fill="#000" '
            f'font-size="9">{escape(label)}</text>'
        )
    # visits
    vx, vy = xs(vdays), ys(v["total"])
    if len(v):
        out.append(
            f'<polyline points="{points(vx, vy)}" fill="none" stroke="{OBS_COLOR}" stroke-opacity="0.6" '
            'stroke-width="0.8"/>'
        )
    cols = ["date", "total", "phase", "expected", "pi_low", "pi_high", "position"]
    for px, py, (date, total, phase, expected, lo, hi, position) in zip(
        vx, vy, zip(*(v[c].tolist() for c in cols), strict=True), strict=True
    ):
        post = phase == "post"
        fill = "#fff" if post else OBS_COLOR
        tip = f"{pd.Timestamp(date):%Y-%m-%d}: ALSFRS-R {total:.0f}"
        if pd.notna(expected):
            tip += f"; expected without treatment {expected:.1f} (95% range {lo:.1f}–{hi:.1f})"
        if position in POSITIONS:
            tip += f", {POSITIONS[position]}"
        out.append(
            f'<circle cx="{px}" cy="{py}" r="{4 if post else 3.5}" fill="{fill}" '
            f'stroke="{OBS_COLOR}" stroke-width="1.5" data-phase="{escape(phase)}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    # adverse events
    ybase = float(Y(y0 + 1))
    for _, a in aes.sort_values("onset_date").iterrows():
        if pd.isna(a["onset_date"]):
            continue
        grade = float(a["grade"]) if pd.notna(a["grade"]) else 1.0
        s = 3 + 1.2 * grade
        xa = float(X(a["onset_date"]))
        pts = f"{xa:.1f},{ybase - s:.1f} {xa - s:.1f},{ybase + s * 0.7:.1f} {xa + s:.1f},{ybase + s * 0.7:.1f}"
        tip = f"{pd.Timestamp(a['onset_date']):%Y-%m-%d}: adverse event {a['term']} (grade {a['grade']})"
        out.append(f'<polygon points="{pts}" fill="{AE_COLOR}"><title>{escape(tip)}</title></polygon>')
    # legend
    items: list[tuple[str, str]] = [
        (
            f'<rect width="18" height="10" y="-5" fill="{EXPECTED_COLOR}" fill-opacity="0.18"/>',
            "95% range of a visit expected without treatment",
        ),
        (
            f'<rect width="18" height="10" y="-5" fill="{EXPECTED_COLOR}" fill-opacity="0.35"/>',
            "95% confidence band of the expected course",
        ),
        (
            f'<line x2="18" stroke="{EXPECTED_COLOR}" stroke-width="1.6" stroke-dasharray="6 4"/>',
            "expected course without treatment",
        ),
        (f'<circle cx="9" r="3.5" fill="{OBS_COLOR}"/>', "visit (before treatment)"),
    ]
    if (v["phase"] == "post").any():
        items.append(
            (f'<circle cx="9" r="4" fill="#fff" stroke="{OBS_COLOR}" stroke-width="1.5"/>', "visit (after treatment)")
        )
    for route, color in routes.items():
        items.append((f'<line x2="18" stroke="{color}" stroke-width="1.4"/>', f"administration: {route}"))
    if len(events):
        items.append(('<line x2="18" stroke="#000" stroke-opacity="0.5" stroke-dasharray="4 3"/>', "clinical event"))
    if len(aes):
        items.append((f'<polygon points="9,-5 4,3 14,3" fill="{AE_COLOR}"/>', "adverse event (size = grade)"))
    for i, (mark, text) in enumerate(items):
        out.append(
            f'<g transform="translate({RIGHT + 14} {TOP + 10 + 18 * i})">{mark}'
            f'<text x="24" dy="0.35em" fill="#333">{escape(text)}</text></g>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def version_text(chart: Chart) -> str:
    """Which data version the chart reflects, for the page."""
    b = chart.basis
    if not b:
        return ""
    when = b["fitted_at"].astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    text = f"Registry data version {b['version']} (fitted {when} UTC"
    if "n_patients" in b:
        text += f" on {b['n_visits']} untreated visits of {b['n_patients']} patients"
    text += ")."
    if chart.own_rows:
        text += (
            f" This patient's records changed since (data version {chart.current_version}): the course is that "
            "fit's population course with this patient's current visits (their own random effects computed from "
            "these visits), and the model is refitted on the whole registry in the background."
        )
    elif chart.current_version > b["version"]:
        text += (
            f" The registry has changed since (data version {chart.current_version}); this patient's records "
            "have not, and the model is refitted in the background."
        )
    return text

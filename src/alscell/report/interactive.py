"""Interactive report figures (Plotly; JavaScript inlined from the installed package, no CDN)."""

from __future__ import annotations

import pandas as pd

from alscell.report.embed import plotly_div
from alscell.report.figures import EVENT_LABELS, EXPECTED_COLOR, ROUTE_COLORS, treatment_label


def trajectory_plotly(fc, treatments: pd.DataFrame, aes: pd.DataFrame, events: pd.DataFrame):
    import plotly.graph_objects as go

    c = fc.course
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=list(c["date"]) + list(c["date"][::-1]),
            y=list(c["pi_high"]) + list(c["pi_low"][::-1]),
            fill="toself",
            line=dict(width=0),
            fillcolor="rgba(127,140,141,0.18)",
            hoverinfo="skip",
            name="95% range of a visit without treatment",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=list(c["date"]) + list(c["date"][::-1]),
            y=list(c["ci_high"]) + list(c["ci_low"][::-1]),
            fill="toself",
            line=dict(width=0),
            fillcolor="rgba(127,140,141,0.35)",
            hoverinfo="skip",
            name="95% confidence band",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=c["date"],
            y=c["mean"].round(1),
            mode="lines",
            name="expected without treatment",
            line=dict(color=EXPECTED_COLOR, dash="dash"),
        )
    )
    v = fc.visits.dropna(subset=["total"])
    text = [
        f"{d:%Y-%m-%d}: {t:.0f} (expected {e:.1f}, range {lo:.1f}–{hi:.1f})"
        for d, t, e, lo, hi in zip(v["date"], v["total"], v["expected"], v["pi_low"], v["pi_high"], strict=False)
    ]
    fig.add_trace(
        go.Scatter(
            x=v["date"],
            y=v["total"],
            mode="lines+markers",
            name="ALSFRS-R visits",
            text=text,
            hoverinfo="text",
            line=dict(color="#1b2631", width=1),
            marker=dict(size=8, symbol=["circle" if p != "post" else "circle-open" for p in v["phase"]]),
        )
    )
    for _, row in (treatments if treatments is not None else pd.DataFrame()).iterrows():
        fig.add_vline(x=row["date"], line=dict(color=ROUTE_COLORS.get(row["route"], "#555"), width=1.5))
        fig.add_annotation(
            x=row["date"],
            y=48.5,
            text=treatment_label(row),
            showarrow=False,
            textangle=-90,
            font=dict(size=9, color=ROUTE_COLORS.get(row["route"], "#555")),
            xanchor="left",
        )
    if aes is not None and len(aes):
        fig.add_trace(
            go.Scatter(
                x=aes["onset_date"],
                y=[1] * len(aes),
                mode="markers",
                name="adverse events",
                marker=dict(symbol="triangle-up", size=8 + 3 * aes["grade"].astype(float), color="#e67e22"),
                text=[f"{t} (grade {g})" for t, g in zip(aes["term"], aes["grade"], strict=False)],
                hoverinfo="text+x",
            )
        )
    for _, row in (events if events is not None else pd.DataFrame()).iterrows():
        fig.add_vline(x=row["date"], line=dict(color="#000", width=1, dash="dot"))
        fig.add_annotation(
            x=row["date"],
            y=2,
            text=EVENT_LABELS.get(row["event"], row["event"]),
            showarrow=False,
            textangle=-90,
            font=dict(size=9),
            xanchor="left",
        )
    fig.update_yaxes(title="ALSFRS-R total", range=[0, 49.5])
    fig.update_layout(legend=dict(orientation="h", y=-0.2), hovermode="closest")
    return plotly_div(fig, "trajectory-interactive", height=460)

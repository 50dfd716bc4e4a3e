"""The trial-design report (``alscell power --report``): what was simulated, what it gives, and how far to
trust it — one self-contained HTML file (or PDF) in the style of the cohort report.

Built from the JSON object ``alscell power --json`` prints (``out``), so the report and the JSON can never
disagree.  Each rate is judged against its *nominal* value with its Monte Carlo SE (±2 MCSE): the size of
a test under no effect against α, coverage against 95 %, bias against 0.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from alscell.report.embed import plt, svg
from alscell.report.render import render_html, write_report

NOMINAL_COVERAGE = 0.95

# Design fields shown as inputs, with the words used for them (TrialDesign.to_dict keys).
INPUTS = (
    ("kind", "design"),
    ("n", "patients randomised (single arm: treated)"),
    ("ratio", "allocation active : control"),
    ("effect", "true effect, ALSFRS-R points/month"),
    ("endpoint", "endpoint"),
    ("alpha", "two-sided α"),
    ("follow_up_months", "follow-up after randomisation, months"),
    ("visit_interval_months", "months between visits"),
    ("run_in_months", "run-in, months"),
    ("min_run_in_decline", "minimum run-in decline, points"),
    ("min_alsfrs", "ALSFRS-R at screening ≥"),
    ("max_alsfrs", "ALSFRS-R at screening ≤"),
    ("rate_window", "pre-baseline ΔFRS window, points/month"),
    ("max_months_since_onset", "months since onset ≤"),
    ("dropout_per_year", "yearly dropout (empty: the simulator's)"),
    ("route", "route"),
    ("routes", "routes compared"),
    ("route_effect", "effect multiplier by route"),
    ("cycles", "doses"),
    ("cycle_interval_months", "months between doses"),
    ("half_life_months", "effect half-life, months (empty: no waning)"),
    ("redose_boost", "extra effect per further dose"),
    ("delay_months", "delayed start, months"),
    ("external_rate_factor", "external controls' progression factor"),
    ("looks", "interim looks (information fractions)"),
    ("spending", "α spending"),
    ("accrual_months", "accrual, months"),
    ("procova", "PROCOVA adjustment"),
    ("historical_n", "PROCOVA historical patients"),
)


def _value(v) -> str:
    if v is None or v == [] or v == {}:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list | tuple):
        return ", ".join(_value(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k} × {_value(x)}" for k, x in v.items())
    return str(v).replace("_", " ")


def _finite(m: dict) -> bool:
    return m.get("value") is not None and math.isfinite(m["value"])


def _within(m: dict, nominal: float) -> bool | None:
    """``m`` lies within 2 Monte Carlo SEs of ``nominal`` (None when it cannot be judged)."""
    if not _finite(m) or m.get("mcse") is None or not math.isfinite(m["mcse"]):
        return None
    return abs(m["value"] - nominal) <= 2 * max(m["mcse"], 1e-12)


def _at_nominal(m: dict, nominal: float, n_trials: int) -> tuple[bool, float]:
    """Whether the rate ``m`` lies within 2 MCSE of ``nominal``, the MCSE being that of a rate equal to
    ``nominal`` over this many trials (Morris, White & Crowther 2019); and that 2 MCSE."""
    n = m.get("n") or n_trials
    band = 2 * math.sqrt(nominal * (1 - nominal) / n)
    return abs(m["value"] - nominal) <= band, band


def _judgements(s: dict) -> list[dict]:
    """Plain statements about one scenario, each with whether it holds (True / False / None)."""
    d, out = s["design"], []
    rate = s["rejection_rate"]
    if d["effect"] == 0 and _finite(rate):
        # Under no effect the rejection rate is the type-I error.
        ok, band = _at_nominal(rate, d["alpha"], s["n_trials"])
        verdict = "within" if ok else "outside"
        text = f"Type-I error {rate['value']:.3f} against the nominal {d['alpha']:g} (2 MCSE at the nominal rate: ±{band:.3f}): {verdict}."
        out.append({"ok": ok, "text": text})
    elif _finite(rate):
        text = f"Power {rate['value']:.3f} (MCSE {rate['mcse']:.3f}) for a true effect of {d['effect']:g} points/month."
        out.append({"ok": None, "text": text})
    cov = s.get("coverage") or {}
    if _finite(cov):
        ok, band = _at_nominal(cov, NOMINAL_COVERAGE, s["n_trials"])
        verdict = "consistent with" if ok else "not"
        text = f"95% intervals covered the truth in {cov['value']:.1%} of trials (±{band:.1%} expected by chance): {verdict} 95%."
        out.append({"ok": ok, "text": text})
    bias = s.get("bias") or {}
    if _finite(bias):
        unbiased = _within(bias, 0.0)
        verdict = "indistinguishable from 0" if unbiased else "different from 0"
        out.append(
            {"ok": unbiased, "text": f"Bias {bias['value']:+.3f} (MCSE {bias['mcse']:.3f}): {verdict} at ±2 MCSE."}
        )
    return out


def power_curve_figure(out: dict):
    """Rejection rate (± 2 MCSE) over the scenarios' sample sizes (``curve`` "n") or true effects."""
    axis = out.get("curve")
    key = "n" if axis == "n" else "effect"
    xs = [s["design"][key] for s in out["scenarios"]]
    ys = [s["rejection_rate"]["value"] for s in out["scenarios"]]
    es = [2 * s["rejection_rate"]["mcse"] for s in out["scenarios"]]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3)
    ax.axhline(out["scenarios"][0]["design"]["alpha"], color="grey", lw=0.8, ls="--")
    ax.set_xlabel("patients randomised" if axis == "n" else "true effect, ALSFRS-R points/month")
    ax.set_ylabel("rejection rate (± 2 MCSE)")
    ax.set_ylim(0, 1)
    fig.tight_layout()
    return fig


def design_context(out: dict) -> dict:
    """The template's context for the power output ``out`` (the ``--json`` object)."""
    scenarios = out["scenarios"]
    first = scenarios[0]["design"]
    varying = {k for k, _ in INPUTS if any(s["design"].get(k) != first.get(k) for s in scenarios)}
    inputs = [
        {"label": label, "value": "varies (see results)" if k in varying else _value(first.get(k))}
        for k, label in INPUTS
    ]
    rows = []
    for s in scenarios:
        rows.append(
            {
                "n": s["design"]["n"],
                "effect": s["design"]["effect"],
                "truth": s.get("truth"),
                "metrics": {
                    k: s.get(k)
                    for k in ("rejection_rate", "mean_estimate", "bias", "coverage", "empirical_se", "model_se")
                },
                "judgements": _judgements(s),
                "extras": s.get("extras", {}),
            }
        )
    fig = power_curve_figure(out) if out.get("curve") and len(scenarios) > 1 else None
    return {
        "title": f"Trial design report: {first['kind'].replace('_', ' ')}, endpoint {first['endpoint']}",
        "generated": dt.date.today().isoformat(),
        "seed": out["seed"],
        "n_trials": out["n_trials"],
        "curve": out.get("curve"),
        "inputs": inputs,
        "rows": rows,
        "figure": svg(fig, "power-curve") if fig is not None else None,
        "uses_plotly": False,
    }


def design_report(out: dict, path: str | Path) -> Path:
    """Write the design report for the power output ``out`` to ``path`` (.html, or .pdf via Chromium)."""
    return write_report(render_html("design.html", design_context(out)), path)

"""The trial-design report (`alscell power --report`): judgements against nominal values, the page itself."""

from __future__ import annotations

import json
import math
import subprocess
import sys

from alscell.report.design import _judgements, design_context
from alscell.report.render import external_references


def _scenario(effect: float, rate: float, coverage: float, bias: float, bias_mcse: float, n: int = 400) -> dict:
    def m(v: float, se: float | None = None) -> dict:
        return {"value": v, "mcse": se if se is not None else math.sqrt(v * (1 - v) / n), "n": n}

    return {
        "design": {"kind": "parallel", "n": 100, "effect": effect, "endpoint": "slope", "alpha": 0.05},
        "n_trials": n,
        "truth": effect,
        "rejection_rate": m(rate),
        "mean_estimate": {"value": effect + bias, "mcse": bias_mcse},
        "bias": {"value": bias, "mcse": bias_mcse, "n": n},
        "coverage": m(coverage),
        "empirical_se": {"value": 0.2, "mcse": 0.01},
        "model_se": {"value": 0.2, "mcse": 0.01},
        "extras": {"mean_screened": 110.0},
    }


def test_type_one_error_is_judged_at_the_nominal_rate():
    # 400 trials at α = 0.05: 2 MCSE at the nominal rate = 2·sqrt(0.05·0.95/400) = 0.0218 (hand-worked).
    inside = _judgements(_scenario(0.0, 0.07, 0.95, 0.0, 0.01))[0]
    outside = _judgements(_scenario(0.0, 0.075, 0.95, 0.0, 0.01))[0]
    assert inside["ok"] is True and "within" in inside["text"] and "±0.022" in inside["text"]
    # 0.075 is within 2 of its *own* MCSE (0.0132) of 0.05 but not within 2 MCSE at the nominal rate.
    assert outside["ok"] is False and "outside" in outside["text"]


def test_coverage_and_bias_against_their_nominal_values():
    j = _judgements(_scenario(0.3, 0.8, 0.90, 0.05, 0.02))
    texts = {x["text"].split(" ")[0]: x for x in j}
    assert texts["Power"]["ok"] is None
    assert texts["95%"]["ok"] is False  # 0.90 vs 0.95 ± 0.0218
    assert texts["Bias"]["ok"] is False  # 0.05 > 2 × 0.02
    j = _judgements(_scenario(0.3, 0.8, 0.94, 0.01, 0.02))
    assert all(x["ok"] in (True, None) for x in j)


def test_context_marks_what_varies_and_draws_a_curve_only_for_curves():
    out = {"seed": 3, "n_trials": 400, "curve": "effect", "scenarios": [_scenario(0.0, 0.05, 0.95, 0, 0.01)]}
    out["scenarios"].append(_scenario(0.3, 0.6, 0.95, 0, 0.01))
    ctx = design_context(out)
    shown = {i["label"]: i["value"] for i in ctx["inputs"]}
    assert shown["true effect, ALSFRS-R points/month"] == "varies (see results)"
    assert shown["patients randomised (single arm: treated)"] == "100"
    assert ctx["figure"] is not None and "<svg" in ctx["figure"]
    one = design_context({**out, "curve": None, "scenarios": out["scenarios"][:1]})
    assert one["figure"] is None


def test_power_report_from_the_command_line(tmp_path):
    page = tmp_path / "design.html"
    r = subprocess.run(
        [sys.executable, "-m", "alscell", "power", "--trials", "20", "--n", "40", "--report", str(page), "--json"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    html = page.read_text(encoding="utf-8")
    rate = out["scenarios"][0]["rejection_rate"]["value"]
    assert f"{rate:.3f}" in html  # the page shows the numbers the JSON holds
    assert "A simulation, not a prediction" in html and "Type-I error" in html
    assert external_references(html) == []
    bad = subprocess.run(
        [sys.executable, "-m", "alscell", "power", "--trials", "5", "--report", str(tmp_path / "d.docx")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and ".html or .pdf" in bad.stderr and "Traceback" not in bad.stderr

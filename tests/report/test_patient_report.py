"""The patient report: its figures, its numbers (equal to the forecast's), its words, and that it is offline."""

from __future__ import annotations

import pytest
from report_helpers import parse, visible_text

from alscell.analysis.forecast import fit_natural_history, forecast_patient
from alscell.report.embed import plotly_js
from alscell.report.patient import patient_report
from alscell.report.pdf import dump_dom, find_chromium
from alscell.report.render import external_references, split_plotly
from alscell.report.text import num


def _im_patient(tables):
    tr = tables["treatments"]
    v = tables["alsfrs"].groupby("patient_id")["date"].agg(["min", "max"])
    first = tr.groupby("patient_id")["date"].min()
    for pid in tr.loc[tr["route"] == "intramuscular", "patient_id"].unique():
        if v.loc[pid, "min"] < first[pid] and (v.loc[pid, "max"] - first[pid]).days > 100:
            return pid
    raise AssertionError("no suitable intramuscular patient in the fixture")


@pytest.fixture(scope="module")
def im_report(tables, tmp_path_factory):
    pid = _im_patient(tables)
    out = tmp_path_factory.mktemp("patient") / f"{pid}.html"
    model = fit_natural_history(tables)
    patient_report(tables, pid, out, model=model)
    return pid, out, out.read_text(encoding="utf-8"), forecast_patient(tables, pid, model)


def test_every_figure_is_there(im_report):
    _, _, html, _ = im_report
    figs = parse(html).figures
    for label in (
        "trajectory",
        "subscores",
        "breathing",
        "strength",
        "qol",
        "biomarkers",
        "stages",
        "trajectory-interactive",
    ):
        assert label in figs, label
    assert html.count("<svg") >= 7
    assert 'class="plotly-graph-div"' in html


def test_numbers_equal_the_forecast(im_report):
    _pid, _, html, fc = im_report
    keys = parse(html).keys
    assert keys["expected_slope"] == num(-fc.expected_slope, 2)
    assert keys["n_within"] == str(fc.status["n_within"])
    assert keys["n_below"] == str(fc.status["n_below"])
    for w in fc.windows:
        if w["n_visits"]:
            assert keys[f"window.{w['window']}.observed"] == num(w["observed"], 0)
            assert keys[f"window.{w['window']}.expected"] == num(w["expected"], 1)
    assert keys["kings"] == (fc.stage["kings"] or "n/a")
    text = visible_text(html)
    s = fc.status
    assert f"your ALSFRS-R score was {num(s['observed'], 0)}" in text
    assert f"from {num(s['pi_low'], 1)} to {num(s['pi_high'], 1)}" in text


def test_plain_language_and_honesty(im_report):
    _, _, html, fc = im_report
    text = visible_text(html)
    assert "not a cure" in text
    phrase = {
        "within": "within the range expected without treatment",
        "above": "better than expected",
        "below": "lower than expected without treatment",
    }[fc.status["position"]]
    assert phrase in text
    for label in ("first weeks (0-6 weeks)", "1-3 months", "6-12 months and beyond"):
        assert label in text
    assert "Injected muscles" in text and "— injected" in html


def test_no_external_url(im_report):
    _, _, html, _ = im_report
    assert external_references(html) == []
    rest, bundle = split_plotly(html)
    assert bundle == plotly_js()  # plotly.js exactly as shipped in the package, inlined
    assert "<link" not in rest and "src=" not in rest.replace('src="data:', "")


@pytest.mark.skipif(find_chromium() is None, reason="Debian's chromium is not installed (make setup installs it)")
def test_renders_offline_in_chromium(im_report):
    _, path, _, _ = im_report
    dom = dump_dom(path)  # network lookups are disabled for this browser
    assert "main-svg" in dom  # Plotly drew the interactive chart from the inlined bundle


def test_prognosis_section(im_report, tables):
    from alscell.analysis.prognosis import prognosis_patient

    pid, _, html, _ = im_report
    text = visible_text(html)
    assert "Looking ahead" in text and "without treatment" in text
    pr = prognosis_patient(tables, pid).to_json_dict()
    tot = pr["forecasts"][0]["horizons"][0]
    assert f"{num(tot['mean'], 1)} ({num(tot['pi80_low'], 1)}–{num(tot['pi80_high'], 1)})" in text
    assert "None of these effects was confirmed by a phase 3" in text
    assert "Bedlack" in text and "ENCALS" in text
    assert "NurOwn phase 3 (NCT03280056)" in text

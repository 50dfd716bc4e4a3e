"""The cohort report: table 1, the evidence engine's numbers, figures, safety, quality flags, offline."""

from __future__ import annotations

import importlib.util
from html import unescape

import pytest
from report_helpers import parse, visible_text

from alscell.report.cohort import cohort_report
from alscell.report.evidence import run_evidence
from alscell.report.pdf import find_chromium
from alscell.report.render import external_references
from alscell.report.text import num, pct, pval


@pytest.fixture(scope="module")
def report(tables, tmp_path_factory):
    """Built once even when pytest-xdist spreads this module's tests over workers (shared file + lock)."""
    import fcntl
    import os
    import pickle

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # this run's root either way
    lock, cache = shared / "cohort-report.lock", shared / "cohort-report.pickle"
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        if cache.exists():
            return pickle.loads(cache.read_bytes())
        ev = run_evidence(tables)
        out = shared / "cohort.html"
        cohort_report(tables, out, evidence=ev)
        result = (out.read_text(encoding="utf-8"), ev)
        cache.write_bytes(pickle.dumps(result))
        return result


def test_description_and_quality(report, tables):
    html, _ = report
    p = parse(html)
    assert p.keys["counts.patients"] == str(len(tables["patients"]))
    text = visible_text(html)
    assert "Cohort description" in text and "age at onset" in text
    for flag in ("missing visits", "out-of-window measures", "treated without baseline", "partial ALSFRS-R"):
        assert f'data-flag="{flag}"' in html
    assert "cohort-trajectories" in p.figures
    assert "Calibration caveats" in text


def test_headline_equals_the_evidence_engine(report, tables):
    html, ev = report
    p = parse(html)
    if importlib.util.find_spec("alscell.analysis.effects") is None:
        assert "effect" in p.unavailable
        pytest.skip("evidence engine (alscell.analysis.effects) not installed yet: the report says so")
    from alscell.analysis.effects import estimate_effect

    e = estimate_effect(tables, outcome="alsfrs_r_total")  # the default method is the headline
    assert ev["effect"].available, ev["effect"].reason
    assert p.keys["effect.estimate"] == num(e.estimate, 2)
    assert p.keys["effect.ci_low"] == num(e.ci_low, 2)
    assert p.keys["effect.ci_high"] == num(e.ci_high, 2)
    assert p.keys["effect.p_value"] == pval(e.p_value)
    assert p.keys["effect.n_patients"] == str(e.n_patients)
    # beside it, the standard history's reading (the registry records FVC and NfL): that fit's estimate and CI
    std = estimate_effect(tables, outcome="alsfrs_r_total", history="standard")
    assert p.keys["effect.measures_check"].startswith(f"{std.estimate:+.3f} (95% CI {std.ci_low:+.3f} to ")


def test_every_section_shows_the_engines_result(report, tables):
    """The fixture registry has every route, repeated doses, AEs and deaths: every section must be there."""
    html, ev = report
    p = parse(html)
    for key in (
        "effect",
        "sensitivity",
        "effect_naive",
        "claims",
        "muscles",
        "responders",
        "cycles",
        "survival",
        "safety",
    ):
        assert ev[key].available, (key, ev[key].reason)
        assert key not in p.unavailable
    # the sensitivity table shows what the engine computed, the primary being the headline itself
    sens = ev["sensitivity"].value
    assert sens.primary is ev["effect"].value
    assert p.keys["sens.g_estimation.estimate"] == num(ev["effect"].value.estimate, 2)
    for row in sens.rows:
        assert row.result is not None, row.reason
        assert p.keys[f"sens.{row.analysis}.estimate"] == num(row.result.estimate, 2)
    assert "In short: " + sens.summary() in " ".join(html.split())
    assert sens.placebo is not None  # the falsification check under the table, in the same words as the CLI
    shown = unescape(" ".join(html.split()))
    assert "Falsification check — " + sens.placebo.sentence(sens.primary.unit) in shown
    assert sens.waning is not None and "D" + sens.waning.sentence(sens.primary.unit)[1:] in shown
    # does it work better in some patients? the same sentence as the analysis layer's, from the same estimate
    from alscell.analysis.effect_modification import REPORT_MODIFIERS, estimate_modified, modification_sentence

    mod = modification_sentence(estimate_modified(tables, "alsfrs_r_total", "g_estimation", REPORT_MODIFIERS))
    assert ev["modification"].available and ev["modification"].value == mod
    assert mod.startswith("does it work better in some patients? Per point/month more of ΔFRS")
    assert "D" + mod[1:] in shown and "docs/g_modifiers.md" in mod
    from alscell.analysis.responders import responder_analysis

    r = responder_analysis(tables)
    assert p.keys["responders.observed_rate"] == pct(r.observed_rate)
    assert p.keys["responders.expected_rate"] == pct(r.expected_rate)
    assert 'id="claims-table"' in html and any(f.startswith("forest-") for f in p.figures)
    assert "kaplan-meier" in p.figures
    assert 'id="safety-table"' in html
    # what the analyses left out is listed (the default method always leaves out trigger visits)
    assert 'id="left-out-table"' in html and "may have prompted it" in html


def test_a_section_that_cannot_apply_says_why(tables, tmp_path):
    """Without administrations the treatment sections say "not available" and why, and the report is written."""
    from alscell.report.cohort import cohort_report

    untreated = tables.replace(
        treatments=tables["treatments"].iloc[0:0], adverse_events=tables["adverse_events"].iloc[0:0]
    )
    ev = run_evidence(untreated)
    for key in ("cycles", "safety", "muscles"):
        assert not ev[key].available and ev[key].reason.startswith("not available: "), key
    html = cohort_report(untreated, tmp_path / "c.html", evidence=ev).read_text(encoding="utf-8")
    assert "cycles" in parse(html).unavailable


def test_no_external_url(report):
    html, _ = report
    assert external_references(html) == []


@pytest.mark.skipif(find_chromium() is None, reason="Debian's chromium is not installed (make setup installs it)")
def test_pdf(report, tmp_path):
    from alscell.report.render import write_report

    out = write_report(report[0], tmp_path / "cohort.pdf")
    data = out.read_bytes()
    assert data[:5] == b"%PDF-" and len(data) > 50_000

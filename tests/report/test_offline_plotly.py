"""Interactive figures render from the shipped partial plotly.js bundle, offline, in Debian's Chromium."""

from __future__ import annotations

import re

import pytest

from alscell.report.embed import PLOTLY_BASIC_VERSION, plotly_js
from alscell.report.patient import patient_report
from alscell.report.pdf import find_chromium, run_chromium


def test_bundle_matches_plotly_py():
    """The partial bundle is the plotly.js version the installed plotly.py writes figures for."""
    from plotly.offline import get_plotlyjs_version

    assert PLOTLY_BASIC_VERSION == get_plotlyjs_version()
    assert f"plotly.js (basic - minified) v{PLOTLY_BASIC_VERSION}" in plotly_js()[:200]


def test_patient_report_is_small(tables, tmp_path):
    pid = tables["treatments"]["patient_id"].iloc[0]
    out = patient_report(tables, pid, tmp_path / "p.html")
    assert out.stat().st_size < 1.5e6  # one self-contained file (the full plotly bundle alone is 4.8 MB)


@pytest.mark.skipif(find_chromium() is None, reason="Debian's chromium is not installed (make setup installs it)")
def test_figures_render_offline(tables, tmp_path):
    pid = tables["treatments"]["patient_id"].iloc[0]
    out = patient_report(tables, pid, tmp_path / "p.html")
    n_divs = len(re.findall(r'class="plotly-figure"', out.read_text(encoding="utf-8")))
    # every host name fails to resolve (pdf.chromium_args), so nothing could load from a network
    dom = run_chromium(out, ["--dump-dom"]).stdout
    assert n_divs >= 1
    assert dom.count('class="main-svg"') >= n_divs  # plotly drew each figure

"""benchmarks/decision_oracle.py: the world's decision probability computed from the records (every start where it
is positive, its sum the number of starts within chance), the decision side swapped without touching the rest (the
fitted probability put back gives the named estimate exactly), and the stored page rewritten from its cohorts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import decision_oracle as dor

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world16_cohort():
    import calibration
    import sixteenth_world
    from alscell.analysis.g_estimation import g_estimation
    from g_history_calibration import CANDIDATES
    from named_inputs import resolved

    with dor.world_decisions(sixteenth_world) as drawn:
        tables = calibration._cohort("world16", 600, 0.3, 0.0, 11, record_occasions=True)
    kw = resolved({k: v for k, v in CANDIDATES["named_occasions"][0].items() if k != "record_occasions"}, "world16")
    with dor.decision_side({}) as how:
        named = g_estimation(tables, **kw)
    return tables, kw, drawn, how, named


def test_the_rule_computed_from_the_records_explains_every_start(world16_cohort):
    tables, _, drawn, how, _ = world16_cohort
    rows, _, starts = how["fitted"]
    p, masks = dor.world16_probability(tables, how["df"], drawn["cut"])
    assert np.isfinite(drawn["cut"]) and starts.sum() >= 20
    assert (p[rows][starts] > 0).all() and masks["eligible"][rows][starts].all()  # no start the rule forbids
    spread = np.sqrt((p[rows] * (1 - p[rows])).sum())
    assert abs(p[rows].sum() - starts.sum()) < 4 * spread  # as many starts as the rule's probabilities say
    # each condition holds at every start, and each one alone leaves visits the rule could not treat at
    for key in ("munix", "onset", "support"):
        assert masks[key][rows][starts].all() and (masks[key][rows] & ~masks["eligible"][rows]).any()


def test_swapping_the_decision_side_changes_nothing_else(world16_cohort):
    from alscell.analysis.g_estimation import g_estimation

    tables, kw, _, how, named = world16_cohort
    rows, fitted, _ = how["fitted"]
    p = np.zeros(len(how["df"]))
    p[rows] = fitted
    with dor.decision_side({"p": p}):
        same = g_estimation(tables, **kw)
    with dor.decision_side({"keep": np.ones(len(how["df"]), dtype=bool)}):
        kept = g_estimation(tables, **kw)
    for e in (same, kept):
        assert e.estimate == pytest.approx(named.estimate, abs=1e-12) and e.se == pytest.approx(named.se, rel=1e-9)
    with dor.decision_side({"p": np.where(p > 0, 0.5, p)}):  # a different probability moves the estimate
        assert g_estimation(tables, **kw).estimate != pytest.approx(named.estimate, abs=1e-6)


def test_the_stored_page_rewrites_from_its_cohorts(tmp_path):
    page = ROOT / "docs" / "decision_oracle.md"
    raw = ROOT / "docs" / "data" / "decision_oracle.csv"
    out = tmp_path / "page.md"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "decision_oracle.py"), "--raw", str(raw), "--from-raw",
           "--write-md", str(out)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    table = page.read_text(encoding="utf-8").split("## Reading it")[0].split("Run time")[0]
    assert out.read_text(encoding="utf-8").split("Run time")[0].split("\n\n", 2)[2] == table.split("\n\n", 2)[2]
    stored = pd.read_csv(raw)
    assert set(stored["world"]) == {"world15", "world16"} and (stored["starts_where_p0"] == 0).all()

"""benchmarks/world18_raters.py and world18_backlog.py: each stored run holds the same 40 cohorts in every row (the
pieces off draw the same numbers; the backlog page's are the raters page's) and each page rewrites from them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import world18_backlog as wb
import world18_raters as wr

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", [wr, wb], ids=["raters", "backlog"])
def test_every_row_holds_the_same_cohorts_and_the_page_rewrites(module, tmp_path):
    name = module.__name__
    raw = pd.read_csv(ROOT / "docs" / "data" / f"{name}.csv")
    assert len(raw) == len(module.OFF) * len(module.ESTIMATORS) * wr.COHORTS
    seeds = {k: frozenset(d["seed"]) for k, d in raw.groupby(["off", "estimator"])}
    assert len(seeds) == len(module.OFF) * len(module.ESTIMATORS) and len(set(seeds.values())) == 1
    assert set(seeds.values()) == {frozenset(pd.read_csv(ROOT / "docs" / "data" / "world18_raters.csv")["seed"])}
    out = tmp_path / "page.md"
    cmd = [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), "--raw", str(ROOT / "docs" / "data" / f"{name}.csv"),
           "--from-raw", "--write-md", str(out)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    stored = (ROOT / "docs" / f"{name}.md").read_text(encoding="utf-8")
    body = out.read_text(encoding="utf-8").split("\n\n", 2)[2]
    assert body.split("Run time")[0] == stored.split("\n\n", 2)[2].split("Run time")[0]


def test_the_backlog_page_names_one_recorded_rule_input_at_a_time():
    import named_inputs

    assert set(wb.ONE) == set(named_inputs.NAMED["world18"])
    assert wb.options("+ age") == {"adjust_for": ("age",), "adjust_shape": "spline"} and wb.options("default") == {}

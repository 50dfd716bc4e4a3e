"""benchmarks/world18_raters.py: the stored cohorts are the same 40 in every row (the pieces off draw the same
numbers) and the page rewrites from them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import world18_raters as wr

ROOT = Path(__file__).resolve().parents[2]


def test_every_row_holds_the_same_cohorts_and_the_page_rewrites(tmp_path):
    raw = pd.read_csv(ROOT / "docs" / "data" / "world18_raters.csv")
    assert len(raw) == len(wr.OFF) * len(wr.ESTIMATORS) * wr.COHORTS
    seeds = {k: set(d["seed"]) for k, d in raw.groupby(["off", "estimator"])}
    assert len(seeds) == len(wr.OFF) * len(wr.ESTIMATORS) and len({frozenset(s) for s in seeds.values()}) == 1
    out = tmp_path / "page.md"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "world18_raters.py"), "--raw",
           str(ROOT / "docs" / "data" / "world18_raters.csv"), "--from-raw", "--write-md", str(out)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    stored = (ROOT / "docs" / "world18_raters.md").read_text(encoding="utf-8")
    body = out.read_text(encoding="utf-8").split("\n\n", 2)[2]
    assert body.split("Run time")[0] == stored.split("\n\n", 2)[2].split("Run time")[0]

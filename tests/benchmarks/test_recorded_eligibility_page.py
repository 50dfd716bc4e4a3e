"""benchmarks/recorded_eligibility.py: the registered rule applied by hand-worked rows, and emptying the screening
changes nothing else."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from page_checks import assert_page_rewrites

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import recorded_eligibility as re_
from registry_arrays import screened_clinic


def _raw(read: dict, emptied: dict) -> pd.DataFrame:
    """Two cohorts per cell and estimator: ``read``/``emptied`` map (share, estimator) to their two estimates."""
    rows = []
    for (share, est), values in read.items():
        for screening, vals in (("read", values), ("emptied", emptied[(share, est)])):
            rows += [dict(world="world19", share=share, seed=s, estimator=est, screening=screening, estimate=v)
                     for s, v in enumerate(vals)]  # fmt: skip
    return pd.DataFrame(rows)


def test_the_rule_by_hand():
    cells = [(s, e) for _, s, _ in re_.JUDGED for e in re_.ESTIMATORS]
    # read closer to 0 everywhere: it stays
    text, keep = re_.verdict(_raw({c: [0.01, -0.01] for c in cells}, {c: [0.05, 0.03] for c in cells}))
    assert keep and text.endswith("stays in the default.")
    # one cell where reading moves away from 0: |0.06| - |0.01| = 0.05 > 2 x MCSE (paired diffs 0.05, 0.05: MCSE 0)
    worse = {c: [0.01, -0.01] for c in cells} | {cells[-1]: [0.06, 0.04]}
    text, keep = re_.verdict(_raw(worse, {c: [0.0, -0.02] for c in cells}))
    assert not keep and "leaves the default" in text and "names at 60%" in text
    # within chance: paired differences 0.0 and 0.1 (mean 0.05, MCSE 0.05): 0.05 - 0.01 <= 0.1
    noisy = {c: [0.01, -0.01] for c in cells} | {cells[-1]: [0.0, 0.1]}
    _, keep = re_.verdict(_raw(noisy, {c: [0.0, 0.0] for c in cells} | {cells[-1]: [0.0, 0.0]}))
    assert keep
    assert re_.verdict(_raw({cells[0]: [0.0, 0.0]}, {cells[0]: [0.0, 0.0]}))[1] is False  # cells missing


def test_emptying_the_screening_changes_nothing_else():
    t = screened_clinic(40, 1)
    e = re_.emptied(t)
    assert t["alsfrs"]["eligible"].notna().all() and e["alsfrs"]["eligible"].isna().all()
    for name in t:
        drop = ["eligible"] if name == "alsfrs" else []
        pd.testing.assert_frame_equal(t[name].drop(columns=drop), e[name].drop(columns=drop))


def test_the_stored_page_rewrites_from_its_cohorts(tmp_path):

    root = Path(__file__).resolve().parents[2]
    raw = root / "docs" / "data" / "recorded_eligibility.csv"
    stored = pd.read_csv(raw)
    assert len(stored) == sum(k for _, _, k in re_.JUDGED) * 4  # two estimators, read and emptied
    page = assert_page_rewrites(
        "recorded_eligibility.py", "docs/data/recorded_eligibility.csv", "docs/recorded_eligibility.md", tmp_path
    )
    assert "Verdict: reading the recorded screening leaves the default." in page

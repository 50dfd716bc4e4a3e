"""benchmarks/g_history.py: the two histories on the same cohort, and the paired table."""

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import g_history


def test_both_histories_on_the_same_cohort_and_the_paired_change():
    raw = pd.DataFrame(g_history.run_chunk([(("world5", 0.5, 0.0), 4), (("world5", 0.5, 0.0), 5)], 300))
    assert list(raw["variant"]) == ["standard", "flexible"] * 2 and (raw["truth"] == 0.0).all()
    table = g_history.markdown(raw).splitlines()
    assert len(table) == 3 and table[2].startswith("| world5 | 50% | 0.0 | 2 | +0.000 |")
    est = raw.pivot(index="seed", columns="variant", values="estimate")
    change = (est["flexible"] - est["standard"]).mean()
    assert f"{change:+.4f}" in table[2]  # the paired change column is flexible minus standard

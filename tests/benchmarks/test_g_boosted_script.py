"""benchmarks/g_boosted.py: the parametric and the boosted nuisances on the same cohort, and the paired table."""

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import g_boosted


def test_both_nuisance_fits_on_the_same_cohort_and_the_paired_change():
    raw = pd.DataFrame(g_boosted.run_chunk([(("world3", 0.6, 0.0), 4), (("world3", 0.6, 0.0), 5)], 300))
    assert list(raw["variant"]) == ["standard", "boosted"] * 2 and (raw["truth"] == 0.0).all()
    table = g_boosted.markdown(raw).splitlines()
    assert "boosted: bias" in table[0] and table[2].startswith("| world3 | 60% | 0.0 | 2 | +0.000 |")
    est = raw.pivot(index="seed", columns="variant", values="estimate")
    assert f"{(est['boosted'] - est['standard']).mean():+.4f}" in table[2]

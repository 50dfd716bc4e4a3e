"""benchmarks/decision_overlap.py: a small cohort through both estimates, the named options per world, and the page's
reading of a saturated cell."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import decision_overlap as dov


def test_the_named_options_follow_what_each_world_records():
    assert dov.named("world16")["decision_visits"] == ("scheduled",) and "decision_lag_days" not in dov.named("world16")
    assert dov.named("world9")["decision_lag_days"] == 7 and dov.named("world9")["adjust_shape"] == "spline"


def test_one_small_cohort_and_its_row():
    rows = pd.DataFrame(dov.run_chunk([("world13", 0.6, 4)], 400))
    assert rows["variant"].tolist() == ["default", "named"]
    assert (rows["treated"] > 0).all() and (rows["treated"] < 0.6).all()  # the thirteenth world saturates at 60%
    assert np.isfinite(rows["overlap"]).all() and ((rows["overlap"] > 0) & (rows["overlap"] < 1)).all()
    line = dov.markdown(rows.assign(n=400)).splitlines()[-1]
    assert line.startswith("| world13 | 400 | 60% |") and "| yes | named |" in line

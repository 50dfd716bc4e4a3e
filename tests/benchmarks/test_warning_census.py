"""benchmarks/warning_census.py: the per-world table of the rules' firing."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import warning_census


def _rows(world: str, fired: list[bool], adjusted: list[bool] | None) -> pd.DataFrame:
    d = pd.DataFrame(
        {
            "world": world,
            "estimate": np.arange(len(fired), dtype=float),
            "stored_estimate": 0.0,
            "history": False,
            "history_z": np.linspace(-1, 1, len(fired)),
            "raters_after_start": fired,
        }
    )
    if adjusted is not None:
        d["raters_adjusted"] = adjusted
    return d


def test_the_rule_table_counts_where_the_offsets_were_removed_and_marks_runs_that_did_not_record_it():
    recorded = _rows("world9", [True, True, True, False], [True, False, True, False])
    older = _rows("world3", [False, False], None)
    lines = warning_census.rule_table(pd.concat([recorded, older], ignore_index=True)).splitlines()
    row9 = next(line for line in lines if line.startswith("| world9 "))
    row3 = next(line for line in lines if line.startswith("| world3 "))
    # fired in 3 of 4, the offsets removed in 2 of those 3; the mean move where it fired: (0 + 1 + 2) / 3
    assert "| 75.0% | 67% | +1.0000 |" in row9, row9
    assert row3.endswith("| 0.0% | — | — |"), row3

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


def test_the_cell_table_gives_the_realised_share_treated_and_the_starts_overlap_where_recorded():
    rng = np.random.default_rng(3)
    k = 6
    raw = pd.DataFrame(
        {
            "world": "world17",
            "n": 200,
            "share": 0.6,
            "E": 0.0,
            "seed": np.arange(k),
            "truth": 0.0,
            "estimate": rng.normal(0, 0.1, k),
            "stored_estimate": 0.0,
            "se": 0.1,
            "p_value": 0.5,
            "n_patients": 200,
            "n_treated": [80, 90, 100, 110, 70, 90],  # 45% on average, though 60% was asked for
            "start_overlap": [0.1, 0.2, 0.3, np.nan, 0.2, 0.2],
            "history_z": 0.0,
            "history_move": 0.0,
            "registry_se": 0.1,
            "history": False,
        }
    ).assign(ci_low=lambda d: d["estimate"] - 0.2, ci_high=lambda d: d["estimate"] + 0.2)
    for name in warning_census.WARNINGS:
        raw[name] = name == "overlap"
    table = warning_census.cell_table(warning_census.cell_rows(raw))
    row = next(line for line in table.splitlines() if line.startswith("| world17 "))
    # the asked-for share, the realised one, the mean overlap over the cohorts that report it (1.0 / 5)
    assert row.startswith("| world17 | 200 | 60% | 45% | 0.20 | 0.0 | "), row
    assert "starts' overlap" in table.splitlines()[0] and "| overlap |" in table.splitlines()[0]
    # a run that did not record them shows a dash, not a number
    older = raw.drop(columns=["n_treated", "start_overlap"]).assign(n_treated=np.nan, start_overlap=np.nan)
    row = next(line for line in warning_census.cell_table(warning_census.cell_rows(older)).splitlines()
               if line.startswith("| world17 "))  # fmt: skip
    assert row.startswith("| world17 | 200 | 60% | — | — | 0.0 | "), row


def test_one_cohort_per_cell_is_refused_with_the_reason(capsys):
    import pytest

    with pytest.raises(SystemExit) as stop:
        warning_census.main(["--per-cell", "1", "--worlds", "world16"])
    assert stop.value.code == 2 and "at least 2 cohorts per cell" in capsys.readouterr().err

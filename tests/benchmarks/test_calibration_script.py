"""The calibration study runs the same seeded cohorts locally and on a Dask cluster, with equal results."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "calibration.py"


def _load():
    spec = importlib.util.spec_from_file_location("calibration_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_local_and_dask_runs_agree(tmp_path):
    from dask.distributed import LocalCluster

    calibration = _load()
    small = ["--cohorts", "2", "--sizes", "200", "--shares", "0.3", "--methods", "naive,lmm_counterfactual"]
    assert calibration.main([*small, "--workers", "1", "--raw", str(tmp_path / "local.csv")]) == 0
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        assert (
            calibration.main(
                [
                    *small,
                    "--scheduler",
                    cluster.scheduler_address,
                    "--raw",
                    str(tmp_path / "dask.csv"),
                    "--write-md",
                    str(tmp_path / "c.md"),
                ]
            )
            == 0
        )
    local = pd.read_csv(tmp_path / "local.csv")
    dask = pd.read_csv(tmp_path / "dask.csv")
    keys = ["world", "n", "share", "seed", "effect", "method"]
    pd.testing.assert_frame_equal(
        local.sort_values(keys).reset_index(drop=True), dask.sort_values(keys).reset_index(drop=True)
    )
    assert set(local["method"]) >= {"naive", "lmm_counterfactual"}
    md = (tmp_path / "c.md").read_text()
    assert "| world2 | 200 | 30% | 0 |" in md and "| simulate | 200 | 30% | 0.5 |" in md

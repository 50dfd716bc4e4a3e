"""benchmarks/load.py in a tiny size: real server on 127.0.0.1, users browsing and writing, every
acknowledged write found in the database, no error, no server traceback (the figures are the script's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "load.py"


@pytest.mark.parametrize("workers", [1, 2])
def test_quick_load_has_no_errors_and_loses_no_write(workers):
    # workers = 2: `alscell serve --workers 2`, two server processes writing to one registry
    args = ["--quick", "--patients", "40", "--users", "2", "--duration", "4", "--write-share", "1"]
    args += ["--workers", str(workers), "--warm"]
    r = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["requests"] > 0 and summary["writes"] > 0, r.stdout
    assert summary["errors"] == 0 and summary["lost_writes"] == 0, r.stdout
    assert summary["server_traceback"] is False
    assert summary["workers"] == workers and summary["server_cpu_ms_per_request"] > 0
    assert "p95 ms" in r.stdout and "lost writes: 0 of" in r.stdout

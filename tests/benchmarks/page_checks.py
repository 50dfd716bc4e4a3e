"""A check the stored benchmark pages' tests share: the page's script, run with ``--from-raw`` on its stored cohorts,
writes the stored page's body again (up to the run time, which is the stored run's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def assert_page_rewrites(script: str, raw: str, page: str, tmp_path: Path) -> str:
    """``benchmarks/<script> --raw <raw> --from-raw`` writes ``page``'s body again; returns the stored page's text."""
    out = tmp_path / "page.md"
    cmd = [sys.executable, str(ROOT / "benchmarks" / script), "--raw", str(ROOT / raw), "--from-raw",
           "--write-md", str(out)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    stored = (ROOT / page).read_text(encoding="utf-8")
    body = out.read_text(encoding="utf-8").split("\n\n", 2)[2]
    assert body.split("Run time")[0] == stored.split("\n\n", 2)[2].split("Run time")[0]
    return stored

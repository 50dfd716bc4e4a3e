"""benchmarks/waning_check.py end to end on a tiny run."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import waning_check


def test_waning_check_tiny_run(tmp_path):
    page = tmp_path / "w.md"
    args = ["--cohorts", "2", "--patients", "300", "--workers", "1", "--write-md", str(page)]
    assert waning_check.main(args) == 0
    text = page.read_text()
    assert "benchmarks/waning_check.py --cohorts 2" in text
    for label, *_ in waning_check.SCENARIOS:
        for check in ("g_estimation", "lmm_counterfactual"):
            assert f"| {label} | {check} | 2 (" in text
    assert "## Reading it\n\n* Written from the table above" in text

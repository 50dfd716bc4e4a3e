"""The demo's "how often" sentence quotes docs/calibration.md; the two must say the same numbers."""

import re
from pathlib import Path

from alscell.cli.demo import DEMO_COVERAGE_NOTE

PAGE = Path(__file__).resolve().parents[2] / "docs" / "calibration.md"


def test_demo_note_quotes_the_calibration_page():
    m = re.search(
        r"covered the truth in (\d+)% of (\d+) cohorts \(MCSE ([\d.]+)\); bias ([+-]?[\d.]+) \(MCSE ([\d.]+)\)",
        PAGE.read_text(encoding="utf-8"),
    )
    assert m, "docs/calibration.md has no demo line"
    cov, k, mcse, bias, bias_mcse = m.groups()
    assert f"on {k} registries" in DEMO_COVERAGE_NOTE
    assert f"in {cov}% of them (MCSE {mcse}" in DEMO_COVERAGE_NOTE
    assert f"bias {bias}, MCSE {bias_mcse}" in DEMO_COVERAGE_NOTE
    # "within 2 MCSE of the nominal 95%" must be true of the quoted numbers (band at the nominal value)
    band = 2 * (0.95 * 0.05 / int(k)) ** 0.5
    assert ("within 2 MCSE" in DEMO_COVERAGE_NOTE) == (abs(int(cov) / 100 - 0.95) <= band)


def test_the_quoted_cell_is_the_demos_default_run():
    import inspect

    from alscell.cli.demo import DEMO_CALIBRATED, demo_cmd

    params = inspect.signature(demo_cmd).parameters
    assert (params["patients"].default.default, params["effect"].default.default) == DEMO_CALIBRATED

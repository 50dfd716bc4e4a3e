"""The 2%-treated calibration pages: the scripts run at 2% and say so on the page they write."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import calibration_few_treated
import cycles_calibration


def test_headline_page_at_two_percent(tmp_path):
    out = tmp_path / "few.md"
    args = ["--cohorts", "2", "--sizes", "1000", "--workers", "1", "--write-md", str(out)]
    assert calibration_few_treated.main(args) == 0
    page = out.read_text()
    assert "| lmm_counterfactual | simulate | 1000 | 2% | 0 |" in page
    assert "| lmm_counterfactual | world2 | 1000 | 2% | 0.2 |" in page
    assert "benchmarks/calibration_few_treated.py --cohorts 2" in page


def test_cycles_share_reaches_the_registries_and_the_page(tmp_path, monkeypatch):
    import alscell.simulate as sim

    seen = []
    real = sim.simulate_cohort
    monkeypatch.setattr(sim, "simulate_cohort", lambda cfg, seed: seen.append(cfg.treated_fraction) or real(cfg, seed))
    rows = cycles_calibration.run_chunk([5], 300, 0.02)
    assert rows and {r["n"] for r in rows} == {300}
    assert seen and set(seen) == {0.02}  # every scenario's registry has the share asked for
    monkeypatch.setattr(sim, "simulate_cohort", real)
    out = tmp_path / "cycles.md"
    args = ["--cohorts", "2", "--sizes", "300", "--share", "0.02", "--workers", "1", "--write-md", str(out)]
    assert cycles_calibration.main(args) == 0
    page = out.read_text()
    assert "registries, 2% treated" in page
    assert "No reading written for this share" not in page and "With 2% treated" in page


def test_cycles_default_page_keeps_its_reading():
    text = cycles_calibration.MD.format(
        command="x", entropy=1, table="", counts="", minutes=1.0, workers=2, python="3", effect=0.3, boost=0.5,
        share=0.6, reading=cycles_calibration.READING[0.6],
    )  # fmt: skip
    assert "registries, 60% treated" in text
    assert "Keeping the trigger visits is the default" in text


def test_claims_share_reaches_the_registries_and_the_page():
    import claims_calibration

    for sc in claims_calibration.SCENARIOS:
        assert claims_calibration._config(sc, 100, 0.02).treated_fraction == 0.02
    assert claims_calibration._config("null", 100).treated_fraction == 0.6  # the default page's share
    text = claims_calibration.MD_TEMPLATE.format(
        command="x", entropy=1, cohorts=2, patients=1000, share=0.02, results="", minutes=1.0, workers=1, python="3"
    )
    assert "1000 patients per cohort, 2%" in text

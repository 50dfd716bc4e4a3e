"""benchmarks/third_world.py (the held-out world), calibration.performance's per-cohort truth, and
benchmarks/calibration_world3.py end to end on a tiny run."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import calibration
import calibration_world3
import third_world
from alscell.io.reader import read_folder
from alscell.io.writer import write_folder


def test_world3_is_valid_canonical_data_seeded_and_sparse(tmp_path):
    c = third_world.simulate_world3(300, 0.2, 0.3, 7)
    again = third_world.simulate_world3(300, 0.2, 0.3, 7)
    pd.testing.assert_frame_equal(c.tables.alsfrs, again.tables.alsfrs)
    # what it writes passes the importer's rules (spec/data-format.md)
    write_folder(c.tables, tmp_path / "w3")
    back = read_folder(tmp_path / "w3")
    assert len(back.patients) == 300 and len(back.alsfrs) == len(c.tables.alsfrs)
    items = c.tables.alsfrs[third_world.ITEMS]
    # some visits miss one item; none miss more; every present item is within 0..4
    missing = items.isna().sum(axis=1)
    assert 0 < (missing == 1).sum() < 0.1 * len(items) and missing.max() == 1
    assert items.min().min() >= 0 and items.max().max() <= 4
    # treatment by access: at most the share, first cycles on a visit day, later cycles 3 and 6 months on
    tr = c.tables.treatments
    first = tr[tr["cycle"] == 1]
    assert 0 < c.n_treated == len(first) <= round(0.3 * 300)
    on_visit = first.merge(c.tables.alsfrs[["patient_id", "date"]], on=["patient_id", "date"])
    assert len(on_visit) == len(first)
    assert set(tr["cycle"]) <= {1, 2, 3}
    # death only after the patient's last visit
    last = c.tables.alsfrs.groupby("patient_id")["date"].max()
    ev = c.tables.events.set_index("patient_id")["date"]
    assert (ev > last.reindex(ev.index)).all()


def test_world3_truths_and_switches():
    none = third_world.simulate_world3(400, 0.0, 0.3, 3)
    assert none.truth_att == 0.0 and none.truth_realised == 0.0
    big = third_world.simulate_world3(400, 0.5, 0.3, 3)
    # responders carry E / 0.4, others nothing; the ceiling cuts the realised change below E
    assert np.isfinite(big.truth_att) and 0.0 < big.truth_realised < big.truth_att + 1e-9
    # every piece switches off without error and changes the data; unknown pieces are refused
    for piece in third_world.PIECES:
        off = third_world.simulate_world3(200, 0.2, 0.3, 4, frozenset({piece}))
        assert not off.tables.alsfrs.equals(third_world.simulate_world3(200, 0.2, 0.3, 4).tables.alsfrs), piece
    with pytest.raises(ValueError, match="unknown pieces"):
        third_world.simulate_world3(50, 0.0, 0.3, 1, frozenset({"nope"}))


def test_expected_recorded_total_matches_simulated_items():
    # the recorded-scale truth's expected total, against the items' own rounding, noise and bounds simulated
    # many times (the world's ``observe``), at levels from the floor to the ceiling and both onset sites
    rng = np.random.default_rng(11)
    levels = np.array([[0.0, 6.0, 20.0, 35.0, 44.0, 48.0], [3.0, 12.0, 25.0, 30.0, 40.0, 47.0]])
    offsets = np.vstack([third_world._BULBAR, third_world._LIMB])
    draws = np.rint(levels[..., None, None] / 12.0 + offsets[:, None, None, :] + rng.normal(0, 0.4, (2, 6, 20000, 12)))
    simulated = np.clip(draws, 0, 4).sum(-1).mean(-1)
    np.testing.assert_allclose(third_world._expected_total(levels, offsets), simulated, atol=0.03)


def test_recorded_truth_is_the_realised_change_seen_through_the_items():
    none = third_world.simulate_world3(400, 0.0, 0.3, 3)
    assert none.truth_recorded == 0.0
    big = third_world.simulate_world3(400, 0.5, 0.3, 3)
    # the items' ceiling hides part of a latent gain: below the latent truth, but most of it
    assert 0.7 * big.truth_realised < big.truth_recorded < big.truth_realised


def test_performance_against_a_per_cohort_truth():
    k = 400
    rng = np.random.default_rng(2)
    truth = rng.uniform(0.3, 0.5, k)
    est = truth + rng.normal(0, 0.05, k)  # unbiased for the per-cohort truth, biased for E = 0.5
    raw = pd.DataFrame(
        dict(world="world3", n=200, share=0.3, effect=0.5, method="m", estimate=est, ci_low=est - 0.098,
             ci_high=est + 0.098, p_value=0.01, se=0.05, n_treated=60, truth_realised=truth)
    )  # fmt: skip
    against_e = calibration.performance(raw).iloc[0]
    against_truth = calibration.performance(raw, truth="truth_realised").iloc[0]
    assert not against_e.bias_ok and against_e.bias == pytest.approx(truth.mean() - 0.5 + (est - truth).mean())
    assert against_truth.bias_ok and against_truth.coverage_ok
    # the bias MCSE is that of the errors, not of the estimates
    assert against_truth.bias_mcse == pytest.approx((est - truth).std(ddof=1) / np.sqrt(k))


def test_calibration_world3_tiny_run(tmp_path):
    page = tmp_path / "w3.md"
    args = ["--cohorts", "2", "--sizes", "200", "--shares", "0.3", "--workers", "1", "--methods", "lmm_counterfactual"]
    args += ["--write-md", str(page)]
    assert calibration_world3.main(args) == 0
    text = page.read_text()
    assert "benchmarks/calibration_world3.py --cohorts 2" in text
    assert text.count("| lmm_counterfactual | world3 | 200 | 30% |") == 6  # three effects, two truths


def test_pretrend_column_only_when_recorded():
    raw = pd.DataFrame(
        dict(world="w", n=200, share=0.3, effect=0.0, method="lmm_bounded", estimate=[0.0, 0.1], ci_low=[-0.1, 0.05],
             ci_high=[0.1, 0.2], p_value=[0.9, 0.01], se=0.05, n_treated=60, warned=False, trigger_warned=False)
    )  # fmt: skip
    assert "pre-trend" not in calibration.markdown_table(calibration.performance(raw))
    with_pre = calibration.performance(raw.assign(pretrend_warned=[True, False]))
    table = calibration.markdown_table(with_pre)
    assert "| trigger drop | pre-trend | verdict |" in table and "| 0% | 50% | " in table
    assert table.splitlines()[1].count("|") == table.splitlines()[2].count("|")
    line = calibration.summary_lines(calibration.summary(with_pre))
    assert "the pre-trend warning in at least half the cohorts of 1 of the cells outside a band" in line


def test_world3_ablation_tiny_run(tmp_path):
    import world3_ablation

    page = tmp_path / "a.md"
    assert world3_ablation.main(["--cohorts", "2", "--patients", "200", "--workers", "1", "--write-md", str(page)]) == 0
    text = page.read_text()
    assert text.count("| 2 | ") == len(world3_ablation.VARIANTS) and "| pre-trend warning |" in text


def test_world3_estimand_page_runs_and_rewrites_from_its_cohorts(tmp_path):
    import world3_estimand

    raw, page, again = tmp_path / "w3e.csv", tmp_path / "e.md", tmp_path / "e2.md"
    args = ["--cohorts", "2", "--patients", "200", "--workers", "1", "--raw", str(raw)]
    assert world3_estimand.main([*args, "--write-md", str(page)]) == 0
    assert page.read_text().count("| 2 | ") == len(world3_estimand.CELLS)
    stored = pd.read_csv(raw)
    assert len(stored) == 2 * len(world3_estimand.CELLS) and (stored.loc[stored["E"] == 0, "recorded"] == 0).all()
    # the page from the stored cohorts: the same table without running anything
    assert world3_estimand.main(["--raw", str(raw), "--from-raw", "--write-md", str(again)]) == 0
    table = [line for line in page.read_text().splitlines() if line.startswith("| ")]
    assert table == [line for line in again.read_text().splitlines() if line.startswith("| ")]

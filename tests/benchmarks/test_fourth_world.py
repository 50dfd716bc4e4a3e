"""benchmarks/fourth_world.py (the held-out fourth world) and benchmarks/calibration_world4.py end to end
on a tiny run."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import calibration_world4
import fourth_world
from alscell.io.reader import read_folder
from alscell.io.writer import write_folder

ALL_ITEMS = [*fourth_world.ITEMS[:5], "q5b", *fourth_world.ITEMS[5:]]


@pytest.fixture(scope="module")
def cohort():
    return fourth_world.simulate_world4(300, 0.2, 0.3, 7)


def test_world4_is_valid_canonical_data_and_seeded(tmp_path, cohort):
    again = fourth_world.simulate_world4(300, 0.2, 0.3, 7)
    for name in ("patients", "alsfrs", "treatments", "events"):
        pd.testing.assert_frame_equal(cohort.tables[name], again.tables[name])
    other = fourth_world.simulate_world4(300, 0.2, 0.3, 8)
    assert not other.tables.alsfrs.equals(cohort.tables.alsfrs)
    # what it writes passes the importer's rules (spec/data-format.md)
    write_folder(cohort.tables, tmp_path / "w4")
    back = read_folder(tmp_path / "w4")
    assert len(back.patients) == 300 and len(back.alsfrs) == len(cohort.tables.alsfrs)
    assert len(back.treatments) == len(cohort.tables.treatments) and len(back.events) == len(cohort.tables.events)
    a = cohort.tables.alsfrs
    assert {"patient_id", "date", *ALL_ITEMS} <= set(a.columns)
    assert {"patient_id", "sex", "onset_date", "onset_site", "site"} <= set(cohort.tables.patients.columns)
    assert {"treatment_id", "patient_id", "date", "cycle", "cell_source", "donor", "route", "dose_cells"} <= set(
        cohort.tables.treatments.columns
    )
    items = a[ALL_ITEMS]
    # exactly one of q5a / q5b; q5b only after a gastrostomy; every item within 0..4
    assert (a["q5a"].notna() ^ a["q5b"].notna()).all() and a["q5b"].notna().any()
    assert items.min().min() >= 0 and items.max().max() <= 4
    gastro = cohort.tables.events.query("event == 'gastrostomy'").set_index("patient_id")["date"]
    with_b = a[a["q5b"].notna()]
    assert (with_b["date"] >= with_b["patient_id"].map(gastro)).all()
    # the item model's floor and ceiling: totals reach 48 and stay within 0..48
    total = items.sum(axis=1, min_count=12)
    assert total.max() == 48 and total.min() >= 0
    # treatment on a visit day, one administration each; death only after the last visit
    tr = cohort.tables.treatments
    assert set(tr["cycle"]) == {1} and len(tr) == cohort.n_treated
    assert len(tr.merge(a[["patient_id", "date"]], on=["patient_id", "date"])) == len(tr)
    last = a.groupby("patient_id")["date"].max()
    dth = cohort.tables.events.query("event == 'death'").set_index("patient_id")["date"]
    assert len(dth) > 0 and (dth > last.reindex(dth.index)).all()
    # treated only once cells are available at the patient's site
    site = cohort.tables.patients.set_index("patient_id")["site"]
    avail = dict(zip([f"site_{s}" for s in fourth_world.SITES], fourth_world.AVAILABLE, strict=True))
    assert (tr["date"] >= tr["patient_id"].map(site).map(avail)).all()


def test_share_controls_the_number_treated():
    counts = [fourth_world.simulate_world4(600, 0.0, s, 5).n_treated for s in (0.05, 0.3, 0.6)]
    assert counts[0] < counts[1] < counts[2]
    assert counts[0] == round(0.05 * 600) and abs(counts[1] - 0.3 * 600) <= 0.1 * 600
    assert counts[2] >= 0.4 * 600


def test_visit_schedule_differs_by_site(cohort):
    a = cohort.tables.alsfrs.sort_values(["patient_id", "date"])
    gaps = a.groupby("patient_id")["date"].diff().dt.days / fourth_world.DPM
    site = a["patient_id"].map(cohort.tables.patients.set_index("patient_id")["site"])
    median = gaps.groupby(site).median()
    assert median["site_A"] == pytest.approx(2.0, abs=0.3)
    assert median["site_B"] == pytest.approx(3.0, abs=0.4)
    assert median["site_C"] == pytest.approx(6.0, abs=0.8)
    # switched off, every site is on the same 3-month schedule
    flat = fourth_world.simulate_world4(300, 0.2, 0.3, 7, frozenset({"sites"})).tables.alsfrs
    flat = flat.sort_values(["patient_id", "date"])
    flat_gaps = flat.groupby("patient_id")["date"].diff().dt.days / fourth_world.DPM
    assert flat_gaps.median() == pytest.approx(3.0, abs=0.4)


def test_world4_truths():
    none = fourth_world.simulate_world4(400, 0.0, 0.3, 3)
    assert none.truth == 0.0 and none.truth_realised == 0.0 and none.n_treated > 0
    big = fourth_world.simulate_world4(400, 0.5, 0.3, 3)
    # the effect wanes (and the scale compresses it): the realised slope change is positive and below E
    assert big.truth == 0.5 and 0.0 < big.truth_realised < 0.5
    full = fourth_world.simulate_world4(400, 0.5, 0.3, 3, frozenset({"waning"}))
    assert big.truth_realised < full.truth_realised <= 0.5 + 1e-9
    # the treatment's timing does not depend on the effect (common random numbers)
    pd.testing.assert_frame_equal(none.tables.treatments, big.tables.treatments)


def test_every_piece_switches_off_and_unknown_pieces_are_refused():
    base = fourth_world.simulate_world4(200, 0.2, 0.3, 4)
    for piece in fourth_world.PIECES:
        off = fourth_world.simulate_world4(200, 0.2, 0.3, 4, frozenset({piece}))
        changed = not off.tables.alsfrs.equals(base.tables.alsfrs) or not off.tables.treatments.equals(
            base.tables.treatments
        )
        assert changed, piece
    every = fourth_world.simulate_world4(200, 0.2, 0.3, 4, frozenset(fourth_world.PIECES))
    assert len(every.tables.events) == 0 and np.isfinite(every.truth_realised)
    with pytest.raises(ValueError, match="unknown pieces"):
        fourth_world.simulate_world4(50, 0.0, 0.3, 1, frozenset({"nope"}))


def test_calibration_world4_tiny_run(tmp_path):
    page = tmp_path / "w4.md"
    args = ["--cohorts", "2", "--sizes", "200", "--shares", "0.3", "--workers", "1", "--methods", "lmm_counterfactual"]
    args += ["--write-md", str(page)]
    assert calibration_world4.main(args) == 0
    text = page.read_text()
    assert "benchmarks/calibration_world4.py --cohorts 2" in text
    assert text.count("| lmm_counterfactual | world4 | 200 | 30% |") == 6  # three effects, two truths
    assert "## Reading it\n\n* Written from the tables above after the first full run" in text


def test_world4_ablation_tiny_run(tmp_path):
    import world4_ablation

    page = tmp_path / "a.md"
    args = ["--cohorts", "2", "--patients", "200", "--workers", "1", "--write-md", str(page)]
    assert world4_ablation.main(args) == 0
    text = page.read_text()
    # one row per piece set under each effect; the effect table is judged against the realised slope change
    assert text.count("| 2 | ") == len(world4_ablation.VARIANTS) == 2 * len(world4_ablation.PIECE_SETS)
    assert "| bias against the realised slope change (MCSE) |" in text and "| pre-trend warning |" in text


def test_ablation_rows_judge_an_effect_against_the_realised_truth():
    import world3_ablation

    rows = world3_ablation.ablation_rows(fourth_world.simulate_world4, [((), 3)], 300, 0.3, "naive", 0.2)
    truth = fourth_world.simulate_world4(300, 0.2, 0.3, 3).truth_realised
    assert rows[0]["effect"] == pytest.approx(truth) and 0 < truth < 0.2
    null = world3_ablation.ablation_rows(fourth_world.simulate_world4, [((), 3)], 300, 0.3, "naive")
    assert null[0]["effect"] == 0.0

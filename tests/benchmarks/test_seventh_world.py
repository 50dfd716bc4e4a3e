"""benchmarks/seventh_world.py, the held-out seventh world: valid canonical data, seeded, sparse, the waiting
list's share, its truths, and every piece switching off."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import seventh_world
from alscell.io.reader import read_folder
from alscell.io.writer import write_folder

ALL_ITEMS = [*seventh_world.ITEMS[:5], "q5b", *seventh_world.ITEMS[5:]]
NAMES = ("patients", "alsfrs", "treatments", "events")


@pytest.fixture(scope="module")
def cohort():
    return seventh_world.simulate_world7(300, 0.2, 0.3, 7)


def test_world7_is_valid_canonical_data_seeded_and_sparse(tmp_path, cohort):
    again = seventh_world.simulate_world7(300, 0.2, 0.3, 7)
    for name in NAMES:
        pd.testing.assert_frame_equal(cohort.tables[name], again.tables[name])
    other = seventh_world.simulate_world7(300, 0.2, 0.3, 8)
    assert not other.tables.alsfrs.equals(cohort.tables.alsfrs)
    write_folder(cohort.tables, tmp_path / "w7")
    back = read_folder(tmp_path / "w7")
    for name in NAMES:
        assert len(back[name]) == len(cohort.tables[name]), name
    pd.testing.assert_series_equal(back.alsfrs["date"], cohort.tables.alsfrs["date"], check_names=False)
    p, a, tr, ev = (cohort.tables[name] for name in NAMES)
    assert len(p) == 300 and p["patient_id"].str.startswith("W7").all() and p["patient_id"].is_unique
    assert set(p["patient_id"]) == set(a["patient_id"])
    assert (p["diagnosis_date"] >= p["onset_date"]).all()
    assert p["riluzole"].isna().any() and p["el_escorial"].isna().any()
    items = a[ALL_ITEMS]
    assert items.min().min() >= 0 and items.max().max() <= 4
    total = items.sum(axis=1, min_count=12)
    assert 0.01 < total.isna().mean() < 0.15 and total.max() <= 48
    assert (a.groupby("patient_id").size() == 1).sum() > 5
    assert not (a["q5a"].notna() & a["q5b"].notna()).any() and a["q5b"].notna().any()
    gastro = a["patient_id"].map(ev.query("event == 'gastrostomy'").set_index("patient_id")["date"])
    assert (a.loc[a["q5b"].notna(), "date"] >= gastro[a["q5b"].notna()]).all()
    # treatment on a visit day, once
    assert len(tr) == cohort.n_treated > 0 and tr["patient_id"].is_unique
    assert len(tr.merge(a[["patient_id", "date"]], on=["patient_id", "date"])) == len(tr)
    last = a.groupby("patient_id")["date"].max()
    for event in ("death", "lost_to_follow_up"):
        when = ev.query("event == @event").set_index("patient_id")["date"]
        assert len(when) > 0 and (when > last.reindex(when.index)).all(), event
    assert not ev.duplicated(["patient_id", "event"]).any()


def test_share_controls_the_number_treated():
    counts = [seventh_world.simulate_world7(600, 0.0, s, 5).n_treated for s in (0.05, 0.3, 0.6)]
    assert counts[0] <= round(0.05 * 600) and counts[1] <= round(0.3 * 600) and counts[2] <= round(0.6 * 600)
    assert 0 < counts[0] < counts[1] < counts[2]
    assert seventh_world.simulate_world7(200, 0.0, 0.0, 5).n_treated == 0


def test_world7_truths():
    none = seventh_world.simulate_world7(400, 0.0, 0.3, 3)
    assert none.truth == 0.0 and none.n_treated > 0
    assert none.truth_realised == 0.0 and none.truth_window == 0.0 and none.truth_observed == 0.0
    untreated = seventh_world.simulate_world7(400, 0.0, 0.0, 3)
    assert untreated.n_treated == 0 and np.isnan(untreated.truth_realised) and np.isnan(untreated.truth_window)
    assert np.isnan(untreated.truth_observed)
    for name in ("patients", "alsfrs", "events"):
        pd.testing.assert_frame_equal(none.tables[name], untreated.tables[name])
    small = seventh_world.simulate_world7(400, 0.2, 0.3, 3)
    big = seventh_world.simulate_world7(400, 0.5, 0.3, 3)
    for truth in ("truth_realised", "truth_window", "truth_observed"):
        assert 0.0 < getattr(small, truth) < getattr(big, truth) < 0.6, truth
    # who is treated, and when, does not depend on the effect; the data before it are the same
    pd.testing.assert_frame_equal(none.tables.treatments, big.tables.treatments)
    t0 = none.tables.treatments.set_index("patient_id")["date"]

    def before(a: pd.DataFrame) -> pd.DataFrame:
        when = a["patient_id"].map(t0)
        return a[when.isna() | (a["date"] <= when)].reset_index(drop=True)

    pd.testing.assert_frame_equal(before(none.tables.alsfrs), before(big.tables.alsfrs))
    assert not none.tables.alsfrs.equals(big.tables.alsfrs)


def test_every_piece_switches_off_and_unknown_pieces_are_refused():
    base = seventh_world.simulate_world7(200, 0.2, 0.3, 4)
    for piece in seventh_world.PIECES:
        off = seventh_world.simulate_world7(200, 0.2, 0.3, 4, frozenset({piece}))
        changed = any(not off.tables[name].equals(base.tables[name]) for name in ("alsfrs", "treatments", "events"))
        assert changed, piece
        a, ev = off.tables.alsfrs, set(off.tables.events["event"])
        if piece == "death":
            assert "death" not in ev
        if piece == "loss":
            assert "lost_to_follow_up" not in ev
        if piece == "missing_items":
            assert a[ALL_ITEMS].notna().sum(axis=1).eq(12).all()
    every = seventh_world.simulate_world7(200, 0.2, 0.3, 4, frozenset(seventh_world.PIECES))
    assert np.isfinite(every.truth_realised) and np.isfinite(every.truth_window)
    with pytest.raises(ValueError, match="unknown pieces"):
        seventh_world.simulate_world7(50, 0.0, 0.3, 1, frozenset({"nope"}))


def test_g_estimation_runs_on_the_seventh_world():
    """A smoke test only: the estimator applies to these data and returns a number."""
    from alscell.analysis.effects import estimate_effect

    est = estimate_effect(seventh_world.simulate_world7(300, 0.2, 0.3, 11).tables, method="g_estimation")
    assert np.isfinite(est.estimate)

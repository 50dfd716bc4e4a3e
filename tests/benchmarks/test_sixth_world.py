"""benchmarks/sixth_world.py, the held-out sixth world: valid canonical data, seeded, sparse, the documented
treatment rule, its truths, and every piece doing what its docstring says."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import sixth_world
import window_truth
from alscell.io.reader import read_folder
from alscell.io.writer import write_folder

ALL_ITEMS = [*sixth_world.ITEMS[:5], "q5b", *sixth_world.ITEMS[5:]]
BULBAR_ITEMS, RESP_ITEMS = ["q1", "q2", "q3"], ["q10", "q11", "q12"]


@pytest.fixture(scope="module")
def cohort():
    return sixth_world.simulate_world6(300, 0.2, 0.3, 7)


def _visits(tables) -> pd.DataFrame:
    """Recorded visits in order, with months since diagnosis, the recorded age, and whether the bulbar or the
    respiratory subscore is lower than where it was last recorded (a new loss)."""
    p = tables.patients[["patient_id", "onset_date", "diagnosis_date", "birth_year"]]
    a = tables.alsfrs.merge(p, on="patient_id").sort_values(["patient_id", "date"]).reset_index(drop=True)
    a["k"] = a.groupby("patient_id").cumcount()
    a["months_dx"] = (a["date"] - a["diagnosis_date"]).dt.days / sixth_world.DPM
    a["age"] = a["date"].dt.year - a["birth_year"]
    a["new"] = False
    for cols in (BULBAR_ITEMS, RESP_ITEMS):
        sub = a[cols].astype("Float64").sum(axis=1, min_count=3)
        prev = sub.groupby(a["patient_id"]).shift(1)
        prev = prev.groupby(a["patient_id"]).ffill()
        a["new"] |= (sub < prev).fillna(False).astype(bool)
    return a


def test_world6_is_valid_canonical_data_seeded_and_sparse(tmp_path, cohort):
    again = sixth_world.simulate_world6(300, 0.2, 0.3, 7)
    for name in ("patients", "alsfrs", "treatments", "events"):
        pd.testing.assert_frame_equal(cohort.tables[name], again.tables[name])
    other = sixth_world.simulate_world6(300, 0.2, 0.3, 8)
    assert not other.tables.alsfrs.equals(cohort.tables.alsfrs)
    # what it writes passes the importer's rules (spec/data-format.md) and comes back the same
    write_folder(cohort.tables, tmp_path / "w6")
    back = read_folder(tmp_path / "w6")
    for name in ("patients", "alsfrs", "treatments", "events"):
        assert len(back[name]) == len(cohort.tables[name]), name
    pd.testing.assert_series_equal(back.alsfrs["date"], cohort.tables.alsfrs["date"], check_names=False)
    p, a, tr, ev = cohort.tables.patients, cohort.tables.alsfrs, cohort.tables.treatments, cohort.tables.events
    assert p["patient_id"].str.startswith("W6").all() and p["patient_id"].is_unique
    assert set(p["patient_id"]) == set(a["patient_id"])  # everyone is seen at least once
    assert (p["diagnosis_date"] >= p["onset_date"]).all() and (p["birth_year"] < p["onset_date"].dt.year).all()
    assert {"site", "riluzole", "diagnosis_date"} <= set(p.columns)
    items = a[ALL_ITEMS]
    assert items.min().min() >= 0 and items.max().max() <= 4
    # sparse: some partial rows (total missing), some patients seen once; totals within 0..48, below the
    # ceiling at entry (diagnosis follows at least two lost points; a misrating may lift one item)
    total = items.sum(axis=1, min_count=12)
    assert 0.01 < total.isna().mean() < 0.15 and 44 <= total.max() <= 47 and total.min() >= 0
    assert (a.groupby("patient_id").size() == 1).sum() > 5
    # exactly one of q5a / q5b where item 5 is recorded; q5b only after a gastrostomy
    assert not (a["q5a"].notna() & a["q5b"].notna()).any() and a["q5b"].notna().any()
    gastro = a["patient_id"].map(ev.query("event == 'gastrostomy'").set_index("patient_id")["date"])
    assert (a.loc[a["q5b"].notna(), "date"] >= gastro[a["q5b"].notna()]).all()
    assert not (a.loc[a["q5a"].notna(), "date"] >= gastro[a["q5a"].notna()]).any()
    # q12 is the ventilatory support: below 4 from NIV on, 0 only with a tracheostomy (spec/domain-rules.md)
    niv = a["patient_id"].map(ev.query("event == 'niv_start'").set_index("patient_id")["date"])
    trach = a["patient_id"].map(ev.query("event == 'tracheostomy'").set_index("patient_id")["date"])
    assert (a.loc[a["date"] >= niv, "q12"].dropna() <= 3).all() and (a.loc[a["date"] < niv, "q12"].dropna() == 4).all()
    assert not ((a["q12"] == 0) & ~(a["date"] >= trach)).any()
    # two doses: the first on a visit day, the second 26 days later and not on a visit day
    first, second = tr[tr["cycle"] == 1], tr[tr["cycle"] == 2]
    assert len(first) == cohort.n_treated > 0 and set(tr["cycle"]) == {1, 2}
    visit_days = a[["patient_id", "date"]]
    assert len(first.merge(visit_days, on=["patient_id", "date"])) == len(first)
    assert len(second.merge(visit_days, on=["patient_id", "date"])) == 0
    gap = second.set_index("patient_id")["date"] - first.set_index("patient_id")["date"]
    assert (gap.dropna().dt.days == sixth_world.SECOND_DOSE_DAYS).all()
    # death strictly after the last visit; no visit after loss; one event of a kind each
    last = a.groupby("patient_id")["date"].max()
    for event in ("death", "lost_to_follow_up"):
        when = ev.query("event == @event").set_index("patient_id")["date"]
        assert len(when) > 0 and (when > last.reindex(when.index)).all(), event
    assert not ev.duplicated(["patient_id", "event"]).any()


def test_share_controls_the_number_treated():
    counts = [sixth_world.simulate_world6(600, 0.0, s, 5).n_treated for s in (0.05, 0.3, 0.6)]
    assert counts[0] == round(0.05 * 600) and counts[0] < counts[1] < counts[2]
    # at most the target: the physician's rule leaves fewer patients ever eligible than 60%
    assert counts[1] == round(0.3 * 600) and 0.35 * 600 < counts[2] <= round(0.6 * 600)
    assert sixth_world.simulate_world6(200, 0.0, 0.0, 5).n_treated == 0


def test_first_dose_follows_the_documented_rule():
    c = sixth_world.simulate_world6(2000, 0.0, 0.05, 4)
    a = _visits(c.tables)
    first = c.tables.treatments.query("cycle == 1")[["patient_id", "date"]]
    at = a.merge(first, on=["patient_id", "date"])
    assert len(at) == c.n_treated == 100
    # the physician's rule, on recorded information only
    niv = at["patient_id"].map(c.tables.events.query("event == 'niv_start'").set_index("patient_id")["date"])
    assert (at["k"] >= 1).all() and (at["months_dx"] <= sixth_world.ELIG_DX_MONTHS).all()
    assert (at["age"] <= sixth_world.ELIG_AGE).all() and not (niv <= at["date"]).any()
    # a newly recorded bulbar or respiratory loss prompts the choice: far more common at the first dose than
    # at the visits of patients not (yet) treated; with the piece switched off it is not
    base = a.loc[(a["k"] >= 1) & ~a["patient_id"].isin(first["patient_id"]), "new"].mean()
    assert at["new"].mean() > base + 0.12
    flat = sixth_world.simulate_world6(2000, 0.0, 0.05, 4, frozenset({"choice"}))
    b = _visits(flat.tables)
    at_flat = b.merge(flat.tables.treatments.query("cycle == 1")[["patient_id", "date"]], on=["patient_id", "date"])
    assert at_flat["new"].mean() < at["new"].mean() - 0.12


def test_world6_truths():
    none = sixth_world.simulate_world6(400, 0.0, 0.3, 3)
    assert none.truth == 0.0 and none.truth_realised == 0.0 and none.truth_window == 0.0 and none.n_treated > 0
    # no effect means no effect: with E = 0 the recorded data are those of an untreated cohort
    untreated = sixth_world.simulate_world6(400, 0.0, 0.0, 3)
    assert untreated.n_treated == 0 and np.isnan(untreated.truth_realised) and np.isnan(untreated.truth_window)
    for name in ("patients", "alsfrs", "events"):
        pd.testing.assert_frame_equal(none.tables[name], untreated.tables[name])
    small = sixth_world.simulate_world6(400, 0.2, 0.3, 3)
    big = sixth_world.simulate_world6(400, 0.5, 0.3, 3)
    assert 0.0 < small.truth_realised < big.truth_realised < 0.5
    assert 0.0 < small.truth_window < big.truth_window < 0.5
    # while observed (each course's own visits): 0 without an effect, growing with it; without death and with
    # the same visits in both courses it would be the window truth (the close check: tests of window_truth)
    assert none.truth_observed == 0.0 and 0.0 < small.truth_observed < big.truth_observed < 0.6
    # the first dose does not depend on the effect, and the recorded data before it are the same
    first = [c.tables.treatments.query("cycle == 1").reset_index(drop=True) for c in (none, big)]
    pd.testing.assert_frame_equal(*first)
    t0 = first[0].set_index("patient_id")["date"]

    def before(a: pd.DataFrame) -> pd.DataFrame:
        when = a["patient_id"].map(t0)
        return a[when.isna() | (a["date"] <= when)].reset_index(drop=True)

    pd.testing.assert_frame_equal(before(none.tables.alsfrs), before(big.tables.alsfrs))
    assert not none.tables.alsfrs.equals(big.tables.alsfrs)
    # an effect that lasts shows a larger slope change than one limited to 9 months
    lasting = sixth_world.simulate_world6(400, 0.5, 0.3, 3, frozenset({"limited"}))
    assert lasting.truth_realised > big.truth_realised and lasting.truth_window > big.truth_window


def test_window_truth_by_hand():
    # the definition on a small case: treated − untreated rising 1 point/month, observed at 0, 12, 24, 36
    since = np.array([[0.0, 12.0, 24.0, 36.0]])
    followed = np.ones_like(since, bool)
    assert window_truth.window_truth(since * 1.0, since, followed) == pytest.approx(1.0)
    # a plateau after 9 months (the effect's limit): slope of 0, 9, 9 on 0, 12, 24 months
    assert window_truth.window_truth(np.minimum(since, 9.0), since, followed) == pytest.approx(0.375)
    # the world's own: with every visit kept and no one leaving, the cohort under E and the cohort under 0
    # share their visits and every draw, so their recorded totals differ by the treatment alone; the mean of
    # the per-patient slopes of that difference over the first 24 months estimates truth_window
    off = frozenset({"missed_visits", "missing_items", "referrals", "loss", "death"})
    with_e = sixth_world.simulate_world6(1500, 0.5, 0.3, 2, off)
    without = sixth_world.simulate_world6(1500, 0.0, 0.3, 2, off)
    cols = ["patient_id", "date"]
    merged = with_e.tables.alsfrs.merge(without.tables.alsfrs, on=cols, suffixes=("", "_0"), validate="1:1")
    assert len(merged) == len(with_e.tables.alsfrs) == len(without.tables.alsfrs)
    total = merged[ALL_ITEMS].astype(float).sum(axis=1)
    total_0 = merged[[f"{q}_0" for q in ALL_ITEMS]].astype(float).sum(axis=1)
    merged["diff"] = total - total_0
    t0 = with_e.tables.treatments.query("cycle == 1").set_index("patient_id")["date"]
    merged["since"] = (merged["date"] - merged["patient_id"].map(t0)).dt.days / sixth_world.DPM
    w = merged[merged["since"].between(0.0, window_truth.WINDOW_TRUTH_MONTHS)]

    def slope(g: pd.DataFrame) -> float:
        x = g["since"] - g["since"].mean()
        return float((x * g["diff"]).sum() / (x**2).sum()) if len(g) >= 2 else np.nan

    by_hand = w.groupby("patient_id")[["since", "diff"]].apply(slope).mean()
    assert with_e.truth_window > 0.05 and by_hand == pytest.approx(with_e.truth_window, abs=0.02)


def test_every_piece_switches_off_and_unknown_pieces_are_refused():
    base = sixth_world.simulate_world6(200, 0.2, 0.3, 4)
    for piece in sixth_world.PIECES:
        off = sixth_world.simulate_world6(200, 0.2, 0.3, 4, frozenset({piece}))
        changed = (
            not off.tables.alsfrs.equals(base.tables.alsfrs)
            or not off.tables.treatments.equals(base.tables.treatments)
            or not off.tables.events.equals(base.tables.events)
        )
        assert changed, piece
        if piece != "spread":  # the spread moves diagnosis and early deaths, so who enters the cohort
            pd.testing.assert_frame_equal(off.tables.patients, base.tables.patients)  # the same patients
        a, ev = off.tables.alsfrs, set(off.tables.events["event"])
        if piece == "death":
            assert "death" not in ev and "tracheostomy" in ev
        if piece == "loss":
            assert "lost_to_follow_up" not in ev
        if piece == "missing_items":
            assert a[ALL_ITEMS].notna().sum(axis=1).eq(12).all()
        if piece in ("missed_visits", "referrals"):
            assert len(a) > len(base.tables.alsfrs)
    every = sixth_world.simulate_world6(200, 0.2, 0.3, 4, frozenset(sixth_world.PIECES))
    assert set(every.tables.events["event"]) <= {"gastrostomy", "niv_start", "tracheostomy"}
    assert np.isfinite(every.truth_realised) and np.isfinite(every.truth_window)
    with pytest.raises(ValueError, match="unknown pieces"):
        sixth_world.simulate_world6(50, 0.0, 0.3, 1, frozenset({"nope"}))


def test_g_estimation_runs_on_the_sixth_world():
    """A smoke test only: the estimator applies to these data and returns a number."""
    from alscell.analysis.effects import estimate_effect

    est = estimate_effect(sixth_world.simulate_world6(300, 0.2, 0.3, 11).tables, method="g_estimation")
    assert np.isfinite(est.estimate)

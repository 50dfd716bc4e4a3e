"""benchmarks/eighth_world.py, the held-out eighth world: valid canonical data, seeded, the share of patients
who call for cells, the documented treatment rule checked on the tables, its truths, and every piece switching
off.  No estimator is run on it here (it is held out)."""

import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from world_checks import check_endings, check_share, check_truths

import eighth_world
from alscell.io.reader import read_folder
from alscell.io.writer import write_folder

ALL_ITEMS = [*eighth_world.ITEMS[:5], "q5b", *eighth_world.ITEMS[5:]]
NAMES = ("patients", "alsfrs", "treatments", "measurements", "events")
DPM = eighth_world.DPM


@pytest.fixture(scope="module")
def cohort():
    return eighth_world.simulate_world8(300, 0.2, 0.3, 7)


@pytest.fixture(scope="module")
def treated_cohort():
    return eighth_world.simulate_world8(400, 0.5, 0.3, 12)


def _totals(a: pd.DataFrame) -> pd.Series:
    return a[ALL_ITEMS].sum(axis=1, min_count=12)


def test_world8_is_valid_canonical_data_and_seeded(tmp_path, cohort):
    again = eighth_world.simulate_world8(300, 0.2, 0.3, 7)
    for name in NAMES:
        pd.testing.assert_frame_equal(cohort.tables[name], again.tables[name])
    other = eighth_world.simulate_world8(300, 0.2, 0.3, 8)
    assert not other.tables.alsfrs.equals(cohort.tables.alsfrs)
    write_folder(cohort.tables, tmp_path / "w8")
    back = read_folder(tmp_path / "w8")
    for name in NAMES:
        assert len(back[name]) == len(cohort.tables[name]) > 0, name
    pd.testing.assert_series_equal(back.alsfrs["date"], cohort.tables.alsfrs["date"], check_names=False)
    p, a, tr, m, ev = (cohort.tables[name] for name in NAMES)
    assert len(p) == 300 and p["patient_id"].str.startswith("W8").all() and p["patient_id"].is_unique
    assert set(p["patient_id"]) == set(a["patient_id"])
    assert (p["diagnosis_date"] >= p["onset_date"]).all()
    assert p["riluzole"].isna().any() and p["el_escorial"].isna().any()
    assert p["onset_date"].min() >= pd.Timestamp("2013-01-01") and a["date"].max() <= pd.Timestamp("2025-06-30")
    items = a[ALL_ITEMS]
    assert items.min().min() >= 0 and items.max().max() <= 4
    total = _totals(a)
    assert 0.005 < total.isna().mean() < 0.1 and total.max() <= 48
    assert not (a["q5a"].notna() & a["q5b"].notna()).any() and a["q5b"].notna().any()
    gastro = a["patient_id"].map(ev.query("event == 'gastrostomy'").set_index("patient_id")["date"])
    assert (a.loc[a["q5b"].notna(), "date"] >= gastro[a["q5b"].notna()]).all()
    niv = a["patient_id"].map(ev.query("event == 'niv_start'").set_index("patient_id")["date"])
    on_niv = a["date"] > niv
    assert on_niv.sum() > 10 and (a.loc[on_niv, "q12"].dropna() <= 3).all()
    assert set(a["assessor"]) == {"clinician", "phone"}
    # weight at clinic visits only
    assert set(m["measure"]) == {"weight_kg"} and (m["unit"] == "kg").all() and m["value"].between(20, 250).all()
    seen = m.merge(a[["patient_id", "date", "assessor"]], on=["patient_id", "date"], how="left")
    assert (seen["assessor"] == "clinician").all()
    # ending events strictly after the last visit, nothing dated after them
    check_endings(a, tr, ev)


def test_share_controls_the_number_treated():
    check_share(eighth_world.simulate_world8, (0.05, 0.3, 0.6), 0.9)


def test_the_documented_treatment_rule_holds_on_the_tables(treated_cohort):
    p, a, tr, ev = (treated_cohort.tables[name] for name in ("patients", "alsfrs", "treatments", "events"))
    a = a.assign(total=_totals(a)).sort_values(["patient_id", "date"])
    visits = {pid: g for pid, g in a.groupby("patient_id")}
    niv = ev.query("event == 'niv_start'").set_index("patient_id")["date"]
    pts = p.set_index("patient_id")
    assert tr["patient_id"].nunique() == treated_cohort.n_treated > 0
    assert len(tr.merge(a[["patient_id", "date"]], on=["patient_id", "date"])) == 0  # never on a visit day
    n_repeat = n_fell = 0
    for pid, cyc in tr.sort_values("date").groupby("patient_id"):
        assert list(cyc["cycle"]) == list(range(1, len(cyc) + 1)) and len(cyc) <= 4
        v = visits[pid]
        dates = list(cyc["date"])
        assert (np.diff(dates) >= pd.Timedelta(days=int(2 * DPM))).all()
        # the call: a phone row 21-49 days before the cells, nothing in between
        call = v[v["date"] < dates[0]].iloc[-1]
        assert call["assessor"] == "phone" and 20 <= (dates[0] - call["date"]).days <= 50
        before = v[(v["date"] < call["date"]) & v["total"].notna()]
        assert len(before) > 0 and before["total"].iloc[-1] >= 20
        assert pts.loc[pid, "diagnosis_date"] >= call["date"] - pd.Timedelta(days=48 * DPM + 1)
        assert call["date"].year - pts.loc[pid, "birth_year"] <= 78
        assert not (niv.get(pid, pd.Timestamp.max) < call["date"])
        for prev, nxt in itertools.pairwise(dates):
            n_repeat += 1
            decision = v[v["date"] < nxt].iloc[-1]
            assert decision["date"] > prev and 13 <= (nxt - decision["date"]).days <= 29
            months = (decision["date"] - prev).days / DPM
            assert months >= 2 - 1 / DPM
            ref = v[(v["date"] < prev) & v["total"].notna()]["total"].iloc[-1]
            fell = pd.notna(decision["total"]) and ref - decision["total"] >= 2
            n_fell += fell
            assert fell or months >= 9 - 1 / DPM
    assert n_repeat > 20 and 0 < n_fell < n_repeat
    # seen about monthly in the 3 months after a cycle (about once in 3 months otherwise)
    last = a.groupby("patient_id")["date"].max()
    followed = tr[last.reindex(tr["patient_id"]).to_numpy() > tr["date"] + pd.Timedelta(days=int(3 * DPM))]
    after = followed.merge(a[["patient_id", "date"]].rename(columns={"date": "visit"}), on="patient_id")
    months = (after["visit"] - after["date"]).dt.days / DPM
    counts = after[(months > 0) & (months <= 3)].groupby("treatment_id").size()
    assert len(followed) > 50 and counts.reindex(followed["treatment_id"]).fillna(0).mean() > 1.4


def test_world8_truths():
    none, untreated, _, big = check_truths(eighth_world.simulate_world8)
    # patients who never call keep exactly their untreated data
    calm = set(none.tables.patients["patient_id"]) - set(none.tables.treatments["patient_id"])
    same = [
        none.tables.alsfrs.query("patient_id == @pid").reset_index(drop=True).equals(
            untreated.tables.alsfrs.query("patient_id == @pid").reset_index(drop=True)
        )
        for pid in sorted(calm)[:60]
    ]  # fmt: skip
    assert np.mean(same) > 0.9
    assert big.truth_window > 0.3 * big.truth
    # who is first treated, and when, does not depend on the effect; the data before it are the same
    first = lambda c: c.tables.treatments.query("cycle == 1").reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(first(none), first(big))
    assert not none.tables.treatments.equals(big.tables.treatments)  # the repeats follow the treated course
    t0 = first(none).set_index("patient_id")["date"]

    def before(frame: pd.DataFrame) -> pd.DataFrame:
        when = frame["patient_id"].map(t0)
        return frame[when.isna() | (frame["date"] < when)].reset_index(drop=True)

    for name in ("alsfrs", "measurements"):
        pd.testing.assert_frame_equal(before(none.tables[name]), before(big.tables[name]))
    assert not none.tables.alsfrs.equals(big.tables.alsfrs)


def test_every_piece_switches_off_and_unknown_pieces_are_refused():
    base = eighth_world.simulate_world8(200, 0.2, 0.3, 4)
    for piece in eighth_world.PIECES:
        off = eighth_world.simulate_world8(200, 0.2, 0.3, 4, frozenset({piece}))
        changed = any(not off.tables[name].equals(base.tables[name]) for name in NAMES[1:])
        assert changed, piece
        a, ev = off.tables.alsfrs, set(off.tables.events["event"])
        if piece == "death":
            assert "death" not in ev
        if piece == "loss":
            assert "lost_to_follow_up" not in ev
        if piece == "withdrawal":
            assert "withdrawal" not in ev
        if piece == "missing_items":
            assert a[ALL_ITEMS].notna().sum(axis=1).eq(12).all()
        if piece == "repeat_cycles":
            assert (off.tables.treatments["cycle"] == 1).all()
        if piece == "phone_bias":
            pd.testing.assert_frame_equal(off.tables.patients, base.tables.patients)
    every = eighth_world.simulate_world8(200, 0.2, 0.3, 4, frozenset(eighth_world.PIECES))
    assert every.n_treated > 0 and np.isfinite(every.truth_realised) and np.isfinite(every.truth_window)
    with pytest.raises(ValueError, match="unknown pieces"):
        eighth_world.simulate_world8(50, 0.0, 0.3, 1, frozenset({"nope"}))

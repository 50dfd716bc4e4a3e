"""benchmarks/ninth_world.py, the held-out ninth world: valid canonical data, seeded, the share of patients
treated, the documented treatment rule checked on the tables, its truths (a delayed effect on the motor
domains only), and every piece switching off.  No estimator is run on it here (it is held out)."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from world_checks import check_endings, check_share, check_truths, check_untouched, first_event

import ninth_world
from alscell.io.reader import read_folder
from alscell.io.writer import write_folder

ALL_ITEMS = [*ninth_world.ITEMS[:5], "q5b", *ninth_world.ITEMS[5:]]
NAMES = ("patients", "alsfrs", "treatments", "measurements", "events")
DPM = ninth_world.DPM
ENDS = ["death", "withdrawal", "lost_to_follow_up"]


@pytest.fixture(scope="module")
def cohort():
    return ninth_world.simulate_world9(300, 0.2, 0.3, 7)


@pytest.fixture(scope="module")
def treated_cohort():
    return ninth_world.simulate_world9(500, 0.5, 0.4, 12)


def _totals(a: pd.DataFrame) -> pd.Series:
    return a[ALL_ITEMS].sum(axis=1, min_count=12)


def test_world9_is_valid_canonical_data_and_seeded(tmp_path, cohort):
    again = ninth_world.simulate_world9(300, 0.2, 0.3, 7)
    for name in NAMES:
        pd.testing.assert_frame_equal(cohort.tables[name], again.tables[name])
    other = ninth_world.simulate_world9(300, 0.2, 0.3, 8)
    assert not other.tables.alsfrs.equals(cohort.tables.alsfrs)
    write_folder(cohort.tables, tmp_path / "w9")
    back = read_folder(tmp_path / "w9")
    for name in NAMES:
        assert len(back[name]) == len(cohort.tables[name]) > 0, name
    pd.testing.assert_series_equal(back.alsfrs["date"], cohort.tables.alsfrs["date"], check_names=False)
    p, a, tr, m, ev = (cohort.tables[name] for name in NAMES)
    assert len(p) == 300 and p["patient_id"].str.startswith("W9").all() and p["patient_id"].is_unique
    assert set(p["patient_id"]) == set(a["patient_id"])
    assert set(p["site"]) == set(ninth_world.CENTRES)
    assert (p["diagnosis_date"] >= p["onset_date"]).all()
    assert p["riluzole"].isna().any() and p["el_escorial"].isna().any() and p["genetics"].notna().any()
    assert p["onset_date"].min() >= pd.Timestamp("2011-01-01") and a["date"].max() <= pd.Timestamp("2024-09-30")
    assert a.groupby("patient_id")["date"].min().min() >= pd.Timestamp("2014-01-01")  # the registry's opening
    assert not a.duplicated(["patient_id", "date"]).any()
    items = a[ALL_ITEMS]
    assert items.min().min() >= 0 and items.max().max() <= 4
    total = _totals(a)
    assert 0.002 < total.isna().mean() < 0.05 and total.max() <= 48
    # partial rows are phone visits missing the three items of one domain
    partial = a[total.isna()]
    assert (partial["assessor"] == "phone").all()
    assert partial[ALL_ITEMS].isna().sum(axis=1).eq(4).all()  # three items and the unused q5a/q5b
    assert not (a["q5a"].notna() & a["q5b"].notna()).any() and a["q5b"].notna().any()
    gastro = a["patient_id"].map(first_event(ev, "gastrostomy"))
    assert (a.loc[a["q5b"].notna(), "date"] >= gastro[a["q5b"].notna()]).all()
    assert (a.loc[a["date"] >= gastro, "q5b"].notna() | a.loc[a["date"] >= gastro, ALL_ITEMS].isna().any(axis=1)).all()
    niv = a["patient_id"].map(first_event(ev, "niv_start"))
    on_niv = a["date"] > niv
    assert on_niv.sum() > 10 and (a.loc[on_niv, "q12"].dropna() <= 3).all()
    assert set(a["assessor"]) == {"clinician", "phone"}
    # FVC at clinic visits, NfL (serum) at HUB and METRO only
    assert set(m["measure"]) == {"fvc_pct_pred", "nfl"}
    fvc, nfl = m[m["measure"] == "fvc_pct_pred"], m[m["measure"] == "nfl"]
    assert (fvc["unit"] == "%").all() and fvc["value"].between(0, 150).all() and fvc["specimen"].isna().all()
    assert (nfl["unit"] == "pg/mL").all() and (nfl["specimen"] == "serum").all() and (nfl["value"] > 0).all()
    seen = m.merge(a[["patient_id", "date", "assessor"]], on=["patient_id", "date"], how="left")
    assert (seen["assessor"] == "clinician").all()
    assert set(p.set_index("patient_id").loc[nfl["patient_id"].unique(), "site"]) == {"HUB", "METRO"}
    # ending events strictly after the last visit, nothing dated after them
    ends = check_endings(a, tr, ev)
    # a transfer to palliative care (withdrawal) only after a recorded NIV or gastrostomy
    wd = ends.query("event == 'withdrawal'").set_index("patient_id")["date"]
    device = pd.concat([first_event(ev, "niv_start"), first_event(ev, "gastrostomy")], axis=1).min(axis=1)
    assert (device.reindex(wd.index) < wd).all()


def test_share_controls_the_number_treated():
    check_share(ninth_world.simulate_world9, (0.05, 0.3, 0.6), 0.9)


def test_the_documented_treatment_rule_holds_on_the_tables(treated_cohort):
    p, a, tr, m, ev = (treated_cohort.tables[name] for name in NAMES)
    a = a.assign(total=_totals(a)).sort_values(["patient_id", "date"])
    fvc = m.query("measure == 'fvc_pct_pred'").set_index(["patient_id", "date"])["value"]
    a["fvc"] = pd.Series(list(zip(a["patient_id"], a["date"], strict=True))).map(fvc).to_numpy()
    visits = {pid: g for pid, g in a.groupby("patient_id")}
    niv, gas = first_event(ev, "niv_start"), first_event(ev, "gastrostomy")
    pts = p.set_index("patient_id")
    assert tr["patient_id"].nunique() == treated_cohort.n_treated > 0
    assert (tr["dose_cells"].between(1.0e8, 1.25e8)).all() and (tr["route"] == "intrathecal").all()
    doses = tr.merge(a[["patient_id", "date", "assessor"]], on=["patient_id", "date"], how="left")
    assert (doses["assessor"] == "clinician").all()  # each dose on a clinic day, rated before the injection
    decisions, co_niv = [], 0
    for pid, cyc in tr.sort_values("date").groupby("patient_id"):
        assert list(cyc["cycle"]) == list(range(1, len(cyc) + 1)) and len(cyc) <= 3
        assert (np.diff(cyc["date"]).astype("timedelta64[D]").astype(int) == 56).all()  # every 8 weeks
        v, t0 = visits[pid], cyc["date"].iloc[0]
        # the decision: the last clinic visit with an FVC before the first dose, 7-21 days before it; only phone
        # visits in between
        before = v[v["date"] < t0]
        dec = before[before["fvc"].notna()].iloc[-1]
        assert 7 <= (t0 - dec["date"]).days <= 21
        assert (before.loc[before["date"] > dec["date"], "assessor"] == "phone").all()
        assert dec["fvc"] >= 50 and before["fvc"].notna().sum() >= 2
        complete = before[(before["date"] <= dec["date"]) & before["total"].notna()]
        assert complete["total"].iloc[-1] >= 24
        assert (dec["date"] - pts.loc[pid, "diagnosis_date"]).days <= 48 * DPM + 1
        assert dec["date"].year - pts.loc[pid, "birth_year"] <= 80
        assert not (niv.get(pid, pd.Timestamp.max) <= dec["date"]) and not (
            gas.get(pid, pd.Timestamp.max) <= dec["date"]
        )
        # NIV started with the first dose only when the decision's FVC was below 65%
        if niv.get(pid) == t0:
            co_niv += 1
            assert dec["fvc"] < 65
        decisions.append((pid, dec["date"], dec["fvc"], pts.loc[pid, "site"]))
    assert co_niv > 3
    dec = pd.DataFrame(decisions, columns=["patient_id", "date", "fvc", "site"])
    # the FVC trigger: without it, the decisions come at higher FVCs
    no_trigger = ninth_world.simulate_world9(500, 0.5, 0.4, 12, frozenset({"fvc_trigger"})).tables
    fvc0 = no_trigger.measurements.query("measure == 'fvc_pct_pred'")
    first0 = no_trigger.treatments.query("cycle == 1")[["patient_id", "date"]]
    last0 = fvc0.merge(first0, on="patient_id", suffixes=("", "_t0")).query("date < date_t0")
    dec0 = last0.sort_values("date").groupby("patient_id")["value"].last()
    assert dec["fvc"].mean() < dec0.mean() - 4 and (dec["fvc"] < 80).mean() > (dec0 < 80).mean() + 0.1
    # the centres: HUB treats a larger share than RURAL; COAST starts on 2019-07-01
    share = dec["site"].value_counts() / p["site"].value_counts()
    assert share["HUB"] > 1.5 * share["RURAL"]
    coast = dec.query("site == 'COAST'")
    assert len(coast) > 10 and (coast["date"] < pd.Timestamp("2019-07-01")).mean() < 0.1
    hub = dec.query("site == 'HUB'")
    assert (hub["date"] < pd.Timestamp("2019-07-01")).mean() > 0.25


def test_the_visit_rhythm_follows_the_centre_and_the_fvc(treated_cohort):
    p, a, m = (treated_cohort.tables[name] for name in ("patients", "alsfrs", "measurements"))
    fvc = m.query("measure == 'fvc_pct_pred'").sort_values(["patient_id", "date"]).copy()
    fvc["gap"] = -fvc.groupby("patient_id")["date"].diff(-1).dt.days / DPM  # months to the next clinic visit
    fvc["site"] = fvc["patient_id"].map(p.set_index("patient_id")["site"])
    high = fvc[fvc["value"] >= 85].groupby("site")["gap"].median()
    assert 1.7 < high["HUB"] < 2.3 and 2.6 < high["METRO"] < 3.4 and 3.5 < high["RURAL"] < 4.5
    low = fvc[fvc["value"] < 75].groupby("site")["gap"].median()
    assert low["METRO"] < 0.75 * high["METRO"]
    # phone visits come after sudden losses: their total is lower than at the visit before
    a = a.assign(total=_totals(a)).sort_values(["patient_id", "date"])
    a["drop"] = a.groupby("patient_id")["total"].diff()
    assert a.loc[a["assessor"] == "phone", "drop"].mean() < a.loc[a["assessor"] == "clinician", "drop"].mean() - 0.5


def test_world9_truths():
    none, untreated, small, big = check_truths(ninth_world.simulate_world9)
    check_untouched(none, untreated)  # patients never offered cells keep exactly their untreated data
    assert big.truth_window > 0.25 * big.truth and small.truth_window > 0.3 * small.truth
    # who is treated, and when, does not depend on the effect; nor does anything before 2 months after the first
    # dose (the effect's delay); the bulbar and respiratory items never change (the motor domains only)
    for name in ("patients", "treatments"):
        pd.testing.assert_frame_equal(none.tables[name], big.tables[name])
    t0 = none.tables.treatments.query("cycle == 1").set_index("patient_id")["date"]

    def early(frame: pd.DataFrame) -> pd.DataFrame:
        when = frame["patient_id"].map(t0)
        return frame[when.isna() | (frame["date"] < when + pd.Timedelta(days=60))].reset_index(drop=True)

    for name in ("alsfrs", "measurements", "events"):
        pd.testing.assert_frame_equal(early(none.tables[name]), early(big.tables[name]))
    assert not none.tables.alsfrs.equals(big.tables.alsfrs)
    both = none.tables.alsfrs.merge(big.tables.alsfrs, on=["patient_id", "date"], suffixes=("", "_e"))
    motor = ["q4", "q5a", "q5b", "q6", "q7", "q8", "q9"]
    other = [q for q in ALL_ITEMS if q not in motor]
    for q in other:
        pd.testing.assert_series_equal(both[q], both[f"{q}_e"], check_names=False)
    assert sum((both[q] != both[f"{q}_e"]).sum() for q in motor) > 50
    gained = sum((both[f"{q}_e"] - both[q]).sum() for q in motor)
    assert gained > 100  # the cells slow the motor losses: higher recorded motor items


def test_every_piece_switches_off_and_unknown_pieces_are_refused():
    base = ninth_world.simulate_world9(200, 0.2, 0.3, 4)
    for piece in ninth_world.PIECES:
        off = ninth_world.simulate_world9(200, 0.2, 0.3, 4, frozenset({piece}))
        changed = any(not off.tables[name].equals(base.tables[name]) for name in NAMES[1:])
        assert changed, piece
        a, ev = off.tables.alsfrs, set(off.tables.events["event"])
        if piece == "death":
            assert "death" not in ev
        if piece == "loss":
            assert "lost_to_follow_up" not in ev
        if piece == "palliative":
            assert "withdrawal" not in ev
        if piece == "missing_items":
            assert a[ALL_ITEMS].notna().sum(axis=1).eq(12).all()
        if piece == "acute_visits":
            assert set(a["assessor"]) == {"clinician"}
        if piece in ("centre_entry",):
            assert not off.tables.patients.equals(base.tables.patients)
        if piece == "co_intervention":
            t0 = off.tables.treatments.query("cycle == 1").set_index("patient_id")["date"]
            assert not (first_event(off.tables.events, "niv_start").reindex(t0.index) == t0).any()
    every = ninth_world.simulate_world9(200, 0.2, 0.3, 4, frozenset(ninth_world.PIECES))
    assert every.n_treated > 0 and np.isfinite(every.truth_realised) and np.isfinite(every.truth_window)
    with pytest.raises(ValueError, match="unknown pieces"):
        ninth_world.simulate_world9(50, 0.0, 0.3, 1, frozenset({"nope"}))

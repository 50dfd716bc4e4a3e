"""benchmarks/seventeenth_world.py, the held-out seventeenth world: valid canonical data, seeded, the share treated
(5%, 30%, 60%), the physician's rule rebuilt from the tables alone (totals, SVC, grip, age, time since diagnosis, El
Escorial, site, NIV, gastrostomy, the willingness and the allocation list), decisions at clinic reviews only, the
delay to the first dose, the visit types, recording the occasions changing nothing else, no effect giving the same
data, its truths, every piece switching off and the untreated calibration.  No estimator is run on it here (it is
held out)."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from world_checks import (
    check_effect_after_first_dose,
    check_endings,
    check_recording_changes_nothing,
    check_seeded_round_trip,
    check_share,
    check_truths,
    check_untouched,
    first_event,
    km_median,
    spanning_slope,
)

import seventeenth_world as w17

ALL_ITEMS = [*w17.ITEMS[:5], "q5b", *w17.ITEMS[5:]]
NAMES = ("patients", "alsfrs", "treatments", "measurements", "events", "adverse_events")
DPM = w17.DPM
simulate = w17.simulate_world17


@pytest.fixture(scope="module")
def cohort():
    return simulate(300, 0.2, 0.3, 7)


@pytest.fixture(scope="module")
def recorded():
    return simulate(600, 0.2, 0.6, 9, record_occasions=True)


def _totals(a: pd.DataFrame) -> pd.Series:
    return a[ALL_ITEMS].sum(axis=1, min_count=12)


def test_world17_is_valid_canonical_data_and_seeded(tmp_path, cohort):
    check_seeded_round_trip(simulate, (300, 0.2, 0.3, 7), cohort, tmp_path / "w17", NAMES)
    p, a, tr, m, ev, ae = (cohort.tables[name] for name in NAMES)
    assert len(p) == 300 and p["patient_id"].str.startswith("W17").all() and p["patient_id"].is_unique
    assert (p["diagnosis_date"] >= w17.OPENING).all() and (p["diagnosis_date"] > p["onset_date"]).all()
    assert not a.duplicated(["patient_id", "date"]).any() and a["date"].max() <= w17.LOCK
    items = a[ALL_ITEMS].astype(float)
    assert items.min().min() >= 0 and items.max().max() <= 4
    assert set(a["assessor"]) == {"clinician", "self"}
    assert (a.loc[_totals(a).isna(), "assessor"] == "self").all()
    assert not (a["q5a"].notna() & a["q5b"].notna()).any() and a["q5b"].notna().any()
    niv = a["patient_id"].map(first_event(ev, "niv_start"))
    assert (a.loc[a["date"] >= niv, "q12"].dropna() <= 3).all()
    assert set(m["measure"]) == {"svc_pct_pred", "grip_kg", "weight_kg"}
    assert set(m.loc[m["measure"] == "grip_kg", "side"]) == {"left", "right"}
    check_endings(a, tr, ev)
    assert (tr["cell_source"] == "placenta").all() and (tr["donor"] == "allogeneic").all()
    assert (tr["route"] == "intrathecal").all() and tr["cycle"].between(1, w17.N_DOSES).all()
    assert len(ae) > 0 and set(ae["term"]) <= set(w17.AE_TERMS)
    # the tables pass alscell's own validation
    from alscell.io.reader import read_folder
    from alscell.io.writer import write_folder

    write_folder(cohort.tables, tmp_path / "again")
    assert len(read_folder(tmp_path / "again").patients) == 300


def test_share_controls_the_number_treated():
    check_share(simulate, (0.05, 0.3, 0.6), 0.85)


def _occasions(tables, seed: int) -> pd.DataFrame:
    """Every clinic review after the diagnosis with the physician's criterion rebuilt from the tables alone."""
    p, ev, m = tables.patients.set_index("patient_id"), tables.events, tables.measurements
    a = tables.alsfrs.assign(total=_totals(tables.alsfrs).astype(float))
    svc = m[m["measure"] == "svc_pct_pred"].set_index(["patient_id", "date"])["value"].rename("svc")
    grip = m[m["measure"] == "grip_kg"].groupby(["patient_id", "date"])["value"].max().rename("grip")
    a = a.join(svc, on=["patient_id", "date"]).join(grip, on=["patient_id", "date"])
    will, lot = w17.lottery(seed, len(p))
    niv, gas = first_event(ev, "niv_start"), first_event(ev, "gastrostomy")
    rows = []
    for pid, g in a.groupby("patient_id", sort=False):
        pt = p.loc[pid]
        i = int(pid[3:])
        reviews = g[g["visit_type"].isin(["scheduled", "home"])].reset_index(drop=True)  # review k is the k-th
        for kk, r in reviews.iterrows():
            day = r["date"]
            if kk < 1 or r["visit_type"] != "scheduled":
                continue
            age = day.year - pt["birth_year"]
            elig = (
                np.isfinite(r["total"]) and (day - pt["diagnosis_date"]).days / DPM <= 24
                and pd.notna(pt["el_escorial"]) and r["svc"] >= 50 and age <= 80
                and not niv.get(pid, pd.Timestamp.max) <= day and not gas.get(pid, pd.Timestamp.max) <= day
            )  # fmt: skip
            site = int(np.flatnonzero(w17.SITES == pt["site"])[0])
            s = float(w17.rule_score(r["total"], r["grip"], r["svc"], age, site))
            u = lot[i, kk]
            rows.append((pid, day, np.log(u) - np.log1p(-u) - s - 0.8 * will[i] if elig else np.inf))
    return pd.DataFrame(rows, columns=["patient_id", "date", "crit"])


def test_the_documented_treatment_rule_rebuilt_from_the_tables(recorded):
    tb = recorded.tables
    tr = tb.treatments
    assert tr["patient_id"].nunique() == recorded.n_treated > 250
    occ = _occasions(tb, 9)
    dec = tr[tr["cycle"] == 1].set_index("patient_id")["decision_date"]
    both = occ.merge(dec.rename("decided"), left_on="patient_id", right_index=True)
    at = both[both["date"] == both["decided"]]
    assert len(at) == len(dec) and np.isfinite(at["crit"]).all()
    cut = at["crit"].max()
    assert (both.loc[both["date"] < both["decided"], "crit"] > cut).all()
    under = occ[~occ["patient_id"].isin(dec.index) & (occ["crit"] < cut)]["patient_id"].nunique()
    assert under < 0.1 * len(dec)
    assert set(w17.RECORDED_RULE_INPUTS) == {"age", "time_since_diagnosis", "el_escorial", "site", "ventilation",
                                             "gastrostomy", "svc_pct_pred", "grip_kg"}  # fmt: skip


def test_decisions_at_clinic_reviews_and_the_delay_to_the_dose(recorded):
    tb = recorded.tables
    a, tr = tb.alsfrs, tb.treatments
    assert set(a["visit_type"]) == {"scheduled", "unscheduled", "remote", "home"}
    assert w17.DECISION_AT_EVERY_VISIT is False and w17.DECISION_VISIT_TYPES == ("scheduled",)
    assert w17.LEAVE_OUT_VISIT_TYPES == ("remote",)
    first = tr[tr["cycle"] == 1]
    at = first.merge(a, left_on=["patient_id", "decision_date"], right_on=["patient_id", "date"])
    assert len(at) == len(first) and at["visit_type"].isin(w17.DECISION_VISIT_TYPES).all()
    lag = (first["date"] - first["decision_date"]).dt.days
    assert lag.between(*w17.DOSE_LAG).all() and lag.min() >= w17.DECISION_LAG_DAYS == 28
    dd = tr.groupby("patient_id")["decision_date"].nunique()
    assert (dd == 1).all() and (tr["cycle"] == w17.N_DOSES).any()
    gaps = tr.sort_values(["patient_id", "date"]).groupby("patient_id")["date"].diff().dt.days.dropna()
    assert gaps.between(*w17.DOSE_GAP).all()
    # self-ratings on the portal; measurements only in the clinic (weight also at the dietitian's)
    assert ((a["assessor"] == "self") == (a["visit_type"] == "remote")).all()
    m = tb.measurements.merge(a[["patient_id", "date", "visit_type"]], on=["patient_id", "date"])
    assert len(m) == len(tb.measurements)
    assert set(m.loc[m["measure"] != "weight_kg", "visit_type"]) == {"scheduled"}
    assert set(m.loc[m["measure"] == "weight_kg", "visit_type"]) == {"scheduled", "unscheduled"}
    # home reviews only once NIV has started
    niv = a["patient_id"].map(first_event(tb.events, "niv_start"))
    assert (a.loc[a["visit_type"] == "home", "date"] >= niv[a["visit_type"] == "home"]).all()


def test_world17_truths_and_no_effect_gives_the_same_data():
    none, untreated, _small, big = check_truths(simulate)
    check_untouched(none, untreated)
    # under no effect the treated patients' ratings, measurements and events are those without the cells too
    for name in ("alsfrs", "measurements", "events"):
        pd.testing.assert_frame_equal(none.tables[name], untreated.tables[name])
    check_effect_after_first_dose(none, big, _totals, {"alsfrs": 1, "svc_pct_pred": 1})


def test_recording_the_occasions_draws_the_same_numbers():
    for off in (frozenset(), frozenset({"death", "loss"})):
        check_recording_changes_nothing(simulate, (200, 0.3, 0.3, 4), off)


def test_every_piece_switches_off_and_unknown_pieces_are_refused():
    base = simulate(150, 0.3, 0.3, 4)
    for piece in w17.PIECES:
        off = simulate(150, 0.3, 0.3, 4, frozenset({piece}))
        changed = any(not off.tables[name].equals(base.tables[name]) for name in NAMES[1:])
        changed |= off.truth_realised != base.truth_realised
        assert changed, piece
    every = simulate(150, 0.3, 0.3, 4, frozenset(w17.PIECES))
    assert every.n_treated > 0
    with pytest.raises(ValueError, match="unknown pieces"):
        simulate(50, 0.0, 0.3, 1, frozenset({"nope"}))


def test_the_untreated_course_is_calibrated():
    c = simulate(1000, 0.0, 0.0, 1, record_occasions=True)
    p, a, ev = c.tables.patients.set_index("patient_id"), c.tables.alsfrs, c.tables.events
    a = a.assign(total=_totals(a), t=(a["date"] - a["patient_id"].map(p["onset_date"])).dt.days / DPM)
    a = a[a["visit_type"] != "remote"].dropna(subset=["total"])
    slopes = a.groupby("patient_id")[["t", "total"]].apply(spanning_slope, "total").dropna()
    assert -1.2 < slopes.mean() < -0.9 and slopes.median() > slopes.mean()  # right-skewed spread
    assert 38 <= a.groupby("patient_id")["total"].first().median() <= 42
    delay = (p["diagnosis_date"] - p["onset_date"]).dt.days / DPM
    assert 9 < delay.median() < 13
    death = first_event(ev, "death")
    stop = ev[ev["event"].isin(["withdrawal", "lost_to_follow_up"])].groupby("patient_id")["date"].min()
    last = c.tables.alsfrs.groupby("patient_id")["date"].max()
    end = pd.Series(w17.LOCK, index=p.index)
    end[stop.index] = last.reindex(stop.index)
    end[death.index] = death
    months = ((end - p["onset_date"]).dt.days / DPM).to_numpy()
    assert 30 < km_median(months, p.index.isin(death.index), delay.to_numpy()) < 45

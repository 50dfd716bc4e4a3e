"""benchmarks/eighteenth_world.py, the held-out eighteenth world: valid canonical data, seeded, the share treated
(5%, 30%, 60%), the referral to the programme's visits and the programme's rule rebuilt from the tables alone (totals,
IL-6, CNS-BFS, age, time since onset and diagnosis, site, NIV, gastrostomy and the allocation list), decisions at the
programme's visits only, the delay to the first dose, the clinic's calendar and visit types, recording the occasions
changing nothing else, no effect giving the same data, its truths, every piece switching off and the untreated
calibration.  No estimator is run on it here (it is held out)."""

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
    check_registered,
    check_seeded_round_trip,
    check_share,
    check_truths,
    check_untouched,
    first_event,
    km_median,
    spanning_slope,
)

import eighteenth_world as w18

ALL_ITEMS = [*w18.ITEMS[:5], "q5b", *w18.ITEMS[5:]]
NAMES = ("patients", "alsfrs", "treatments", "measurements", "events", "adverse_events")
DPM = w18.DPM
simulate = w18.simulate_world18


@pytest.fixture(scope="module")
def cohort():
    return simulate(300, 0.2, 0.3, 7)


@pytest.fixture(scope="module")
def recorded():
    return simulate(600, 0.2, 0.6, 9, record_occasions=True)


def _totals(a: pd.DataFrame) -> pd.Series:
    return a[ALL_ITEMS].sum(axis=1, min_count=12)


def _lock(p: pd.DataFrame) -> pd.Series:
    return pd.Series(np.where(p["site"] == "CENTRE", w18.LOCKS[0], w18.LOCKS[1]), index=p.index)


def test_world18_is_valid_canonical_data_and_seeded(tmp_path, cohort):
    check_seeded_round_trip(simulate, (300, 0.2, 0.3, 7), cohort, tmp_path / "w18", NAMES)
    p, a, tr, m, ev, ae = (cohort.tables[name] for name in NAMES)
    assert len(p) == 300 and p["patient_id"].str.startswith("W18").all() and p["patient_id"].is_unique
    assert (p["diagnosis_date"] >= w18.OPENING).all() and (p["diagnosis_date"] > p["onset_date"]).all()
    assert set(p["site"]) == {"CENTRE", "DISTRICT"}
    assert not a.duplicated(["patient_id", "date"]).any()
    # each site's own data lock
    assert (a["date"] <= a["patient_id"].map(_lock(p.set_index("patient_id")))).all()
    items = a[ALL_ITEMS].astype(float)
    assert items.min().min() >= 0 and items.max().max() <= 4
    assert set(a["assessor"]) == {"clinician", "phone"}
    assert (a.loc[_totals(a).isna(), "assessor"] == "phone").all()
    assert not (a["q5a"].notna() & a["q5b"].notna()).any() and a["q5b"].notna().any()
    niv = a["patient_id"].map(first_event(ev, "niv_start"))
    assert (a.loc[a["date"] >= niv, "q12"].dropna() <= 3).all()
    assert set(m["measure"]) == {"fvc_pct_pred", "weight_kg", "il6", "cnsbfs"}
    assert (m.loc[m["measure"] == "il6", "specimen"] == "plasma").all()
    assert m.loc[m["measure"] == "cnsbfs", "value"].between(21, 112).all()
    check_endings(a, tr, ev)
    assert (tr["cell_source"] == "bone_marrow").all() and (tr["donor"] == "allogeneic").all()
    assert tr["cycle"].between(1, w18.N_DOSES).all() and (tr["route"] == w18.ROUTES[tr["cycle"] - 1]).all()
    assert tr["viability_pct"].between(70, 98).all()
    assert len(ae) > 0 and set(ae["term"]) <= set(w18.AE_TERMS)
    # the tables pass alscell's own validation
    from alscell.io.reader import read_folder
    from alscell.io.writer import write_folder

    write_folder(cohort.tables, tmp_path / "again")
    assert len(read_folder(tmp_path / "again").patients) == 300


def test_share_controls_the_number_treated():
    check_share(simulate, (0.05, 0.3, 0.6), 0.85)


def _occasions(tables, seed: int) -> pd.DataFrame:
    """Every programme visit with the programme's criterion rebuilt from the tables alone."""
    p, ev, m = tables.patients.set_index("patient_id"), tables.events, tables.measurements
    a = tables.alsfrs.assign(total=_totals(tables.alsfrs).astype(float))
    il6 = m[m["measure"] == "il6"].set_index(["patient_id", "date"])["value"].rename("il6")
    bfs = m[m["measure"] == "cnsbfs"].set_index(["patient_id", "date"])["value"].rename("bfs")
    a = a[a["visit_type"] == "unscheduled"].join(il6, on=["patient_id", "date"]).join(bfs, on=["patient_id", "date"])
    lot = w18.lottery(seed, len(p))
    niv, gas = first_event(ev, "niv_start"), first_event(ev, "gastrostomy")
    rows = []
    for pid, g in a.groupby("patient_id", sort=False):
        pt = p.loc[pid]
        i = int(pid[3:])
        for j, r in enumerate(g.itertuples()):  # the j-th programme visit
            day = r.date
            age = day.year - pt["birth_year"]
            elig = (
                np.isfinite(r.total) and r.total >= 24 and (day - pt["onset_date"]).days / DPM <= 42 and age <= 75
                and r.bfs <= 55 and not niv.get(pid, pd.Timestamp.max) <= day
                and not gas.get(pid, pd.Timestamp.max) <= day
            )  # fmt: skip
            site = int(np.flatnonzero(w18.SITES == pt["site"])[0])
            s = float(w18.rule_score(r.il6, r.total, age, site))
            u = lot[i, j]
            rows.append((pid, day, np.log(u) - np.log1p(-u) - s if elig else np.inf))
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
    assert set(w18.RECORDED_RULE_INPUTS) == {"age", "time_since_onset", "time_since_diagnosis", "site", "ventilation",
                                             "gastrostomy", "il6", "cnsbfs"}  # fmt: skip


def test_the_referral_to_the_programme_rebuilt_from_the_tables(recorded):
    """The first programme visit follows an in-person review that met the referral criteria, 14-35 days after it
    (then on the next open Thursday); the programme's visits are about six months apart, treated or not."""
    tb = recorded.tables
    p, a, ev = tb.patients.set_index("patient_id"), tb.alsfrs, tb.events
    a = a.assign(total=_totals(a).astype(float))
    niv, gas = first_event(ev, "niv_start"), first_event(ev, "gastrostomy")
    prog = a[a["visit_type"] == "unscheduled"]
    first = prog.groupby("patient_id")["date"].min()
    assert 0.5 < len(first) / len(p) < 0.9
    reviews = a[a["visit_type"] != "unscheduled"]
    for pid, day in first.items():
        before = reviews[(reviews["patient_id"] == pid) & (reviews["date"] < day)]
        r = before.iloc[-1]
        pt = p.loc[pid]
        assert len(before) >= 2 and r["visit_type"] == "scheduled", pid
        assert 14 <= (day - r["date"]).days <= 35 + 27
        assert r["total"] >= 24 and (r["date"] - pt["diagnosis_date"]).days / DPM <= 30
        assert r["date"].year - pt["birth_year"] <= 75
        assert not niv.get(pid, pd.Timestamp.max) <= r["date"] and not gas.get(pid, pd.Timestamp.max) <= r["date"]
    gaps = prog.groupby("patient_id")["date"].diff().dt.days.dropna()
    assert gaps.between(182 - 28 - 27, 182 + 28 + 27).all() and abs(gaps.median() - 182) <= 7
    # the treated keep the programme's visits after their doses
    t0 = tb.treatments[tb.treatments["cycle"] == 1].set_index("patient_id")["date"]
    assert (prog["date"] > prog["patient_id"].map(t0)).sum() > 100


def test_decisions_at_programme_visits_the_calendar_and_the_delay_to_the_dose(recorded):
    tb = recorded.tables
    a, tr = tb.alsfrs, tb.treatments
    assert set(a["visit_type"]) == {"scheduled", "unscheduled", "remote"}
    assert w18.DECISION_AT_EVERY_VISIT is False and w18.DECISION_VISIT_TYPES == ("unscheduled",)
    assert w18.LEAVE_OUT_VISIT_TYPES == ()
    first = tr[tr["cycle"] == 1]
    at = first.merge(a, left_on=["patient_id", "decision_date"], right_on=["patient_id", "date"])
    assert len(at) == len(first) and at["visit_type"].isin(w18.DECISION_VISIT_TYPES).all()
    lag = (first["date"] - first["decision_date"]).dt.days
    assert lag.between(*w18.DOSE_LAG).all() and lag.min() >= w18.DECISION_LAG_DAYS == 10
    dd = tr.groupby("patient_id")["decision_date"].nunique()
    assert (dd == 1).all() and (tr["cycle"] == w18.N_DOSES).any()
    trs = tr.sort_values(["patient_id", "date"])
    gaps = trs.groupby("patient_id")["date"].diff().dt.days
    for q, (lo, hi) in enumerate(w18.DOSE_GAP, start=2):
        assert gaps[trs["cycle"] == q].between(lo, hi).all(), q
    # clinic reviews on Tuesdays, the programme on Thursdays, none in the closures; video reviews in winter only
    wd = a["date"].dt.weekday
    assert (wd[a["visit_type"] != "unscheduled"] == 1).all() and (wd[a["visit_type"] == "unscheduled"] == 3).all()
    md = a["date"].dt.month * 100 + a["date"].dt.day
    assert not (md.between(801, 821) | (md >= 1222) | (md <= 104)).any()
    assert a.loc[a["visit_type"] == "remote", "date"].dt.month.isin([12, 1, 2]).all()
    assert ((a["assessor"] == "phone") == (a["visit_type"] == "remote")).all()
    # FVC and weight at in-person reviews, IL-6 and CNS-BFS at the programme's visits
    m = tb.measurements.merge(a[["patient_id", "date", "visit_type"]], on=["patient_id", "date"])
    assert len(m) == len(tb.measurements)
    assert set(m.loc[m["measure"].isin(["fvc_pct_pred", "weight_kg"]), "visit_type"]) == {"scheduled"}
    assert set(m.loc[m["measure"].isin(["il6", "cnsbfs"]), "visit_type"]) == {"unscheduled"}


def test_world18_truths_and_no_effect_gives_the_same_data():
    none, untreated, _small, big = check_truths(simulate)
    check_untouched(none, untreated)
    # under no effect the treated patients' ratings, measurements and events are those without the cells too
    for name in ("alsfrs", "measurements", "events"):
        pd.testing.assert_frame_equal(none.tables[name], untreated.tables[name])
    check_effect_after_first_dose(none, big, _totals, {"alsfrs": 1, "fvc_pct_pred": 1, "il6": -1})


def test_recording_the_occasions_draws_the_same_numbers():
    for off in (frozenset(), frozenset({"death", "loss"})):
        check_recording_changes_nothing(simulate, (200, 0.3, 0.3, 4), off)


def test_every_piece_switches_off_and_unknown_pieces_are_refused():
    base = simulate(150, 0.3, 0.3, 4)
    for piece in w18.PIECES:
        off = simulate(150, 0.3, 0.3, 4, frozenset({piece}))
        changed = any(not off.tables[name].equals(base.tables[name]) for name in NAMES[1:])
        changed |= off.truth_realised != base.truth_realised
        assert changed, piece
    every = simulate(150, 0.3, 0.3, 4, frozenset(w18.PIECES))
    assert every.n_treated > 0
    with pytest.raises(ValueError, match="unknown pieces"):
        simulate(50, 0.0, 0.3, 1, frozenset({"nope"}))


def test_the_untreated_course_is_calibrated():
    c = simulate(1000, 0.0, 0.0, 1)
    p, a, ev = c.tables.patients.set_index("patient_id"), c.tables.alsfrs, c.tables.events
    a = a.assign(total=_totals(a), t=(a["date"] - a["patient_id"].map(p["onset_date"])).dt.days / DPM)
    a = a.dropna(subset=["total"])
    slopes = a.groupby("patient_id")[["t", "total"]].apply(spanning_slope, "total").dropna()
    assert -1.15 < slopes.mean() < -0.9 and slopes.median() > slopes.mean()  # right-skewed spread
    assert 39 <= a.groupby("patient_id")["total"].first().median() <= 44
    delay = (p["diagnosis_date"] - p["onset_date"]).dt.days / DPM
    assert 9 < delay.median() < 12
    death = first_event(ev, "death")
    stop = ev[ev["event"].isin(["withdrawal", "lost_to_follow_up"])].groupby("patient_id")["date"].min()
    last = c.tables.alsfrs.groupby("patient_id")["date"].max()
    end = _lock(p)
    end[stop.index] = last.reindex(stop.index)
    end[death.index] = death
    months = ((end - p["onset_date"]).dt.days / DPM).to_numpy()
    assert 30 < km_median(months, p.index.isin(death.index), delay.to_numpy()) < 45


def test_registered_with_its_rule_occasions_and_lag():
    check_registered("world18", w18)


def test_recording_the_raters_draws_the_same_numbers_and_names_who_rated():
    """record_raters adds alsfrs.rater and changes nothing else; the programme's visits are rated by its own two
    raters, the clinic's reviews by the clinic's eight; with the leniencies off every rater reads alike on average."""
    plain = simulate(300, 0.3, 0.3, 4, record_occasions=True)
    named = simulate(300, 0.3, 0.3, 4, record_occasions=True, record_raters=True)
    assert plain.tables["alsfrs"]["rater"].isna().all()
    for name in NAMES:
        drop = ["rater"] if name == "alsfrs" else []
        pd.testing.assert_frame_equal(named.tables[name].drop(columns=drop), plain.tables[name].drop(columns=drop))
    a = named.tables["alsfrs"]
    assert a["rater"].notna().all()
    prog = a["visit_type"] == "unscheduled"
    assert set(a.loc[prog, "rater"]) == {"P1", "P2"}
    assert set(a.loc[~prog, "rater"]) == {f"C{i}" for i in range(1, 9)}
    assert named.truth_realised == plain.truth_realised


def test_the_backlogs_two_parts_make_the_backlog():
    """Both parts of the backlog off (the diagnosis wait's and the reviews') give the tables of the backlog off."""
    both = simulate(200, 0.3, 0.3, 5, frozenset({"backlog_diagnosis", "backlog_reviews"}))
    off = simulate(200, 0.3, 0.3, 5, frozenset({"backlog"}))
    for name in NAMES:
        pd.testing.assert_frame_equal(both.tables[name], off.tables[name])
    assert both.truth_realised == off.truth_realised


def test_ratings_without_the_leniency_change_only_the_recorded_items():
    """leniency_in_ratings off records the same item draws without each rater's leniency while every decision reads
    the ratings as made: the same visits, treatments and events; the items move in the rater's direction only (a
    lenient rater's visits read lower once corrected); with the leniencies off as well, nothing more to correct."""
    on = simulate(300, 0.3, 0.3, 4, record_occasions=True, record_raters=True)
    fixed = simulate(300, 0.3, 0.3, 4, frozenset({"leniency_in_ratings"}), record_occasions=True, record_raters=True)
    for name in NAMES:
        drop = ALL_ITEMS if name == "alsfrs" else []
        pd.testing.assert_frame_equal(fixed.tables[name].drop(columns=drop), on.tables[name].drop(columns=drop))
    assert fixed.truth_realised == on.truth_realised
    a, b = on.tables["alsfrs"], fixed.tables["alsfrs"]
    moved = _totals(a) - _totals(b)
    assert (moved != 0).mean() > 0.2  # a quarter-logit leniency moves many totals by a point or more
    by_rater = moved.groupby(a["rater"]).mean()
    sign = np.sign(by_rater)
    per_visit = np.sign(moved).groupby(a["rater"]).apply(lambda s: set(s.dropna().unique()) - {0.0})
    assert all(per_visit[r] <= {sign[r]} for r in by_rater.index)  # each rater's items move one way only
    off = frozenset({"rater_leniency"})
    both = simulate(300, 0.3, 0.3, 4, off | {"leniency_in_ratings"}, record_occasions=True, record_raters=True)
    none = simulate(300, 0.3, 0.3, 4, off, record_occasions=True, record_raters=True)
    for name in NAMES:
        pd.testing.assert_frame_equal(both.tables[name], none.tables[name])

"""benchmarks/nineteenth_world.py, the held-out nineteenth world: valid canonical data, seeded, the share treated
(5%, 20%, 40%), the screening flag (``alsfrs.eligible``) at the clinic reviews of the programme's intake months only,
sparse (WEST's late form, entry gaps), its recorded criteria rebuilt from the tables and its unrecorded ones biting,
the programme's lottery among the visits screened eligible rebuilt from the tables (totals, FVC, time since
diagnosis, age, site and the allocation list), rare compassionate starts, the delay to the first dose, recording the
occasions or the flag changing nothing else, no effect giving the same data, its truths, every piece switching off
and the untreated calibration.  No estimator is run on it here (it is held out)."""

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
    first_event,
    km_median,
    spanning_slope,
)

import nineteenth_world as w19

ALL_ITEMS = [*w19.ITEMS[:5], "q5b", *w19.ITEMS[5:]]
NAMES = ("patients", "alsfrs", "treatments", "measurements", "events", "adverse_events")
DPM = w19.DPM
simulate = w19.simulate_world19


@pytest.fixture(scope="module")
def cohort():
    return simulate(300, 0.2, 0.3, 7)


@pytest.fixture(scope="module")
def recorded():
    return simulate(1200, 0.2, 0.3, 9, record_occasions=True)


def _totals(a: pd.DataFrame) -> pd.Series:
    return a[ALL_ITEMS].sum(axis=1, min_count=12)


def test_world19_is_valid_canonical_data_and_seeded(tmp_path, cohort):
    check_seeded_round_trip(simulate, (300, 0.2, 0.3, 7), cohort, tmp_path / "w19", NAMES)
    p, a, tr, m, ev, ae = (cohort.tables[name] for name in NAMES)
    assert len(p) == 300 and p["patient_id"].str.startswith("W19").all() and p["patient_id"].is_unique
    assert (p["diagnosis_date"] >= w19.OPENING).all() and (p["diagnosis_date"] > p["onset_date"]).all()
    assert set(p["site"]) == {"EAST", "WEST"} and p["ftd"].isna().all()
    assert not a.duplicated(["patient_id", "date"]).any() and (a["date"] <= w19.LOCK).all()
    items = a[ALL_ITEMS].astype(float)
    assert items.min().min() >= 0 and items.max().max() <= 4
    assert set(a["assessor"]) == {"clinician", "phone"}
    assert (a.loc[_totals(a).isna(), "assessor"] == "phone").all()
    assert not (a["q5a"].notna() & a["q5b"].notna()).any() and a["q5b"].notna().any()
    niv = a["patient_id"].map(first_event(ev, "niv_start"))
    assert (a.loc[a["date"] >= niv, "q12"].dropna() <= 3).all()
    assert set(m["measure"]) == {"fvc_pct_pred", "weight_kg"}
    check_endings(a, tr, ev)
    assert (tr["cell_source"] == "adipose").all() and (tr["donor"] == "autologous").all()
    assert (tr["route"] == "intrathecal").all() and tr["cycle"].between(1, w19.N_DOSES).all()
    assert tr["viability_pct"].between(80, 97).all() and tr["passage"].between(2, 4).all()
    assert len(ae) > 0 and set(ae["term"]) <= set(w19.AE_TERMS)
    # the flag: true, false and empty all appear, and it survives the folder
    assert set(a["eligible"].dropna()) == {True, False} and a["eligible"].isna().any()
    from alscell.io.reader import read_folder
    from alscell.io.writer import write_folder

    write_folder(cohort.tables, tmp_path / "again")
    back = read_folder(tmp_path / "again")
    assert len(back.patients) == 300
    pd.testing.assert_series_equal(back.alsfrs["eligible"], a["eligible"], check_names=False)


def test_share_controls_the_number_treated():
    check_share(simulate, (0.05, 0.2, 0.4), 0.85)


def _with_history(tables) -> pd.DataFrame:
    """Every visit with what the recorded criteria read: total, FVC, weight and its first value, the pace of the
    total since its first complete value, age, months since onset and diagnosis, site, NIV."""
    p, ev, m = tables.patients.set_index("patient_id"), tables.events, tables.measurements
    a = tables.alsfrs.assign(total=_totals(tables.alsfrs).astype(float))
    fvc = m[m["measure"] == "fvc_pct_pred"].set_index(["patient_id", "date"])["value"].rename("fvc")
    wt = m[m["measure"] == "weight_kg"].set_index(["patient_id", "date"])["value"].rename("wt")
    a = a.join(fvc, on=["patient_id", "date"]).join(wt, on=["patient_id", "date"])
    w_first = m[m["measure"] == "weight_kg"].groupby("patient_id")["value"].first()
    full = a.dropna(subset=["total"]).groupby("patient_id")[["date", "total"]].first()
    pid = a["patient_id"]
    span = (a["date"] - pid.map(full["date"])).dt.days / DPM
    niv, gas = pid.map(first_event(ev, "niv_start")), pid.map(first_event(ev, "gastrostomy"))
    return a.assign(
        w_first=pid.map(w_first), span=span, pace=(pid.map(full["total"]) - a["total"]) / span,
        age=a["date"].dt.year - pid.map(p["birth_year"]), since_onset=(a["date"] - pid.map(p["onset_date"])).dt.days / DPM,
        since_dx=(a["date"] - pid.map(p["diagnosis_date"])).dt.days / DPM, site=pid.map(p["site"]),
        escorial=pid.map(p["el_escorial"]), niv=niv.notna() & (niv <= a["date"]),
        gastrostomy=(gas.notna() & (gas <= a["date"])).to_numpy(),
        diagnosis=a["date"] == pid.map(p["diagnosis_date"]),
    )  # fmt: skip


def _recorded_criteria(v: pd.DataFrame) -> pd.Series:
    return (
        v["total"].ge(w19.TOT_MIN) & v["fvc"].ge(w19.FVC_MIN) & v["since_onset"].le(w19.ONSET_MAX)
        & v["age"].le(w19.AGE_MAX) & v["escorial"].ne("suspected") & ~v["niv"]
        & v["wt"].ge(w19.WT_MIN * v["w_first"]) & v["span"].ge(w19.RATE_MONTHS)
        & v["pace"].between(w19.RATE_LO, w19.RATE_HI)
    )  # fmt: skip


def test_the_screening_flag_its_visits_and_its_recorded_criteria(recorded):
    """The flag only at clinic reviews after the diagnosis in the intake months, never at WEST before its form had
    it; where it is true every recorded criterion holds; some visits meeting every recorded criterion are screened
    not eligible (the criteria no column holds); none after the decision of a treated patient."""
    v = _with_history(recorded.tables)
    flagged = v[v["eligible"].notna()]
    assert (flagged["visit_type"] == "scheduled").all() and not flagged["diagnosis"].any()
    assert flagged["date"].dt.month.isin(w19.INTAKE_MONTHS).all()
    assert not ((flagged["site"] == "WEST") & (flagged["date"] < w19.WEST_FORM)).any()
    true = flagged[flagged["eligible"].astype(bool)]
    assert len(true) > 200 and _recorded_criteria(true).all()
    false = flagged[~flagged["eligible"].astype(bool)]
    meets = _recorded_criteria(false)
    assert 0.1 < meets.mean() < 0.6 and meets.sum() > 50  # the unrecorded criteria bite
    dec = recorded.tables.treatments.groupby("patient_id")["decision_date"].first()
    after = flagged["date"] > flagged["patient_id"].map(dec)
    assert not after.any()
    # screened visits not entered: the intake months' reviews of eligible timing with an empty flag
    sched = v[(v["visit_type"] == "scheduled") & ~v["diagnosis"] & v["date"].dt.month.isin(w19.INTAKE_MONTHS)]
    sched = sched[~(sched["date"] > sched["patient_id"].map(dec))]
    empty = sched["eligible"].isna()
    assert empty[(sched["site"] == "EAST")].mean() == pytest.approx(w19.P_NOT_ENTERED, abs=0.03)
    assert empty[(sched["site"] == "WEST") & (sched["date"] < w19.WEST_FORM)].all()


def test_the_documented_treatment_rule_rebuilt_from_the_tables(recorded):
    """Among the visits screened eligible the programme chooses by its points and the allocation list: every start
    at a decision visit whose criterion is under the cut-off, every earlier visit screened eligible above it; starts
    at visits screened not eligible (compassionate use) rare; the lag to the first dose."""
    tb = recorded.tables
    tr = tb.treatments
    assert tr["patient_id"].nunique() == recorded.n_treated > 250
    v = _with_history(tb)
    sched = v[v["visit_type"] == "scheduled"].copy()
    lot = w19.lottery(9, len(tb.patients))
    i = sched["patient_id"].str[3:].astype(int).to_numpy()
    u = lot[i, w19.lot_month((sched["date"] - pd.Timestamp(0)).dt.days.to_numpy())]
    site = (sched["site"] == "WEST").astype(int).to_numpy()
    s = w19.rule_score(sched["total"], sched["fvc"], sched["since_dx"], sched["age"], site, sched["gastrostomy"])
    sched["lg"] = np.log(u) - np.log1p(-u) - s
    first = tr[tr["cycle"] == 1].set_index("patient_id")
    both = sched.merge(first["decision_date"].rename("decided"), left_on="patient_id", right_index=True)
    at = both[both["date"] == both["decided"]]
    assert len(at) == len(first) and at["date"].dt.month.isin(w19.INTAKE_MONTHS).all()
    flags = at["eligible"].map({True: "true", False: "false"}).fillna("empty").value_counts(normalize=True)
    assert flags["true"] > 0.6 and flags["empty"] > 0.05 and flags.get("false", 0) < 0.06
    # each start's criterion (the compassionate ones' with their penalty) is under the cut-off c, and every visit
    # screened eligible before a start above it: so above the largest start's criterion
    exc = at["eligible"].eq(False).fillna(False)
    cut = (at["lg"] + np.where(exc, w19.COMP_PENALTY, 0.0)).max()
    assert (~at.loc[exc, "niv"] & at.loc[exc, "age"].le(w19.AGE_MAX)).all()  # exceptions on disease criteria only
    earlier = both[(both["date"] < both["decided"]) & both["eligible"].eq(True).fillna(False)]
    assert (earlier["lg"] > cut).all()
    never = sched[~sched["patient_id"].isin(first.index) & sched["eligible"].eq(True).fillna(False)]
    assert never.loc[never["lg"] < cut, "patient_id"].nunique() < 0.05 * len(first)
    assert set(w19.RECORDED_RULE_INPUTS) == {"age", "time_since_onset", "time_since_diagnosis", "site", "ventilation",
                                             "gastrostomy", "el_escorial", "fvc_pct_pred", "weight_kg"}  # fmt: skip
    assert w19.DECISION_AT_EVERY_VISIT is False and w19.DECISION_VISIT_TYPES == ("scheduled",)
    assert w19.LEAVE_OUT_VISIT_TYPES == () and len(w19.ELIGIBILITY_UNRECORDED) == 7 and w19.ELIGIBILITY_TEXT
    lag = (first["date"] - first["decision_date"]).dt.days
    assert lag.between(*w19.DOSE_LAG).all() and lag.min() >= w19.DECISION_LAG_DAYS == 35
    trs = tr.sort_values(["patient_id", "date"])
    gaps = trs.groupby("patient_id")["date"].diff().dt.days.dropna()
    assert gaps.between(*w19.DOSE_GAP).all() and (tr["cycle"] == w19.N_DOSES).any()
    assert (tr.groupby("patient_id")["decision_date"].nunique() == 1).all()


def test_the_visits(recorded):
    tb = recorded.tables
    a = tb.alsfrs
    assert set(a["visit_type"]) == {"scheduled", "remote", "home"}
    assert ((a["assessor"] == "phone") == (a["visit_type"] == "remote")).all()
    m = tb.measurements.merge(a[["patient_id", "date", "visit_type"]], on=["patient_id", "date"])
    assert len(m) == len(tb.measurements) and set(m["visit_type"]) == {"scheduled"}
    reviews = a[a["visit_type"] != "remote"]
    gaps = reviews.groupby("patient_id")["date"].diff().dt.days.dropna()
    assert gaps.between(91 - 14, 91 + 14).all()
    first = a.groupby("patient_id").first()
    assert (first["visit_type"] == "scheduled").all()


def test_world19_truths_and_no_effect_gives_the_same_data():
    none, untreated, _small, big = check_truths(simulate)
    # never decided patients keep their data exactly (the decided lose the flag after their decision)
    calm = sorted(set(none.tables.patients["patient_id"][~none.diagnostics["decided"]]))
    for name in ("alsfrs", "measurements", "events"):
        x, y = (c.tables[name] for c in (none, untreated))
        pd.testing.assert_frame_equal(x[x["patient_id"].isin(calm)].reset_index(drop=True),
                                      y[y["patient_id"].isin(calm)].reset_index(drop=True))  # fmt: skip
    # under no effect the treated patients' ratings, measurements and events are those without the cells too
    cols = [c for c in none.tables.alsfrs.columns if c != "eligible"]
    pd.testing.assert_frame_equal(none.tables.alsfrs[cols], untreated.tables.alsfrs[cols])
    for name in ("measurements", "events"):
        pd.testing.assert_frame_equal(none.tables[name], untreated.tables[name])
    check_effect_after_first_dose(none, big, _totals, {"alsfrs": 1, "fvc_pct_pred": 1, "weight_kg": 1})


def test_recording_the_occasions_or_the_flag_draws_the_same_numbers():
    for off in (frozenset(), frozenset({"death", "loss"})):
        check_recording_changes_nothing(simulate, (200, 0.3, 0.3, 4), off)
    args = (300, 0.3, 0.3, 4)
    flag, none = simulate(*args), simulate(*args, record_eligibility=False)
    assert flag.tables.alsfrs["eligible"].notna().any() and none.tables.alsfrs["eligible"].isna().all()
    for name in NAMES:
        cols = [c for c in flag.tables[name].columns if c != "eligible"]
        pd.testing.assert_frame_equal(flag.tables[name][cols], none.tables[name][cols])
    assert (flag.n_treated, flag.truth_window) == (none.n_treated, none.truth_window)


def test_every_piece_switches_off_and_unknown_pieces_are_refused():
    base = simulate(200, 0.3, 0.3, 4)
    unchanged = []
    for piece in w19.PIECES:
        if piece == "compassionate":  # rare: shown where many start, below
            continue
        off = simulate(200, 0.3, 0.3, 4, frozenset({piece}))
        changed = any(not off.tables[name].equals(base.tables[name]) for name in NAMES[1:])
        changed |= off.truth_realised != base.truth_realised
        if not changed:
            unchanged.append(piece)
    assert not unchanged
    many = simulate(600, 0.3, 0.5, 4)
    assert many.diagnostics["exception"].sum() > 0
    assert simulate(600, 0.3, 0.5, 4, frozenset({"compassionate"})).diagnostics["exception"].sum() == 0
    every = simulate(200, 0.3, 0.3, 4, frozenset(w19.PIECES))
    assert every.n_treated > 0
    with pytest.raises(ValueError, match="unknown pieces"):
        simulate(50, 0.0, 0.3, 1, frozenset({"nope"}))


def test_the_untreated_course_is_calibrated():
    c = simulate(1000, 0.0, 0.0, 1)
    p, a, ev = c.tables.patients.set_index("patient_id"), c.tables.alsfrs, c.tables.events
    a = a.assign(total=_totals(a), t=(a["date"] - a["patient_id"].map(p["onset_date"])).dt.days / DPM)
    a = a.dropna(subset=["total"])
    slopes = a.groupby("patient_id")[["t", "total"]].apply(spanning_slope, "total").dropna()
    assert -1.15 < slopes.mean() < -0.85 and slopes.median() > slopes.mean()  # right-skewed spread
    assert 38 <= a.groupby("patient_id")["total"].first().median() <= 43
    delay = (p["diagnosis_date"] - p["onset_date"]).dt.days / DPM
    assert 9 < delay.median() < 13
    death = first_event(ev, "death")
    stop = ev[ev["event"].isin(["withdrawal", "lost_to_follow_up"])].groupby("patient_id")["date"].min()
    last = c.tables.alsfrs.groupby("patient_id")["date"].max()
    end = pd.Series(w19.LOCK, index=p.index)
    end[stop.index] = last.reindex(stop.index)
    end[death.index] = death
    months = ((end - p["onset_date"]).dt.days / DPM).to_numpy()
    assert 30 < km_median(months, p.index.isin(death.index), delay.to_numpy()) < 45


def test_registered_with_its_rule_occasions_and_lag():
    import recorded_eligibility

    check_registered("world19", w19)
    assert {w for w, _, _ in recorded_eligibility.JUDGED} == {"world19"}

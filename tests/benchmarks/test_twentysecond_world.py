"""benchmarks/twentysecond_world.py, the held-out twenty-second world: valid canonical data (through alscell's own
reader), seeded, the share treated (5%, 30%, 60%; eligibility caps it a little below 60%), the programme's rule
rebuilt from the tables (the screening review's recorded limits, the lead-in's decline, the lead-in end's SVC, NfL at
HARBOUR, weight loss, age, site and the allocation list) with its unrecorded willingness biting, decisions at the
clinic visit that closes a lead-in, the delay to the first dose, the measurements (FVC, SVC, weight, NfL with its
specimen), recording the occasions changing nothing else, no effect giving the same data, its truths, every piece
switching off and the untreated calibration (slopes, first total, diagnostic delay, survival, vital capacity, NfL).
No estimator is run on it here (it is held out)."""

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

import twentysecond_world as w22

ALL_ITEMS = [*w22.ITEMS[:5], "q5b", *w22.ITEMS[5:]]
NAMES = ("patients", "alsfrs", "treatments", "measurements", "events", "adverse_events")
DPM = w22.DPM
simulate = w22.simulate_world22


@pytest.fixture(scope="module")
def cohort():
    return simulate(300, 0.2, 0.3, 7)


@pytest.fixture(scope="module")
def recorded():
    return simulate(800, 0.2, 0.6, 9, record_occasions=True)


def _totals(a: pd.DataFrame) -> pd.Series:
    return a[ALL_ITEMS].sum(axis=1, min_count=12)


def test_world22_is_valid_canonical_data_and_seeded(tmp_path, cohort):
    check_seeded_round_trip(simulate, (300, 0.2, 0.3, 7), cohort, tmp_path / "w22", NAMES)
    p, a, tr, m, ev, ae = (cohort.tables[name] for name in NAMES)
    assert len(p) == 300 and p["patient_id"].str.startswith("W22").all() and p["patient_id"].is_unique
    assert (p["diagnosis_date"] >= w22.OPENING).all() and (p["diagnosis_date"] > p["onset_date"]).all()
    assert set(p["site"]) == {"HARBOUR", "VALLEY"}
    assert not a.duplicated(["patient_id", "date"]).any() and (a["date"] <= w22.LOCK).all()
    items = a[ALL_ITEMS].astype(float)
    assert items.min().min() >= 0 and items.max().max() <= 4 and _totals(a).notna().all()
    assert set(a["assessor"]) == {"clinician", "phone"}
    assert not (a["q5a"].notna() & a["q5b"].notna()).any() and a["q5b"].notna().any()
    niv = a["patient_id"].map(first_event(ev, "niv_start"))
    trach = a["patient_id"].map(first_event(ev, "tracheostomy"))
    assert (a.loc[a["date"] >= niv, "q12"] <= 3).all() and (a.loc[a["date"] >= trach, "q12"] == 0).all()
    assert (a.loc[(a["date"] < niv.fillna(w22.LOCK)) & (a["date"] < trach.fillna(w22.LOCK)), "q12"] == 4).all()
    assert set(m["measure"]) == {"fvc_pct_pred", "svc_pct_pred", "weight_kg", "nfl"}
    assert (m["specimen"].notna() == (m["measure"] == "nfl")).all()
    site = m["patient_id"].map(p.set_index("patient_id")["site"])
    nfl = m["measure"] == "nfl"
    assert (m.loc[nfl & (site == "HARBOUR"), "specimen"] == "serum").all()
    assert (m.loc[nfl & (site == "VALLEY"), "specimen"] == "plasma").all()
    # measured at clinic visits only (never at the lead-in's phone rating), FVC only at HARBOUR
    at = m.merge(a[["patient_id", "date", "assessor"]], on=["patient_id", "date"], how="left")
    assert (at["assessor"] == "clinician").all()
    assert (site[m["measure"] == "fvc_pct_pred"] == "HARBOUR").all()
    done = check_endings(a, tr, ev)
    assert set(done["event"]) == {"death", "withdrawal", "lost_to_follow_up"}
    assert (tr["cell_source"] == "bone_marrow").all() and (tr["donor"] == "autologous").all()
    assert (tr["route"] == "intrathecal").all() and tr["cycle"].between(1, w22.N_DOSES).all()
    assert tr["dose_cells"].between(*w22.DOSE_CELLS).all() and tr["viability_pct"].between(85, 98).all()
    assert (tr.groupby("patient_id")["lot"].nunique() == 1).all()  # one autologous lot per patient
    assert len(ae) > 0 and set(ae["term"]) <= set(w22.AE_TERMS)
    assert a["rater"].isna().all() and a["visit_type"].isna().all() and tr["decision_date"].isna().all()


def test_recorded_occasions_pass_alscells_own_validation(tmp_path, recorded):
    from alscell.io.reader import read_folder
    from alscell.io.writer import write_folder

    write_folder(recorded.tables, tmp_path / "occasions")
    back = read_folder(tmp_path / "occasions")
    assert len(back.patients) == 800
    a = recorded.tables.alsfrs
    pd.testing.assert_series_equal(back.alsfrs["visit_type"], a["visit_type"], check_names=False)
    pd.testing.assert_series_equal(back.treatments["decision_date"], recorded.tables.treatments["decision_date"],
                                   check_names=False)  # fmt: skip
    pd.testing.assert_series_equal(back.measurements["specimen"], recorded.tables.measurements["specimen"],
                                   check_names=False)  # fmt: skip


def test_share_controls_the_number_treated():
    check_share(simulate, (0.05, 0.3, 0.6), 0.85)


def _lead_ins(tables, seed: int) -> pd.DataFrame:
    """Every lead-in (a review, the phone rating after it, the clinic visit closing it) with the screening's recorded
    limits at its review and the board's criterion at its end rebuilt from the tables alone (inf where a recorded
    limit fails; the patient's willingness is recorded nowhere)."""
    p, ev, m = tables.patients.set_index("patient_id"), tables.events, tables.measurements
    a = tables.alsfrs.assign(total=_totals(tables.alsfrs).astype(float)).sort_values(["patient_id", "date"])
    a = a.reset_index(drop=True)
    wide = m.pivot_table(index=["patient_id", "date"], columns="measure", values="value")
    a = a.join(wide, on=["patient_id", "date"])
    first_w = m[m["measure"] == "weight_kg"].sort_values("date").groupby("patient_id")["value"].first()
    grp = a.groupby("patient_id")
    phone = a["visit_type"] == "remote"
    a["lead_no"] = phone.astype(int).groupby(a["patient_id"]).cumsum() - 1
    screen = a[grp["visit_type"].shift(-1).eq("remote") & ~phone]
    end = a[grp["visit_type"].shift(1).eq("remote")].copy()
    sc = screen.assign(lead_no=screen["lead_no"] + 1)  # the review's count is before its lead-in's phone rating
    end = end.merge(sc[["patient_id", "lead_no", "date", "total"]].rename(columns={"date": "s_date",
                    "total": "s_total"}), on=["patient_id", "lead_no"])  # fmt: skip
    pid = end["patient_id"]
    months = (end["date"] - end["s_date"]).dt.days.clip(lower=1) / DPM
    end["decline"] = (end["s_total"] - end["total"]) / months
    end["age"] = end["date"].dt.year - pid.map(p["birth_year"])
    niv, trach = (pid.map(first_event(ev, e)) for e in ("niv_start", "tracheostomy"))
    vent = (niv.notna() & (niv <= end["date"])) | (trach.notna() & (trach <= end["date"]))
    site = pid.map(p["site"]).map({s: i for i, s in enumerate(w22.SITES)}).to_numpy()
    elig = end["total"].ge(w22.TOT_END) & end["svc_pct_pred"].ge(w22.SVC_END) & ~vent
    wl = 100 * (1 - end["weight_kg"] / pid.map(first_w))
    s = w22.rule_score(end["decline"], end["nfl"], end["svc_pct_pred"], wl, end["age"], site)
    u = w22.lottery(seed, len(p))[pid.str[3:].astype(int).to_numpy(), end["lead_no"].to_numpy()]
    end["crit"] = np.where(elig, np.log(u) - np.log1p(-u) - s, np.inf)
    # the screening review's recorded limits
    spid = screen["patient_id"]
    vc = np.where(spid.map(p["site"]) == "HARBOUR", screen["fvc_pct_pred"], screen["svc_pct_pred"])
    gas = spid.map(first_event(ev, "gastrostomy"))
    niv_s = spid.map(first_event(ev, "niv_start"))
    screen = screen.assign(ok=screen["total"].ge(w22.TOT_SCREEN) & (vc >= w22.VC_SCREEN)
                           & ((screen["date"] - spid.map(p["onset_date"])).dt.days / DPM <= w22.ONSET_MAX)
                           & (screen["date"].dt.year - spid.map(p["birth_year"]) <= w22.AGE_MAX)
                           & ~(gas <= screen["date"]) & ~(niv_s <= screen["date"]))  # fmt: skip
    return end, screen


def test_the_documented_treatment_rule_rebuilt_from_the_tables(recorded):
    """Every lead-in's review passes the screening's recorded limits; every start at a lead-in's end whose rebuilt
    criterion is under the cut-off; no lead-in after a decision; and a few lead-ins under it that started nobody
    (the patient unwilling, a fact no column holds, or the cells came too late)."""
    tb = recorded.tables
    tr = tb.treatments
    assert tr["patient_id"].nunique() == recorded.n_treated > 350
    end, screen = _lead_ins(tb, 9)
    assert len(screen) > 400 and screen["ok"].all()
    dec = tr[tr["cycle"] == 1].set_index("patient_id")["decision_date"]
    both = end.merge(dec.rename("decided"), left_on="patient_id", right_index=True)
    at = both[both["date"] == both["decided"]]
    assert len(at) == len(dec) and np.isfinite(at["crit"]).all() and (at["visit_type"] == "scheduled").all()
    cut = at["crit"].max()
    assert not (both["date"] > both["decided"]).any()  # the board's decision is final: no lead-in after it
    # an earlier end under the cut-off: the patient was unwilling then and asked again
    early = both[(both["date"] < both["decided"]) & (both["crit"] <= cut)]
    assert early["patient_id"].nunique() < 0.1 * len(dec)
    under = end[~end["patient_id"].isin(dec.index) & (end["crit"] < cut)]["patient_id"].nunique()
    assert 0 < under < 0.25 * len(dec)
    assert set(w22.RECORDED_RULE_INPUTS) >= {"svc_pct_pred", "nfl", "weight_kg", "fvc_pct_pred", "age", "site"}
    # HARBOUR's NfL in the rule matters: without it, other patients start
    blind = simulate(800, 0.2, 0.3, 9, frozenset({"nfl_in_rule"}))
    seen = simulate(800, 0.2, 0.3, 9)
    moved = set(blind.tables.treatments["patient_id"]) ^ set(seen.tables.treatments["patient_id"])
    assert len(moved) > 0.05 * seen.n_treated


def test_decisions_at_lead_in_ends_the_delay_to_the_doses_and_the_visits(recorded):
    tb = recorded.tables
    a, tr = tb.alsfrs, tb.treatments
    assert set(a["visit_type"]) == {"scheduled", "remote"}
    assert w22.DECISION_AT_EVERY_VISIT is False and w22.DECISION_VISIT_TYPES == ("scheduled",)
    assert w22.LEAVE_OUT_VISIT_TYPES == ()
    assert ((a["visit_type"] == "remote") == (a["assessor"] == "phone")).all()
    first = tr[tr["cycle"] == 1]
    lag = (first["date"] - first["decision_date"]).dt.days
    assert lag.between(*w22.DOSE_LAG).all() and lag.min() >= w22.DECISION_LAG_DAYS == 35
    assert (tr.groupby("patient_id")["decision_date"].nunique() == 1).all() and (tr["cycle"] == 3).any()
    t0 = tr.pivot(index="patient_id", columns="cycle", values="date")
    assert ((t0[2] - t0[1]).dt.days.dropna().between(*w22.DOSE_GAP)).all()
    assert ((t0[3] - t0[2]).dt.days.dropna().between(*w22.DOSE_GAP)).all()
    # every phone rating 28-37 days after a review and 19+ days before the clinic visit closing its lead-in
    s = a.sort_values(["patient_id", "date"])
    grp = s.groupby("patient_id")
    ph = s["visit_type"] == "remote"
    before = (s["date"] - grp["date"].shift()).dt.days[ph]
    after = (grp["date"].shift(-1) - s["date"]).dt.days[ph]
    assert before.between(28, 37).all() and (after.dropna() >= 19).all()
    assert (grp["visit_type"].shift()[ph] == "scheduled").all() and (grp["visit_type"].shift(-1)[ph].dropna() ==
                                                                      "scheduled").all()  # fmt: skip
    # clinic visits on weekdays, the first at the diagnosis; review gaps banded by the recorded total
    clinic = s[~ph]
    assert (clinic["date"].dt.weekday < 5).all()
    p = tb.patients.set_index("patient_id")
    assert (
        clinic.groupby("patient_id")["date"].min() == p["diagnosis_date"].reindex(clinic["patient_id"].unique())
    ).all()
    # the measurements the closing visit always takes (SVC unless spirometry failed, NfL)
    m = tb.measurements
    ends = s[grp["visit_type"].shift(1).eq("remote")][["patient_id", "date"]]
    got = ends.merge(m[m["measure"] == "nfl"], on=["patient_id", "date"], how="left")
    assert got["value"].notna().all()


def test_recording_the_occasions_draws_the_same_numbers():
    for off in (frozenset(), frozenset({"death", "loss"})):
        check_recording_changes_nothing(simulate, (200, 0.3, 0.3, 4), off)


def test_world22_truths_and_no_effect_gives_the_same_data():
    none, untreated, _small, big = check_truths(simulate)
    check_untouched(none, untreated)
    for name in ("alsfrs", "measurements", "events"):
        pd.testing.assert_frame_equal(none.tables[name], untreated.tables[name])
    check_effect_after_first_dose(none, big, _totals, {"alsfrs": 1, "svc_pct_pred": 1, "nfl": -1})


def test_every_piece_switches_off_and_unknown_pieces_are_refused():
    base = simulate(150, 0.3, 0.3, 4)
    unchanged = []
    for piece in w22.PIECES:
        off = simulate(150, 0.3, 0.3, 4, frozenset({piece}))
        changed = any(not off.tables[name].equals(base.tables[name]) for name in NAMES[1:])
        changed |= off.truth_realised != base.truth_realised
        if not changed:
            unchanged.append(piece)
    assert not unchanged
    every = simulate(150, 0.3, 0.3, 4, frozenset(w22.PIECES))
    assert every.n_treated > 0 and (every.tables.alsfrs["assessor"] == "clinician").all()
    with pytest.raises(ValueError, match="unknown pieces"):
        simulate(50, 0.0, 0.3, 1, frozenset({"nope"}))


def test_the_untreated_course_is_calibrated():
    """Against published figures: the mean ALSFRS-R slope (-0.99 PRO-ACT, -0.89 population-based), a right-skewed
    spread, the first total, the diagnostic delay (about a year), median survival from onset 30-45 months, the slow
    vital capacity's decline (-2.7 % predicted/month in trial placebo arms, Andrews et al., JAMA Neurol 2018), and
    a baseline NfL that predicts the slope."""
    c = simulate(1000, 0.0, 0.0, 1, record_occasions=True)
    p, a, ev, m = c.tables.patients.set_index("patient_id"), c.tables.alsfrs, c.tables.events, c.tables.measurements
    a = a.assign(total=_totals(a), t=(a["date"] - a["patient_id"].map(p["onset_date"])).dt.days / DPM)
    slopes = a.groupby("patient_id")[["t", "total"]].apply(spanning_slope, "total").dropna()
    assert -1.1 < slopes.mean() < -0.9 and slopes.median() > slopes.mean()  # right-skewed spread
    assert 40 <= a.groupby("patient_id")["total"].first().median() <= 44
    delay = (p["diagnosis_date"] - p["onset_date"]).dt.days / DPM
    assert 9 < delay.median() < 13
    death = first_event(ev, "death")
    stop = ev[ev["event"].isin(["withdrawal", "lost_to_follow_up"])].groupby("patient_id")["date"].min()
    last = c.tables.alsfrs.groupby("patient_id")["date"].max()
    end = pd.Series(w22.LOCK, index=p.index)
    end[stop.index] = last.reindex(stop.index)
    end[death.index] = death
    months = ((end - p["onset_date"]).dt.days / DPM).to_numpy()
    assert 28 < km_median(months, p.index.isin(death.index), delay.to_numpy()) < 45
    m = m.assign(t=(m["date"] - m["patient_id"].map(p["onset_date"])).dt.days / DPM)
    svc = m[m["measure"] == "svc_pct_pred"]
    svc_slopes = svc.groupby("patient_id")[["t", "value"]].apply(spanning_slope, "value").dropna()
    assert -3.0 < svc_slopes.mean() < -1.5
    nfl0 = m[m["measure"] == "nfl"].sort_values("date").groupby("patient_id")["value"].first()
    assert 40 < nfl0.median() < 150
    both = pd.concat([np.log(nfl0).rename("nfl"), slopes.rename("slope")], axis=1).dropna()
    assert both.corr().loc["nfl", "slope"] < -0.3  # higher NfL, faster decline


def test_world22_registered_with_its_rule_occasions_and_lag():
    check_registered("world22", w22)

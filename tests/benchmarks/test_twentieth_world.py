"""benchmarks/twentieth_world.py, the held-out twentieth world: valid canonical data (raters recorded included),
seeded, the share treated (5%, 30%, 60%), the clinician's rule rebuilt from the tables (the review's total and its
decline since the previous review, FVC, age, time since onset, site, NIV, gastrostomy and the allocation list) with
its unrecorded willingness biting, decisions at the clinic reviews, the delay to the first dose, the clinic days and
the portal's self-ratings, the raters (sites, posts, continuity, turnover, sparse recording, none on self-ratings),
recording the occasions or the raters changing nothing else, no effect giving the same data, its truths, every piece
switching off and the untreated calibration.  No estimator is run on it here (it is held out)."""

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

import twentieth_world as w20

ALL_ITEMS = [*w20.ITEMS[:5], "q5b", *w20.ITEMS[5:]]
NAMES = ("patients", "alsfrs", "treatments", "measurements", "events", "adverse_events")
DPM = w20.DPM
simulate = w20.simulate_world20


@pytest.fixture(scope="module")
def cohort():
    return simulate(300, 0.2, 0.3, 7)


@pytest.fixture(scope="module")
def recorded():
    return simulate(800, 0.2, 0.6, 9, record_occasions=True, record_raters=True)


def _totals(a: pd.DataFrame) -> pd.Series:
    return a[ALL_ITEMS].sum(axis=1, min_count=12)


def test_world20_is_valid_canonical_data_and_seeded(tmp_path, cohort):
    check_seeded_round_trip(simulate, (300, 0.2, 0.3, 7), cohort, tmp_path / "w20", NAMES)
    p, a, tr, m, ev, ae = (cohort.tables[name] for name in NAMES)
    assert len(p) == 300 and p["patient_id"].str.startswith("W20").all() and p["patient_id"].is_unique
    assert (p["diagnosis_date"] >= w20.OPENING).all() and (p["diagnosis_date"] > p["onset_date"]).all()
    assert set(p["site"]) == {"NORTH", "SOUTH", "COAST"}
    assert not a.duplicated(["patient_id", "date"]).any() and (a["date"] <= w20.LOCK).all()
    items = a[ALL_ITEMS].astype(float)
    assert items.min().min() >= 0 and items.max().max() <= 4
    assert set(a["assessor"]) == {"clinician", "self"}
    assert (a.loc[_totals(a).isna(), "assessor"] == "self").all()
    assert not (a["q5a"].notna() & a["q5b"].notna()).any() and a["q5b"].notna().any()
    niv = a["patient_id"].map(first_event(ev, "niv_start"))
    assert (a.loc[a["date"] >= niv, "q12"].dropna() <= 3).all()
    assert set(m["measure"]) == {"fvc_pct_pred", "weight_kg"}
    check_endings(a, tr, ev)
    assert (tr["cell_source"] == "wharton_jelly").all() and (tr["donor"] == "allogeneic").all()
    assert (tr["route"] == "intrathecal").all() and tr["cycle"].between(1, w20.N_DOSES).all()
    assert tr["viability_pct"].between(85, 98).all() and tr["passage"].between(3, 5).all()
    assert len(ae) > 0 and set(ae["term"]) <= set(w20.AE_TERMS)
    assert a["rater"].isna().all() and a["visit_type"].isna().all()


def test_raters_recorded_pass_alscells_own_validation(tmp_path, recorded):
    from alscell.io.reader import read_folder
    from alscell.io.writer import write_folder

    write_folder(recorded.tables, tmp_path / "raters")
    back = read_folder(tmp_path / "raters")
    assert len(back.patients) == 800
    a = recorded.tables.alsfrs
    pd.testing.assert_series_equal(back.alsfrs["rater"], a["rater"], check_names=False)
    pd.testing.assert_series_equal(back.alsfrs["visit_type"], a["visit_type"], check_names=False)
    assert a["rater"].dropna().str.fullmatch(r"[A-Za-z0-9_.-]{1,40}").all()
    assert a.loc[a["assessor"] == "self", "rater"].isna().all()  # rule rater_on_self_report


def test_share_controls_the_number_treated():
    check_share(simulate, (0.05, 0.3, 0.6), 0.85)


def _reviews(tables, seed: int) -> pd.DataFrame:
    """Every clinic review with the clinician's criterion rebuilt from the tables alone (inf where a recorded
    criterion fails; the patient's willingness is recorded nowhere)."""
    p, ev, m = tables.patients.set_index("patient_id"), tables.events, tables.measurements
    a = tables.alsfrs.assign(total=_totals(tables.alsfrs).astype(float))
    a = a[a["visit_type"] == "scheduled"].sort_values(["patient_id", "date"]).reset_index(drop=True)
    fvc = m[m["measure"] == "fvc_pct_pred"].set_index(["patient_id", "date"])["value"].rename("fvc")
    a = a.join(fvc, on=["patient_id", "date"])
    pid = a["patient_id"]
    grp = a.groupby("patient_id")
    a["k"] = grp.cumcount()
    months = grp["date"].diff().dt.days / DPM
    a["decline"] = -grp["total"].diff() / months
    a["age"] = a["date"].dt.year - pid.map(p["birth_year"])
    a["since_onset"] = (a["date"] - pid.map(p["onset_date"])).dt.days / DPM
    niv, gas = pid.map(first_event(ev, "niv_start")), pid.map(first_event(ev, "gastrostomy"))
    a["niv"] = niv.notna() & (niv <= a["date"])
    a["gas"] = gas.notna() & (gas <= a["date"])
    site = pid.map(p["site"]).map({s: i for i, s in enumerate(w20.SITES)}).to_numpy()
    elig = (
        (a["k"] >= 1) & a["total"].ge(w20.TOT_MIN) & a["decline"].ge(w20.DECLINE_MIN) & a["fvc"].ge(w20.FVC_MIN)
        & a["since_onset"].le(w20.ONSET_MAX) & a["age"].le(w20.AGE_MAX) & ~a["niv"] & ~a["gas"]
    )  # fmt: skip
    lot = w20.lottery(seed, len(p))
    u = lot[pid.str[3:].astype(int).to_numpy(), np.minimum(a["k"].to_numpy(), w20.N_REV - 1)]
    s = w20.rule_score(a["total"], a["decline"].fillna(0.0), a["age"], site)
    a["crit"] = np.where(elig, np.log(u) - np.log1p(-u) - s, np.inf)
    return a


def test_the_documented_treatment_rule_rebuilt_from_the_tables(recorded):
    """Every start at a clinic review whose rebuilt criterion is under the cut-off, every earlier review of the
    started above it, and a few never started under it (unwilling, or the cells came too late)."""
    tb = recorded.tables
    tr = tb.treatments
    assert tr["patient_id"].nunique() == recorded.n_treated > 350
    rv = _reviews(tb, 9)
    dec = tr[tr["cycle"] == 1].set_index("patient_id")["decision_date"]
    both = rv.merge(dec.rename("decided"), left_on="patient_id", right_index=True)
    at = both[both["date"] == both["decided"]]
    assert len(at) == len(dec) and np.isfinite(at["crit"]).all() and (at["k"] >= 1).all()
    cut = at["crit"].max()
    assert (both.loc[both["date"] < both["decided"], "crit"] > cut).all()
    under = rv[~rv["patient_id"].isin(dec.index) & (rv["crit"] < cut)]["patient_id"].nunique()
    assert 0 < under < 0.25 * len(dec)  # the unrecorded willingness bites, rarely
    assert set(w20.RECORDED_RULE_INPUTS) == {"age", "time_since_onset", "site", "ventilation", "gastrostomy",
                                             "fvc_pct_pred"}  # fmt: skip


def test_decisions_at_reviews_the_delay_to_the_dose_and_the_visits(recorded):
    tb = recorded.tables
    a, tr, p = tb.alsfrs, tb.treatments, tb.patients.set_index("patient_id")
    assert set(a["visit_type"]) == {"scheduled", "remote"}
    assert w20.DECISION_AT_EVERY_VISIT is False and w20.DECISION_VISIT_TYPES == ("scheduled",)
    assert w20.LEAVE_OUT_VISIT_TYPES == ()
    first = tr[tr["cycle"] == 1]
    at = first.merge(a, left_on=["patient_id", "decision_date"], right_on=["patient_id", "date"])
    assert len(at) == len(first) and at["visit_type"].isin(w20.DECISION_VISIT_TYPES).all()
    lag = (first["date"] - first["decision_date"]).dt.days
    assert lag.between(*w20.DOSE_LAG).all() and lag.min() >= w20.DECISION_LAG_DAYS == 14
    assert (tr.groupby("patient_id")["decision_date"].nunique() == 1).all() and (tr["cycle"] == w20.N_DOSES).any()
    gaps = tr.sort_values(["patient_id", "date"]).groupby("patient_id")["date"].diff().dt.days.dropna()
    assert gaps.between(*w20.DOSE_GAP).all()
    # reviews on the site's clinic day, about three-monthly; portal ratings self-rated, between them
    assert ((a["assessor"] == "self") == (a["visit_type"] == "remote")).all()
    rev = a[a["visit_type"] == "scheduled"]
    day = rev["patient_id"].map(p["site"]).map(dict(zip(w20.SITES, w20.CLINIC_WEEKDAY, strict=True)))
    assert (rev["date"].dt.weekday == day).all()
    rg = rev.groupby("patient_id")["date"].diff().dt.days.dropna()
    assert rg.between(77, 105 + 70 + 6).all() and 85 <= rg.median() <= 100
    assert (rev.groupby("patient_id")["date"].min() == p["diagnosis_date"].reindex(rev["patient_id"].unique())).all()
    m = tb.measurements.merge(a[["patient_id", "date", "visit_type"]], on=["patient_id", "date"])
    assert len(m) == len(tb.measurements) and set(m["visit_type"]) == {"scheduled"}
    assert 0.1 < (a["visit_type"] == "remote").mean() < 0.35


def test_the_raters_sites_posts_continuity_turnover_and_gaps(recorded):
    """Each rater rates at one site only; a patient's reviews are mostly rated by one person; posts change hands
    (raters whose last rating is years before the lock); the rater is empty on self-ratings, on some clinic reviews,
    and at COAST before its form had the field; with the gaps off every clinic review names its rater."""
    tb = recorded.tables
    a = tb.alsfrs.merge(tb.patients[["patient_id", "site"]], on="patient_id")
    rev = a[a["visit_type"] == "scheduled"]
    named = rev.dropna(subset=["rater"])
    assert (named.groupby("rater")["site"].nunique() == 1).all()
    assert (named["rater"].str[0] == named["site"].str[0]).all()
    assert set(named["rater"]) <= set(w20.RATER_IDS) and named["rater"].nunique() >= 15
    modal = named.groupby("patient_id")["rater"].agg(lambda s: s.value_counts(normalize=True).iloc[0])
    several = named.groupby("patient_id")["rater"].size() >= 4
    assert modal[several].mean() > 0.55 and (named.groupby("patient_id")["rater"].nunique()[several] >= 2).mean() > 0.5
    span = named.groupby("rater")["date"].agg(["min", "max"])
    assert (span["max"] < w20.LOCK - pd.Timedelta(days=365)).sum() >= 2  # raters who left
    assert (span["min"] > w20.OPENING + pd.Timedelta(days=365)).sum() >= 2  # raters who joined
    empty = rev["rater"].isna()
    coast_early = (rev["site"] == "COAST") & (rev["date"] < w20.COAST_FORM)
    assert empty[coast_early].all() and 0.04 < empty[~coast_early].mean() < 0.11
    full = simulate(300, 0.2, 0.3, 4, frozenset({"rater_gaps"}), record_occasions=True, record_raters=True)
    fa = full.tables.alsfrs
    assert fa.loc[fa["visit_type"] == "scheduled", "rater"].notna().all()
    assert fa.loc[fa["visit_type"] == "remote", "rater"].isna().all()


def test_recording_the_raters_draws_the_same_numbers():
    for off in (frozenset(), frozenset({"death", "loss"})):
        plain = simulate(250, 0.3, 0.3, 4, off, record_occasions=True)
        named = simulate(250, 0.3, 0.3, 4, off, record_occasions=True, record_raters=True)
        assert plain.tables.alsfrs["rater"].isna().all() and named.tables.alsfrs["rater"].notna().mean() > 0.5
        for name in NAMES:
            drop = ["rater"] if name == "alsfrs" else []
            pd.testing.assert_frame_equal(named.tables[name].drop(columns=drop),
                                          plain.tables[name].drop(columns=drop))  # fmt: skip
        assert (named.n_treated, named.truth_realised) == (plain.n_treated, plain.truth_realised)


def test_recording_the_occasions_draws_the_same_numbers():
    for off in (frozenset(), frozenset({"death", "loss"})):
        check_recording_changes_nothing(simulate, (200, 0.3, 0.3, 4), off)


def test_world20_truths_and_no_effect_gives_the_same_data():
    none, untreated, _small, big = check_truths(simulate)
    check_untouched(none, untreated)
    for name in ("alsfrs", "measurements", "events"):
        pd.testing.assert_frame_equal(none.tables[name], untreated.tables[name])
    check_effect_after_first_dose(none, big, _totals, {"alsfrs": 1, "fvc_pct_pred": 1})


def test_every_piece_switches_off_and_unknown_pieces_are_refused():
    base = simulate(150, 0.3, 0.3, 4, record_raters=True)
    unchanged = []
    for piece in w20.PIECES:
        off = simulate(150, 0.3, 0.3, 4, frozenset({piece}), record_raters=True)
        changed = any(not off.tables[name].equals(base.tables[name]) for name in NAMES[1:])
        changed |= off.truth_realised != base.truth_realised
        if not changed:
            unchanged.append(piece)
    assert not unchanged
    every = simulate(150, 0.3, 0.3, 4, frozenset(w20.PIECES))
    assert every.n_treated > 0
    with pytest.raises(ValueError, match="unknown pieces"):
        simulate(50, 0.0, 0.3, 1, frozenset({"nope"}))


def test_the_untreated_course_is_calibrated():
    c = simulate(1000, 0.0, 0.0, 1)
    p, a, ev = c.tables.patients.set_index("patient_id"), c.tables.alsfrs, c.tables.events
    a = a.assign(total=_totals(a), t=(a["date"] - a["patient_id"].map(p["onset_date"])).dt.days / DPM)
    a = a.dropna(subset=["total"])
    slopes = a.groupby("patient_id")[["t", "total"]].apply(spanning_slope, "total").dropna()
    assert -1.1 < slopes.mean() < -0.9 and slopes.median() > slopes.mean()  # right-skewed spread
    assert 38 <= a.groupby("patient_id")["total"].first().median() <= 42
    delay = (p["diagnosis_date"] - p["onset_date"]).dt.days / DPM
    assert 9 < delay.median() < 13
    death = first_event(ev, "death")
    stop = ev[ev["event"].isin(["withdrawal", "lost_to_follow_up"])].groupby("patient_id")["date"].min()
    last = c.tables.alsfrs.groupby("patient_id")["date"].max()
    end = pd.Series(w20.LOCK, index=p.index)
    end[stop.index] = last.reindex(stop.index)
    end[death.index] = death
    months = ((end - p["onset_date"]).dt.days / DPM).to_numpy()
    assert 30 < km_median(months, p.index.isin(death.index), delay.to_numpy()) < 45


def test_registered_with_its_rule_occasions_and_lag():
    check_registered("world20", w20)

"""benchmarks/sixteenth_world.py, the held-out sixteenth world: valid canonical data, seeded, the share treated, the
board's rule rebuilt from the tables alone (MUNIX, totals, age, time since onset, riluzole, NIV, gastrostomy and the
allocation list), decisions at clinic reviews only, the delay to the first dose, the visit types, recording the
occasions changing nothing else, its truths, every piece switching off and the untreated calibration.  No
estimator is run on it here (it is held out)."""

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

import sixteenth_world as w16

ALL_ITEMS = [*w16.ITEMS[:5], "q5b", *w16.ITEMS[5:]]
NAMES = ("patients", "alsfrs", "treatments", "measurements", "events", "adverse_events")
DPM = w16.DPM
simulate = w16.simulate_world16


@pytest.fixture(scope="module")
def cohort():
    return simulate(300, 0.2, 0.3, 7)


@pytest.fixture(scope="module")
def recorded():
    return simulate(600, 0.2, 0.3, 9, record_occasions=True)


def _totals(a: pd.DataFrame) -> pd.Series:
    return a[ALL_ITEMS].sum(axis=1, min_count=12)


def test_world16_is_valid_canonical_data_and_seeded(tmp_path, cohort):
    check_seeded_round_trip(simulate, (300, 0.2, 0.3, 7), cohort, tmp_path / "w16", NAMES)
    p, a, tr, m, ev, ae = (cohort.tables[name] for name in NAMES)
    assert len(p) == 300 and p["patient_id"].str.startswith("W16").all() and p["patient_id"].is_unique
    assert (p["diagnosis_date"] >= w16.OPENING).all() and (p["diagnosis_date"] > p["onset_date"]).all()
    assert not a.duplicated(["patient_id", "date"]).any() and a["date"].max() <= w16.LOCK
    items = a[ALL_ITEMS].astype(float)
    assert items.min().min() >= 0 and items.max().max() <= 4
    assert set(a["assessor"]) == {"clinician", "phone"}
    assert (a.loc[_totals(a).isna(), "assessor"] == "phone").all()
    assert not (a["q5a"].notna() & a["q5b"].notna()).any() and a["q5b"].notna().any()
    niv = a["patient_id"].map(first_event(ev, "niv_start"))
    assert (a.loc[a["date"] >= niv, "q12"].dropna() <= 3).all()
    assert set(m["measure"]) == {"fvc_pct_pred", "weight_kg", "munix"}
    check_endings(a, tr, ev)
    assert (tr["cell_source"] == "wharton_jelly").all() and (tr["donor"] == "allogeneic").all()
    assert (tr["route"] == "intrathecal").all() and tr["cycle"].between(1, 3).all()
    assert len(ae) > 0 and set(ae["term"]) <= set(w16.AE_TERMS)


def test_share_controls_the_number_treated():
    check_share(simulate, (0.05, 0.2, 0.4), 0.85)


def _occasions(tables, seed: int) -> pd.DataFrame:
    """Every clinic review after the diagnosis with the board's criterion rebuilt from the tables alone."""
    p, ev, m = tables.patients.set_index("patient_id"), tables.events, tables.measurements
    a = tables.alsfrs.assign(total=_totals(tables.alsfrs).astype(float))
    mu = m[m["measure"] == "munix"].set_index(["patient_id", "date"])["value"].rename("munix")
    a = a.join(mu, on=["patient_id", "date"])
    lot = w16.lottery(seed, len(p))
    niv, gas = first_event(ev, "niv_start"), first_event(ev, "gastrostomy")
    rows = []
    for pid, g in a.groupby("patient_id", sort=False):
        pt = p.loc[pid]
        i = int(pid[3:])
        seen = g["munix"].dropna()
        for day, r in g[g["visit_type"] == "scheduled"].iterrows():
            day = r["date"]
            k = round((day - pt["diagnosis_date"]).days / DPM)
            if k < 1:
                continue
            age = day.year - pt["birth_year"]
            before = seen[g.loc[seen.index, "date"] < day]
            first = before.iloc[0] if len(before) else np.nan
            first_day = g.loc[before.index[0], "date"] if len(before) else day
            elig = (
                np.isfinite(r["total"]) and (day - pt["onset_date"]).days / DPM <= 36 and str(pt["riluzole"]).lower() == "true"
                and not niv.get(pid, pd.Timestamp.max) <= day and not gas.get(pid, pd.Timestamp.max) <= day
                and np.isfinite(r["munix"]) and np.isfinite(first) and r["munix"] >= 0.4 * first
            )  # fmt: skip
            fall = 100 * (1 - r["munix"] / first) / ((day - first_day).days / DPM) if elig else np.nan
            s = float(w16.rule_score(fall, r["total"], age))
            u = lot[i, k // 4]
            rows.append((pid, day, np.log(u) - np.log1p(-u) - s if elig else np.inf))
    return pd.DataFrame(rows, columns=["patient_id", "date", "crit"])


def test_the_documented_treatment_rule_rebuilt_from_the_tables(recorded):
    tb = recorded.tables
    tr = tb.treatments
    assert tr["patient_id"].nunique() == recorded.n_treated > 50
    occ = _occasions(tb, 9)
    dec = tr[tr["cycle"] == 1].set_index("patient_id")["decision_date"]
    both = occ.merge(dec.rename("decided"), left_on="patient_id", right_index=True)
    at = both[both["date"] == both["decided"]]
    assert len(at) == len(dec) and np.isfinite(at["crit"]).all()
    cut = at["crit"].max()
    assert (both.loc[both["date"] < both["decided"], "crit"] > cut).all()
    under = occ[~occ["patient_id"].isin(dec.index) & (occ["crit"] < cut)]["patient_id"].nunique()
    assert under < 0.2 * len(dec)
    assert set(w16.RECORDED_RULE_INPUTS) == {"age", "time_since_onset", "ventilation", "gastrostomy", "riluzole",
                                             "munix"}  # fmt: skip


def test_decisions_at_clinic_reviews_and_the_delay_to_the_dose(recorded):
    from alscell.domain.vocabulary import VISIT_TYPES

    tb = recorded.tables
    a, tr = tb.alsfrs, tb.treatments
    assert set(a["visit_type"]) == set(VISIT_TYPES)
    assert w16.DECISION_AT_EVERY_VISIT is False and w16.DECISION_VISIT_TYPES == ("scheduled",)
    assert w16.LEAVE_OUT_VISIT_TYPES == ("inpatient",)
    first = tr[tr["cycle"] == 1]
    at = first.merge(a, left_on=["patient_id", "decision_date"], right_on=["patient_id", "date"])
    assert len(at) == len(first) and at["visit_type"].isin(w16.DECISION_VISIT_TYPES).all()
    lag = (first["date"] - first["decision_date"]).dt.days
    assert lag.between(*w16.DOSE_LAG).all() and lag.min() >= w16.DECISION_LAG_DAYS == 21
    dd = tr.groupby("patient_id")["decision_date"].nunique()
    assert (dd == 1).all() and (tr["cycle"] == 3).any()
    # phone ratings by phone; measurements only in the clinic
    assert ((a["assessor"] == "phone") == (a["visit_type"] == "remote")).all()
    m = tb.measurements.merge(a[["patient_id", "date", "visit_type"]], on=["patient_id", "date"])
    assert set(m.loc[m["measure"] == "munix", "visit_type"]) == {"scheduled"}
    assert not m["visit_type"].isin(["home", "remote"]).any()


def test_world16_truths():
    none, untreated, _small, big = check_truths(simulate)
    check_untouched(none, untreated)
    check_effect_after_first_dose(none, big, _totals, {"alsfrs": 1})


def test_recording_the_occasions_draws_the_same_numbers():
    for off in (frozenset(), frozenset({"death", "unanswered_calls"})):
        check_recording_changes_nothing(simulate, (200, 0.3, 0.3, 4), off)


def test_every_piece_switches_off_and_unknown_pieces_are_refused():
    base = simulate(200, 0.3, 0.3, 4)
    for piece in w16.PIECES:
        off = simulate(200, 0.3, 0.3, 4, frozenset({piece}))
        changed = any(not off.tables[name].equals(base.tables[name]) for name in NAMES[1:])
        changed |= off.truth_realised != base.truth_realised
        assert changed, piece
    every = simulate(200, 0.3, 0.3, 4, frozenset(w16.PIECES))
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
    assert 37 <= a.groupby("patient_id")["total"].first().median() <= 41
    delay = (p["diagnosis_date"] - p["onset_date"]).dt.days / DPM
    death = first_event(ev, "death")
    stop = ev[ev["event"].isin(["withdrawal", "lost_to_follow_up"])].groupby("patient_id")["date"].min()
    last = a.groupby("patient_id")["date"].max()
    end = pd.Series(w16.LOCK, index=p.index)
    end[stop.index] = last.reindex(stop.index)
    end[death.index] = death
    months = ((end - p["onset_date"]).dt.days / DPM).to_numpy()
    assert 30 < km_median(months, p.index.isin(death.index), delay.to_numpy()) < 45

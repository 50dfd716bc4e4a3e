"""benchmarks/eleventh_world.py, the held-out eleventh world: valid canonical data, seeded, the share of patients
treated, the documented treatment rule (a strength asymmetry, injections on the cell clinic's sessions) checked on
the tables, the pandemic's phone reviews, its truths (pulses of a course of intramuscular injections), every piece
switching off and the untreated course's calibration.  No estimator is run on it here (it is held out)."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from world_checks import (
    check_effect_after_first_dose,
    check_endings,
    check_seeded_round_trip,
    check_share,
    check_truths,
    check_untouched,
    first_event,
)

import eleventh_world

ALL_ITEMS = [*eleventh_world.ITEMS[:5], "q5b", *eleventh_world.ITEMS[5:]]
NAMES = ("patients", "alsfrs", "treatments", "measurements", "events")
DPM = eleventh_world.DPM
simulate = eleventh_world.simulate_world11


@pytest.fixture(scope="module")
def cohort():
    return simulate(300, 0.2, 0.3, 7)


@pytest.fixture(scope="module")
def treated_cohort():
    return simulate(600, 0.5, 0.35, 12)


@pytest.fixture(scope="module")
def truths():
    return check_truths(simulate)


def _totals(a: pd.DataFrame) -> pd.Series:
    return a[ALL_ITEMS].sum(axis=1, min_count=12)


def _strength(a: pd.DataFrame, m: pd.DataFrame) -> pd.DataFrame:
    """The visits with their four strengths (grip left/right, quadriceps left/right) as columns."""
    wide = m.assign(key=m["measure"] + "_" + m["side"]).pivot_table(
        index=["patient_id", "date"], columns="key", values="value"
    )
    return a.merge(wide.reset_index(), on=["patient_id", "date"], how="left")


def _decision_ratios(p: pd.DataFrame, a: pd.DataFrame, firsts: pd.DataFrame, ev: pd.DataFrame) -> pd.Series:
    """Per first injection, the weaker/stronger strength ratio of the injected limb at the qualifying visit: an
    in-person visit 28-48 days before it where the documented rule holds (asserted to exist)."""
    niv, gas = first_event(ev, "niv_start"), first_event(ev, "gastrostomy")
    pts = p.set_index("patient_id")
    ratios = {}
    for pid, row in firsts.iterrows():
        v = a[a["patient_id"] == pid]
        cols = (
            ["grip_kg_left", "grip_kg_right"] if "deltoid" in row["target_muscles"] else ["hhd_kg_left", "hhd_kg_right"]
        )
        gap = (row["date"] - v["date"]).dt.days
        for _, dec in v[gap.between(28, 48) & v[cols[0]].notna()].iterrows():
            weak, strong = dec[cols].min(), dec[cols].max()
            earlier = v[(v["date"] < dec["date"]) & v[cols[0]].notna()]
            if (
                weak / strong <= 0.75 + 1e-9 and weak >= 5 and len(earlier) >= 1 and dec["total"] >= 24
                and (dec["date"] - pts.loc[pid, "diagnosis_date"]).days <= 36 * DPM
                and dec["date"].year - pts.loc[pid, "birth_year"] <= 80
                and not niv.get(pid, pd.Timestamp.max) < dec["date"]
                and not gas.get(pid, pd.Timestamp.max) < dec["date"]
            ):  # fmt: skip
                ratios[pid] = weak / strong
        assert pid in ratios, pid
    return pd.Series(ratios)


def test_world11_is_valid_canonical_data_and_seeded(tmp_path, cohort):
    check_seeded_round_trip(simulate, (300, 0.2, 0.3, 7), cohort, tmp_path / "w11", NAMES)
    p, a, tr, m, ev = (cohort.tables[name] for name in NAMES)
    assert len(p) == 300 and p["patient_id"].str.startswith("W11").all() and p["patient_id"].is_unique
    assert set(p["patient_id"]) == set(a["patient_id"])
    assert set(p["site"]) == set(eleventh_world.SITES)
    assert (p["diagnosis_date"] >= eleventh_world.OPENING).all() and (p["diagnosis_date"] > p["onset_date"]).all()
    # the first visit is the diagnosis, at the clinic
    first = a.groupby("patient_id").first()
    assert (first["date"] == p.set_index("patient_id")["diagnosis_date"].reindex(first.index)).all()
    assert (first["assessor"] == "clinician").all()
    assert a["date"].max() <= eleventh_world.LOCK and not a.duplicated(["patient_id", "date"]).any()
    assert a.equals(a.sort_values(["patient_id", "date"], kind="stable"))
    items = a[ALL_ITEMS]
    assert items.min().min() >= 0 and items.max().max() <= 4
    total = _totals(a)
    assert 0.001 < total.isna().mean() < 0.05 and set(a.loc[total.isna(), "assessor"]) == {"phone"}
    assert not (a["q5a"].notna() & a["q5b"].notna()).any() and a["q5b"].notna().any()
    gastro = a["patient_id"].map(first_event(ev, "gastrostomy"))
    assert (a.loc[a["q5b"].notna(), "date"] >= gastro[a["q5b"].notna()]).all()
    niv = a["patient_id"].map(first_event(ev, "niv_start"))
    assert (a.loc[a["date"] > niv, "q12"].dropna() <= 3).all()
    # phone reviews in the pandemic months only (after the first visit); dynamometry at in-person visits only
    start, end = eleventh_world.PANDEMIC
    phone = a["assessor"] == "phone"
    assert phone.any() and a.loc[phone, "date"].between(start, end).all()
    assert (a.loc[a["date"].between(start, end) & ~a.index.isin(first.index), "assessor"].size) > 0
    assert set(m["measure"]) == {"grip_kg", "hhd_kg"} and (m["unit"] == "kg").all()
    assert set(m["side"]) == {"left", "right"} and (m.loc[m["measure"] == "hhd_kg", "muscle"] == "quadriceps").all()
    seen = m.merge(a[["patient_id", "date", "assessor"]], on=["patient_id", "date"], how="left")
    assert (seen["assessor"] == "clinician").all()
    assert (m.groupby(["patient_id", "date"]).size() == 4).all()
    check_endings(a, tr, ev)


def test_share_controls_the_number_treated():
    check_share(simulate, (0.05, 0.2, 0.4), 0.85)
    for n, share in ((200, 0.6), (1000, 0.05)):
        count = simulate(n, 0.2, share, 2).n_treated
        assert 0.6 * round(share * n) <= count <= round(share * n)


def test_the_documented_treatment_rule_holds_on_the_tables(treated_cohort):
    p, a, tr, m, ev = (treated_cohort.tables[name] for name in NAMES)
    a = _strength(a.assign(total=_totals(a)), m)
    pts = p.set_index("patient_id")
    assert tr["patient_id"].nunique() == treated_cohort.n_treated > 0
    assert (tr["route"] == "intramuscular").all() and (tr["cell_source"] == "adipose").all()
    assert tr["dose_cells"].between(2.4e7, 4.8e7).all() and tr["target_muscles"].notna().all()
    # injections on the fortnightly sessions, 84 days apart, cycles 1..3, the same limb
    assert ((tr["date"] - eleventh_world.SESSION0).dt.days % 14 == 0).all()
    assert tr["cycle"].between(1, 3).all()
    steps = tr.groupby("patient_id")["date"].diff().dropna().dt.days
    assert (steps == 84).all() and (tr.groupby("patient_id")["target_muscles"].nunique() == 1).all()
    firsts = tr[tr["cycle"] == 1].set_index("patient_id")
    _decision_ratios(p, a, firsts, ev)  # asserts the documented rule at a visit 28-48 days before each
    # the decision favours marked asymmetry: without that term, the decisions come at milder ones
    means = []
    for off in (frozenset(), frozenset({"asymmetry_rule"})):
        tb = simulate(600, 0.5, 0.1, 12, off).tables
        f = tb.treatments[tb.treatments["cycle"] == 1].set_index("patient_id")
        means.append(_decision_ratios(tb.patients, _strength(tb.alsfrs.assign(total=_totals(tb.alsfrs)),
                                                             tb.measurements), f, tb.events).mean())  # fmt: skip
    assert means[0] < means[1] - 0.02
    share = firsts.join(pts["site"])["site"].value_counts() / p["site"].value_counts()
    assert share["EAST"] > 1.2 * share["SOUTH"]


def test_world11_truths(truths):
    none, untreated, small, big = truths
    check_untouched(none, untreated)  # patients never injected keep exactly their untreated data
    assert big.truth_window > 0.2 * big.truth and small.truth_window > 0.2 * small.truth
    # who is treated and when (the first injection) and all before it do not depend on the effect
    t0 = check_effect_after_first_dose(none, big, _totals, {})
    # the injected limb gains most: higher recorded strength on the injected limb's side at the same visits
    both = none.tables.measurements.merge(
        big.tables.measurements, on=["patient_id", "date", "measure", "side"], suffixes=("", "_e")
    )
    both = both[both["patient_id"].isin(t0.index)]
    assert (both["value_e"] - both["value"]).sum() > 0


def test_every_piece_switches_off_and_unknown_pieces_are_refused():
    base = simulate(200, 0.2, 0.3, 4)
    for piece in eleventh_world.PIECES:
        off = simulate(200, 0.2, 0.3, 4, frozenset({piece}))
        changed = any(not off.tables[name].equals(base.tables[name]) for name in NAMES[1:])
        assert changed, piece
        ev = set(off.tables.events["event"])
        if piece in ("death", "loss", "withdrawal", "niv", "gastrostomy"):
            gone = {"loss": "lost_to_follow_up", "niv": "niv_start"}.get(piece, piece)
            assert gone not in ev, piece
        if piece == "pandemic":
            assert set(off.tables.alsfrs["assessor"]) == {"clinician"}
    every = simulate(200, 0.2, 0.3, 4, frozenset(eleventh_world.PIECES))
    assert every.n_treated > 0 and np.isfinite(every.truth_realised) and np.isfinite(every.truth_window)
    with pytest.raises(ValueError, match="unknown pieces"):
        simulate(50, 0.0, 0.3, 1, frozenset({"nope"}))


def test_the_untreated_course_is_calibrated():
    c = simulate(1000, 0.0, 0.0, 1)
    p, a = c.tables.patients.set_index("patient_id"), c.tables.alsfrs
    a = a.assign(total=_totals(a), t=(a["date"] - a["patient_id"].map(p["onset_date"])).dt.days / DPM)
    a = a.dropna(subset=["total"])

    def slope(g: pd.DataFrame) -> float:
        if len(g) < 2 or g["t"].max() - g["t"].min() < 3:
            return np.nan
        return np.polyfit(g["t"], g["total"], 1)[0]

    slopes = a.groupby("patient_id")[["t", "total"]].apply(slope).dropna()
    assert -1.25 < slopes.mean() < -0.85 and -1.15 < slopes.median() < -0.75
    assert 40 <= a.groupby("patient_id")["total"].first().median() <= 45
    assert {"death", "niv_start", "gastrostomy", "withdrawal", "lost_to_follow_up"} <= set(c.tables.events["event"])

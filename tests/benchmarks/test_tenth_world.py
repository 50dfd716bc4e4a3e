"""benchmarks/tenth_world.py, the held-out tenth world: valid canonical data, seeded, the share of patients
treated, the documented treatment rule checked on the tables, the raters' mix (shifting with disability and after
the dose), its truths (a fading effect of a single dose) and every piece switching off.  No estimator is run on
it here (it is held out)."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from world_checks import (
    check_endings,
    check_seeded_round_trip,
    check_share,
    check_truths,
    check_unchanged_before,
    check_untouched,
    first_event,
)

import tenth_world

ALL_ITEMS = [*tenth_world.ITEMS[:5], "q5b", *tenth_world.ITEMS[5:]]
NAMES = ("patients", "alsfrs", "treatments", "measurements", "events")
DPM = tenth_world.DPM
ENDS = ["death", "withdrawal", "lost_to_follow_up"]
MODES = {"clinician", "self", "caregiver", "phone"}


@pytest.fixture(scope="module")
def cohort():
    return tenth_world.simulate_world10(300, 0.2, 0.3, 7)


@pytest.fixture(scope="module")
def treated_cohort():
    return tenth_world.simulate_world10(600, 0.5, 0.35, 12)


def _totals(a: pd.DataFrame) -> pd.Series:
    return a[ALL_ITEMS].sum(axis=1, min_count=12)


def _with_svc(a: pd.DataFrame, m: pd.DataFrame) -> pd.DataFrame:
    svc = m.query("measure == 'svc_pct_pred'")[["patient_id", "date", "value"]].rename(columns={"value": "svc"})
    return a.merge(svc, on=["patient_id", "date"], how="left")


def test_world10_is_valid_canonical_data_and_seeded(tmp_path, cohort):
    check_seeded_round_trip(tenth_world.simulate_world10, (300, 0.2, 0.3, 7), cohort, tmp_path / "w10", NAMES)
    p, a, tr, m, ev = (cohort.tables[name] for name in NAMES)
    assert len(p) == 300 and p["patient_id"].str.startswith("W10").all() and p["patient_id"].is_unique
    assert set(p["patient_id"]) == set(a["patient_id"])
    assert set(p["site"]) == set(tenth_world.SITES)
    assert set(p["onset_site"]) == {"bulbar", "limb", "respiratory", "generalized"}
    assert (p["diagnosis_date"] >= p["onset_date"]).all() and (p["diagnosis_date"] >= pd.Timestamp("2016-03-01")).all()
    assert p["riluzole"].isna().any() and p["el_escorial"].isna().any() and p["genetics"].notna().any()
    assert p["onset_date"].min() >= pd.Timestamp("2013-01-01") and a["date"].max() <= pd.Timestamp("2025-03-31")
    assert not a.duplicated(["patient_id", "date"]).any()
    assert a.equals(a.sort_values(["patient_id", "date"], kind="stable"))
    items = a[ALL_ITEMS]
    assert items.min().min() >= 0 and items.max().max() <= 4
    total = _totals(a)
    assert 0.005 < total.isna().mean() < 0.06 and total.max() <= 48
    # partial rows come from the app and portal (self, caregiver); every mode is present
    assert set(a["assessor"]) == MODES
    assert set(a.loc[total.isna(), "assessor"]) <= {"self", "caregiver"}
    assert not (a["q5a"].notna() & a["q5b"].notna()).any() and a["q5b"].notna().any()
    gastro = a["patient_id"].map(first_event(ev, "gastrostomy"))
    assert (a.loc[a["q5b"].notna(), "date"] >= gastro[a["q5b"].notna()]).all()
    niv = a["patient_id"].map(first_event(ev, "niv_start"))
    on_niv = a["date"] > niv
    assert on_niv.sum() > 10 and (a.loc[on_niv, "q12"].dropna() <= 3).all()
    trach = a["patient_id"].map(first_event(ev, "tracheostomy"))
    assert (a.loc[a["date"] > trach, "q12"].dropna() == 0).all()
    # SVC only at in-person (clinician-rated) visits, never on a dose day
    assert set(m["measure"]) == {"svc_pct_pred"}
    assert (m["unit"] == "%").all() and m["value"].between(0, 150).all()
    seen = m.merge(a[["patient_id", "date", "assessor"]], on=["patient_id", "date"], how="left")
    assert (seen["assessor"] == "clinician").all()
    assert m.merge(tr[["patient_id", "date"]], on=["patient_id", "date"]).empty
    # ending events strictly after the last visit, nothing dated after them
    check_endings(a, tr, ev)


def test_share_controls_the_number_treated():
    check_share(tenth_world.simulate_world10, (0.05, 0.2, 0.4), 0.85)


def test_the_documented_treatment_rule_holds_on_the_tables(treated_cohort):
    p, a, tr, m, ev = (treated_cohort.tables[name] for name in NAMES)
    a = _with_svc(a.assign(total=_totals(a)), m).sort_values(["patient_id", "date"])
    visits = {pid: g for pid, g in a.groupby("patient_id")}
    niv, gas = first_event(ev, "niv_start"), first_event(ev, "gastrostomy")
    pts = p.set_index("patient_id")
    assert tr["patient_id"].is_unique and tr["patient_id"].nunique() == treated_cohort.n_treated > 0
    assert (tr["cycle"] == 1).all() and (tr["route"] == "intrathecal").all()
    assert tr["dose_cells"].between(6.0e7, 1.0e8).all()
    doses = tr.merge(a[["patient_id", "date", "assessor"]], on=["patient_id", "date"], how="left")
    assert (doses["assessor"] == "clinician").all()  # the cell clinic rates on the dose day
    decisions = []
    for pid, t0 in tr.set_index("patient_id")["date"].items():
        v = visits[pid]
        before = v[v["date"] < t0]
        # the qualifying visit: the last in-person review before the dose, exactly 42 days before it
        dec = before[before["svc"].notna()].iloc[-1]
        assert (t0 - dec["date"]).days == 42
        assert dec["assessor"] == "clinician" and dec["svc"] >= 60 and dec["total"] >= 30
        earlier = before[(before["date"] < dec["date"]) & before["svc"].notna()]
        assert len(earlier) >= 1
        assert (dec["date"] - pts.loc[pid, "onset_date"]).days <= 30 * DPM + 1
        assert dec["date"].year - pts.loc[pid, "birth_year"] <= 75
        assert not niv.get(pid, pd.Timestamp.max) < dec["date"]
        assert not gas.get(pid, pd.Timestamp.max) < dec["date"]
        months = (dec["date"] - earlier["date"].iloc[-1]).days / DPM
        fall = (earlier["svc"].iloc[-1] - dec["svc"]) / months
        decisions.append((pid, dec["svc"], fall, pts.loc[pid, "site"]))
    dec = pd.DataFrame(decisions, columns=["patient_id", "svc", "fall", "site"])
    # the sites: PRIV refers a larger share than REG
    share = dec["site"].value_counts() / p["site"].value_counts()
    assert share["PRIV"] > 1.2 * share["REG"]
    # the SVC fall trigger: without it, the decisions come after smaller recorded falls
    no_fall = tenth_world.simulate_world10(600, 0.5, 0.35, 12, frozenset({"svc_fall"})).tables
    a0 = _with_svc(no_fall.alsfrs, no_fall.measurements).dropna(subset=["svc"]).sort_values(["patient_id", "date"])
    a0["fall"] = -a0.groupby("patient_id")["svc"].diff() / (a0.groupby("patient_id")["date"].diff().dt.days / DPM)
    t00 = no_fall.treatments.set_index("patient_id")["date"]
    a0 = a0[a0["date"] < a0["patient_id"].map(t00)]
    fall0 = a0.groupby("patient_id")["fall"].last()
    assert dec["fall"].mean() > fall0.mean() + 0.5


def test_the_raters_shift_with_disability_and_after_the_dose(treated_cohort):
    p, a, tr = (treated_cohort.tables[name] for name in ("patients", "alsfrs", "treatments"))
    a = a.assign(
        total=_totals(a), t=(a["date"] - a["patient_id"].map(p.set_index("patient_id")["onset_date"])).dt.days / DPM
    )
    t0 = a["patient_id"].map(tr.set_index("patient_id")["date"])
    untreated = a[t0.isna()]
    early, late = untreated[untreated["t"] < 12], untreated[untreated["t"] >= 36]
    assert (early["assessor"] != "clinician").mean() < (late["assessor"] != "clinician").mean() - 0.15
    assert (early["assessor"] == "caregiver").mean() < 0.05 < 0.2 < (late["assessor"] == "caregiver").mean()
    # caregivers take over when the patient can no longer rate: their rows are far more advanced
    assert (
        untreated.loc[untreated["assessor"] == "caregiver", "total"].median()
        < untreated.loc[untreated["assessor"] == "self", "total"].median() - 8
    )
    # phone reviews follow lost mobility: the last walking and stairs items before them are lower
    u = untreated.sort_values(["patient_id", "date"]).copy()
    u["mob_before"] = (u["q8"] + u["q9"]).groupby(u["patient_id"]).shift()
    assert (
        u.loc[u["assessor"] == "phone", "mob_before"].mean()
        < u.loc[u["assessor"] == "clinician", "mob_before"].mean() - 1
    )
    # the treated: remote ratings after the dose, in the cell clinic's year of follow-up
    treated = a[t0.notna()]
    t0t = t0[t0.notna()]
    pre = treated[treated["date"] < t0t]
    post = treated[(treated["date"] > t0t) & (treated["date"] <= t0t + pd.Timedelta(days=365))]
    assert (post["assessor"] != "clinician").mean() > (pre["assessor"] != "clinician").mean() + 0.25
    assert (post["assessor"] == "phone").mean() > 0.3 > (pre["assessor"] == "phone").mean() + 0.2
    assert set(a["assessor"]) == MODES


def test_world10_truths():
    none, untreated, small, big = check_truths(tenth_world.simulate_world10)
    check_untouched(none, untreated)  # patients never referred keep exactly their untreated data
    assert big.truth_window > 0.15 * big.truth and small.truth_window > 0.2 * small.truth
    # who is treated, and when, does not depend on the effect; nor does anything up to the dose day
    for name in ("patients", "treatments"):
        pd.testing.assert_frame_equal(none.tables[name], big.tables[name])
    t0 = none.tables.treatments.set_index("patient_id")["date"]
    check_unchanged_before(none, big, t0)
    assert not none.tables.alsfrs.equals(big.tables.alsfrs)
    # the cells slow the spinal losses: higher recorded motor and respiratory items at the same visits
    both = none.tables.alsfrs.merge(big.tables.alsfrs, on=["patient_id", "date", "assessor"], suffixes=("", "_e"))
    spinal = ["q4", "q5a", "q5b", "q6", "q7", "q8", "q9", "q10", "q11"]
    gained = sum((both[f"{q}_e"] - both[q]).sum() for q in spinal)
    assert gained > 100


def test_every_piece_switches_off_and_unknown_pieces_are_refused():
    base = tenth_world.simulate_world10(200, 0.2, 0.3, 4)
    for piece in tenth_world.PIECES:
        off = tenth_world.simulate_world10(200, 0.2, 0.3, 4, frozenset({piece}))
        changed = any(not off.tables[name].equals(base.tables[name]) for name in NAMES[1:])
        assert changed, piece
        a, ev = off.tables.alsfrs, set(off.tables.events["event"])
        if piece in ("death", "loss", "withdrawal", "niv", "tracheostomy", "gastrostomy"):
            gone = {"loss": "lost_to_follow_up", "niv": "niv_start"}.get(piece, piece)
            assert gone not in ev, piece
        if piece == "app_gaps":
            assert a[ALL_ITEMS].notna().sum(axis=1).eq(12).all()
        if piece == "caregiver_raters":
            assert "caregiver" not in set(a["assessor"])
        if piece in ("acceleration", "margins"):
            assert not off.tables.patients.equals(base.tables.patients)
    every = tenth_world.simulate_world10(200, 0.2, 0.3, 4, frozenset(tenth_world.PIECES))
    assert every.n_treated > 0 and np.isfinite(every.truth_realised) and np.isfinite(every.truth_window)
    with pytest.raises(ValueError, match="unknown pieces"):
        tenth_world.simulate_world10(50, 0.0, 0.3, 1, frozenset({"nope"}))

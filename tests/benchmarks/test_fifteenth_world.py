"""benchmarks/fifteenth_world.py, the held-out fifteenth world: valid canonical data, seeded, the share of patients
treated, the documented treatment rule rebuilt from the tables alone (eligibility on the recorded FVC, weight, El
Escorial, age, time since diagnosis, NIV and gastrostomy; points for the recorded totals' decline, the ALSAQ-5, the
site and the age; the programme's allocation list), decided at planned reviews in the clinic or by video only (never
at an urgent visit after a fall or on the ward), the visits and their types, the delay to the first dose, its truths
(intrathecal autologous adipose cells slowing the disease burden for a while), every piece switching off and the
untreated course's calibration.  No estimator is run on it here (it is held out)."""

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

import fifteenth_world

ALL_ITEMS = [*fifteenth_world.ITEMS[:5], "q5b", *fifteenth_world.ITEMS[5:]]
NAMES = ("patients", "alsfrs", "treatments", "measurements", "events", "adverse_events")
DPM = fifteenth_world.DPM
simulate = fifteenth_world.simulate_world15
PLANNED = ("scheduled", "remote")


@pytest.fixture(scope="module")
def cohort():
    return simulate(300, 0.2, 0.3, 7)


@pytest.fixture(scope="module")
def truths():
    return check_truths(simulate)


@pytest.fixture(scope="module")
def recorded():
    return simulate(600, 0.2, 0.3, 9, record_occasions=True)


def _totals(a: pd.DataFrame) -> pd.Series:
    return a[ALL_ITEMS].sum(axis=1, min_count=12)


def _visits(tables) -> pd.DataFrame:
    """The ``alsfrs`` rows with their total and the FVC, weight and ALSAQ-5 recorded the same day."""
    a, m = tables.alsfrs, tables.measurements
    out = a.assign(total=_totals(a).astype(float))
    for key in ("fvc_pct_pred", "weight_kg", "alsaq5"):
        vals = m[m["measure"] == key].set_index(["patient_id", "date"])["value"].rename(key)
        out = out.join(vals, on=["patient_id", "date"])
    return out


def _occasions(tables, seed: int) -> pd.DataFrame:
    """Every planned review after the diagnosis with the programme's criterion rebuilt from the tables alone (inf
    where the documented eligibility fails): logit(u) − s, u the allocation list's number of the patient's k-th
    planned review (``fifteenth_world.lottery``), s the documented points.  Reads the recorded totals, FVC, weight,
    ALSAQ-5, events and patient fields, nothing else."""
    p, ev = tables.patients.set_index("patient_id"), tables.events
    v = _visits(tables).sort_values(["patient_id", "date"], kind="stable")
    lot = fifteenth_world.lottery(seed, len(p))
    niv, gas = first_event(ev, "niv_start"), first_event(ev, "gastrostomy")
    rows = []
    for pid, g in v.groupby("patient_id", sort=False):
        pt = p.loc[pid]
        i = int(pid[3:])
        tm = ((g["date"] - pt["diagnosis_date"]).dt.days / DPM).to_numpy()
        tot, fvc, wt, aq = (g[c].to_numpy(float) for c in ("total", "fvc_pct_pred", "weight_kg", "alsaq5"))
        days = g["date"].to_numpy()
        planned = g["visit_type"].isin(PLANNED).to_numpy()
        k_plan = np.cumsum(planned) - 1
        ok = np.isfinite(tot)
        for j in np.flatnonzero(planned & (k_plan >= 1)):
            done = ok[: j + 1]
            t_c, y_c = tm[: j + 1][done], tot[: j + 1][done]
            n = len(t_c)
            slope = (n * (t_c * y_c).sum() - t_c.sum() * y_c.sum()) / (n * (t_c**2).sum() - t_c.sum() ** 2)
            f_seen = np.flatnonzero(np.isfinite(fvc[: j + 1]))
            w_seen = wt[: j + 1][np.isfinite(wt[: j + 1])]
            a_seen = aq[: j + 1][np.isfinite(aq[: j + 1])]
            age = pd.Timestamp(days[j]).year - pt["birth_year"]
            day = pd.Timestamp(days[j])
            elig = (
                ok[j] and n >= 3 and tm[j] - t_c[0] >= 4 and 18 <= age <= 75 and tm[j] <= 30
                and pd.notna(pt["el_escorial"]) and not niv.get(pid, pd.Timestamp.max) <= day
                and not gas.get(pid, pd.Timestamp.max) <= day and len(f_seen) > 0 and fvc[f_seen[-1]] >= 60
                and (day - pd.Timestamp(days[f_seen[-1]])).days <= 183 and w_seen[-1] >= 0.9 * w_seen[0]
            )  # fmt: skip
            decline = -slope
            s = -0.04 * (age - 55) + {"MAIN": 0.6, "LAKES": 0.0, "HILLS": -0.6}[pt["site"]]
            s += 1.0 if 0.3 <= decline <= 1.2 else (-0.6 if decline > 1.5 else 0.0)
            s += 0.02 * (a_seen[-1] - 40) if len(a_seen) else 0.0
            u = lot[i, k_plan[j]]
            rows.append((pid, day, k_plan[j], g["visit_type"].iat[j], np.log(u) - np.log1p(-u) - s if elig else np.inf))
    return pd.DataFrame(rows, columns=["patient_id", "date", "k", "visit_type", "crit"])


def test_world15_is_valid_canonical_data_and_seeded(tmp_path, cohort):
    check_seeded_round_trip(simulate, (300, 0.2, 0.3, 7), cohort, tmp_path / "w15", NAMES)
    p, a, tr, m, ev, ae = (cohort.tables[name] for name in NAMES)
    assert len(p) == 300 and p["patient_id"].str.startswith("W15").all() and p["patient_id"].is_unique
    assert set(p["patient_id"]) == set(a["patient_id"])
    assert set(p["site"]) == set(fifteenth_world.SITES) and set(p["genetics"].dropna()) <= {"C9orf72", "SOD1"}
    assert (p["diagnosis_date"] >= fifteenth_world.OPENING).all() and (p["diagnosis_date"] > p["onset_date"]).all()
    assert 0.02 < p["el_escorial"].isna().mean() < 0.15 and p["edaravone"].notna().any()
    # the first contact is the diagnosis, in the clinic with FVC and weight
    v = _visits(cohort.tables)
    first = v.groupby("patient_id").head(1).set_index("patient_id")
    diag = p.set_index("patient_id")["diagnosis_date"]
    assert (first["date"] == diag.reindex(first.index)).all() and first["fvc_pct_pred"].notna().all()
    assert first["weight_kg"].notna().all() and first["alsaq5"].isna().all()
    assert v["date"].max() <= fifteenth_world.LOCK and not v.duplicated(["patient_id", "date"]).any()
    assert v.equals(v.sort_values(["patient_id", "date"], kind="stable"))
    items = v[ALL_ITEMS]
    assert items.min().min() >= 0 and items.max().max() <= 4
    # partial rows only by video (``phone``): items left blank on a call
    assert set(a["assessor"]) == {"clinician", "phone"} and 0.0 < v["total"].isna().mean() < 0.03
    assert (v.loc[v["total"].isna(), "assessor"] == "phone").all()
    assert not (a["q5a"].notna() & a["q5b"].notna()).any() and a["q5b"].notna().any()
    gastro = a["patient_id"].map(first_event(ev, "gastrostomy"))
    assert (a.loc[a["q5b"].notna(), "date"] >= gastro[a["q5b"].notna()]).all()
    niv = a["patient_id"].map(first_event(ev, "niv_start"))
    assert (a.loc[a["date"] >= niv, "q12"].dropna() <= 3).all()
    # the measures, their units and ranges; ALSAQ-5 in steps of 5
    assert set(m["measure"]) == {"fvc_pct_pred", "weight_kg", "alsaq5"}
    units = m.groupby("measure")["unit"].unique().map(tuple).to_dict()
    assert units == {"fvc_pct_pred": ("%",), "weight_kg": ("kg",), "alsaq5": ("index",)}
    aq = m.loc[m["measure"] == "alsaq5", "value"]
    assert aq.between(0, 100).all() and (aq % 5 == 0).all()
    # endings: a loss declared 6 months after the last visit; a withdrawal 1-30 days after the last visit, or after
    # the HILLS clinic closed
    done = check_endings(a, tr, ev)
    last = a.groupby("patient_id")["date"].max()
    lost = done[done["event"] == "lost_to_follow_up"].set_index("patient_id")["date"]
    assert (lost - last.reindex(lost.index)).dt.days.between(181, 184).all()
    wd = done[done["event"] == "withdrawal"].set_index("patient_id")["date"]
    after_visit = (wd - last.reindex(wd.index)).dt.days.between(1, 30)
    closed = (wd - fifteenth_world.CLOSURE).dt.days.between(1, 30) & (p.set_index("patient_id")["site"].reindex(
        wd.index) == "HILLS")  # fmt: skip
    assert (after_visit | closed).all() and closed.any()
    # adverse events: attributed to a dose, from its day to a week later; arachnoiditis the serious one
    assert len(ae) > 0 and set(ae["term"]) <= set(fifteenth_world.AE_TERMS)
    dose = tr.set_index("treatment_id")["date"]
    assert (ae["onset_date"] - ae["treatment_id"].map(dose)).dt.days.between(0, 7).all()
    assert (ae["resolved_date"].dropna() > ae.loc[ae["resolved_date"].notna(), "onset_date"]).all()
    assert (ae["serious"] == (ae["term"] == "arachnoiditis")).all()


def test_share_controls_the_number_treated():
    check_share(simulate, (0.05, 0.2, 0.4), 0.85)
    for n, share in ((200, 0.5), (1000, 0.05)):
        count = simulate(n, 0.2, share, 2).n_treated
        assert 0.6 * round(share * n) <= count <= round(share * n)


def test_the_documented_treatment_rule_rebuilt_from_the_tables(recorded):
    """The decision reads only the tables: rebuilt from them, every decision is the patient's first occasion
    under a common cut-off, and every other occasion under it belongs to a patient whose follow-up ended before
    a dose could come."""
    tb = recorded.tables
    tr, ev = tb.treatments, tb.events
    assert tr["patient_id"].nunique() == recorded.n_treated > 50
    assert (tr["cell_source"] == "adipose").all() and (tr["donor"] == "autologous").all()
    assert (tr["route"] == "intrathecal").all() and tr["target_muscles"].isna().all()
    assert tr["cycle"].between(1, 2).all() and (tr["cycle"] == 2).any()
    high = tr["date"] < fifteenth_world.DEESCALATION
    first_dose = tr["patient_id"].map(tr[tr["cycle"] == 1].set_index("patient_id")["dose_cells"])
    assert (tr["dose_cells"] == first_dose).all() and set(tr["dose_cells"]) == {5.0e7, 1.0e8}
    assert (tr.loc[high & (tr["cycle"] == 1), "dose_cells"] == 1.0e8).all()
    occ = _occasions(tb, 9)
    dec = tr[tr["cycle"] == 1].set_index("patient_id")["decision_date"]
    both = occ.merge(dec.rename("decided"), left_on="patient_id", right_index=True)
    at = both[both["date"] == both["decided"]]
    assert len(at) == len(dec) and np.isfinite(at["crit"]).all()
    cut = at["crit"].max()
    assert (both.loc[both["date"] < both["decided"], "crit"] > cut).all()
    # the untreated under the cut-off were decided, but died, left or met the lock before the first dose
    under = occ[~occ["patient_id"].isin(dec.index) & (occ["crit"] < cut)].groupby("patient_id")["date"].min()
    ends = ev[ev["event"].isin(["death", "withdrawal"])].groupby("patient_id")["date"].min()
    last = tb.alsfrs.groupby("patient_id")["date"].max()
    lost = set(ev.loc[ev["event"] == "lost_to_follow_up", "patient_id"])
    end = pd.Series(fifteenth_world.LOCK, index=under.index)
    end = end.where(~end.index.isin(lost), last.reindex(under.index))
    end.update(ends.reindex(under.index).dropna() - pd.Timedelta(days=30))
    assert len(under) < 0.2 * len(dec)
    assert ((end - under).dt.days <= fifteenth_world.DOSE_LAG[1]).all()
    # the rule's terms are the documented ones; the programme favours its own site
    pts = tb.patients.set_index("patient_id")
    share = pts.index.isin(dec.index)
    by_site = pd.Series(share, index=pts.index).groupby(pts["site"]).mean()
    assert by_site["MAIN"] > 1.3 * by_site["HILLS"], by_site
    assert set(fifteenth_world.RECORDED_RULE_INPUTS) == {"age", "time_since_diagnosis", "ventilation", "gastrostomy",
                                                         "site", "el_escorial", "fvc_pct_pred", "weight_kg",
                                                         "alsaq5"}  # fmt: skip


def test_decisions_at_planned_reviews_and_the_delay_to_the_dose(recorded):
    tb = recorded.tables
    p, a, tr = tb.patients, tb.alsfrs, tb.treatments
    from alscell.domain.vocabulary import VISIT_TYPES

    assert set(a["visit_type"]) <= set(VISIT_TYPES)
    assert fifteenth_world.DECISION_AT_EVERY_VISIT is False
    assert set(fifteenth_world.DECISION_VISIT_TYPES) == set(PLANNED)
    onset = tr["patient_id"].map(p.set_index("patient_id")["onset_date"])
    assert (tr["decision_date"] <= tr["date"]).all() and (tr["decision_date"] >= onset).all()
    # the decision visit (the last visit on or before the decision date) is a planned review on that day
    first = tr[tr["cycle"] == 1][["patient_id", "decision_date", "date"]]
    visits = a[["patient_id", "date", "visit_type"]].rename(columns={"date": "visit"}).sort_values("visit")
    seen = pd.merge_asof(first.sort_values("decision_date"), visits, left_on="decision_date", right_on="visit",
                         by="patient_id")  # fmt: skip
    assert (seen["visit"] == seen["decision_date"]).all()
    assert seen["visit_type"].isin(fifteenth_world.DECISION_VISIT_TYPES).all()
    assert set(seen["visit_type"]) == set(PLANNED)  # some decided in the clinic, some by video
    # the first dose 42-70 days after the decision (lipoaspiration and expansion); the second 28-35 days later,
    # sharing the first's decision
    lag = (first["date"] - first["decision_date"]).dt.days
    assert lag.between(*fifteenth_world.DOSE_LAG).all() and lag.min() == fifteenth_world.DECISION_LAG_DAYS == 42
    second = tr[tr["cycle"] == 2].set_index("patient_id")
    one = first.set_index("patient_id")
    assert len(second) > 0 and (second["decision_date"] == one["decision_date"].reindex(second.index)).all()
    assert (second["date"] - one["date"].reindex(second.index)).dt.days.between(28, 35).all()
    # an urgent visit after a fall or a ward rating between the decision and the dose is never a decision
    v = a.merge(first, on="patient_id", suffixes=("", "_dose"))
    between = v[(v["date"] > v["decision_date"]) & (v["date"] < v["date_dose"])]
    assert set(between["visit_type"]) >= {"unscheduled"}


def test_the_visits_follow_the_documented_process(recorded):
    tb = recorded.tables
    v = _visits(tb).sort_values(["patient_id", "date"], kind="stable")
    ev = tb.events
    assert set(v["visit_type"]) == {"scheduled", "remote", "unscheduled", "inpatient"}
    assert (v.groupby("patient_id").head(1)["visit_type"] == "scheduled").all()
    # FVC in the clinic only; weight at every visit in person; ALSAQ-5 only at planned reviews; video by phone
    assert (v["fvc_pct_pred"].notna() == (v["visit_type"] == "scheduled")).all()
    assert (v["weight_kg"].notna() == (v["visit_type"] != "remote")).all()
    assert v.loc[v["alsaq5"].notna(), "visit_type"].isin(PLANNED).all()
    assert ((v["assessor"] == "phone") == (v["visit_type"] == "remote")).all()
    # planned reviews booked by the recorded decline since the last planned review with a complete total: 2 months
    # at 1 point/month or more, 3 at 0.4 or more, 4 below (3 when not computable), ± 7 days
    pl = v[v["visit_type"].isin(PLANNED)].copy()
    by = pl.groupby("patient_id")
    # at each planned review: the last earlier planned review with a complete total, and the gap to the next review
    pl["prev_day"] = pl["date"].where(pl["total"].notna()).groupby(pl["patient_id"]).ffill()
    pl["prev_day"] = pl.groupby("patient_id")["prev_day"].shift()
    pl["prev_tot"] = pl["total"].groupby(pl["patient_id"]).ffill()
    pl["prev_tot"] = pl.groupby("patient_id")["prev_tot"].shift()
    pl["gap"] = by["date"].shift(-1).sub(pl["date"]).dt.days
    rows = pl.dropna(subset=["gap"])
    dcl = ((rows["prev_tot"] - rows["total"]) / ((rows["date"] - rows["prev_day"]).dt.days / DPM)).to_numpy(float)
    months = np.where(dcl >= 1.0, 2.0, np.where(dcl >= 0.4, 3.0, 4.0))
    months = np.where(np.isfinite(dcl), months, 3.0)
    off = rows["gap"].to_numpy() - np.rint(months * DPM)
    assert (np.abs(off) <= 7).all() and len(set(months)) == 3
    # every other review by video: after a clinic review (not the diagnosis) with an FVC of 65% or more; after a
    # video review the clinic
    pl["next_type"] = pl.groupby("patient_id")["visit_type"].shift(-1)
    pl["k"] = pl.groupby("patient_id").cumcount()
    nxt = pl.dropna(subset=["next_type"])
    to_video = (nxt["visit_type"] == "scheduled") & (nxt["k"] >= 1) & (nxt["fvc_pct_pred"] >= 65)
    assert ((nxt["next_type"] == "remote") == to_video).all()
    # urgent visits after falls: never within 14 days of the previous visit or 10 days before the next planned one
    v["gap"] = v.groupby("patient_id")["date"].diff().dt.days
    un = v[v["visit_type"] == "unscheduled"]
    assert (un["gap"] >= 14).all()
    nxt_plan = pl[["patient_id", "date"]].rename(columns={"date": "plan"})
    near = pd.merge_asof(un[["patient_id", "date"]].sort_values("date"), nxt_plan.sort_values("plan"),
                         left_on="date", right_on="plan", by="patient_id", direction="forward")  # fmt: skip
    assert ((near["plan"] - near["date"]).dt.days.dropna() > 10).all()
    # falls come most while walking is impaired but possible: more urgent visits after a recorded walking of 2-3
    # than after a normal one or once walking is lost
    v["q8_before"] = v.groupby("patient_id")["q8"].shift().astype(float)
    rate = (v["visit_type"] == "unscheduled").groupby(v["q8_before"]).mean()
    assert rate[[2, 3]].min() > 1.3 * rate[[0, 4]].max() and rate[4] > 2 * rate[0], rate
    # admissions: the ward's rating on the day NIV starts or the day before the gastrostomy
    ward = v[v["visit_type"] == "inpatient"]
    niv = set(zip(*_pairs(ev, "niv_start", 0), strict=True))
    gas = set(zip(*_pairs(ev, "gastrostomy", 1), strict=True))
    # (a gastrostomy due after the lock or on the day of death is not recorded)
    death = ward["patient_id"].map(first_event(ev, "death"))
    ward = ward[(ward["date"] < fifteenth_world.LOCK) & ~((death - ward["date"]).dt.days == 1)]
    keys = set(zip(ward["patient_id"], ward["date"], strict=True))
    assert keys <= niv | gas and len(keys & niv) > 0 and len(keys & gas) > 0


def _pairs(ev: pd.DataFrame, event: str, back: int) -> tuple[pd.Series, pd.Series]:
    e = ev[ev["event"] == event]
    return e["patient_id"], e["date"] - pd.Timedelta(days=back)


def test_pieces_of_the_visit_process_switch_their_visit_types_off():
    kinds = {"falls": "unscheduled", "video_reviews": "remote", "admissions": "inpatient"}
    for piece, kind in kinds.items():
        _, rec = check_recording_changes_nothing(simulate, (200, 0.3, 0.3, 4), frozenset({piece}))
        assert set(rec.tables.alsfrs["visit_type"]) == {"scheduled", "remote", "unscheduled", "inpatient"} - {kind}
    regular = simulate(200, 0.0, 0.0, 5, frozenset({"booked_reviews", "video_reviews", "falls", "admissions"}))
    gaps = regular.tables.alsfrs.groupby("patient_id")["date"].diff().dt.days.dropna()
    assert gaps.between(91 - 7, 91 + 7).all()


def test_who_is_treated_does_not_read_unrecorded_traits():
    """With the recorded inputs fixed, the unrecorded response (its spread, latency and lifetime, which bear on the
    treated course) does not change who is treated or when; the recorded inputs do (the weight criterion)."""
    base = simulate(500, 0.5, 0.3, 11, record_occasions=True).tables.treatments
    first = base[base["cycle"] == 1].reset_index(drop=True)
    for off in ({"response_spread"}, {"response_latency", "response_lifetime"}):
        other = simulate(500, 0.5, 0.3, 11, frozenset(off), record_occasions=True).tables.treatments
        pd.testing.assert_frame_equal(other[other["cycle"] == 1].reset_index(drop=True), first)
    loose = simulate(500, 0.5, 0.3, 11, frozenset({"weight_rule"}), record_occasions=True).tables.treatments
    assert not loose[loose["cycle"] == 1].reset_index(drop=True).equals(first)


def test_world15_truths(truths):
    none, untreated, small, big = truths
    check_untouched(none, untreated)  # patients never treated keep exactly their untreated data
    assert big.truth_window > 0.25 * big.truth and small.truth_window > 0.25 * small.truth
    # who is treated and when and all before the first dose do not depend on the effect; the cells slow the loss
    # after it, keep the FVC and the weight up
    check_effect_after_first_dose(none, big, _totals, {"alsfrs": 1, "fvc_pct_pred": 1, "weight_kg": 1})


def test_recording_the_occasions_draws_the_same_numbers():
    for off in (frozenset(), frozenset({"loss", "death"})):
        check_recording_changes_nothing(simulate, (200, 0.3, 0.3, 4), off)
    _, untreated = check_recording_changes_nothing(simulate, (100, 0.0, 0.0, 4))
    assert untreated.tables.treatments.empty


def test_every_piece_switches_off_and_unknown_pieces_are_refused():
    base = simulate(200, 0.2, 0.3, 4)
    for piece in fifteenth_world.PIECES:
        off = simulate(200, 0.2, 0.3, 4, frozenset({piece}))
        changed = any(not off.tables[name].equals(base.tables[name]) for name in NAMES[1:])
        assert changed, piece
        ev = set(off.tables.events["event"])
        gone = {"loss": "lost_to_follow_up", "niv": "niv_start"}
        if piece in ("death", "gastrostomy", *gone):
            assert gone.get(piece, piece) not in ev, piece
        if piece == "video_gaps":
            assert _totals(off.tables.alsfrs).notna().all()
        if piece == "second_dose":
            assert (off.tables.treatments["cycle"] == 1).all()
        if piece == "adverse_events":
            assert off.tables.adverse_events.empty
    every = simulate(200, 0.2, 0.3, 4, frozenset(fifteenth_world.PIECES))
    assert every.n_treated > 0 and np.isfinite(every.truth_realised) and np.isfinite(every.truth_window)
    with pytest.raises(ValueError, match="unknown pieces"):
        simulate(50, 0.0, 0.3, 1, frozenset({"nope"}))


def test_the_untreated_course_is_calibrated():
    c = simulate(1000, 0.0, 0.0, 1)
    p, a, ev, m = c.tables.patients.set_index("patient_id"), c.tables.alsfrs, c.tables.events, c.tables.measurements
    onset = a["patient_id"].map(p["onset_date"])
    a = a.assign(total=_totals(a), t=(a["date"] - onset).dt.days / DPM).dropna(subset=["total"])

    slopes = a.groupby("patient_id")[["t", "total"]].apply(spanning_slope, "total").dropna()
    assert -1.15 < slopes.mean() < -0.9 and -1.05 < slopes.median() < -0.8  # spec: -0.99 PRO-ACT, -0.89 population
    assert slopes.quantile(0.975) < -0.1 and slopes.quantile(0.025) > -2.8
    assert 38 <= a.groupby("patient_id")["total"].first().median() <= 43
    delay = (p["diagnosis_date"] - p["onset_date"]).dt.days / DPM
    assert 8 < delay.median() < 13
    rises = a.sort_values(["patient_id", "date"]).groupby("patient_id")["total"].diff().dropna()
    assert 0.08 < (rises > 0).mean() < 0.3
    fvc = m[m["measure"] == "fvc_pct_pred"]
    fvc = fvc.assign(t=(fvc["date"] - fvc["patient_id"].map(p["onset_date"])).dt.days / DPM)
    fvc_slopes = fvc.groupby("patient_id")[["t", "value"]].apply(spanning_slope, "value").dropna()
    assert -3.0 < fvc_slopes.mean() < -1.0 and 75 <= fvc.groupby("patient_id")["value"].first().median() <= 92
    wt = m[m["measure"] == "weight_kg"]
    wt = wt.assign(t=(wt["date"] - wt["patient_id"].map(p["onset_date"])).dt.days / DPM)
    assert -1.0 < wt.groupby("patient_id")[["t", "value"]].apply(spanning_slope, "value").dropna().mean() < -0.2
    # survival from onset: Kaplan-Meier with entry at the diagnosis, censored at the lock or at loss/withdrawal
    death = first_event(ev, "death")
    stop = ev[ev["event"].isin(["withdrawal", "lost_to_follow_up"])].groupby("patient_id")["date"].min()
    last = a.groupby("patient_id")["date"].max()
    end = pd.Series(fifteenth_world.LOCK, index=p.index)
    end[stop.index] = last.reindex(stop.index)
    end[death.index] = death
    months = ((end - p["onset_date"]).dt.days / DPM).to_numpy()
    assert 30 < km_median(months, p.index.isin(death.index), delay.to_numpy()) < 45
    assert {"death", "niv_start", "gastrostomy", "withdrawal", "lost_to_follow_up"} <= set(ev["event"])

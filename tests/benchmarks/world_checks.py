"""Checks every held-out world's tests make (the eighth world on): ending events after the last visit, the share
treated, and the truths' basic shape.  Each world's test file adds what is its own."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

ENDS = ("death", "withdrawal", "lost_to_follow_up")


def check_endings(a: pd.DataFrame, tr: pd.DataFrame, ev: pd.DataFrame, ends: tuple[str, ...] = ENDS) -> pd.DataFrame:
    """Ending events strictly after the patient's last visit, one per patient, each kind present, nothing (event
    or treatment) dated after them; returns the ending events."""
    last = a.groupby("patient_id")["date"].max()
    done = ev[ev["event"].isin(ends)]
    assert done["patient_id"].is_unique
    for event in ends:
        when = done.query("event == @event").set_index("patient_id")["date"]
        assert len(when) > 0 and (when > last.reindex(when.index)).all(), event
    end = ev["patient_id"].map(done.set_index("patient_id")["date"])
    assert not (ev["date"] > end).any()
    assert not ev.duplicated(["patient_id", "event"]).any()
    t_end = tr["patient_id"].map(done.set_index("patient_id")["date"])
    assert not (tr["date"] >= t_end).any()
    return done


def check_share(simulate: Callable, shares: tuple[float, ...], floor: float) -> None:
    """At most round(share · 600) patients treated, at least ``floor`` of it, more with a larger share, none at 0."""
    counts = [simulate(600, 0.0, s, 5).n_treated for s in shares]
    for count, share in zip(counts, shares, strict=True):
        assert floor * round(share * 600) <= count <= round(share * 600), share
    assert counts == sorted(counts) and len(set(counts)) == len(counts)
    assert simulate(200, 0.0, 0.0, 5).n_treated == 0


def check_truths(simulate: Callable) -> tuple:
    """(none, untreated, small, big): 400 patients, 30% treated, seed 3, under E 0 (truths 0), with no one treated
    (truths NaN, no treatments, the same patients), under E 0.2 and 0.5 (each truth between 0.02 and 0.5 and
    growing with E)."""
    none = simulate(400, 0.0, 0.3, 3)
    assert none.truth == 0.0 and none.n_treated > 0
    assert none.truth_realised == 0.0 and none.truth_window == 0.0 and none.truth_observed == 0.0
    untreated = simulate(400, 0.0, 0.0, 3)
    assert untreated.n_treated == 0 and np.isnan(untreated.truth_realised) and np.isnan(untreated.truth_window)
    assert np.isnan(untreated.truth_observed) and untreated.tables.treatments.empty
    pd.testing.assert_frame_equal(none.tables.patients, untreated.tables.patients)
    small, big = simulate(400, 0.2, 0.3, 3), simulate(400, 0.5, 0.3, 3)
    assert big.truth == 0.5
    for truth in ("truth_realised", "truth_window", "truth_observed"):
        assert 0.02 < getattr(small, truth) < getattr(big, truth) < 0.5, truth
    return none, untreated, small, big


def check_untouched(none, untreated, names: tuple[str, ...] = ("alsfrs", "measurements", "events")) -> None:
    """Patients never treated keep exactly their data of the cohort where no one is."""
    calm = sorted(set(none.tables.patients["patient_id"]) - set(none.tables.treatments["patient_id"]))
    for name in names:
        pd.testing.assert_frame_equal(
            none.tables[name][none.tables[name]["patient_id"].isin(calm)].reset_index(drop=True),
            untreated.tables[name][untreated.tables[name]["patient_id"].isin(calm)].reset_index(drop=True),
        )


def check_seeded_round_trip(simulate: Callable, args: tuple, cohort, folder, names: tuple[str, ...]) -> None:
    """``cohort`` (``simulate(*args)``) is seeded (the same seed gives the same tables, the next seed others) and
    its canonical tables survive writing to ``folder`` and reading back (rows, dates and assessors)."""
    from alscell.io.reader import read_folder
    from alscell.io.writer import write_folder

    again = simulate(*args)
    for name in names:
        pd.testing.assert_frame_equal(cohort.tables[name], again.tables[name])
    other = simulate(*args[:-1], args[-1] + 1)
    assert not other.tables.alsfrs.equals(cohort.tables.alsfrs)
    write_folder(cohort.tables, folder)
    back = read_folder(folder)
    for name in names:
        assert len(back[name]) == len(cohort.tables[name]) > 0, name
    pd.testing.assert_series_equal(back.alsfrs["date"], cohort.tables.alsfrs["date"], check_names=False)
    pd.testing.assert_series_equal(back.alsfrs["assessor"], cohort.tables.alsfrs["assessor"], check_names=False)


def check_unchanged_before(none, big, t0: pd.Series, names: tuple[str, ...] = ("alsfrs", "measurements", "events")):
    """Every row dated on or before the patient's first treatment (``t0``, by patient; every row of a patient never
    treated) is the same in the cohort under no effect (``none``) and under an effect (``big``)."""

    def early(frame: pd.DataFrame) -> pd.DataFrame:
        when = frame["patient_id"].map(t0)
        return frame[when.isna() | (frame["date"] <= when)].reset_index(drop=True)

    for name in names:
        pd.testing.assert_frame_equal(early(none.tables[name]), early(big.tables[name]))


def check_effect_after_first_dose(none, big, totals: Callable, signs: dict[str, int]) -> pd.Series:
    """Who is treated and when (the first cycle) and everything dated before it do not depend on the effect
    (``none`` under no effect, ``big`` under one), and at the treated patients' later visits shared by both the
    recorded totals (``totals`` of the ALSFRS-R rows; key "alsfrs") and each measure of ``signs`` move the way its
    sign says (+1: higher with the cells).  Returns each treated patient's first treatment date."""
    pd.testing.assert_frame_equal(none.tables.patients, big.tables.patients)

    def first(tr: pd.DataFrame) -> pd.DataFrame:
        return tr[tr["cycle"] == 1].reset_index(drop=True)

    pd.testing.assert_frame_equal(first(none.tables.treatments), first(big.tables.treatments))
    t0 = first(none.tables.treatments).set_index("patient_id")["date"]
    check_unchanged_before(none, big, t0)
    assert not none.tables.alsfrs.equals(big.tables.alsfrs)

    def later(frame: pd.DataFrame, value: pd.Series) -> pd.DataFrame:
        out = frame.assign(value=value)[["patient_id", "date", "value"]]
        return out[out["patient_id"].isin(t0.index) & (out["date"] > out["patient_id"].map(t0))]

    for name, sign in signs.items():
        pair = []
        for c in (none, big):
            if name == "alsfrs":
                pair.append(later(c.tables.alsfrs, totals(c.tables.alsfrs)))
            else:
                values = c.tables.measurements[c.tables.measurements["measure"] == name]
                pair.append(later(values, values["value"]))
        both = pair[0].merge(pair[1], on=["patient_id", "date"], suffixes=("", "_e"))
        assert sign * (both["value_e"] - both["value"]).mean() > 0, name
    return t0


def check_recording_changes_nothing(simulate: Callable, args: tuple, off: frozenset[str] = frozenset()):
    """(plain, recorded): ``simulate(*args, off)`` without and with ``record_occasions``; every table's other columns,
    the count treated and the truths are the same, ``visit_type`` and ``decision_date`` filled only when recorded."""
    plain, rec = simulate(*args, off), simulate(*args, off, record_occasions=True)
    new = {"alsfrs": "visit_type", "treatments": "decision_date"}
    for name in ("patients", "alsfrs", "treatments", "measurements", "events", "adverse_events"):
        assert list(rec.tables[name].columns) == list(plain.tables[name].columns), name
        cols = [c for c in plain.tables[name].columns if c != new.get(name)]
        pd.testing.assert_frame_equal(rec.tables[name][cols], plain.tables[name][cols])
    np.testing.assert_equal([getattr(plain, k) for k in ("n_treated", "truth_realised", "truth_window")],
                            [getattr(rec, k) for k in ("n_treated", "truth_realised", "truth_window")])  # fmt: skip
    assert plain.tables.alsfrs["visit_type"].isna().all() and plain.tables.treatments["decision_date"].isna().all()
    assert rec.tables.alsfrs["visit_type"].notna().all() and rec.tables.treatments["decision_date"].notna().all()
    return plain, rec


def km_median(time: np.ndarray, event: np.ndarray, entry: np.ndarray) -> float:
    """The Kaplan-Meier median with delayed entry (left truncation)."""
    out = np.sort(np.unique(time[event]))
    surv = 1.0
    for t in out:
        at_risk = ((entry < t) & (time >= t)).sum()
        surv *= 1 - ((time == t) & event).sum() / at_risk
        if surv <= 0.5:
            return float(t)
    return float("inf")


def spanning_slope(g: pd.DataFrame, y: str) -> float:
    """The least-squares slope of ``g[y]`` on ``g["t"]`` (months) over a patient's rows: NaN with fewer than two rows
    or less than 3 months spanned (the untreated calibration checks of the later worlds)."""
    if len(g) < 2 or g["t"].max() - g["t"].min() < 3:
        return np.nan
    return np.polyfit(g["t"], g[y], 1)[0]


def first_event(frame: pd.DataFrame, event: str) -> pd.Series:
    """Each patient's first recorded date of ``event`` (an ``events`` frame)."""
    return frame.query("event == @event").groupby("patient_id")["date"].min()


def check_registered(world: str, module) -> None:
    """``world`` (its simulator ``module``) is registered beside the others with the constants its docstring states:
    held out in benchmarks/calibration.py, its rule's inputs and decision lag in named_inputs, its decision visits and
    visit types left out in decision_occasions."""
    import calibration
    import decision_occasions
    import named_inputs

    assert calibration.HELD_OUT[world] == (module.__name__, f"simulate_{world}")
    assert named_inputs.NAMED[world] == module.RECORDED_RULE_INPUTS
    assert named_inputs.LAG[world] == module.DECISION_LAG_DAYS
    assert decision_occasions.OCCASIONS[world] == module.DECISION_VISIT_TYPES
    assert decision_occasions.LEFT_OUT[world] == module.LEAVE_OUT_VISIT_TYPES

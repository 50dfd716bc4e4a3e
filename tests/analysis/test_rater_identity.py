"""Each recorded rater's offset held in g-estimation (``hold_raters``; alscell.analysis.rater_identity): on a registry
whose starts a lenient programme rater read (tests/registry_arrays.rated_clinic, not alscell.simulate) the estimate as
recorded leans against treatment and the held one does not, under no effect and under one; the offsets come back
from the data; with no raters, one rater, some visits unrecorded or one patient it runs and says what it did."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alscell.analysis.errors import NotApplicable
from alscell.analysis.g_estimation import g_estimation
from alscell.analysis.rater_identity import NO_RATERS_NOTE, UNRECORDED, offset_columns, rater_groups
from alscell.io.tables import Tables
from registry_arrays import ITEMS, rated_clinic


def _with_raters(tables: Tables, raters) -> Tables:
    return Tables.from_frames(**{**dict(tables.items()), "alsfrs": tables["alsfrs"].assign(rater=raters)})


@pytest.mark.parametrize("effect", [0.0, 0.3])
def test_the_lenient_programme_raters_lean_goes_when_the_raters_are_held(effect):
    """The programme's rater reads 2 points above the clinic's and rates every start: as recorded every slope from a
    start leans against treatment (about −0.12 at 600 patients, measured here); each rater's offset held, the mean
    of four cohorts is within 0.05 of the truth (their SEs are about 0.03 each)."""
    recorded, held = [], []
    for seed in range(4):
        t = rated_clinic(600, seed, effect)
        recorded.append(g_estimation(t, hold_raters=False).estimate)
        e = g_estimation(t, hold_raters=True)
        held.append(e.estimate)
        assert np.isfinite(e.se) and e.se > 0
    assert np.mean(recorded) - effect < -0.06
    assert abs(np.mean(held) - effect) < 0.05


def test_the_offsets_come_back_and_are_said():
    """Each clinic rater's offset from the programme's (the reference: the most visits) is its own draw less 2, to
    within 0.3 points at 1,500 patients; the table and the warning name them, and the estimate as recorded is kept."""
    t = rated_clinic(1500, 0)
    rng = np.random.default_rng(0)
    rng.lognormal(np.log(0.5), 0.3, 1500)  # rated_clinic's draws up to the offsets
    truth = rng.normal(0.0, 1.0, 6) - 2.0
    e = g_estimation(t, hold_raters=True)
    held = e.details["rater_offsets_held"]
    assert held["reference"] == "P1"
    for i in range(6):
        col = held["columns"][f"rater C{i + 1}"]
        assert col["identified"] and abs(col["offset_points"] - truth[i]) < 0.3
    assert held["estimate_as_recorded"] == pytest.approx(g_estimation(t, hold_raters=False).estimate, abs=1e-12)
    said = [w for w in e.warnings if "each recorded rater's offset from P1" in w]
    assert len(said) == 1 and "C1 " in said[0] and "with its uncertainty in the interval" in said[0]


def test_no_rater_or_one_rater_changes_nothing_and_says_so():
    t = rated_clinic(300, 1, record=False)
    for tables in (t, _with_raters(t, "C1")):
        plain, held = g_estimation(tables), g_estimation(tables, hold_raters=True)
        assert held.estimate == plain.estimate and held.se == plain.se
        assert NO_RATERS_NOTE in held.warnings and "rater_offsets_held" not in held.details


def test_visits_without_a_rater_are_a_group_of_their_own():
    """Half the visits record who rated them: the others are one group, "(not recorded)", with its own offset."""
    t = rated_clinic(600, 2, share_recorded=0.5)
    df = pd.DataFrame({"patient_id": t["alsfrs"]["patient_id"], "date": t["alsfrs"]["date"]})
    codes, names = rater_groups(t, df)
    assert names[0] == UNRECORDED  # half the visits: the most
    assert (np.asarray(names)[codes] == t["alsfrs"]["rater"].fillna(UNRECORDED).to_numpy()).all()
    flags, labels, reference = offset_columns(t, df)
    assert flags.shape == (len(df), 7) and f"rater {UNRECORDED}" not in labels and reference == UNRECORDED
    e = g_estimation(t, hold_raters=True)
    assert np.isfinite(e.estimate) and len(e.details["rater_offsets_held"]["columns"]) == 7


def test_a_rater_seen_by_too_few_patients_stays_with_the_reference():
    """A rater who rated a handful of patients' visits is not estimated (20 patients needed) and is named."""
    t = rated_clinic(400, 3)
    raters = t["alsfrs"]["rater"].to_numpy(dtype=object).copy()
    few = t["alsfrs"]["patient_id"].isin([f"P{i:04d}" for i in range(5)]).to_numpy() & (raters == "C1")
    raters[few] = "locum"
    e = g_estimation(_with_raters(t, raters), hold_raters=True)
    col = e.details["rater_offsets_held"]["columns"]["rater locum"]
    assert not col["identified"] and "offset_points" not in col
    assert any("to estimate locum" in w for w in e.warnings)


def test_held_raters_need_the_parametric_models_and_no_modifiers():
    t = rated_clinic(200, 4)
    with pytest.raises(NotApplicable, match="hold_raters"):
        g_estimation(t, hold_raters=True, nuisance="boosted")
    with pytest.raises(NotApplicable, match="hold_raters"):
        g_estimation(t, hold_raters=True, modifiers=("level",))


def test_one_patient_gives_no_estimate_and_no_error():
    t = rated_clinic(1, 5)
    e = g_estimation(t, hold_raters=True)
    assert not np.isfinite(e.estimate) and e.warnings


def test_the_sensitivity_family_gains_the_raters_row_where_raters_are_recorded():
    """--sensitivity on a registry that records its raters: g-estimation the other way round (held under a primary
    that did not hold them, as recorded under one that did), said in the summary, not counted toward the distance
    flag; a registry without raters keeps the family as it was."""
    from alscell.analysis.sensitivity import sensitivity_analyses

    t = rated_clinic(400, 2)
    plain = sensitivity_analyses(t, "alsfrs_r_total", "g_estimation", {"hold_raters": False})
    row = plain.rows[-1]
    assert row.analysis == "g_estimation_raters_held" and not row.flagged
    assert row.result is not None
    assert row.result.estimate == g_estimation(t, hold_raters=True).estimate
    assert "each recorded rater's offset held, g-estimation gives" in plain.summary()
    flagged = [abs(r.difference_in_se) for r in plain.rows[:-1] if r.difference_in_se is not None]
    assert plain.largest_difference_in_se == max(flagged) < abs(row.difference_in_se)
    assert plain.to_json_dict()["sensitivity"][-1]["analysis"] == "g_estimation_raters_held"
    for options in ({"hold_raters": True}, {}):  # asked, or by default where raters are recorded
        held = sensitivity_analyses(t, "alsfrs_r_total", "g_estimation", options)
        assert held.rows[-1].analysis == "g_estimation_raters_as_recorded"
        assert held.rows[-1].result.estimate == plain.primary.estimate
        assert held.primary.estimate == row.result.estimate
    assert len(sensitivity_analyses(rated_clinic(400, 2, record=False)).rows) == 3


def test_a_rater_seen_before_any_treatment_only_at_starts_is_neither_estimated_nor_in_the_history():
    """The programme's rater rates nobody before treatment but the patients who start (the review of 2026-12-07
    found +3 to +6 points/month with perfectly separated decisions before this guard): its readings there were all
    selected by the decision, so its offset is not estimated, its flag stays out of the history, the estimate stays
    near the one as recorded, and the result names it."""
    for seed in range(2):
        t = rated_clinic(600, seed)
        a = t["alsfrs"]
        first = t["treatments"].groupby("patient_id")["date"].min()
        dose = a["patient_id"].map(first)
        before = dose.isna() | (a["date"] < dose)
        raters = a["rater"].to_numpy(dtype=object).copy()
        raters[((a["rater"] == "P1") & before).to_numpy()] = "C1"
        moved = _with_raters(t, raters)
        plain, held = g_estimation(moved, hold_raters=False), g_estimation(moved, hold_raters=True)
        cols = held.details["rater_offsets_held"]["columns"]
        assert held.details["rater_offsets_held"]["reference"] != "P1"
        assert not cols["rater P1"]["identified"]
        assert abs(held.estimate - plain.estimate) < 3 * plain.se, (held.estimate, plain.estimate, plain.se)
        assert any("to estimate P1" in w for w in held.warnings)


def test_a_blank_rater_is_no_rater():
    t = rated_clinic(300, 7)
    blanked = _with_raters(t, t["alsfrs"]["rater"].where(t["alsfrs"]["patient_id"] != "P0001", ""))
    df = pd.DataFrame({"patient_id": blanked["alsfrs"]["patient_id"], "date": blanked["alsfrs"]["date"]})
    assert "" not in rater_groups(blanked, df)[1] and UNRECORDED in rater_groups(blanked, df)[1]


def test_holding_raters_for_another_outcome_says_nothing_was_held():
    """Raters rate the ALSFRS-R: for the FVC the option holds nothing, says so, and the estimate is unchanged."""
    t = rated_clinic(300, 8)
    a = t["alsfrs"]
    fvc = pd.DataFrame({"patient_id": a["patient_id"], "date": a["date"], "measure": "fvc_pct_pred",
                        "value": 40.0 + a[ITEMS].sum(axis=1).astype(float) + np.random.default_rng(0).normal(0, 3, len(a)),
                        "unit": "%"})  # fmt: skip
    with_fvc = Tables.from_frames(**{**dict(t.items()), "measurements": fvc})
    plain, held = g_estimation(with_fvc, "fvc_pct_pred"), g_estimation(with_fvc, "fvc_pct_pred", hold_raters=True)
    assert held.estimate == plain.estimate and "rater_offsets_held" not in held.details
    assert any("raters rate the ALSFRS-R, not fvc_pct_pred: nothing was held" in w for w in held.warnings)


def test_a_held_primary_keeps_the_mixed_models_levels_per_mode():
    """Where the held primary estimated a mode's offset, the mixed-model alternatives hold a level per mode, as
    under the rater rule (alscell.analysis.sensitivity.primary_raters)."""
    from alscell.analysis.sensitivity import primary_raters

    details = {"rater_offsets_held": {"columns": {"rater C2": {"identified": True}, "mode phone": {"identified": True},
                                                  "mode self": {"identified": False}}}}  # fmt: skip
    assert primary_raters(details) == (["phone"], [])


@pytest.mark.parametrize("true_offset", [0.0, -1.5])
def test_a_group_that_rates_at_the_end_of_a_curved_course_reads_its_offset_not_the_curve(true_offset):
    """Accelerating courses (48 − 0.3·t − 0.04·t², hand-made, noise SD 1) and one group that rates only each
    patient's last two visits: against the patient's straight line those visits sit below it (a chord under a curve
    that bends down), so design "line" reads part of the curve as the group's offset; "quadratic" (what hold_raters
    uses) reads the offset itself, within 0.1 points at 800 patients of 8 visits."""
    from alscell.analysis.rater_drift import rater_offsets

    rng = np.random.default_rng(5)
    n, k = 800, 8
    t = rng.uniform(0, 1, (n, 1)) + 3.0 * np.arange(k)[None, :]
    late = np.zeros((n, k))
    late[:, -2:] = 1.0
    y = 48 - 0.3 * t - 0.04 * t**2 + true_offset * late + rng.normal(0, 1, (n, k))
    patient = np.repeat(np.arange(n), k)
    args = (patient, t.ravel(), y.ravel(), late.reshape(-1, 1), np.ones(n * k, bool))
    line, quad = rater_offsets(*args), rater_offsets(*args, design="quadratic")
    assert line.identified[0] and quad.identified[0]
    assert line.gamma[0] - true_offset < -0.3  # the curve, read as the group's
    assert abs(quad.gamma[0] - true_offset) < 0.1
    assert np.all(np.isfinite(quad.influence)) and quad.influence.shape == (n, 2)


def test_held_by_default_where_two_raters_or_more_are_recorded():
    """The rule registered with the twentieth world met (docs/world20_hold_raters.md): g-estimation holds each recorded
    rater's offset unless told not to; with one rater or none, or another outcome, nothing changes and nothing is said;
    with effect modifiers it reads the ratings as recorded and says so (explicitly asked, it refuses)."""
    from alscell.analysis.rater_identity import NOT_BY_DEFAULT

    t = rated_clinic(400, 3)
    default, held, recorded = g_estimation(t), g_estimation(t, hold_raters=True), g_estimation(t, hold_raters=False)
    assert (default.estimate, default.se) == (held.estimate, held.se) != (recorded.estimate, recorded.se)
    assert "rater_offsets_held" in default.details and "rater_offsets_held" not in recorded.details
    bare = rated_clinic(400, 3, record=False)
    for tables in (bare, _with_raters(bare, "C1")):
        e = g_estimation(tables)
        assert e.estimate == g_estimation(tables, hold_raters=False).estimate
        assert NO_RATERS_NOTE not in e.warnings and NOT_BY_DEFAULT not in e.warnings
    modified = g_estimation(t, modifiers=("level",))
    assert NOT_BY_DEFAULT in modified.warnings and "rater_offsets_held" not in modified.details


@pytest.mark.parametrize("history", ["standard", "flexible", "level_spline", "registry", "rater"])
def test_the_held_history_rebuilds_the_score_terms_where_decision_history_put_them(history):
    """_held_raters replaces the first columns of the history — _history's, then _score_terms' — with the same terms
    read from the corrected ratings: with every offset 0 they are the history's own, column for column."""
    from alscell.analysis.g_estimation import _history, _score_terms, decision_history

    df, H, *_ = decision_history(rated_clinic(300, 3), "alsfrs_r_total", history=history)
    block = np.column_stack([_history(df, 48.0)[0], _score_terms(df, history)])
    assert np.array_equal(H[:, : block.shape[1]], block)


def test_a_history_that_cannot_be_fitted_corrected_keeps_the_estimate_as_recorded(monkeypatch):
    """Should the models fail on the corrected history, the estimate is the one as recorded, said — not no estimate."""
    import alscell.analysis.g_estimation as ge

    t = rated_clinic(300, 3)

    def fails(*args, **kwargs):
        raise np.linalg.LinAlgError("singular")

    monkeypatch.setattr(ge, "_offsets_removed", fails)
    e = ge.g_estimation(t)
    assert np.isfinite(e.estimate) and e.estimate == ge.g_estimation(t, hold_raters=False).estimate
    assert any("could not be fitted on the history read from the corrected ratings" in w for w in e.warnings)
    assert not any(c["identified"] for c in e.details["rater_offsets_held"]["columns"].values())

"""Self-ratings in the outcome only (alscell.analysis.self_ratings, g-estimation's ``self_ratings="outcome"``): the
carry of the history's terms by hand, the history over the clinic's visits equal to that of the registry without the
self-ratings, their outcomes kept, the starts placed at the clinic's visits, nothing changed where none is recorded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alscell.analysis.errors import NotApplicable
from alscell.analysis.g_estimation import decision_history, g_estimation
from alscell.analysis.self_ratings import READS, UNNAMED_NOTE, mark_reads, on_read_rows, self_rated
from alscell.io.tables import Tables
from registry_arrays import reviews_and_contacts


def _self_rated_contacts(n: int, seed: int, record: bool = False, mode: str = "self") -> tuple[Tables, np.ndarray]:
    """reviews_and_contacts with each contact rated by the patient (``mode``): the clinic decides at its reviews on
    the drop since the previous review, the contacts fast patients ask for are no occasion.  (tables, contact rows of
    alsfrs)."""
    t = reviews_and_contacts(n, seed, record=True)
    a = t["alsfrs"]
    contact = (a["visit_type"] == "unscheduled").to_numpy()
    a = a.assign(assessor=np.where(contact, mode, "clinician"))
    tr = t["treatments"]
    if not record:
        a, tr = a.drop(columns=["visit_type"]), tr.drop(columns=["decision_date"])
    return Tables.from_frames(patients=t["patients"], treatments=tr, alsfrs=a, measurements=t["measurements"]), contact


def _without(t: Tables, drop: np.ndarray) -> Tables:
    return Tables.from_frames(
        patients=t["patients"], treatments=t["treatments"], alsfrs=t["alsfrs"][~drop], measurements=t["measurements"]
    )


def test_the_terms_are_computed_over_the_read_visits_and_carried_to_the_others():
    df = pd.DataFrame({"patient_id": ["A"] * 4 + ["B"] * 3, READS: [False, True, False, True, True, False, False]})
    # a term that numbers each read visit within its patient: the carry shows which read visit a row takes
    got = on_read_rows(df, lambda d: d.groupby("patient_id").cumcount().to_numpy(float)[:, None] + 1)
    assert got[:, 0].tolist() == [0.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0]
    every = df.drop(columns=[READS])
    assert on_read_rows(every, lambda d: np.arange(len(d), dtype=float)[:, None])[:, 0].tolist() == list(range(7))


def test_the_history_over_the_clinic_visits_is_that_of_the_registry_without_the_self_ratings():
    t, contact = _self_rated_contacts(300, 3)
    df, H, post, at_risk, start = decision_history(t, "alsfrs_r_total", self_ratings="outcome")
    d0, H0, _, risk0, start0 = decision_history(_without(t, contact), "alsfrs_r_total")
    reads = df[READS].to_numpy(bool)
    assert len(df) == len(t["alsfrs"]) and (~reads).sum() == contact.sum() > 0
    np.testing.assert_array_equal(df.loc[reads, "months"].to_numpy(), d0["months"].to_numpy())
    np.testing.assert_allclose(H[reads], H0, rtol=0, atol=1e-12)
    assert (at_risk[reads] == risk0).all() and (start[reads] == start0).all() and not at_risk[~reads].any()
    assert start.sum() == start0.sum() > 0
    # the post-treatment months are every visit's, the self-rated ones included
    assert (post[~reads] > 0).any()


def test_the_self_ratings_stay_in_the_outcome_and_the_result_says_so():
    t, contact = _self_rated_contacts(600, 7)
    read = g_estimation(t)
    out = g_estimation(t, self_ratings="outcome")
    gone = g_estimation(_without(t, contact))
    assert out.n_visits == read.n_visits == len(t["alsfrs"]) > gone.n_visits
    assert out.details["self_rated_visits_not_read"] == int(contact.sum())
    # the same decision visits as without them, more of them with two visits in the window (their outcomes count)
    assert gone.details["decision_rows"] <= out.details["decision_rows"] < read.details["decision_rows"]
    assert out.estimate != pytest.approx(gone.estimate, abs=1e-6)  # their outcomes enter the slopes
    said = [w for w in out.warnings if f"{int(contact.sum())} visit(s) rated by the patient or a caregiver" in w]
    assert len(said) == 1 and said[0].endswith(UNNAMED_NOTE)  # nothing named: what can then lean, said
    named = g_estimation(t, self_ratings="outcome", adjust_for=("time_since_onset",))
    assert not any(UNNAMED_NOTE in w for w in named.warnings)
    assert any("visit(s) rated by the patient or a caregiver" in w for w in named.warnings)
    assert "self_rated_visits_not_read" not in read.details


def test_with_the_decision_dates_recorded_the_starts_are_at_the_clinic_visits():
    t, contact = _self_rated_contacts(300, 5, record=True)
    df, *_ = decision_history(t, "alsfrs_r_total", self_ratings="outcome")
    out = g_estimation(t, self_ratings="outcome")
    starts = out.data.loc[out.data["starts"], "patient_id"]
    rated_self = self_rated(t, out.data)
    assert len(starts) > 0 and not (rated_self & out.data["decision_row"].to_numpy(bool)).any()
    assert not (rated_self & out.data["starts"].to_numpy(bool)).any()
    assert out.details["decision_dates_recorded"] > 0 and (~df[READS]).sum() == contact.sum()


def test_nothing_changes_without_self_ratings_and_a_phone_call_is_a_clinic_contact():
    t, _ = _self_rated_contacts(300, 4, mode="phone")
    assert READS not in mark_reads(t, decision_history(t, "alsfrs_r_total")[0], "outcome")
    a, b = g_estimation(t), g_estimation(t, self_ratings="outcome")
    assert a.estimate == b.estimate and a.se == b.se and "self_rated_visits_not_read" in b.details
    assert b.details["self_rated_visits_not_read"] == 0
    with pytest.raises(NotApplicable, match="self ratings: unknown choice 'never'"):
        g_estimation(t, self_ratings="never")


def test_a_caregiver_rating_is_a_self_rating():
    t, contact = _self_rated_contacts(200, 6, mode="caregiver")
    assert g_estimation(t, self_ratings="outcome").details["self_rated_visits_not_read"] == int(contact.sum())


@pytest.mark.parametrize("history", ["standard", "flexible", "level_spline"])
def test_a_registry_rated_only_by_its_patients_gives_the_empty_result_not_a_numpy_warning(history):
    """Every visit self-rated (a portal-only registry): with ``"outcome"`` no visit is read, so no decision; the
    history's terms are not computed over no visit (numpy warned "Degrees of freedom <= 0", the flexible terms'
    quantiles raised IndexError) and the result is the plain "too few" one."""
    t, _ = _self_rated_contacts(200, 3)
    t = Tables.from_frames(**{**dict(t.items()), "alsfrs": t["alsfrs"].assign(assessor="self")})
    df, H, _, at_risk, start = decision_history(t, "alsfrs_r_total", history=history, self_ratings="outcome")
    assert not at_risk.any() and not start.any() and (H == 0).all() and H.shape[0] == len(df)
    out = g_estimation(t, self_ratings="outcome", history=history)
    assert np.isnan(out.estimate) and "too few patients who start treatment" in out.warnings[-1]


def test_for_another_outcome_the_alsfrs_state_reads_the_clinics_ratings_only():
    """An FVC analysis's decision history holds the ALSFRS-R state (the latest total and its loss since the previous
    ALSFRS-R visit): with ``"outcome"`` it is that of the registry without the self-ratings, so the option acts where
    FVC is measured at the clinic's visits only (before, it changed nothing there)."""
    from alscell.analysis.g_estimation import _alsfrs_state

    t, contact = _self_rated_contacts(300, 3)
    a = t["alsfrs"]
    m = a.loc[~contact, ["patient_id", "date"]].assign(measure="fvc_pct_pred", unit="%")
    m["value"] = 60.0 + (0.5 * np.arange(len(m))) % 30  # any FVC series: the test is about the history
    t = Tables.from_frames(**{**dict(t.items()), "measurements": m})
    df, *_ = decision_history(t, "fvc_pct_pred", self_ratings="outcome")
    assert READS not in df  # no FVC on a self-rated day: no row of the frame is self-rated
    got = _alsfrs_state(t, df, "outcome")
    np.testing.assert_array_equal(got, _alsfrs_state(_without(t, contact), df))
    assert not np.array_equal(got, _alsfrs_state(t, df, "read"))
    read, out = g_estimation(t, "fvc_pct_pred"), g_estimation(t, "fvc_pct_pred", self_ratings="outcome")
    assert read.estimate != out.estimate


def test_treated_patients_with_only_self_ratings_before_the_dose_are_said_to_take_no_part():
    """A treated patient whose every visit on or before the first dose is self-rated has no start (no read visit to
    place it at): the note counts them — the decision lag's count (starts_without_decision_visit) does not, its
    starts being the history's."""
    t, _ = _self_rated_contacts(300, 3, record=True)
    a, tr = t["alsfrs"], t["treatments"]
    dose = a["patient_id"].map(tr.groupby("patient_id")["date"].min())
    lost = tr["patient_id"].drop_duplicates().iloc[:7]
    early = a["patient_id"].isin(lost).to_numpy() & (pd.to_datetime(a["date"]) <= pd.to_datetime(dose)).to_numpy()
    t = Tables.from_frames(**{**dict(t.items()), "alsfrs": a.assign(assessor=a["assessor"].mask(early, "self"))})
    read, out = g_estimation(t), g_estimation(t, self_ratings="outcome")
    assert read.details["initiations"] - out.details["initiations"] == 7
    said = [w for w in out.warnings if "visit(s) rated by the patient or a caregiver" in w]
    assert len(said) == 1 and said[0].endswith(
        "; 7 treated patient(s) had only self-ratings on or before their first dose and take no part in the decision "
        "model." + UNNAMED_NOTE
    )


def test_for_another_outcome_the_result_counts_the_alsfrs_visits_its_state_skipped():
    """With an FVC outcome the frame's rows are FVC visits, never self-rated (an FVC on a self-rating's day stays a
    decision); the details and the note count the self-rated ALSFRS-R visits the ALSFRS-R state skipped."""
    t, contact = _self_rated_contacts(300, 3)
    a = t["alsfrs"]
    m = a[["patient_id", "date"]].assign(measure="fvc_pct_pred", unit="%")  # an FVC at every visit, self days too
    m["value"] = 60.0 + (0.5 * np.arange(len(m))) % 30
    t = Tables.from_frames(**{**dict(t.items()), "measurements": m})
    df, *_ = decision_history(t, "fvc_pct_pred", self_ratings="outcome")
    assert READS not in df and df.attrs["self_rated"] == int(contact.sum()) > 0
    out, read = g_estimation(t, "fvc_pct_pred", self_ratings="outcome"), g_estimation(t, "fvc_pct_pred")
    assert out.details["self_ratings"] == "outcome" and out.details["self_rated_visits"] == int(contact.sum())
    assert out.details["self_rated_visits_not_read"] == int(contact.sum())
    assert any(f"{int(contact.sum())} ALSFRS-R visit(s) rated by the patient" in w for w in out.warnings)
    assert read.details["self_ratings"] == "read" and "self_rated_visits_not_read" not in read.details
    assert not any("ALSFRS-R visit(s) rated by the patient" in w for w in read.warnings)


def test_a_frame_without_dates_says_the_self_ratings_could_not_be_found():
    """A ``data=`` frame without dates (the Python API) cannot be matched to the recorded assessors: every visit is
    read, and the result says so rather than doing nothing silently; for another outcome too."""
    from alscell.analysis.effects import prepare

    t, contact = _self_rated_contacts(300, 5)
    undated = prepare(t, "alsfrs_r_total").drop(columns=["date"])
    got = g_estimation(t, data=undated, self_ratings="outcome")
    said = [w for w in got.warnings if "carry no dates to find them by" in w]
    assert len(said) == 1 and f"records {int(contact.sum())} ALSFRS-R visit(s)" in said[0]
    assert got.estimate == pytest.approx(g_estimation(t, data=undated).estimate, abs=1e-12)  # every visit read
    assert not any("carry no dates to find them by" in w for w in g_estimation(t, data=undated).warnings)
    assert not any("carry no dates to find them by" in w for w in g_estimation(t, self_ratings="outcome").warnings)
    fvc = g_estimation(
        t, "fvc_pct_pred", data=prepare(t, "fvc_pct_pred").drop(columns=["date"]), self_ratings="outcome"
    )
    assert sum("carry no dates to find them by" in w for w in fvc.warnings) == 1

"""history="measures" (alscell.analysis.measure_history): what the clinic measured before each visit, by hand, and
a registry whose clinics decide on FVC, where the standard history leans and this one does not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alscell.analysis.g_estimation import decision_history, g_estimation, history_warning
from alscell.analysis.measure_history import measure_terms
from alscell.domain.time import DAYS_PER_MONTH as DPM
from alscell.io.tables import Tables
from registry_arrays import ONSET, tables_from_totals


def _m(pid: str, day: str, measure: str, value: float, specimen: str | None = None) -> dict:
    return {"patient_id": pid, "date": pd.Timestamp(day), "measure": measure, "value": value, "unit": "x",
            "specimen": specimen}  # fmt: skip


def test_the_latest_value_its_change_per_month_and_a_flag_by_hand():
    m = pd.DataFrame([
        _m("a", "2020-01-01", "fvc_pct_pred", 90), _m("a", "2020-04-01", "fvc_pct_pred", 81),
        _m("a", "2020-04-01", "fvc_pct_pred", 83),  # two blows on one day: their mean, 82
        _m("a", "2020-04-10", "fvc_pct_pred", 80),  # 9 days later: the change over half a month
        _m("b", "2020-02-01", "fvc_pct_pred", 70),
        _m("a", "2020-01-01", "nfl", 50.0, "serum"), _m("a", "2020-03-01", "nfl", 5000.0, "csf"),  # CSF left out
        _m("b", "2020-01-15", "nfl", 20.0, None), _m("b", "2020-03-15", "nfl", 40.0, "plasma"),
        _m("a", "2020-01-01", "grip_kg", 30),  # not a history measure
    ])  # fmt: skip
    df = pd.DataFrame({"patient_id": ["a", "a", "a", "b", "b", "c"],
                       "date": pd.to_datetime(["2019-12-01", "2020-04-01", "2020-05-01", "2020-02-01", "2020-04-01",
                                               "2020-04-01"])})  # fmt: skip
    X, names = measure_terms(Tables.from_frames(measurements=m), df)
    assert names == [
        "fvc_pct_pred", "fvc_pct_pred change per month", "fvc_pct_pred (none yet)",
        "nfl", "nfl change per month", "nfl (none yet)",
    ]  # fmt: skip
    fvc_med = np.median([90, 82, 80, 70])  # one value per patient and day
    months = (pd.Timestamp("2020-04-01") - pd.Timestamp("2020-01-01")).days / DPM
    np.testing.assert_allclose(X[:, 0], [fvc_med, 82, 80, 70, 70, fvc_med])
    np.testing.assert_allclose(X[:, 1], [0, (82 - 90) / months, (80 - 82) / 0.5, 0, 0, 0])
    np.testing.assert_array_equal(X[:, 2], [1, 0, 0, 0, 0, 1])
    nfl_med = np.median(np.log([50, 20, 40]))
    np.testing.assert_allclose(X[:, 3], [nfl_med, np.log(50), np.log(50), np.log(20), np.log(40), nfl_med])
    nfl_months = (pd.Timestamp("2020-03-15") - pd.Timestamp("2020-01-15")).days / DPM
    np.testing.assert_allclose(X[:, 4], [0, 0, 0, 0, np.log(2) / nfl_months, 0])
    np.testing.assert_array_equal(X[:, 5], [1, 0, 0, 0, 0, 1])
    # the rows keep df's order and index
    X2, _ = measure_terms(Tables.from_frames(measurements=m), df.iloc[::-1].set_axis([9, 8, 7, 6, 5, 4]))
    np.testing.assert_allclose(X2, X[::-1])
    # no measurements, or no dates: nothing
    assert measure_terms(Tables.from_frames(), df)[0].shape == (6, 0)
    assert measure_terms(Tables.from_frames(measurements=m), df[["patient_id"]])[0].shape == (6, 0)


def fvc_registry(n: int, effect: float, seed: int, by_fvc: bool = True) -> Tables:
    """Straight courses whose FVC falls with the same patient's rate of decline; the clinic starts cells when
    the recorded FVC is low (a logistic rule on it), so the treated decline faster than their scores say; or,
    not ``by_fvc``, at random (4% of the visits)."""
    rng = np.random.default_rng(seed)
    a = rng.lognormal(0.0, 0.45, n)
    t = rng.uniform(3, 12, n)[:, None] + 3.0 * np.arange(10)[None, :]
    fvc = 105 - 3.0 * a[:, None] * t + rng.normal(0, 3.0, t.shape)
    T = np.full(n, np.inf)
    for j in range(9):
        p = 1 / (1 + np.exp(7.0 - 0.12 * (75 - fvc[:, j]))) if by_fvc else 0.04
        start = np.isinf(T) & (rng.random(n) < p)
        T[start] = t[start, j]
    y = 47 - a[:, None] * t + effect * np.clip(t - T[:, None], 0, None) + rng.normal(0, 2.0, t.shape)
    base = tables_from_totals(t, y, T)
    m = pd.DataFrame({"patient_id": np.repeat([f"P{i:04d}" for i in range(n)], t.shape[1]),
                      "date": ONSET + pd.to_timedelta(np.rint(t.ravel() * DPM), unit="D"),
                      "measure": "fvc_pct_pred", "value": np.round(np.clip(fvc.ravel(), 5, 150)), "unit": "%"})  # fmt: skip
    return Tables.from_frames(patients=base.patients, treatments=base.treatments, alsfrs=base.alsfrs, measurements=m)


def test_a_decision_on_fvc_makes_the_standard_history_lean_and_the_measures_history_does_not():
    std, meas, ses = [], [], []
    for seed in range(4):
        t = fvc_registry(1500, 0.0, seed)
        s, m = g_estimation(t, history="standard"), g_estimation(t, history="measures")
        assert m.details["history"] == "measures" and m.details["history_terms"] == s.details["history_terms"] + 2
        std.append(s.estimate)
        meas.append(m.estimate)
        ses.append(m.se)
    se_mean = np.mean(ses) / 2  # the SE of a mean of four
    assert np.mean(std) < -4 * se_mean  # the treated decline faster than the standard history says
    assert abs(np.mean(meas)) < 2.5 * se_mean


def test_without_measurements_the_measures_history_is_the_registry_history():
    t = fvc_registry(300, 0.3, 1)
    bare = Tables.from_frames(patients=t.patients, treatments=t.treatments, alsfrs=t.alsfrs)
    r, m = g_estimation(bare, history="registry"), g_estimation(bare, history="measures")
    assert m.estimate == pytest.approx(r.estimate, rel=1e-12) and m.se == pytest.approx(r.se, rel=1e-12)
    _, H, *_ = decision_history(bare, "alsfrs_r_total", history="measures")
    assert H.shape[1] == decision_history(bare, "alsfrs_r_total", history="registry")[1].shape[1]


def test_the_registry_contrast_takes_the_measures_and_warns_where_the_decision_followed_them():
    """The standard history's contrast (g_estimation._history_check) adds the measures to the registry terms: on the
    FVC registry it fires, names FVC, and its other estimate is the measures history's; where treatment is random
    it stays quiet though FVC is recorded.  Under the default history (the measures alone) FVC is in the history
    already: the contrast has nothing to add on this registry (no registry terms vary) and says nothing."""
    t = fvc_registry(1500, 0.0, 0)
    e = g_estimation(t, history="standard")
    check = e.details["history_check"]
    assert check["terms"] == ["fvc_pct_pred", "fvc_pct_pred change per month"], check
    assert check["z"] > 3  # toward benefit: the standard history leans against treatment here
    m = g_estimation(t, history="measures")
    assert e.estimate + check["difference"] == pytest.approx(m.estimate, abs=1e-9)
    said = [w for w in e.warnings if "taking what the registry records" in w]
    assert len(said) == 1 and "(fvc_pct_pred)" in said[0]
    fair = g_estimation(fvc_registry(1500, 0.0, 1, by_fvc=False), history="standard")
    assert abs(fair.details["history_check"]["z"]) < 3
    assert not any("taking what the registry records" in w for w in fair.warnings)
    default = g_estimation(t)
    assert "history_check" not in default.details and not any("taking what the registry" in w for w in default.warnings)
    assert default.estimate == g_estimation(t, history="measures_only").estimate
    w = history_warning(0.1, 0.05, 4.0, 0.1, 0.12, 50, 0.05, ["age", "nfl", "nfl change per month", "nfl (none yet)"])
    assert "(age, nfl)" in w[0]


def test_the_course_since_the_first_value_by_hand():
    from alscell.analysis.measure_history import course_terms

    m = pd.DataFrame([
        _m("a", "2020-01-01", "weight_kg", 80), _m("a", "2020-03-01", "weight_kg", 76),
        _m("a", "2020-03-01", "weight_kg", 74),  # two readings on one day: their mean, 75
        _m("a", "2020-03-10", "weight_kg", 72),
        _m("b", "2020-02-01", "weight_kg", 60),
        _m("a", "2020-01-01", "nfl", 20.0, "serum"), _m("a", "2020-05-01", "nfl", 40.0, "plasma"),
        _m("a", "2020-02-01", "nfl", 900.0, "csf"),  # CSF left out
    ])  # fmt: skip
    df = pd.DataFrame({"patient_id": ["a", "a", "a", "a", "b", "c"],
                       "date": pd.to_datetime(["2019-12-01", "2020-01-01", "2020-03-10", "2020-06-01",
                                               "2020-02-01", "2020-02-01"])})  # fmt: skip
    X, names = course_terms(Tables.from_frames(measurements=m), df, {"weight_kg": False, "nfl": True})
    assert names == [
        "weight_kg over its first", "weight_kg change per month since its first", "weight_kg taken at the visit",
        "weight_kg (one value so far)", "nfl over its first", "nfl change per month since its first",
        "nfl taken at the visit", "nfl (one value so far)",
    ]  # fmt: skip
    months = (pd.Timestamp("2020-03-10") - pd.Timestamp("2020-01-01")).days / DPM
    # before any value: 1 (and 0 on the log scale), no change, not taken, not "one so far"
    np.testing.assert_allclose(X[0], [1, 0, 0, 0, 0, 0, 0, 0])
    # the first day: the first value itself, taken, the only one so far
    np.testing.assert_allclose(X[1], [1, 0, 1, 1, 0, 0, 1, 1])
    # 2020-03-10: 72 over 80, (72 − 80) per month since the first, taken; nfl: still its first value (not taken)
    np.testing.assert_allclose(X[2], [72 / 80, (72 - 80) / months, 1, 0, 0, 0, 0, 1])
    # 2020-06-01: nothing taken; nfl doubled on the log scale over four months
    nfl_months = (pd.Timestamp("2020-05-01") - pd.Timestamp("2020-01-01")).days / DPM
    np.testing.assert_allclose(X[3], [72 / 80, (72 - 80) / months, 0, 0, np.log(2), np.log(2) / nfl_months, 0, 0])
    # b: its only weight, taken that day; no nfl; c has nothing
    np.testing.assert_allclose(X[4], [1, 0, 1, 1, 0, 0, 0, 0])
    np.testing.assert_allclose(X[5], [1, 0, 0, 0, 0, 0, 0, 0])


def test_a_second_reading_days_after_the_first_gives_no_exploding_rate():
    from alscell.analysis.measure_history import course_terms

    m = pd.DataFrame([_m("a", "2020-01-01", "fvc_pct_pred", 90), _m("a", "2020-01-08", "fvc_pct_pred", 60)])
    df = pd.DataFrame({"patient_id": ["a"], "date": pd.to_datetime(["2020-01-08"])})
    X, _ = course_terms(Tables.from_frames(measurements=m), df, {"fvc_pct_pred": False})
    np.testing.assert_allclose(X[0], [60 / 90, 0, 1, 0])  # within half a month of the first: no rate


def test_the_measures_alone_are_the_measures_history_without_the_registry_terms():
    """history="measures_only" adds the measures' columns to the standard history, the same columns "measures" ends
    with (after its registry terms); without measurements it is the default exactly; on a registry whose clinics
    decide on FVC it leans no more than the measures history's tolerance."""
    t = fvc_registry(1500, 0.0, 0)
    df, H0, *_ = decision_history(t, "alsfrs_r_total", history="standard")
    _, H1, *_ = decision_history(t, "alsfrs_r_total", history="measures_only")
    _, Hm, *_ = decision_history(t, "alsfrs_r_total", history="measures")
    added = H1.shape[1] - H0.shape[1]
    assert added > 0 and H0.shape[1] + added <= Hm.shape[1]
    np.testing.assert_array_equal(H1[:, : H0.shape[1]], H0)
    np.testing.assert_array_equal(H1[:, H0.shape[1] :], Hm[:, -added:])
    M, _ = measure_terms(t, df)
    assert all(
        any(np.array_equal(H1[:, j], M[:, k]) for k in range(M.shape[1])) for j in range(H0.shape[1], H1.shape[1])
    )
    s, m = g_estimation(t, history="standard"), g_estimation(t, history="measures_only")
    assert m.details["history"] == "measures_only" and abs(m.estimate) < abs(s.estimate)
    bare = Tables.from_frames(patients=t.patients, treatments=t.treatments, alsfrs=t.alsfrs)
    a, b = g_estimation(bare, history="standard"), g_estimation(bare, history="measures_only")
    assert (a.estimate, a.se) == (b.estimate, b.se)

"""g-estimation with effect modifiers (``g_estimation(..., modifiers=...)``): the instrumented solver's
covariance equals a brute-force M-estimation sandwich (every estimating function stacked, the Jacobian by
central differences); a slope change that grows with the patient's decline is recovered, its average over
the starters and its slope per unit; a constant one shows no modification; bad requests say why."""

import numpy as np
import pandas as pd
import pytest

from alscell.analysis.g_estimation import MODIFIERS, _g_influence, g_estimation, g_solve_windows, modifier_columns
from alscell.domain.time import DAYS_PER_MONTH as DPM
from m_estimation import expit, logistic, sandwich


def _design(seed: int = 7):
    """One window of decision rows of 150 patients, an intercept and three history columns, a start from a
    logistic model, two ramp slopes D and two instruments Z = (1, a history column)."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(150), rng.integers(1, 5, 150))
    n = len(groups)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, 3))])
    A = (rng.random(n) < expit(X @ np.array([-0.8, 0.7, -0.4, 0.2]))).astype(float)
    v = rng.standard_normal(n)
    D = np.column_stack([A * rng.uniform(0.5, 1, n) + 0.2 * rng.random(n), np.zeros(n)])
    D[:, 1] = D[:, 0] * v
    S = X @ np.array([-0.8, 0.2, 0.1, 0.0]) + D @ np.array([0.4, 0.3]) + rng.normal(0, 0.5, n)
    Z = np.column_stack([np.ones(n), X[:, 2] + 0.5 * v])
    return A, X, groups, S, D, Z


def _brute_force(A, X, groups, S, D, Z):
    """(ψ̂, covariance) from the stacked estimating functions (logistic score; least squares of S and of each
    column of D on X; the instrumented g-equations), the Jacobian by central differences."""
    q, k = X.shape[1], D.shape[1]
    gamma = logistic(X, A)
    bS = np.linalg.lstsq(X, S, rcond=None)[0]
    bD = [np.linalg.lstsq(X, D[:, c], rcond=None)[0] for c in range(k)]
    res = A - expit(X @ gamma)
    rS, rD = S - X @ bS, D - X @ np.column_stack(bD)
    psi = np.linalg.solve((Z * res[:, None]).T @ rD, (Z * res[:, None]).T @ rS)
    theta_hat = np.concatenate([gamma, bS, *bD, psi])

    def per_patient(th):
        gam, b, pos = th[:q], th[q : 2 * q], 2 * q
        bd = [th[pos + q * c : pos + q * (c + 1)] for c in range(k)]
        d = th[pos + q * k :]
        r = A - expit(X @ gam)
        rs, rd = S - X @ b, D - X @ np.column_stack(bd)
        cols = [X * r[:, None], X * rs[:, None], *[X * rd[:, c][:, None] for c in range(k)]]
        cols.append(Z * (r * (rs - rd @ d))[:, None])
        per_row = np.column_stack(cols)
        return np.array([per_row[groups == g].sum(0) for g in np.unique(groups)])

    return psi, sandwich(per_patient, theta_hat)[-k:, -k:], expit(X @ gamma)


def test_instrumented_sandwich_equals_a_brute_force_m_estimation_sandwich():
    A, X, groups, S, D, Z = _design()
    psi_bf, V_bf, p = _brute_force(A, X, groups, S, D, Z)
    psi, V = g_solve_windows(A, p, X, groups, [(np.arange(len(A)), S, D, Z)])
    np.testing.assert_allclose(psi, psi_bf, rtol=1e-10)
    np.testing.assert_allclose(V, V_bf, rtol=1e-5, atol=1e-12)
    # the influence rows are per patient and their sum is (numerically) zero at the solution
    _, _, U, codes = _g_influence(A, p, X, groups, [(np.arange(len(A)), S, D, Z)])
    assert U.shape == (len(np.unique(groups)), 2) and codes.max() == U.shape[0] - 1
    np.testing.assert_allclose(U.sum(0), 0.0, atol=1e-8)


def _frame(n: int, effect, seed: int = 5) -> tuple[pd.DataFrame, float]:
    """Straight courses from 48 at onset, visits every 3 months from entry; at each visit from the second on
    an untreated patient starts with a probability that rises with the recorded drop since the last visit;
    after the start the slope changes by ``effect(true slope)``.  Returns the frame and the starters' mean
    effect (the truth of θ)."""
    rng = np.random.default_rng(seed)
    rows, effects = [], []
    for i in range(n):
        entry = rng.uniform(6, 18)
        slope = rng.lognormal(np.log(0.9), 0.35)
        t0 = None
        prev = None
        for k in range(10):
            t = entry + 3.0 * k
            s = 0.0 if t0 is None else t - t0
            y = 48.0 - slope * t + effect(slope) * s + rng.normal(0, 1.0)
            if t0 is None and prev is not None and rng.random() < expit(-2.5 + 0.8 * (prev - y)):
                t0 = t + 0.2  # treatment a few days after this visit
                effects.append(effect(slope))
            rows.append(dict(patient_id=f"P{i:04d}", months=t, y=y, days_after=np.nan))
            prev = y
        for r in rows[-10:] if t0 is not None else []:
            r["days_after"] = (r["months"] - t0) * DPM
    return pd.DataFrame(rows), float(np.mean(effects))


def test_a_slope_change_that_grows_with_decline_is_recovered():
    df, truth = _frame(1500, lambda slope: 0.1 + 0.4 * (slope - 0.9))
    e = g_estimation(None, data=df, modifiers=("decline",))
    mod = e.details["effect_modification"]
    assert [m["modifier"] for m in mod] == ["decline"]
    assert e.estimate == pytest.approx(truth, abs=2.5 * e.se)
    assert mod[0]["per_unit"] == pytest.approx(0.4, abs=2.5 * mod[0]["se"])
    assert mod[0]["p_value"] < 0.05 and mod[0]["ci_low"] < mod[0]["per_unit"] < mod[0]["ci_high"]
    # Without the modifier the single δ is a weighted average of the patients' effects, the weights set by
    # (A − p): the fast decliners, most likely to start, weigh least, so here it misses the starters' mean.
    plain = g_estimation(None, data=df)
    assert plain.estimate < truth - 4 * plain.se


def test_a_constant_slope_change_shows_no_modification():
    df, truth = _frame(1500, lambda slope: 0.3, seed=6)
    e = g_estimation(None, data=df, modifiers=MODIFIERS)
    assert e.estimate == pytest.approx(0.3, abs=2.5 * e.se) and truth == pytest.approx(0.3)
    for m in e.details["effect_modification"]:
        assert abs(m["per_unit"]) < 3 * m["se"], m


def test_modifier_columns_and_bad_requests():
    df, _ = _frame(60, lambda slope: 0.2)
    V = modifier_columns(df, 48.0, ("level", "decline"))
    np.testing.assert_allclose(V[:, 0], df["y"])
    np.testing.assert_allclose(V[:, 1], (48.0 - df["y"]) / np.maximum(df["months"], 0.5))
    assert modifier_columns(df, 48.0, ()).shape == (len(df), 0)
    with pytest.raises(ValueError, match="unknown effect modifier"):
        g_estimation(None, data=df, modifiers=("age",))
    few = df[~df["patient_id"].isin(df.loc[df["days_after"].notna(), "patient_id"].unique()[3:])]
    e = g_estimation(None, data=few, modifiers=("level", "decline"))
    assert np.isnan(e.estimate) and any("too few patients who start treatment" in w for w in e.warnings)


def test_the_flexible_history_adds_the_named_terms():
    from alscell.analysis.errors import NotApplicable
    from alscell.analysis.g_estimation import _flexible_terms, decision_history

    df = pd.DataFrame(
        {"patient_id": ["a"] * 4 + ["b"] * 3, "months": [0, 2, 4, 8, 0, 3, 6], "y": [40, 38, 35, 33, 30, 30, 24.0]}
    )
    F = _flexible_terms(df)
    before = np.array([0, 0, 1.0, 1.5, 0, 0, 0])  # the decline over the interval before the last (0: none)
    last = np.array([0, 1.0, 1.5, 0.5, 0, 0, 2.0])
    np.testing.assert_allclose(F[:, 0], before)
    np.testing.assert_allclose(F[:, 1], np.minimum(last, before))
    for c, k in zip(range(2, F.shape[1]), [*np.unique(np.quantile(last, [0.5, 0.75, 0.9]))], strict=False):
        np.testing.assert_allclose(F[:, c], np.maximum(last - k, 0.0))
    frame, _ = _frame(200, lambda slope: 0.2)
    _, H, *_ = decision_history(None, "alsfrs_r_total", frame)
    _, Hf, *_ = decision_history(None, "alsfrs_r_total", frame, "flexible")
    assert Hf.shape[1] == H.shape[1] + _flexible_terms(frame.sort_values(["patient_id", "months"])).shape[1]
    e = g_estimation(None, data=frame, history="flexible")
    assert e.details["history"] == "flexible" and np.isfinite(e.estimate)
    with pytest.raises(NotApplicable, match="unknown history"):
        g_estimation(None, data=frame, history="longer")


def test_the_level_spline_adds_hinges_at_the_levels_percentiles():
    from alscell.analysis.g_estimation import LEVEL_KNOTS, _level_terms, decision_history

    df = pd.DataFrame({"patient_id": ["a"] * 5 + ["b"] * 5, "months": [0, 2, 4, 8, 10] * 2,
                       "y": [40, 38, 35, 33, 30, 30, 24, 20, 12, 4.0]})  # fmt: skip
    L = _level_terms(df)
    y = df["y"].to_numpy()
    # hand-worked knots: numpy's linear percentiles of the ten levels at 10, 25, 50, 75, 90%
    knots = [11.2, 21.0, 30.0, 34.5, 38.2]
    assert np.allclose(np.quantile(y, LEVEL_KNOTS), knots)
    np.testing.assert_allclose(L, np.column_stack([np.maximum(y - k, 0.0) for k in knots]))
    assert _level_terms(df.iloc[:0]).shape == (0, 0)
    frame, _ = _frame(200, lambda slope: 0.2)
    _, H, *_ = decision_history(None, "alsfrs_r_total", frame)
    _, Hl, *_ = decision_history(None, "alsfrs_r_total", frame, "level_spline")
    assert Hl.shape[1] == H.shape[1] + len(LEVEL_KNOTS)
    e = g_estimation(None, data=frame, history="level_spline")
    assert e.details["history"] == "level_spline" and np.isfinite(e.estimate)


def test_the_registry_history_adds_age_time_since_diagnosis_and_support_by_hand():
    from alscell.analysis.decision_inputs import registry_terms
    from alscell.io.tables import Tables

    patients = pd.DataFrame({"patient_id": ["a", "b", "c"], "sex": "F", "birth_year": [1950, None, 1970],
                             "onset_date": pd.to_datetime(["2019-01-01"] * 3),
                             "diagnosis_date": pd.to_datetime(["2019-07-01", "2020-01-01", None]),
                             "onset_site": "limb"})  # fmt: skip
    events = pd.DataFrame({"patient_id": ["a", "b", "b"], "date": pd.to_datetime(["2021-03-01", "2020-06-01",
                           "2021-01-01"]), "event": ["niv_start", "gastrostomy", "tracheostomy"]})  # fmt: skip
    tables = Tables.from_frames(patients=patients, events=events)
    df = pd.DataFrame({"patient_id": ["a", "a", "b", "b", "c"],
                       "date": pd.to_datetime(["2020-01-01", "2021-03-01", "2020-05-01", "2021-02-01", "2021-01-01"])})  # fmt: skip
    X = registry_terms(tables, df)
    # age (b's unknown: the median of the known, 70), its flag; months since diagnosis (c's unknown: the
    # median), its flag; ventilation on or before the visit (a's NIV on its visit day, b's tracheostomy);
    # gastrostomy on or before (b's, from 2020-06-01)
    months = np.array([184, 609, 121, 397, np.nan]) / DPM  # days since diagnosis, by hand
    med = np.nanmedian(months)
    expected = np.column_stack([
        [70, 71, 70.5, 70.5, 51], [0, 0, 1, 1, 0],
        np.where(np.isnan(months), med, months), [0, 0, 0, 0, 1],
        [0, 1, 0, 1, 0], [0, 0, 0, 1, 0],
    ])  # fmt: skip
    expected[2:4, 0] = np.median([70, 71, 51])
    np.testing.assert_allclose(X, expected)
    # a recorded q5b is a gastrostomy too (registries that record it only there): from b's first q5b visit
    alsfrs = pd.DataFrame({"patient_id": ["c"], "date": pd.to_datetime(["2020-12-01"]), "q5b": [2]})
    X2 = registry_terms(Tables.from_frames(patients=patients, events=events, alsfrs=alsfrs), df)
    np.testing.assert_array_equal(X2[:, 5], [0, 0, 0, 1, 1])
    # frames without visit dates get nothing added, and the estimate says so
    frame, _ = _frame(200, lambda slope: 0.2)
    e = g_estimation(None, data=frame, history="registry")
    assert e.details["history"] == "registry" and np.isfinite(e.estimate)
    assert any("no dates" in w for w in e.warnings)


def test_the_registry_history_keeps_only_columns_that_add_rank():
    """A registry where the same patients lack both birth year and diagnosis (two identical "unknown" flags),
    or where the diagnosis date is the onset (months since diagnosis = months since onset): the copies are
    left out, so the estimate is that of the history without them (a rank-deficient history gave −0.65 with
    an SE of 313 on such data before)."""
    from alscell.analysis.g_estimation import _adding_rank
    from alscell.simulate import CohortConfig, simulate_cohort

    rng = np.random.default_rng(4)
    H = rng.standard_normal((400, 3))
    x = rng.standard_normal(400)
    X = np.column_stack([x, x, 2 * H[:, 0] + 1, np.ones(400), rng.standard_normal(400)])
    kept = _adding_rank(H, X)
    np.testing.assert_array_equal(kept, X[:, [0, 4]])
    tables = simulate_cohort(
        CohortConfig(n_patients=300, design="registry", effect=0.0, treated_fraction=0.3), 3
    ).tables
    p = tables.patients.copy()
    gone = p["patient_id"].isin(p["patient_id"].iloc[::10])
    p["birth_year"] = p["birth_year"].astype("Int64").mask(gone)
    p["diagnosis_date"] = pd.to_datetime(p["onset_date"]).mask(gone)
    from alscell.io.tables import Tables

    t = Tables.from_frames(patients=p, treatments=tables.treatments, alsfrs=tables.alsfrs, events=tables.events)
    from alscell.analysis.g_estimation import decision_history
    from alscell.analysis.treatment_weights import standardised_design

    _, H, *_ = decision_history(t, "alsfrs_r_total", history="registry")
    Z = standardised_design(H)
    assert np.linalg.matrix_rank(Z) == Z.shape[1]  # the identical flags would make it one short
    reg = g_estimation(t, history="registry")
    assert np.isfinite(reg.estimate) and reg.se < 2 * g_estimation(t).se

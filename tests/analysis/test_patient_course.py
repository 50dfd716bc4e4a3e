"""One patient's expected course from a population fit made earlier and the patient's current visits
(``forecast_patient_current``, ``LMMResult.with_observations`` / ``for_groups``): the numbers of
``forecast_patient`` on the whole fit for a patient in it, the conditional BLUP for new visits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alscell.analysis.forecast import (
    NaturalHistoryModel,
    PatientNotFound,
    fit_natural_history,
    forecast_patient,
    forecast_patient_current,
    model_for_patient,
)
from alscell.io.reader import read_folder
from alscell.simulate import CohortConfig, simulate_cohort

EXAMPLES = "examples/small"
TOL = 1e-8


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(CohortConfig(n_patients=400, design="registry", effect=0.0), 5).tables


@pytest.fixture(scope="module")
def cohort_model(cohort):
    return fit_natural_history(cohort)


def _assert_same_forecast(a, b, tol: float = TOL) -> None:
    """Every number of two forecasts within ``tol``, everything else equal."""
    assert a.patient_level == b.patient_level and a.warnings == b.warnings
    assert list(a.course.columns) == list(b.course.columns) and len(a.course) == len(b.course)
    for col in ("months_since_onset", "mean", "ci_low", "ci_high", "pi_low", "pi_high"):
        np.testing.assert_allclose(a.course[col].to_numpy(), b.course[col].to_numpy(), rtol=0, atol=tol)
    assert a.course["date"].equals(b.course["date"])
    assert len(a.visits) == len(b.visits)
    for col in ("expected", "pi_low", "pi_high", "pred_se", "residual", "months_since_onset"):
        np.testing.assert_allclose(
            a.visits[col].to_numpy(dtype=float), b.visits[col].to_numpy(dtype=float), rtol=0, atol=tol
        )
    for col in ("date", "phase", "in_fit", "position", "total"):
        assert a.visits[col].reset_index(drop=True).equals(b.visits[col].reset_index(drop=True)), col
    assert abs(a.expected_slope - b.expected_slope) <= tol
    ja, jb = a.to_json_dict(), b.to_json_dict()
    assert ja == jb  # rounded to 4 decimals: identical


def _numpy_blup(model: NaturalHistoryModel, months: np.ndarray, totals: np.ndarray):
    """b = D Zᵀ V⁻¹ (y − Xβ) and Var(b − b̂) = D − D Zᵀ V⁻¹ Z D, V = Z D Zᵀ + σ²I, written out in numpy."""
    r = model.result
    y = months / 12.0
    X = np.column_stack([np.ones_like(y), y, y * y])
    Z = np.column_stack([np.ones_like(y), y])
    D = r.cov_re.to_numpy()
    V = Z @ D @ Z.T + r.scale * np.eye(len(y))
    Vinv = np.linalg.inv(V)
    b = D @ Z.T @ Vinv @ (totals - X @ r.fe_params.to_numpy())
    return b, D - D @ Z.T @ Vinv @ Z @ D


def _fit_rows(model, patient_id):
    v = model.visits
    v = v[(v["patient_id"] == patient_id) & v["in_fit"]]
    return v["months_since_onset"].to_numpy(), v["total"].to_numpy(dtype=float)


def test_patients_in_the_fit_get_the_numbers_of_the_whole_fit(cohort, cohort_model):
    treated = set(cohort["treatments"]["patient_id"])
    ids = cohort["patients"]["patient_id"].tolist()
    picks = [p for p in ids if p in treated][:4] + [p for p in ids if p not in treated][:4]
    assert len(picks) == 8
    for pid in picks:
        full = forecast_patient(cohort, pid, cohort_model)
        assert full.patient_level
        _assert_same_forecast(forecast_patient_current(cohort, pid, cohort_model), full)


def test_every_example_patient_gets_the_numbers_of_the_whole_fit():
    tables = read_folder(EXAMPLES)
    model = fit_natural_history(tables)
    for pid in tables["patients"]["patient_id"]:
        _assert_same_forecast(forecast_patient_current(tables, pid, model), forecast_patient(tables, pid, model))
        one = tables.subset([pid])  # only this patient's rows given: the same
        _assert_same_forecast(forecast_patient_current(one, pid, model), forecast_patient(tables, pid, model))


def test_the_random_effects_are_the_conditional_blup_written_in_numpy(cohort, cohort_model):
    pid = cohort["patients"]["patient_id"].iloc[3]
    months, totals = _fit_rows(cohort_model, pid)
    assert len(months) >= 3
    b, cov = _numpy_blup(cohort_model, months, totals)
    pm = model_for_patient(cohort_model, cohort, pid)
    np.testing.assert_allclose(pm.result.random_effects.loc[pid].to_numpy(), b, rtol=0, atol=TOL)
    np.testing.assert_allclose(pm.result.random_effects_cov[0], cov, rtol=0, atol=TOL)
    # ... which is what the fit gave this patient
    whole = cohort_model.result
    np.testing.assert_allclose(whole.random_effects.loc[pid].to_numpy(), b, rtol=0, atol=TOL)
    # the course mean is xβ̂ + z b̂ with that b̂
    grid = np.array([months[0], months[-1], months[-1] + 6.0])
    X, Z = NaturalHistoryModel.design(grid)
    mean = X @ whole.fe_params.to_numpy() + Z @ b
    np.testing.assert_allclose(pm.predict(pid, grid, "confidence")["mean"].to_numpy(), mean, rtol=0, atol=TOL)


def _with_new_visit(tables, pid: str, days_after: int, score: int):
    alsfrs = tables["alsfrs"]
    last = alsfrs[alsfrs["patient_id"] == pid].sort_values("date").iloc[[-1]].copy()
    last["date"] = last["date"] + pd.Timedelta(days=days_after)
    items = [c for c in alsfrs.columns if c.startswith("q") and c[1:2].isdigit()]
    for c in items:
        last[c] = score if pd.notna(last[c].iloc[0]) else last[c]
    return tables.replace(alsfrs=pd.concat([alsfrs, last], ignore_index=True))


def test_a_new_visit_moves_the_patients_random_effects_only(cohort, cohort_model):
    never = set(cohort["patients"]["patient_id"]) - set(cohort["treatments"]["patient_id"])
    pid = sorted(never)[0]
    after = _with_new_visit(cohort, pid, 60, 1)
    fc = forecast_patient_current(after, pid, cohort_model)
    before = forecast_patient(cohort, pid, cohort_model)
    assert len(fc.visits) == len(before.visits) + 1
    pm = model_for_patient(cohort_model, after, pid)
    months, totals = _fit_rows(pm, pid)
    b, cov = _numpy_blup(cohort_model, months, totals)
    np.testing.assert_allclose(pm.result.random_effects.loc[pid].to_numpy(), b, rtol=0, atol=TOL)
    np.testing.assert_allclose(pm.result.random_effects_cov[0], cov, rtol=0, atol=TOL)
    assert not np.allclose(b, cohort_model.result.random_effects.loc[pid].to_numpy())  # the visit counted
    assert pm.result.fe_params.equals(cohort_model.result.fe_params)  # the population fit is unchanged
    # close to a refit on the new data: one visit of one patient hardly moves the population parameters
    refit = forecast_patient(after, pid, fit_natural_history(after))
    diff = np.abs(refit.course["mean"].to_numpy() - fc.course["mean"].to_numpy()).max()
    assert diff < 0.5


@pytest.fixture(scope="module")
def sparse(cohort):
    """The cohort with one untreated patient reduced to a single visit and another with no visit at all."""
    never = sorted(set(cohort["patients"]["patient_id"]) - set(cohort["treatments"]["patient_id"]))
    one, none = never[1], never[2]
    a = cohort["alsfrs"]
    first = a[a["patient_id"] == one].sort_values("date").index[0]
    keep = (a["patient_id"] != one) | (a.index == first)
    keep &= a["patient_id"] != none
    tables = cohort.replace(alsfrs=a[keep].reset_index(drop=True))
    return tables, one, none, fit_natural_history(tables)


def test_a_patient_with_a_single_visit(sparse):
    tables, one, _, model = sparse
    fc = forecast_patient_current(tables, one, model)
    assert fc.patient_level and len(fc.visits) == 1
    _assert_same_forecast(fc, forecast_patient(tables, one, model))
    months, totals = _fit_rows(model, one)
    b, cov = _numpy_blup(model, months, totals)
    pm = model_for_patient(model, tables, one)
    np.testing.assert_allclose(pm.result.random_effects.loc[one].to_numpy(), b, rtol=0, atol=TOL)
    np.testing.assert_allclose(pm.result.random_effects_cov[0], cov, rtol=0, atol=TOL)


def test_a_patient_with_no_visit_gets_the_population_course_and_says_so(sparse):
    tables, _, none, model = sparse
    fc = forecast_patient_current(tables, none, model)
    assert not fc.patient_level and len(fc.visits) == 0 and len(fc.course)
    assert any("population course" in w for w in fc.warnings)
    assert fc.status["position"] is None
    _assert_same_forecast(fc, forecast_patient(tables, none, model))
    assert len(model_for_patient(model, tables, none).result.group_labels) == 0


def test_an_unknown_patient_is_not_found(cohort, cohort_model):
    with pytest.raises(PatientNotFound, match="not in the data"):
        forecast_patient_current(cohort, "NOBODY", cohort_model)


def test_for_groups_predicts_as_the_whole_result(cohort_model):
    r = cohort_model.result
    labels = list(r.group_labels[[0, 7, 20]])
    sub = r.for_groups([*labels, "NOBODY"])
    assert list(sub.group_labels) == labels and sub.n_groups == r.n_groups
    X, Z = NaturalHistoryModel.design(np.array([3.0, 20.0, 40.0]))
    for g in [*labels, "NOBODY"]:
        for interval in ("confidence", "prediction"):
            want = r.predict(X, Z, groups_new=g if g in labels else None, interval=interval)
            got = sub.predict(X, Z, groups_new=g, interval=interval)
            pd.testing.assert_frame_equal(got, want, rtol=0, atol=1e-12)
    pd.testing.assert_frame_equal(sub.random_effects, r.random_effects.loc[labels], check_names=False)
    assert sub.bse.equals(r.bse) and sub.df.equals(r.df)


def test_with_observations_checks_its_input(cohort_model):
    r = cohort_model.result
    with pytest.raises(ValueError, match="columns"):
        r.with_observations([1.0, 2.0], np.ones((2, 2)), np.ones((2, 2)), ["a", "a"])
    with pytest.raises(ValueError, match="finite"):
        r.with_observations([np.nan], np.ones((1, 3)), np.ones((1, 2)), ["a"])


# ----------------------------------------------------------------------------- the prognosis (issue 16)
@pytest.fixture(scope="module")
def prognosis_models(cohort):
    from alscell.analysis.prognosis import fit_prognosis_models

    return fit_prognosis_models(cohort)


def test_the_prognosis_of_patients_in_the_fit_is_that_of_the_whole_models(cohort, prognosis_models):
    from alscell.analysis.patient_course import prognosis_models_for_patient, prognosis_patient_current
    from alscell.analysis.prognosis import prognosis_patient

    assert len(prognosis_models.outcomes) == 6
    treated = set(cohort["treatments"]["patient_id"])
    ids = cohort["patients"]["patient_id"].tolist()
    grid = np.array([6.0, 24.0, 48.0])
    for pid in [p for p in ids if p in treated][:3] + [p for p in ids if p not in treated][:3]:
        want = prognosis_patient(cohort, pid, prognosis_models).to_json_dict()
        assert prognosis_patient_current(cohort, pid, prognosis_models).to_json_dict() == want
        mine = prognosis_models_for_patient(prognosis_models, cohort, pid)
        for key, om in prognosis_models.outcomes.items():
            assert list(mine.outcomes[key].result.group_labels) in ([pid], [])
            assert mine.outcomes[key].calibration is om.calibration  # once per fit, never per patient
            a, b = om.predict(pid, grid, 0.2), mine.outcomes[key].predict(pid, grid, 0.2)
            np.testing.assert_allclose(b[["mean", "se"]].to_numpy(), a[["mean", "se"]].to_numpy(), rtol=0, atol=TOL)
        pd.testing.assert_series_equal(mine.survival.loc[pid], prognosis_models.survival.loc[pid])


def test_the_prognosis_after_a_new_visit_uses_it(cohort, prognosis_models):
    from alscell.analysis.patient_course import prognosis_models_for_patient, prognosis_patient_current

    never = sorted(set(cohort["patients"]["patient_id"]) - set(cohort["treatments"]["patient_id"]))
    pid = never[0]
    after = _with_new_visit(cohort, pid, 60, 1)
    p = prognosis_patient_current(after, pid, prognosis_models).to_json_dict()
    total = next(f for f in p["forecasts"] if f["outcome"] == "total")
    assert total["last_observed"] == 12.0  # the new visit (every item 1)
    mine = prognosis_models_for_patient(prognosis_models, after, pid)
    om = mine.outcomes["total"]
    f = mine.derived[mine.derived["patient_id"] == pid].dropna(subset=["total", "months_since_onset"])
    b, _ = _numpy_blup(om, f["months_since_onset"].to_numpy(), f["total"].to_numpy(dtype=float))
    np.testing.assert_allclose(om.result.random_effects.loc[pid].to_numpy(), b, rtol=0, atol=TOL)
    assert om.result.fe_params.equals(prognosis_models.outcomes["total"].result.fe_params)


def test_the_prognosis_of_a_patient_with_no_visit(sparse):
    from alscell.analysis.patient_course import prognosis_patient_current
    from alscell.analysis.prognosis import fit_prognosis_models, prognosis_patient

    tables, one, none, _ = sparse
    models = fit_prognosis_models(tables)
    for pid in (one, none):
        want = prognosis_patient(tables, pid, models).to_json_dict()
        assert prognosis_patient_current(tables, pid, models).to_json_dict() == want
    got = prognosis_patient_current(tables, none, models).to_json_dict()
    assert any("population course" in w for w in got["warnings"])

"""The natural-history forecast: model data, bands, windows, stage, JSON, and calibration under no effect."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from alscell.analysis.forecast import PatientNotFound, fit_natural_history, forecast_patient, untreated_visits
from alscell.simulate import CohortConfig, simulate_cohort


@pytest.fixture(scope="module")
def null_registry():
    return simulate_cohort(CohortConfig(n_patients=600, design="registry", effect=0.0), 11).tables


@pytest.fixture(scope="module")
def model(null_registry):
    return fit_natural_history(null_registry)


def test_fit_uses_only_untreated_visits(null_registry, model):
    v = model.visits
    assert not v.loc[v["in_fit"], "phase"].eq("post").any()
    assert v.loc[v["phase"] == "post", "date"].gt(v.loc[v["phase"] == "post", "first_treatment"]).all()
    assert model.n_visits == int(v["in_fit"].sum())
    excl, _ = untreated_visits(null_registry, exclude_prompting_visit=True)
    assert excl["in_fit"].sum() < v["in_fit"].sum()
    assert not excl.loc[excl["in_fit"], "prompting_visit"].any()


def test_bands_are_nested_and_in_range(null_registry, model):
    tr = null_registry["treatments"]
    pid = tr["patient_id"].iloc[0]
    fc = forecast_patient(null_registry, pid, model)
    c = fc.course
    assert fc.patient_level
    eps = 1e-9
    assert (c["pi_low"] <= c["ci_low"] + eps).all() and (c["ci_low"] <= c["mean"] + eps).all()
    assert (c["mean"] <= c["ci_high"] + eps).all() and (c["ci_high"] <= c["pi_high"] + eps).all()
    assert c[["pi_low", "pi_high"]].stack().between(0, 48).all()
    assert [w["window"] for w in fc.windows] == ["short", "mid", "long"]
    assert fc.stage["kings"] in ("1", "2", "3", "4A", "4B", "5")
    assert fc.expected_slope < 0
    json.dumps(fc.to_json_dict())


def test_untreated_patient_has_no_windows(null_registry, model):
    treated = set(null_registry["treatments"]["patient_id"])
    pid = next(p for p in null_registry["patients"]["patient_id"] if p not in treated)
    fc = forecast_patient(null_registry, pid, model)
    assert fc.first_treatment is None and fc.windows == [] and fc.status["n_post_visits"] == 0


def test_calibrated_under_no_effect(null_registry, model):
    """Without any effect, post-treatment visits fall outside the 95% prediction band about 5% of the time."""
    allv = model.expected_at_visits()
    post = allv[(allv["phase"] == "post") & allv["total"].notna()]
    # the vectorised numbers are those of the per-patient forecast
    for pid in post["patient_id"].unique()[:3]:
        one = forecast_patient(null_registry, pid, model).visits.set_index("date")
        mine = post[post["patient_id"] == pid].set_index("date")
        assert np.allclose(one.loc[mine.index, "pi_low"], mine["pi_low"])
        assert (one.loc[mine.index, "position"] == mine["position"]).all()
    below = (post["position"] == "below").mean()
    above = (post["position"] == "above").mean()
    assert len(post) > 500
    assert 0.01 < below + above < 0.10, (below, above)
    assert below < 0.06 and above < 0.06
    assert abs(post["residual"].mean()) < 1.0


def test_unknown_patient(null_registry, model):
    with pytest.raises(PatientNotFound):
        forecast_patient(null_registry, "NOPE", model)


def test_patient_without_untreated_visits_gets_population_course(null_registry):
    t = {k: v.copy() for k, v in null_registry.items()}
    tr = t["treatments"]
    pid = tr["patient_id"].iloc[0]
    first = tr.loc[tr["patient_id"] == pid, "date"].min()
    a = t["alsfrs"]
    t["alsfrs"] = a[~((a["patient_id"] == pid) & (a["date"] <= first))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = forecast_patient(t, pid)
    assert not fc.patient_level
    assert any("population course" in w for w in fc.warnings)
    assert np.isfinite(fc.course["pi_high"]).all()


def test_untreated_cohort_without_treatments_file(null_registry):
    """No treatments table at all (a natural-history cohort): every visit is untreated, nothing crashes."""
    tables = {k: v for k, v in null_registry.items() if k != "treatments"}
    v, first = untreated_visits(tables)
    assert first.empty and (v["phase"] == "untreated").all()
    pid = v["patient_id"].iloc[0]
    fc = forecast_patient(tables, pid)
    assert fc.first_treatment is None and fc.patient_level

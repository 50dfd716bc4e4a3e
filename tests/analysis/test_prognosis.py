"""Prognosis: 3/6/12-month forecasts with intervals, one-visit patients, stages, survival, scenarios."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alscell.analysis.forecast import PatientNotFound
from alscell.analysis.prognosis import (
    HORIZONS,
    OUTCOMES,
    _km_delayed_entry,
    fit_prognosis_models,
    prognosis_patient,
)
from alscell.simulate import CohortConfig, simulate_cohort


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(CohortConfig(n_patients=300, design="registry", effect=0.0), 21).tables


@pytest.fixture(scope="module")
def models(cohort):
    return fit_prognosis_models(cohort)


def _many_visit_patient(cohort):
    n = cohort["alsfrs"].groupby("patient_id").size()
    treated = set(cohort["treatments"]["patient_id"])
    return next(p for p in n[n >= 6].index if p not in treated)


def test_forecast_shape_and_valid_intervals(cohort, models):
    pid = _many_visit_patient(cohort)
    pr = prognosis_patient(cohort, pid, models)
    d = pr.to_json_dict()
    json.dumps(d)
    assert [f["outcome"] for f in d["forecasts"]] == [
        "total", "bulbar", "fine_motor", "gross_motor", "respiratory", "fvc_pct_pred",
    ]  # fmt: skip
    for f in d["forecasts"]:
        assert f["basis"] == "patient"
        hi = 48 if f["outcome"] == "total" else (150 if f["outcome"] == "fvc_pct_pred" else 12)
        for r in f["horizons"]:
            assert 0 <= r["pi95_low"] <= r["pi80_low"] <= r["mean"] <= r["pi80_high"] <= r["pi95_high"] <= hi
        sds = [r["sd"] for r in f["horizons"]]
        assert sds == sorted(sds)  # uncertainty grows with the horizon
    for r in d["stage_probabilities"]:
        for scale in ("kings", "mitos"):
            p = list(r[scale].values())
            assert all(0 <= x <= 1 for x in p) and p == sorted(p, reverse=True)


def test_one_visit_patient_gets_wide_valid_intervals_and_says_why(cohort, models):
    pid = _many_visit_patient(cohort)
    a = cohort["alsfrs"]
    first = a[a["patient_id"] == pid]["date"].min()
    one = cohort.replace(alsfrs=a[(a["patient_id"] != pid) | (a["date"] == first)])
    m1 = fit_prognosis_models(one)
    single = prognosis_patient(one, pid, m1)
    tot = single.to_json_dict()["forecasts"][0]
    assert tot["n_patient_values"] == 1
    assert any("Only one ALSFRS-R visit" in w for w in single.warnings)
    assert "own rate of change cannot be estimated" in tot["note"]
    for r1 in tot["horizons"]:
        assert np.isfinite([r1["pi80_low"], r1["pi80_high"]]).all() and r1["pi80_low"] <= r1["pi80_high"]
        assert r1["pi80_high"] - r1["pi80_low"] > 4.0  # wide: the own slope is unknown
        assert r1["interval_factor"] >= 1.0  # recalibration only ever widens
    assert tot["interval_calibration"]["values_used"] == 1
    # with more visits the 12-month interval is narrower than with one
    many = prognosis_patient(cohort, pid, models).to_json_dict()["forecasts"][0]
    assert many["horizons"][-1]["sd"] < tot["horizons"][-1]["sd"]


def test_json_carries_the_interval_factor_used_at_each_horizon(cohort, models):
    """``interval_factor`` per horizon; ``sd`` = the model's SD × that factor; the 80% range is mean ± 1.2816 sd
    (before clipping to the scale); ``interval_calibration`` says how the factors were found."""
    from scipy.stats import norm

    pid = _many_visit_patient(cohort)
    d = prognosis_patient(cohort, pid, models).to_json_dict()
    now = d["months_since_onset"]
    for f in d["forecasts"]:
        om = models.outcomes[f["outcome"]]
        cal = f["interval_calibration"]
        assert [h["months_ahead"] for h in cal["horizons"]] == list(HORIZONS)
        assert cal["values_used"] == int(om.history.at[pid, "n"])
        assert {g["values"] for g in cal["horizons"][0]["by_values"]} == {"1", "2", "3-4", "5+"}
        raw = om.predict(pid, now + np.asarray(HORIZONS), alpha=0.2)
        for r, se in zip(f["horizons"], raw["se"], strict=True):
            assert r["interval_factor"] >= 1.0
            assert r["sd"] == pytest.approx(se * r["interval_factor"], abs=2e-3)
            if 0 < r["pi80_low"] and r["pi80_high"] < OUTCOMES[f["outcome"]][2]:
                half = (r["pi80_high"] - r["pi80_low"]) / 2
                assert half == pytest.approx(norm.ppf(0.9) * r["sd"], abs=0.02)


def test_stage_probabilities_use_the_recalibrated_spread(cohort, models):
    """Stage probabilities come from the same (recalibrated) predictive distribution as the ranges: forcing
    a larger factor moves them."""
    import dataclasses

    from alscell.analysis.interval_calibration import IntervalCalibration

    pid = _many_visit_patient(cohort)
    base = prognosis_patient(cohort, pid, models).to_json_dict()
    om = models.outcomes["total"]
    wide = IntervalCalibration(HORIZONS, (3.0, 3.0, 3.0), (999,) * 3, (0.5,) * 3)
    m2 = dataclasses.replace(models, outcomes={**models.outcomes, "total": dataclasses.replace(om, calibration=wide)})
    d = prognosis_patient(cohort, pid, m2).to_json_dict()
    assert [r["interval_factor"] for r in d["forecasts"][0]["horizons"]] == [3.0, 3.0, 3.0]
    assert d["stage_probabilities"] != base["stage_probabilities"]
    assert d["natural_variability"] != base["natural_variability"]
    assert d["forecasts"][1:] == base["forecasts"][1:]


def test_a_small_registry_gets_no_recalibration_and_a_sentence():
    t = simulate_cohort(CohortConfig(n_patients=40, design="registry", effect=0.0), 3).tables
    m = fit_prognosis_models(t)
    pid = t["patients"]["patient_id"].iloc[0]
    tot = prognosis_patient(t, pid, m).to_json_dict()["forecasts"][0]
    cal = tot["interval_calibration"]
    short = [h for h in cal["horizons"] if not h["applied"]]
    assert short and all(h["n_pairs"] < cal["min_pairs"] and h["factor"] == 1.0 for h in short)
    assert "not checked against this registry" in cal["statement"]
    for h in short:
        r = next(r for r in tot["horizons"] if r["months_ahead"] == h["months_ahead"])
        assert r["interval_factor"] == 1.0


def test_unknown_patient(cohort, models):
    with pytest.raises(PatientNotFound):
        prognosis_patient(cohort, "NOPE", models)


def test_km_with_delayed_entry_matches_lifelines():
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(5)
    n = 200
    entry = rng.uniform(0, 10, n)
    stop = entry + rng.exponential(20, n)
    event = (rng.uniform(size=n) < 0.7).astype(int)
    times, s = _km_delayed_entry(entry, stop, event)
    kmf = KaplanMeierFitter().fit(stop, event, entry=entry)
    ref = kmf.survival_function_at_times(times).to_numpy()
    assert np.allclose(s, ref, atol=1e-10)


def test_scenarios_cite_sources_and_nonconfirmation(cohort, models):
    pid = _many_visit_patient(cohort)
    sc = {s["key"]: s for s in prognosis_patient(cohort, pid, models).scenarios}
    assert set(sc) == {"none", "nurown_phase3_overall", "nurown_phase3_alsfrs35", "lenzumestrocel_phase2"}
    assert all(h["extra_points"] == 0 for h in sc["none"]["horizons"])
    assert "p = 0.45" in sc["nurown_phase3_overall"]["caveat"]
    assert "did not meet" in sc["lenzumestrocel_phase2"]["caveat"]
    lz = {h["months_ahead"]: h["extra_points"] for h in sc["lenzumestrocel_phase2"]["horizons"]}
    assert lz[6.0] == pytest.approx(3.38) and lz[12.0] is None  # not reported beyond 6 months
    # NurOwn overall: (33% - 28%) × 1.25 points/month × 12 months = 0.75 points
    nu = {h["months_ahead"]: h["extra_points"] for h in sc["nurown_phase3_overall"]["horizons"]}
    assert nu[12.0] == pytest.approx(0.75)


def test_suitability_from_registry_data(cohort, models):
    pid = _many_visit_patient(cohort)
    p = cohort["patients"].copy()
    p["x_anticoagulation"] = np.where(p["patient_id"] == pid, "true", "false")
    t = cohort.replace(patients=p)
    pr = prognosis_patient(t, pid, models)
    nur = next(s for s in pr.suitability if s["name"] == "nurown_phase3")
    by = {c["id"]: c for c in nur["criteria"]}
    assert by["no_anticoagulants"]["status"] == "fail"
    assert by["no_immunosuppression"]["status"] == "unknown"
    assert nur["status"] == "not eligible"
    it = next(r for r in pr.routes["routes"] if r["route"] == "intrathecal")
    assert it["status"] == "contraindicated" and it["flags"][0]["variable"] == "anticoagulation"


def test_event_free_is_a_probability_and_matches_lifelines(cohort, models):
    from lifelines import KaplanMeierFitter

    pid = _many_visit_patient(cohort)
    a = cohort["alsfrs"]
    first = pd.Timestamp(a.loc[a["patient_id"] == pid, "date"].min())
    pr = prognosis_patient(cohort, pid, models, as_of=first)
    ef = pr.event_free
    assert "already" not in ef and ef["n_events"] > 0
    vals = [h["event_free"] for h in ef["horizons"]]
    assert len(vals) == 3 and None not in vals  # all three horizons within the cohort's follow-up
    assert all(0 < v < 1 for v in vals) and vals == sorted(vals, reverse=True)
    # independent: lifelines KM with delayed entry on the stratum's patients, conditional on S(now)
    sd = models.survival
    sub = sd if ef["stratum"].startswith("whole cohort") else sd[sd["group"] == ef["stratum"].split()[0]]
    kmf = KaplanMeierFitter().fit(sub["stop"], sub["event"], entry=sub["entry"])
    now = pr.months_since_onset
    s = kmf.survival_function_at_times([now, now + 3, now + 6, now + 12]).to_numpy()
    assert vals == pytest.approx(list(s[1:] / s[0]), abs=6e-4)  # ours is rounded to 3 decimals


def test_event_free_after_a_recorded_event_says_so(cohort, models):
    ev = cohort["events"]
    dead = ev[ev["event"] == "death"]
    pid, when = dead["patient_id"].iloc[0], pd.Timestamp(dead["date"].iloc[0])
    ef = prognosis_patient(cohort, pid, models, as_of=when + pd.Timedelta(days=1)).event_free
    assert ef["already"] is True and "already" in ef["statement"] and "horizons" not in ef

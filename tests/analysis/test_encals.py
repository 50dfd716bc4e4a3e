"""The ENCALS model: formula by hand, spline knots, missing predictors give a statement, not a number."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from alscell.analysis import encals
from alscell.io.tables import Tables


def _hand_lp(dfrs, delay, age, fvc, bulbar, definite, ftd, c9):
    # Westeneng 2018 transformations with the 3-decimal βs typed from rpavaneijk/Precision-ALS (not our module).
    return (
        -1.837 * (dfrs + 0.1) ** -0.5
        - 2.373 * ((delay / 10) ** -0.5 + math.log(delay / 10))
        - 0.267 * (age / 100) ** -2
        + 0.477 * ((fvc / 100) ** -1 + (fvc / 100) ** -0.5)
        + 0.269 * bulbar
        + 0.233 * definite
        + 0.388 * ftd
        + 0.256 * c9
    )


def _hand_surv(t, lp):
    u = math.log(t)
    kmin, k1, k2, kmax = 0.081, 3.108, 3.638, 5.917

    def c(a):
        return max(a, 0.0) ** 3

    v1 = c(u - k1) - 0.481323 * c(u - kmin) - (1 - 0.481323) * c(u - kmax)
    v2 = c(u - k2) - 0.390507 * c(u - kmin) - (1 - 0.390507) * c(u - kmax)
    s = -6.409 + 2.643 * u - 0.546 * v1 + 0.585 * v2
    return 1 / (1 + math.exp(s + lp))


CASE = dict(
    delta_frs=0.5, diagnostic_delay=10.0, age_at_onset=60.0, fvc=90.0,
    bulbar_onset=0, definite_el_escorial=0, ftd=0, c9orf72=0,
)  # fmt: skip


def test_linear_predictor_and_survival_by_hand():
    lp = float(encals.linear_predictor(CASE))
    assert lp == pytest.approx(_hand_lp(0.5, 10, 60, 90, 0, 0, 0, 0), abs=3e-3)  # full vs 3-decimal βs
    # hand-worked on paper: LP ≈ −4.453, S(36 months) ≈ 0.493, so the median is close to 36 months
    assert lp == pytest.approx(-4.453, abs=2e-3)
    for t in (6.0, 24.0, 36.0, 60.0):
        assert float(encals.survival(t, lp)) == pytest.approx(
            _hand_surv(t, lp), abs=2e-5
        )  # λ rounded to 6 digits in the source
    assert float(encals.survival(36.0, lp)) == pytest.approx(0.493, abs=2e-3)
    med = encals.median_months(lp)
    assert float(encals.survival(med, lp)) == pytest.approx(0.5, abs=1e-9)
    assert 34 < med < 38


def test_lambdas_match_the_knots():
    assert encals._lambdas() == pytest.approx(encals.LAMBDA_GIVEN, abs=1e-6)


def test_worse_predictors_shorten_survival():
    base = float(encals.linear_predictor(CASE))
    for k, v in (
        ("delta_frs", 1.5),
        ("age_at_onset", 75),
        ("fvc", 60),
        ("bulbar_onset", 1),
        ("ftd", 1),
        ("c9orf72", 1),
    ):
        assert float(encals.linear_predictor({**CASE, k: v})) > base, k
    assert float(encals.linear_predictor({**CASE, "diagnostic_delay": 20})) < base


def _tables(**patient):
    p = dict(
        patient_id="P1", sex="F", birth_year=1960, onset_date=pd.Timestamp("2020-01-15"),
        diagnosis_date=pd.Timestamp("2020-11-15"), onset_site="limb", el_escorial="probable",
        riluzole=True, edaravone=False, genetics="negative", cohort=None, site=None, x_ftd=False,
    )  # fmt: skip
    p.update(patient)
    p = {k: v for k, v in p.items() if not (k == "x_ftd" and v is None and "ftd" in patient)}
    items = {f"q{i}": 4 for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)}
    a = pd.DataFrame([{"patient_id": "P1", "date": pd.Timestamp("2020-12-01"), **items, "q5a": 4, "q8": 1, "q9": 1}])
    m = pd.DataFrame(
        [
            {
                "patient_id": "P1",
                "date": pd.Timestamp("2020-12-01"),
                "measure": "fvc_pct_pred",
                "value": 85.0,
                "unit": "%",
            }
        ]
    )
    return Tables.from_frames({"patients": pd.DataFrame([p]), "alsfrs": a, "measurements": m})


def test_complete_patient_gets_a_number():
    r = encals.encals_patient(_tables(), "P1", as_of=pd.Timestamp("2021-01-01"))
    assert r.missing == []
    assert r.linear_predictor is not None and r.median_months_from_onset > 0
    assert [c["months_ahead"] for c in r.conditional] == [3.0, 6.0, 12.0]
    assert all(0 < c["event_free"] <= 1 for c in r.conditional)


def test_missing_continuous_predictor_gives_a_statement_and_what_ifs_not_a_number():
    r = encals.encals_patient(_tables(diagnosis_date=None), "P1")
    assert r.missing == ["diagnostic_delay"]
    assert r.linear_predictor is None and r.median_months_from_onset is None
    assert "No ENCALS prediction" in r.statement and "diagnostic delay" in r.statement
    assert "guess" in r.statement and "6, 12, 24" in r.statement
    # one what-if per listed value; a longer delay means a longer predicted survival (published direction)
    assert [b["assumed"]["diagnostic_delay"] for b in r.bounds] == [6.0, 12.0, 24.0]
    meds = [b["median_months_from_onset"] for b in r.bounds]
    assert meds == sorted(meds) and meds[0] < meds[-1]
    assert f"between {min(meds):.0f} and {max(meds):.0f}" in r.statement
    d = r.to_json_dict()
    assert d["linear_predictor"] is None and d["median_months_from_onset"] is None
    assert d["risk_group"] is None and d["risk_groups"] == ["very short", "short", "intermediate", "long", "very long"]


def test_many_missing_predictors_list_only_the_extremes():
    t = _tables(diagnosis_date=None, birth_year=None, x_ftd=None, genetics=None, el_escorial=None)
    r = encals.encals_patient(t, "P1")
    assert set(r.missing) == {"diagnostic_delay", "age_at_onset", "ftd", "c9orf72", "definite_el_escorial"}
    assert len(r.bounds) == 2 and r.bounds[0]["linear_predictor"] < r.bounds[1]["linear_predictor"]
    assert any("two extreme" in w for w in r.warnings)


def test_full_precision_betas_agree_with_the_second_source():
    # rpavaneijk/Basics (full precision) vs rpavaneijk/Precision-ALS (3 decimals): equal after rounding.
    assert set(encals.BETA) == set(encals.BETA_3DP)
    for k, b in encals.BETA.items():
        assert round(b, 3) == pytest.approx(encals.BETA_3DP[k], abs=1e-12), k


def test_linear_predictor_matches_van_eijk_parametrisation():
    # MyLP(AGE, DISDUR, DXDELAY, SLOPE, VC, ONSET, EE, FTD, C9) of rpavaneijk/Basics, typed here: age at the
    # visit and disease duration instead of age at onset, SLOPE = (TOTAL − 48)/DISDUR (negative).
    def my_lp(age, disdur, dxdelay, slope, vc, onset, ee, ftd, c9):
        t_age = ((age - disdur / 12) / 100) ** -2
        t_dx = (dxdelay / 10) ** -0.5 + math.log(dxdelay / 10)
        t_slope = (-slope + 0.1) ** -0.5
        t_fvc = (vc / 100) ** -1 + (vc / 100) ** -0.5
        return (
            -1.83665700485301 * t_slope - 2.37341404599814 * t_dx - 0.266972062796289 * t_age
            + 0.476853332498141 * t_fvc + 0.268874087566745 * onset + 0.232783007891563 * ee
            + 0.38831322640700 * ftd + 0.256078493763062 * c9
        )  # fmt: skip

    # a patient seen 12 months after onset at age 66 with ALSFRS-R 39 (slope −0.75), delay 9 months, FVC 82%
    ours = encals.linear_predictor(
        dict(delta_frs=0.75, diagnostic_delay=9.0, age_at_onset=65.0, fvc=82.0,
             bulbar_onset=1, definite_el_escorial=1, ftd=0, c9orf72=1)
    )  # fmt: skip
    assert float(ours) == pytest.approx(my_lp(66.0, 12.0, 9.0, (39 - 48) / 12, 82.0, 1, 1, 0, 1), abs=1e-12)
    # the 3-decimal βs move LP by less than Σ 0.0005·|fᵢ|
    f = encals.transforms(
        dict(delta_frs=0.75, diagnostic_delay=9.0, age_at_onset=65.0, fvc=82.0,
             bulbar_onset=1, definite_el_escorial=1, ftd=0, c9orf72=1)
    )  # fmt: skip
    lp3 = sum(encals.BETA_3DP[k] * float(f[k]) for k in encals.PREDICTORS)
    assert abs(lp3 - float(ours)) <= sum(0.0005 * abs(float(v)) for v in f.values())


def test_missing_binary_predictor_gives_a_range_not_a_number():
    r = encals.encals_patient(_tables(x_ftd=None), "P1")
    assert r.missing == ["ftd"] and r.linear_predictor is None
    assert len(r.bounds) == 2 and "frontotemporal dementia" in r.statement
    no, yes = sorted(r.bounds, key=lambda b: b["assumed"]["ftd"])
    assert yes["linear_predictor"] - no["linear_predictor"] == pytest.approx(0.388, abs=1e-3)


def test_genetics_that_do_not_say_c9_are_unknown():
    val, src = encals.encals_predictors(_tables(genetics="SOD1"), "P1")
    assert val["c9orf72"] is None and "does not say" in src["c9orf72"]
    val, _ = encals.encals_predictors(_tables(genetics="C9orf72"), "P1")
    assert val["c9orf72"] is True


def test_canonical_ftd_column_is_read():
    t = _tables(x_ftd=None, ftd=True)
    val, src = encals.encals_predictors(t, "P1")
    assert val["ftd"] is True and src["ftd"] == "patients.ftd"

"""The ENCALS model: formula by hand, spline knots, missing predictors give a statement, not a number."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from alscell.analysis import encals
from alscell.io.tables import Tables


def _hand_lp(dfrs, delay, age, fvc, bulbar, definite, ftd, c9):
    # Westeneng 2018 transformations with the βs typed from the source R file (not from our module).
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
    assert lp == pytest.approx(_hand_lp(0.5, 10, 60, 90, 0, 0, 0, 0), abs=1e-12)
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


def test_missing_continuous_predictor_gives_a_statement_not_a_number():
    r = encals.encals_patient(_tables(diagnosis_date=None), "P1")
    assert "diagnostic_delay" in r.missing
    assert r.linear_predictor is None and r.median_months_from_onset is None and r.bounds == []
    assert "No ENCALS prediction" in r.statement and "diagnostic delay" in r.statement
    assert "guess" in r.statement
    d = r.to_json_dict()
    assert d["linear_predictor"] is None and d["risk_group"] is None


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

"""The pre-trend (placebo) test (alscell.analysis.pretrend): it is the default's own estimate on placebo
data, it finds a bend put before treatment by hand and passes straight courses, and its warning."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alscell.analysis.effects import estimate_effect, prepare
from alscell.analysis.errors import NotApplicable
from alscell.analysis.pretrend import MIN_PATIENTS, Placebo, placebo_check, pretrend_test, pretrend_warning
from alscell.domain.time import DAYS_PER_MONTH as DPM
from alscell.simulate import CohortConfig, simulate_cohort


def _frame(n: int, bend: float, seed: int = 4, treated_share: float = 0.5) -> pd.DataFrame:
    """Straight courses (random intercept and slope) with visits every 3 months from entry; a share of the
    patients treated 18 months after entry.  ``bend`` points/month are added to the treated patients' slope
    in the 6 months before treatment (positive: they flatten there), and their later visits fall 10 points
    (they must be ignored: the test looks only before treatment)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        entry = rng.uniform(6, 18)
        slope, level = rng.lognormal(np.log(0.8), 0.4), rng.normal(46, 1.5)
        treated = i < treated_share * n
        t0 = entry + 18.0
        for k in range(11):
            t = entry + 3.0 * k
            y = level - slope * t + rng.normal(0, 1.0)
            if treated:
                y += bend * np.clip(t - (t0 - 6.0), 0.0, 6.0) - (10.0 if t > t0 else 0.0)
            rows.append(dict(patient_id=f"P{i:04d}", months=t, y=y, days_after=(t - t0) * DPM if treated else np.nan))
    return pd.DataFrame(rows)


def test_a_bend_before_treatment_is_found_and_straight_courses_pass():
    flat = pretrend_test(_frame(400, 0.6))
    assert flat is not None and flat.estimate == pytest.approx(0.6, abs=0.12) and flat.p_value < 1e-4
    steep = pretrend_test(_frame(400, -0.6))
    assert steep is not None and steep.estimate == pytest.approx(-0.6, abs=0.12)
    straight = pretrend_test(_frame(400, 0.0))
    assert straight is not None and abs(straight.estimate) < 3 * straight.se and straight.se < 0.1
    assert straight.n_patients == 200  # every treated patient has visits inside and before the window
    # the warning names the direction; nothing for straight courses or outcomes without a scale maximum
    assert "had already flattened in the 6 months" in pretrend_warning(_frame(400, 0.6), 48.0)[0]
    assert "had already steepened" in pretrend_warning(_frame(400, -0.6), 48.0)[0]
    assert pretrend_warning(_frame(400, 0.6), None) == []


def test_too_few_treated_patients_give_no_test():
    df = _frame(200, 0.6, treated_share=(MIN_PATIENTS - 1) / 200)
    assert pretrend_test(df) is None and pretrend_warning(df, 48.0) == []


def test_it_is_the_default_estimate_on_placebo_data():
    """The same number by the public route: move each first treatment 183 days earlier, drop the visits
    after the real one, and ask ``estimate_effect`` for the default's slope change."""
    tables = simulate_cohort(
        CohortConfig(n_patients=400, design="registry", effect=0.0, treated_fraction=0.4), 11
    ).tables
    first = tables.treatments.sort_values("date").groupby("patient_id", as_index=False).first()
    onset = tables.patients.set_index("patient_id")["onset_date"]
    shift = pd.Timedelta(days=183)
    early = first.loc[first["date"] - shift <= first["patient_id"].map(onset), "patient_id"]
    tables = tables.subset(set(tables.patients["patient_id"]) - set(early))  # the pseudo-start must follow onset
    first = first[~first["patient_id"].isin(early)]
    t0 = tables.alsfrs["patient_id"].map(first.set_index("patient_id")["date"])
    placebo = tables.replace(
        alsfrs=tables.alsfrs[t0.isna() | (tables.alsfrs["date"] <= t0)].reset_index(drop=True),
        treatments=first.assign(date=first["date"] - shift).reset_index(drop=True),
    )
    ours = pretrend_test(prepare(tables, "alsfrs_r_total"), months=183 / DPM)
    public = estimate_effect(placebo, "alsfrs_r_total", "lmm_counterfactual")
    assert ours is not None
    assert ours.estimate == pytest.approx(public.estimate, rel=1e-6, abs=1e-9)
    assert ours.se == pytest.approx(public.se, rel=1e-6)
    assert ours.p_value == pytest.approx(public.p_value, rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("direction", [1, -1])
def test_the_placebo_check_is_the_test_oriented_like_the_headline(direction):
    """The check shown beside the sensitivity analyses: the test's estimate times the outcome's direction,
    its interval from Student's t (scipy) at the test's df, and "passes" read off the p-value."""
    df = _frame(300, 0.6)
    t = pretrend_test(df)
    c = placebo_check(df, direction)
    assert t is not None and c.estimate == pytest.approx(direction * t.estimate)
    q = stats.t.ppf(0.975, t.df)
    assert c.ci_low == pytest.approx(direction * t.estimate - q * t.se)
    assert c.ci_high == pytest.approx(direction * t.estimate + q * t.se)
    assert c.p_value == t.p_value and c.n_patients == t.n_patients and c.passes is False
    assert "had already bent before treatment" in c.sentence("points/month")
    j = c.to_json_dict()
    assert j["passes"] is False and j["reason"] is None and j["window_months"] == 6.0
    straight = placebo_check(_frame(300, 0.0, seed=5))
    assert straight.passes is (straight.p_value is not None and straight.p_value >= 0.05)
    if straight.passes:
        assert "no bend before treatment at this level" in straight.sentence("points/month")


def test_the_placebo_check_says_why_it_was_not_run():
    c = placebo_check(_frame(200, 0.6, treated_share=(MIN_PATIENTS - 1) / 200))
    assert c.estimate is None and c.passes is None and c.n_patients == MIN_PATIENTS - 1
    assert c.reason == (
        f"only {MIN_PATIENTS - 1} treated patients have visits both in the 6 months before treatment and before "
        f"that; the check needs {MIN_PATIENTS}."
    )
    assert c.sentence("points/month").startswith(f"placebo (pre-trend) check not run: only {MIN_PATIENTS - 1}")
    assert c.to_json_dict()["estimate"] is None and c.to_json_dict()["n_patients"] == MIN_PATIENTS - 1


def test_a_check_without_a_standard_error_says_so_and_never_claims_a_bend(monkeypatch):
    no_p = Placebo(6.0, 0.05, 0.1, float("nan"), float("nan"), float("nan"), 30)
    assert no_p.passes is None and "already bent" not in no_p.sentence("points/month")
    # a fit that fails: the reason is the fitter's sentence (its term named for people), once, no internals
    import alscell.analysis.pretrend as pretrend

    def refuse(y, X, Z, groups, names, **kwargs):
        raise NotApplicable(f"the data cannot separate {names[-1]} from the other terms of the model.")

    monkeypatch.setattr(pretrend, "fit_mixed", refuse)
    c = placebo_check(_frame(200, 0.0))
    assert c.estimate is None and c.n_patients == 100
    assert c.reason == (
        "the model could not be fitted on the visits before treatment: the data cannot separate the slope change "
        "in the months before treatment from the other terms of the model."
    )


def test_a_failed_check_never_costs_the_estimate(monkeypatch):
    """When the placebo model cannot be fitted the headline is still estimated, without the warning."""
    import alscell.analysis.pretrend as pretrend

    tables = simulate_cohort(
        CohortConfig(n_patients=300, design="registry", effect=0.0, treated_fraction=0.4), 3
    ).tables
    before = estimate_effect(tables, "alsfrs_r_total", "lmm_counterfactual")

    def refuse(*args, **kwargs):
        raise NotApplicable("the mixed model cannot be fitted to these data.")

    monkeypatch.setattr(pretrend, "fit_mixed", refuse)
    assert pretrend_warning(prepare(tables, "alsfrs_r_total"), 48.0) == []
    after = estimate_effect(tables, "alsfrs_r_total", "lmm_counterfactual")
    assert after.estimate == pytest.approx(before.estimate, rel=1e-12)
    assert [w for w in after.warnings if "months before treatment" not in w] == [
        w for w in before.warnings if "months before treatment" not in w
    ]

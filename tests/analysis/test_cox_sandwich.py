"""Efron cluster-robust Cox SEs (analysis.cox_sandwich) against R survival::coxph goldens."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, CoxTimeVaryingFitter

from alscell.analysis.cox_sandwich import robust_cox_se

GOLDENS = Path(__file__).parent / "goldens"


@pytest.mark.parametrize("scenario", ["ties_weighted", "ties_unweighted", "counting"])
def test_matches_r_survival_efron_cluster(scenario):
    """Tied times, case weights and delayed entry: coef and robust SE equal R's coxph(ties="efron",
    cluster=patient_id) (goldens/cox_efron.R on goldens/cox_efron_data.csv)."""
    data = pd.read_csv(GOLDENS / "cox_efron_data.csv")
    expected = pd.read_csv(GOLDENS / "cox_efron_expected.csv")
    s = data[data["scenario"] == scenario]
    ex = expected[expected["scenario"] == scenario].set_index("term")
    assert s["stop"].duplicated().sum() > 50  # the point of the test: many tied event times
    ctv = CoxTimeVaryingFitter().fit(
        s[["patient_id", "start", "stop", "event", "x", "a", "w"]],
        id_col="patient_id",
        event_col="event",
        start_col="start",
        stop_col="stop",
        weights_col="w",
    )
    np.testing.assert_allclose(ctv.params_[["x", "a"]], ex.loc[["x", "a"], "coef"], rtol=1e-6)
    se = robust_cox_se(s, ctv.params_)
    np.testing.assert_allclose(se[["x", "a"]], ex.loc[["x", "a"], "se_robust"], rtol=1e-6)


def test_without_ties_equals_lifelines_sandwich():
    rng = np.random.default_rng(0)
    n = 200
    x = rng.normal(size=n)
    T, C = rng.exponential(1 / np.exp(0.4 * x)), rng.exponential(2, n)
    df = pd.DataFrame(dict(x=x, stop=np.minimum(T, C), event=(T < C).astype(int), w=rng.uniform(0.5, 2, n)))
    cph = CoxPHFitter().fit(df, "stop", "event", weights_col="w", robust=True)
    rows = df.assign(start=0.0, patient_id=np.arange(n))
    np.testing.assert_allclose(robust_cox_se(rows, cph.params_), cph.standard_errors_, rtol=1e-6)


def test_no_events_gives_nan():
    rows = pd.DataFrame(dict(x=[0.1, 0.2], start=0.0, stop=[1.0, 2.0], event=0, w=1.0, patient_id=[1, 2]))
    assert robust_cox_se(rows, pd.Series({"x": 0.0})).isna().all()

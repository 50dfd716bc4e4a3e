"""Inverse-probability-of-censoring weights of the survival MSM (event_analysis(censoring_weights=True)):
which visits the censoring model treats as losses, the weights against statsmodels' logistic fits by hand,
and that without losses the weights change nothing."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from alscell.analysis import treatment_weights as tw
from alscell.analysis.survival import event_analysis, survival_frame
from alscell.io.tables import Tables
from alscell.simulate import CohortConfig, simulate_cohort

ITEMS = ["q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]


def _tiny() -> Tables:
    """L lost after its 3rd visit, D dead after its 3rd, S still followed: visits every 3 months."""
    rows = []
    for pid in ("L", "D", "S"):
        for k in range(3):
            rows.append([pid, pd.Timestamp("2020-01-01") + pd.Timedelta(days=91 * k), *([3] * 12)])
    alsfrs = pd.DataFrame(rows, columns=["patient_id", "date", *ITEMS])
    events = pd.DataFrame(
        {
            "patient_id": ["L", "D"],
            "date": [pd.Timestamp("2020-08-01"), pd.Timestamp("2020-08-01")],
            "event": ["lost_to_follow_up", "death"],
        }
    )
    patients = pd.DataFrame({"patient_id": ["L", "D", "S"], "onset_date": pd.Timestamp("2019-01-01")})
    return Tables.from_frames(patients=patients, alsfrs=alsfrs, events=events)


def test_only_the_last_visit_of_a_lost_patient_is_a_loss():
    t = _tiny()
    sf = survival_frame(t, "death")
    c = tw.censoring_frame(t, sf)
    # every visit that opens an interval of follow-up (S's last visit is its last day of follow-up)
    assert len(c) == 8 and (c["patient_id"] == "S").sum() == 2
    lost = c[c["censor"] == 1]
    assert list(lost["patient_id"]) == ["L"] and lost["t"].iloc[0] == c.loc[c["patient_id"] == "L", "t"].max()


@pytest.fixture(scope="module")
def registry():
    return simulate_cohort(CohortConfig(n_patients=300, design="registry", effect=0.0), 8).tables


# nobody is lost right after a first visit, so the first-visit flag separates the losses and the unpenalised
# reference MLE drifts along it (statsmodels says so); the fitted probabilities still agree with ours
@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.ConvergenceWarning")
def test_weights_are_the_cumulative_ratio_of_two_logistic_fits(registry):
    sf = survival_frame(registry, "death")
    base = ["age", "months_at_entry"]
    c = tw.censoring_weights(tw.censoring_frame(registry, sf, base), base)
    assert c["censor"].sum() > 5
    y = c["censor"].to_numpy(float)

    def fitted(cols):
        X = c[cols].to_numpy(float)
        X = sm.add_constant((X - X.mean(0)) / X.std(0))
        return sm.Logit(y, X).fit(disp=0, maxiter=500).predict(X)

    num = fitted([*tw.TIME_TERMS, *base, "treated"])
    den = fitted([*tw.TIME_TERMS, *base, "treated", *tw.STATE_TERMS])
    expect = pd.Series((1 - num) / (1 - den)).groupby(c["patient_id"].to_numpy()).cumprod().to_numpy()
    assert np.allclose(c["cw"].to_numpy(), expect, rtol=2e-3)
    assert 0.8 < c["cw"].mean() < 1.2  # stabilised


def test_without_losses_the_censoring_weights_change_nothing(registry):
    t = dict(registry)
    ev = t["events"]
    t["events"] = ev[~ev["event"].isin(tw.LOSS_EVENTS)]
    a = event_analysis(t, "death", method="msm_iptw")
    b = event_analysis(t, "death", method="msm_iptw", censoring_weights=True)
    assert np.isfinite(a.hr) and np.isclose(a.hr, b.hr) and np.isclose(a.se, b.se)
    c = event_analysis(registry, "death", method="msm_iptw", censoring_weights=True)
    assert np.isfinite(c.hr) and c.weights is not None

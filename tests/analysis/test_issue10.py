"""Issue 10: the trigger visit on the treatment day, prevalent events, CR2 in every headline estimator."""

import numpy as np
import pandas as pd
import pytest

from alscell.analysis.effects import estimate_effect, exclude_trigger_visits
from alscell.analysis.survival import survival_frame
from alscell.simulate import CohortConfig, simulate_cohort


@pytest.fixture(scope="module")
def registry():
    return simulate_cohort(CohortConfig(n_patients=120, design="registry", effect=0.0), 11).tables


def test_visit_on_treatment_day_does_not_stay_in_baseline():
    # patient A: visits at −60, −30, 0 (the treatment day), +30, +60 days; n = 2 trigger visits
    df = pd.DataFrame(
        {"patient_id": ["A"] * 5 + ["B"] * 3, "days_after": [-60, -30, 0, 30, 60, np.nan, np.nan, np.nan]}
    )
    keep = exclude_trigger_visits(df, 2)
    # the same-day visit and the one before it go; the −60 visit and post visits stay; untreated B untouched
    assert keep.tolist() == [True, False, False, True, True, True, True, True]
    keep1 = exclude_trigger_visits(df, 1)
    assert keep1.tolist() == [True, True, False, True, True, True, True, True]


def test_prevalent_event_is_not_at_risk(registry):
    t = registry
    first = t["alsfrs"].groupby("patient_id")["date"].min()
    pid = first.index[0]
    ev = pd.DataFrame({"patient_id": [pid], "date": [first[pid] - pd.Timedelta(days=40)], "event": ["gastrostomy"]})
    t2 = t.replace(events=pd.concat([t["events"], ev], ignore_index=True))
    sf = survival_frame(t2, "gastrostomy")
    # a patient whose gastrostomy came before entry is never at risk of a first gastrostomy
    assert pid not in sf.index
    assert any("before" in n or "prevalent" in n for n in sf.attrs["notes"])


def test_headline_uses_cr2_bell_mccaffrey_df():
    # 2% of 300 patients treated: the df of the slope change follows the few treated patients, not G − 1
    t = simulate_cohort(
        CohortConfig(n_patients=300, design="registry", effect=0.0, treated_fraction=0.03, selection_on_bad_visit=1.0),
        3,
    ).tables
    e = estimate_effect(t, method="lmm_counterfactual")  # the mixed model's CR2 df
    assert e.n_treated <= 12
    assert e.details["df"] < 4 * e.n_treated
    assert e.details["df"] < e.n_patients / 5
    # the default (g-estimation) takes its df from the patients who start treatment, too
    g = estimate_effect(t)
    assert g.method == "g_estimation" and g.details["df"] <= max(g.n_treated - 1, 1)

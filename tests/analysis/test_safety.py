import numpy as np
from scipy import stats

from alscell.analysis.safety import ae_incidence
from alscell.simulate import CohortConfig, simulate_cohort


def test_headache_after_intrathecal_against_scipy():
    t = simulate_cohort(
        CohortConfig(
            n_patients=2000, design="registry", route="intrathecal", cell_source="bone_marrow", donor="autologous"
        ),
        2,
    ).tables
    out = ae_incidence(t, by=("route",), within_days=7, term="headache").table
    row = out.iloc[0]
    ci = stats.binomtest(int(row.n_events), int(row.n_administrations)).proportion_ci(method="exact")
    assert np.isclose(row.ci_low, ci.low) and np.isclose(row.ci_high, ci.high)
    assert row.ci_low < 0.07 < row.ci_high  # pooled review: ≈ 7% per autologous intrathecal injection


def test_grouping_by_grade():
    t = simulate_cohort(CohortConfig(n_patients=200, design="registry"), 1).tables
    out = ae_incidence(t, by=("route", "grade")).table
    assert {"route", "grade", "n_administrations", "n_events", "rate", "ci_low", "ci_high"} <= set(out.columns)
    assert (out["n_events"] <= out["n_administrations"]).all()

import numpy as np
from scipy import stats

from alscell.analysis.responders import clopper_pearson, responder_analysis
from alscell.simulate import CohortConfig, simulate_cohort


def test_clopper_pearson_matches_scipy():
    for k, n in [(0, 10), (3, 10), (10, 10), (7, 189)]:
        lo, hi = clopper_pearson(k, n)
        ci = stats.binomtest(k, n).proportion_ci(method="exact")
        assert np.isclose(lo, ci.low) and np.isclose(hi, ci.high)


def test_expected_rate_not_zero():
    t = simulate_cohort(CohortConfig(n_patients=250, design="registry", effect=0.0), 3).tables
    r = responder_analysis(t, n_sim=100)
    assert r.n > 10 and 0 < r.expected_rate < 0.5 and 0 <= r.p_value <= 1
    assert r.ci_low <= r.observed_rate <= r.ci_high

"""Fast honesty check of the claims table under no effect (the full study: benchmarks/claims_calibration.py).

Before the fix (per-window indicators, CR1 SEs with G − 1 df) the same kind of null cohorts rejected ≈ 16% of
rows at 0.05 and produced `harm`/`supported` verdicts after Holm; these checks fail on that code.
"""

import numpy as np
import pandas as pd
import pytest

from alscell.analysis.claims import claims_table
from alscell.analysis.window_effects import cr2_contrasts
from alscell.simulate import CohortConfig, simulate_cohort

MEASURES = {
    "progression": ("alsfrs_r_total",),
    "respiratory_bulbar": ("fvc_pct_pred", "bulbar"),
    "motor": ("grip_kg", "hhd_kg"),
    "biomarkers": ("nfl",),
}


@pytest.fixture(scope="module")
def null_rows():
    out = []
    for seed in (11, 12, 13):
        t = simulate_cohort(CohortConfig(n_patients=300, design="registry", effect=0.0), seed).tables
        out.append(claims_table(t, measures=MEASURES).table.assign(seed=seed))
    return pd.concat(out, ignore_index=True)


def test_null_rejection_rate_near_nominal(null_rows):
    assert len(null_rows) > 150
    rate = float((null_rows["p_value"] < 0.05).mean())
    assert rate < 0.10, f"raw rejection rate under no effect {rate:.3f}"


def test_null_no_verdicts(null_rows):
    assert (null_rows["verdict"] == "not shown").all(), null_rows["verdict"].value_counts().to_dict()


def test_null_small_cells_not_anticonservative(null_rows):
    small = null_rows[null_rows["n_patients"] <= 5]
    assert len(small) > 30
    assert float((small["p_value"] < 0.05).mean()) < 0.10


def test_cr2_df_follows_clusters_carrying_the_contrast():
    """An indicator carried by 4 of 200 clusters gets about 3 df (Bell–McCaffrey), not 199."""
    from alscell.analysis.lmm import fit_lmm

    rng = np.random.default_rng(0)
    G, n = 200, 6
    g = np.repeat(np.arange(G), n)
    t = np.tile(np.arange(n, dtype=float), G)
    ind = ((g < 4) & (t >= 3)).astype(float)
    y = 1.0 - 0.5 * t + rng.normal(0, 1, G)[g] + rng.normal(0, 0.2, G)[g] * t + rng.normal(0, 1, G * n)
    X = np.column_stack([np.ones_like(t), t, ind])
    Z = np.column_stack([np.ones_like(t), t])
    res = fit_lmm(y, X, Z, g, cov_type="robust", df_method="none")
    c = cr2_contrasts(res, y, X, Z, g, np.array([[0, 0, 1.0], [0, 1.0, 0]])).iloc
    assert 1.5 < c[0]["df"] < 6
    assert c[1]["df"] > 100
    assert c[0]["lower"] < c[0]["estimate"] < c[0]["upper"]

"""CR2 + Bell–McCaffrey df against R clubSandwich (goldens made by tests/analysis/goldens/cr2_clubsandwich.R)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alscell.analysis.cr2 import cr2_lmm, cr2_test

GOLD = Path(__file__).parent / "goldens"


def _design(des: str):
    d = pd.read_csv(GOLD / "cr2_designs.csv")
    g = pd.read_csv(GOLD / "cr2_clubsandwich.csv")
    s, gg = d[d["design"] == des], g[g["design"] == des]
    X = np.column_stack([np.ones(len(s)), s["t"], s["t2"], s["post"]])
    return s, gg, X


@pytest.mark.parametrize("des", ["ols", "wls", "lme"])
def test_cr2_matches_clubsandwich(des):
    s, gg, X = _design(des)
    kw: dict = {}
    if des == "wls":
        kw["weights"] = s["w"].to_numpy()
    if des == "lme":
        r = gg.iloc[0]
        kw.update(
            Z=np.column_stack([np.ones(len(s)), (s["t"] - 12) / 12]),
            psi=np.array([[r.psi11, r.psi12], [r.psi12, r.psi22]]),
            sigma2=r.sigma2,
        )
    out = cr2_test(s["y"].to_numpy(), X, s["cluster"].to_numpy(), np.eye(4), **kw)
    np.testing.assert_allclose(out["estimate"], gg["estimate"], rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(out["se"], gg["se"], rtol=1e-7)
    np.testing.assert_allclose(out["df"], gg["df"], rtol=1e-6)
    np.testing.assert_allclose(out["p"], gg["p"], rtol=1e-6)


def test_few_treated_clusters_get_few_df():
    # in the OLS golden 3 of 30 clusters carry `post`: Bell–McCaffrey gives ~2 df, not 29
    s, _gg, X = _design("ols")
    out = cr2_test(s["y"].to_numpy(), X, s["cluster"].to_numpy(), np.eye(4)[[3]])
    assert out["df"].iloc[0] < 3


def test_cr2_lmm_uses_the_fit_components():
    from alscell.analysis.lmm import fit_lmm

    s, gg, X = _design("lme")
    Z = np.column_stack([np.ones(len(s)), (s["t"] - 12) / 12])
    res = fit_lmm(s["y"].to_numpy(), X, Z, s["cluster"].to_numpy())
    out = cr2_lmm(res, s["y"].to_numpy(), X, Z, s["cluster"].to_numpy(), np.eye(4)[[3]])
    # our REML fit ≈ nlme's, so the CR2 numbers agree with clubSandwich to fit precision
    np.testing.assert_allclose(out["se"].iloc[0], gg["se"].iloc[3], rtol=2e-3)
    np.testing.assert_allclose(out["df"].iloc[0], gg["df"].iloc[3], rtol=2e-2)

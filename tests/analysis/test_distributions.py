"""alscell.analysis.distributions gives scipy.stats' numbers (it calls the special functions directly)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from alscell.analysis.distributions import norm_ppf, norm_sf, t_ppf, t_sf

X = np.linspace(-40, 40, 801)
Q = np.linspace(1e-4, 1 - 1e-4, 401)


@pytest.mark.parametrize("df", [1, 1.5, 2, 3.7, 6, 12, 30, 399, 1e4, 1e7, np.inf])
def test_student_t_same_as_scipy_stats(df):
    np.testing.assert_allclose(t_sf(X, df), stats.t.sf(X, df), rtol=1e-12, atol=0)
    np.testing.assert_allclose(t_ppf(Q, df), stats.t.ppf(Q, df), rtol=1e-12, atol=1e-300)


def test_normal_same_as_scipy_stats():
    np.testing.assert_allclose(norm_sf(X), stats.norm.sf(X), rtol=1e-12, atol=0)
    np.testing.assert_allclose(norm_ppf(Q), stats.norm.ppf(Q), rtol=1e-12, atol=0)
    assert norm_ppf(0.975) == pytest.approx(1.959963984540054, abs=1e-15)  # the familiar 1.96


def test_effect_command_does_not_import_scipy_stats():
    """Its import costs about half a second of every `alscell effect` (issue 17: answer at once)."""
    import subprocess
    import sys

    code = "import sys, alscell.analysis.effects, alscell.analysis.lmm; print('scipy.stats' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

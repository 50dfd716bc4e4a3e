"""Small-sample cluster-robust inference for mixed-model contrasts (CR2 + Bell–McCaffrey df).

Why: the claims table estimates one effect per route × cell source group, and a group is often carried by
a handful of patients.  The usual cluster-robust (CR1) sandwich with G − 1 df (G = all patients) then
badly understates the uncertainty.  The remedy is CR2 with Bell–McCaffrey (Satterthwaite) df; the one
implementation is :mod:`alscell.analysis.cr2` (checked against R clubSandwich); this module keeps the
historical entry point.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alscell.analysis.cr2 import cr2_lmm


def cr2_contrasts(res, y, X, Z, groups, L, *, alpha: float = 0.05) -> pd.DataFrame:
    """Estimate, CR2 SE, Bell–McCaffrey df, t, p and CI for each row of ``L`` (m × p) of a fitted LMM."""
    return cr2_lmm(res, np.asarray(y, float), np.asarray(X, float), np.asarray(Z, float), groups, L, alpha=alpha)


__all__ = ["cr2_contrasts"]

"""The default's warning about treated patients who were declining at another rate at entry."""

import numpy as np
import pandas as pd

from alscell.analysis.effects import MIN_GROUP, SELECTION_SMD, _selection_warning


def _frame(rates_treated, rates_untreated):
    """One first visit 10 months after onset per patient (y = 48 − 10·rate) and one later visit."""
    rows = []
    for i, r in enumerate([*rates_treated, *rates_untreated]):
        treated = i < len(rates_treated)
        for m, da in ((10.0, -30.0 if treated else np.nan), (14.0, 90.0 if treated else np.nan)):
            rows.append(dict(patient_id=f"P{i}", months=m, y=48 - 10 * r - (m - 10) * r, days_after=da))
    return pd.DataFrame(rows)


def test_hand_computed_standardised_difference():
    t = np.linspace(0.8, 1.2, 20)  # mean 1.0
    u = np.linspace(0.3, 0.7, 20)  # mean 0.5, same spread
    d = 0.5 / np.sqrt((t.var(ddof=1) + u.var(ddof=1)) / 2)  # ≈ 3.8
    (msg,) = _selection_warning(_frame(t, u), 48.0)
    assert f"{d:+.2f}" in msg and "faster" in msg
    (msg,) = _selection_warning(_frame(u, t), 48.0)
    assert f"{-d:+.2f}" in msg and "slower" in msg


def test_quiet_when_balanced_or_too_few():
    rng = np.random.default_rng(0)
    t, u = rng.normal(1.0, 0.3, 40), rng.normal(1.0, 0.3, 40)
    assert abs((t.mean() - u.mean()) / 0.3) < SELECTION_SMD
    assert _selection_warning(_frame(t, u), 48.0) == []
    few = np.linspace(0.8, 1.2, MIN_GROUP - 1)
    assert _selection_warning(_frame(few, np.linspace(0.3, 0.7, 40)), 48.0) == []
    assert _selection_warning(_frame(t, u), None) == []  # not an ALSFRS-R outcome

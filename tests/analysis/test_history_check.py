"""The registry terms' contrast in g-estimation's details (``history_check``): a move beyond its noise where the
decision follows a recorded covariate the standard history lacks, none where it does not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alscell.analysis.g_estimation import g_estimation, history_warning
from alscell.io.tables import Tables
from registry_arrays import tables_from_totals


def _aged(n: int, seed: int, by_age: bool) -> Tables:
    """Straight courses seen every 3 months that bend after entry by an amount set by age (older: faster), which
    nothing before entry shows; treatment starts at a visit with a probability that rises with age when
    ``by_age`` (else the same for everyone).  No true effect."""
    rng = np.random.default_rng(seed)
    k = 9
    age = rng.normal(62, 10, n)
    z = (age - 62) / 10
    rate = rng.lognormal(np.log(0.8), 0.3, n)
    entry = rng.uniform(4, 14, n)
    t = entry[:, None] + 3.0 * np.arange(k)[None, :]
    y = 46.0 - rate[:, None] * t - 0.25 * z[:, None] * (t - entry[:, None]) + rng.normal(0, 1.0, (n, k))
    p = 0.08 * np.exp(0.9 * z) / np.exp(0.9 * z).mean() if by_age else np.full(n, 0.08)
    T = np.full(n, np.inf)
    for j in range(1, k - 2):
        go = np.isinf(T) & (rng.random(n) < p)
        T[go] = t[go, j]
    tables = tables_from_totals(t, y, T)
    onset_year = pd.to_datetime(tables["patients"]["onset_date"]).dt.year.to_numpy()
    patients = tables["patients"].assign(birth_year=np.rint(onset_year - age).astype(int))
    return Tables.from_frames(tables, patients=patients)


def test_a_decision_on_a_recorded_covariate_moves_the_estimate_beyond_its_noise():
    confounded = g_estimation(_aged(1500, seed=1, by_age=True))
    check = confounded.details["history_check"]
    assert abs(check["z"]) > 4 and check["terms"] == ["age"], check
    # the standard history leans; the move is toward the truth (0): the difference has the opposite sign
    assert np.sign(check["difference"]) == -np.sign(confounded.estimate)
    said = [w for w in confounded.warnings if "taking what the registry records" in w]
    assert len(said) == 1 and "95% CI" in said[0]
    # the other reading in the details is the registry history's own estimate and interval (no measurement here)
    registry = g_estimation(_aged(1500, seed=1, by_age=True), history="registry")
    got = [check[k] for k in ("registry_estimate", "registry_ci_low", "registry_ci_high")]
    assert got == pytest.approx([registry.estimate, registry.ci_low, registry.ci_high], abs=1e-9)
    assert check["warned"] is True and f"to {registry.estimate:+.3f}" in said[0]
    fair = g_estimation(_aged(1500, seed=2, by_age=False))
    assert abs(fair.details["history_check"]["z"]) < 3, fair.details["history_check"]
    assert fair.details["history_check"]["warned"] is False
    assert not any("taking what the registry records" in w for w in fair.warnings)


def test_the_warning_needs_both_its_z_and_its_size():
    assert history_warning(0.1, 0.05, 3.1, 0.1, 0.12, 50, 0.05)  # 3.1 SEs of the move, half the estimate's SE
    assert not history_warning(0.1, 0.05, 2.9, 0.1, 0.12, 50, 0.05)
    assert not history_warning(0.1, 0.02, 8.0, 0.1, 0.12, 50, 0.05)  # significant but a fifth of the SE
    w = history_warning(0.1, -0.05, -4.0, 0.1, 0.12, 50, 0.05, ["age", "age (unknown)", "gastrostomy"])[0]
    assert "by -0.050" in w and "to +0.050" in w and "4.0 times" in w and "(age, gastrostomy)" in w
    assert "alscell effect --adjust-for" in w  # which one leans is the analyst's to settle by naming the inputs


def test_nothing_to_add_means_no_check():
    t = _aged(300, seed=3, by_age=True)
    bare = Tables.from_frames(t, patients=t["patients"].drop(columns="birth_year"))
    assert "history_check" not in g_estimation(bare).details
    # other histories and the modifiers' path do not run it
    assert "history_check" not in g_estimation(t, history="registry").details
    assert "history_check" not in g_estimation(t, modifiers=("level",)).details

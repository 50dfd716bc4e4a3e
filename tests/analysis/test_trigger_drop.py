"""The trigger-drop diagnostic (alscell.analysis.trigger_drop): hand-worked numbers, edge cases, and the
warning on registries that do and do not start treatment after a bad visit."""

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alscell.analysis.trigger_drop import MIN_INTERVALS, trigger_drop_difference, trigger_drop_warning

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


def _frame(untreated_drops: list[list[float]], treated: list[tuple[list[float], float]]) -> pd.DataFrame:
    """Visits every 2 months from 48 points.  Untreated: the drops (points per interval) listed.  Treated: the
    drops up to the visit before treatment, then treatment ``lag`` months after that visit (0 = on its day)
    and one visit after treatment that falls 10 points (it must be ignored)."""
    rows = []
    for i, drops in enumerate(untreated_drops):
        y = 48 - np.r_[0, np.cumsum(drops)]
        rows += [dict(patient_id=f"U{i}", months=2.0 * k, y=v, days_after=np.nan) for k, v in enumerate(y)]
    for i, (drops, lag) in enumerate(treated):
        y = 48 - np.r_[0, np.cumsum(drops)]
        t_last = 2.0 * (len(y) - 1)
        rows += [
            dict(patient_id=f"T{i}", months=2.0 * k, y=v, days_after=(2.0 * k - t_last - lag) * 30.4375)
            for k, v in enumerate(y)
        ]
        rows.append(dict(patient_id=f"T{i}", months=t_last + 3.0, y=y[-1] - 10, days_after=(3.0 - lag) * 30.4375))
    return pd.DataFrame(rows)


def test_hand_worked_difference():
    rng = np.random.default_rng(3)
    untreated = [list(rng.integers(0, 4, 3).astype(float)) for _ in range(10)]  # 30 intervals
    treated = [([1.0, float(rng.integers(2, 7))], 0.0 if i % 2 else 0.5) for i in range(24)]  # 24 trigger intervals
    df = _frame(untreated, treated)
    # by hand: drops per month over 2-month intervals
    trig = np.array([t[0][-1] for t in treated]) / 2
    other = np.r_[np.concatenate(untreated), [t[0][0] for t in treated]] / 2
    expected = (trig.mean() - other.mean()) / other.std(ddof=1)
    smd, n_trig, n_other = trigger_drop_difference(df.sample(frac=1.0, random_state=1))  # row order is irrelevant
    assert (n_trig, n_other) == (24, 54)
    assert smd == pytest.approx(expected, rel=1e-12)
    warning = trigger_drop_warning(df, 48.0)
    assert len(warning) == 1 and f"{expected:+.2f} SDs" in warning[0] and "24 patients" in warning[0]


def test_quiet_when_the_drops_are_ordinary_too_few_or_not_alsfrs():
    ordinary = _frame([[2.0, 2.0, 1.0]] * 10, [([2.0, 1.0], 0.0), ([1.0, 2.0], 0.0)] * 12)
    assert trigger_drop_difference(ordinary)[0] < 0.3 and trigger_drop_warning(ordinary, 48.0) == []
    few = _frame([[1.0, 2.0, 3.0]] * 10, [([1.0, 6.0], 0.0)] * (MIN_INTERVALS - 1))
    assert np.isnan(trigger_drop_difference(few)[0]) and trigger_drop_warning(few, 48.0) == []
    steep = _frame([[1.0, 2.0, 3.0]] * 10, [([1.0, 6.0], 0.0)] * MIN_INTERVALS)
    assert trigger_drop_warning(steep, 48.0) and trigger_drop_warning(steep, None) == []


@settings(max_examples=30, deadline=None)
@given(shift=st.floats(-20, 20), seed=st.integers(0, 10_000))
def test_a_constant_shift_of_the_scores_changes_nothing(shift, seed):
    rng = np.random.default_rng(seed)
    df = _frame(
        [list(rng.integers(0, 5, 3).astype(float)) for _ in range(8)],
        [([float(rng.integers(0, 3)), float(rng.integers(0, 8))], 0.0) for _ in range(22)],
    )
    a, b = trigger_drop_difference(df), trigger_drop_difference(df.assign(y=df["y"] + shift))
    assert a[1:] == b[1:]
    assert (np.isnan(a[0]) and np.isnan(b[0])) or a[0] == pytest.approx(b[0], rel=1e-9, abs=1e-12)


def test_the_default_warns_when_treatment_follows_the_observed_drop_and_not_otherwise():
    from alscell.analysis.effects import estimate_effect
    from alscell.simulate import simulate_cohort
    from calibration import registry_config

    def warned(method: str, selection: float) -> bool:
        cfg = replace(registry_config(800, 0.3, 0.0), selection_on_bad_visit=selection)
        est = estimate_effect(simulate_cohort(cfg, 21).tables, method=method)
        return any("unusually steep drops" in w for w in est.warnings)

    assert warned("lmm_counterfactual", 1.0) and warned("lmm_bounded", 1.0)
    assert not warned("lmm_counterfactual", 0.0)
    assert not warned("g_estimation", 1.0)  # its decision model contains the drop

"""ΔFRS, progression groups and the D50 model; golden numbers worked by hand in the comments."""

from __future__ import annotations

import math
import warnings
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alscell.domain.progression import (
    FAST_ABOVE,
    MEDIAN_SURVIVAL_YEARS,
    SLOW_BELOW,
    d50_score,
    d50_time,
    delta_frs,
    progression_group,
)
from alscell.domain.time import months_between


def test_delta_frs_hand_worked():
    assert delta_frs(36, 12) == 1.0  # (48 - 36) / 12
    assert delta_frs(41, 14) == 0.5  # 7 / 14
    assert delta_frs(48, 6) == 0.0
    assert delta_frs(0, 24) == 2.0


def test_delta_frs_with_calendar_months():
    # 2020-01-01 -> 2021-01-01 is 366 days = 366 / 30.4375 months; 12 points lost
    # -> 12 * 30.4375 / 366 = 365.25 / 366 = 0.99795...
    months = months_between(date(2020, 1, 1), date(2021, 1, 1))
    assert delta_frs(36, months) == pytest.approx(365.25 / 366)


@pytest.mark.parametrize(
    "total, months",
    [(None, 3), (np.nan, 3), (pd.NA, 3), (40, 0), (40, -2), (40, None), (49, 10), (-1, 10)],
)
def test_delta_frs_missing(total, months):
    assert math.isnan(delta_frs(total, months))


def test_delta_frs_vectorised_keeps_series_index():
    totals = pd.Series(pd.array([36, None, 45], dtype="Int64"), index=["a", "b", "c"])
    out = delta_frs(totals, pd.Series([12.0, 5.0, 0.0], index=["a", "b", "c"]))
    assert isinstance(out, pd.Series) and list(out.index) == ["a", "b", "c"]
    assert out.iloc[0] == 1.0 and out.iloc[1:].isna().all()
    arr = delta_frs(np.array([36, 40]), np.array([6.0, 16.0]))
    assert isinstance(arr, np.ndarray) and arr.tolist() == [2.0, 0.5]


@pytest.mark.parametrize(
    "value, group",
    [
        (0.0, "slow"),
        (0.46, "slow"),
        (0.4699999, "slow"),
        (0.47, "intermediate"),
        (0.8, "intermediate"),
        (1.11, "intermediate"),
        (1.1100001, "fast"),
        (3.0, "fast"),
        (-0.2, "slow"),
        (np.nan, None),
        (None, None),
    ],
)
def test_progression_group_boundaries(value, group):
    assert progression_group(value) == group


def test_progression_group_vectorised_and_survival():
    out = progression_group(pd.Series([0.2, 0.5, 2.0, np.nan], index=[4, 5, 6, 7]))
    assert out.tolist() == ["slow", "intermediate", "fast", None] and list(out.index) == [4, 5, 6, 7]
    assert progression_group(np.array([0.2, 1.5])).tolist() == ["slow", "fast"]
    assert MEDIAN_SURVIVAL_YEARS == {"slow": 2.4, "intermediate": 1.6, "fast": 0.7}
    assert (SLOW_BELOW, FAST_ABOVE) == (0.47, 1.11)


@settings(max_examples=200, deadline=None)
@given(st.floats(-5, 10, allow_nan=False))
def test_group_follows_thresholds(x):
    expected = "slow" if x < 0.47 else ("fast" if x > 1.11 else "intermediate")
    assert progression_group(x) == expected


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 48), st.floats(0.1, 120))
def test_delta_frs_round_trip(total, months):
    d = delta_frs(total, months)
    assert d >= 0
    assert 48 - d * months == pytest.approx(total, abs=1e-9)


def test_d50_hand_worked():
    # At t = D50 the score is 48 / (1 + e^0) = 24.
    assert d50_score(20, 20, 5) == 24.0
    # t = D50 + dx ln 3: 48 / (1 + 3) = 12;  t = D50 - dx ln 3: 48 / (1 + 1/3) = 36.
    assert d50_score(20 + 5 * math.log(3), 20, 5) == pytest.approx(12)
    assert d50_score(20 - 5 * math.log(3), 20, 5) == pytest.approx(36)
    assert d50_time(12, 20, 5) == pytest.approx(20 + 5 * math.log(3))
    assert d50_time(36, 20, 5) == pytest.approx(20 - 5 * math.log(3))
    assert d50_time(24, 30, 2) == 30.0


def test_d50_limits_and_invalid():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        far = d50_score(np.array([-1e6, 1e6]), 20, 5)
        assert far.tolist() == [48.0, 0.0]
        assert d50_time(np.array([0.0, 48.0]), 20, 5).tolist() == [math.inf, -math.inf]
    assert math.isnan(d50_time(50, 20, 5))
    assert math.isnan(d50_time(-1, 20, 5))
    assert math.isnan(d50_score(10, 20, 0))
    assert math.isnan(d50_time(10, 20, -1))


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 120), st.floats(1, 80), st.floats(1, 40))
def test_d50_inverse(t, d50, dx):
    score = d50_score(t, d50, dx)
    if 1e-6 < score < 48 - 1e-6:
        assert d50_time(score, d50, dx) == pytest.approx(t, abs=1e-6)
    assert d50_score(t + 1, d50, dx) <= score  # never increases with time

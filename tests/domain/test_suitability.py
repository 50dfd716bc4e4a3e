"""Eligibility screen: presets, boundaries, failures versus unknowns."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from alscell.domain.suitability import (
    LENIENT,
    STRICT,
    EligibilityCriteria,
    ScreenResult,
    invasive_ventilation_from,
    screen,
)

GOOD = dict(
    el_escorial="probable", months_since_onset=12.0, alsfrs_total=40, fvc_pct_pred=80.0, invasive_ventilation=False
)


def run(criteria=LENIENT, **changes) -> ScreenResult:
    return screen(criteria, **{**GOOD, **changes})


def test_presets():
    assert (LENIENT.min_alsfrs_total, LENIENT.min_fvc_pct_pred) == (25, 50)
    assert (STRICT.min_alsfrs_total, STRICT.min_fvc_pct_pred) == (35, 65)
    for preset in (LENIENT, STRICT):
        assert preset.max_months_since_onset == 24
        assert preset.exclude_invasive_ventilation
        assert set(preset.el_escorial) == {"possible", "probable", "probable_lab", "definite"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        LENIENT.min_alsfrs_total = 10  # type: ignore[misc]


@pytest.mark.parametrize("criteria", [LENIENT, STRICT])
def test_good_patient_is_eligible(criteria):
    result = run(criteria)
    assert result.eligible and result.reasons == [] and result.unknown == [] and result.status == "eligible"


@pytest.mark.parametrize(
    "changes, lenient_ok, strict_ok",
    [
        (dict(alsfrs_total=25), True, False),  # LENIENT bound is inclusive
        (dict(alsfrs_total=24), False, False),
        (dict(alsfrs_total=35), True, True),  # STRICT bound is inclusive
        (dict(alsfrs_total=34), True, False),
        (dict(fvc_pct_pred=50), True, False),
        (dict(fvc_pct_pred=49.9), False, False),
        (dict(fvc_pct_pred=65), True, True),
        (dict(fvc_pct_pred=64.5), True, False),
        (dict(months_since_onset=24), True, True),  # "≤ 24 months"
        (dict(months_since_onset=24.1), False, False),
        (dict(el_escorial="possible"), True, True),
        (dict(el_escorial="definite"), True, True),
        (dict(el_escorial="probable_lab"), True, True),
        (dict(el_escorial="suspected"), False, False),
        (dict(invasive_ventilation=True), False, False),
    ],
)
def test_boundaries(changes, lenient_ok, strict_ok):
    for criteria, ok in ((LENIENT, lenient_ok), (STRICT, strict_ok)):
        result = run(criteria, **changes)
        assert result.eligible == ok
        assert len(result.reasons) == (0 if ok else 1)
        assert result.unknown == []


def test_reasons_are_plain_sentences():
    result = run(
        STRICT,
        alsfrs_total=30,
        fvc_pct_pred=55,
        months_since_onset=30,
        el_escorial="suspected",
        invasive_ventilation=True,
    )
    assert not result.eligible and result.status == "not eligible"
    assert len(result.reasons) == 5
    text = " ".join(result.reasons)
    for fragment in (
        "suspected",
        "30.0 months",
        "24 months",
        "ALSFRS-R total is 30",
        "minimum is 35",
        "FVC is 55% predicted",
        "65%",
        "invasive ventilation",
    ):
        assert fragment in text
    assert all(r[0].isupper() and r.endswith(".") for r in result.reasons)


@pytest.mark.parametrize("field", list(GOOD))
@pytest.mark.parametrize("missing", [None, np.nan])
def test_missing_is_unknown_not_failure(field, missing):
    result = run(LENIENT, **{field: missing})
    assert result.reasons == []
    assert len(result.unknown) == 1
    assert not result.eligible and result.status == "undetermined"


def test_failure_and_unknown_together():
    result = run(LENIENT, alsfrs_total=20, fvc_pct_pred=None)
    assert result.status == "not eligible"
    assert len(result.reasons) == 1 and len(result.unknown) == 1
    assert "FVC" in result.unknown[0]


def test_criteria_not_applied_are_not_checked():
    loose = EligibilityCriteria(
        el_escorial=("definite", "probable", "probable_lab", "possible", "suspected"),
        max_months_since_onset=None,
        exclude_invasive_ventilation=False,
    )
    result = screen(
        loose,
        el_escorial="suspected",
        months_since_onset=None,
        alsfrs_total=None,
        fvc_pct_pred=None,
        invasive_ventilation=True,
    )
    assert result.eligible and result.status == "eligible"


def test_vocabulary_is_checked():
    with pytest.raises(ValueError):
        EligibilityCriteria(el_escorial=("likely",))
    with pytest.raises(ValueError):
        run(LENIENT, el_escorial="likely")


@pytest.mark.parametrize(
    "q12, events, expected",
    [
        (0, (), True),  # item 12 = 0: invasive mechanical ventilation
        (1, (), False),  # continuous BiPAP is non-invasive
        (4, ("niv_start",), False),
        (None, ("tracheostomy",), True),
        (3, ("permanent_ventilation",), True),
        (None, (), None),
        (np.nan, ("niv_start",), None),
    ],
)
def test_invasive_ventilation_from(q12, events, expected):
    assert invasive_ventilation_from(q12, events) is expected

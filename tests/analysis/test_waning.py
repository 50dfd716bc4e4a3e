"""Does the slope change last? (alscell.analysis.waning): it recovers a slope change that is put in by hand
and halves 6 months after treatment, finds no difference when it does not change, is oriented like the
headline, says why when it cannot run, and appears in the sensitivity analyses."""

import numpy as np
import pytest

from alscell.analysis import waning as waning_module
from alscell.analysis.effects import prepare
from alscell.analysis.sensitivity import sensitivity_analyses
from alscell.analysis.waning import MIN_PATIENTS, waning_check
from alscell.simulate import CohortConfig, simulate_cohort
from waning_frames import waning_frame as _frame


def test_a_slope_change_that_halves_is_recovered_and_a_constant_one_passes():
    w = waning_check(_frame(400, 0.6, 0.3))
    assert w.early is not None and w.late is not None and w.difference is not None
    assert w.early.estimate == pytest.approx(0.6, abs=0.1) and w.late.estimate == pytest.approx(0.3, abs=0.1)
    assert w.difference.estimate == pytest.approx(-0.3, abs=0.1) and w.differs is True
    assert w.n_patients == 200  # every treated patient is followed beyond 6 months
    text = w.sentence("points/month")
    assert "the later slope change is less favourable" in text and "first 6 months" in text
    same = waning_check(_frame(400, 0.4, 0.4))
    assert same.difference is not None and abs(same.difference.estimate) < 0.1 and same.differs is False
    assert same.difference.ci_low < 0 < same.difference.ci_high
    assert "no difference at this level" in same.sentence("points/month")


def test_oriented_like_the_headline():
    df = _frame(300, 0.6, 0.3)
    up, down = waning_check(df, 1), waning_check(df, -1)
    assert up.early is not None and down.early is not None and up.difference is not None
    assert down.early.estimate == pytest.approx(-up.early.estimate)
    assert down.difference is not None and down.difference.estimate == pytest.approx(-up.difference.estimate)
    assert down.difference.ci_low == pytest.approx(-up.difference.ci_high)
    assert down.difference.p_value == pytest.approx(up.difference.p_value)


def test_too_few_patients_followed_beyond_the_split_and_a_refusing_fitter_say_why(monkeypatch):
    few = waning_check(_frame(200, 0.6, 0.3, treated_share=(MIN_PATIENTS - 1) / 200))
    assert few.early is None and few.differs is None and few.n_patients == MIN_PATIENTS - 1
    assert f"the check needs {MIN_PATIENTS}" in few.sentence("points/month")
    assert few.to_json_dict()["early"] is None and few.to_json_dict()["differs"] is None

    def refuse(*args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(waning_module, "fit_mixed", refuse)
    broken = waning_check(_frame(200, 0.6, 0.3))
    assert broken.difference is None and "could not be fitted: Singular matrix" in (broken.reason or "")


def test_in_the_mixed_models_sensitivity_analyses_as_the_check_on_their_frame():
    tables = simulate_cohort(
        CohortConfig(n_patients=300, design="registry", effect=0.2, treated_fraction=0.4), 5
    ).tables
    s = sensitivity_analyses(tables, primary="lmm_counterfactual")
    direct = waning_check(prepare(tables, "alsfrs_r_total"))
    assert s.waning == direct
    out = s.to_json_dict()["waning"]
    assert out["text"] == direct.sentence("points/month") and out["split_months"] == 6.0
    assert set(out) >= {"early", "late", "difference", "differs", "n_patients", "reason"}

"""Several patient reports share one fit of the prognosis models (no refit per report)."""

from __future__ import annotations

import pytest

import alscell.analysis.prognosis as prognosis_mod
from alscell.analysis.forecast import fit_natural_history
from alscell.report.patient import patient_context, shared_prognosis_models


def test_reports_reuse_the_shared_prognosis_models(tables, monkeypatch):
    model = fit_natural_history(tables)
    shared = shared_prognosis_models(tables)
    assert not isinstance(shared, str)
    pids = list(tables["patients"]["patient_id"][:3])
    alone = patient_context(tables, pids[0], model)["prognosis"]  # fits its own models

    def refit(*args, **kwargs):
        raise AssertionError("prognosis models refitted for one report")

    monkeypatch.setattr(prognosis_mod, "fit_prognosis_models", refit)
    for pid in pids:
        ctx = patient_context(tables, pid, model, shared)
        assert "forecasts" in ctx["prognosis"], ctx["prognosis"]
    # the same numbers as a report that fitted its own models
    again = patient_context(tables, pids[0], model, shared)["prognosis"]
    assert again["forecasts"] == alone["forecasts"]
    with pytest.raises(AssertionError, match="refitted"):
        patient_context(tables, pids[0], model)


def test_models_that_cannot_be_fitted_give_one_sentence(tables):
    one = tables["patients"]["patient_id"].iloc[0]
    tiny = tables.replace(**{n: tables[n][tables[n]["patient_id"] == one] for n in ("patients", "alsfrs")})
    why = shared_prognosis_models(tiny)
    assert isinstance(why, str) and why
    from alscell.report.patient import _prognosis

    assert _prognosis(tiny, one, why) == {"not_available": why}

"""Does the slope change depend on the patient?  The request behind ``alscell effect --modifiers`` and the
API's ``modifiers=``: one parser and one runner for both (``alscell.analysis.g_estimation``, "Effect
modifiers", holds the method).

The JSON object is the spec's ``alscell effect --json`` object, unchanged, extended by one key,
``effect_modification``: one record per modifier (``modifier``, ``per_unit`` — how much the slope change
differs per unit of it, oriented like the estimate —, ``se``, ``ci_low``, ``ci_high``, ``p_value``,
``starters_mean``).
"""

from __future__ import annotations

from typing import Any

from alscell.analysis.errors import NotApplicable
from alscell.analysis.estimate import Estimate, json_value

MODIFIED_METHOD = "g_estimation"  # the one method whose structural model takes effect modifiers


def parse_modifiers(text: str | None) -> tuple[str, ...]:
    """The comma-separated modifier names of a request, checked (:data:`g_estimation.MODIFIERS`); () for none."""
    from alscell.analysis.g_estimation import MODIFIERS

    names = tuple(dict.fromkeys(x.strip() for x in (text or "").split(",") if x.strip()))
    unknown = [m for m in names if m not in MODIFIERS]
    if unknown:
        raise NotApplicable(f"unknown effect modifier(s) {', '.join(unknown)}: use {', '.join(MODIFIERS)}.")
    return names


def estimate_modified(tables, outcome: str, method: str, names: tuple[str, ...]) -> Estimate:
    """The estimate of ``method`` with the slope change depending on ``names`` (only ``g_estimation``)."""
    from alscell.analysis.effects import estimate_effect

    if method != MODIFIED_METHOD:
        raise NotApplicable(f"effect modifiers need the method {MODIFIED_METHOD} (the method asked for is {method}).")
    return estimate_effect(tables, outcome, method, modifiers=names)


def modified_json(est: Estimate) -> dict[str, Any]:
    """The spec's JSON object with the ``effect_modification`` records (empty when it could not be estimated)."""
    rows = [{k: json_value(v) for k, v in r.items()} for r in est.details.get("effect_modification", [])]
    return est.to_json_dict() | {"effect_modification": rows}


__all__ = ["MODIFIED_METHOD", "estimate_modified", "modified_json", "parse_modifiers"]

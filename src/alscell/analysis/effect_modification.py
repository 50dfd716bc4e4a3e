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
from alscell.analysis.estimate import Estimate, json_value, p_phrase

MODIFIED_METHOD = "g_estimation"  # the one method whose structural model takes effect modifiers
# What the cohort report and dashboard ask: does the slope change differ with how fast the patient was
# declining (ΔFRS at the start)?  Its test's calibration on five worlds: docs/g_modifiers.md.
REPORT_MODIFIERS = ("decline",)
MODIFIER_WORDS = {
    "decline": "point/month more of ΔFRS (mean loss per month since onset) at the start",
    "level": "point more at the start",
}
# The test's known failure (docs/g_modifiers.md: the second world), said beside every answer.
CAVEAT = (
    "The test is honest where the decision to treat follows the recorded course; where patients were chosen "
    "for how fast they were truly declining beyond what was recorded it finds a difference that is not there "
    "(docs/g_modifiers.md)."
)


def parse_modifiers(text: str | None, sensitivity: bool = False) -> tuple[str, ...]:
    """The comma-separated modifier names of a request, checked (:data:`g_estimation.MODIFIERS`); () for none.
    A request for modifiers cannot also ask for the sensitivity analyses (``sensitivity``)."""
    from alscell.analysis.g_estimation import check_modifiers

    names = check_modifiers(tuple(dict.fromkeys(x.strip() for x in (text or "").split(",") if x.strip())))
    if names and sensitivity:
        raise NotApplicable("modifiers and the sensitivity analyses cannot be combined: run them one at a time.")
    return names


def estimate_modified(tables, outcome: str, method: str, names: tuple[str, ...], **options) -> Estimate:
    """The estimate of ``method`` with the slope change depending on ``names`` (only ``g_estimation``); ``options``
    go to it as well (what drove the decision: alscell.analysis.decision_inputs.named_options)."""
    from alscell.analysis.effects import estimate_effect

    if method != MODIFIED_METHOD:
        raise NotApplicable(f"effect modifiers need the method {MODIFIED_METHOD} (the method asked for is {method}).")
    return estimate_effect(tables, outcome, method, modifiers=names, **options)


def modified_json(est: Estimate) -> dict[str, Any]:
    """The spec's JSON object with the ``effect_modification`` records (empty when it could not be estimated)."""
    rows = [{k: json_value(v) for k, v in r.items()} for r in est.details.get("effect_modification", [])]
    return est.to_json_dict() | {"effect_modification": rows}


def modification_sentence(est: Estimate) -> str:
    """For people: does the slope change differ between patients, per unit of each modifier, with the
    starters' average it is centred on, and the test's known failure."""
    rows = est.details.get("effect_modification", [])
    if not rows:
        why = est.warnings[-1] if est.warnings else "not estimable on these data."
        return f"does it work better in some patients? not checked: {why}"
    parts = []
    for r in rows:
        way = "larger" if r["per_unit"] > 0 else "smaller"
        parts.append(
            f"per {MODIFIER_WORDS[r['modifier']]}, the slope change is {abs(r['per_unit']):.3f} {est.unit} {way} "
            f"(95% CI {r['ci_low']:+.3f} to {r['ci_high']:+.3f}, {p_phrase(r['p_value'])})"
        )
    found = any(r["p_value"] < 0.05 for r in rows)
    verdict = (
        "the data show a difference between patients"
        if found
        else "no difference between patients shown (one too small for these data is not ruled out)"
    )
    said = "; ".join(parts)
    return (
        f"does it work better in some patients? {said[:1].upper()}{said[1:]}: {verdict}; the average over the patients who "
        f"start treatment is {est.estimate:+.3f} {est.unit}. {CAVEAT}"
    )


__all__ = [
    "CAVEAT",
    "MODIFIED_METHOD",
    "REPORT_MODIFIERS",
    "estimate_modified",
    "modification_sentence",
    "modified_json",
    "parse_modifiers",
]

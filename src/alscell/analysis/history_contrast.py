"""The move of g-estimation's estimate between two decision histories fitted on the same patients, with its SE.

Both estimates come from the same patients, so the move's variance is that of the difference of their per-patient
influence functions (a Hausman-type contrast: Hausman, Econometrica 1978;46:1251–1271).  Used by the registry
terms' check (:func:`alscell.analysis.g_estimation._history_check`) and the measures' check
(:func:`alscell.analysis.g_estimation._measures_check`); :func:`checks_json` is how both reach a user (the
``alscell effect --json`` object, the API's and the ``/effect`` page's).
"""

from __future__ import annotations

import numpy as np

from alscell.analysis.estimate import json_value

Fit = tuple[np.ndarray, np.ndarray]  # (δ̂, per-patient influence: patients × parameters), decision_influence's


def contrast(fit: Fit, base: Fit) -> dict[str, float]:
    """``fit``'s first parameter minus ``base``'s (``difference``), the SE of that move (``se``), their ratio
    (``z``; NaN when the SE is 0) and each estimate's own SE (``fit_se``, ``base_se``).  The two influence
    matrices must list the same patients in the same order (the same decision rows)."""
    (d1, i1), (d0, i0) = fit, base
    diff = float(d1[0] - d0[0])
    se = float(np.sqrt(((i1[:, 0] - i0[:, 0]) ** 2).sum()))
    return {
        "difference": diff,
        "se": se,
        "z": diff / se if se > 0 else float("nan"),
        "fit_se": float(np.sqrt(i1[:, 0] @ i1[:, 0])),
        "base_se": float(np.sqrt(i0[:, 0] @ i0[:, 0])),
    }


def carried_se(se: float, own_se: float, other_se: float) -> float:
    """The SE the other history's estimate carries when the reported estimate's ``se`` holds more than its fit's
    own sandwich ``own_se`` (the recorded raters' offsets, where they were held): that share goes with it."""
    return float(np.sqrt(other_se**2 + max(se**2 - own_se**2, 0.0)))


CHECKS = ("measures_check", "history_check")  # g_estimation's details keys, in the order a user reads them


def checks_json(details: dict) -> dict:
    """The history checks an estimate ran (g_estimation's ``details["measures_check"]`` and
    ``details["history_check"]``), each as it stands there — the move in the outcome's direction, its SE and
    ``z``, the terms, the other history's estimate and interval (``standard_…`` or ``registry_…``) and ``warned``
    — as JSON values (:func:`alscell.analysis.estimate.json_value`: non-finite numbers as null); {} when none ran
    (another method, named inputs, modifiers, learned nuisances, or no measurement recorded for the measures'
    check)."""

    def plain(v: object) -> object:
        return [json_value(x) for x in v] if isinstance(v, list | tuple) else json_value(v)

    return {k: {n: plain(v) for n, v in details[k].items()} for k in CHECKS if k in details}


def terms_named(terms: list[str] | tuple[str, ...]) -> str:
    """What history terms are of, once each and in order: a registry term or a measure without its flag or change
    ("age", "age (unknown)", "nfl change per month" → "age, nfl")."""

    def name(term: str) -> str:
        for suffix in (" (unknown)", " (none yet)", " change per month"):
            term = term.removesuffix(suffix)
        return term

    return ", ".join(dict.fromkeys(name(t) for t in terms))


# per check: its other reading's keys' prefix, the row's label, and the sign that turns its ``difference`` into
# the other reading less the estimate (the measures' move is the estimate less the standard history's)
_OTHER = {
    "measures_check": ("standard", "without {} (the standard decision history)", -1),
    "history_check": ("registry", "with {} in the decision history", 1),
}


def check_rows(checks: dict) -> list[tuple[str, str, str]]:
    """(key, label, text) per history check in ``checks`` (:func:`checks_json`'s object, or g_estimation's
    details): the other history's estimate with its 95% CI and how far it lies from the estimate (with the SE of
    that difference) — what ``alscell effect`` and the ``/effect`` page show beside the estimate, whether or not
    the difference warned (the warning says when it matters)."""

    def f(x: float | None, sign: str = "+") -> str:
        return "—" if x is None or not np.isfinite(x) else f"{x:{sign}.3f}"

    rows = []
    for key in CHECKS:
        if key not in checks:
            continue
        c, (other, label, sign) = checks[key], _OTHER[key]
        estimate, low, high = (c.get(f"{other}_{k}") for k in ("estimate", "ci_low", "ci_high"))
        gap = None if c.get("difference") is None else sign * c["difference"]
        text = f"{f(estimate)} (95% CI {f(low)} to {f(high)}); {f(gap)} from the estimate (SE {f(c.get('se'), '')})"
        rows.append((key, label.format(terms_named(c.get("terms") or [])), text))
    return rows


__all__ = ["CHECKS", "Fit", "carried_se", "check_rows", "checks_json", "contrast", "terms_named"]

"""The move of g-estimation's estimate between two decision histories fitted on the same patients, with its SE.

Both estimates come from the same patients, so the move's variance is that of the difference of their per-patient
influence functions (a Hausman-type contrast: Hausman, Econometrica 1978;46:1251–1271).  Used by the registry
terms' check (:func:`alscell.analysis.g_estimation._history_check`) and the measures' check
(:func:`alscell.analysis.g_estimation._measures_check`).
"""

from __future__ import annotations

import numpy as np

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


__all__ = ["Fit", "carried_se", "contrast"]

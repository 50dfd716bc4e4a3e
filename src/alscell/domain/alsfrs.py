"""ALSFRS-R items, subscores and totals (Cedarbaum et al., J Neurol Sci 1999;169:13–21).

Twelve items scored 0 (worst) to 4 (normal); item 5 is answered either as 5a (cutting food and handling
utensils, no gastrostomy) or 5b (the same with a gastrostomy).  Subscores of three items each (0–12) and the
total (0–48) follow spec/domain-rules.md, "ALSFRS-R".

Missing data (spec/data-format.md, alsfrs.csv): "A row may be partial (some items missing): the total is
then missing, subscores whose items are complete are kept".  "Exactly one of q5a and q5b is filled" is read
as: *both* filled is always an error; *neither* filled is allowed as a partial row (item 5 is then missing,
so the total and the fine-motor subscore are missing).

Every scoring function here treats a value that is not an integer 0–4 as missing, so a score is never
impossible; :func:`item_problems` is where such values are reported.  All functions are vectorised: they
take a pandas frame with item columns (ints, floats, pandas ``Int64`` with missing values, or numeric
strings; absent columns count as all-missing) and never loop over rows.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

ITEMS = ("q1", "q2", "q3", "q4", "q5a", "q5b", "q6", "q7", "q8", "q9", "q10", "q11", "q12")
ITEM_MIN = 0
ITEM_MAX = 4
ITEM_LABELS = {
    "q1": "Speech",
    "q2": "Salivation",
    "q3": "Swallowing",
    "q4": "Handwriting",
    "q5a": "Cutting food and handling utensils (no gastrostomy)",
    "q5b": "Cutting food and handling utensils (with gastrostomy)",
    "q6": "Dressing and hygiene",
    "q7": "Turning in bed and adjusting bed clothes",
    "q8": "Walking",
    "q9": "Climbing stairs",
    "q10": "Dyspnea",
    "q11": "Orthopnea",
    "q12": "Respiratory insufficiency",
}
# "q5" stands for q5a or q5b, whichever is answered (see item5).
SUBSCORES = {
    "bulbar": ("q1", "q2", "q3"),
    "fine_motor": ("q4", "q5", "q6"),
    "gross_motor": ("q7", "q8", "q9"),
    "respiratory": ("q10", "q11", "q12"),
}
SUBSCORE_KEYS = tuple(SUBSCORES)
SUBSCORE_MAX = 12
TOTAL_MAX = 48
SCORE_COLUMNS = ("total", *SUBSCORE_KEYS)

RULE_ITEM = "each ALSFRS-R item is an integer from 0 to 4"
RULE_ITEM5 = "at most one of q5a (no gastrostomy) and q5b (with gastrostomy) is filled"

_VALID = np.arange(ITEM_MIN, ITEM_MAX + 1, dtype=float)


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Column as float64 (NaN for missing or non-numeric); all-NaN when the column is absent."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    if frame[column].dtype == np.float64:  # already numbers (NaN for missing): no parsing to do
        return frame[column].to_numpy()
    values = pd.to_numeric(frame[column], errors="coerce")
    return pd.Series(values).to_numpy(dtype="float64", na_value=np.nan)


def _clean_arrays(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    out = {}
    for column in ITEMS:
        values = _numeric(frame, column)
        out[column] = np.where(np.isin(values, _VALID), values, np.nan)
    return out


def clean_items(frame: pd.DataFrame) -> pd.DataFrame:
    """All 13 item columns as float, with anything that is not an integer 0–4 set to NaN."""
    return pd.DataFrame(_clean_arrays(frame), index=frame.index)


def _item5(clean: pd.DataFrame) -> pd.Series:
    return clean["q5a"].where(clean["q5a"].notna(), clean["q5b"]).rename("q5")


def item5(frame: pd.DataFrame) -> pd.Series:
    """Item 5 as one column: q5a where answered, else q5b (float, NaN when neither is answered)."""
    return _item5(clean_items(frame))


def has_gastrostomy(frame: pd.DataFrame) -> pd.Series:
    """True where item 5 was answered as 5b (the form for patients with a gastrostomy)."""
    return clean_items(frame)["q5b"].notna().rename("gastrostomy")


def score_items(frame: pd.DataFrame) -> pd.DataFrame:
    """Total and the four subscores (float, same index as ``frame``).

    A subscore is NaN unless all three of its items are present; the total is NaN unless all twelve items
    are (item 5 from 5a or 5b), so the total equals the sum of the four subscores whenever it exists.
    """
    # On numpy arrays (clean_items' rule): a page scores a few visits, where pandas' per-call
    # overhead would be most of the cost.
    clean = _clean_arrays(frame)
    clean["q5"] = np.where(~np.isnan(clean["q5a"]), clean["q5a"], clean["q5b"])  # as _item5
    # Plain + propagates NaN, which is exactly the "all items present" rule.
    subscores = {key: sum(clean[c] for c in items) for key, items in SUBSCORES.items()}
    columns = {"total": sum(subscores.values())} | {key: subscores[key] for key in SUBSCORE_KEYS}
    return pd.DataFrame({k: np.asarray(v, dtype="float64") for k, v in columns.items()}, index=frame.index, copy=False)


def item_problems(frame: pd.DataFrame) -> list[tuple[Hashable, str, Any, str]]:
    """Validation errors as ``(index label, column, value, rule)``, ordered by row then column.

    Checked: every filled item is an integer 0–4; q5a and q5b are not both filled.  Missing items and
    absent columns are not problems (partial rows are allowed), nor is a row with neither q5a nor q5b.
    """
    found: list[tuple[int, int, Hashable, str, Any, str]] = []
    index = frame.index
    for order, column in enumerate(ITEMS):
        if column not in frame.columns:
            continue
        raw = frame[column]
        present = raw.notna().to_numpy()
        values = _numeric(frame, column)
        bad = present & ~np.isin(values, _VALID)
        for pos in np.flatnonzero(bad):
            found.append((int(pos), order, index[pos], column, raw.iloc[pos], RULE_ITEM))
    if "q5a" in frame.columns and "q5b" in frame.columns:
        both = frame["q5a"].notna().to_numpy() & frame["q5b"].notna().to_numpy()
        order = ITEMS.index("q5b")
        for pos in np.flatnonzero(both):
            # Sorts after any range problem of q5b in the same row.
            found.append((int(pos), order, index[pos], "q5b", frame["q5b"].iloc[pos], RULE_ITEM5))
    found.sort(key=lambda p: (p[0], p[1], p[5] == RULE_ITEM5))
    return [(label, column, value, rule) for _, _, label, column, value, rule in found]


# Answer wording of each item, score 4 (normal) down to 0 (Cedarbaum et al. 1999, the ALSFRS-R form).
ANSWERS: dict[str, tuple[str, str, str, str, str]] = {
    "q1": (
        "Normal speech processes",
        "Detectable speech disturbance",
        "Intelligible with repeating",
        "Speech combined with nonvocal communication",
        "Loss of useful speech",
    ),
    "q2": (
        "Normal",
        "Slight but definite excess of saliva in mouth; may have nighttime drooling",
        "Moderately excessive saliva; may have minimal drooling",
        "Marked excess of saliva with some drooling",
        "Marked drooling; requires constant tissue or handkerchief",
    ),
    "q3": (
        "Normal eating habits",
        "Early eating problems - occasional choking",
        "Dietary consistency changes",
        "Needs supplemental tube feeding",
        "NPO (exclusively parenteral or enteral feeding)",
    ),
    "q4": (
        "Normal",
        "Slow or sloppy: all words are legible",
        "Not all words are legible",
        "Able to grip pen but unable to write",
        "Unable to grip pen",
    ),
    "q5a": (
        "Normal",
        "Somewhat slow and clumsy, but no help needed",
        "Can cut most foods, although clumsy and slow; some help needed",
        "Food must be cut by someone, but can still feed slowly",
        "Needs to be fed",
    ),
    "q5b": (
        "Normal",
        "Clumsy but able to perform all manipulations independently",
        "Some help needed with closures and fasteners",
        "Provides minimal assistance to caregiver",
        "Unable to perform any aspect of task",
    ),
    "q6": (
        "Normal function",
        "Independent and complete self-care with effort or decreased efficiency",
        "Intermittent assistance or substitute methods",
        "Needs attendant for self-care",
        "Total dependence",
    ),
    "q7": (
        "Normal",
        "Somewhat slow and clumsy, but no help needed",
        "Can turn alone or adjust sheets, but with great difficulty",
        "Can initiate, but not turn or adjust sheets alone",
        "Helpless",
    ),
    "q8": (
        "Normal",
        "Early ambulation difficulties",
        "Walks with assistance",
        "Nonambulatory functional movement only",
        "No purposeful leg movement",
    ),
    "q9": ("Normal", "Slow", "Mild unsteadiness or fatigue", "Needs assistance", "Cannot do"),
    "q10": (
        "None",
        "Occurs when walking",
        "Occurs with one or more of: eating, bathing, dressing (ADL)",
        "Occurs at rest, difficulty breathing when either sitting or lying",
        "Significant difficulty, considering using mechanical respiratory support",
    ),
    "q11": (
        "None",
        "Some difficulty sleeping at night due to shortness of breath; does not routinely use more than two pillows",
        "Needs extra pillows in order to sleep (more than two)",
        "Can only sleep sitting up",
        "Unable to sleep",
    ),
    "q12": (
        "None",
        "Intermittent use of BiPAP",
        "Continuous use of BiPAP during the night",
        "Continuous use of BiPAP during the night and day",
        "Invasive mechanical ventilation by intubation or tracheostomy",
    ),
}

"""King's and MiToS stages estimated from ALSFRS-R items (spec/domain-rules.md, "Staging from ALSFRS-R").

King's (Roche et al., Brain 2012;135:847–52; from ALSFRS-R: Balendra et al., ALS FTD 2014;15:279–84):
regions involved — bulbar if any of items 1–3 < 4; upper limb if item 4 < 4 or item 5 (5a, or 5b where
answered) < 4; lower limb if item 8 < 4.  Stage 1–3 = number of regions involved, and a visit with no region
involved is stage 1.  4A = gastrostomy (item 5b answered); 4B = NIV (item 10 = 0 or item 12 < 4), and 4B
outranks 4A.  5 = death.

MiToS (Chiò et al., JNNP 2015;86:38–44): a domain is lost when — movement: item 8 ≤ 1 or item 6 ≤ 1;
swallowing: item 3 ≤ 1; communication: item 1 ≤ 1 and item 4 ≤ 1; breathing: item 10 ≤ 1 or item 12 ≤ 2.
Stage = number of domains lost (0–4); 5 = death.

Partial rows.  A stage is reported only when the items present decide it whatever the missing ones are
(three-valued logic; invalid item values count as missing, as in :mod:`alscell.domain.alsfrs`):

* an "or" condition is true as soon as one present item meets it and false only when all its items are
  present and none meets it (a region is *involved* with one item < 4; *not involved* needs all its items
  at 4); an "and" condition (MiToS communication) is false as soon as one present item fails it;
* gastrostomy is known true when q5b is answered, known false when only q5a is answered, unknown when
  neither is;
* King's: death → 5; NIV true → 4B (even if everything else is missing); NIV unknown → not computable;
  gastrostomy true → 4A; gastrostomy unknown → not computable; otherwise the region count must be decided
  — including the case where it is ambiguous only between 0 and 1 regions, both of which are stage 1;
* MiToS: death → 5; otherwise all four domains must be decided (every undecided domain could change the
  count).

Death comes from events, not items: pass ``dead`` (boolean, aligned with the rows by position; NA counts as
not dead).  Given death, the stage is 5 whatever the items.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from alscell.domain.alsfrs import clean_items

KINGS_ORDER = ("1", "2", "3", "4A", "4B", "5")
MITOS_MAX = 5

# Three-valued truth as float arrays: 1.0 true, 0.0 false, NaN unknown.
_TRUE, _FALSE = 1.0, 0.0


def _cmp(values: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Comparison result as three-valued truth (unknown where the item is missing)."""
    return np.where(np.isnan(values), np.nan, test.astype(float))


def _any(*conds: np.ndarray) -> np.ndarray:
    """Three-valued OR: true if any is true, false if all are false, else unknown."""
    stack = np.vstack(conds)
    return np.where((stack == _TRUE).any(axis=0), _TRUE, np.where((stack == _FALSE).all(axis=0), _FALSE, np.nan))


def _all(*conds: np.ndarray) -> np.ndarray:
    """Three-valued AND: false if any is false, true if all are true, else unknown."""
    stack = np.vstack(conds)
    return np.where((stack == _FALSE).any(axis=0), _FALSE, np.where((stack == _TRUE).all(axis=0), _TRUE, np.nan))


def _lt(values: np.ndarray, bound: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return _cmp(values, values < bound)


def _le(values: np.ndarray, bound: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return _cmp(values, values <= bound)


def _dead_mask(dead: Any, n: int) -> np.ndarray:
    if dead is None:
        return np.zeros(n, dtype=bool)
    if isinstance(dead, pd.Series):
        dead = dead.to_numpy()
    mask = np.asarray(pd.array(np.asarray(dead, dtype=object).ravel(), dtype="boolean").fillna(False), dtype=bool)
    if mask.shape != (n,):
        raise ValueError(f"dead has {mask.size} values for {n} rows")
    return mask


def _items(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    clean = clean_items(frame)
    items = {c: clean[c].to_numpy() for c in clean.columns}
    items["q5"] = np.where(np.isnan(items["q5a"]), items["q5b"], items["q5a"])
    return items


def kings_stage(frame: pd.DataFrame, dead: Any = None) -> pd.Series:
    """King's stage per row: "1", "2", "3", "4A", "4B" or "5"; None where the items present cannot decide it."""
    q = _items(frame)
    n = len(frame)
    regions = np.vstack(
        [
            _any(_lt(q["q1"], 4), _lt(q["q2"], 4), _lt(q["q3"], 4)),  # bulbar
            _any(_lt(q["q4"], 4), _lt(q["q5"], 4)),  # upper limb
            _lt(q["q8"], 4),  # lower limb
        ]
    ).reshape(3, n)
    low = (regions == _TRUE).sum(axis=0)
    high = low + np.isnan(regions).sum(axis=0)
    # No region involved is reported as stage 1, so 0-or-1 uncertainty still decides the stage.
    low_stage, high_stage = np.maximum(low, 1), np.maximum(high, 1)
    gastrostomy = np.where(~np.isnan(q["q5b"]), _TRUE, np.where(~np.isnan(q["q5a"]), _FALSE, np.nan))
    niv = _any(_cmp(q["q10"], q["q10"] == 0), _lt(q["q12"], 4))

    out = np.full(n, None, dtype=object)
    decided = low_stage == high_stage
    out[decided] = np.array(KINGS_ORDER, dtype=object)[low_stage[decided] - 1]
    # Later assignments outrank earlier ones.
    out[np.isnan(gastrostomy)] = None
    out[gastrostomy == _TRUE] = "4A"
    out[np.isnan(niv)] = None
    out[niv == _TRUE] = "4B"
    out[_dead_mask(dead, n)] = "5"
    return pd.Series(out, index=frame.index, name="kings_stage", dtype=object)


def mitos_stage(frame: pd.DataFrame, dead: Any = None) -> pd.Series:
    """MiToS stage per row (pandas Int64, 0–5); NA where the items present cannot decide it."""
    q = _items(frame)
    n = len(frame)
    domains = np.vstack(
        [
            _any(_le(q["q8"], 1), _le(q["q6"], 1)),  # movement
            _le(q["q3"], 1),  # swallowing
            _all(_le(q["q1"], 1), _le(q["q4"], 1)),  # communication
            _any(_le(q["q10"], 1), _le(q["q12"], 2)),  # breathing
        ]
    ).reshape(4, n)
    stage = (domains == _TRUE).sum(axis=0)
    unknown = np.isnan(domains).any(axis=0)
    dead = _dead_mask(dead, n)
    stage = np.where(dead, MITOS_MAX, stage)
    result = pd.array(stage, dtype="Int64")
    result[unknown & ~dead] = pd.NA
    return pd.Series(result, index=frame.index, name="mitos_stage")


def kings_stage_of(items: Mapping[str, Any], dead: bool = False) -> str | None:
    """King's stage of one visit given its items as a mapping (absent keys are missing items)."""
    return kings_stage(pd.DataFrame([dict(items)]), dead=[bool(dead)]).iloc[0]


def mitos_stage_of(items: Mapping[str, Any], dead: bool = False) -> int | None:
    """MiToS stage of one visit given its items as a mapping; None if not computable."""
    value = mitos_stage(pd.DataFrame([dict(items)]), dead=[bool(dead)]).iloc[0]
    return None if value is pd.NA else int(value)


def kings_rank(stage: Any) -> pd.Series | int | None:
    """Position of a King's stage in :data:`KINGS_ORDER` (0 for "1" … 5 for "5"), for ordering."""
    if isinstance(stage, pd.Series):
        codes = pd.Categorical(stage, categories=KINGS_ORDER).codes
        result = pd.array(codes, dtype="Int64")
        result[codes < 0] = pd.NA
        return pd.Series(result, index=stage.index, name=stage.name)
    return KINGS_ORDER.index(stage) if stage in KINGS_ORDER else None

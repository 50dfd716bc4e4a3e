"""Vectorised parsers for canonical CSV cells (all read as text; '' = missing).

Each parser works on the distinct values of a column only (``pd.factorize``), so a million-row column of
repeated dates or item scores costs a few thousand parses.  Each returns the typed values and a boolean
mask of cells that are present but malformed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_DATE_RE = r"\d{4}-\d{2}-\d{2}"
_INT_RE = r"[+-]?\d{1,9}"


def nul_cells(s: pd.Series) -> np.ndarray | None:
    """Mask of the cells that contain a NUL character, or None when none does (the common case, found
    with one join of the column instead of one test per cell)."""
    try:
        if "\x00" not in "".join(s.tolist()):
            return None
    except TypeError:  # not all cells are text
        pass
    nul = s.str.contains("\x00", regex=False).fillna(False).to_numpy(dtype=bool)
    return nul if nul.any() else None


def _on_uniques(s: pd.Series, convert) -> tuple[np.ndarray, np.ndarray]:
    # pandas' string hash table stops at a NUL character ('a\x00b' and 'a' share a code, '\x00' and ''
    # too), so such cells are factorised as '' and flagged malformed here: no typed value contains NUL.
    nul = nul_cells(s)
    if nul is None:
        nul = np.zeros(len(s), dtype=bool)
        # Raw cells are text, never missing: the sentinel path skips a per-cell missing-value scan.
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        if len(codes) and codes.min() < 0:
            codes, uniques = pd.factorize(s, use_na_sentinel=False)
    else:
        codes, uniques = pd.factorize(s.where(~nul, ""), use_na_sentinel=False)
    values, bad = convert(pd.Series(uniques, dtype=object))
    return np.asarray(values)[codes], np.asarray(bad, dtype=bool)[codes] | nul


def parse_date(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    def convert(u: pd.Series):
        shape_ok = u.str.fullmatch(_DATE_RE).fillna(False).to_numpy(dtype=bool)
        parsed = pd.to_datetime(u.where(shape_ok), format="%Y-%m-%d", errors="coerce")
        present = (u != "").to_numpy()
        return parsed.to_numpy(dtype="datetime64[ns]"), present & parsed.isna().to_numpy()

    values, bad = _on_uniques(s, convert)
    return pd.Series(values, index=s.index, dtype="datetime64[ns]"), bad


def parse_int(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    def convert(u: pd.Series):
        shape_ok = u.str.fullmatch(_INT_RE).fillna(False).to_numpy(dtype=bool)
        parsed = pd.to_numeric(u.where(shape_ok), errors="coerce")
        present = (u != "").to_numpy()
        return parsed.to_numpy(dtype=float), present & np.isnan(parsed.to_numpy(dtype=float))

    values, bad = _on_uniques(s, convert)
    # Built from data and mask directly: pandas' float -> Int64 cast re-checks every value (slow).
    missing = np.isnan(values)
    ints = pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)
    return pd.Series(ints, index=s.index), bad


def parse_float(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    def exact(text: str) -> float:
        # Python's float() rounds correctly; pandas' fast parser can be off in the last digit.
        try:
            return float(text) if text.strip() == text and text else np.nan
        except ValueError:
            return np.nan

    def convert(u: pd.Series):
        parsed = np.fromiter((exact(t) for t in u), dtype=float, count=len(u))
        present = (u != "").to_numpy()
        return parsed, present & ~np.isfinite(parsed)

    values, bad = _on_uniques(s, convert)
    values = np.where(bad, np.nan, values)
    return pd.Series(values, index=s.index, dtype=float), bad


def parse_bool(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    mapped = s.map({"true": True, "false": False})
    bad = ((s != "") & mapped.isna()).to_numpy()
    return mapped.astype("boolean"), bad


def parse_text(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    return s.where(s != "", None).astype(object), np.zeros(len(s), dtype=bool)


PARSERS = {"date": parse_date, "int": parse_int, "float": parse_float, "bool": parse_bool, "text": parse_text}

"""Vectorised parsers for canonical CSV cells (all read as text; '' = missing).

Each parser works on the distinct values of a column only (:func:`factorize_cells`), so a million-row
column of repeated dates or item scores costs a few thousand parses.  Each returns the typed values and a
boolean mask of cells that are present but malformed.  Validation keeps the factorised form
(:class:`CodedColumn`) so that emptiness, allowed choices, lengths, look-ups and duplicate keys are also
computed once per distinct value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

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


def factorize_cells(s: pd.Series, *, check_nul: bool = True) -> tuple[np.ndarray, pd.Series]:
    """``(codes, uniques)`` with ``s == uniques[codes]`` cell for cell (uniques: an object Series, 0..k-1).

    pandas' string hash table stops at a NUL character ('a\\x00b' and 'a' share a code, '\\x00' and ''
    too), so a column holding a NUL is not factorised at all (codes 0..n-1): every cell is then judged on
    its own text.  ``check_nul=False`` skips that scan for text known to hold no NUL (the reader's).
    """
    if check_nul and nul_cells(s) is not None:
        return np.arange(len(s)), pd.Series(s.to_numpy(dtype=object), dtype=object)
    # Raw cells are text, never missing: the sentinel path skips a per-cell missing-value scan.
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(codes) and codes.min() < 0:
        codes, uniques = pd.factorize(s, use_na_sentinel=False)
    # Half the memory of pandas' int64 codes (kept for a whole folder's validation).
    return codes.astype(np.int32), pd.Series(np.asarray(uniques, dtype=object), dtype=object)


# Below this many distinct texts, plain Python converts faster than pandas' per-call overhead (a row entered
# in the web app is validated with its patient's few rows).  Only ASCII texts take that path: a Unicode
# digit matches ``\d`` but is not parsed alike by pandas and by Python, so such text keeps pandas' answer.
# Both paths give the same values and flags (tests/io/test_parsing.py, a property test).
SMALL = 32
_DATE_SHAPE = re.compile(_DATE_RE)
_INT_SHAPE = re.compile(_INT_RE)
# The whole days a datetime64[ns] holds (pandas gives NaT outside them).
_NS_FIRST_DAY, _NS_LAST_DAY = dt.date(1677, 9, 22), dt.date(2262, 4, 11)


def _small_ascii(u: pd.Series) -> list[str] | None:
    texts = u.tolist()
    if len(texts) <= SMALL and all(isinstance(t, str) and t.isascii() for t in texts):
        return texts
    return None


def _date_of(text: str) -> dt.date | None:
    if not _DATE_SHAPE.fullmatch(text):
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if _NS_FIRST_DAY <= day <= _NS_LAST_DAY else None


def _convert_date(u: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if (texts := _small_ascii(u)) is not None:
        days = [_date_of(t) if t else None for t in texts]
        values = np.array(
            [np.datetime64("NaT") if d is None else np.datetime64(d) for d in days], dtype="datetime64[ns]"
        )
        return values, np.array([bool(t) and d is None for t, d in zip(texts, days, strict=True)], dtype=bool)
    shape_ok = u.str.fullmatch(_DATE_RE).fillna(False).to_numpy(dtype=bool)
    parsed = pd.to_datetime(u.where(shape_ok), format="%Y-%m-%d", errors="coerce")
    present = (u != "").to_numpy()
    return parsed.to_numpy(dtype="datetime64[ns]"), present & parsed.isna().to_numpy()


def _convert_int(u: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if (texts := _small_ascii(u)) is not None:
        ok = [bool(_INT_SHAPE.fullmatch(t)) for t in texts]
        values = np.array([float(int(t)) if good else np.nan for t, good in zip(texts, ok, strict=True)], dtype=float)
        return values, np.array([bool(t) and not good for t, good in zip(texts, ok, strict=True)], dtype=bool)
    shape_ok = u.str.fullmatch(_INT_RE).fillna(False).to_numpy(dtype=bool)
    parsed = pd.to_numeric(u.where(shape_ok), errors="coerce").to_numpy(dtype=float)
    present = (u != "").to_numpy()
    return parsed, present & np.isnan(parsed)


def _exact_float(text: str) -> float:
    # Python's float() rounds correctly; pandas' fast parser can be off in the last digit.
    try:
        return float(text) if text.strip() == text and text else np.nan
    except (ValueError, TypeError):
        return np.nan


def _convert_float(u: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    parsed = np.fromiter((_exact_float(t) for t in u), dtype=float, count=len(u))
    present = (u != "").to_numpy()
    bad = present & ~np.isfinite(parsed)
    return np.where(bad, np.nan, parsed), bad


def _convert_bool(u: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    mapped = u.map({"true": True, "false": False})
    return mapped.to_numpy(dtype=object), ((u != "") & mapped.isna()).to_numpy()


def _convert_text(u: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    values = u.to_numpy(dtype=object, copy=True)
    values[(u == "").to_numpy()] = None
    return values, np.zeros(len(u), dtype=bool)


_CONVERT: dict[str, Callable[[pd.Series], tuple[np.ndarray, np.ndarray]]] = {
    "date": _convert_date,
    "int": _convert_int,
    "float": _convert_float,
    "bool": _convert_bool,
    "text": _convert_text,
}


# What each converter gives for no text at all (CodedColumn.parse of an empty column skips the pandas calls).
_NO_VALUES: dict[str, np.ndarray] = {
    "date": np.array([], dtype="datetime64[ns]"),
    "int": np.array([], dtype=float),
    "float": np.array([], dtype=float),
    "bool": np.array([], dtype=object),
    "text": np.array([], dtype=object),
}
_NO_CELLS = np.array([], dtype=bool)


def _typed_series(kind: str, values: np.ndarray, index: pd.Index) -> pd.Series:
    """The canonical dtype of ``kind`` (io.reader) for values taken from the converted uniques."""
    if kind == "date":
        return pd.Series(values, index=index, dtype="datetime64[ns]")
    if kind == "int":
        # Built from data and mask directly: pandas' float -> Int64 cast re-checks every value (slow).
        missing = np.isnan(values)
        return pd.Series(pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing), index=index)
    if kind == "float":
        return pd.Series(values, index=index, dtype=float)
    if kind == "bool":
        missing = pd.isna(values)
        return pd.Series(pd.arrays.BooleanArray(np.where(missing, False, values).astype(bool), missing), index=index)
    return pd.Series(values, index=index, dtype=object)


@dataclass
class CodedColumn:
    """One raw text column, factorised and parsed: every question about it is answered per distinct value."""

    kind: str
    codes: np.ndarray  # position of each cell's text in ``text``
    text: pd.Series  # the distinct raw texts
    values: np.ndarray  # the typed value of each distinct text
    bad: np.ndarray  # each distinct text is present but malformed

    @classmethod
    def parse(
        cls, s: pd.Series, kind: str, *, check_nul: bool = True, known: tuple[np.ndarray, np.ndarray] | None = None
    ) -> CodedColumn:
        """``known``: the reader's ``(codes, uniques)`` of ``s`` (io.rawcsv), which saves hashing every cell."""
        if not len(s):  # an absent file or a table the check does not need: nothing to parse
            return cls(kind, np.array([], dtype=np.int32), pd.Series([], dtype=object), _NO_VALUES[kind], _NO_CELLS)
        if known is not None and len(known[0]) == len(s):
            codes, text = known[0], pd.Series(known[1], dtype=object)
        else:
            codes, text = factorize_cells(s, check_nul=check_nul)
        values, bad = _CONVERT[kind](text)
        return cls(kind, codes, text, values, np.asarray(bad, dtype=bool))

    def cells(self, per_unique: np.ndarray) -> np.ndarray:
        """A per-distinct-value array spread to every cell."""
        per_unique = np.asarray(per_unique)
        if per_unique.dtype == bool and not per_unique.any():
            return np.zeros(len(self.codes), dtype=bool)  # the common "no cell is flagged", without a gather
        return per_unique[self.codes]

    def typed(self, index: pd.Index) -> pd.Series:
        return _typed_series(self.kind, self.cells(self.values), index)

    def malformed(self) -> np.ndarray:
        return self.cells(self.bad)

    def empty(self) -> np.ndarray:
        return self.cells((self.text == "").to_numpy())

    def isin_text(self, allowed: Collection[str]) -> np.ndarray:
        return self.cells(self.text.isin(list(allowed)).to_numpy())

    def longer_than(self, n: int) -> np.ndarray:
        return self.cells((self.text.str.len() > n).to_numpy())

    def map(self, mapping: Mapping | pd.Series) -> pd.Series:
        """The typed values looked up in ``mapping`` (NaN / NaT where absent), cell by cell."""
        return pd.Series(pd.Series(self.values).map(mapping).to_numpy()[self.codes])

    def isin(self, values: Collection) -> np.ndarray:
        """Cells whose *typed* value is one of ``values``."""
        return self.cells(pd.Series(self.values).isin(list(values)).to_numpy())

    def present(self) -> np.ndarray:
        """Cells with a typed value (not missing)."""
        return self.cells(pd.notna(self.values))

    def key_codes(self) -> np.ndarray:
        """Integer codes equal exactly where the *typed* values are equal (all missing values equal)."""
        same, distinct = pd.factorize(pd.Series(self.values), use_na_sentinel=False)
        if len(distinct) == len(same):
            return self.codes  # each distinct text has its own typed value: the text's codes will do
        return same[self.codes]


def _parse(kind: str, s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    col = CodedColumn.parse(s, kind)
    return col.typed(s.index), col.malformed()


def parse_date(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    return _parse("date", s)


def parse_int(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    return _parse("int", s)


def parse_float(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    return _parse("float", s)


def parse_bool(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    return _parse("bool", s)

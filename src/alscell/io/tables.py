"""``Tables``: the registry's canonical tables in memory, with every column present and typed.

Every pillar that reads registry data takes a ``Tables`` (DESIGN.md: analysis and simulation work on
pandas frames in the canonical long format).  It is built in one place — :meth:`Tables.from_frames` —
by the folder reader, the database loader, the simulator and users' own code, and guarantees:

* all six tables exist (an absent file is a table with no rows);
* every canonical column of spec/data-format.md exists, with one dtype per value kind: dates
  ``datetime64[ns]`` (``NaT`` = missing), integers ``Int64`` and booleans ``boolean`` (``<NA>``),
  floats ``float64`` (``NaN``), text ``object`` (``None``); extra ``x_`` columns are kept as text.

So a consumer never needs ``"col" in frame`` or ``tables.get(name)``: it must still treat every optional
value as possibly missing (``pd.isna`` / ``.notna()``), never as a truth value.

``Tables`` is a read-only mapping of table name → DataFrame, so ``tables["alsfrs"]`` and
``for name, frame in tables.items()`` work as they do on a dict.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alscell.io.columns import FILE_ORDER, TABLES, kind_of

_DTYPES: dict[str, object] = {
    "date": "datetime64[ns]",
    "int": "Int64",
    "float": "float64",
    "bool": "boolean",
    "text": object,
}
_TRUE = {"true": True, "false": False, "1": True, "0": False}


class TablesError(ValueError):
    """User frames that cannot be made canonical: names the table and column and says why."""


def _missing(kind: str, n: int, index: pd.Index) -> pd.Series:
    if kind == "text":
        return pd.Series([None] * n, index=index, dtype=object)
    return pd.Series(index=index, dtype=_DTYPES[kind])


def _as_bool(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean")
    mapped = s.map(lambda v: v if isinstance(v, bool | np.bool_) or pd.isna(v) else _TRUE.get(str(v).strip().lower()))
    bad = s.notna() & mapped.isna()
    if bad.any():
        raise ValueError(f"{s[bad].iloc[0]!r} is not true/false")
    return mapped.astype("boolean")


def _as_int(s: pd.Series) -> pd.Series:
    num = pd.to_numeric(s, errors="raise")
    whole = num.dropna()
    if len(whole) and not np.all(np.equal(np.mod(whole.to_numpy(dtype=float), 1), 0)):
        raise ValueError("holds values that are not whole numbers")
    return num.astype("Int64")


def _as_text(s: pd.Series) -> pd.Series:
    present = s.notna()
    out = s.astype(object) if s.dtype == object else s.astype(str).astype(object)
    return out.where(present, None)


def coerce_column(kind: str, s: pd.Series) -> pd.Series:
    """``s`` in the canonical dtype of ``kind``; raises ValueError with a plain reason."""
    if kind == "date":
        return pd.to_datetime(s, errors="raise").astype("datetime64[ns]")
    if kind == "int":
        return _as_int(s)
    if kind == "float":
        return pd.to_numeric(s, errors="raise").astype("float64")
    if kind == "bool":
        return _as_bool(s)
    return _as_text(s)


def canonical_frame(name: str, frame: pd.DataFrame | None) -> pd.DataFrame:
    """``frame`` with every canonical column of table ``name`` (canonical order, then sorted ``x_``
    columns) in its canonical dtype; raises :class:`TablesError` for an unknown column or a bad value."""
    if name not in TABLES:
        raise TablesError(f"{name!r} is not a canonical table (expected one of {', '.join(FILE_ORDER)})")
    frame = pd.DataFrame() if frame is None else frame
    unknown = [c for c in frame.columns if c not in TABLES[name] and not str(c).startswith("x_")]
    if unknown:
        raise TablesError(f"{name}: unknown column {unknown[0]!r} (extra columns must start with x_)")
    index = pd.RangeIndex(len(frame))
    cols: dict[str, pd.Series] = {}
    for col in TABLES[name]:
        kind = kind_of(col)
        if col not in frame.columns:
            cols[col] = _missing(kind, len(frame), index)
            continue
        s = frame[col].reset_index(drop=True)
        if s.dtype == _DTYPES[kind] and kind != "text":
            cols[col] = s
            continue
        try:
            cols[col] = coerce_column(kind, s)
        except (ValueError, TypeError) as exc:
            raise TablesError(f"{name}.{col}: cannot be read as {kind} ({exc})") from None
    for col in sorted(c for c in frame.columns if str(c).startswith("x_")):
        cols[col] = _as_text(frame[col].reset_index(drop=True))
    return pd.DataFrame(cols, index=index)


@dataclass(frozen=True, eq=False)
class Tables(Mapping[str, pd.DataFrame]):
    """The six canonical tables, complete and typed (see the module docstring)."""

    patients: pd.DataFrame
    treatments: pd.DataFrame
    alsfrs: pd.DataFrame
    measurements: pd.DataFrame
    adverse_events: pd.DataFrame
    events: pd.DataFrame

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame | None] | None = None, /, **named: pd.DataFrame) -> Tables:
        """Canonical tables from any frames (a dict, another ``Tables``, or keyword arguments): missing
        tables are empty, missing columns added, values converted to the canonical dtypes.

        Converting is not validating: the rules of spec/data-format.md are checked by the importer
        (``alscell.io.reader.read_folder``); use it for data from outside."""
        given = {**dict(frames or {}), **named}
        unknown = [k for k in given if k not in FILE_ORDER]
        if unknown:
            raise TablesError(f"{unknown[0]!r} is not a canonical table (expected one of {', '.join(FILE_ORDER)})")
        return cls(**{n: canonical_frame(n, given.get(n)) for n in FILE_ORDER})

    @classmethod
    def empty(cls) -> Tables:
        return cls.from_frames()

    # Mapping protocol: name -> frame, in file order.
    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in FILE_ORDER:
            raise KeyError(name)
        return getattr(self, name)

    def __iter__(self) -> Iterator[str]:
        return iter(FILE_ORDER)

    def __len__(self) -> int:
        return len(FILE_ORDER)

    def replace(self, **frames: pd.DataFrame) -> Tables:
        """A copy with some tables replaced (only those are made canonical: the others already are)."""
        unknown = [k for k in frames if k not in FILE_ORDER]
        if unknown:
            raise TablesError(f"{unknown[0]!r} is not a canonical table (expected one of {', '.join(FILE_ORDER)})")
        return dataclasses.replace(self, **{n: canonical_frame(n, f) for n, f in frames.items()})

    def subset(self, patient_ids) -> Tables:
        """The tables restricted to ``patient_ids``."""
        ids = set(patient_ids)
        return Tables(**{n: self[n][self[n]["patient_id"].isin(ids)].reset_index(drop=True) for n in FILE_ORDER})

    @property
    def n_rows(self) -> int:
        return sum(len(f) for f in self.values())


def as_tables(tables: Mapping[str, pd.DataFrame | None] | Tables) -> Tables:
    """``tables`` itself when it already is a :class:`Tables`, else :meth:`Tables.from_frames` of it."""
    return tables if isinstance(tables, Tables) else Tables.from_frames(tables)


__all__ = ["Tables", "TablesError", "as_tables", "canonical_frame", "coerce_column"]

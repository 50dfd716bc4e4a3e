"""Typed results of the analyses whose answer is a table (claims, repeated doses, safety, muscles).

Every analysis result — :class:`~alscell.analysis.estimate.Estimate`, these table results,
``ResponderResult``, ``EventResult``, ``Forecast`` — carries ``warnings`` (one sentence each: what was
left out and why, what was imputed, which model fell back) and ``details`` (extra numbers, not part of
any contract), and has ``to_json_dict()``.  A table result documents its columns in ``COLUMNS``; the
table always has exactly those columns, in that order, even when it has no rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from alscell.analysis.estimate import json_value


@dataclass
class TableResult:
    """An analysis answered by a table of ``COLUMNS``, with its warnings."""

    COLUMNS: ClassVar[tuple[str, ...]] = ()
    KIND: ClassVar[str] = "table"

    table: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        missing = [c for c in self.COLUMNS if c not in self.table.columns]
        if missing:
            raise ValueError(f"{type(self).__name__}: table lacks columns {missing}")
        self.table = self.table[list(self.COLUMNS)].reset_index(drop=True)

    @classmethod
    def empty(cls, warnings: list[str] | None = None, **details: Any) -> TableResult:
        return cls(pd.DataFrame(columns=list(cls.COLUMNS)), list(warnings or []), dict(details))

    def __len__(self) -> int:
        return len(self.table)

    def to_json_dict(self) -> dict[str, Any]:
        rows = [{c: json_value(v) for c, v in r.items()} for r in self.table.to_dict("records")]
        return {"kind": self.KIND, "columns": list(self.COLUMNS), "rows": rows, "warnings": list(self.warnings)}


@dataclass
class ClaimsResult(TableResult):
    """The article's claims: one row per domain × measure × window × route × cell source (analysis.claims)."""

    KIND: ClassVar[str] = "claims"
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "domain", "measure", "window", "route", "cell_source", "estimate", "ci_low", "ci_high", "p_value",
        "p_adjusted", "verdict", "n_patients", "n_visits", "unit", "adjust", "se", "df",
    )  # fmt: skip


@dataclass
class MuscleResult(TableResult):
    """Injected versus non-injected muscles of intramuscular patients (analysis.claims.muscle_effects)."""

    KIND: ClassVar[str] = "muscles"
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "muscle", "n_patients", "injected", "non_injected", "difference", "ci_low", "ci_high", "p_value", "unit",
    )  # fmt: skip


@dataclass
class CycleResult(TableResult):
    """Slope change after each treatment cycle (analysis.cycles.effect_by_cycle)."""

    KIND: ClassVar[str] = "cycles"
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "cycle", "n_patients", "additional", "additional_ci_low", "additional_ci_high", "additional_p",
        "cumulative", "cumulative_ci_low", "cumulative_ci_high", "cumulative_p", "unit",
    )  # fmt: skip


@dataclass
class DoseResponseResult(TableResult):
    """Slope change per administration received (analysis.cycles.dose_response)."""

    KIND: ClassVar[str] = "dose_response"
    COLUMNS: ClassVar[tuple[str, ...]] = ("term", "estimate", "ci_low", "ci_high", "p_value", "unit")


@dataclass
class SafetyResult(TableResult):
    """Adverse-event incidence per administration (analysis.safety.ae_incidence); the grouping columns
    (``by`` and, when given, ``term``) come first, then ``COLUMNS``."""

    KIND: ClassVar[str] = "safety"
    COLUMNS: ClassVar[tuple[str, ...]] = ("n_administrations", "n_events", "rate", "ci_low", "ci_high")
    by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        cols = [*self.by, *self.COLUMNS]
        missing = [c for c in cols if c not in self.table.columns]
        if missing:
            raise ValueError(f"SafetyResult: table lacks columns {missing}")
        self.table = self.table[cols].reset_index(drop=True)

    def to_json_dict(self) -> dict[str, Any]:
        out = super().to_json_dict()
        out["columns"] = [*self.by, *self.COLUMNS]
        return out


__all__ = [
    "ClaimsResult",
    "CycleResult",
    "DoseResponseResult",
    "MuscleResult",
    "SafetyResult",
    "TableResult",
]

"""Validation problems of canonical data: where (file, line, column), what (value) and why (rule).

A problem on a row of the folder being read names its physical line; a problem on a row the registry
already holds (found when the folder is checked together with the stored registry) names that row's key
instead (``stored``).  ``code`` is the rule's name (docs/data-rules.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None  # physical line, 1 = header row; None for file-level problems and stored rows
    column: str | None
    value: str | None
    rule: str
    code: str | None = None  # the rule's name, e.g. "visit_after_end_of_follow_up"
    stored: str | None = None  # key of the registry row the problem is on, when it is not in the folder

    def __str__(self) -> str:
        if self.stored is not None:
            where = f"{self.file.removesuffix('.csv')} row {self.stored} already in the registry"
        else:
            where = self.file
            if self.line is not None:
                where += f" line {self.line}"
        if self.column:
            where += f", column {self.column}"
        shown = "" if self.value is None else f" value {self.value!r}:"
        named = f" (rule {self.code})" if self.code else ""
        return f"{where}:{shown} {self.rule}{named}"


class ValidationError(Exception):
    """A folder (or request body) that breaks the canonical rules; nothing was stored."""

    def __init__(self, problems: list[Problem], total: int | None = None):
        self.problems = list(problems)
        self.total = len(self.problems) if total is None else total
        more = f" (showing {len(self.problems)})" if self.total > len(self.problems) else ""
        super().__init__(f"{self.total} problem(s){more}: " + "; ".join(map(str, self.problems[:5])))

    def messages(self) -> list[str]:
        out = [str(p) for p in self.problems]
        if self.total > len(self.problems):
            out.append(f"... and {self.total - len(self.problems)} more problem(s) not shown")
        return out

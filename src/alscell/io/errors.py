"""Validation problems of canonical data: where (file, line, column), what (value) and why (rule)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None  # 1 = header row; None for file-level problems
    column: str | None
    value: str | None
    rule: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column:
            where += f", column {self.column}"
        shown = "" if self.value is None else f" value {self.value!r}:"
        return f"{where}:{shown} {self.rule}"


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

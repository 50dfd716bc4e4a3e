"""Writing a benchmark's results page: the command that reproduces it, then the template filled in."""

from __future__ import annotations

import platform
import sys
from pathlib import Path


def write_page(path: str, template: str, script: str, argv: list[str] | None, **fields) -> None:
    """Fill ``template`` with ``fields`` plus ``command`` (how to rerun ``script`` with these arguments) and
    ``python`` (the interpreter's version), and write it to ``path``."""
    args = argv if argv is not None else sys.argv[1:]
    command = " ".join([f"benchmarks/{script}", *args])
    text = template.format(command=command, python=platform.python_version(), **fields)
    Path(path).write_text(text, encoding="utf-8")


def finish(console, table: str, minutes: float, path: str | None, template: str, script: str, argv, **fields) -> None:
    """Print the results table and the run time; with ``path``, also write the results page there."""
    console.print(table, markup=False, soft_wrap=True)
    console.print(f"elapsed {minutes:.1f} min", markup=False)
    if path:
        write_page(path, template, script, argv, table=table, minutes=minutes, **fields)
        console.print(f"wrote {path}", markup=False)

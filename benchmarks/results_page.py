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

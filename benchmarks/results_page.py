"""Writing a benchmark's results page: the command that reproduces it, then the template filled in."""

from __future__ import annotations

import platform
import shlex
import sys
from pathlib import Path


def write_page(path: str, template: str, script: str, argv: list[str] | None, **fields) -> None:
    """Fill ``template`` with ``fields`` plus ``command`` (how to rerun ``script`` with these arguments) and
    ``python`` (the interpreter's version), and write it to ``path``."""
    args = argv if argv is not None else sys.argv[1:]
    command = shlex.join([f"benchmarks/{script}", *args])  # quoted as a shell needs it, so it can be pasted
    text = template.format(command=command, python=platform.python_version(), **fields)
    Path(path).write_text(text, encoding="utf-8")


def finish(console, table: str, minutes: float, path: str | None, template: str, script: str, argv, **fields) -> None:
    """Print the results table and the run time; with ``path``, also write the results page there."""
    console.print(table, markup=False, soft_wrap=True)
    console.print(f"elapsed {minutes:.1f} min", markup=False)
    if path:
        write_page(path, template, script, argv, table=table, minutes=minutes, **fields)
        console.print(f"wrote {path}", markup=False)


def add_raw_arguments(ap) -> None:
    """``--raw`` (where the run's cohorts are stored) and ``--from-raw`` (write the page from them, run nothing)."""
    ap.add_argument("--raw", default=None, help="write (or, with --from-raw, read) the cohorts' CSV")
    ap.add_argument("--from-raw", action="store_true", help="write the page from --raw's cohorts, run nothing")


def stored_or_run(ap, args, run):
    """The cohorts' rows: read from ``args.raw`` with ``--from-raw``, else ``run()``'s (a list of dicts), with
    the run's minutes in ``run_minutes``, stored to ``args.raw`` when given."""
    import time

    import pandas as pd

    if args.from_raw:
        if not args.raw:
            ap.error("--from-raw needs --raw")
        return pd.read_csv(args.raw)
    t0 = time.perf_counter()
    raw = pd.DataFrame(run()).assign(run_minutes=(time.perf_counter() - t0) / 60)
    if args.raw:
        raw.to_csv(args.raw, index=False)
    return raw

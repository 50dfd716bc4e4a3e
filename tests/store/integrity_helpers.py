"""Shared pieces of the registry-integrity tests: editing example folders, dumping a database whole."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from alscell.store.engine import make_engine
from alscell.store.models import Base


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every registry table (audit trail included), in a stable order."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            out = {}
            for table in Base.metadata.sorted_tables:
                rows = conn.execute(select(table)).all()
                out[table.name] = sorted(tuple(map(repr, r)) for r in rows)
            return out
    finally:
        engine.dispose()


def lines(folder: Path, name: str) -> list[str]:
    return (folder / f"{name}.csv").read_text(encoding="utf-8").splitlines()


def write_lines(folder: Path, name: str, rows: list[str]) -> None:
    (folder / f"{name}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def replace_line(folder: Path, name: str, number: int, text: str) -> None:
    """Replace physical line ``number`` (1 = header) of ``name``.csv."""
    rows = lines(folder, name)
    rows[number - 1] = text
    write_lines(folder, name, rows)


def append(folder: Path, name: str, *rows: str) -> None:
    write_lines(folder, name, [*lines(folder, name), *rows])


def keep_only(folder: Path, name: str, *numbers: int) -> None:
    """Keep the header and the given physical lines of ``name``.csv."""
    rows = lines(folder, name)
    write_lines(folder, name, [rows[0], *(rows[n - 1] for n in numbers)])

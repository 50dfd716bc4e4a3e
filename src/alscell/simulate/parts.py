"""Columns of the simulated tables as compact numpy pieces, one set per block of patients.

A piece is a plain numpy array (floats, booleans, text objects) or one of :class:`Day`, :class:`Int`,
:class:`Coded`: day numbers, whole numbers and codes into a vocabulary, in the narrowest integer type that
holds them.  They become pandas columns only when ``SimulatedCohort.tables`` is read (:func:`concat`,
:func:`frame`); :func:`write_folder` writes the canonical folder straight from the pieces, block by block,
with the cells of :mod:`alscell.io.fastcsv`: the same bytes as ``io.writer.write_folder(cohort.tables)``
without holding every table as pandas objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from alscell.io import fastcsv
from alscell.io.columns import FILE_ORDER, TABLES, kind_of

WRITE_CHUNK = 100_000  # rows turned into text at a time


def _narrow(values: np.ndarray) -> np.ndarray:
    """Integers as int32 when they fit (the values are unchanged)."""
    values = np.asarray(values)
    if values.dtype.itemsize > 4 and values.size and np.iinfo(np.int32).min <= values.min() <= values.max() < 2**31:
        return values.astype(np.int32)
    return values


@dataclass
class Day:  # day numbers since 1970-01-01; missing where mask
    days: np.ndarray
    mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.days = _narrow(self.days)


@dataclass
class Int:
    values: np.ndarray
    mask: np.ndarray | None = None


@dataclass
class Coded:  # text: vocab[codes]
    codes: np.ndarray
    vocab: np.ndarray

    def __post_init__(self) -> None:
        self.codes = _narrow(self.codes)


Piece = Day | Int | Coded | np.ndarray
Block = Mapping[str, Mapping[str, Piece]]  # table → column → piece, for one block of patients


def _masks(parts: Sequence[Day | Int], sizes: list[int]) -> np.ndarray:
    return np.concatenate(
        [p.mask if p.mask is not None else np.zeros(k, dtype=np.bool_) for p, k in zip(parts, sizes, strict=True)]
    )


def concat(parts: Sequence[Piece]):
    """The pieces of one column, block after block, as the array of its pandas column."""
    if all(isinstance(p, Day) for p in parts):
        day_parts = [p for p in parts if isinstance(p, Day)]
        days = np.concatenate([p.days for p in day_parts]).astype(np.int64)
        out = (days * 86_400_000_000_000).view("datetime64[ns]")
        if any(p.mask is not None for p in day_parts):
            out = out.copy()
            out[_masks(day_parts, [len(p.days) for p in day_parts])] = np.datetime64("NaT")
        return out
    if all(isinstance(p, Int) for p in parts):
        int_parts = [p for p in parts if isinstance(p, Int)]
        values = np.concatenate([p.values for p in int_parts]).astype(np.int64)
        return pd.arrays.IntegerArray(values, _masks(int_parts, [len(p.values) for p in int_parts]))
    if all(isinstance(p, Coded) for p in parts):
        coded = [p for p in parts if isinstance(p, Coded)]
        return coded[0].vocab[np.concatenate([p.codes for p in coded])]
    return np.concatenate([p for p in parts if isinstance(p, np.ndarray)])


def frame(columns: dict) -> pd.DataFrame:
    """A DataFrame from ready arrays without copying or consolidating them."""
    series = [pd.Series(v, name=k, copy=False) for k, v in columns.items()]
    return pd.concat(series, axis=1, copy=False) if series else pd.DataFrame()


def length(piece: Piece) -> int:
    if isinstance(piece, Day):
        return len(piece.days)
    if isinstance(piece, Int):
        return len(piece.values)
    if isinstance(piece, Coded):
        return len(piece.codes)
    return len(piece)


def _slice(piece: Piece, rows: slice) -> Piece:
    if isinstance(piece, Day):
        return Day(piece.days[rows], None if piece.mask is None else piece.mask[rows])
    if isinstance(piece, Int):
        return Int(piece.values[rows], None if piece.mask is None else piece.mask[rows])
    if isinstance(piece, Coded):
        return Coded(piece.codes[rows], piece.vocab)
    return piece[rows]


class _CellMaker:
    """Finished cells of pieces; vocabularies and days are turned into text once per folder."""

    def __init__(self) -> None:
        self.days = fastcsv.DayCells()
        self._vocabs: dict[tuple, tuple[tuple, pa.Array]] = {}

    def vocab(self, vocabs: Sequence[np.ndarray], end: bool = False) -> pa.Array:
        """Cells of ``vocabs`` joined by commas (columns that share their codes), with ``"\\n"`` if ``end``."""
        key = (*map(id, vocabs), end)
        hit = self._vocabs.get(key)
        if hit is None or any(a is not b for a, b in zip(hit[0], vocabs, strict=True)):
            cells = [fastcsv.text_cells(v) for v in vocabs]
            joined = pc.binary_join_element_wise(*cells, ",") if len(cells) > 1 else cells[0]
            if end:
                joined = pc.binary_join_element_wise(joined, "", "\n")
            hit = (tuple(vocabs), joined)
            self._vocabs[key] = hit
        return hit[1]

    def __call__(self, piece: Piece, kind: str):
        if isinstance(piece, Coded) and kind == "text":
            return self.vocab([piece.vocab]).take(pa.array(piece.codes))
        if isinstance(piece, Day) and kind == "date":
            return self.days(piece.days, piece.mask)
        if isinstance(piece, Int) and kind == "int":
            return fastcsv.int_cells(piece.values, piece.mask)
        if isinstance(piece, np.ndarray):
            if kind == "bool" and piece.dtype == bool:
                return fastcsv.bool_cells(piece)
            if kind == "float" and piece.dtype == np.float64:
                return fastcsv.float_cells(piece)
            if kind == "text" and piece.dtype == object:
                return fastcsv.text_cells(piece)
        return self._generic(piece, kind)

    def _generic(self, piece: Piece, kind: str):
        """Any other piece: its canonical pandas column (as ``SimulatedCohort.tables`` holds it), written
        by io.writer."""
        from alscell.io.tables import coerce_column
        from alscell.io.writer import column_cells

        return column_cells(coerce_column(kind, pd.Series(concat([piece]))), kind, self.days)


def _groups(pieces: Mapping[str, Piece], columns: Sequence[str]) -> list[list[str]]:
    """``columns`` in runs: neighbouring text columns coded by the same array (the measure key's unit,
    side, muscle and specimen) form one run and are looked up together; any other column is a run alone."""
    runs: list[list[str]] = []
    for c in columns:
        piece, prev = pieces.get(c), pieces.get(runs[-1][-1]) if runs else None
        if (
            isinstance(piece, Coded)
            and isinstance(prev, Coded)
            and piece.codes is prev.codes
            and kind_of(c) == kind_of(runs[-1][-1]) == "text"
        ):
            runs[-1].append(c)
        else:
            runs.append([c])
    return runs


def _chunk_cells(cells: _CellMaker, pieces: Mapping[str, Piece], runs: list[list[str]], rows: slice):
    """The finished cells of ``rows`` run by run, and whether the last run already ends the lines."""
    out: list = []
    ended = False
    for i, run in enumerate(runs):
        last = i == len(runs) - 1
        first = pieces.get(run[0])
        if first is None:
            out.append("\n" if last else "")
            ended = last
        elif isinstance(first, Coded) and (len(run) > 1 or (last and kind_of(run[0]) == "text")):
            vocab = cells.vocab([p.vocab for p in (pieces[c] for c in run) if isinstance(p, Coded)], end=last)
            out.append(vocab.take(pa.array(first.codes[rows])))
            ended = last
        else:
            out.append(cells(_slice(first, rows), kind_of(run[0])))
    return out, ended


def write_folder(blocks: Sequence[Block], out_dir: str | Path) -> Path:
    """Write the canonical folder of the simulated ``blocks`` (every canonical column, in file order)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cells = _CellMaker()
    for name in FILE_ORDER:
        columns = TABLES[name]
        with open(out / f"{name}.csv", "wb") as f:
            f.write(fastcsv.header_line(columns))
            for block in blocks:
                pieces = block.get(name, {})
                n = length(next(iter(pieces.values()))) if pieces else 0
                runs = _groups(pieces, columns)
                for start in range(0, n, WRITE_CHUNK):
                    rows = slice(start, min(start + WRITE_CHUNK, n))
                    row_cells, ended = _chunk_cells(cells, pieces, runs, rows)
                    fastcsv.write_lines(f, row_cells, rows.stop - rows.start, ended=ended)
    return out


__all__ = ["Coded", "Day", "Int", "concat", "frame", "length", "write_folder"]

"""Raw reading of canonical CSV files: every cell as text, each row labelled with its physical line.

The frames returned here have an index named ``line``: the physical line of the file where the row starts
(1 = header; a quoted cell may span lines, so rows and lines differ).  A row with more or fewer fields
than the header, a NUL character, a duplicated header name, a dangling symbolic link or a file that is not
UTF-8 is a problem of its own: nothing is guessed.  Text cells written with a leading ``'`` to neutralise
a spreadsheet formula (alscell.io.writer) get that one quote removed again.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from alscell.io.columns import FILE_ORDER, kind_of
from alscell.io.errors import Problem

LINE_INDEX = "line"
# column -> (codes, uniques) with uniques[codes] equal to the column's cells
Factorized = dict[str, tuple[np.ndarray, np.ndarray]]
# ``frame.attrs`` flag of a frame read here: its cells hold no NUL (a file with one is refused), so the
# validator need not scan them again.
NUL_FREE = "alscell_nul_free"
# A text cell that a spreadsheet would run as a formula: starts with = + - @ tab or CR (OWASP).
FORMULA_START = "=+-@\t\r"
_STARTS = "[" + FORMULA_START.replace("-", r"\-") + "]"
FORMULA_RE = "'*" + _STARTS  # a cell the writer neutralises with one more leading ' (io.writer, io.fastcsv)
_QUOTED_FORMULA_RE = "'+" + _STARTS
# A cell holding one of these characters is written by the csv module (quoted as it decides).
CSV_SPECIAL = ',"\r\n\x00'


def _strip_formula_quote(s: pd.Series) -> pd.Series:
    """Remove the one ``'`` the writer put before a cell that would otherwise start a formula."""
    quoted = s.str.match(_QUOTED_FORMULA_RE, na=False)
    return s.where(~quoted, s.str[1:]) if quoted.any() else s


_LINE_BREAK = re.compile(r"\r\n|\n|\r")


def _line_commas(data: bytes) -> tuple[np.ndarray, np.ndarray, str] | None:
    """Commas and emptiness of every physical line, and the header line; None for a file without lines.

    With only ``\n`` line breaks this is counted on the UTF-8 bytes with numpy (a comma is one byte in
    UTF-8), else line by line.
    """
    if b"\r" in data:
        physical = _LINE_BREAK.split(data.decode("utf-8"))
        if physical and physical[-1] == "":
            physical.pop()
        if not physical:
            return None
        commas = np.fromiter((line.count(",") for line in physical), dtype=np.int64, count=len(physical))
        filled = np.fromiter((bool(line) for line in physical), dtype=bool, count=len(physical))
        return commas, filled, physical[0]
    b = np.frombuffer(data, dtype=np.uint8)
    if not len(b):
        return None
    newlines = np.flatnonzero(b == ord("\n"))
    starts = np.concatenate([[0], newlines + 1])
    if starts[-1] == len(b):  # the file ends with a line break: no line after it
        starts = starts[:-1]
    ends = np.append(newlines, len(b))[: len(starts)]  # each line without its line break
    # Each segment [start, next start) holds one line and its line break (never a comma); counted over
    # slices of about 8 MB so the int64 working copy stays small whatever the file size.
    commas = np.empty(len(starts), dtype=np.int64)
    step = max(1, int(len(starts) * 8_000_000 / len(b)))
    for i in range(0, len(starts), step):
        j = min(i + step, len(starts))
        stop = starts[j] if j < len(starts) else len(b)
        part = b[starts[i] : stop] == ord(",")
        commas[i:j] = np.add.reduceat(part, starts[i:j] - starts[i], dtype=np.int64)
    return commas, ends > starts, data[: ends[0]].decode("utf-8")


def _arrow_frame(
    data: bytes | Path, header: list[str], compact: bool = False
) -> tuple[pd.DataFrame, Factorized] | None:
    """The cells of a file without quotes as text, split by pyarrow's C reader (no quoting, blank lines
    skipped, every cell a string, '' for empty), and each column's factorisation.  pyarrow
    dictionary-encodes each column while it parses (only the codes and the distinct texts are ever held),
    so equal cells share one Python string (a registry column repeats ids, dates and codes: a large
    folder's memory stays small) and the validator gets the codes for free.  ``compact``: the columns are
    pandas Categoricals over those codes (no object array per column).  None if pyarrow cannot (e.g. a
    line longer than its block): pandas' parser reads it then.  ``data``: the bytes, or a file that pyarrow
    reads block by block itself."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    text = pa.dictionary(pa.int32(), pa.string())
    try:
        table = pacsv.read_csv(
            io.BytesIO(data) if isinstance(data, bytes) else pa.OSFile(str(data)),  # a local file, never a URI
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=",", quote_char=False, escape_char=False, newlines_in_values=False, ignore_empty_lines=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: text for c in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except (pa.ArrowInvalid, ValueError):
        return None
    columns: dict[str, object] = {}
    factorized: Factorized = {}
    for c in header:
        # Concatenating the blocks unifies their dictionaries (one entry per distinct text).
        encoded = table.column(0).combine_chunks()
        table = table.remove_column(0)  # frees the column's blocks before the next one is converted
        uniques = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object, copy=False)
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
        del encoded
        again, distinct = pd.factorize(uniques)
        if len(distinct) != len(uniques):  # never seen, but the validator relies on distinct uniques
            codes, uniques = again[codes].astype(np.int32), np.asarray(distinct, dtype=object)
        if compact:
            cells = pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object))
            # The Categorical keeps its codes in the narrowest integer type (int8 for a few distinct texts):
            # the validator shares them instead of holding a second, int32 copy.
            columns[c], codes = cells, cells.codes
        else:
            columns[c] = uniques[codes]
        factorized[c] = (codes, uniques)
    del table
    # pyarrow's allocator keeps freed blocks for reuse; hand them back (a large file's blocks would
    # otherwise stay in the process for the rest of the command).
    pa.default_memory_pool().release_unused()
    return pd.DataFrame(columns, copy=False), factorized


def _simple_lines(data: bytes) -> tuple[np.ndarray, str] | None:
    """Data lines and header of a file with ``\n`` line breaks and no blank line: row i is on line i + 2,
    found without looking at every line (pyarrow then checks every row's width and the UTF-8)."""
    if b"\r" in data or b"\n\n" in data or data.startswith(b"\n") or not data:
        return None
    end = data.find(b"\n")
    try:
        first = data[: end if end >= 0 else len(data)].decode("utf-8")
    except UnicodeDecodeError:
        return None
    n_lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return np.arange(1, n_lines), first


def _header(first: str) -> list[str] | None:
    """The column names of a header line the fast readers take: not empty, no name twice (else None: the
    careful reader names the problem)."""
    header = first.split(",")
    return header if first and len(set(header)) == len(header) else None


def _fast_frame(data: bytes, compact: bool = False) -> tuple[pd.DataFrame, Factorized] | None:
    """The common case in one pass of a C parser: no quotes, no NUL, every row as wide as the header.

    ``data``: the file's bytes, without a byte-order mark.  None when the file needs the careful reader
    (quoted cells may span lines; a bad row, a blank line or bad UTF-8 must be named).
    """
    if b'"' in data or b"\x00" in data:
        return None
    simple = _simple_lines(data)
    if simple is not None:
        rows, first = simple  # 0-based physical line of each data row
    else:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        lines = _line_commas(data)
        if lines is None:
            return None
        commas, filled, first = lines
        rows = np.flatnonzero(filled[1:]) + 1
        if (commas[rows] != commas[0]).any():
            return None
    header = _header(first)
    if header is None:
        return None
    arrow = _arrow_frame(data, header, compact)
    factorized: Factorized = {}
    if arrow is not None:
        frame, factorized = arrow
    else:
        if simple is not None:
            return None  # a ragged row or bad UTF-8 (pyarrow checks both): the careful reader names it
        frame = pd.read_csv(
            io.BytesIO(data),  # the bytes already in memory (a text buffer would be one more copy)
            encoding="utf-8",
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            engine="c",
            quoting=csv.QUOTE_NONE,
            skip_blank_lines=True,
        )
    if len(frame) != len(rows) or list(frame.columns) != header:
        return None
    frame.index = pd.Index(rows + 1, name=LINE_INDEX)
    return frame, factorized


# Files larger than this are first checked block by block and then parsed by pyarrow from the file, so
# their bytes are never held whole (a registry's measurements.csv can be hundreds of MB).
STREAM_BYTES = 64 << 20
_BLOCK = 1 << 24
_BOM = "\ufeff".encode()


def _scan(path: Path) -> tuple[int, str, bool] | None:
    """Number of lines, header and whether a ``'`` occurs, for a file the streamed reader can take: what
    :func:`_simple_lines` and :func:`_fast_frame` ask of bytes in memory (no quote, NUL, CR or blank line;
    a UTF-8 header), checked one block at a time.  None for any other file."""
    newlines, quote, header, last = 0, False, None, b""
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            if header is None:
                block = block.removeprefix(_BOM)
                end = block.find(b"\n")
                if block.startswith(b"\n") or end < 0:
                    return None  # a blank first line, or a header longer than a block: the careful reader
                try:
                    header = block[:end].decode("utf-8")
                except UnicodeDecodeError:
                    return None
            if b'"' in block or b"\x00" in block or b"\r" in block or b"\n\n" in block:
                return None
            if last == b"\n" and block.startswith(b"\n"):
                return None  # a blank line across two blocks
            newlines += block.count(b"\n")
            quote = quote or b"'" in block
            last = block[-1:]
    if header is None:
        return None
    return newlines + (0 if last == b"\n" else 1), header, quote


def _streamed_frame(path: Path, compact: bool) -> tuple[pd.DataFrame, Factorized, bool] | None:
    """:func:`_fast_frame` for a large file, without reading it into memory (and whether a ``'`` occurs)."""
    scanned = _scan(path)
    if scanned is None:
        return None
    n_lines, first, quote = scanned
    header = _header(first)
    if header is None:
        return None
    arrow = _arrow_frame(path, header, compact)  # pyarrow checks every row's width and the UTF-8
    if arrow is None or len(arrow[0]) != n_lines - 1 or list(arrow[0].columns) != header:
        return None
    frame, codes = arrow
    frame.index = pd.Index(np.arange(2, n_lines + 1), name=LINE_INDEX)
    return frame, codes, quote


def _fast_result(
    frame: pd.DataFrame, codes: Factorized, quote: bool, factorized: Factorized | None
) -> tuple[pd.DataFrame, list[Problem]]:
    frame.attrs[NUL_FREE] = True  # the fast readers only take files without a NUL byte
    if factorized is not None:
        # a text column may lose a formula quote below: its codes would no longer describe it
        factorized.update({c: v for c, v in codes.items() if not (quote and kind_of(c) == "text")})
    return _unquote_formulas(frame, quote), []


def read_raw_table(
    path: Path, name: str, factorized: Factorized | None = None, *, compact: bool = False
) -> tuple[pd.DataFrame, list[Problem]]:
    """Every cell of ``path`` as text ('' for empty) and the problems of its structure.

    ``factorized``, when given, receives ``column -> (codes, uniques)`` for the columns the fast reader
    factorised (``uniques[codes]`` equals the column), for the validator.  ``compact``: the fast reader's
    columns are pandas Categoricals of the same texts (a fraction of the memory of object columns; for the
    validator, which reads cells only to name them).  Raises ValueError (a plain reason) when the file as a
    whole cannot be read.
    """
    file = f"{name}.csv"
    try:
        if path.stat().st_size > STREAM_BYTES and (streamed := _streamed_frame(path, compact)) is not None:
            return _fast_result(*streamed, factorized)
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror or 'unreadable'})") from None
    size = len(data)
    data = data.removeprefix(_BOM)  # a byte-order mark, as spreadsheets write
    fast = _fast_frame(data, compact)  # checks the UTF-8 itself
    if fast is not None:
        return _fast_result(*fast, b"'" in data, factorized)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start + size - len(data)  # the byte in the file (counting any byte-order mark)
        raise ValueError(f"not UTF-8 text ({exc.reason} at byte {start})") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    start = 1
    try:
        for record in reader:
            if header is None:
                if record:
                    header = record
            elif not record:
                pass  # a blank line carries no row
            elif len(record) != len(header):
                problems.append(
                    Problem(
                        file,
                        start,
                        None,
                        None,
                        f"the row has {len(record)} fields but the header has {len(header)}",
                        "field_count",
                    )
                )
            else:
                rows.append(record)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ValueError(f"not a valid CSV file (line {reader.line_num}: {exc})") from None
    if not header:
        raise ValueError("empty file: a header row is required")
    seen: set[str] = set()
    for col in header:
        if col in seen:
            problems.append(Problem(file, 1, col, None, "the column appears more than once", "duplicate_column"))
        seen.add(col)
    if "\x00" in text:
        for col in header:
            if "\x00" in col:
                problems.append(Problem(file, 1, col, None, "contains a NUL character", "nul_character"))
        for record, line in zip(rows, lines, strict=True):
            for col, cell in zip(header, record, strict=True):
                if "\x00" in cell:
                    problems.append(Problem(file, line, col, cell, "contains a NUL character", "nul_character"))
    if problems:
        return pd.DataFrame(), problems
    index = pd.Index(np.asarray(lines, dtype=np.int64), name=LINE_INDEX)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    frame = pd.DataFrame(
        {col: pd.Series(values, index=index, dtype=object) for col, values in zip(header, columns, strict=True)},
        index=index,
    )
    frame.attrs[NUL_FREE] = True  # a NUL anywhere was a problem above
    return _unquote_formulas(frame, "'" in text), problems


def _unquote_formulas(frame: pd.DataFrame, any_quote: bool) -> pd.DataFrame:
    if any_quote:
        for col in frame.columns:
            if kind_of(col) == "text":
                frame[col] = _strip_formula_quote(frame[col].astype(object))  # a compact column too
    return frame


def read_raw_csv(path: Path) -> pd.DataFrame:
    """Every cell as text ('' for empty), header as given; raises ValueError with a plain reason."""
    frame, problems = read_raw_table(path, path.stem)
    if problems:
        raise ValueError(str(problems[0]))
    return frame


def read_raw_folder(
    folder: str | Path, factorized: dict[str, Factorized] | None = None, *, compact: bool = False
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Raw frames of every canonical file present in ``folder`` and every structural problem
    (``factorized``, ``compact``: by file as in :func:`read_raw_table`)."""
    folder = Path(folder)
    problems: list[Problem] = []
    if not folder.is_dir():
        return {}, [Problem(str(folder), None, None, None, "is not a folder", "not_a_folder")]
    raw: dict[str, pd.DataFrame] = {}
    for name in FILE_ORDER:
        path = folder / f"{name}.csv"
        file = f"{name}.csv"
        if path.is_symlink() and not path.exists():
            problems.append(Problem(file, None, None, None, "is a symbolic link to a missing file", "dangling_link"))
            continue
        if not path.exists():
            if name == "patients":
                problems.append(Problem(file, None, None, None, "file is missing (it is required)", "missing_file"))
            continue
        if not path.is_file():
            problems.append(Problem(file, None, None, None, "is not a regular file", "not_a_file"))
            continue
        try:
            frame, found = read_raw_table(
                path, name, None if factorized is None else factorized.setdefault(name, {}), compact=compact
            )
        except ValueError as exc:
            problems.append(Problem(file, None, None, None, str(exc), "unreadable_file"))
            continue
        problems.extend(found)
        raw[name] = frame
    return raw, problems

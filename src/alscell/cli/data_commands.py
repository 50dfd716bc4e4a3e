"""Registry commands: import, export, derive (spec/cli.md)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from alscell.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    DbOption,
    fail,
    load_tables,
    one_line,
    resolve_db_url,
    stdout,
)

if TYPE_CHECKING:
    from alscell.io.errors import Problem
    from alscell.io.redcap import Converted

EXPORT_FORMATS = ("canonical", "redcap", "sdtm", "fhir")
DEIDENTIFY_KEY_ENV = "ALSCELL_DEIDENTIFY_KEY"
MIN_KEY_LENGTH = 16


IMPORT_FORMATS = ("canonical", "redcap", "proact")


def _redcap_folder(folder: Path, tmp: Path) -> Converted:
    """The canonical folder made from the REDCap records export in ``folder`` (or the records file itself),
    with the REDCap origin of each of its rows (docs/redcap.md)."""
    from alscell.io.redcap import RECORDS_FILE, RecordsError, convert_records

    records = folder / RECORDS_FILE if folder.is_dir() else folder
    if not records.is_file():
        fail(f"{folder}: no REDCap records export {RECORDS_FILE} (made with alscell's data dictionary) found")
    try:
        return convert_records(records, tmp / "canonical")
    except RecordsError as exc:  # codes the dictionary does not have, unknown columns, an unreadable file
        fail([*(f"{records.name} {m}" for m in exc.messages), f"nothing was imported from {folder}"])


def import_cmd(
    folder: Path = typer.Argument(..., help="Canonical data folder (spec/data-format.md), or a REDCap export."),
    db: str | None = DbOption,
    fmt: str = typer.Option(
        "canonical",
        "--format",
        help="canonical (default) or redcap: a records export made with alscell's REDCap data dictionary; "
        "proact: a folder of PRO-ACT CSV tables, imported as the untreated cohort proact (docs/proact.md).",
    ),
    anchor: str | None = typer.Option(
        None,
        "--anchor",
        help="With --format proact: the date of every subject's day 0, YYYY-MM-DD (default 2000-01-01).",
    ),
    placebo_only: bool = typer.Option(
        False, "--placebo-only", help="With --format proact: only subjects of placebo arms (PROACT_TREATMENT)."
    ),
) -> None:
    """Validate and import a canonical folder (or a REDCap records export, or PRO-ACT tables), all or nothing."""
    import tempfile

    if fmt not in IMPORT_FORMATS:
        fail(f"--format {fmt!r} is not supported; supported: {', '.join(IMPORT_FORMATS)}")
    if fmt == "proact":
        with tempfile.TemporaryDirectory(prefix="alscell-proact-") as tmp:
            _import_proact(folder, Path(tmp), db, anchor, placebo_only)
        return
    if anchor is not None or placebo_only:
        fail("--anchor and --placebo-only only apply to --format proact")
    if fmt == "redcap":
        with tempfile.TemporaryDirectory(prefix="alscell-redcap-") as tmp:
            converted = _redcap_folder(folder, Path(tmp))
            _import(converted.folder, db, shown=folder, explain=converted.explain)
        return
    _import(folder, db, shown=folder)


def _import_proact(folder: Path, tmp: Path, db: str | None, anchor: str | None, placebo_only: bool) -> None:
    """Import PRO-ACT tables through the canonical importer, then say (one sentence each) what was left out."""
    import datetime as dt

    from alscell.io.errors import ValidationError
    from alscell.io.proact import DEFAULT_ANCHOR, anchor_conflict, read_proact

    try:
        day0 = DEFAULT_ANCHOR if anchor is None else dt.datetime.strptime(anchor, "%Y-%m-%d").date()
    except ValueError:
        fail(f"--anchor {anchor!r} is not a date YYYY-MM-DD")
    try:
        converted = read_proact(folder, day0, placebo_only=placebo_only)
    except ValidationError as exc:
        fail([*exc.messages(), f"nothing was imported from {folder} ({exc.total} problem(s))"])
    conflict = anchor_conflict(_proact_anchors(db), day0)
    if conflict is not None:
        fail([conflict, f"nothing was imported from {folder}"])
    _import(converted.write(tmp / "canonical"), db, shown=folder, explain=lambda p: str(converted.translate(p)))
    for note in converted.notes:
        stdout.print(note, markup=False)


def _proact_anchors(db: str | None) -> dict[str, int]:
    """Day 0 of the PRO-ACT subjects the registry already holds (anchor -> subjects); empty when it holds none
    or cannot be read (the import then says why)."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from alscell.cli.common import missing_sqlite_file
    from alscell.store.engine import RegistryBusy, open_database
    from alscell.store.models import SQL_TABLES

    url = resolve_db_url(db)
    if missing_sqlite_file(url) is not None:
        return {}
    patients = SQL_TABLES["patients"]
    try:
        engine = open_database(url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(select(patients.c.extra).where(patients.c.cohort == "proact")).scalars()
                anchors: dict[str, int] = {}
                for extra in rows:
                    day0 = str((extra or {}).get("x_proact_anchor") or "")
                    if day0:
                        anchors[day0] = anchors.get(day0, 0) + 1
                return anchors
        finally:
            engine.dispose()
    except (SQLAlchemyError, RegistryBusy):
        return {}


def _import(folder: Path, db: str | None, shown: Path, explain: Callable[[Problem], str] | None = None) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from alscell.io.errors import ValidationError
    from alscell.store.engine import RegistryBusy, open_database
    from alscell.store.importer import import_folder

    try:
        engine = open_database(resolve_db_url(db))
    except RegistryBusy as exc:
        fail(str(exc), EXIT_FAILURE)
    except SQLAlchemyError as exc:
        fail(f"cannot open the database: {one_line(exc)}")
    started = time.perf_counter()
    try:
        summary = import_folder(engine, folder)
    except ValidationError as exc:
        messages = exc.messages()
        if explain is not None:  # name the rows as the source format does (a REDCap record, instrument, ...)
            messages = [*map(explain, exc.problems), *messages[len(exc.problems) :]]
        fail([*messages, f"nothing was imported from {shown} ({exc.total} problem(s))"], EXIT_BAD_INPUT)
    except RegistryBusy as exc:
        fail(f"nothing was imported: {exc}", EXIT_FAILURE)
    except SQLAlchemyError as exc:
        fail(f"nothing was imported: the database refused the data ({one_line(exc)})", EXIT_FAILURE)
    finally:
        engine.dispose()
    took = time.perf_counter() - started
    parts = [
        f"{name}: {summary.inserted[name]} new, {summary.updated[name]} updated, {summary.unchanged[name]} unchanged"
        for name in summary.inserted
    ]
    stdout.print(f"imported {shown} in {took:.1f} s — " + "; ".join(parts), markup=False)


def export_cmd(
    folder: Path = typer.Argument(..., help="Folder to write."),
    db: str | None = DbOption,
    fmt: str = typer.Option("canonical", "--format", help="Output format: " + ", ".join(EXPORT_FORMATS) + "."),
    deidentify: bool = typer.Option(
        False,
        "--deidentify",
        help="Keyed pseudonyms and per-patient date shifts (key kept in the database, or "
        "ALSCELL_DEIDENTIFY_KEY), ages > 89 top-coded, free text and x_ columns dropped, rows shuffled.",
    ),
    keep_columns: list[str] | None = typer.Option(
        None,
        "--keep-column",
        help="With --deidentify: an x_ column to keep unchanged (repeatable); you vouch it holds nothing identifying.",
    ),
    redcap_longitudinal: bool = typer.Option(
        False,
        "--redcap-longitudinal",
        help="With --format redcap: a longitudinal project (redcap_event_name; demographics in "
        "enrolment_arm_1, repeating instruments in follow_up_arm_1) with its event files.",
    ),
) -> None:
    """Write the registry as a canonical folder, a REDCap data dictionary and records (--format redcap),
    CDISC SDTM datasets with a define listing (--format sdtm) or a FHIR R4 bundle (--format fhir)."""
    from alscell.io.writer import write_folder

    if fmt not in EXPORT_FORMATS:
        fail(f"--format {fmt!r} is not supported yet; supported: {', '.join(EXPORT_FORMATS)}")
    if redcap_longitudinal and fmt != "redcap":
        fail("--redcap-longitudinal only applies to --format redcap")
    if keep_columns and not deidentify:
        fail("--keep-column only applies with --deidentify (without it every x_ column is exported)")
    tables = load_tables(None, db)
    if deidentify:
        from alscell.io.deidentify import deidentify as deidentify_tables

        keep = sorted(set(keep_columns or ()))
        unknown = [c for c in keep if c.startswith("x_") and not any(c in t.columns for t in tables.values())]
        if unknown:
            fail(f"--keep-column: the registry has no column {', '.join(unknown)}")
        try:
            tables = deidentify_tables(tables, _deidentify_key(db), keep=keep)
        except ValueError as exc:  # a canonical column named for keeping
            fail(f"--keep-column: {exc}")
    if fmt == "redcap":
        from alscell.io.redcap import write_redcap

        write_redcap(tables, folder, longitudinal=redcap_longitudinal)
    elif fmt == "sdtm":
        from alscell.io.sdtm import write_sdtm

        write_sdtm(tables, folder)
    elif fmt == "fhir":
        from alscell.io.fhir import write_fhir

        write_fhir(tables, folder)
    else:
        write_folder(tables, folder)
    stdout.print(f"exported {sum(len(t) for t in tables.values())} rows to {folder}", markup=False)


def _deidentify_key(db: str | None) -> bytes:
    """The de-identification secret: ``ALSCELL_DEIDENTIFY_KEY`` when set, else the registry's own key."""
    import os

    from sqlalchemy.exc import SQLAlchemyError

    from alscell.store.accounts import pseudonym_key
    from alscell.store.engine import RegistryBusy, open_database

    given = os.environ.get(DEIDENTIFY_KEY_ENV)
    if given is not None:
        if len(given) < MIN_KEY_LENGTH:
            fail(f"{DEIDENTIFY_KEY_ENV} must hold a secret of at least {MIN_KEY_LENGTH} characters")
        return given.encode()
    try:
        engine = open_database(resolve_db_url(db))
    except RegistryBusy as exc:
        fail(str(exc), EXIT_FAILURE)
    except SQLAlchemyError as exc:
        fail(f"cannot open the database: {one_line(exc)}")
    try:
        return pseudonym_key(engine)
    except SQLAlchemyError as exc:
        fail(f"cannot read the de-identification key from the database: {one_line(exc)}", EXIT_FAILURE)
    finally:
        engine.dispose()


def derive_cmd(
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
    data: Path | None = typer.Option(None, "--data", help="Canonical data folder."),
    db: str | None = DbOption,
) -> None:
    """Per-visit derived table: totals, subscores, King's, MiToS, ΔFRS."""
    from alscell.analysis.derived import derive_visits, write_derived_csv

    tables = load_tables(data, db)
    derived = derive_visits(tables)
    write_derived_csv(derived, out)
    stdout.print(f"wrote {len(derived)} visits to {out}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the data commands to ``app``."""
    app.command("import")(import_cmd)
    app.command("export")(export_cmd)
    app.command("derive")(derive_cmd)

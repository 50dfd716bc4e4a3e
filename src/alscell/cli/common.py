"""Shared pieces of the command line: database option, error reporting and exit codes (spec/cli.md).

Errors go to stderr as one sentence per problem; exit status 2 for bad input, 1 for other failures;
a traceback only with ``--debug``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1
DEFAULT_DB_URL = "sqlite:///alscell.db"

stderr = Console(stderr=True, highlight=False, soft_wrap=True)
stdout = Console(highlight=False, soft_wrap=True)

DbOption = typer.Option(None, "--db", help="SQLAlchemy database URL (default: $ALSCELL_DB or sqlite:///alscell.db).")


class BadInput(Exception):
    """User input that cannot be used; each entry of ``problems`` is one sentence."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


def resolve_db_url(db: str | None) -> str:
    return db or os.environ.get("ALSCELL_DB") or DEFAULT_DB_URL


def report_problems(problems: str | list[str]) -> None:
    """Print each problem on its own line to stderr."""
    for p in [problems] if isinstance(problems, str) else problems:
        stderr.print(f"error: {p}", markup=False)


def fail(problems: str | list[str], code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Inside a command: report ``problems`` and exit with ``code``."""
    report_problems(problems)
    raise typer.Exit(code)


def debug_enabled() -> bool:
    return "--debug" in sys.argv or os.environ.get("ALSCELL_DEBUG") == "1"


def one_line(exc: BaseException) -> str:
    """A one-sentence description of ``exc``: the driver's own message for database errors, without
    SQLAlchemy's statement echo and "Background on this error" link."""
    orig = getattr(exc, "orig", None)  # sqlalchemy.exc.DBAPIError wraps the driver's exception
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0].strip() if text else "an unexpected error occurred (--debug shows the details)"


def missing_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL when that file does not exist (a read would create an empty one)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:" or u.database.startswith("file:"):
        return None
    path = Path(u.database)
    return None if path.exists() else path


def load_tables(data: Path | None, db: str | None, measures: tuple[str, ...] | None = None):
    """Typed canonical tables from ``--data`` or ``--db`` (default database when neither is given; ``measures``:
    only the measurements of these keys, :func:`alscell.store.source.load_source`); a bad folder, an empty or
    unreachable database is bad input (exit 2, one sentence per problem)."""
    from sqlalchemy.exc import SQLAlchemyError

    from alscell.io.errors import ValidationError
    from alscell.store.source import load_source

    if data is not None and db is not None:
        fail("give either --data or --db, not both")
    url = None if data is not None else resolve_db_url(db)
    if url is not None and (missing := missing_sqlite_file(url)) is not None:
        fail(
            f"cannot read the database: there is no alscell registry at {missing} (no such file); "
            "import a folder first, or give --data or --db"
        )
    try:
        return load_source(data=data, db=url, measures=measures)
    except ValidationError as exc:
        fail(exc.messages())
    except SQLAlchemyError as exc:
        fail(f"cannot read the database: {one_line(exc)}")
    except ValueError as exc:
        fail(str(exc))

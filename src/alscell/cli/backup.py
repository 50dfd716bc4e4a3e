"""``alscell backup FILE`` and ``alscell restore FILE`` (spec/cli.md; docs/reliability.md).

Heavy imports stay inside the commands so that ``alscell --help`` stays fast."""

from __future__ import annotations

from pathlib import Path

import typer

from alscell.cli.common import EXIT_FAILURE, DbOption, fail, one_line, resolve_db_url, stdout


def _describe(counts: dict[str, int]) -> str:
    patients = counts.get("patients", 0)
    audit = counts.get("audit_log", 0)
    return f"{patients} patients, {sum(counts.values())} rows in {len(counts)} tables, {audit} audit entries"


def backup_cmd(
    file: Path = typer.Argument(..., help="New backup file to write (never overwritten)."),
    db: str | None = DbOption,
) -> None:
    """Consistent online backup of the registry (safe while the web app or an import is writing)."""
    from sqlalchemy.exc import SQLAlchemyError

    from alscell.store.backup import BackupError, backup

    url = resolve_db_url(db)
    try:
        summary = backup(url, file)
    except BackupError as exc:
        fail(str(exc))
    except (SQLAlchemyError, OSError) as exc:
        fail(f"cannot back up the registry: {one_line(exc)}", EXIT_FAILURE)
    stdout.print(f"backed up {_describe(summary.counts)} to {file}", markup=False)


def restore_cmd(
    file: Path = typer.Argument(..., help="Backup file written by alscell backup."),
    db: str | None = DbOption,
) -> None:
    """Restore a backup into an empty database (refused when the database holds any rows)."""
    from sqlalchemy.exc import SQLAlchemyError

    from alscell.store.backup import BackupError, restore
    from alscell.store.engine import RegistryBusy

    url = resolve_db_url(db)
    try:
        summary = restore(file, url)
    except BackupError as exc:
        fail(str(exc))
    except RegistryBusy as exc:
        fail(str(exc), EXIT_FAILURE)
    except (SQLAlchemyError, OSError) as exc:
        fail(f"cannot restore {file}: {one_line(exc)}; nothing was restored", EXIT_FAILURE)
    stdout.print(f"restored {_describe(summary.counts)} from {file}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)

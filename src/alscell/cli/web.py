"""``alscell serve`` and ``alscell user add`` (spec/cli.md; docs/web.md).  Heavy imports stay inside the
commands so that ``alscell --help`` stays fast."""

from __future__ import annotations

from pathlib import Path

import typer

from alscell.cli.common import DbOption, fail, resolve_db_url, stdout

user_app = typer.Typer(help="Web app accounts.", no_args_is_help=True)


def serve_cmd(
    db: str | None = DbOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="Server processes (each answers requests with its own interpreter)."
    ),
) -> None:
    """The web app: clinic data entry, patient portal, JSON API at /api/v1."""
    import os

    import uvicorn

    from alscell.web.app import DB_URL_ENV, create_app

    url = resolve_db_url(db)
    app = create_app(url, fit_process=True)  # migrates the schema once, before any worker starts
    stdout.print(f"alscell web app at http://{host}:{port} (Ctrl-C stops it)", markup=False)
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True)
        return
    app.state.engine.dispose()
    os.environ[DB_URL_ENV] = url  # read by each worker's app factory
    uvicorn.run(
        "alscell.web.app:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=True,
    )


def user_add_cmd(
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Option(..., "--role", help="admin, clinician, researcher or patient."),
    site: str | None = typer.Option(None, "--site", help="The clinician's (or patient's) site."),
    patient: str | None = typer.Option(None, "--patient", help="Patient id (patient accounts only)."),
    password_file: Path | None = typer.Option(
        None, "--password-file", help="Read the password from the first line of this file (else prompted)."
    ),
    db: str | None = DbOption,
) -> None:
    """Create an account (the password is prompted unless --password-file is given)."""
    from alscell.store.accounts import AccountError, create_user
    from alscell.store.engine import open_database

    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            fail(f"cannot read the password file {password_file}: {exc.strerror or exc}")
        password = lines[0] if lines else ""
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = open_database(resolve_db_url(db))
    try:
        create_user(engine, name, role, password, site=site, patient_id=patient, actor="cli")
    except AccountError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    stdout.print(f"created {role} account {name}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
    user_app.command("add")(user_add_cmd)
    app.add_typer(user_app, name="user")

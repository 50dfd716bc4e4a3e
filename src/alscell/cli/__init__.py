"""The ``alscell`` console script (spec/cli.md).  Each command group lives in its own module."""

from __future__ import annotations

import sys

import typer

from alscell.cli.common import EXIT_BAD_INPUT, EXIT_FAILURE, BadInput, debug_enabled, report_problems

app = typer.Typer(
    name="alscell",
    help="Registry, honest evidence engine and in-silico trial simulator for MSC therapy in ALS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors.")) -> None:
    """alscell command line."""


def _register() -> None:
    # Imported here so that `alscell --help` stays fast and a broken optional module names itself.
    from alscell.cli import data_commands

    data_commands.register(app)
    try:
        from alscell.cli import simulate as simulate_cli
    except ImportError:  # pragma: no cover - module added by the simulator work
        simulate_cli = None
    if simulate_cli is not None:
        app.add_typer(simulate_cli.app, name="simulate", help="Simulate virtual ALS patients and trials.")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs the Typer app and maps exceptions to exit codes."""
    _register()
    args = sys.argv[1:] if argv is None else argv
    args = [a for a in args if a != "--debug"] if debug_enabled() else args
    try:
        app(args=args, standalone_mode=True)
    except BadInput as exc:
        if debug_enabled():
            raise
        report_problems(exc.problems)
        sys.exit(EXIT_BAD_INPUT)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - last-resort handler for the CLI
        if debug_enabled():
            raise
        report_problems(f"{type(exc).__name__}: {exc}")
        sys.exit(EXIT_FAILURE)

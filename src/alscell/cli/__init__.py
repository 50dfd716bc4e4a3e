"""The ``alscell`` console script (spec/cli.md).  Each command group lives in its own module."""

from __future__ import annotations

import sys

import typer

from alscell.cli.common import EXIT_BAD_INPUT, EXIT_FAILURE, BadInput, debug_enabled, one_line, report_problems

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


# Command modules: each ``alscell.cli.<name>`` exposes ``register(app)``.  A module not yet written is
# skipped; an existing module that fails to import is a real error and surfaces.
COMMAND_MODULES = ("data_commands", "simulate", "effect", "forecast", "report", "demo", "web", "backup", "power")


def _register() -> None:
    import importlib
    import importlib.util

    if getattr(app, "_alscell_registered", False):
        return
    for name in COMMAND_MODULES:
        if importlib.util.find_spec(f"alscell.cli.{name}") is None:
            continue
        module = importlib.import_module(f"alscell.cli.{name}")
        if hasattr(module, "register"):
            module.register(app)
        else:  # a command group given as its own Typer app
            app.add_typer(module.app, name=name)
    app._alscell_registered = True  # type: ignore[attr-defined]


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
    except Exception as exc:
        if debug_enabled():
            raise
        report_problems(one_line(exc))  # one sentence, never an exception class name
        sys.exit(EXIT_FAILURE)

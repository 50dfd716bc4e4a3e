"""``alscell report``: cohort or patient report, HTML or PDF (spec/cli.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from alscell.cli.common import EXIT_FAILURE, DbOption, fail, load_tables, stdout


def report_cmd(
    out: Path = typer.Option(..., "--out", help="Output file: .html (self-contained) or .pdf (headless Chromium)."),
    data: Path | None = typer.Option(None, "--data", help="Canonical data folder."),
    db: str | None = DbOption,
    patient: str | None = typer.Option(
        None, "--patient", help="Patient id: write that patient's report instead of the cohort report."
    ),
) -> None:
    """Write the cohort report, or one patient's report with --patient."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from alscell.report.pdf import ChromiumMissing, find_chromium

    if out.suffix.lower() not in (".html", ".htm", ".pdf"):
        fail(f"--out must end in .html or .pdf, not {out.name!r}")
    if out.suffix.lower() == ".pdf" and find_chromium() is None:
        fail(
            "PDF output needs Debian's headless Chromium (/usr/bin/chromium), which is not installed; "
            "install it (sudo apt-get install chromium, or make setup) or write .html",
            EXIT_FAILURE,
        )
    tables = load_tables(data, db)
    source = str(data) if data is not None else "database"
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=stdout, transient=True
    ) as bar:
        task = bar.add_task("loading", total=None)
        step = lambda msg: bar.update(task, description=msg)  # noqa: E731
        try:
            if patient is not None:
                from alscell.analysis.errors import NotApplicable
                from alscell.report.patient import patient_report

                step(f"patient report {patient}")
                try:
                    path = patient_report(tables, patient, out)
                except NotApplicable as exc:  # unknown patient, too few untreated visits for the model, …
                    fail(f"cannot write the patient report: {exc}")
            else:
                from alscell.report.cohort import cohort_report

                path = cohort_report(tables, out, progress=step, source=source)
        except ChromiumMissing as exc:
            fail(str(exc), EXIT_FAILURE)
    stdout.print(f"wrote {path}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("report")(report_cmd)

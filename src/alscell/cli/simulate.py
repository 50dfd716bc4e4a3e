"""``alscell simulate``: write simulated canonical folders (spec/cli.md)."""

from __future__ import annotations

import math
from pathlib import Path

import typer

from alscell.cli.common import fail, stdout

app = typer.Typer(help="Simulate virtual ALS patients and trials.", no_args_is_help=True, add_completion=False)


@app.callback()
def _group() -> None:
    """Simulate virtual ALS patients and trials."""


@app.command("cohort")
def cohort(
    out: Path = typer.Option(..., "--out", help="Folder to write (canonical CSV files)."),
    patients: int = typer.Option(..., "--patients", help="Number of patients."),
    seed: int = typer.Option(..., "--seed", help="Random seed (same seed and options give identical files)."),
    effect: float = typer.Option(
        0.0, "--effect", help="True ALSFRS-R slope change after first treatment, points/month (0 = no effect)."
    ),
    route: str | None = typer.Option(
        None, "--route", help="intrathecal, intravenous, intramuscular or intraspinal (default: a mix)."
    ),
    cell_source: str | None = typer.Option(
        None,
        "--cell-source",
        help="bone_marrow, adipose, umbilical_cord, wharton_jelly, placenta or other (default: a mix).",
    ),
    donor: str | None = typer.Option(None, "--donor", help="autologous or allogeneic (default: by cell source)."),
    design: str = typer.Option("registry", "--design", help="registry, single_arm, rct or delayed_start."),
    treated_fraction: float | None = typer.Option(
        None,
        "--treated-fraction",
        help="Share treated (registry, single_arm) or randomised to active (rct, delayed_start).",
    ),
    cycles: int = typer.Option(3, "--cycles", help="Maximum number of administrations (per phase for delayed_start)."),
    months: float = typer.Option(18.0, "--months", help="Follow-up after the baseline visit, months."),
    visit_interval: float = typer.Option(1.5, "--visit-interval", help="Months between scheduled visits."),
    selection: float = typer.Option(
        1.0, "--selection", help="Registry: strength of treatment after a bad-looking visit (0 = none)."
    ),
    dropout: float = typer.Option(
        1.0, "--dropout", help="Strength of informative dropout (0 = dropout unrelated to progression)."
    ),
    half_life: float | None = typer.Option(
        None, "--half-life", help="Waning half-life of the effect after each dose, months (default: no waning)."
    ),
    truth: Path | None = typer.Option(
        None, "--truth", help="Also write the per-patient truth to this CSV file (outside the folder)."
    ),
    force: bool = typer.Option(False, "--force", help="Write into --out even if it is a folder that is not empty."),
) -> None:
    """Write a simulated canonical folder that `alscell import` accepts."""
    problems = []
    if patients < 1:
        problems.append("--patients must be at least 1.")
    if seed < 0:
        problems.append("--seed must be 0 or more.")
    # The simulator pulls numpy, pandas and scipy: imported when the command runs, not for --help.
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from alscell.simulate import CohortConfig, EffectModel, simulate_cohort
    from alscell.simulate.config import DESIGNS
    from alscell.simulate.engine import BLOCK_SIZE

    if design not in DESIGNS:
        problems.append(f"--design must be one of {', '.join(DESIGNS)}, not {design!r}.")
    if half_life is not None and not half_life > 0:
        problems.append("--half-life must be more than 0 months.")
    if out.exists() and not out.is_dir():
        problems.append(f"--out {out} exists and is not a folder.")
    elif out.is_dir() and not force and any(out.iterdir()):
        problems.append(
            f"--out {out} is a folder that is not empty: choose another one, or add --force to overwrite it."
        )
    if truth is not None and truth.resolve().parent == out.resolve():
        problems.append("--truth must be outside the --out folder (the folder must stay importable).")
    if problems:
        fail(problems)
    model = EffectModel(half_life_months=math.inf if half_life is None else half_life)
    config = CohortConfig(
        n_patients=patients,
        design=design,
        effect=effect,
        treated_fraction=treated_fraction,
        route=route,
        cell_source=cell_source,
        donor=donor,
        cycles=cycles,
        follow_up_months=months,
        visit_interval_months=visit_interval,
        selection_on_bad_visit=selection,
        informative_dropout=dropout,
        effect_model=model,
    )
    problems = [_cli_words(p) for p in config.problems()]
    if problems:
        fail(problems)
    if patients > BLOCK_SIZE:
        with Progress(
            TextColumn("simulating"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,} patients"),
            TimeElapsedColumn(),
            console=stdout,
            transient=True,
        ) as bar:
            task = bar.add_task("simulate", total=patients)
            result = simulate_cohort(config, seed, progress=lambda done, total: bar.update(task, completed=done))
    else:
        result = simulate_cohort(config, seed)
    result.write(out, truth=truth if truth is not None else False)
    stdout.print(f"wrote {out}: {result.summary()}", markup=False, highlight=False)


_OPTION_WORDS = {
    "treated fraction": "--treated-fraction",
    "route must": "--route must",
    "cell source must": "--cell-source must",
    "donor must": "--donor must",
    "cycles must": "--cycles must",
    "follow-up must": "--months (follow-up) must",
    "visit interval": "--visit-interval",
    "effect must": "--effect must",
}


def _cli_words(problem: str) -> str:
    for words, option in _OPTION_WORDS.items():
        if problem.startswith(words):
            return option + problem[len(words) :]
    return problem

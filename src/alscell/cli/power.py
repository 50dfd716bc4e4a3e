"""``alscell power``: power, type-I error, bias and coverage of a simulated trial design (docs/trials.md)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer

from alscell.cli.common import fail, stderr, stdout


def _floats(text: str | None, what: str) -> list[float]:
    if not text:
        return []
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        fail(f"{what} must be numbers separated by commas, not {text!r}.")


def _route_effect(text: str | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, sep, val = part.partition("=")
        try:
            out[key.strip()] = float(val)
        except ValueError:
            sep = ""
        if not sep:
            fail(f"--route-effect takes ROUTE=MULTIPLIER pairs separated by commas, not {part!r}.")
    return out


def _fmt(m: dict, digits: int = 3) -> str:
    v, e = m.get("value"), m.get("mcse")
    if v is None or not math.isfinite(v):
        return "—"
    return f"{v:.{digits}f} ± {e:.{digits}f}" if e is not None and math.isfinite(e) else f"{v:.{digits}f}"


def register(app: typer.Typer) -> None:
    @app.command("power")
    def power(
        design: str = typer.Option(
            "parallel", "--design", help="parallel, single_arm (external controls), delayed_start or route_comparison."
        ),
        preset: str | None = typer.Option(
            None, "--preset", help="nurown: NurOwn phase 3 as published (other options then change it)."
        ),
        n: int | None = typer.Option(
            None, "--n", help="Randomised patients (single_arm: treated patients). Default 200."
        ),
        ratio: float | None = typer.Option(
            None, "--ratio", help="Allocation active : control (route_comparison: first : second route). Default 1."
        ),
        effect: float = typer.Option(0.0, "--effect", help="True ALSFRS-R slope change, points/month (0 = no effect)."),
        endpoint: str | None = typer.Option(
            None,
            "--endpoint",
            help="slope (mixed model, default), change (ANCOVA), responder, cafs, survival or fvc_slope.",
        ),
        alpha: float = typer.Option(0.05, "--alpha", help="Two-sided significance level."),
        follow_up: float | None = typer.Option(
            None, "--follow-up", help="Months of follow-up after randomisation (default 6)."
        ),
        visit_interval: float | None = typer.Option(
            None, "--visit-interval", help="Months between visits (default 1)."
        ),
        run_in: float | None = typer.Option(
            None, "--run-in", help="Months of run-in before randomisation (default 0)."
        ),
        min_decline: float | None = typer.Option(
            None, "--min-run-in-decline", help="Eligible only with at least this ALSFRS-R decline over the run-in."
        ),
        min_alsfrs: float | None = typer.Option(None, "--min-alsfrs", help="Enrichment: ALSFRS-R at screening ≥ this."),
        max_alsfrs: float | None = typer.Option(None, "--max-alsfrs", help="Enrichment: ALSFRS-R at screening ≤ this."),
        rate_window: str | None = typer.Option(
            None, "--rate-window", help="Enrichment: pre-baseline ΔFRS window LOW,HIGH (points/month)."
        ),
        max_onset: float | None = typer.Option(
            None, "--max-months-since-onset", help="Eligible only within this many months of symptom onset."
        ),
        dropout: float | None = typer.Option(
            None, "--dropout", help="Yearly dropout probability (default: simulator's 0.10)."
        ),
        route: str = typer.Option(
            "intrathecal", "--route", help="Route of administration (parallel, single_arm, delayed_start)."
        ),
        routes: str = typer.Option("intrathecal,intravenous", "--routes", help="route_comparison: FIRST,SECOND."),
        route_effect: str | None = typer.Option(
            None, "--route-effect", help="Effect multiplier per route, e.g. intravenous=0.5,intramuscular=0.3."
        ),
        cycles: int = typer.Option(3, "--cycles", help="Doses (repeated-dose schedule)."),
        cycle_interval: float = typer.Option(2.0, "--cycle-interval", help="Months between doses."),
        half_life: float | None = typer.Option(
            None, "--half-life", help="Waning half-life of the effect, months (default none)."
        ),
        redose_boost: float = typer.Option(0.0, "--redose-boost", help="Extra effect per further dose (fraction)."),
        delay: float | None = typer.Option(
            None, "--delay", help="delayed_start: months until the second group starts."
        ),
        external_factor: float = typer.Option(
            1.0, "--external-rate-factor", help="single_arm: external controls progress this many times faster."
        ),
        looks: str | None = typer.Option(
            None, "--looks", help="Interim looks as information fractions, e.g. 0.33,0.67."
        ),
        spending: str = typer.Option("obrien_fleming", "--spending", help="Alpha spending: obrien_fleming or pocock."),
        accrual: float = typer.Option(18.0, "--accrual", help="Months of uniform accrual (timing of interim looks)."),
        procova: bool = typer.Option(
            False, "--procova", help="Change endpoint: adjust for a prognostic score (PROCOVA)."
        ),
        historical_n: int = typer.Option(2000, "--historical-n", help="PROCOVA: untreated historical patients."),
        trials: int = typer.Option(200, "--trials", help="Simulated trials per scenario."),
        seed: int = typer.Option(1, "--seed", help="Random seed (same seed and options: identical results)."),
        batch: int = typer.Option(
            100,
            "--batch",
            help="Trials per task (one batched analysis each; results depend on it only at rounding level).",
        ),
        workers: int = typer.Option(1, "--workers", help="Dask LocalCluster worker processes (1 = in this process)."),
        scheduler: str | None = typer.Option(None, "--scheduler", help="Existing Dask scheduler, tcp://HOST:PORT."),
        curve_n: str | None = typer.Option(None, "--curve-n", help="Power curve over sample sizes, e.g. 100,150,200."),
        curve_effect: str | None = typer.Option(
            None, "--curve-effect", help="Power curve over effects, e.g. 0,0.2,0.4."
        ),
        plot: Path | None = typer.Option(None, "--plot", help="Write the power curve (PNG, SVG or PDF)."),
        report: Path | None = typer.Option(
            None, "--report", help="Write the design report: inputs, results, judgements (.html or .pdf)."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    ) -> None:
        """Simulate a trial design many times: power, type-I error, bias and coverage with Monte Carlo SEs."""
        from alscell.simulate.trials import EligibilityError, TrialDesign, nurown_phase3, run_designs

        problems = []
        if trials < 2:
            problems.append("--trials must be at least 2.")
        if batch < 1 or workers < 1:
            problems.append("--batch and --workers must be at least 1.")
        if curve_n and curve_effect:
            problems.append("give --curve-n or --curve-effect, not both.")
        if preset not in (None, "nurown"):
            problems.append(f"unknown preset {preset!r}: the one preset is nurown.")
        if plot is not None and plot.suffix.lower() not in (".png", ".svg", ".pdf"):
            problems.append(f"--plot {plot}: the file name must end in .png, .svg or .pdf.")
        if report is not None and report.suffix.lower() not in (".html", ".pdf"):
            problems.append(f"--report {report}: the file name must end in .html or .pdf.")
        if problems:
            fail(problems)
        window = _floats(rate_window, "--rate-window")
        base = nurown_phase3() if preset == "nurown" else TrialDesign()
        changes = {
            "effect": effect,
            "alpha": alpha,
            "route": route,
            "routes": tuple(r.strip() for r in routes.split(",")),
            "route_effect": _route_effect(route_effect),
            "redose_boost": redose_boost,
            "external_rate_factor": external_factor,
            "looks": tuple(_floats(looks, "--looks")),
            "spending": spending,
            "accrual_months": accrual,
            "procova": procova,
            "historical_n": historical_n,
        }
        if preset is None or design != "parallel":
            changes["kind"] = design
        optional = {
            "n": n,
            "ratio": ratio,
            "endpoint": endpoint,
            "follow_up_months": follow_up,
            "visit_interval_months": visit_interval,
            "run_in_months": run_in,
            "min_run_in_decline": min_decline,
            "min_alsfrs": min_alsfrs,
            "max_alsfrs": max_alsfrs,
            "max_months_since_onset": max_onset,
            "dropout_per_year": dropout,
            "delay_months": delay,
            "half_life_months": half_life,
        }
        changes.update({k: v for k, v in optional.items() if v is not None})
        if preset is None or cycles != 3 or cycle_interval != 2.0:
            changes.update(cycles=cycles, cycle_interval_months=cycle_interval)
        if window:
            changes["rate_window"] = tuple(window)
        if rate_window and len(window) != 2:
            fail("--rate-window takes two numbers LOW,HIGH (points/month).")
        d0 = base.replace(**changes)
        if curve_n:
            sizes = _floats(curve_n, "--curve-n")
            if any(s != int(s) for s in sizes):
                fail("--curve-n takes whole numbers of patients.")
            designs = [d0.replace(n=int(s)) for s in sizes]
            axis = "n"
        elif curve_effect:
            designs = [d0.replace(effect=e) for e in _floats(curve_effect, "--curve-effect")]
            axis = "effect"
        else:
            designs, axis = [d0], None
        problems = sorted({p for d in designs for p in d.problems()}, key=lambda p: p)
        if problems:
            fail(problems)

        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        total = trials * len(designs)
        try:
            with Progress(
                TextColumn("trials"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=stderr,
                transient=True,
            ) as bar:  # fmt: skip
                task = bar.add_task("trials", total=total)
                summaries = run_designs(
                    designs,
                    trials,
                    seed,
                    batch=batch,
                    workers=workers,
                    scheduler=scheduler,
                    progress=lambda k: bar.advance(task, k),
                )
        except EligibilityError as exc:
            fail(str(exc))
        except (OSError, TimeoutError) as exc:
            fail(f"the Dask scheduler {scheduler or '(local cluster)'} could not be used: {exc}.", code=1)

        out = {"seed": seed, "n_trials": trials, "curve": axis, "scenarios": [s.to_dict() for s in summaries]}
        if plot is not None:
            _plot(out, plot)
        if report is not None:
            from alscell.report.design import design_report

            try:
                design_report(out, report)
            except (OSError, RuntimeError) as exc:
                fail(f"--report {report}: the report could not be written ({exc}).", code=1)
        if as_json:
            stdout.print(json.dumps(out, indent=2), markup=False)
            return
        _table(out)
        if plot is not None:
            stdout.print(f"plot written to {plot}", markup=False)
        if report is not None:
            stdout.print(f"report written to {report}", markup=False)


def _table(out: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    first = out["scenarios"][0]["design"]
    title = f"{first['kind']} design, endpoint {first['endpoint']}, {out['n_trials']} simulated trials per row (± MCSE)"
    t = Table(title=title)
    for col in (
        "n",
        "effect",
        "truth",
        "rejection rate",
        "mean estimate",
        "bias",
        "coverage",
        "empirical SE",
        "model SE",
    ):
        t.add_column(col, justify="right")
    for s in out["scenarios"]:
        d = s["design"]
        t.add_row(
            str(d["n"]),
            f"{d['effect']:g}",
            "—" if s["truth"] is None else f"{s['truth']:.3g}",
            _fmt(s["rejection_rate"]),
            _fmt(s["mean_estimate"]),
            _fmt(s["bias"]),
            _fmt(s["coverage"]),
            _fmt(s["empirical_se"]),
            _fmt(s["model_se"]),
        )
    con = stdout if stdout.is_terminal else Console(highlight=False, width=160)
    con.print(t)
    for s in out["scenarios"]:
        ex = s["extras"]
        lines = [f"mean candidates screened per trial: {ex['mean_screened']:.0f}"]
        if "responder_rate_active" in ex:
            lines.append(
                f"responder rate: active {_fmt(ex['responder_rate_active'])}, control {_fmt(ex['responder_rate_control'])}"
            )
        if "boundaries" in ex:
            lines.append(
                "boundaries |Z| ≥ "
                + ", ".join(f"{b:.3f}" for b in ex["boundaries"])
                + "; stopped at each look: "
                + ", ".join(f"{x:.3f}" for x in ex["stop_share_by_look"])
            )
        if ex.get("procova"):
            p = ex["procova"]
            lines.append(
                f"PROCOVA: variance reduction {p['variance_reduction_model_se']:.1%} (model SE), "
                f"{p['variance_reduction_empirical']:.1%} (empirical); same precision with n ≈ {p['n_equivalent']:.0f}; "
                f"rejection rate without it {_fmt(p['rejection_rate_plain'])}"
            )
        stdout.print(f"n = {s['design']['n']}, effect {s['design']['effect']:g}: " + "; ".join(lines), markup=False)


def _plot(out: dict, path: Path) -> None:
    from alscell.report.design import power_curve_figure
    from alscell.report.embed import plt

    fig = power_curve_figure(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)

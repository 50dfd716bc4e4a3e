"""``alscell demo``: the main job for a newcomer (``make demo``).

Simulates a realistic registry (all routes and cell sources, repeated doses, untreated patients), imports it
into the embedded SQLite database, runs the evidence engine, writes the cohort report and a few patient
reports to ``--out``, then serves the web app with a demo clinician and a demo patient login.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from alscell.cli.common import fail, stdout

DEMO_ROUTE_MIX = {"intrathecal": 0.55, "intravenous": 0.2, "intramuscular": 0.2, "intraspinal": 0.05}
DEMO_SOURCE_MIX = {
    "bone_marrow": 0.4,
    "adipose": 0.2,
    "umbilical_cord": 0.2,
    "wharton_jelly": 0.1,
    "placenta": 0.06,
    "other": 0.04,
}


def pick_demo_patients(tables, n: int = 3) -> list[str]:
    """A few instructive patients: intramuscular (injected muscles), intrathecal with an adverse event,
    several cycles, and an untreated patient — each with visits before and after treatment."""
    import pandas as pd

    from alscell.analysis.design_matrix import active_treatments

    tr = active_treatments(tables)
    visits = tables["alsfrs"].groupby("patient_id")["date"].agg(["min", "max", "size"])
    first = tr.groupby("patient_id")["date"].min()
    good = [
        p
        for p in first.index
        if p in visits.index
        and visits.loc[p, "min"] < first[p]
        and visits.loc[p, "max"] > first[p] + pd.Timedelta(days=180)
        and visits.loc[p, "size"] >= 6
    ]
    chosen: list[str] = []

    def take(cands):
        for p in cands:
            if p not in chosen:
                chosen.append(p)
                return

    take([p for p in good if (tr.loc[tr["patient_id"] == p, "route"] == "intramuscular").any()])
    ae = tables["adverse_events"]
    take(
        [
            p
            for p in good
            if (tr.loc[tr["patient_id"] == p, "route"] == "intrathecal").any() and p in set(ae["patient_id"])
        ]
    )
    take([p for p in good if tr.loc[tr["patient_id"] == p, "cycle"].max() >= 3])
    untreated = [p for p in visits.index if p not in first.index and visits.loc[p, "size"] >= 6]
    take(untreated)
    for p in good:
        if len(chosen) >= n:
            break
        take([p])
    return chosen[:n]


# From docs/calibration.md (benchmarks/calibration.py, cell "demo", the default method): 100 demo registries at effect 0.2
# (tests/cli/test_demo_note.py checks that these numbers are the page's).
DEMO_COVERAGE_NOTE = (
    "how often: on 100 registries simulated like this one (true effect 0.2), the 95% interval covered the "
    "truth in 94% of them (MCSE 0.024, so within 2 MCSE of the nominal 95%; bias -0.015, MCSE 0.008): "
    "see docs/calibration.md."
)
DEMO_CALIBRATED = (300, 0.2)  # (patients, effect) of that calibration cell: the demo's defaults
OTHER_DEMO_NOTE = (
    "how often: docs/calibration.md measures the default demo (300 patients, effect 0.2) and registries of 200 "
    "to 3,000 patients, not this run's size and effect as such."
)


def demo_config(patients: int = 300, effect: float = 0.2):
    """The simulated registry of ``alscell demo`` (also a cell of benchmarks/calibration.py)."""
    from alscell.simulate import CohortConfig

    return CohortConfig(
        n_patients=patients,
        design="registry",
        effect=effect,
        cycles=3,
        route_mix=DEMO_ROUTE_MIX,
        source_mix=DEMO_SOURCE_MIX,
        follow_up_months=18.0,
    )


def demo_cmd(
    out: Path = typer.Option(Path("out"), "--out", help="Folder for the demo data, database and reports."),
    patients: int = typer.Option(300, "--patients", help="Number of simulated patients."),
    seed: int = typer.Option(7, "--seed", help="Random seed."),
    effect: float = typer.Option(
        0.2, "--effect", help="True ALSFRS-R slope change after treatment in the simulated registry (points/month)."
    ),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: sqlite:///<out>/alscell-demo.db)."),
    n_patient_reports: int = typer.Option(4, "--patient-reports", help="How many patient reports to write."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the web app at the end, with demo logins."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
) -> None:
    """Build a demo registry, analyse it, write the reports, then serve the web app."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from alscell.analysis.forecast import fit_natural_history
    from alscell.report.cohort import cohort_report
    from alscell.report.evidence import run_evidence
    from alscell.report.patient import patient_report
    from alscell.simulate import simulate_cohort
    from alscell.store.engine import open_database
    from alscell.store.importer import import_folder
    from alscell.store.source import load_source

    if patients < 20:
        fail("--patients must be at least 20 for a meaningful demo")
    out.mkdir(parents=True, exist_ok=True)
    data_dir = out / "demo-data"
    url = db or f"sqlite:///{(out / 'alscell-demo.db').resolve()}"
    started = time.perf_counter()
    written: list[Path] = []
    with Progress(
        TextColumn("{task.description:<48}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=stdout,
    ) as bar:
        total = 6 + n_patient_reports
        task = bar.add_task("simulating a registry", total=total)

        def done(next_desc: str) -> None:
            bar.advance(task)
            bar.update(task, description=next_desc)

        config = demo_config(patients, effect)
        sim = simulate_cohort(config, seed)
        sim.write(data_dir)
        done("importing into the database")
        engine = open_database(url)
        try:
            summary = import_folder(engine, data_dir, actor="demo")
        finally:
            engine.dispose()
        del summary
        done("loading the registry")
        tables = load_source(db=url)
        done("running the evidence engine")
        evidence = run_evidence(tables, progress=lambda m: bar.update(task, description=f"evidence: {m[:38]}"))
        done("writing the cohort report")
        written.append(
            cohort_report(
                tables,
                out / "cohort-report.html",
                evidence=evidence,
                source=f"simulated registry ({patients} patients, seed {seed}, true effect {effect:g} points/month)",
                progress=lambda m: bar.update(task, description=f"cohort report: {m}"),
            )
        )
        done("fitting the natural-history model")
        model = fit_natural_history(tables)
        from alscell.report.patient import shared_prognosis_models

        prognosis_models = shared_prognosis_models(tables)  # once for all patient reports
        done("writing patient reports")
        picked = pick_demo_patients(tables, max(n_patient_reports, 1))
        demo_patient = str(picked[0])
        for pid in picked[:n_patient_reports]:
            written.append(
                patient_report(tables, pid, out / f"patient-{pid}.html", model=model, prognosis_models=prognosis_models)
            )
            done(f"patient report {pid}")
        bar.update(task, completed=total, description="done")
    took = time.perf_counter() - started
    from alscell.analysis.estimate import p_phrase

    stdout.print(f"\nsimulated {sim.summary()}", markup=False)
    stdout.print(f"registry: {url}", markup=False)
    eff = evidence["effect"]
    if eff.available:
        e = eff.value
        stdout.print(
            f"evidence engine: ALSFRS-R slope change {e.estimate:+.2f} points/month "
            f"(95% CI {e.ci_low:+.2f} to {e.ci_high:+.2f}; {e.method.replace('_', ' ')}, {p_phrase(e.p_value)}); "
            f"the simulated truth is {effect:+.2f} "
            f"({'covered' if e.ci_low <= effect <= e.ci_high else 'NOT covered'} this time)",
            markup=False,
        )
        calibrated = (patients, effect) == DEMO_CALIBRATED
        stdout.print(DEMO_COVERAGE_NOTE if calibrated else OTHER_DEMO_NOTE, markup=False)
        sens = evidence["sensitivity"]
        if sens.available:
            stdout.print(f"sensitivity analyses (table in the cohort report): {sens.value.summary()}", markup=False)
            if sens.value.placebo is not None:
                stdout.print(sens.value.placebo.sentence(sens.value.primary.unit), markup=False)
            if sens.value.waning is not None:
                stdout.print(sens.value.waning.sentence(sens.value.primary.unit), markup=False)
        mod = evidence.get("modification")
        if mod is not None and mod.available:  # does it work better in some patients? (report.evidence)
            stdout.print(mod.value, markup=False)
    else:
        stdout.print(f"evidence engine: {eff.reason}", markup=False)
    stdout.print("reports:", markup=False)
    for p in written:
        stdout.print(f"  {p}", markup=False)
    stdout.print(f"finished in {took:.1f} s", markup=False)
    _serve(url, serve, host, port, demo_patient)


DEMO_CLINICIAN = "demo-clinician"
DEMO_PATIENT = "demo-patient"


def demo_accounts(url: str, patient_id: str) -> dict[str, str]:
    """A demo clinician (no site: sees the simulated patients, who have none) and a demo patient account
    linked to ``patient_id``, each with a fresh random password (an existing demo account gets a new one)."""
    import secrets

    from alscell.store.accounts import AccountError, create_user, set_password
    from alscell.store.engine import open_database

    engine = open_database(url)
    logins: dict[str, str] = {}
    try:
        for name, role, pid in ((DEMO_CLINICIAN, "clinician", None), (DEMO_PATIENT, "patient", patient_id)):
            password = secrets.token_urlsafe(12)
            try:
                create_user(engine, name, role, password, patient_id=pid, actor="demo")
            except AccountError:
                set_password(engine, name, password, actor="demo")
            logins[name] = password
    finally:
        engine.dispose()
    return logins


def _serve(url: str, serve: bool, host: str, port: int, patient_id: str) -> None:
    if not serve:
        stdout.print(f"web app: start it with  alscell serve --db {url} --host {host} --port {port}", markup=False)
        return
    import uvicorn

    from alscell.web.app import create_app

    logins = demo_accounts(url, patient_id)
    stdout.print(f"web app: http://{host}:{port}/  (Ctrl-C stops it)", markup=False)
    stdout.print("demo logins (shown once; a new password at every demo run):", markup=False)
    stdout.print(f"  clinician  {DEMO_CLINICIAN:<16} {logins[DEMO_CLINICIAN]}", markup=False)
    stdout.print(f"  patient    {DEMO_PATIENT:<16} {logins[DEMO_PATIENT]}  (patient {patient_id})", markup=False)
    try:
        uvicorn.run(create_app(url, fit_process=True), host=host, port=port, log_level="warning")
    except KeyboardInterrupt:
        pass


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)

"""``alscell forecast``: a patient's expected natural-history course (spec/cli.md)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from alscell.cli.common import DbOption, fail, load_tables, stdout


def _fmt(v, nd=1):
    return "n/a" if v is None else f"{v:.{nd}f}"


def forecast_cmd(
    patient: str = typer.Option(..., "--patient", help="Patient id."),
    data: Path | None = typer.Option(None, "--data", help="Canonical data folder."),
    db: str | None = DbOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """The patient's expected course without treatment, with intervals, stage and event risks."""
    from alscell.analysis.errors import NotApplicable
    from alscell.analysis.forecast import forecast_patient

    tables = load_tables(data, db)
    try:
        fc = forecast_patient(tables, patient)
    except NotApplicable as exc:  # unknown patient, too few untreated visits for the model, …
        fail(f"cannot forecast: {exc}")
    if as_json:
        print(json.dumps(fc.to_json_dict(), ensure_ascii=False))
        return
    s = fc.status
    lines = [
        f"patient {fc.patient_id}: onset {fc.onset_date:%Y-%m-%d}"
        + (f", first treatment {fc.first_treatment:%Y-%m-%d}" if fc.first_treatment is not None else ", untreated"),
        f"expected course from the {'patient' if fc.patient_level else 'population'}-level natural-history model "
        f"({fc.model['n_patients']} patients, {fc.model['n_visits']} untreated visits)",
    ]
    if s.get("position"):
        lines.append(
            f"latest {'post-treatment ' if s.get('n_post_visits') else ''}visit {s['date']:%Y-%m-%d}: "
            f"ALSFRS-R {s['observed']:.0f}, expected {s['expected']:.1f} "
            f"(95% prediction range {s['pi_low']:.1f}–{s['pi_high']:.1f}) — {s['position']}"
        )
    lines.append(f"expected slope now: {fc.expected_slope:+.2f} points/month")
    lines.append(
        f"stage: King's {fc.stage.get('kings') or 'n/a'}, MiToS {fc.stage.get('mitos') if fc.stage.get('mitos') is not None else 'n/a'}"
    )
    if fc.progression.get("group"):
        lines.append(f"ΔFRS {_fmt(fc.progression['delta_frs'], 2)} points/month: {fc.progression['group']} progression")
    for r in fc.event_risks:
        lines.append(f"{r['measure']}: {r['value']} ({r['source']}; {r['caveat']})")
    for w in fc.windows:
        if w["n_visits"]:
            lines.append(
                f"window {w['window']} ({w['label']}): day {w['days_after']}, observed {w['observed']:.0f}, "
                f"expected {w['expected']:.1f} ({w['pi_low']:.1f}–{w['pi_high']:.1f}) — {w['position']}"
            )
        else:
            lines.append(f"window {w['window']} ({w['label']}): no visit")
    for note in fc.warnings:
        lines.append(f"note: {note}")
    stdout.print("\n".join(lines), markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("forecast")(forecast_cmd)

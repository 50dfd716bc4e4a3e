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
    from alscell.analysis.prognosis import prognosis_patient

    tables = load_tables(data, db)
    try:
        fc = forecast_patient(tables, patient)
    except NotApplicable as exc:  # unknown patient, too few untreated visits for the model, …
        fail(f"cannot forecast: {exc}")
    try:
        prog: dict = prognosis_patient(tables, patient).to_json_dict()
    except NotApplicable as exc:
        prog = {"not_available": str(exc)}
    if as_json:
        out = fc.to_json_dict()
        out["prognosis"] = prog
        print(json.dumps(out, ensure_ascii=False))
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
    lines.extend(prognosis_lines(prog))
    for note in fc.warnings:
        lines.append(f"note: {note}")
    stdout.print("\n".join(lines), markup=False, highlight=False)


def prognosis_lines(p: dict) -> list[str]:
    """Plain-text lines of the prognosis block (issue 16)."""
    if "not_available" in p:
        return [f"prognosis: not available: {p['not_available']}"]
    out = [f"prognosis as of {p['as_of']} (80% prediction intervals, without treatment):"]
    for f in p["forecasts"]:
        if "horizons" not in f:
            out.append(f"  {f['label']}: not available: {f.get('not_available', '')}")
            continue
        cells = "; ".join(
            f"{r['months_ahead']:g} mo {r['mean']:.1f} ({r['pi80_low']:.1f}-{r['pi80_high']:.1f})"
            for r in f["horizons"]
        )
        out.append(f"  {f['label']} [{f['basis']}]: {cells}")
    for r in p["stage_probabilities"]:
        k = ", ".join(f"King's {a} {b:.0%}" for a, b in r["kings"].items())
        m = ", ".join(f"MiToS {a} {b:.0%}" for a, b in r["mitos"].items())
        out.append(f"  by {r['months_ahead']:g} months (if alive): {k}; {m}")
    ef = p["event_free"]
    if ef.get("statement"):
        out.append(f"  event-free survival: {ef['statement']}")
    else:
        cells = "; ".join(
            f"{h['months_ahead']:g} mo {'n/a' if h['event_free'] is None else format(h['event_free'], '.0%')}"
            for h in ef.get("horizons", [])
        )
        out.append(f"  event-free (no death, tracheostomy, permanent ventilation), {ef.get('stratum')}: {cells}")
    out.append(f"  ENCALS: {p['encals']['statement']}")
    for s in p["scenarios"]:
        if s["key"] == "none":
            continue
        cells = "; ".join(
            f"{h['months_ahead']:g} mo {'n/a' if h['extra_points'] is None else format(h['extra_points'], '+.1f')}"
            for h in s["horizons"]
        )
        out.append(f"  if like {s['label']}: {cells} points ({s['caveat']})")
    nv = p["natural_variability"]["published"]
    out.append(
        f"  without treatment, {nv['no_decline_6_months']:.0%} of trial patients did not decline over 6 months "
        f"and {nv['no_decline_12_months']:.0%} over 12 ({nv['source']})"
    )
    for s in p["suitability"]:
        bad = [c["label"] for c in s["criteria"] if c["status"] == "fail"]
        unk = [c["label"] for c in s["criteria"] if c["status"] == "unknown"]
        line = f"  suitability {s['title']}: {s['status']}"
        if bad:
            line += f"; fails: {'; '.join(bad)}"
        if unk:
            line += f"; unknown: {'; '.join(unk)}"
        out.append(line)
    for r in p["routes"]["routes"]:
        why = "; ".join(f["why"] for f in r["flags"])
        out.append(f"  route {r['route']}: {r['status']}" + (f" ({why})" if why else ""))
    out.extend(f"note: {w}" for w in p["warnings"])
    return out


def register(app: typer.Typer) -> None:
    app.command("forecast")(forecast_cmd)

"""``alscell effect``: estimate the treatment effect (spec/cli.md; docs/evidence.md)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from alscell.cli.common import DbOption, fail, load_tables, stdout


def register(app: typer.Typer) -> None:
    @app.command("effect")
    def effect(
        data: Path | None = typer.Option(None, "--data", help="Canonical data folder (instead of --db)."),
        db: str | None = DbOption,
        outcome: str = typer.Option(
            "alsfrs_r_total",
            "--outcome",
            help="alsfrs_r_total, bulbar, fine_motor, gross_motor, respiratory or a measurement key (fvc_pct_pred, grip_kg, fss, nfl, ...).",
        ),
        method: str | None = typer.Option(
            None,
            "--method",
            help="g_estimation (default: doubly robust, rests on a model of the treatment decision, not on the shape of each course), lmm_counterfactual (a mixed model of each course; more precise, leans where courses bend), lmm_bounded (the same with the floor and ceiling of the scale in the model), naive (misleading baseline), external_control or randomized.",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object (spec/cli.md)."),
        sensitivity: bool = typer.Option(
            False,
            "--sensitivity",
            help="Also run the other registry estimators (their assumptions differ) and say whether the conclusion "
            "is the same under each, with a placebo (pre-trend) check and whether the slope change lasts; with --json the object gains 'sensitivity', "
            "'sensitivity_summary', 'placebo' and 'waning'.",
        ),
        modifiers: str | None = typer.Option(
            None,
            "--modifiers",
            help="Let the slope change depend on the patient at the start: comma-separated, from level (the "
            "outcome at the start) and decline (for ALSFRS-R outcomes ΔFRS, the mean loss per month since onset; for "
            "others the loss per month over the last two intervals between visits); g_estimation only. "
            "The estimate becomes the average over the patients who start; with --json the object gains "
            "'effect_modification'.",
        ),
        adjust_for: str | None = typer.Option(
            None,
            "--adjust-for",
            help="What the registry records that drove the decision to treat, comma-separated: age, "
            "time_since_onset, time_since_diagnosis, ventilation, gastrostomy, sex, site, onset_site, el_escorial, genetics, riluzole, "
            "edaravone or a measurement key (fvc_pct_pred, grip_kg, hhd_kg, nfl, ...); g_estimation's decision model and outcome "
            "regression then hold them.  Name everything the clinic chose on: naming only part of it can move the "
            "estimate the wrong way.",
        ),
        within_starters: bool = typer.Option(
            False,
            "--within-starters",
            help="With --adjust-for: keep only the decision visits whose named terms lie within what the patients "
            "who started had (an eligibility rule: no treatment ever starts outside it).",
        ),
        adjust_shape: str | None = typer.Option(
            None,
            "--adjust-shape",
            help="With --adjust-for: how the named terms enter, spline (the default since 2026-12-06: their "
            "continuous levels, such as age or FVC, also as restricted cubic splines with four knots, so that the "
            "models can bend where a rule cuts), linear (as they are) or course (the spline, and each named "
            "measure's course since its first value: over the first, change per month since it, taken at the visit, "
            "only one so far — a candidate, docs/decision_oracle.md).",
        ),
        decision_lag: float | None = typer.Option(
            None,
            "--decision-lag",
            help="Days from the decision to treat to the first dose (cells to be made, a waiting list): the "
            "decision is then taken as made at the last visit at least this long before the first dose, and the "
            "visits in between are neither decisions nor treated.  Give the programme's shortest time from decision "
            "to dose: a longer lag skips the visit at which the decision was made.  Where treatments.csv records "
            "a decision_date, that date is used instead.  g_estimation only.",
        ),
        decision_visits: str | None = typer.Option(
            None,
            "--decision-visits",
            help="Comma-separated visit types (alsfrs.csv visit_type: scheduled, unscheduled, home, inpatient, "
            "remote) at which the clinic decides whether to treat: visits of other types are left out of the "
            "decision model (a visit with no recorded type is kept).  g_estimation only.",
        ),
        leave_out_visits: str | None = typer.Option(
            None,
            "--leave-out-visits",
            help="Comma-separated visit types whose ratings leave the analysis altogether (such as inpatient: "
            "ratings taken during an admission for an acute illness do not measure the course as the others do).  "
            "g_estimation only.",
        ),
        eligible_when: str | None = typer.Option(
            None,
            "--eligible-when",
            help="With --adjust-for: the clinic's eligibility as you know it, conditions on the named terms' columns "
            "separated by ';' (TERM OP NUMBER, OP one of <= >= == != < >; e.g. 'time since onset <= 36; ventilation "
            "== 0; fvc_pct_pred over its first >= 0.8'): only the decision visits that meet it are compared with the "
            "starts (a smooth decision model otherwise spreads the starts over visits the clinic could not treat at: "
            "docs/decision_oracle.md).  A named measure's course columns (over its first, change per month since its "
            "first, taken at the visit, (one value so far)) can be used with any --adjust-shape.",
        ),
        recorded_eligibility: bool = typer.Option(
            False,
            "--recorded-eligibility",
            help="Read the clinic's recorded screening for the therapy (alsfrs.eligible): the decision visits recorded "
            "not eligible leave the decision model (every start kept; a visit with no recorded screening stays).  "
            "Needs no --adjust-for.  g_estimation only; an option, not the default (docs/recorded_eligibility.md).",
        ),
        hold_raters: bool | None = typer.Option(
            None,
            "--hold-raters/--raters-as-recorded",
            help="Each recorded rater's offset (alsfrs.rater; and each assessor mode's), estimated within patients from "
            "the visits before any treatment, removed from the slopes (with its uncertainty in the interval) and from "
            "the history the decisions are modelled on, so that a few raters' leniencies shared by many patients "
            "neither lean the estimate nor make its interval too narrow.  The default where two raters or more are "
            "recorded (docs/world20_hold_raters.md); --raters-as-recorded reads the ratings as recorded.  g_estimation "
            "only (docs/rater_identity.md).",
        ),
        self_ratings: str | None = typer.Option(
            None,
            "--self-ratings",
            metavar="[read|outcome]",
            help="How ALSFRS-R ratings made by the patient or a caregiver (alsfrs.assessor self or caregiver) enter: "
            "read (decision occasions, read by the decision history, and outcomes) or outcome (outcomes only: no "
            "decision is taken at a self-rating and the history reads the clinic's ratings; docs/self_ratings.md).  "
            "The default: g_estimation's (DEFAULT_SELF_RATINGS).  outcome: g_estimation only.",
        ),
        history: str | None = typer.Option(
            None,
            "--history",
            metavar="NAME",
            help="The decision history g_estimation's decision model and outcome regression read: measures_only (the "
            "default: the standard history and the FVC, SVC, weight and blood NfL recorded before each visit), "
            "standard (the score's course, decline, time since onset and entry: the history without the "
            "measurements), or the candidates flexible, level_spline, registry (also age, time since diagnosis, "
            "ventilation and gastrostomy), rater (also who rated each visit) and measures (registry's and the "
            "measurements).  g_estimation only; with --json, decision_inputs.history says the history used.",
        ),
    ) -> None:
        """Estimate the change in the outcome's slope after first treatment against expected natural history."""
        from alscell.analysis.decision_inputs import measures_read, named_json, named_options, raters_held_summary
        from alscell.analysis.design_matrix import OutcomeError, outcome_info
        from alscell.analysis.effect_modification import estimate_modified, modified_json, parse_modifiers
        from alscell.analysis.effects import DEFAULT_METHOD, METHODS, estimate_effect
        from alscell.analysis.errors import NotApplicable
        from alscell.analysis.history_contrast import check_rows

        method = method or DEFAULT_METHOD
        if method not in METHODS:
            fail(f"unknown method {method!r}: use one of {', '.join(METHODS)}.")
        try:
            outcome_info(outcome)
        except OutcomeError as exc:
            fail(str(exc))
        try:
            names = parse_modifiers(modifiers, sensitivity)
            options = named_options(
                adjust_for,
                within_starters,
                method,
                adjust_shape,
                decision_lag,
                decision_visits,
                leave_out_visits,
                eligible_when,
                recorded_eligibility,
                hold_raters,
                self_ratings,
                history,
            )
        except NotApplicable as exc:
            fail(str(exc))
        # Only the measurements the analysis reads (from a database, only those are read): the rest of a large
        # registry's need not be read nor stay in memory during the fit.
        tables = load_tables(data, db, measures_read(outcome, options.get("adjust_for", ())))
        sens = None
        try:
            if names:
                est = estimate_modified(tables, outcome, method, names, **options)
            elif sensitivity:
                from alscell.analysis.sensitivity import sensitivity_analyses

                sens = sensitivity_analyses(tables, outcome, method, options)
                est = sens.primary
            else:
                est = estimate_effect(tables, outcome, method, **options)
        except NotApplicable as exc:
            fail(str(exc))
        if as_json:
            obj = modified_json(est) if names else est.to_json_dict() if sens is None else sens.to_json_dict()
            typer.echo(json.dumps(named_json(obj, options, est.details)))
            return
        from rich.table import Table

        t = Table(title=f"Treatment effect on {outcome} ({est.method})", show_header=True)
        t.add_column("quantity")
        t.add_column("value", justify="right")

        def f(x, d=3):
            return "—" if x is None or x != x else f"{x:.{d}f}"

        t.add_row("estimand", f"{est.estimand} ({est.unit}); positive = benefit")
        t.add_row("estimate", f(est.estimate))
        t.add_row("95% CI", f"{f(est.ci_low)} to {f(est.ci_high)}")
        t.add_row("p-value", "—" if est.p_value != est.p_value else f"{est.p_value:.3g}")
        t.add_row("patients (treated)", f"{est.n_patients} ({est.n_treated})")
        t.add_row("observations used", str(est.n_visits))
        if "adjusted_for" in est.details:
            shape = {
                "spline": " (continuous levels as splines)",
                "course": " (continuous levels as splines; each measure's course since its first value)",
            }.get(est.details.get("adjust_shape", ""), "")
            t.add_row("decision inputs named", ", ".join(est.details["adjusted_for"]) + shape)
            if est.details.get("eligible_when"):
                t.add_row("eligible when (stated)", "; ".join(est.details["eligible_when"]))
                t.add_row("decision visits outside the stated eligibility", str(est.details["outside_eligibility"]))
            if est.details.get("outside_starters") is not None:
                t.add_row("decision visits outside the starters'", str(est.details["outside_starters"]))
        if est.details.get("eligibility_recorded") is not None:
            t.add_row("decision visits with a recorded screening", str(est.details["eligibility_recorded"]))
            t.add_row("recorded not eligible (left out)", str(est.details["not_eligible_left_out"]))
        if est.details.get("rater_offsets_held"):
            held = raters_held_summary(est.details["rater_offsets_held"])
            how = f"{held['rater_offsets_held']} of {held['rater_offset_groups']}"
            t.add_row("raters' offsets held", f"{how} against {est.details['rater_offsets_held']['reference']}")
            t.add_row("estimate with the ratings as recorded", f(held["estimate_as_recorded"]))
        if est.details.get("decision_lag_days"):
            t.add_row("decision lag (days)", f"{est.details['decision_lag_days']:g}")
        if est.details.get("decision_dates_recorded"):
            t.add_row("recorded decision dates used", str(est.details["decision_dates_recorded"]))
        if est.details.get("decision_visits"):
            t.add_row("decision visits", ", ".join(est.details["decision_visits"]))
        if est.details.get("left_out_visit_types"):
            what = ", ".join(est.details["left_out_visit_types"])
            t.add_row(f"visits left out ({what})", str(est.details["visits_left_out"]))
        if "history" in options:
            t.add_row("decision history", str(est.details.get("history", "—")))
        if "self_rated_visits_not_read" in est.details:
            t.add_row("self-ratings in the outcome only", f"{est.details['self_rated_visits_not_read']} visits")
        for _, label, line in check_rows(est.details):
            t.add_row(label, line)
        stdout.print(t)
        if sens is not None:
            _print_sensitivity(sens, f)
        if names:
            _print_modification(est, f)
        for w in est.warnings:
            stdout.print(f"warning: {w}", markup=False)


def _print_modification(est, f) -> None:
    """How much the slope change differs per unit of each modifier (the estimate above is their average)."""
    from rich.table import Table

    rows = est.details.get("effect_modification", [])
    if not rows:
        return
    t = Table(title="Does the slope change depend on the patient? (per unit of each, at the start)")
    for c in ("modifier", "starters' mean", "difference per unit", "95% CI", "p-value"):
        t.add_column(c, justify="left" if c == "modifier" else "right")
    for r in rows:
        t.add_row(r["modifier"], f(r["starters_mean"], 2), f(r["per_unit"]), f"{f(r['ci_low'])} to {f(r['ci_high'])}",
                  "—" if r["p_value"] != r["p_value"] else f"{r['p_value']:.3g}")  # fmt: skip
    stdout.print(t)
    stdout.print("The estimate above is the average slope change over the patients who start treatment.", markup=False)


def _print_sensitivity(sens, f) -> None:
    """The alternatives beside the primary, what each changes, and the one-sentence summary."""
    from rich.table import Table

    t = Table(title="Sensitivity analyses (same data, different assumptions)", show_header=True)
    t.add_column("analysis", no_wrap=True)
    t.add_column("estimate", justify="right")
    t.add_column("95% CI", justify="right", no_wrap=True)
    t.add_column("verdict")
    t.add_column("vs primary (SE)", justify="right")
    p = sens.primary
    t.add_row(f"{sens.primary_analysis} (primary)", f(p.estimate), f"{f(p.ci_low)} to {f(p.ci_high)}",
              sens.primary_verdict or "—", "")  # fmt: skip
    for r in sens.rows:
        e = r.result
        if e is None or r.verdict is None:
            t.add_row(r.analysis, "—", "—", "not run", "", style="dim")
            continue
        t.add_row(r.analysis, f(e.estimate), f"{f(e.ci_low)} to {f(e.ci_high)}", r.verdict,
                  "—" if r.difference_in_se is None else f"{r.difference_in_se:+.1f}")  # fmt: skip
    stdout.print(t)
    for r in sens.rows:
        stdout.print(f"  {r.analysis}: {r.changes}" + (f" — not run: {r.reason}" if r.reason else ""), markup=False)
    stdout.print(f"sensitivity: {sens.summary()}", markup=False)
    if sens.placebo is not None:
        stdout.print(sens.placebo.sentence(sens.primary.unit), markup=False)
    if sens.waning is not None:
        stdout.print(sens.waning.sentence(sens.primary.unit), markup=False)

"""Naming what drove the decision (``g_estimation(adjust_for=..., within_starters=...)``, ``alscell effect
--adjust-for``): on each held-out world, what an analyst who knew the clinic's rule would name, under no effect.

Each world's docstring states its rule; :data:`NAMED` lists the terms of that rule the registry records and
``--adjust-for`` can take (the score's own course is already in the standard history; what the registry does
not record — an unrecorded wish, a phone call's reason — cannot be named).  Per world, on the same cohorts (3,000
patients, 30% treated, no effect): the default, the default with the named terms, and with them and the decision
visits kept within the starters' values; the last two again with the named continuous levels as restricted cubic
splines (``adjust_shape="spline"``).  Under no effect the truth is 0 whatever the estimand, so the bias is
the mean estimate; rejection at the nominal 0.05 and coverage of 0, each with its Monte Carlo SE, judged against
±2 MCSE at the nominal value (Morris, White & Crowther, Stat Med 2019).  Under an effect the estimand's truth would
be needed (benchmarks/estimand_calibration.py); not run here.

    .venv/bin/python benchmarks/named_inputs.py --workers 2 --raw docs/data/named_inputs.csv --write-md docs/named_inputs.md
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibration import parse_world, spec_cohort, world_specs
from results_page import add_raw_arguments, finish, stored_or_run

ENTROPY = 20261207
# the default history when this page was run (before 2026-12-07's switch to "measures_only":
# docs/world22_measures_only.md)
HISTORY = "standard"
# What each world's rule reads that the registry records (its docstring, "who is treated"), as --adjust-for names.
NAMED = {
    "world6": ("age", "time_since_diagnosis", "ventilation"),
    "world7": ("time_since_diagnosis",),
    "world8": ("weight_kg", "age", "time_since_diagnosis", "ventilation"),
    "world9": ("fvc_pct_pred", "nfl", "site", "age", "time_since_diagnosis", "ventilation", "gastrostomy"),
    "world10": ("svc_pct_pred", "site", "onset_site", "age", "ventilation", "gastrostomy"),
    "world11": ("grip_kg", "hhd_kg", "site", "age", "time_since_diagnosis", "ventilation", "gastrostomy"),
    # held out: written blind after the option was built
    "world12": (
        "time_since_onset",
        "el_escorial",
        "genetics",
        "age",
        "site",
        "ventilation",
        "gastrostomy",
        "fvc_pct_pred",
        "alsaq40",
        "chi3l1",
    ),
    # held out from --adjust-shape spline: its docstring's RECORDED_RULE_INPUTS (benchmarks/thirteenth_world.py)
    "world13": ("age", "time_since_diagnosis", "ventilation", "site", "riluzole", "nfl", "cmap_mv", "weight_kg"),
    # held out from --decision-lag and the visit process's terms: its RECORDED_RULE_INPUTS
    # (benchmarks/fourteenth_world.py; written in before any estimator ran on it)
    "world14": (
        "age",
        "time_since_onset",
        "ventilation",
        "gastrostomy",
        "site",
        "onset_site",
        "el_escorial",
        "fvc_pct_pred",
    ),
    # held out from the recorded decision occasions: its RECORDED_RULE_INPUTS (benchmarks/fifteenth_world.py; written
    # in before any estimator ran on it)
    "world15": (
        "age",
        "time_since_diagnosis",
        "ventilation",
        "gastrostomy",
        "site",
        "el_escorial",
        "fvc_pct_pred",
        "weight_kg",
        "alsaq5",
    ),
    # held out from the thirty-second session's work on visits that follow the course: its RECORDED_RULE_INPUTS
    # (benchmarks/sixteenth_world.py; written in before any estimator ran on it)
    "world16": ("age", "time_since_onset", "ventilation", "gastrostomy", "riluzole", "munix"),
    # held out from the thirty-third session's work on the named estimate with most patients treated: its
    # RECORDED_RULE_INPUTS (benchmarks/seventeenth_world.py; written in before any estimator ran on it)
    "world17": (
        "age",
        "time_since_diagnosis",
        "el_escorial",
        "site",
        "ventilation",
        "gastrostomy",
        "svc_pct_pred",
        "grip_kg",
    ),
    # held out: its RECORDED_RULE_INPUTS, the referral to the programme's visits included
    # (benchmarks/eighteenth_world.py; written in before any estimator ran on it)
    "world18": (
        "age",
        "time_since_onset",
        "time_since_diagnosis",
        "site",
        "ventilation",
        "gastrostomy",
        "il6",
        "cnsbfs",
    ),
    # held out: its RECORDED_RULE_INPUTS, what the lottery among the screened eligible and the recorded criteria read
    # (benchmarks/nineteenth_world.py; written in before any estimator ran on it)
    "world19": (
        "age",
        "time_since_onset",
        "time_since_diagnosis",
        "site",
        "ventilation",
        "gastrostomy",
        "el_escorial",
        "fvc_pct_pred",
        "weight_kg",
    ),
    # held out: its RECORDED_RULE_INPUTS, what the clinician's rule reads besides the review's total and its decline
    # since the previous review (benchmarks/twentieth_world.py; written in before any estimator ran on it)
    "world20": ("age", "time_since_onset", "site", "ventilation", "gastrostomy", "fvc_pct_pred"),
    "world21": ("age", "time_since_onset", "site", "ventilation", "gastrostomy", "fvc_pct_pred"),
    # RECORDED_RULE_INPUTS: the screening's limits and the board's points (benchmarks/twentysecond_world.py)
    "world22": (
        "age",
        "time_since_onset",
        "site",
        "ventilation",
        "gastrostomy",
        "fvc_pct_pred",
        "svc_pct_pred",
        "nfl",
        "weight_kg",
    ),
}
# each variant's g_estimation options beside the names (the spline rows added on 2026-12-06, the twenty-ninth
# session: restricted cubic splines of the named continuous levels, alscell.analysis.decision_inputs.spline_terms)
VARIANTS = {
    "default": None,
    "named": {},
    "named, within the starters": {"within_starters": True},
    "named, spline": {"adjust_shape": "spline"},
    "named, spline, within the starters": {"adjust_shape": "spline", "within_starters": True},
}
# The shortest time from the decision to the first dose in each world's rule (its docstring, "who is treated"), in
# days, as an analyst who knew the programme would give it to --decision-lag: 0 where the cells are given at the
# decision visit or the decision is not at a visit (the seventh world's waves).
LAG = {
    "world6": 0, "world7": 0, "world8": 21, "world9": 7, "world10": 42, "world11": 28, "world12": 14, "world13": 21,
    "world14": 35,  # "implanted into the thoracic cord 35-63 days later" (benchmarks/fourteenth_world.py)
    "world15": 42,  # DECISION_LAG_DAYS: the first dose 42-70 days after the decision (benchmarks/fifteenth_world.py)
    "world16": 21,  # DECISION_LAG_DAYS: the first dose 21-42 days after the decision (benchmarks/sixteenth_world.py)
    "world17": 28,  # DECISION_LAG_DAYS: the first dose 28-56 days after the decision (benchmarks/seventeenth_world.py)
    "world18": 10,  # DECISION_LAG_DAYS: the first dose 10-24 days after the decision (benchmarks/eighteenth_world.py)
    "world19": 35,  # DECISION_LAG_DAYS: the first dose 35-56 days after the decision (benchmarks/nineteenth_world.py)
    "world20": 14,  # DECISION_LAG_DAYS: the first dose 14-42 days after the decision (benchmarks/twentieth_world.py)
    "world21": 14,  # DECISION_LAG_DAYS: the first infusion 14-35 days after the decision (twentyfirst_world.py)
    "world22": 35,  # DECISION_LAG_DAYS: the first dose 35-49 days after the board's decision (twentysecond_world.py)
}  # fmt: skip
# The visit process's terms (alscell.analysis.visit_process; built after the thirteenth world's pieces page).
VISITS = ("visit_measures", "visit_spacing")
# docs/decision_visits.md: the decision lag and the visit process, each variant's options as :func:`resolved` reads
# them (the world's names, names and visit terms, its lag)
VISIT_VARIANTS = {
    "default": {},
    "default, lag": {"decision_lag_days": "lag"},
    "named": {"adjust_for": "named"},
    "named, lag": {"adjust_for": "named", "decision_lag_days": "lag"},
    "named + visits, lag": {"adjust_for": "named+visits", "decision_lag_days": "lag"},
    "named + visits, lag, spline": {"adjust_for": "named+visits", "decision_lag_days": "lag", "adjust_shape": "spline"},
}
# The pages whose rows are VISIT_VARIANTS.
VISIT_PAGES = ("decision_visits", "world14_pieces", "world10_lag")


def resolved(kwargs: dict, world: str, measured: bool = True) -> dict:
    """A calibration candidate's or a page variant's ``g_estimation`` options for ``world``: ``adjust_for="named"``
    becomes the world's :data:`NAMED`, ``"named+visits"`` those and :data:`VISITS` (only the visits' spacing where
    the registry records no measurement, ``measured`` False: the sixth and seventh worlds),
    ``decision_lag_days="lag"`` the world's :data:`LAG`, ``decision_visits="occasions"`` the world's decision visits
    and its visit types to leave out (benchmarks/decision_occasions.py ``OCCASIONS``, ``LEFT_OUT``)."""
    base = parse_world(world)[0]
    visits = VISITS if measured else tuple(v for v in VISITS if v != "visit_measures")
    names = {"named": NAMED[base], "named+visits": (*NAMED[base], *visits)}
    out = kwargs | ({"adjust_for": names[kwargs["adjust_for"]]} if kwargs.get("adjust_for") in names else {})
    if kwargs.get("decision_visits") == "occasions":
        from decision_occasions import LEFT_OUT, OCCASIONS  # it imports this module

        out |= {"decision_visits": OCCASIONS[base], "leave_out_visits": LEFT_OUT[base]}
    return out | ({"decision_lag_days": LAG[base]} if kwargs.get("decision_lag_days") == "lag" else {})


def variant_options(page: str, variant: str, world: str, measured: bool = True) -> dict:
    """The g_estimation options of ``variant`` on ``page`` for ``world`` (WORLD or WORLD:PIECE+PIECE)."""
    if page in VISIT_PAGES:
        return resolved(VISIT_VARIANTS[variant], world, measured)
    extra = VARIANTS[variant]
    return {} if extra is None else {"adjust_for": NAMED[parse_world(world)[0]]} | extra


def run_chunk(items: list[tuple], n: int, share: float, page: str = "named") -> list[dict]:
    """Each (world, seed) cohort under no effect through the page's variants."""
    warnings.simplefilter("ignore")
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:  # Dask worker processes
        sys.path.insert(0, here)
    from alscell.analysis.errors import NotApplicable
    from alscell.analysis.g_estimation import g_estimation

    rows = []
    for world, seed in items:
        tables = spec_cohort(world, n, share, int(seed))
        measured = not tables["measurements"].empty
        for variant in VISIT_VARIANTS if page in VISIT_PAGES else VARIANTS:
            try:
                e = g_estimation(tables, **({"history": HISTORY} | variant_options(page, variant, world, measured)))
                est, lo, hi, se = e.estimate, e.ci_low, e.ci_high, e.se
                out = e.details.get("outside_starters")
            except NotApplicable:
                est = lo = hi = se = np.nan
                out = None
            row = dict(world=world, seed=int(seed), variant=variant, estimate=est, ci_low=lo, ci_high=hi, se=se,
                       outside_starters=out)  # fmt: skip
            if page in VISIT_PAGES:  # what was named, as the page says it
                row["named"] = _named_text(variant_options(page, variant, world, measured))
            rows.append(row)
    return rows


def _named_text(options: dict) -> str:
    """What a variant named, for the page's "named" column: the terms and the lag."""
    named = ", ".join(options.get("adjust_for", ())) or "—"
    return named + (f"; lag {options['decision_lag_days']} days" if options.get("decision_lag_days") else "")


def judged_cells(d: pd.DataFrame) -> str:
    """The cells "cohorts | bias (MCSE) | bias / SE | rejection (MCSE) | coverage" of the cohorts ``d`` under no
    effect (those with an estimate), judged at the nominal values: rejection 0.05, coverage 0.95, bias 0 (±2 MCSE)."""
    d = d[np.isfinite(d["estimate"])]
    k = len(d)
    if k < 2:
        return f"{k} | no estimate |  |  | "
    b = d["estimate"].to_numpy(float)
    rej = ((d["ci_low"] > 0) | (d["ci_high"] < 0)).to_numpy(float)
    band = 2 * np.sqrt(0.05 * 0.95 / k)
    ok_r = "" if abs(rej.mean() - 0.05) <= band else " ✗"
    ok_b = "" if abs(b.mean()) <= 2 * b.std(ddof=1) / np.sqrt(k) else " ✗"
    return (f"{k} | {b.mean():+.4f} ({b.std(ddof=1) / np.sqrt(k):.4f}){ok_b} | {b.mean() / d['se'].mean():+.2f} | "
            f"{rej.mean():.3f} ({np.sqrt(rej.mean() * (1 - rej.mean()) / k):.3f}){ok_r} | "
            f"{1 - rej.mean():.3f}")  # fmt: skip


def markdown(raw: pd.DataFrame, page: str = "named") -> str:
    lines = ["| world | named | variant | cohorts | bias (MCSE) | bias / SE | rejection (MCSE) | coverage |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for (world, variant), d in raw.groupby(["world", "variant"], sort=False):
        given = d["named"].iloc[0] if "named" in d else None  # stored by the run since the decision-visits page
        named = given if isinstance(given, str) else _named_text(variant_options(page, variant, world))
        lines.append(f"| {world} | {named} | {variant} | {judged_cells(d)} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--worlds", default=",".join(NAMED), help="comma-separated WORLD or WORLD:PIECE+PIECE (pieces "
                    "switched off: the world's PIECES)")  # fmt: skip
    ap.add_argument("--cohorts", type=int, default=40)
    ap.add_argument("--patients", type=int, default=3000)
    ap.add_argument("--share", type=float, default=0.3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--write-md", default=None)
    ap.add_argument("--page", default="named", choices=tuple(PAGES), help="which page's text (PAGES)")
    add_raw_arguments(ap)
    args = ap.parse_args(argv)
    worlds = world_specs(ap, args.worlds)
    unknown = {parse_world(w)[0] for w in worlds} - set(NAMED)
    if unknown:
        ap.error(f"unknown world(s) {', '.join(sorted(unknown))}: use {', '.join(NAMED)}")

    from rich.console import Console

    from alscell.simulate.study import run_study, study_seeds

    console = Console()
    items = [(w, seed) for w in worlds for seed in study_seeds(ENTROPY, args.cohorts)]

    def run():
        return run_study(run_chunk, items, task_args=(args.patients, args.share, args.page), chunk=1, workers=args.workers,
                         label="named decision inputs", console=console)  # fmt: skip

    raw = stored_or_run(ap, args, run)
    template, reading = PAGES[args.page]
    # a stored file may join runs of different worlds (the same seeds): the page gives their summed time
    minutes = float(raw["run_minutes"].drop_duplicates().sum())
    finish(console, markdown(raw, args.page), minutes, args.write_md, template, "named_inputs.py", argv,
           entropy=ENTROPY, cohorts=args.cohorts, n=args.patients, share=args.share, workers=args.workers,
           reading=reading)  # fmt: skip
    return 0


MD = """# Naming what drove the decision (`--adjust-for`), on the held-out worlds

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}; the cohorts are
stored, `--from-raw` rewrites the page from them).  What and why: the docstring of `benchmarks/named_inputs.py`.
g-estimation under no effect on {cohorts} cohorts of {n} patients with {share:.0%} treated per world, the same
cohorts in every row of a world; "named": what the world's rule reads that the registry records; ✗: outside ±2 MCSE
of the nominal value (rejection 0.05; bias 0; coverage is one minus the rejection).

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the table above after its first run (40 cohorts of 3,000 patients with 30% treated per world, no
  effect; rerun to check; the twelfth world added by a second run, the other worlds' rows identical; the spline
  rows, the thirteenth world and `world12:unrecorded_wish` by the twenty-ninth session's two runs, joined in the
  stored file).  **Where the default leans because the decision read recorded facts its history lacks,
  naming them takes most or all of the lean away**: the sixth world +0.043 (MCSE 0.003; rejection 0.65) → −0.002
  (0.004; 0.10), the ninth +0.028 (0.003; 0.175) → +0.003 (0.004; 0.025), the eighth +0.062 (0.007; 0.225) →
  +0.021 (0.009; 0.05), and within the starters +0.015 (0.009; 0.025), within 2 MCSE of 0.
* **Partly**: the tenth world +0.072 (0.004; rejection 0.875) → +0.060 (0.005; 0.55) named, +0.038 (0.005;
  0.175) within the starters.  Its unrecorded wish follows the hazard's acceleration (benchmarks/tenth_world.py);
  what is left is not split here.
* **Not at all**: the seventh world +0.010 (0.004) in every row.  Its waiting list is ordered by the recorded
  total, which the standard history already holds; its lean comes from elsewhere (docs/calibration_world7.md).
* **Where the default was right it can cost**: the eleventh world −0.004 (0.004) → +0.018 (0.005) named, +0.015
  (0.005) within the starters (rejection 0.075, within its band).  The generic terms give a linear
  weaker/stronger ratio where the rule cuts at 75%, and such strong predictors of treatment amplify what misfit
  is left (docs/world11_registry_terms.md: with a hinge at the rule's cut-off, +0.003).
* Keeping the decision visits within the starters' values takes more of the lean on the tenth world (+0.060 →
  +0.038), a little on the eighth and eleventh, and changes little elsewhere (the sixth world's rejection 0.125, a
  hair outside its band).
* **The twelfth world, written blind after the option was committed** (benchmarks/twelfth_world.py; its rule:
  an El Escorial category, not SOD1, at most 30 months from onset, FVC at least 60%, no NIV or gastrostomy, age at
  most 75, then CSF CHI3L1, ALSAQ-40, site, age and an unrecorded wish): the default is within 2 MCSE of 0
  (+0.006, MCSE 0.006) but rejects in 0.125 of the cohorts, outside its band; naming the ten terms its rule reads
  moves it to −0.016 (0.005; rejection 0.10, within its band) and within the starters to −0.034 (0.005; 0.175).
  **The hold-out does not confirm the option**: on a world nobody tuned it to, naming everything recorded that
  the rule reads leans the other way by about half an SE, and restricting to the starters' values doubles that.
* **The spline rows** (`adjust_shape="spline"`, added by the twenty-ninth session's run on the same cohorts; the
  rows above identical to the last digit): the eighth world +0.021 → +0.010 (MCSE 0.009), the tenth +0.060 →
  +0.037 (0.005; as much as the starters' restriction), the eleventh +0.018 → +0.013 (0.005); the sixth, seventh
  and ninth within 0.003 of the linear names; the twelfth −0.016 → −0.033 (0.005).
* **Why the twelfth world leans the other way once named** (`world12:unrecorded_wish`, the same seeds with its
  unrecorded wish switched off): the default +0.022 (0.006), the linear names +0.012 (0.005), the spline −0.002
  (0.005), within the starters −0.002.  With nothing unrecorded in the decision, the spline and the restriction
  hold the rule's cut-offs and are honest; the full world's −0.033 is the wish tied to the activity's set-point
  (the treated decline faster than their recorded inputs say), which no recorded term can hold and which the
  default's +0.006 had cancelled by chance (as on the eleventh world: docs/world11_registry_terms.md).
* **The thirteenth world, written blind while the spline was built and committed after it** (benchmarks/thirteenth_world.py; its
  rule at six-monthly reviews: an NfL band of 45–120 pg/mL, a diagnostic CMAP of at least 3 mV, age 18–72,
  riluzole, no NIV, weight at least 90% of the diagnosis weight, at most 36 months from diagnosis, then an
  inverted U on the recorded decline, site, age and an unrecorded wish): **the default fails it**, +0.088 (MCSE
  0.004; rejection 0.925); the linear names +0.051 (0.006; 0.30), the spline +0.043 (0.009; 0.15), within the
  starters +0.042 and +0.045.  Naming takes half the lean; what is left: docs/world13_pieces.md.
* So the option is worth using where an analyst knows what the clinic chose on and the registry records it; it
  is not a default, because the names differ between registries, and naming only part of them can move the
  estimate the wrong way (docs/world11_registry_terms.md).  The registry terms' contrast, which says that one of
  two histories leans but not which, now points to it."""


MD_WORLD13 = """# The thirteenth world's lean, piece by piece

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}; the cohorts are
stored, `--from-raw` rewrites the page from them).  The thirteenth world (benchmarks/thirteenth_world.py, written
blind) defeats the default (docs/calibration_world13.md); here each row switches off pieces of the world
(`WORLD:PIECE+PIECE`, the world's `PIECES`; the random numbers stay the same, so a row differs from the first in
those pieces only), under no effect, {cohorts} cohorts of {n} patients with {share:.0%} treated per row, the same
seeds in every row.  Variants as on docs/named_inputs.md; "named": what the world's rule reads that the registry
records.  ✗: outside ±2 MCSE of the nominal value (rejection 0.05; bias 0).

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING_WORLD13 = """* Written from the table above after its first run (40 cohorts of 1,000 patients with 30% treated per row, no
  effect; rerun to check).  The full world: the default +0.073 (MCSE 0.010; rejection 0.35), the linear names
  +0.033 (0.011), the spline +0.023 (0.015; rejection 0.075).
* **Half of the default's lean and all of what naming leaves is the patients' own contacts.**  With the contacts
  the patients request between the six-monthly reviews switched off (`patient_initiated`: reviews only) the
  default is +0.039 (0.004) and the named rows are honest: linear −0.002 (0.006), spline −0.003 (0.008).  Those
  contacts come more often the faster a patient is losing function, and no one starts treatment at them (the
  clinic decides at its reviews only); g-estimation takes every visit as a decision visit, so the visit process,
  which follows the course, enters the decision model as if it were the clinic's choice.  The registry does not
  record which visits were reviews (spec/data-format.md has no visit type; here the requested contacts are rated
  by a clinician when seen in person, so `assessor` does not tell them apart either).
* **The rest is the recorded criteria the default does not hold**: with the weight, CMAP and riluzole criteria
  switched off the default is +0.056 (0.009) and the linear names +0.007 (0.010); naming them mends this part.
* **Not the inverted U, the NfL band, the phone triage or the unrecorded wish**: with each off the default stays
  at +0.078 to +0.087, and with the inverted U, the band and the wish off together at +0.086; the names' rows
  move within their MCSEs.
* So on this world the default's silent failure has two recorded causes, one the analyst can name and one the
  registry cannot express: which visits were decision points.  A visit-process term (the months since the last
  visit, the number of visits in the last months) or an option naming the decision visits would be the next
  candidate, judged on the worlds before this one and then on a fourteenth written blind."""

MD_VISITS = """# Decision visits: the decision lag and the visit process (`--decision-lag`, `--adjust-for visit_measures,visit_spacing`)

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}; the cohorts are
stored, `--from-raw` rewrites the page from them).  What and why: alscell.analysis.visit_process and
`g_estimation.decided_before`; the variants: `VISIT_VARIANTS` in `benchmarks/named_inputs.py`.  g-estimation under no
effect on {cohorts} cohorts of {n} patients with {share:.0%} treated per world, the same cohorts in every row of a
world (and the same as docs/named_inputs.md's); "named": what the world's rule reads that the registry records,
"visits": the visit process's terms, "lag": the shortest time from the decision to the first dose in the world's
rule (`LAG`).  ✗: outside ±2 MCSE of the nominal value (rejection 0.05; bias 0; coverage is one minus the
rejection).

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING_VISITS = """* Written from the table above after its runs (40 cohorts of 3,000 patients with 30% treated per world, no
  effect; rerun to check).  Three runs joined in the stored file: the sixth to thirteenth worlds (17.7 min), the
  fourteenth (2.3 min) and the sixth and seventh again (1.8 min), whose registries record no measurement, so that
  their visit rows name only `visit_spacing` (the first run's rows asked for `visit_measures` too and gave no
  estimate; its other rows of those worlds and the rerun's agree to the last digit).  The page's run time is the
  three runs' sum.  Worlds without a visit between the decision and the dose (lag 0, or none in it) give the same
  numbers with and without the lag.
* **The lag alone** moves the default where visits fall between the decision and the dose: the ninth world
  +0.028 (MCSE 0.003) → +0.010 (0.005), the tenth +0.072 → +0.057, the thirteenth +0.088 → +0.079, the fourteenth
  +0.044 → +0.037; with the names the ninth +0.003 → −0.002, the thirteenth +0.051 → +0.037, the fourteenth +0.028
  → +0.020 (0.009), but **the tenth +0.060 → +0.068**: there the visit on the dose day, whose history holds the six
  weeks after the decision, had been leaning less than the deciding review does (not explained here).
* **The visit terms** (`named + visits, lag`) take the lean away on the thirteenth world, on which they were
  designed (+0.037 → +0.001, MCSE 0.006: not a test), and help on the seventh (+0.010 → +0.002), eighth (+0.021 →
  −0.006), tenth (+0.068 → +0.037) and eleventh (+0.018 → +0.004); they change nothing on the sixth, cost the ninth
  (−0.002 → −0.014, MCSE 0.006, outside its band) and the twelfth a little (−0.016 → −0.018) — and **on the
  fourteenth world, written blind while they were built, they lean more** (+0.020 → +0.040, MCSE 0.009; rejection
  0.15), which fails the rule committed before it ran (bias within 2 MCSE of 0 at this cell).  With the spline the
  tenth world is honest (−0.005), the twelfth leans further (−0.036), the fourteenth stays (+0.043).
* So the lag is right where the registry's dose date is not the decision's and the analyst knows the programme's
  shortest delay, and the visit terms are a guess at which visits were decision occasions that the visit times and
  measures do not always support: both stay options, neither a default, and on the fourteenth world nothing here is
  honest (its cells: docs/calibration_world14.md; its pieces: docs/world14_pieces.md)."""

MD_WORLD14 = """# The fourteenth world's lean, piece by piece

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}; the cohorts are
stored, `--from-raw` rewrites the page from them).  The fourteenth world (benchmarks/fourteenth_world.py, written
blind while the decision lag and the visit terms were built) is not mended by them (docs/decision_visits.md); here
each row switches off pieces of the world (`WORLD:PIECE+PIECE`, the world's `PIECES`; the random numbers stay the
same, so a row differs from the first in those pieces only), under no effect, {cohorts} cohorts of {n} patients
with {share:.0%} treated per row, the same seeds in every row.  Variants as on docs/decision_visits.md.  ✗: outside
±2 MCSE of the nominal value (rejection 0.05; bias 0).

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING_WORLD14 = """* Written from the table above after its first run (40 cohorts of 1,000 patients with 30% treated per row, no
  effect; rerun to check).  At this size the MCSEs are 0.010–0.021, so only large contrasts are read.  The full
  world: the default +0.040 (MCSE 0.013), the names +0.004, with the lag −0.006, with the visit terms +0.015, as
  splines +0.027 (at 3,000 patients, docs/decision_visits.md, the names lean more: +0.028 and +0.020).
* **The nurse's home visits and the admissions are where the visit terms go wrong, and most of the noise**: with
  both switched off (`home_visits+admissions`: outpatient reviews throughout) every named row is within 0.006 of 0
  (the visit terms +0.001) and the MCSEs fall to 0.005–0.006; the default still leans +0.031 (0.005).  The home
  visits begin when walking is lost, and an admission's rating dips with the illness and recovers: the visit's
  spacing, its measures and the points lost since the previous visit then stand for the stage and the illness,
  not for whether a decision could be made.
* **The default's lean is the recorded rule**: the names take most of it away in every row (the largest named
  row +0.022, MCSE 0.014, with the unrecorded wish off); switching off the rule's parts that read the items and the
  diagnostic ΔFRS (`bulbar_rule`, `dfrs_preference`, `spinal_preference`, which no name can hold) leaves the
  default +0.023 (0.010) and the names +0.002.  Anchored ratings change nothing that this size can see.
* So on this world the analyst's names, with the lag, are the nearest to honest, and the visit terms should not be
  named where visits between reviews follow the stage or an illness; which visits were decision occasions is
  still what the registry would have to record."""

MD_WORLD10_LAG = """# The tenth world and the decision lag, piece by piece

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}; the cohorts are
stored, `--from-raw` rewrites the page from them).  On the tenth world (benchmarks/tenth_world.py: cells 42 days
after the qualifying review, the cell clinic rating the patient on the dose day) the names lean more with the
decision lag than without it (docs/decision_visits.md); here each row switches off pieces of the world
(`WORLD:PIECE+PIECE`, the world's `PIECES`), under no effect, {cohorts} cohorts of {n} patients with {share:.0%}
treated per row, the same seeds in every row.  Variants as on docs/decision_visits.md.  ✗: outside ±2 MCSE of the
nominal value (rejection 0.05; bias 0).

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING_WORLD10_LAG = """* Written from the table above after its first run (40 cohorts of 1,000 patients with 30% treated per row, no
  effect; rerun to check; MCSEs 0.005–0.013).  The full world: the names +0.032 (MCSE 0.006), with the 42-day lag
  +0.055 (0.005).
* **No piece switched off here removes what the lag adds**: the names lean more with the lag than without it in
  every row, by +0.012 (the raters' offsets off) to +0.048 (clinic visits by phone once walking is low off), with the
  home self-ratings, the recorded SVC fall and the unrecorded wish off in between (+0.021, +0.025, +0.027).  So it is
  not the modes of rating, the non-decision home visits or the wish; what the visit on the dose day held that the
  deciding review does not is still not found.  Not switched here (the world has no piece for it): a patient chosen
  at a review who dies before the dose is recorded as never treated, so with the lag that review counts as a visit
  at which a chosen-like patient did not start.
* The visit terms with the lag and splines stay within 0.024 of 0 in every row (beyond 2 MCSE in four of the six),
  the nearest to 0 here."""

PAGES = {
    "named": (MD, READING),
    "world13_pieces": (MD_WORLD13, READING_WORLD13),
    "decision_visits": (MD_VISITS, READING_VISITS),
    "world14_pieces": (MD_WORLD14, READING_WORLD14),
    "world10_lag": (MD_WORLD10_LAG, READING_WORLD10_LAG),
}


if __name__ == "__main__":
    raise SystemExit(main())

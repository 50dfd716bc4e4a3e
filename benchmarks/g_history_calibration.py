"""A candidate's full calibration (a richer history or learned nuisances): every cell of every world, beside the default.

docs/g_history.md found ``g_estimation(..., history="flexible")`` a free and mostly favourable change at
3,000 patients.  Before it could replace the default's history it must be judged as the default was
(docs/evidence.md, "Which estimator is the default"): on every world, in every cell of the calibration's
grid (200, 1,000, 3,000 patients × 5, 30, 60% treated × E 0, 0.2, 0.5; 100 cohorts per cell), with the
bands of docs/calibration.md (coverage within 0.95 ± 2 MCSE, type-I error within 0.05 ± 2 MCSE, bias within
2 MCSE of 0; ``calibration.performance``), against E on ``simulate`` and the second world and the realised
slope change on the held-out worlds.  Both histories run on the same cohorts.  Each world's cohorts are
stored (``--raw-dir``), so that the page can be written again from them (``--from-raw``) and a world can be
run alone (``--worlds``).

``--candidate level_spline`` judges the level spline (``history="level_spline"``: hinges of the outcome at its
percentiles) the same way; ``--standard-from`` takes the default's rows from an earlier run's stored cohorts
(same seeds, so the same cohorts: the default's estimates are recomputed to the last digit) and fits only the
candidate.  ``--also-from DIR:VARIANT`` shows another candidate's stored rows for the same cohorts beside it
(its counts, its change from the default and the two candidates' paired difference).

    .venv/bin/python benchmarks/g_history_calibration.py --workers 2 --raw-dir docs/data/g_history_calibration --write-md docs/g_history_calibration.md
    .venv/bin/python benchmarks/g_history_calibration.py --candidate level_spline --workers 2 --standard-from docs/data/g_history_calibration --raw-dir docs/data/g_history_level_calibration --write-md docs/g_history_level_calibration.md
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from g_modifiers import WORLDS
from g_modifiers import run_chunk as _run_variants
from results_page import finish

os.environ.setdefault("OMP_NUM_THREADS", "1")  # the boosted candidate's trees: one thread per worker process

ENTROPY = 20261221
SIZES = (200, 1000, 3000)
SHARES = (0.05, 0.3, 0.6)
EFFECTS = (0.0, 0.2, 0.5)


# Each candidate's ``g_estimation`` keyword arguments and how the page names it (title, call).
CANDIDATES = {
    "flexible": ({"history": "flexible"}, "The flexible history", 'history="flexible"'),
    "level_spline": ({"history": "level_spline"}, "The level-spline history", 'history="level_spline"'),
    "boosted": ({"nuisance": "boosted"}, "Boosted nuisance models", 'nuisance="boosted"'),
    "selected": ({"nuisance": "selected"}, "Nuisance models selected by cross-fitted loss", 'nuisance="selected"'),
    "anchored": ({"nuisance": "anchored"}, "Boosting started from the parametric fit", 'nuisance="anchored"'),
    "registry": ({"history": "registry"}, "The registry history", 'history="registry"'),
    "rater": ({"history": "rater"}, "Who rated each visit in the history", 'history="rater"'),
    "measures": ({"history": "measures"}, "What the clinic measured, in the history", 'history="measures"'),
    # the default since 2026-12-07 (docs/world22_measures_only.md)
    "measures_only": (
        {"history": "measures_only"},
        "The measures alone in the history (the default since 2026-12-07)",
        'history="measures_only"',
    ),
    # the default on cohorts that also record the visits' types and decision dates (the worlds that can:
    # g_measures_only.RECORDING), which both histories then read — the registry docs/measures_check.md ran on
    "measures_only_recorded": (
        {"history": "measures_only", "record_occasions": True},
        "The measures alone in the history (the default since 2026-12-07), on cohorts that record the visits' types "
        "and decision dates",
        'history="measures_only", the cohorts with record_occasions=True',
    ),
    # each world's own rule, named (benchmarks/named_inputs.NAMED; alscell effect --adjust-for)
    "named": ({"adjust_for": "named"}, "What each world's rule reads, named (--adjust-for)", "adjust_for=NAMED[world]"),
    # the same names, their continuous levels as restricted cubic splines (--adjust-shape spline)
    "named_spline": (
        {"adjust_for": "named", "adjust_shape": "spline"},
        "What each world's rule reads, named, its continuous levels as splines (--adjust-for … --adjust-shape spline)",
        'adjust_for=NAMED[world], adjust_shape="spline"',
    ),
    # the names, the visit process's terms and the programme's decision lag (--decision-lag; docs/decision_visits.md)
    "named_visits": (
        {"adjust_for": "named+visits", "decision_lag_days": "lag"},
        "What each world's rule reads and the visit process, named, with the decision lag (--adjust-for … "
        "--decision-lag …)",
        "adjust_for=NAMED[world] + VISITS, decision_lag_days=LAG[world]",
    ),
    # the names with the recorded decision dates and visit types: decisions at the world's decision visits, its
    # admission ratings left out (benchmarks/decision_occasions.py OCCASIONS, LEFT_OUT; the cohorts record both, so
    # the default's rows read the recorded decision dates too)
    "named_occasions": (
        {"adjust_for": "named", "decision_visits": "occasions", "adjust_shape": "spline", "record_occasions": True},
        "What each world's rule reads, named, with the recorded decision occasions (--adjust-for … --decision-visits "
        "… --leave-out-visits …)",
        'adjust_for=NAMED[world], decision_visits=OCCASIONS[world], leave_out_visits=LEFT_OUT[world], adjust_shape="spline"',
    ),
    "named_visits_spline": (
        {"adjust_for": "named+visits", "decision_lag_days": "lag", "adjust_shape": "spline"},
        "The same, the continuous levels as splines (--adjust-for … --decision-lag … --adjust-shape spline)",
        'adjust_for=NAMED[world] + VISITS, decision_lag_days=LAG[world], adjust_shape="spline"',
    ),
}


# The history of the "standard" rows and of every candidate that names none: the default's until 2026-12-07 (the
# forty-first session's switch to "measures_only": docs/world22_measures_only.md), when every page before was run.
PAGE_HISTORY = "standard"


def variants(candidate: str, standard: bool = True) -> dict[str, dict]:
    """The ``g_estimation`` keyword arguments of each run: the standard history's (unless ``standard`` is False) and
    the candidate's (:data:`CANDIDATES`), each on :data:`PAGE_HISTORY` unless it names its own."""
    runs = ({"standard": {}} if standard else {}) | {candidate: CANDIDATES[candidate][0]}
    return {name: {"history": PAGE_HISTORY} | kwargs for name, kwargs in runs.items()}


def run_chunk(items: list[tuple], runs: dict[str, dict] | None = None) -> list[dict]:
    """((world, n, share, E), seed) cohorts through every history of ``runs`` (default: the standard and the
    flexible) — ``g_modifiers.run_chunk``'s rows, with n."""
    rows = []
    for (world, n, share, eff), seed in items:
        for r in _run_variants([((world, share, eff), seed)], n, runs or variants("flexible")):
            rows.append(r | {"n": n})
    return rows


def performance(raw: pd.DataFrame) -> pd.DataFrame:
    """calibration.performance per world, cell and history (the "method" column holds the history)."""
    from calibration import performance as perf

    r = raw.rename(columns={"variant": "method", "E": "effect"}).assign(n_treated=np.nan)
    return perf(r, truth="truth")


def summary_table(perf: pd.DataFrame, column: str = "history") -> str:
    """Per world and method (the column headed ``column``): the cells within each band and within every band; the
    worlds in order (:func:`world_number`), each world's methods as ``perf`` has them."""
    lines = [
        f"| world | {column} | coverage within 0.95 ± 2 MCSE | bias within 0 ± 2 MCSE | type-I within 0.05 ± 2 "
        "MCSE | within every band | mean coverage | mean |bias / SE| |",
        "|---|---|---|---|---|---|---|---|",
    ]
    perf = perf.sort_values("world", key=lambda w: w.map(world_number), kind="stable")
    for (world, method), g in perf.groupby(["world", "method"], sort=False):
        null = g[g["effect"] == 0]
        every = g["coverage_ok"] & g["bias_ok"] & ((g["effect"] != 0) | g["rejection_ok"].eq(True))
        lines.append(
            f"| {world} | {method} | {int(g['coverage_ok'].sum())} / {len(g)} | {int(g['bias_ok'].sum())} / {len(g)} | "
            f"{int(null['rejection_ok'].astype(bool).sum())} / {len(null)} | {int(every.sum())} / {len(g)} | "
            f"{g['coverage'].mean():.3f} | {g['rel_bias'].abs().mean():.2f} |"
        )
    return "\n".join(lines)


def world_number(name: str) -> int:
    """A world's place in order (simulate 1, world2 2, …, world11 11): sorting by name puts world10 before world2."""
    return int(name[5:]) if name.startswith("world") and name[5:].isdigit() else 1


def change_table(raw: pd.DataFrame, candidate: str, against: str = "standard") -> str:
    """Per world and cohort size: the candidate's estimate minus ``against``'s (the default's unless told) on
    the same cohort (mean and its MCSE over every cell's cohorts) and the median ratio of their SEs."""
    key = ["world", "n", "share", "E", "seed"]
    a = raw[raw["variant"] == against].set_index(key)
    b = raw[raw["variant"] == candidate].set_index(key)
    both = a.index.intersection(b.index)
    d = pd.DataFrame({"change": b.loc[both, "estimate"] - a.loc[both, "estimate"],
                      "ratio": b.loc[both, "se"] / a.loc[both, "se"]}).dropna()  # fmt: skip
    lines = [
        f"| world | n | cohorts | {candidate} minus {against}: mean change of the estimate (MCSE) | median SE ratio |",
        "|---|---|---|---|---|",
    ]
    for (world, n), g in d.groupby(level=["world", "n"], sort=False):
        c = g["change"].to_numpy(float)
        lines.append(f"| {world} | {n} | {len(c)} | {c.mean():+.4f} ({c.std(ddof=1) / np.sqrt(len(c)):.4f}) | "
                     f"{g['ratio'].median():.3f} |")  # fmt: skip
    return "\n".join(lines)


def choice_table(raw: pd.DataFrame) -> str | None:
    """Per world, cohort size and share treated, how often each nuisance model was the boosted one
    (``nuisance="selected"``: the share of cross-fitting splits, averaged over the cohorts of every effect);
    None when no row records it."""
    cols = [c for c in raw.columns if c.startswith("boosted_")]
    rows = raw.dropna(subset=cols) if cols else raw.iloc[:0]
    if rows.empty:
        return None
    names = [c.removeprefix("boosted_") for c in cols]
    lines = [
        "| world | n | share | cohorts | " + " | ".join(f"{name}: share of splits boosted" for name in names) + " |",
        "|---|---|---|---|" + "---|" * len(names),
    ]
    for (world, n, share), g in rows.groupby(["world", "n", "share"], sort=False):
        shares = " | ".join(f"{g[c].mean():.2f}" for c in cols)
        lines.append(f"| {world} | {n} | {share:.0%} | {len(g)} | {shares} |")
    return "\n".join(lines)


def warning_table(raw: pd.DataFrame, candidate: str) -> str | None:
    """Per world and share treated, how often the rater warning (alscell.analysis.rater) fired on the candidate's
    cohorts, under no effect and under an effect (it looks at the decisions only, so it fires alike for every
    history); None when the runs did not record it."""
    rows = raw[raw["variant"] == candidate]
    if "rater_warned" not in rows or rows["rater_warned"].isna().all():
        return None
    lines = ["| world | share | cohorts | rater warning fired: E 0 | E > 0 |", "|---|---|---|---|---|"]
    for (world, share), g in rows.groupby(["world", "share"], sort=False):
        fired = g["rater_warned"].astype(bool)
        null = fired[g["E"] == 0]
        lines.append(f"| {world} | {share:.0%} | {len(g)} | {null.mean():.2f} | {fired[g['E'] != 0].mean():.2f} |")
    return "\n".join(lines)


def _mark(ok: bool) -> str:
    return "" if ok else " ✗"  # outside its band


def cell_table(perf: pd.DataFrame, candidate: str = "flexible") -> str:
    lines = [
        f"| world | n | share | E | standard: bias (MCSE) | coverage | type-I / power | {candidate}: bias (MCSE) | "
        "coverage | type-I / power |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    p = perf.set_index(["world", "n", "share", "effect", "method"])
    for world, n, share, eff in dict.fromkeys(
        zip(perf["world"], perf["n"], perf["share"], perf["effect"], strict=True)
    ):
        cells = []
        for m in ("standard", candidate):
            r = p.loc[(world, n, share, eff, m)]
            rej = f"{r['rejection']:.2f}" + (_mark(bool(r["rejection_ok"])) if eff == 0 else "")
            cells.append(f"{r['bias']:+.4f} ({r['bias_mcse']:.4f}){_mark(bool(r['bias_ok']))} | "
                         f"{r['coverage']:.2f}{_mark(bool(r['coverage_ok']))} | {rej}")  # fmt: skip
        lines.append(f"| {world} | {n} | {share:.0%} | {eff} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--cohorts", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--worlds", default=",".join(WORLDS), help="comma-separated worlds")
    ap.add_argument(
        "--candidate", default="flexible", choices=tuple(READINGS), help="the candidate judged (CANDIDATES)"
    )
    ap.add_argument("--standard-from", default=None, help="a raw dir whose stored cohorts give the default's rows")
    ap.add_argument(
        "--also-from", default=None, metavar="DIR:VARIANT",
        help="another candidate's rows from an earlier run's stored cohorts, shown beside (e.g. "
        "docs/data/g_boosted_calibration:boosted)",
    )  # fmt: skip
    ap.add_argument(
        "--truths", default=None, metavar="DIR[,DIR]",
        help="judge the held-out worlds against our estimand's truth (truth_window) stored in DIR/<world>.csv by "
        "estimand_calibration.py for the same cohorts, instead of the world's own",
    )  # fmt: skip
    ap.add_argument("--raw-dir", default=None, help="write (or, with --from-raw, read) one CSV of cohorts per world")
    ap.add_argument("--from-raw", action="store_true", help="write the page from --raw-dir's cohorts, run nothing")
    ap.add_argument("--write-md", default=None)
    args = ap.parse_args(argv)
    worlds = tuple(args.worlds.split(","))
    also = tuple(args.also_from.rsplit(":", 1)) if args.also_from else None
    if also and (len(also) != 2 or also[1] in ("standard", args.candidate)):
        ap.error("--also-from takes DIR:VARIANT, a variant other than the default and the candidate")

    from rich.console import Console

    from alscell.simulate.study import run_study, study_seeds

    console = Console()
    raw_dir = Path(args.raw_dir) if args.raw_dir else None
    frames, minutes = [], 0.0
    for w in worlds:
        path = raw_dir / f"{w}.csv" if raw_dir else None
        if args.from_raw:
            if path is None:
                ap.error("--from-raw needs --raw-dir")
            d = pd.read_csv(path)
        else:
            seeds = study_seeds(ENTROPY, args.cohorts)
            items = [((w, n, s, e), seed) for n in SIZES for s in SHARES for e in EFFECTS for seed in seeds]
            runs = variants(args.candidate, standard=args.standard_from is None)
            t0 = time.perf_counter()
            rows = run_study(run_chunk, items, task_args=(runs,), chunk=4, workers=args.workers,
                             label=f"g history: {w}", console=console)  # fmt: skip
            d = pd.DataFrame(rows).assign(run_minutes=(time.perf_counter() - t0) / 60)
            if args.standard_from:
                d = pd.concat([_stored_rows(Path(args.standard_from) / f"{w}.csv", d), d], ignore_index=True)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                d.to_csv(path, index=False)
        minutes += float(d["run_minutes"].max())  # the default's stored rows (--standard-from) carry none
        if also and (other := Path(also[0]) / f"{w}.csv").exists():  # none where the other was not run
            d = pd.concat([d, _stored_rows(other, d, also[1])], ignore_index=True)
        frames.append(d)
    raw = pd.concat(frames, ignore_index=True)
    if args.truths:
        raw = estimand_truths(raw, tuple(Path(t) for t in args.truths.split(",")))
    perf = performance(raw)
    tables = [summary_table(perf), change_table(raw, args.candidate)]
    if also:  # the other candidate's change, and the two candidates against each other
        tables += [change_table(raw, also[1]), change_table(raw, args.candidate, also[1])]
    choices = choice_table(raw[raw["variant"] == args.candidate])
    tables += [choices] if choices else []
    warned = warning_table(raw, args.candidate)
    tables += [warned] if warned else []
    tables.append(cell_table(perf, args.candidate))
    finish(
        console, "\n\n".join(tables), minutes, args.write_md, MD,
        "g_history_calibration.py", argv, entropy=ENTROPY, workers=args.workers,
        cohorts=int(raw[raw["variant"] == args.candidate].groupby(["world", "n", "share", "E"]).size().max()),
        title=CANDIDATES[args.candidate][1], call=CANDIDATES[args.candidate][2], reading=reading_for(args.candidate, worlds),
        scope=scope(worlds), truth=TRUTH_TEXT[bool(args.truths)], standard=standard_text(args.candidate),
    )  # fmt: skip
    return 0


def reading_for(candidate: str, worlds: tuple[str, ...]) -> str:
    """The page's reading: the candidate's, or, where a candidate was read per world (``measures_only``), that of the
    worlds run ("Not yet read." for others)."""
    reading = READINGS[candidate]
    return reading if isinstance(reading, str) else reading.get(",".join(worlds), "* Not yet read.")


def standard_text(candidate: str) -> str:
    """How the page names its "standard" rows: the default's history on every page run before 2026-12-07, the
    standard history beside the default since (the candidate ``measures_only``)."""
    if candidate in ("measures_only", "measures_only_recorded"):
        return "the standard history\n(`standard`, the default's until 2026-12-07)"
    return "the default's history\n(`standard`)"


def estimand_truths(raw: pd.DataFrame, dirs: tuple[Path, ...]) -> pd.DataFrame:
    """``raw`` with each held-out world's truth under an effect replaced by our estimand's (``truth_window``,
    benchmarks/window_truth.py) from the first of ``dirs`` holding ``<world>.csv`` (estimand_calibration.py's
    truths of the same cohorts); ``simulate`` and the second world keep E, which is their estimand's truth.
    Refused when a cohort under an effect has no stored truth (other seeds would not pair)."""
    from window_truth import with_stored_truth

    out = []
    for world, d in raw.groupby("world", sort=False):
        path = next((p / f"{world}.csv" for p in dirs if (p / f"{world}.csv").exists()), None)
        if path is None:
            if world not in ("simulate", "world2"):
                raise SystemExit(f"--truths: no stored truths of {world} in {', '.join(map(str, dirs))}")
            out.append(d)
            continue
        out.append(with_stored_truth(d, path, "truth_window"))
    return pd.concat(out, ignore_index=True)


def _stored_rows(path: Path, new: pd.DataFrame, variant: str = "standard") -> pd.DataFrame:
    """One variant's rows (the default's unless told) of an earlier run's stored cohorts, for exactly the
    cohorts of ``new`` (refused when one is missing: different seeds or cohort counts would not pair)."""
    old = pd.read_csv(path)
    old = old[old["variant"] == variant]
    key = ["world", "n", "share", "E", "seed"]
    out = new[key].drop_duplicates().merge(old, on=key, how="left", validate="one_to_one")
    if out["variant"].isna().any():
        raise SystemExit(f"{path}: the stored cohorts do not hold every cohort of this run (other seeds?)")
    return out[old.columns.drop("run_minutes")]


def scope(worlds: tuple[str, ...]) -> str:
    """The page title's worlds: "the five worlds", or the ones run and how many of the five they are."""

    def listed(ws: list[str]) -> str:
        names = [f"`{w}`" for w in ws]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    five = NUMBERS[len(WORLDS)]
    inside, outside = [w for w in worlds if w in WORLDS], [w for w in worlds if w not in WORLDS]
    if not outside:
        return (
            f"the {five} worlds"
            if set(inside) == set(WORLDS)
            else f"{listed(inside)} ({NUMBERS[len(inside)]} of the {five} worlds)"
        )
    if not inside:  # worlds written after them (the sixth)
        return f"{listed(outside)} (written after the {five} worlds)"
    first = (
        f"the {five} worlds"
        if set(inside) == set(WORLDS)
        else f"{listed(inside)} ({NUMBERS[len(inside)]} of the {five})"
    )
    return f"{first} and {listed(outside)}, written after them"


# How the page names the held-out worlds' truth (with --truths: our estimand's, docs/evidence.md "Estimand").
TRUTH_TEXT = {
    False: "the realised slope change",
    True: "our estimand's truth (the change of slope of the expected recorded total over the 24 months after the "
    "first treatment: benchmarks/window_truth.py, stored by estimand_calibration.py for the same cohorts)",
}
NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}

MD = """# {title}, calibrated on every cell of {scope}

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}).  What and why:
the docstring of `benchmarks/g_history_calibration.py`.  `g_estimation` with {standard} and with `{call}` on the same {cohorts} cohorts per cell; bands as in
`docs/calibration.md` (✗: outside its band); "type-I / power": the share of cohorts with p < 0.05 (judged
under E = 0 only).  Truth: E on `simulate` and `world2`, {truth} on the held-out worlds.

{table}

Run time {minutes:.1f} min (the sum over the worlds' runs), {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING_FLEXIBLE = """\
* Written from the tables above after the full run (53.4 min over the five worlds; rerun to check, or
  `--from-raw` to rewrite the page from the stored cohorts).  **The flexible history does not dominate the
  default's.**  Over the five worlds' 135 cells it is within every band in 62 against 58, within the bias
  band in 70 against 64 and the coverage band in 96 against 101, and its type-I error is within its band in
  39 of 45 null cells against 41.
* **Its gain is on the world that suggested it**: on the fifth world bias within band in 9 cells against 5,
  every band 9 against 5, mean coverage 0.804 against 0.780, mean |bias / SE| 0.79 against 0.91 — the null
  lean falls in every cell with 1,000 or 3,000 patients and 30% or 60% treated, but the gap under an effect
  (the horizon) stays.  On the
  fourth world a little better on bias (21 against 19) and a little worse on coverage and type-I (one cell
  each).
* **Elsewhere it costs a little**: on `simulate` it ties (24 of 27 cells within every band for both; one null
  cell, 3,000 × 60%, at 0.10 rejections, outside) — its shift upwards takes the default's small negative
  leans at 3,000 patients away but adds one at 1,000 × 60% under no effect; on the second world it covers in
  13 cells against 15, on the third in 21 against 23 (both fail there for reasons it does not touch:
  selection on the true slope, the responder mixture cut by the floor).
* So it is not adopted: a history change that helps one held-out world and moves the others by a cell or
  two either way is not the consistent default issue 10 asks for.  The lean it halves on the fifth world is
  the decision's step in two consecutive falls; a model of the decision that follows such a rule exactly
  would need the rule."""

READING_LEVEL = """\
* Written from the tables above after the full run (36.2 min over the five worlds for the candidate alone: the
  default's rows are the stored cohorts of docs/g_history_calibration.md, same seeds and so the same cohorts;
  rerun to check, or `--from-raw` to rewrite the page from the stored cohorts).  **The level spline does not
  dominate the default's history either.**  Over the 135 cells it is within every band in 61 against 58 and
  within the bias band in 69 against 64, but within the coverage band in 100 against 101, and its type-I
  error is within its band in 37 of 45 null cells against 41.
* **It helps where the decision steps on the level**: the second world's threshold rule (treatment when the
  observed total falls below a patient's threshold) and the third world's eligibility cut-off (treated only
  with a total of at least 25).  On the second world it moves the estimate by −0.010 to −0.012: at 3,000
  patients with 30% treated the null lean goes from +0.0124 to +0.0003 and the type-I error from 0.10 to 0.03,
  but that world's own failure (treated patients chosen by their unrecorded true slope: +0.074 → +0.060 at
  60% treated) stays.  On the third world it moves +0.005 to +0.006 towards 0 and the bias is within its
  band in 9 cells against 5.
* **Elsewhere it costs a little**: on `simulate` −0.0007 to −0.0017 (the default's small negative leans grow:
  bias within band in 24 cells against 26), on the fourth and fifth worlds +0.0006 to +0.003 (their positive
  null leans grow, and four null cells go from 0.09 rejections to 0.10, just outside the band 0.05 ± 0.044).
  The SE does not change (median ratio 0.996 to 1.001).
* So it is not adopted.  Two generic enrichments of the hand-built history — the flexible declines
  (docs/g_history_calibration.md) and this spline of the level — each mend the worlds whose rule they
  resemble and move the others a cell or two the other way: a parametric history trades one world for
  another."""

READING_BOOSTED = """\
* Written from the tables above, 40 cohorts per cell, one world per run (the third world 47.3 min, `simulate`
  72.5, the second 73.1, the fourth 73.7; the default's rows are the first 40 stored cohorts of
  docs/g_history_calibration.md; rerun to check, or `--from-raw`).  Over four worlds within every band in
  26 + 12 + 13 + 17 = 68 of 108 cells against the default's 27 + 6 + 6 + 22 = 61.  **On the two worlds where
  the default fails most, the boosted nuisances pass twice as many cells**: on the third within every band
  in 13 of 27 against 6 (bias 14 against 8, coverage 24 against 22, type-I 8 of 9 for both, mean |bias / SE|
  0.35 against 0.49; every null cell's bias within its band; under an effect both still lean against
  treatment, the responder mixture cut by the floor); on the second in 12 against 6 (coverage 19 against 14,
  bias 12 against 10, type-I 6 of 9 for both, mean coverage 0.919 against 0.792, mean |bias / SE| 0.48
  against 0.84).
* **On the second world it moves every estimate down, by −0.041 to −0.078** (paired, by cohort size): with
  60% treated the default's upward lean is halved (3,000 patients under no effect +0.068 → +0.025, coverage
  0.28 → 0.82) but not removed (treated patients chosen by their unrecorded true slope); with 5% or 30%
  treated it overshoots (3,000 × 5% under no effect −0.030 → −0.066, 3,000 × 30% +0.013 → −0.018).
* **On `simulate`, whose decisions follow the default's logistic model exactly, it loses a cell**: within
  every band in 26 of 27 against 27 (3,000 × 60% under no effect: 0.12 rejections, coverage 0.88; bias
  +0.0014, MCSE 0.0047).  **And it leans upwards in small cohorts**: the paired change is +0.036 (MCSE
  0.004) at 200 patients — largest with 5% treated, about ten treated patients — against +0.002 at 1,000
  and 3,000.  With 40 cohorts per cell no 200-patient cell's bias leaves its band, but the change is paired
  and its MCSE small: this is the learners' own error at 160 patients per fold, which the orthogonal
  equation protects against only as the cohort grows.
* **On the fourth world, where the default does well, it is worse**: within every
  band in 17 of 27 against 22 (bias 20 against 25; coverage 24 and type-I 8 of 9 for both).  It moves the
  estimates down by −0.009, −0.003 and −0.004 (paired, by cohort size) where under an effect the default
  already leans a little against treatment: with E 0.5 the bias goes from −0.0087 to −0.0170 at 1,000 × 60%
  treated and from −0.0113 to −0.0195 at 3,000 × 5%, each now outside its band.
* The price in precision: the SE is 11–24% larger at 200 patients (median ratio 1.106 on the third world,
  1.138 on `simulate`, 1.140 on the fourth, 1.237 on the second), 2–9% at 1,000 and 1–5% at 3,000.
* Four worlds of five (the fifth: `--worlds world5`, over an hour).  It is better where the default's
  parametric forms are wrong and the cohort large, worse where they are right or the cohort small — and the
  held-out fourth world is one where they are nearly right.  `nuisance="selected"` (each nuisance chosen by
  its cross-fitted loss) was built to combine the two and does not (docs/g_selected_calibration.md: the
  choice by predictive loss gives back most of the gain); `nuisance="anchored"` (the trees fitted to the
  parametric fit's residuals) is the next candidate (docs/g_anchored_calibration.md)."""

READING_SELECTED = """\
* Written from the tables above after the runs of `simulate` (47.9 min), the third world (44.5 min) and the
  second (35.9 min), 40 cohorts per cell, paired with the default's stored cohorts and with boosting's
  (`--also-from docs/data/g_boosted_calibration:boosted`, docs/g_boosted_calibration.md); the fourth and
  fifth worlds are still to run.  Its settings were fixed before any run.  **It does not combine the two:
  it keeps the default's calibration on `simulate` but gives back most of boosting's gain on the third world
  and, below 3,000 patients, on the second.**  Within every band: 27 + 11 + 7 = 45 of 81 cells, against the
  default's 39 and boosting's 51.
* **On `simulate` it is within every band in 27 of 27 cells** (the default 27, boosting 26) **and boosting's
  small-cohort lean is mostly gone**: the paired change from the default is +0.0101 (MCSE 0.0025) at 200
  patients against boosting's +0.0357, and −0.0007 and −0.0004 at 1,000 and 3,000.  What is left is in the
  cells with 5% treated (bias −0.0421 → −0.0137, −0.0005 → +0.0244, −0.0347 → −0.0199 under E 0, 0.2,
  0.5), where the decision model is the boosted one in 12% of the splits: with about ten treated patients
  the held-out log loss is a noisy judge.  The decision and ramp models stay parametric at 1,000 and 3,000
  patients (as `simulate`'s logistic decisions call for); the slope regression is the boosted one in 54–97%
  of splits at 1,000 (by share treated) and in every split at 3,000 — its outcome is not linear in the
  history.  SE ratio to the default 1.102, 1.039, 1.009 by size.
* **On the third world it is the default again**: within every band in 7 of 27 against the default's 6 and
  boosting's 13 (bias within band 9 against 8 and 14; mean coverage 0.938 against 0.928 and 0.948).  The
  cross-fitted loss keeps the parametric forms in nearly every split up to 1,000 patients; at 3,000 it
  chooses boosting for the slope regression in 12–28% of splits and, with 60% treated, for the decision and
  ramp models in 38% and 47% (where the default's lean is largest), so the paired change from the default is
  +0.0029, −0.0007 and +0.0018 by size where boosting's is +0.0062, +0.0062 and +0.0041.
* **On the second world it is boosting at 3,000 patients and the default below**: within every band in 11
  of 27 against 6 and 12 (coverage 19 against 14 and 19; mean coverage 0.887 against 0.792 and 0.919).  At
  3,000 the loss picks boosting for the slope regression in 99–100% of splits and for the decision model in
  every split with 60% treated: the 60% lean under no effect falls from +0.0683 to +0.0254 (boosting +0.025) and
  coverage from 0.28 to 0.82, and with 5% treated it overshoots as boosting does (−0.0297 → −0.0483).  At
  1,000 it mixes the forms — a boosted ramp model (84% of splits with 60% treated) beside a parametric
  decision model — and does worse than either: bias +0.1310 against the default's +0.0995 with 60% treated
  and E 0.5, coverage 0.40 against 0.57.  Paired change from the default −0.0039, +0.0057, −0.0293 by size
  (boosting −0.0783, −0.0475, −0.0410).
* **Why**: predicting the held-out treatment starts and slopes about as well is not the same as removing
  the confounding.  The doubly robust estimate's bias is the product of the two nuisance errors, the loss
  judges each alone, and where the parametric forms are wrong in a way that matters for the bias (the third
  world's eligibility cut-off, the second's threshold rule) their predictive loss is still as small as the
  trees' at these sizes.  A choice by predictive loss is not targeted at the estimand.  Not adopted."""

READING_ANCHORED = """\
* Written from the tables above after the five worlds' runs (`simulate` 64.5 min; the second world 24.6, the
  third 27.8, the fourth 34.9, the fifth 26.4 — run alone on the machine, probably why faster than boosting's), 40
  cohorts per cell, paired with the default's stored cohorts and, where it was run (not on the fifth world),
  with boosting's (`--also-from docs/data/g_boosted_calibration:boosted`, docs/g_boosted_calibration.md).  Its
  settings (crossfit.LEARNER) were fixed before any run, the same as boosting's.
* **Better than the default over the five worlds, calibrated on none but `simulate`**: within every band in
  26 + 13 + 13 + 19 + 14 = 85 of 135 cells against the default's 27 + 6 + 6 + 22 + 9 = 70; on the four worlds
  boosting was run on, 71 of 108 against boosting's 68 and the default's 61.  Not adopted: on the fourth world
  it loses three cells to the default, and on the second and fifth the bias under an effect stays far
  outside its band at 3,000 patients.
* `simulate`: **boosting's small-cohort lean is gone** — paired change from the default +0.0009 (MCSE 0.0054)
  at 200 patients against boosting's +0.0357 (MCSE 0.0043); −0.0039 (0.0016) and −0.0008 (0.0008) at 1,000
  and 3,000.  26 of 27 cells (the miss: coverage 0.88 at 3,000 × 30% treated under E 0.5, bias within band);
  type-I 9 of 9.  So the lean came from trees that start from a constant and must learn what the parametric
  start already holds, as the candidate supposed.
* Second world: **it keeps most of boosting's gain** — 13 of 27 against boosting's 12 and the default's 6;
  paired change −0.0511 / −0.0408 / −0.0319 by size (boosting −0.0783 / −0.0475 / −0.0410).  The 60%-treated
  null lean at 3,000 patients falls from +0.0683 to +0.0293 (coverage 0.28 → 0.82) but stays outside its band,
  and with 5% treated it moves the other way (−0.0297 → −0.0488 under E 0).
* Third world: 13 of 27, as boosting, against the default's 6 (change +0.0018 / +0.0048 / +0.0047 by size;
  boosting +0.0062 / +0.0062 / +0.0041); the default's lean against treatment under an effect remains
  (−0.0292 against −0.0355 at 3,000 × 60% under E 0.5).
* Fourth world (held out; boosting lost five cells here): 19 of 27 against the default's 22 and boosting's
  17.  At 200 patients it moves the estimate down by 0.0348 (boosting 0.0090), mending the default's lean
  with 5% treated (+0.0473 → +0.0045 under E 0) but tipping the 30% and 60% cells below 0 (−0.0337 and
  −0.0326 under E 0.5, bias within band); at 1,000–3,000 the default's small lean against treatment under
  an effect grows (−0.0087 → −0.0174 at 1,000 × 60%, −0.0078 → −0.0113 at 3,000 × 60%, both E 0.5), losing
  the bias band there.
* Fifth world (held out; boosting not run): 14 of 27 against the default's 9.  **The null lean is gone** —
  every E 0 cell within its bias band (default +0.0096 and +0.0065 at 3,000 with 60% and 30% treated,
  anchored +0.0033 and −0.0004) — but under an effect the bias stays: +0.0512 to +0.0567 at 3,000 patients
  under E 0.5 (default +0.0590 to +0.0664), coverage 0.15–0.62.  That part is the gap between what the
  estimator averages and the realised truth under effects that differ between patients
  (docs/g_modifiers.md), which no nuisance model can close.
* The price in precision: the SE is 12–23% larger at 200 patients (median ratio 1.118–1.234 by world), 2–8%
  at 1,000 and 1–4% at 3,000.
* What is left: the fourth world's small lean against treatment under an effect (both flexible nuisance
  models deepen it) and the fifth world's effect-modification gap; until one estimator is honest on every
  world the default stays and the calibration page names the cells it misses."""

READING_REGISTRY = """\
* Written from the tables above after the first run (rerun to check; 40 cohorts per cell, the default's
  stored cohorts beside; about 15 min for the six worlds).  `history="registry"` adds what clinics decide on
  and registries record beside the score — age, months since diagnosis, ventilation and gastrostomy status
  — built after the sixth world's ablation named its physician's rule (docs/world6_effect_ablation.md), so
  **the sixth world is no longer held out for it**: its 21 of 27 cells within every band there (the
  default's 3; the null lean +0.030 to +0.064 at 1,000–3,000 patients becomes −0.010 to +0.025) show that
  the history can hold such a rule, not that the candidate is honest elsewhere.
* On the five worlds it changes little: within every band in 27 + 6 + 7 + 23 + 9 = 72 of 135 cells against
  the default's 70; paired change within 0.001 points/month at 1,000–3,000 patients on `simulate` and the
  second to fourth worlds (their decisions do not follow these covariates, or the worlds do not record
  them), −0.010 to −0.012 on the fifth, whose null lean it turns over (+0.0065 and +0.0096 at 3,000 × 30% and
  60% become −0.0048 and −0.0055, still outside their bias bands).  SE ratio 0.995–1.024 there, 1.30–1.32
  on the sixth, where the rule leaves patients on NIV or over 75 with no chance of treatment (the
  positivity the decision model then meets: the 3,000 × 60% null cell's MCSE triples).
* Not adopted: judged on worlds it was built after, with no hold-out left.  The next check is a seventh
  world written without these results, and the estimand's truths (docs/estimand_observed.md)."""

READING_RATER = """\
* Written from the tables above after the first run (rerun to check; 40 cohorts per cell, the default's
  stored cohorts beside, which predate the rater rule).  `history="rater"` puts who rated each visit (a flag
  per mode other than a clinician's: self, caregiver, phone) into the history always; the default since
  2026-12-05, evening, does so only when the rule fires (alscell.analysis.rater: the starts rated
  differently from the other decision visits), so where it fires the default *is* this candidate and where
  it does not it is the "standard" rows to the last digit.
* Where no visit is rated by anyone but a clinician (`simulate`, the second, third, fourth and sixth worlds)
  the two are the same to the last digit (change +0.0000, SE ratio 1.000).  On the fifth and seventh
  worlds, whose phone and self visits are random, the change is at most 0.0003 and the rule fires in none of
  the 1,080 cohorts of each (at a cut-off of 3 standard errors instead of 4 it fired in 5 fifth-world
  cohorts and in 1% of the seventh world's with 5% treated: the cut-off's comment in alscell.analysis.rater).
  Those counts (the "rater warning fired" column) were taken with the modes pooled; the rule judges each mode
  alone since the review of 2026-12-05, and recounted so it fires in 3 of the fifth world's 1,080 cohorts
  (one seed of 200 patients with 5% treated, at each effect; `warning_census.py --worlds world5`) and in none
  of the first 20 per cell of the seventh's (docs/warning_census.md).
* On the eighth world, where every call for cells is a phone visit that reads high, the rule fires in every
  cohort and the lean against treatment is gone: within every band in 11 of 27 cells against 0, mean coverage
  0.884 against 0.420, mean |bias/SE| 0.48 against 2.72, for an SE 1.23–1.30 times larger (the flag
  predicts the starts).  A lean *for* treatment of +0.045 to +0.099 is left at 30–60% treated from 1,000
  patients on, which no single piece of the world makes (docs/world8_effect_ablation_rule.md).
* Built after the eighth world, so judged out of sample only on the ninth (docs/calibration_world9.md)."""

READING_MEASURES = """\
* Written from the tables above after the first run (rerun to check; 40 cohorts per cell, the default run again
  beside the candidate on the same cohorts; judged against our estimand's truth, `--truths`).
  `history="measures"` is the registry history (age, months since diagnosis, ventilation, gastrostomy) and, per
  measure of FVC, SVC, weight and blood NfL that the registry records, the latest value on or before the visit,
  its change per month since the one before and a flag where there is none yet (alscell.analysis.measure_history).
  It was built after the ninth world (treatment on recorded FVC and NfL) and the tenth (referral on recorded SVC
  and its fall), and committed before the eleventh world was written (blind, by a helper who saw no estimator).
* **On the ninth world it takes most of the lean**: within every band in 16 of 27 cells against the default's 3,
  type-I error within band in 9 of 9 null cells against 3; under no effect +0.024 and +0.070 points/month at
  3,000 patients with 30% and 60% treated become −0.001 and +0.013 (coverage 0.85 and 0.23 become 0.95 and 0.95),
  for SEs about a tenth larger.  The world suggested the candidate, so this is not a hold-out.
* **On the tenth it takes a quarter**: +0.061 and +0.135 become +0.045 and +0.102 (coverage 0.28 and 0.00 become
  0.68 and 0.15); within every band in 6 of 27 cells for both.  Its referral's own terms were already known to
  change little there (docs/world10_effect_ablation.md).
* **On the eleventh, its hold-out, it fails.**  That world records grip and quadriceps strength and none of the
  four measures, so there the candidate is the registry history, and the registry terms move every estimate by
  −0.038 to −0.041 (MCSE at most 0.0015) at every size: under no effect −0.020 to −0.066, type-I error within band
  in 5 of 9 null cells against the default's 9 of 9, coverage down to 0.47 at 3,000 × 30%.  Under E 0.5 that shift
  happens to cancel the default's lean against this truth (+0.038 at 3,000 patients, docs/calibration_world11.md),
  which is why the two tie on the count of cells (13 against 14).  Which registry term moves it:
  docs/world11_registry_terms.md.
* **Not adopted.**  A history that mends the world it was built after and leans on the next one is the pattern
  issue 10 warns against.  The measures do join the default's registry terms' contrast, which warns, and changes
  no estimate (docs/warning_census.md)."""

READING_NAMED = """* Written from the tables above after the full run (31.0 min for five worlds, the default beside; 20 cohorts per
  cell, judged against our estimand's truth; rerun to check).  Each world's names are what its docstring's rule
  reads that the registry records (benchmarks/named_inputs.NAMED) — what an analyst who knew the clinic's rule
  would type after `--adjust-for`.  **Where the decision read recorded facts the standard history lacks, naming
  them makes the estimator honest in most cells, under an effect as under none**: within every band in 21 of 27
  cells on the sixth world (the default 3; mean coverage 0.952 against 0.589), 20 on the eighth (7) and 21 on
  the ninth (6).  At 3,000 patients with 30% treated: sixth +0.036 → −0.013 under no effect and +0.061 → +0.007
  under E 0.5, eighth +0.060 → +0.017 and +0.067 → +0.027, ninth +0.026 → +0.004 and +0.033 → +0.014 (coverage
  0.95–1.00 in all six named cells).  The price is precision: SEs 1.1 to 1.3 times the default's.
* **What is left**: the sixth world's 60% cells at 3,000 patients (+0.027 under no effect, +0.090 under E 0.5,
  coverage 0.45: most of its patients are outside the rule there, and the starters' support — not used here —
  is where docs/named_inputs.md saw it help), and **the tenth world**, where naming takes a sixth to a third of the
  lean (+0.127 → +0.097 at 3,000 × 60% under no effect; within every band in 6 of 27 cells either way, mean
  coverage 0.617 → 0.757): its decision also reads the SVC's fall (clipped) and an unrecorded wish tied to the
  hazard's acceleration (benchmarks/tenth_world.py).
* **Where the default was right, naming costs**: on the eleventh world within every band in 10 of 27 cells
  against the default's 16; under no effect +0.014 (30%) and +0.046 (60%) at 3,000 patients where the default is
  within 2 MCSE of 0, and under E 0.5 +0.080 (coverage 0.10) against +0.038 (0.40).  The generic terms give a
  linear weaker/stronger ratio where the rule cuts at 75%; such strong predictors of treatment amplify what misfit
  is left (docs/world11_registry_terms.md: with a hinge at the cut-off the null lean is +0.003).
* So: an option for the analyst who knows the rule, honest where the rule is mostly recorded facts entering
  smoothly, not a default (a default cannot know the names), and no guarantee where the rule cuts sharply on a
  recorded measure.  The twelfth world, written blind after this run's code was committed, is the hold-out
  (docs/calibration_world12.md)."""

READING_NAMED_SPLINE = """* Written from the tables above after the full run (23.8 min for the candidate alone on five worlds, the
  default's rows and the linear names' taken from docs/g_named_calibration.md's stored cohorts, the same seeds; 20
  cohorts per cell, judged against our estimand's truth; rerun to check).  The spline was built after the eleventh
  and twelfth worlds showed the linear names failing where a rule cuts sharply on a recorded measure; its knots are
  Harrell's default (four, at the 5th, 35th, 65th and 95th percentiles of the decision rows), not chosen here.
* **Within every band, spline against linear**: 22 against 21 of 27 cells on the sixth world, 22 against 20 on the
  eighth, 20 against 21 on the ninth, 11 against 6 on the tenth and 8 against 10 on the eleventh (the default 3, 7,
  6, 6 and 16).  Mean coverage 0.930 against 0.952, 0.898 against 0.920, 0.900 against 0.935, 0.813 against 0.757
  and 0.813 against 0.809.
* **Where it helps**: the tenth world's cells with 30% treated at 3,000 patients, +0.017, +0.008 and −0.000 under E
  0, 0.2 and 0.5 (coverage 0.90–0.95; the linear names' coverage there 0.65–0.70, the default's 0.25–0.40), and
  the eighth world's 30% and 60% cells at 1,000 and 3,000 patients (bias within 2 MCSE of 0 in all 27 of its
  cells).  The tenth world's 60% cells still lean (+0.09 at 3,000).
* **Where it costs**: the cells where few start or nearly every eligible patient does — the ninth world at 200
  patients with 5% treated (+0.145, MCSE 0.081; coverage 0.70, the linear names' 0.95) and the sixth at 3,000 with
  60% (+0.092, MCSE 0.029, against the linear names' +0.027, MCSE 0.012): more columns in a decision model where
  positivity is thin make a noisier, not a better, estimate.  The eleventh world is not mended (8 cells; its rule
  also reads an unrecorded wish tied to the speed: docs/world11_registry_terms.md).
* So the spline is a better shape where a recorded measure enters a rule non-linearly and enough patients start
  at many values of it, and a worse one where positivity is thin.  **Decided before the thirteenth world was run**:
  the names stay linear unless the analyst asks for `--adjust-shape spline`.  The twelfth world's cells:
  docs/calibration_world12.md (named spline 8 of 27 within every band, linear 17, the default 23); the thirteenth,
  written blind after this option: docs/calibration_world13.md."""

READING_NAMED_VISITS = """* Not read on this page: the candidates' cohorts on the fourteenth world are read on docs/calibration_world14.md."""

READING_OCCASIONS = """* Not read on this page: the sixteenth world's cells are read in docs/evidence.md ("Visits that follow the
  course, and a sixteenth world"), the seventeenth's in "Positivity, and a seventeenth world", the eighteenth's in
  "Where the names' no-effect lean comes from" (and against our estimand's truths on
  docs/calibration_world18_estimand.md and docs/calibration_world18_observed.md), the nineteenth's on
  docs/calibration_world19_estimand.md and docs/calibration_world19_observed.md (against our estimand's truths), the
  twentieth's (whose cohorts here record no rater: the harness writes the occasions only) in docs/evidence.md, where it
  says who rated each visit, beside docs/world20_hold_raters.md and docs/world20_lean.md, and against our estimand's
  truths on docs/calibration_world20_estimand.md and docs/calibration_world20_observed.md; the twenty-first's against
  our estimand's truths on docs/calibration_world21_estimand.md and docs/calibration_world21_observed.md (beside
  docs/world21_self_ratings.md, the rule it was written for)."""

READING_MEASURES_ONLY = """* Written after the first run (2026-12-07, forty-first session; 22.7 min beside another run), after the default had
  been switched to the measures alone by the rule's run on the same world (docs/world22_measures_only.md: four
  cells at 1,000 and 3,000 patients, 40 cohorts each, against the while-observed truth).  20 cohorts per cell; the
  truth here is the world's realised slope change, lower than our estimand's by 0.021 to 0.027 under E = 0.2 and
  0.052 to 0.068 under 0.5 (docs/calibration_world22_estimand.md, docs/calibration_world22_observed.md), so under an
  effect both histories read above it.
* **Where most patients are treated the measures alone take much of the lean**: under no effect +0.0640 → +0.0261
  at 1,000 patients with 60% treated and +0.0423 → +0.0163 at 3,000 (coverage 0.85 → 0.95 in both), +0.0166 →
  +0.0056 at 3,000 with 30%; under E = 0.5 at 3,000 with 60%, +0.0932 → +0.0629.
* **At 200 patients they lean against treatment**: under no effect −0.0441 (MCSE 0.0141) with 30% treated and
  −0.0583 (0.0263) with 60%, both outside the bias band, where the standard history reads −0.0162 and −0.0228
  (within); the mean change of the estimate is −0.0254 (MCSE 0.0051) at 200 patients against −0.0114 and −0.0124
  at 1,000 and 3,000.  The measures add up to twelve terms (three per measure recorded) to a decision model fitted
  on few starters; a small-sample lean of the larger model is the likely reading, not shown here.  On `simulate`
  (docs/calibration.md, 100 cohorts per cell) its 200-patient cells show no such lean.  (Added the same day:
  docs/small_cohort_measures.md ran 40 fresh cohorts per cell at 200 patients on the fourteen worlds that record a
  measure, this one included, and the lean did not repeat on any — so not that reading after all: these 20
  cohorts per cell read low under both histories.)
* Within every band in 10 of 27 cells against the standard history's 13: the measures alone narrow the SEs (median
  ratio 0.87 at every size) and the bands with them; coverage within band in 17 against 16, mean coverage 0.865
  against 0.824, mean |bias / SE| 0.69 against 0.80."""

READING_MEASURES_ONLY_WORLD9 = """* Written after the first run (2026-12-07, forty-first session; 11.9 min beside a test run), to measure the
  default since 2026-12-07 on the seen world whose clinic decides on the FVC and NfL (benchmarks/ninth_world.py, "who
  is treated": an FVC below 80%, its fall since the first, log NfL, the centre, the programme's start and an
  unrecorded wish); docs/calibration_world9.md judged the registry history there on 40 cohorts per cell.  Here 20
  cohorts per cell, both histories on the same cohorts; truth: the world's realised slope change.
* **Where most patients are treated the measures alone take about two fifths of the lean**: under no effect +0.0607
  → +0.0376 at 1,000 patients with 60% treated and +0.0714 → +0.0420 at 3,000 (coverage 0.70 → 0.90 and 0.20 →
  0.70), +0.0694 → +0.0393 at 200 (now within the bias band).  With 5% or 30% treated they change little (under no
  effect +0.0439 → +0.0434 at 1,000 × 30%, +0.0264 → +0.0237 at 3,000 × 30%); the mean change over every share,
  −0.0063 (MCSE 0.0016) and −0.0084 (0.0011) at 1,000 and 3,000 patients, is mostly the 60% cells'.  At 200 patients
  with 5% or 30% treated they read a little higher (+0.0751 against +0.0594, +0.0599 against +0.0491 under no
  effect); the mean change at 200 patients is +0.0006 (0.0045).
* **Both stay far from honest here**: within every band in 4 of 27 cells (the standard history 3), mean coverage
  0.750 (0.683); every cell at 1,000 and 3,000 patients with 30% or 60% treated is outside a band under both.  The
  measures alone read the latest values and their change per month, not the clinic's threshold, the fall since the
  first FVC or the log of the NfL, and nothing reads the centre's programme or the patient's wish."""

READING_MEASURES_ONLY_WORLD10 = """* Written after the first run (2026-12-07, forty-first session; 5.7 min), to measure the default since 2026-12-07
  on the seen world whose clinic decides on the recorded SVC and its fall (benchmarks/tenth_world.py, "who is
  treated": the SVC, its fall per month since the last one, the site, bulbar onset, age and an unrecorded wish; the
  cells six weeks after the decision).  20 cohorts per cell, both histories on the same cohorts; truth: the world's
  realised slope change.
* **The measures alone move every cell with 30% or 60% treated toward 0**: under no effect +0.1475 → +0.1015 at
  1,000 patients with 60% treated, +0.1271 → +0.0809 at 3,000 (coverage 0.00 → 0.30), +0.0583 → +0.0452 at 3,000
  with 30% (coverage 0.25 → 0.60); the mean change is −0.0126, −0.0135 and −0.0181 at 200, 1,000 and 3,000 patients
  (MCSE 0.0044, 0.0021, 0.0017); mean coverage 0.644 → 0.770, mean |bias / SE| 1.48 → 1.03.
* **The cells within every band do not change** (6 of 27 under both: the 5% cells at 1,000 and 3,000 patients);
  every cell with 30% or 60% treated stays outside, the 60% cells by +0.08 to +0.13.  The measures alone read the
  SVC's latest value and its change per month, not the site, the decision's lag or the wish; the rater warning
  fires in every cohort with 30% or 60% treated."""

READING_MEASURES_ONLY_WORLD17 = """* Written after the first run (2026-12-07, forty-second session; 18.7 min beside a test run), to measure the
  default since 2026-12-07 on the seventeenth world (blind, seen since; benchmarks/seventeenth_world.py, "who is
  treated": at clinic reviews on the total, the stronger grip, the SVC, age, the centre and an unrecorded
  willingness, within an eligibility that reads the SVC; the cells four weeks or more after the decision).  20
  cohorts per cell, both histories on the same cohorts; truth: the world's realised slope change, which its effect's
  build-up over the doses pulls below our estimand's (docs/calibration_world17_observed.md).
* **The measures alone move every cell toward 0**: the mean change is −0.0180, −0.0280 and −0.0272 at 200, 1,000
  and 3,000 patients (MCSE 0.0028, 0.0010, 0.0005); under no effect +0.0562 → +0.0309 at 3,000 patients with 30%
  treated (coverage 0.60 → 0.90), +0.0770 → +0.0485 with 60% (0.55 → 0.75), +0.0280 → +0.0022 with 5%.  Coverage
  within its band in 12 of 27 cells (the standard history 4), bias in 6 (3), type-I in 8 of 9 (3); mean coverage
  0.685 → 0.819, mean |bias / SE| 1.24 → 0.83.
* **Still outside every band in most cells** (within every band 4 of 27, the standard history 2): under no effect
  the 30% and 60% cells lean toward treatment by +0.031 to +0.105, and the lean grows with the effect (the
  world's truth, not ours).  The measures alone read the SVC and the weight, not the grip, the total's own
  threshold, the centre or the willingness; the names with the recorded occasions
  (docs/calibration_world17.md) read more of what this clinic chose on."""

READING_MEASURES_ONLY_WORLD21 = """* Written after the first run (2026-12-07, forty-second session; 12.6 min), to measure the default since
  2026-12-07 on the twenty-first world (blind, seen since; benchmarks/twentyfirst_world.py, "who is treated": at
  clinic contacts on the recorded totals and their decline, age, a gastrostomy, the centre, at one centre the portal
  self-ratings, and an unscheduled contact as the patient's own request, within an eligibility that reads FVC at
  least 50%).  20 cohorts per cell, both histories on the same cohorts; truth: the world's realised slope change.
* **The measures alone change little here**: the mean change is −0.0035 at 1,000 patients and +0.0006 at 3,000
  (MCSE 0.0015, 0.0011); within every band in 3 of 27 cells (the standard history 4), mean coverage 0.667 (0.669),
  mean |bias / SE| 1.37 (1.36).  Under no effect both lean toward treatment from 1,000 patients on, by +0.044 to
  +0.095, more with 60% treated, where the measures alone read a little higher (+0.0872 → +0.0947 at 1,000,
  +0.0761 → +0.0845 at 3,000).  This clinic chose on the totals and the self-ratings; the FVC enters only its
  eligibility.
* **At 200 patients the mean change is +0.0312 (MCSE 0.0147)**, carried by the cells with 5% treated (about ten
  starters; the measures add about six terms): one cohort there reads +1.92 (SE 1.51) with the measures against
  +0.48 (SE 0.25) without, under every effect (the same cohort), and the measures alone's empirical SD in that cell is
  0.49 against 0.26.  Its SE grows with it (coverage 0.95 in all three 5% cells), but the estimate is noise: with
  so few starters the decision model nearly separates.  With 60% treated at 200 patients they lean a little further
  too (+0.0950 → +0.1085 under no effect), as docs/small_cohort_measures.md found on fresh cohorts."""

READING_MEASURES_ONLY_WORLD18 = """* Written after the first run (2026-12-07, forty-second session; 10.1 min), to measure the default since
  2026-12-07 on the eighteenth world (blind, seen since; benchmarks/eighteenth_world.py, "who is treated": at the
  programme's own visits on the recorded IL-6, the total, age and the centre, within an eligibility on the total,
  time since onset, age, support and the CNS-BFS; it records FVC and weight, which its rule does not read).  20
  cohorts per cell, both histories on the same cohorts; truth: the world's realised slope change.
* **The measures alone move every size down by about 0.009** (−0.0087, −0.0086, −0.0099 at 200, 1,000, 3,000
  patients; MCSE 0.0028, 0.0007, 0.0005), mostly toward 0: under no effect +0.0298 → +0.0219 at 3,000 × 30% and
  +0.0439 → +0.0276 at 3,000 × 60% (coverage 0.75 → 0.85), +0.0251 → +0.0176 at 1,000 × 30%.  Within every band
  in 14 of 27 cells (the standard history 10), bias within its band in 23 (16), mean |bias / SE| 0.51 → 0.39.
* The rule reads none of the four measures, so the move is not the measures standing for the rule's inputs: the
  FVC and weight recorded before a visit carry part of the course the score's own history misses.  At 200 patients
  with 30% treated they read a little lower (−0.0153 → −0.0261 under no effect, within the band).  The 3,000-patient
  cells under no effect still lean toward treatment (+0.022 and +0.028, outside the bias band)."""

READING_MEASURES_ONLY_WORLD8 = """* Written after the first run (2026-12-07, forty-second session; 11.1 min), to measure the default since
  2026-12-07 on the eighth world (benchmarks/eighth_world.py: self-referral by phone prompted by recorded weight
  loss, an unrecorded willingness; it records the weight), where docs/world8_weight.md found the measures amplifying
  the lean its weight trigger brings.  20 cohorts per cell, both histories on the same cohorts; truth: the world's
  realised slope change.
* **Here the measures alone lean further**: the mean change is +0.0078 at 1,000 patients and +0.0032 at 3,000 (MCSE
  0.0011, 0.0004; −0.0070, MCSE 0.0064, at 200); under no effect +0.0625 → +0.0705 at 1,000 × 30%, +0.1125 →
  +0.1207 at 1,000 × 60%, +0.0597 → +0.0648 at 3,000 × 30%.  Mean coverage 0.891 → 0.867, mean |bias / SE| 0.56 →
  0.64; coverage within its band in 10 of 27 cells (the standard history 15) and type-I in 3 of 9 (6) — each of
  those five cells moved by one cohort of 20 (0.90 → 0.85, the band's edge at 20 cohorts); within every band 9 of 27
  under both.
* The cost of the default on this world is small beside its lean (+0.06 to +0.12 under no effect with 30% or 60%
  treated under both histories), and of the size docs/world8_weight.md measured; the measures' check
  (docs/measures_check.md) does not flag it (mean z +0.49 and +0.32 at 1,000 patients)."""

READING_MEASURES_ONLY_WORLD19 = """* Written after the first run (2026-12-07, forty-second session; 11.3 min), to measure the default since
  2026-12-07 on the nineteenth world (blind, seen since; benchmarks/nineteenth_world.py, "who is treated": a lottery
  among the reviews screened eligible, weighted by the total, the FVC, the months since diagnosis, age, a gastrostomy
  and the site, with unrecorded compassionate use).  20 cohorts per cell, both histories on the same cohorts; truth:
  the world's realised slope change.
* **The measures alone take a quarter to a third of the lean**: the mean change is −0.0047, −0.0073 and −0.0099 at
  200, 1,000 and 3,000 patients (MCSE 0.0012, 0.0006, 0.0003); under no effect +0.0381 → +0.0278 at 3,000 × 30%
  (coverage 0.45 → 0.65), +0.0408 → +0.0344 with 60% (0.35 → 0.55), +0.0393 → +0.0257 with 5% (0.75 → 0.90).
  Mean coverage 0.611 → 0.676, mean |bias / SE| 1.62 → 1.40.
* **Both stay far from honest here** (within every band 3 of 27 cells, the standard history 2): from 1,000 patients
  on every cell under no effect leans toward treatment (+0.02 to +0.04).  The measures read the FVC's latest value
  and change, not the screening itself, the months since diagnosis or the compassionate requests; the names with the
  recorded occasions (docs/calibration_world19.md) read the screening."""

READING_MEASURES_ONLY_WORLD20 = """* Written after the first run (2026-12-07, forty-second session; 10.3 min), to measure the default since
  2026-12-07 on the twentieth world (blind, seen since; benchmarks/twentieth_world.py, "who is treated": the clinician
  at a review on the recorded total and its recent decline, age and the site, within an eligibility that reads FVC
  at least 60%; raters in posts and online self-ratings between reviews).  20 cohorts per cell, both histories on
  the same cohorts; truth: the world's realised slope change.
* **The measures alone move every size down by 0.007 to 0.009** (−0.0085, −0.0071, −0.0086 at 200, 1,000, 3,000
  patients; MCSE 0.0030, 0.0008, 0.0005): under no effect +0.0624 → +0.0524 at 3,000 × 30% (coverage 0.10 → 0.20),
  +0.0877 → +0.0811 with 60% (0.00 → 0.15).  Mean coverage 0.493 → 0.539, mean |bias / SE| 2.16 → 1.96.
* **Both stay far from honest** (within every band 2 of 27 cells, the standard history 1): from 1,000 patients on
  every cell under no effect leans toward treatment by +0.04 to +0.09.  What carries this world's lean is the
  reviews as occasions and the self-ratings (docs/world20_lean.md), which the measures do not read."""

READING_MEASURES_ONLY_WORLD12 = """* Written after the first run (2026-12-07, forty-second session; 12.5 min), to measure the default since
  2026-12-07 on the twelfth world (benchmarks/twelfth_world.py, "who is treated": within an eligibility that reads
  FVC at least 60%, on CSF CHI3L1, ALSAQ-40, site, age and an unrecorded wish; it records FVC and weight).  20
  cohorts per cell, both histories on the same cohorts; truth: the world's realised slope change.
* **The measures alone move every size down by about 0.02** (−0.0169, −0.0218, −0.0180 at 200, 1,000, 3,000
  patients; MCSE 0.0045, 0.0020, 0.0010) with SEs about 5% narrower (median ratio 0.94 to 0.96): under no effect
  +0.0160 → −0.0023 at 3,000 × 30%, +0.0315 → +0.0173 at 3,000 × 60%, +0.0453 → +0.0219 at 1,000 × 60% (each now
  within its bias band).  Within every band in 13 of 27 cells (the standard history 10), coverage in 20 (17), bias
  in 14 (11); mean |bias / SE| 0.66 → 0.53.
* **Where few are treated the move overshoots**: at 3,000 patients with 5% treated the standard history reads
  −0.0103, +0.0135, +0.0515 under E = 0, 0.2, 0.5 and the measures alone −0.0327, −0.0086, +0.0293 (under no effect
  outside its band, MCSE 0.0097).  The same downward move takes the lean where most are treated and adds one where
  few are; the eligibility's FVC threshold is what the measures read, linearly."""

READING_MEASURES_ONLY_WORLD14 = """* Written after the first run (2026-12-07, forty-second session; 15.1 min), to measure the default since
  2026-12-07 on the fourteenth world (benchmarks/fourteenth_world.py, "who is treated": the hub's surgical
  programme at outpatient reviews on the Delta-FRS at diagnosis, the motor against the bulbar deficit, onset site,
  site, age and an unrecorded wish, within an eligibility that reads FVC at least 60%).  20 cohorts per cell, both
  histories on the same cohorts; truth: the world's realised slope change.
* **The measures alone change little**: the mean change is +0.0024, −0.0068 and −0.0049 at 200, 1,000 and 3,000
  patients (MCSE 0.0023, 0.0008, 0.0004); under no effect +0.0462 → +0.0410 at 3,000 × 30% (coverage 0.80 → 0.90),
  +0.0531 → +0.0488 with 60%.  Within every band 4 of 27 cells under both; coverage within its band 10 (the
  standard history 7); mean |bias / SE| 1.00 → 0.94.  The lean of +0.03 to +0.05 under no effect stays: the rule
  reads the items and the diagnosis' Delta-FRS, which the measures do not."""

READING_MEASURES_ONLY_WORLD13 = """* Written after the first run (2026-12-07, forty-third session; 39.1 min, the machine shared with tests), to
  measure the default since 2026-12-07 on the thirteenth world (benchmarks/thirteenth_world.py, "who is treated":
  the centre's intrathecal programme at 6-monthly reviews, eligible within a serum NfL band of 45-120 pg/mL, a CMAP
  at diagnosis of at least 3 mV and a weight at least 90% of the diagnosis', then chosen on an inverted U in the
  recorded decline, site, age and an unrecorded wish).  20 cohorts per cell, both histories on the same cohorts;
  truth: the world's realised slope change.
* **The measures take about a fifth of the lean, no more**: the mean change is −0.0257, −0.0158 and −0.0190 at
  200, 1,000 and 3,000 patients (MCSE 0.0036, 0.0012, 0.0011); under no effect +0.0841 → +0.0659 at 3,000 × 30%
  (coverage 0.20 → 0.30), +0.1168 → +0.0854 with 60% (0.00 → 0.05).  Within every band 3 of 27 cells (the three at
  200 × 5%) against 0; coverage within its band 3 against 1; mean coverage 0.483 → 0.572, mean |bias / SE|
  2.02 → 1.65.
* Why no more: the default reads the NfL and weight the eligibility reads, but as straight terms, not as the band
  and the floor the rule applies, and it does not read the CMAP; the larger part of this world's lean comes from
  the contacts patients request between reviews when they decline fast (docs/world13_pieces.md), which no
  measurement records."""

READING_MEASURES_ONLY_WORLD16 = """* Written after the first run (2026-12-07, forty-third session; 24.7 min), to measure the default since
  2026-12-07 on the sixteenth world (benchmarks/sixteenth_world.py, "who is treated": a board at clinic reviews
  after the diagnosis, eligible while the MUNIX stays at least 40% of its first, then referred on the MUNIX's fall,
  the total and age with an allocation list of its own; the registry records FVC and weight, which the board does
  not read).  20 cohorts per cell, both histories on the same cohorts; truth: the world's realised slope change.
* **Here the measures make it worse**: the mean change is +0.0222, +0.0069 and +0.0120 at 200, 1,000 and 3,000
  patients (MCSE 0.0026, 0.0006, 0.0007), toward treatment, where the standard history already leant that way
  from 1,000 patients (under no effect +0.0513 → +0.0598 at 1,000 × 30%, +0.0221 → +0.0432 at 3,000 × 60%, the
  latter now outside the bias band; coverage 0.60 → 0.50).  Within every band 14 of 27 cells against 17; coverage
  within its band 21 against 23; mean |bias / SE| 0.32 → 0.43.
* The board reads the MUNIX, which neither history reads; FVC and weight follow the same loss of motor units, so
  reading them shifts the comparison without removing what the MUNIX carries — the eighth world's pattern
  (docs/world8_weight.md) by another route, a guess not tested here.  The measures' check stays silent on this
  world (docs/measures_check.md, its own cohorts at 1,000 patients, which also record the visits' types and
  decision dates — these here do not: fired in 0 of 40; mean moves +0.0114 and +0.0189, mean z +1.36 and +1.57,
  inside its threshold of 3), so this page, not the check, is where the harm shows.
* Added 2026-12-08 (forty-fourth session): on cohorts that record the visits' types and decision dates
  (docs/calibration_world16_measures_only_recorded.md, the same seeds) the measures move the estimate the same way
  and by about as much, but there the standard history leans against treatment and the move helps (within every
  band 20 of 27 against 15): against the world's truth, the harm on this page belongs to registries that leave the
  occasions unrecorded (against our estimand's, 18 against 20 there, 7 against 11 here)."""

READING_RECORDED_WORLD16 = """* Written after the first run (2026-12-08, forty-fourth session; 22.1 min), to settle whether the sixteenth world's
  verdict on the default (docs/calibration_world16_measures_only.md: "the measures make it worse") holds on the
  registry the measures' check ran on (docs/measures_check.md), whose cohorts also record each visit's type and
  each decision's date — which both histories then read.  Same seeds, 20 cohorts per cell; truth: the world's
  realised slope change.
* **The same move, the other verdict.**  The measures move the estimate by +0.0237, +0.0082 and +0.0131 at 200,
  1,000 and 3,000 patients (MCSE 0.0032, 0.0011, 0.0008) — the same direction and about the size of the move on the
  registry that does not record them (+0.0222, +0.0069, +0.0120).  But here the standard history leans *against*
  treatment (below the truth in 22 of 27 cells; under no effect −0.0286 at 3,000 × 30% and −0.0119 at 3,000 × 60%,
  both outside the bias band), so the move goes toward the truth: −0.0161 and +0.0098 there (the latter within its
  band), the default below the truth in 16 cells.  Within every band 20
  of 27 cells against 15; bias within its band 21 against 16; coverage 26 against 26; mean |bias / SE| 0.37 → 0.26.
  Only at 1,000 × 60% under no effect does the move leave its band (+0.0099 → +0.0255, MCSE 0.0098).
* What the registry records changes where the standard history stands (the rater warning, which reads the visit
  types, fires in 67% to 100% of these cohorts against 17% to 22% without them), not what the measures add: on this
  world the default's merit is a property of the registry, and docs/calibration_world16_measures_only.md's harm
  holds, against the world's truth, only where the occasions go unrecorded.
* Against our estimand's truth (docs/measures_only_recorded_estimand.md; under an effect 0.016 to 0.029 below the
  world's) the two histories are close and the standard one a little ahead: within every band 18 of 27 cells
  against 20 (while observed, docs/measures_only_recorded_observed.md: 18 against 19) — under an effect the move
  that brings the estimate toward the world's truth carries it past ours.  On the registry without the occasions
  the same judge gives 7 against 11 (docs/measures_only_estimand.md)."""

READING_RECORDED_WORLD17 = """* Written after the first run (2026-12-08, forty-fourth session; 15.8 min), to measure the default on the
  seventeenth world's cohorts that record each visit's type and each decision's date (the same seeds as
  docs/calibration_world17_measures_only.md, where they go unrecorded), which both histories then read.  20 cohorts
  per cell; truth: the world's realised slope change.
* **The same verdict as without them**: the measures move every size down (−0.0150, −0.0208, −0.0200 at 200,
  1,000, 3,000 patients; MCSE 0.0026, 0.0011, 0.0005; a little less than the −0.0180, −0.0280, −0.0272 there), toward
  0 from a lean toward treatment in every cell.  Within every band in 7 of 27 cells against 2; coverage within its
  band 16 against 7; type-I 8 of 9 against 4; mean |bias / SE| 1.38 → 0.99.  Under no effect +0.0465 → +0.0257 at
  3,000 × 30% and +0.0572 → +0.0395 at 3,000 × 60%, still outside the bias band.
* Against our estimand's truth (docs/measures_only_recorded_estimand.md) 8 against 3 (while observed 10 against 3):
  the default is ahead on this world by every judge, with or without the occasions."""

READING_RECORDED_WORLD21 = """* Written after the first run (2026-12-08, forty-fourth session; 12.3 min), to measure the default on
  the twenty-first world's cohorts that record each visit's type and each decision's date (the same seeds as
  docs/calibration_world21_measures_only.md, where they go unrecorded), which both histories then read.  20 cohorts
  per cell; truth: the world's realised slope change.
* **Little change, as without them**: the mean move is −0.0019 at 1,000 patients and +0.0026 at 3,000 (MCSE 0.0019,
  0.0011; +0.0214 at 200, MCSE 0.0082); within every band in 3 of 27 cells under both histories, coverage within its
  band 8 against 9, mean |bias / SE| 1.14 against 1.10.  With 60% treated the measures lean it a little further
  toward treatment, as on the page without the occasions (under no effect +0.0941 → +0.1083 at 1,000 patients,
  +0.0657 → +0.0783 at 3,000).  Against our estimand's truth (docs/measures_only_recorded_estimand.md) 3 against 3.
* Recording the occasions does not remove this world's lean (the default +0.038 to +0.191 toward treatment in every
  cell but the three at 200 × 5%): its clinic chose on the totals, the portal self-ratings at one centre and the
  patients' own requests, which neither history reads as such."""

READING_RECORDED_WORLD22 = """* Written after the first run (2026-12-08, forty-fourth session), to measure the default on the twenty-second
  world's cohorts that record each visit's type and each decision's date (the same seeds as
  docs/calibration_world22.md, where they go unrecorded).  20 cohorts per cell; truth: the world's realised slope
  change.
* **Recording them changes nothing here**: every table above equals docs/calibration_world22.md's (every estimate of
  both histories to within 1e-12, tests/benchmarks/test_g_history_calibration.py).  Each recorded decision date
  falls after the last visit before the first dose (g_estimation says "0 visit(s) in between" on a cohort of 1,000
  patients, 30% treated), the visit the default takes as the decision without the dates, so no decision row moves.
  Its reading is docs/calibration_world22.md's: within every
  band 10 of 27 against the standard history's 13, coverage 17 against 16."""

READING_RECORDED_WORLD18 = """* Written after the first run (2026-12-08, forty-fourth session; 10.8 min), to measure the default on the
  eighteenth world's cohorts that record each visit's type and each decision's date (the same seeds as
  docs/calibration_world18_measures_only.md, where they go unrecorded), which both histories then read.  20 cohorts
  per cell; truth: the world's realised slope change.
* **The same verdict as without them**: every size down by about 0.01 (−0.0092, −0.0090, −0.0110 at 200, 1,000,
  3,000 patients; MCSE 0.0030, 0.0007, 0.0005), mostly toward 0: bias within its band in 27 of 27 cells against 22,
  within every band 17 against 16, coverage 17 against 17, mean |bias / SE| 0.32 → 0.21.  Under no effect +0.0397 →
  +0.0231 at 3,000 × 60%.  Against our estimand's truth (docs/measures_only_recorded_estimand.md) 17 against 17.
* Recording the occasions widens both histories' spread on this world: the MCSE of the bias at 1,000 × 30% is
  0.0289 against 0.0113 without them (docs/calibration_world18_measures_only.md), 0.0660 against 0.0287 at 200 ×
  30%, with coverage about the same — a few cohorts move far.  Not investigated here."""

READING_RECORDED_WORLD19 = """* Written after the first run (2026-12-08, forty-fourth session; 12.9 min), to measure the default on the
  nineteenth world's cohorts that record each visit's type and each decision's date (the same seeds as
  docs/calibration_world19_measures_only.md, where they go unrecorded), which both histories then read.  20 cohorts
  per cell; truth: the world's realised slope change.
* **The same verdict as without them, a smaller move**: every size down (−0.0041, −0.0056, −0.0080 at 200, 1,000,
  3,000 patients; MCSE 0.0014, 0.0006, 0.0004; without the occasions −0.0047, −0.0073, −0.0099), toward 0 from a lean
  toward treatment: under no effect +0.0368 → +0.0283 at 3,000 × 30%, +0.0388 → +0.0262 at 3,000 × 5%.  Within every
  band 5 of 27 cells against 4; coverage within its band 12 against 11; mean |bias / SE| 1.45 → 1.29.  Against our
  estimand's truth (docs/measures_only_recorded_estimand.md) 12 against 8.
* Recording the occasions helps both histories here (within every band 4 and 5 against 2 and 3 without them), but
  most of the lean stays: the lottery weighs what neither reads."""

READING_RECORDED_WORLD20 = """* Written after the first run (2026-12-08, forty-fourth session; 9.7 min), to measure the default on the twentieth
  world's cohorts that record each visit's type and each decision's date (the same seeds as
  docs/calibration_world20_measures_only.md, where they go unrecorded), which both histories then read.  20 cohorts
  per cell; truth: the world's realised slope change.
* **The same verdict as without them, a smaller move**: every size down (−0.0072, −0.0058, −0.0077 at 200, 1,000,
  3,000 patients; MCSE 0.0029, 0.0008, 0.0004; without the occasions −0.0085, −0.0071, −0.0086); within every band
  2 of 27 cells against 1, type-I within its band 4 of 9 against 2; mean |bias / SE| 2.17 → 2.00.  Under no effect
  +0.0626 → +0.0538 at 3,000 × 30%: the lean of +0.04 to +0.09 from 1,000 patients on stays under both, as without
  the occasions.  Against our estimand's truth (docs/measures_only_recorded_estimand.md) 6 against 3."""

READINGS = {
    "measures_only": {
        "world22": READING_MEASURES_ONLY,
        "world9": READING_MEASURES_ONLY_WORLD9,
        "world10": READING_MEASURES_ONLY_WORLD10,
        "world17": READING_MEASURES_ONLY_WORLD17,
        "world21": READING_MEASURES_ONLY_WORLD21,
        "world18": READING_MEASURES_ONLY_WORLD18,
        "world8": READING_MEASURES_ONLY_WORLD8,
        "world19": READING_MEASURES_ONLY_WORLD19,
        "world20": READING_MEASURES_ONLY_WORLD20,
        "world12": READING_MEASURES_ONLY_WORLD12,
        "world14": READING_MEASURES_ONLY_WORLD14,
        "world13": READING_MEASURES_ONLY_WORLD13,
        "world16": READING_MEASURES_ONLY_WORLD16,
    },
    "measures_only_recorded": {
        "world16": READING_RECORDED_WORLD16,
        "world17": READING_RECORDED_WORLD17,
        "world18": READING_RECORDED_WORLD18,
        "world19": READING_RECORDED_WORLD19,
        "world20": READING_RECORDED_WORLD20,
        "world21": READING_RECORDED_WORLD21,
        "world22": READING_RECORDED_WORLD22,
    },
    "named_occasions": READING_OCCASIONS,
    "named_visits": READING_NAMED_VISITS,
    "named_visits_spline": READING_NAMED_VISITS,
    "named": READING_NAMED,
    "named_spline": READING_NAMED_SPLINE,
    "measures": READING_MEASURES,
    "rater": READING_RATER,
    "registry": READING_REGISTRY,
    "flexible": READING_FLEXIBLE,
    "level_spline": READING_LEVEL,
    "boosted": READING_BOOSTED,
    "selected": READING_SELECTED,
    "anchored": READING_ANCHORED,
}


if __name__ == "__main__":
    raise SystemExit(main())

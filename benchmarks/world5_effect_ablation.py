"""Which piece of the fifth world makes g-estimation's lean grow with the effect, against our estimand's truth.

Against our estimand's truth (the recorded total's slope change over the first 24 months, ``truth_window``)
both the default and ``nuisance="anchored"`` still read the fifth world high under an effect, and more so
the larger the effect (docs/estimand_calibration.md: +0.021 to +0.046 at 1,000–3,000 patients under E 0.5),
while under no effect anchored is within its bands.  The design of benchmarks/world5_ablation.py (pieces
switched off one at a time and all together, with the same random numbers), but under no effect and under
E = 0.5 on the *same* cohorts (each seed once per effect: the world's random numbers are drawn the same way
whatever the effect), so that the part of the bias that grows with the effect is a paired difference with
its own MCSE: bias under E 0.5 against the estimand's truth minus bias under no effect.  A diagnosis after
the fact, not a tuning: nothing in the estimator changes here.

    .venv/bin/python benchmarks/world5_effect_ablation.py --workers 2 --raw docs/data/world5_effect_ablation.csv --write-md docs/world5_effect_ablation.md
    .venv/bin/python benchmarks/world5_effect_ablation.py --world world6 --workers 2 --raw docs/data/world6_effect_ablation.csv --write-md docs/world6_effect_ablation.md
    .venv/bin/python benchmarks/world5_effect_ablation.py --world world7 --share 0.05 --workers 2 --raw docs/data/world7_effect_ablation.csv --write-md docs/world7_effect_ablation.md
    .venv/bin/python benchmarks/world5_effect_ablation.py --world world8 --patients 1000 --no-rater-rule --workers 2 --raw docs/data/world8_effect_ablation.csv --write-md docs/world8_effect_ablation.md
    .venv/bin/python benchmarks/world5_effect_ablation.py --world world8 --patients 1000 --workers 2 --raw docs/data/world8_effect_ablation_rule.csv --write-md docs/world8_effect_ablation_rule.md
    .venv/bin/python benchmarks/world5_effect_ablation.py --world world9 --patients 1000 --share 0.6 --workers 2 --raw docs/data/world9_effect_ablation.csv --write-md docs/world9_effect_ablation.md
    .venv/bin/python benchmarks/world5_effect_ablation.py --world world10 --patients 1000 --share 0.6 --cohorts 10 --workers 1 --raw docs/data/world10_effect_ablation.csv --write-md docs/world10_effect_ablation.md
    .venv/bin/python benchmarks/world5_effect_ablation.py --world world11 --patients 1000 --share 0.6 --cohorts 10 --workers 2 --raw docs/data/world11_effect_ablation.csv --write-md docs/world11_effect_ablation.md
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import importlib

from results_page import add_raw_arguments, finish, stored_or_run

ENTROPY = 20261223
EFFECT = 0.5
# the default history when this page was run (before 2026-12-07's switch to "measures_only":
# docs/world22_measures_only.md)
HISTORY = "standard"
# the worlds it runs on (--world): module and simulator (the sixth to ninth added after their hold-out
# runs, docs/calibration_world6.md to docs/calibration_world11.md)
WORLDS = {
    "world5": ("fifth_world", "simulate_world5"),
    "world6": ("sixth_world", "simulate_world6"),
    "world7": ("seventh_world", "simulate_world7"),
    "world8": ("eighth_world", "simulate_world8"),
    "world9": ("ninth_world", "simulate_world9"),
    "world10": ("tenth_world", "simulate_world10"),
    "world11": ("eleventh_world", "simulate_world11"),
    "world12": ("twelfth_world", "simulate_world12"),
}


def pieces(world: str) -> dict[str, str]:
    return importlib.import_module(WORLDS[world][0]).PIECES


def piece_sets(world: str) -> tuple[tuple[str, ...], ...]:
    """The default world, each piece switched off alone, and every piece off."""
    names = tuple(pieces(world))
    return ((), *((p,) for p in names), names)


PIECE_SETS = piece_sets("world5")


def label(off: tuple[str, ...], world: str = "world5") -> str:
    return "every piece" if len(off) == len(pieces(world)) else (", ".join(off) or "(none: the default world)")


def run_chunk(
    items: list[tuple], n: int, share: float, nuisance: str, world: str = "world5", adjust_raters: bool = True
) -> list[dict]:
    """Each (pieces off, seed): the cohort under no effect and under E, g-estimated; the bias of each against
    its truth (0, and the cohort's ``truth_window``)."""
    warnings.simplefilter("ignore")
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:  # Dask worker processes
        sys.path.insert(0, here)
    from alscell.analysis.g_estimation import g_estimation

    simulate = getattr(importlib.import_module(WORLDS[world][0]), WORLDS[world][1])

    rows = []
    for off, seed in items:
        row = dict(off=label(off, world), seed=int(seed))
        for e in (0.0, EFFECT):
            c = simulate(n, e, share, int(seed), frozenset(off))
            est = g_estimation(c.tables, nuisance=nuisance, adjust_raters=adjust_raters, history=HISTORY)
            truth = c.truth_window if e else 0.0
            key = "null" if e == 0 else "effect"
            row |= {f"{key}_bias": est.estimate - truth, f"{key}_covered": est.ci_low <= truth <= est.ci_high}
        rows.append(row)
    return rows


def markdown(raw: pd.DataFrame) -> str:
    """Per variant: bias under no effect, bias under E against the estimand's truth, and their paired
    difference (the part that grows with the effect), each with its MCSE; ✗ where outside 2 MCSE of 0."""
    lines = [
        "| pieces switched off | cohorts | bias under no effect (MCSE) | coverage | bias under E 0.5, estimand's "
        "truth (MCSE) | coverage | the part that grows with E: paired difference (MCSE) |",
        "|---|---|---|---|---|---|---|",
    ]

    def cell(x: np.ndarray) -> str:
        m, s = float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x)))
        return f"{m:+.4f} ({s:.4f})" + (" ✗" if abs(m) > 2 * s else "")

    for off, g in raw.groupby("off", sort=False):
        null, eff = g["null_bias"].to_numpy(float), g["effect_bias"].to_numpy(float)
        lines.append(f"| {off} | {len(g)} | {cell(null)} | {g['null_covered'].mean():.2f} | {cell(eff)} | "
                     f"{g['effect_covered'].mean():.2f} | {cell(eff - null)} |")  # fmt: skip
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--cohorts", type=int, default=40)
    ap.add_argument("--patients", type=int, default=3000)
    ap.add_argument("--share", type=float, default=0.3)
    ap.add_argument("--world", default="world5", choices=tuple(WORLDS))
    ap.add_argument("--nuisance", default="parametric", help="g_estimation's nuisance models (NUISANCES)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--no-rater-rule", action="store_true",
        help="g_estimation(adjust_raters=False): the default before the rater rule (alscell.analysis.rater)",
    )  # fmt: skip
    add_raw_arguments(ap)
    ap.add_argument("--write-md", default=None)
    args = ap.parse_args(argv)

    from rich.console import Console

    from alscell.simulate.study import run_study, study_seeds

    console = Console()
    sets = piece_sets(args.world)
    items = [(off, seed) for off in sets for seed in study_seeds(ENTROPY, args.cohorts)]
    raw = stored_or_run(ap, args, lambda: run_study(
        run_chunk, items, task_args=(args.patients, args.share, args.nuisance, args.world, not args.no_rater_rule), chunk=2, workers=args.workers,
        label=f"{args.world} effect ablation", console=console,
    ))  # fmt: skip
    order = {label(off, args.world): k for k, off in enumerate(sets)}
    raw = raw.sort_values("off", key=lambda s: s.map(order), kind="stable")
    finish(
        console, markdown(raw), float(raw["run_minutes"].max()), args.write_md, MD, "world5_effect_ablation.py",
        argv, entropy=ENTROPY, n=args.patients, share=args.share, nuisance=args.nuisance, workers=args.workers,
        pieces="\n".join(f"* `{k}`: {v}" for k, v in pieces(args.world).items()),
        reading=READINGS[args.world] if args.no_rater_rule else READINGS.get(f"{args.world}+rule", READINGS[args.world]),
        raters=", adjust_raters=False" if args.no_rater_rule else "",
        world=NAMES[args.world], title=NAMES[args.world].capitalize(),
    )  # fmt: skip
    return 0


MD = """# {title} world: which piece makes the lean grow with the effect

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}; the run time
is the run's that stored the cohorts).  What is measured and why: the docstring of
`benchmarks/world5_effect_ablation.py`.  `g_estimation(nuisance="{nuisance}"{raters})` on {world}-world cohorts of {n}
patients, {share:.0%} of them treated, each cohort under no effect and under E = 0.5 with the same random
numbers, with pieces of the world switched off (each variant differs from the default world in the named
pieces only):

{pieces}

✗: outside 2 MCSE of 0.

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the table above after its first run (rerun to check).  **Death makes the part of the lean
  that grows with the effect.**  In the default world the default's bias against the estimand's truth is
  +0.0067 under no effect and +0.0334 under E = 0.5: +0.0267 (MCSE 0.0016) grows with the effect.  Switched
  off one at a time, no other piece removes it (+0.0256 to +0.0515; without missed visits it doubles), while
  without death or tracheostomy it falls to +0.0029 (0.0010).  With every piece off it turns negative
  (−0.0299): without spread, death and dropout patients are followed to the floor, another world.
* Why death: the fifth world's death follows the respiratory domain on the treated clock, so a treated patient
  is seen for months the untreated course would not have lived.  The estimand's truth on
  docs/estimand_calibration.md compares the treated and untreated expected totals *at the visits seen under
  treatment* — as if the untreated patient were alive and seen then — while the estimator compares starters
  with non-starters who are seen only while alive.  Our estimand handles death *while observed*
  (docs/evidence.md), which is the estimator's comparison, not that truth's: docs/estimand_observed.md judges
  the same stored cohorts against the while-observed truth (each course's slope over its own visits)."""


READING_WORLD6 = """* Written from the table above after its first run (rerun to check).  **The physician's rule makes the
  sixth world's null lean**: +0.0385 (MCSE 0.0022) under no effect in the default world, +0.0022 (0.0025)
  without the rule (diagnosis at most 36 months old, age at most 75, no NIV recorded); every other piece
  alone leaves it (+0.0355 to +0.0547; without death +0.0188).  The rule's three conditions are recorded —
  the date of diagnosis, the year of birth, the NIV start in the events table — but the estimator's history
  holds none of them (months since onset and entry, the total and its declines), and each bears on the
  course: a patient on NIV, or older, declines differently, and is not treated.  docs/world6_history.md:
  age and site in the history take 37% of the lean (+0.0568 → +0.0359 there).
* **Death makes the part that grows with the effect**, as on the fifth world (docs/world5_effect_ablation.md):
  +0.0231 (0.0010) in the default world, +0.0045 (0.0007) without death, with every piece off −0.0004."""

READING_WORLD7 = """* Written from the table above after its first run (rerun to check).  **The ranking of the waiting list
  by the recorded total makes the seventh world's lean with 5% treated**: +0.0507 (MCSE 0.0045) under no
  effect in the default world (coverage 0.53), +0.0049 (0.0076) with the list in a random order (coverage
  1.00); every other piece alone leaves it (+0.0399 to +0.0585; without death +0.0399), and with every piece
  off it is gone (−0.0001).  Under an effect the lean is the same (+0.0501; nothing grows with E but a
  +0.0023 without death).
* Why, as we read it (a hypothesis, not measured on this page): with 5% treated the few starters are the
  top of each wave's list — the highest last complete totals among the listed, a rank within the wave, not a
  level — so they sit at the edge of the histories, where the decision model (a logistic in the history)
  and the outcome regression (linear in it) both extrapolate; with 30% and 60% treated the starters are no
  longer at that edge (docs/calibration_world7.md: the lean +0.015 at 30% × 1,000 patients, within the bands
  with 60%).  The ranking uses recorded totals only, so the decision is ignorable given the history: a
  failure of the models' form, not of what they hold, which is why `history="registry"` changed nothing."""

READING_WORLD8 = """* Written from the table above after its first run (rerun to check; 1,000 patients, 30% treated).  **The
  phone rating of the call for cells makes the eighth world's lean**: −0.2027 (MCSE 0.0107) under no effect
  in the default world (coverage 0.15), +0.0387 (0.0104) when phone ratings read like a clinician's.  In this
  world every patient asks for cells by phone and the call is recorded as a phone-rated visit that reads
  0.2 per item high; it is the decision visit, so every slope the estimator measures from it starts too
  high, and the history does not say who rated the visit.  Death halves the lean (−0.0985: with shorter
  follow-up the first visit weighs more in each slope); every other piece alone leaves it (−0.13 to −0.27).
* Without the phone bias a lean *for* treatment of +0.039 remains, and +0.006 with every piece off; this
  page does not say which piece makes that (each row switches one piece off with the phone bias on).
* Under an effect the lean is nearly the same (+0.0098 grows with E; +0.0362 without the informative
  visits).
* This page is the default as it was when the eighth world was judged (`--no-rater-rule`,
  `g_estimation(adjust_raters=False)`): since then the default adds who rated each visit to the history when
  the starts were rated differently from the other visits (alscell.analysis.rater; docs/evidence.md, "Who
  rated the visit")."""

READING_WORLD9 = """* Written from the table above after its first run (rerun to check; 1,000 patients, 60% treated; the rater
  rule is on and does not fire on this world: docs/calibration_world9.md).  **No piece makes the ninth
  world's lean**: +0.0724 (MCSE 0.0082) under no effect in the default world; every piece switched off alone
  leaves +0.050 to +0.101 (the least without the FVC-driven visits, +0.0500, coverage 0.93; the most without
  the FVC trigger, +0.1011), and with every piece off +0.0520 (0.0041) remains, coverage 0.47.
* So the lean sits in what no piece switches off: the eligibility rule (two recorded FVCs, FVC at least 50%,
  total at least 24, diagnosis within 48 months, age at most 80, no NIV or gastrostomy), the decision's
  remaining terms (age, a recent phone visit) and the course itself (each domain drifting at its own rate,
  read through the patient's own order of item points).  Our reading, not measured here: FVC is recorded,
  decides eligibility and predicts the course, and is in no history the default has (nor in the registry
  history); a history holding the latest FVC and its change is the next candidate — and would need a tenth
  world held out from it.
* Nothing grows with the effect in the default world (+0.0021)."""

READING_WORLD8_RULE = """* Written from the table above after its first run (rerun to check; 1,000 patients, 30% treated, the default
  with the rater rule, which fired in every eighth-world cohort of docs/g_rater_calibration.md).  **The rule removes what the
  phone rating did**: with phone ratings like a clinician's the lean is +0.0402 against +0.0501 with them
  (before the rule −0.2027, docs/world8_effect_ablation.md).
* **What is left, +0.0501 (MCSE 0.0144) for treatment under no effect, has no single piece**: every piece
  alone leaves a lean between +0.025 and +0.074; the frailty shared by the course, death, withdrawal and the
  wish for cells (+0.0284), the patients' lasting item offsets (+0.0301), the registry's prevalent entry
  (+0.0252) and the unrecorded will (+0.0326) each take about half of it; without the informative visits,
  the weight trigger or the spread it is larger (+0.071 to +0.074).  With every piece off it is gone (+0.0021).
  Part of it is by design out of reach (the unrecorded will, tied to the frailty, is unmeasured
  confounding); the rest is several recorded-but-unmodelled pieces acting together, and with 40 cohorts of
  1,000 patients the single pieces' shares are known only to about ±0.03."""

# each world's reading; "<world>+rule": the eighth world's with the rater rule on (the default since it), which
# the earlier worlds' pages need not tell apart (the rule does not fire there: docs/g_rater_calibration.md)
READING_WORLD10 = """* Written from the table above after its first run (rerun to check; 1,000 patients, 60% treated, only 10
  cohorts per row: MCSEs of 0.01 to 0.035, so only large shares are read).  The default, with both rater
  rules on, leans +0.142 under no effect in the default world.  **No single piece makes it**: the rater
  offsets (self, caregiver, phone) each take about 0.01, the home self-ratings between reviews about a third
  (+0.096, MCSE 0.035), the rest nothing; with every piece off +0.060 (MCSE 0.035) is left.  The four pieces
  of the referral decision (SVC level and fall, the site's propensity, the unrecorded will) give rows
  identical to the default world's: at 60% treated every patient who meets the eligibility window at an
  in-person review is referred at the first one, so who is treated and when is set by the window (an earlier
  SVC on record, SVC ≥ 60%, total ≥ 30, within 30 months of onset, age ≤ 75, no NIV or gastrostomy) and the
  review rhythm, not by the decision's terms.  Our reading (not measured): as on the ninth world, the lean
  sits in an eligibility on recorded values and a rhythm of visits the history does not hold (the starts are
  the in-person reviews, and the history does not know which visits those are).  Nothing grows with E in
  the default world (−0.002); with the fading switched off (an effect that lasts) the lean grows by +0.022.  A larger run (40 cohorts) would resolve the rater pieces' shares."""

READING_WORLD11 = """* Written from the table above after its first run (rerun to check; 1,000 patients, 60% treated, 10 cohorts per
  row: the paired difference's MCSE 0.002–0.004, each bias's about 0.01).  Under no effect the default is within
  2 MCSE of 0 in the default world (−0.016, MCSE 0.011).  **The part of its lean that grows with E (+0.037 under
  E 0.5, against our estimand's truth) is no single piece's**: switching off the quarter of the slowing outside
  the injected limb (`systemic`) halves it (+0.018), the spread between segments (`coupling`) takes two fifths
  (+0.022); every other piece leaves it between +0.033 and +0.046; with every piece off +0.011 (MCSE 0.0007) is
  left.  The four pieces of the decision give rows identical to the default world's (at 60% treated every
  eligible patient is referred, as on the tenth world), and neither death nor the pulses make it.
* So the lean under an effect sits in how the effect reaches the recorded total (partly through segments other
  than the injected limb, and through the spread between segments), not in who is treated; why the estimator
  weighs that differently from our estimand's truth is not measured here."""

READING_WORLD12 = """* Written from the table above after its first run (rerun to check; 1,000 patients, 60% treated, 10 cohorts per
  variant).  With 60% asked for and only about half the patients ever eligible, every eligible patient starts at
  the first eligible visit, so the choice's terms (CHI3L1, ALSAQ-40, site, the unrecorded wish) change nothing
  here: their rows equal the default world's to the last digit.  Who is treated is the eligibility's doing.
* Under no effect the default is +0.057 (MCSE 0.031), within 2 MCSE at 10 cohorts (docs/calibration_world12.md,
  20 cohorts at 1,000 × 60%: +0.045, outside); without the El Escorial rule +0.091 (0.019).
* **The part that grows with the effect is negative** (−0.026, MCSE 0.003): under E 0.5 the default reads our
  estimand's truth lower than it reads no effect.  Without the lag (the slowing at once, gone at once) it turns
  to +0.049, with one infusion instead of up to four to +0.006, without death to +0.010; no other piece alone
  moves it much.  So the effect's build-up over months and the repeated cycles make the estimator's windows weigh
  the slowing differently from our estimand's truth; not split further here."""

READINGS = {
    "world5": READING,
    "world6": READING_WORLD6,
    "world7": READING_WORLD7,
    "world8": READING_WORLD8,
    "world8+rule": READING_WORLD8_RULE,
    "world9": READING_WORLD9,
    "world10": READING_WORLD10,
    "world11": READING_WORLD11,
    "world12": READING_WORLD12,
}
NAMES = {
    "world5": "fifth",
    "world6": "sixth",
    "world7": "seventh",
    "world8": "eighth",
    "world9": "ninth",
    "world10": "tenth",
    "world11": "eleventh",
    "world12": "twelfth",
}


if __name__ == "__main__":
    raise SystemExit(main())

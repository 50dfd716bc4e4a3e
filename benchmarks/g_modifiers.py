"""g-estimation with effect modifiers on the five worlds: the starters' average and the test of modification.

``g_estimation(..., modifiers=...)`` (``alscell effect --modifiers``) lets the slope change depend on the
history at the start (``alscell.analysis.g_estimation``, "Effect modifiers").  Two questions, on the same
cohorts (3,000 patients; 30% and 60% treated; no effect and E = 0.5; the calibration's worlds through
``benchmarks/calibration._cohort``):

* does its headline, the starters' average, lie nearer the truth than the default's single δ, and at what
  price in SE?  (truth: E on ``simulate`` and the second world, the realised slope change on the held-out
  worlds, as in the calibration pages);
* is the test of modification honest: about 5% rejections where the slope change does not depend on the
  modifier and power where it does?  Where it does, by construction: nowhere under no effect; under an
  effect the fourth world's effect is a constant in logits, so in points it is smaller near the floor and
  ceiling (depends on the level), and the fifth world's slows each domain's clock, so in points it grows
  with the speed of decline; the third world's responders are drawn at random, but its treated course is
  clipped to the scale, so in points the effect is smaller near the floor; ``simulate`` (one effect for all
  on the latent course) and the second world (Gamma, independent of everything) have none by construction
  — but a floor that hides an effect added to the latent course can make one appear in the observed scores.

    .venv/bin/python benchmarks/g_modifiers.py --workers 2 --write-md docs/g_modifiers.md
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results_page import finish

ENTROPY = 20261219
WORLDS = ("simulate", "world2", "world3", "world4", "world5")
CELLS = tuple((share, effect) for share in (0.3, 0.6) for effect in (0.0, 0.5))
# the default history when this page was run (before 2026-12-07's switch to "measures_only":
# docs/world22_measures_only.md)
HISTORY = "standard"
# each variant: the keyword arguments of g_estimation (benchmarks/g_history.py passes its own)
VARIANTS = {
    "default": {"history": HISTORY},
    "decline": {"modifiers": ("decline",), "history": HISTORY},
    "level+decline": {"modifiers": ("level", "decline"), "history": HISTORY},
}
# a phrase of the warnings of alscell.analysis.rater (recorded per cohort as ``rater_warned``; the stored
# cohorts of docs/data/g_rater_calibration, world8_calibration and world9_calibration were run when the warning
# said "rated by someone other than a clinician")
RATER_WARNING = "rated differently from the others"


def run_chunk(items: list[tuple], n: int, variants: dict[str, dict] | None = None) -> list[dict]:
    """Every ((world, share, E), seed) cohort through every variant of ``g_estimation``: one row each, with the
    truth (E, or the held-out worlds' realised slope change; 0 under no effect) and the modifiers' p-values."""
    warnings.simplefilter("ignore")
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:  # Dask worker processes
        sys.path.insert(0, here)
    import calibration
    from alscell.analysis.g_estimation import g_estimation

    rows = []
    runs = variants or VARIANTS
    # a variant that reads the recorded decision dates and visit types has every variant's cohort record them
    record = any(kw.get("record_occasions") for kw in runs.values())
    for (world, share, effect), seed in items:
        tables = calibration._cohort(world, n, share, effect, int(seed), record_occasions=record)
        truth = calibration._realised.get((n, share, effect, int(seed)), effect) if effect else 0.0
        for name, kwargs in runs.items():
            kwargs = {k: v for k, v in kwargs.items() if k != "record_occasions"}
            if "adjust_for" in kwargs:  # what this world's rule reads, and its occasions (benchmarks/named_inputs.py)
                from named_inputs import resolved

                kwargs = resolved(kwargs, world)
            e = g_estimation(tables, **kwargs)
            row = dict(world=world, share=share, E=effect, seed=int(seed), variant=name, truth=truth,
                       estimate=e.estimate, se=e.se, ci_low=e.ci_low, ci_high=e.ci_high, p_value=e.p_value,
                       rater_warned=any(RATER_WARNING in w for w in e.warnings))  # fmt: skip
            for m in e.details.get("effect_modification", []):
                row[f"p_{m['modifier']}"] = m["p_value"]
            for nuisance, kept in e.details.get("nuisance_choices", {}).items():  # nuisance="selected"
                row[f"boosted_{nuisance}"] = float(np.mean([k == "boosted" for k in kept]))
            rows.append(row)
    return rows


def bias_coverage(x: pd.DataFrame) -> str:
    """ "bias (MCSE) | coverage" of one variant's cohorts against their truth (cohorts without an estimate left out)."""
    x = x.dropna(subset=["estimate"])
    b = (x["estimate"] - x["truth"]).to_numpy(float)
    cov = float(((x["ci_low"] <= x["truth"]) & (x["truth"] <= x["ci_high"])).mean())
    return f"{b.mean():+.4f} ({b.std(ddof=1) / np.sqrt(len(b)):.4f}) | {cov:.2f}"


def _rate(p: pd.Series) -> str:
    ok = p.dropna()
    return "—" if ok.empty else f"{(ok < 0.05).mean():.2f}"


def markdown(raw: pd.DataFrame) -> str:
    lines = [
        "| world | share | E | cohorts | truth | default: bias (MCSE) | coverage | with `decline`: bias (MCSE) "
        "| coverage | SE ratio | with `level`, `decline`: bias (MCSE) | coverage | modification found: "
        "`decline` alone | `level` | `decline` |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (world, share, eff), d in raw.groupby(["world", "share", "E"], sort=False):
        v = {name: g.reset_index(drop=True) for name, g in d.groupby("variant", sort=False)}
        cells = [bias_coverage(v[name]) for name in VARIANTS]
        ratio = float((v["decline"]["se"] / v["default"]["se"]).median())
        lines.append(
            f"| {world} | {share:.0%} | {eff} | {len(v['default'])} | {v['default']['truth'].mean():+.3f} | "
            f"{cells[0]} | {cells[1]} | {ratio:.2f} | {cells[2]} | {_rate(v['decline']['p_decline'])} | "
            f"{_rate(v['level+decline']['p_level'])} | {_rate(v['level+decline']['p_decline'])} |"
        )
    return "\n".join(lines)


def five_world_main(argv, doc: str | None, chunk_fn, markdown_fn, md: str, reading: str, entropy: int,
                    script: str) -> int:  # fmt: skip
    """The main of a page that runs variants of ``g_estimation`` on the five worlds' CELLS at one cohort size
    (this script's and benchmarks/g_history.py's): ``chunk_fn(items, patients)`` gives the rows,
    ``markdown_fn`` the table."""
    ap = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    ap.add_argument("--cohorts", type=int, default=40)
    ap.add_argument("--patients", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--write-md", default=None)
    args = ap.parse_args(argv)

    from rich.console import Console

    from alscell.simulate.study import run_study, study_seeds

    console = Console()
    seeds = study_seeds(entropy, args.cohorts)
    items = [((w, share, eff), s) for w in WORLDS for share, eff in CELLS for s in seeds]
    t0 = time.perf_counter()
    rows = run_study(
        chunk_fn, items, task_args=(args.patients,), chunk=4, workers=args.workers,
        label=script.removesuffix(".py"), console=console,
    )  # fmt: skip
    minutes = (time.perf_counter() - t0) / 60
    finish(
        console, markdown_fn(pd.DataFrame(rows)), minutes, args.write_md, md, script, argv,
        entropy=entropy, cohorts=args.cohorts, n=args.patients, workers=args.workers, reading=reading,
    )  # fmt: skip
    return 0


def main(argv=None) -> int:
    return five_world_main(argv, __doc__, run_chunk, markdown, MD, READING, ENTROPY, "g_modifiers.py")


MD = """# g-estimation with effect modifiers on the five worlds

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}).  What is
measured and why: the docstring of `benchmarks/g_modifiers.py`.  `g_estimation` on {cohorts} cohorts of {n}
patients per cell, three ways on the same cohorts: the default (one slope change δ), with the modifier
`decline` (ΔFRS at the start: the mean loss per month since onset) and with `level` (the total at the start)
and `decline`.  Truth: E on `simulate` and `world2`, the realised slope change on the held-out worlds (as on
their calibration pages; 0 under no effect).  "SE ratio": median over cohorts of the SE with `decline` over
the default's.  "Modification found": share of cohorts whose test of the modifier's slope rejects at 5%.

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """\
* Written from the table above after its first full run (rerun to check).  **The test of modification is
  honest where the decision follows the recorded history.**  Under no effect (nothing to find) it rejects in
  0–5% of the cohorts on `simulate`, 0–12% on the third world, 5–10% on the fourth and 0–10% on the fifth:
  within the ±2 MCSE band around 5% with 40 cohorts (up to 11.9%), one cell at 12% on its edge; on
  `simulate` under an effect 0–3%.  Under E = 0.5 it finds the fifth world's modification (an effect that grows with the speed of decline) in
  93–100% of the cohorts, and the third world's in 65–93% (`level`, and `decline` alone as its proxy):
  there the treated course is clipped to the scale, so an effect in points is smaller near the floor — real
  in the observed scores although the world's responders are drawn at random.  The fourth world's (an
  effect constant in logits, so smaller in points near the floor and ceiling) it finds in only 3–17% (`level`:
  10–17%): the modification is there but small over the levels at which patients start.
* **Where treatment follows the unrecorded true slope (the second world) it is not honest**: it "finds"
  modification in 47–75% of the cohorts under no effect (38–80% under an effect).  That is the headline's own failure there (the
  default leans +0.01 to +0.10): the confounding by the true slope differs with the recorded decline and the
  modifier's slope absorbs part of it — which also pulls the average towards the truth (+0.077 → +0.051 at
  60% treated, no effect) without making it honest (coverage 0.60).
* **The average over the starters is the default's number elsewhere**: within 0.005 points/month of the
  single δ on `simulate` and the third to fifth worlds, at an SE between 2% smaller and 11% larger.  So in these worlds the
  single δ is, in practice, the starters' average: the fifth world's gap under an effect (+0.06) is not
  that δ weighting patients unevenly (with `decline`, whose modification it finds every time, the gap is
  +0.068 instead of +0.063) — it is the horizon and the null lean (`docs/world5_estimand.md`).  The
  hand-made course of `tests/analysis/test_g_modifiers.py`, where the effect grows steeply with the speed
  of decline and treatment follows drops, is the kind of registry where the two differ.
* So: an option for the question "does it work better in some patients?", answered honestly where the
  headline is honest, not a new default."""


if __name__ == "__main__":
    raise SystemExit(main())

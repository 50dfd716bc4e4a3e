"""Why the default's 95% interval covers too rarely in small second-world cohorts (issue 10, open).

docs/calibration.md finds ``lmm_counterfactual`` on ``benchmarks/second_world.py`` at 200 patients outside
the coverage band under no effect (30% and 60% treated) with a bias of only about a tenth to a quarter of its
SE: the interval is too narrow, not mainly shifted.  This page switches the world's pieces off
(``second_world.PIECES``, as docs/world2_ablation.md does for the bias at 3,000 patients) and shows, per
variant, the spread of the estimates against the reported SEs, the standardised estimates' SD, how strongly
each cohort's estimate and SE move together, the Bell–McCaffrey df and the coverage, judged at the nominal
0.95 (Morris, White & Crowther 2019).

    .venv/bin/python benchmarks/world2_coverage.py --workers 2 --write-md docs/world2_coverage.md
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results_page import finish
from world2_ablation import ablation_parser, run_chunk, summarise

ENTROPY = 20261207
SHARES = (0.3, 0.6)
VARIANTS: tuple[tuple[str, ...], ...] = (
    (),
    ("slope_selection",),
    ("threshold",),
    ("lookahead",),
    ("curvature",),
    ("floor",),
    ("death",),
    ("loss",),
    ("death", "loss"),
    ("slope_selection", "death", "loss"),
)
NOMINAL = 0.95


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; NaN when either does not vary (no warning)."""
    return float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else float("nan")


def spread(raw: pd.DataFrame) -> pd.DataFrame:
    """Per (share, variant): the ablation's bias and coverage of 0 (``world2_ablation.summarise``), and the
    empirical SE, root mean squared reported SE, SD of estimate/SE, correlation of estimate and SE over
    cohorts, mean df and a verdict on the coverage at the nominal 0.95 ± 2 MCSE."""
    keys = ["share", "off"]
    out = summarise(raw, keys).drop(columns=["bias_se", "verdict"])
    extra = []
    for _, d in raw.groupby(keys, sort=False):
        est, se = d["estimate"].to_numpy(dtype=float), d["se"].to_numpy(dtype=float)
        extra.append(
            dict(
                emp_se=float(est.std(ddof=1)),
                model_se=float(np.sqrt(np.mean(se**2))),
                z_sd=float(np.std(est / se, ddof=1)),
                corr_est_se=_corr(est, se),
                df=float(d["df"].mean()),
            )
        )
    out = pd.concat([out, pd.DataFrame(extra)], axis=1)
    band = 2 * np.sqrt(NOMINAL * (1 - NOMINAL) / out["k"])
    out["verdict"] = np.where((out["coverage"] - NOMINAL).abs() <= band, "ok", "OUTSIDE")
    return out


def markdown(perf: pd.DataFrame) -> str:
    lines = [
        "| share treated | pieces switched off | cohorts | bias (MCSE) | emp. SE | model SE | SD of estimate/SE | "
        "corr(estimate, SE) | mean df | coverage of 0 (MCSE) | coverage within 0.95 ± 2 MCSE |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in perf.itertuples(index=False):
        lines.append(
            f"| {r.share:.0%} | {r.off} | {r.k} | {r.bias:+.4f} ({r.bias_mcse:.4f}) | {r.emp_se:.3f} | "
            f"{r.model_se:.3f} | {r.z_sd:.2f} | {r.corr_est_se:+.2f} | {r.df:.1f} | {r.coverage:.3f} ({r.coverage_mcse:.3f}) | "
            f"{r.verdict} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = ablation_parser(__doc__)
    ap.set_defaults(cohorts=200, patients=200)
    args = ap.parse_args(argv)

    from rich.console import Console

    from alscell.simulate.study import run_study, study_seeds

    console = Console()
    seeds = study_seeds(ENTROPY, args.cohorts)
    items = [(off, s) for off in VARIANTS for s in seeds]
    t0 = time.perf_counter()
    raw = []
    for share in SHARES:
        rows = run_study(
            run_chunk, items, task_args=(args.patients, share, args.method), chunk=10, workers=args.workers,
            label=f"world2 coverage, {share:.0%} treated", console=console,
        )  # fmt: skip
        raw += [dict(r, share=share) for r in rows]
    minutes = (time.perf_counter() - t0) / 60
    table = markdown(spread(pd.DataFrame(raw)))
    finish(
        console, table, minutes, args.write_md, MD, "world2_coverage.py", argv, entropy=ENTROPY, n=args.patients,
        method=args.method, workers=args.workers, reading=READING,
    )  # fmt: skip
    return 0


MD = """# Second world, small cohorts: why the interval is too narrow

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}).  A
diagnostic for issue 10: `docs/calibration.md` is the calibration, `docs/world2_ablation.md` the same
pieces switched off for the bias at 3,000 patients.

The estimator `{method}` under no effect on `benchmarks/second_world.py` cohorts of {n} patients, with
pieces of that world switched off (the random numbers stay the same, so each variant differs from the
default world in the named pieces only).  "Model SE": root mean squared reported SE (CR2); "SD of
estimate/SE": 1 (a little more with the t df) when the reported SE is right for every cohort;
"corr(estimate, SE)": over cohorts.

{table}

Run time {minutes:.1f} min, {workers} worker process(es), Python {python}.

## Reading it

{reading}
"""

READING = """* Written from the table above (rerun to check).  **30% treated, the default world**: coverage 0.88, outside
  the band, with a bias of −0.030 (about a quarter of the SE) and estimates that spread more than the SEs say
  (SD of estimate/SE 1.26); a cohort's estimate and its SE rise and fall together (correlation +0.45), so the
  cohorts whose estimate lies low are those with the smallest SE, and that is where the interval misses.
* **The piece**: without the choice of *who* is treated by their own true slope (row `slope_selection`) the
  coverage is 0.96 and the SD of estimate/SE 0.99 — the same piece that biases the default at 3,000 patients
  (docs/world2_ablation.md, not identifiable from the observed visits), here also making the SE too small.
  The default warns in these cohorts that treated and untreated patients were losing points at different
  rates before their first visit (the "warned" column of docs/calibration.md).  Without the threshold rule
  the coverage is within the band (0.925), without the look-ahead it is not (0.86).
* Switching off curvature, the floor or death (alone), or death and loss together with the selection, makes
  coverage *worse*: those pieces lean the other way and partly cancel the selection's lean, as at 3,000
  patients.  Over every row the SD of estimate/SE is 0.99–1.35: on this world the CR2 SE with Bell–McCaffrey
  df is right only where the treated are chosen at random.
* **60% treated, the default world**: coverage 0.945 and SD of estimate/SE 1.03 on these 200 cohorts, where
  docs/calibration.md found 0.86 on its 100 (other seeds): two samples of the same cell, which together
  point to a small shortfall at most; the calibration page's failing cell is partly chance."""


if __name__ == "__main__":
    raise SystemExit(main())

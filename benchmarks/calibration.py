"""Calibration of the default treatment-effect estimator on two worlds (ADEMP; Morris, White & Crowther 2019).

Aims        Is ``lmm_counterfactual`` (the default of ``alscell effect``) honest under no effect *and* under a
            true effect, at any cohort size and any share treated, on data it was not tuned to?
Data        world ``simulate``: ``alscell.simulate`` registry (D50 courses, treatment after a bad-looking
            drop, informative dropout and death); world ``world2``: ``benchmarks/second_world.py``
            (linear-quadratic courses, heterogeneous effects, level-based selection of fast progressors,
            its own death and loss-to-follow-up processes).  Effects {0, 0.2, 0.5} points/month × cohort
            sizes {200, 1000, 3000} × treated share {5%, 30%, 60%}; common random numbers across effects.
Estimand    Mean change of the ALSFRS-R slope after the first treatment (points/month; truth = the
            simulated mean effect E).
Performance rejection (α = 0.05), 95% CI coverage, bias, relative bias (bias / mean model SE), empirical
            and model SE, each with its Monte Carlo SE; rates judged at nominal ± 2 MCSE (computed at the
            nominal value), bias judged against 0 ± 2 MCSE.

    .venv/bin/python benchmarks/calibration.py --write-md docs/calibration.md    # full grid, Dask LocalCluster
    .venv/bin/python benchmarks/calibration.py --quick                           # ≤ 3 min
    .venv/bin/python benchmarks/calibration.py --scheduler tcp://host:8786        # a Dask cluster
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

ENTROPY = 20240917
WORLDS = ("simulate", "world2")
EFFECTS = (0.0, 0.2, 0.5)
SIZES = (200, 1000, 3000)
SHARES = (0.05, 0.3, 0.6)
# the default; the same model with the floor and ceiling of the scale (lmm_bounded); and the doubly robust
# g-estimator whose consistency rests on the decision model instead
METHODS = ("lmm_counterfactual", "lmm_bounded", "g_estimation")
# The default's warnings about data it is not calibrated on (alscell.analysis.effects): few treated
# patients, and treated patients who were declining at another rate at entry (selection on the slope).
WARNINGS = ("treated patients have visits after treatment", "losing points")
# Its warning that the first treatments followed unusually steep drops (alscell.analysis.trigger_drop):
# counted in a column of its own, because it describes how treatment was decided, not a failure by itself.
TRIGGER_WARNING = "unusually steep drops"
# Its pre-trend (placebo) warning: the treated patients' courses had bent in the months before treatment
# (alscell.analysis.pretrend; added after the third world showed a failure no other warning caught).
PRETREND_WARNING = "months before treatment (a slope change"


def registry_config(n: int, share: float, effect: float):
    """The ``alscell.simulate`` registry of world ``simulate`` (also the base of benchmarks/simulate_ablation.py)."""
    from alscell.simulate import CohortConfig

    return CohortConfig(
        n_patients=n,
        design="registry",
        effect=effect,
        treated_fraction=share,
        selection_on_bad_visit=1.0,
        informative_dropout=1.0,
    )


# The held-out worlds (module, simulator), each with the realised slope change per cohort and its own page:
# docs/calibration_world3.md, docs/calibration_world4.md, docs/calibration_world5.md, docs/calibration_world6.md,
# docs/calibration_world7.md, docs/calibration_world8.md, docs/calibration_world9.md, docs/calibration_world10.md,
# docs/calibration_world11.md, docs/calibration_world12.md, docs/calibration_world13.md, docs/calibration_world14.md
HELD_OUT = {
    "world3": ("third_world", "simulate_world3"),
    "world4": ("fourth_world", "simulate_world4"),
    "world5": ("fifth_world", "simulate_world5"),
    # held out from the choice between g-estimation's candidates (docs/calibration_world6.md)
    "world6": ("sixth_world", "simulate_world6"),
    # held out from the choice of history="registry" (docs/calibration_world7.md)
    "world7": ("seventh_world", "simulate_world7"),
    # held out from every choice made before 2026-12-05, evening (docs/calibration_world8.md)
    "world8": ("eighth_world", "simulate_world8"),
    # held out from the rater rule (docs/calibration_world9.md)
    "world9": ("ninth_world", "simulate_world9"),
    # held out from the rule for raters after the start and the registry terms' contrast
    # (docs/calibration_world10.md)
    "world10": ("tenth_world", "simulate_world10"),
    # held out from history="measures" (written blind on 2026-12-06 after that candidate was committed;
    # docs/calibration_world11.md)
    "world11": ("eleventh_world", "simulate_world11"),
    # held out from --adjust-for (docs/named_inputs.md)
    "world12": ("twelfth_world", "simulate_world12"),
    # held out from --adjust-shape spline (written blind on 2026-12-06 while that option was built, committed
    # after it; docs/calibration_world13.md)
    "world13": ("thirteenth_world", "simulate_world13"),
    # held out from --decision-lag and the visit process's terms (written blind on 2026-12-06, the thirtieth
    # session, while they were built, committed before any estimator ran on it; docs/calibration_world14.md)
    "world14": ("fourteenth_world", "simulate_world14"),
    # held out from the recorded decision occasions (treatments.decision_date, alsfrs.visit_type, --decision-visits,
    # --leave-out-visits): written blind on 2026-12-06, the thirty-first session, with the columns recorded from its
    # start, registered before any estimator ran on it (docs/decision_occasions.md)
    "world15": ("fifteenth_world", "simulate_world15"),
    # held out from what the thirty-second session builds for visits that follow the course (urgent contacts,
    # admissions, home reviews) beside the decision occasions: written blind on 2026-12-06 with the columns recorded
    # from its start, registered before any estimator ran on it (benchmarks/decision_occasions.py, JUDGED)
    "world16": ("sixteenth_world", "simulate_world16"),
    # held out from what the thirty-third session builds for the named estimate with most patients treated: written
    # blind on 2026-12-06 with the columns recorded from its start, registered before any estimator ran on it
    # (benchmarks/decision_occasions.py, JUDGED)
    "world17": ("seventeenth_world", "simulate_world17"),
    # held out: written blind on 2026-12-06 with the columns recorded from its start, decisions at the cell programme's
    # own visits, registered before any estimator ran on it (benchmarks/eighteenth_world.py)
    "world18": ("eighteenth_world", "simulate_world18"),
    # held out from the recorded screening (alsfrs.eligible, read by the default since 34cda55): written blind on
    # 2026-12-07 with the screening and the occasions recorded, registered with benchmarks/recorded_eligibility.py's
    # rule before any estimator ran on it (benchmarks/nineteenth_world.py)
    "world19": ("nineteenth_world", "simulate_world19"),
    # held out from who rated each visit (alsfrs.rater, recorded sparsely): written blind on 2026-12-07 with the
    # raters and the occasions recorded, registered before any estimator ran on it (benchmarks/twentieth_world.py)
    "world20": ("twentieth_world", "simulate_world20"),
    # held out from self-ratings in the outcome only (g_estimation's self_ratings): written blind on 2026-12-07 with
    # patients' and caregivers' portal ratings recorded (alsfrs.assessor), registered after benchmarks/
    # world21_self_ratings.py's rule and before any estimator ran on it (benchmarks/twentyfirst_world.py)
    "world21": ("twentyfirst_world", "simulate_world21"),
    # held out from the measures alone in the decision history (g_estimation's history="measures_only"): written blind
    # on 2026-12-07 with FVC, SVC, weight and blood NfL recorded, after benchmarks/world22_measures_only.py's rule was
    # registered and before any estimator ran on it (benchmarks/twentysecond_world.py)
    "world22": ("twentysecond_world", "simulate_world22"),
}


def _cohort(world: str, n: int, share: float, effect: float, seed: int, record_occasions: bool = False):
    """The canonical tables of one cohort of ``world`` (the held-out worlds: with the realised truth, see
    _realised); ``record_occasions``: the worlds that can say so (the thirteenth to seventeenth) also record the decision
    dates and visit types, with the same draws (benchmarks/decision_occasions.py)."""
    if world == "demo":  # the registry of `alscell demo` (300 patients)
        from alscell.cli.demo import demo_config
        from alscell.simulate import simulate_cohort

        return simulate_cohort(demo_config(n, effect), int(seed)).tables
    if world == "simulate":
        from alscell.simulate import simulate_cohort

        return simulate_cohort(registry_config(n, share, effect), int(seed)).tables
    if world in HELD_OUT:  # held out: with a realised truth per cohort
        import importlib

        module, name = HELD_OUT[world]
        extra = {"record_occasions": True} if record_occasions else {}
        cohort = getattr(importlib.import_module(module), name)(n, effect, share, int(seed), **extra)
        _realised[(n, share, effect, int(seed))] = cohort.truth_realised
        return cohort.tables
    from second_world import simulate_world2

    return simulate_world2(n, effect, share, int(seed)).tables


def parse_world(spec: str) -> tuple[str, frozenset[str]]:
    """``WORLD`` or ``WORLD:PIECE+PIECE`` (pieces switched off)."""
    world, _, off = spec.partition(":")
    return world, frozenset(p for p in off.split("+") if p)


def world_specs(ap: argparse.ArgumentParser, text: str) -> list[str]:
    """The comma-separated ``--worlds`` of WORLD or WORLD:PIECE+PIECE, checked (pieces only in held-out worlds,
    and only pieces the world has); a parser error otherwise."""
    specs = [s for s in text.split(",") if s]
    for spec in specs:
        world, off = parse_world(spec)
        if off:
            import importlib

            if world not in HELD_OUT:
                ap.error(f"{spec}: pieces can be switched off in the held-out worlds only")
            pieces = importlib.import_module(HELD_OUT[world][0]).PIECES
            if off - set(pieces):
                ap.error(f"{spec}: {world} has no piece {', '.join(sorted(off - set(pieces)))}")
    return specs


def spec_cohort(spec: str, n: int, share: float, seed: int):
    """The tables of one cohort under no effect of ``WORLD`` or ``WORLD:PIECE+PIECE`` (:func:`parse_world`)."""
    import importlib

    world, off = parse_world(spec)
    if not off:
        return _cohort(world, n, share, 0.0, seed)
    module, name = HELD_OUT[world]
    return getattr(importlib.import_module(module), name)(n, 0.0, share, seed, off).tables


# the held-out worlds' realised slope change per cohort, recorded by _cohort for run_chunk
_realised: dict[tuple, float] = {}


def run_chunk(items: list[tuple], effects=EFFECTS, methods=METHODS) -> list[dict]:
    """Simulate and analyse each (world, n, share, seed) at every effect; one row per method."""
    warnings.simplefilter("ignore")
    from alscell.analysis.effects import estimate_effect
    from alscell.analysis.errors import NotApplicable

    rows = []
    for world, n, share, seed in items:
        for eff in effects:
            tables = _cohort(world, n, share, eff, seed)
            for m in methods:
                row = dict(world=world, n=n, share=share, effect=eff, method=m, seed=int(seed))
                if world in HELD_OUT:  # the held-out worlds record a realised truth
                    row["truth_realised"] = _realised.get((n, share, eff, int(seed)), np.nan)
                try:
                    e = estimate_effect(tables, "alsfrs_r_total", m)
                    row.update(
                        estimate=e.estimate,
                        ci_low=e.ci_low,
                        ci_high=e.ci_high,
                        p_value=e.p_value,
                        se=e.se,
                        n_treated=e.n_treated,
                        # did the method warn that it is not to be trusted on these data?
                        warned=any(any(k in w for k in WARNINGS) for w in e.warnings),
                        trigger_warned=any(TRIGGER_WARNING in w for w in e.warnings),
                        pretrend_warned=any(PRETREND_WARNING in w for w in e.warnings),
                    )
                except (NotApplicable, np.linalg.LinAlgError, ValueError) as exc:  # a failed fit is a result
                    row.update(
                        estimate=np.nan,
                        ci_low=np.nan,
                        ci_high=np.nan,
                        p_value=np.nan,
                        se=np.nan,
                        n_treated=0,
                        error=repr(exc)[:200],
                    )
                rows.append(row)
    return rows


def performance(raw: pd.DataFrame, truth: str = "effect") -> pd.DataFrame:
    """Performance measures and Monte Carlo SEs (Morris et al. 2019, Table 6); bands at nominal values.
    Coverage and bias are judged against the column ``truth``: the simulated effect, or a per-cohort truth
    such as world3's realised slope change (the rejection rate is always judged under effect 0)."""
    out = []
    keys = ["world", "n", "share", "effect", "method"]
    order = {m: i for i, m in enumerate(dict.fromkeys(raw["method"]))}  # the order asked for: default first
    raw = raw.assign(_m=raw["method"].map(order)).sort_values(["_m", "world", "n", "share", "effect"], kind="stable")
    for key, g in raw.groupby(keys, sort=False):
        ok = g.dropna(subset=["estimate", "ci_low", "ci_high", "p_value", "se"])
        k = len(ok)
        if k < 2:
            continue
        eff = float(key[3])
        est = ok["estimate"].to_numpy()
        true = ok[truth].to_numpy(dtype=float)
        rej = float((ok["p_value"] < 0.05).mean())
        cov = float(((ok["ci_low"] <= true) & (true <= ok["ci_high"])).mean())
        emp = float(est.std(ddof=1))
        err_sd = float((est - true).std(ddof=1))
        mod = float(np.sqrt(np.mean(ok["se"].to_numpy() ** 2)))
        se2 = ok["se"].to_numpy() ** 2
        mod_mcse = float(np.sqrt(np.var(se2, ddof=1) / (4 * k * mod**2))) if mod > 0 else float("nan")
        bias = float((est - true).mean())
        bias_mcse = err_sd / math.sqrt(k)
        nominal_rej = 0.05 if eff == 0 else float("nan")
        out.append(
            dict(
                zip(keys, key, strict=True),
                n_cohorts=k,
                failed=len(g) - k,
                n_treated=float(ok["n_treated"].mean()),
                warned=float(ok["warned"].astype(bool).mean()) if "warned" in ok else float("nan"),
                trigger_warned=float(ok["trigger_warned"].astype(bool).mean())
                if "trigger_warned" in ok
                else float("nan"),
                pretrend_warned=float(ok["pretrend_warned"].astype(bool).mean())
                if "pretrend_warned" in ok
                else float("nan"),
                rejection=rej,
                rejection_mcse=math.sqrt(rej * (1 - rej) / k),
                rejection_band=2 * math.sqrt(0.05 * 0.95 / k) if eff == 0 else float("nan"),
                rejection_ok=bool(abs(rej - nominal_rej) <= 2 * math.sqrt(0.05 * 0.95 / k)) if eff == 0 else None,
                coverage=cov,
                coverage_mcse=math.sqrt(cov * (1 - cov) / k),
                coverage_band=2 * math.sqrt(0.95 * 0.05 / k),
                coverage_ok=bool(abs(cov - 0.95) <= 2 * math.sqrt(0.95 * 0.05 / k)),
                bias=bias,
                bias_mcse=bias_mcse,
                bias_ok=bool(abs(bias) <= 2 * bias_mcse),
                rel_bias=bias / mod if mod > 0 else float("nan"),
                rel_bias_mcse=bias_mcse / mod if mod > 0 else float("nan"),
                emp_se=emp,
                emp_se_mcse=emp / math.sqrt(2 * (k - 1)),
                model_se=mod,
                model_se_mcse=mod_mcse,
            )
        )
    return pd.DataFrame(out)


def _f(x, s, d=3):
    return f"{x:+.{d}f} ({s:.{d}f})" if d and x < 0 else f"{x:.{d}f} ({s:.{d}f})"


def _pct(x: float) -> str:
    return "" if not np.isfinite(x) else f"{x:.0%}"


# The methods whose results can carry the trigger-drop and pre-trend warnings (the mixed models'); for the
# others those columns show "—" rather than a 0% that reads as "checked, never fired".
MIXED_MODEL_METHODS = ("lmm_counterfactual", "lmm_bounded")


def mixed_pct(method: str, x: float) -> str:
    return _pct(x) if method in MIXED_MODEL_METHODS else "—"


def _has(perf: pd.DataFrame, column: str) -> bool:
    return column in perf and bool(perf[column].notna().any())


def markdown_table(perf: pd.DataFrame) -> str:
    pre = _has(perf, "pretrend_warned")  # a column of its own once the runs record it
    head = (
        "| method | world | n | share | effect | mean treated | rejection (MCSE) | coverage (MCSE) | bias (MCSE) | "
        f"bias/SE (MCSE) | emp. SE (MCSE) | model SE (MCSE) | cohorts | warned | trigger drop |{' pre-trend |' * pre} "
        f"verdict |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|{'---|' * pre}"
    )
    lines = [head]
    for r in perf.itertuples():
        bad = []
        if r.rejection_ok is False:
            bad.append("type-I")
        if not r.coverage_ok:
            bad.append("coverage")
        if not r.bias_ok:
            bad.append("bias")
        rej = _f(r.rejection, r.rejection_mcse) + ("" if r.effect == 0 else " power")
        lines.append(
            f"| {r.method} | {r.world} | {r.n} | {r.share:.0%} | {r.effect:g} | {r.n_treated:.0f} | {rej} | "
            f"{_f(r.coverage, r.coverage_mcse)} | {_f(r.bias, r.bias_mcse)} | {_f(r.rel_bias, r.rel_bias_mcse, 2)} | "
            f"{_f(r.emp_se, r.emp_se_mcse)} | {_f(r.model_se, r.model_se_mcse)} | {r.n_cohorts} | "
            f"{_pct(r.warned)} | {mixed_pct(r.method, getattr(r, 'trigger_warned', float('nan')))} | "
            + (f"{mixed_pct(r.method, r.pretrend_warned)} | " if pre else "")
            + f"{'ok' if not bad else 'OUTSIDE: ' + ', '.join(bad)} |"
        )
    return "\n".join(lines)


def summary(perf: pd.DataFrame) -> dict:
    """Counts of cells within their bands, per world (for the page and the demo)."""
    out = {}
    for w, g in perf[perf["world"] != "demo"].groupby(["method", "world"], sort=False):
        null = g[g["effect"] == 0]
        failing = g[
            ~(
                g["coverage_ok"]
                & g["bias_ok"]
                & g["rejection_ok"].map(lambda v: True if v is None else bool(v)).astype(bool)
            )
        ]
        out[w] = dict(
            failing=len(failing),
            failing_warned=int((failing["warned"] >= 0.5).sum()),
            passing_warned=int((g.drop(failing.index)["warned"] >= 0.5).sum()),
            failing_trigger=int((failing.get("trigger_warned", pd.Series(dtype=float)) >= 0.5).sum()),
            passing_trigger=int((g.drop(failing.index).get("trigger_warned", pd.Series(dtype=float)) >= 0.5).sum()),
            failing_pretrend=int((failing.get("pretrend_warned", pd.Series(dtype=float)) >= 0.5).sum())
            if _has(g, "pretrend_warned")
            else None,
            passing_pretrend=int((g.drop(failing.index).get("pretrend_warned", pd.Series(dtype=float)) >= 0.5).sum()),
            cells=len(g),
            coverage_ok=int(g["coverage_ok"].sum()),
            bias_ok=int(g["bias_ok"].sum()),
            type1_ok=int(null["rejection_ok"].astype(bool).sum()),
            null_cells=len(null),
            mean_coverage=float(g["coverage"].mean()),
        )
    return out


def summary_lines(summ: dict) -> str:
    """The page's bullet per (method, world) from ``summary``: cells within each band and the warnings' rates."""
    return "\n".join(
        f"* **{w[0]}** on **{w[1]}**: coverage within 0.95 ± 2 MCSE in {s['coverage_ok']} of {s['cells']} cells; bias within "
        f"0 ± 2 MCSE in {s['bias_ok']} of {s['cells']}; type-I error within 0.05 ± 2 MCSE in {s['type1_ok']} of "
        f"{s['null_cells']} null cells; mean coverage over the cells {s['mean_coverage']:.3f}; the method warned "
        f"in at least half the cohorts of {s['failing_warned']} of the {s['failing']} cells outside a band (and "
        f"of {s['passing_warned']} cells within every band)"
        + (
            ""
            if w[0] not in MIXED_MODEL_METHODS
            else f"; the trigger-drop warning in at least half the cohorts of {s['failing_trigger']} of the cells "
            f"outside a band and of {s['passing_trigger']} within every band"
        )
        + (
            ""
            if s.get("failing_pretrend") is None or w[0] not in MIXED_MODEL_METHODS
            else f"; the pre-trend warning in at least half the cohorts of {s['failing_pretrend']} of the cells "
            f"outside a band and of {s['passing_pretrend']} within every band"
        )
        + "."
        for w, s in summ.items()
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--cohorts", type=int, default=None, help="cohorts per cell (default 100; --quick 12)")
    ap.add_argument("--quick", action="store_true", help="sizes {200}, shares {5%%, 30%%}: ≤ 3 min")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="Dask LocalCluster workers")
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address, or 'processes'")
    ap.add_argument("--chunk", type=int, default=4, help="cohorts per task")
    ap.add_argument("--raw", default=None, help="write per-cohort results to this CSV")
    ap.add_argument("--write-md", default=None, help="write the results page (docs/calibration.md)")
    ap.add_argument("--sizes", default=None, help="comma-separated cohort sizes (default 200,1000,3000)")
    ap.add_argument("--shares", default=None, help="comma-separated treated shares (default 0.05,0.3,0.6)")
    ap.add_argument("--methods", default=",".join(METHODS), help="comma-separated methods")
    args = ap.parse_args(argv)
    sizes, shares = ((200,), (0.05, 0.3)) if args.quick else (SIZES, SHARES)
    if args.sizes:
        sizes = tuple(int(x) for x in args.sizes.split(","))
    if args.shares:
        shares = tuple(float(x) for x in args.shares.split(","))
    methods = tuple(args.methods.split(","))
    cohorts = args.cohorts or (12 if args.quick else 100)

    from rich.console import Console

    from alscell.simulate.study import run_study, study_seeds

    console = Console()
    seeds = study_seeds(ENTROPY, cohorts)
    # the same seeds in every cell; big cohorts first so the slowest tasks start early
    items = [(w, n, s, sd) for n in sorted(sizes, reverse=True) for w in WORLDS for s in shares for sd in seeds]
    items += [("demo", 300, 0.0, sd) for sd in seeds]  # the `alscell demo` registry, quoted by the demo
    t0 = time.perf_counter()
    rows = run_study(
        run_chunk,
        items,
        task_args=(EFFECTS, methods),
        chunk=args.chunk,
        workers=args.workers,
        scheduler=args.scheduler,
        label="calibration",
        console=console,
    )
    elapsed = time.perf_counter() - t0
    raw = pd.DataFrame(rows)
    if args.raw:
        raw.to_csv(args.raw, index=False)
    perf = performance(raw)
    table = markdown_table(perf)
    console.print(table, markup=False)
    summ = summary(perf)
    for w, s in summ.items():
        console.print(
            f"{w[0]} on {w[1]}: coverage within 0.95 ± 2 MCSE in {s['coverage_ok']}/{s['cells']} cells, bias within 0 ± 2 MCSE "
            f"in {s['bias_ok']}/{s['cells']}, type-I error within 0.05 ± 2 MCSE in {s['type1_ok']}/{s['null_cells']}.",
            markup=False,
        )
    console.print(f"elapsed {elapsed:.0f} s", markup=False)
    if args.write_md:
        cmd = " ".join(["benchmarks/calibration.py", *(argv if argv is not None else sys.argv[1:])])
        lines = summary_lines(summ)
        from alscell.analysis.effects import DEFAULT_METHOD

        quoted = DEFAULT_METHOD if DEFAULT_METHOD in methods else methods[0]  # the demo quotes the default
        demo = perf[(perf["world"] == "demo") & (perf["effect"] == 0.2) & (perf["method"] == quoted)]
        if len(demo):
            d = demo.iloc[0]
            lines += (
                f"\n* **demo** (the registry of `alscell demo`, 300 patients, effect 0.2, {quoted}): the 95% interval covered "
                f"the truth in {d.coverage:.0%} of {d.n_cohorts} cohorts (MCSE {d.coverage_mcse:.3f}); "
                f"bias {d.bias:+.3f} (MCSE {d.bias_mcse:.3f})."
            )
        Path(args.write_md).write_text(
            MD.format(
                command=cmd,
                entropy=ENTROPY,
                cohorts=cohorts,
                table=table,
                summary=lines,
                minutes=elapsed / 60,
                workers=args.workers if not args.scheduler else args.scheduler,
                python=platform.python_version(),
            ),
            encoding="utf-8",
        )
        console.print(f"wrote {args.write_md}", markup=False)
    return 0


MD = """# Calibration of the treatment-effect estimators

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}; rerun it to
reproduce them exactly).  Design after Morris, White & Crowther, *Using simulation studies to evaluate
statistical methods*, Stat Med 2019;38:2074–2102 (ADEMP).

**Since 2026-12-04 the default of `alscell effect` is `g_estimation`**, chosen on this page and on the two
held-out worlds together (`docs/evidence.md`, "Which estimator is the default"; the demo line below quotes
it).  The reading below was written when `lmm_counterfactual` was the default: there "the default" means
`lmm_counterfactual`.

**Rerun on 2026-12-07 (the forty-first session)**, after g-estimation's default history became the measures
alone (`history="measures_only"`: the FVC, SVC, weight and NfL recorded before each visit join the decision
history; `docs/world22_measures_only.md`).  The mixed models' rows repeat those of 2026-12-04 to the digit;
`g_estimation`'s rows moved with the switch and with everything built into it since 2026-12-04 (who rated each
visit, the decision occasions, the self-ratings, the history check).  On `simulate` its coverage is now within
band in 27 of 27 cells (24 before) and its bias in 18 (23 before): at 1,000 patients with 60% treated and at 3,000
with 30% or 60% it leans against treatment by −0.005 to −0.010 points/month, at most 0.31 of its SE (before:
−0.004 to −0.009).  The switch's own share, on `docs/g_measures_only.md`'s paired cohorts of the 3,000 × 30% cell
under no effect, is −0.0016 (MCSE 0.0014).  The second world records none of the measures: its rows moved by the
other changes alone (11 and 8 cells within the coverage and bias bands, 12 and 9 before; at 200 patients with 5%
treated every cohort now gives an estimate, 75 of 100 before, and the added ones lean against treatment).

* **Aims** — is `lmm_counterfactual` (the default of `alscell effect` until 2026-12-04) honest under no effect and under a
  true effect, at any cohort size and share treated, on a world it was not tuned to?  And `g_estimation`,
  the doubly robust alternative whose consistency rests on a model of the treatment decision instead of
  the shape of each course (its settings were chosen on `simulate`; `world2` is its out-of-sample check)?
  And `lmm_bounded`, the default's model with the floor and ceiling of the scale in it (no setting of its own)?
* **Data-generating mechanisms** — `simulate`: `alscell.simulate`, design `registry` (D50 courses,
  treatment decided at each visit from the observed drop, informative dropout and death, up to 3 cycles;
  `treated_fraction` = share, of whom only those whose decision fires are treated, hence the "mean treated"
  column).  `world2`: `benchmarks/second_world.py`, different in every structural piece: per-patient
  linear-quadratic decline (Gordon 2010), effects that differ between patients (Gamma, CV 0.71), exactly
  share × n patients treated, chosen by their own true slope and treated on the day of the visit whose
  observed total first falls below a threshold, death from the latent level, loss to follow-up after a
  large observed drop, a single administration.  Scenarios: true effect {{0, 0.2, 0.5}} points/month ×
  cohort size × share treated, {cohorts} cohorts per cell, the same seeds in every cell.
* **Estimand** — mean change of the ALSFRS-R slope after the first treatment (points/month, positive =
  slower decline), truth = the simulated mean effect E.
* **Method** — `lmm_counterfactual` as in `docs/evidence.md`: CR2 standard errors with Bell–McCaffrey df
  (`alscell.analysis.cr2`, checked against R clubSandwich), fitted on the points scale with every visit
  kept (the visits that prompted treatment included: a decision made from the observed past is ignorable
  for the likelihood; the reasoning and the alternatives measured are in `alscell.analysis.effects`).
  `g_estimation` as in `alscell.analysis.g_estimation`: a structural nested mean model of the slope change,
  pooled-logistic decision model and least-squares regression of the next 24 months' slope on the history
  at every visit of a not-yet-treated patient, stacked-sandwich SE, t interval on (starters − 1) df.
  `lmm_bounded` as in `alscell.analysis.bounded_course`: the default's design, the mean that of the latent
  course plus normal noise clipped to 0..48 (width = the model's residual SD), Lindstrom–Bates linearisation,
  CR2 / Bell–McCaffrey on the final linearised model.
* **Performance** — rejection at α = 0.05 (type-I error under effect 0, power otherwise), coverage of the
  95% CI, bias, bias / model SE, empirical SE, model SE (root mean squared reported SE); "warned": share of
  cohorts in which the method warned that it is not calibrated on such data (fewer than 20 treated patients
  with visits after treatment, or treated and untreated patients losing points at different rates at entry);
  "trigger drop": share of cohorts in which the mixed-model methods warned that the first treatments followed
  unusually steep drops (`alscell.analysis.trigger_drop`; its threshold chosen on `alscell.simulate`
  registries that do and do not decide on the drop, `docs/simulate_ablation.md`); "pre-trend": share of
  cohorts in which they warned that the treated patients' courses had already bent in the 6 months before
  treatment (`alscell.analysis.pretrend`, a placebo test at 5%, added after the held-out third world of
  `docs/calibration_world3.md` showed a failure no other warning caught).  MCSEs in brackets:
  √(p(1−p)/k) for rates, SD/√k for bias, SD/√(2(k−1)) for the empirical SE.  **Judged** at the *nominal*
  values: a rate is "ok" when |rate − nominal| ≤ 2√(nominal(1−nominal)/k); bias when |bias| ≤ 2 MCSE.

## Results

{table}

{summary}

Run time: {minutes:.1f} min, Dask LocalCluster with {workers} worker(s), Python {python}.

## Reading the table

* A cell marked OUTSIDE is a failure of the method on that world, not noise: the bands are computed at
  the nominal values.  Cells that fail are named in the table rather than hidden.  With 100 cohorts per
  cell the bias band is narrow (a few hundredths of a point per month at 200 patients, a few thousandths at
  3,000), so a bias of a fraction of the model SE is flagged even where coverage is fine; read "bias/SE"
  for its size.
* **Why the method fails where it fails** (what it warns about is in quotes):
  * *Few treated patients* (about 8 of 200): the estimate leans against treatment and its SE is too small;
    the result says "only N treated patients have visits after treatment: … fragile" (fewer than 20).
    With 2% treated (`docs/calibration_few_treated.md`, benchmarks/calibration_few_treated.py: 300, 1,000
    and 3,000 patients, both worlds, the three effects) the interval covers within the band in every
    `simulate` cell and fails on the second world as at 5%, with the same warnings.
  * *Second world, biased with the cohort size fixed*: `docs/world2_ablation.md` (benchmarks/world2_ablation.py)
    switches that world's pieces off.  In a straight-line world without floor, death or loss to follow-up
    the default is unbiased only when the treated patients are chosen at random and treated at a random
    visit.  Choosing them by their own true rate of decline — selection on the random slope itself, not a
    decision on the observed past, so the likelihood argument for keeping every visit does not cover it —
    leans against treatment by several SEs at 3,000 patients; treating when the observed total falls below a
    threshold adds a smaller lean the other way.  In the full world the floor of the scale, the curvature,
    death and loss to follow-up add leans of both signs that partly cancel, which is why the bias changes
    sign with the share treated.  These are failures of assumptions (ignorable selection, one straight
    course per patient), so the bias does not shrink with the cohort and coverage falls as the SE shrinks.
    The warning: when treated and untreated patients were losing points at different rates from onset to
    their first visit (|standardised difference| > 0.5, at least 20 patients per group), the result says
    that the estimate leans if they were chosen for their rate of decline ("warned" column: it fires on the
    second world and not on `alscell.simulate`).  It is a flag, not a correction: it cannot tell selection on
    the rate from a genuine difference in who reaches the clinic when.  Tried and not kept (each fixed one world
    or one mechanism and broke another): a random quadratic term, a random post-treatment slope, ΔFRS ×
    time, a within-patient (fixed-effects) estimator, a separate mean intercept and slope for the treated.
    At 200 patients the second world's cells fail on coverage more than on bias: `docs/world2_coverage.md`
    (benchmarks/world2_coverage.py) switches the same pieces off there and finds that the choice of *who* by
    the true slope also makes the SE too small (the estimates spread a quarter more than the SEs say; as
    expected without it), and that a cohort's estimate and SE move together, so the misses are the low
    estimates with small SEs.  The same warning fires.
  * *`alscell.simulate`, small biases at large cohorts*: decisions there depend on the observed drop
    only, so keeping every visit makes the decision ignorable for the likelihood — if the course model is
    each patient's course.  `docs/simulate_ablation.md` (benchmarks/simulate_ablation.py) switches the
    registry's pieces off at 3,000 patients: under no effect with 60% treated the lean against treatment goes
    when the first treatment is not chosen for its drop and when the courses are nearly straight, and grows
    when patients are followed longer (later death, no dropout): the model predicts the recovery after a bad
    visit as for a straight line, while a D50 sigmoid that has just dropped goes on dropping.  Under a true
    effect the registry's own cell is close to 0 there, but following patients nearer the floor (later death)
    or straighter, faster courses give a lean towards benefit of up to several SEs, with or without the
    selection: it grows with the time treated patients spend near the floor of the scale and sits in the
    months they live *because of* the effect (an oracle that analyses them only while their untreated selves
    are followed turns it round), where no untreated course exists and the counterfactual is an
    extrapolation — a question of the estimand, not of the decision.  The warning ("trigger drop" column): the first treatments followed unusually steep drops, so
    the estimate can lean where courses curve; it fires on registries that decide on the drop (every
    `alscell.simulate` cell with at least 20 treated patients, and the second world, whose threshold rule
    also follows drops) and not on registries that do not.  It names how treatment was decided, which is
    why it fires in cells that pass too.
  * *Second world, what no analysis of the observed visits can fix*: besides choosing *who* by the true
    slope, the threshold rule's fallback looks ahead (patients treated early at random are those whose total
    will not fall below their threshold by the 7th visit).  Switching that off (`docs/world2_ablation.md`,
    row `lookahead`) removes most of the default's lean towards benefit on the full world.
  * **`lmm_bounded`** (the default's model with the floor and ceiling of the scale: each patient's latent
    course a straight random line plus the slope change, the observed score that plus noise clipped to the
    scale; `alscell.analysis.bounded_course`): under no effect it is as good as the default on `simulate`
    and removes most of the lean where patients are followed into the floor (`docs/course_shape.md`), but
    under a true effect it leans towards benefit, more with a larger effect and more on `world2` (its
    effect-0.5 rows).  Both simulators hold the untreated course at or above the floor and add the effect to
    it, so the benefit shows at the floor; the model adds it to a latent course that goes on falling below
    the floor, where it cannot show, and so reads a visible benefit near the floor as a larger latent one.
    An option with its own estimand (the slope change of the latent course), not the default.
  * **`g_estimation`** (the last rows): on `simulate`, where the decisions follow a logistic in
    the observed drop that its decision model contains, its bias passes the band in more cells than the
    default's, but mostly because its SE is larger (the band is 2 MCSE); in SE units its leans are of the
    same size as the default's.  On `world2` it fails more often: the threshold rule is a step in the observed
    level that both its decision model and its outcome regression miss, and the look-ahead above biases it
    too (`docs/world2_ablation_g_estimation.md`).  Its merit is elsewhere: where every patient is followed
    into the floor of the scale and decisions depend on the observed past only, its lean stays small while the
    default's grows several-fold (the ablation pages, last rows).  Written as "an alternative, not a
    replacement" until the held-out worlds (`docs/calibration_world3.md`, `docs/calibration_world4.md`)
    showed the mixed model's lean there and this estimator within the bands in more of their cells; since
    2026-12-04 it is the default, with its failure here (the 60%-treated cells, where the selection warning
    fires in at least 99% of the cohorts) named in docs/evidence.md.
  * *A second look on any data*: `alscell effect --sensitivity` (and the cohort report and dashboard) runs
    `lmm_bounded`, the earlier default and `g_estimation` beside the default and flags an alternative that lies
    farther from it than on 19 of 20 `simulate` registries; on `world2` that flag fires in most cohorts, more
    often where the default's interval misses the truth (`docs/sensitivity_flag.md`).
  * *The pre-trend warning* ("pre-trend" column; the mixed-model methods only, so "—" for `g_estimation`):
    the default's own slope change from a pseudo-start 6 months before treatment, fitted on the pre-treatment
    visits and tested at 5% (`alscell.analysis.pretrend`).  On `alscell.simulate` it fires in 0 to 10% of
    cohorts (10% at 3,000 patients with 60% treated, a little above its nominal 5%: the D50 course bends
    before the drops that trigger treatment).  On the second world, whose courses are curved and whose
    threshold rule follows drops, it fires in at least 95% of the cohorts of every cell with 1,000 or more
    patients and 30% or more treated, of 3,000 with 5% and of 200 with 60% — in cells that pass as well as
    in cells that fail (14 of the 20 failing cells, 4 of the 7 passing).  On the held-out third world
    (`docs/calibration_world3.md`) it fires in 60 to 100% of the cohorts of the cells with 1,000 or 3,000
    patients and 30 or 60% treated, where the default fails worst.  It says the treated courses had already
    bent before treatment, which is what makes the counterfactual lean; it is not specific: on a large
    registry of curved courses it fires whether or not this estimate leans.
  * What is still to build (issue 10): an estimator whose consistency rests neither on the shape of each
    patient's course nor on a hand-built decision model.  A shared-parameter model of the visits and the
    treatment decisions was tried (`docs/joint_selection.md`): it removes the selection bias only in a world
    of straight lines with the same effect in everyone, and overshoots by several SEs where courses curve.
    On the held-out third world the default fails in every cell and a warning fires in at least half the
    cohorts of only 15 of its 27 failing cells (few treated in 3, pre-trend in 12), so the issue's escape
    clause (each failing cell named, with the reason and a warning that fires) is not met there.  Two repairs
    were tried on it and not kept: freeing the 6 months before treatment cuts the lean to at most half an SE there and breaks the
    second (`docs/event_window.md`); a slope that wanders, with how long a bend lasts learned from all the
    courses, leaves it as it was (`docs/stochastic_slope.md`).
"""

if __name__ == "__main__":
    raise SystemExit(main())

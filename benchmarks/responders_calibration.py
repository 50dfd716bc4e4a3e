"""Null calibration and power of the responder analysis (ADEMP; Morris, White & Crowther 2019).

Aims        Under no treatment effect, is the observed NurOwn responder rate (post − pre ALSFRS-R slope
            ≥ 1.25 points/month) on average equal to the rate ``responder_analysis`` expects under no
            effect, does its test reject at ≈ 5% and are its p-values uniform?  And how often does it
            detect a slope benefit of 0.5 points/month?
Data        ``simulate_cohort(CohortConfig(n_patients=300, design="registry", effect=E,
            selection_rule=RULE), seed)`` with the default simulator (curvilinear courses, treatment
            started after a bad-looking visit, informative dropout, visit noise).  RULE ``sequential`` (the
            decision uses the observed past: the analysis's assumption) and ``worst_visit`` (treated after the
            worst-looking visit of the whole course: looks ahead, a stress test).  E = 0 (null) and 0.5
            (power).  Seeds: ``SeedSequence(ENTROPY).spawn(cohorts)``, the same cohorts for every scenario.
Estimand    observed − expected responder rate (true value 0 under the null).
Method      ``responder_analysis(tables)`` with its defaults (module docstring of alscell.analysis.responders).
Performance mean observed and expected rates, mean difference, rejection rate at α = 0.05 (two-sided) and
            the 10/25/50% p-value quantiles (uniform: 0.10/0.25/0.50), with Monte Carlo SEs (quantile MCSE
            from the binomial: sqrt(q(1−q)/N) / density ≈ sqrt(q(1−q)/N) for uniform p-values).

    .venv/bin/python benchmarks/responders_calibration.py                    # 100 cohorts per scenario
    .venv/bin/python benchmarks/responders_calibration.py --cohorts 200 --workers 2 --write-md docs/responders_calibration.md
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import numpy as np

ENTROPY = 20261125
SCENARIOS = (("sequential", 0.0), ("worst_visit", 0.0), ("sequential", 0.5), ("worst_visit", 0.5))


def one(args: tuple[str, float, int]) -> tuple[float, ...]:
    from alscell.analysis.responders import responder_analysis
    from alscell.simulate import CohortConfig, simulate_cohort

    rule, effect, seed = args
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = simulate_cohort(
            CohortConfig(n_patients=300, design="registry", effect=effect, selection_rule=rule), seed
        ).tables
        r = responder_analysis(tables)
    return (r.n, r.observed_rate, r.expected_rate, r.p_value, r.n_donors)


def run_chunk(seeds: list[int], rule: str, effect: float) -> list[dict]:
    """One responder analysis per seed (for alscell.simulate.study.run_study)."""
    return [{"seed": seed, "result": one((rule, effect, seed))} for seed in seeds]


def summarise(rule: str, effect: float, rows: np.ndarray) -> dict:
    n = len(rows)
    obs, exp, p = rows[:, 1], rows[:, 2], rows[:, 3]
    ok = np.isfinite(p)
    p = p[ok]
    m = len(p)
    d = (obs - exp)[ok]
    rej = float((p < 0.05).mean())
    out = {
        "rule": rule,
        "effect": effect,
        "cohorts": n,
        "analysable": m,
        "n_treated": float(rows[:, 0].mean()),
        "donors": float(rows[:, 4].mean()),
        "obs": float(obs[ok].mean()),
        "exp": float(exp[ok].mean()),
        "diff": float(d.mean()),
        "diff_mcse": float(d.std(ddof=1) / np.sqrt(m)),
        "rej": rej,
        "rej_mcse": float(np.sqrt(rej * (1 - rej) / m)),
    }
    for q in (0.10, 0.25, 0.50):
        out[f"q{int(q * 100)}"] = float(np.quantile(p, q))
        out[f"q{int(q * 100)}_mcse"] = float(np.sqrt(q * (1 - q) / m))
    return out


def table(results: list[dict]) -> str:
    head = (
        "| selection rule | effect | cohorts | treated analysed | donors | observed rate | expected rate | "
        "observed − expected (MCSE) | rejection rate (MCSE) | p-value 10% | 25% | 50% |"
    )
    lines = [head, "|" + "---|" * 12]
    for r in results:
        lines.append(
            f"| {r['rule']} | {r['effect']:g} | {r['analysable']}/{r['cohorts']} | {r['n_treated']:.1f} | "
            f"{r['donors']:.0f} | {r['obs']:.3f} | {r['exp']:.3f} | {r['diff']:+.3f} ({r['diff_mcse']:.3f}) | "
            f"{r['rej']:.3f} ({r['rej_mcse']:.3f}) | {r['q10']:.3f} ({r['q10_mcse']:.3f}) | "
            f"{r['q25']:.3f} ({r['q25_mcse']:.3f}) | {r['q50']:.3f} ({r['q50_mcse']:.3f}) |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cohorts", type=int, default=100)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--write-md", default=None)
    a = ap.parse_args(argv)
    from alscell.simulate.study import run_study, study_seeds

    seeds = study_seeds(ENTROPY, a.cohorts)
    t0 = time.time()
    results = []
    for rule, effect in SCENARIOS:
        rows = run_study(
            run_chunk,
            seeds,
            task_args=(rule, effect),
            chunk=4,
            workers=a.workers,
            label=f"responders {rule} effect={effect:g}",
        )
        results.append(summarise(rule, effect, np.array([r["result"] for r in rows], float)))
    elapsed = time.time() - t0
    tab = table(results)
    print(tab)
    print(f"\n{a.cohorts} cohorts per scenario, {elapsed:.0f} s, Python {platform.python_version()}, entropy {ENTROPY}")
    if a.write_md:
        page = f"""# Responder analysis: null calibration and power

Generated by `benchmarks/responders_calibration.py --cohorts {a.cohorts}` (entropy {ENTROPY}; {elapsed:.0f} s;
do not edit by hand).  Registry cohorts of 300 patients from the default simulator; the analysis is
`alscell.analysis.responders.responder_analysis` with its defaults (NurOwn rule, post − pre ALSFRS-R slope
≥ 1.25 points/month; expected rate from pseudo-treatment in untreated patients conditional on the observed
history at the treatment decision; two-sided two-sample patient-bootstrap test).  Effect 0 rows are the
null calibration (target: observed − expected ≈ 0, rejection ≈ 0.05, p-value quantiles ≈ 0.10/0.25/0.50);
effect 0.5 rows are power.  `sequential`: treatment decided from the observed past (the method's
assumption); `worst_visit`: treated after the worst-looking visit of the whole course, which uses the
future (a stress test).  MCSEs in parentheses.

{tab}
"""
        with open(a.write_md, "w", encoding="utf-8") as fh:
            fh.write(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

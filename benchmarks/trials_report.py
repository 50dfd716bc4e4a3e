"""Regenerates docs/trials.md: the in-silico trial designer against published ALS trial facts.

Run:  .venv/bin/python benchmarks/trials_report.py --write-md docs/trials.md        (≈ 10-20 min on 2 cores)
      .venv/bin/python benchmarks/trials_report.py --trials 100 --cohort 2000       (quicker, noisier)

Sections (every number below comes from this script; inputs are printed with them):

1. NurOwn phase 3 (Cudkowicz et al., Muscle Nerve 2022;65:291): 196 patients 1:1, run-in decline ≥ 3
   points, responder endpoint; the simulator's placebo responder rate under no effect next to the observed
   27.7% (active 34.7%) and the 15% the trial assumed; the effect (points/month) at which the simulated
   active responder rate reaches 35%, and the power there.
2. The run-in lesson: how well a run-in slope predicts the later slope in untreated simulated patients
   (published as poor for JaCALS and PRO-ACT), and regression to the mean after a ≥ 3-point run-in decline.
3. Plateaus and reversals under no effect next to Bedlack et al., Neurology 2016;86:808 (PRO-ACT): no
   ALSFRS-R decline over 6, 12, 18 months in 25%, 16%, 7%; improvement ≥ 4 points lasting ≥ 12 months < 1%.
4. PROCOVA (Schuler et al. 2022) on a sham-controlled change-from-baseline design.
"""

from __future__ import annotations

import argparse
import math
import re
import time
from pathlib import Path

import numpy as np

SEED = 20261202


def pct(m: dict, digits: int = 1) -> str:
    return f"{100 * m['value']:.{digits}f}% (MCSE {100 * m['mcse']:.{digits}f})"


def num(m: dict, digits: int = 3) -> str:
    return f"{m['value']:.{digits}f} (MCSE {m['mcse']:.{digits}f})"


def null_note(m: dict, alpha: float = 0.05) -> str:
    """Whether a rejection rate under no effect lies within alpha ± 2 MCSE (MCSE at the nominal rate)."""
    se = math.sqrt(alpha * (1 - alpha) / m["n"])
    if abs(m["value"] - alpha) <= 2 * se:
        return f"within {100 * alpha:.0f}% ± 2 MCSE"
    side = "below it: conservative, or chance" if m["value"] < alpha else "ABOVE it: type-I error inflated"
    return f"outside {100 * alpha:.0f}% ± 2 MCSE, {side}"


def power2(p1: float, p0: float, n_arm: int = 98, alpha: float = 0.05) -> float:
    """Normal-approximation power of the two-sided two-proportion z test (pooled variance under H0)."""
    from scipy import stats

    pbar = (p1 + p0) / 2
    se0 = math.sqrt(2 * pbar * (1 - pbar) / n_arm)
    se1 = math.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / n_arm)
    z = stats.norm.isf(alpha / 2)
    return float(stats.norm.sf((z * se0 - abs(p1 - p0)) / se1))


def untreated_cohort(n: int, seed: int, *, run_in: float, follow_up: float, interval: float, **kw):
    """Untreated simulated patients on a trial schedule (screening, run-in, follow-up)."""
    from alscell.simulate.trials.design import TrialDesign
    from alscell.simulate.trials.population import cohort_config, screen

    d = TrialDesign(n=n, run_in_months=run_in, follow_up_months=follow_up, visit_interval_months=interval, **kw)
    cfg = cohort_config(d, n=n, effect=0.0, share=0.0)
    got, screened = screen(d, cfg, seed, {0: n})
    return got, screened


def section_nurown(n_trials: int, workers: int) -> tuple[list[str], dict]:
    from alscell.simulate.trials import nurown_phase3, run_designs

    base = nurown_phase3()
    effects = [0.0, 0.5, 1.0, 1.5, 2.0]
    curve = run_designs([base.replace(effect=e) for e in effects], n_trials, SEED, workers=workers)
    act = [s.extras["responder_rate_active"]["value"] for s in curve]
    ctl0 = curve[0].extras["responder_rate_control"]
    # effect at which the simulated active responder rate reaches 35% (linear interpolation on the grid)
    e35 = float(np.interp(0.35, act, effects)) if act[-1] >= 0.35 else math.nan
    at35 = (
        run_designs([base.replace(effect=round(e35, 3))], n_trials, SEED + 1, workers=workers)[0]
        if math.isfinite(e35)
        else None
    )
    null = curve[0].measures["rejection_rate"]
    lines = [
        "## 1. NurOwn phase 3 reproduced",
        "",
        "Inputs (`nurown_phase3()` in `alscell.simulate.trials.design`; `alscell power --preset nurown`): 196 "
        "patients randomised 1:1; screening visit, 16-week run-in with visits every 4 weeks, eligible only with "
        "a decline of ≥ 3 ALSFRS-R points over the run-in and symptoms < 24 months; three intrathecal doses 8 "
        "weeks apart from randomisation; follow-up 28 weeks; responder = post-treatment minus run-in slope ≥ "
        "1.25 points/month, patients without two post-baseline visits count as non-responders; two-sided "
        f"two-proportion test at α = 0.05.  {n_trials} simulated trials per row, seed {SEED}.",
        "",
        "| true effect (points/month) | placebo responders | active responders | rejection rate |",
        "|---|---|---|---|",
    ]
    for e, s in zip(effects, curve, strict=True):
        lines.append(
            f"| {e:g} | {pct(s.extras['responder_rate_control'])} | {pct(s.extras['responder_rate_active'])} | "
            f"{pct(s.measures['rejection_rate'])} |"
        )
    lines += [
        "",
        f"* **Placebo responder rate under no effect: {pct(ctl0)}** in the simulator, against **27.7% observed** "
        "in the trial (NurOwn active arm: 34.7%) and the **15%** the trial's power calculation assumed.  "
        + (
            "The simulator gives fewer placebo 'responders' than the trial saw, consistent with section 3 "
            "(it has far fewer spontaneous plateaus than PRO-ACT): a real run-in responder design should "
            "expect a higher placebo rate than this simulator produces."
            if ctl0["value"] + 2 * ctl0["mcse"] < 0.277
            else "The simulator reproduces a placebo responder rate near the observed one."
        ),
        f"* Type-I error of the design (no effect): {pct(null)}, {null_note(null)}.",
        f"* Power by the two-proportion formula (98 per arm, α = 0.05): {100 * power2(0.35, 0.15):.0f}% for the "
        f"planned 35% vs 15%; {100 * power2(0.347, 0.277):.0f}% for the observed 34.7% vs 27.7%; "
        f"{100 * power2(0.35, ctl0['value']):.0f}% for 35% against the simulator's placebo rate.",
    ]
    if at35 is not None:
        lines += [
            f"* The simulated active responder rate reaches 35% at a true effect of about **{e35:.2f} "
            f"points/month**; at that effect the simulated placebo rate is "
            f"{pct(at35.extras['responder_rate_control'])}, the active rate "
            f"{pct(at35.extras['responder_rate_active'])} and the **power {pct(at35.measures['rejection_rate'])}** "
            "(the trial's own calculation assumed 35% vs 15%, i.e. a 20-point difference).",
        ]
    return lines, {"placebo": ctl0["value"], "e35": e35}


def section_run_in(n: int) -> list[str]:
    got, _ = untreated_cohort(n, SEED + 2, run_in=3.0, follow_up=12.0, interval=1.0)
    from alscell.simulate.trials.endpoints import post_slopes
    from alscell.simulate.trials.population import TrialData

    tr = TrialData(
        got["y"], got["fvc"], got["months"], got["arm"].astype(float), got["screen_y"], got["pre_slope"],
        got["event_months"], got["event"], got["covariates"], np.zeros(n), 3.0, n,
    )  # fmt: skip
    pre, post = tr.pre_slope, post_slopes(tr)
    ok = np.isfinite(pre) & np.isfinite(post)
    r = float(np.corrcoef(pre[ok], post[ok])[0, 1])
    sel = ok & (tr.screen_y - tr.y[:, 0] >= 3)
    lines = [
        "## 2. The run-in lesson",
        "",
        f"Inputs: {n} untreated simulated patients alive and seen at the end of a 12-week (3-month) run-in "
        "(monthly visits), then 12 months of monthly follow-up; run-in slope = (baseline − screening) / "
        "months; later slope = least-squares slope over the 12 months (patients with ≥ 2 visits).",
        "",
        f"* Correlation of run-in slope and later slope: **r = {r:.2f}** (R² = {r * r:.2f}, n = {ok.sum()}).  "
        "Published for PRO-ACT and JaCALS: a 12-week lead-in slope predicts later progression poorly.  "
        + (
            "The simulator agrees qualitatively: most of the variance of a 3-month slope is noise."
            if r * r < 0.5
            else "The simulator predicts *better* than published: its run-in slopes carry less noise than real "
            "ones, so it understates the lesson."
        ),
        f"* Patients selected by a run-in decline ≥ 3 points ({sel.sum()} of {ok.sum()}, "
        f"{sel.sum() / ok.sum():.0%}): run-in slope {np.mean(pre[sel]):.2f} points/month, later slope "
        f"{np.mean(post[sel]):.2f} — part of their selected decline was noise that does not repeat "
        f"(regression to the mean); the others: {np.mean(pre[ok & ~sel]):.2f} then {np.mean(post[ok & ~sel]):.2f}.",
        "  In a responder design, that regression to the mean makes placebo patients 'improve' their slope.",
    ]
    return lines


def section_bedlack(n: int) -> list[str]:
    got, _ = untreated_cohort(n, SEED + 3, run_in=0.0, follow_up=24.0, interval=1.0)
    y = got["y"]
    rows = []
    for months, published in ((6, "25% of 3,132"), (12, "16% of 2,105"), (18, "7% of 1,218")):
        have = np.isfinite(y[:, months])
        no_decline = have & (y[:, months] >= y[:, 0])
        p = no_decline.sum() / have.sum()
        rows.append((months, p, math.sqrt(p * (1 - p) / have.sum()), have.sum(), published))
    # sustained reversal: from some visit s, every visit from u > s through at least u + 12 months is ≥ y_s + 4
    V = y.shape[1]
    rev = np.zeros(len(y), bool)
    for s in range(V):
        for u in range(s + 1, V - 12):
            window = y[:, u : u + 13]
            seen = np.isfinite(window[:, -1]) & np.isfinite(window[:, 0])
            up = np.where(np.isfinite(window), window >= y[:, [s]] + 4, True).all(axis=1)
            rev |= seen & np.isfinite(y[:, s]) & up
    eligible = np.isfinite(y[:, 12])
    lines = [
        "## 3. Plateaus and reversals under no effect (Bedlack et al. 2016)",
        "",
        f"Inputs: {n} untreated simulated patients (the simulator's default population, no trial eligibility), "
        "monthly visits for 24 months from the first visit.  'No decline over k months' = ALSFRS-R at month k ≥ "
        "at month 0, among patients seen at month k (Bedlack et al. counted PRO-ACT participants whose score "
        "did not decline over 6-, 12- and 18-month epochs).",
        "",
        "| epoch | simulated: no decline | patients | published (PRO-ACT) |",
        "|---|---|---|---|",
    ]
    for months, p, se, k, published in rows:
        lines.append(f"| {months} months | {100 * p:.1f}% (MCSE {100 * se:.1f}) | {k} | {published} |")
    r = rev[eligible].mean()
    lines += [
        "",
        f"* Improvement of ≥ 4 points lasting ≥ 12 months: **{100 * r:.2f}%** of {eligible.sum()} patients "
        "followed ≥ 12 months, against **< 1%** in PRO-ACT.",
    ]
    verdict = []
    for months, p, se, _k, published in rows:
        pub = float(published.split("%")[0]) / 100
        if abs(p - pub) > max(2 * se, 0.05):
            verdict.append(f"{months} months ({100 * p:.0f}% vs {100 * pub:.0f}%)")
    under = all(p < float(pub.split("%")[0]) / 100 for _m, p, _se, _k, pub in rows)
    lines.append(
        "* Where the simulator disagrees: "
        + ", ".join(verdict)
        + ".  "
        + (
            "The simulator produces **fewer** plateaus than PRO-ACT: its decline is a smooth sigmoid per "
            "patient with visit-level noise, while real courses also contain genuine periods of stability "
            "(and PRO-ACT's trial populations include slow progressors).  So stable disease without "
            "treatment is more common in real patients than in this simulator — a 'patients stopped "
            "declining' argument is weaker than the simulator would suggest, and the placebo responder "
            "rate of section 1 is understated for the same reason."
            if under
            else "Read any 'stable patients' argument with this mismatch in mind."
        )
        if verdict
        else "* The simulator is within 5 percentage points of every published plateau share."
    )
    return lines


def section_procova(n_trials: int, workers: int) -> list[str]:
    from alscell.simulate.trials import TrialDesign, run_designs

    d = TrialDesign(n=200, endpoint="change", follow_up_months=6.0, visit_interval_months=1.0, procova=True)
    null, eff = run_designs([d, d.replace(effect=0.3)], n_trials, SEED + 4, workers=workers)
    p0, p1 = null.extras["procova"], eff.extras["procova"]
    m = p0["model"]
    return [
        "## 4. PROCOVA on a sham-controlled design",
        "",
        f"Inputs: parallel sham-controlled, 200 patients 1:1, change in ALSFRS-R from baseline to 6 months "
        f"(monthly visits), ANCOVA on arm and baseline score, with and without the prognostic score; "
        f"prognostic model: least squares on baseline score, its square, pre-baseline ΔFRS, disease duration, "
        f"age, bulbar onset and interactions, trained on {m['n_train']} untreated historical simulated patients "
        f"with the same eligibility and schedule (tested on {m['n_test']} more).  {n_trials} trials per row, "
        f"true effect 0 and 0.3 points/month (1.8 points at 6 months).",
        "",
        f"* Prognostic model on held-out historical patients: correlation with the outcome ρ = {m['rho_test']:.2f} "
        f"(R² {m['r2_test']:.2f}; the baseline score alone: R² {m['r2_baseline_test']:.2f}).",
        f"* Variance of the treatment estimate, PROCOVA vs baseline-adjusted ANCOVA: "
        f"**{100 * p0['variance_reduction_model_se']:.1f}% smaller** (mean model SE²; empirical variance over "
        f"trials: {100 * p0['variance_reduction_empirical']:.1f}% smaller under no effect, "
        f"{100 * p1['variance_reduction_empirical']:.1f}% with the effect).",
        f"* Sample size for the same precision: **≈ {p0['n_equivalent']:.0f} instead of 200** patients.",
        f"* Type-I error: PROCOVA {pct(null.measures['rejection_rate'])}, "
        f"{null_note(null.measures['rejection_rate'])}; ANCOVA {pct(p0['rejection_rate_plain'])}, "
        f"{null_note(p0['rejection_rate_plain'])} (both analyses on the same simulated trials).  "
        f"Power at 0.3 points/month: PROCOVA "
        f"{pct(eff.measures['rejection_rate'])}, ANCOVA {pct(p1['rejection_rate_plain'])}.",
        f"* Bias at 0.3 points/month (truth 1.8 points): PROCOVA {num(eff.measures['bias'])}, ANCOVA "
        f"{num(p1['bias_plain'])} — complete-case ANCOVA at 6 months compares survivors who attended, so "
        "both carry the same small selection bias.",
        "",
        "Caveat: the historical patients come from the same simulator as the trial, so the prognostic model "
        "is as good as it can be; real historical data (PRO-ACT, a registry) drift from a new trial's "
        "population, which shrinks the gain — never the validity of the randomised comparison.",
    ]


def section_designs(n_trials: int, workers: int) -> list[str]:
    from alscell.simulate.trials import TrialDesign, run_designs

    base = TrialDesign(n=200, follow_up_months=12.0, visit_interval_months=1.0, effect=0.3)
    rows = [
        ("ALSFRS-R slope, mixed model", base),
        ("change from baseline, ANCOVA", base.replace(endpoint="change")),
        ("CAFS (joint rank)", base.replace(endpoint="cafs")),
        ("death or tracheostomy, log-rank", base.replace(endpoint="survival")),
        ("FVC slope, mixed model", base.replace(endpoint="fvc_slope")),
        ("slope, 2 looks (O'Brien–Fleming at 50%)", base.replace(looks=(0.5,), accrual_months=12.0)),
        ("slope, 2:1 allocation", base.replace(ratio=2.0)),
        ("slope, enriched ALSFRS-R ≥ 35", base.replace(min_alsfrs=35)),
        (
            "single arm + 200 external controls, no effect",
            base.replace(kind="single_arm", n=100, ratio=0.5, effect=0.0),
        ),
        (
            "single arm + 200 external controls progressing 15% faster, no effect",
            base.replace(kind="single_arm", n=100, ratio=0.5, effect=0.0, external_rate_factor=1.15),
        ),
    ]
    res = run_designs([d for _, d in rows], n_trials, SEED + 5, workers=workers)
    lines = [
        "## 5. Endpoints and designs side by side",
        "",
        f"Inputs: 200 patients (single arm: 100 treated and 200 simulated external controls), intrathecal, 3 "
        f"doses 2 months apart, 12 months of monthly visits after randomisation, true effect 0.3 "
        f"ALSFRS-R points/month unless stated; {n_trials} trials per row.",
        "",
        "| design | rejection rate | mean estimate | bias | CI coverage |",
        "|---|---|---|---|---|",
    ]
    for (name, _d), s in zip(rows, res, strict=True):
        m = s.measures
        b = num(m["bias"]) if m["bias"]["value"] == m["bias"]["value"] else "—"
        c = pct(m["coverage"]) if m["coverage"]["value"] == m["coverage"]["value"] else "—"
        rej = pct(m["rejection_rate"])
        if s.design.effect == 0:
            rej += f", {null_note(m['rejection_rate'])}"
        lines.append(f"| {name} | {rej} | {num(m['mean_estimate'])} | {b} | {c} |")
    lines += [
        "",
        "Estimates: slope designs in points/month (FVC: % predicted/month), change in points, CAFS as net "
        "benefit (wins − losses over pairs), survival as Peto log hazard ratio (negative = fewer events on "
        "active).  Bias and coverage only where the true value is known in closed form.  The change "
        "endpoint falls short of its truth (0.3 × 12 = 3.6 points): the complete cases at 12 months are the "
        "survivors who attended, and a slower decline keeps more fast progressors alive in the active arm, "
        "so the compared groups are no longer exchangeable; the mixed-model slope, which uses every visit, "
        "is nearly unbiased.  The last two rows "
        "show why single-arm trials with external controls need the controls to be exchangeable: the same "
        "analysis is calibrated when they are, and finds an 'effect' of a treatment that does nothing when "
        "the controls progress faster.",
    ]
    return lines


HOW_IT_WORKS = """## How the designer works

* **Patients** come from the simulator's engine (natural history, item-level noise, missed visits,
  informative dropout, deaths; docs/simulator.md).  A trial screens simulated candidates (screening visit,
  optional run-in), applies the eligibility rules (run-in decline, ALSFRS-R window, ΔFRS window, disease
  duration) and randomises exactly `n · r/(1 + r)` patients to active; the true effect starts at the first
  active dose and follows the repeated-dose schedule (waning half-life, re-dosing boost, route multipliers).
* **Designs**: `parallel` (sham-controlled, any ratio), `single_arm` (treated patients against simulated
  untreated external controls, optionally progressing faster), `delayed_start` (the control group starts
  active treatment after `--delay`), `route_comparison` (two routes head to head), each with optional
  interim looks.
* **Endpoints**: ALSFRS-R or FVC slope by the mixed model (random intercept and slope, all trials of a batch
  in one `fit_lmm_batch` call), change from baseline by ANCOVA (optionally with the PROCOVA prognostic
  score), NurOwn's responder definition, CAFS (Finkelstein–Schoenfeld) and the log-rank test of death or
  tracheostomy.  Conventions in `alscell/simulate/trials/endpoints.py`.
* **Group-sequential looks** at information fractions (share of patients who finished follow-up; for the
  survival endpoint, share of the final analysis's events — event-driven looks; every endpoint but responder) with
  Lan–DeMets O'Brien–Fleming-type or Pocock-type spending; boundaries by recursive numerical integration,
  checked against an independent multivariate-normal integration and the published O'Brien–Fleming table
  (tests/simulate/test_trials.py).
* **Performance measures** (rejection rate, bias, coverage, empirical and model SE) with Monte Carlo SEs by
  the formulas of Morris, White & Crowther (Stat Med 2019); type-I error of every design under no effect is
  tested to lie within 2 MCSE of 0.05.
* **Execution**: trial i always uses child i of one `SeedSequence`; batches of trials are tasks, in this
  process or on Dask (`--workers N` for a LocalCluster, `--scheduler tcp://HOST:PORT`), with identical
  results.  Throughput: `benchmarks/trials.py` ([trials_throughput.md](trials_throughput.md)).
* **Design report**: `alscell power ... --report design.html` (or `.pdf`) writes the inputs, the results
  with their MCSEs, the power curve (with `--curve-n` / `--curve-effect`) and a judgement of each rate at
  its *nominal* value (type-I error against α with the MCSE a test of exactly size α would have, coverage
  against 95%, bias against 0), under a banner that the numbers come from our simulator, not the world
  (`alscell.report.design`, same style as the cohort report).

Not yet: external controls taken from a real registry (they are simulated here), a prognostic-risk
enrichment window other than ΔFRS and ALSFRS-R.
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write-md", type=Path, default=None, help="write the Markdown page here")
    ap.add_argument("--trials", type=int, default=400, help="simulated trials per scenario (default 400)")
    ap.add_argument("--cohort", type=int, default=6000, help="untreated patients for sections 2-3 (default 6000)")
    ap.add_argument("--workers", type=int, default=1, help="Dask LocalCluster workers (1 = this process)")
    args = ap.parse_args()
    t0 = time.time()
    nurown, _ = section_nurown(args.trials, args.workers)
    run_in = section_run_in(args.cohort)
    bedlack = section_bedlack(args.cohort)
    procova = section_procova(args.trials, args.workers)
    designs = section_designs(max(args.trials // 2, 2), args.workers)
    cmd = "benchmarks/trials_report.py" + (
        f" --trials {args.trials} --cohort {args.cohort}" if (args.trials, args.cohort) != (400, 6000) else ""
    )
    header = [
        "# In-silico trials: what the designer says about ALS cell-therapy designs",
        "",
        f"Every number on this page is regenerated by `.venv/bin/python {cmd} --write-md docs/trials.md` "
        f"(seed {SEED}; results do not depend on `--workers`).  Performance figures carry their Monte Carlo "
        "SE (Morris, White & Crowther, Stat Med 2019).  The natural history is the simulator's "
        "(docs/simulator.md), so where it departs from real patients these numbers do too; each section says "
        "where the simulator disagrees with the published figure.  Command line: `alscell power` "
        "(spec/cli.md); designs, endpoints and group-sequential boundaries: `alscell.simulate.trials`.",
        "",
    ]
    text = (
        "\n".join(
            header + nurown + [""] + run_in + [""] + bedlack + [""] + procova + [""] + designs + ["", HOW_IT_WORKS]
        )
        + "\n"
    )
    text += f"\n_Generated in {time.time() - t0:.0f} s._\n"
    text = re.sub(r"\n{3,}", "\n\n", text)
    print(text)
    if args.write_md:
        args.write_md.write_text(text)


if __name__ == "__main__":
    main()

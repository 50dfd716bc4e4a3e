"""Null calibration of the survival hazard ratio on registry data (ADEMP; Morris, White & Crowther 2019).

Aims        Under no treatment effect, does the death hazard ratio of ``event_analysis`` reject at ≈ 5% and do
            its 95% CIs cover HR = 1 ≈ 95% of the time on registry data, where treatment starts right after a
            bad-looking visit?  Marginal structural Cox model (``msm_iptw``) vs the unweighted time-varying Cox
            model (``cox_time_varying``).
Data        Scenario ``registry``: ``simulate_cohort(CohortConfig(design="registry", effect=0, n_patients=300,
            selection_rule="worst_visit"), seed)`` (treated share 0.6, ``selection_on_bad_visit = 1``).  Scenario ``sequential``: the
            same cohorts' outcome tables with the treatments replaced by a *sequential* decision process —
            at every visit after the first of a not-yet-treated patient, treatment starts
            1–21 days later with probability expit(A + B·z), z = (observed decline since the previous visit
            − 1) / 1.7 — a registry whose treatment decisions depend on the observed past only.  With effect 0
            the outcomes do not depend on treatment (bit-identical to the untreated course), so the true HR is
            exactly 1 in both scenarios.  Scenario ``sequential_no_dropout``: the same with registries simulated
            without loss to follow-up (``NaturalHistory(dropout_per_year=0)``).  Seeds:
            ``SeedSequence(ENTROPY).spawn(cohorts)``.
Estimand    log hazard ratio of death, treated vs untreated person-time (true value 0).
Methods     ``cox_time_varying`` (unweighted, model-based SE), ``msm_iptw`` (the default for observational
            data), and in the ``registry`` scenario the diagnostic ``msm_oracle_future``: the same MSM whose
            treatment model also knows the number of visits the patient will still attend (future
            information; impossible in practice) — it tests whether the simulator's registry assignment is
            sequential.
Performance rejection rate at α = 0.05, coverage of HR = 1, mean log-HR bias, empirical SE, mean SE, with MCSEs.

    .venv/bin/python benchmarks/survival_calibration.py                      # 200 cohorts × 300 patients
    .venv/bin/python benchmarks/survival_calibration.py --cohorts 500 --workers 2 --write-md docs/survival_calibration.md
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings

import numpy as np
import pandas as pd

ENTROPY = 20250611
SEQ_A, SEQ_B = -2.0, 1.0  # sequential scenario: per-visit log-odds of starting treatment
IPCW = "msm_iptw_ipcw"  # msm_iptw with censoring weights for withdrawal / loss to follow-up


def sequential_treatments(tables: dict, rng: np.random.Generator) -> pd.DataFrame:
    """Replace the registry's treatments by a sequential decision on the observed past (valid only when the
    outcomes do not depend on treatment, i.e. effect 0)."""
    from alscell.domain.alsfrs import score_items
    from alscell.domain.time import DAYS_PER_MONTH as DPM

    v = tables["alsfrs"]
    tot = pd.DataFrame(
        {
            "patient_id": v["patient_id"].to_numpy(),
            "date": v["date"].to_numpy(),
            "total": score_items(v)["total"].to_numpy(dtype=float),
        }
    ).dropna()
    tot = tot.sort_values(["patient_id", "date"]).reset_index(drop=True)
    g = tot.groupby("patient_id", sort=False)
    dt = (tot["date"] - g["date"].shift(1)).dt.days / DPM
    z = ((g["total"].shift(1) - tot["total"]) / dt.clip(lower=0.5) - 1.0) / 1.7
    eligible = z.notna()  # every visit but the first (whether a visit is the last one is the future)
    u = rng.random(len(tot))  # drawn for every visit: the stream does not depend on who is treated
    delay = rng.integers(1, 22, len(tot))
    p = 1.0 / (1.0 + np.exp(-(SEQ_A + SEQ_B * z.fillna(0.0))))
    start = eligible & (u < p)
    first = tot[start].groupby("patient_id").head(1).index
    ev = tables["events"]
    end = ev[ev["event"].isin(("death", "withdrawal", "lost_to_follow_up"))].groupby("patient_id")["date"].min()
    tr = tot.loc[first, ["patient_id", "date"]].copy()
    tr["date"] = tr["date"] + pd.to_timedelta(delay[first], unit="D")
    tr = tr[~(tr["date"] >= tr["patient_id"].map(end))]
    old = tables["treatments"]
    out = pd.DataFrame(
        {c: pd.Series([None] * len(tr), dtype=old[c].dtype if c in old else object) for c in old.columns}
    )
    out["patient_id"] = tr["patient_id"].to_numpy()
    out["date"] = tr["date"].to_numpy()
    out["treatment_id"] = (tr["patient_id"] + "-T1").to_numpy()
    return out


def oracle_msm(tables: dict):
    """Diagnostic: the MSM with the number of visits still to come (future information) in the treatment
    model.  Returns (log HR, robust SE)."""
    from alscell.analysis import survival as S
    from alscell.analysis import treatment_weights as tw
    from alscell.analysis.cox_sandwich import robust_cox_se

    sf = S.survival_frame(tables, "death")
    adj = [c for c in S.COX_ADJUST if sf[c].std() > 0]  # as event_analysis: Cox model and numerator
    extra = [c for c in S.ADJUST if c not in adj and sf[c].std() > 0]  # the decision model's extra terms
    long = S.long_format(sf, adj)
    dec = tw.decision_frame(tables, sf, [*adj, *extra])
    vis = tw.visit_totals(tables, sf)
    vis["log_visits_left"] = np.log1p(vis.groupby("patient_id").cumcount(ascending=False))
    dec = dec.merge(vis[["patient_id", "t", "log_visits_left"]], on=["patient_id", "t"], how="left")
    dec = tw.decision_weights(dec, adj, state_terms=(*tw.STATE_TERMS, *extra, "log_visits_left"))
    rows, _ = tw.weighted_long(long, dec)
    ctv = S._fit_ctv(rows.drop(columns="w_raw"), "w", 0.0, [])
    se = robust_cox_se(rows, ctv.params_, weights_col="w")
    return float(ctv.params_["treated"]), float(se["treated"])


def run_chunk(seeds: list[int], n_patients: int) -> list[dict]:
    warnings.simplefilter("ignore")
    from alscell.analysis.survival import event_analysis
    from alscell.simulate import CohortConfig, simulate_cohort
    from alscell.simulate.config import NaturalHistory

    rows = []
    for seed in seeds:
        cohort = simulate_cohort(
            CohortConfig(n_patients=n_patients, design="registry", effect=0.0, selection_rule="worst_visit"), int(seed)
        )
        seq = dict(cohort.tables)
        seq["treatments"] = sequential_treatments(cohort.tables, np.random.default_rng([int(seed), 1]))
        # the same registry without any loss to follow-up, sequential decisions again (same random numbers)
        no_drop = simulate_cohort(
            CohortConfig(
                n_patients=n_patients, design="registry", effect=0.0, selection_rule="worst_visit",
                natural=NaturalHistory(dropout_per_year=0.0),
            ),
            int(seed),
        )  # fmt: skip
        seq_nd = dict(no_drop.tables)
        seq_nd["treatments"] = sequential_treatments(no_drop.tables, np.random.default_rng([int(seed), 1]))
        default = simulate_cohort(CohortConfig(n_patients=n_patients, design="registry", effect=0.0), int(seed))
        rct = simulate_cohort(CohortConfig(n_patients=n_patients, design="rct", effect=0.0), int(seed))
        for scen, tables in (
            ("registry", cohort.tables),
            ("sequential", seq),
            ("sequential_no_dropout", seq_nd),
            ("simulator_default", default.tables),
            ("randomized", rct.tables),
        ):
            # randomised: the default analysis (unadjusted time-varying Cox) only
            methods = ("cox_time_varying",) if scen == "randomized" else ("cox_time_varying", "msm_iptw", IPCW)
            for m in methods:
                t = time.perf_counter()
                try:
                    if m == IPCW:  # the MSM with inverse-probability-of-censoring weights as well
                        r = event_analysis(tables, "death", method="msm_iptw", censoring_weights=True)
                    else:
                        r = event_analysis(tables, "death", method=m)
                    w = r.weights
                    rows.append(
                        dict(
                            seed=seed,
                            scenario=scen,
                            method=m,
                            log_hr=np.log(r.hr),
                            se=r.se,
                            ci_low=np.log(r.ci_low),
                            ci_high=np.log(r.ci_high),
                            p_value=r.p_value,
                            n_events=r.n_events,
                            n_treated=int(r.long.loc[r.long["treated"] == 1, "patient_id"].nunique()),
                            w_mean=w.mean if w else np.nan,
                            w_max=w.max_untruncated if w else np.nan,
                            w_trunc=w.n_truncated / w.n_rows if w else np.nan,
                            seconds=time.perf_counter() - t,
                        )
                    )
                except Exception as exc:  # noqa: BLE001 - a failed fit is a result too
                    rows.append(dict(seed=seed, scenario=scen, method=m, log_hr=np.nan, error=repr(exc)[:200]))
            if scen == "registry":
                try:
                    b, se = oracle_msm(tables)
                    rows.append(
                        dict(
                            seed=seed,
                            scenario=scen,
                            method="msm_oracle_future",
                            log_hr=b,
                            se=se,
                            ci_low=b - 1.959964 * se,
                            ci_high=b + 1.959964 * se,
                            p_value=float(2 * (1 - _phi(abs(b / se)))),
                        )
                    )
                except Exception as exc:  # noqa: BLE001
                    rows.append(
                        dict(seed=seed, scenario=scen, method="msm_oracle_future", log_hr=np.nan, error=repr(exc)[:200])
                    )
    return rows


def _phi(x):
    from scipy.stats import norm

    return float(norm.cdf(x))


def performance(raw: pd.DataFrame) -> pd.DataFrame:
    out = []
    for (scen, m), g in raw.groupby(["scenario", "method"], sort=False):
        ok = g.dropna(subset=["log_hr", "ci_low", "ci_high", "p_value"])
        n = len(ok)
        b = ok["log_hr"].to_numpy()
        rej = float((ok["p_value"] < 0.05).mean())
        cov = float(((ok["ci_low"] <= 0) & (0 <= ok["ci_high"])).mean())
        emp = float(b.std(ddof=1))
        out.append(
            dict(
                scenario=scen,
                method=m,
                n=n,
                failed=len(g) - n,
                rejection=rej,
                rejection_mcse=np.sqrt(rej * (1 - rej) / n),
                coverage=cov,
                coverage_mcse=np.sqrt(cov * (1 - cov) / n),
                bias=float(b.mean()),
                bias_mcse=emp / np.sqrt(n),
                emp_se=emp,
                emp_se_mcse=emp / np.sqrt(2 * (n - 1)),
                mean_se=float(np.sqrt(np.mean(ok["se"].to_numpy() ** 2))),
                mean_hr=float(np.exp(b.mean())),
                w_mean=float(ok["w_mean"].mean()) if "w_mean" in ok else np.nan,
                w_max=float(ok["w_max"].max()) if "w_max" in ok else np.nan,
                w_trunc=float(ok["w_trunc"].mean()) if "w_trunc" in ok else np.nan,
                seconds=float(ok["seconds"].mean()) if "seconds" in ok else np.nan,
            )
        )
    return pd.DataFrame(out)


def _fmt(x, se, d=3):
    return f"{x:.{d}f} ({se:.{d}f})"


def markdown_table(perf: pd.DataFrame) -> str:
    head = (
        "| scenario | method | cohorts | rejection at α = 0.05 (MCSE) | coverage of HR = 1 (MCSE) | "
        "mean log-HR bias (MCSE) | exp(mean log HR) | empirical SE (MCSE) | mean SE |"
    )
    lines = [head, "|" + "---|" * 9]
    for r in perf.itertuples():
        lines.append(
            f"| {r.scenario} | `{r.method}` | {r.n} | {_fmt(r.rejection, r.rejection_mcse)} | "
            f"{_fmt(r.coverage, r.coverage_mcse)} | {_fmt(r.bias, r.bias_mcse)} | {r.mean_hr:.2f} | "
            f"{_fmt(r.emp_se, r.emp_se_mcse)} | {r.mean_se:.3f} |"
        )
    return "\n".join(lines)


def weights_table(perf: pd.DataFrame) -> str:
    w = perf[perf["method"] == "msm_iptw"]
    lines = [
        "| scenario | mean stabilised weight (truncated) | largest untruncated weight | rows truncated |",
        "|---|---|---|---|",
    ]
    for r in w.itertuples():
        lines.append(f"| {r.scenario} | {r.w_mean:.3f} | {r.w_max:.1f} | {100 * r.w_trunc:.1f}% |")
    return "\n".join(lines)


def verdict(perf: pd.DataFrame) -> list[str]:
    out = []
    for r in perf.itertuples():
        tol = 2 * np.sqrt(0.05 * 0.95 / r.n)  # 2 MCSE computed at the nominal rate (Morris et al. 2019)
        ok = abs(r.rejection - 0.05) <= tol and abs(r.coverage - 0.95) <= tol
        unbiased = abs(r.bias) <= 2 * r.bias_mcse
        out.append(
            f"{r.scenario} / {r.method}: rejection and coverage {'within' if ok else 'OUTSIDE'} 2 MCSE of 5% / 95%, "
            f"bias {'within' if unbiased else 'OUTSIDE'} 2 MCSE of 0 — rejects "
            f"{100 * r.rejection:.1f}% (MCSE {100 * r.rejection_mcse:.1f}), covers {100 * r.coverage:.1f}% "
            f"(MCSE {100 * r.coverage_mcse:.1f}), mean log-HR {r.bias:+.3f} (MCSE {r.bias_mcse:.3f})."
        )
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cohorts", type=int, default=200)
    ap.add_argument("--patients", type=int, default=300)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--chunk", type=int, default=5, help="cohorts per task")
    ap.add_argument("--raw", default=None, help="write per-cohort results to this CSV")
    ap.add_argument("--write-md", default=None, help="write the results page (docs/survival_calibration.md)")
    args = ap.parse_args(argv)

    from rich.console import Console
    from rich.table import Table

    from alscell.simulate.study import run_study, study_seeds

    console = Console()
    t0 = time.perf_counter()
    rows = run_study(
        run_chunk,
        study_seeds(ENTROPY, args.cohorts),
        task_args=(args.patients,),
        chunk=args.chunk,
        workers=args.workers,
        label="survival calibration",
        console=console,
    )
    elapsed = time.perf_counter() - t0
    raw = pd.DataFrame(rows)
    if args.raw:
        raw.to_csv(args.raw, index=False)
    perf = performance(raw)

    table = Table(
        title=f"Survival null calibration: {args.cohorts} cohorts × {args.patients} patients, {elapsed / 60:.1f} min"
    )
    for c in (
        "scenario",
        "method",
        "n",
        "rejection (MCSE)",
        "coverage (MCSE)",
        "log-HR bias (MCSE)",
        "emp. SE",
        "mean SE",
    ):
        table.add_column(c)
    for r in perf.itertuples():
        table.add_row(
            r.scenario,
            r.method,
            str(r.n),
            _fmt(r.rejection, r.rejection_mcse),
            _fmt(r.coverage, r.coverage_mcse),
            _fmt(r.bias, r.bias_mcse),
            f"{r.emp_se:.3f}",
            f"{r.mean_se:.3f}",
        )
    console.print(table)
    console.print(weights_table(perf), markup=False)
    for line in verdict(perf):
        console.print(line, markup=False)
    console.print(f"elapsed {elapsed:.0f} s on {args.workers} worker(s)")

    if args.write_md:
        md = MD_TEMPLATE.format(
            cohorts=args.cohorts,
            patients=args.patients,
            entropy=ENTROPY,
            table=markdown_table(perf),
            weights=weights_table(perf),
            verdicts="\n".join(f"* {v}" for v in verdict(perf)),
            minutes=elapsed / 60,
            workers=args.workers,
            python=platform.python_version(),
            a=SEQ_A,
            b=SEQ_B,
            command=" ".join(["benchmarks/survival_calibration.py", *(argv if argv is not None else sys.argv[1:])]),
            **{
                f"{s}_{m}": _get(perf, s, m)
                for s in ("registry", "sequential", "sequential_no_dropout", "simulator_default", "randomized")
                for m in ("cox_time_varying", "msm_iptw", IPCW, "msm_oracle_future")
            },
        )
        with open(args.write_md, "w", encoding="utf-8") as fh:
            fh.write(md)
        console.print(f"wrote {args.write_md}")
    return 0


def _get(perf, s, m):
    r = perf[(perf["scenario"] == s) & (perf["method"] == m)]
    if not len(r):
        return "n/a"
    r = r.iloc[0]
    return (
        f"rejection {100 * r.rejection:.1f}%, coverage {100 * r.coverage:.1f}%, "
        f"mean log-HR {r.bias:+.3f} (MCSE {r.bias_mcse:.3f}; HR {r.mean_hr:.2f})"
    )


MD_TEMPLATE = """# Survival hazard ratio: calibration under no effect (registry data)

Every number on this page is printed by `.venv/bin/python {command}` (seed entropy {entropy}; rerun it to
reproduce them).  Design after Morris, White & Crowther, Stat Med 2019;38:2074–2102 (ADEMP).

* **Aim** — under no treatment effect, does the death hazard ratio of `alscell.analysis.survival.event_analysis`
  reject at 5% and cover HR = 1 with 95% of its intervals on registry data, where treatment starts right
  after a visit that looks bad and the same decline predicts death (time-dependent confounding)?
* **Data** — {cohorts} cohorts of {patients} patients, `simulate_cohort(CohortConfig(design="registry",
  effect=0))`; with effect 0 every outcome is bit-identical to the untreated course, so the true HR is exactly 1.
  * scenario **simulator_default**: the simulator's registry with its default `selection_rule="sequential"`
    (decisions on the observed past, made in the simulator itself).
  * scenario **registry**: the simulator's registry with `selection_rule="worst_visit"` (60% of patients
    treated, at a visit drawn with log-odds +1 per SD of observed decline — `selection_on_bad_visit = 1` —
    among all the visits of the course; the simulator's default is now the sequential rule).
  * scenario **sequential**: the same outcome tables, treatments replaced by a sequential decision on the
    observed past — at every visit except the first of a not-yet-treated patient, treatment starts
    1–21 days later (not at all if the patient dies or leaves first) with probability expit({a:g} + {b:g}·z), z = (decline since the previous visit − 1)/1.7.
    Valid only because the outcomes do not depend on treatment when the effect is 0.
  * scenario **sequential_no_dropout**: as **sequential**, on the same registries simulated without any loss
    to follow-up (`NaturalHistory(dropout_per_year=0)`; deaths still end follow-up) — isolates what dropout
    does to the MSM.
* **Estimand** — log hazard ratio of death, treated vs untreated person-time (time-varying exposure; truth 0).
  * scenario **randomized**: `design="rct"` (1:1, run-in, effect 0) — the default analysis of randomised data.
* **Methods** — `cox_time_varying`: unweighted time-varying Cox (lifelines `CoxTimeVaryingFitter`; on registry
  data adjusted for age, bulbar onset, months since onset at entry and the ΔFRS progression group — slow /
  intermediate / fast, Labra 2016; on randomised data unadjusted; model-based SE).  `msm_iptw` (default for
  observational data): marginal structural Cox model — pooled logistic model of starting treatment at each
  visit of a not-yet-treated patient (time since entry and its square, the baseline covariates with ΔFRS
  also linear, current ALSFRS-R total, decline per month since the previous visit and over the two previous
  intervals, first-visit flag), stabilised weights (numerator: time and the Cox model's covariates), the
  Cox model adjusted like the unweighted one, weights truncated at the 1st/99th
  percentiles, weighted `CoxTimeVaryingFitter` with cluster-robust sandwich SEs by patient (computed in
  `cox_sandwich.robust_cox_se`, Efron ties, equal to R survival's `coxph(ties="efron", cluster=)`: lifelines'
  `CoxTimeVaryingFitter(robust=True)` raises NotImplementedError and `CoxPHFitter`'s sandwich ignores `entry_col` and ties).  `msm_oracle_future` (registry
  scenario, diagnostic only): the same MSM whose treatment model is also given the number of visits the
  patient will still attend — information no real analysis has.  `msm_iptw_ipcw`: the MSM with
  inverse-probability-of-censoring weights as well (`event_analysis(..., censoring_weights=True)`): a pooled
  logistic model of being lost (withdrawal or loss to follow-up recorded in events) before the next visit,
  at every visit, on the same state terms plus treatment so far (numerator: time, the Cox model's
  covariates and treatment), multiplied into the treatment weights before truncation.
* **Performance** — rejection rate at α = 0.05, coverage of HR = 1 by the 95% CI, mean log-HR (bias), empirical
  SE; Monte Carlo SEs in brackets (√(p(1−p)/n) for rates, SD/√n for the bias, SD/√(2(n−1)) for the empirical SE).

## Results

{table}

Treatment weights of `msm_iptw`:

{weights}

{verdicts}

Run time: {minutes:.1f} min with {workers} worker process(es), Python {python}.

## Reading the table

* **Sequential scenario** — when treatment decisions depend on the observed past only (the assumption of
  every marginal structural model: no unmeasured confounding, sequentially), the unweighted time-varying Cox
  model gives {sequential_cox_time_varying}, the MSM {sequential_msm_iptw}.  Rejection and coverage
  are what they should be; compare the MSM's remaining mean log-HR with its MCSE before calling it
  unbiased.  Known sources of a small residual lean towards harm, not fixed here: truncation at the
  1st/99th percentiles pulls the estimate towards the unweighted one; dropout depends on the latent decline
  (the simulator's), which the registry does not record; decisions are modelled per visit interval (discrete
  time) while treatment starts 1–21 days after the visit.  Without any loss to follow-up
  (**sequential_no_dropout**) the MSM gives {sequential_no_dropout_msm_iptw}: compare its mean log-HR with
  the sequential scenario's to see how much of the lean dropout accounts for.  Censoring weights, which
  model loss to follow-up on the *observed* course, give {sequential_msm_iptw_ipcw} in the sequential
  scenario: between the two (the difference is within its Monte Carlo error), so they are an option.
* **Simulator registry** — unweighted: {registry_cox_time_varying}; MSM: {registry_msm_iptw}; MSM given the
  future (diagnostic): {registry_msm_oracle_future}.  The simulator's registry chooses the treatment visit
  for a patient who will be treated among *all* his eligible visits up to death or dropout (a draw over the
  whole observed course, weighted by each visit's decline), so a patient close to death is more likely to be
  treated at any given visit than a patient with the same history and a long course ahead: the decision
  depends on the future.  No method that uses the observed past only can remove that bias; the oracle
  diagnostic shows how much of it is due to this.  Real registries decide on the past, like the sequential
  scenario — but unmeasured reasons for treating (the clinician's impression of a patient going downhill)
  would bias the MSM in the same direction, towards harm.
* **Simulator default** (`selection_rule="sequential"`: at each visit an assigned patient starts with
  probability expit(0 + 1·z), so most assigned patients start within their first visits and the timing
  carries little confounding) — unweighted: {simulator_default_cox_time_varying}; MSM:
  {simulator_default_msm_iptw}.  This is the registry that `make demo` and the cohort report's example use.
  Until 2026-12-02, with ΔFRS adjusted linearly, both rejected too often here (`docs/survival_variance.md`,
  rows "linear_dfrs"; see the randomised trials below).
* **Randomised trials** — unadjusted time-varying Cox: {randomized_cox_time_varying}.  Until 2026-12 the
  Cox models were adjusted for ΔFRS as a linear term; on the simulator, where death follows each patient's
  course closely, that made the hazard ratio's spread across cohorts 1.2–1.7 times its reported SE (also on
  randomised trials, where no adjustment is needed) and the tests rejected 10–25% under no effect
  (`docs/survival_variance.md` shows the spread against the SEs for the method as it now is).
* **What alscell says** — `event_analysis` on observational data uses `msm_iptw` and warns that it removes
  confounding by the *measured* ALSFRS-R course only.  The unweighted analysis is kept under its own name
  for comparison and is the primary analysis on randomised data (`blinded_arm` present).
"""


if __name__ == "__main__":
    raise SystemExit(main())

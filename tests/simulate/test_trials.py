"""In-silico trial designer: boundaries, analyses, type-I error of every design, reproducibility, CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from alscell.simulate.trials import (
    TrialData,
    TrialDesign,
    boundaries,
    crossing_probabilities,
    metrics,
    run_designs,
    spent_alpha,
)
from alscell.simulate.trials import endpoints as ep

# ---------------------------------------------------------------------------------------------- boundaries


def _mvn_cumulative_crossing(t: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Independent computation: 1 − P(|Z_j| < c_j for all j ≤ k), Z multivariate normal with
    Corr(Z_i, Z_j) = √(t_i/t_j), by scipy's Genz integration (no recursion, no grid)."""
    out = []
    for k in range(1, len(t) + 1):
        tk = t[:k]
        cov = np.sqrt(np.minimum.outer(tk, tk) / np.maximum.outer(tk, tk))
        inside = stats.multivariate_normal.cdf(
            c[:k], np.zeros(k), cov, maxpts=1_000_000, abseps=5e-7, releps=5e-7, lower_limit=-c[:k], rng=1
        )
        out.append(1.0 - inside)
    return np.array(out)


@pytest.mark.parametrize("kind", ["obrien_fleming", "pocock"])
@pytest.mark.parametrize("fractions", [(0.5, 1.0), (0.3, 0.6, 1.0), (0.2, 0.4, 0.6, 0.8, 1.0), (0.25, 0.9, 1.0)])
def test_boundaries_spend_alpha_by_independent_integration(kind, fractions):
    t = np.array(fractions)
    c = boundaries(t, 0.05, kind)
    np.testing.assert_allclose(_mvn_cumulative_crossing(t, c), spent_alpha(t, 0.05, kind), atol=2e-5)


def test_obrien_fleming_boundaries_match_published_table():
    # Lan–DeMets O'Brien–Fleming-type spending, 5 equally spaced looks, two-sided α = 0.05 (one-sided 0.025
    # per side): 4.877, 3.357, 2.680, 2.290, 2.031 (DeMets & Lan, Stat Med 1994;13:1341, Table; the same
    # values are gsDesign's sfLDOF bounds).
    c = boundaries(np.arange(1, 6) / 5, 0.05, "obrien_fleming")
    np.testing.assert_allclose(c, [4.877, 3.357, 2.680, 2.290, 2.031], atol=1.5e-3)


def test_single_look_is_the_fixed_design_and_power_recursion_is_consistent():
    assert boundaries([1.0], 0.05, "pocock")[0] == pytest.approx(stats.norm.isf(0.025), abs=1e-9)
    t = np.array([0.5, 1.0])
    c = boundaries(t, 0.05, "obrien_fleming")
    assert crossing_probabilities(t, c).sum() == pytest.approx(0.05, abs=1e-6)
    # power under a drift θ√I = 2.8 (≈ 80% for the fixed design): a little less with one O'Brien–Fleming look
    fixed = stats.norm.sf(stats.norm.isf(0.025) - 2.8)
    gs = crossing_probabilities(t, c, drift=2.8).sum()
    assert 0.97 * fixed < gs < fixed


def test_bad_fractions_are_refused():
    with pytest.raises(ValueError, match="increase"):
        boundaries([0.6, 0.5, 1.0])


# ---------------------------------------------------------------------------------------------- analyses


def _toy_trial(rng, n=30, V=5) -> TrialData:
    arm = (np.arange(n) % 2).astype(float)
    months = np.tile(np.arange(V, dtype=float), (n, 1))
    y = 40 - months * rng.uniform(0.3, 1.5, (n, 1)) + rng.normal(0, 1, (n, V))
    y[:, 1:][rng.random((n, V - 1)) < 0.15] = np.nan  # the baseline visit is always there
    t_ev = rng.exponential(20, n)
    cens = rng.uniform(2, 6, n)
    return TrialData(
        y=np.round(y),
        fvc=np.full((n, V), np.nan),
        months=np.where(np.isfinite(y), months, np.nan),
        arm=arm,
        screen_y=y[:, 0] + 2,
        pre_slope=rng.normal(-1, 0.5, n),
        event_months=np.round(np.minimum(t_ev, cens), 1),  # rounding makes ties
        event=t_ev <= cens,
        covariates=np.zeros((n, 7)),
        enrol=np.zeros(n),
        run_in_months=0.0,
        n_screened=n,
    )


def test_logrank_matches_lifelines():
    from lifelines.statistics import logrank_test

    rng = np.random.default_rng(3)
    tr = _toy_trial(rng, n=80)
    a = tr.arm == 1
    ref = logrank_test(tr.event_months[a], tr.event_months[~a], tr.event[a], tr.event[~a])
    got = ep.logrank([tr])
    assert got["p"][0] == pytest.approx(ref.p_value, rel=1e-9)


def test_cafs_scores_match_a_pairwise_loop():
    rng = np.random.default_rng(4)
    tr = _toy_trial(rng, n=25)
    n = tr.n
    last = [max(j for j in range(tr.y.shape[1]) if np.isfinite(tr.y[i, j])) for i in range(n)]

    def change_at(i, c):
        j = max(k for k in range(c + 1) if np.isfinite(tr.y[i, k]))
        return tr.y[i, j] - tr.y[i, 0]

    want = np.zeros(n)
    for i in range(n):
        for j in range(n):
            ti, tj, ei, ej = tr.event_months[i], tr.event_months[j], tr.event[i], tr.event[j]
            if ei and ti < tj:
                s = -1
            elif ej and tj < ti:
                s = 1
            else:
                c = min(last[i], last[j])
                s = np.sign(change_at(i, c) - change_at(j, c))
            want[i] += s
    np.testing.assert_array_equal(ep.cafs_scores(tr), want)
    assert ep.cafs_scores(tr).sum() == 0  # antisymmetric


def test_responders_use_post_minus_pre_slope():
    rng = np.random.default_rng(5)
    tr = _toy_trial(rng, n=20)
    post = []
    for i in range(tr.n):
        m = np.isfinite(tr.y[i])
        post.append(np.polyfit(tr.months[i, m], tr.y[i, m], 1)[0] if m.sum() >= 2 else np.nan)
    post = np.array(post)
    want = np.isfinite(post) & (post - tr.pre_slope >= 1.25)
    np.testing.assert_array_equal(ep.responders(tr), want)


def test_ancova_matches_statsmodels():
    import statsmodels.api as sm

    rng = np.random.default_rng(6)
    tr = _toy_trial(rng, n=40)
    X, d = ep.ancova_design(tr)
    ref = sm.OLS(d, X).fit()
    got = ep.change([tr])
    assert got["estimate"][0] == pytest.approx(ref.params[1], rel=1e-10)
    assert got["se"][0] == pytest.approx(ref.bse[1], rel=1e-10)
    assert got["p"][0] == pytest.approx(ref.pvalues[1], rel=1e-8)


def test_mcse_formulas():
    est = np.array([1.0, 2.0, 4.0])
    assert metrics.bias(est, 2.0) == {
        "value": pytest.approx(1 / 3),
        "mcse": pytest.approx(np.std(est, ddof=1) / math.sqrt(3)),
        "n": 3,
    }
    assert metrics.rate(np.array([1, 0, 0, 0]))["mcse"] == pytest.approx(math.sqrt(0.25 * 0.75 / 4))
    assert metrics.empirical_se(est)["mcse"] == pytest.approx(np.std(est, ddof=1) / 2)


# ---------------------------------------------------------------------------------------------- designs

# Type-I error under no effect, every design.  N_TRIALS fixed-seed trials per design: the Monte Carlo SE of
# a rejection rate of 0.05 is √(0.05·0.95/240) = 0.014, so "within 2 MCSE" accepts 0.022-0.078 and fails a
# design whose true type-I error is 0.10 with probability ≈ 0.9.  Small trials (48 patients, 4 months) keep
# the set fast; the responder and survival tests get 120 patients (and 12 months for survival) because
# their two-proportion and log-rank tests are conservative with only a handful of responders or events.
N_TRIALS = 240
SMALL = {"n": 48, "follow_up_months": 4.0, "visit_interval_months": 1.0, "historical_n": 300}
DESIGNS = {
    "parallel slope 2:1": TrialDesign(ratio=2.0, endpoint="slope", **SMALL),
    "parallel change": TrialDesign(endpoint="change", **SMALL),
    "parallel change + PROCOVA": TrialDesign(endpoint="change", procova=True, **SMALL),
    "run-in, min decline, responder": TrialDesign(
        endpoint="responder", run_in_months=2.0, min_run_in_decline=1.0, **(SMALL | {"n": 120})
    ),
    "enriched (ALSFRS-R ≥ 35, ΔFRS window) CAFS": TrialDesign(
        endpoint="cafs", min_alsfrs=35, rate_window=(0.2, 1.5), **SMALL
    ),
    "parallel survival": TrialDesign(
        endpoint="survival", **(SMALL | {"n": 120, "follow_up_months": 12.0, "visit_interval_months": 3.0})
    ),
    "parallel FVC slope": TrialDesign(endpoint="fvc_slope", **SMALL),
    "single arm, external controls": TrialDesign(kind="single_arm", endpoint="slope", **SMALL),
    "delayed start": TrialDesign(kind="delayed_start", endpoint="change", **SMALL),
    "route comparison": TrialDesign(kind="route_comparison", endpoint="slope", **SMALL),
    "repeated doses, waning": TrialDesign(
        endpoint="slope", cycles=4, cycle_interval_months=1.0, half_life_months=2.0, **SMALL
    ),
    "group sequential OBF": TrialDesign(endpoint="slope", looks=(0.5,), accrual_months=6.0, **SMALL),
    "group sequential Pocock": TrialDesign(
        endpoint="change", looks=(0.5,), spending="pocock", accrual_months=6.0, **SMALL
    ),
    # event-driven look at half the final events (runner._look_time)
    "group sequential survival": TrialDesign(
        endpoint="survival",
        looks=(0.5,),
        accrual_months=12.0,
        **(SMALL | {"n": 120, "follow_up_months": 12.0, "visit_interval_months": 3.0}),
    ),
    "group sequential CAFS": TrialDesign(endpoint="cafs", looks=(0.5,), accrual_months=6.0, **SMALL),
}


@pytest.fixture(scope="module")
def null_results():
    return dict(zip(DESIGNS, run_designs(list(DESIGNS.values()), N_TRIALS, seed=20261202, batch=40), strict=True))


@pytest.mark.parametrize("name", list(DESIGNS))
def test_type_one_error_within_two_mcse(null_results, name):
    s = null_results[name]
    assert not s.design.problems()
    mcse = math.sqrt(0.05 * 0.95 / N_TRIALS)
    assert abs(s.measures["rejection_rate"]["value"] - 0.05) <= 2 * mcse, s.measures["rejection_rate"]


def test_procova_keeps_the_estimate_unbiased_and_reports_its_gain(null_results):
    p = null_results["parallel change + PROCOVA"].extras["procova"]
    assert p["model"]["n_train"] > 100 and 0 < p["model"]["rho_test"] < 1
    assert abs(p["bias_plain"]["value"]) < 3 * p["bias_plain"]["mcse"]
    assert -0.2 < p["variance_reduction_model_se"] < 0.9


def test_power_grows_with_effect_and_bias_is_small():
    d = TrialDesign(n=60, follow_up_months=6.0, endpoint="slope")
    low, high = run_designs([d.replace(effect=0.2), d.replace(effect=0.8)], 30, seed=5, batch=15)
    assert high.measures["rejection_rate"]["value"] > low.measures["rejection_rate"]["value"]
    b = high.measures["bias"]
    assert abs(b["value"]) < 0.15 and b["mcse"] > 0


def test_same_results_with_one_and_two_workers():
    d = TrialDesign(n=40, follow_up_months=3.0, endpoint="slope", effect=0.3)
    one = run_designs([d], 8, seed=11, batch=4, workers=1)[0]
    two = run_designs([d], 8, seed=11, batch=4, workers=2)[0]
    for key in ("estimate", "se", "p", "reject"):
        np.testing.assert_array_equal(one.trials[key], two.trials[key])


def _worker_environment() -> dict:
    import os

    return {k: os.environ.get(k) for k in ("MALLOC_TRIM_THRESHOLD_", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}


def test_local_cluster_workers_keep_the_default_allocator_and_one_blas_thread():
    """Dask's MALLOC_TRIM_THRESHOLD_=65536 makes glibc map and unmap every large temporary of a fit (about
    20% more CPU per trial than one process); the trial workers run without it, on one BLAS thread."""
    import os

    from dask.distributed import Client

    from alscell.simulate.trials.runner import local_cluster

    if "MALLOC_TRIM_THRESHOLD_" in os.environ:
        pytest.skip("MALLOC_TRIM_THRESHOLD_ is set in this environment (workers inherit it)")
    with local_cluster(1) as cluster, Client(cluster) as client:
        env = list(client.run(_worker_environment).values())
    assert env == [{"MALLOC_TRIM_THRESHOLD_": None, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}]
    assert "MALLOC_TRIM_THRESHOLD_" not in os.environ  # the nanny did not set it in this process either


def test_design_problems_are_sentences():
    bad = TrialDesign(kind="crossover", n=3, ratio=-1, run_in_months=1.5, looks=(0.7, 0.4), endpoint="slope")
    probs = bad.problems()
    assert any("design must be one of" in p for p in probs)
    assert any("sample size" in p for p in probs)
    assert any("interim looks" in p for p in probs)
    assert all(p.endswith(".") for p in probs)


# ---------------------------------------------------------------------------------------------- CLI

runner = CliRunner()


def _app():
    from alscell.cli import _register, app

    _register()
    return app


def test_cli_power_json():
    res = runner.invoke(_app(), ["power", "--n", "40", "--trials", "4", "--batch", "2", "--follow-up", "3", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    s = out["scenarios"][0]
    assert s["design"]["n"] == 40 and s["n_trials"] == 4
    assert set(s["rejection_rate"]) == {"value", "mcse", "n"}


def test_cli_power_bad_input_is_one_sentence_exit_2():
    res = runner.invoke(_app(), ["power", "--n", "3", "--trials", "4", "--looks", "0.5,0.2"])
    assert res.exit_code == 2
    assert "sample size" in res.output and "Traceback" not in res.output


def test_survival_interim_look_is_event_driven():
    from alscell.simulate.trials.population import simulate_trial
    from alscell.simulate.trials.runner import _look_time

    design = TrialDesign(endpoint="survival", n=150, follow_up_months=18.0, visit_interval_months=3.0, looks=(0.4,))
    trial = simulate_trial(design, np.random.SeedSequence(7))
    final_events = int(trial.event.sum())
    assert final_events >= 5
    at = trial.at_calendar(_look_time(trial, 0.4, "survival"))
    assert int(at.event.sum()) == math.ceil(0.4 * final_events)  # the look sees 40% of the final events
    # other endpoints look when 40% of the patients have finished follow-up
    t_slope = _look_time(trial, 0.4, "slope")
    assert np.sum(trial.completion() <= t_slope) == math.ceil(0.4 * trial.n)

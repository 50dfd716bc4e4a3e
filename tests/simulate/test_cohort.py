"""The simulator writes canonical folders, reproducibly, and effect 0 means no effect at all."""

from __future__ import annotations

import filecmp
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alscell.domain.time import DAYS_PER_MONTH
from alscell.io.columns import TABLES
from alscell.io.reader import read_folder
from alscell.simulate import BLOCK_SIZE, CohortConfig, ConfigError, EffectModel, engine, simulate_cohort
from alscell.simulate.effects import integrated_intensity, intensity

ITEMS = ["q1", "q2", "q3", "q4", "q5a", "q5b", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]
OUTCOME_TABLES = ("alsfrs", "measurements", "events")


@pytest.mark.parametrize(
    "config",
    [
        CohortConfig(n_patients=150, design="registry", effect=0.5),
        CohortConfig(n_patients=150, design="single_arm", effect=0.5, route="intramuscular"),
        CohortConfig(n_patients=150, design="rct", effect=-0.3, route="intrathecal", cell_source="adipose"),
        CohortConfig(
            n_patients=150,
            design="delayed_start",
            effect=1.0,
            effect_model=EffectModel(half_life_months=3.0, redose_boost=0.5),
        ),
        CohortConfig(
            n_patients=60,
            design="registry",
            follow_up_months=72,
            visit_interval_months=3,
            route="intraspinal",
            measures=("fvc_pct_pred", "svc_pct_pred", "cnsbfs", "weight_kg", "tnfa", "munix", "cmap_mv", "alsaq5"),
        ),
    ],
    ids=["registry", "single_arm_im", "rct", "delayed_start_waning", "long_all_measures"],
)
def test_every_simulated_folder_imports_cleanly(tmp_path, config):
    cohort = simulate_cohort(config, seed=11)
    cohort.write(tmp_path / "sim")
    tables = read_folder(tmp_path / "sim")  # raises ValidationError listing every problem
    for name, frame in cohort.tables.items():
        assert tuple(frame.columns) == TABLES[name]
        assert len(tables[name]) == len(frame)
    assert len(tables["patients"]) == config.n_patients


def test_tables_have_canonical_dtypes():
    t = simulate_cohort(CohortConfig(n_patients=80, design="rct", effect=0.2), seed=1).tables
    assert t["alsfrs"]["date"].dtype == "datetime64[ns]"
    assert str(t["alsfrs"]["q1"].dtype) == "Int64"
    assert t["measurements"]["value"].dtype == "float64"
    assert str(t["patients"]["riluzole"].dtype) == "boolean"  # one dtype per kind (alscell.io.tables)
    assert str(t["adverse_events"]["serious"].dtype) == "boolean"
    assert str(t["treatments"]["cycle"].dtype) == "Int64"
    a = t["alsfrs"]
    assert (a["q5a"].isna() ^ a["q5b"].isna()).all()  # exactly one of q5a / q5b


def test_same_seed_gives_identical_files(tmp_path):
    config = CohortConfig(n_patients=120, design="registry", effect=0.4)
    simulate_cohort(config, seed=5).write(tmp_path / "a")
    simulate_cohort(config, seed=5).write(tmp_path / "b")
    simulate_cohort(config, seed=6).write(tmp_path / "c")
    names = [f"{n}.csv" for n in TABLES]
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", names, shallow=False)
    assert sorted(match) == sorted(names) and not mismatch and not errors
    assert not filecmp.cmp(tmp_path / "a" / "alsfrs.csv", tmp_path / "c" / "alsfrs.csv", shallow=False)


def test_blocks_and_threads_do_not_change_the_result():
    config = CohortConfig(
        n_patients=BLOCK_SIZE + 40, follow_up_months=3, visit_interval_months=1.5, measures=("fvc_pct_pred",)
    )
    one = simulate_cohort(config, seed=3)
    two = simulate_cohort(config, seed=3, workers=2)
    for name in TABLES:
        pd.testing.assert_frame_equal(one.tables[name], two.tables[name])
    assert one.tables["patients"]["patient_id"].is_unique


@pytest.mark.parametrize("design", ["registry", "single_arm", "rct", "delayed_start"])
def test_effect_zero_is_bit_identical_to_the_untreated_course(design):
    base = dict(
        n_patients=200,
        design=design,
        effect_model=EffectModel(
            heterogeneity_sd=0.5, inflammation_log=0.5, motor_pct=3.0, fatigue=1.0, respiratory_pct=1.0
        ),
    )
    treated = simulate_cohort(CohortConfig(effect=0.0, treated_fraction=0.7, **base), seed=21)
    untreated = simulate_cohort(CohortConfig(effect=0.0, treated_fraction=0.0, **base), seed=21)
    assert treated.truth["treated"].sum() > 50
    if design != "delayed_start":  # there everyone is treated in the second phase
        assert untreated.truth["treated"].sum() == 0
    for name in OUTCOME_TABLES:
        pd.testing.assert_frame_equal(treated.tables[name], untreated.tables[name], check_exact=True)


def test_effect_changes_only_treated_patients_after_treatment():
    base = dict(n_patients=200, design="rct", treated_fraction=0.5)
    null = simulate_cohort(CohortConfig(effect=0.0, **base), seed=4)
    eff = simulate_cohort(CohortConfig(effect=0.8, **base), seed=4)
    truth = eff.truth.set_index("patient_id")
    a0, a1 = null.tables["alsfrs"], eff.tables["alsfrs"]
    placebo = set(truth.index[~truth["treated"]])
    p0 = a0[a0.patient_id.isin(placebo)].reset_index(drop=True)
    p1 = a1[a1.patient_id.isin(placebo)].reset_index(drop=True)
    pd.testing.assert_frame_equal(p0, p1)
    # Treated patients: identical before the first active administration, never worse on average after.
    t0 = a1["patient_id"].map(truth["first_treatment_date"])
    pre1 = a1[(a1.date <= t0) | t0.isna()].reset_index(drop=True)
    t0n = a0["patient_id"].map(truth["first_treatment_date"])
    pre0 = a0[(a0.date <= t0n) | t0n.isna()].reset_index(drop=True)
    pd.testing.assert_frame_equal(pre0, pre1)
    tot0 = a0[ITEMS].sum(axis=1)
    tot1 = a1[ITEMS].sum(axis=1)
    assert len(a0) <= len(a1)  # a slower course means later deaths, so never fewer visits
    assert truth.loc[truth.treated, "effect_applied"].eq(0.8).all()
    assert tot1.mean() > tot0.mean() - 1e-9


def test_latent_course_slope_change_equals_effect():
    config = CohortConfig(n_patients=300, design="rct", effect=0.7)
    b = engine.simulate_block(config, seed=9, block=0, n=300)
    active = b["active"] & b["planned"]
    t0 = np.where(active, b["adm"], np.iinfo(np.int64).max).min(axis=1) / DAYS_PER_MONTH
    tv = b["vday"] / DAYS_PER_MONTH
    diff = b["Feff"] - b["Fnat"]
    inside = (b["Feff"] > 0) & (b["Feff"] < 48) & np.isfinite(t0)[:, None]
    expected = np.where(tv > t0[:, None], 0.7 * (tv - t0[:, None]), 0.0)
    treated = active.any(axis=1)
    assert treated.sum() > 100
    np.testing.assert_allclose(diff[inside], expected[inside], atol=1e-9)
    assert np.all(diff[~treated] == 0.0)


def _slopes(cohort) -> pd.Series:
    """Per-patient OLS slope of the observed ALSFRS-R total (points/month), patients with >= 3 visits."""
    a = cohort.tables["alsfrs"]
    tot = a[ITEMS].sum(axis=1, min_count=1).astype(float)
    t = (a["date"] - a["date"].min()).dt.days / DAYS_PER_MONTH
    df = pd.DataFrame({"id": a["patient_id"], "t": t, "y": tot})
    g = df.groupby("id")
    df["tc"] = df["t"] - g["t"].transform("mean")
    df["yc"] = df["y"] - g["y"].transform("mean")
    s = (df["tc"] * df["yc"]).groupby(df["id"]).sum() / (df["tc"] ** 2).groupby(df["id"]).sum()
    return s[g.size() >= 3]


def test_effect_zero_same_outcome_distribution_under_randomisation():
    """Two-sample test of observed ALSFRS-R slopes, active vs placebo, over many seeds: p-values uniform."""
    pvals, diffs = [], []
    for seed in range(40):
        c = simulate_cohort(
            CohortConfig(n_patients=160, design="rct", effect=0.0, follow_up_months=9, visit_interval_months=1.5),
            seed=seed,
        )
        s = _slopes(c)
        arm = c.truth.set_index("patient_id")["arm"].reindex(s.index)
        x, y = s[arm == "active"], s[arm == "placebo"]
        pvals.append(stats.mannwhitneyu(x, y).pvalue)
        diffs.append(x.mean() - y.mean())
    assert stats.kstest(pvals, "uniform").pvalue > 0.001
    assert abs(np.mean(diffs)) < 4 * np.std(diffs) / math.sqrt(len(diffs))


def test_positive_effect_is_detected():
    c = simulate_cohort(
        CohortConfig(
            n_patients=600, design="rct", effect=1.0, run_in_months=0.0, follow_up_months=9, visit_interval_months=1.5
        ),
        seed=2,
    )
    s = _slopes(c)
    arm = c.truth.set_index("patient_id")["arm"].reindex(s.index)
    diff = s[arm == "active"].mean() - s[arm == "placebo"].mean()
    assert 0.5 < diff < 1.3  # floors, ceilings and death keep the observed change near, not at, 1.0


def test_waning_and_redosing_intensity():
    model = EffectModel(half_life_months=2.0, redose_boost=0.5, by_window={"short": 0.5, "long": 2.0})
    admin = np.array([[1.0, 4.0, np.inf], [np.inf, np.inf, np.inf]])
    t = np.linspace(0, 12, 4801)[None, :].repeat(2, axis=0)
    w = intensity(t, admin, model)
    G = integrated_intensity(t, admin, model)
    numeric = np.concatenate([np.zeros((2, 1)), np.cumsum((w[:, 1:] + w[:, :-1]) / 2 * np.diff(t), axis=1)], axis=1)
    np.testing.assert_allclose(G, numeric, atol=5e-3)
    assert np.all(w[1] == 0) and np.all(G[1] == 0)
    # After the second dose the intensity is boosted (1.5x) and restarts its window and waning.
    just_after = (t[0] > 4.0) & (t[0] < 4.0 + 10 / DAYS_PER_MONTH)
    np.testing.assert_allclose(w[0, just_after], 1.5 * 0.5 * np.exp2(-(t[0, just_after] - 4.0) / 2.0))
    assert EffectModel().constant and not model.constant


def test_registry_selection_treats_after_bad_visits():
    strong = simulate_cohort(CohortConfig(n_patients=1500, design="registry", selection_on_bad_visit=3.0), seed=1)
    none = simulate_cohort(CohortConfig(n_patients=1500, design="registry", selection_on_bad_visit=0.0), seed=1)
    assert strong.truth["selection_z"].mean() > 0.5
    assert abs(none.truth["selection_z"].mean()) < 0.15


def test_informative_dropout_removes_fast_progressors():
    c = simulate_cohort(
        CohortConfig(n_patients=3000, informative_dropout=2.0, treated_fraction=0.0, follow_up_months=24), seed=8
    )
    t = c.truth
    dropped = t["end_reason"].isin(["withdrawal", "lost_to_follow_up"])
    assert dropped.sum() > 100
    assert t.loc[dropped, "rate"].median() > t.loc[~dropped, "rate"].median()


def test_intrathecal_adverse_event_rates_match_the_configuration():
    c = simulate_cohort(
        CohortConfig(
            n_patients=4000,
            design="single_arm",
            treated_fraction=1.0,
            route="intrathecal",
            donor="autologous",
            cycles=3,
            background_ae_per_month={},
        ),
        seed=3,
    )
    ae, tr = c.tables["adverse_events"], c.tables["treatments"]
    n = len(tr)
    assert n > 8000
    for term, rate in (("headache", 0.07), ("fever", 0.08), ("injection_site_pain", 0.07)):
        k = (ae["term"] == term).sum()
        assert abs(k / n - rate) < 4 * math.sqrt(rate * (1 - rate) / n) + 0.004, term
    assert ae["treatment_id"].notna().all()
    assert ((ae["resolved_date"] >= ae["onset_date"]) | ae["resolved_date"].isna()).all()


def test_placebo_arm_has_sham_rows_and_no_effect():
    c = simulate_cohort(CohortConfig(n_patients=200, design="rct", effect=1.0), seed=2)
    tr = c.tables["treatments"]
    assert set(tr["blinded_arm"]) == {"active", "placebo"}
    truth = c.truth.set_index("patient_id")
    placebo_ids = tr.loc[tr.blinded_arm == "placebo", "patient_id"].unique()
    assert (truth.loc[placebo_ids, "effect_applied"] == 0).all()
    assert not truth.loc[placebo_ids, "treated"].any()


def test_item12_and_follow_up_end_follow_events():
    c = simulate_cohort(CohortConfig(n_patients=400, follow_up_months=36, visit_interval_months=2), seed=12)
    a, ev = c.tables["alsfrs"], c.tables["events"]
    niv = ev[ev.event == "niv_start"].set_index("patient_id")["date"]
    trach = ev[ev.event == "tracheostomy"].set_index("patient_id")["date"]
    before = a[
        (a["date"] < a["patient_id"].map(niv).fillna(pd.Timestamp.max))
        & (a["date"] < a["patient_id"].map(trach).fillna(pd.Timestamp.max))
    ]
    assert (before["q12"] == 4).all()  # item 12 = 4: no ventilatory support
    after_trach = a[a["date"] >= a["patient_id"].map(trach).fillna(pd.Timestamp.max)]
    assert (after_trach["q12"] == 0).all()  # 0 = invasive mechanical ventilation
    ending = ev[ev.event.isin(["death", "withdrawal", "lost_to_follow_up"])].groupby("patient_id")["date"].min()
    assert (a["date"] < a["patient_id"].map(ending).fillna(pd.Timestamp.max)).all()
    assert (ev.event == "death").sum() > 20


@pytest.mark.parametrize(
    "changes",
    [
        dict(n_patients=0),
        dict(design="crossover"),
        dict(route="oral"),
        dict(treated_fraction=1.5),
        dict(cycles=0),
        dict(effect=math.nan),
        dict(effect_model=EffectModel(by_route={"nasal": 2.0})),
    ],
)
def test_bad_configuration_is_refused_with_reasons(changes):
    with pytest.raises(ConfigError) as info:
        simulate_cohort(CohortConfig(**changes), seed=0)
    assert info.value.problems

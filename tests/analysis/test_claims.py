import pytest

from alscell.analysis.claims import claims_table, muscle_effects
from alscell.simulate import CohortConfig, EffectModel, simulate_cohort

COLS = {
    "domain",
    "measure",
    "window",
    "route",
    "cell_source",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "verdict",
    "n_patients",
}


@pytest.fixture(scope="module")
def im_cohort():
    cfg = CohortConfig(
        n_patients=300,
        design="registry",
        effect=1.0,
        route="intramuscular",
        cell_source="bone_marrow",
        effect_model=EffectModel(motor_local_pct=10.0),
    )
    return simulate_cohort(cfg, 6).tables


def test_claims_columns_and_adjustment(im_cohort):
    out = claims_table(
        im_cohort, measures={"progression": ("alsfrs_r_total",), "respiratory_bulbar": ("fvc_pct_pred",)}
    ).table
    assert COLS <= set(out.columns) and len(out)
    assert (out["p_adjusted"] >= out["p_value"] - 1e-12).all()
    long = out[(out.measure == "alsfrs_r_total") & (out.window == "long")]
    assert long["estimate"].iloc[0] > 1.0 and long["verdict"].iloc[0] == "supported"
    bh = claims_table(im_cohort, adjust="bh", measures={"progression": ("alsfrs_r_total",)}).table
    assert set(bh["adjust"]) == {"Benjamini-Hochberg"}


def test_null_claims_not_supported():
    t = simulate_cohort(
        CohortConfig(n_patients=200, design="registry", effect=0.0, route="intrathecal", cell_source="bone_marrow"), 6
    ).tables
    out = claims_table(t, measures={"progression": ("alsfrs_r_total",)}).table
    assert (out["verdict"] != "supported").all()


def test_muscle_effects_injected_vs_not(im_cohort):
    out = muscle_effects(im_cohort).table
    allrow = out[out.muscle == "all"].iloc[0]
    assert allrow["difference"] > 0 and allrow["p_value"] < 0.05

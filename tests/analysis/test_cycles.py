from alscell.analysis.cycles import dose_response, effect_by_cycle
from alscell.simulate import CohortConfig, EffectModel, simulate_cohort


def test_redose_boost_recovered():
    cfg = CohortConfig(
        n_patients=500,
        design="registry",
        effect=0.6,
        registry_continue_prob=0.9,
        effect_model=EffectModel(redose_boost=1.0),
    )
    t = simulate_cohort(cfg, 8).tables
    by = effect_by_cycle(t).table
    assert list(by["cycle"])[:2] == [1, 2]
    assert by["cumulative"].iloc[1] > by["cumulative"].iloc[0]
    dr = dose_response(t).table.set_index("term")
    assert dr.loc["per_extra_cycle", "estimate"] > 0 and dr.loc["per_extra_cycle", "p_value"] < 0.05

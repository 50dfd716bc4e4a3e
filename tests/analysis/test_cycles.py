import pandas as pd

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


def test_every_visit_kept_by_default():
    """The default keeps the visits that prompted the first treatment, like the headline (chosen by
    benchmarks/cycles_calibration.py); leaving them out is an option that says so."""
    t = simulate_cohort(CohortConfig(n_patients=120, design="registry", effect=0.0), 3).tables
    by, dr = effect_by_cycle(t), dose_response(t)
    assert not any("left out" in w for w in by.warnings + dr.warnings)
    pd.testing.assert_frame_equal(by.table, effect_by_cycle(t, exclude_pre_visits=0).table)
    out = effect_by_cycle(t, exclude_pre_visits=2)
    assert any("left out" in w for w in out.warnings)
    assert not out.table["additional"].equals(by.table["additional"])

import numpy as np
from lifelines import CoxTimeVaryingFitter

from alscell.analysis.survival import event_analysis
from alscell.simulate import CohortConfig, simulate_cohort


def test_matches_lifelines_directly():
    t = simulate_cohort(CohortConfig(n_patients=300, design="rct", effect=0.5), 5).tables
    r = event_analysis(t, "death")
    ctv = CoxTimeVaryingFitter().fit(r.long, id_col="patient_id", event_col="event", start_col="start", stop_col="stop")
    assert np.isclose(r.hr, np.exp(ctv.params_["treated"]))
    assert r.n_events == int(r.long["event"].sum())
    assert set(r.km["group"]) <= {"untreated", "treated"}


def test_no_immortal_time():
    t = simulate_cohort(CohortConfig(n_patients=300, design="registry", effect=0.0), 5).tables
    r = event_analysis(t, "death")
    # treated person-time starts at treatment: no treated interval starts before the patient's treatment
    assert (r.long.groupby("patient_id")["treated"].apply(lambda s: s.is_monotonic_increasing)).all()
    assert any("observational" in w for w in r.warnings)

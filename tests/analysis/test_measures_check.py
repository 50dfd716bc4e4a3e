"""The measures' contrast in g-estimation's details (``measures_check``): how far the default's estimate moved
because its history reads the measurements recorded before each visit, against the standard history's on the same
rows — beyond its noise where the clinic chose on FVC, within it where treatment was random."""

from __future__ import annotations

import numpy as np
import pytest
from test_measure_history import fvc_registry

from alscell.analysis.g_estimation import g_estimation, measures_warning
from alscell.analysis.history_contrast import carried_se, contrast
from alscell.io.tables import Tables

SAID = "the measurements recorded before each visit ("  # (the caution names them without the list)


def test_a_decision_on_fvc_moves_the_default_beyond_its_noise_and_says_so():
    t = fvc_registry(1500, 0.0, 0)
    default, standard = g_estimation(t), g_estimation(t, history="standard")
    check = default.details["measures_check"]
    assert check["terms"] == ["fvc_pct_pred", "fvc_pct_pred change per month"], check
    # the other estimate is the standard history's, on the same rows; the move is the difference of the two
    assert check["standard_estimate"] == pytest.approx(standard.estimate, abs=1e-9)
    assert check["difference"] == pytest.approx(default.estimate - standard.estimate, abs=1e-9)
    assert check["standard_se"] == pytest.approx(standard.se, rel=1e-9)
    assert check["measures_se"] == pytest.approx(default.se, rel=1e-9)
    assert check["z"] > 3  # toward benefit: the standard history leans against treatment here
    # and its interval is the standard history's (no rater held: the SE carried is the standard fit's own)
    assert [check["standard_ci_low"], check["standard_ci_high"]] == pytest.approx([standard.ci_low, standard.ci_high])
    assert check["warned"] is True
    said = [w for w in default.warnings if SAID in w]
    assert len(said) == 1 and "(fvc_pct_pred)" in said[0] and f"{standard.estimate:+.3f}" in said[0]
    # asked for the standard history, there is nothing to contrast
    assert "measures_check" not in standard.details and not any(SAID in w for w in standard.warnings)


def test_random_treatment_keeps_the_move_within_its_noise_and_quiet():
    zs = []
    for seed in range(3):
        e = g_estimation(fvc_registry(1500, 0.0, seed, by_fvc=False))
        zs.append(e.details["measures_check"]["z"])
        assert not any(SAID in w for w in e.warnings) and e.details["measures_check"]["warned"] is False
    assert max(abs(z) for z in zs) < 3, zs


def test_no_measurements_no_check():
    t = fvc_registry(300, 0.3, 1)
    bare = Tables.from_frames(patients=t.patients, treatments=t.treatments, alsfrs=t.alsfrs)
    e = g_estimation(bare)
    assert "measures_check" not in e.details and not any(SAID in w for w in e.warnings)
    # nor does the caution list measurements the registry did not record; where it did, it lists them
    caution = "decline, time since onset and entry"
    assert next(w for w in e.warnings if caution in w).count("measurements") == 0
    assert next(w for w in g_estimation(t).warnings if caution in w).count("measurements recorded before") == 1


def test_the_contrast_and_the_warning_by_hand():
    # two fits on three patients: the move's SE is that of the difference of their influences
    fit = (np.array([0.30]), np.array([[0.10], [-0.05], [0.02]]))
    base = (np.array([0.20]), np.array([[0.07], [-0.01], [0.02]]))
    c = contrast(fit, base)
    assert c["difference"] == pytest.approx(0.10)
    assert c["se"] == pytest.approx(np.sqrt(0.03**2 + 0.04**2 + 0.0))  # 0.05
    assert c["z"] == pytest.approx(2.0)
    assert c["fit_se"] == pytest.approx(np.sqrt(0.01 + 0.0025 + 0.0004))
    assert carried_se(0.13, 0.12, 0.05) == pytest.approx(np.sqrt(0.05**2 + 0.13**2 - 0.12**2))
    assert carried_se(0.10, 0.12, 0.05) == pytest.approx(0.05)
    # thresholds: 3 SEs of the move and a quarter of the estimate's SE
    assert measures_warning(0.10, 2.9, 0.1, (0.2, 0.1), 40, 0.05, ["nfl"]) == []
    assert measures_warning(0.02, 4.0, 0.1, (0.2, 0.1), 40, 0.05, ["nfl"]) == []
    w = measures_warning(-0.10, -4.0, 0.1, (0.25, 0.1), 40, 0.05, ["nfl", "nfl change per month", "weight_kg"])
    q = 2.0210753903  # t quantile 0.975, 40 df (R: qt(0.975, 40))
    assert len(w) == 1 and "(nfl, weight_kg)" in w[0] and "by -0.100 (4.0 times" in w[0]
    assert f"CI {0.25 - q * 0.1:+.3f} to {0.25 + q * 0.1:+.3f}" in w[0]

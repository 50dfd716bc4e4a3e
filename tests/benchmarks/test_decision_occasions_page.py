"""benchmarks/decision_occasions.py: one small cohort per world through every variant; each variant reads what it
says and nothing else."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import decision_occasions as do


def test_one_small_cohort_through_the_variants():
    rows = pd.DataFrame(do.run_chunk([("world14", 3)], 500, 0.3)).set_index("variant")
    assert rows.index.tolist() == list(do.VARIANTS)
    assert np.isfinite(rows["estimate"]).all()
    est = rows["estimate"]
    # the types alone change no estimate (no decision visits named), only add the warning when a type never starts
    assert est["default, dates + types"] == est["default, dates"]
    assert rows.loc["default, dates + types", "warned"] and not rows.loc["default, dates", "warned"]
    # the dates, the decision visits and the left-out admissions each change the rows the estimate uses
    assert est["default, dates"] != est["default"]
    assert est["default, dates + types, decision visits"] != est["default, dates + types"]
    assert est["named, dates + types, decision visits, left out"] != est["named, dates + types, decision visits"]
    assert "inpatient left out" in rows.loc["named, dates + types, decision visits, left out", "reads"]
    # the slopes at the decision visits only change the estimate; the visit types are named
    slopes = "named, dates + types, decision visits, left out, slopes at decision visits, spline"
    assert est[slopes] != est["named, dates + types, decision visits, left out, spline"]
    assert "slopes at scheduled visits" in rows.loc[slopes, "reads"]
    assert "visit_types" in rows.loc["named + visit types, dates + types, decision visits, left out, spline", "reads"]


def test_the_columns_a_variant_does_not_read_are_emptied():
    full = do.cohort("world13", 300, 0.3, 5)
    assert full["alsfrs"]["visit_type"].notna().all() and full["treatments"]["decision_date"].notna().all()
    none = do.read_only(full, ())
    assert none["alsfrs"]["visit_type"].isna().all() and none["treatments"]["decision_date"].isna().all()
    dates = do.read_only(full, ("dates",))
    assert dates["alsfrs"]["visit_type"].isna().all() and dates["treatments"]["decision_date"].notna().all()
    # the thirteenth world has no admissions: nothing to leave out, so the option is not given
    assert "leave_out_visits" not in do.options("named, dates + types, decision visits, left out", "world13")
    assert do.options("named, dates + types, decision visits, left out", "world15")["decision_visits"] == (
        "scheduled",
        "remote",
    )


def test_the_candidates_options_and_the_variants_asked_for():
    typed = do.options("named + visit types, dates + types, decision visits, left out, spline", "world16")
    assert typed["adjust_for"][-1] == "visit_types" and typed["leave_out_visits"] == ("inpatient",)
    slopes = do.options("named, dates + types, decision visits, left out, slopes at decision visits, spline", "world15")
    assert slopes["slope_visits"] == ("scheduled", "remote") and slopes["adjust_shape"] == "spline"
    with pytest.raises(SystemExit):
        do.main(["--variants", "default;no such variant", "--cohorts", "1"])


def test_the_page_shows_the_positivity_check_of_the_runs_that_recorded_it():
    def cohorts(k: int, overlap: float | None) -> pd.DataFrame:
        d = pd.DataFrame({"world": "world17", "n": 3000, "share": 0.6, "variant": "default", "reads": "—",
                          "estimate": np.linspace(-0.01, 0.01, k), "se": 0.02, "warned": False})  # fmt: skip
        d["ci_low"], d["ci_high"] = d["estimate"] - 0.04, d["estimate"] + 0.04
        if overlap is not None:
            d["overlap"], d["overlap_warned"] = overlap, [True, False, False, False][:k]
        return d

    old, new = do.markdown(cohorts(4, None)).splitlines()[-1], do.markdown(cohorts(4, 0.2)).splitlines()[-1]
    assert old.endswith("| — | — |") and new.endswith("| 0.20 | 25% |")

"""benchmarks/simulate_ablation.py: its switches change only the named settings and do what they name."""

import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import calibration
import simulate_ablation
from world2_ablation import summarise


def _changed(a, b, prefix: str = "") -> set[str]:
    """Names of the dataclass fields (and of ``natural``'s fields) that differ between configs a and b."""
    out = set()
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "natural":
            out |= _changed(x, y, "natural.")
        elif x != y:
            out.add(prefix + f.name)
    return out


def test_nothing_off_is_the_calibration_registry_and_each_piece_changes_only_its_settings():
    base = calibration.registry_config(300, 0.3, 0.5)
    assert simulate_ablation.ablated_config(300, 0.3, 0.5, ()) == base
    assert set(_changed(base, simulate_ablation.ablated_config(300, 0.3, 0.5, ("late_death",)))) == {
        "natural.terminal_mean",
        "natural.terminal_sd",
    }
    assert set(_changed(base, simulate_ablation.ablated_config(300, 0.3, 0.5, ("dropout",)))) == {
        "informative_dropout",
        "natural.dropout_per_year",
    }
    assert set(_changed(base, simulate_ablation.ablated_config(300, 0.3, 0.5, ("selection",)))) == {
        "selection_on_bad_visit"
    }
    assert _changed(base, simulate_ablation.ablated_config(300, 0.3, 0.5, ("curvature",))) == {
        "natural.shape_median",
        "natural.shape_sigma",
        "natural.rate_median",
    }
    with pytest.raises(ValueError, match="unknown pieces"):
        simulate_ablation.ablated_config(10, 0.3, 0.0, ("gravity",))


def test_the_pieces_do_what_they_name():
    from alscell.simulate import simulate_cohort

    def events(off):
        ev = simulate_cohort(simulate_ablation.ablated_config(300, 0.3, 0.0, off), 11).tables["events"]
        return set(ev["event"])

    base = events(())
    assert "death" in base and {"withdrawal", "lost_to_follow_up"} & base
    assert not {"withdrawal", "lost_to_follow_up"} & events(("dropout",))


def test_late_death_follows_patients_nearer_the_floor():
    from alscell.analysis.effects import prepare
    from alscell.simulate import simulate_cohort

    def last_totals(off):
        t = simulate_cohort(simulate_ablation.ablated_config(400, 0.3, 0.0, off), 12).tables
        return prepare(t, "alsfrs_r_total").sort_values(["patient_id", "date"]).groupby("patient_id")["y"].last()

    assert last_totals(("late_death",)).quantile(0.1) < last_totals(()).quantile(0.1) - 3


def test_summary_judges_bias_against_each_rows_true_effect():
    rng = np.random.default_rng(1)
    rows = []
    for cell, effect, lean in (("a", 0.0, 0.0), ("b", 0.5, 0.0), ("c", 0.5, 0.08)):
        est = effect + lean + rng.normal(0, 0.02, 60)
        rows += [
            dict(cell=cell, off="x", effect=effect, estimate=e, se=0.02, ci_low=e - 0.04, ci_high=e + 0.04) for e in est
        ]
    perf = summarise(pd.DataFrame(rows), ["cell", "off"]).set_index("cell")
    assert perf.loc["a", "verdict"] == "ok" and perf.loc["b", "verdict"] == "ok"
    assert perf.loc["c", "verdict"] == "BIASED" and perf.loc["c", "bias"] == pytest.approx(0.08, abs=0.01)
    assert perf.loc["b", "coverage"] > 0.9 and perf.loc["c", "coverage"] < 0.3


def test_the_oracle_cut_keeps_visits_while_the_untreated_self_is_followed():
    from alscell.simulate import simulate_cohort

    off = ("late_death", "dropout", "oracle_followed")
    untreated = simulate_cohort(simulate_ablation.ablated_config(300, 0.3, 0.0, off), 4).tables
    same = simulate_ablation._while_untreated_self_followed(untreated, untreated)
    assert same["alsfrs"].equals(untreated["alsfrs"])  # no effect: nothing is cut
    treated = simulate_cohort(simulate_ablation.ablated_config(300, 0.3, 0.5, off), 4).tables
    cut = simulate_ablation._while_untreated_self_followed(treated, untreated)["alsfrs"]
    full = treated["alsfrs"]
    assert len(cut) < len(full)  # the effect keeps some patients alive longer than their untreated selves
    last = untreated["alsfrs"].groupby("patient_id")["date"].max()
    assert (cut["date"] <= cut["patient_id"].map(last)).all()
    key = ["patient_id", "date"]
    gone = full.merge(cut[key], on=key, how="left", indicator=True).query("_merge == 'left_only'")
    assert set(gone["patient_id"]) <= set(treated["treatments"]["patient_id"])  # only treated patients lose visits

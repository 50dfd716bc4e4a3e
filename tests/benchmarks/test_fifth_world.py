"""benchmarks/fifth_world.py, the held-out fifth world: valid canonical data, seeded, and every piece doing
what its docstring says."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import fifth_world
import window_truth
from alscell.io.reader import read_folder
from alscell.io.writer import write_folder

ALL_ITEMS = [*fifth_world.ITEMS[:5], "q5b", *fifth_world.ITEMS[5:]]
RESP_ITEMS = ["q10", "q11", "q12"]


@pytest.fixture(scope="module")
def cohort():
    return fifth_world.simulate_world5(300, 0.2, 0.3, 7)


def _visits(tables) -> pd.DataFrame:
    """Recorded visits in order with the total, months from onset, the recorded age and the previous total."""
    a = tables.alsfrs.merge(tables.patients[["patient_id", "onset_date", "birth_year"]], on="patient_id")
    a = a.sort_values(["patient_id", "date"]).reset_index(drop=True)
    a["total"] = a[ALL_ITEMS].astype("Float64").sum(axis=1, min_count=12)
    a["months"] = (a["date"] - a["onset_date"]).dt.days / fifth_world.DPM
    a["k"] = a.groupby("patient_id").cumcount()
    # the previous *complete* total and its time (a partial row is not a previous total)
    done = a["total"].notna()
    a["prev_total"] = a["total"].where(done).groupby(a["patient_id"]).shift(1)
    a["prev_total"] = a.groupby("patient_id")["prev_total"].ffill()
    a["prev_months"] = a["months"].where(done).groupby(a["patient_id"]).shift(1)
    a["prev_months"] = a.groupby("patient_id")["prev_months"].ffill()
    a["poor"] = done & ((a["prev_total"] - a["total"]) / (a["months"] - a["prev_months"]) >= fifth_world.POOR_RATE)
    return a


def test_world5_is_valid_canonical_data_and_seeded(tmp_path, cohort):
    again = fifth_world.simulate_world5(300, 0.2, 0.3, 7)
    for name in ("patients", "alsfrs", "treatments", "events"):
        pd.testing.assert_frame_equal(cohort.tables[name], again.tables[name])
    other = fifth_world.simulate_world5(300, 0.2, 0.3, 8)
    assert not other.tables.alsfrs.equals(cohort.tables.alsfrs)
    # what it writes passes the importer's rules (spec/data-format.md) and comes back the same
    write_folder(cohort.tables, tmp_path / "w5")
    back = read_folder(tmp_path / "w5")
    for name in ("patients", "alsfrs", "treatments", "events"):
        assert len(back[name]) == len(cohort.tables[name]), name
    pd.testing.assert_series_equal(back.alsfrs["date"], cohort.tables.alsfrs["date"], check_names=False)
    p, a, tr, ev = cohort.tables.patients, cohort.tables.alsfrs, cohort.tables.treatments, cohort.tables.events
    assert p["patient_id"].str.startswith("W5").all() and p["patient_id"].is_unique
    assert set(p["patient_id"]) == set(a["patient_id"])  # everyone is seen at least once
    assert (p["diagnosis_date"] >= p["onset_date"]).all() and (p["birth_year"] < p["onset_date"].dt.year).all()
    assert set(a["assessor"]) == {"clinician", "phone", "self"}
    items = a[ALL_ITEMS]
    # exactly one of q5a / q5b where item 5 is recorded, never both; q5b only after a gastrostomy
    assert not (a["q5a"].notna() & a["q5b"].notna()).any() and a["q5b"].notna().any()
    assert items.min().min() >= 0 and items.max().max() <= 4
    gastro = ev.query("event == 'gastrostomy'").set_index("patient_id")["date"]
    with_b = a[a["q5b"].notna()]
    assert (with_b["date"] >= with_b["patient_id"].map(gastro)).all()
    without_b = a[a["q5a"].notna()]
    assert not (without_b["date"] >= without_b["patient_id"].map(gastro)).any()
    # messy: some partial rows (total missing), totals within 0..48 reaching the ceiling
    total = items.sum(axis=1, min_count=12)
    assert 0.01 < total.isna().mean() < 0.15 and total.max() == 48 and total.min() >= 0
    # q12 at most 3 on NIV, 0 after a tracheostomy (spec/domain-rules.md)
    for event, cap in (("niv_start", 3), ("tracheostomy", 0)):
        start = a["patient_id"].map(ev.query("event == @event").set_index("patient_id")["date"])
        after = a[a["date"] > start]
        assert len(after) > 0 and (after["q12"].dropna() <= cap).all(), event
    # treatment on a visit day; cycles numbered 1, 2, 3 without gaps
    assert len(tr.merge(a[["patient_id", "date"]], on=["patient_id", "date"])) == len(tr)
    assert (tr["cycle"] == 1).sum() == cohort.n_treated and tr["cycle"].max() > 1
    n_cycles = tr.groupby("patient_id")["cycle"].agg(["max", "size"])
    assert (n_cycles["max"] == n_cycles["size"]).all()
    # death strictly after the last visit; no visit after loss to follow-up; one event of a kind each
    last = a.groupby("patient_id")["date"].max()
    for event in ("death", "lost_to_follow_up"):
        when = ev.query("event == @event").set_index("patient_id")["date"]
        assert len(when) > 0 and (when > last.reindex(when.index)).all(), event
    assert not ev.duplicated(["patient_id", "event"]).any()
    assert not set(ev.query("event == 'death'")["patient_id"]) & set(
        ev.query("event == 'lost_to_follow_up'")["patient_id"]
    )


def test_share_controls_the_number_treated():
    counts = [fifth_world.simulate_world5(600, 0.0, s, 5).n_treated for s in (0.05, 0.3, 0.6)]
    assert counts == [round(s * 600) for s in (0.05, 0.3, 0.6)]
    assert fifth_world.simulate_world5(200, 0.0, 0.0, 5).n_treated == 0


def test_first_treatment_follows_the_documented_rule():
    c = fifth_world.simulate_world5(2000, 0.0, 0.05, 4)
    a = _visits(c.tables)
    first = c.tables.treatments.query("cycle == 1")[["patient_id", "date"]]
    at = a.merge(first, on=["patient_id", "date"])
    assert len(at) == c.n_treated == 100
    # eligibility, on recorded information only
    trach = at["patient_id"].map(c.tables.events.query("event == 'tracheostomy'").set_index("patient_id")["date"])
    assert (at["k"] >= 1).all() and (at[RESP_ITEMS].sum(axis=1, min_count=3) >= fifth_world.ELIG_RESP).all()
    assert (at["date"].dt.year - at["birth_year"] <= fifth_world.ELIG_AGE).all()
    assert (at["months"] <= fifth_world.ELIG_MONTHS).all()
    assert not (at["date"] >= trach).any()
    # a run of poor visits draws treatment: poor visits are far more common at the treatment visit than at
    # the visits of patients not (yet) treated; with the piece switched off they are not
    untreated = a[(a["k"] >= 1) & ~a["patient_id"].isin(first["patient_id"])]
    base = untreated["poor"].mean()
    assert at["poor"].mean() > 1.6 * base
    flat = fifth_world.simulate_world5(2000, 0.0, 0.05, 4, frozenset({"runs"}))
    b = _visits(flat.tables)
    at_flat = b.merge(flat.tables.treatments.query("cycle == 1")[["patient_id", "date"]], on=["patient_id", "date"])
    assert at_flat["poor"].mean() < 1.3 * base
    # the site with its own programme treats more
    site = c.tables.patients.set_index("patient_id")["site"]
    share = first["patient_id"].map(site).value_counts() / site.value_counts()
    assert share["site_A"] > share["site_C"]


def test_repeat_cycles_follow_the_recorded_response(cohort):
    a = _visits(cohort.tables)
    tr = cohort.tables.treatments.sort_values(["patient_id", "cycle"])
    repeats = tr[tr["cycle"] > 1]
    assert len(repeats) > 0
    prev = tr.set_index(["patient_id", "cycle"])["date"]
    total = a.set_index(["patient_id", "date"])["total"]
    for row in repeats.itertuples():
        before = prev[(row.patient_id, row.cycle - 1)]
        mine = a[a["patient_id"] == row.patient_id]
        later = mine[(mine["date"] - before).dt.days / fifth_world.DPM >= fifth_world.REPEAT_GAP]
        assert later["date"].iloc[0] == row.date  # the first visit at least 2 months on
        assert total[(row.patient_id, row.date)] >= total[(row.patient_id, before)] - fifth_world.REPEAT_DROP


def test_world5_truths():
    none = fifth_world.simulate_world5(400, 0.0, 0.3, 3)
    assert none.truth == 0.0 and none.truth_realised == 0.0 and none.n_treated > 0
    # no effect means no effect: with E = 0 the recorded courses are those of an untreated cohort
    untreated = fifth_world.simulate_world5(400, 0.0, 0.0, 3)
    assert untreated.n_treated == 0 and np.isnan(untreated.truth_realised)
    for name in ("alsfrs", "events"):
        pd.testing.assert_frame_equal(none.tables[name], untreated.tables[name])
    small = fifth_world.simulate_world5(400, 0.2, 0.3, 3)
    big = fifth_world.simulate_world5(400, 0.5, 0.3, 3)
    assert 0.08 < small.truth_realised < 0.25 and small.truth_realised < big.truth_realised < 0.5
    # the first administration does not depend on the effect (it is decided before any effect)
    first = [c.tables.treatments.query("cycle == 1").reset_index(drop=True) for c in (none, big)]
    pd.testing.assert_frame_equal(*first)
    # the delay and the weaker bulbar effect both lower the realised slope change
    for piece in ("lag", "bulbar_effect"):
        assert fifth_world.simulate_world5(400, 0.5, 0.3, 3, frozenset({piece})).truth_realised > big.truth_realised


def test_every_piece_switches_off_and_unknown_pieces_are_refused():
    base = fifth_world.simulate_world5(200, 0.2, 0.3, 4)
    for piece in fifth_world.PIECES:
        off = fifth_world.simulate_world5(200, 0.2, 0.3, 4, frozenset({piece}))
        changed = (
            not off.tables.alsfrs.equals(base.tables.alsfrs)
            or not off.tables.treatments.equals(base.tables.treatments)
            or not off.tables.events.equals(base.tables.events)
        )
        assert changed, piece
        ev = set(off.tables.events["event"])
        if piece == "death":
            assert not ev & {"death", "tracheostomy"}
            pd.testing.assert_frame_equal(off.tables.patients, base.tables.patients)  # the same patients
        if piece == "loss":
            assert "lost_to_follow_up" not in ev
        if piece == "missing_items":
            assert off.tables.alsfrs[ALL_ITEMS].notna().sum(axis=1).eq(12).all()
        if piece == "repeats":
            assert set(off.tables.treatments["cycle"]) == {1}
        if piece == "missed_visits":
            assert len(off.tables.alsfrs) > len(base.tables.alsfrs)
    every = fifth_world.simulate_world5(200, 0.2, 0.3, 4, frozenset(fifth_world.PIECES))
    assert set(every.tables.events["event"]) <= {"gastrostomy", "niv_start"} and np.isfinite(every.truth_realised)
    with pytest.raises(ValueError, match="unknown pieces"):
        fifth_world.simulate_world5(50, 0.0, 0.3, 1, frozenset({"nope"}))


def test_calibration_world5_tiny_run(tmp_path):
    import calibration_world5

    page = tmp_path / "w5.md"
    args = ["--cohorts", "2", "--sizes", "200", "--shares", "0.3", "--workers", "1", "--methods", "g_estimation"]
    args += ["--write-md", str(page)]
    assert calibration_world5.main(args) == 0
    text = page.read_text()
    assert "benchmarks/calibration_world5.py --cohorts 2" in text
    assert text.count("| g_estimation | world5 | 200 | 30% |") == 6  # three effects, two truths
    assert "## Reading it\n\n* Written from the tables above after the first full run" in text


def test_window_truth_is_zero_without_effect_grows_with_it_and_the_estimand_page_runs(tmp_path):
    import world5_estimand

    assert fifth_world.simulate_world5(300, 0.0, 0.3, 3).truth_window == 0.0
    small, large = (fifth_world.simulate_world5(300, e, 0.3, 3).truth_window for e in (0.2, 0.5))
    assert 0.0 < small < large
    # by hand: treated − untreated rising 1 point/month after a treatment visit at 0, observed at 0, 12, 24, 36
    since = np.array([[0.0, 12.0, 24.0, 36.0]])
    assert window_truth.window_truth(since * 1.0, since, np.ones_like(since, bool)) == pytest.approx(1.0)
    # a plateau after 12 months: only the visits up to 24 months count (slope of 0, 12, 12 on 0, 12, 24)
    assert window_truth.window_truth(np.minimum(since, 12.0), since, np.ones_like(since, bool)) == pytest.approx(0.5)
    page = tmp_path / "e.md"
    args = ["--cohorts", "2", "--patients", "200", "--workers", "1", "--write-md", str(page)]
    assert world5_estimand.main(args) == 0
    assert page.read_text().count("| 2 | ") == len(world5_estimand.CELLS)


def test_g_estimation_fits_a_decision_model_with_eligibility_cut_offs():
    """Every piece off: no one starts at a first visit or beyond 60 months of disease, so the decision model
    is nearly separable; undamped Newton steps diverged there (the estimator refused).  With step-halving
    the fit is the maximum of the penalised likelihood (checked against scipy's optimiser)."""
    from scipy.optimize import minimize
    from scipy.special import expit

    from alscell.analysis.effects import estimate_effect
    from alscell.analysis.g_estimation import decision_history, window_slopes
    from alscell.analysis.treatment_weights import fit_logistic, standardised_design

    tables = fifth_world.simulate_world5(300, 0.0, 0.6, 0, frozenset(fifth_world.PIECES)).tables
    est = estimate_effect(tables, method="g_estimation")
    assert np.isfinite(est.estimate) and np.isfinite(est.se) and est.se > 0
    df, H, post, at_risk, start = decision_history(tables, "alsfrs_r_total")
    use, _, _ = window_slopes(df, post[:, None], np.flatnonzero(at_risk), 0.0, 24.0)
    A, Z = start[use].astype(float), standardised_design(H[use])
    pen = np.r_[0.0, np.full(Z.shape[1] - 1, 1e-4)]

    def nll(b):
        eta = Z @ b
        return -(A @ eta - np.logaddexp(0.0, eta).sum() - 0.5 * pen @ b**2)

    def grad(b):
        return -(Z.T @ (A - expit(Z @ b)) - pen * b)

    ref = minimize(nll, np.zeros(Z.shape[1]), jac=grad, method="L-BFGS-B", options={"maxiter": 20000, "gtol": 1e-9})
    p = fit_logistic(H[use], A)
    assert nll(np.linalg.lstsq(Z, np.log(p / (1 - p)), rcond=None)[0]) <= ref.fun + 1e-3
    np.testing.assert_allclose(p, expit(Z @ ref.x), atol=2e-3)


def test_world5_ablation_tiny_run(tmp_path):
    import world5_ablation

    page = tmp_path / "a.md"
    args = ["--cohorts", "2", "--patients", "200", "--workers", "1", "--write-md", str(page)]
    assert world5_ablation.main(args) == 0
    text = page.read_text()
    assert "The estimator `g_estimation`" in text  # the default is this page's default
    assert text.count("| 2 | ") == len(world5_ablation.VARIANTS) == 2 * len(world5_ablation.PIECE_SETS)


def test_world5_history_tiny_run_and_its_columns(tmp_path):
    import world5_history

    cohort = fifth_world.simulate_world5(200, 0.0, 0.3, 2)
    a = cohort.tables.alsfrs
    resp = ["q10", "q11", "q12"]
    df = a.loc[a[resp].notna().all(axis=1), ["patient_id", "date", *resp]].head(5)
    sub = world5_history.extra_columns(cohort.tables, df[["patient_id", "date"]], "subscores")
    assert sub.shape == (5, 8) and ((sub[:, :4] >= 0) & (sub[:, :4] <= 12)).all()
    # the respiratory subscore is the sum of q10-q12 on complete rows, and "below 12" follows it
    np.testing.assert_array_equal(sub[:, 3], df[resp].sum(axis=1).to_numpy(float))
    np.testing.assert_array_equal(sub[:, 7], (sub[:, 3] < 12).astype(float))
    page = tmp_path / "h.md"
    args = ["--cohorts", "2", "--patients", "200", "--workers", "1", "--write-md", str(page)]
    assert world5_history.main(args) == 0
    text = page.read_text()
    for v in world5_history.VARIANTS[:3]:  # the fifth world's page keeps its three histories
        assert f"| the full world | {v} | 2 |" in text and f"| every piece off | {v} | 2 |" in text
    # each variant's columns reach the estimator (g_estimation passes its own history positionally: the
    # variant once fell through to the subscores for every row)
    rows = world5_history.run_chunk([(("the full world", v), 3) for v in world5_history.VARIANTS], 200, 0.3)
    assert len({round(r["estimate"], 10) for r in rows}) == len(world5_history.VARIANTS)


def test_world5_effect_ablation_pairs_the_effects_on_the_same_cohorts(tmp_path):
    import world5_effect_ablation as wea

    raw, page, again = tmp_path / "a.csv", tmp_path / "a.md", tmp_path / "a2.md"
    args = ["--cohorts", "2", "--patients", "200", "--workers", "1", "--raw", str(raw)]
    assert wea.main([*args, "--write-md", str(page)]) == 0
    stored = pd.read_csv(raw)
    assert len(stored) == 2 * len(wea.PIECE_SETS) and set(stored["off"]) == {wea.label(o) for o in wea.PIECE_SETS}
    # the same random numbers under both effects: the cohort under E = 0.5 is the E = 0 cohort plus the effect
    off = frozenset({"death"})
    seed = int(stored["seed"].iloc[0])
    a, b = (fifth_world.simulate_world5(200, e, 0.3, seed, off) for e in (0.0, 0.5))
    assert set(a.tables.patients["patient_id"]) == set(b.tables.patients["patient_id"])
    first = a.tables.alsfrs.groupby("patient_id")["date"].min()
    assert first.equals(b.tables.alsfrs.groupby("patient_id")["date"].min())
    # the page's paired column is the mean of the per-cohort differences
    g = stored[stored["off"] == wea.label(())]
    diff = (g["effect_bias"] - g["null_bias"]).mean()
    assert f"{diff:+.4f}" in page.read_text()
    assert wea.main(["--raw", str(raw), "--from-raw", "--write-md", str(again)]) == 0
    table = [ln for ln in page.read_text().splitlines() if ln.startswith("| ")]
    assert table == [ln for ln in again.read_text().splitlines() if ln.startswith("| ")]

"""benchmarks/world21_self_ratings.py's registered rule, by hand on made-up cohorts (no world, no estimator): the
twenty-first world's cells judge (a) to (d), the earlier worlds' cells (e) — harm there fails the rule, help there
does not count for (d)."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from page_checks import assert_page_rewrites

import world21_self_ratings as page

K = 40


def _rows(cell: str, est: str, err: np.ndarray, se: float) -> list[dict]:
    return [
        dict(off=cell, seed=i, estimator=est, estimate=e, se=se, ci_low=e - 1.96 * se, ci_high=e + 1.96 * se, truth=0.0)
        for i, e in enumerate(err)
    ]


def _raw(new_help: bool = True, seen_shift: float = 0.0, seen_help: bool = False) -> pd.DataFrame:
    """Every cell's default errors spread 0.075 with SE 0.05 (too narrow); the candidate's are the same cohorts'
    errors scaled to 0.05 where it helps (else unchanged), shifted by seen_shift on the earlier worlds."""
    z = np.random.default_rng(2).standard_normal(K)
    z = (z - z.mean()) / z.std(ddof=1)
    rows = []
    for cell, (*_, world) in page.CELLS.items():
        new = world == "world21"
        helps = new_help if new else seen_help
        rows += _rows(cell, page.ESTIMATORS[0], 0.075 * z, 0.05)
        rows += _rows(cell, page.ESTIMATORS[1], (0.05 if helps else 0.075) * z + (0.0 if new else seen_shift), 0.05)
    return pd.DataFrame(rows)


def test_help_on_the_new_world_and_no_harm_anywhere_make_it_the_default():
    ok, lines = page.rule(_raw())
    assert ok, lines
    assert lines[-1] == "* (e) no harm on the earlier worlds that record self-ratings: met"
    assert sum(line.startswith("* fifth world") for line in lines) == 1


def test_harm_on_an_earlier_world_fails_e():
    ok, lines = page.rule(_raw(seen_shift=0.03))
    assert not ok and lines[-1].endswith("not met")
    assert "* (d) it helps in at least one cell: met" in lines


def test_help_on_an_earlier_world_only_does_not_meet_d():
    ok, lines = page.rule(_raw(new_help=False, seen_help=True))
    assert not ok and "* (d) it helps in at least one cell: not met" in lines
    assert lines[-1].endswith(": met")


def test_the_cells_and_the_estimators_are_the_registered_ones():
    """Four cells of the new world (the twentieth's), one of 3,000 patients with 30% treated under no effect on each
    earlier world that records self-ratings; the candidate against the default reading them."""
    worlds = [c[3] for c in page.CELLS.values()]
    assert worlds.count("world21") == 4 and {"world5", "world10", "world17"} <= set(worlds)
    assert page.CHOICES == {page.ESTIMATORS[0]: "read", page.ESTIMATORS[1]: "outcome"}


def test_a_ratio_a_little_further_from_one_is_no_harm_and_more_is():
    """(c) with its slack: 1.50 → 1.54 is no worse, 1.50 → 1.56 is."""
    base = _raw(new_help=True)
    for scale, fine in ((1.54 / 1.5, True), (1.56 / 1.5, False)):
        raw = base.copy()
        seen = raw["off"].map(lambda c: page.CELLS[c][3] != "world21") & (raw["estimator"] == page.ESTIMATORS[1])
        raw.loc[seen, "estimate"] *= scale
        ok, lines = page.rule(raw)
        assert ok == fine, lines


def test_the_stored_run_rewrites_its_page_and_the_default_follows_its_verdict(tmp_path):
    """The stored cohorts (40 per cell, both estimators, the same seeds) rewrite docs/world21_self_ratings.md; its
    verdict is the rule's, and g-estimation's default reads the self-ratings exactly when the verdict says so."""
    from alscell.analysis.self_ratings import DEFAULT_SELF_RATINGS

    root = Path(__file__).resolve().parents[2]
    raw = pd.read_csv(root / "docs" / "data" / "world21_self_ratings.csv")
    assert len(raw) == len(page.CELLS) * len(page.ESTIMATORS) * page.COHORTS
    assert len({frozenset(d["seed"]) for _, d in raw.groupby(["off", "estimator"])}) == 1
    ok, _ = page.rule(raw)
    stored = assert_page_rewrites(
        "world21_self_ratings.py", "docs/data/world21_self_ratings.csv", "docs/world21_self_ratings.md", tmp_path
    )
    assert ("becomes the default" in stored) == ok
    assert (DEFAULT_SELF_RATINGS == "outcome") == ok


def test_the_modes_diagnosis_rewrites_and_repeats_the_rule_pages_cohorts(tmp_path):
    """docs/self_ratings_modes.md rewrites from its stored cohorts, whose "read" and "outcome" rows are the rule page's
    rows of the tenth and seventeenth worlds to rounding (the same seeds)."""
    import self_ratings_modes as modes

    root = Path(__file__).resolve().parents[2]
    raw = pd.read_csv(root / "docs" / "data" / "self_ratings_modes.csv", float_precision="round_trip")
    assert len(raw) == len(modes.CELLS) * len(modes.ESTIMATORS) * page.COHORTS
    rule = pd.read_csv(root / "docs" / "data" / "world21_self_ratings.csv", float_precision="round_trip")
    rule = rule[rule["off"].isin(modes.CELLS)].assign(estimator=lambda d: d["estimator"].str.replace("default, ", ""))
    both = rule.merge(raw, on=["off", "seed", "estimator"])
    # (to rounding: the two runs' floating-point sums may differ in the last bit)
    assert len(both) == 2 * 2 * page.COHORTS
    np.testing.assert_allclose(both["estimate_x"], both["estimate_y"], rtol=0, atol=1e-12)
    assert_page_rewrites(
        "self_ratings_modes.py", "docs/data/self_ratings_modes.csv", "docs/self_ratings_modes.md", tmp_path
    )


def test_every_modes_offset_held_where_no_rater_is_recorded():
    """self_ratings_modes.modes_held: with no rater recorded, a column per assessor mode other than a clinician's
    (labelled so that g-estimation's held path holds it, against the clinician); where raters are recorded, the
    recorded columns unchanged; where only clinicians rate, none."""
    import self_ratings_modes as modes
    from alscell.analysis.g_estimation import decision_history
    from alscell.analysis.rater_identity import offset_columns
    from alscell.io.tables import Tables
    from registry_arrays import reviews_and_contacts

    t = reviews_and_contacts(120, 4, record=True)
    a = t["alsfrs"]
    contact = (a["visit_type"] == "unscheduled").to_numpy()
    rated = Tables.from_frames(
        patients=t["patients"], treatments=t["treatments"], measurements=t["measurements"],
        alsfrs=a.assign(assessor=np.where(contact, "self", "clinician")),
    )  # fmt: skip
    df = decision_history(rated, "alsfrs_r_total")[0]
    assert offset_columns(rated, df)[1] == ()  # no rater recorded: the recorded path holds nothing
    flags, labels, reference = modes.modes_held(offset_columns)(rated, df)
    assert labels == ("rater self",) and reference == "clinician"
    days = df["date"].isin(a.loc[contact, "date"])  # (the contacts' dates; a review may share one)
    assert flags[:, 0].sum() == contact.sum() and (flags[:, 0] <= days.to_numpy()).all()
    plain = Tables.from_frames(patients=t["patients"], treatments=t["treatments"], measurements=t["measurements"],
                               alsfrs=a.assign(assessor="clinician"))  # fmt: skip
    assert modes.modes_held(offset_columns)(plain, decision_history(plain, "alsfrs_r_total")[0])[1] == ()

"""benchmarks/world18_raters.py, world18_backlog.py, world18_rater_identity.py, world18_backlog_parts.py and world18_leniency_rule.py: each
stored run holds the same 40 cohorts in every row (the pieces off draw the same numbers; the other pages' are the
raters page's) and each page rewrites from them; the rater-identity page's verdict is its registered rule's."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from page_checks import assert_page_rewrites

import world18_backlog as wb
import world18_backlog_parts as wp
import world18_fresh_cohorts as wf
import world18_leniency_rule as wl
import world18_rater_identity as wi
import world18_raters as wr

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "module",
    [wr, wb, wi, wp, wl, wf],
    ids=["raters", "backlog", "rater_identity", "backlog_parts", "leniency_rule", "fresh_cohorts"],
)
def test_every_row_holds_the_same_cohorts_and_the_page_rewrites(module, tmp_path):
    name = module.__name__
    raw = pd.read_csv(ROOT / "docs" / "data" / f"{name}.csv")
    assert len(raw) == len(module.OFF) * len(module.ESTIMATORS) * getattr(module, "COHORTS", wr.COHORTS)
    seeds = {k: frozenset(d["seed"]) for k, d in raw.groupby(["off", "estimator"])}
    assert len(seeds) == len(module.OFF) * len(module.ESTIMATORS) and len(set(seeds.values())) == 1
    theirs = frozenset(pd.read_csv(ROOT / "docs" / "data" / "world18_raters.csv")["seed"])
    if getattr(module, "ENTROPY", wr.ENTROPY) == wr.ENTROPY:  # the raters page's cohorts
        assert set(seeds.values()) == {theirs}
    else:  # cohorts no earlier page drew
        assert not (next(iter(seeds.values())) & theirs)
    assert_page_rewrites(f"{name}.py", f"docs/data/{name}.csv", f"docs/{name}.md", tmp_path)


def test_the_backlog_page_names_one_recorded_rule_input_at_a_time():
    import named_inputs

    assert set(wb.ONE) == set(named_inputs.NAMED["world18"])
    assert wb.options("+ age") == {"adjust_for": ("age",), "adjust_shape": "spline"} and wb.options("default") == {}


def test_the_rater_identity_verdict_is_the_rules():
    """The rule judges the default only, in its three cells (not the diagnostic one), each criterion as written."""
    raw = pd.read_csv(ROOT / "docs" / "data" / "world18_rater_identity.csv")
    ok, lines = wi.verdict(raw)
    assert [line.split(":")[0] for line in lines] == [f"* {c}" for c in wi.RULE_CELLS]
    page = (ROOT / "docs" / "world18_rater_identity.md").read_text(encoding="utf-8")
    assert ("stays an option" in page) == (not ok)
    # a made-up run in which holding halves every cohort's estimate meets (a) in every cell
    fake = raw[raw["estimator"] == "default"]
    held = fake.assign(estimator="default, raters held", estimate=fake["estimate"] / 2)
    _, said = wi.verdict(pd.concat([fake, held]))
    assert all("(a) bias" in s and ": met;" in s.split("(b)")[0] for s in said)


def test_the_backlog_parts_page_repeats_the_raters_pages_rows():
    """Every piece on and the backlog off: the same cohorts drawn again give the raters page's estimates exactly."""
    parts = pd.read_csv(ROOT / "docs" / "data" / "world18_backlog_parts.csv")
    raters = pd.read_csv(ROOT / "docs" / "data" / "world18_raters.csv")
    both = parts.merge(raters, on=["off", "seed", "estimator"], suffixes=("", "_raters"))
    assert len(both) == 2 * len(wp.ESTIMATORS) * wr.COHORTS
    assert (both["estimate"] == both["estimate_raters"]).all() and (both["se"] == both["se_raters"]).all()


def test_the_corrected_ratings_page_rewrites_and_repeats_the_defaults_rows(tmp_path):
    """world18_leniency_ratings.py: both sets of cohorts in every row; the default with every piece on is the fresh
    cohorts page's and the raters page's, estimate for estimate (the same cohorts drawn again); the page rewrites."""
    import world18_leniency_ratings as wlr

    raw = pd.read_csv(ROOT / "docs" / "data" / "world18_leniency_ratings.csv")
    assert len(raw) == len(wlr.OFF) * len(wlr.ESTIMATORS) * (wf.COHORTS + wr.COHORTS)
    assert len({frozenset(d["seed"]) for _, d in raw.groupby(["off", "estimator"])}) == 1
    mine = raw[(raw["off"] == "none") & (raw["estimator"] == "default")]
    for page, label in (("world18_fresh_cohorts", "none"), ("world18_raters", "none")):
        theirs = pd.read_csv(ROOT / "docs" / "data" / f"{page}.csv")
        theirs = theirs[(theirs["off"] == label) & (theirs["estimator"] == "default")]
        both = mine.merge(theirs, on="seed", suffixes=("", "_theirs"))
        assert len(both) == len(theirs) and (both["estimate"] - both["estimate_theirs"]).abs().max() < 1e-12
    assert_page_rewrites(
        "world18_leniency_ratings.py",
        "docs/data/world18_leniency_ratings.csv",
        "docs/world18_leniency_ratings.md",
        tmp_path,
    )

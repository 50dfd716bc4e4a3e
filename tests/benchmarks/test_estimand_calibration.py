"""benchmarks/window_truth.py on the held-out worlds and benchmarks/estimand_calibration.py end to end on a few
stored cohorts."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import estimand_calibration
import fourth_world
import third_world
import window_truth

ROOT = Path(__file__).resolve().parents[2]


def test_window_truth_by_hand_and_on_the_worlds():
    # a treated − untreated difference rising 1 point/month for 6 months, then flat, seen at 0, 6, 12, 18, 24
    # and 30 months: within 24 months least squares with an intercept on (0, 6, 6, 6, 6) over (0, 6, …, 24)
    since = np.array([[0.0, 6.0, 12.0, 18.0, 24.0, 30.0]])
    diff = np.minimum(since, 6.0)
    x, y = since[0, :5], diff[0, :5]
    assert window_truth.window_truth(diff, since, np.ones_like(since, bool)) == pytest.approx(np.polyfit(x, y, 1)[0])
    # a visit not followed (after death or loss) does not count; one visit is not a slope (nan)
    seen = np.array([[True, True, False, False, False, False]])
    assert window_truth.window_truth(diff, since, seen) == pytest.approx(1.0)
    assert np.isnan(window_truth.window_truth(diff, since, seen & (since < 1)))
    for simulate in (third_world.simulate_world3, fourth_world.simulate_world4):
        assert simulate(300, 0.0, 0.3, 5).truth_window == 0.0
        small, large = (simulate(300, e, 0.3, 5).truth_window for e in (0.2, 0.5))
        assert 0.0 < small < large
        assert simulate(300, 0.0, 0.3, 5).truth_observed == 0.0
        small, large = (simulate(300, e, 0.3, 5).truth_observed for e in (0.2, 0.5))
        assert 0.0 < small < large
    # without death (and dropout) the untreated course leaves the treated one's visits: the two truths are one;
    # with it the untreated course's own visits differ and so does the truth (by a little on the third world,
    # more where treatment delays death for longer)
    import fifth_world

    for simulate, off in ((third_world.simulate_world3, {"death"}), (fourth_world.simulate_world4, {"dropout"}),
                          (fifth_world.simulate_world5, {"death", "missed_visits", "loss"})):  # fmt: skip
        c, none = simulate(300, 0.5, 0.3, 5), simulate(300, 0.5, 0.3, 5, frozenset(off))
        assert none.truth_observed == pytest.approx(none.truth_window)
        assert abs(c.truth_observed - c.truth_window) > 1e-4
    w5 = fifth_world.simulate_world5(300, 0.5, 0.3, 5)
    assert w5.truth_observed > w5.truth_window + 0.02  # treated patients outlive their untreated course


def test_observed_truth_each_world_over_its_own_visits():
    since = np.array([[0.0, 6.0, 12.0, 18.0, 24.0], [0.0, 3.0, 9.0, 15.0, 21.0]])
    rng = np.random.default_rng(3)
    treated, untreated = 40 - 0.5 * since + rng.normal(0, 1, since.shape), 40 - 1.0 * since**1.2 / 3
    seen = np.ones_like(since, bool)
    # the same visits in both worlds: the window truth of the difference
    got = window_truth.observed_truth(treated, untreated, since, seen, seen)
    assert got == pytest.approx(window_truth.window_truth(treated - untreated, since, seen))
    # untreated, the first patient dies after 12 months: its untreated slope is over 0, 6, 12 only
    seen0 = seen.copy()
    seen0[0, 3:] = False
    s1 = [np.polyfit(since[i], treated[i], 1)[0] for i in range(2)]
    s0 = [np.polyfit(since[0, :3], untreated[0, :3], 1)[0], np.polyfit(since[1], untreated[1], 1)[0]]
    assert window_truth.observed_truth(treated, untreated, since, seen, seen0) == pytest.approx(
        np.mean(np.subtract(s1, s0))
    )
    # with one untreated visit left the patient has no untreated slope and is left out
    seen0[0, 1:] = False
    assert window_truth.observed_truth(treated, untreated, since, seen, seen0) == pytest.approx(s1[1] - s0[1])


def test_estimand_calibration_page_from_a_few_stored_cohorts(tmp_path):
    stored = pd.read_csv(ROOT / "docs/data/g_anchored_calibration/world3.csv")
    few = stored[stored["seed"].isin(stored["seed"].unique()[:3]) & (stored["n"] == 200)]
    (tmp_path / "src").mkdir()
    few.to_csv(tmp_path / "src/world3.csv", index=False)
    src = f"{tmp_path / 'src'}:standard:default,{tmp_path / 'src'}:anchored:anchored"
    page, again = tmp_path / "e.md", tmp_path / "e2.md"
    args = ["--worlds", "world3", "--workers", "1", "--cohorts-from", src, "--truth-dir", str(tmp_path / "truths")]
    assert estimand_calibration.main([*args, "--write-md", str(page)]) == 0
    text = page.read_text()
    # the stored cohorts are these: the recomputed world's truth is the stored one
    gap = float(text.split("| world3 | 18 | ")[1].split(" |")[0])
    assert gap < 1e-9
    # each estimator against each truth over the 9 cells, and a row per cell
    assert text.count("| world3 | default · estimand's truth | ") == 1
    assert sum(line.startswith("| world3 | 200 | ") and line.count("|") == 13 for line in text.splitlines()) == 9
    # the while-observed page from the same stored truths: the world's truth column the same, the other not
    obs = tmp_path / "o.md"
    assert estimand_calibration.main([*args, "--from-raw", "--estimand", "observed", "--page", "observed",
                                      "--write-md", str(obs)]) == 0  # fmt: skip
    stored = pd.read_csv(tmp_path / "truths" / "world3.csv")
    assert stored["truth_observed"].notna().all() and not stored["truth_observed"].equals(stored["truth_window"])
    assert "while-observed strategy" in obs.read_text()
    # the page again from the stored truths, nothing simulated: the same tables
    assert estimand_calibration.main([*args, "--from-raw", "--write-md", str(again)]) == 0
    assert [ln for ln in text.splitlines() if ln.startswith("| ")] == [
        ln for ln in again.read_text().splitlines() if ln.startswith("| ")
    ]


def test_the_pages_refuse_a_missing_truth_or_a_mismatched_text(tmp_path):
    raw = pd.DataFrame(
        dict(world="world4", n=200, share=0.3, E=[0.5, 0.5], seed=[1, 2], variant="standard", truth=0.3,
             estimate=0.31, se=0.1, ci_low=-0.2, ci_high=0.5, p_value=0.5)
    )  # fmt: skip
    truths = pd.DataFrame(dict(world="world4", n=200, share=0.3, E=[0.5], seed=[2], truth_realised=[0.3],
                               truth_window=[0.28]))  # fmt: skip
    with pytest.raises(SystemExit, match="1 stored cohorts under an effect have no truth"):
        estimand_calibration.judged(raw, truths)
    with pytest.raises(SystemExit):
        estimand_calibration.main(["--page", "observed", "--truth-dir", str(tmp_path), "--from-raw"])


def test_judged_rows_use_each_truth_and_zero_under_no_effect():
    raw = pd.DataFrame(
        dict(world="world4", n=200, share=0.3, E=[0.0, 0.5], seed=[1, 2], variant="standard", truth=[0.0, 0.3],
             estimate=[0.01, 0.31], se=0.1, ci_low=-0.2, ci_high=0.5, p_value=0.5)
    )  # fmt: skip
    truths = pd.DataFrame(dict(world="world4", n=200, share=0.3, E=[0.5], seed=[2], truth_realised=[0.3],
                               truth_window=[0.28]))  # fmt: skip
    j = estimand_calibration.judged(raw, truths)
    assert len(j) == 4
    got = j.set_index(["variant", "seed"])["truth"]
    assert got[("standard · world's truth", 2)] == 0.3 and got[("standard · estimand's truth", 2)] == 0.28
    assert got[("standard · estimand's truth", 1)] == 0.0


@pytest.mark.parametrize("world", ["world16", "world17", "world18", "world19", "world20", "world21", "world22"])
def test_the_stored_blind_world_pages_rewrite_from_their_stored_truths(world, tmp_path):
    """docs/calibration_world16|17_{estimand,observed}.md: the command each page names (quoted as a shell needs,
    a label holds a space) writes the same tables again from the stored cohorts and truths."""
    import shlex

    for suffix in ("estimand", "observed"):
        stored = ROOT / f"docs/calibration_{world}_{suffix}.md"
        text = stored.read_text()
        command = text.split("printed by `.venv/bin/python ")[1].split("`")[0]
        argv = shlex.split(command)
        # (the twenty-second world's page judges the standard history and the default since 2026-12-07)
        judged = "measures_only:default" if world == "world22" else "names occasions"
        assert argv[0] == "benchmarks/estimand_calibration.py" and judged in " ".join(argv)
        assert_command_rewrites(text, argv, tmp_path / f"{suffix}.md")


def assert_command_rewrites(text: str, argv: list[str], again: Path) -> None:
    """The page's command ``argv`` (its text ``text``) writes the same tables to ``again``; its paths (comma-separated
    folders too) are relative to the project folder."""
    argv = list(argv)
    argv[argv.index("--write-md") + 1] = str(again)
    argv = [",".join(str(ROOT / p) for p in a.split(",")) if a.startswith("docs/data/") and ":" not in a else a
            for a in argv[1:]]  # fmt: skip
    src = argv.index("--cohorts-from") + 1
    argv[src] = ",".join(str(ROOT / part) for part in argv[src].split(","))
    assert estimand_calibration.main(argv) == 0
    tables = [ln for ln in text.splitlines() if ln.startswith("| ")]
    assert tables and tables == [ln for ln in again.read_text().splitlines() if ln.startswith("| ")]


@pytest.mark.parametrize("page", ["measures_only", "measures_only_recorded"])
def test_the_measures_alone_pages_rewrite_from_the_worlds_stored_cohorts_and_truths(page, tmp_path):
    """docs/measures_only_estimand.md and docs/measures_only_observed.md: the default since 2026-12-07 beside the
    standard history on every held-out world measured again, judged against truths stored by the worlds' calibration
    pages for the same seeds (the gap table's 0s say the cohorts are those); docs/measures_only_recorded_*.md the
    same on cohorts that record the visits' types and decision dates."""
    import shlex

    for suffix in ("estimand", "observed"):
        text = (ROOT / f"docs/{page}_{suffix}.md").read_text()
        argv = shlex.split(text.split("printed by `.venv/bin/python ")[1].split("`")[0])
        assert argv[argv.index("--page") + 1] == page and "Not yet read" not in text
        gaps = [
            ln
            for ln in text.splitlines()
            if ln.startswith("| world") and not ln.startswith("| world |") and ln.count("|") == 4
        ]
        assert gaps and all(float(ln.split("|")[3]) < 1e-12 for ln in gaps)
        assert_command_rewrites(text, argv, tmp_path / f"{suffix}.md")

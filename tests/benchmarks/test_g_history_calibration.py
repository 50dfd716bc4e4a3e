"""benchmarks/g_history_calibration.py: the bands and counts of its tables, on hand-made cohorts."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import g_history_calibration as ghc


def _raw(k: int = 100) -> pd.DataFrame:
    """One world, one size and share, E 0 and 0.5; 'standard' exact and honest, 'flexible' biased by 0.1."""
    rng = np.random.default_rng(1)
    rows = []
    for eff in (0.0, 0.5):
        for seed in range(k):
            z = rng.standard_normal()
            for variant, shift in (("standard", 0.0), ("flexible", 0.1)):
                est = eff + shift + 0.05 * z
                rows.append(dict(world="w", n=300, share=0.3, E=eff, seed=seed, variant=variant, truth=eff,
                                 estimate=est, se=0.05, ci_low=est - 0.098, ci_high=est + 0.098,
                                 p_value=0.01 if abs(est) > 0.098 else 0.5))  # fmt: skip
    return pd.DataFrame(rows)


def test_bands_and_counts():
    perf = ghc.performance(_raw())
    std = perf[perf["method"] == "standard"].set_index("effect")
    flex = perf[perf["method"] == "flexible"].set_index("effect")
    assert bool(std.loc[0.0, "bias_ok"]) and not bool(flex.loc[0.0, "bias_ok"])
    assert abs(flex.loc[0.5, "bias"] - std.loc[0.5, "bias"] - 0.1) < 1e-9  # same cohorts, shifted by 0.1
    summary = ghc.summary_table(perf).splitlines()
    assert summary[2].startswith("| w | standard | 2 / 2 | 2 / 2 | 1 / 1 | 2 / 2 |")
    assert summary[3].startswith("| w | flexible | ") and "| 0 / 2 | 0 / 1 | 0 / 2 |" in summary[3]
    cells = ghc.cell_table(perf).splitlines()
    assert len(cells) == 4
    for row in cells[2:]:
        parts = [c.strip() for c in row.strip("|").split("|")]
        assert not any("✗" in c for c in parts[4:7]) and "✗" in parts[7], row  # standard within, flexible biased


def test_the_stored_standard_rows_pair_with_the_candidates_cohorts(tmp_path):
    raw = _raw(5)
    raw.assign(run_minutes=1.0).to_csv(tmp_path / "w.csv", index=False)
    cand = raw[raw["variant"] == "flexible"].assign(variant="level_spline")
    got = ghc._stored_rows(tmp_path / "w.csv", cand)
    assert (got["variant"] == "standard").all() and len(got) == len(cand)
    key = ["E", "seed"]
    want = raw[raw["variant"] == "standard"].set_index(key)["estimate"]
    np.testing.assert_allclose(got.set_index(key)["estimate"].loc[want.index], want)
    other = cand.assign(seed=cand["seed"] + 100)  # cohorts the stored run does not hold
    with pytest.raises(SystemExit, match="do not hold every cohort"):
        ghc._stored_rows(tmp_path / "w.csv", other)
    assert set(ghc.variants("level_spline")) == {"standard", "level_spline"}
    assert ghc.variants("level_spline", standard=False) == {"level_spline": {"history": "level_spline"}}
    # every run names its history: the pages' (PAGE_HISTORY, the default's when they were run) unless its own
    assert ghc.variants("boosted", standard=False) == {"boosted": {"history": "standard", "nuisance": "boosted"}}
    assert ghc.variants("measures_only")["standard"] == {"history": ghc.PAGE_HISTORY} == {"history": "standard"}
    other_candidate = ghc._stored_rows(tmp_path / "w.csv", cand, "flexible")  # --also-from's rows
    assert (other_candidate["variant"] == "flexible").all() and len(other_candidate) == len(cand)
    assert (
        "level_spline: bias"
        in ghc.cell_table(
            ghc.performance(pd.concat([raw[raw.variant == "standard"], cand])), "level_spline"
        ).splitlines()[0]
    )


def test_the_change_table_pairs_cohorts():
    rows = ghc.change_table(_raw(), "flexible").splitlines()
    assert rows[2] == "| w | 300 | 200 | +0.1000 (0.0000) | 1.000 |"  # every cohort shifted by exactly 0.1
    both = pd.concat(
        [
            _raw(),
            _raw().query("variant == 'flexible'").assign(variant="boosted", estimate=lambda d: d["estimate"] - 0.25),
        ]
    )
    rows = ghc.change_table(both, "flexible", "boosted").splitlines()
    assert "flexible minus boosted" in rows[0]
    assert rows[2] == "| w | 300 | 200 | +0.2500 (0.0000) | 1.000 |"  # the two candidates paired by cohort


def _store(raw: pd.DataFrame, path: Path, variant: str, minutes: float) -> None:
    """Store ``raw``'s cohorts as one world's run of ``variant`` (its 'flexible' rows renamed)."""
    path.parent.mkdir(exist_ok=True)
    raw.replace({"variant": {"flexible": variant}}).assign(run_minutes=minutes).to_csv(path, index=False)


def _also_page(tmp_path: Path, worlds: str) -> tuple[str, list[str]]:
    """The page of 'selected' from tmp_path/sel with 'boosted' from tmp_path/boo beside it, and its argv."""
    page = tmp_path / "page.md"
    argv = ["--candidate", "selected", "--worlds", worlds, "--raw-dir", str(tmp_path / "sel"), "--from-raw",
            "--also-from", f"{tmp_path / 'boo'}:boosted", "--write-md", str(page)]  # fmt: skip
    assert ghc.main(argv) == 0
    return page.read_text(), argv


def test_also_from_shows_another_candidates_stored_rows(tmp_path):
    raw = _raw(5)
    _store(raw, tmp_path / "sel/w.csv", "selected", 1.0)
    _store(raw, tmp_path / "boo/w.csv", "boosted", 2.0)
    text, argv = _also_page(tmp_path, "w")
    assert "| w | boosted |" in text and "| w | selected |" in text
    assert "selected minus standard" in text and "boosted minus standard" in text
    assert "| w | 300 | 10 | +0.0000 (0.0000) | 1.000 |" in text  # selected minus boosted: the same estimates
    with pytest.raises(SystemExit):
        ghc.main([*argv[:-4], "--also-from", f"{tmp_path / 'boo'}:standard"])


def test_the_choice_table_counts_the_boosted_splits():
    raw = _raw(4).assign(boosted_decision=np.nan, boosted_slope=np.nan)
    assert ghc.choice_table(raw) is None and ghc.choice_table(_raw(4)) is None  # nothing recorded
    sel = raw["variant"] == "flexible"
    raw.loc[sel, "boosted_decision"] = np.tile([0.0, 1.0], 4)  # half the cohorts' splits all boosted
    raw.loc[sel, "boosted_slope"] = 0.25
    rows = ghc.choice_table(raw).splitlines()
    assert rows[0].startswith("| world | n | share | cohorts | decision: share of splits boosted | slope: ")
    assert rows[2] == "| w | 300 | 30% | 8 | 0.50 | 0.25 |"


def test_the_title_names_the_worlds_on_the_page():
    assert ghc.scope(ghc.WORLDS) == "the five worlds"
    assert ghc.scope(("simulate",)) == "`simulate` (one of the five worlds)"
    assert ghc.scope(("world6",)) == "`world6` (written after the five worlds)"
    assert ghc.scope((*ghc.WORLDS, "world6")) == "the five worlds and `world6`, written after them"
    assert ghc.scope(("simulate", "world2", "world4")) == (
        "`simulate`, `world2` and `world4` (three of the five worlds)"
    )


def test_also_from_skips_a_world_the_other_candidate_was_not_run_on(tmp_path):
    raw = _raw(5)
    for w in ("w", "v"):
        _store(raw.assign(world=w), tmp_path / f"sel/{w}.csv", "selected", 1.0)
    _store(raw, tmp_path / "boo/w.csv", "boosted", 2.0)
    text, _ = _also_page(tmp_path, "w,v")
    assert "| w | boosted |" in text and "| v | boosted |" not in text and "| v | selected |" in text


def test_estimand_truths_replace_a_held_out_worlds_truth_under_an_effect_only(tmp_path):
    raw = pd.concat([_raw(3).assign(world="world9"), _raw(2).assign(world="simulate")], ignore_index=True)
    held = raw[(raw["world"] == "world9")][["world", "n", "share", "E", "seed"]].drop_duplicates()
    (tmp_path / "a").mkdir()
    held.assign(truth_window=0.3 + 0.01 * held["seed"], truth_realised=9.0).to_csv(tmp_path / "a" / "world9.csv")
    out = ghc.estimand_truths(raw, (tmp_path / "empty", tmp_path / "a"))
    w9 = out[out["world"] == "world9"]
    assert (w9.loc[w9["E"] == 0, "truth"] == 0).all()
    np.testing.assert_allclose(w9.loc[w9["E"] == 0.5, "truth"], 0.3 + 0.01 * w9.loc[w9["E"] == 0.5, "seed"])
    pd.testing.assert_series_equal(out.loc[out["world"] == "simulate", "truth"].reset_index(drop=True),
                                   raw.loc[raw["world"] == "simulate", "truth"].reset_index(drop=True))  # fmt: skip
    with pytest.raises(SystemExit, match="other seeds"):  # a cohort with no stored truth
        ghc.estimand_truths(raw.assign(seed=raw["seed"] + 1), (tmp_path / "a",))
    with pytest.raises(SystemExit, match="no stored truths of world9"):
        ghc.estimand_truths(raw, (tmp_path / "empty",))


def test_the_named_candidate_takes_each_worlds_own_names():
    """``--candidate named`` resolves to what each world's rule reads (benchmarks/named_inputs.NAMED)."""
    import named_inputs

    assert ghc.variants("named")["named"] == {"history": "standard", "adjust_for": "named"}
    rows = ghc.run_chunk([(("world9", 200, 0.3, 0.0), 5)], ghc.variants("named"))
    by = {r["variant"]: r for r in rows}
    assert set(by) == {"standard", "named"} and by["named"]["estimate"] != by["standard"]["estimate"]
    import calibration
    from alscell.analysis.g_estimation import g_estimation

    e = g_estimation(
        calibration._cohort("world9", 200, 0.3, 0.0, 5), adjust_for=named_inputs.NAMED["world9"], history="standard"
    )
    assert by["named"]["estimate"] == e.estimate


def test_the_recorded_occasions_candidate_records_them_and_takes_each_worlds_own():
    """``--candidate named_occasions``: the cohorts record the decision dates and visit types (same draws), the
    candidate takes the world's names, decision visits and left-out visit types (benchmarks/decision_occasions.py),
    and the default's rows read the same recorded cohort."""
    import calibration
    import decision_occasions
    import named_inputs
    from alscell.analysis.g_estimation import g_estimation

    plain = calibration._cohort("world16", 200, 0.3, 0.0, 5)
    recorded = calibration._cohort("world16", 200, 0.3, 0.0, 5, record_occasions=True)
    assert plain["alsfrs"]["visit_type"].isna().all() and recorded["alsfrs"]["visit_type"].notna().all()
    rows = {r["variant"]: r for r in ghc.run_chunk([(("world16", 200, 0.3, 0.0), 5)], ghc.variants("named_occasions"))}
    e = g_estimation(
        recorded,
        adjust_for=named_inputs.NAMED["world16"],
        decision_visits=decision_occasions.OCCASIONS["world16"],
        leave_out_visits=decision_occasions.LEFT_OUT["world16"],
        adjust_shape="spline",
        history="standard",
    )
    assert rows["named_occasions"]["estimate"] == e.estimate
    standard = g_estimation(recorded, history="standard").estimate
    assert rows["standard"]["estimate"] == standard != g_estimation(plain, history="standard").estimate


def test_the_default_on_recording_cohorts_reads_the_occasions_in_both_histories():
    """``--candidate measures_only_recorded``: the default (the measures alone) and the standard history on cohorts
    that record the decision dates and visit types (same draws), each equal to ``g_estimation`` on that cohort — not
    on the cohort without them."""
    import calibration
    from alscell.analysis.g_estimation import g_estimation

    runs = ghc.variants("measures_only_recorded")
    assert runs["measures_only_recorded"] == {"history": "measures_only", "record_occasions": True}
    rows = {r["variant"]: r for r in ghc.run_chunk([(("world16", 200, 0.3, 0.0), 5)], runs)}
    recorded = calibration._cohort("world16", 200, 0.3, 0.0, 5, record_occasions=True)
    plain = calibration._cohort("world16", 200, 0.3, 0.0, 5)
    for name, history in (("measures_only_recorded", "measures_only"), ("standard", "standard")):
        assert rows[name]["estimate"] == g_estimation(recorded, history=history).estimate
    assert rows["measures_only_recorded"]["estimate"] != g_estimation(plain, history="measures_only").estimate


# the worlds measured again with the default (docs/calibration_worldN_measures_only.md; the twenty-second's page is
# docs/calibration_world22.md) and on cohorts that record the visits' types and decision dates (…_recorded.md)
MEASURED_AGAIN = ("world8", "world9", "world10", "world12", "world13", "world14", "world16", "world17", "world18",
                  "world19", "world20", "world21")  # fmt: skip
RECORDED = ("world16", "world17", "world18", "world19", "world20", "world21", "world22")


@pytest.mark.parametrize(
    ("candidate", "world", "raw_dir", "stored_page"),
    [
        ("measures_only", "world22", "docs/data/world22_calibration", "docs/calibration_world22.md"),
        *(
            ("measures_only", w, f"docs/data/{w}_measures_only", f"docs/calibration_{w}_measures_only.md")
            for w in MEASURED_AGAIN
        ),
        *(
            (
                "measures_only_recorded",
                w,
                f"docs/data/{w}_measures_only_recorded",
                f"docs/calibration_{w}_measures_only_recorded.md",
            )
            for w in RECORDED
        ),
    ],
)
def test_the_measures_alone_pages_rewrite_from_their_stored_cohorts_and_name_their_standard_rows(
    candidate, world, raw_dir, stored_page, tmp_path
):
    """docs/calibration_world22.md, docs/calibration_worldN_measures_only.md (the measures alone, the default since
    2026-12-07, beside the standard history) and docs/calibration_worldN_measures_only_recorded.md (the same on cohorts
    that record the visits' types and decision dates): the stored cohorts write the same pages again, each with its
    world's reading, naming the "standard" rows as the default's until then."""
    root = Path(__file__).resolve().parents[2]
    page = tmp_path / "page.md"
    argv = ["--candidate", candidate, "--worlds", world, "--cohorts", "20", "--raw-dir",
            str(root / raw_dir), "--from-raw", "--write-md", str(page)]  # fmt: skip
    assert ghc.main(argv) == 0
    stored = (root / stored_page).read_text(encoding="utf-8")
    again = page.read_text(encoding="utf-8")
    assert again.split("\n\n", 2)[2].split("Run time")[0] == stored.split("\n\n", 2)[2].split("Run time")[0]
    assert "`standard`, the default's until 2026-12-07" in stored and set(
        pd.read_csv(root / raw_dir / f"{world}.csv")["variant"]
    ) == {"standard", candidate}
    assert ghc.reading_for(candidate, (world,)) in stored and "Not yet read" not in stored


def test_recording_the_occasions_changes_no_estimate_on_the_twenty_second_world():
    """docs/calibration_world22_measures_only_recorded.md's reading: on the same seeds, the cohorts recording the
    visits' types and decision dates give every estimate of docs/calibration_world22.md's cohorts (both histories)."""
    root = Path(__file__).resolve().parents[2]
    key = ["n", "share", "E", "seed"]
    plain = pd.read_csv(root / "docs/data/world22_calibration/world22.csv")
    recorded = pd.read_csv(root / "docs/data/world22_measures_only_recorded/world22.csv")
    recorded["variant"] = recorded["variant"].replace({"measures_only_recorded": "measures_only"})
    both = plain.merge(recorded, on=[*key, "variant"], suffixes=("", "_recorded"))
    assert len(both) == len(plain) == len(recorded) == 1080
    assert (both["estimate"] - both["estimate_recorded"]).abs().max() < 1e-12

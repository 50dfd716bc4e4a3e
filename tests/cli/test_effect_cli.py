import json
import os
import subprocess
import sys

import pytest

from alscell.analysis.estimate import JSON_KEYS
from alscell.simulate import CohortConfig, simulate_cohort


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("eff") / "data"
    simulate_cohort(CohortConfig(n_patients=150, design="registry", effect=0.0), 3).write(out)
    return out


def run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "alscell", "effect", *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_json_contract(folder):
    r = run("--data", str(folder), "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    # the contract's keys first, unchanged; then the history checks g-estimation's default ran (this registry
    # records FVC and NfL, and age and the rest beside the score)
    assert tuple(d) == (*JSON_KEYS, "measures_check", "history_check"), list(d)
    assert d["method"] == "g_estimation" and d["estimand"] == "slope_change"
    r = run("--data", str(folder), "--json", "--method", "naive", "--outcome", "fvc_pct_pred")
    d = json.loads(r.stdout)
    assert d["method"] == "naive" and d["outcome"] == "fvc_pct_pred" and d["warnings"]


def test_table_and_errors(folder):
    r = run("--data", str(folder))
    assert r.returncode == 0 and "estimate" in r.stdout
    r = run("--data", str(folder), "--outcome", "bogus")
    assert r.returncode == 2 and "unknown outcome" in r.stderr and "Traceback" not in r.stderr
    r = run("--data", str(folder), "--method", "bogus")
    assert r.returncode == 2 and "unknown method" in r.stderr


def test_sensitivity_extends_the_json_object_and_prints_the_table(folder):
    plain = json.loads(run("--data", str(folder), "--json").stdout)
    r = run("--data", str(folder), "--json", "--sensitivity")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert tuple(d)[: len(JSON_KEYS)] == JSON_KEYS  # the spec's keys first, unchanged
    assert {k: d[k] for k in JSON_KEYS} == {k: plain[k] for k in JSON_KEYS}
    assert [s["analysis"] for s in d["sensitivity"]] == ["lmm_counterfactual", "lmm_bounded", "trigger_visits_out"]
    for s in d["sensitivity"]:
        assert set(s) == {
            "analysis",
            "changes",
            "result",
            "reason",
            "difference",
            "difference_in_se",
            "verdict",
            "agrees",
            "raters_held",
        }
        if s["result"] is not None and s["result"]["estimate"] is not None:
            assert s["difference"] == pytest.approx(s["result"]["estimate"] - plain["estimate"])
    summary = d["sensitivity_summary"]
    assert summary["primary_analysis"] == "g_estimation" and summary["text"]
    assert d["placebo"]["window_months"] == 6.0 and d["placebo"]["text"].startswith("placebo (pre-trend) check")
    assert d["waning"]["split_months"] == 6.0 and d["waning"]["text"].startswith("does the effect last?")
    r = run("--data", str(folder), "--sensitivity")
    assert r.returncode == 0 and "Sensitivity analyses" in r.stdout and "sensitivity: " in r.stdout
    assert "lmm_counterfactual: a model of each patient's course" in r.stdout
    assert "placebo (pre-trend) check" in r.stdout and "does the effect last?" in r.stdout


def test_sensitivity_with_a_method_of_another_design_is_a_clear_error(folder):
    r = run("--data", str(folder), "--sensitivity", "--method", "naive")
    assert r.returncode == 2 and "sensitivity analyses vary the registry estimators" in r.stderr
    assert "Traceback" not in r.stderr


def test_modifiers_extend_the_json_object_and_print_their_table(tmp_path):
    folder = tmp_path / "data"
    cfg = CohortConfig(n_patients=400, design="registry", effect=0.3, treated_fraction=0.5)
    simulate_cohort(cfg, 4).write(folder)
    r = run("--data", str(folder), "--json", "--modifiers", "level, decline")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert tuple(d)[: len(JSON_KEYS)] == JSON_KEYS and list(d)[len(JSON_KEYS) :] == ["effect_modification"]
    assert d["method"] == "g_estimation" and d["estimate"] is not None
    assert [m["modifier"] for m in d["effect_modification"]] == ["level", "decline"]
    for m in d["effect_modification"]:
        assert set(m) == {"modifier", "per_unit", "se", "ci_low", "ci_high", "p_value", "starters_mean"}
        assert m["ci_low"] < m["per_unit"] < m["ci_high"]
    r = run("--data", str(folder), "--modifiers", "decline")
    assert r.returncode == 0 and "Does the slope change depend on the patient?" in r.stdout
    assert "average slope change over the patients who start treatment" in r.stdout
    for args, why in (
        (("--modifiers", "age"), "unknown effect modifier(s) age"),
        (("--modifiers", "level", "--method", "lmm_counterfactual"), "need the method g_estimation"),
        (("--modifiers", "level", "--sensitivity"), "cannot be combined"),
    ):
        r = run("--data", str(folder), *args)
        assert r.returncode == 2 and why in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)


def test_named_decision_inputs_extend_the_json_object_and_bad_names_are_clear_errors(tmp_path):
    folder = tmp_path / "data"
    simulate_cohort(CohortConfig(n_patients=300, design="registry", effect=0.0, treated_fraction=0.3), 6).write(folder)
    plain = json.loads(run("--data", str(folder), "--json").stdout)
    r = run("--data", str(folder), "--json", "--adjust-for", "age, fvc_pct_pred", "--within-starters")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert tuple(d)[: len(JSON_KEYS)] == JSON_KEYS and list(d)[len(JSON_KEYS) :] == ["decision_inputs"]
    named = d["decision_inputs"]
    assert named["named"] == ["age", "fvc_pct_pred"] and named["within_starters"] is True
    # the default history reads the latest FVC already (history="measures_only"): naming it adds no copy of it;
    # with the standard history it is a column of its own
    assert "age" in named["columns"] and "fvc_pct_pred" not in named["columns"]
    std = run("--data", str(folder), "--json", "--adjust-for", "age, fvc_pct_pred", "--history", "standard")
    assert "fvc_pct_pred" in json.loads(std.stdout)["decision_inputs"]["columns"], std.stderr
    assert isinstance(named["outside_starters"], int) and d["estimate"] is not None
    assert d["estimate"] != plain["estimate"] and "decision_inputs" not in plain
    assert any("also hold what was named as driving the decision (age, fvc_pct_pred)" in w for w in d["warnings"])
    assert named["shape"] == "spline"  # the default shape of named terms since the fourteenth world's rule
    linear = json.loads(run("--data", str(folder), "--json", "--adjust-for", "age", "--adjust-shape", "linear").stdout)
    assert (
        linear["decision_inputs"]["shape"] == "linear" and "age (spline 1)" not in linear["decision_inputs"]["columns"]
    )
    r = run("--data", str(folder), "--adjust-for", "age")
    assert r.returncode == 0 and "decision inputs named" in r.stdout
    r = run("--data", str(folder), "--json", "--adjust-for", "age,fvc_pct_pred", "--adjust-shape", "spline")
    spline = json.loads(r.stdout)["decision_inputs"]
    assert r.returncode == 0 and spline["shape"] == "spline" and "age (spline 1)" in spline["columns"]
    r = run("--data", str(folder), "--json", "--decision-lag", "21", "--adjust-for", "visit_measures,visit_spacing")
    lagged = json.loads(r.stdout)
    assert r.returncode == 0 and lagged["decision_inputs"]["decision_lag_days"] == 21
    assert any("at least 21 days before the first dose" in w for w in lagged["warnings"])
    # the visits' measures read every measurement recorded, not only the outcome's and those named
    assert "months since the previous visit" in lagged["decision_inputs"]["columns"]
    assert any(c.endswith(" taken at the visit") for c in lagged["decision_inputs"]["columns"])
    r = run("--data", str(folder), "--decision-lag", "21")
    assert r.returncode == 0 and "decision lag (days)" in r.stdout
    r = run("--data", str(folder), "--json", "--adjust-for", "age,fvc_pct_pred", "--eligible-when",
            "age <= 75; fvc_pct_pred over its first >= 0.6")  # fmt: skip
    stated = json.loads(r.stdout)["decision_inputs"]
    assert r.returncode == 0 and stated["eligible_when"] == ["age <= 75", "fvc_pct_pred over its first >= 0.6"]
    assert isinstance(stated["outside_eligibility"], int) and stated["outside_eligibility"] > 0
    r = run("--data", str(folder), "--adjust-for", "age", "--eligible-when", "age <= 75")
    assert r.returncode == 0 and "eligible when (stated)" in r.stdout
    r = run("--data", str(folder), "--json", "--adjust-for", "age", "--sensitivity")
    sens = json.loads(r.stdout)
    assert r.returncode == 0 and list(sens)[-1] == "decision_inputs" and "sensitivity" in sens
    assert "holds the decision inputs named (age)" in sens["sensitivity_summary"]["text"]
    for args, why in (
        (("--adjust-for", "age,height"), "unknown term(s) 'height'"),
        (("--within-starters",), "name the recorded terms"),
        (("--adjust-for", "age", "--method", "lmm_counterfactual"), "only g_estimation models the decision"),
        (("--adjust-for", "munix"), "no munix is recorded"),
        (("--adjust-shape", "spline"), "their continuous levels then enter as splines"),
        (("--adjust-for", "age", "--adjust-shape", "cubic"), "adjust shape: unknown 'cubic'"),
        (("--decision-lag", "-2"), "decision lag: -2.0 days is outside 0 to 365 days."),
        (("--decision-lag", "21", "--method", "naive"), "decision lag: only g_estimation models the decision"),
        (("--adjust-for", "visit_type"), "unknown term(s) 'visit_type'"),
        (("--eligible-when", "age <= 75"), "eligible when: name the recorded terms"),
        (("--adjust-for", "age", "--eligible-when", "age < seventy"), "is not TERM OP NUMBER"),
        (("--adjust-for", "age", "--eligible-when", "weight <= 70"), "no column 'weight' among the named terms'"),
    ):
        r = run("--data", str(folder), *args)
        assert r.returncode == 2 and why in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)


def test_recorded_decision_occasions_and_the_decision_visits_option(tmp_path):
    """A folder that records each decision's date and each visit's type (the optional extension columns): the
    default reads the dates and warns that contacts never started treatment; --decision-visits takes only reviews."""
    from registry_arrays import reviews_and_contacts, valid_folder

    folder = valid_folder(reviews_and_contacts(400, 2, record=True), tmp_path / "data")
    plain = json.loads(run("--data", str(folder), "--json").stdout)
    assert "decision_inputs" not in plain
    assert any("recorded decision_date for" in w for w in plain["warnings"])
    assert any("no treatment started at a visit of type unscheduled" in w for w in plain["warnings"])
    r = run("--data", str(folder), "--json", "--decision-visits", "scheduled")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["decision_inputs"]["decision_visits"] == ["scheduled"] and d["decision_inputs"]["named"] == []
    assert any("only visits of type scheduled are taken as occasions" in w for w in d["warnings"])
    assert not any("no treatment started at a visit of type" in w for w in d["warnings"])
    r = run("--data", str(folder), "--decision-visits", "scheduled")
    assert r.returncode == 0 and "decision visits" in r.stdout and "recorded decision dates used" in r.stdout
    r = run("--data", str(folder), "--json", "--leave-out-visits", "unscheduled")
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out["decision_inputs"]["left_out_visits"] == ["unscheduled"]
    assert any("visit(s) of type unscheduled were left out of the analysis" in w for w in out["warnings"])
    r = run("--data", str(folder), "--leave-out-visits", "unscheduled")
    assert r.returncode == 0 and "visits left out (unscheduled)" in r.stdout
    for args, why in (
        (("--decision-visits", "clinic"), "decision visits: unknown visit type(s) 'clinic': use scheduled, "),
        (("--decision-visits", "home", "--method", "naive"), "decision visits: only g_estimation models the decision"),
        (("--leave-out-visits", "ward"), "leave out visits: unknown visit type(s) 'ward'"),
    ):
        r = run("--data", str(folder), *args)
        assert r.returncode == 2 and why in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)


def test_the_recorded_screening_is_read_when_asked_and_said(tmp_path):
    """A folder whose clinic records its screening (alsfrs.eligible): by default it is not read (a note says it is
    there); with --recorded-eligibility the visits found not eligible leave the decision model and the table and
    --json's decision_inputs say how many; with another method it is a clear error."""
    from registry_arrays import screened_clinic, valid_folder

    folder = valid_folder(screened_clinic(300, 4), tmp_path / "data")
    plain = json.loads(run("--data", str(folder), "--json").stdout)
    assert "decision_inputs" not in plain
    assert any("records the clinic's screening for the therapy (alsfrs.eligible)" in w for w in plain["warnings"])
    d = json.loads(run("--data", str(folder), "--json", "--recorded-eligibility").stdout)
    screen = d["decision_inputs"]
    assert screen["named"] == [] and screen["recorded_eligibility"] is True
    assert screen["eligibility_recorded"] > screen["not_eligible_left_out"] > 0 and screen["starts_not_eligible"] == 0
    assert any(f"{screen['not_eligible_left_out']} of " in w and "(alsfrs.eligible)" in w for w in d["warnings"])
    assert d["estimate"] != plain["estimate"]
    r = run("--data", str(folder), "--recorded-eligibility")
    assert r.returncode == 0 and "recorded not eligible (left out)" in r.stdout
    r = run("--data", str(folder), "--recorded-eligibility", "--method", "naive")
    assert r.returncode == 2 and "recorded eligibility: only g_estimation models the decision" in r.stderr


def test_each_raters_offset_is_held_when_asked_and_said(tmp_path):
    """A folder that records who rated each visit (alsfrs.rater): with --hold-raters, and by default, each rater's offset
    is held, the table says how many and the estimate as recorded, --json's decision_inputs too; --raters-as-recorded
    reads them as recorded; with another method a clear error."""
    from registry_arrays import rated_clinic, valid_folder

    folder = valid_folder(rated_clinic(300, 6), tmp_path / "data")
    plain = json.loads(run("--data", str(folder), "--json", "--raters-as-recorded").stdout)
    assert "decision_inputs" not in plain
    d = json.loads(run("--data", str(folder), "--json", "--hold-raters").stdout)
    by_default = json.loads(run("--data", str(folder), "--json").stdout)
    assert by_default["estimate"] == d["estimate"] and by_default["decision_inputs"]["raters_held_by_default"] is True
    inputs = d["decision_inputs"]
    assert inputs["hold_raters"] is True and inputs["named"] == [] and inputs["raters_held_by_default"] is False
    assert inputs["rater_offset_groups"] == 6 and 0 < inputs["rater_offsets_held"] <= 6
    assert inputs["estimate_as_recorded"] == pytest.approx(plain["estimate"], abs=1e-9)
    assert d["estimate"] != plain["estimate"]
    assert any("each recorded rater's offset from P1 (alsfrs.rater)" in w for w in d["warnings"])
    r = run("--data", str(folder), "--hold-raters")
    assert r.returncode == 0 and "raters' offsets held" in r.stdout
    r = run("--data", str(folder), "--hold-raters", "--method", "naive")
    assert r.returncode == 2 and "hold raters: only g_estimation models the decision" in r.stderr
    r = run("--data", str(folder), "--raters-as-recorded", "--method", "naive")  # holds none anyway
    assert r.returncode == 0 and "raters' offsets held" not in r.stdout


def test_the_self_ratings_are_taken_as_asked_and_said(tmp_path):
    """A folder whose contacts are rated by the patients (alsfrs.assessor self): --self-ratings outcome takes them
    out of the decision model, --json's decision_inputs says the choice and how many, the table a row; the default is
    g_estimation's own (DEFAULT_SELF_RATINGS); an unknown choice and another method are clear errors."""
    from alscell.analysis.self_ratings import DEFAULT_SELF_RATINGS
    from registry_arrays import self_rated_contacts, valid_folder

    t = self_rated_contacts(200, 3)
    folder = valid_folder(t, tmp_path / "data")
    contacts = int((t["alsfrs"]["assessor"] == "self").sum())
    out = json.loads(run("--data", str(folder), "--json", "--self-ratings", "outcome").stdout)
    d = out["decision_inputs"]
    assert (d["self_ratings"], d["self_rated_visits_not_read"], d["named"]) == ("outcome", contacts, [])
    assert any(f"{contacts} visit(s) rated by the patient or a caregiver" in w for w in out["warnings"])
    read = json.loads(run("--data", str(folder), "--json", "--self-ratings", "read").stdout)
    assert (read["decision_inputs"]["self_ratings"], read["decision_inputs"]["self_rated_visits_not_read"]) == (
        "read",
        None,
    )
    plain = json.loads(run("--data", str(folder), "--json").stdout)
    assert plain["estimate"] == {"read": read, "outcome": out}[DEFAULT_SELF_RATINGS]["estimate"]
    assert read["estimate"] != out["estimate"]
    r = run("--data", str(folder), "--self-ratings", "outcome")
    assert r.returncode == 0 and "self-ratings in the outcome only" in r.stdout and f"{contacts} visits" in r.stdout
    assert "self-ratings in the outcome only" not in run("--data", str(folder), "--self-ratings", "read").stdout
    r = run("--data", str(folder), "--self-ratings", "never")
    assert r.returncode == 2 and "self ratings: unknown choice 'never': use read, outcome." in r.stderr
    assert "Traceback" not in r.stderr
    r = run("--data", str(folder), "--self-ratings", "outcome", "--method", "naive")
    assert r.returncode == 2 and "self ratings: only g_estimation models the decision" in r.stderr
    r = run("--data", str(folder), "--self-ratings", "read", "--method", "naive")  # reads every visit anyway
    assert r.returncode == 0 and "Traceback" not in r.stderr
    r = run("--data", str(folder), "--json", "--sensitivity", "--self-ratings", "outcome")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["estimate"] == out["estimate"] and s["decision_inputs"]["self_ratings"] == "outcome"


def test_the_decision_history_is_taken_as_asked_and_said(folder):
    """--history NAME: g-estimation's decision model and outcome regression read the history asked for; on a registry
    that records FVC and NfL the standard history (without them) gives another estimate than the default
    (measures_only), and --json's decision_inputs says the history used; an unknown name and another method are
    one-sentence errors; --sensitivity's primary takes it."""
    from alscell.analysis.g_estimation import DEFAULT_HISTORY, HISTORIES

    plain = json.loads(run("--data", str(folder), "--json").stdout)
    assert "decision_inputs" not in plain  # nothing asked: nothing said
    r = run("--data", str(folder), "--json", "--history", "standard")
    assert r.returncode == 0, r.stderr
    std = json.loads(r.stdout)
    assert tuple(std)[: len(JSON_KEYS)] == JSON_KEYS and std["decision_inputs"]["history"] == "standard"
    assert std["estimate"] != plain["estimate"]
    default = json.loads(run("--data", str(folder), "--json", "--history", DEFAULT_HISTORY).stdout)
    assert (default["estimate"], default["decision_inputs"]["history"]) == (plain["estimate"], DEFAULT_HISTORY)
    r = run("--data", str(folder), "--history", "standard")
    assert r.returncode == 0 and "decision history" in r.stdout and "standard" in r.stdout
    # the default's JSON and table give the standard history's reading beside the estimate: that estimate, its CI
    check = plain["measures_check"]
    got = [check[k] for k in ("standard_estimate", "standard_ci_low", "standard_ci_high")]
    assert got == pytest.approx([std["estimate"], std["ci_low"], std["ci_high"]], abs=1e-9)
    assert check["difference"] == pytest.approx(plain["estimate"] - std["estimate"], abs=1e-9)
    wide = run("--data", str(folder), env=os.environ | {"COLUMNS": "220"}).stdout  # no cell wrapped
    row = next(line for line in wide.splitlines() if "(the standard decision history)" in line)
    assert "without fvc_pct_pred, nfl (the standard decision history)" in row
    assert f"{std['estimate']:+.3f} (95% CI {std['ci_low']:+.3f} to {std['ci_high']:+.3f})" in row
    r = run("--data", str(folder), "--history", "lagged")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == f"error: unknown history 'lagged': use {', '.join(HISTORIES)}."
    r = run("--data", str(folder), "--history", "standard", "--method", "naive")
    assert r.returncode == 2 and "history: only g_estimation models the decision to treat" in r.stderr
    r = run("--data", str(folder), "--json", "--sensitivity", "--history", "standard")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["estimate"] == std["estimate"] and s["decision_inputs"]["history"] == "standard"

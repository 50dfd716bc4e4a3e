"""Every CLI command on valid folders our simulator would never write (issue 9).

Each command either succeeds (exit 0) or exits 2 with one sentence per problem saying what the data
lack — never a traceback, an exception's class name or a Python warning.
"""

from __future__ import annotations

import json
import re
import warnings

import pytest

from alscell.analysis.estimate import JSON_KEYS
from alscell.cli import main
from sparse_data import FOLDERS

PATIENT = "P000"
METHODS = ("lmm_counterfactual", "lmm_bounded", "g_estimation", "naive", "external_control", "randomized")
_CLASS_NAME = re.compile(r"\b\w*(Error|Exception|Warning)\b|Traceback|NAType|KeyError")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning reaching the user's terminal fails the test
        try:
            main(list(argv))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def check(code: int, out: str, err: str, argv: tuple[str, ...]) -> None:
    assert code in (0, 2), f"{argv}: exit {code}\n{err}"
    assert not _CLASS_NAME.search(err), f"{argv}: {err}"
    if code == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert lines and all(ln.startswith("error: ") for ln in lines), f"{argv}: {err}"


@pytest.fixture(params=sorted(FOLDERS))
def folder(request, tmp_path):
    return request.param, FOLDERS[request.param](tmp_path / request.param)


def test_every_command(folder, tmp_path, capsys):
    name, data = folder
    db = f"sqlite:///{tmp_path / 'r.db'}"
    commands: list[tuple[str, ...]] = [
        ("import", str(data), "--db", db),
        ("export", str(tmp_path / "exp"), "--db", db),
        ("export", str(tmp_path / "anon"), "--db", db, "--deidentify"),
        ("derive", "--data", str(data), "--out", str(tmp_path / "d.csv")),
        ("derive", "--db", db, "--out", str(tmp_path / "d2.csv")),
        ("effect", "--data", str(data)),
        *[("effect", "--data", str(data), "--method", m, "--json") for m in METHODS],
        ("effect", "--data", str(data), "--outcome", "fvc_pct_pred", "--json"),
        ("effect", "--data", str(data), "--sensitivity"),
        ("effect", "--data", str(data), "--sensitivity", "--json"),
        ("effect", "--data", str(data), "--modifiers", "level,decline"),
        ("effect", "--data", str(data), "--modifiers", "decline", "--json"),
        ("effect", "--data", str(data), "--adjust-for", "age,ventilation,site,fvc_pct_pred,grip_kg", "--json"),
        ("effect", "--data", str(data), "--adjust-for", "sex,onset_site", "--within-starters", "--sensitivity"),
        ("effect", "--data", str(data), "--hold-raters", "--json"),
        ("effect", "--data", str(data), "--hold-raters", "--recorded-eligibility", "--sensitivity"),
        ("effect", "--data", str(data), "--self-ratings", "outcome", "--json"),
        ("effect", "--data", str(data), "--self-ratings", "outcome", "--sensitivity"),
        ("effect", "--data", str(data), "--history", "standard", "--json"),
        (
            "effect",
            "--data",
            str(data),
            "--adjust-for",
            "visit_spacing,visit_measures",
            "--decision-lag",
            "21",
            "--json",
        ),
        ("report", "--data", str(data), "--out", str(tmp_path / "c.html")),
        ("report", "--db", db, "--out", str(tmp_path / "p.html"), "--patient", PATIENT),
        ("forecast", "--data", str(data), "--patient", PATIENT, "--json"),
        ("forecast", "--data", str(data), "--patient", PATIENT),
    ]
    if name in ("minimal", "one_patient"):
        commands += [
            ("report", "--data", str(data), "--out", str(tmp_path / "c.pdf")),
            ("report", "--data", str(data), "--out", str(tmp_path / "p.pdf"), "--patient", PATIENT),
        ]
    results = {}
    for argv in commands:
        code, out, err = run(capsys, *argv)
        check(code, out, err, argv)
        results[argv] = (code, out, err)
    # What must work on any valid folder: import, export and derive; the JSON contract when effect runs.
    assert results[commands[0]][0] == 0, results[commands[0]]
    for argv in commands[1:5]:
        assert results[argv][0] == 0, (argv, results[argv])
    for argv, (code, out, _err) in results.items():
        if argv[0] == "effect" and "--json" in argv and code == 0:
            d = json.loads(out)
            assert d["method"] in METHODS
            if "--sensitivity" in argv:  # the spec's object first, extended
                assert tuple(d)[: len(JSON_KEYS)] == JSON_KEYS and len(d["sensitivity"]) == 3, d
            if "--modifiers" in argv:
                assert tuple(d)[: len(JSON_KEYS)] == JSON_KEYS and isinstance(d["effect_modification"], list), d
            if "--adjust-for" in argv:
                assert tuple(d)[: len(JSON_KEYS)] == JSON_KEYS and d["decision_inputs"]["named"], d
            if "--self-ratings" in argv:  # the choice used, or null where no visit is self-rated
                assert tuple(d)[: len(JSON_KEYS)] == JSON_KEYS and d["decision_inputs"]["self_ratings"] in (
                    None,
                    "outcome",
                ), d
            if "--history" in argv:  # the history used, or null where no estimate was made
                assert tuple(d)[: len(JSON_KEYS)] == JSON_KEYS and d["decision_inputs"]["history"] in (None, "standard")
        if argv[0] == "report" and code == 0:
            assert (tmp_path / argv[argv.index("--out") + 1].split("/")[-1]).stat().st_size > 1000


def test_simulate_command(tmp_path, capsys):
    argv = ("simulate", "cohort", "--out", str(tmp_path / "s"), "--patients", "1", "--seed", "3")
    code, out, err = run(capsys, *argv)
    check(code, out, err, argv)
    assert code == 0 and (tmp_path / "s" / "patients.csv").exists()


@pytest.mark.parametrize("n_patients", [1, 8])
def test_self_ratings_outcome_on_a_folder_its_patients_rated_alone(n_patients, tmp_path, capsys):
    """Required columns and ``alsfrs.assessor`` only, every visit self-rated (a portal's export): ``--self-ratings
    outcome`` leaves no visit to decide at — the "too few" sentence, exit 0, no numpy warning on the terminal."""
    from alscell.io.columns import REQUIRED
    from sparse_data import ITEMS, full_rows, write

    rows = full_rows(n_patients=n_patients)
    for r in rows["alsfrs"]:
        r["assessor"] = "self"
    cols = {
        "patients": REQUIRED["patients"],
        "alsfrs": ("patient_id", "date", *ITEMS, "assessor"),
        "treatments": (*REQUIRED["treatments"], "target_muscles"),
    }
    data = write(tmp_path / "portal", {k: rows[k] for k in ("patients", "alsfrs", "treatments")}, cols)
    for extra in (("--json",), (), ("--sensitivity",), ("--modifiers", "decline", "--json")):
        argv = ("effect", "--data", str(data), "--self-ratings", "outcome", *extra)
        code, out, err = run(capsys, *argv)
        check(code, out, err, argv)
        assert code == 0 and "too few patients who start treatment" in out, (argv, out, err)
        if extra == ("--json",):
            d = json.loads(out)
            assert tuple(d)[: len(JSON_KEYS)] == JSON_KEYS and d["estimate"] is None
            assert d["decision_inputs"]["self_ratings"] is None  # no estimate made: nothing to say it of

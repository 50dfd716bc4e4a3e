"""`alscell simulate cohort`: writes an importable folder, refuses bad options with exit 2."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from alscell.cli import _register, app
from alscell.cli.simulate import app as simulate_app
from alscell.io.reader import read_folder

runner = CliRunner()


def test_simulate_cohort_writes_importable_folder(tmp_path):
    out = tmp_path / "sim"
    truth = tmp_path / "truth.csv"
    result = runner.invoke(
        simulate_app,
        [
            "cohort",
            "--out",
            str(out),
            "--patients",
            "40",
            "--seed",
            "7",
            "--effect",
            "0.5",
            "--route",
            "intrathecal",
            "--design",
            "rct",
            "--truth",
            str(truth),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "40 patients" in result.output
    tables = read_folder(out)
    assert len(tables["patients"]) == 40
    assert set(tables["treatments"]["route"]) == {"intrathecal"}
    assert len(pd.read_csv(truth)) == 40


def test_registered_under_alscell(tmp_path):
    _register()
    out = tmp_path / "sim"
    result = runner.invoke(app, ["simulate", "cohort", "--out", str(out), "--patients", "10", "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert (out / "alsfrs.csv").exists()


def test_bad_option_values_exit_2_with_one_sentence(tmp_path):
    for args, words in (
        (["--route", "nasal"], "--route must be one of"),
        (["--design", "crossover"], "--design must be one of"),
        (["--treated-fraction", "1.5"], "--treated-fraction must be between 0 and 1"),
        (["--patients", "0"], "--patients must be at least 1"),
    ):
        base = ["cohort", "--out", str(tmp_path / "x"), "--patients", "5", "--seed", "1"]
        result = runner.invoke(simulate_app, base + args)
        assert result.exit_code == 2, (args, result.output)
        assert words in result.output
        assert "Traceback" not in result.output


def test_refuses_a_non_empty_out_folder_unless_force(tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    (out / "patients.csv").write_text("precious\n")
    base = ["cohort", "--out", str(out), "--patients", "5", "--seed", "1"]
    result = runner.invoke(simulate_app, base)
    assert result.exit_code == 2 and "not empty" in result.output and "--force" in result.output
    assert (out / "patients.csv").read_text() == "precious\n"
    result = runner.invoke(simulate_app, [*base, "--force"])
    assert result.exit_code == 0, result.output
    assert len(read_folder(out)["patients"]) == 5
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(simulate_app, ["cohort", "--out", str(empty), "--patients", "5", "--seed", "1"]).exit_code == 0

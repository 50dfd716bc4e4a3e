"""`alscell report`, `alscell forecast` and `alscell demo` through the real console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from alscell.report.pdf import find_chromium
from alscell.simulate import CohortConfig, simulate_cohort


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "alscell", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli") / "registry"
    simulate_cohort(CohortConfig(n_patients=80, design="registry", effect=0.0), 3).write(d)
    return d


def test_forecast_json(data_dir):
    r = run("forecast", "--patient", "SIM000001", "--data", str(data_dir), "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["patient_id"] == "SIM000001" and d["course"] and d["visits"]
    assert {"kings", "mitos"} <= set(d["stage"])


def test_forecast_unknown_patient(data_dir):
    r = run("forecast", "--patient", "NOPE", "--data", str(data_dir))
    assert r.returncode == 2 and "NOPE" in r.stderr and "Traceback" not in r.stderr


def test_report_patient_and_bad_extension(data_dir, tmp_path):
    out = tmp_path / "p.html"
    r = run("report", "--data", str(data_dir), "--out", str(out), "--patient", "SIM000002")
    assert r.returncode == 0, r.stderr
    assert "<svg" in out.read_text(encoding="utf-8")
    r = run("report", "--data", str(data_dir), "--out", str(tmp_path / "p.docx"))
    assert r.returncode == 2 and ".html or .pdf" in r.stderr


def test_report_pdf_without_chromium(data_dir, tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "alscell",
            "report",
            "--data",
            str(data_dir),
            "--out",
            str(tmp_path / "c.pdf"),
            "--patient",
            "SIM000002",
        ],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "ALSCELL_CHROMIUM": "/nonexistent/chromium"},
    )
    assert r.returncode == 1 and "Chromium" in r.stderr


@pytest.mark.skipif(find_chromium() is None, reason="Debian's chromium is not installed (make setup installs it)")
def test_report_patient_pdf(data_dir, tmp_path):
    out = tmp_path / "p.pdf"
    r = run("report", "--data", str(data_dir), "--out", str(out), "--patient", "SIM000002")
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:5] == b"%PDF-"


def test_demo_small(tmp_path):
    r = run("demo", "--out", str(tmp_path / "out"), "--patients", "40", "--patient-reports", "1", "--no-serve")
    assert r.returncode == 0, r.stderr
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "cohort-report.html" in files and "alscell-demo.db" in files
    assert sum(f.startswith("patient-") for f in files) == 1
    assert "web app" in r.stdout
    # the headline, how often its interval covers, and the sensitivity analyses' one-sentence summary
    assert "evidence engine: ALSFRS-R slope change" in r.stdout and "how often:" in r.stdout
    assert "not this run's size" in r.stdout  # 40 patients: the calibration's 300-patient cell is not quoted as its own
    assert "sensitivity analyses (table in the cohort report):" in r.stdout
    # does it work better in some patients? said (or why not) in the report's words
    assert "does it work better in some patients?" in r.stdout

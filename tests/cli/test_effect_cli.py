import json
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


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "alscell", "effect", *args], capture_output=True, text=True, timeout=120
    )


def test_json_contract(folder):
    r = run("--data", str(folder), "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert tuple(d) == JSON_KEYS and d["method"] == "lmm_counterfactual" and d["estimand"] == "slope_change"
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

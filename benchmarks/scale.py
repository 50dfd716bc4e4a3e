"""Registry-scale benchmark (issue 17): every row of the issue's table, measured in one run.

    .venv/bin/python benchmarks/scale.py            # full sizes (several minutes on 2 cores)
    .venv/bin/python benchmarks/scale.py --quick    # small sizes, same code paths (seconds)

Each measurement prints its target and whether it was met; the last line is
``help_s= import_rows_per_s= simulate_100k_s= simulate_peak_gb= effect_30k_s= effect_30k_peak_gb= report_mb= batch_fits_per_s=``.
Times are wall-clock on whatever else the machine is doing: read them next to the load average printed
first.  Peak memory is the child process's maximum resident set size (``resource.getrusage``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable


def _run(code: str, timeout: float = 3600) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object as its last line; add peak RSS."""
    wrapped = (
        "import json, resource, time\n"
        + code
        + "\nout['peak_gb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2\nprint(json.dumps(out))\n"
    )
    r = subprocess.run([PY, "-c", wrapped], capture_output=True, text=True, timeout=timeout, check=False)
    if r.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def help_seconds(repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([PY, "-m", "alscell", "--help"], capture_output=True, check=True)
        best = min(best, time.perf_counter() - t)
    return best


def import_rate(rows: int, tmp: Path, url: str | None = None) -> dict:
    """Import ``rows`` ALSFRS-R rows into a fresh SQLite file (or the database at ``url``): wall and CPU s."""
    code = f"""
import sys; sys.path.insert(0, {str(HERE)!r})
from pathlib import Path
from import_canonical import make_folder
from alscell.store.engine import open_database
from alscell.store.importer import import_folder
folder = Path({str(tmp)!r}) / "imp"; folder.mkdir(exist_ok=True)
if not (folder / "alsfrs.csv").exists():
    make_folder(folder, {rows})
engine = open_database({url!r} or "sqlite:///" + str(Path({str(tmp)!r}) / "imp.db"))
t = time.perf_counter(); c = time.process_time(); import_folder(engine, folder)
took = time.perf_counter() - t; cpu = time.process_time() - c
out = {{"rows_per_s": {rows} / took, "seconds": took, "cpu_seconds": cpu}}
"""
    return _run(code)


def pg_problem(url: str) -> str | None:
    """Why the PostgreSQL database at ``url`` cannot take the import (one sentence), or None: the schema the
    URL selects (``options=-csearch_path=NAME``) must exist and hold no table."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            schema = conn.execute(text("select current_schema()")).scalar()
            if schema is None:
                return "the URL selects no existing schema: create it first (CREATE SCHEMA name) or fix search_path"
            tables = conn.execute(
                text("select count(*) from information_schema.tables where table_schema = current_schema()")
            ).scalar()
            if tables:
                return f"schema {schema} already holds {tables} tables: give an empty schema"
    except SQLAlchemyError as exc:
        return f"cannot use the database: {str(exc.__cause__ or exc).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


def simulate_folder(n: int, tmp: Path) -> dict:
    code = f"""
from pathlib import Path
from alscell.simulate import CohortConfig, simulate_cohort
t = time.perf_counter()
simulate_cohort(CohortConfig(n_patients={n}), 1).write(Path({str(tmp)!r}) / "sim")
out = {{"seconds": time.perf_counter() - t}}
"""
    return _run(code)


def effect(n: int, tmp: Path) -> dict:
    folder = tmp / f"eff{n}"
    _run(f"""
from alscell.simulate import CohortConfig, simulate_cohort
simulate_cohort(CohortConfig(n_patients={n}, design="registry", effect=0.2), 3).write({str(folder)!r})
out = {{}}
""")
    # The command as a user runs it; its peak RSS is printed on stderr at exit by this thin wrapper.
    wrapper = (
        "import atexit, resource, runpy, sys\n"
        "atexit.register(lambda: print('peak_gb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,"
        " file=sys.stderr))\n"
        f"sys.argv = ['alscell', 'effect', '--data', {str(folder)!r}, '--json']\n"
        "runpy.run_module('alscell', run_name='__main__')\n"
    )
    t = time.perf_counter()
    r = subprocess.run([PY, "-c", wrapper], capture_output=True, text=True)
    took = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"alscell effect failed: {r.stderr}")
    peak = float(r.stderr.split("peak_gb")[-1].split()[0])
    return {"seconds": took, "peak_gb": peak}


def report_mb(tmp: Path) -> float:
    code = f"""
from pathlib import Path
from alscell.simulate import CohortConfig, simulate_cohort
from alscell.report.patient import patient_report
from alscell.report.cohort import cohort_report
t = simulate_cohort(CohortConfig(n_patients=300, design="registry", effect=0.2), 5).tables
pid = t["treatments"]["patient_id"].iloc[0]
p = patient_report(t, pid, Path({str(tmp)!r}) / "p.html")
c = cohort_report(t, Path({str(tmp)!r}) / "c.html")
out = {{"patient_mb": p.stat().st_size / 1e6, "cohort_mb": c.stat().st_size / 1e6}}
"""
    r = _run(code)
    return max(r["patient_mb"], r["cohort_mb"])


def batch_rate(quick: bool) -> float:
    code = f"""
import numpy as np
from alscell.analysis.lmm import fit_lmm_batch
rng = np.random.default_rng(0)
D, G, k = {50 if quick else 500}, 200, 8
g = np.repeat(np.arange(G), k); t = np.tile(np.arange(k, dtype=float), G)
X = np.column_stack([np.ones_like(t), t]); Z = X.copy()
b = rng.normal(size=(D, G, 2)) * [3.0, 0.3]
Y = 40 - 0.9 * t + b[:, g, 0] + b[:, g, 1] * t + rng.normal(size=(D, G * k))
fit_lmm_batch(Y[:2], X, Z, g)
s = time.perf_counter(); fit_lmm_batch(Y, X, Z, g); took = time.perf_counter() - s
out = {{"fits_per_s": D / took}}
"""
    return _run(code)["fits_per_s"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (for tests and a first look)")
    ap.add_argument("--pg", default=None, help="also import into this PostgreSQL URL (an empty schema)")
    args = ap.parse_args()
    q = args.quick
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores{' (quick sizes)' if q else ''}")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        h = help_seconds()
        print(f"alscell --help: {h:.2f} s (target < 0.3 s) {'met' if h < 0.3 else 'MISSED'}")
        rows = 20_000 if q else 1_000_000
        imp = import_rate(rows, tmp)
        ir = imp["rows_per_s"]
        print(
            f"import {rows:,} ALSFRS-R rows into SQLite: {imp['seconds']:.1f} s wall, {imp['cpu_seconds']:.1f} s CPU, "
            f"{ir:,.0f} rows/s (target ≥ 100,000) {'met' if ir >= 1e5 else 'MISSED'}"
        )
        if args.pg:
            if (why := pg_problem(args.pg)) is not None:
                raise SystemExit(f"--pg: {why}")
            pg = import_rate(rows, tmp, args.pg)
            print(
                f"import {rows:,} ALSFRS-R rows into PostgreSQL (COPY): {pg['seconds']:.1f} s wall, "
                f"{pg['cpu_seconds']:.1f} s CPU in alscell (target < 15 s) {'met' if pg['seconds'] < 15 else 'MISSED'}"
            )
        n_sim = 2_000 if q else 100_000
        sim = simulate_folder(n_sim, tmp)
        ok = sim["seconds"] < 30 and sim["peak_gb"] < 2
        print(
            f"simulate {n_sim:,} patients to a folder: {sim['seconds']:.1f} s, peak {sim['peak_gb']:.2f} GB (target < 30 s, < 2 GB) {'met' if ok else 'MISSED'}"
        )
        n_eff = 1_000 if q else 30_000
        eff = effect(n_eff, tmp)
        ok = eff["seconds"] < 8 and eff["peak_gb"] < 1
        print(
            f"alscell effect, {n_eff:,} patients: {eff['seconds']:.1f} s, peak {eff['peak_gb']:.2f} GB "
            f"(target < 8 s and < 1 GB at 30,000) {'met' if ok else 'MISSED'}"
        )
        mb = report_mb(tmp)
        print(f"largest report (HTML, self-contained): {mb:.2f} MB (target < 1.5 MB) {'met' if mb < 1.5 else 'MISSED'}")
        br = batch_rate(q)
        print(
            f"fit_lmm_batch 200-patient data sets: {br:,.0f} fits/s (target ≥ 500) {'met' if br >= 500 else 'MISSED'}"
        )
    print(
        f"help_s={h:.3f} import_rows_per_s={ir:.0f} simulate_100k_s={sim['seconds']:.1f} "
        f"simulate_peak_gb={sim['peak_gb']:.2f} effect_30k_s={eff['seconds']:.1f} effect_30k_peak_gb={eff['peak_gb']:.2f} "
        f"report_mb={mb:.2f} "
        f"batch_fits_per_s={br:.0f}"
    )


if __name__ == "__main__":
    main()

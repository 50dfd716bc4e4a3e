"""How long does ``GET /api/v1/effect`` take, and how much of it is the analysis itself?

``alscell.web.effect_page`` computes the effect in the request (one g-estimation fit in FastAPI's threadpool,
no background job); its docstring left that untimed.  For registries of several sizes simulated by
``alscell.simulate`` (``design="registry"``, E = 0.2, one seed) and imported into a fresh SQLite store
(``alscell.store.importer.import_folder``, as the web tests do), this times, ``--repeats`` times each and
interleaved:

* the request: ``GET /api/v1/effect`` with its default parameters through FastAPI's ``TestClient``, as a
  researcher with a personal access token (``Authorization: Bearer``, as a script calls the API);
* the read: ``alscell.web.records.user_tables``, the registry read from the store as the route reads it;
* the analysis: the bare call the route makes on those tables (``estimate_effect`` with the checked default
  options of ``named_options``: ``g_estimation``), the reference;
* unless ``--no-sensitivity``, also ``GET /api/v1/effect?sensitivity=true`` (the primary and its alternatives,
  ``alscell.analysis.sensitivity``), the heaviest variant of the same route.

The request's estimate must equal the bare call's (else the script stops).  One untimed request and one
untimed analysis on the first registry pay the process's imports first.  Wall-clock medians on whatever else
the machine is doing: read them next to the load average printed with them.

    .venv/bin/python benchmarks/effect_request_time.py --sizes 500,2000,10000 --repeats 3 --write-md docs/effect_request_time.md
    .venv/bin/python benchmarks/effect_request_time.py --quick         # 300 and 1,000 patients
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import statistics
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results_page import finish

SEED = 11
EFFECT = 0.2
SIZES = (500, 2000, 10000)
QUICK_SIZES = (300, 1000)
USER = "bench_res"
COLUMNS = (
    "size",
    "patients",
    "visits",
    "rows read",
    "request median s",
    "read median s",
    "read all median s",
    "analysis median s",
    "ratio request/analysis",
    "sensitivity request median s",
    "request CPU s",
    "analysis CPU s",
)
TIMINGS = COLUMNS[4:]  # positive numbers (— for the sensitivity request when not timed)


def _registry(n: int, tmp: Path):
    """(app, bearer headers, researcher): a web app on a fresh SQLite store holding a simulated registry of
    ``n`` patients, and a researcher's personal access token."""
    from alscell.simulate import CohortConfig, simulate_cohort
    from alscell.store.accounts import create_token, create_user, login
    from alscell.store.importer import import_folder
    from alscell.web.app import create_app

    folder = simulate_cohort(CohortConfig(n_patients=n, design="registry", effect=EFFECT), SEED).write(
        tmp / f"registry{n}"
    )
    app = create_app(f"sqlite:///{tmp / f'registry{n}.db'}")
    engine = app.state.engine
    import_folder(engine, folder)
    password = secrets.token_urlsafe(18)
    create_user(engine, USER, "researcher", password, actor="benchmarks/effect_request_time.py")
    _, user = login(engine, USER, password, "benchmarks/effect_request_time.py")
    token = create_token(engine, user, "effect request benchmark")
    return app, {"Authorization": f"Bearer {token}"}, user


def _timed(times: dict[str, list[float]], kind: str, call, *args) -> Any:
    """``call(*args)``, its wall-clock and CPU seconds (the whole process's: the request's threads included)
    appended to ``times[kind]`` and ``times[kind + " CPU"]``."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = call(*args)
    times[kind].append(time.perf_counter() - t0)
    times[f"{kind} CPU"].append(time.process_time() - c0)
    return out


def _same(a: float | None, b: float | None) -> bool:
    """The request's number (JSON: None for NaN) and the bare call's."""
    a = math.nan if a is None else float(a)
    b = math.nan if b is None else float(b)
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def measure(n: int, tmp: Path, repeats: int, sensitivity: bool, warm: bool, console) -> dict:
    """One row of the table: the registry of ``n`` patients built, then each timing ``repeats`` times."""
    from fastapi.testclient import TestClient

    from alscell.analysis.decision_inputs import measures_read, named_options
    from alscell.analysis.effects import DEFAULT_METHOD, estimate_effect
    from alscell.web import records
    from alscell.web.effect_page import DEFAULT_OUTCOME

    t0 = time.perf_counter()
    app, bearer, user = _registry(n, tmp)
    built = time.perf_counter() - t0
    engine = app.state.engine
    options = named_options(None, False, DEFAULT_METHOD)  # the route's defaults, checked as effect_json does
    keys = measures_read(DEFAULT_OUTCOME, ())  # the measurements the route keeps (effect_json)

    def analysis(tables):
        return estimate_effect(tables, DEFAULT_OUTCOME, DEFAULT_METHOD, **options)

    def request(params: dict | None = None):
        r = client.get("/api/v1/effect", params=params, headers=bearer)
        if r.status_code != 200:
            raise SystemExit(f"/api/v1/effect {params or ''} answered {r.status_code}: {r.text[:300]}")
        return r.json()

    times: dict[str, list[float]] = defaultdict(list)
    try:
        with TestClient(app) as client:
            tables = records.user_tables(engine, user, measures=keys)
            if warm:  # the process's first request and fit import the analysis modules: not timed
                request()
                analysis(tables)
            for _ in range(repeats):
                obj = _timed(times, "request", request)
                tables = _timed(times, "read", lambda: records.user_tables(engine, user, measures=keys))
                _timed(times, "read all", records.user_tables, engine, user)  # every measurement, as before
                est = _timed(times, "analysis", analysis, tables)
                if not all(_same(obj.get(k), getattr(est, k)) for k in ("estimate", "ci_low", "ci_high")):
                    raise SystemExit(
                        f"{n} patients: the request's estimate {obj.get('estimate')} [{obj.get('ci_low')}, "
                        f"{obj.get('ci_high')}] is not the bare call's {est.estimate} [{est.ci_low}, {est.ci_high}]"
                    )
                if sensitivity:
                    _timed(times, "sensitivity", request, {"sensitivity": "true"})
    finally:
        engine.dispose()
    kinds = ("request", "read", "read all", "analysis", "sensitivity", "request CPU", "analysis CPU")
    med = {k: statistics.median(times[k]) if times[k] else math.nan for k in kinds}  # no sensitivity: NaN
    row = {
        "size": n,
        "patients": len(tables["patients"]),
        "visits": len(tables["alsfrs"]),
        "rows": sum(len(frame) for frame in tables.values()),
        **med,
        "ratio": med["request"] / med["analysis"],
        "estimate": est.estimate,
        "build": built,
        "load": os.getloadavg()[0],
    }
    console.print(
        f"{n} patients: built in {built:.1f} s; request {row['request']:.2f} s, read {row['read']:.2f} s, "
        f"analysis {row['analysis']:.2f} s (load average {row['load']:.1f})",
        markup=False,
        soft_wrap=True,
    )
    return row


def markdown(rows: list[dict]) -> str:
    """The table: one row per registry size, medians in seconds."""

    def s(x: float) -> str:
        return "—" if math.isnan(x) else f"{x:.3f}"

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        cells = [f"{r[k]:,}" for k in ("size", "patients", "visits", "rows")]
        cells += [s(r["request"]), s(r["read"]), s(r["read all"]), s(r["analysis"]), f"{r['ratio']:.2f}"]
        cells += [s(r["sensitivity"])]
        cells += [s(r["request CPU"]), s(r["analysis CPU"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(x.replace("_", "")) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"comma-separated patient counts, not {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("at least one patient count above 0")
    return sizes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--sizes", type=_sizes, default=SIZES, help="registry sizes in patients, e.g. 500,2000,10000")
    ap.add_argument("--quick", action="store_true", help=f"sizes {','.join(map(str, QUICK_SIZES))}")
    ap.add_argument("--repeats", type=int, default=3, help="timings of each kind per size (the median is shown)")
    ap.add_argument(
        "--sensitivity",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time GET /api/v1/effect?sensitivity=true (default: yes)",
    )
    ap.add_argument("--write-md", default=None, help="write the results page here")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be at least 1")
    sizes = QUICK_SIZES if args.quick else args.sizes

    warnings.simplefilter("ignore")  # the analyses' warnings are the estimate's, not this benchmark's
    from rich.console import Console

    console = Console()
    t0 = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="alscell-effect-bench-") as tmp:
        for i, n in enumerate(sizes):
            rows.append(measure(n, Path(tmp), args.repeats, args.sensitivity, i == 0, console))
    minutes = (time.perf_counter() - t0) / 60
    finish(console, markdown(rows), minutes, args.write_md, MD, "effect_request_time.py", argv, seed=SEED,
           effect=EFFECT, repeats=args.repeats, cores=os.cpu_count(), load=max(r["load"] for r in rows),
           threads=os.environ.get("OMP_NUM_THREADS", "unset"))  # fmt: skip
    return 0


MD = """# Time of `GET /api/v1/effect` by registry size

Every number on this page is printed by `.venv/bin/python {command}` (seed {seed}).  What is measured and
why: the docstring of `benchmarks/effect_request_time.py`.  Registries simulated by `alscell.simulate`
(`design="registry"`, E = {effect}) and imported into a fresh SQLite store; each timing {repeats} time(s),
interleaved, the median in wall-clock seconds.  "Request": `GET /api/v1/effect` with its default parameters
(`TestClient`, a researcher's personal access token) — the read of the registry, the g-estimation fit, the
researcher's de-identification and the JSON.  "Read": `records.user_tables`, the registry read as the route
reads it (only the measurements the effect reads: `analysis.decision_inputs.measures_read`); "read all": the whole
registry, every measurement (how the route read it before 2026-12-07).  "Analysis": the bare `estimate_effect` call the route makes (`g_estimation`, default options) on
those tables, the reference.  "Sensitivity request": `GET /api/v1/effect?sensitivity=true` (— when not
timed).  "Visits": ALSFRS-R rows; "rows read": the rows of every registry table the route reads (the
measurements most of them).  The two CPU columns: the process's CPU seconds (medians) of the request (its
threads included) and of the bare analysis, less moved by the machine's other load than the wall clock.

{table}

Run time {minutes:.1f} min (simulation and import included), Python {python}, {cores} cores,
OMP_NUM_THREADS={threads}, highest 1-minute load average seen after a size: {load:.1f}.
"""


if __name__ == "__main__":
    raise SystemExit(main())

"""Web app latency on a large registry (issue 11): p50/p95 of the patient list and of a patient page.

    .venv/bin/python benchmarks/web.py --db sqlite:///big.db           # an existing registry
    .venv/bin/python benchmarks/web.py --patients 10000                 # simulate + import one first (minutes)
    .venv/bin/python benchmarks/web.py --quick                          # 300 patients, same code paths

Serves the app with uvicorn on 127.0.0.1 (a free port; nothing else is contacted), logs in a clinician and
a researcher made for the run, and requests — one at a time, so each figure is one request's latency —
``/patients`` (pages and filters: search, King's stage, ΔFRS) and ``/patients/<id>`` for random patients.
The first request of each kind is made before timing (it fits the natural-history model once per data
version).  Bounded: ``--requests`` per kind (default 200) and ``--timeout`` seconds per request.
Target (issue 11): p95 < 100 ms on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def _registry(args, tmp: Path) -> str:
    if args.db:
        return args.db
    n = 300 if args.quick else args.patients
    folder, db = tmp / "cohort", f"sqlite:///{tmp / 'registry.db'}"
    alscell = [sys.executable, "-m", "alscell"]
    subprocess.run(
        [*alscell, "simulate", "cohort", "--out", str(folder), "--patients", str(n), "--seed", "11"], check=True
    )
    subprocess.run([*alscell, "import", str(folder), "--db", db], check=True)
    return db


def _percentiles(ms: list[float]) -> str:
    a = np.asarray(ms)
    return (
        f"p50 {np.percentile(a, 50):6.1f} ms  p95 {np.percentile(a, 95):6.1f} ms  max {a.max():6.1f} ms  (n={len(a)})"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="an existing registry (it gets two benchmark accounts)")
    ap.add_argument("--patients", type=int, default=10000)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=30.0)
    args = ap.parse_args(argv)

    import httpx
    import uvicorn
    from sqlalchemy import func, select

    from alscell.store.accounts import create_user
    from alscell.store.models import SQL_TABLES
    from alscell.web.app import create_app

    with tempfile.TemporaryDirectory(prefix="alscell-webbench-") as tmp:
        db = _registry(args, Path(tmp))
        started = time.perf_counter()
        app = create_app(db)
        engine = app.state.engine
        print(f"app ready in {time.perf_counter() - started:.1f} s (migrations, patient summary)")
        password = secrets.token_urlsafe(18)
        suffix = secrets.token_hex(3)
        for name, role in ((f"bench_doc_{suffix}", "clinician"), (f"bench_res_{suffix}", "researcher")):
            create_user(engine, name, role, password, actor="benchmarks/web.py")
        P = SQL_TABLES["patients"]
        with engine.connect() as conn:
            n_patients = conn.execute(select(func.count()).select_from(P)).scalar_one()
            ids = list(conn.execute(select(P.c.patient_id).where(P.c.site.is_(None)).limit(5000)).scalars())
        print(f"registry: {n_patients} patients ({db}); load average {os.getloadavg()[0]:.1f}")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        rng = np.random.default_rng(11)
        try:
            for who in (f"bench_doc_{suffix}", f"bench_res_{suffix}"):
                with httpx.Client(base_url=base, timeout=args.timeout) as client:
                    page = client.get("/login")
                    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
                    r = client.post("/login", data={"username": who, "password": password, "csrf_token": token})
                    assert r.status_code in (200, 303), r.text
                    lists = [
                        "/patients",
                        "/patients?page=7",
                        "/patients?kings=2",
                        "/patients?dfrs_min=0.5&dfrs_max=1.0",
                        "/patients?kings=3&page=2",
                    ]
                    if "doc" in who:
                        lists.append("/patients?q=0042")
                        pages = [f"/patients/{ids[i]}" for i in rng.integers(0, len(ids), args.requests)]
                    else:
                        listing = client.get("/patients").text
                        shown = re.findall(r'href="/patients/(P-[0-9A-F]+)"', listing)
                        pages = [f"/patients/{shown[i]}" for i in rng.integers(0, len(shown), args.requests)]
                    for warm in (lists[0], pages[0]):  # the first page view fits the model: not timed
                        assert client.get(warm, timeout=1800).status_code == 200
                    timings: dict[str, list[float]] = {"list": [], "page": []}
                    for kind, urls in (
                        ("list", [lists[i % len(lists)] for i in range(args.requests)]),
                        ("page", pages),
                    ):
                        for url in urls:
                            t0 = time.perf_counter()
                            r = client.get(url)
                            timings[kind].append((time.perf_counter() - t0) * 1000)
                            if r.status_code != 200:
                                raise SystemExit(f"{url} answered {r.status_code}")
                    role = "clinician " if "doc" in who else "researcher"
                    print(f"{role} patient list  {_percentiles(timings['list'])}")
                    print(f"{role} patient page  {_percentiles(timings['page'])}")
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

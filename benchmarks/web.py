"""Web app latency on a large registry (issue 11): p50/p95 of the patient list and of a patient page.

    .venv/bin/python benchmarks/web.py --db sqlite:///big.db           # an existing registry
    .venv/bin/python benchmarks/web.py --patients 10000                 # simulate + import one first (minutes)
    .venv/bin/python benchmarks/web.py --quick                          # 300 patients, same code paths

Serves the app with uvicorn on 127.0.0.1 (a free port; nothing else is contacted), logs in a clinician and
a researcher made for the run, and requests — one at a time, so each figure is one request's latency —
``/patients`` (pages and filters: search, King's stage, ΔFRS) and ``/patients/<id>`` for random patients.
The first patient page is made before timing (it waits for the first natural-history fit; its time is
printed).  Bounded: ``--requests`` per kind (default 200) and ``--timeout`` seconds per request.

The clinician also opens ``--prognosis-requests`` prognosis pages (``/patients/<id>/prognosis``; the first,
which may wait for the prognosis models, is printed apart).

``--writes N`` (default 20 on a registry the script made, 0 with ``--db``: it adds ALSFRS-R visits) then has
the clinician enter N visits through the API, one at a time, each on a patient in follow-up, and times the
page of another patient right after it (the fit of the previous data version is served) and the page of
the patient just written (drawn at once from the newest population fit and that patient's current visits;
the registry is refitted in the background), then that patient's prognosis page.
Target (issue 11): p95 < 100 ms on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import tempfile
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


def _writable(engine, ids: list[str], n: int, rng) -> list[tuple[str, str]]:
    """(patient, day after their last visit) for ``n`` patients still in follow-up (no death, withdrawal or
    loss to follow-up), so that a new visit breaks no rule."""
    import datetime as dt

    from sqlalchemy import func, select

    from alscell.store.models import SQL_TABLES

    e, a = SQL_TABLES["events"], SQL_TABLES["alsfrs"]
    ended = ("death", "lost_to_follow_up", "withdrawal")
    with engine.connect() as conn:
        gone = set(conn.execute(select(e.c.patient_id).where(e.c.event.in_(ended))).scalars())
        last = dict(conn.execute(select(a.c.patient_id, func.max(a.c.date)).group_by(a.c.patient_id)).all())
    ok = [pid for pid in ids if pid not in gone and pid in last]
    pick = [ok[i] for i in rng.choice(len(ok), size=min(n, len(ok)), replace=False)]
    return [(pid, (last[pid] + dt.timedelta(days=1)).isoformat()) for pid in pick]


def _after_writes(client, engine, ids: list[str], n: int, rng) -> None:
    """Enter ``n`` visits; time the page of another patient and of the written patient after each."""
    token = client.get("/api/v1/session").json()["csrf_token"]
    items = {q: 3 for q in ("q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12")}
    other, own, prog, charted = [], [], [], 0
    for pid, date in _writable(engine, ids, n, rng):
        r = client.post(
            f"/api/v1/patients/{pid}/visits", json={"date": date, "items": items}, headers={"X-CSRF-Token": token}
        )
        if r.status_code != 201:
            raise SystemExit(f"visit for {pid} answered {r.status_code}: {r.text[:300]}")
        someone = ids[int(rng.integers(0, len(ids)))]
        for url, into in ((f"/patients/{someone}", other), (f"/patients/{pid}", own)):
            t0 = time.perf_counter()
            page = client.get(url)
            into.append((time.perf_counter() - t0) * 1000)
            if page.status_code != 200:
                raise SystemExit(f"{url} answered {page.status_code}")
        charted += f"<title>{date}: ALSFRS-R " in page.text
        t0 = time.perf_counter()
        page = client.get(f"/patients/{pid}/prognosis")
        prog.append((time.perf_counter() - t0) * 1000)
        if page.status_code != 200:
            raise SystemExit(f"/patients/{pid}/prognosis answered {page.status_code}")
    print(f"after a write: another patient's page  {_percentiles(other)}")
    print(f"after a write: the written patient     {_percentiles(own)}  chart with the new visit: {charted}/{len(own)}")
    print(f"after a write: the written patient's prognosis page  {_percentiles(prog)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="an existing registry (it gets two benchmark accounts)")
    ap.add_argument("--patients", type=int, default=10000)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--writes", type=int, default=None, help="visits to enter (default 20; 0 with --db)")
    ap.add_argument("--prognosis-requests", type=int, default=50, help="prognosis pages timed (clinician)")
    args = ap.parse_args(argv)
    if args.writes is None:
        args.writes = 0 if args.db else 20

    import httpx
    from sqlalchemy import func, select

    from alscell.store.accounts import create_user
    from alscell.store.models import SQL_TABLES
    from alscell.web.app import create_app
    from alscell.web.local_server import serve_in_thread
    from alscell.web.natural_history import cache_for

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
        rng = np.random.default_rng(11)
        try:
            with serve_in_thread(app) as base:
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
                        assert client.get(lists[0]).status_code == 200
                        t0 = time.perf_counter()
                        warm = client.get(pages[0], timeout=1800)  # waits for the first fit: not timed below
                        assert warm.status_code == 200
                        if "doc" in who:
                            print(f"first patient page (waits for the first fit) {time.perf_counter() - t0:.2f} s")
                        timings: dict[str, list[float]] = {"list": [], "page": [], "prognosis": []}
                        kinds = [("list", [lists[i % len(lists)] for i in range(args.requests)]), ("page", pages)]
                        if "doc" in who:
                            t0 = time.perf_counter()
                            warm = client.get(f"{pages[0]}/prognosis", timeout=1800)  # may wait for the models
                            assert warm.status_code == 200
                            print(f"first prognosis page {time.perf_counter() - t0:.2f} s")
                            kinds.append(("prognosis", [f"{u}/prognosis" for u in pages[: args.prognosis_requests]]))
                        for kind, urls in kinds:
                            for url in urls:
                                t0 = time.perf_counter()
                                r = client.get(url)
                                timings[kind].append((time.perf_counter() - t0) * 1000)
                                if r.status_code != 200:
                                    raise SystemExit(f"{url} answered {r.status_code}")
                        role = "clinician " if "doc" in who else "researcher"
                        print(f"{role} patient list  {_percentiles(timings['list'])}")
                        print(f"{role} patient page  {_percentiles(timings['page'])}")
                        if timings["prognosis"]:
                            print(f"{role} prognosis page  {_percentiles(timings['prognosis'])}")
                        if "doc" in who and args.writes:
                            _after_writes(client, engine, ids, args.writes, rng)
                snap = cache_for(engine).snapshot
                if snap is not None:
                    print(
                        f"natural-history fits: {cache_for(engine).refits} (the last: {snap.seconds:.2f} s, read and fit "
                        f"of data version {snap.version})"
                    )
                seconds = getattr(snap, "prognosis_seconds", None)
                if seconds is not None:
                    print(f"prognosis models: fitted in {seconds:.2f} s after that snapshot (background)")
        finally:
            engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

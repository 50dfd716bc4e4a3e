"""Many writers at once (issue 15): web API threads, writer processes and the CLI importer together, on SQLite
and PostgreSQL.  No lost update (optimistic locking), no duplicate id, no "database is locked" traceback (a
busy registry is one sentence: 503 with Retry-After on the web, exit 1 on the command line), and exactly one
audit entry per change with the old values."""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing as mp
import os
import re
import subprocess
import sys
import threading
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alscell.store.accounts import create_user
from alscell.store.engine import make_engine, write_transaction
from alscell.store.importer import import_folder
from alscell.store.models import AUDIT_TABLE, SQL_TABLES
from alscell.web.app import create_app

PASSWORD = "correct horse battery"
TRACEBACK = re.compile(r"Traceback|\b[A-Z][A-Za-z]*(Error|Exception)\b|database is locked")
ITEMS = ("q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12")


def _login(app, username: str = "doc") -> TestClient:
    client = TestClient(app, base_url="http://testserver")
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    client.headers["X-CSRF-Token"] = client.get("/api/v1/session").json()["csrf_token"]
    return client


@pytest.fixture
def app(db_url, example_dir, monkeypatch):
    # A shared 2-core test machine runs a web write in seconds: writers may queue for a long time here.
    monkeypatch.setenv("ALSCELL_BUSY_TIMEOUT", "600")
    application = create_app(db_url)
    engine = application.state.engine
    import_folder(engine, example_dir)
    create_user(engine, "doc", "clinician", PASSWORD)
    yield application
    engine.dispose()


def _items(q1: int) -> dict[str, int]:
    return {q: (q1 if q == "q1" else 3) for q in ITEMS}


def _audit(engine, where=None) -> list:
    with engine.connect() as conn:
        query = select(AUDIT_TABLE).order_by(AUDIT_TABLE.c.id)
        return list(conn.execute(query if where is None else query.where(where)).mappings())


def test_threads_editing_one_visit_lose_no_update(app):
    """4 clinicians edit the same visit at once, 2 rounds.  Every edit carries the version it read: the audit
    trail of the visit is one unbroken chain (each change starts from the row the previous one left, so none
    was overwritten unseen), the losers get 409 with the current row, and the stored row is the chain's end."""
    engine = app.state.engine
    clients = [_login(app) for _ in range(4)]
    url = "/api/v1/patients/ALS-001/visits"
    barrier = threading.Barrier(len(clients))
    outcomes: list[tuple[int, int, int]] = []  # (round, q1 sent, status)
    lock = threading.Lock()

    def edit(i: int, client: TestClient) -> None:
        for rnd in range(2):
            visit = next(v for v in client.get(url).json()["visits"] if v["date"] == "2023-03-20")
            barrier.wait(120)
            q1 = (i + rnd) % 5
            body = {"date": "2023-03-20", "items": _items(q1), "version": visit["version"], "reason": f"t{i} r{rnd}"}
            r = client.put(f"{url}/2023-03-20", json=body)
            with lock:
                outcomes.append((rnd, q1, r.status_code))
                if r.status_code == 409:
                    assert r.json()["current"]["q1"] != "" and r.json()["yours"]["q1"] == str(q1)
            barrier.wait(120)

    threads = [threading.Thread(target=edit, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert len(outcomes) == 8 and {s for *_, s in outcomes} <= {200, 409}, outcomes
    assert all(any(r == rnd and s == 200 for r, _, s in outcomes) for rnd in range(2))  # someone wins each round
    edits = _audit(engine, (AUDIT_TABLE.c.table_name == "alsfrs") & (AUDIT_TABLE.c.action == "update"))
    assert 1 <= len(edits) <= 2  # at most one change per version read
    original = {"q1": "4", "q2": "4", "q3": "4", "q4": "2", "q5a": "2", "q6": "3", "q7": "3", "q8": "2"}
    assert {k: edits[0]["before"][k] for k in original} == original  # the first change starts from the import
    for previous, entry in itertools.pairwise(edits):
        assert entry["before"] == previous["after"] != entry["after"], edits
    chain = [edits[0]["before"], *(e["after"] for e in edits)]
    winners = {q1 for _, q1, s in outcomes if s == 200}
    assert {int(e["after"]["q1"]) for e in edits} <= winners
    stored = next(v for v in clients[0].get(url).json()["visits"] if v["date"] == "2023-03-20")
    assert stored["q1"] == int(chain[-1]["q1"])


def _writer_process(url: str, worker: int, n: int, results) -> None:
    """A separate process writing new visits through the web app's own write path."""
    from alscell.web import records

    engine = make_engine(url)
    made = 0
    try:
        for k in range(n):
            date = (dt.date(2024, 1, 1) + dt.timedelta(days=worker * 100 + k)).isoformat()
            values = {q: "3" for q in ITEMS} | {"patient_id": "ALS-001", "date": date}
            records.write_row(engine, "alsfrs", values, actor=f"proc{worker}", reason="created")
            made += 1
        results.put((worker, made, ""))
    except Exception as exc:  # reported to the test, which fails on it
        results.put((worker, made, f"{type(exc).__name__}: {exc}"))
    finally:
        engine.dispose()


def test_processes_threads_and_the_cli_importer_write_together(app, db_url, example_dir, tmp_path):
    """3 writer processes (3 visits each), 2 API threads (3 each) and 2 `alscell import` runs at once: every write is stored once,
    audit ids are unique and there is one insert entry per new row, nobody sees a traceback."""
    engine = app.state.engine
    audit_before = len(_audit(engine))
    extra = tmp_path / "more"
    extra.mkdir()
    for name in ("patients", "alsfrs"):
        text = (example_dir / f"{name}.csv").read_text().splitlines()
        (extra / f"{name}.csv").write_text("\n".join(text) + "\n")
    with (extra / "alsfrs.csv").open("a") as fh:  # the import adds two visits of ALS-004
        fh.write("ALS-004,2024-02-01,3,3,3,3,3,,3,3,3,3,3,3,3\nALS-004,2024-03-01,3,3,3,3,3,,3,3,3,3,3,3,3\n")

    ctx = mp.get_context("fork")
    results = ctx.Queue()
    procs = [ctx.Process(target=_writer_process, args=(db_url, w, 3, results)) for w in range(3)]
    env = {**os.environ, "ALSCELL_BUSY_TIMEOUT": "600"}
    cli = [
        subprocess.Popen(
            [sys.executable, "-m", "alscell", "import", str(extra), "--db", db_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    clients = [_login(app) for _ in range(2)]
    api_status: list[int] = []

    def post(i: int, client: TestClient) -> None:
        for k in range(3):
            date = (dt.date(2025, 1, 1) + dt.timedelta(days=i * 100 + k)).isoformat()
            r = client.post("/api/v1/patients/ALS-003/visits", json={"date": date, "items": _items(2)})
            api_status.append(r.status_code)

    for p in procs:
        p.start()
    threads = [threading.Thread(target=post, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    for p in procs:
        p.join(300)
    done = [(*c.communicate(timeout=300), c.returncode) for c in cli]
    got = [results.get(timeout=10) for _ in procs]

    assert all(err == "" and made == 3 for _, made, err in got), got
    assert api_status == [201] * 6, api_status
    for _out, err, code in done:
        assert code == 0, err
        assert not TRACEBACK.search(err), err
    with engine.connect() as conn:
        a = SQL_TABLES["alsfrs"]
        per_patient = dict(conn.execute(select(a.c.patient_id, func.count()).group_by(a.c.patient_id)).all())
    assert per_patient["ALS-001"] == 5 + 9 and per_patient["ALS-003"] == 3 + 6
    assert per_patient["ALS-004"] == 4 + 2
    new = _audit(engine)[audit_before:]
    ids = [e["id"] for e in _audit(engine)]
    assert len(ids) == len(set(ids))
    web_inserts = [
        e for e in new if e["table_name"] == "alsfrs" and e["action"] == "insert" and "web" in (e["source"] or "")
    ]
    keys = Counter(e["row_key"] for e in web_inserts)
    assert len(keys) == 15 and set(keys.values()) == {1}, keys  # one entry per visit written through the web path


def test_a_busy_registry_is_a_503_with_a_retry_message(app, db_url, monkeypatch):
    """A writer that cannot get the lock within the busy timeout answers 503 and one sentence, no traceback."""
    monkeypatch.setenv("ALSCELL_BUSY_TIMEOUT", "0.3")
    impatient = create_app(db_url)  # SQLite takes its busy timeout when the engine is made
    client = _login(impatient)
    holder = make_engine(db_url)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with write_transaction(holder):
            held.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert held.wait(30)
        r = client.post("/api/v1/patients/ALS-003/visits", json={"date": "2025-06-01", "items": _items(2)})
    finally:
        release.set()
        t.join(30)
        holder.dispose()
    assert r.status_code == 503, r.text
    assert "busy" in r.json()["detail"] and "try again" in r.json()["detail"]
    assert r.headers["Retry-After"].isdigit()
    assert not TRACEBACK.search(r.text)
    r = client.post("/api/v1/patients/ALS-003/visits", json={"date": "2025-06-01", "items": _items(2)})
    assert r.status_code == 201, r.text
    impatient.state.engine.dispose()


def test_sqlite_runs_wal_with_full_synchronous(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    engine.dispose()

"""The cohort dashboard (issue 11): the evidence engine's headline, claims and safety on the registry.

The numbers are those of the cohort report and ``alscell effect``: :func:`alscell.report.evidence.run_evidence`
on the registry's typed tables, formatted by the cohort report's helpers (``claims_view``, ``frame_table``,
``survival_view``, ``cycles_view``).

Who sees what (deny by default, :mod:`alscell.web.security`): clinicians and researchers (``Reader``); a
clinician's dashboard covers the patients of their own site (an account without a site: the patients without
one — the rule of the patient list and ``/api/v1/effect``), a researcher's every patient.  Only aggregate
sections are shown (no per-patient table; the data-quality flags without their example patients); a
researcher's results are in addition scrubbed of every patient id and calendar date that any sentence of an
analysis might carry, and the page shows no time stamp, only how long ago the results were computed.

Background, progress and cache: a request never computes.  The first request for a (data version, scope)
starts one computation and the page shows its progress (the ``progress`` messages of ``run_evidence``),
polled every 2 s by HTMX (``/dashboard/status``; attributes only, the CSP allows no inline script).  The
newest result of each scope is kept; a page for a newer data version shows it, labelled with its data
version and that the registry has changed since, and starts one recomputation (at most one per scope at a
time).  A failed computation is logged and shown as one sentence; it is retried when the data version moves.

The computation runs in one child process per registry (``spawn``; it opens its own engine from the URL,
ignores Ctrl-C and exits when the server dies — the pattern of :mod:`alscell.web.fit_worker`), so that the
server's interpreter stays free for requests; progress comes back through a ``multiprocessing`` queue read
by a server thread.  An in-memory SQLite registry cannot be opened by another process: it is computed in a
thread of the server instead.  The child is stopped at the app's shutdown (the router's lifespan).
"""

from __future__ import annotations

import itertools
import logging
import math
import multiprocessing
import os
import re
import signal
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from queue import Empty
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import Engine

from alscell.store.accounts import Principal
from alscell.web import fit_worker, summary
from alscell.web.app import html
from alscell.web.process_pool import stop_pool
from alscell.web.security import Reader, engine_of

log = logging.getLogger(__name__)

POLL_S = 2  # the page asks for the progress this often (HTMX)
FAILED = (
    "The cohort dashboard could not be computed for registry data version {version}; the details are in the "
    "server log. It is computed again when the registry changes."
)
STEPS = 11  # reading the registry, the 9 sections of run_evidence, the summaries


# -- the computation (in the child process, or a thread for an in-memory registry) ----------------------------
@dataclass(frozen=True)
class Scope:
    """Whose patients a dashboard covers: every patient (a researcher's, de-identified) or one site's."""

    key: str
    site: str | None  # None: every patient; "" the patients without a site
    researcher: bool

    @classmethod
    def of(cls, user: Principal) -> Scope:
        if user.role == "researcher":
            return cls("researcher", None, True)
        site = user.site or ""
        return cls(f"site:{site}", site, False)


_DATE = re.compile(r"\b(?:19|20)\d\d-\d\d-\d\d\b")
_TOKEN = re.compile(r"[^\s<>\"'`,;:()\[\]{}=/]+")
_NUMBER = re.compile(r"[−+-]?[\d.]+%?")
_NUMERIC_CLAIM_COLS = ("estimate", "ci_low", "ci_high", "p_value", "p_adjusted", "n_patients")


def _redact_text(s: str, ids: frozenset[str], renamed: Mapping[str, str] | None = None) -> str:
    """``s`` without calendar dates and without any token that is a patient id (a purely numeric id cannot
    be told from a number and is left alone); a token of ``renamed`` (such as a rater's id) becomes its value."""

    def token(m: re.Match[str]) -> str:
        tok = m.group(0)
        core = tok.rstrip(".")
        if renamed:  # first, and as written: a rater may be called "07" or "J."
            for name in (tok, core):
                if name in renamed:
                    return renamed[name] + tok[len(name) :]
        if _NUMBER.fullmatch(core):
            return tok
        if core in ids:
            return "[patient]" + tok[len(core) :]
        return tok

    return _TOKEN.sub(token, _DATE.sub("[date]", s))


def redact(obj: Any, ids: frozenset[str], renamed: Mapping[str, str] | None = None) -> Any:
    """Every string of ``obj`` (dicts, lists, tuples; HTML stays HTML) through :func:`_redact_text`."""
    if isinstance(obj, Markup):
        return Markup(_redact_text(str(obj), ids, renamed))
    if isinstance(obj, str):
        return _redact_text(obj, ids, renamed)
    if isinstance(obj, dict):
        return {k: redact(v, ids, renamed) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(redact(v, ids, renamed) for v in obj)
    return obj


def _number(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _estimate_view(section: Any) -> dict[str, Any] | None:
    """An Estimate's JSON fields plus their display strings (the cohort report's formatting)."""
    from alscell.analysis.history_contrast import check_rows
    from alscell.report import text

    if not section.available:
        return None
    d = section.value.to_json_dict()
    low, high = _number(d.get("ci_low")), _number(d.get("ci_high"))
    if _number(d.get("estimate")) is None:
        verdict = "The effect could not be estimated on these data (see the notes below)."
    elif low is not None and low > 0:
        verdict = "The interval excludes zero: the data are consistent with a slowing of progression."
    elif high is not None and high < 0:
        verdict = "The interval lies below zero: treated patients declined faster than expected."
    else:
        verdict = "The interval includes zero: these data do not show that treatment changes the slope."
    shown = {k: text.num(d.get(k), 2) for k in ("estimate", "ci_low", "ci_high")}
    exact = {k: "" if _number(d.get(k)) is None else repr(float(d[k])) for k in ("estimate", "ci_low", "ci_high")}
    return {
        **d,
        "shown": shown,
        "exact": exact,
        "p_shown": text.pval(d.get("p_value")),
        "method_shown": text.words(d.get("method")),
        "comparison": text.comparison(d.get("method")),
        "verdict": verdict,
        "checks": check_rows(getattr(section.value, "details", None) or {}),
    }


def _fields(d: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, label, display value) of the scalar fields of a result (as the cohort report's tables)."""
    from alscell.report import text

    out = []
    for k, v in d.items():
        if not (v is None or isinstance(v, (str, bool, int, float))):
            continue
        if v is None:
            s = "n/a"
        elif k in ("p_value", "p_adjusted", "p"):
            s = text.pval(v)
        elif isinstance(v, float):
            s = text.num(v, 3)
        else:
            s = str(v)
        out.append((k, text.words(k), s))
    return out


def _claim_cell(column: str, value: Any) -> str:
    from alscell.report import text
    from alscell.report.values import plain

    v = plain(value)
    if column in ("p_value", "p_adjusted"):
        return text.pval(v)
    if column in ("estimate", "ci_low", "ci_high"):
        return text.num(v, 3)
    if v is None:
        return ""
    return str(v) if isinstance(v, int) else text.words(v)


def _claims(section: Any) -> dict[str, Any]:
    from alscell.report.cohort import claims_view

    if not section.available or len(section.value.table) == 0:
        return {"n": 0, "rows": [], "columns": [], "forests": [], "pooled": None, "verdicts": {}, "matrix": []}
    view = claims_view(section)
    view["rows"] = [
        {"cls": r["cls"], "cells": [(_claim_cell(c, v), c in _NUMERIC_CLAIM_COLS) for c, v in r["cells"].items()]}
        for r in view["rows"]
    ]
    view["verdicts"] = {str(k): int(v) for k, v in view["verdicts"].items()}
    view.update(_pooled_matrix(section.value))
    return view


def _pooled_matrix(claims: Any) -> dict[str, Any]:
    """The partially pooled claims as measure × window cells (μ, its 95% CI, the Holm-adjusted p), each
    coloured only by its pooled, multiplicity-adjusted verdict."""
    from alscell.analysis.claims_pooling import pool_claims
    from alscell.report import text

    table = pool_claims(claims).table
    if table.empty:
        return {"windows": [], "matrix": [], "pooled_verdicts": {}}
    windows = list(dict.fromkeys(table["window"]))
    cls = {"supported": "sig-benefit", "harm": "sig-harm"}
    matrix = []
    for (domain, measure), g in table.groupby(["domain", "measure"], sort=False):
        by_window = {r["window"]: r for _, r in g.iterrows()}
        cells: list[dict[str, str] | None] = []
        for w in windows:
            r = by_window.get(w)
            if r is None:
                cells.append(None)
                continue
            cells.append(
                {
                    "mu": f"{text.num(r['mu'], 2)} ({text.num(r['mu_ci_low'], 2)} to {text.num(r['mu_ci_high'], 2)})",
                    "p": text.pval(r["mu_p_adjusted"]),
                    "verdict": str(r["verdict"]),
                    "cls": cls.get(str(r["verdict"]), ""),
                }
            )
        unit = str(g["unit"].iloc[0]) if g["unit"].notna().any() else ""
        matrix.append({"domain": text.words(domain), "measure": text.words(measure), "unit": unit, "cells": cells})
    verdicts = {str(k): int(v) for k, v in table["verdict"].value_counts().items()}
    return {"windows": windows, "matrix": matrix, "pooled_verdicts": verdicts}


def _sections(ev: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: {"title": s.title, "available": s.available, "reason": s.reason} for k, s in ev.items()}


def build_view(tables: Any, ev: dict[str, Any]) -> dict[str, Any]:
    """What the dashboard shows: plain values and HTML (picklable; no per-patient table)."""
    from alscell.analysis.derived import derive_visits
    from alscell.analysis.design_matrix import active_treatments
    from alscell.report import text
    from alscell.report.cohort import cycles_view, frame_table, left_out, sensitivity_view, survival_view
    from alscell.report.cohort_tables import quality_flags

    derived = derive_visits(tables)
    survival = survival_view(ev["survival"])
    responders = ev["responders"].value.to_json_dict() if ev["responders"].available else {}
    return {
        "counts": {
            "patients": len(tables["patients"]),
            "treated": int(active_treatments(tables)["patient_id"].nunique()),
            "visits": len(derived),
            "measurements": len(tables["measurements"]),
            "adverse_events": len(tables["adverse_events"]),
        },
        "sections": _sections(ev),
        "effect": _estimate_view(ev["effect"]),
        "sensitivity": sensitivity_view(ev["sensitivity"], ev.get("modification")),
        "naive": _estimate_view(ev["effect_naive"]),
        "claims": _claims(ev["claims"]),
        "muscles": frame_table(ev["muscles"].value.table) if ev["muscles"].available else None,
        "responders": responders,
        "responders_fields": _fields({k: v for k, v in responders.items() if k != "warnings"}),
        "responder_rates": {
            "observed": text.pct(responders.get("observed_rate")),
            "expected": text.pct(responders.get("expected_rate")),
            "p": text.pval(responders.get("p_value")),
        },
        "cycles": cycles_view(ev["cycles"]),
        "survival": survival,
        "survival_text": {
            "hr": text.num(survival.get("hr"), 2),
            "low": text.num(survival.get("hr_low"), 2),
            "high": text.num(survival.get("hr_high"), 2),
            "p": text.pval(survival.get("hr_p")),
        },
        "safety": frame_table(ev["safety"].value.table, table_id="safety-table") if ev["safety"].available else None,
        "safety_terms": frame_table(ev["safety_terms"].value.table) if ev["safety_terms"].available else None,
        "left_out": left_out(ev),
        # Aggregated: the report's flags name up to 5 example patients each; the dashboard shows counts only.
        "quality": [{k: q[k] for k in ("flag", "detail", "count", "patients")} for q in quality_flags(tables, derived)],
    }


def compute(engine: Engine, scope: Scope, progress: Callable[[str], None]) -> dict[str, Any]:
    """Read the registry (data version and rows in one read transaction), keep the scope's patients, run the
    evidence engine and build the dashboard's view.  Returns ``{"version", "view", "seconds"}``."""
    from alscell.io.tables import Tables
    from alscell.report.evidence import run_evidence
    from alscell.store.frames import load_tables
    from alscell.web.records import site_tables

    started = time.monotonic()
    step = itertools.count(1)

    def say(title: str) -> None:
        progress(f"step {next(step)} of {STEPS}: {title}")

    say("reading the registry")
    with engine.connect() as conn:
        version = summary.data_version(conn)
        tables = Tables.from_frames(load_tables(conn))
    if scope.site is not None:  # a clinician: their site's patients (as /api/v1/effect and the export)
        tables = site_tables(tables, scope.site)
    ev = run_evidence(tables, progress=say)
    say("tables and figures")
    view = build_view(tables, ev)
    if scope.researcher:
        view = redact(view, frozenset(str(p) for p in tables["patients"]["patient_id"]))
    return {"version": version, "view": view, "seconds": time.monotonic() - started}


# -- in the child process ---------------------------------------------------------------------------------------
_CHILD: dict[str, Any] = {}


def _child_init(url: str, queue: Any) -> None:
    fit_worker.background_child_setup()
    from alscell.store.engine import make_engine

    _CHILD.update(engine=make_engine(url), queue=queue)
    queue.put(("pid", os.getpid(), ""))


def _child_compute(job_id: int, scope: Scope) -> dict[str, Any]:
    queue = _CHILD["queue"]
    queue.put(("progress", job_id, "loading the analysis code"))
    return compute(_CHILD["engine"], scope, lambda message: queue.put(("progress", job_id, message)))


# -- in the server ------------------------------------------------------------------------------------------------
@dataclass
class Job:
    id: int
    scope: Scope
    version: int  # the data version that asked for it (the result carries the version it read)
    started: float = field(default_factory=time.monotonic)
    progress: str = "waiting for the computation to start"
    pool: ProcessPoolExecutor | None = None  # the pool it runs in (process mode)


@dataclass
class Result:
    version: int
    view: dict[str, Any]
    seconds: float
    finished: float = field(default_factory=time.monotonic)


@dataclass
class ScopeState:
    result: Result | None = None  # the newest successful result
    failure: tuple[int, str] | None = None  # (data version, sentence) of a failure newer than ``result``
    job: Job | None = None
    serial: int = 0  # moves on at every finished computation (the page's polling compares it)


@dataclass(frozen=True)
class Status:
    """What one page shows (a copy, taken under the lock)."""

    version: int
    serial: int
    result: Result | None
    failure: str | None
    busy: bool
    progress: str
    elapsed: float


class DashboardCache:
    """The newest dashboard of each scope of one registry, and the computations that make them."""

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)
        self._url = engine.url.render_as_string(hide_password=False)
        self._process = fit_worker.can_use(engine)
        self._lock = threading.RLock()
        self._states: dict[str, ScopeState] = {}
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._pool: ProcessPoolExecutor | None = None
        self._queue: Any = None
        self._pids: set[int] = set()
        self._threads: ThreadPoolExecutor | None = None  # in-memory registries: one thread, one at a time
        self._closed = False
        self.computations = 0  # computations started (tests count them)

    # -- pages
    def status(self, scope: Scope, version: int) -> Status:
        """The scope's dashboard for data version ``version``; starts a computation when it has none for
        that version and none is running."""
        with self._lock:
            st = self._states.setdefault(scope.key, ScopeState())
            have = st.result.version if st.result is not None else None
            failed = st.failure[0] if st.failure is not None else None
            if st.job is None and have != version and failed != version and not self._closed:
                self._start(st, scope, version)
            job = st.job
            return Status(
                version=version,
                serial=st.serial,
                result=st.result,
                failure=st.failure[1] if st.failure is not None else None,
                busy=job is not None,
                progress=job.progress if job is not None else "",
                elapsed=time.monotonic() - job.started if job is not None else 0.0,
            )

    # -- computations
    def _start(self, st: ScopeState, scope: Scope, version: int) -> None:
        job = Job(next(self._ids), scope, version)
        st.job = job
        self._jobs[job.id] = job
        self.computations += 1
        try:
            future = self._submit_process(job) if self._process else self._submit_thread(job)
        except (RuntimeError, OSError) as exc:  # no pool (broken, shut down, cannot start): the page says so
            future = Future()
            future.set_exception(exc)
        future.add_done_callback(lambda f: self._finished(job, f))

    def _submit_process(self, job: Job) -> Future:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._queue = ctx.Queue()
            self._pids = set()
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=ctx, initializer=_child_init, initargs=(self._url, self._queue)
            )
            threading.Thread(target=self._read_progress, args=(self._queue,), daemon=True).start()
        job.pool = self._pool
        return self._pool.submit(_child_compute, job.id, job.scope)

    def _submit_thread(self, job: Job) -> Future:
        if self._threads is None:
            self._threads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alscell-dashboard")
        engine = self._engine()
        if engine is None:
            raise RuntimeError("the registry's engine is gone")
        return self._threads.submit(compute, engine, job.scope, lambda m: setattr(job, "progress", m))

    def _read_progress(self, queue: Any) -> None:
        # The server never writes to the queue (a child killed while writing could hold its lock): the reader
        # polls and stops once the queue is no longer the current one.
        while self._queue is queue:
            try:
                kind, key, text = queue.get(timeout=0.5)
            except Empty:
                continue
            except (EOFError, OSError, ValueError):
                return
            with self._lock:
                if kind == "pid":
                    self._pids.add(key)
                elif (job := self._jobs.get(key)) is not None:
                    job.progress = text

    def _finished(self, job: Job, future: Future) -> None:
        try:
            out = future.result()
        except CancelledError:
            out = None
        except BaseException as exc:
            if not self._closed:
                log.error(
                    "cohort dashboard: the computation for data version %s (%s) failed",
                    job.version,
                    job.scope.key,
                    exc_info=(type(exc), exc, exc.__traceback__),
                )
            if isinstance(exc, BrokenProcessPool) and job.pool is not None:
                self._drop_pool(
                    job.pool, kill=False
                )  # the child died (killed, out of memory): the next job starts another
            out = exc
        with self._lock:
            self._jobs.pop(job.id, None)
            st = self._states[job.scope.key]
            if st.job is job:
                st.job = None
            if isinstance(out, dict):
                st.result = Result(out["version"], out["view"], out["seconds"])
                st.failure = None
            elif out is not None:
                st.failure = (job.version, FAILED.format(version=job.version))
            st.serial += 1

    def _drop_pool(self, only: ProcessPoolExecutor | None = None, kill: bool = True) -> None:
        with self._lock:
            if only is not None and self._pool is not only:
                return
            pool, pids = self._pool, self._pids
            self._pool, self._queue, self._pids = None, None, set()
        for pid in pids if kill else ():  # a child still running a computation would otherwise finish it first
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        if pool is not None and kill:
            stop_pool(pool)
        elif pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the child process (a running computation is abandoned); later pages compute nothing."""
        with self._lock:
            self._closed = True
            threads, self._threads = self._threads, None
        self._drop_pool()
        if threads is not None:
            threads.shutdown(wait=False, cancel_futures=True)


_caches: weakref.WeakKeyDictionary[Engine, DashboardCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_for(engine: Engine) -> DashboardCache:
    with _caches_lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = DashboardCache(engine)
        return cache


def close(engine: Engine) -> None:
    """Stop the dashboard's child process of ``engine``'s registry, if it has one."""
    with _caches_lock:
        cache = _caches.pop(engine, None)
    if cache is not None:
        cache.close()


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    engine = getattr(app.state, "engine", None)
    if engine is not None:
        close(engine)


router = APIRouter(include_in_schema=False, lifespan=_lifespan)


# -- pages ------------------------------------------------------------------------------------------------------
def _version(engine: Engine) -> int:
    with engine.connect() as conn:
        return summary.data_version(conn)


def _ago(seconds: float) -> str:
    if seconds < 90:
        return "just now" if seconds < 5 else f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def _context(request: Request, user: Principal) -> dict[str, Any]:
    engine = engine_of(request)
    scope = Scope.of(user)
    s = cache_for(engine).status(scope, _version(engine))
    r = s.result
    return {
        "d": s,
        "view": r.view if r is not None else None,
        "stale": r is not None and r.version != s.version,
        "computed": f"computed {_ago(time.monotonic() - r.finished)} in {r.seconds:.1f} s" if r is not None else "",
        "elapsed": f"{s.elapsed:.0f}",
        "scope_text": (
            "every patient of the registry (de-identified: aggregates only)"
            if scope.researcher
            else (f"the patients of site {scope.site}" if scope.site else "the patients without a site")
        ),
        "poll_s": POLL_S,
    }


@router.get("/dashboard")
def dashboard(request: Request, user: Reader) -> Response:
    return html(request, "dashboard.html", _context(request, user))


@router.get("/dashboard/status")
def dashboard_status(request: Request, user: Reader, shown: str = "") -> Response:
    """The dashboard fragment HTMX polls: only the progress line while the shown results are still the newest
    and a computation runs; else the whole dashboard, which replaces the old one (``HX-Retarget``)."""
    context = _context(request, user)
    d: Status = context["d"]
    if d.busy and shown == str(d.serial):
        return html(request, "dashboard_status.html", context | {"progress_only": True})
    response = html(request, "dashboard_status.html", context | {"progress_only": False})
    response.headers["HX-Retarget"] = "#dashboard"
    response.headers["HX-Reswap"] = "outerHTML"
    return response

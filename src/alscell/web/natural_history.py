"""The patient page's natural-history model: fitted once per data version, in the background.

The chart on the patient page is ``alscell.analysis.forecast.forecast_patient`` — the function behind
``alscell forecast`` and the patient report — with the model of ``fit_natural_history`` fitted on the whole
registry.  Fitting means reading the registry (every patient's ALSFRS-R visits and administrations), so it
is done once per *snapshot* and never while a page waits, except in the one case below:

* A snapshot holds the registry's data version (the newest audit entry's id, read first, in the same read
  transaction as the rows), the typed tables the chart needs (patients, administrations, ALSFRS-R,
  adverse events, events — not the measurements), the fitted model, and a fingerprint of every patient's
  stored rows of those tables.
* A page shows the newest snapshot when the patient's rows are the same as in the snapshot: the chart is
  then exactly ``forecast_patient(<registry at that data version>, patient, <its fit>)``, and the page
  says which data version it reflects.  When the registry has changed since, one background thread fits
  a new snapshot (at most one at a time, and after a pause of ``max(MIN_PAUSE_S, PAUSE_FACTOR × the last
  fit's time)`` since the last one, so a registry that changes every second is not refitted every second).
* When the patient's own rows differ from the newest snapshot (a visit was just entered, an import changed
  them), the page does not wait for a refit: the course is drawn from the newest snapshot's *population*
  fit and the patient's rows as the page read them (``alscell.analysis.forecast.forecast_patient_current``:
  the patient's random effects computed from their current visits with the fit's fixed effects, random-
  effect covariance and residual variance held — a few milliseconds), and the page says so.  The registry
  is refitted in the background as for any change.  Only when there is no fitted snapshot yet (the first
  page after a start, or a registry too small to fit) does a page wait, up to ``WAIT_S`` seconds, for one
  read after its own read; if it is not ready by then the page says the course is being computed.

After serving each snapshot the same thread fits the prognosis models (``fit_prognosis_models``, on the
snapshot's tables and the FVC % predicted measurements read in the same transaction) into
``snapshot.prognosis`` for the prognosis page (:mod:`alscell.web.prognosis`), which never fits in a request.

The forecast on a snapshot is ``forecast_patient`` with the snapshot's model holding only that patient's
visits and random effects (``LMMResult.for_groups``: the same numbers as the whole fit, without looking the
patient up among every patient of the registry).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from alscell.analysis.errors import NotApplicable
from alscell.analysis.forecast import (
    Forecast,
    NaturalHistoryModel,
    fit_natural_history,
    forecast_patient,
    forecast_patient_current,
)
from alscell.io.columns import FILE_ORDER
from alscell.io.tables import Tables
from alscell.store.frames import rows_to_frame, stored_rows
from alscell.store.models import SQL_TABLES
from alscell.web import summary
from alscell.web.fit_worker import WorkerClosed
from alscell.web.records import PatientRows, rows_fingerprint

if TYPE_CHECKING:
    from alscell.analysis.prognosis import PrognosisModels
    from alscell.web.fit_worker import FitWorker

log = logging.getLogger(__name__)

CHART_TABLES = ("patients", "treatments", "alsfrs", "adverse_events", "events")  # what the chart reads
PROGNOSIS_MEASURE = "fvc_pct_pred"  # the only measurement the prognosis models use (snapshot.tables holds it)
WAIT_S = 15.0  # a page with no fitted snapshot to draw from waits this long for one at most
# Between the end of one background refit and the start of the next (unless a page waits).  A patient whose
# rows changed is drawn from the current population fit at once (forecast_patient_current), so the
# population fit itself need not follow every visit entered: at most once a minute, and the fit worker busy
# at most a sixth of the time (a large registry's refit with the prognosis models takes seconds of a core,
# which competes with the pages under load: benchmarks/load.py prints the fit workers' cores).
MIN_PAUSE_S = 60.0
PAUSE_FACTOR = 5.0  # ... and at least this many times the last fit's duration
FORECASTS_KEPT = 512  # forecasts kept per snapshot (a page seen again is not recomputed)
_NO_ROWS = np.array([], dtype=np.intp)


@dataclass(frozen=True)
class RowIndex:
    """Each patient's row positions in one frame, ascending: ``order[start:stop]`` with ``(start, stop) =
    bounds[patient]``.  Two arrays and a dict of pairs rather than a dict of one array per patient: the
    snapshot is sent from the fit worker's process, and 50,000 small arrays took 0.4 s to unpickle."""

    order: np.ndarray
    bounds: dict[str, tuple[int, int]]

    @classmethod
    def of(cls, patient_ids: pd.Series) -> RowIndex:
        codes, uniques = pd.factorize(patient_ids, sort=False)  # a missing id (-1) belongs to nobody
        order = np.flatnonzero(codes >= 0)
        order = order[np.argsort(codes[order], kind="stable")]
        counts = np.bincount(codes[order], minlength=len(uniques))
        stops = np.cumsum(counts)
        starts = stops - counts
        return cls(order, dict(zip(list(uniques), zip(starts.tolist(), stops.tolist(), strict=True), strict=True)))

    def rows(self, patient_id: str) -> np.ndarray:
        b = self.bounds.get(patient_id)
        return _NO_ROWS if b is None else self.order[b[0] : b[1]]


@dataclass(eq=False)
class Snapshot:
    """The registry's chart tables at one data version and the natural-history model fitted on them."""

    serial: int
    version: int  # the data version read before the rows (they reflect at least this version)
    started: float  # time.monotonic() when the read began
    fitted_at: dt.datetime  # UTC, when the fit ended
    seconds: float  # read + fit
    tables: Tables
    model: NaturalHistoryModel | None
    reason: str | None  # why there is no model (too few untreated visits)
    fingerprints: dict[str, int]
    positions: dict[str, RowIndex]  # table -> its rows of each patient
    visit_positions: RowIndex  # each patient's rows of model.visits
    prognosis: PrognosisModels | str | None = None  # fitted after the snapshot is served; str: why not
    prognosis_seconds: float | None = None  # the time fit_prognosis took
    forecasts: OrderedDict = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def patient_tables(self, patient_id: str) -> Tables:
        """This patient's rows of the snapshot (typed canonical frames; the measurements are not read)."""
        frames = {}
        for name in FILE_ORDER:
            index = self.positions.get(name)
            pos = index.rows(patient_id) if index is not None else _NO_ROWS
            frames[name] = self.tables[name].iloc[pos].reset_index(drop=True)
        return Tables(**frames)

    def patient_model(self, patient_id: str) -> NaturalHistoryModel:
        """The fitted model holding only this patient's visits (``forecast_patient`` selects them anyway) and
        random effects (``LMMResult.for_groups``): the patient's forecast is that of the whole model."""
        assert self.model is not None
        pos = self.visit_positions.rows(patient_id)
        return dataclasses.replace(
            self.model, visits=self.model.visits.iloc[pos], result=self.model.result.for_groups([patient_id])
        )

    def forecast(self, patient_id: str) -> tuple[Forecast, Tables]:
        """``forecast_patient`` of this patient on this snapshot, and the patient's tables."""
        tables = self.patient_tables(patient_id)
        return forecast_patient(tables, patient_id, self.patient_model(patient_id)), tables

    def forecast_current(self, prow: PatientRows) -> tuple[Forecast, Tables]:
        """The patient's forecast from their rows as read in ``prow`` and this snapshot's population fit
        (``forecast_patient_current``), and those rows as tables."""
        assert self.model is not None
        tables = Tables.from_frames({name: prow.frame(name) for name in CHART_TABLES})
        return forecast_patient_current(tables, prow.patient_id, self.model), tables

    def memo(self, key: Any, make: Callable[[], Any]) -> Any:
        """``make()``, kept for the next call with ``key`` (the snapshot never changes; the newest
        ``FORECASTS_KEPT`` results are kept)."""
        with self._lock:
            if key in self.forecasts:
                return self.forecasts[key]
        value = make()
        with self._lock:
            self.forecasts[key] = value
            while len(self.forecasts) > FORECASTS_KEPT:
                self.forecasts.popitem(last=False)
        return value

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": self.version, "fitted_at": self.fitted_at, "seconds": self.seconds}
        if self.model is not None:
            out |= {"n_patients": self.model.n_patients, "n_visits": self.model.n_visits}
        return out


def load_snapshot(engine: Engine, serial: int = 0) -> Snapshot:
    """Read the registry's chart tables (one read transaction) and fit the natural-history model."""
    started = time.monotonic()
    raw: dict[str, tuple[list[str], list]] = {}
    with engine.connect() as conn:
        version = summary.data_version(conn)
        for name in CHART_TABLES:
            result = conn.execute(stored_rows(name))
            raw[name] = (list(result.keys()), [tuple(r) for r in result.fetchall()])
        m = SQL_TABLES["measurements"]
        fvc_cols = (m.c.patient_id, m.c.date, m.c.measure, m.c.value)
        fvc = conn.execute(select(*fvc_cols).where(m.c.measure == PROGNOSIS_MEASURE)).fetchall()
    frames = {n: rows_to_frame(n, pd.DataFrame(rows, columns=cols)) for n, (cols, rows) in raw.items()}
    frames["measurements"] = pd.DataFrame(fvc, columns=[c.name for c in fvc_cols])
    tables = Tables.from_frames(frames)
    per: dict[str, list[list[tuple]]] = {}
    for i, name in enumerate(CHART_TABLES):
        cols, rows = raw[name]
        j = cols.index("patient_id")
        for r in rows:
            lists = per.get(r[j])
            if lists is None:
                lists = per[r[j]] = [[] for _ in CHART_TABLES]
            lists[i].append(r)
    del raw
    fingerprints = {pid: rows_fingerprint(CHART_TABLES, lists) for pid, lists in per.items()}
    positions = {n: RowIndex.of(tables[n]["patient_id"]) for n in CHART_TABLES}
    model: NaturalHistoryModel | None
    reason = None
    try:
        model = fit_natural_history(tables)
        # The observed information is computed lazily on the first prediction, by mutating the result: do
        # it here, before pages share the model across threads.
        model.result.cov_params()
    except NotApplicable as exc:
        model, reason = None, f"The expected course cannot be drawn yet: {exc}"
    visit_positions = RowIndex.of(model.visits["patient_id"] if model is not None else pd.Series([], dtype=object))
    snap = Snapshot(
        serial=serial,
        version=version,
        started=started,
        fitted_at=dt.datetime.now(dt.UTC),
        seconds=time.monotonic() - started,
        tables=tables,
        model=model,
        reason=reason,
        fingerprints=fingerprints,
        positions=positions,
        visit_positions=visit_positions,
    )
    if model is not None:
        model.result.for_groups(model.result.group_labels[:1])  # builds the label index before pages share it
    return snap


def fit_prognosis(snap: Snapshot) -> None:
    """Fit the prognosis models (``fit_prognosis_models``) on the snapshot's tables into ``snap.prognosis``
    (a sentence when they cannot be fitted)."""
    from alscell.analysis.prognosis import fit_prognosis_models

    started = time.monotonic()
    models: PrognosisModels | str
    try:
        models = fit_prognosis_models(snap.tables)
        for om in models.outcomes.values():  # lazy parts of the results, made before pages share them
            om.result.cov_params()
            om.result.for_groups(om.result.group_labels[:1])
    except NotApplicable as exc:
        models = f"The prognosis cannot be computed on this registry yet: {exc}"
    except Exception:  # logged for the operator; the page says it could not be computed
        log.exception("fitting the prognosis models failed")
        models = "The prognosis could not be computed (see the server log)."
    snap.prognosis = models
    snap.prognosis_seconds = time.monotonic() - started


class _InThread:
    """The fit worker's interface, fitting in the cache's own thread (tests, an in-memory registry, an app
    created without ``fit_process``).  The module's functions are looked up at each call (tests replace them)."""

    closed = False

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def snapshot(self, serial: int) -> Snapshot:
        return load_snapshot(self._engine, serial)

    def fit_prognosis(self, snap: Snapshot) -> None:
        fit_prognosis(snap)


class NaturalHistoryCache:
    """The newest snapshot of one registry and the one background thread that makes the next."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.snapshot: Snapshot | None = None
        self.prognosis_snapshot: Snapshot | None = None  # the newest snapshot with its prognosis models fitted
        self.failed: tuple[float, str] | None = None  # (started, message) of the last failed refit
        self._running = False
        self._needed_after: float | None = None  # a waiting page needs a snapshot read after this time
        self._last_end = -float("inf")
        self._last_seconds = 0.0
        self._serial = 0
        self.refits = 0  # snapshots made (tests, benchmarks)
        self.worker: FitWorker | None = None  # the child process that fits (alscell serve); None: a thread

    def use_worker(self, worker: FitWorker) -> None:
        """Make every later snapshot and prognosis fit in ``worker``'s process instead of a thread."""
        with self._cond:
            self.worker = worker

    # -- the background thread ------------------------------------------------------------------------
    def _start(self, engine: Engine) -> None:  # with self._cond held
        self._running = True
        threading.Thread(target=self._run, args=(engine,), name="alscell-natural-history", daemon=True).start()

    def _run(self, engine: Engine) -> None:
        while True:
            started = time.monotonic()
            with self._cond:
                self._serial += 1
                serial = self._serial
            snap, failure = None, None
            worker: FitWorker | _InThread = self.worker or _InThread(engine)
            try:
                snap = worker.snapshot(serial)
            except Exception as exc:
                if isinstance(exc, WorkerClosed) or worker.closed:
                    with self._cond:  # the server is stopping (its child may have gone first): nothing to report
                        self._running = False
                        self._cond.notify_all()
                    return
                # logged for the operator; the page says it could not be computed
                log.exception("fitting the natural-history model failed")
                failure = (started, "The expected course could not be computed (see the server log).")
            with self._cond:
                if snap is not None:
                    self.snapshot = snap
                    self.refits += 1
                else:
                    self.failed = failure
                self._cond.notify_all()
            if snap is not None:  # the chart is served from the snapshot meanwhile
                try:
                    worker.fit_prognosis(snap)
                except Exception:  # the child died or failed (a fit in this thread reports its own failure)
                    if not worker.closed:  # (a stopping server has nothing to report)
                        log.exception("fitting the prognosis models failed")
                    snap.prognosis = "The prognosis could not be computed (see the server log)."
            with self._cond:
                self._last_end = time.monotonic()
                if snap is not None:
                    self.prognosis_snapshot = snap
                    self._last_seconds = self._last_end - started
                again = self._needed_after is not None and self._needed_after > started
                if not again:
                    self._needed_after = None
                    self._running = False
                self._cond.notify_all()
            if not again:
                return

    def start_now(self, engine: Engine) -> None:
        """Start making a snapshot now unless one is being made (a server that has just started)."""
        with self._cond:
            if not self._running:
                self._start(engine)

    def _request(self, engine: Engine, after: float | None = None) -> None:
        """Ask for a new snapshot: now when a page waits for one read after ``after``, else after the pause."""
        if after is not None:
            self._needed_after = max(self._needed_after or after, after)
        if self._running:
            return
        pause = max(MIN_PAUSE_S, PAUSE_FACTOR * self._last_seconds)
        if after is not None or time.monotonic() - self._last_end >= pause:
            self._start(engine)

    # -- what a page asks ------------------------------------------------------------------------------
    def snapshot_for(
        self, engine: Engine, prow: PatientRows, wait: float = WAIT_S
    ) -> tuple[Snapshot | None, str, bool]:
        """The snapshot to draw this patient from (or None and why not), and whether the page must draw from
        the patient's rows as read in ``prow`` with the snapshot's population fit (they changed since).

        The newest snapshot when it holds the patient's rows as read in ``prow``; the newest fitted snapshot
        with ``True`` when the patient's rows differ from it (a refit is asked for as for any change);
        with no fitted snapshot, a snapshot read after ``prow`` (asked for now), waited for up to ``wait``
        seconds."""
        fp = prow.fingerprint(CHART_TABLES)
        with self._cond:
            snap = self.snapshot
            if snap is None or snap.version < prow.version:
                self._request(engine)
            if snap is not None and snap.fingerprints.get(prow.patient_id) == fp:
                return snap, "", False
            if snap is not None and snap.model is not None:
                return snap, "", True
            self._request(engine, after=prow.read_at)
            deadline = time.monotonic() + wait
            while True:
                snap = self.snapshot
                if snap is not None and snap.started >= prow.read_at:
                    return snap, "", False
                if self.failed is not None and self.failed[0] >= prow.read_at:
                    return None, self.failed[1], False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return (
                        None,
                        (
                            "The expected course is being computed (the natural-history model is fitted on the "
                            "whole registry); reload the page in a moment."
                        ),
                        False,
                    )
                self._cond.wait(remaining)

    def prognosis_for(self, engine: Engine, version: int, wait: float = WAIT_S) -> tuple[Snapshot | None, str]:
        """The newest snapshot with fitted prognosis models (or None and why not); ``version``: the registry's
        data version as the page read it (a newer one than the snapshot's asks for a refit, after the
        pause).  Only when no snapshot has prognosis models yet does the page wait, up to ``wait`` seconds."""
        with self._cond:
            if self.snapshot is None or self.snapshot.version < version:
                self._request(engine)
            if self.prognosis_snapshot is not None:
                return self.prognosis_snapshot, ""
            if not self._running:
                self._start(engine)
            deadline = time.monotonic() + wait
            while True:
                if self.prognosis_snapshot is not None:
                    return self.prognosis_snapshot, ""
                if self.failed is not None and not self._running:
                    return None, "The prognosis could not be computed (see the server log)."
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None, (
                        "The prognosis is being computed (its models are fitted on the whole registry); reload "
                        "the page in a moment."
                    )
                self._cond.wait(remaining)


_caches: weakref.WeakKeyDictionary[Engine, NaturalHistoryCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_for(engine: Engine) -> NaturalHistoryCache:
    with _caches_lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = NaturalHistoryCache()
        return cache

"""The patient page's chart: the same analysis code as ``alscell forecast`` and the patient report.

The natural-history model is fitted on the whole registry once per data version (the newest audit entry
and the number of visits) and reused until the registry changes.
"""

from __future__ import annotations

import threading

from markupsafe import Markup
from sqlalchemy import Engine, func, select

from alscell.analysis.errors import NotApplicable
from alscell.analysis.forecast import NaturalHistoryModel, fit_natural_history, forecast_patient
from alscell.io.tables import Tables
from alscell.store.models import AUDIT_TABLE, SQL_TABLES

_lock = threading.RLock()  # the model cache, and pyplot (not thread-safe)
_cache: dict[str, tuple[tuple, NaturalHistoryModel]] = {}


def data_version(engine: Engine) -> tuple:
    with engine.connect() as conn:
        return (
            conn.execute(select(func.max(AUDIT_TABLE.c.id))).scalar_one(),
            conn.execute(select(func.count()).select_from(SQL_TABLES["alsfrs"])).scalar_one(),
        )


def natural_history(engine: Engine, tables: Tables | None = None) -> NaturalHistoryModel:
    """The natural-history model of the whole registry (``tables``, or loaded here only when a refit is due)."""
    from alscell.web.records import registry_tables

    key = engine.url.render_as_string()
    version = data_version(engine)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        model = fit_natural_history(
            tables if tables is not None else registry_tables(engine, without=("measurements",))
        )
        _cache[key] = (version, model)
        return model


def trajectory_chart(engine: Engine, tables: Tables, patient_id: str) -> tuple[Markup | None, str | None]:
    """Inline SVG of the patient's visits against the expected course, or None and why not (``tables``: at
    least this patient's rows; the model comes from the whole registry)."""
    from alscell.report import figures
    from alscell.report.embed import svg

    try:
        fc = forecast_patient(tables, patient_id, natural_history(engine))
    except NotApplicable as exc:
        return None, f"The expected course cannot be drawn yet: {exc}"
    pick = {n: tables[n][tables[n]["patient_id"] == patient_id] for n in ("treatments", "adverse_events", "events")}
    with _lock:
        fig = figures.trajectory_figure(fc, pick["treatments"], pick["adverse_events"], pick["events"])
        return svg(fig, "trajectory"), None

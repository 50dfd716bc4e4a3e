"""The fit worker (issue 15): ``alscell serve`` reads the registry and fits its models in a child process;
what comes back is what a fit in the server's own thread makes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alscell.store.engine import make_engine
from alscell.web import fit_worker, natural_history
from alscell.web.app import create_app
from alscell.web.natural_history import RowIndex, cache_for, load_snapshot


def test_a_snapshot_made_in_the_child_equals_one_made_here(web_app):
    engine = web_app.state.engine
    worker = fit_worker.FitWorker(engine)
    try:
        theirs = worker.snapshot(7)
        worker.fit_prognosis(theirs)
    finally:
        worker.close()
    ours = load_snapshot(engine, 7)
    natural_history.fit_prognosis(ours)
    assert theirs.serial == ours.serial == 7 and theirs.version == ours.version
    assert theirs.fingerprints == ours.fingerprints
    for name in natural_history.CHART_TABLES:
        pd.testing.assert_frame_equal(theirs.tables[name], ours.tables[name])
    assert theirs.model is not None and ours.model is not None
    np.testing.assert_allclose(theirs.model.result.fe_params, ours.model.result.fe_params, rtol=1e-12)
    for pid in ours.fingerprints:
        a, _ = theirs.forecast(pid)
        b, _ = ours.forecast(pid)
        assert a.to_json_dict() == b.to_json_dict()
    if isinstance(ours.prognosis, str):  # the example registry is too small: the same sentence
        assert theirs.prognosis == ours.prognosis
    else:
        assert theirs.prognosis is not None and not isinstance(theirs.prognosis, str)
        assert set(theirs.prognosis.outcomes) == set(ours.prognosis.outcomes)


def test_the_served_app_fits_in_its_worker(tmp_path, example_dir, as_user):
    from fastapi.testclient import TestClient
    from web_helpers import PASSWORD, login

    from alscell.store.accounts import create_user
    from alscell.store.importer import import_folder

    app = create_app(f"sqlite:///{tmp_path / 'served.db'}", fit_process=True)
    import_folder(app.state.engine, example_dir)
    create_user(app.state.engine, "doc", "clinician", PASSWORD)
    with TestClient(app, base_url="http://testserver") as client:  # runs the lifespan: the worker starts
        login(client, "doc")
        page = client.get("/patients/ALS-001")
        assert page.status_code == 200 and 'data-figure="trajectory"' in page.text
        cache = cache_for(app.state.engine)
        assert cache.worker is not None and cache.snapshot is not None and cache.snapshot.model is not None
    app.state.engine.dispose()


def test_in_memory_sqlite_keeps_fitting_in_a_thread():
    assert not fit_worker.can_use(make_engine("sqlite://"))
    assert not fit_worker.can_use(make_engine("sqlite:///:memory:"))
    assert fit_worker.can_use(make_engine("sqlite:////tmp/x.db"))


def test_row_index_matches_groupby_indices():
    ids = pd.Series(["b", "a", "b", "c", "a", "b"])
    index = RowIndex.of(ids)
    for pid, rows in ids.groupby(ids, sort=False).indices.items():
        assert index.rows(pid).tolist() == rows.tolist()
    assert index.rows("nobody").tolist() == []

"""The prognosis page draws from models fitted in the background (with the patient page's natural-history
snapshot), never in the request, and from the patient's records as read for the page."""

from __future__ import annotations

import html
import re
import threading

import pytest
from web_helpers import PASSWORD, csrf_of, login

from alscell.web import natural_history
from alscell.web.natural_history import cache_for

ITEMS = ("q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12")


@pytest.fixture(autouse=True)
def no_background_refit(monkeypatch):
    """Background refits wait for the pause: in these tests only a page with nothing to show starts one."""
    monkeypatch.setattr(natural_history, "MIN_PAUSE_S", 1e9)


@pytest.fixture
def sim(tmp_path):
    from alscell.simulate import CohortConfig, simulate_cohort
    from alscell.store.accounts import create_user
    from alscell.store.importer import import_folder
    from alscell.web.app import create_app

    cohort = simulate_cohort(CohortConfig(n_patients=60, design="registry", effect=0.0), 4)
    cohort.write(tmp_path / "registry")
    app = create_app(f"sqlite:///{tmp_path / 'web.db'}")
    import_folder(app.state.engine, tmp_path / "registry")
    create_user(app.state.engine, "simdoc", "clinician", PASSWORD)
    yield app
    app.state.engine.dispose()


def _client(app):
    from fastapi.testclient import TestClient

    c = TestClient(app, base_url="http://testserver")
    assert login(c, "simdoc").status_code == 303
    return c


def _notes(page: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r'<p class="note warning">(.*?)</p>', page, re.S)]


def _forecast_cells(d: dict) -> list[str]:
    out = []
    for f in d["forecasts"]:
        for r in f.get("horizons", []):
            out.append(
                f"{r['mean']:.1f} ({r['pi80_low']:.1f}–{r['pi80_high']:.1f}; {r['pi95_low']:.1f}–{r['pi95_high']:.1f})"
            )
    return out


def _in_follow_up(engine) -> tuple[str, str]:
    """A patient with no end-of-follow-up event and the day after their last visit."""
    import datetime as dt

    from alscell.web.records import registry_tables

    t = registry_tables(engine)
    gone = set(t["events"].loc[t["events"]["event"].isin(["death", "lost_to_follow_up", "withdrawal"]), "patient_id"])
    last = t["alsfrs"].groupby("patient_id")["date"].max()
    pid = next(p for p in last.index if p not in gone)
    return pid, (last[pid] + dt.timedelta(days=1)).strftime("%Y-%m-%d")


def test_the_page_shows_the_registry_prognosis_and_says_which_fit(sim):
    from alscell.analysis.prognosis import prognosis_patient
    from alscell.web.records import registry_tables

    engine = sim.state.engine
    c = _client(sim)
    tables = registry_tables(engine)
    for pid in tables["patients"]["patient_id"].iloc[:3]:
        page = c.get(f"/patients/{pid}/prognosis").text
        want = prognosis_patient(tables, pid).to_json_dict()  # fitted here on the whole registry
        cells = _forecast_cells(want)
        assert cells and all(html.escape(cell) in page or cell in page for cell in cells)
        snap = cache_for(engine).prognosis_snapshot
        assert f"The models were fitted on registry data version {snap.version};" in _notes(page)[0]
    assert cache_for(engine).refits == 1  # one background fit for every page of this data version


def test_after_a_write_the_page_uses_the_new_visit_without_a_refit(sim):
    from alscell.analysis.patient_course import prognosis_patient_current
    from alscell.web.records import registry_tables

    engine = sim.state.engine
    c = _client(sim)
    pid, day = _in_follow_up(engine)
    c.get(f"/patients/{pid}/prognosis")
    cache = cache_for(engine)
    old = cache.prognosis_snapshot
    r = c.post(
        f"/api/v1/patients/{pid}/visits",
        json={"date": day, "items": {q: 1 for q in ITEMS}},
        headers={"X-CSRF-Token": csrf_of(c)},
    )
    assert r.status_code == 201, r.text
    page = c.get(f"/patients/{pid}/prognosis").text
    assert cache.refits == 1 and cache.prognosis_snapshot is old  # no fit in the request, none waited for
    want = prognosis_patient_current(registry_tables(engine), pid, old.prognosis).to_json_dict()
    total = next(f for f in want["forecasts"] if f["outcome"] == "total")
    assert total["last_observed"] == 12.0  # the visit just entered
    assert all(html.escape(cell) in page or cell in page for cell in _forecast_cells(want))
    assert "The registry has changed since" in _notes(page)[0]


def test_with_no_models_yet_the_page_waits_then_says_they_are_being_computed(sim, monkeypatch):
    release = threading.Event()
    real = natural_history.fit_prognosis

    def slow(snap):
        release.wait(30)
        real(snap)

    monkeypatch.setattr(natural_history, "fit_prognosis", slow)
    monkeypatch.setattr(natural_history, "WAIT_S", 0.2)
    from alscell.web.records import registry_tables

    c = _client(sim)
    pid = registry_tables(sim.state.engine)["patients"]["patient_id"].iloc[0]
    r = c.get(f"/patients/{pid}/prognosis")
    assert r.status_code == 200 and 'id="forecast"' not in r.text
    assert "being computed" in r.text
    release.set()
    cache = cache_for(sim.state.engine)
    with cache._cond:
        cache._cond.wait_for(lambda: not cache._running, timeout=30)
    assert 'id="forecast"' in c.get(f"/patients/{pid}/prognosis").text


def test_a_failed_prognosis_fit_is_one_sentence(sim, monkeypatch):
    from alscell.analysis import prognosis

    def broken(tables):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(prognosis, "fit_prognosis_models", broken)
    from alscell.web.records import registry_tables

    pid = registry_tables(sim.state.engine)["patients"]["patient_id"].iloc[0]
    r = _client(sim).get(f"/patients/{pid}/prognosis")
    assert r.status_code == 200 and "could not be computed" in r.text
    assert "secret detail" not in r.text and "Traceback" not in r.text

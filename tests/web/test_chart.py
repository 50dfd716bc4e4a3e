"""The patient page's chart (issue 11 / 15): the CLI's forecast numbers, one fit per data version made in the
background, the old fit served to patients whose records did not change, and the patient page built from
one read of that patient's rows."""

from __future__ import annotations

import html
import json
import re
import threading

import pandas as pd
import pytest
from typer.testing import CliRunner
from web_helpers import csrf_of

from alscell.store.accounts import Principal
from alscell.web import charts, natural_history, records
from alscell.web.natural_history import CHART_TABLES, cache_for

PATIENTS = ("ALS-001", "ALS-002", "ALS-003", "ALS-004")
ITEMS = ("q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12")


@pytest.fixture(autouse=True)
def no_background_refit(monkeypatch):
    """Background refits wait for the pause: in these tests only a waiting page starts one."""
    monkeypatch.setattr(natural_history, "MIN_PAUSE_S", 1e9)


def _cli_forecast(url: str, patient: str) -> dict:
    from alscell.cli import _register, app

    _register()
    result = CliRunner().invoke(app, ["forecast", "--patient", patient, "--db", url, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    out.pop("prognosis")
    return out


def _chart(page: str) -> str:
    m = re.search(r'<section id="chart">.*?</section>', page, re.S)
    assert m, page
    return m.group(0)


def _text(page: str, element_id: str) -> str | None:
    m = re.search(rf'id="{element_id}">(.*?)</p>', page, re.S)
    return html.unescape(m.group(1)) if m else None


def _visit_titles(page: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<circle [^>]*><title>([^<]*)</title>", _chart(page))]


def test_the_chart_shows_the_cli_forecast_of_every_patient(web_app, as_user):
    url = web_app.state.engine.url.render_as_string(hide_password=False)
    c = as_user("doc")
    for pid in PATIENTS:
        page = c.get(f"/patients/{pid}").text
        assert 'data-figure="trajectory"' in page and "<script" not in _chart(page)
        cli = _cli_forecast(url, pid)
        snap = cache_for(web_app.state.engine).snapshot
        fc, _ = snap.forecast(pid)
        assert fc.to_json_dict() == cli  # one model, one rule set: the same numbers as `alscell forecast`
        visits = [v for v in cli["visits"] if v["total"] is not None]
        titles = _visit_titles(page)
        assert len(titles) == len(visits)
        for title, v in zip(titles, visits, strict=True):
            assert title.startswith(f"{v['date']}: ALSFRS-R {v['total']:.0f}; expected without treatment ")
            assert f"{v['expected']:.1f} (95% range {v['pi_low']:.1f}–{v['pi_high']:.1f})" in title
        s = cli["status"]
        assert f"expected without treatment {s['expected']:.1f} (95% range {s['pi_low']:.1f}–{s['pi_high']:.1f})" in (
            _text(page, "chart-status") or ""
        )
        assert f"Registry data version {snap.version} " in _text(page, "chart-version")
    assert cache_for(web_app.state.engine).refits == 1  # one fit for every page of this data version


def test_every_patient_matches_the_fit_when_nothing_changed(web_app, as_user):
    engine = web_app.state.engine
    as_user("doc").get("/patients/ALS-001")
    snap = cache_for(engine).snapshot
    for pid in PATIENTS:
        assert records.patient_rows(engine, pid).fingerprint(CHART_TABLES) == snap.fingerprints[pid]


def _new_visit(c, pid: str, date: str, score: int = 3):
    r = c.post(
        f"/api/v1/patients/{pid}/visits",
        json={"date": date, "items": {q: score for q in ITEMS}},
        headers={"X-CSRF-Token": csrf_of(c)},
    )
    assert r.status_code == 201, r.text


def test_a_change_elsewhere_serves_the_old_fit_and_says_so(web_app, as_user):
    engine = web_app.state.engine
    c = as_user("doc")
    before = c.get("/patients/ALS-001").text
    cache = cache_for(engine)
    old = cache.snapshot
    _new_visit(c, "ALS-003", "2023-12-01")
    page = c.get("/patients/ALS-001").text  # ALS-001's rows did not change: no refit, no wait
    assert cache.refits == 1 and cache.snapshot is old
    assert _visit_titles(page) == _visit_titles(before)
    version = _text(page, "chart-version")
    assert f"Registry data version {old.version} " in version
    assert "The registry has changed since" in version and "this patient's records have not" in version


def test_the_patient_who_changed_sees_the_new_visit_at_once_from_the_population_fit(web_app, as_user):
    from alscell.analysis.forecast import forecast_patient_current

    engine = web_app.state.engine
    c = as_user("doc")
    n_before = len(_visit_titles(c.get("/patients/ALS-003").text))
    cache = cache_for(engine)
    old = cache.snapshot
    _new_visit(c, "ALS-003", "2023-12-01", score=2)
    page = c.get("/patients/ALS-003").text
    assert cache.refits == 1 and cache.snapshot is old  # no wait for a refit (none started: pause in tests)
    titles = _visit_titles(page)
    assert len(titles) == n_before + 1 and titles[-1].startswith("2023-12-01: ALSFRS-R 24;")
    version = _text(page, "chart-version")
    assert f"Registry data version {old.version} " in version
    assert "This patient's records changed since" in version and "current visits" in version
    # the numbers: forecast_patient_current of the registry as it is now, with the old snapshot's fit
    now = records.registry_tables(engine)
    fc = forecast_patient_current(now, "ALS-003", old.model)
    visits = fc.to_json_dict()["visits"]
    scored = [v for v in visits if v["total"] is not None]
    for title, v in zip(titles, scored, strict=True):
        assert f"{v['expected']:.1f} (95% range {v['pi_low']:.1f}–{v['pi_high']:.1f})" in title
    assert charts.status_text(fc) == _text(page, "chart-status")
    # another patient of the same data version still gets the snapshot's own forecast
    other = c.get("/patients/ALS-001").text
    assert "This patient's records changed" not in _text(other, "chart-version")


def test_a_page_with_no_fit_yet_waits_then_says_it_is_being_computed(web_app, as_user, monkeypatch):
    release = threading.Event()
    real = natural_history.load_snapshot

    def slow(engine, serial=0):
        release.wait(30)
        return real(engine, serial)

    monkeypatch.setattr(natural_history, "load_snapshot", slow)
    monkeypatch.setattr(natural_history, "WAIT_S", 0.2)
    c = as_user("doc")
    r = c.get("/patients/ALS-003")
    assert r.status_code == 200
    assert 'data-figure="trajectory"' not in r.text
    assert "being computed" in (_text(r.text, "chart-note") or "")
    release.set()
    cache = cache_for(web_app.state.engine)
    with cache._cond:
        cache._cond.wait_for(lambda: not cache._running, timeout=30)
    assert 'data-figure="trajectory"' in c.get("/patients/ALS-003").text


def test_a_failed_fit_is_one_sentence_on_the_page(web_app, as_user, monkeypatch):
    def broken(engine, serial=0):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(natural_history, "load_snapshot", broken)
    r = as_user("doc").get("/patients/ALS-001")
    assert r.status_code == 200
    assert "could not be computed" in _text(r.text, "chart-note")
    assert "secret detail" not in r.text and "Traceback" not in r.text


def test_the_svg_escapes_free_text():
    course = pd.DataFrame(
        {
            "date": pd.to_datetime(["2023-01-01", "2023-07-01"]),
            "mean": [40.0, 38.0],
            "ci_low": [39.0, 37.0],
            "ci_high": [41.0, 39.0],
            "pi_low": [37.0, 35.0],
            "pi_high": [43.0, 41.0],
        }
    )
    visits = pd.DataFrame(
        {
            "date": pd.to_datetime(["2023-01-01"]),
            "total": [40.0],
            "phase": ["untreated"],
            "expected": [40.0],
            "pi_low": [37.0],
            "pi_high": [43.0],
            "position": ["within"],
        }
    )

    class Fc:
        pass

    fc = Fc()
    fc.course, fc.visits = course, visits
    aes = pd.DataFrame({"onset_date": pd.to_datetime(["2023-02-01"]), "term": ['<script>"x"</script>'], "grade": [2]})
    empty_t = pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]"), "route": [], "cycle": [], "cell_source": []})
    empty_e = pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]"), "event": []})
    svg = str(charts.trajectory_svg(fc, empty_t, aes, empty_e))
    assert "<script" not in svg and "&lt;script&gt;" in svg


def _typed_rows(engine, pid: str, name: str) -> list[dict]:
    frame = records.patient_tables(engine, pid)[name]
    out = []
    for i in range(len(frame)):
        row = frame.iloc[[i]]
        rec = {k: records._plain(v) for k, v in row.iloc[0].items()}
        text = records.row_text(name, row)
        rec["version"] = records.fingerprint(text)
        out.append((rec, records.key_of(name, text)))
    return out


@pytest.mark.parametrize("role", ["clinician", "researcher"])
def test_the_page_view_from_sql_rows_equals_the_typed_tables(web_app, role):
    """The page reads one patient's rows without typed frames: values, keys, lock state and edit fingerprints
    are those of the loader's typed frames (the ones write_row compares)."""
    engine = web_app.state.engine
    user = Principal(1, "t", role, None, None, "x")
    tables = {"alsfrs": "visits", "treatments": "treatments", "adverse_events": "adverse_events"}
    tables |= {"measurements": "measurements", "events": "events"}
    for pid in PATIENTS:
        prow = records.patient_rows(engine, pid)
        view = records.patient_view(engine, user, prow, pid)
        assert records.patient_view(engine, user, prow, pid, versions=False).visits == [
            {k: v for k, v in r.items() if k != "version"} for r in view.visits
        ]
        for name, attr in tables.items():
            typed = _typed_rows(engine, pid, name)
            shown = getattr(view, attr)
            assert len(shown) == len(typed)
            if role == "researcher":
                for r in shown:
                    assert "version" not in r and "url_key" not in r and "date" not in r
                continue
            by_version = {t["version"]: (t, key) for t, key in typed}
            for r in shown:
                t, key = by_version[r["version"]]  # the fingerprint write_row compares
                for k, v in t.items():
                    assert r[k] == v, (pid, name, k)
                assert records.key_from_url(name, pid, r["url_key"]) == key
        if role == "clinician":
            _lock_first_rows_and_check(engine, user, pid, tables)
            patient = records.patient_tables(engine, pid)["patients"].iloc[0]
            assert view.row == {k: records._plain(v) for k, v in patient.items()}
            assert ("x_site_note" in view.row) == (pid == "ALS-001")


def _lock_first_rows_and_check(engine, user, pid: str, tables: dict[str, str]) -> None:
    """A signature lock stored under the canonical key of the typed row shows on exactly that row."""
    import datetime as dt

    from sqlalchemy import insert

    from alscell.store.locks import LOCKS

    locked = {}
    with engine.begin() as conn:
        for name in tables:
            typed = _typed_rows(engine, pid, name)
            if typed:
                rec, key = typed[-1]
                locked[name] = rec["version"]
                conn.execute(
                    insert(LOCKS).values(
                        table_name=name,
                        row_key=records.row_key_text(name, key),
                        signed_by="t",
                        signed_at=dt.datetime.now(dt.UTC),
                        meaning="test",
                    )
                )
    view = records.patient_view(engine, user, records.patient_rows(engine, pid), pid)
    for name, attr in tables.items():
        for r in getattr(view, attr):
            assert r["locked"] == (r["version"] == locked.get(name)), (pid, name)


def test_the_snapshot_forecast_holds_one_patient_and_gives_the_whole_fits_numbers(web_app, as_user):
    from alscell.analysis.forecast import forecast_patient

    engine = web_app.state.engine
    as_user("doc").get("/patients/ALS-001")
    snap = cache_for(engine).snapshot
    for pid in PATIENTS:
        assert list(snap.patient_model(pid).result.group_labels) == [pid]
        whole = forecast_patient(snap.tables, pid, snap.model)
        assert snap.forecast(pid)[0].to_json_dict() == whole.to_json_dict()

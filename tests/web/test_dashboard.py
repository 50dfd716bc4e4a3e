"""The cohort dashboard (issue 11): roles, scope, the CLI's numbers, computed in the background with progress,
cached per data version, de-identified for researchers."""

from __future__ import annotations

import json
import logging
import re
import time

import markupsafe
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner
from web_helpers import chromium_page, csrf_of, login, shown_text, shown_value, two_site_app

from alscell.analysis.estimate import JSON_KEYS
from alscell.analysis.history_contrast import check_rows
from alscell.report import text
from alscell.web import dashboard

DATE = re.compile(r"\b(19|20)\d\d-\d\d-\d\d\b")
WAIT_S = 120.0
ITEMS = ("q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12")


@pytest.fixture
def app(web_app):
    """The example registry's app; its dashboard child process is stopped after the test."""
    yield web_app
    dashboard.close(web_app.state.engine)


def _poll(c: TestClient, seen: list[str] | None = None) -> str:
    """Ask for ``/dashboard/status`` until no computation runs (at most WAIT_S); the last fragment."""
    end = time.monotonic() + WAIT_S
    while True:
        r = c.get("/dashboard/status")
        assert r.status_code == 200
        if seen is not None:
            seen.append(r.text)
        if 'data-state="computing"' not in r.text:
            return r.text
        assert time.monotonic() < end, "the dashboard was not computed in time"
        time.sleep(0.5)


def _cli_effect(url: str, *method: str) -> dict:
    from alscell.cli import _register, app

    _register()
    result = CliRunner().invoke(app, ["effect", "--db", url, "--json", *(("--method", *method) if method else ())])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _assert_headline_is(page: str, est: dict) -> None:
    for k in ("estimate", "ci_low", "ci_high"):
        value = shown_value(page, f"effect.{k}")
        if est[k] is None:
            assert value is None, k
        else:
            assert value == pytest.approx(est[k], rel=1e-12, abs=1e-15), k
        assert shown_text(page, f"effect.{k}") == text.num(est[k], 2)
    assert shown_text(page, "effect.p_value") == text.pval(est["p_value"])
    assert int(shown_text(page, "effect.n_patients")) == est["n_patients"]
    assert int(shown_text(page, "effect.n_treated")) == est["n_treated"]
    for w in est["warnings"]:
        assert str(markupsafe.escape(w)) in page  # escaped as Jinja escapes (' → &#39;)
    # the history checks the CLI's object holds: each other reading as the CLI's table gives it
    for key, _, line in check_rows(est):
        assert shown_text(page, f"effect.{key}") == line
    assert ("effect.measures_check" in page) == ("measures_check" in est)


def _assert_deidentified(page: str, patient_ids) -> None:
    assert not DATE.search(page), DATE.search(page).group(0)
    for pid in patient_ids:
        assert pid not in page, pid


def _no_python_error(page: str) -> None:
    assert "Traceback" not in page and "Error:" not in page and "Exception" not in page


# -- roles ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("username", "status"), [("pat1", 403), ("admin1", 403), ("doc", 200), ("doc_b", 200), ("res", 200)]
)
@pytest.mark.parametrize("url", ["/dashboard", "/dashboard/status"])
def test_roles(app, as_user, username, url, status, monkeypatch):
    monkeypatch.setattr(dashboard.DashboardCache, "_start", lambda *a: None)  # roles only: compute nothing
    assert as_user(username).get(url, follow_redirects=False).status_code == status


@pytest.mark.parametrize("url", ["/dashboard", "/dashboard/status"])
def test_not_logged_in_is_sent_to_login(app, url):
    r = TestClient(app).get(url, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert dashboard.cache_for(app.state.engine).computations == 0  # a refused request computes nothing


def test_nav_links_the_dashboard_for_clinicians_and_researchers_only(app, as_user, monkeypatch):
    monkeypatch.setattr(dashboard.DashboardCache, "_start", lambda *a: None)
    assert 'href="/dashboard"' in as_user("doc").get("/patients").text
    assert 'href="/dashboard"' in as_user("res").get("/patients").text
    assert 'href="/dashboard"' not in as_user("pat1").get("/me").text
    assert 'href="/dashboard"' not in as_user("admin1").get("/admin/users").text


# -- the flow on the example registry ---------------------------------------------------------------------------------
def test_computed_in_the_background_cached_per_data_version_and_recomputed_after_a_change(app, as_user):
    engine = app.state.engine
    url = engine.url.render_as_string(hide_password=False)
    cache = dashboard.cache_for(engine)
    res = as_user("res")
    pages: list[str] = []

    first = res.get("/dashboard")
    pages.append(first.text)
    assert first.status_code == 200 and 'data-state="computing"' in first.text and 'id="headline"' not in first.text
    poller = re.search(r'<div id="dashboard-progress"[^>]*>', first.text).group(0)
    assert 'hx-get="/dashboard/status?shown=0"' in poller
    assert 'hx-trigger="every 2s"' in poller and 'hx-swap="outerHTML"' in poller
    assert "<script" not in first.text.split("<main>", 1)[1]  # the CSP allows no inline script: attributes only
    step = re.search(r'id="progress-step">([^<]*)<', first.text).group(1)
    assert step  # the current progress step is on the page

    # While the shown results are the newest, the poll answers the progress line only ...
    small = res.get("/dashboard/status?shown=0")
    assert small.text.lstrip().startswith('<div id="dashboard-progress"') and 'id="dashboard"' not in small.text
    assert "HX-Retarget" not in small.headers

    seen: list[str] = []
    done = _poll(res, seen)
    pages += seen
    assert any(re.search(r'id="progress-step">(step \d+ of 11: [^<]+)<', p) for p in [first.text, small.text, *seen])
    # ... and the whole dashboard once a computation finished, replacing the old one.
    full = res.get("/dashboard/status?shown=0")
    assert full.headers["HX-Retarget"] == "#dashboard" and full.headers["HX-Reswap"] == "outerHTML"
    assert "hx-trigger" not in full.text  # done: no more polling
    version = dashboard._version(engine)
    assert f'<section id="results" data-version="{version}">' in done
    for section in ("headline", "claims", "responders", "cycles", "survival", "safety", "quality"):
        assert f'<section id="{section}"' in done, section
    _assert_headline_is(done, _cli_effect(url))  # the example registry: too small for an estimate, as the CLI says
    assert "could not be estimated" in done
    assert '<table id="safety-table">' in done
    assert 'data-unavailable="claims"' in done  # a section that is not available says why
    assert int(shown_text(done, "counts.patients")) == 4 and int(shown_text(done, "counts.treated")) == 3
    _no_python_error(done)

    again = res.get("/dashboard")
    pages.append(again.text)
    assert 'data-state="done"' in again.text and 'id="headline"' in again.text
    visits = int(shown_text(again.text, "counts.visits"))
    assert cache.computations == 1  # the same data version: not computed again

    doc = as_user("doc")
    r = doc.post(
        "/api/v1/patients/ALS-003/visits",
        json={"date": "2023-12-01", "items": dict.fromkeys(ITEMS, 3)},
        headers={"X-CSRF-Token": csrf_of(doc)},
    )
    assert r.status_code == 201, r.text
    assert dashboard._version(engine) > version

    changed = res.get("/dashboard")
    pages.append(changed.text)
    assert cache.computations == 2  # one recomputation started
    assert "The registry has changed since" in changed.text and 'data-state="computing"' in changed.text
    assert f'<section id="results" data-version="{version}">' in changed.text  # the old results, labelled
    assert f"Results of registry data version {version}," in changed.text
    res.get("/dashboard")
    assert cache.computations == 2  # at most one computation at a time per scope

    done = _poll(res, pages)
    assert f'<section id="results" data-version="{dashboard._version(engine)}">' in done
    assert "The registry has changed since" not in done and cache.computations == 2
    assert int(shown_text(done, "counts.visits")) == visits + 1

    for page in pages:  # a researcher receives no patient id and no calendar date, at any stage
        _assert_deidentified(page, ("ALS-001", "ALS-002", "ALS-003", "ALS-004", "ALS-0"))


def test_a_clinician_sees_their_sites_patients_only(app, as_user):
    done = _poll(as_user("doc_b"))  # site_b: no patient of the example registry
    assert int(shown_text(done, "counts.patients")) == 0 and int(shown_text(done, "counts.visits")) == 0
    assert 'data-unavailable="effect"' in done and 'data-unavailable="safety"' in done
    _no_python_error(done)
    mine = _poll(as_user("doc"))  # no site: the patients without one (all four)
    assert int(shown_text(mine, "counts.patients")) == 4
    assert dashboard.cache_for(app.state.engine).computations == 2  # one per scope


def test_a_failed_computation_is_one_sentence_and_logged(app, as_user, monkeypatch, caplog):
    cache = dashboard.cache_for(app.state.engine)
    monkeypatch.setattr(cache, "_process", False)  # in a thread, so that the failure can be planted

    def broken(engine, scope, progress):
        progress("step 1 of 11: reading the registry")
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(dashboard, "compute", broken)
    with caplog.at_level(logging.ERROR, logger="alscell.web.dashboard"):
        done = _poll(as_user("res"))
    assert 'id="dashboard-failed"' in done and "could not be computed" in done
    assert "ZeroDivisionError" not in done and "planted" not in done and "Traceback" not in done
    assert any(rec.exc_info and rec.exc_info[0] is ZeroDivisionError for rec in caplog.records)
    as_user("res").get("/dashboard")
    assert cache.computations == 1  # not retried for the same data version


def test_a_registry_other_processes_cannot_open_is_computed_in_a_thread(app, as_user, monkeypatch):
    monkeypatch.setattr(dashboard.fit_worker, "can_use", lambda engine: False)  # as for in-memory SQLite
    res = as_user("res")
    first = res.get("/dashboard").text
    done = _poll(res)
    cache = dashboard.cache_for(app.state.engine)
    assert cache._process is False and cache._pool is None and cache.computations == 1
    assert 'data-state="computing"' in first and 'id="headline"' in done
    assert int(shown_text(done, "counts.patients")) == 4


# -- a simulated registry: numbers to compare ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sim_app(tmp_path_factory):
    app, patients = two_site_app(tmp_path_factory.mktemp("sim-dashboard"), 160, 5)
    yield app, patients
    dashboard.close(app.state.engine)
    app.state.engine.dispose()


def _client(app, username: str) -> TestClient:
    c = TestClient(app, base_url="http://testserver")
    assert login(c, username).status_code == 303
    return c


def test_the_researchers_headline_is_the_cli_effect_and_carries_no_identifier(sim_app):
    app, patients = sim_app
    url = app.state.engine.url.render_as_string(hide_password=False)
    c = _client(app, "simres")
    pages = [c.get("/dashboard").text]
    done = _poll(c, pages)
    cli = _cli_effect(url)
    assert cli["estimate"] is not None and cli["method"] == "g_estimation"  # the default method
    _assert_headline_is(done, cli)
    assert "against patients with the same recorded history who had not started treatment yet" in done
    # the sensitivity table is the CLI's --sensitivity on the same registry
    m = _cli_effect(url, "lmm_counterfactual")
    assert shown_text(done, "sens.lmm_counterfactual.estimate") == text.num(m["estimate"], 2)
    b = _cli_effect(url, "lmm_bounded")
    assert shown_text(done, "sens.lmm_bounded.estimate") == text.num(b["estimate"], 2)
    assert shown_text(done, "sens.g_estimation.estimate") == text.num(cli["estimate"], 2)
    assert int(shown_text(done, "counts.patients")) == len(patients)
    assert '<table id="claims-table">' in done and '<table id="claims-pooled">' in done
    assert 'id="modification-check">Does it work better in some patients?' in done  # the report's sentence
    assert re.search(r'<tr class="(sig-benefit|sig-harm|)">', done)
    assert '<table id="safety-table">' in done and "intrathecal" in done
    assert '<p class="callout" id="responder-rates">' in done and '<p id="hazard-ratio">' in done
    _no_python_error(done)
    for page in pages:
        _assert_deidentified(page, [*patients["patient_id"], "SIM0"])


def test_a_clinician_of_site_b_sees_only_site_b(sim_app):
    app, patients = sim_app
    c = _client(app, "simdoc_b")
    done = _poll(c)
    mine = patients[patients["site"] == "site_b"]
    assert int(shown_text(done, "counts.patients")) == len(mine) < len(patients)
    api = c.get("/api/v1/effect").json()  # the same scope rule as /api/v1/effect
    assert api["n_patients"] <= len(mine)
    sens = c.get("/api/v1/effect", params={"sensitivity": "true"}).json()  # the CLI's --sensitivity, same scope
    assert {k: sens[k] for k in api} == api and len(sens["sensitivity"]) == 3
    assert sens["sensitivity_summary"]["primary_analysis"] == "g_estimation"
    assert sens["placebo"]["text"].startswith("placebo (pre-trend) check")
    assert sens["waning"]["split_months"] == 6.0 and sens["waning"]["text"].startswith("does the effect last?")
    bad = c.get("/api/v1/effect", params={"sensitivity": "true", "method": "naive"})
    assert bad.status_code == 422 and "registry estimators" in bad.json()["detail"]
    # the CLI's --modifiers, same scope: the spec's keys first, then the modification records
    mod = c.get("/api/v1/effect", params={"modifiers": "decline"}).json()
    keys = list(JSON_KEYS)  # (the default's object adds the history checks after them; these variants run none)
    assert list(api)[len(keys) :] == ["measures_check", "history_check"]
    assert list(mod)[: len(keys)] == keys and list(mod)[len(keys) :] == ["effect_modification"]
    for params, why in (({"modifiers": "age"}, "unknown effect modifier"),
                        ({"modifiers": "level", "method": "naive"}, "need the method g_estimation"),
                        ({"modifiers": "level", "sensitivity": "true"}, "cannot be combined")):  # fmt: skip
        r = c.get("/api/v1/effect", params=params)
        assert r.status_code == 422 and why in r.json()["detail"], params
    # the CLI's --adjust-for / --within-starters, same scope and the same rules
    named = c.get("/api/v1/effect", params={"adjust_for": "age", "within_starters": "true"}).json()
    assert list(named)[: len(keys)] == keys and list(named)[len(keys) :] == ["decision_inputs"]
    assert named["n_patients"] == api["n_patients"] and named["decision_inputs"]["named"] == ["age"]
    spline = c.get("/api/v1/effect", params={"adjust_for": "age", "adjust_shape": "spline"}).json()
    assert spline["decision_inputs"]["shape"] == "spline"
    for params, why in (({"adjust_for": "height"}, "unknown term(s) 'height'"),
                        ({"within_starters": "true"}, "name the recorded terms"),
                        ({"adjust_for": "age", "method": "naive"}, "only g_estimation"),
                        ({"adjust_for": "age", "adjust_shape": "cubic"}, "adjust shape: unknown"),
                        ({"adjust_shape": "spline"}, "name the recorded terms")):  # fmt: skip
        r = c.get("/api/v1/effect", params=params)
        assert r.status_code == 422 and why in r.json()["detail"], params
    _assert_headline_is(done, api)


def _assert_coloured_only_by_verdict(page: str) -> None:
    cls = {"supported": "sig-benefit", "harm": "sig-harm"}
    cells = re.findall(r'<td class="num ?([^"]*)" data-verdict="([^"]*)">', page)
    assert cells  # the pooled matrix
    for c, verdict in cells:
        assert c.strip() == cls.get(verdict, ""), (c, verdict)
    table = re.search(r'<table id="claims-table">(.*?)</table>', page, re.S).group(1)
    header, *rows = re.findall(r"<tr[^>]*>.*?</tr>", table, re.S)
    at = re.findall(r"<th>([^<]*)</th>", header).index("verdict")
    for row in rows:
        row_cls = re.match(r'<tr class="([^"]*)">', row).group(1)
        verdict = re.findall(r"<td[^>]*>([^<]*)</td>", row)[at]
        assert row_cls == cls.get(verdict, ""), (row_cls, verdict)


def test_claims_are_coloured_only_by_their_adjusted_or_pooled_verdict(sim_app):
    app, _ = sim_app
    _assert_coloured_only_by_verdict(_poll(_client(app, "simres")))


def test_redact_removes_ids_and_dates_and_keeps_html_and_numbers():
    from markupsafe import Markup

    ids = frozenset({"ALS-001", "P7", "1234"})
    view = {
        "a": "patient ALS-001 left out (visit 2023-01-05).",
        "b": [Markup("<td>P7</td><td>ALS-0012</td>"), ("1234 visits", 3)],
    }
    out = dashboard.redact(view, ids)
    assert out["a"] == "patient [patient] left out (visit [date])."
    assert isinstance(out["b"][0], Markup) and out["b"][0] == Markup("<td>[patient]</td><td>ALS-0012</td>")
    assert out["b"][1] == ("1234 visits", 3)  # a numeric id cannot be told from a number


def test_the_browser_shows_the_results_when_htmx_polling_finds_them_done(app):
    """Debian's Chromium under the app's CSP: the page polls and HTMX swaps in the results by itself."""
    with chromium_page(app, "res") as (page, errors):
        page.goto("/dashboard")
        assert page.locator('#dashboard-progress[data-state="computing"]').count() == 1
        page.wait_for_selector("#headline", timeout=WAIT_S * 1000)
        assert page.locator("#dashboard").count() == 1 and page.locator('[data-state="done"]').count() == 1
        assert page.locator("[hx-trigger]").count() == 0  # polling stopped
        # the sensitivity table under the headline (or why it is not available on this registry)
        shown = '#sensitivity-table, [data-unavailable="sensitivity"], [data-unavailable="effect"]'
        assert page.locator(shown).count() == 1
        assert not errors, errors  # no CSP violation, no script error
    assert app.state.engine not in dashboard._caches  # the app's shutdown stopped the dashboard's child process

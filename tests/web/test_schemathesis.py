"""Schemathesis against the app's own OpenAPI schema (issue 15): for every operation of /api/v1, generated
requests (valid ones and ones that break the schema) by a logged-in clinician never get a 5xx, and every
documented response matches its schema.  Bounded: a few examples per operation, in process (ASGI)."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from web_helpers import csrf_of, login

EXAMPLES = 8


@pytest.fixture
def logged_in(web_app):
    client = TestClient(web_app, base_url="http://testserver")
    assert login(client, "doc").status_code == 303
    return {"cookies": dict(client.cookies), "headers": {"X-CSRF-Token": csrf_of(client)}}


def _operations(web_app) -> list:
    schema = schemathesis.openapi.from_dict(web_app.openapi())
    return [result.ok() for result in schema.get_all_operations()]


def test_schema_lists_the_api(web_app):
    labels = {op.label for op in _operations(web_app)}
    assert "GET /api/v1/patients" in labels and "POST /api/v1/patients/{shown_id}/visits" in labels


def _fuzz(web_app, logged_in, mode) -> tuple[list[int], dict[tuple[str, int], str]]:
    """Run bounded generated requests; return the statuses and the responses that do not match the schema."""
    operations = _operations(web_app)
    statuses: list[int] = []
    mismatches: dict[tuple[str, int], str] = {}

    @settings(
        max_examples=EXAMPLES * len(operations),
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
        deadline=None,
    )
    @given(st.data())
    def run(data):
        operation = data.draw(st.sampled_from(operations))
        case = data.draw(operation.as_strategy(generation_mode=mode))
        response = case.call(app=web_app, headers=logged_in["headers"], cookies=logged_in["cookies"])
        statuses.append(response.status_code)
        assert response.status_code < 500, f"{operation.label}: {response.status_code} {response.text[:300]}"
        if not operation.is_valid_response(response):
            mismatches.setdefault((operation.label, response.status_code), response.text[:200])

    run()
    return statuses, mismatches


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_and_responses_match_the_schema(web_app, logged_in, mode):
    statuses, mismatches = _fuzz(web_app, logged_in, mode)
    assert len(statuses) >= EXAMPLES and max(statuses) < 500
    assert mismatches == {}, mismatches


def test_validation_errors_are_documented_in_the_schema(web_app, logged_in):
    """Requests that break the schema: every 422 body (FastAPI's error list, or the API's own sentences,
    web.api.ApiError) matches the documented schema."""
    _statuses, mismatches = _fuzz(web_app, logged_in, GenerationMode.NEGATIVE)
    assert mismatches == {}

"""Property-based run of the OpenAPI document against the app, in process: no 5xx, responses match the schema."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from xiaoneng.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def keyed(system_a, api_a):
    api_a.post([{"event_id": "seed", "case_no": "C1", "type": "submitted",
                 "occurred_at": "2026-01-05T09:00:00+08:00", "item_code": "ITEM-DA-001", "department": "DA"}])
    return system_a.key


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_api(case, keyed):
    # The WSGI handler closes the thread's connection around each request; inside the test's transaction that
    # would break the test (Django's test Client disconnects these receivers the same way).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = case.call(headers={"Authorization": f"Bearer {keyed}"})
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                             content_type_conformance, response_schema_conformance])

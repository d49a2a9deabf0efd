"""schemathesis (property-based testing from the OpenAPI document) against the API,
in-process through its WSGI application, as a signed-in dispatcher with a CSRF token,
on the test database: every operation, in its coverage phase (boundaries, missing and
wrong-typed values, unexpected methods) and its fuzzing phase, answers with no 5xx,
with a status the document lists for it, and with a body its schema allows.

Half the generated requests name a real case or task and carry its current version,
so the transitions run (and write) rather than stop at "no such case"."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from civicgrid.api import api
from civicgrid.cases.models import Case, WhistleTask
from tests.hostile.conftest import World

# The fuzzing phase's examples per operation; the coverage phase's are as many as the
# operation's parameters call for (10 to 90 here). About 2,700 requests in all for 53
# operations, some 30 seconds a database.
FUZZED = 15

schema = schemathesis.openapi.from_dict(
    api.get_openapi_schema(),
    config=schemathesis.Config.from_dict({"generation": {"max-examples": FUZZED}}),
)
APP = get_wsgi_application()
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def one_connection() -> Iterator[None]:
    """The WSGI handler closes the database connection around each request, as it
    should in production; here the test's transaction lives on it. Django's test client
    holds it open the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def dispatcher(world: World, one_connection: None) -> dict[str, Any]:
    """A session of the world's dispatcher, and the CSRF token its POSTs need (the
    requests come through the WSGI application, which enforces it)."""
    client = Client()
    client.force_login(world.user)
    blank = RequestFactory().get("/")
    token = get_token(blank)
    return {
        "cookies": {
            "sessionid": client.cookies["sessionid"].value,
            "csrftoken": blank.META["CSRF_COOKIE"],
        },
        "headers": {"X-CSRFToken": token},
    }


def _aim_at_real_rows(case: Any) -> None:
    """Point a generated request at an existing case (with its current version) or
    task, half the time. (``random`` as Hypothesis seeds it: a ``given`` strategy
    here would turn off schemathesis' coverage phase.)"""
    path = case.path_parameters or {}
    if "code" in path and random.random() < 0.5:
        code, version = random.choice(list(Case.objects.values_list("tracking_code", "version")))
        path["code"] = code
        if isinstance(case.body, dict) and "version" in case.body:
            case.body["version"] = version
    if "task_id" in path and random.random() < 0.5:
        path["task_id"] = random.choice(list(WhistleTask.objects.values_list("pk", flat=True)))


@schema.parametrize()
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_its_document(case, dispatcher) -> None:  # type: ignore[no-untyped-def]
    _aim_at_real_rows(case)
    case.call_and_validate(app=APP, checks=CHECKS, **dispatcher)

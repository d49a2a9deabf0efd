"""Several server processes share intake's rate limits (CIVICGRID_CACHE_URL: Django's
Redis cache) and the login lockouts (django-axes' rows in the database).

Against the Redis at CIVICGRID_TEST_REDIS_URL (default redis://127.0.0.1:6379/0); the
tests skip, saying why, when none answers, and fail instead with
CIVICGRID_REQUIRE_REDIS=1 (as .ci/run sets). Each test's keys carry a prefix of its
own and are deleted afterwards; nothing else in that Redis is touched.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import pytest
from django.core.cache.backends.redis import RedisCache
from django.test import Client, override_settings

from civicgrid.errors import TooMany
from civicgrid.intake import ratelimit
from tests.factories import PASSWORD
from tests.processes import Scratch, Server, scratch  # noqa: F401 (fixture)

REDIS_URL = os.environ.get("CIVICGRID_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the test Redis."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"no Redis answers at {REDIS_URL} ({exc}): shared-cache tests skipped"
        if os.environ.get("CIVICGRID_REQUIRE_REDIS") == "1":
            pytest.fail(message.replace("skipped", "required by CIVICGRID_REQUIRE_REDIS=1"))
        pytest.skip(message)
    prefix = f"civicgrid-test-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


def test_two_cache_clients_count_the_same_requests(redis_prefix: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clients = [RedisCache(REDIS_URL, {"KEY_PREFIX": redis_prefix}) for _ in range(2)]
    outcomes = []
    for i in range(4):
        monkeypatch.setattr(ratelimit, "cache", clients[i % 2])
        try:
            ratelimit.hit("intake", "203.0.113.5", "3/600")
            outcomes.append("counted")
        except TooMany:
            outcomes.append("refused")
    assert outcomes == ["counted", "counted", "counted", "refused"]


def intake_statuses(servers: list[Server], n: int) -> list[int]:
    """``n`` requests from one address, taking turns between the servers (each is
    refused for its body, 400, once it is counted; 429 when over the limit)."""
    statuses = []
    for i in range(n):
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        answer = servers[i % len(servers)].request(
            "POST", "/api/requests", body={"text": "路灯坏了"}, headers=headers
        )
        statuses.append(answer.status)
    return statuses


def start_two(scratch: Scratch, **env: str) -> list[Server]:  # noqa: F811
    first = Server(scratch, env=scratch.env(**env), name="serve-a").start()
    # The second after the first has migrated the database.
    second = Server(scratch, env=scratch.env(**env), name="serve-b")
    second.args.append("--no-migrate")
    return [first, second.start()]


def test_two_server_processes_share_rate_limits_and_lockouts(
    redis_prefix: str,
    scratch: Scratch,  # noqa: F811
) -> None:
    limits = {"CIVICGRID_INTAKE_RATE_PER_IP": "3/600", "CIVICGRID_LOGIN_FAILURE_LIMIT": "3"}
    # Each process on its own memory: each counts only what it saw.
    apart = start_two(scratch, **limits)
    try:
        assert intake_statuses(apart, 4) == [400, 400, 400, 400]
    finally:
        for server in apart:
            server.stop()

    shared = start_two(
        scratch, **limits, CIVICGRID_CACHE_URL=REDIS_URL, CIVICGRID_CACHE_KEY_PREFIX=redis_prefix
    )
    try:
        assert intake_statuses(shared, 4) == [400, 400, 400, 429]

        scratch.shell("from tests.factories import UserFactory; UserFactory(username='clerk')")
        login_page = shared[0].request("GET", "/login/")
        cookie = login_page.cookies()["csrftoken"].split(";", 1)[0]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text)
        assert token

        def log_in(server: Server, password: str) -> int:
            body = f"username=clerk&password={password}&csrfmiddlewaretoken={token.group(1)}"
            headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
            return server.request("POST", "/login/", body=body, headers=headers).status

        # Three failures across the two processes lock the account on both.
        assert [log_in(shared[i % 2], "wrong") for i in range(3)] == [200, 200, 429]
        assert log_in(shared[1], PASSWORD) == 429
        assert log_in(shared[0], PASSWORD) == 429
    finally:
        for server in shared:
            server.stop()


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
)
def test_a_redis_that_does_not_answer_does_not_stop_intake(db, caplog) -> None:  # type: ignore[no-untyped-def]
    """Residents' requests go through uncounted (and the log says so), not a 500."""
    response = Client().post(
        "/api/requests",
        {"text": "路灯坏了"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert response.status_code == 400, response.content  # refused for its body, not 500
    assert "not counted: the shared cache does not answer" in caplog.text


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    },
    INTAKE_RATE_PER_IP="0/60",
)
def test_a_redis_that_does_not_answer_closes_tracking_for_now(tree) -> None:  # type: ignore[no-untyped-def]
    """Tracking codes must not be guessed uncounted: without its counters the tracking
    page says "busy, try again" (503), not a 500 and not an open door."""
    from tests.factories import submit

    case = submit(tree)
    response = Client().post("/r/track/", {"code": case.tracking_code, "last4": "0000"})
    assert response.status_code == 503
    assert "系统繁忙" in response.content.decode()

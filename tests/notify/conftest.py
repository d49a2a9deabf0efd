from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from civicgrid.notify.actions import derive_notifications
from civicgrid.notify.models import Notification
from civicgrid.notify.webhook import receiver
from tests.cases.conftest import Staff, staff  # noqa: F401  (the fixture, shared)

SECRET = "test-secret-do-not-use"
PUBLIC_URL = "https://12345.example.cn"


@pytest.fixture(autouse=True)
def outbox_settings(settings):  # type: ignore[no-untyped-def]
    """The log adapter only, links with a public address, no age limit surprises."""
    settings.NOTIFY_ADAPTERS = ["log"]
    settings.PUBLIC_URL = PUBLIC_URL
    settings.NOTIFY_MAX_ATTEMPTS = 3
    settings.NOTIFY_RETRY_BASE_S = 30
    settings.NOTIFY_RETRY_MAX_S = 3600
    settings.NOTIFY_WEBHOOK_SECRET = SECRET
    settings.NOTIFY_WEBHOOK_TIMEOUT_S = 2
    return settings


def derive_all() -> int:
    """Derive until the log is read to its end; the number of events read."""
    read = 0
    for _round in range(50):
        step = derive_notifications()
        read += step.events
        if not step.events and not step.waiting:
            return read
    raise AssertionError("the derivation never caught up")


def sent_to(case, template: str) -> list[Notification]:  # type: ignore[no-untyped-def]
    return list(Notification.objects.filter(case=case, template=template).order_by("pk"))


class _Silent(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Gateway:
    """A district's SMS gateway as the tests see it: the real receiver (``webhook.receiver``,
    which checks the signature) behind a switch that makes it fail."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)  # every answer given, in order
    failing: str = ""  # e.g. "500 Internal Server Error": answer that instead
    delay_s: float = 0.0  # answer this late
    secret: str = SECRET


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    state = Gateway()
    checked = receiver(state.secret, state.received.append)

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        def recording(status, headers, *rest):  # type: ignore[no-untyped-def]
            state.statuses.append(status)
            return start_response(status, headers, *rest)

        time.sleep(state.delay_s)
        if state.failing:
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            recording(state.failing, [("Content-Type", "text/plain")])
            return [b"gateway down"]
        return checked(environ, recording)

    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_Silent)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()

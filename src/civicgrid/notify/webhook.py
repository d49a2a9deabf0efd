"""The webhook's signature, and a receiver that checks it: standard library only, so a
district's gateway team can copy this file (or just ``verify``) as it is.

civicgrid POSTs each message as JSON (UTF-8) with two headers:

    X-Civicgrid-Timestamp: 1718000000                 (Unix seconds when it was sent)
    X-Civicgrid-Signature: sha256=<hex>               (HMAC-SHA256 with the shared secret
                                                       over b"<timestamp>." + body)

and this body:

    {"id": 42,                      the notification: the same id when a message is retried,
                                    so a gateway can drop a repeat
     "template": "received",        received | dispatched | resolved | please_rate |
                                    new_case | returned | reminder | supervision | whistle |
                                    grid_call
     "case": "K7QH3MZP2A",          the tracking code (null for a message about no case)
     "topic": "grid_call:12",       what a message about no case is about ("" otherwise)
     "recipient": {"kind": "resident" | "staff" | "volunteer", "phone": "138…",
                   "user": "<login>" (staff, volunteer)},
     "subject": "…", "text": "…", "link": "https://…" (or ""),
     "created_at": "2024-06-10T08:00:00+00:00"}

A gateway accepts with any 2xx status; anything else, or no answer within
``CIVICGRID_NOTIFY_WEBHOOK_TIMEOUT_S``, is a failure that civicgrid retries later.
A receiver must check the signature over the raw body, before parsing it, and refuse
a timestamp more than a few minutes away from its own clock (a replayed request).

``civicgrid notify-receiver --secret S`` runs ``receiver`` on a port to try a setup.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

SIGNATURE_HEADER = "X-Civicgrid-Signature"
TIMESTAMP_HEADER = "X-Civicgrid-Timestamp"
TOLERANCE_S = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: float | None = None,
    tolerance_s: float = TOLERANCE_S,
) -> bool:
    """Whether ``body`` was signed with ``secret`` at ``timestamp``, within
    ``tolerance_s`` of ``now``. Compares in constant time."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")


# A WSGI application: environ, start_response → body chunks.
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def receiver(secret: str, handle: Callable[[dict[str, Any]], None]) -> WSGIApp:
    """A WSGI app that accepts civicgrid's POSTs whose signature holds (204) and hands
    each message to ``handle``; a bad or missing signature is refused (401), anything
    but a POST of JSON too (405, 400)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def answer(status: str, text: str = "") -> list[bytes]:
            start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
            return [text.encode()]

        if environ.get("REQUEST_METHOD") != "POST":
            return answer("405 Method Not Allowed", "POST only")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        timestamp = environ.get("HTTP_X_CIVICGRID_TIMESTAMP", "")
        signature = environ.get("HTTP_X_CIVICGRID_SIGNATURE", "")
        if not verify(secret, timestamp, body, signature):
            return answer("401 Unauthorized", "bad signature")
        try:
            message = json.loads(body)
        except ValueError:
            return answer("400 Bad Request", "not JSON")
        handle(message)
        return answer("204 No Content")

    return app

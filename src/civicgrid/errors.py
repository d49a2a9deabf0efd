"""Refusals: the errors a person reads. Each carries the HTTP status it maps to."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from ninja import Schema
from pydantic import Field as PydanticField

# What a request gets when the database cannot write at this moment (SQLite's lock held
# past its timeout, a lost connection): 503 from the API and the pages alike.
BUSY = _("The system is busy; nothing was saved. Please try again in a moment.")


class Refusal(Exception):
    """An action was refused; ``message`` is shown to the person as it is. ``field``
    names the input at fault when there is one (the API lists it under ``errors``), and
    ``kind`` says what is wrong with it, for programs."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, kind: str = "") -> None:
        super().__init__(message)
        self.message = str(message)
        self.field = field
        self.kind = kind


class Invalid(Refusal):
    status = 400


class Forbidden(Refusal):
    status = 403


class NotFound(Refusal):
    status = 404


class Conflict(Refusal):
    status = 409


class TooLarge(Refusal):
    status = 413


class TooMany(Refusal):
    status = 429


class Unavailable(Refusal):
    """Not now: something the action needs does not answer (try again later)."""

    status = 503


# --- the one shape of every refusal in the API ------------------------------------------------


class Problem(Schema):
    field: str = PydanticField(description="the input at fault: a parameter, header or body field")
    type: str = PydanticField(description="what is wrong with it, for programs")
    message: str = PydanticField(description="the same in words, in the user's language")


class Error(Schema):
    """What the API answers instead of a result: a sentence a person reads, and the
    fields at fault when there are any."""

    detail: str = PydanticField(description="what is wrong, in the user's language")
    errors: list[Problem] = PydanticField(
        default_factory=list, description="one entry per input at fault (may be absent)"
    )


# Every refusal the API gives: malformed or unstorable input (400), not logged in (401),
# no right (403), nothing you may see there (404), a stale version or the state (409),
# too large (413), a value of the wrong type (422), too many requests (429), the
# database busy (503).
ERRORS: dict[int, type[Error]] = {
    status: Error for status in (400, 401, 403, 404, 409, 413, 422, 429, 503)
}


def answers(ok: Any, *, status: int = 200, public: bool = False) -> dict[int, Any]:
    """An operation's documented responses: ``ok`` under ``status`` (a dict of several
    for an operation with more than one), and every refusal in the one ``Error`` shape
    (no 401 and 403 for a ``public`` operation, which asks no login)."""
    found = dict(ok) if isinstance(ok, dict) else {status: ok}
    for code, schema in ERRORS.items():
        if not (public and code in (401, 403)):
            found.setdefault(code, schema)
    return found


def error_body(refusal: Refusal) -> dict[str, Any]:
    """``refusal`` as an ``Error``: the sentence, and the field at fault if there is one."""
    body: dict[str, Any] = {"detail": refusal.message}
    if refusal.field is not None:
        body["errors"] = [
            {"field": refusal.field, "type": refusal.kind, "message": refusal.message}
        ]
    return body

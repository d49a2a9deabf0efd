"""Refusals: the errors a person reads. Each carries the HTTP status it maps to."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# What a request gets when the database cannot write at this moment (SQLite's lock held
# past its timeout, a lost connection): 503 from the API and the pages alike.
BUSY = _("The system is busy; nothing was saved. Please try again in a moment.")


class Refusal(Exception):
    """An action was refused; ``message`` is shown to the person as it is."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = str(message)


class Invalid(Refusal):
    status = 400


class Forbidden(Refusal):
    status = 403


class NotFound(Refusal):
    status = 404


class Conflict(Refusal):
    status = 409


class TooMany(Refusal):
    status = 429


class Unavailable(Refusal):
    """Not now: something the action needs does not answer (try again later)."""

    status = 503

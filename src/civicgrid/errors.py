"""Refusals: the errors a person reads. Each carries the HTTP status it maps to."""

from __future__ import annotations


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

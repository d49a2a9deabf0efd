"""The time transitions are stamped with: now, unless a caller replays the past.

The demo generator builds a year of history through the real transition functions
by setting the clock for each step (``with clock.at(when): …``); nothing else should.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from django.utils import timezone

_fixed: ContextVar[datetime | None] = ContextVar("civicgrid_clock", default=None)


def now() -> datetime:
    return _fixed.get() or timezone.now()


def today() -> date:
    """The district's date now (``TIME_ZONE``): not ``now().date()``, which is UTC's and
    reads yesterday before 08:00 in Beijing."""
    return timezone.localdate(now())


@contextmanager
def at(when: datetime) -> Iterator[None]:
    token = _fixed.set(when)
    try:
        yield
    finally:
        _fixed.reset(token)

"""Deadlines: which policy applies, and when each limit falls on the working calendar."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from civicgrid.cases.models import CalendarDay, Category, DeadlinePolicy, Urgency
from civicgrid.cases.worktime import WorkCalendar, WorkingHours, deadline

# Used when a district has configured no policy at all (hours of working time).
FALLBACK = {
    Urgency.NORMAL: (
        timedelta(hours=4),
        timedelta(hours=4),
        timedelta(hours=40),
        timedelta(hours=16),
    ),
    Urgency.URGENT: (
        timedelta(hours=1),
        timedelta(hours=1),
        timedelta(hours=8),
        timedelta(hours=8),
    ),
    Urgency.EMERGENCY: (
        timedelta(minutes=15),
        timedelta(minutes=30),
        timedelta(hours=4),
        timedelta(hours=24),
    ),
}


def policy_for(category: Category | None, urgency: str) -> DeadlinePolicy:
    """The category's own policy, else its nearest ancestor's, else the district default."""
    lineage = category.lineage() if category else []
    policies = {
        p.category_id: p
        for p in DeadlinePolicy.objects.filter(urgency=urgency, category__in=lineage)
    }
    for node in lineage:
        if node.pk in policies:
            return policies[node.pk]
    default = DeadlinePolicy.objects.filter(category=None, urgency=urgency).first()
    if default is not None:
        return default
    acknowledge, check_in, resolve, follow_up = FALLBACK[Urgency(urgency)]
    return DeadlinePolicy(
        urgency=urgency,
        acknowledge=acknowledge,
        check_in=check_in,
        resolve=resolve,
        follow_up=follow_up,
        working_time=urgency != Urgency.EMERGENCY,
    )


class _CalendarCache:
    """The district calendar, reloaded at most once a minute (or at once on ``clear``)."""

    ttl_s = 60.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calendar: WorkCalendar | None = None
        self.loaded_at = 0.0

    def get(self) -> WorkCalendar:
        now = time.monotonic()
        with self.lock:
            if self.calendar is None or now - self.loaded_at > self.ttl_s:
                overrides = dict(CalendarDay.objects.values_list("date", "working"))
                self.calendar = WorkCalendar(
                    hours=WorkingHours.parse(settings.WORKING_HOURS),
                    tz=ZoneInfo(settings.TIME_ZONE),
                    overrides=overrides,
                )
                self.loaded_at = now
            return self.calendar

    def clear(self) -> None:
        with self.lock:
            self.calendar = None


_calendar = _CalendarCache()


def calendar() -> WorkCalendar:
    return _calendar.get()


def clear_calendar() -> None:
    _calendar.clear()


def due(start: datetime, limit: timedelta, policy: DeadlinePolicy) -> datetime:
    return deadline(start, limit, working_time=policy.working_time, calendar=calendar())

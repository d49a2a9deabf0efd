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


def working_seconds(start: datetime, end: datetime) -> int:
    """Working seconds from ``start`` to ``end`` on the district's calendar, each instant
    taken to its whole second (as ``evaluation.hours`` counts them in SQL); zero when
    ``end`` is not later."""
    between = calendar().between(start.replace(microsecond=0), end.replace(microsecond=0))
    return int(between.total_seconds())


def due(start: datetime, limit: timedelta, policy: DeadlinePolicy) -> datetime:
    return deadline(start, limit, working_time=policy.working_time, calendar=calendar())


class Deadlines:
    """The deadlines of limits counted from one moment, each (category, urgency)'s policy
    read once: for one transition or a sweeper's batch of them alike."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self._policies: dict[tuple[int | None, str], DeadlinePolicy] = {}
        self._dues: dict[tuple[int | None, str, str], datetime] = {}

    def policy(self, category_id: int | None, urgency: str) -> DeadlinePolicy:
        key = (category_id, urgency)
        policy = self._policies.get(key)
        if policy is None:
            category = Category.objects.get(pk=category_id) if category_id is not None else None
            policy = self._policies[key] = policy_for(category, urgency)
        return policy

    def due(self, category_id: int | None, urgency: str, limit: str) -> datetime:
        """When ``limit`` (``acknowledge``, ``check_in``, ``resolve``, ``follow_up``)
        runs out for a case of this category and urgency."""
        key = (category_id, urgency, limit)
        at = self._dues.get(key)
        if at is None:
            policy = self.policy(category_id, urgency)
            at = self._dues[key] = due(self.start, getattr(policy, limit), policy)
        return at

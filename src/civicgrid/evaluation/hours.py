"""Working hours in SQL: the time between two columns of a case, counted on the working
calendar, as an expression a ``Sum`` can take, so a mean over a month of cases is one
aggregate query and not one Python call per case.

Every instant has a position on the working calendar: the working seconds from the
table's first date to it. That is the ``WorkingDay`` row of its local date (``before``,
the working seconds up to that midnight) plus, on a working day, the part of the day's
working periods already past at its time of day. The working time between two
instants is the difference of their positions: what ``WorkCalendar.between`` counts,
to the second (``tests/evaluation`` holds the two equal).

The rows are derived from the calendar (``cases.deadlines.calendar()``: the official
calendar, the district's own days, ``WORKING_HOURS`` and the time zone) and rebuilt
when any of those changes or a period reaches past them (``ensure_table``). The time
of day is read on the wall clock in the calendar's zone: exact in a zone without
daylight saving time (Asia/Shanghai); elsewhere off by the shifted hour on the two
days of a change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import chinese_calendar
from django.db import transaction
from django.db.models import (
    BigIntegerField,
    Case,
    DateTimeField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import (
    ExtractHour,
    ExtractMinute,
    ExtractSecond,
    Floor,
    Greatest,
    Least,
    TruncDate,
)
from django.utils import timezone

from civicgrid.cases.deadlines import calendar
from civicgrid.cases.worktime import WorkCalendar
from civicgrid.evaluation.models import WorkingDay, WorkingDayTable

# The table starts here at the latest (earlier when a period asks for it) and reaches
# this far past the latest date asked for, so it is rebuilt seldom.
EARLIEST = date(2015, 1, 1)
AHEAD = timedelta(days=2 * 366)
# Raised when the way rows are computed changes: every table is rebuilt.
METHOD = "1"


def signature(cal: WorkCalendar) -> str:
    """What the rows depend on: the working hours, the zone, the district's own days,
    the official calendar's version and this module's method."""
    overrides = ",".join(f"{d.isoformat()}={int(w)}" for d, w in sorted(cal.overrides.items()))
    text = "|".join([METHOD, str(cal.hours), str(cal.tz), chinese_calendar.__version__, overrides])
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_table(first: date, last: date) -> bool:
    """Make sure the ``WorkingDay`` rows cover ``first`` … ``last`` and match the current
    calendar: one small query when they do; otherwise all rows rebuilt (some thousands,
    once after each change of the calendar), under a lock so two processes do not
    rebuild at once. Returns whether the cases' stored working seconds are on this
    calendar (``stored_current``), read from the same row."""
    cal = calendar()
    wanted = signature(cal)
    stamp = WorkingDayTable.objects.first()
    if _covers(stamp, wanted, first, last):
        assert stamp is not None
        return stamp.seconds_signature == wanted
    with transaction.atomic():
        stamp = WorkingDayTable.objects.select_for_update().first()
        if _covers(stamp, wanted, first, last):
            assert stamp is not None
            return stamp.seconds_signature == wanted
        start = min(first, EARLIEST)
        end = max(last, timezone.localdate()) + AHEAD
        if stamp is not None and stamp.signature == wanted:
            start, end = min(start, stamp.first), max(end, stamp.last)
        WorkingDay.objects.all().delete()
        WorkingDay.objects.bulk_create(_rows(cal, start, end), batch_size=2000)
        WorkingDayTable.objects.exclude(pk=stamp.pk if stamp else None).delete()
        WorkingDayTable.objects.update_or_create(
            pk=stamp.pk if stamp else None,
            defaults={
                "signature": wanted,
                "first": start,
                "last": end,
                "built_at": timezone.now(),
            },
            # The first table: the cases' stored seconds were written on this calendar
            # (a later change of it leaves them stale until they are rebuilt).
            create_defaults={
                "signature": wanted,
                "first": start,
                "last": end,
                "built_at": timezone.now(),
                "seconds_signature": wanted,
            },
        )
    return stored_current()


def _covers(stamp: WorkingDayTable | None, wanted: str, first: date, last: date) -> bool:
    return (
        stamp is not None
        and stamp.signature == wanted
        and stamp.first <= first
        and last <= stamp.last
    )


def _rows(cal: WorkCalendar, start: date, end: date) -> list[WorkingDay]:
    rows, before, day = [], 0, start
    while day <= end:
        working = cal.is_working_day(day)
        rows.append(WorkingDay(date=day, working=working, before=before))
        if working:
            midnight = datetime.combine(day, time(), tzinfo=cal.tz)
            following = datetime.combine(day + timedelta(days=1), time(), tzinfo=cal.tz)
            before += round(cal.between(midnight, following).total_seconds())
        day += timedelta(days=1)
    return rows


def _outer(field: str) -> ExpressionWrapper:
    # (typed: the date functions ask their argument for its type, which a bare
    # reference to the outer query does not know)
    return ExpressionWrapper(OuterRef(field), output_field=DateTimeField())


def _seconds_into_day(field: str, cal: WorkCalendar) -> Combinable:
    """The outer row's ``field`` as seconds since its local midnight (whole seconds)."""
    at = _outer(field)
    return (
        ExtractHour(at, tzinfo=cal.tz) * 3600
        + ExtractMinute(at, tzinfo=cal.tz) * 60
        + Floor(ExtractSecond(at, tzinfo=cal.tz))
    )


def position(field: str) -> Subquery:
    """Working seconds from the table's first date to the outer row's ``field``."""
    cal = calendar()
    into_day = _seconds_into_day(field, cal)
    worked = None
    for start, end in cal.hours.periods:
        begins = start.hour * 3600 + start.minute * 60 + start.second
        length = (end.hour * 3600 + end.minute * 60 + end.second) - begins
        part = Least(Greatest(into_day - Value(begins), Value(0)), Value(length))
        worked = part if worked is None else worked + part
    day = WorkingDay.objects.filter(date=TruncDate(_outer(field), tzinfo=cal.tz)).annotate(
        at=F("before")
        + Case(When(working=True, then=worked), default=Value(0), output_field=BigIntegerField())
    )
    return Subquery(day.order_by().values("at")[:1], output_field=BigIntegerField())


def working_seconds(start: str, end: str) -> Combinable:
    """Working seconds from column ``start`` to column ``end`` of the outer row (zero
    when ``end`` is not later), for ``Sum(…)`` over cases; call ``ensure_table`` for
    their dates first."""
    return Greatest(position(end) - position(start), Value(0), output_field=BigIntegerField())


# --- the cases' stored working seconds ------------------------------------------------------
#
# Each case keeps the working seconds from its submission to its acknowledgment and to
# its resolution (``Case.acknowledge_seconds``, ``resolve_seconds``), written with those
# times by ``cases.actions.write``: the mean working hours are then a sum of a column, not
# two lookups of this table per case. They hold for the calendar they were written with;
# ``stored_current`` says whether that is today's, and ``rebuild_stored`` (the command
# ``civicgrid working-seconds``) rewrites them all from the SQL above after a change.

STORED = {"acknowledged_at": "acknowledge_seconds", "resolved_at": "resolve_seconds"}


def stored_current() -> bool:
    """Whether the cases' stored working seconds were rebuilt with the current calendar
    (then the figures sum them; otherwise they compute them, exact but slower)."""
    stamp = WorkingDayTable.objects.first()
    return stamp is not None and stamp.seconds_signature == signature(calendar())


def stored_column(start: str, end: str) -> str | None:
    """The column a case keeps the working seconds from ``start`` to ``end`` in, if any."""
    return STORED.get(end) if start == "created_at" else None


def seconds_of(start: str, end: str, stored: bool) -> Combinable:
    """The working seconds from ``start`` to ``end`` of the outer case: with ``stored``
    (the stored seconds are current, ``ensure_table`` says), the stored column, empty
    where a case has none (``cases.models.SECONDS_MISSING``: the figures sum those
    cases' computed seconds apart); else computed (``working_seconds``). The column
    alone keeps the month's sums free of the calendar's lookups, so PostgreSQL may
    aggregate them in parallel."""
    column = stored_column(start, end)
    if column is None or not stored:
        return working_seconds(start, end)
    return F(column)


def rebuild_stored(batch: int = 200_000, say: Callable[[str], None] | None = None) -> int:
    """Rewrite every case's stored working seconds on the current calendar, a batch of
    ids at a time (one statement each), then mark them current. Returns the number of
    cases acknowledged or resolved."""
    from civicgrid.cases.models import Case as Cases

    wanted = signature(calendar())
    span = Cases.objects.aggregate(low=Min("pk"), high=Max("pk"), first=Min("created_at"))
    if span["low"] is None:
        _mark(wanted)
        return 0
    ensure_table(timezone.localdate(span["first"]), timezone.localdate())
    # one write per case that has (or had) a time: both columns at once
    touched = Q()
    values = {}
    for end, column in STORED.items():
        touched |= Q(**{f"{end}__isnull": False}) | Q(**{f"{column}__isnull": False})
        values[column] = Case(
            When(**{f"{end}__isnull": False}, then=working_seconds("created_at", end)),
            default=None,
            output_field=BigIntegerField(),
        )
    done, low = 0, span["low"]
    while low <= span["high"]:
        rows = Cases.objects.filter(pk__gte=low, pk__lt=low + batch)
        done += rows.filter(touched).update(**values)
        low += batch
        if say is not None:
            say(f"{done:,} cases")
    _mark(wanted)
    return done


def _mark(wanted: str) -> None:
    """Record that the stored seconds are on the calendar ``wanted``, if the table is
    still built from it (a calendar changed meanwhile needs another rebuild)."""
    WorkingDayTable.objects.filter(signature=wanted).update(seconds_signature=wanted)

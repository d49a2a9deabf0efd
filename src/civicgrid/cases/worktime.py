"""Working time on the official Chinese calendar: deadlines count only working hours
of working days, with public holidays off and make-up working days (调休) on.

Which days are working days comes, in this order, from
1. the district's own overrides (``CalendarDay`` rows: a local day off, or the
   State Council's schedule for a year the package below does not know yet);
2. the ``chinese_calendar`` package, which carries the official schedule of each
   year it covers (public holidays and 调休);
3. for a year the package does not cover yet: Monday to Friday, except the
   holidays whose dates never move (1 January, 1–3 May, 1–3 October). The
   lunar holidays and that year's 调休 are only known once published; enter
   them as overrides until the package is upgraded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (5, 3), (10, 1), (10, 2), (10, 3)})
MAX_DAYS_WITHOUT_WORK = 3 * 366
ZERO = timedelta(0)


@dataclass(frozen=True)
class WorkingHours:
    """The working periods of a working day, in order, not overlapping."""

    periods: tuple[tuple[time, time], ...] = (
        (time(8, 30), time(12, 0)),
        (time(13, 30), time(17, 30)),
    )

    @classmethod
    def parse(cls, text: str) -> WorkingHours:
        """``"08:30-12:00,13:30-17:30"`` → the periods; ValueError names what is wrong."""
        periods: list[tuple[time, time]] = []
        for part in (p.strip() for p in text.split(",") if p.strip()):
            try:
                a, b = (time.fromisoformat(x.strip()) for x in part.split("-"))
            except ValueError as exc:
                raise ValueError(f"working period {part!r} is not HH:MM-HH:MM") from exc
            if a >= b:
                raise ValueError(f"working period {part!r} ends before it starts")
            if periods and a < periods[-1][1]:
                raise ValueError(f"working period {part!r} overlaps or precedes the one before")
            periods.append((a, b))
        if not periods:
            raise ValueError("no working periods given")
        return cls(tuple(periods))

    @property
    def day_length(self) -> timedelta:
        day = date.min
        return sum(
            (datetime.combine(day, b) - datetime.combine(day, a) for a, b in self.periods), ZERO
        )


def official_working_day(d: date) -> bool:
    """The official answer, or the fallback for a year the package does not cover."""
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        return d.weekday() < 5 and (d.month, d.day) not in FIXED_HOLIDAYS


class WorkCalendar:
    def __init__(
        self,
        hours: WorkingHours | None = None,
        tz: ZoneInfo | None = None,
        overrides: Mapping[date, bool] | None = None,
    ) -> None:
        self.hours = hours or WorkingHours()
        self.tz = tz or ZoneInfo("Asia/Shanghai")
        self.overrides = dict(overrides or {})
        self._days: dict[date, bool] = {}

    def is_working_day(self, d: date) -> bool:
        known = self._days.get(d)
        if known is None:
            known = self.overrides[d] if d in self.overrides else official_working_day(d)
            self._days[d] = known
        return known

    def _periods(self, d: date) -> list[tuple[datetime, datetime]]:
        return [
            (datetime.combine(d, a, tzinfo=self.tz), datetime.combine(d, b, tzinfo=self.tz))
            for a, b in self.hours.periods
        ]

    def _local(self, t: datetime) -> datetime:
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError("working-time arithmetic needs an aware datetime")
        return t.astimezone(self.tz)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """When ``duration`` of working time has passed after ``start``. Zero: ``start``."""
        t = self._local(start)
        if duration <= ZERO:
            return t
        remaining = duration
        day, idle = t.date(), 0
        day_length = self.hours.day_length
        while True:
            if self.is_working_day(day):
                idle = 0
                if t <= datetime.combine(day, self.hours.periods[0][0], tzinfo=self.tz) and (
                    remaining > day_length
                ):
                    remaining -= day_length  # a whole working day: skip it in one step
                else:
                    for a, b in self._periods(day):
                        if t >= b:
                            continue
                        begin = max(t, a)
                        if remaining <= b - begin:
                            return begin + remaining
                        remaining -= b - begin
            else:
                idle += 1
                if idle > MAX_DAYS_WITHOUT_WORK:
                    raise ValueError("the calendar has no working day in three years")
            day += timedelta(days=1)
            t = datetime.combine(day, time(0), tzinfo=self.tz)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time elapsed from ``start`` to ``end`` (zero if end is not later)."""
        s, e = self._local(start), self._local(end)
        if e <= s:
            return ZERO
        total, day = ZERO, s.date()
        while day <= e.date():
            if self.is_working_day(day):
                for a, b in self._periods(day):
                    lo, hi = max(a, s), min(b, e)
                    if hi > lo:
                        total += hi - lo
            day += timedelta(days=1)
        return total

    def next_working_instant(self, t: datetime) -> datetime:
        """``t`` if the clock runs at ``t``, else the start of the next working period."""
        t = self._local(t)
        day = t.date()
        for _ in range(MAX_DAYS_WITHOUT_WORK):
            if self.is_working_day(day):
                for a, b in self._periods(day):
                    if t < b:
                        return max(t, a)
            day += timedelta(days=1)
            t = datetime.combine(day, time(0), tzinfo=self.tz)
        raise ValueError("the calendar has no working day in three years")


def deadline(
    start: datetime, duration: timedelta, *, working_time: bool, calendar: WorkCalendar
) -> datetime:
    """A deadline ``duration`` after ``start``: in working time, or round the clock
    (emergencies)."""
    if not working_time:
        return calendar._local(start) + duration
    return calendar.add(start, duration)

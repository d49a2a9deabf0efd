"""Working time on the official Chinese calendar.

Deadlines (acknowledge, check in, resolve, follow up) count only the working periods of
working days: public holidays are off and make-up working days (调休, often a Saturday or
Sunday) are on. Nothing here touches the database; the caller passes the district's
overrides in (see ``civicgrid.cases.deadlines``).

Whether a date is a working day is decided, first answer wins, by

1. the district's overrides (``True`` worked, ``False`` off): a local day off, or the
   State Council's schedule for a year the package below does not know yet;
2. the ``chinese_calendar`` package, which carries the official schedule, holidays and
   调休 alike, for each year it covers;
3. **the fallback**, for a year the package does not cover (it raises
   ``NotImplementedError``): Monday to Friday are working days, except the statutory
   holidays whose dates never move (全国年节及纪念日放假办法 as revised in 2024):
   New Year's Day (1 Jan), Labour Day (1–2 May) and National Day (1–3 Oct). The lunar
   holidays (Spring Festival, Qingming, Dragon Boat, Mid-Autumn), the days given back
   when a holiday falls on a weekend, and the year's 调休 are only known once the State
   Council publishes them; until the package is upgraded, enter them as overrides.

Time arithmetic is done on UTC instants, so a zone with daylight saving time (not
Asia/Shanghai, but nothing assumes it) counts the hours that really elapse. Results are
exact to the microsecond and expressed in the calendar's zone. Working periods are
half-open, ``[start, end)``: at 12:00 sharp the morning is over.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

# Fallback days off for years chinese_calendar does not cover: (month, day).
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})
# Longest run of days off tolerated before a calendar is declared to have no working day.
MAX_DAYS_WITHOUT_WORK = 3 * 366
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
ZERO = timedelta(0)

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")

Period = tuple[datetime, datetime]


@dataclass(frozen=True)
class WorkingHours:
    """The working periods of a working day: ``(start, end)`` wall-clock times, in order,
    not overlapping, each starting before it ends. Checked on construction."""

    periods: tuple[tuple[time, time], ...] = (
        (time(8, 30), time(12, 0)),
        (time(13, 30), time(17, 30)),
    )

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("working hours need at least one working period")
        previous_end: time | None = None
        for start, end in self.periods:
            label = f"{start:%H:%M}-{end:%H:%M}"
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError(f"working period {label} must be wall-clock time, no zone")
            if start >= end:
                raise ValueError(f"working period {label} does not start before it ends")
            if previous_end is not None and start < previous_end:
                raise ValueError(
                    f"working period {label} overlaps or comes before the period before it"
                )
            previous_end = end

    @classmethod
    def parse(cls, text: str) -> WorkingHours:
        """``"08:30-12:00,13:30-17:30"`` → WorkingHours; ValueError says what is wrong.

        Times are ``H:MM`` or ``HH:MM[:SS]``; a period cannot run past midnight.
        """
        periods: list[tuple[time, time]] = []
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            bounds = [b.strip() for b in part.split("-")]
            if len(bounds) != 2:
                raise ValueError(f"working period {part!r} is not of the form HH:MM-HH:MM")
            periods.append((_clock(bounds[0], part), _clock(bounds[1], part)))
        if not periods:
            raise ValueError(f"no working period in {text!r}; expected e.g. 08:30-12:00")
        return cls(tuple(periods))

    @property
    def day_length(self) -> timedelta:
        """Working time in a whole working day, by the wall clock."""
        return sum((_wall(end) - _wall(start) for start, end in self.periods), ZERO)

    def __str__(self) -> str:
        return ",".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in self.periods)


def _clock(text: str, part: str) -> time:
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise ValueError(f"working period {part!r}: {text!r} is not a time of day (HH:MM)")
    hour, minute, second = (int(g or 0) for g in match.groups())
    try:
        return time(hour, minute, second)
    except ValueError as exc:
        raise ValueError(f"working period {part!r}: {text!r} is not a time of day") from exc


def _wall(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


@lru_cache(maxsize=8192)
def official_working_day(d: date) -> bool:
    """The official answer from ``chinese_calendar``; for a year it does not cover, the
    fallback described in the module docstring. Overrides are not consulted here."""
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        return d.weekday() < 5 and (d.month, d.day) not in FIXED_HOLIDAYS


class WorkCalendar:
    """Working days and working hours of one district, and arithmetic on working time.

    ``overrides`` maps a date to ``True`` (worked) or ``False`` (off) and wins over the
    official calendar and the fallback. Answers are cached per date, so build a new
    calendar when the overrides change.
    """

    def __init__(
        self,
        hours: WorkingHours | None = None,
        tz: ZoneInfo | None = None,
        overrides: Mapping[date, bool] | None = None,
    ) -> None:
        self.hours = hours if hours is not None else WorkingHours()
        self.tz = tz if tz is not None else DEFAULT_TZ
        self.overrides = {d: bool(working) for d, working in (overrides or {}).items()}
        # date → (working periods as UTC instants, their total length); () when off.
        self._days: dict[date, tuple[tuple[Period, ...], timedelta]] = {}

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day: override, else official calendar, else fallback."""
        working = self.overrides.get(d)
        if working is None:
            working = official_working_day(d)
        return working

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which ``duration`` of working time has elapsed after ``start``.

        The clock only runs inside working periods of working days; ``start`` may be
        anywhere (night, lunch break, holiday) and in any zone, but must be aware. A
        duration that ends exactly at the end of a period lands there (17:30, not the
        next morning). A zero duration returns ``start`` itself, expressed in the
        calendar's zone, even outside working time. Raises ValueError for a naive
        ``start``, a negative duration, or a calendar with no working day in three years.
        """
        t = self._utc(start)
        if duration < ZERO:
            raise ValueError(f"a working-time duration cannot be negative: {duration}")
        if duration == ZERO:
            return t.astimezone(self.tz)
        remaining = duration
        day = t.astimezone(self.tz).date()
        days_off = 0
        while True:
            periods, length = self._working_periods(day)
            if not periods:
                days_off += 1
                if days_off > MAX_DAYS_WITHOUT_WORK:
                    raise ValueError(f"no working day in the three years after {start}")
            elif t <= periods[0][0] and remaining > length:
                days_off = 0
                remaining -= length  # a whole working day: skip it in one step
            else:
                days_off = 0
                for begin, end in periods:
                    if t >= end:
                        continue
                    begin = max(begin, t)
                    if remaining <= end - begin:
                        return (begin + remaining).astimezone(self.tz)
                    remaining -= end - begin
            day += timedelta(days=1)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time elapsed from ``start`` to ``end``; zero if ``end`` is not later.

        The inverse of ``add``: ``between(s, add(s, d)) == d`` for every ``d >= 0``.
        """
        s, e = self._utc(start), self._utc(end)
        if e <= s:
            return ZERO
        total = ZERO
        day, last = s.astimezone(self.tz).date(), e.astimezone(self.tz).date()
        while day <= last:
            periods, length = self._working_periods(day)
            if periods and s <= periods[0][0] and periods[-1][1] <= e:
                total += length
            else:
                for begin, finish in periods:
                    low, high = max(begin, s), min(finish, e)
                    if high > low:
                        total += high - low
            day += timedelta(days=1)
        return total

    def next_working_instant(self, t: datetime) -> datetime:
        """``t`` if the clock runs at ``t``, else the start of the next working period
        (in the calendar's zone). Raises ValueError as ``add`` does."""
        u = self._utc(t)
        day = u.astimezone(self.tz).date()
        for _ in range(MAX_DAYS_WITHOUT_WORK + 1):
            for begin, end in self._working_periods(day)[0]:
                if u < end:
                    return max(begin, u).astimezone(self.tz)
            day += timedelta(days=1)
        raise ValueError(f"no working day in the three years after {t}")

    def _working_periods(self, d: date) -> tuple[tuple[Period, ...], timedelta]:
        known = self._days.get(d)
        if known is None:
            known = self._periods_of(d) if self.is_working_day(d) else ((), ZERO)
            self._days[d] = known
        return known

    def _periods_of(self, d: date) -> tuple[tuple[Period, ...], timedelta]:
        periods: list[Period] = []
        for start, end in self.hours.periods:
            begin = datetime.combine(d, start, tzinfo=self.tz).astimezone(UTC)
            finish = datetime.combine(d, end, tzinfo=self.tz).astimezone(UTC)
            # A DST change can shorten a period, or fold it onto the one before.
            if periods:
                begin = max(begin, periods[-1][1])
            if finish > begin:
                periods.append((begin, finish))
        return tuple(periods), sum((b - a for a, b in periods), ZERO)

    @staticmethod
    def _utc(t: datetime) -> datetime:
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(f"working-time arithmetic needs an aware datetime, got {t}")
        return t.astimezone(UTC)


def deadline(
    start: datetime, duration: timedelta, *, working_time: bool, calendar: WorkCalendar
) -> datetime:
    """The instant ``duration`` after ``start``: in working time on ``calendar``, or, when
    ``working_time`` is false (emergencies), round the clock. In the calendar's zone."""
    if working_time:
        return calendar.add(start, duration)
    if duration < ZERO:
        raise ValueError(f"a deadline duration cannot be negative: {duration}")
    # Elapsed time, not wall-clock time: add on UTC so a DST change cannot shift it.
    return (WorkCalendar._utc(start) + duration).astimezone(calendar.tz)

"""Working time on the official calendar; expectations checked by hand against
chinese_calendar's 2026 schedule (National Day off 1–7 Oct, made up on Sunday
20 Sep and Saturday 10 Oct; Mid-Autumn off 25–27 Sep)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.cases.worktime import WorkCalendar, WorkingHours, deadline

CST = ZoneInfo("Asia/Shanghai")
cal = WorkCalendar()
H = timedelta(hours=1)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=CST)


def test_urgent_case_the_afternoon_before_national_day() -> None:
    # 1.5 h run on 30 Sep (16:00–17:30); the other 2.5 h after the 7-day holiday.
    assert cal.add(at(2026, 9, 30, 16), 4 * H) == at(2026, 10, 8, 11)
    assert cal.between(at(2026, 9, 30, 16), at(2026, 10, 8, 11)) == 4 * H


def test_a_make_up_saturday_counts_and_an_ordinary_one_does_not() -> None:
    assert cal.is_working_day(date(2026, 10, 10))  # Saturday, made up for National Day
    assert cal.is_working_day(date(2026, 9, 20))  # Sunday, made up too
    assert not cal.is_working_day(date(2026, 10, 17))
    assert cal.add(at(2026, 10, 9, 16), 8 * H) == at(2026, 10, 10, 16, 30)
    assert cal.add(at(2026, 10, 16, 16), 8 * H) == at(2026, 10, 19, 16, 30)


def test_starts_outside_working_hours() -> None:
    assert cal.add(at(2026, 11, 21, 10), H) == at(2026, 11, 23, 9, 30)  # a Saturday
    assert cal.add(at(2026, 11, 24, 22), H) == at(2026, 11, 25, 9, 30)  # at night
    assert cal.add(at(2026, 11, 24, 12, 30), H) == at(2026, 11, 24, 14, 30)  # lunch
    assert cal.add(at(2026, 11, 24, 11, 30), H) == at(2026, 11, 24, 14)  # across lunch


def test_long_durations() -> None:
    # 30 working days of 7.5 h from Monday 2 Nov 2026 08:30: six weeks, no holidays.
    assert cal.add(at(2026, 11, 2, 8, 30), 30 * 7.5 * H) == at(2026, 12, 11, 17, 30)
    assert cal.between(at(2026, 11, 2), at(2026, 12, 12)) == 30 * 7.5 * H


def test_a_year_the_package_does_not_know_falls_back() -> None:
    # 1 Jan 2027 (Friday) is off in any year; 2–3 Jan is a weekend.
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.add(at(2026, 12, 31, 16), 8 * H) == at(2027, 1, 4, 16, 30)


def test_district_overrides_win() -> None:
    custom = WorkCalendar(overrides={date(2026, 11, 23): False, date(2026, 11, 22): True})
    assert custom.add(at(2026, 11, 21, 17), H) == at(2026, 11, 22, 9, 30)  # Sunday worked
    assert custom.add(at(2026, 11, 22, 17), 7.5 * H) == at(2026, 11, 24, 17)  # Monday off


def test_zero_emergencies_and_time_zones() -> None:
    start = at(2026, 10, 1, 3)
    assert cal.add(start, timedelta(0)) == start
    assert deadline(start, 4 * H, working_time=False, calendar=cal) == at(2026, 10, 1, 7)
    utc = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert cal.add(utc, H) == at(2026, 11, 24, 10)
    with pytest.raises(ValueError, match="aware"):
        cal.add(datetime(2026, 11, 24, 9), H)


@pytest.mark.parametrize(
    "text", ["", "8:30-12:00,13:30", "12:00-08:30", "08:30-12:00,11:00-17:00", "nine-five"]
)
def test_working_hours_refuse_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        WorkingHours.parse(text)


def test_working_hours_parse() -> None:
    hours = WorkingHours.parse("09:00-12:00, 13:00-18:00")
    assert hours.day_length == 8 * H
    assert WorkCalendar(hours).add(at(2026, 11, 24, 9), 8 * H) == at(2026, 11, 24, 18)


starts = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 20), timezones=st.just(CST)
)
durations = st.integers(min_value=0, max_value=40 * 60).map(lambda m: timedelta(minutes=m))


@settings(max_examples=300, deadline=None)
@given(start=starts, d1=durations, d2=durations)
def test_add_and_between_agree(start: datetime, d1: timedelta, d2: timedelta) -> None:
    end = cal.add(start, d1)
    assert cal.between(start, end) == d1
    assert (cal.add(start, d2) >= end) == (d2 >= d1) or d1 == d2
    if d1 > timedelta(0):
        assert cal.is_working_day(end.date())
        assert cal.next_working_instant(end - timedelta(microseconds=1)) <= end

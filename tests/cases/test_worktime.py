"""Working time on the official calendar.

Expectations are hand-checked against chinese_calendar 1.11's 2026 schedule:
Mid-Autumn off Fri 25 – Sun 27 Sep; National Day off Thu 1 – Wed 7 Oct, back to work
Thu 8 Oct; make-up working days (调休) Sunday 20 Sep and Saturday 10 Oct. No holiday or
调休 in November and December 2026. 2027 is not covered by the package (fallback).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.cases.worktime import WorkCalendar, WorkingHours, deadline

CST = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
DAY = 7.5 * H  # 08:30–12:00 and 13:30–17:30
cal = WorkCalendar()


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, tz: ZoneInfo = CST) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=tz)


def test_the_package_knows_2026_as_the_tests_assume() -> None:
    # If a new chinese_calendar release corrects 2026, the examples below need rechecking.
    off = [date(2026, 9, d) for d in (25, 26, 27)] + [date(2026, 10, d) for d in range(1, 8)]
    assert not any(chinese_calendar.is_workday(d) for d in off)
    assert chinese_calendar.is_workday(date(2026, 9, 20))  # a Sunday
    assert chinese_calendar.is_workday(date(2026, 10, 8))
    assert chinese_calendar.is_workday(date(2026, 10, 10))  # a Saturday
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))


def test_urgent_case_the_afternoon_before_national_day() -> None:
    # 1.5 h on Wed 30 Sep (16:00–17:30); 1–7 Oct off; 2.5 h on Thu 8 Oct from 08:30.
    start = at(2026, 9, 30, 16)
    assert cal.add(start, 4 * H) == at(2026, 10, 8, 11)
    assert cal.between(start, at(2026, 10, 8, 11)) == 4 * H
    assert cal.between(start, at(2026, 10, 7, 23, 59)) == 1.5 * H
    assert cal.next_working_instant(at(2026, 9, 30, 17, 30)) == at(2026, 10, 8, 8, 30)


def test_make_up_days_count_and_ordinary_weekends_do_not() -> None:
    assert cal.is_working_day(date(2026, 10, 10))  # Saturday, made up for National Day
    assert cal.is_working_day(date(2026, 9, 20))  # Sunday, made up too
    assert not cal.is_working_day(date(2026, 9, 19))  # the Saturday before it
    assert not cal.is_working_day(date(2026, 10, 17))  # an ordinary Saturday
    # Fri 9 Oct 16:00 + 8 h: 1.5 h Friday, 6.5 h on the make-up Saturday.
    assert cal.add(at(2026, 10, 9, 16), 8 * H) == at(2026, 10, 10, 16, 30)
    # The same a week later: Sat 17 and Sun 18 Oct are off, it lands on Monday.
    assert cal.add(at(2026, 10, 16, 16), 8 * H) == at(2026, 10, 19, 16, 30)
    # Submitted on Saturday 19 Sep: the clock starts on the make-up Sunday.
    assert cal.add(at(2026, 9, 19, 10), H) == at(2026, 9, 20, 9, 30)


def test_mid_autumn_holiday_is_skipped() -> None:
    # Thu 24 Sep 17:00 + 1 h: 0.5 h Thursday, 25–27 Sep off, 0.5 h Monday 28 Sep.
    assert cal.add(at(2026, 9, 24, 17), H) == at(2026, 9, 28, 9)


def test_starts_outside_working_hours() -> None:
    assert cal.add(at(2026, 11, 21, 10), H) == at(2026, 11, 23, 9, 30)  # a Saturday
    assert cal.add(at(2026, 11, 24, 22), H) == at(2026, 11, 25, 9, 30)  # at night
    assert cal.add(at(2026, 11, 25, 6), H) == at(2026, 11, 25, 9, 30)  # before work
    assert cal.add(at(2026, 11, 24, 12, 30), H) == at(2026, 11, 24, 14, 30)  # lunch
    assert cal.add(at(2026, 11, 24, 11, 30), H) == at(2026, 11, 24, 14)  # across lunch
    assert cal.add(at(2026, 11, 24, 12), H) == at(2026, 11, 24, 14, 30)  # 12:00 is lunch


def test_a_period_ends_where_the_duration_runs_out() -> None:
    # Exactly the working left today: 17:30 today, not 08:30 tomorrow.
    assert cal.add(at(2026, 11, 24, 16), 1.5 * H) == at(2026, 11, 24, 17, 30)
    assert cal.add(at(2026, 11, 24, 8, 30), DAY) == at(2026, 11, 24, 17, 30)
    assert cal.add(at(2026, 11, 24, 16), 1.5 * H + timedelta(seconds=1)) == datetime(
        2026, 11, 25, 8, 30, 1, tzinfo=CST
    )


def test_several_days_and_thirty_working_days() -> None:
    # Tue 24 Nov 10:00 + 20 h: 6 h Tuesday, 7.5 h Wednesday, 6.5 h on Thu → 16:30.
    assert cal.add(at(2026, 11, 24, 10), 20 * H) == at(2026, 11, 26, 16, 30)
    # From Mon 2 Nov: six plain weeks, the 30th working day is Fri 11 Dec.
    assert cal.add(at(2026, 11, 2, 8, 30), 30 * DAY) == at(2026, 12, 11, 17, 30)
    assert cal.between(at(2026, 11, 2), at(2026, 12, 12)) == 30 * DAY
    # From Mon 14 Sep, across both holidays and both make-up days: 14–18 Sep (5),
    # Sun 20 (6), 21–24 (10), 28–30 (13), 8–10 Oct (16), 12–16 (21), 19–23 (26),
    # and 26–29 Oct (30): the 30th working day is Thu 29 Oct.
    assert cal.add(at(2026, 9, 14, 8, 30), 30 * DAY) == at(2026, 10, 29, 17, 30)
    assert cal.between(at(2026, 9, 13), at(2026, 10, 30)) == 30 * DAY


def test_a_year_the_package_does_not_know_falls_back() -> None:
    # 1 Jan 2027 is a Friday and off whatever the State Council decides; 2–3 Jan are
    # Saturday and Sunday. Thu 31 Dec 16:00 + 8 h: 1.5 h, then 6.5 h on Mon 4 Jan.
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.add(at(2026, 12, 31, 16), 8 * H) == at(2027, 1, 4, 16, 30)
    # 2028: Mon 1 and Tue 2 May off by law, Wed 3 May worked (its 调休 is unknown yet);
    # Mon 2 and Tue 3 Oct off, Wed 4 Oct worked.
    assert [cal.is_working_day(date(2028, 5, d)) for d in (1, 2, 3)] == [False, False, True]
    assert [cal.is_working_day(date(2028, 10, d)) for d in (2, 3, 4)] == [False, False, True]


def test_district_overrides_win() -> None:
    custom = WorkCalendar(
        overrides={
            date(2026, 11, 22): True,  # a Sunday worked
            date(2026, 11, 23): False,  # a Monday off
            date(2026, 10, 5): True,  # a National Day holiday worked
            date(2027, 1, 1): True,  # even the fallback's fixed holiday
        }
    )
    assert custom.add(at(2026, 11, 21, 17), H) == at(2026, 11, 22, 9, 30)
    # 0.5 h on the Sunday, Monday off, 7 h on Tuesday.
    assert custom.add(at(2026, 11, 22, 17), DAY) == at(2026, 11, 24, 17)
    assert custom.add(at(2026, 9, 30, 16), 4 * H) == at(2026, 10, 5, 11)
    assert custom.is_working_day(date(2027, 1, 1))
    assert cal.add(at(2026, 11, 21, 17), H) == at(2026, 11, 23, 9, 30)  # others unaffected


def test_zero_duration_and_emergencies() -> None:
    start = at(2026, 10, 1, 3)  # a holiday, at night
    assert cal.add(start, timedelta(0)) == start
    assert deadline(start, 4 * H, working_time=False, calendar=cal) == at(2026, 10, 1, 7)
    # In working time: 3.5 h on the morning of 8 Oct, 0.5 h after lunch.
    assert deadline(start, 4 * H, working_time=True, calendar=cal) == at(2026, 10, 8, 14)
    with pytest.raises(ValueError, match="negative"):
        cal.add(start, -H)


def test_time_zones() -> None:
    utc = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    result = cal.add(utc, H)
    assert result == at(2026, 11, 24, 10)
    assert result.tzinfo == CST and result.hour == 10
    assert cal.between(utc, at(2026, 11, 24, 10)) == H
    assert cal.add(at(2026, 11, 24, 9), timedelta(0)).tzinfo == CST
    for refused in (
        lambda: cal.add(datetime(2026, 11, 24, 9), H),
        lambda: cal.between(datetime(2026, 11, 24, 9), at(2026, 11, 24, 10)),
        lambda: cal.next_working_instant(datetime(2026, 11, 24, 9)),
        lambda: deadline(datetime(2026, 11, 24, 9), H, working_time=False, calendar=cal),
    ):
        with pytest.raises(ValueError, match="aware"):
            refused()


def test_daylight_saving_time_counts_real_hours() -> None:
    # Berlin springs forward on Sun 29 Mar 2026, 02:00 → 03:00: 01:00–04:00 lasts 2 h.
    night = WorkCalendar(
        WorkingHours.parse("01:00-04:00"), BERLIN, overrides={date(2026, 3, 29): True}
    )
    assert night.between(at(2026, 3, 29, 0, tz=BERLIN), at(2026, 3, 29, 5, tz=BERLIN)) == 2 * H
    assert night.add(at(2026, 3, 29, 1, tz=BERLIN), 2 * H) == at(2026, 3, 29, 4, tz=BERLIN)
    round_the_clock = deadline(
        at(2026, 3, 29, 1, tz=BERLIN), 2 * H, working_time=False, calendar=night
    )
    assert round_the_clock == at(2026, 3, 29, 4, tz=BERLIN)


def test_next_working_instant() -> None:
    assert cal.next_working_instant(at(2026, 11, 24, 9)) == at(2026, 11, 24, 9)
    assert cal.next_working_instant(at(2026, 11, 24, 12)) == at(2026, 11, 24, 13, 30)
    assert cal.next_working_instant(at(2026, 11, 24, 20)) == at(2026, 11, 25, 8, 30)
    assert cal.next_working_instant(at(2026, 10, 3, 10)) == at(2026, 10, 8, 8, 30)


def test_a_calendar_without_working_days_is_refused() -> None:
    days = (date(2026, 1, 1) + timedelta(days=i) for i in range(4 * 366))
    idle = WorkCalendar(overrides=dict.fromkeys(days, False))
    with pytest.raises(ValueError, match="no working day"):
        idle.add(at(2026, 1, 1), H)
    with pytest.raises(ValueError, match="no working day"):
        idle.next_working_instant(at(2026, 1, 1))
    assert idle.between(at(2026, 1, 1), at(2026, 12, 31)) == timedelta(0)


def test_working_hours_parse() -> None:
    assert WorkingHours.parse("08:30-12:00,,13:30-17:30,") == WorkingHours()
    hours = WorkingHours.parse(" 9:00-12:00 , 13:00-18:00 ")
    assert hours.periods == ((time(9), time(12)), (time(13), time(18)))
    assert hours.day_length == 8 * H
    assert str(hours) == "09:00-12:00,13:00-18:00"
    assert WorkingHours.parse(str(WorkingHours())) == WorkingHours()
    assert WorkCalendar(hours).add(at(2026, 11, 24, 9), 8 * H) == at(2026, 11, 24, 18)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no working period"),
        (" , ", "no working period"),
        ("08:30-12:00,13:30", "HH:MM-HH:MM"),
        ("08:30-12:00-13:00", "HH:MM-HH:MM"),
        ("12:00-08:30", "does not start before it ends"),
        ("08:30-08:30", "does not start before it ends"),
        ("08:30-12:00,11:00-17:00", "overlaps"),
        ("13:30-17:30,08:30-12:00", "overlaps or comes before"),
        ("nine-five", "not a time of day"),
        ("08:30-25:00", "not a time of day"),
    ],
)
def test_working_hours_refuse_nonsense(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        WorkingHours.parse(text)


def test_working_hours_are_checked_when_built_directly() -> None:
    with pytest.raises(ValueError, match="at least one"):
        WorkingHours(())
    with pytest.raises(ValueError, match="overlaps"):
        WorkingHours(((time(8), time(12)), (time(11), time(17))))


def inside_working_time(calendar: WorkCalendar, t: datetime) -> bool:
    """``t`` lies in some working period ``(start, end]`` (a deadline may fall at 17:30)."""
    local = t.astimezone(calendar.tz)
    if not calendar.is_working_day(local.date()):
        return False
    wall = local.time()
    return any(start < wall <= end for start, end in calendar.hours.periods)


starts = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2026, 12, 31, 23, 59),
    timezones=st.sampled_from([CST, UTC, ZoneInfo("America/New_York")]),
    allow_imaginary=False,  # a wall time skipped by DST is no instant at all
)
durations = st.timedeltas(min_value=timedelta(0), max_value=40 * H)


@settings(max_examples=300, deadline=None)
@given(start=starts, d1=durations, d2=durations)
def test_add_and_between_agree(start: datetime, d1: timedelta, d2: timedelta) -> None:
    end = cal.add(start, d1)
    assert end.tzinfo == CST
    assert cal.between(start, end) == d1
    if d1 == timedelta(0):
        assert end == start
    else:
        assert end > start
        assert inside_working_time(cal, end)
    low, high = sorted((d1, d2))
    assert cal.add(start, low) <= cal.add(start, high)
    assert (cal.add(start, d2) == end) == (d2 == d1)
    if d1 > timedelta(0):  # a deadline can be extended from where it fell
        assert cal.add(end, d2) == cal.add(start, d1 + d2)


def test_the_fallback_keeps_every_fixed_holiday_in_a_year_they_fall_on_weekdays() -> None:
    """2028's National Day starts on a Sunday, so a fallback that forgot 1 October would
    pass a check there. In 2029 all six fixed holidays fall on weekdays: New Year's Day
    on a Monday, Labour Day on Tuesday and Wednesday, National Day Monday to Wednesday."""
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2029, 10, 1))  # still the fallback's year
    fresh = WorkCalendar()
    off = [date(2029, 1, 1), date(2029, 5, 1), date(2029, 5, 2)]
    off += [date(2029, 10, d) for d in (1, 2, 3)]
    assert [fresh.is_working_day(d) for d in off] == [False] * 6
    # The weekdays around them are worked (their 调休 is not known yet), weekends not.
    worked = [date(2029, 1, 2), date(2029, 4, 30), date(2029, 5, 3), date(2029, 9, 28)]
    worked += [date(2029, 10, 4), date(2029, 10, 5)]
    assert all(fresh.is_working_day(d) for d in worked)
    assert not fresh.is_working_day(date(2029, 10, 6))  # a Saturday
    # Fri 28 Sep 17:00 + 1 h: 0.5 h on Friday, the weekend and 1-3 Oct off, 0.5 h Thursday.
    assert fresh.add(at(2029, 9, 28, 17), H) == at(2029, 10, 4, 9)
    assert fresh.between(at(2029, 9, 28), at(2029, 10, 5)) == 2 * DAY
    assert fresh.next_working_instant(at(2029, 9, 30, 10)) == at(2029, 10, 4, 8, 30)
    # New Year's Eve 2028 is a Sunday: Friday 29 Dec 17:00 + 1 h lands on Tue 2 Jan 2029.
    assert fresh.add(at(2028, 12, 29, 17), H) == at(2029, 1, 2, 9)
    # In 2034, as in 2028, National Day starts on a Sunday: the fallback gives no day back
    # for it (that is the State Council's to publish), so Wednesday 4 October is worked.
    assert [fresh.is_working_day(date(2034, 10, d)) for d in range(1, 6)] == [
        False,
        False,
        False,
        True,
        True,
    ]


# A calendar where only the given days (offsets from 2029-01-01) are worked, for the
# "no working day in three years" limit: 3 × 366 = 1,098 days off in a row are allowed.
def worked_only(*offsets: int) -> WorkCalendar:
    first = date(2029, 1, 1)
    return WorkCalendar(overrides={first + timedelta(days=i): i in offsets for i in range(1200)})


def on(offset: int, h: int, mi: int = 0) -> datetime:
    d = date(2029, 1, 1) + timedelta(days=offset)
    return datetime.combine(d, time(h, mi), tzinfo=CST)


def test_the_limit_of_days_without_work_is_exact() -> None:
    # Starting on a day off: 1,098 days off, then work, is fine; 1,099 is not.
    assert worked_only(1098).add(on(0, 10), H) == on(1098, 9, 30)
    assert worked_only(1098).next_working_instant(on(0, 10)) == on(1098, 8, 30)
    with pytest.raises(ValueError, match="no working day"):
        worked_only(1099).add(on(0, 10), H)
    with pytest.raises(ValueError, match="no working day"):
        worked_only(1099).next_working_instant(on(0, 10))
    # The count starts again after a worked day, whole (skipped in one step) or partial.
    assert worked_only(0, 1099).add(on(0, 8), DAY + H) == on(1099, 9, 30)
    with pytest.raises(ValueError, match="no working day"):
        worked_only(0, 1100).add(on(0, 8), DAY + H)
    assert worked_only(0, 1099).add(on(0, 14), DAY) == on(1099, 14)
    with pytest.raises(ValueError, match="no working day"):
        worked_only(0, 1100).add(on(0, 14), DAY)


def test_day_length_of_periods_that_start_early() -> None:
    assert WorkingHours.parse("01:00-04:00").day_length == 3 * H
    assert WorkingHours.parse("06:00-18:00,19:00-20:00").day_length == 13 * H


def test_round_the_clock_deadlines_refuse_negative_durations_only() -> None:
    start = at(2026, 10, 1, 3)
    assert deadline(start, timedelta(0), working_time=False, calendar=cal) == start
    with pytest.raises(ValueError, match="negative"):
        deadline(start, -timedelta(seconds=1), working_time=False, calendar=cal)


class NoOffset(tzinfo):
    """A zone that does not know its offset: as good as none."""

    def utcoffset(self, dt: datetime | None) -> None:
        return None

    def dst(self, dt: datetime | None) -> None:
        return None


def test_a_zone_without_an_offset_is_refused() -> None:
    vague = datetime(2026, 11, 24, 9, tzinfo=NoOffset())
    with pytest.raises(ValueError, match="aware"):
        cal.add(vague, H)


def test_working_hours_are_wall_clock_and_frozen() -> None:
    for period in ((time(8, tzinfo=UTC), time(12)), (time(8), time(12, tzinfo=UTC))):
        with pytest.raises(ValueError, match="wall-clock"):
            WorkingHours((period,))
    hours = WorkingHours()
    with pytest.raises(dataclasses.FrozenInstanceError):
        hours.periods = ()  # type: ignore[misc]
    assert len({hours, WorkingHours.parse("08:30-12:00,13:30-17:30")}) == 1


def test_a_period_moved_by_spring_daylight_saving_counts_no_instant_twice() -> None:
    # Berlin, Sun 29 Mar 2026: 02:10-02:50 does not exist on the wall clock and lands
    # inside the next period (03:00-04:00): the two may not both be counted.
    hours = WorkingHours.parse("00:00-01:00,02:10-02:50,03:00-04:00")
    spring = WorkCalendar(hours, BERLIN, overrides={date(2026, 3, 29): True})
    day = spring.between(at(2026, 3, 29, 0, tz=BERLIN), at(2026, 3, 30, 0, tz=BERLIN))
    assert H + 40 * timedelta(minutes=1) <= day <= 2 * H  # 01:00-04:00 is 2 real hours
    assert spring.add(at(2026, 3, 29, 0, tz=BERLIN), day) == at(2026, 3, 29, 4, tz=BERLIN)
    # 03:00-03:30 falls wholly inside the moved 02:10-02:50: it adds nothing, and takes
    # nothing away either.
    folded = WorkingHours.parse("00:00-01:00,02:10-02:50,03:00-03:30")
    spring = WorkCalendar(folded, BERLIN, overrides={date(2026, 3, 29): True})
    day = spring.between(at(2026, 3, 29, 0, tz=BERLIN), at(2026, 3, 30, 0, tz=BERLIN))
    assert day == H + 40 * timedelta(minutes=1)


def test_a_period_that_spring_daylight_saving_removes_is_no_working_time() -> None:
    # Berlin, Sun 29 Mar 2026: 02:00-03:00 is skipped by the clocks, so the day has no
    # working time at all; the next is Monday's 02:00.
    night = WorkCalendar(WorkingHours.parse("02:00-03:00"), BERLIN)
    sunday, monday = at(2026, 3, 29, 0, tz=BERLIN), at(2026, 3, 30, 0, tz=BERLIN)
    assert night.is_working_day(date(2026, 3, 29)) is False  # a Sunday anyway: override it
    night = WorkCalendar(night.hours, BERLIN, overrides={date(2026, 3, 29): True})
    assert night.between(sunday, monday) == timedelta(0)
    assert night.next_working_instant(sunday) == at(2026, 3, 30, 2, tz=BERLIN)
    minute = timedelta(minutes=1)
    assert night.add(sunday, minute) == at(2026, 3, 30, 2, 1, tz=BERLIN)


def test_periods_may_touch() -> None:
    hours = WorkingHours.parse("08:30-12:00,12:00-13:00")
    assert hours.day_length == 4.5 * H
    assert WorkCalendar(hours).add(at(2026, 11, 24, 11), 1.5 * H) == at(2026, 11, 24, 12, 30)


def test_a_deadline_names_how_it_is_counted() -> None:
    start = at(2026, 11, 24, 9)
    # Whether it is working time, and on which calendar, is always said by name.
    with pytest.raises(TypeError):
        deadline(start, H, False, cal)  # type: ignore[misc]
    assert deadline(start=start, duration=H, working_time=True, calendar=cal) == at(
        2026, 11, 24, 10
    )

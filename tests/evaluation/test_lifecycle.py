"""The definitions on cases that lived through the real transitions: on time or late,
reopened, unreachable at follow-up, escalated, fixed on the spot, rejected, merged."""

from __future__ import annotations

from datetime import datetime

import pytest

from civicgrid.cases import actions, clock
from civicgrid.cases.deadlines import clear_calendar
from civicgrid.cases.models import CalendarDay, Case, Urgency
from civicgrid.evaluation import indicators as ind
from civicgrid.evaluation.selection import selection_for
from tests.cases.conftest import Staff
from tests.evaluation.conftest import local
from tests.factories import submit

# Friday 7 March 2025, 17:00: half an hour of work left that day; Monday the 10th works.
FRIDAY_EVENING = local(2025, 3, 7, 17)
MONDAY = local(2025, 3, 10)


def at(when: datetime, function, case: Case, **kwargs) -> Case:  # type: ignore[no-untyped-def]
    with clock.at(when):
        return function(case, **kwargs)


def dispatched(staff: Staff, when: datetime, kind: str = "minor", **fields) -> Case:  # type: ignore[no-untyped-def]
    with clock.at(when):
        case = submit(staff.tree, **fields)
        case = actions.triage_case(
            case,
            actor=staff.district_dispatcher,
            category=staff.categories[kind],
            urgency=Urgency.NORMAL,
        )
        return actions.dispatch_case(case, actor=staff.district_dispatcher)


def resolved(staff: Staff, case: Case, acknowledged: datetime, done: datetime) -> Case:
    case = at(acknowledged, actions.acknowledge_case, case, actor=staff.community_handler)
    case = at(done, actions.resolve_case, case, actor=staff.community_handler, reply="已清理完毕")
    return at(done, actions.verify_case, case, actor=staff.grid_worker, passed=True)


def march(staff: Staff, unit: str | None = None) -> ind.Table:
    selection = selection_for(staff.leader, period="2025-03", unit=unit)
    return ind.by_unit(selection, at=local(2025, 4, 1))


def figure(table: ind.Table, row: str, key: str) -> ind.Figure:
    figures = table.total if row == "total" else next(r for r in table.rows if r.key == row).figures
    return figures[key]


def test_a_case_on_time_from_friday_evening_to_monday_morning(staff: Staff) -> None:
    case = dispatched(staff, FRIDAY_EVENING)
    assert case.owner_unit == staff.tree.communities[0]
    case = resolved(staff, case, MONDAY.replace(hour=9), MONDAY.replace(hour=11))
    case = at(
        MONDAY.replace(hour=15),
        actions.follow_up_case,
        case,
        actor=staff.district_dispatcher,
        reached=True,
    )
    at(
        MONDAY.replace(hour=15),
        actions.rate_case,
        case,
        actor=staff.district_dispatcher,
        rating=5,
        solved=True,
    )
    table = march(staff, "D01")
    row = "D01001"
    for key in ("response", "solved", "satisfaction", "on_time"):
        assert figure(table, row, key) == ind.Figure(ind.RATE, 1, 1), key
    assert figure(table, row, "reopen") == ind.Figure(ind.RATE, 0, 1)
    assert figure(table, row, "unreachable") == ind.Figure(ind.RATE, 0, 1)
    # Friday 17:00–17:30 and Monday 8:30–9:00: one working hour to acknowledge; to
    # 11:00, three (the weekend does not count).
    assert figure(table, row, "acknowledge_hours").value == pytest.approx(1.0)
    assert figure(table, row, "resolve_hours").value == pytest.approx(3.0)

    # The district declares that Monday a day off: the hours follow the calendar.
    CalendarDay.objects.create(date=MONDAY.date(), working=False, note="测试调休")
    clear_calendar()
    assert figure(march(staff, "D01"), row, "acknowledge_hours").value == pytest.approx(0.5)


def test_late_reopened_and_unreachable_cases(staff: Staff) -> None:
    # Acknowledged after its two working hours: due, not in time.
    late = dispatched(staff, local(2025, 3, 11, 9))
    late = resolved(staff, late, local(2025, 3, 11, 14), local(2025, 3, 11, 16))
    # The resident says it is not solved: reopened, back in handling.
    late = at(
        local(2025, 3, 12, 9),
        actions.follow_up_case,
        late,
        actor=staff.district_dispatcher,
        reached=True,
    )
    late = at(
        local(2025, 3, 12, 9),
        actions.rate_case,
        late,
        actor=staff.district_dispatcher,
        rating=2,
        solved=False,
    )
    assert late.state == "handling" and late.reopens == 1
    # Not reached by any of the calls the district allows: closed as unreachable.
    quiet = dispatched(staff, local(2025, 3, 11, 9), title="路灯不亮")
    quiet = resolved(staff, quiet, local(2025, 3, 11, 9, 30), local(2025, 3, 11, 10))
    for day in (12, 13, 14):  # the district's three calls, none answered: closed
        quiet = at(
            local(2025, 3, day, 9),
            actions.follow_up_case,
            quiet,
            actor=staff.district_dispatcher,
            reached=False,
        )
    assert quiet.state == "closed" and quiet.unreachable

    table = march(staff, "D01")
    row = "D01001"
    assert figure(table, row, "response") == ind.Figure(ind.RATE, 1, 2)
    # The reopened case is unresolved again, and its resolve deadline (40 working hours
    # from dispatch) has passed by April: due, and late.
    assert figure(table, row, "on_time") == ind.Figure(ind.RATE, 1, 2)
    # Seen on the 12th, when it was still within its deadline: pending, not counted.
    early = ind.by_unit(
        selection_for(staff.leader, period="2025-03", unit="D01"), local(2025, 3, 12, 10)
    )
    assert figure(early, row, "on_time") == ind.Figure(ind.RATE, 1, 1)
    assert figure(table, row, "reopen") == ind.Figure(ind.RATE, 1, 2)
    # The resident's word: one "not solved"; the unreachable resident gave none.
    assert figure(table, row, "solved") == ind.Figure(ind.RATE, 0, 1)
    assert figure(table, row, "unreachable") == ind.Figure(ind.RATE, 1, 2)
    assert figure(table, row, "satisfaction") == ind.Figure(ind.RATE, 0, 1)
    # Only the case resolved and not reopened since counts for the time to resolve.
    assert figure(table, row, "resolve_hours").denominator == 1
    _subject, rows = ind.behind(
        selection_for(staff.leader, period="2025-03", unit="D01001"), "unreachable", "numerator"
    )
    assert list(rows.values_list("tracking_code", flat=True)) == [quiet.tracking_code]


def test_an_escalated_case_counts_to_the_street_that_took_it(staff: Staff) -> None:
    case = dispatched(staff, local(2025, 3, 11, 9))
    case = at(
        local(2025, 3, 11, 9, 30),
        actions.escalate_case,
        case,
        actor=staff.community_handler,
        reason="需街道协调",
    )
    at(local(2025, 3, 11, 10), actions.acknowledge_case, case, actor=staff.street_dispatcher)
    table = march(staff, "D01")
    assert figure(table, "D01:own", "response") == ind.Figure(ind.RATE, 1, 1)
    assert figure(table, "D01001", "response") == ind.Figure(ind.RATE, 0, 0)
    # The district's table: street 1 carries it, street 2 does not.
    district = march(staff)
    assert figure(district, "D01", "response") == ind.Figure(ind.RATE, 1, 1)
    assert figure(district, "D02", "response") == ind.Figure(ind.RATE, 0, 0)


def test_fixed_on_the_spot_rejected_and_merged(staff: Staff) -> None:
    with clock.at(local(2025, 3, 11, 9)):
        fixed = submit(staff.tree, staff.categories["micro"], channel="patrol")
        actions.fix_on_the_spot(fixed, actor=staff.grid_worker, reply="已当场清理")
        kept = submit(staff.tree, title="噪声扰民")
        duplicate = submit(staff.tree, title="噪声扰民（重复）")
        actions.merge_case(
            duplicate, actor=staff.district_dispatcher, into=kept.tracking_code, note="同一诉求"
        )
        invalid = submit(staff.tree, title="咨询彩票中奖")
        actions.reject_case(invalid, actor=staff.district_dispatcher, reason="不属于受理范围")
    table = march(staff)
    # The grid's own fix: acknowledged and resolved at once, without deadlines.
    assert figure(table, "total", "response") == ind.Figure(ind.RATE, 1, 1)
    assert figure(table, "total", "on_time") == ind.Figure(ind.RATE, 1, 1)
    assert figure(table, "total", "acknowledge_hours") == ind.Figure(ind.HOURS, 0, 1)
    assert table.total.cases == 2  # the fix and the case kept (still to triage)
    assert table.total.excluded == {"rejected": 1, "merged": 1, "appeal_upheld": 0}
    channels = ind.by_channel(selection_for(staff.leader, period="2025-03"), local(2025, 4, 1))
    patrol = next(r for r in channels.rows if r.key == "patrol")
    assert patrol.figures.cases == 1

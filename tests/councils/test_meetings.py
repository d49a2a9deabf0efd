"""A council's meetings and follow-up items: who may run them, what each change logs,
refusals in order (403 before 409) with nothing written, and an item turned into a case
of the normal loop, shown done when the case is closed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from civicgrid.cases.models import Case, Channel
from civicgrid.cases.models import State as CaseState
from civicgrid.councils import actions, meetings
from civicgrid.councils.models import (
    ActionItem,
    Attendance,
    CouncilAction,
    CouncilEvent,
    Decision,
    Meeting,
)
from civicgrid.councils.work_models import HowRecorded, ItemState, MeetingState, Presence
from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.org.models import Role
from tests.councils.loop import make_loop
from tests.factories import CouncilFixture, TreeFixture, make_council, make_member

pytestmark = pytest.mark.django_db

WHEN = timezone.make_aware(datetime(2026, 11, 20, 14, 30))


def last_action(fixture: CouncilFixture) -> str:
    event = fixture.council.events.order_by("seq").last()
    assert event is not None
    return event.action


def written() -> tuple[int, ...]:
    return (
        Meeting.objects.count(),
        Attendance.objects.count(),
        Decision.objects.count(),
        ActionItem.objects.count(),
        CouncilEvent.objects.count(),
        Case.objects.count(),
    )


def held(council: CouncilFixture) -> Meeting:
    secretary = council.user(council.secretary)
    meeting = meetings.plan_meeting(
        council.council,
        actor=secretary,
        title="十一月理事会议",
        starts_at=WHEN,
        place="商会会议室",
        agenda="一、门前停车秩序\n二、夜间噪声",
    )
    return meetings.hold_meeting(meeting, actor=secretary)


def test_a_meeting_planned_held_and_closed_by_its_minutes(council: CouncilFixture) -> None:
    meeting = held(council)
    secretary = council.user(council.secretary)
    meetings.record_decision(meeting, actor=secretary, text="设立门前停车协管岗")
    second = meetings.record_decision(meeting, actor=secretary, text="夜间22点后禁止外放音响")
    assert second.number == 2
    closed = meetings.record_minutes(meeting, actor=secretary, minutes="到会五人，形成决议两项。")
    assert closed.state == MeetingState.CLOSED
    logged = list(council.council.events.order_by("seq").values_list("action", flat=True))
    assert logged[-5:] == [
        CouncilAction.PLAN_MEETING,
        CouncilAction.HOLD_MEETING,
        CouncilAction.RECORD_DECISION,
        CouncilAction.RECORD_DECISION,
        CouncilAction.RECORD_MINUTES,
    ]
    with pytest.raises(Conflict, match="已关闭"):
        meetings.record_decision(meeting, actor=secretary, text="会后补充")


def test_an_ordinary_member_may_not_run_a_meeting_and_nothing_is_written(
    council: CouncilFixture,
) -> None:
    member = council.user(council.members[0])
    before = written()
    with pytest.raises(Forbidden, match="理事长或秘书长"):
        meetings.plan_meeting(council.council, actor=member, title="私开会议", starts_at=WHEN)
    meeting = held(council)
    before = written()
    with pytest.raises(Forbidden):
        meetings.record_minutes(meeting, actor=member, minutes="我来写纪要")
    with pytest.raises(Forbidden):
        meetings.record_decision(meeting, actor=member, text="我说了算")
    assert written() == before


def test_refused_for_the_right_before_the_state(council: CouncilFixture) -> None:
    meeting = held(council)
    meetings.record_minutes(meeting, actor=council.user(council.chair), minutes="纪要")
    # closed (a 409 for an officer) is still a 403 for a member
    with pytest.raises(Forbidden):
        meetings.hold_meeting(meeting, actor=council.user(council.members[0]))
    with pytest.raises(Conflict):
        meetings.hold_meeting(meeting, actor=council.user(council.chair))


def test_staff_above_run_meetings_staff_elsewhere_may_not(
    tree: TreeFixture, council: CouncilFixture
) -> None:
    street = make_member(tree.streets[0], Role.HANDLER)
    meeting = meetings.plan_meeting(
        council.council, actor=street, title="联席会议", starts_at=WHEN, kind="joint"
    )
    assert meeting.kind == "joint"
    with pytest.raises(Forbidden):
        meetings.hold_meeting(meeting, actor=make_member(tree.streets[1], Role.HANDLER))


def test_bad_input_is_refused(council: CouncilFixture) -> None:
    secretary = council.user(council.secretary)
    before = written()
    with pytest.raises(Invalid, match="标题"):
        meetings.plan_meeting(council.council, actor=secretary, title=" ", starts_at=WHEN)
    with pytest.raises(Invalid):
        meetings.plan_meeting(
            council.council, actor=secretary, title="会", starts_at=WHEN, kind="x"
        )
    with pytest.raises(Invalid):
        meetings.plan_meeting(
            council.council, actor=secretary, title="会", starts_at=WHEN.replace(year=1066)
        )
    assert written() == before


def test_a_planned_meeting_is_changed_and_the_log_keeps_what_it_read(
    council: CouncilFixture,
) -> None:
    secretary, member = council.user(council.secretary), council.user(council.members[0])
    meeting = meetings.plan_meeting(
        council.council, actor=secretary, title="十二月理事会议", starts_at=WHEN, place="商会"
    )
    later = WHEN + timedelta(days=2, hours=1)
    before = written()
    with pytest.raises(Forbidden):  # an ordinary member
        meetings.change_meeting(meeting, actor=member, title="改", starts_at=later)
    with pytest.raises(Invalid):
        meetings.change_meeting(meeting, actor=secretary, title=" ", starts_at=later)
    with pytest.raises(Conflict, match="无需修改"):  # the same plan again
        meetings.change_meeting(
            meeting, actor=secretary, title="十二月理事会议", starts_at=WHEN, place="商会"
        )
    assert written() == before

    changed = meetings.change_meeting(
        meeting,
        actor=secretary,
        title="十二月理事会议（改期）",
        starts_at=later,
        place="商会",
        agenda="门前三包",
    )
    fresh = Meeting.objects.get(pk=meeting.pk)
    assert (fresh.title, fresh.starts_at, fresh.place, fresh.agenda) == (
        "十二月理事会议（改期）",
        later,
        "商会",
        "门前三包",
    )
    assert changed.state == MeetingState.PLANNED
    event = council.council.events.order_by("seq").last()
    assert event is not None and event.action == CouncilAction.CHANGE_MEETING
    was = event.data["before"]
    assert set(was) == {"title", "starts_at", "agenda"}  # the place did not change
    assert (was["title"], was["agenda"]) == ("十二月理事会议", "")
    assert datetime.fromisoformat(was["starts_at"]) == WHEN
    # A time to the second is kept to the minute, as the form shows it: the same plan.
    with pytest.raises(Conflict):
        meetings.change_meeting(
            meeting,
            actor=secretary,
            title="十二月理事会议（改期）",
            starts_at=later + timedelta(seconds=15),
            place="商会",
            agenda="门前三包",
        )
    # Held, or cancelled: no more changes (403 still before 409).
    meetings.hold_meeting(meeting, actor=secretary)
    with pytest.raises(Forbidden):
        meetings.change_meeting(meeting, actor=member, title="改", starts_at=later)
    with pytest.raises(Conflict):
        meetings.change_meeting(meeting, actor=secretary, title="再改", starts_at=later)


def test_a_member_confirms_their_own_attendance_only(council: CouncilFixture) -> None:
    meeting = held(council)
    first, second = council.members[0], council.members[1]
    row = meetings.confirm_attendance(meeting, first, actor=council.user(first))
    assert (row.presence, row.how) == (Presence.PRESENT, HowRecorded.PHONE)
    assert last_action(council) == CouncilAction.CONFIRM_ATTENDANCE
    before = written()
    with pytest.raises(Forbidden, match="本人"):
        meetings.confirm_attendance(meeting, second, actor=council.user(first))
    # not even the chair confirms for a member: the roll call is the chair's way
    with pytest.raises(Forbidden):
        meetings.confirm_attendance(meeting, second, actor=council.user(council.chair))
    with pytest.raises(Invalid):
        meetings.confirm_attendance(
            meeting, first, actor=council.user(first), presence=Presence.ABSENT
        )
    assert written() == before


def test_the_roll_call_marks_members_and_keeps_one_row_each(council: CouncilFixture) -> None:
    meeting = held(council)
    first = council.members[0]
    meetings.confirm_attendance(meeting, first, actor=council.user(first), presence="excused")
    meetings.take_roll(
        meeting,
        actor=council.user(council.secretary),
        presence={
            council.chair.pk: Presence.PRESENT,
            council.secretary.pk: Presence.PRESENT,
            first.pk: Presence.PRESENT,
            council.members[2].pk: Presence.ABSENT,
        },
    )
    rows = {a.member_id: (a.presence, a.how) for a in meeting.attendance.all()}
    assert rows[first.pk] == (Presence.PRESENT, HowRecorded.ROLL_CALL)
    assert rows[council.members[2].pk] == (Presence.ABSENT, HowRecorded.ROLL_CALL)
    assert len(rows) == 4
    event = council.council.events.order_by("seq").last()
    assert event is not None and event.data["absent"] == [council.members[2].pk]


def test_the_roll_call_takes_only_this_councils_active_members(
    tree: TreeFixture, council: CouncilFixture
) -> None:
    other = make_council(tree.communities[1])
    meeting = held(council)
    before = written()
    with pytest.raises(Invalid, match="本理事会"):
        meetings.take_roll(
            meeting,
            actor=council.user(council.secretary),
            presence={other.members[0].pk: Presence.PRESENT},
        )
    assert written() == before


def test_items_have_one_owner_of_the_council_and_a_due_date(
    tree: TreeFixture, council: CouncilFixture
) -> None:
    meeting = held(council)
    chair = council.user(council.chair)
    group = actions.form_group(council.council, actor=chair, name="停车专班")
    by_group = meetings.add_item(
        meeting,
        actor=chair,
        text="划定临时停车位",
        due_on=date(2026, 12, 1),
        owner_group_id=group.pk,
    )
    assert by_group.owner_name == "停车专班" and by_group.state == ItemState.OPEN
    other = make_council(tree.communities[1])
    before = written()
    with pytest.raises(Invalid, match="本理事会"):
        meetings.add_item(
            meeting,
            actor=chair,
            text="别的会的人",
            due_on=date(2026, 12, 1),
            owner_member_id=other.members[0].pk,
        )
    with pytest.raises(Invalid):
        meetings.add_item(meeting, actor=chair, text="无人负责", due_on=date(2026, 12, 1))
    with pytest.raises(Invalid):
        meetings.add_item(
            meeting, actor=chair, text="无期限", due_on=None, owner_member_id=council.chair.pk
        )  # type: ignore[arg-type]
    assert written() == before


def test_an_item_is_done_by_its_owner_not_by_another_member(council: CouncilFixture) -> None:
    meeting = held(council)
    owner, other = council.members[0], council.members[1]
    item = meetings.add_item(
        meeting,
        actor=council.user(council.secretary),
        text="清理门前堆物",
        due_on=date(2026, 11, 30),
        owner_member_id=owner.pk,
    )
    with pytest.raises(Forbidden):
        meetings.finish_item(item, actor=council.user(other))
    done = meetings.finish_item(item, actor=council.user(owner), outcome="已清理")
    assert done.state == ItemState.DONE and done.shown_state == ItemState.DONE
    with pytest.raises(Conflict, match="不再"):
        meetings.drop_item(item, actor=council.user(council.chair), reason="重复")


def test_an_item_becomes_a_case_and_shows_done_when_the_case_is_closed(
    tree: TreeFixture, council: CouncilFixture
) -> None:
    loop = make_loop(tree)
    meeting = held(council)
    item = meetings.add_item(
        meeting,
        actor=council.user(council.secretary),
        text="路口信号灯配时过短，需交警调整",
        due_on=date(2026, 12, 10),
        owner_member_id=council.members[0].pk,
    )
    case = meetings.item_to_case(item, actor=council.user(council.chair))
    assert case.channel == Channel.COUNCIL and case.state == CaseState.SUBMITTED
    assert council.council.name in case.text and "路口信号灯" in case.title
    item.refresh_from_db()
    assert item.case == case and item.state == ItemState.IN_CASE
    assert item.shown_state == ItemState.IN_CASE and item.shown_label == "已转工单（已受理）"
    assert list(case.council_items.all()) == [item]  # linked both ways
    event = council.council.events.order_by("seq").last()
    assert event is not None and event.action == CouncilAction.ITEM_TO_CASE
    assert event.data["case"] == case.tracking_code
    assert event.actor == council.user(council.chair)

    # a second click is refused: the item is in its case now
    before = written()
    with pytest.raises(Conflict, match="已转为工单"):
        meetings.item_to_case(item, actor=council.user(council.chair))
    with pytest.raises(Conflict):
        meetings.finish_item(item, actor=council.user(council.chair))
    assert written() == before

    loop.close(case)
    item = ActionItem.objects.select_related("case").get(pk=item.pk)
    assert item.state == ItemState.IN_CASE  # the case's actions wrote nothing here
    assert item.shown_state == ItemState.DONE and item.shown_label == "已完成"
    assert not ActionItem.objects.filter(pk=item.pk).unfinished().exists()


def test_a_member_may_not_turn_an_item_into_a_case(council: CouncilFixture) -> None:
    meeting = held(council)
    item = meetings.add_item(
        meeting,
        actor=council.user(council.secretary),
        text="修缮公厕",
        due_on=date(2026, 12, 10),
        owner_member_id=council.members[0].pk,
    )
    before = written()
    with pytest.raises(Forbidden):
        meetings.item_to_case(item, actor=council.user(council.members[0]))
    assert written() == before
    assert ActionItem.objects.get(pk=item.pk).state == ItemState.OPEN


def test_items_wait_for_the_meeting_to_be_held(council: CouncilFixture) -> None:
    chair = council.user(council.chair)
    planned = meetings.plan_meeting(
        council.council, actor=chair, title="下周会议", starts_at=WHEN + timedelta(days=7)
    )
    with pytest.raises(Conflict, match="尚未召开"):
        meetings.add_item(
            planned,
            actor=chair,
            text="提前定的事",
            due_on=date(2026, 12, 1),
            owner_member_id=council.chair.pk,
        )
    meetings.cancel_meeting(planned, actor=chair, reason="与区里会议冲突")
    with pytest.raises(Conflict, match="取消"):
        meetings.hold_meeting(planned, actor=chair)

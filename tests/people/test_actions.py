"""The actions of people and rosters: what each writes (one event), who may make them,
and that a refusal leaves nothing behind (403 before 409)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.people import actions
from civicgrid.people.models import (
    CheckIn,
    Duty,
    DutyState,
    DutySwap,
    PeopleAction,
    PeopleEvent,
    Person,
    Roster,
    RosterState,
    SwapState,
)
from tests.people.conftest import IN_GRID0, IN_GRID1, PeopleFixture, published_week, this_monday

pytestmark = pytest.mark.django_db


def rows() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Roster.objects.count(),
        Duty.objects.count(),
        DutySwap.objects.count(),
        CheckIn.objects.count(),
        PeopleEvent.objects.count(),
    )


def logged(action: str) -> int:
    return PeopleEvent.objects.filter(action=action).count()


def test_staff_of_the_grid_register_a_serving_party_member(people: PeopleFixture) -> None:
    profile = actions.Profile(
        name="孙在职",
        phone="13700001111",
        home_grid=people.tree.grids[2],
        party_member=True,
        branch=people.branch,
        in_service=True,
        reports_to=people.tree.communities[0],
    )
    person = actions.add_person(profile, actor=people.handler)
    assert person.in_service and person.kinds == ["在职党员"]
    event = PeopleEvent.objects.get(action=PeopleAction.ADD_PERSON, person=person)
    assert event.actor == people.handler and event.unit == people.tree.grids[2]


def test_a_volunteer_may_not_register_people_and_nothing_is_written(people: PeopleFixture) -> None:
    before = rows()
    profile = actions.Profile(name="某人", home_grid=people.tree.grids[0], volunteer=True)
    with pytest.raises(Forbidden, match="只有该网格的工作人员"):
        actions.add_person(profile, actor=people.volunteer)
    assert rows() == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"volunteer": False}, "党员、干部还是志愿者"),
        ({"in_service": True}, "只有党员"),
        ({"party_member": True, "in_service": True}, "在职党员向社区或村报到"),
        ({"phone": "12345"}, "不是有效的中国大陆手机号"),
    ],
)
def test_a_profile_is_checked(people: PeopleFixture, fields: dict, message: str) -> None:  # type: ignore[type-arg]
    before = rows()
    profile = actions.Profile(
        **{"name": "某人", "home_grid": people.tree.grids[0], "volunteer": True, **fields}
    )
    with pytest.raises(Invalid, match=message):
        actions.add_person(profile, actor=people.handler)
    assert rows() == before


def test_a_week_is_made_planned_and_published_each_step_logged_once(
    people: PeopleFixture,
) -> None:
    roster, _mine, _theirs = published_week(people, actions.today())
    roster.refresh_from_db()
    assert roster.state == RosterState.PUBLISHED
    assert [logged(a) for a in ("make_roster", "plan_duty", "publish_roster")] == [1, 2, 1]
    assert set(PeopleEvent.objects.filter(roster=roster).values_list("action", flat=True)) == {
        "make_roster",
        "plan_duty",
        "publish_roster",
    }


def test_a_roster_starts_on_a_monday_once_a_week_per_unit(people: PeopleFixture) -> None:
    monday = this_monday(actions.today())
    with pytest.raises(Invalid, match="周一"):
        actions.make_roster(
            actor=people.handler, unit=people.tree.grids[0], week=monday + timedelta(days=1)
        )
    actions.make_roster(actor=people.handler, unit=people.tree.grids[0], week=monday)
    before = rows()
    with pytest.raises(Conflict, match="已有该周的排班表"):
        actions.make_roster(actor=people.handler, unit=people.tree.grids[0], week=monday)
    assert rows() == before


def test_refused_for_the_right_before_the_state(people: PeopleFixture) -> None:
    roster, _mine, _theirs = published_week(people, actions.today())
    before = rows()
    # Already published (409 for staff), but a volunteer has no right at all: 403.
    with pytest.raises(Forbidden):
        actions.publish_roster(roster, actor=people.volunteer)
    with pytest.raises(Conflict, match="已经发布"):
        actions.publish_roster(roster, actor=people.handler)
    assert rows() == before


def test_an_empty_roster_is_not_published(people: PeopleFixture) -> None:
    roster = actions.make_roster(
        actor=people.handler, unit=people.tree.grids[0], week=this_monday(actions.today())
    )
    with pytest.raises(Conflict, match="没有值班"):
        actions.publish_roster(roster, actor=people.handler)


def test_a_duty_is_in_the_week_in_the_unit_and_not_twice_at_once(people: PeopleFixture) -> None:
    monday = this_monday(actions.today())
    roster = actions.make_roster(actor=people.handler, unit=people.tree.grids[0], week=monday)
    plan = {"actor": people.handler, "person": people.member, "starts": time(9), "ends": time(12)}
    with pytest.raises(Invalid, match="该周"):
        actions.plan_duty(roster, day=monday + timedelta(days=7), **plan)
    with pytest.raises(Invalid, match="排班单位"):
        actions.plan_duty(roster, day=monday, unit=people.tree.grids[1], **plan)
    actions.plan_duty(roster, day=monday, **plan)
    with pytest.raises(Conflict, match="已有值班"):
        actions.plan_duty(roster, day=monday, **{**plan, "starts": time(11), "ends": time(13)})
    assert Duty.objects.count() == 1


def test_the_person_checks_in_inside_the_grid(people: PeopleFixture) -> None:
    _roster, mine, _theirs = published_week(people, actions.today())
    check = actions.check_in(mine, actor=people.member_user, lon=IN_GRID0[0], lat=IN_GRID0[1])
    assert check.in_place and check.grid == people.tree.grids[0]
    mine.refresh_from_db()
    assert mine.state == DutyState.CHECKED_IN
    event = PeopleEvent.objects.get(action=PeopleAction.CHECK_IN)
    assert event.duty == mine and event.person == people.member and event.data["in_place"]
    actions.finish_duty(mine, actor=people.member_user)
    mine.refresh_from_db()
    assert mine.state == DutyState.DONE


def test_a_check_in_elsewhere_is_kept_and_flagged(people: PeopleFixture) -> None:
    _roster, mine, _theirs = published_week(people, actions.today())
    check = actions.check_in(mine, actor=people.member_user, lon=IN_GRID1[0], lat=IN_GRID1[1])
    assert not check.in_place and check.grid == people.tree.grids[1]


def test_only_the_person_on_duty_checks_in_and_a_refusal_writes_nothing(
    people: PeopleFixture,
) -> None:
    _roster, mine, theirs = published_week(people, actions.today())
    before = rows()
    with pytest.raises(Forbidden, match="只有值班人本人"):
        actions.check_in(theirs, actor=people.member_user, lon=IN_GRID0[0], lat=IN_GRID0[1])
    with pytest.raises(Forbidden):
        actions.check_in(mine, actor=people.handler, lon=IN_GRID0[0], lat=IN_GRID0[1])
    with pytest.raises(Invalid, match="需要您的位置"):
        actions.check_in(mine, actor=people.member_user, lon=None, lat=None)
    with pytest.raises(Invalid):
        actions.check_in(mine, actor=people.member_user, lon="东经", lat=30)
    assert rows() == before


def test_no_check_in_before_publishing_or_on_another_day(people: PeopleFixture) -> None:
    today = actions.today()
    roster = actions.make_roster(
        actor=people.handler, unit=people.tree.grids[0], week=this_monday(today)
    )
    duty = actions.plan_duty(
        roster, actor=people.handler, person=people.member, day=today, starts=time(9), ends=time(12)
    )
    with pytest.raises(Conflict, match="尚未发布"):
        actions.check_in(duty, actor=people.member_user, lon=IN_GRID0[0], lat=IN_GRID0[1])
    other = today + timedelta(days=1) if today.weekday() < 6 else today - timedelta(days=1)
    later = actions.plan_duty(
        roster, actor=people.handler, person=people.member, day=other, starts=time(9), ends=time(12)
    )
    actions.publish_roster(roster, actor=people.handler)
    with pytest.raises(Conflict, match="只能在值班当天"):
        actions.check_in(later, actor=people.member_user, lon=IN_GRID0[0], lat=IN_GRID0[1])


def test_an_absence_is_reported_with_a_reason_and_ends_the_duty(people: PeopleFixture) -> None:
    _roster, mine, _theirs = published_week(people, actions.today())
    with pytest.raises(Invalid, match="缺勤原因"):
        actions.report_absence(mine, actor=people.member_user, reason="  ")
    actions.report_absence(mine, actor=people.member_user, reason="孩子发烧")
    mine.refresh_from_db()
    assert mine.state == DutyState.ABSENT and mine.absence_reason == "孩子发烧"
    assert logged(PeopleAction.REPORT_ABSENCE) == 1
    with pytest.raises(Conflict):
        actions.check_in(mine, actor=people.member_user, lon=IN_GRID0[0], lat=IN_GRID0[1])


def test_a_swap_is_asked_by_the_person_and_decided_by_the_unit(people: PeopleFixture) -> None:
    day = actions.today()
    _roster, mine, _theirs = published_week(people, day)
    swap = actions.ask_swap(mine, actor=people.member_user, taker=people.other_grid, reason="出差")
    assert swap.state == SwapState.REQUESTED
    with pytest.raises(Conflict, match="等待审批"):
        actions.ask_swap(mine, actor=people.member_user, taker=people.other_grid)
    before = rows()
    with pytest.raises(Forbidden, match="排班单位的工作人员"):
        actions.decide_swap(swap, actor=people.volunteer, approve=True)
    assert rows() == before
    actions.decide_swap(swap, actor=people.handler, approve=True)
    mine.refresh_from_db()
    swap.refresh_from_db()
    assert mine.person == people.other_grid and swap.state == SwapState.APPROVED
    with pytest.raises(Conflict, match="已经审批"):
        actions.decide_swap(swap, actor=people.handler, approve=False)
    assert [logged(PeopleAction.ASK_SWAP), logged(PeopleAction.DECIDE_SWAP)] == [1, 1]


def test_a_swap_to_someone_already_on_duty_then_is_refused(people: PeopleFixture) -> None:
    _roster, mine, theirs = published_week(people, actions.today())
    Duty.objects.filter(pk=theirs.pk).update(starts=time(10), ends=time(11))
    swap = actions.ask_swap(mine, actor=people.member_user, taker=people.neighbour)
    with pytest.raises(Conflict, match="接班人在该时段已有值班"):
        actions.decide_swap(swap, actor=people.handler, approve=True)


def test_the_whole_phone_is_shown_with_a_reason_and_logged(people: PeopleFixture) -> None:
    with pytest.raises(Invalid, match="说明"):
        actions.reveal_phone(people.member, actor=people.handler, reason="")
    with pytest.raises(Forbidden, match="不需要"):
        actions.reveal_phone(people.member, actor=people.volunteer, reason="联系值班")
    assert logged(PeopleAction.REVEAL_PHONE) == 0
    phone = actions.reveal_phone(people.member, actor=people.handler, reason="联系值班")
    assert phone == "13912345678"
    event = PeopleEvent.objects.get(action=PeopleAction.REVEAL_PHONE)
    assert (event.actor, event.person, event.note) == (people.handler, people.member, "联系值班")


def test_posts_of_the_grid(people: PeopleFixture) -> None:
    with pytest.raises(Invalid, match="楼栋"):
        actions.assign_post(
            people.neighbour,
            actor=people.handler,
            grid=people.tree.grids[0],
            role="building_leader",
        )
    post = actions.assign_post(
        people.neighbour,
        actor=people.handler,
        grid=people.tree.grids[0],
        role="building_leader",
        building="3幢",
    )
    assert post.building == "3幢"
    with pytest.raises(Conflict):
        actions.assign_post(
            people.neighbour,
            actor=people.handler,
            grid=people.tree.grids[0],
            role="building_leader",
            building="3幢",
        )
    with pytest.raises(Forbidden):
        actions.assign_post(
            people.far, actor=people.handler, grid=people.tree.grids[4], role="grid_member"
        )

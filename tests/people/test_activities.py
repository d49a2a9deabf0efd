"""Activities and the public-welfare supermarket through their actions: sign-ups within
the capacity and the community, attendance crediting the ledger once, redemptions that
lower the stock and the points together or not at all; one event per change; and the
monthly recognition list."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

import pytest

from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.people import activities, ledger, recognition
from civicgrid.people.activity_models import (
    Activity,
    ActivityKind,
    ActivityState,
    Item,
    Redemption,
    Shop,
    SignUp,
    SignUpState,
)
from civicgrid.people.models import LedgerEntry, LedgerSource, PeopleAction, PeopleEvent
from tests.factories import UserFactory
from tests.people.conftest import PeopleFixture, person

pytestmark = pytest.mark.django_db


def planned(people: PeopleFixture, *, capacity: int = 10, days: int = 0, **fields) -> Activity:  # type: ignore[no-untyped-def]
    plan = activities.Plan(
        **{  # type: ignore[arg-type]
            "kind": ActivityKind.GREEN_ADOPTION,
            "title": "认领小区绿地",
            "day": activities.today() + timedelta(days=days),
            "starts": time(9),
            "ends": time(11),
            "capacity": capacity,
            "hours": "2",
            "points": 20,
            **fields,
        }
    )
    return activities.create_activity(plan, actor=people.handler, unit=people.tree.communities[0])


def shop_with(people: PeopleFixture, *, price: int = 15, stock: int = 2) -> Item:
    shop = activities.open_shop(
        actor=people.handler, unit=people.tree.communities[0], name="公益超市"
    )
    return activities.add_item(shop, actor=people.handler, name="洗衣液", price=price, stock=stock)


def earned(people: PeopleFixture, who, points: int) -> None:  # type: ignore[no-untyped-def]
    ledger.credit(who, source=LedgerSource.ACTIVITY, source_key="activity:999", points=points)


def test_a_person_signs_up_attends_and_earns_the_hours_and_points_once(
    people: PeopleFixture,
) -> None:
    activity = planned(people)
    mine = activities.sign_up(activity, actor=people.member_user, person=people.member)
    theirs = activities.sign_up(activity, actor=people.handler, person=people.neighbour)
    activities.record_attendance(mine, actor=people.handler, attended=True)
    activities.record_attendance(theirs, actor=people.handler, attended=False)
    assert ledger.totals(people.member) == ledger.Totals(hours=Decimal("2.0"), points=20)
    assert ledger.totals(people.neighbour).points == 0
    activity.refresh_from_db()
    assert activity.state == ActivityState.HELD
    with pytest.raises(Conflict):
        activities.record_attendance(mine, actor=people.handler, attended=True)
    assert LedgerEntry.objects.filter(person=people.member).count() == 1
    counts = {
        a: PeopleEvent.objects.filter(action=a).count()
        for a in (
            PeopleAction.CREATE_ACTIVITY,
            PeopleAction.SIGN_UP,
            PeopleAction.RECORD_ATTENDANCE,
        )
    }
    assert counts == {
        PeopleAction.CREATE_ACTIVITY: 1,
        PeopleAction.SIGN_UP: 2,
        PeopleAction.RECORD_ATTENDANCE: 2,
    }


def test_over_capacity_and_a_second_sign_up_are_refused(people: PeopleFixture) -> None:
    activity = planned(people, capacity=1)
    activities.sign_up(activity, actor=people.member_user, person=people.member)
    with pytest.raises(Conflict, match="已报名"):
        activities.sign_up(activity, actor=people.member_user, person=people.member)
    with pytest.raises(Conflict, match="名额已满"):
        activities.sign_up(activity, actor=people.handler, person=people.neighbour)
    assert SignUp.objects.count() == 1
    # A place given back can be taken.
    activities.cancel_sign_up(SignUp.objects.get(), actor=people.member_user)
    activities.sign_up(activity, actor=people.handler, person=people.neighbour)
    assert activity.sign_ups.filter(state=SignUpState.SIGNED).get().person == people.neighbour


def test_a_person_of_another_community_cannot_sign_up(people: PeopleFixture) -> None:
    activity = planned(people)
    with pytest.raises(Forbidden, match="本社区"):
        activities.sign_up(activity, actor=people.handler, person=people.far)
    # A person's own account may sign up only themselves.
    with pytest.raises(Forbidden):
        activities.sign_up(activity, actor=people.member_user, person=people.neighbour)
    assert not SignUp.objects.exists()
    assert not PeopleEvent.objects.filter(action=PeopleAction.SIGN_UP).exists()


def test_a_serving_party_member_signs_up_where_they_report(people: PeopleFixture) -> None:
    serving = person(
        people.tree.grids[4],
        "孙在职",
        party_member=True,
        in_service=True,
        reports_to=people.tree.communities[0],
    )
    activity = planned(people)
    activities.sign_up(activity, actor=people.handler, person=serving)
    assert activity.sign_ups.count() == 1


def test_only_community_staff_create_and_record(people: PeopleFixture) -> None:
    with pytest.raises(Forbidden):
        activities.create_activity(
            activities.Plan(
                kind=ActivityKind.CIVILITY,
                title="文明劝导",
                day=activities.today(),
                starts=time(8),
                ends=time(9),
                capacity=5,
                hours=1,
                points=5,
            ),
            actor=people.volunteer,
            unit=people.tree.communities[0],
        )
    activity = planned(people)
    mine = activities.sign_up(activity, actor=people.member_user, person=people.member)
    with pytest.raises(Forbidden):
        activities.record_attendance(mine, actor=people.member_user, attended=True)
    assert ledger.totals(people.member).points == 0


def test_attendance_waits_for_the_day_and_a_cancelled_activity_takes_none(
    people: PeopleFixture,
) -> None:
    later = planned(people, days=3)
    mine = activities.sign_up(later, actor=people.member_user, person=people.member)
    with pytest.raises(Conflict):
        activities.record_attendance(mine, actor=people.handler, attended=True)
    activities.cancel_activity(later, actor=people.handler, reason="天气原因")
    mine.refresh_from_db()
    assert mine.state == SignUpState.CANCELLED
    with pytest.raises(Conflict):
        activities.sign_up(later, actor=people.handler, person=people.neighbour)


@pytest.mark.parametrize(
    "fields",
    [{"hours": "30"}, {"hours": "1.25"}, {"capacity": 0}, {"kind": "party"}, {"title": " "}],
    ids=["hours", "tenths", "capacity", "kind", "title"],
)
def test_impossible_activities_are_refused(people: PeopleFixture, fields: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(Invalid):
        planned(people, **fields)
    assert not Activity.objects.exists()


def test_a_redemption_lowers_the_stock_and_the_points_together(people: PeopleFixture) -> None:
    item = shop_with(people, price=15, stock=2)
    earned(people, people.member, 40)
    made = activities.redeem(item, actor=people.handler, person=people.member, quantity=2)
    item.refresh_from_db()
    assert (item.stock, made.points, ledger.totals(people.member).points) == (0, 30, 10)
    line = LedgerEntry.objects.get(source_key=f"redemption:{made.pk}")
    assert (line.points, line.unit) == (-30, people.tree.communities[0])
    event = PeopleEvent.objects.get(action=PeopleAction.REDEEM)
    assert event.person == people.member and event.data["stock"] == 0


def test_out_of_stock_and_overspending_are_refused_and_change_nothing(
    people: PeopleFixture,
) -> None:
    item = shop_with(people, price=15, stock=1)
    earned(people, people.member, 20)
    with pytest.raises(Conflict, match="库存不足"):
        activities.redeem(item, actor=people.handler, person=people.member, quantity=2)
    earned(people, people.neighbour, 10)
    with pytest.raises(Conflict, match="积分不足"):
        activities.redeem(item, actor=people.handler, person=people.neighbour)
    item.refresh_from_db()
    assert item.stock == 1
    assert not Redemption.objects.exists()
    assert ledger.totals(people.neighbour).points == 10
    assert not PeopleEvent.objects.filter(action=PeopleAction.REDEEM).exists()


def test_only_staff_hand_out_goods_and_stock_the_shop(people: PeopleFixture) -> None:
    item = shop_with(people)
    earned(people, people.member, 40)
    with pytest.raises(Forbidden):
        activities.redeem(item, actor=people.member_user, person=people.member)
    with pytest.raises(Forbidden):
        activities.restock(item, actor=people.volunteer, quantity=5)
    activities.restock(item, actor=people.handler, quantity=5)
    item.refresh_from_db()
    assert item.stock == 7
    with pytest.raises(Conflict):
        activities.open_shop(actor=people.handler, unit=people.tree.communities[0], name="二店")
    assert Shop.objects.count() == 1


def test_the_recognition_list_ranks_hours_then_points_and_ignores_spending() -> None:
    lines = [
        recognition.Line(1, "王一", Decimal("2"), 10),
        recognition.Line(2, "李二", Decimal("3"), 5),
        recognition.Line(1, "王一", Decimal("1"), 10),
        recognition.Line(3, "赵三", Decimal("3"), 25),
        recognition.Line(3, "赵三", Decimal("0"), -20),  # spent at the supermarket
        recognition.Line(4, "钱四", Decimal("3"), 5),
    ]
    places = recognition.rank(lines)
    assert [(p.rank, p.name, p.hours, p.points) for p in places] == [
        (1, "赵三", Decimal("3"), 25),
        (2, "王一", Decimal("3"), 20),
        (3, "李二", Decimal("3"), 5),
        (3, "钱四", Decimal("3"), 5),
    ]
    assert recognition.mask_name("王一") == "王*" and recognition.mask_name("欧阳小明") == "欧***"


def test_nobody_else_cancels_a_person_s_sign_up(people: PeopleFixture) -> None:
    """Another person of the community (not staff) may not give back someone's place."""
    activity = planned(people, capacity=2)
    mine = activities.sign_up(activity, actor=people.member_user, person=people.member)
    stranger = UserFactory(username="linju")
    person(people.tree.grids[1], "邻居", user=stranger)  # lives in the same community
    with pytest.raises(Forbidden):
        activities.cancel_sign_up(mine, actor=stranger)
    assert SignUp.objects.get(pk=mine.pk).state == SignUpState.SIGNED

"""The pages and the API of activities, the supermarket and the recognition list: who
sees what (404 beyond one's scope), the phone page's sign-up and points, the counter,
the refusals in the API's shape, and the recognition list with its Excel export."""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from django.test import Client
from openpyxl import load_workbook

from civicgrid.org.models import Role
from civicgrid.people import activities, ledger
from civicgrid.people.activity_models import Item, Redemption, SignUpState
from civicgrid.people.models import LedgerSource
from tests.factories import UserFactory, make_member
from tests.people.conftest import PeopleFixture, person
from tests.people.test_activities import earned, planned, shop_with

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, url: str, body: dict) -> object:  # type: ignore[type-arg]
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_phone_page_signs_up_and_shows_hours_and_points(people: PeopleFixture) -> None:
    activity = planned(people, capacity=2)
    earned(people, people.member, 12)
    phone = client_of(people.member_user)
    page = phone.get("/people/me/activities/").content.decode()
    assert activity.title in page and 'data-points="12"' in page
    answer = phone.post(
        f"/people/activities/{activity.pk}/sign-up/", {"next": "/people/me/activities/"}
    )
    assert answer.status_code == 302 and answer["Location"] == "/people/me/activities/"
    assert activity.sign_ups.get().person == people.member
    page = phone.get("/people/me/activities/").content.decode()
    assert 'data-sign-up-state="signed"' in page
    # The community's staff see the sign-up and record the attendance.
    staff = client_of(people.handler)
    detail = staff.get(f"/people/activities/{activity.pk}/").content.decode()
    assert people.member.name in detail
    one = activity.sign_ups.get()
    staff.post(f"/people/sign-ups/{one.pk}/attendance/", {"attended": "yes"})
    one.refresh_from_db()
    assert one.state == SignUpState.ATTENDED
    assert ledger.totals(people.member).points == 32
    # The recognition list on the phone shows the person's own name, others masked.
    ledger.credit(
        people.neighbour,
        source=LedgerSource.GRID_CALL,
        source_key="grid_call:1",
        hours=5,
        points=1,
        unit=people.tree.grids[0],
    )
    page = phone.get("/people/me/activities/").content.decode()
    assert "王党员" in page and "李志愿" not in page and "李**" in page


def test_a_person_of_another_community_cannot_see_or_sign_up(people: PeopleFixture) -> None:
    activity = planned(people)
    far_user = UserFactory(username="far")
    people.far.user = far_user
    people.far.save(update_fields=["user"])
    far = client_of(far_user)
    assert activity.title not in far.get("/people/me/activities/").content.decode()
    assert far.get(f"/people/activities/{activity.pk}/").status_code == 404
    assert far.post(f"/people/activities/{activity.pk}/sign-up/").status_code == 404
    answer = far.post(f"/api/people/activities/{activity.pk}/sign-up", "{}", "application/json")
    assert answer.status_code == 404
    assert not activity.sign_ups.exists()


def test_a_volunteer_sees_neither_another_communitys_redemptions_nor_its_people(
    people: PeopleFixture,
) -> None:
    item = shop_with(people)
    earned(people, people.neighbour, 30)
    activities.redeem(item, actor=people.handler, person=people.neighbour)
    other = make_member(people.tree.communities[1], Role.VOLUNTEER, username="far_volunteer")
    client = client_of(other)
    assert client.get(f"/people/shops/{item.shop_id}/").status_code == 404
    assert client.get("/api/people/redemptions").json() == []
    assert client.get(f"/api/people/shops/{item.shop_id}/items").status_code == 404
    assert client.get(f"/people/{people.neighbour.pk}/").status_code == 404
    assert client.get(f"/api/people/{people.neighbour.pk}").status_code == 404
    # The community's own staff see it.
    staff = client_of(people.handler)
    assert [r["person_name"] for r in staff.get("/api/people/redemptions").json()] == ["李志愿"]


def test_the_counter_hands_out_goods_and_refuses_short_points_or_stock(
    people: PeopleFixture,
) -> None:
    item = shop_with(people, price=15, stock=1)
    earned(people, people.member, 20)
    staff = client_of(people.handler)
    page = staff.get(f"/people/shops/{item.shop_id}/").content.decode()
    assert "洗衣液" in page and "王党员（20 积分）" in page
    staff.post(
        f"/people/shops/{item.shop_id}/redeem/",
        {"person": people.member.pk, "item": item.pk, "quantity": "1"},
    )
    item.refresh_from_db()
    assert item.stock == 0 and ledger.totals(people.member).points == 5
    answer = staff.post(
        f"/people/shops/{item.shop_id}/redeem/",
        {"person": people.member.pk, "item": item.pk, "quantity": "1"},
        follow=True,
    )
    assert "库存不足" in answer.content.decode()
    activities.restock(item, actor=people.handler, quantity=3)
    answer = post_json(staff, f"/api/people/items/{item.pk}/redeem", {"person": people.member.pk})
    assert answer.status_code == 409 and "积分不足" in answer.json()["detail"]  # type: ignore[attr-defined]
    assert Redemption.objects.count() == 1
    assert Item.objects.get().stock == 3


def test_the_api_plans_fills_and_credits_an_activity(people: PeopleFixture) -> None:
    staff = client_of(people.handler)
    answer = post_json(
        staff,
        "/api/people/activities",
        {
            "community": people.tree.communities[0].code,
            "kind": "elderly_help",
            "title": "陪老人买菜",
            "day": activities.today().isoformat(),
            "starts": "09:00",
            "ends": "10:30",
            "capacity": 1,
            "hours": "1.5",
            "points": 15,
        },
    )
    assert answer.status_code == 201, answer.content  # type: ignore[attr-defined]
    pk = answer.json()["id"]  # type: ignore[attr-defined]
    phone = client_of(people.member_user)
    signed = post_json(phone, f"/api/people/activities/{pk}/sign-up", {})
    assert signed.status_code == 201  # type: ignore[attr-defined]
    full = post_json(staff, f"/api/people/activities/{pk}/sign-up", {"person": people.neighbour.pk})
    assert full.status_code == 409 and "名额已满" in full.json()["detail"]  # type: ignore[attr-defined]
    refused = post_json(
        phone,
        f"/api/people/sign-ups/{signed.json()['id']}/attendance",
        {"attended": True},  # type: ignore[attr-defined]
    )
    assert refused.status_code == 403  # type: ignore[attr-defined]
    done = post_json(
        staff,
        f"/api/people/sign-ups/{signed.json()['id']}/attendance",
        {"attended": True},  # type: ignore[attr-defined]
    )
    assert done.json()["state"] == "attended"  # type: ignore[attr-defined]
    mine = phone.get("/api/people/me/points").json()
    assert (mine["points"], mine["hours_this_month"]) == (15, "1.5")
    places = staff.get(
        "/api/people/recognition", {"community": people.tree.communities[0].code}
    ).json()
    assert [(p["rank"], p["name"]) for p in places] == [(1, "王党员")]
    far = make_member(people.tree.communities[1], Role.HANDLER)
    hidden = client_of(far).get(
        "/api/people/recognition", {"community": people.tree.communities[0].code}
    )
    assert hidden.status_code == 404


def test_the_recognition_page_and_its_export(people: PeopleFixture) -> None:
    activity = planned(people)
    ones = [
        activities.sign_up(activity, actor=people.handler, person=who)
        for who in (people.member, people.neighbour)
    ]
    for one, came in zip(ones, (True, False), strict=True):
        activities.record_attendance(one, actor=people.handler, attended=came)
    serving = person(people.tree.grids[1], "周格二")
    ledger.credit(
        serving,
        source=LedgerSource.GRID_CALL,
        source_key="grid_call:2",
        hours=3,
        points=5,
        unit=people.tree.grids[1],
    )
    staff = client_of(people.handler)
    community = people.tree.communities[0]
    page = staff.get("/people/recognition/", {"community": community.pk}).content.decode()
    assert page.index("周格二") < page.index("王党员") and "李志愿" not in page
    listing = staff.get("/people/activities/").content.decode()
    assert 'data-hours="5.0"' in listing
    month = f"{activities.today():%Y-%m}"
    book = load_workbook(
        BytesIO(
            staff.get(
                "/people/recognition/export/", {"community": community.pk, "month": month}
            ).content
        )
    )
    rows = list(book.active.iter_rows(min_row=3, values_only=True))
    assert [r[:4] for r in rows] == [(1, "周格二", 3.0, 5), (2, "王党员", 2.0, 20)]
    far = make_member(people.tree.communities[1], Role.HANDLER)
    assert (
        client_of(far).get("/people/recognition/", {"community": community.pk}).status_code == 404
    )


def test_the_lists_ask_the_same_queries_for_one_activity_or_many(
    people: PeopleFixture,
) -> None:
    staff, phone = client_of(people.handler), client_of(people.member_user)
    item = shop_with(people)

    def counted() -> tuple[int, int, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        found = []
        for client, url in (
            (staff, "/people/activities/"),
            (phone, "/people/me/activities/"),
            (staff, f"/people/shops/{item.shop_id}/"),
        ):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return tuple(found)  # type: ignore[return-value]

    activity = planned(people, days=1)
    activities.sign_up(activity, actor=people.member_user, person=people.member)
    earned(people, people.member, 50)
    activities.redeem(item, actor=people.handler, person=people.member)
    once = counted()
    for n in range(4):
        more = planned(people, days=2 + n, title=f"活动{n}")
        activities.sign_up(more, actor=people.member_user, person=people.member)
        activities.sign_up(more, actor=people.handler, person=people.neighbour)
    activities.restock(item, actor=people.handler, quantity=5)
    towel = activities.add_item(item.shop, actor=people.handler, name="毛巾", price=1, stock=9)
    earned(people, people.neighbour, 5)
    activities.redeem(towel, actor=people.handler, person=people.neighbour)
    assert counted() == once

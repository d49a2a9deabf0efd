"""Who sees which people (pages and API alike), masked phones and the logged reveal, the
phone page, and the roster's Excel export."""

from __future__ import annotations

import json
from datetime import time
from io import BytesIO

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from civicgrid.org.models import Role
from civicgrid.people import actions
from civicgrid.people.models import DutyState, PeopleAction, PeopleEvent, Person
from tests.factories import make_member
from tests.people.conftest import IN_GRID0, PeopleFixture, person, published_week

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_who_sees_whom(people: PeopleFixture) -> None:
    everyone = {people.member, people.neighbour, people.other_grid, people.far}
    district = make_member(people.tree.district, Role.LEADER)
    other_community = make_member(people.tree.communities[1], Role.HANDLER)
    assert set(Person.objects.visible_to(district)) == everyone
    assert set(Person.objects.visible_to(people.handler)) == everyone - {people.far}
    assert set(Person.objects.visible_to(people.volunteer)) == {people.member, people.neighbour}
    assert set(Person.objects.visible_to(other_community)) == {people.far}
    # A party member with no staff role sees only themselves.
    assert set(Person.objects.visible_to(people.member_user)) == {people.member}


def test_a_volunteer_is_refused_another_grids_people_on_page_and_api(
    people: PeopleFixture,
) -> None:
    client = client_of(people.volunteer)
    assert client.get(f"/people/{people.neighbour.pk}/").status_code == 200
    assert client.get(f"/people/{people.other_grid.pk}/").status_code == 404
    assert client.get(f"/api/people/{people.other_grid.pk}").status_code == 404
    page = client.get("/people/").content.decode()
    assert people.neighbour.name in page and people.other_grid.name not in page
    names = {p["name"] for p in client.get("/api/people").json()}
    assert names == {people.member.name, people.neighbour.name}
    # Nor the number of one they may not see.
    answer = client.post(
        f"/api/people/{people.other_grid.pk}/phone",
        json.dumps({"reason": "联系"}),
        content_type="application/json",
    )
    assert answer.status_code == 404
    assert not PeopleEvent.objects.filter(action=PeopleAction.REVEAL_PHONE).exists()


def test_phones_are_masked_and_a_reveal_is_logged(people: PeopleFixture) -> None:
    client = client_of(people.handler)
    page = client.get("/people/").content.decode()
    assert "139****5678" in page and "13912345678" not in page
    assert client.get(f"/api/people/{people.member.pk}").json()["phone"] == "139****5678"
    person_page = client.get(f"/people/{people.member.pk}/").content.decode()
    assert "13912345678" not in person_page and "查看号码" in person_page
    answer = client.post(f"/people/{people.member.pk}/phone/", {"reason": "通知值班"})
    assert "13912345678" in answer.content.decode()
    answer = client.post(
        f"/api/people/{people.member.pk}/phone",
        json.dumps({"reason": "核对"}),
        content_type="application/json",
    )
    assert answer.json() == {"phone": "13912345678"}
    notes = list(
        PeopleEvent.objects.filter(action=PeopleAction.REVEAL_PHONE)
        .order_by("pk")
        .values_list("note", flat=True)
    )
    assert notes == ["通知值班", "核对"]
    refused = client_of(people.volunteer).post(
        f"/api/people/{people.member.pk}/phone",
        json.dumps({"reason": "核对"}),
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "您的角色不需要此人的电话号码。"


def test_the_phone_page_checks_in_and_reports_an_absence(people: PeopleFixture) -> None:
    _roster, mine, theirs = published_week(people, actions.today())
    client = client_of(people.member_user)
    page = client.get("/people/me/").content.decode()
    assert f'data-duty="{mine.pk}"' in page and f'data-duty="{theirs.pk}"' not in page
    client.post(f"/people/duties/{mine.pk}/check-in/", {"lon": IN_GRID0[0], "lat": IN_GRID0[1]})
    mine.refresh_from_db()
    assert mine.state == DutyState.CHECKED_IN
    # Someone else's duty, in a roster they may not see: as if it did not exist.
    answer = client.post(f"/people/duties/{theirs.pk}/absence/", {"reason": "代报"})
    assert answer.status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == DutyState.PLANNED
    # The community sees today's duties.
    today = client_of(people.handler).get("/api/people/today").json()
    assert {(d["person_name"], d["state"]) for d in today} == {
        ("王党员", "checked_in"),
        ("李志愿", "planned"),
    }


def test_the_api_makes_and_publishes_a_week(people: PeopleFixture) -> None:
    client = client_of(people.handler)
    monday = actions.today().toordinal() - actions.today().weekday()
    week = type(actions.today()).fromordinal(monday).isoformat()
    made = client.post(
        "/api/people/rosters",
        json.dumps({"unit": people.tree.grids[1].code, "week": week}),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    duty = client.post(
        f"/api/people/rosters/{pk}/duties",
        json.dumps(
            {"person": people.other_grid.pk, "day": week, "starts": "09:00", "ends": "11:00"}
        ),
        content_type="application/json",
    )
    assert duty.status_code == 201, duty.content
    assert client.post(f"/api/people/rosters/{pk}/publish").json()["state"] == "published"
    again = client.post(f"/api/people/rosters/{pk}/publish")
    assert again.status_code == 409 and again.json()["detail"] == "该排班表已经发布。"
    refused = client_of(people.volunteer).post(f"/api/people/rosters/{pk}/publish")
    assert refused.status_code == 404  # grid 1's roster is not the grid 0 volunteer's to see


def test_the_roster_exports_to_excel_with_phones_masked(people: PeopleFixture, tmp_path) -> None:  # type: ignore[no-untyped-def]
    roster, mine, _theirs = published_week(people, actions.today())
    actions.check_in(mine, actor=people.member_user, lon=IN_GRID0[0], lat=IN_GRID0[1])
    answer = client_of(people.handler).get(f"/people/rosters/{roster.pk}/export/")
    assert answer.status_code == 200
    sheet = load_workbook(BytesIO(answer.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert [r[5] for r in rows] == ["王党员", "李志愿"]
    assert rows[0][6] == "139****5678" and rows[0][7] == "已签到" and rows[0][9] == "是"
    out = tmp_path / "week.xlsx"
    call_command(
        "roster",
        "export",
        "--unit",
        people.tree.grids[0].code,
        "--week",
        roster.week.isoformat(),
        "--out",
        str(out),
    )
    assert load_workbook(out).active.max_row == 4


def test_the_roster_page_offers_staff_the_forms_and_volunteers_only_the_view(
    people: PeopleFixture,
) -> None:
    roster, _mine, _theirs = published_week(people, actions.today())
    staff_page = client_of(people.handler).get(f"/people/rosters/{roster.pk}/").content.decode()
    assert 'id="plan-duty"' in staff_page
    volunteer_page = client_of(people.volunteer).get(f"/people/rosters/{roster.pk}/")
    assert volunteer_page.status_code == 200
    assert 'id="plan-duty"' not in volunteer_page.content.decode()


def test_the_community_registers_a_person_and_gives_a_post_from_its_pages(
    people: PeopleFixture,
) -> None:
    client = client_of(people.handler)
    assert 'id="add-person"' in client.get("/people/").content.decode()
    answer = client.post(
        "/people/add/",
        {
            "name": "周在职",
            "phone": "13600002222",
            "home_grid": people.tree.grids[2].pk,
            "party_member": "on",
            "branch": people.branch.pk,
            "in_service": "on",
            "skills": "法律咨询",
        },
    )
    added = Person.objects.get(name="周在职")
    assert answer.status_code == 302 and answer["Location"] == f"/people/{added.pk}/"
    assert added.in_service and added.reports_to == people.tree.communities[0]
    client.post(f"/people/{added.pk}/posts/", {"role": "building_leader", "building": "5幢"})
    assert list(added.posts.values_list("role", "building")) == [("building_leader", "5幢")]
    assert [
        PeopleEvent.objects.filter(action=a, person=added).count()
        for a in (PeopleAction.ADD_PERSON, PeopleAction.ASSIGN_POST)
    ] == [1, 1]


def test_a_volunteer_gets_no_registration_form_and_is_refused_registering(
    people: PeopleFixture,
) -> None:
    client = client_of(people.volunteer)
    assert 'id="add-person"' not in client.get("/people/").content.decode()
    answer = client.post(
        "/people/add/",
        {"name": "某人", "home_grid": people.tree.grids[0].pk, "volunteer": "on"},
        follow=True,
    )
    assert "只有该网格的工作人员可以在此登记人员。" in answer.content.decode()
    assert not Person.objects.filter(name="某人").exists()


def test_the_people_page_and_the_roster_page_query_the_same_for_more_people(
    people: PeopleFixture,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    roster, _mine, _theirs = published_week(people, actions.today())
    client = client_of(people.handler)

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    paths = ("/people/", f"/people/rosters/{roster.pk}/", "/people/rosters/")
    before = [queries(p) for p in paths]
    for n in range(20):
        person(people.tree.grids[n % 4], f"新人{n}")
    for n in range(1, 4):
        actions.plan_duty(
            roster,
            actor=people.handler,
            person=Person.objects.get(name=f"新人{n}"),
            day=actions.today(),
            starts=time(6 + n),
            ends=time(7 + n),
        )
    assert [queries(p) for p in paths] == before


def test_the_community_sees_its_open_calls_and_this_month_s_hours_and_no_other_s(
    people: PeopleFixture,
) -> None:
    """The community's view (/people/): beside who is on duty, the grid calls still
    taking claims in its grids and the service hours earned there this month; another
    community sees neither."""
    from civicgrid.people import calls, ledger
    from civicgrid.people.models import LedgerSource

    grids = people.tree.grids
    ours = calls.broadcast_call(
        calls.Call(title="帮忙搬运物资", wanted=2, hours="2", points=4),
        actor=people.handler,
        grid=grids[1],
    )
    theirs = calls.broadcast_call(calls.Call(title="远方的呼叫"), actor=None, grid=grids[4])
    ledger.credit(
        people.neighbour,
        source=LedgerSource.ACTIVITY,
        source_key="activity:1",
        hours="1.5",
        unit=people.tree.communities[0],
    )
    ledger.credit(
        people.far, source=LedgerSource.ACTIVITY, source_key="activity:2", hours=4, unit=grids[4]
    )
    page = client_of(people.handler).get("/people/").content.decode()
    assert f'data-call="{ours.pk}"' in page and f'data-call="{theirs.pk}"' not in page
    assert "待认领的一呼百应（1）" in page
    assert "本月服务时长：1.5 小时，共 1 人参与。" in page
    other = client_of(make_member(people.tree.communities[1], Role.HANDLER))
    page = other.get("/people/").content.decode()
    assert f'data-call="{ours.pk}"' not in page and f'data-call="{theirs.pk}"' in page
    assert "本月服务时长：4.0 小时，共 1 人参与。" in page

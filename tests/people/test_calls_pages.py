"""Grid calls on the pages and through the API: the community's list and broadcast, the
phone pages (claim, report with a photo, my hours and points), the case page's helpers,
and another grid's volunteer refused (404 to see, 403 to claim)."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from civicgrid.cases.models import State
from civicgrid.org.models import Role
from civicgrid.people import calls
from civicgrid.people.call_models import CallClaim, CallState, ClaimState, GridCall
from civicgrid.people.models import LedgerEntry
from tests.factories import UserFactory, case_as_it_stands, make_member
from tests.images import image_bytes, upload
from tests.people.conftest import PeopleFixture, person

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def broadcast(people: PeopleFixture, wanted: int = 1) -> GridCall:
    return calls.broadcast_call(
        calls.Call(title="帮独居老人搬米", wanted=wanted, hours="2", points=20),
        actor=people.handler,
        grid=people.tree.grids[0],
    )


def test_the_community_broadcasts_from_its_list_and_sees_the_open_calls(
    people: PeopleFixture,
) -> None:
    client = client_of(people.handler)
    page = client.get("/people/calls/")
    assert page.status_code == 200 and "一呼百应" in page.content.decode()
    answer = client.post(
        "/people/calls/broadcast/",
        {
            "grid": people.tree.grids[0].pk,
            "title": "清理楼道",
            "wanted": "3",
            "hours": "1.5",
            "points": "15",
        },
    )
    call = GridCall.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/people/calls/{call.pk}/"
    assert (call.wanted, str(call.hours), call.points) == (3, "1.5", 15)
    listed = client.get("/people/calls/").content.decode()
    assert "清理楼道" in listed and "0 / 3" in listed
    detail = client.get(f"/people/calls/{call.pk}/").content.decode()
    assert 'id="call-reached"' in detail
    # A bad number: refused with its message, nothing stored.
    client.post(
        "/people/calls/broadcast/",
        {"grid": people.tree.grids[0].pk, "title": "x", "wanted": "0"},
    )
    assert GridCall.objects.count() == 1
    # A volunteer (a role in the grid) sees the grid's calls, with no form to broadcast.
    theirs = client_of(people.volunteer).get("/people/calls/").content.decode()
    assert "清理楼道" in theirs and 'id="broadcast"' not in theirs


def test_a_phone_claims_reports_with_a_photo_and_sees_its_hours_and_points(
    people: PeopleFixture, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    call = broadcast(people)
    phone = client_of(people.member_user)
    mine = phone.get("/people/calls/mine/").content.decode()
    assert "帮独居老人搬米" in mine
    phone.post(f"/people/calls/{call.pk}/claim/")
    claim = CallClaim.objects.get()
    page = phone.get(f"/people/calls/{call.pk}/").content.decode()
    assert 'data-action="report"' in page
    with django_capture_on_commit_callbacks(execute=True):
        phone.post(
            f"/people/claims/{claim.pk}/report/",
            {"report": "已送到", "photo": upload(image_bytes())},
        )
    claim.refresh_from_db()
    assert claim.state == ClaimState.DONE
    mine = phone.get("/people/calls/mine/").content.decode()
    assert 'id="my-points">20<' in mine and 'id="my-hours">2<' in mine
    assert phone.get(f"/people/claims/{claim.pk}/photo/").status_code == 200
    # The grid's people see the claimant's name masked; staff see it whole.
    assert "王**" in phone.get(f"/people/calls/{call.pk}/").content.decode()
    staff_page = client_of(people.handler).get(f"/people/calls/{call.pk}/").content.decode()
    assert "王党员" in staff_page


def test_another_grids_volunteer_can_neither_see_nor_claim_a_call(people: PeopleFixture) -> None:
    call = broadcast(people)
    far = person(people.tree.grids[4], "远方", user=UserFactory(username="far"))
    near = person(people.tree.grids[1], "邻格", user=UserFactory(username="near"))
    for who in (far, near):
        client = client_of(who.user)
        assert client.get(f"/people/calls/{call.pk}/").status_code == 404
        assert client.post(f"/people/calls/{call.pk}/claim/").status_code == 404
        assert client.get(f"/api/grid-calls/{call.pk}").status_code == 404
        assert client.post(f"/api/grid-calls/{call.pk}/claim").status_code == 404
        assert "帮独居老人搬米" not in client.get("/people/calls/mine/").content.decode()
        assert client.get("/api/grid-calls").json() == []
    # Seeing is not enough: grid 0's staff member (no person of the grid) cannot claim.
    answer = client_of(people.handler).post(f"/api/grid-calls/{call.pk}/claim")
    assert answer.status_code == 404  # no person registered for the account
    volunteer_role = client_of(people.volunteer)  # a membership in grid 0, no person
    assert volunteer_role.post(f"/api/grid-calls/{call.pk}/claim").status_code == 404
    assert not CallClaim.objects.exists()


def test_the_api_from_broadcast_to_completion_and_the_n_plus_first_refused(
    people: PeopleFixture, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    staff = client_of(people.handler)
    made = staff.post(
        "/api/grid-calls",
        {
            "grid": people.tree.grids[0].code,
            "title": "扫雪",
            "wanted": 1,
            "hours": "1.5",
            "points": 5,
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["state"] == "open" and made.json()["reached"] == 1
    phone = client_of(people.member_user)
    claimed = phone.post(f"/api/grid-calls/{pk}/claim")
    assert claimed.status_code == 201 and claimed.json()["state"] == "claimed"
    late = person(people.tree.grids[0], "晚到", user=UserFactory(username="late"))
    refused = client_of(late.user).post(f"/api/grid-calls/{pk}/claim")
    assert refused.status_code == 409
    assert refused.json()["detail"] == "来晚了：该呼叫需要的1人已认领满。"
    again = phone.post(f"/api/grid-calls/{pk}/claim")
    assert again.status_code == 409
    claim_id = claimed.json()["id"]
    no_photo = phone.post(f"/api/grid-calls/claims/{claim_id}/report", {"report": "好了"})
    assert no_photo.status_code in (400, 422)
    with django_capture_on_commit_callbacks(execute=True):
        done = phone.post(
            f"/api/grid-calls/claims/{claim_id}/report",
            {"report": "好了", "photo": upload(image_bytes())},
        )
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "done" and done.json()["photo"] is True
    assert staff.get(f"/api/grid-calls/{pk}").json()["state"] == CallState.DONE
    mine = phone.get("/api/grid-calls/mine").json()
    assert (mine["hours"], mine["points"]) == ("1.5", 5) or (
        float(mine["hours"]),
        mine["points"],
    ) == (1.5, 5)
    assert LedgerEntry.objects.count() == 1
    # Another community's staff cannot call grid 0 (403), nor see its calls.
    stranger = client_of(make_member(people.tree.communities[1], Role.HANDLER, username="s2"))
    assert stranger.get(f"/api/grid-calls/{pk}").status_code == 404
    answer = stranger.post(
        "/api/grid-calls",
        {"grid": people.tree.grids[0].code, "title": "x", "wanted": 1},
        content_type="application/json",
    )
    assert answer.status_code == 403
    assert answer.json()["detail"] == "只有网格的工作人员或工单的处置人可以呼叫志愿者。"
    assert GridCall.objects.count() == 1


def test_the_case_page_shows_who_helped_and_calls_from_the_case(people: PeopleFixture) -> None:
    tree = people.tree
    case = case_as_it_stands(
        tree.communities[0], people.handler.date_joined, grid=tree.grids[0], state=State.HANDLING
    )
    case.save()
    client = client_of(people.handler)
    page = client.get(f"/cases/{case.tracking_code}/").content.decode()
    assert 'id="call-from-case"' in page
    client.post(
        "/people/calls/broadcast/",
        {"case": case.tracking_code, "title": "帮忙清运", "wanted": "2", "hours": "1"},
    )
    call = GridCall.objects.get()
    assert call.case == case and call.grid == tree.grids[0]
    calls.claim_call(call, actor=people.member_user, person=people.member)
    page = client.get(f"/cases/{case.tracking_code}/").content.decode()
    assert 'id="case-helpers"' in page and "王**" in page and "王党员" not in page


def test_the_list_and_a_call_page_read_a_fixed_number_of_queries(people: PeopleFixture) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_of(people.handler)

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as seen:
            assert client.get(path).status_code == 200
        return len(seen)

    first = broadcast(people, wanted=5)
    calls.claim_call(first, actor=people.member_user, person=people.member)
    few = queries("/people/calls/"), queries(f"/people/calls/{first.pk}/")
    for i in range(10):
        made = broadcast(people, wanted=5)
        helper = person(people.tree.grids[0], f"志愿{i}", user=UserFactory(username=f"q{i}"))
        calls.claim_call(made, actor=helper.user, person=helper)
        if i < 4:  # the first call's claims grow too
            calls.claim_call(first, actor=helper.user, person=helper)
    assert (queries("/people/calls/"), queries(f"/people/calls/{first.pk}/")) == few


def test_the_admin_shows_calls_and_claims_read_only(people: PeopleFixture) -> None:
    call = broadcast(people)
    claim = calls.claim_call(call, actor=people.member_user, person=people.member)
    admin = client_of(UserFactory(username="root", is_superuser=True, is_staff=True))
    for path in (
        "/admin/people/gridcall/",
        f"/admin/people/gridcall/{call.pk}/change/",
        f"/admin/people/callclaim/{claim.pk}/change/",
    ):
        assert admin.get(path).status_code == 200, path
    assert admin.get("/admin/people/gridcall/add/").status_code == 403


def test_the_calls_ledger_exports_the_readers_calls_with_names_for_staff(
    people: PeopleFixture,
) -> None:
    first = broadcast(people, wanted=2)
    calls.claim_call(first, actor=people.member_user, person=people.member)
    far = calls.broadcast_call(
        calls.Call(title="远处的呼叫", wanted=1, hours="1", points=10),
        actor=make_member(people.tree.communities[1], Role.HANDLER),
        grid=people.tree.grids[4],
    )
    answer = client_of(people.handler).get("/people/calls/export/", {"state": "open"})
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(answer.content))
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    line = dict(zip(rows[0], rows[1], strict=True))
    assert len(rows) == 2, "the other community's call is not theirs"
    assert (line["标题"], line["需要人数"], line["已认领"]) == ("帮独居老人搬米", 2, 1)
    assert far.title not in str(rows)
    claims = list(book.worksheets[1].iter_rows(min_row=3, values_only=True))
    assert [(c[0], c[1]) for c in claims] == [("帮独居老人搬米", "王党员")]
    # The grid's volunteer sees the grid's calls too, the helpers' names masked; the
    # done tab has none of them.
    theirs = load_workbook(
        io.BytesIO(client_of(people.volunteer).get("/people/calls/export/").content)
    )
    assert [c[1] for c in theirs.worksheets[1].iter_rows(min_row=3, values_only=True)] == ["王**"]
    done = load_workbook(
        io.BytesIO(client_of(people.handler).get("/people/calls/export/?state=done").content)
    )
    assert len(list(done.worksheets[0].iter_rows(min_row=3))) == 0
    # A resident without a staff role: not their page.
    assert client_of(people.member_user).get("/people/calls/export/").status_code in (403, 404)

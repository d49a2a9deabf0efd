"""The office's pages: the queue (scoped, paged, the accountable department named from
it), service days (an issue made a complaint in one click) and 包联; and the window's
panel on the rankings page held equal to the indicators' own table by channel."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from civicgrid.cases.models import Channel
from civicgrid.enterprise import actions, figures
from civicgrid.enterprise.models import Complaint, Pairing, ServiceDay, ServiceDayIssue, Visit
from civicgrid.evaluation import indicators as ind
from civicgrid.evaluation.selection import Period, Selection
from civicgrid.org.models import Role
from civicgrid.org.scoping import scope_of
from tests.factories import WindowFixture, make_member

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def complain(w: WindowFixture, n: int = 0, matter: str = "办理环评审批") -> Complaint:
    enterprise, user = w.enterprises[n]
    return actions.submit_complaint(
        enterprise, actions.Matter(matter, "区生态环境分局窗口", "跑了三次"), actor=user
    )


def test_the_queue_is_scoped_and_names_the_department(window: WindowFixture) -> None:
    first = complain(window, 0, "办理环评审批")
    second = complain(window, 1, "申请施工许可证")
    office = client_for(window.office_staff)
    page = office.get("/enterprise/queue/").content.decode()
    assert "办理环评审批" in page and "申请施工许可证" in page
    answer = office.post(
        f"/enterprise/complaints/{first.pk}/department/",
        {"department": str(window.tree.department.pk)},
    )
    assert answer.status_code == 302
    first.refresh_from_db()
    assert first.accountable == window.tree.department
    department = client_for(make_member(window.tree.department, Role.HANDLER))
    page = department.get("/enterprise/queue/").content.decode()
    assert "办理环评审批" in page and "申请施工许可证" not in page
    # A department may not name one; nothing changes.
    department.post(
        f"/enterprise/complaints/{first.pk}/department/", {"department": str(window.office.pk)}
    )
    first.refresh_from_db()
    assert first.accountable == window.tree.department
    # Not the complaint of someone it may not see: 404.
    assert (
        department.post(
            f"/enterprise/complaints/{second.pk}/department/",
            {"department": str(window.office.pk)},
        ).status_code
        == 404
    )


def test_the_queue_pages_by_key(window: WindowFixture) -> None:
    for n in range(3):
        complain(window, n % 2, f"事项{n}")
    office = client_for(window.office_staff)
    answer = office.get("/api/enterprise/complaints", {"limit": 2}).json()
    assert [c["matter"] for c in answer["complaints"]] == ["事项2", "事项1"]
    rest = office.get("/api/enterprise/complaints", {"limit": 2, "before": answer["next"]}).json()
    assert [c["matter"] for c in rest["complaints"]] == ["事项0"]
    assert office.get("/api/enterprise/complaints", {"before": "junk"}).status_code == 400


def test_a_service_day_issue_becomes_a_complaint_in_one_click(window: WindowFixture) -> None:
    office = client_for(window.office_staff)
    office.post(
        "/enterprise/service-days/new/",
        {
            "on": "2026-11-15",
            "unit": str(window.park.pk),
            "host": str(window.tree.department.pk),
            "theme": "城管进园区",
        },
    )
    day = ServiceDay.objects.get()
    enterprise = window.enterprises[0][0]
    office.post(
        f"/enterprise/service-days/{day.pk}/issues/",
        {"enterprise": str(enterprise.pk), "issue": "厂区门口占道停车"},
    )
    issue = ServiceDayIssue.objects.get()
    office.post(f"/enterprise/issues/{issue.pk}/complaint/")
    issue.refresh_from_db()
    assert issue.complaint is not None
    assert issue.complaint.case.channel == Channel.ENTERPRISE
    page = office.get("/enterprise/service-days/").content.decode()
    assert issue.complaint.case.tracking_code in page
    # Not for anyone else: the page is the office's, the enterprise sees only its case.
    assert client_for(window.enterprises[0][1]).get("/enterprise/service-days/").status_code == 403
    community = client_for(make_member(window.tree.communities[0], Role.DISPATCHER))
    assert community.get("/enterprise/service-days/").status_code == 404


def test_pairing_and_a_visit_from_the_pages(window: WindowFixture) -> None:
    office = client_for(window.office_staff)
    office.post(
        "/enterprise/pairings/new/",
        {"agency": str(window.tree.department.pk), "unit": str(window.park.pk)},
    )
    pairing = Pairing.objects.get()
    agency = client_for(make_member(window.tree.department, Role.HANDLER))
    assert "高新园区" in agency.get("/enterprise/pairings/").content.decode()
    agency.post(
        f"/enterprise/pairings/{pairing.pk}/visits/",
        {"on": "2026-11-20", "visitors": "李科长", "notes": "了解用工"},
    )
    assert Visit.objects.get().visitors == "李科长"
    other = client_for(make_member(window.tree.communities[1], Role.HANDLER))
    assert "高新园区" not in other.get("/enterprise/pairings/").content.decode()
    other.post(f"/enterprise/pairings/{pairing.pk}/visits/", {"on": "2026-11-21", "visitors": "某"})
    assert Visit.objects.count() == 1
    assert date(2026, 11, 20) == Visit.objects.get().on


def test_the_office_ends_a_pairing_from_the_page_and_the_api(window: WindowFixture) -> None:
    agency_staff = make_member(window.tree.department, Role.HANDLER)
    first = actions.pair(actor=window.office_staff, agency=window.tree.department, unit=window.park)
    office, agency = client_for(window.office_staff), client_for(agency_staff)
    page = office.get("/enterprise/pairings/").content.decode()
    assert f"/enterprise/pairings/{first.pk}/end/" in page
    assert f"/enterprise/pairings/{first.pk}/end/" not in (
        agency.get("/enterprise/pairings/").content.decode()
    )
    # The agency may not end it (the office's page is not theirs), nor a bad date pass.
    assert agency.post(f"/enterprise/pairings/{first.pk}/end/").status_code == 404
    office.post(f"/enterprise/pairings/{first.pk}/end/", {"on": "2026-13-01"})
    first.refresh_from_db()
    assert first.active
    office.post(f"/enterprise/pairings/{first.pk}/end/", {"on": "2099-01-01"})
    first.refresh_from_db()
    assert (first.active, first.ended_on) == (False, date(2099, 1, 1))
    page = agency.get("/enterprise/pairings/").content.decode()
    assert "pairing-ended" in page and f"/enterprise/pairings/{first.pk}/visits/" not in page

    second = actions.pair(
        actor=window.office_staff,
        agency=window.tree.department,
        unit=window.park,
        since=date(2026, 3, 1),
    )
    url = f"/api/enterprise/pairings/{second.pk}/end"
    refused = agency.post(url, {}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["detail"]
    assert (
        office.post(url, {"on": "1999-01-01"}, content_type="application/json").status_code == 400
    )
    assert (
        office.post(
            "/api/enterprise/pairings/999999/end", {}, content_type="application/json"
        ).status_code
        == 404
    )
    answer = office.post(url, {"on": "2026-12-01"}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert (answer.json()["active"], answer.json()["ended_on"]) == (False, "2026-12-01")
    again = office.post(url, {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["detail"]
    listed = {p["id"]: p for p in agency.get("/api/enterprise/pairings").json()}
    assert listed[second.pk]["ended_on"] == "2026-12-01"


def test_the_panel_is_the_indicators_own_figures(window: WindowFixture) -> None:
    first = complain(window, 0)
    complain(window, 1)
    actions.name_department(first, actor=window.office_staff, department=window.tree.department)
    leader = make_member(window.tree.district, Role.LEADER)
    selection = Selection(scope=scope_of(leader), period=Period.current_month())
    now = timezone.now()
    panel = figures.panel(selection, now)
    assert panel is not None
    by_channel = {row.key: row for row in ind.by_channel(selection, now).rows}
    window_row = by_channel[Channel.ENTERPRISE].figures
    for key in figures.RATES:
        assert panel.total.figures[key] == window_row[key]
    assert panel.total.figures.cases == window_row.cases == 2
    assert [line.label for line in panel.departments] == ["区城市管理局", "—"]
    added = panel.departments[0].figures + panel.departments[1].figures
    assert added.cases == 2


def test_the_queue_and_the_window_do_a_fixed_number_of_queries(
    window: WindowFixture, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for n in range(6):
        complain(window, n % 2, f"事项{n}")
    office = client_for(window.office_staff)
    office.get("/enterprise/queue/")  # warm the session
    # The session, the user, the memberships, the office (the queryset's scope), the
    # page's keys, its rows, the office (the page's forms), the departments, and the
    # navigation's "in a department?": whatever the number of complaints.
    with django_assert_max_num_queries(9):
        assert office.get("/enterprise/queue/").status_code == 200
    for n in range(6):
        complain(window, 0, f"更多事项{n}")
    with django_assert_max_num_queries(9):
        assert office.get("/enterprise/queue/").status_code == 200
    mine = client_for(window.enterprises[0][1])
    mine.get("/enterprise/")
    # The session, the user, its enterprise, its (no) memberships and the office and the
    # tree's roots (the queryset's scope), the office (is the window open?), the
    # departments for the form, the complaints, the contacts, the navigation's "in a
    # council?".
    with django_assert_max_num_queries(11):
        assert mine.get("/enterprise/").status_code == 200

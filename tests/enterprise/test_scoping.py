"""Who sees what at the window: an enterprise only its own complaints (anything else is a
404, on the pages and the API), the office and the district all, a department those
naming it accountable."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.cases import actions as case_actions
from civicgrid.cases.models import State
from civicgrid.enterprise import actions
from civicgrid.enterprise.models import Complaint, WindowEvent
from civicgrid.org.models import Role, User
from tests.factories import PASSWORD, WindowFixture, make_member

pytestmark = pytest.mark.django_db


def a_matter() -> actions.Matter:
    return actions.Matter("办理施工许可", "区住建局窗口", "提交三次材料均被退回")


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_each_sees_what_is_theirs(window: WindowFixture) -> None:
    (mine, me), (theirs, them) = window.enterprises
    own = actions.submit_complaint(mine, a_matter(), actor=me)
    other = actions.submit_complaint(theirs, a_matter(), actor=them)
    assert list(Complaint.objects.visible_to(me)) == [own]
    assert set(Complaint.objects.visible_to(window.office_staff)) == {own, other}
    assert set(Complaint.objects.visible_to(window.district_dispatcher)) == {own, other}
    department = make_member(window.tree.department, Role.HANDLER)
    assert not Complaint.objects.visible_to(department).exists()
    actions.name_department(own, actor=window.office_staff, department=window.tree.department)
    assert list(Complaint.objects.visible_to(department)) == [own]
    community = make_member(window.tree.communities[0], Role.DISPATCHER)
    assert not Complaint.objects.visible_to(community).exists()


def test_an_enterprise_is_refused_anothers_complaint(window: WindowFixture) -> None:
    (_mine, me), (theirs, them) = window.enterprises
    other = actions.submit_complaint(theirs, a_matter(), actor=them)
    client = client_for(me)
    assert client.get(f"/enterprise/complaints/{other.pk}/").status_code == 404
    assert (
        client.post(f"/enterprise/complaints/{other.pk}/rate/", {"rating": "1"}).status_code == 404
    )
    answer = client.get(f"/api/enterprise/complaints/{other.pk}")
    assert answer.status_code == 404
    assert answer.json()["detail"] == f"没有您可以查看的诉求 {other.pk}。"
    assert client.get("/api/enterprise/complaints").json()["complaints"] == []
    rated = client.post(
        f"/api/enterprise/complaints/{other.pk}/rate",
        {"rating": 1, "solved": False},
        content_type="application/json",
    )
    assert rated.status_code == 404
    assert client.get("/enterprise/queue/").status_code == 403
    assert client.get("/api/enterprise/service-days").status_code == 403


def test_an_enterprise_lands_on_its_window(window: WindowFixture) -> None:
    _enterprise, me = window.enterprises[0]
    client = Client()
    assert (
        client.post("/login/", {"username": me.username, "password": PASSWORD}).status_code == 302
    )
    home = client.get("/")
    assert home.status_code == 302 and home["Location"] == "/enterprise/"
    page = client.get("/enterprise/")
    assert "企业服务窗口（办不成事）" in page.content.decode()


def test_the_api_from_registration_to_rating(window: WindowFixture) -> None:
    from tests.factories import a_credit_code

    public = Client()
    made = public.post(
        "/api/enterprise/register",
        {
            "name": "丁电子有限公司",
            "credit_code": a_credit_code(20),
            "contact_name": "钱经理",
            "mobile": "13900000020",
            "password": PASSWORD,
            "unit": window.park.code,
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    again = public.post(
        "/api/enterprise/register",
        {
            "name": "丁电子",
            "credit_code": a_credit_code(20),
            "contact_name": "钱",
            "mobile": "13900000021",
            "password": PASSWORD,
        },
        content_type="application/json",
    )
    assert again.status_code == 409
    assert again.json()["detail"] == "该统一社会信用代码已注册，请勿重复注册。"
    client = client_for(User.objects.get(username="13900000020"))
    sent = client.post(
        "/api/enterprise/complaints",
        {"matter": "办理消防验收", "failed_office": "区消防救援大队", "tried": "预约三次未排上"},
        content_type="application/json",
    )
    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert body["state"] == "submitted"
    office = client_for(window.office_staff)
    named = office.post(
        f"/api/enterprise/complaints/{body['id']}/department",
        {"department": window.tree.department.code},
        content_type="application/json",
    )
    assert named.json()["accountable"]["code"] == window.tree.department.code
    assert (
        client.post(
            f"/api/enterprise/complaints/{body['id']}/department",
            {"department": window.tree.department.code},
            content_type="application/json",
        ).status_code
        == 403
    )
    complaint = Complaint.objects.get(pk=body["id"])
    case = case_actions.dispatch_case(complaint.case, actor=window.district_dispatcher)
    case = case_actions.acknowledge_case(case, actor=window.office_staff)
    case = case_actions.resolve_case(case, actor=window.office_staff, reply="已协调消防验收")
    case = case_actions.verify_case(case, actor=window.district_dispatcher, passed=True)
    assert case.state == State.FOLLOW_UP
    rated = client.post(
        f"/api/enterprise/complaints/{body['id']}/rate",
        {"rating": 4, "solved": True, "comment": "满意"},
        content_type="application/json",
    )
    assert rated.status_code == 200
    assert rated.json()["state"] == "closed"
    assert rated.json()["reply"] == "已协调消防验收"
    assert WindowEvent.objects.filter(complaint=complaint).count() == 3


def test_the_rankings_page_shows_the_windows_rates(window: WindowFixture) -> None:
    (mine, me), _other = window.enterprises
    complaint = actions.submit_complaint(mine, a_matter(), actor=me)
    actions.name_department(complaint, actor=window.office_staff, department=window.tree.department)
    leader = make_member(window.tree.district, Role.LEADER)
    page = client_for(leader).get("/evaluation/rankings/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "企业服务窗口（办不成事）" in text
    assert "区城市管理局" in text

"""The council pages and API: a member sees their own council and nothing of another;
officers and staff get the forms; phones are masked for ordinary members."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from civicgrid.councils import actions
from civicgrid.councils.models import CouncilMember, MemberKind
from civicgrid.org.models import Role
from tests.factories import CouncilFixture, TreeFixture, make_council, make_member

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def other(tree: TreeFixture) -> CouncilFixture:
    return make_council(tree.communities[2])


def test_a_member_lands_on_their_council_and_sees_its_members(council: CouncilFixture) -> None:
    member = council.user(council.members[0])
    client = client_of(member)
    home = client.get("/")
    assert home.status_code == 302 and home["Location"] == "/councils/"
    listing = client.get("/councils/")
    assert listing.status_code == 302
    assert listing["Location"] == f"/councils/{council.council.pk}/"
    html = client.get(listing["Location"]).content.decode()
    assert "甲商户" in html and "理事长商户" in html
    assert 'id="add-member"' not in html  # an ordinary member gets no form
    assert ">理事会<" in html  # the navigation offers the councils to a member


def test_a_member_of_another_council_gets_404_on_pages_and_api(
    council: CouncilFixture, other: CouncilFixture
) -> None:
    outsider = client_of(other.user(other.members[0]))
    pk = council.council.pk
    for url in (f"/councils/{pk}/", f"/councils/{pk}/log/"):
        assert outsider.get(url).status_code == 404, url
    response = outsider.post(f"/councils/{pk}/members/add/", {"name": "混进来", "kind": "merchant"})
    assert response.status_code == 404
    assert not CouncilMember.objects.filter(name="混进来").exists()
    api = outsider.get(f"/api/councils/{pk}/members")
    assert api.status_code == 404 and "detail" in api.json()
    assert [c["id"] for c in outsider.get("/api/councils").json()] == [other.council.pk]


def test_phones_are_whole_for_officers_and_masked_for_members(council: CouncilFixture) -> None:
    actions.add_member(
        council.council,
        actions.Seat(name="丁商户", kind=MemberKind.MERCHANT, phone="13912345678"),
        actor=None,
    )
    member = client_of(council.user(council.members[0])).get("/councils/")
    page = client_of(council.user(council.members[0])).get(f"/councils/{council.council.pk}/")
    assert member.status_code == 302
    assert "139****5678" in page.content.decode() and "13912345678" not in page.content.decode()
    secretary = client_of(council.user(council.secretary))
    assert "13912345678" in secretary.get(f"/councils/{council.council.pk}/").content.decode()
    rows = secretary.get(f"/api/councils/{council.council.pk}/members").json()
    assert "13912345678" in [r["phone"] for r in rows]
    rows = (
        client_of(council.user(council.members[0]))
        .get(f"/api/councils/{council.council.pk}/members")
        .json()
    )
    assert "139****5678" in [r["phone"] for r in rows]


def test_the_secretary_adds_a_member_through_the_form(council: CouncilFixture) -> None:
    client = client_of(council.user(council.secretary))
    url = f"/councils/{council.council.pk}/"
    response = client.post(
        f"{url}members/add/",
        {"name": "新开的面馆", "kind": "merchant", "role": "member", "term_start": "2026-01-01"},
        follow=True,
    )
    assert "成员已加入理事会。" in response.content.decode()
    bad = client.post(
        f"{url}members/add/",
        {"name": "坏日期", "kind": "merchant", "term_start": "2026-13-01"},
        follow=True,
    )
    assert "不是有效日期" in bad.content.decode()
    assert not CouncilMember.objects.filter(name="坏日期").exists()
    log = client.get(f"{url}log/").content.decode()
    assert "成员加入" in log and "新开的面馆" in log


def test_an_ordinary_member_is_refused_the_form_with_a_reason(council: CouncilFixture) -> None:
    client = client_of(council.user(council.members[0]))
    response = client.post(
        f"/councils/{council.council.pk}/members/add/",
        {"name": "自己拉的人", "kind": "merchant"},
        follow=True,
    )
    assert "只有本理事会的理事长或秘书长" in response.content.decode()
    assert not CouncilMember.objects.filter(name="自己拉的人").exists()


def test_the_api_adds_a_member_and_refuses_a_bad_credit_code(
    tree: TreeFixture, council: CouncilFixture
) -> None:
    street = client_of(make_member(tree.streets[0], Role.DISPATCHER))
    url = f"/api/councils/{council.council.pk}/members"
    made = street.post(
        url,
        json.dumps(
            {"name": "某科技公司", "kind": "enterprise", "credit_code": "91350100M000100Y43"}
        ),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    bad = street.post(
        url,
        json.dumps({"name": "假公司", "kind": "enterprise", "credit_code": "91350100M000100Y44"}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and "校验位" in bad.json()["detail"]
    assert not CouncilMember.objects.filter(name="假公司").exists()
    member = client_of(council.user(council.members[0]))
    refused = member.post(
        url, json.dumps({"name": "x", "kind": "merchant"}), content_type="application/json"
    )
    assert refused.status_code == 403


def test_staff_of_another_street_see_no_council_of_this_one(
    tree: TreeFixture, council: CouncilFixture
) -> None:
    other_street = client_of(make_member(tree.streets[1], Role.LEADER))
    assert other_street.get(f"/councils/{council.council.pk}/").status_code == 404
    district = client_of(make_member(tree.district, Role.LEADER))
    assert district.get(f"/councils/{council.council.pk}/").status_code == 200

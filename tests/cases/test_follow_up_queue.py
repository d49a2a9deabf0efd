"""The follow-up queue: the console page /followup/ and GET /api/follow-up (scoped,
oldest deadline first, paged by key, a page in a fixed number of queries, the call
script masked, the number only through a logged reveal) and recording a call from
the page and through the API, with its refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicgrid.cases import actions
from civicgrid.cases.models import Case, ContactReveal, FollowUpPolicy
from civicgrid.org.models import Role, User
from tests.cases.conftest import Staff
from tests.cases.test_lifecycle import dispatched
from tests.factories import make_member

PHONE = "13912345678"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def in_follow_up(staff: Staff, grid_index: int = 0, **fields) -> Case:  # type: ignore[no-untyped-def]
    """A minor matter of the community of grid ``grid_index``, handled and verified."""
    case = dispatched(staff, grid_index=grid_index, contact_phone=PHONE, **fields)
    owner = case.owner_unit
    handler = make_member(owner, Role.HANDLER, username=f"h{case.pk}")
    case = actions.acknowledge_case(case, actor=handler)
    case = actions.handle_case(case, actor=handler, note="联系了物业王经理 13800001111")
    case = actions.resolve_case(case, actor=handler, reply="楼道杂物已清理完毕。")
    return actions.verify_case(case, actor=staff.district_dispatcher, passed=True)


def due_in(case: Case, hours: int) -> Case:
    """Move the case's follow-up deadline (the queue's order)."""
    due = timezone.now() + timedelta(hours=hours)
    Case.objects.filter(pk=case.pk).update(follow_up_due=due, due_at=due)
    case.refresh_from_db()
    return case


@pytest.fixture
def street_operator(staff: Staff) -> User:
    return make_member(staff.tree.streets[0], Role.OPERATOR, username="jd_jiexian")


@pytest.fixture
def other_street_operator(staff: Staff) -> User:
    return make_member(staff.tree.streets[1], Role.OPERATOR, username="jd2_jiexian")


def first_message(response) -> str:  # type: ignore[no-untyped-def]
    return str(next(iter(response.context["messages"])))


def codes(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [script.case.tracking_code for script, _contact in response.context["scripts"]]


# --- the page --------------------------------------------------------------------------------


def test_the_page_lists_the_cases_in_follow_up_oldest_deadline_first_within_scope(
    staff: Staff, street_operator: User, other_street_operator: User
) -> None:
    later = due_in(in_follow_up(staff), 30)
    sooner = due_in(in_follow_up(staff), 2)
    overdue = due_in(in_follow_up(staff), -5)
    elsewhere = due_in(in_follow_up(staff, grid_index=8), 1)  # street 1's community
    dispatched(staff)  # not in follow-up: not listed

    page = client_for(staff.operator).get("/followup/")
    assert page.status_code == 200
    assert codes(page) == [
        overdue.tracking_code,
        elsewhere.tracking_code,
        sooner.tracking_code,
        later.tracking_code,
    ]
    html = page.content.decode()
    assert "4 件待回访" in html and html.count('class="tag urgent">已超期') == 1
    assert codes(client_for(street_operator).get("/followup/")) == [
        overdue.tracking_code,
        sooner.tracking_code,
        later.tracking_code,
    ]
    assert codes(client_for(other_street_operator).get("/followup/")) == [elsewhere.tracking_code]
    assert codes(client_for(staff.street_dispatcher).get("/followup/")) == codes(
        client_for(street_operator).get("/followup/")
    )


@pytest.mark.parametrize(
    "who", ["community_handler", "grid_worker", "department_handler", "leader", "outsider"]
)
def test_the_page_is_for_operators_and_dispatchers(staff: Staff, who: str) -> None:
    page = client_for(getattr(staff, who)).get("/followup/")
    assert page.status_code == 403 and "此页面供其他角色使用" in page.content.decode()
    call = client_for(getattr(staff, who)).post(
        f"/followup/{in_follow_up(staff).tracking_code}/", {"reached": "0"}
    )
    assert call.status_code == 403
    assert Client().get("/followup/").status_code == 302  # to the login page


def test_the_navigation_shows_it_to_whom_it_is_for(staff: Staff) -> None:
    assert "/followup/" in client_for(staff.operator).get("/").content.decode()
    assert "/followup/" not in client_for(staff.community_handler).get("/").content.decode()


def test_the_call_script_masks_personal_data_and_the_number(staff: Staff) -> None:
    case = in_follow_up(staff, text="楼道堆满杂物，邻居老李电话13700002222，请联系我13912345678")
    actions.follow_up_case(case, actor=staff.operator, reached=False, note="拨打13912345678无人接")
    page = client_for(staff.operator).get("/followup/")
    html = page.content.decode()
    ((script, contact),) = page.context["scripts"]
    assert "13700002222" not in html and "13912345678" not in html and "13800001111" not in html
    assert "楼道堆满杂物" in script.asked and "楼道杂物已清理完毕" in script.reply
    assert [(s.action, s.note) for s in script.done] == [
        ("handle", "联系了物业王经理 ［电话］"),
        ("resolve", ""),  # its note is the reply, shown as such
    ]
    assert [(c.attempt, c.reached, c.by) for c in script.calls] == [(1, False, str(staff.operator))]
    assert contact.phone == "139****5678" and contact.masked
    assert "第 2 次回访" in html


def test_a_reveal_gives_the_number_and_is_logged_with_its_reason(staff: Staff) -> None:
    case = in_follow_up(staff)
    url = f"/cases/{case.tracking_code}/contact/"
    operator = client_for(staff.operator)
    refused = operator.post(url, {"reason": " "}, headers={"HX-Request": "true"})
    assert refused.status_code == 200 and "请说明查看号码的原因" in refused.content.decode()
    assert not ContactReveal.objects.exists()
    shown = operator.post(url, {"reason": "回访致电"}, headers={"HX-Request": "true"})
    assert PHONE in shown.content.decode() and "<html" not in shown.content.decode()
    plain = operator.post(url, {"reason": "再次回访"})
    assert plain.status_code == 200 and PHONE in plain.content.decode()
    assert list(ContactReveal.objects.values_list("user__username", "reason")) == [
        ("jiexian", "回访致电"),
        ("jiexian", "再次回访"),
    ]
    # A handler of the owning community sees the case, but needs no number.
    handler = client_for(staff.community_handler).post(url, {"reason": "想问问"})
    assert handler.status_code == 403 and PHONE not in handler.content.decode()
    assert "您的角色无需查看群众的电话号码" in handler.content.decode()
    assert ContactReveal.objects.count() == 2


def test_a_page_costs_the_same_whatever_it_holds(staff: Staff) -> None:
    client = client_for(staff.operator)

    def queries() -> int:
        client.get("/followup/")  # warm the session and the scope
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/followup/")
        assert response.status_code == 200
        return len(captured)

    first = in_follow_up(staff)
    one = queries()
    for _ in range(4):
        case = in_follow_up(staff)
        actions.follow_up_case(case, actor=staff.operator, reached=False)
    actions.follow_up_case(first, actor=staff.operator, reached=True, note="稍后网上评价")
    assert queries() == one, "a query per case or per event"
    # session, user, scope, the count, the page's keys and rows, their events, the policy,
    # the navigation's department check
    assert one <= 12


def test_recording_calls_from_the_page(staff: Staff) -> None:
    case = in_follow_up(staff)
    client = client_for(staff.operator)
    url = f"/followup/{case.tracking_code}/"
    for n in (1, 2):
        response = client.post(
            url, {"version": Case.objects.get(pk=case.pk).version, "reached": "0"}, follow=True
        )
        message = [str(m) for m in response.context["messages"]]
        assert message == [
            f"{case.tracking_code}：已记录第 {n} 次回访：未联系上。"
            f"再有 {3 - n} 次未联系上，工单将按“联系不上”结案。"
        ]
    # Half a word is refused and nothing is stored.
    refused = client.post(
        url,
        {"version": Case.objects.get(pk=case.pk).version, "reached": "1", "rating": "4"},
        follow=True,
    )
    assert "请一并记录星级和是否解决" in first_message(refused)
    assert Case.objects.get(pk=case.pk).follow_up_attempts == 2
    nothing = client.post(url, {"version": Case.objects.get(pk=case.pk).version}, follow=True)
    assert "请选择是否联系上群众" in first_message(nothing)
    # A stale page is refused.
    stale = client.post(url, {"version": 1, "reached": "0"}, follow=True)
    assert "已被其他人更新" in first_message(stale)
    done = client.post(
        url,
        {
            "version": Case.objects.get(pk=case.pk).version,
            "reached": "1",
            "solved": "1",
            "rating": "5",
            "comment": "很满意",
            "note": "第三次接通",
            "before": "2030-01-01T00:00:00+08:00~5",
        },
    )
    assert done.status_code == 302 and done["Location"].startswith("/followup/?before=")
    case.refresh_from_db()
    assert (case.state, case.rating, case.solved, case.follow_up_attempts) == ("closed", 5, True, 3)
    event = case.events.order_by("-seq").first()
    assert (event.action, event.note, event.data["call_note"]) == ("rate", "很满意", "第三次接通")


def test_the_third_unanswered_call_from_the_page_closes_as_unreachable(staff: Staff) -> None:
    FollowUpPolicy.objects.create(max_attempts=2)
    case = in_follow_up(staff)
    client = client_for(staff.operator)
    for _ in range(2):
        response = client.post(
            f"/followup/{case.tracking_code}/",
            {"version": Case.objects.get(pk=case.pk).version, "reached": "0"},
            follow=True,
        )
    assert "已按“联系不上”结案" in first_message(response)
    case.refresh_from_db()
    assert case.state == "closed" and case.unreachable
    assert codes(response) == []


# --- the API ---------------------------------------------------------------------------------


def test_the_api_lists_the_queue_scoped_and_paged_by_key(
    staff: Staff, street_operator: User, other_street_operator: User
) -> None:
    made = [due_in(in_follow_up(staff), hours) for hours in (5, -1, 3, 3, 9)]
    elsewhere = due_in(in_follow_up(staff, grid_index=8), 0)
    expected = [
        c.tracking_code for c in sorted([*made, elsewhere], key=lambda c: (c.follow_up_due, c.pk))
    ]
    client = client_for(staff.operator)
    seen, pages, cursor = [], [], None
    while True:
        params = {"limit": 2, **({"before": cursor} if cursor else {})}
        body = client.get("/api/follow-up", params)
        assert body.status_code == 200
        page = body.json()
        pages.append(page)
        seen += [row["tracking_code"] for row in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == expected and [len(p["items"]) for p in pages] == [2, 2, 2]
    assert pages[0]["waiting"] == 6 and pages[0]["max_attempts"] == 3
    back = client.get("/api/follow-up", {"limit": 2, "after": pages[2]["previous"]}).json()
    assert [row["tracking_code"] for row in back["items"]] == expected[2:4]
    row = pages[0]["items"][0]
    assert row["contact"] == {"name": "张女士", "phone": "139****5678", "masked": True}
    assert row["may_call"] is True and row["follow_up_attempts"] == 0
    assert [s["action"] for s in row["done"]][:2] == ["handle", "resolve"]
    assert "13800001111" not in str(row)

    theirs = client_for(other_street_operator).get("/api/follow-up").json()
    assert [r["tracking_code"] for r in theirs["items"]] == [elsewhere.tracking_code]
    refused = client_for(staff.community_handler).get("/api/follow-up")
    assert refused.status_code == 403 and refused.json() == {
        "detail": "回访队列仅供接线员和调度员使用。"
    }
    assert Client().get("/api/follow-up").status_code == 401
    bad = client.get("/api/follow-up", {"before": "yesterday"})
    assert bad.status_code == 400 and "页码标记无效" in bad.json()["detail"]


def test_recording_a_call_through_the_api(staff: Staff, other_street_operator: User) -> None:
    case = in_follow_up(staff)
    url = f"/api/cases/{case.tracking_code}/follow-up"
    operator = client_for(staff.operator)

    def post(client: Client, **body):  # type: ignore[no-untyped-def]
        return client.post(url, body, content_type="application/json")

    missed = post(operator, version=case.version, reached=False, note="无人接听")
    assert missed.status_code == 200
    data = missed.json()
    assert (data["state"], data["follow_up_attempts"], data["unreachable"]) == (
        "follow_up",
        1,
        False,
    )
    assert data["events"][-1]["data"] == {"attempt": 1, "reached": False}
    version = data["version"]
    # Who may not: a handler of the owning unit (403), an operator of another street,
    # who cannot see the case (404).
    handler = post(client_for(staff.community_handler), version=version, reached=False)
    assert handler.status_code == 403
    assert handler.json() == {"detail": "只有接线员或调度员才能记录回访。"}
    unseen = post(client_for(other_street_operator), version=version, reached=False)
    assert unseen.status_code == 404
    # What may not be: half a word (400), a stale version (409), six stars (422).
    half = post(operator, version=version, reached=True, solved=True)
    assert half.status_code == 400 and "请一并记录星级和是否解决" in half.json()["detail"]
    unreached = post(operator, version=version, reached=False, rating=3, solved=True)
    assert unreached.status_code == 400
    assert unreached.json()["detail"] == "未联系上群众，不能记录评价。"
    assert post(operator, version=version - 1, reached=False).status_code == 409
    assert post(operator, version=version, reached=True, rating=6, solved=True).status_code == 422
    case.refresh_from_db()
    assert case.version == version and case.follow_up_attempts == 1, "nothing stored"
    # Reached, not solved: reopened by the policy.
    word = post(operator, version=version, reached=True, rating=3, solved=False, comment="没修好")
    assert word.status_code == 200
    data = word.json()
    assert (data["state"], data["reopens"], data["solved"], data["rating"]) == (
        "handling",
        1,
        False,
        3,
    )
    assert data["events"][-1]["action"] == "rate"
    assert data["events"][-1]["data"]["attempt"] == 2


def test_the_openapi_documents_the_queue_and_the_calls_refusals(staff: Staff) -> None:
    schema = client_for(staff.district_dispatcher).get("/api/openapi.json").json()
    listing = schema["paths"]["/api/follow-up"]["get"]
    assert {"200", "400", "401", "403"} <= set(listing["responses"])
    call = schema["paths"]["/api/cases/{code}/follow-up"]["post"]
    assert {"200", "400", "401", "403", "404", "409", "422"} <= set(call["responses"])
    body = schema["components"]["schemas"]["FollowUpIn"]["properties"]
    assert {"reached", "rating", "solved", "comment", "note", "version"} <= set(body)

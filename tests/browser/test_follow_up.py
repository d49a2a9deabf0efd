"""回访 in a real browser: an operator opens the follow-up calls, looks at the number
(with a reason, logged), records two calls that reach nobody and a third that reaches
the resident, who says it is solved; the case leaves the queue, closed with the rating."""

from __future__ import annotations

import pytest

from civicgrid.cases import actions
from civicgrid.cases.models import Case, ContactReveal, Urgency
from civicgrid.org.models import Role
from tests.browser.conftest import screenshot
from tests.browser.test_console import log_in
from tests.factories import make_categories, make_member, make_tree, submit

pytestmark = pytest.mark.browser


def test_an_operator_calls_three_times_and_the_third_reaches_the_resident(  # type: ignore[no-untyped-def]
    page, live_server, violations
) -> None:
    tree = make_tree()
    categories = make_categories()
    dispatcher = make_member(tree.district, Role.DISPATCHER, username="qu")
    handler = make_member(tree.communities[0], Role.HANDLER, username="sq")
    operator = make_member(tree.district, Role.OPERATOR, username="jiexian")
    case = submit(tree, contact_phone="13912345678", text="三单元楼道堆满纸箱，电话13912345678")
    case = actions.triage_case(
        case, actor=dispatcher, category=categories["minor"], urgency=Urgency.NORMAL
    )
    case = actions.dispatch_case(case, actor=dispatcher)
    case = actions.acknowledge_case(case, actor=handler)
    case = actions.handle_case(case, actor=handler, note="已通知物业清理")
    case = actions.resolve_case(case, actor=handler, reply="纸箱已全部清理，楼道畅通。")
    case = actions.verify_case(case, actor=dispatcher, passed=True)
    code = case.tracking_code

    log_in(page, live_server, operator.username)
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav.mainnav >> text=回访")
    page.wait_for_url(f"{live_server.url}/followup/")
    card = page.locator(f"article[data-case='{code}']")
    assert "纸箱已全部清理" in card.locator(".reply").inner_text()
    assert "已通知物业清理" in card.locator(".done").inner_text()
    assert "13912345678" not in page.content(), "the number only through a reveal"
    assert card.locator(".phone").inner_text() == "139****5678"

    # The number, with the reason logged (htmx puts it in its place).
    card.locator("form.reveal button").click()
    page.wait_for_selector(f"#phone-{code} .revealed")
    assert card.locator(".phone").inner_text() == "13912345678"
    assert ContactReveal.objects.get().user == operator

    def record(reached: bool, **word: str) -> str:
        card = page.locator(f"article[data-case='{code}']")
        form = card.locator("form.call")
        form.locator(f"input[name=reached][value='{1 if reached else 0}']").check()
        if "solved" in word:
            form.locator(f"input[name=solved][value='{word['solved']}']").check()
        if "rating" in word:
            form.locator(f"input[name=rating][value='{word['rating']}']").check()
        if "comment" in word:
            form.locator("textarea[name=comment]").fill(word["comment"])
        form.locator("textarea[name=note]").fill(word.get("note", ""))
        form.locator("button[type=submit]").click()
        page.wait_for_selector(".messages li")
        return page.inner_text(".messages li")

    first = record(False, note="无人接听")
    assert first == (
        f"{code}：已记录第 1 次回访：未联系上。再有 2 次未联系上，工单将按“联系不上”结案。"
    )
    second = record(False, note="占线")
    assert "第 2 次回访：未联系上" in second
    calls = page.locator(f"article[data-case='{code}'] .calls li")
    assert calls.count() == 2 and "未联系上" in calls.first.inner_text()
    assert "第 3 次回访" in page.locator(f"article[data-case='{code}'] .attempt").inner_text()
    screenshot(page, "follow-up-two-calls")

    third = record(True, solved="1", rating="5", comment="清理得很干净", note="第三次接通")
    assert third == f"{code}：已记录群众评价，工单已结案。"
    assert page.locator(f"article[data-case='{code}']").count() == 0
    assert "没有待回访的工单" in page.inner_text("main")

    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.rating, case.solved, case.follow_up_attempts) == ("closed", 5, True, 3)
    assert not case.unreachable
    assert list(case.events.filter(data__has_key="attempt").values_list("action", flat=True)) == [
        "follow_up",
        "follow_up",
        "rate",
    ]

    # The case page's timeline tells the calls apart.
    page.goto(f"{live_server.url}/cases/{code}/")
    timeline = page.inner_text(".timeline")
    assert "第 1 次回访 · 未联系上" in timeline and "第 3 次回访 · 已联系上" in timeline
    assert "第三次接通" in timeline
    assert not violations, violations

"""On a phone: the secretary plans and holds a meeting, records a decision and a follow-up
item, and turns the item into a case with one click; a member confirms attendance on
their phone; the case goes through the normal loop to closed, and the council's page
shows the item done. A member of another council is refused the council's pages."""

from __future__ import annotations

import pytest

from civicgrid.cases.models import Case, Channel
from civicgrid.councils import problems
from civicgrid.councils.models import ActionItem, Attendance
from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import grave_violations
from tests.browser.test_console import log_in
from tests.councils.loop import make_loop
from tests.factories import make_council, make_tree

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_a_meeting_then_an_item_then_a_case_then_the_item_done(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    loop = make_loop(tree)
    council = make_council(tree.communities[0], name="幸福街商圈理事会")
    other = make_council(tree.communities[2], name="东园业主委员会")
    secretary = council.user(council.secretary)
    member = council.user(council.members[0])
    base = f"{live_server.url}/councils/{council.council.pk}"
    page.set_viewport_size(PHONE)

    log_in(page, live_server, secretary.username)
    page.wait_for_url(f"{live_server.url}/**")
    page.goto(f"{base}/meetings/")
    page.click("#plan-meeting summary")
    page.fill("#mt-title", "十二月理事会议")
    page.fill("#mt-start", "2026-12-03T14:30")
    page.fill("#mt-place", "商会会议室")
    page.fill("#mt-agenda", "一、门前停车秩序")
    page.click("#plan-meeting button[type=submit]")
    page.click("#meetings >> text=十二月理事会议")
    # Moved to the next day before it is held; the form holds the plan as it was.
    page.click("#change-meeting summary")
    assert page.input_value("#ch-start") == "2026-12-03T14:30"
    page.fill("#ch-start", "2026-12-04T14:30")
    page.click("button[data-action='edit']")
    page.wait_for_selector("text=会议已修改。")
    assert "2026-12-04 14:30" in page.inner_text("#meeting")
    page.click("button[data-action='hold']")
    page.wait_for_selector("#meeting[data-state='held']")
    page.fill("#decision-text", "设立门前停车协管岗")
    page.click("button[data-action='decision']")
    page.wait_for_selector("#decisions >> text=设立门前停车协管岗")
    page.fill("#item-text", "路口信号灯配时过短，请交警调整")
    page.select_option("#item-owner", f"m{council.members[0].pk}")
    page.fill("#item-due", "2026-12-20")
    page.click("button[data-action='add-item']")
    item = page.locator("#items li[data-state='open']")
    item.wait_for()
    screenshot(page, "council-meeting-phone")
    found = grave_violations(page)
    item.locator("button[data-action='to-case']").click()
    page.wait_for_selector("#items li[data-state='in_case']")
    assert "已转工单（已受理）" in page.inner_text("#items")
    row = ActionItem.objects.get()
    assert row.case is not None and row.case.channel == Channel.COUNCIL
    found += grave_violations(page)
    problems.raise_problem(council.council, actor=member, title="停车难", text="顾客无处停车")
    page.goto(f"{base}/problems/")
    found += grave_violations(page)

    # a member confirms on their phone, from the council's first page
    page.context.clear_cookies()
    log_in(page, live_server, member.username)
    page.wait_for_url(f"{base}/")
    assert "路口信号灯配时过短" in page.inner_text("#my-items")
    page.click("#my-meetings button[data-action='confirm']")
    page.wait_for_selector("#my-meetings [data-presence='present']")
    assert Attendance.objects.get().how == "phone"
    found += grave_violations(page)

    # the case goes round the normal loop to closed; the council sees the item done
    loop.close(Case.objects.get(pk=row.case_id))
    page.goto(f"{base}/meetings/")
    done = page.locator(f"#items li[data-item='{row.pk}']")
    assert done.get_attribute("data-state") == "done"
    assert "已完成" in done.inner_text()
    screenshot(page, "council-item-done")
    assert not found, "\n".join(found)

    # a member of another council is refused this council's pages
    page.context.clear_cookies()
    log_in(page, live_server, other.user(other.members[0]).username)
    page.wait_for_url(f"{live_server.url}/**")
    for path in ("/", "/meetings/", f"/meetings/{row.meeting_id}/", "/problems/"):
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 404, path
    assert "幸福街" not in page.inner_text("main")

"""A grid call (一呼百应) from broadcast to claim to completion: the community's handler
calls the grid's volunteers from a case's page; the outbox queues their messages; two
party members claim it on their phones and report it done with a photo, a third comes
too late; hours and points are credited and the case shows who helped. A volunteer of
another grid can neither see nor claim the call."""

from __future__ import annotations

import pytest

from civicgrid.cases import actions
from civicgrid.cases.models import Urgency
from civicgrid.notify.models import Notification
from civicgrid.org.models import Role
from civicgrid.people import calls, ledger
from civicgrid.people.call_models import CallState, GridCall
from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import check
from tests.browser.test_console import log_in
from tests.factories import UserFactory, make_categories, make_member, make_tree, submit
from tests.images import image_bytes
from tests.people.conftest import person

pytestmark = pytest.mark.browser

PHOTO = {"name": "done.jpg", "mimeType": "image/jpeg", "buffer": image_bytes()}


def claim_and_report(page, live_server, username: str, report: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    log_in(page, live_server, username)
    page.wait_for_url(f"{live_server.url}/**")
    page.goto(f"{live_server.url}/people/calls/mine/")
    page.click("#open-calls button[data-action='claim']")
    page.wait_for_selector("text=认领成功。完成后请拍照报告。")
    page.set_input_files("#r-photo", PHOTO)
    page.fill("#r-report", report)
    page.click("button[data-action='report']")
    page.wait_for_selector("text=已报告完成，时长和积分已记入。")
    assert page.locator("#my-claim[data-state='done']").count() == 1


def test_a_grid_call_from_broadcast_to_claim_to_completion(page, browser, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    categories = make_categories()
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    handler = make_member(tree.communities[0], Role.HANDLER, username="shequ")
    case = submit(tree)
    case = actions.triage_case(
        case, actor=dispatcher, category=categories["minor"], urgency=Urgency.NORMAL
    )
    case = actions.dispatch_case(case, actor=dispatcher)
    case = actions.acknowledge_case(case, actor=handler)
    phones = {
        username: person(
            tree.grids[0], name, party_member=True, user=UserFactory(username=username)
        )
        for username, name in (("wang", "王党员"), ("li", "李党员"), ("zhao", "赵党员"))
    }
    far = person(tree.grids[1], "邻网格志愿者", user=UserFactory(username="far"))

    # The community's handler calls the grid's volunteers from the case's page.
    log_in(page, live_server, "shequ")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/cases/{case.tracking_code}/")
    page.click("#call-from-case summary")
    page.fill("#c-title", "帮忙清理三单元楼道纸箱")
    page.fill("#c-wanted", "2")
    page.fill("#c-hours", "1.5")
    page.fill("#c-points", "10")
    page.click("#call-from-case button[type=submit]")
    page.wait_for_selector("text=呼叫已发出，正在通知网格人员。")
    assert "已通知有账号的3人。" in page.inner_text("#call-reached")
    call = GridCall.objects.get()
    assert call.case == case and call.grid == tree.grids[0]
    screenshot(page, "grid-call-broadcast")

    # The worker's fan-out: one message to each of the grid's three (the log adapter).
    assert calls.fan_out_call.call(call.pk)["messages"] == 3
    assert Notification.objects.filter(topic=f"grid_call:{call.pk}").count() == 3

    # A third party member opens the call on another phone, and waits too long.
    late = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    late_page = late.new_page()
    log_in(late_page, live_server, "zhao")
    late_page.wait_for_url(f"{live_server.url}/**")
    late_page.goto(f"{live_server.url}/people/calls/mine/")
    assert "帮忙清理三单元楼道纸箱" in late_page.inner_text("#open-calls")

    page.set_viewport_size({"width": 390, "height": 844})
    claim_and_report(page, live_server, "wang", "纸箱已搬到回收点")
    screenshot(page, "grid-call-reported")
    claim_and_report(page, live_server, "li", "楼道已扫干净")

    late_page.click("#open-calls button[data-action='claim']")
    late_page.wait_for_selector("text=来晚了：该呼叫需要的2人已认领满。")
    late.close()

    call.refresh_from_db()
    assert call.state == CallState.DONE
    for username in ("wang", "li"):
        assert ledger.totals(phones[username]) == ledger.Totals(hours=call.hours, points=10)
    assert ledger.totals(phones["zhao"]).points == 0

    # Wang's phone: my hours and points.
    page.context.clear_cookies()
    log_in(page, live_server, "wang")
    page.wait_for_url(f"{live_server.url}/**")
    page.goto(f"{live_server.url}/people/calls/mine/")
    assert page.inner_text("#my-hours") == "1.5" and page.inner_text("#my-points") == "10"
    screenshot(page, "grid-call-my-points")
    problems: list[str] = []
    check(page, "/people/calls/mine/", live_server, problems)
    check(page, f"/people/calls/{call.pk}/", live_server, problems)

    # A volunteer of another grid: the call is not theirs to see or claim.
    page.context.clear_cookies()
    log_in(page, live_server, "far")
    page.wait_for_url(f"{live_server.url}/**")
    answer = page.goto(f"{live_server.url}/people/calls/{call.pk}/")
    assert answer is not None and answer.status == 404
    page.goto(f"{live_server.url}/people/calls/mine/")
    assert "帮忙清理三单元楼道纸箱" not in page.inner_text("main")
    answer = page.request.post(f"{live_server.url}/api/grid-calls/{call.pk}/claim")
    assert answer.status in (403, 404)
    assert far.call_claims.count() == 0

    # The community sees the call done, and the case who helped.
    page.set_viewport_size({"width": 1280, "height": 860})
    page.context.clear_cookies()
    log_in(page, live_server, "shequ")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/people/calls/?state=done")
    assert page.locator(f"#calls tr[data-call='{call.pk}'][data-state='done']").count() == 1
    assert "2 / 2" in page.inner_text("#calls")
    page.goto(f"{live_server.url}/cases/{case.tracking_code}/")
    helpers = page.inner_text("#case-helpers")
    assert "王**（已完成）" in helpers and "李**（已完成）" in helpers
    assert "王党员" not in helpers
    screenshot(page, "grid-call-case-helpers")
    for path in ("/people/calls/", f"/cases/{case.tracking_code}/"):
        check(page, path, live_server, problems)
    assert not problems, "\n".join(problems)

from __future__ import annotations

import pytest

from civicgrid.cases.models import Case, State
from civicgrid.org.models import Role
from tests.browser.conftest import screenshot
from tests.browser.test_console import log_in
from tests.factories import make_categories, make_member, make_tree, submit

pytestmark = pytest.mark.browser


def act(page, action: str, note: str = "") -> None:  # type: ignore[no-untyped-def]
    box = page.locator(f"details.action[data-action='{action}']")
    box.locator("summary").click()
    if note:
        box.locator("textarea[name=note]").fill(note)
    box.locator("button[type=submit]").click()
    page.wait_for_selector(".messages li")


def test_a_case_goes_round_the_loop_in_the_console(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    make_categories()
    make_member(tree.district, Role.DISPATCHER, username="qu")
    make_member(tree.communities[0], Role.HANDLER, username="sq")
    make_member(tree.communities[1], Role.HANDLER, username="sq2")
    make_member(tree.grids[0], Role.GRID_WORKER, username="wgy")
    case = submit(tree)
    url = f"{live_server.url}/cases/{case.tracking_code}/"

    def session(username: str):  # type: ignore[no-untyped-def]
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, live_server, username)
        page.wait_for_url(f"{live_server.url}/")
        return context, page

    ctx, page = session("qu")
    page.click("nav.mainnav >> text=工单")
    page.wait_for_selector(f"text={case.tracking_code}")
    assert page.inner_text(".tabs a[data-queue='triage'] .count") == "1"
    page.click(f"text={case.tracking_code}")
    page.wait_for_selector("#case-map[data-loaded='2']")  # the grid and the point
    box = page.locator("details.action[data-action='triage']")
    box.locator("summary").click()
    box.locator("select[name=category]").select_option(label="邻里噪声")  # under 测试大类
    box.locator("button[type=submit]").click()
    page.wait_for_selector(".messages li")
    act(page, "dispatch")
    assert "已派单" in page.inner_text("#case-state")
    offered = [d.get_attribute("data-action") for d in page.locator("details.action").all()]
    assert "triage" not in offered and "dispatch" not in offered
    ctx.close()

    # Another community's handler cannot even open it.
    ctx, page = session("sq2")
    response = page.goto(url)
    assert response.status == 404
    ctx.close()

    ctx, page = session("sq")
    page.goto(url)
    actions_offered = [d.get_attribute("data-action") for d in page.locator("details.action").all()]
    assert "acknowledge" in actions_offered and "triage" not in actions_offered
    act(page, "acknowledge")
    act(page, "resolve", "楼道已清理干净")
    assert "已办结" in page.inner_text("#case-state")
    screenshot(page, "case-resolved")
    ctx.close()

    ctx, page = session("wgy")
    page.goto(url)
    act(page, "verify")
    assert "待回访" in page.inner_text("#case-state")
    timeline = page.inner_text(".timeline")
    for step in ["受理", "分类", "派单", "签收", "办结", "核查"]:
        assert step in timeline
    ctx.close()
    assert Case.objects.get(pk=case.pk).state == State.FOLLOW_UP


def test_a_stale_page_is_refused_with_a_message(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    categories = make_categories()
    dispatcher = make_member(tree.district, Role.DISPATCHER, username="qu")
    case = submit(tree)
    log_in(page, live_server, "qu")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/cases/{case.tracking_code}/")
    # Someone else triages it meanwhile.
    from civicgrid.cases.actions import triage_case

    triage_case(case, actor=dispatcher, category=categories["major"], urgency="normal")
    act(page, "reject", "测试")
    assert "已被其他人更新" in page.inner_text(".messages")
    assert Case.objects.get(pk=case.pk).state == State.SUBMITTED

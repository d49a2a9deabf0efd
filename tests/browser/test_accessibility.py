"""axe-core (bundled with axe-playwright-python: nothing fetched) on every resident page
and on the staff pages the demo roles reach: no critical or serious violation. A failure
names the rule, what it is about and the elements at fault."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache

from civicgrid.cases import actions
from civicgrid.cases.models import Category, Tier, Urgency
from civicgrid.evaluation import actions as appeals
from civicgrid.evaluation import publishing
from civicgrid.evaluation.models import Ground
from civicgrid.evaluation.selection import Period
from civicgrid.intake.models import Place
from civicgrid.org.models import Role
from tests.browser.test_console import log_in
from tests.factories import (
    ORIGIN_LAT,
    ORIGIN_LON,
    make_categories,
    make_member,
    make_tree,
    submit,
)

pytestmark = pytest.mark.browser

GRAVE = ("critical", "serious")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def grave_violations(page: Any) -> list[str]:
    """axe-core's critical and serious findings on the page as it stands, one line each:
    the rule, its help text and up to five elements (CSS selector and HTML)."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page)
    lines = []
    for v in found.response["violations"]:
        if v.get("impact") not in GRAVE:
            continue
        nodes = "; ".join(
            f"{' '.join(map(str, n['target']))} {n['html'][:120]}" for n in v["nodes"][:5]
        )
        lines.append(f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at {nodes}")
    return lines


def check(page: Any, path: str, live_server: Any, problems: list[str]) -> None:
    if path:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None
        expect_missing = path.startswith("/r/done/NOSUCHCODE")
        assert response.status == (404 if expect_missing else 200), (path, response.status)
    page.wait_for_load_state("load")
    if path.startswith("/evaluation/cockpit/"):
        page.wait_for_selector("#cockpit[data-drawn='1']")  # its panels drawn by script
    problems.extend(grave_violations(page))


def resident_case_in_follow_up(tree: Any, categories: dict[str, Any]) -> Any:
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    handler = make_member(tree.communities[0], Role.HANDLER)
    case = submit(tree, contact_phone="13912345678")
    case = actions.triage_case(
        case, actor=dispatcher, category=categories["minor"], urgency=Urgency.NORMAL
    )
    case = actions.dispatch_case(case, actor=dispatcher)
    case = actions.acknowledge_case(case, actor=handler)
    case = actions.resolve_case(
        case, actor=handler, reply="已联系物业清理三单元楼道的纸箱杂物，楼道已恢复畅通，请您监督。"
    )
    return actions.verify_case(case, actor=dispatcher, passed=True)


def test_resident_pages_have_no_grave_axe_violation(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    categories = make_categories()
    Place.objects.create(
        name="幸福小区",
        kind=Place.Kind.ESTATE,
        lon=ORIGIN_LON + 0.005,
        lat=ORIGIN_LAT + 0.005,
        community=tree.communities[0],
    )
    case = resident_case_in_follow_up(tree, categories)
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []

    check(page, "/r/", live_server, problems)
    # The form sent back with the server's refusal.
    page.fill("textarea[name=text]", "小区北门的下水道堵了，污水漫到人行道上。")
    page.fill("input[name=phone]", "13912345678")
    page.select_option("select[name=place]", label="幸福小区（社区1）")
    page.evaluate("document.querySelector('form#ask').noValidate = true")
    page.fill("textarea[name=text]", "")
    page.click("form#ask button[type=submit]")
    page.wait_for_selector(".msg.error")
    check(page, "", live_server, problems)
    page.fill("textarea[name=text]", "小区北门的下水道堵了，污水漫到人行道上。")
    page.click("form#ask button[type=submit]")
    page.wait_for_selector("#tracking-code")
    check(page, "", live_server, problems)  # the done page
    check(page, "/r/track/", live_server, problems)
    page.fill("input[name=code]", case.tracking_code)
    page.fill("input[name=last4]", "0000")
    page.click("form button[type=submit]")
    page.wait_for_selector(".msg.error")
    check(page, "", live_server, problems)  # refused
    page.fill("input[name=last4]", "5678")
    page.click("form button[type=submit]")
    page.wait_for_selector("#rate")
    check(page, "", live_server, problems)  # the case with its rating form
    check(page, "/r/done/NOSUCHCODE/", live_server, problems)  # not found
    context.close()
    assert not problems, "\n".join(problems)


def test_staff_pages_have_no_grave_axe_violation(page, live_server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.triage import actions as triage_actions
    from tests.browser.test_triage import trained

    # As test_triage's world: the process keeps the active classifier by version id.
    cache.clear()
    monkeypatch.setattr(triage_actions, "_loaded", triage_actions._Loaded())
    tree = make_tree()
    categories = make_categories()
    top = Category.objects.create(code="U", name="城市管理")
    middle = Category.objects.create(code="U1", name="市容秩序", parent=top)
    Category.objects.create(code="U101", name="占道经营", parent=middle, default_tier=Tier.MINOR)
    district = make_member(tree.district, Role.DISPATCHER, username="qu")
    street = make_member(tree.streets[0], Role.DISPATCHER, username="jd")
    community = make_member(tree.communities[0], Role.HANDLER, username="sq")
    make_member(tree.department, Role.HANDLER, username="bm")
    make_member(tree.district, Role.OPERATOR, username="jx")
    make_member(tree.grids[0], Role.GRID_WORKER, username="wg")
    admin = make_member(tree.district, Role.LEADER, username="boss")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    version = trained()
    submit(tree, text="楼道里堆满了纸箱杂物，消防通道被堵住。")  # waits at triage
    followed = resident_case_in_follow_up(tree, categories)
    whistled = submit(tree, text="路边摊贩占道经营堵住人行道。")
    whistled = actions.triage_case(
        whistled, actor=district, category=categories["moderate"], urgency=Urgency.NORMAL
    )
    whistled = actions.dispatch_case(whistled, actor=district)
    actions.whistle_case(whistled, actor=street, lead=tree.department)
    appealed = submit(tree)
    appealed = actions.triage_case(
        appealed, actor=district, category=categories["minor"], urgency=Urgency.NORMAL
    )
    appealed = actions.dispatch_case(appealed, actor=district)
    appeals.submit_appeal(
        appealed,
        actor=community,
        ground=Ground.UNREASONABLE,
        reason="居民要求拆除邻居合法搭建的雨棚，超出本单位职责。",
    )

    problems: list[str] = []
    check(page, "/login/", live_server, problems)
    pages = {
        "boss": [
            "/",
            "/cases/",
            f"/cases/{followed.tracking_code}/",
            "/triage/",
            "/triage/hot/",
            "/triage/models/",
            f"/triage/models/{version.pk}/",
            "/evaluation/",
            "/evaluation/cases/?figure=response",
            "/evaluation/appeals/",
            "/evaluation/rankings/",  # live: the month not published
            "/evaluation/cockpit/",  # its rankings panel live
            "/evaluation/cockpit/screen/",
            f"/cases/{followed.tracking_code}/sheet/",  # the printable case sheet
            "/followup/",
            "/units/",
            "/notify/",
            "/account/",
            "/admin/",
        ],
        "jx": ["/intake/hotline/"],
        "wg": ["/intake/patrol/"],
        "bm": ["/tasks/", f"/cases/{whistled.tracking_code}/"],
        "sq": ["/", f"/cases/{appealed.tracking_code}/"],
    }
    for username, paths in pages.items():
        page.context.clear_cookies()
        log_in(page, live_server, username)
        page.wait_for_url(f"{live_server.url}/")
        for path in paths:
            check(page, path, live_server, problems)
    # A published month: the rankings page and the cockpit's panel as published.
    before = Period.current_month().start - timedelta(days=1)
    month = Period.month(before.year, before.month)
    publishing.publish_month(admin, month, early=True)
    page.context.clear_cookies()
    log_in(page, live_server, "boss")
    page.wait_for_url(f"{live_server.url}/")
    for path in (
        f"/evaluation/rankings/?month={month.key}",
        "/evaluation/cockpit/",
        "/evaluation/cockpit/screen/",
    ):
        check(page, path, live_server, problems)
    assert page.locator("#cockpit-rankings").get_attribute("data-status") == "published"
    assert not problems, "\n".join(problems)

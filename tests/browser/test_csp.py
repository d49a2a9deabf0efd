"""The Content-Security-Policy in a real browser: Leaflet, htmx, Swagger UI and our own
scripts work under it, and nothing on the main pages is blocked by it (Chromium reports
each blocked script, style, image or connection as a violation)."""

from __future__ import annotations

import pytest

from civicgrid.cases import actions
from civicgrid.cases.models import Urgency
from civicgrid.org.models import Role
from tests.browser.conftest import REPORT_VIOLATIONS, screenshot
from tests.browser.test_console import log_in
from tests.factories import make_categories, make_member, make_tree, submit

pytestmark = pytest.mark.browser


def test_the_console_runs_under_the_policy(page, live_server, violations) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    cats = make_categories()
    leader = make_member(tree.district, Role.LEADER, username="lingdao")
    dispatcher = make_member(tree.district, Role.DISPATCHER, username="diaodu")
    case = actions.dispatch_case(
        actions.triage_case(
            submit(tree), actor=dispatcher, category=cats["minor"], urgency=Urgency.NORMAL
        ),
        actor=dispatcher,
    )
    log_in(page, live_server, leader.username)
    page.wait_for_url(f"{live_server.url}/")

    # Leaflet's map and htmx's tree; the map's unit chosen from the list (console.js).
    page.goto(f"{live_server.url}/units/")
    page.wait_for_selector("#grid-map[data-loaded]")
    page.wait_for_selector(".unit-tree >> text=测试区")
    page.select_option("#map-unit", tree.streets[1].code)
    page.wait_for_url(f"**/units/?map={tree.streets[1].code}")
    page.wait_for_selector("#grid-map[data-loaded]")

    # Swagger UI at /api/docs renders the API's operations.
    page.goto(f"{live_server.url}/api/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    screenshot(page, "csp-api-docs")

    page.goto(f"{live_server.url}/triage/hot/")
    page.wait_for_selector("#hot-map")
    page.goto(f"{live_server.url}/account/")
    page.wait_for_selector("text=退出所有登录")
    page.goto(f"{live_server.url}/cases/{case.tracking_code}/")
    page.wait_for_selector("main h1")
    assert not violations, violations


def test_the_field_and_resident_pages_run_under_the_policy(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    make_categories()
    make_member(tree.grids[0], Role.GRID_WORKER, username="wangge")
    context = browser.new_context(
        locale="zh-CN",
        geolocation={"latitude": 30.005, "longitude": 120.005},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    found: list[str] = []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda m: found.append(m.text) if "CSP" in m.text else None)
    page.on("pageerror", lambda e: found.append(f"script error: {e}"))
    try:
        page.goto(f"{live_server.url}/r/")
        page.wait_for_selector("form")
        log_in(page, live_server, "wangge")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/intake/patrol/")
        page.click("#here")  # "use my location" (console.js, no inline handler)
        page.wait_for_function("document.getElementById('lat').value !== ''")
        assert page.input_value("#lon").startswith("120.005")
        assert page.input_value("#lat").startswith("30.005")
    finally:
        context.close()
    assert not found, found

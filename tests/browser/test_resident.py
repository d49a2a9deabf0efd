"""On a phone: a resident asks with a photo, gets a tracking code; staff acknowledge and
resolve (with a photo, in the console); the resident follows it and rates it."""

from __future__ import annotations

import pytest

from civicgrid.cases import actions
from civicgrid.cases.models import Case, Photo, State, Urgency
from civicgrid.org.models import Role
from tests.browser.conftest import screenshot
from tests.browser.test_console import log_in
from tests.factories import make_categories, make_member, make_tree
from tests.images import image_bytes

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_a_resident_asks_follows_and_rates_on_a_phone(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    categories = make_categories()
    dispatcher = make_member(tree.district, Role.DISPATCHER, username="qu")
    make_member(tree.streets[1], Role.DISPATCHER, username="jd2")
    make_member(tree.communities[2], Role.HANDLER, username="sq3")

    phone = browser.new_context(locale="zh-CN", **PHONE)
    page = phone.new_page()
    page.set_default_timeout(15_000)
    outside: list[str] = []
    page.on(
        "request", lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url)
    )
    page.goto(f"{live_server.url}/r/")
    page.wait_for_selector("#pick-map[data-ready='1']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling"
    # Just right of the middle of the district (on the border of communities 2 and 3):
    # street 2, community 3.
    box = page.locator("#pick-map").bounding_box()
    assert box is not None
    page.locator("#pick-map").tap(position={"x": box["width"] / 2 + 20, "y": box["height"] / 2})
    page.wait_for_selector("#pick-map[data-picked='1']")
    page.fill("textarea[name=text]", "小区北门的下水道堵了，污水漫到人行道上。")
    page.set_input_files(
        "#photos", files=[{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": image_bytes()}]
    )
    page.fill("input[name=phone]", "13912345678")
    page.check("input[name=hide_identity]")
    page.click("button[type=submit]")
    page.wait_for_selector("#tracking-code, .msg.error")
    screenshot(page, "resident-submitted")
    assert not page.locator(".msg.error").count(), page.inner_text(".msg.error")
    code = page.inner_text("#tracking-code").strip()
    screenshot(page, "resident-done")
    case = Case.objects.get(tracking_code=code)
    assert case.grid is not None and case.grid.parent == tree.communities[2]
    assert Photo.objects.filter(case=case).count() == 1

    case = actions.triage_case(
        case, actor=dispatcher, category=categories["minor"], urgency=Urgency.NORMAL
    )
    case = actions.dispatch_case(case, actor=dispatcher)
    staff = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    console = staff.new_page()
    console.set_default_timeout(15_000)
    log_in(console, live_server, "sq3")
    console.wait_for_url(f"{live_server.url}/")
    console.goto(f"{live_server.url}/cases/{code}/")
    console.locator("details.action[data-action='acknowledge'] summary").click()
    console.locator("details.action[data-action='acknowledge'] button[type=submit]").click()
    console.wait_for_selector(".messages li")
    box = console.locator("details.action[data-action='resolve']")
    box.locator("summary").click()
    box.locator("textarea[name=note]").fill("已疏通下水道并清理路面。")
    box.locator("input[name=photos]").set_input_files(
        files=[{"name": "after.png", "mimeType": "image/png", "buffer": image_bytes("PNG")}]
    )
    box.locator("button[type=submit]").click()
    console.wait_for_selector(".timeline .photos img")
    assert "已办结" in console.inner_text("#case-state")
    staff.close()
    case.refresh_from_db()
    actions.verify_case(case, actor=make_member(tree.streets[1], Role.DISPATCHER), passed=True)

    # A fresh phone session: the code and the last four digits open it.
    phone.close()
    phone = browser.new_context(locale="zh-CN", **PHONE)
    page = phone.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/r/track/")
    page.fill("input[name=code]", code)
    page.fill("input[name=last4]", "5678")
    page.click("button[type=submit]")
    page.wait_for_selector("#steps")
    steps = page.inner_text("#steps")
    assert "已办结" in steps and "已疏通下水道" in steps
    page.check("#rate input[name=rating][value='5']")
    page.click("#rate button[type=submit]")
    page.wait_for_selector(".msg.success")
    screenshot(page, "resident-rated")
    phone.close()
    case.refresh_from_db()
    assert (case.state, case.rating, case.solved) == (State.CLOSED, 5, True)
    assert not outside, f"the phone asked for something beyond this server: {outside}"

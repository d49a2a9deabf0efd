"""A council on a phone: the secretary adds a member and forms a working group; the member
logs in, lands on the council and sees it; a member of another council is refused."""

from __future__ import annotations

import pytest

from civicgrid.councils.models import CouncilAction, CouncilMember
from tests.browser.conftest import screenshot
from tests.browser.test_console import log_in
from tests.factories import make_council, make_tree

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_a_secretary_runs_the_members_on_a_phone_and_others_are_refused(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    council = make_council(tree.communities[0])
    other = make_council(tree.communities[2])
    council.user(council.secretary).username = "mishu"
    council.user(council.secretary).save()
    page.set_viewport_size(PHONE)

    log_in(page, live_server, "mishu")
    page.wait_for_url(f"{live_server.url}/councils/{council.council.pk}/")
    page.click("#add-member summary")
    page.fill("#m-name", "新来的茶饮店")
    page.select_option("#m-kind", "merchant")
    page.fill("#m-phone", "13800002222")
    page.click("#add-member button[type=submit]")
    page.wait_for_selector("text=成员已加入理事会。")
    assert CouncilMember.objects.filter(council=council.council, name="新来的茶饮店").exists()
    page.click("#form-group summary")
    page.fill("#g-name", "门前三包专班")
    page.locator("#form-group label", has_text="新来的茶饮店").click()
    page.click("#form-group button[type=submit]")
    page.wait_for_selector("#groups li:has-text('门前三包专班')")
    screenshot(page, "council-members-phone")
    # the page fits the phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.click("nav.tabs >> text=记录")
    assert page.locator(f"#log li[data-action='{CouncilAction.FORM_GROUP}']").count() == 1

    page.context.clear_cookies()
    outsider = other.user(other.members[0])
    outsider.username = "wairen"
    outsider.save()
    log_in(page, live_server, "wairen")
    page.wait_for_url(f"{live_server.url}/councils/{other.council.pk}/")
    assert "新来的茶饮店" not in page.inner_text("main")
    response = page.goto(f"{live_server.url}/councils/{council.council.pk}/")
    assert response is not None and response.status == 404

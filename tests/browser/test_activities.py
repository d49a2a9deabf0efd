"""An activity from the community's page to the phone and back: planned, signed up to
from a party member's phone, attendance recorded, the points on the phone; then at the
supermarket's counter a redemption that lowers the points and the stock. And a
volunteer of another community who tries to see that supermarket is refused."""

from __future__ import annotations

import pytest

from civicgrid.org.models import Role
from civicgrid.people import activities, ledger
from civicgrid.people.activity_models import Item, Redemption, SignUp, SignUpState
from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import check
from tests.browser.test_console import log_in
from tests.factories import UserFactory, make_member, make_tree
from tests.people.conftest import person

pytestmark = pytest.mark.browser


def test_a_redemption_that_lowers_the_points_and_the_stock(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    make_member(tree.communities[0], Role.HANDLER, username="shequ")
    wang = person(tree.grids[0], "王党员", party_member=True, user=UserFactory(username="wang"))
    problems: list[str] = []

    # The community plans today's activity.
    log_in(page, live_server, "shequ")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav >> text=志愿活动")
    page.click("#plan-activity summary")
    page.select_option("#a-kind", "green_adoption")
    page.fill("#a-title", "认领小区绿地")
    page.fill("#a-place", "3幢南侧绿地")
    page.fill("#a-capacity", "5")
    page.fill("#a-hours", "2")
    page.fill("#a-points", "30")
    page.click("#plan-activity button[type=submit]")
    page.wait_for_selector("text=活动已发布。")
    activity_url = page.url

    # The party member signs up from the phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.context.clear_cookies()
    log_in(page, live_server, "wang")
    page.goto(f"{live_server.url}/people/me/activities/")
    page.click("#upcoming button[data-action='sign-up']")
    page.wait_for_selector("text=报名成功。")
    assert page.locator("#upcoming li[data-sign-up-state='signed']").count() == 1
    check(page, "/people/me/activities/", live_server, problems)

    # The community records the attendance: the hours and points are credited.
    page.set_viewport_size({"width": 1280, "height": 860})
    page.context.clear_cookies()
    log_in(page, live_server, "shequ")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(activity_url)
    page.click("#sign-ups button[data-action='attended']")
    page.wait_for_selector("text=到场已登记，时长与积分已记入。")
    assert page.locator("#sign-ups tr[data-state='attended']").count() == 1
    assert ledger.totals(wang).points == 30

    # The supermarket: opened, goods on the shelf, handed out at the counter.
    page.goto(f"{live_server.url}/people/shops/")
    page.click("#open-shop summary")
    page.fill("#o-name", "社区1公益超市")
    page.click("#open-shop button[type=submit]")
    page.wait_for_selector("text=公益超市已开设。")
    page.click("#add-item summary")
    page.fill("#i-name", "洗衣液")
    page.fill("#i-price", "12")
    page.fill("#i-stock", "5")
    page.click("#add-item button[type=submit]")
    page.wait_for_selector("text=物品已上架。")
    item = Item.objects.get()
    assert page.locator(f"#items tr[data-item='{item.pk}'] td[data-stock='5']").count() == 1
    page.select_option("#r-person", str(wang.pk))
    page.select_option("#r-item", str(item.pk))
    page.fill("#r-quantity", "2")
    page.click("#redeem button[type=submit]")
    page.wait_for_selector("text=物品已兑换，积分已扣减。")
    assert page.locator(f"#items tr[data-item='{item.pk}'] td[data-stock='3']").count() == 1
    assert "王党员" in page.inner_text("#redemptions")
    # Asking for more than the points left is refused, and nothing changes.
    page.select_option("#r-person", str(wang.pk))
    page.fill("#r-quantity", "1")
    page.click("#redeem button[type=submit]")
    page.wait_for_selector("text=积分不足")
    screenshot(page, "people-supermarket-counter")
    item.refresh_from_db()
    assert item.stock == 3 and Redemption.objects.count() == 1
    assert ledger.totals(wang).points == 6
    for path in (
        "/people/activities/",
        activity_url.removeprefix(live_server.url),
        f"/people/shops/{item.shop_id}/",
        "/people/recognition/",
    ):
        check(page, path, live_server, problems)

    # The phone shows the points lowered and the redemption.
    page.set_viewport_size({"width": 390, "height": 844})
    page.context.clear_cookies()
    log_in(page, live_server, "wang")
    page.goto(f"{live_server.url}/people/me/activities/")
    assert page.locator("#points").inner_text() == "6"
    assert "洗衣液 × 2" in page.inner_text("#my-redemptions")
    assert "认领小区绿地" in page.inner_text("#ledger")
    screenshot(page, "people-my-points")
    assert not problems, "\n".join(problems)
    assert SignUp.objects.get().state == SignUpState.ATTENDED


def test_a_volunteer_of_another_community_cannot_see_its_supermarket(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    handler = make_member(tree.communities[0], Role.HANDLER, username="shequ")
    shop = activities.open_shop(actor=handler, unit=tree.communities[0], name="社区1公益超市")
    make_member(tree.grids[4], Role.VOLUNTEER, username="far")
    log_in(page, live_server, "far")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/people/shops/")
    assert "社区1公益超市" not in page.inner_text("main")
    answer = page.goto(f"{live_server.url}/people/shops/{shop.pk}/")
    assert answer is not None and answer.status == 404
    answer = page.goto(f"{live_server.url}/api/people/shops/{shop.pk}/items")
    assert answer is not None and answer.status == 404

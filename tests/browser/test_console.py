from __future__ import annotations

import pytest

from civicgrid.org.models import Role
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, make_member, make_tree

pytestmark = pytest.mark.browser


def log_in(page, live_server, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].primary")


def test_street_dispatcher_logs_in_and_sees_the_grid_map(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    user = make_member(tree.streets[0], Role.DISPATCHER, username="jiedao")
    log_in(page, live_server, user.username)
    page.wait_for_url(f"{live_server.url}/")
    assert "调度员" in page.inner_text("main")  # the role, in Chinese by default
    page.click("nav.mainnav >> text=单位与网格")
    page.wait_for_selector("#grid-map[data-loaded='8']")
    assert "8 个网格" in page.inner_text("#grid-map-status")
    # Leaflet drew the polygons on its canvas, and the tree shows the street.
    assert page.locator("#grid-map canvas").count() >= 1
    page.wait_for_selector(".unit-tree >> text=第1街道")
    assert page.locator(".unit-tree >> text=第2街道").count() == 0
    screenshot(page, "units-street-dispatcher")


def test_the_tree_opens_level_by_level(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    make_member(tree.district, Role.LEADER, username="lingdao")
    log_in(page, live_server, "lingdao")
    page.goto(f"{live_server.url}/units/")
    page.click(".unit-tree summary >> text=测试区")
    page.click(".unit-tree summary >> text=第2街道")
    page.click(".unit-tree summary >> text=社区3")
    page.wait_for_selector(".unit-tree >> text=社区3第4网格")


def test_wrong_password_then_english(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    make_member(tree.communities[0], Role.HANDLER, username="shequ")
    log_in(page, live_server, "shequ", "wrong-password")
    assert "请输入一个正确的" in page.inner_text("[role=alert]")
    log_in(page, live_server, "shequ")
    page.wait_for_url(f"{live_server.url}/")
    page.click("button[name=language][value=en]")
    page.wait_for_selector("nav.mainnav >> text=Units and grids")
    assert "Log out" in page.inner_text("header")
    # A community handler has no administration link.
    assert page.locator("nav.mainnav >> text=Administration").count() == 0


def test_demo_street_dispatcher_sees_their_street(page, live_server) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.demo.build import DEMO_PASSWORD, generate_demo
    from civicgrid.org.models import Unit, UnitKind

    generate_demo(seed=1, scale=0.03)
    street = Unit.objects.get(memberships__user__username="street_dispatcher")
    n_grids = Unit.objects.filter(kind=UnitKind.GRID, path__startswith=street.path).count()
    log_in(page, live_server, "street_dispatcher", DEMO_PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/units/")
    page.wait_for_selector(f"#grid-map[data-loaded='{n_grids}']")
    assert page.locator("#map-unit option").all_inner_texts() == [street.name]
    screenshot(page, "units-demo-street")

"""The maps draw our own polygons: community and grid outlines with their names, on the
resident site's map and the console's, with no tile server."""

from __future__ import annotations

import pytest

from civicgrid.org.models import Role
from tests.browser.conftest import screenshot
from tests.browser.test_console import log_in
from tests.factories import make_categories, make_member, make_tree, submit

pytestmark = pytest.mark.browser


def labels(page, selector: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(page.locator(selector).all_inner_texts())


def test_the_resident_map_draws_communities_and_grids_with_their_names(page, live_server) -> None:  # type: ignore[no-untyped-def]
    make_tree()
    make_categories()
    page.goto(f"{live_server.url}/r/")
    page.wait_for_selector("#pick-map[data-outlines='20']")
    # Four community outlines and sixteen grid outlines, drawn as SVG paths.
    assert page.locator("#pick-map .leaflet-outlines-pane path").count() == 20
    names = labels(page, "#pick-map .outline-label-community")
    assert names == ["社区1", "社区2", "社区3", "社区4"]
    screenshot(page, "resident-map-outlines")
    # Grid names wait for a closer look.
    assert page.locator("#pick-map .outline-label-grid").count() == 0
    page.evaluate("document.getElementById('pick-map').scrollIntoView()")
    for _ in range(4):
        page.locator("#pick-map .leaflet-control-zoom-in").click()
        page.wait_for_timeout(350)
    page.wait_for_selector("#pick-map .outline-label-grid")
    grid_names = labels(page, "#pick-map .outline-label-grid")
    assert len(grid_names) == 16 and "社区3第1网格" in grid_names
    # A tap on a label or an outline still picks the point: they let it through.
    page.locator("#pick-map").click()
    page.wait_for_selector("#pick-map[data-picked='1']")
    screenshot(page, "resident-map-zoomed")


def test_the_case_map_and_the_unit_map_name_the_communities(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    make_categories()
    make_member(tree.district, Role.DISPATCHER, username="qu")
    case = submit(tree)
    log_in(page, live_server, "qu")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/cases/{case.tracking_code}/")
    page.wait_for_selector("#case-map[data-outlines='20']")
    assert "社区1" in labels(page, "#case-map .outline-label-community")
    screenshot(page, "case-map-outlines")

    # The unit map of a street: its own two communities and their eight grids.
    page.goto(f"{live_server.url}/units/?map={tree.streets[1].code}")
    page.wait_for_selector("#grid-map[data-outlines]")
    assert page.get_attribute("#grid-map", "data-outlines") == "10"
    assert labels(page, "#grid-map .outline-label-community") == ["社区3", "社区4"]

"""The maps draw our own polygons: community and grid outlines with their names, on the
resident site's map and the console's, with no tile server."""

from __future__ import annotations

import pytest

from civicgrid.intake.models import Place
from civicgrid.org.models import Role
from tests.browser.conftest import screenshot
from tests.browser.test_console import log_in
from tests.factories import make_categories, make_member, make_tree, submit

pytestmark = pytest.mark.browser


def labels(page, selector: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(page.locator(selector).all_inner_texts())


def test_the_resident_map_draws_communities_and_grids_with_their_names(page, live_server) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    make_categories()
    # An estate at the middle of the first grid: choosing it brings the map close.
    Place.objects.create(
        name="幸福小区", kind="estate", lon=120.005, lat=30.005, community=tree.communities[0]
    )
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/geo/" in r.url else None)
    page.goto(f"{live_server.url}/r/")
    page.wait_for_selector("#pick-map[data-outlines='4']")
    # Four community outlines (two streets' outlines are the page's own), named.
    assert page.locator("#pick-map .leaflet-outlines-pane path").count() == 4
    names = labels(page, "#pick-map .outline-label-community")
    assert names == ["社区1", "社区2", "社区3", "社区4"]
    screenshot(page, "resident-map-outlines")
    # Grids wait for a closer look, and then only those in view are asked for.
    assert page.get_attribute("#pick-map", "data-grid-outlines") == "0"
    assert page.locator("#pick-map .outline-label-grid").count() == 0
    page.select_option("#place", label="幸福小区（社区1）")
    page.wait_for_selector("#pick-map:not([data-grid-outlines='0'])")
    drawn = int(page.get_attribute("#pick-map", "data-grid-outlines") or 0)
    assert 0 < drawn < 16  # the grids around the centre, not the district's
    assert any("level=grid" in u and "bbox=" in u for u in asked), asked
    grid_names = labels(page, "#pick-map .outline-label-grid")
    assert "社区1第1网格" in grid_names and all("网格" in n for n in grid_names), grid_names
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
    page.wait_for_selector("#case-map[data-outlines='4']")
    # Zoomed on the case's grid: the community's name lies out of view (only names in
    # view are written), its outline and the grids around, named, are drawn.
    assert page.locator("#case-map .leaflet-outlines-pane path").count() >= 4
    page.wait_for_selector("#case-map[data-grid-outlines]:not([data-grid-outlines='0'])")
    # The map may still move to the case (and ask for the grids in the new view) after a
    # first answer: wait for the name rather than read the labels of the earlier view.
    page.locator("#case-map .outline-label-grid", has_text="社区1第1网格").wait_for()
    assert "社区1第1网格" in labels(page, "#case-map .outline-label-grid")
    screenshot(page, "case-map-outlines")

    # The unit map of a street: its own two communities and their eight grids.
    page.goto(f"{live_server.url}/units/?map={tree.streets[1].code}")
    page.wait_for_selector("#grid-map[data-outlines]")
    assert page.get_attribute("#grid-map", "data-outlines") == "2"
    assert labels(page, "#grid-map .outline-label-community") == ["社区3", "社区4"]

"""The maps' outlines: communities (drawn from their grids when they have no boundary of
their own) and grids in a box, each with a label point inside it; public for the
resident site, scoped for the console."""

from __future__ import annotations

import pytest
import shapely
from django.test import Client

from civicgrid.errors import Invalid
from civicgrid.geo.outlines import community_outlines, grid_outlines, parse_bbox
from civicgrid.org.models import Role
from tests.factories import CELL, ORIGIN_LAT, ORIGIN_LON, TreeFixture, make_member


def by_code(collection: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {f["properties"]["code"]: f for f in collection["features"]}


def test_communities_are_made_of_their_grids_with_labels_inside(tree: TreeFixture) -> None:
    found = by_code(community_outlines())
    assert sorted(found) == sorted(c.code for c in tree.communities)
    community = shapely.geometry.shape(found[tree.communities[0].code]["geometry"])
    grids = by_code(grid_outlines())
    cells = [shapely.geometry.shape(grids[g.code]["geometry"]) for g in tree.grids[:4]]
    # The union of its four grids: one polygon, the area of the four.
    assert community.geom_type == "Polygon"
    assert abs(community.area - sum(c.area for c in cells)) < 1e-12
    for feature in [*found.values(), *grids.values()]:
        p = feature["properties"]
        assert shapely.geometry.shape(feature["geometry"]).contains(shapely.Point(p["label"]))
    assert found[tree.communities[0].code]["properties"]["name"] == "社区1"
    assert grids[tree.grids[0].code]["properties"]["community"] == "社区1"


def test_grids_are_those_that_meet_the_box(tree: TreeFixture) -> None:
    # A box inside the first cell (column 0, row 0) only.
    box = (
        ORIGIN_LON + 0.2 * CELL,
        ORIGIN_LAT + 0.2 * CELL,
        ORIGIN_LON + 0.8 * CELL,
        ORIGIN_LAT + 0.8 * CELL,
    )
    assert list(by_code(grid_outlines(bbox=box))) == [tree.grids[0].code]
    far = (100.0, 10.0, 100.1, 10.1)
    assert grid_outlines(bbox=far)["features"] == []


@pytest.mark.parametrize("bad", ["1,2,3", "a,b,c,d", "200,0,201,1", "nan,0,1,1"])
def test_a_bad_box_is_refused(bad: str) -> None:
    with pytest.raises(Invalid):
        parse_bbox(bad)


def test_the_public_outlines_need_no_login_and_a_box_for_grids(tree: TreeFixture) -> None:
    client = Client()
    communities = client.get("/api/geo/outlines")
    assert communities.status_code == 200 and len(communities.json()["features"]) == 4
    refused = client.get("/api/geo/outlines", {"level": "grid"})
    assert refused.status_code == 400 and "bbox" in refused.json()["detail"]
    box = f"{ORIGIN_LON},{ORIGIN_LAT},{ORIGIN_LON + 8 * CELL},{ORIGIN_LAT + 2 * CELL}"
    grids = client.get("/api/geo/outlines", {"level": "grid", "bbox": box})
    assert grids.status_code == 200 and len(grids.json()["features"]) == 16
    bad = client.get("/api/geo/outlines", {"level": "grid", "bbox": "1,2"})
    assert bad.status_code == 400 and "西" in bad.json()["detail"]  # in Chinese
    wrong_level = client.get("/api/geo/outlines", {"level": "street"})
    assert wrong_level.status_code == 422


def test_a_unit_outlines_are_scoped_to_what_the_user_sees(tree: TreeFixture) -> None:
    handler = make_member(tree.communities[0], Role.HANDLER)
    client = Client()
    url = f"/api/geo/units/{tree.communities[0].code}/outlines"
    assert client.get(url).status_code == 401
    client.force_login(handler)
    assert list(by_code(client.get(url).json())) == [tree.communities[0].code]
    grids = client.get(url, {"level": "grid"}).json()
    assert sorted(by_code(grids)) == sorted(g.code for g in tree.grids[:4])
    other = client.get(f"/api/geo/units/{tree.communities[1].code}/outlines")
    assert other.status_code == 404 and "detail" in other.json()
    # The district is above the handler's scope.
    assert client.get(f"/api/geo/units/{tree.district.code}/outlines").status_code == 404

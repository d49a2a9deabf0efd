"""The maps' outlines: communities (drawn from their grids when they have no boundary of
their own) and grids, each with a label point inside it; public for the resident site,
scoped for the console."""

from __future__ import annotations

import shapely
from django.test import Client

from civicgrid.geo.outlines import outlines
from civicgrid.org.models import Role
from tests.factories import TreeFixture, make_member


def by_code(collection: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {f["properties"]["code"]: f for f in collection["features"]}


def test_communities_come_first_made_of_their_grids_with_labels_inside(tree: TreeFixture) -> None:
    found = outlines()
    levels = [f["properties"]["level"] for f in found["features"]]
    assert levels == ["community"] * 4 + ["grid"] * 16
    features = by_code(found)
    community = shapely.geometry.shape(features[tree.communities[0].code]["geometry"])
    grids = [shapely.geometry.shape(features[g.code]["geometry"]) for g in tree.grids[:4]]
    # The union of its four grids: one polygon, the area of the four.
    assert community.geom_type == "Polygon"
    assert abs(community.area - sum(g.area for g in grids)) < 1e-12
    for feature in found["features"]:
        p = feature["properties"]
        shape = shapely.geometry.shape(feature["geometry"])
        assert shape.contains(shapely.Point(p["label"])), p["code"]
    assert features[tree.grids[0].code]["properties"]["community"] == "社区1"
    assert features[tree.communities[0].code]["properties"]["name"] == "社区1"


def test_the_public_outlines_need_no_login(tree: TreeFixture) -> None:
    response = Client().get("/api/geo/outlines")
    assert response.status_code == 200
    assert len(response.json()["features"]) == 20


def test_a_unit_outlines_are_scoped_to_what_the_user_sees(tree: TreeFixture) -> None:
    handler = make_member(tree.communities[0], Role.HANDLER)
    client = Client()
    assert client.get(f"/api/geo/units/{tree.communities[0].code}/outlines").status_code == 401
    client.force_login(handler)
    mine = client.get(f"/api/geo/units/{tree.communities[0].code}/outlines")
    assert mine.status_code == 200
    assert sorted(by_code(mine.json())) == sorted(
        [tree.communities[0].code] + [g.code for g in tree.grids[:4]]
    )
    other = client.get(f"/api/geo/units/{tree.communities[1].code}/outlines")
    assert other.status_code == 404
    assert "detail" in other.json()
    whole = client.get(f"/api/geo/units/{tree.district.code}/outlines")
    assert whole.status_code == 404  # the district is above the handler's scope

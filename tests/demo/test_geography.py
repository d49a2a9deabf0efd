"""The demo tiling, without a database."""

from __future__ import annotations

from collections import Counter

import pytest
import shapely

from civicgrid.demo.geography import DistrictShape, build_district
from civicgrid.geo.projection import LocalFrame

# Gaps plus overlaps allowed per km² of parent (floating-point noise only).
NOISE_M2_PER_KM2 = 1.0


@pytest.fixture(scope="module")
def district() -> DistrictShape:
    return build_district(seed=1, scale=1.0)


def assert_tiles(parent: shapely.Geometry, parts: list[shapely.Geometry], what: str) -> None:
    frame = LocalFrame.around(parent)
    whole = frame.to_metres(parent)
    pieces = [frame.to_metres(p) for p in parts]
    union = shapely.union_all(pieces)
    allowed = NOISE_M2_PER_KM2 * whole.area / 1e6 + 0.01
    overlap = sum(p.area for p in pieces) - union.area
    gaps = whole.difference(union).area
    outside = union.difference(whole).area
    assert overlap < allowed, f"{what}: the parts overlap by {overlap:.3f} m²"
    assert gaps < allowed, f"{what}: the parts leave {gaps:.3f} m² uncovered"
    assert outside < allowed, f"{what}: the parts reach {outside:.3f} m² outside"


def test_the_full_district_has_the_required_counts(district: DistrictShape) -> None:
    kinds = Counter(s.kind for s in district.streets)
    communities = [c for s in district.streets for c in s.communities]
    assert len(district.streets) == 21 and kinds["street"] > 0 and kinds["town"] > 0
    assert len(communities) == 200
    assert Counter(c.kind for c in communities)["park"] == 72
    assert {c.kind for c in communities} == {"community", "village", "park"}
    assert len(district.all_grids()) == 6_926


def test_every_unit_is_one_valid_polygon(district: DistrictShape) -> None:
    shapes = [district.polygon] + [s.polygon for s in district.streets]
    shapes += [c.polygon for s in district.streets for c in s.communities]
    shapes += district.all_grids()
    kinds = Counter(g.geom_type for g in shapes)
    assert kinds == {"Polygon": len(shapes)}, kinds
    invalid = [i for i, g in enumerate(shapes) if not g.is_valid or g.area == 0]
    assert not invalid


def test_coordinates_are_wgs84_in_eastern_china(district: DistrictShape) -> None:
    lon0, lat0, lon1, lat1 = district.polygon.bounds
    assert 118 < lon0 < lon1 < 122 and 28 < lat0 < lat1 < 32


def test_streets_tile_the_district_and_grids_tile_communities(district: DistrictShape) -> None:
    assert_tiles(district.polygon, [s.polygon for s in district.streets], "streets")
    for street in district.streets:
        assert_tiles(street.polygon, [c.polygon for c in street.communities], "communities")
        for community in street.communities:
            assert_tiles(community.polygon, community.grids, "grids")
    assert_tiles(district.polygon, district.all_grids(), "all grids")


def test_the_same_seed_gives_the_same_district(district: DistrictShape) -> None:
    again = build_district(seed=1, scale=1.0)
    assert (
        shapely.to_wkb(district.all_grids()).tolist() == shapely.to_wkb(again.all_grids()).tolist()
    )
    other = build_district(seed=2, scale=0.05)
    assert not shapely.equals(other.polygon, district.polygon)


@pytest.mark.parametrize("scale", [0.01, 0.1, 0.5])
def test_smaller_scales_keep_at_least_one_of_each_level(scale: float) -> None:
    small = build_district(seed=3, scale=scale)
    assert small.streets and all(s.communities for s in small.streets)
    assert all(c.grids for s in small.streets for c in s.communities)
    assert len(small.all_grids()) == pytest.approx(6_926 * scale, rel=0.35, abs=30)
    assert_tiles(small.polygon, small.all_grids(), f"grids at scale {scale}")

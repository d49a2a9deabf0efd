from __future__ import annotations

import numpy as np
import pytest
from django.test import Client

from civicgrid.geo.locator import GridLocator, build_locator
from civicgrid.org.models import Role
from tests.factories import CELL, ORIGIN_LAT, ORIGIN_LON, TreeFixture, make_member


def centre(col: int, row: int) -> tuple[float, float]:
    return ORIGIN_LON + (col + 0.5) * CELL, ORIGIN_LAT + (row + 0.5) * CELL


@pytest.fixture
def locator(tree: TreeFixture) -> GridLocator:
    return build_locator(tolerance_m=50)


def test_every_grid_centre_is_located_in_its_grid(tree: TreeFixture, locator: GridLocator) -> None:
    for code, (col, row) in tree.grid_cells.items():
        where = locator.locate(*centre(col, row))
        assert where.located and where.grid_code == code and where.distance_m == 0


def test_a_point_on_a_shared_edge_always_gets_the_same_grid(
    tree: TreeFixture, locator: GridLocator
) -> None:
    lon, lat = ORIGIN_LON + CELL, ORIGIN_LAT + 0.5 * CELL  # between columns 0 and 1
    first = locator.locate(lon, lat)
    assert first.located
    assert all(locator.locate(lon, lat) == first for _ in range(5))


def test_a_point_just_outside_goes_to_the_nearest_grid_within_tolerance(
    tree: TreeFixture, locator: GridLocator
) -> None:
    # 0.0003° of latitude ≈ 33 m south of the district's southern edge, below column 0.
    where = locator.locate(ORIGIN_LON + 0.5 * CELL, ORIGIN_LAT - 0.0003)
    assert where.located
    assert tree.grid_cells[where.grid_code] == (0, 0)
    assert 30 < where.distance_m < 36


def test_a_point_far_outside_is_unlocated_with_the_reason(locator: GridLocator) -> None:
    where = locator.locate(ORIGIN_LON - 0.1, ORIGIN_LAT)
    assert not where.located and where.grid_code is None
    assert "不在任何网格内" in where.reason and "50 米" in where.reason


def test_invalid_coordinates_are_unlocated(locator: GridLocator) -> None:
    for lon, lat in [(200.0, 30.0), (120.0, -95.0), (float("nan"), 30.0)]:
        where = locator.locate(lon, lat)
        assert not where.located and "不是有效的经纬度" in where.reason


def test_batch_agrees_with_single_points(tree: TreeFixture, locator: GridLocator) -> None:
    rng = np.random.default_rng(7)
    lons = ORIGIN_LON - 0.002 + rng.random(2000) * (8 * CELL + 0.004)
    lats = ORIGIN_LAT - 0.002 + rng.random(2000) * (2 * CELL + 0.004)
    lons[:3] = [ORIGIN_LON + CELL, 400.0, ORIGIN_LON - 1]  # an edge, invalid, far away
    lats[:3] = [ORIGIN_LAT + 0.5 * CELL, ORIGIN_LAT, ORIGIN_LAT]
    index, dist = locator.locate_many(lons, lats)
    for i in range(len(lons)):
        single = locator.locate(float(lons[i]), float(lats[i]))
        if single.located:
            assert locator.codes[index[i]] == single.grid_code, i
            assert dist[i] == pytest.approx(single.distance_m, abs=1e-6)
        else:
            assert index[i] == -1, i


def test_empty_locator_says_so(db) -> None:  # type: ignore[no-untyped-def]
    where = build_locator().locate(ORIGIN_LON, ORIGIN_LAT)
    assert not where.located and "尚未导入任何网格" in where.reason


def test_locate_api(tree: TreeFixture) -> None:
    client = Client()
    client.force_login(make_member(tree.district, Role.DISPATCHER))
    lon, lat = centre(*tree.grid_cells[tree.grids[5].code])
    ok = client.get("/api/geo/locate", {"lon": lon, "lat": lat}).json()
    assert ok["located"] and ok["grid_code"] == tree.grids[5].code
    assert ok["grid_name"] == tree.grids[5].name
    bad = client.get("/api/geo/locate", {"lon": 999, "lat": lat})  # as intake refuses it
    assert bad.status_code == 400 and "不在地球上" in bad.json()["detail"]
    junk = client.get("/api/geo/locate", {"lon": "east", "lat": lat})
    assert junk.status_code == 422


def test_points_between_distant_grids() -> None:
    """Between two grids 5 km apart, a point is unlocated unless within the tolerance."""
    from shapely.geometry import box

    west = box(120.0, 30.0, 120.01, 30.01)
    east = box(120.06, 30.0, 120.07, 30.01)
    locator = GridLocator([1, 2], ["W", "E"], [west, east], tolerance_m=50)
    middle = locator.locate(120.035, 30.005)
    assert not middle.located and "50 米" in middle.reason
    near_east = locator.locate(120.06 - 0.0003, 30.005)  # ≈ 29 m west of the east grid
    assert near_east.grid_code == "E" and 25 < near_east.distance_m < 33
    index, _ = locator.locate_many(np.array([120.035, 120.0597]), np.array([30.005, 30.005]))
    assert index.tolist() == [-1, 1]

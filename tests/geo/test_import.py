from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import box, mapping

from civicgrid.geo import locator as locator_module
from civicgrid.geo.imports import GridImportError, PropertyNames, import_grids
from civicgrid.geo.locator import get_locator
from civicgrid.geo.models import Boundary, GeoRevision
from civicgrid.org.models import Unit, UnitKind
from tests.factories import CELL, ORIGIN_LAT, ORIGIN_LON, TreeFixture, cell


def feature(code: str, parent: str, geometry: Any, name: str | None = None) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name or f"网格{code}", "parent": parent},
        "geometry": geometry if isinstance(geometry, dict) else mapping(geometry),
    }


def collection(*features: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features), **extra}


def empty_area_north(col: int) -> Any:
    """A cell just north of the tree's grids (row 2), free to import into."""
    return cell(col, 2)


def snapshot() -> tuple[int, int, int]:
    return Unit.objects.count(), Boundary.objects.count(), GeoRevision.current()


def assert_refused(data: dict[str, Any], *fragments: str) -> GridImportError:
    before = snapshot()
    with pytest.raises(GridImportError) as info:
        import_grids(data)
    for fragment in fragments:
        assert fragment in info.value.message, info.value.message
    assert "未导入任何数据" in info.value.message
    assert snapshot() == before, "a refused import must write nothing"
    return info.value


def test_imports_new_grids_and_the_locator_sees_them(
    tree: TreeFixture, django_capture_on_commit_callbacks
) -> None:
    parent = tree.communities[0].code
    before = get_locator()
    with django_capture_on_commit_callbacks(execute=True):
        result = import_grids(
            collection(
                feature("N1", parent, empty_area_north(0)),
                feature("N2", parent, empty_area_north(1)),
            )
        )
    assert result.created == ["N1", "N2"] and result.updated == []
    n1 = Unit.objects.get(code="N1")
    assert n1.kind == UnitKind.GRID and n1.parent == tree.communities[0]
    assert n1.path == f"D/D01/{parent}/N1/"
    assert Boundary.objects.get(unit=n1).area_m2 == pytest.approx(1_068_000, rel=0.02)
    after = get_locator()
    assert after is not before and len(after) == len(before) + 2
    assert after.locate(ORIGIN_LON + 0.5 * CELL, ORIGIN_LAT + 2.5 * CELL).grid_code == "N1"


def test_another_process_sees_the_change_through_the_revision(
    tree: TreeFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = get_locator()
    # No on-commit callback runs here, as in a process that did not do the import.
    import_grids(collection(feature("R1", tree.communities[0].code, empty_area_north(0))))
    assert get_locator() is before, "within the recheck interval the cached tree is used"
    monkeypatch.setattr(locator_module._Cache, "recheck_s", 0.0)
    assert len(get_locator()) == len(before) + 1


def test_reimport_updates_an_existing_grid(tree: TreeFixture) -> None:
    grid = tree.grids[0]
    col, row = tree.grid_cells[grid.code]
    smaller = cell(col, row).buffer(-CELL / 10)
    result = import_grids(collection(feature(grid.code, grid.parent.code, smaller, "改名网格")))
    assert result.updated == [grid.code]
    grid.refresh_from_db()
    assert grid.name == "改名网格"
    assert Boundary.objects.get(unit=grid).area_m2 < 0.7 * 1_068_000


def test_broken_geometry_is_refused_naming_the_feature(tree: TreeFixture) -> None:
    x, y = ORIGIN_LON, ORIGIN_LAT + 3 * CELL
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + CELL, y + CELL], [x + CELL, y], [x, y + CELL], [x, y]]],
    }
    good = feature("OK1", tree.communities[0].code, empty_area_north(0))
    bad = feature("BAD1", tree.communities[0].code, bowtie)
    error = assert_refused(collection(good, bad), "第 2 个要素（编码 BAD1）", "几何图形无效")
    assert len(error.problems) == 1


def test_unreadable_geometry_is_refused(tree: TreeFixture) -> None:
    broken = {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.1]]]}
    assert_refused(
        collection(feature("BAD2", tree.communities[0].code, broken)),
        "第 1 个要素（编码 BAD2）",
        "无法读取",
    )


def test_overlapping_features_are_refused(tree: TreeFixture) -> None:
    parent = tree.communities[0].code
    a = feature("A1", parent, empty_area_north(0))
    b = feature("B1", parent, empty_area_north(0).buffer(-CELL / 4))
    assert_refused(collection(a, b), "第 1 个要素（编码 A1）与第 2 个要素（编码 B1）重叠")


def test_overlap_with_a_stored_grid_is_refused(tree: TreeFixture) -> None:
    stored = tree.grids[0]
    col, row = tree.grid_cells[stored.code]
    shifted = box(*cell(col, row).buffer(-CELL / 4).bounds)
    assert_refused(
        collection(feature("OVER", tree.communities[0].code, shifted)),
        "第 1 个要素（编码 OVER）",
        f"已有网格 {stored.code}",
    )


def test_grids_that_only_touch_are_accepted(tree: TreeFixture) -> None:
    parent = tree.communities[0].code
    import_grids(
        collection(
            feature("T1", parent, empty_area_north(0)), feature("T2", parent, empty_area_north(1))
        )
    )
    assert Unit.objects.filter(code__in=["T1", "T2"]).count() == 2


def test_unknown_parent_is_refused(tree: TreeFixture) -> None:
    assert_refused(
        collection(feature("U1", "NO-SUCH", empty_area_north(0))),
        "第 1 个要素（编码 U1）",
        "上级单位 NO-SUCH 不存在",
    )


def test_parent_that_is_not_a_community_is_refused(tree: TreeFixture) -> None:
    assert_refused(
        collection(feature("U2", tree.streets[0].code, empty_area_north(0))),
        "第 1 个要素（编码 U2）",
        "网格只能隶属于社区、村或园区",
    )


def test_projected_coordinates_are_refused(tree: TreeFixture) -> None:
    # The same square in metres (a UTM-like projection), not longitude/latitude.
    assert_refused(
        collection(
            feature("P1", tree.communities[0].code, box(500_000, 3_300_000, 500_900, 3_301_100))
        ),
        "第 1 个要素（编码 P1）",
        "坐标不是 WGS-84 经纬度",
    )


def test_swapped_latitude_longitude_is_refused(tree: TreeFixture) -> None:
    swapped = box(ORIGIN_LAT, ORIGIN_LON, ORIGIN_LAT + CELL, ORIGIN_LON + CELL)
    assert_refused(
        collection(feature("SW", tree.communities[0].code, swapped)),
        "坐标不是 WGS-84 经纬度",
    )


def test_declared_projected_crs_is_refused(tree: TreeFixture) -> None:
    data = collection(
        feature("C1", tree.communities[0].code, empty_area_north(0)),
        crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}},
    )
    assert_refused(data, "EPSG::4547")


def test_duplicate_codes_and_missing_properties_are_all_reported(tree: TreeFixture) -> None:
    parent = tree.communities[0].code
    nameless = feature("M1", parent, empty_area_north(2))
    del nameless["properties"]["name"]
    error = assert_refused(
        collection(
            feature("DUP", parent, empty_area_north(0)),
            feature("DUP", parent, empty_area_north(1)),
            nameless,
        ),
        "第 2 个要素（编码 DUP）：与第 1 个要素（编码 DUP）编码重复",
        "第 3 个要素（编码 M1）：缺少属性 name",
    )
    assert len(error.problems) == 2


def test_a_code_taken_by_a_non_grid_is_refused(tree: TreeFixture) -> None:
    assert_refused(
        collection(feature(tree.streets[0].code, tree.communities[0].code, empty_area_north(0))),
        "它不是网格",
    )


def test_not_a_feature_collection_is_refused(db) -> None:  # type: ignore[no-untyped-def]
    assert_refused({"type": "Feature"}, "不是 GeoJSON FeatureCollection")
    assert_refused(collection(), "没有任何要素")


def test_property_names_are_configurable(tree: TreeFixture) -> None:
    f = {
        "type": "Feature",
        "properties": {"GRID_ID": "K1", "GRID_NAME": "一号网格", "COMM": tree.communities[0].code},
        "geometry": mapping(empty_area_north(0)),
    }
    import_grids(collection(f), PropertyNames(code="GRID_ID", name="GRID_NAME", parent="COMM"))
    assert Unit.objects.get(code="K1").name == "一号网格"


def test_command_refuses_bad_file_and_imports_good_one(tree: TreeFixture, tmp_path: Path) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="不是有效的 JSON"):
        call_command("import_grids", str(bad))
    good = tmp_path / "good.geojson"
    good.write_text(
        json.dumps(collection(feature("G9", tree.communities[0].code, empty_area_north(0)))),
        encoding="utf-8",
    )
    call_command("import_grids", str(good))
    assert Unit.objects.filter(code="G9", kind=UnitKind.GRID).exists()

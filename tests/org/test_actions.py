from __future__ import annotations

import pytest

from civicgrid.errors import Invalid
from civicgrid.org.actions import UnitSpec, bulk_create_units
from civicgrid.org.models import Unit, UnitKind
from tests.factories import TreeFixture


def test_bulk_create_builds_paths_level_by_level(tree: TreeFixture) -> None:
    created = bulk_create_units(
        [
            UnitSpec("D03", "第3街道", UnitKind.TOWN, "D"),
            UnitSpec("D03201", "新村", UnitKind.VILLAGE, "D03"),
            UnitSpec("D03201001", "新村第1网格", UnitKind.GRID, "D03201"),
        ]
    )
    assert created["D03201001"].path == "D/D03/D03201/D03201001/"
    assert Unit.objects.get(code="D03201").parent == created["D03"]


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([UnitSpec("D01", "重复", UnitKind.STREET, "D")], "已被使用"),
        ([UnitSpec("Z1", "孤儿网格", UnitKind.GRID, "NOPE")], "上级单位不存在"),
        ([UnitSpec("Z2", "错位网格", UnitKind.GRID, "D")], "不能隶属于"),
        ([UnitSpec("bad code", "空格", UnitKind.STREET, "D")], "单位编码"),
    ],
)
def test_bulk_create_refuses_and_writes_nothing(tree: TreeFixture, specs, message) -> None:  # type: ignore[no-untyped-def]
    before = Unit.objects.count()
    with pytest.raises(Invalid, match=message):
        bulk_create_units([UnitSpec("OK1", "好街道", UnitKind.STREET, "D"), *specs])
    assert Unit.objects.count() == before

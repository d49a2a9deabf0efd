"""The one place tests build users, units and grids."""

from __future__ import annotations

from dataclasses import dataclass, field

import factory
import shapely
from shapely.geometry import box

from civicgrid.geo.actions import set_boundaries
from civicgrid.org import actions
from civicgrid.org.models import Membership, Role, Unit, UnitKind, User

PASSWORD = "test-pass-123"

# A 0.01° cell is about 960 m × 1,110 m at this latitude.
ORIGIN_LON, ORIGIN_LAT = 120.0, 30.0
CELL = 0.01


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"测试用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            obj.save()


def make_unit(code: str, name: str, kind: str, parent: Unit | None = None) -> Unit:
    return actions.create_unit(code=code, name=name, kind=kind, parent=parent)


def make_member(unit: Unit, role: str = Role.HANDLER, **user_fields: object) -> User:
    user = UserFactory(**user_fields)
    actions.grant_membership(user=user, unit=unit, role=role)
    return user


def cell(col: int, row: int) -> shapely.Polygon:
    """The grid square at column ``col``, row ``row`` of the test district."""
    x, y = ORIGIN_LON + col * CELL, ORIGIN_LAT + row * CELL
    return box(x, y, x + CELL, y + CELL)


@dataclass
class TreeFixture:
    district: Unit
    streets: list[Unit] = field(default_factory=list)
    communities: list[Unit] = field(default_factory=list)
    grids: list[Unit] = field(default_factory=list)
    department: Unit | None = None
    grid_cells: dict[str, tuple[int, int]] = field(default_factory=dict)

    def unit(self, code: str) -> Unit:
        return Unit.objects.get(code=code)


def make_tree() -> TreeFixture:
    """District D ▸ streets D01, D02 ▸ communities D01001, D01002, … ▸ 2×2 grids each.

    Community k (0-3) covers columns 2k..2k+1, rows 0..1; its grids are the four cells.
    """
    district = make_unit("D", "测试区", UnitKind.DISTRICT)
    t = TreeFixture(district=district)
    t.department = make_unit("DX01", "区城市管理局", UnitKind.DEPARTMENT, district)
    shapes = []
    for s in range(2):
        street = make_unit(f"D0{s + 1}", f"第{s + 1}街道", UnitKind.STREET, district)
        t.streets.append(street)
        for c in range(2):
            k = s * 2 + c
            community = make_unit(
                f"{street.code}00{c + 1}", f"社区{k + 1}", UnitKind.COMMUNITY, street
            )
            t.communities.append(community)
            for g, (dc, dr) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)]):
                grid = make_unit(
                    f"{community.code}00{g + 1}",
                    f"社区{k + 1}第{g + 1}网格",
                    UnitKind.GRID,
                    community,
                )
                t.grids.append(grid)
                t.grid_cells[grid.code] = (2 * k + dc, dr)
                shapes.append((grid, cell(2 * k + dc, dr)))
    set_boundaries(shapes)
    return t


def memberships_of(user: User) -> list[tuple[str, str]]:
    return list(Membership.objects.filter(user=user).values_list("unit__code", "role"))

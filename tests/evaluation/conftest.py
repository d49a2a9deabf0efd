from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from civicgrid.cases.deadlines import calendar, clear_calendar
from civicgrid.cases.models import Category
from civicgrid.cases.worktime import WorkCalendar
from civicgrid.evaluation import hours
from civicgrid.org.models import Role, Unit, UnitKind, User
from tests.cases.conftest import staff  # noqa: F401 (the staff of tests/cases, for stories)
from tests.factories import (
    TreeFixture,
    UserFactory,
    make_categories,
    make_member,
    make_tree,
    make_unit,
)

TZ = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


@dataclass
class World:
    """The test district, two more departments (one inside the other), two category
    trees, and the people who look at figures."""

    tree: TreeFixture
    categories: dict[str, Category]
    departments: list[Unit]
    units: list[Unit]
    calendar: WorkCalendar
    boss: User  # a superuser
    leader: User  # district leader
    street_leader: User  # street 0
    community_handler: User  # community 0 (street 0)
    department_handler: User  # the first department
    grid_worker: User  # grid 0
    operator: User  # district hotline operator


@pytest.fixture(autouse=True)
def fresh_calendar():  # type: ignore[no-untyped-def]
    """A test that changes the district's calendar must not leave it cached for others."""
    clear_calendar()
    yield
    clear_calendar()


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    clear_calendar()
    tree = make_tree()
    assert tree.department is not None
    inner = make_unit("DX0101", "区城市管理局执法队", UnitKind.DEPARTMENT, tree.department)
    other = make_unit("DX02", "区住房和城乡建设局", UnitKind.DEPARTMENT, tree.district)
    categories = make_categories()
    top = Category.objects.create(code="U", name="市容环境")
    categories["other_top"] = top
    categories["other_leaf"] = Category.objects.create(code="U1", name="占道经营", parent=top)
    categories["top"] = Category.objects.get(code="T")
    # The working calendar as a table, built once for the test (not in each example).
    hours.ensure_table(date(2024, 12, 1), date(2025, 12, 31))
    departments = [tree.department, inner, other]
    return World(
        tree=tree,
        categories=categories,
        departments=departments,
        units=[tree.district, *tree.streets, *tree.communities, *tree.grids, *departments],
        calendar=calendar(),
        boss=UserFactory(is_superuser=True, is_staff=True, username="boss"),
        leader=make_member(tree.district, Role.LEADER, username="lingdao"),
        street_leader=make_member(tree.streets[0], Role.LEADER, username="jiedao"),
        community_handler=make_member(tree.communities[0], Role.HANDLER, username="shequ"),
        department_handler=make_member(tree.department, Role.HANDLER, username="bumen"),
        grid_worker=make_member(tree.grids[0], Role.GRID_WORKER, username="wangge"),
        operator=make_member(tree.district, Role.OPERATOR, username="jiexian"),
    )

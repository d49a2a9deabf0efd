from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.utils import translation

from civicgrid.cases.deadlines import clear_calendar
from civicgrid.cases.models import Category
from civicgrid.open311.models import ApiClient
from civicgrid.org.models import Role, User
from tests.factories import (
    CELL,
    ORIGIN_LAT,
    ORIGIN_LON,
    TreeFixture,
    make_categories,
    make_member,
    make_tree,
)

# The middle of grid D01001001 (column 0, row 0), and a point far outside the district.
INSIDE = (ORIGIN_LON + CELL / 2, ORIGIN_LAT + CELL / 2)
OUTSIDE = (121.5, 31.2)

# The demo taxonomy's questions for 停水, plus a multivaluelist and a number.
WATER_QUESTIONS = [
    {
        "code": "scope",
        "label": "停水范围",
        "datatype": "singlevaluelist",
        "required": True,
        "values": [
            {"key": "home", "name": "仅我家"},
            {"key": "building", "name": "整栋楼"},
            {"key": "area", "name": "整个小区或片区"},
        ],
    },
    {"code": "since", "label": "开始时间", "datatype": "datetime", "required": False},
    {
        "code": "signs",
        "label": "现象",
        "datatype": "multivaluelist",
        "required": False,
        "values": [{"key": "none", "name": "完全无水"}, {"key": "low", "name": "水压低"}],
    },
    {"code": "floors", "label": "受影响楼层数", "datatype": "number", "required": False},
]


@dataclass
class Open311:
    tree: TreeFixture
    categories: dict
    water: Category
    client: ApiClient
    dispatcher: User
    handler: User  # community 0, where INSIDE lies


@pytest.fixture(autouse=True)
def _fresh_rate_limits():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _language_restored():  # type: ignore[no-untyped-def]
    """Open311 tests ask in English; the language a request activates outlives it in the
    test process, and the modules after these expect the district's."""
    language = translation.get_language()
    yield
    translation.activate(language)


@pytest.fixture
def o311(db) -> Open311:  # type: ignore[no-untyped-def]
    clear_calendar()
    tree = make_tree()
    categories = make_categories()
    top = Category.objects.get(code="T")
    water = Category.objects.create(code="T6", name="停水", parent=top, questions=WATER_QUESTIONS)
    # A group whose only child is inactive is itself a leaf; the child is no service.
    group = Category.objects.create(code="W", name="供水大类")
    Category.objects.create(code="W1", name="已停用类别", parent=group, active=False)
    Category.objects.create(code="X", name="停用大类", active=False)
    return Open311(
        tree=tree,
        categories=categories,
        water=water,
        client=ApiClient.objects.create(name="随手拍应用", contact_email="dev@example.org"),
        dispatcher=make_member(tree.district, Role.DISPATCHER, username="qu_diaodu"),
        handler=make_member(tree.communities[0], Role.HANDLER, username="sq"),
    )

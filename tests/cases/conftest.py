from __future__ import annotations

from dataclasses import dataclass

import pytest

from civicgrid.cases.deadlines import clear_calendar
from civicgrid.org.models import Role, User
from tests.factories import TreeFixture, make_categories, make_member, make_tree


@dataclass
class Staff:
    tree: TreeFixture
    categories: dict
    district_dispatcher: User
    leader: User
    operator: User
    street_dispatcher: User  # street 0
    other_street_dispatcher: User  # street 1
    community_handler: User  # community 0 (street 0)
    other_community_handler: User  # community 1 (street 0)
    grid_worker: User  # grid 0 (community 0)
    department_handler: User
    outsider: User  # no membership at all


@pytest.fixture
def staff(db) -> Staff:  # type: ignore[no-untyped-def]
    clear_calendar()
    tree = make_tree()
    return Staff(
        tree=tree,
        categories=make_categories(),
        district_dispatcher=make_member(tree.district, Role.DISPATCHER, username="qu_diaodu"),
        leader=make_member(tree.district, Role.LEADER, username="lingdao"),
        operator=make_member(tree.district, Role.OPERATOR, username="jiexian"),
        street_dispatcher=make_member(tree.streets[0], Role.DISPATCHER, username="jd_diaodu"),
        other_street_dispatcher=make_member(tree.streets[1], Role.DISPATCHER, username="jd2"),
        community_handler=make_member(tree.communities[0], Role.HANDLER, username="sq"),
        other_community_handler=make_member(tree.communities[1], Role.HANDLER, username="sq2"),
        grid_worker=make_member(tree.grids[0], Role.GRID_WORKER, username="wgy"),
        department_handler=make_member(tree.department, Role.HANDLER, username="bm"),
        outsider=User.objects.create_user("waike", password="x"),
    )

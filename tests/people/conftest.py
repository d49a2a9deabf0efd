from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

import pytest

from civicgrid.org.models import Role, User
from civicgrid.people import actions
from civicgrid.people.models import Duty, PartyBranch, Person, Roster
from tests.factories import TreeFixture, UserFactory, make_member

# Inside grid 0 (cell 0,0) and grid 1 (cell 1,0) of the test district.
IN_GRID0 = (120.005, 30.005)
IN_GRID1 = (120.015, 30.005)


@dataclass
class PeopleFixture:
    tree: TreeFixture
    branch: PartyBranch
    handler: User  # the first community's handler (staff of grids 0-3)
    volunteer: User  # a volunteer of grid 0 (staff membership, role volunteer)
    member_user: User  # the party member's account
    member: Person  # a party member living in grid 0, with an account
    neighbour: Person  # a volunteer of grid 0
    other_grid: Person  # a volunteer of grid 1 (same community)
    far: Person  # a volunteer in the second community (grid 4)


def person(grid, name: str, **fields: object) -> Person:  # type: ignore[no-untyped-def]
    profile = actions.Profile(
        **{"name": name, "home_grid": grid, "volunteer": True, "phone": "13800001234", **fields}  # type: ignore[arg-type]
    )
    return actions.add_person(profile, actor=None)


@pytest.fixture
def people(tree: TreeFixture) -> PeopleFixture:
    branch = PartyBranch.objects.create(name="社区1党支部", unit=tree.communities[0])
    member_user = UserFactory(username="dangyuan")
    return PeopleFixture(
        tree=tree,
        branch=branch,
        handler=make_member(tree.communities[0], Role.HANDLER, username="shequ"),
        volunteer=make_member(tree.grids[0], Role.VOLUNTEER, username="zhiyuanzhe"),
        member_user=member_user,
        member=person(
            tree.grids[0],
            "王党员",
            volunteer=False,
            party_member=True,
            branch=branch,
            user=member_user,
            phone="13912345678",
        ),
        neighbour=person(tree.grids[0], "李志愿"),
        other_grid=person(tree.grids[1], "赵邻格"),
        far=person(tree.grids[4], "钱远方"),
    )


def this_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def published_week(people: PeopleFixture, day: date) -> tuple[Roster, Duty, Duty]:
    """Grid 0's roster of ``day``'s week, published, with the party member and the
    neighbour on duty on ``day``."""
    roster = actions.make_roster(
        actor=people.handler, unit=people.tree.grids[0], week=this_monday(day)
    )
    mine = actions.plan_duty(
        roster,
        actor=people.handler,
        person=people.member,
        day=day,
        starts=time(9),
        ends=time(12),
    )
    theirs = actions.plan_duty(
        roster,
        actor=people.handler,
        person=people.neighbour,
        day=day,
        starts=time(14),
        ends=time(17),
    )
    actions.publish_roster(roster, actor=people.handler)
    return roster, mine, theirs

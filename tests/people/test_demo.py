"""The demo's people and rosters, seeded on the test district."""

from __future__ import annotations

import random

import pytest

from civicgrid.people import demo
from civicgrid.people.models import (
    Duty,
    DutyState,
    DutySwap,
    PeopleAction,
    PeopleEvent,
    Person,
    Roster,
    RosterState,
    SwapState,
)
from tests.factories import TreeFixture

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_people_and_recent_weeks_through_the_actions(tree: TreeFixture) -> None:
    summary = demo.seed(random.Random(3), centre_grid=tree.grids[0])
    assert summary.login == "party_member"
    assert Person.objects.filter(home_grid__in=tree.grids).count() >= len(tree.grids)
    me = Person.objects.get(user__username="party_member")
    assert me.home_grid == tree.grids[0] and me.party_member
    assert Roster.objects.filter(state=RosterState.PUBLISHED).count() == summary.rosters == 8
    # Every planned, published, checked-in or absent duty has its one event.
    assert PeopleEvent.objects.filter(action=PeopleAction.PLAN_DUTY).count() == Duty.objects.count()
    assert PeopleEvent.objects.filter(action=PeopleAction.CHECK_IN).count() == (
        Duty.objects.filter(state__in=[DutyState.CHECKED_IN, DutyState.DONE]).count()
    )
    assert DutySwap.objects.filter(state=SwapState.APPROVED).count() == 1
    # The login is on duty this morning, waiting to check in.
    today = demo.timezone.localdate()
    assert Duty.objects.filter(person=me, day=today, state=DutyState.PLANNED).exists()

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


def test_the_demo_seeds_activities_and_redemptions_through_the_actions(
    tree: TreeFixture,
) -> None:
    from civicgrid.people import ledger
    from civicgrid.people.activity_models import (
        Activity,
        ActivityState,
        Item,
        Redemption,
        SignUp,
        SignUpState,
    )
    from civicgrid.people.models import LedgerEntry, LedgerSource

    summary = demo.seed(random.Random(5), centre_grid=tree.grids[0])
    assert summary.activities["activities"] == Activity.objects.count() == 9
    assert {a.kind for a in Activity.objects.all()} >= {
        "green_adoption",
        "elderly_help",
        "civility",
    }
    assert Activity.objects.filter(state=ActivityState.PLANNED).count() >= 1
    attended = SignUp.objects.filter(state=SignUpState.ATTENDED).count()
    assert attended == summary.activities["attended"] > 0
    assert LedgerEntry.objects.filter(source=LedgerSource.ACTIVITY).count() == attended
    assert (
        PeopleEvent.objects.filter(action=PeopleAction.REDEEM).count()
        == (Redemption.objects.count())
        == summary.activities["redemptions"]
        > 0
    )
    assert all(i.stock >= 0 for i in Item.objects.all())
    me = Person.objects.get(user__username="party_member")
    assert SignUp.objects.filter(person=me, state=SignUpState.ATTENDED).count() == 2
    assert SignUp.objects.filter(person=me, state=SignUpState.SIGNED).count() == 1
    assert me.redemptions.count() == 1 and ledger.totals(me).points >= 0

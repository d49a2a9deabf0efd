"""At once, on PostgreSQL: the activity's row lock gives the last place to exactly one
person, and the item's row lock hands out the last piece once."""

from __future__ import annotations

from datetime import time

import pytest

from civicgrid.errors import Refusal
from civicgrid.org.models import Role
from civicgrid.people import activities, ledger
from civicgrid.people.activity_models import Activity, ActivityKind, Item, SignUp, SignUpState
from civicgrid.people.models import LedgerSource
from tests.cases.test_concurrency import postgres, race  # noqa: F401
from tests.factories import make_member, make_tree
from tests.people.conftest import person

pytestmark = pytest.mark.postgres_only


def test_three_people_at_once_for_the_last_place(postgres) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    tree = make_tree()
    handler = make_member(tree.communities[0], Role.HANDLER)
    people = [person(tree.grids[0], name) for name in ("甲", "乙", "丙")]
    activity = activities.create_activity(
        activities.Plan(
            kind=ActivityKind.CIVILITY,
            title="文明劝导",
            day=activities.today(),
            starts=time(9),
            ends=time(10),
            capacity=1,
            hours=1,
            points=10,
        ),
        actor=handler,
        unit=tree.communities[0],
    )
    results = race(
        3,
        lambda i: activities.sign_up(
            Activity.objects.get(pk=activity.pk), actor=handler, person=people[i]
        ),
    )
    wins = [r for r in results if isinstance(r, SignUp)]
    losses = [r for r in results if isinstance(r, Refusal)]
    assert len(wins) == 1 and len(losses) == 2, results
    assert all("名额已满" in r.message for r in losses)
    assert activity.sign_ups.filter(state=SignUpState.SIGNED).count() == 1


def test_two_redemptions_at_once_of_the_last_piece(postgres) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    tree = make_tree()
    handler = make_member(tree.communities[0], Role.HANDLER)
    people = [person(tree.grids[0], name) for name in ("甲", "乙")]
    for who in people:
        ledger.credit(who, source=LedgerSource.ACTIVITY, source_key="activity:1", points=50)
    shop = activities.open_shop(actor=handler, unit=tree.communities[0], name="公益超市")
    item = activities.add_item(shop, actor=handler, name="食用油", price=40, stock=1)
    results = race(
        2,
        lambda i: activities.redeem(Item.objects.get(pk=item.pk), actor=handler, person=people[i]),
    )
    losses = [r for r in results if isinstance(r, Refusal)]
    assert len(losses) == 1 and "库存不足" in losses[0].message, results
    item.refresh_from_db()
    assert item.stock == 0
    assert sorted(ledger.totals(p).points for p in people) == [10, 50]

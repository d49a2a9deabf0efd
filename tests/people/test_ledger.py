"""The service ledger: hours and points earned once per source, spent only while there
are enough, and a refusal writes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from civicgrid.errors import Conflict, Invalid
from civicgrid.people import ledger
from civicgrid.people.models import LedgerEntry, LedgerSource
from tests.people.conftest import PeopleFixture

pytestmark = pytest.mark.django_db


def test_earned_hours_and_points_add_up_and_spending_lowers_the_points(
    people: PeopleFixture,
) -> None:
    who = people.neighbour
    ledger.credit(
        who, source=LedgerSource.GRID_CALL, source_key="grid_call:1", hours="1.5", points=3
    )
    ledger.credit(who, source=LedgerSource.ACTIVITY, source_key="activity:1", hours=2, points=5)
    ledger.spend(who, source_key="redemption:1", points=6)
    assert ledger.totals(who) == ledger.Totals(hours=Decimal("3.5"), points=2)
    assert ledger.totals(people.far) == ledger.Totals(hours=Decimal("0"), points=0)


def test_nothing_is_credited_twice_for_one_source(people: PeopleFixture) -> None:
    who = people.neighbour
    ledger.credit(who, source=LedgerSource.GRID_CALL, source_key="grid_call:7", hours=1, points=2)
    with pytest.raises(Conflict):
        ledger.credit(who, source=LedgerSource.GRID_CALL, source_key="grid_call:7", points=2)
    assert LedgerEntry.objects.filter(person=who).count() == 1
    # Another person may be credited for the same call.
    ledger.credit(people.far, source=LedgerSource.GRID_CALL, source_key="grid_call:7", points=2)


def test_spending_more_than_the_points_is_refused_and_writes_nothing(
    people: PeopleFixture,
) -> None:
    who = people.neighbour
    ledger.credit(who, source=LedgerSource.ACTIVITY, source_key="activity:2", points=4)
    with pytest.raises(Conflict, match="积分不足"):
        ledger.spend(who, source_key="redemption:2", points=5)
    assert ledger.totals(who).points == 4


@pytest.mark.parametrize(
    ("hours", "points"), [("-1", 1), ("24.5", 1), ("1", -3)], ids=["negative", "too-long", "minus"]
)
def test_impossible_credits_are_refused(people: PeopleFixture, hours: str, points: int) -> None:
    with pytest.raises(Invalid):
        ledger.credit(
            people.neighbour,
            source=LedgerSource.ACTIVITY,
            source_key="activity:3",
            hours=hours,
            points=points,
        )
    assert not LedgerEntry.objects.exists()

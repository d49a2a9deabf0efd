"""The demo's grid calls, seeded through the actions on the test district."""

from __future__ import annotations

import random

import pytest
from django.db.models import Sum

from civicgrid.people import calls, demo
from civicgrid.people.call_models import CallClaim, CallState, ClaimState, GridCall
from civicgrid.people.models import LedgerEntry, LedgerSource, PeopleAction, PeopleEvent
from tests.factories import TreeFixture

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_past_calls_claimed_done_and_credited(tree: TreeFixture) -> None:
    summary = demo.seed(random.Random(5), centre_grid=tree.grids[0])
    assert summary.grid_calls == GridCall.objects.count() >= 3
    assert GridCall.objects.values("grid").distinct().count() >= 2
    done = CallClaim.objects.filter(state=ClaimState.DONE)
    assert done.exists() and all(c.photo for c in done)
    # Each claim done is credited once, with the call's hours and points.
    # (activities and redemptions write their own lines)
    credited = LedgerEntry.objects.filter(source=LedgerSource.GRID_CALL)
    assert credited.count() == done.count()
    assert credited.aggregate(p=Sum("points"))["p"] == sum(
        c.call.points for c in done.select_related("call")
    )
    # One event per change.
    assert PeopleEvent.objects.filter(action=PeopleAction.BROADCAST_CALL).count() == (
        GridCall.objects.count()
    )
    assert PeopleEvent.objects.filter(action=PeopleAction.CLAIM_CALL).count() == (
        CallClaim.objects.count()
    )
    assert PeopleEvent.objects.filter(action=PeopleAction.REPORT_CLAIM).count() == done.count()
    # The centre grid has an open call waiting for the demo's party member.
    open_call = GridCall.objects.get(grid=tree.grids[0], state=CallState.OPEN)
    assert not open_call.claims.filter(person__user__username=demo.LOGIN).exists()
    # Past calls tell nobody when a worker reaches them; the open one tells its grid.
    past = GridCall.objects.exclude(pk=open_call.pk).first()
    assert past is not None and calls.fan_out_call.call(past.pk)["messages"] == 0
    assert calls.fan_out_call.call(open_call.pk)["messages"] == open_call.reached > 0

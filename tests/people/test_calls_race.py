"""Many of a grid's people claim one call at the same moment, on PostgreSQL (SQLite
has one writer at a time): exactly the first N win, the others are refused (409)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from civicgrid.errors import Conflict
from civicgrid.org.models import Role
from civicgrid.people import calls
from civicgrid.people.call_models import CallClaim, CallState, GridCall
from civicgrid.people.models import PeopleAction, PeopleEvent
from tests.factories import UserFactory, make_member, make_tree
from tests.people.conftest import person

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def postgres(transactional_db):  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (SQLite serialises writers itself)")


def test_of_twelve_claiming_at_once_exactly_three_win(postgres) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    handler = make_member(tree.communities[0], Role.HANDLER, username="shequ")
    people = [
        person(tree.grids[0], f"志愿{i}", user=UserFactory(username=f"v{i}")) for i in range(12)
    ]
    call = calls.broadcast_call(
        calls.Call(title="搬运", wanted=3), actor=handler, grid=tree.grids[0]
    )
    start = threading.Barrier(len(people))
    won: list[int] = []
    refused: list[str] = []
    failures: list[BaseException] = []

    def claim(who) -> None:  # type: ignore[no-untyped-def]
        from django.db import connection as own

        try:
            start.wait(10)
            calls.claim_call(GridCall.objects.get(pk=call.pk), actor=who.user, person=who)
            won.append(who.pk)
        except Conflict as refusal:
            refused.append(refusal.message)
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)
        finally:
            own.close()

    threads = [threading.Thread(target=claim, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures, failures
    assert len(won) == 3 and len(refused) == 9
    assert set(refused) == {"来晚了：该呼叫需要的3人已认领满。"}
    call.refresh_from_db()
    assert call.state == CallState.FULL
    assert CallClaim.objects.filter(call=call).count() == 3
    assert PeopleEvent.objects.filter(action=PeopleAction.CLAIM_CALL).count() == 3

"""Two people at once: on PostgreSQL the row lock lets exactly one of them win."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from civicgrid.cases import actions
from civicgrid.cases.models import Case, State, Urgency
from civicgrid.errors import Refusal
from civicgrid.org.models import Role
from tests.factories import make_categories, make_member, make_tree, submit

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def postgres(transactional_db):  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (SQLite serialises writers itself)")


def race(n: int, work) -> list[object]:  # type: ignore[no-untyped-def]
    """Run ``work(i)`` in ``n`` threads released together; their results or refusals."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results[i] = work(i)
        except Refusal as refusal:
            results[i] = refusal
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_acknowledgements_one_wins(postgres) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    categories = make_categories()
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    handlers = [make_member(tree.communities[0], Role.HANDLER) for _ in range(2)]
    case = actions.triage_case(
        submit(tree), actor=dispatcher, category=categories["minor"], urgency=Urgency.NORMAL
    )
    case = actions.dispatch_case(case, actor=dispatcher)

    results = race(
        2, lambda i: actions.acknowledge_case(Case.objects.get(pk=case.pk), actor=handlers[i])
    )
    wins = [r for r in results if isinstance(r, Case)]
    losses = [r for r in results if isinstance(r, Refusal)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert "已被签收" in losses[0].message
    case.refresh_from_db()
    assert case.state == State.HANDLING
    assert case.events.filter(action="acknowledge").count() == 1


def test_stale_versions_at_once_only_one_applies(postgres) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    categories = make_categories()
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    case = submit(tree)
    version = case.version
    results = race(
        3,
        lambda i: actions.triage_case(
            Case.objects.get(pk=case.pk),
            actor=dispatcher,
            category=categories[["minor", "moderate", "major"][i]],
            urgency=Urgency.NORMAL,
            expected_version=version,
        ),
    )
    assert sum(isinstance(r, Case) for r in results) == 1, results
    assert Case.objects.get(pk=case.pk).version == version + 1

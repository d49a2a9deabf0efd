from __future__ import annotations

import contextlib
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from civicgrid.cases import actions
from civicgrid.cases.models import Case, CaseEvent, DeadlineMark, State, Urgency
from civicgrid.dispatch import sweeper
from civicgrid.errors import Refusal
from civicgrid.org.models import Role
from tests.factories import make_categories, make_member, make_tree, submit


def dispatched_cases(n: int, tree=None):  # type: ignore[no-untyped-def]
    tree = tree or make_tree()
    categories = make_categories()
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    cases = []
    for _ in range(n):
        case = actions.triage_case(
            submit(tree), actor=dispatcher, category=categories["minor"], urgency=Urgency.NORMAL
        )
        cases.append(actions.dispatch_case(case, actor=dispatcher))
    return tree, cases


def make_overdue(cases: list[Case]) -> None:
    # Tests move deadlines rather than the clock.
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(
        acknowledge_due=timezone.now() - timedelta(minutes=5)
    )


def events(action: str) -> dict[int, int]:
    rows = CaseEvent.objects.filter(action=action).values("case").annotate(n=Count("pk"))
    return {r["case"]: r["n"] for r in rows}


def test_overdue_acknowledgement_escalates_and_supervises_once(db) -> None:  # type: ignore[no-untyped-def]
    tree, cases = dispatched_cases(2)
    make_overdue(cases[:1])
    result = sweeper.sweep()
    assert (result.escalated, result.supervised) == (1, 1)
    case = Case.objects.get(pk=cases[0].pk)
    assert case.owner_unit == tree.streets[0] and case.supervised and case.escalations == 1
    assert case.state == State.DISPATCHED  # at the street now, with a new deadline
    again = sweeper.sweep()
    assert again.acted == 0
    assert events("escalate") == {case.pk: 1} and events("supervise") == {case.pk: 1}
    assert Case.objects.get(pk=cases[1].pk).escalations == 0


def test_reminder_before_the_deadline_once(db) -> None:  # type: ignore[no-untyped-def]
    _tree, cases = dispatched_cases(1)
    Case.objects.filter(pk=cases[0].pk).update(
        acknowledge_due=timezone.now() + timedelta(minutes=20)
    )
    assert sweeper.sweep().reminded == 1
    assert sweeper.sweep().reminded == 0
    assert events("remind") == {cases[0].pk: 1}
    assert DeadlineMark.objects.get().stage == "remind"


def test_a_case_at_the_district_is_supervised_not_escalated(db) -> None:  # type: ignore[no-untyped-def]
    tree, cases = dispatched_cases(1)
    case = cases[0]
    for _ in range(2):
        case = actions.escalate_case(case, actor=None, reason="测试")
    assert case.owner_unit == tree.district
    make_overdue([case])
    result = sweeper.sweep()
    assert (result.escalated, result.supervised) == (0, 1)


def test_a_crash_mid_batch_leaves_nothing_half_done(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.cases import bulk

    _tree, cases = dispatched_cases(3)
    make_overdue(cases)
    real = bulk.carry_out

    def write_then_die(*args, **kwargs):  # type: ignore[no-untyped-def]
        real(*args, **kwargs)
        raise RuntimeError("worker died before commit")

    monkeypatch.setattr(bulk, "carry_out", write_then_die)
    with pytest.raises(RuntimeError):
        sweeper.sweep()
    assert not events("escalate") and not DeadlineMark.objects.exists()
    assert not Case.objects.filter(supervised=True).exists()
    monkeypatch.setattr(bulk, "carry_out", real)
    sweeper.sweep()
    assert events("escalate") == {c.pk: 1 for c in cases}
    assert events("supervise") == {c.pk: 1 for c in cases}


def test_the_batch_path_writes_what_the_one_case_functions_write(db) -> None:  # type: ignore[no-untyped-def]
    """Two identical sets of cases: one through actions.escalate_case + supervise_case
    (and remind_case), one through the sweeper's batch; rows and events must match."""
    from civicgrid.cases.models import WhistleTask

    tree = make_tree()
    categories = make_categories()
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    street_dispatcher = make_member(tree.streets[0], Role.DISPATCHER)

    def one_set() -> list[Case]:
        made = []
        for kind, grid in [("minor", 0), ("micro", 0), ("moderate", 1), ("minor", None)]:
            case = actions.triage_case(
                submit(tree, grid_index=grid),
                actor=dispatcher,
                category=categories[kind],
                urgency=Urgency.NORMAL,
            )
            made.append(actions.dispatch_case(case, actor=dispatcher))
        whistled = actions.triage_case(
            submit(tree),
            actor=dispatcher,
            category=categories["moderate"],
            urgency=Urgency.NORMAL,
        )
        whistled = actions.dispatch_case(whistled, actor=dispatcher)
        made.append(actions.whistle_case(whistled, actor=street_dispatcher, lead=tree.department))
        return made

    by_hand, by_batch = one_set(), one_set()
    WhistleTask.objects.update(check_in_due=timezone.now() + timedelta(days=30))
    due = timezone.now() - timedelta(minutes=5)
    Case.objects.filter(pk__in=[c.pk for c in by_hand + by_batch]).update(
        acknowledge_due=due, resolve_due=due
    )
    for case in by_hand:
        case.refresh_from_db()
        name = "acknowledge" if case.state == State.DISPATCHED else "resolve"
        label = "签收" if name == "acknowledge" else "办结"
        note = f"{label}超时（期限 {timezone.localtime(due):%m-%d %H:%M}）"
        with contextlib.suppress(Refusal):  # at the district, or departments at work
            case = actions.escalate_case(case, actor=None, reason=note, deadline=name)
        actions.supervise_case(case, actor=None, reason=note, deadline=name)
        DeadlineMark.objects.create(case=case, deadline=name, due=due, stage="overdue")
    sweeper.sweep()

    fields = [
        "owner_unit_id",
        "dispatcher_unit_id",
        "tier",
        "state",
        "escalations",
        "supervised",
        "reminders",
        "version",
        "returns",
        "reopens",
    ]
    for a, b in zip(by_hand, by_batch, strict=True):
        a.refresh_from_db()
        b.refresh_from_db()
        assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields], a.title
        assert abs((a.acknowledge_due - b.acknowledge_due).total_seconds()) < 60
        shape = [
            "seq",
            "action",
            "actor_id",
            "from_state",
            "to_state",
            "from_unit_id",
            "to_unit_id",
            "note",
            "data",
        ]
        swept = ["escalate", "supervise"]
        assert list(a.events.filter(action__in=swept).order_by("seq").values_list(*shape)) == list(
            b.events.filter(action__in=swept).order_by("seq").values_list(*shape)
        ), a.title
        assert b.events.filter(action__in=swept).exists()


@pytest.fixture
def postgres(transactional_db):  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("many workers at once are tested on PostgreSQL")


def test_two_workers_at_once_treat_each_deadline_once(postgres) -> None:  # type: ignore[no-untyped-def]
    _tree, cases = dispatched_cases(40)
    make_overdue(cases)
    barrier = threading.Barrier(2)
    results = []

    def work() -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results.append(sweeper.sweep())
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r.escalated for r in results) == 40, results
    assert events("escalate") == {c.pk: 1 for c in cases}
    assert events("supervise") == {c.pk: 1 for c in cases}


# A worker killed mid-sweep (SIGKILL) and started again, with the server killed too:
# tests/test_restart_drill.py, on both databases.


def test_the_worker_command_runs_the_sweep_from_the_task_queue(transactional_db) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from civicgrid.dispatch.tasks import SWEEP_TASK_PATH, schedule_sweep

    _tree, cases = dispatched_cases(2)
    make_overdue(cases)
    call_command("worker", "--once", verbosity=0)
    assert events("escalate") == {c.pk: 1 for c in cases}
    runs = DBTaskResult.objects.filter(task_path=SWEEP_TASK_PATH)
    assert runs.filter(status="SUCCESSFUL").count() == 1
    # The sweep scheduled its successor; scheduling stops at SWEEP_PARALLEL waiting.
    assert runs.filter(status="READY").count() == 1
    assert schedule_sweep() is True
    assert schedule_sweep() is False
    assert runs.filter(status="READY").count() == 2

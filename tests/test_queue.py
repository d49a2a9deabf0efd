"""``civicgrid.queue``: what the task library leaves to us (a dead worker's task), and
the queues' workers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from civicgrid import queue
from civicgrid.dispatch.tasks import sweep_deadlines
from civicgrid.triage.tasks import suggest_case


def _claimed(minutes_ago: float, task: Any = suggest_case) -> DBTaskResult:
    """A row of ``task`` as a worker leaves it when it dies running it."""
    result = task.enqueue("C-claimed") if task is suggest_case else task.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
        worker_ids=["dead-worker"],
    )
    return DBTaskResult.objects.get(pk=result.id)


def test_a_reading_whose_worker_died_goes_back_to_the_queue(db) -> None:  # type: ignore[no-untyped-def]
    abandoned = _claimed(minutes_ago=30)
    running = _claimed(minutes_ago=1)  # its worker may well be alive
    other = _claimed(minutes_ago=30, task=sweep_deadlines)

    assert queue.requeue_abandoned(suggest_case, older_than=timedelta(minutes=10)) == 1

    statuses = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert statuses[abandoned.pk] == TaskResultStatus.READY, "the dead worker's reading"
    assert statuses[running.pk] == TaskResultStatus.RUNNING, "a reading just taken"
    assert statuses[other.pk] == TaskResultStatus.RUNNING, "not a task safe to run twice"
    again = DBTaskResult.objects.get(pk=abandoned.pk)
    assert again.started_at is None
    assert DBTaskResult.objects.ready().filter(pk=abandoned.pk).exists(), "a worker takes it"


def test_the_sweep_puts_abandoned_readings_back(db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TASK_ABANDONED_AFTER_S = 600
    abandoned = _claimed(minutes_ago=30)
    summary = sweep_deadlines.call()
    assert summary["requeued_readings"] == 1
    assert DBTaskResult.objects.get(pk=abandoned.pk).status == TaskResultStatus.READY


def test_a_worker_kept_for_readings_takes_only_them(transactional_db) -> None:  # type: ignore[no-untyped-def]
    """dev.py start keeps a worker for new cases' readings, so that they never wait
    behind the demo's history (minutes long) on the default queue."""
    from django.core.management import call_command

    from civicgrid.dispatch.tasks import SWEEP_TASK_PATH
    from civicgrid.notify.tasks import DELIVER_TASK_PATH

    reading = suggest_case.enqueue("C-nowhere")
    assert reading.task.queue_name == "triage"
    call_command("worker", "--once", "--queues", "triage", verbosity=0)
    assert DBTaskResult.objects.get(pk=reading.id).status == TaskResultStatus.SUCCESSFUL
    sweeps = DBTaskResult.objects.filter(task_path=SWEEP_TASK_PATH)
    assert set(sweeps.values_list("status", flat=True)) == {TaskResultStatus.READY}, (
        "the sweep waits for a worker of the default queue"
    )

    suggest_case.enqueue("C-elsewhere")
    call_command("worker", "--once", verbosity=0)  # all queues
    # (The sweep and the outbox's round each leave their next run waiting.)
    rescheduled = (SWEEP_TASK_PATH, DELIVER_TASK_PATH)
    assert (
        not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL)
        .exclude(task_path__in=rescheduled)
        .exists()
    )
    assert sweeps.filter(status=TaskResultStatus.SUCCESSFUL).exists()
    rounds = DBTaskResult.objects.filter(task_path=DELIVER_TASK_PATH)
    assert rounds.filter(status=TaskResultStatus.SUCCESSFUL).exists()


def test_the_outbox_has_a_queue_of_its_own(transactional_db) -> None:  # type: ignore[no-untyped-def]
    """A sweep escalating many cases makes many messages: a worker of the default queue
    sweeps without sending them, and the outbox's round waits for a worker of its own."""
    from django.core.management import call_command

    from civicgrid.dispatch.tasks import SWEEP_TASK_PATH
    from civicgrid.notify.tasks import DELIVER_TASK_PATH

    call_command("worker", "--once", "--queues", "default", verbosity=0)
    rounds = DBTaskResult.objects.filter(task_path=DELIVER_TASK_PATH)
    assert set(rounds.values_list("status", flat=True)) == {TaskResultStatus.READY}
    assert DBTaskResult.objects.filter(
        task_path=SWEEP_TASK_PATH, status=TaskResultStatus.SUCCESSFUL
    ).exists()
    call_command("worker", "--once", "--queues", "notify", verbosity=0)
    assert rounds.filter(status=TaskResultStatus.SUCCESSFUL).exists()

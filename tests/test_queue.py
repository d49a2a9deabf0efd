"""``civicgrid.queue``: a task's row written with others, then announced as ``enqueue`` would."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus, task_enqueued
from django_tasks_db.models import DBTaskResult

from civicgrid import queue
from civicgrid.db import insert_together
from civicgrid.triage.tasks import suggest_case


def test_a_row_is_announced_with_the_result_enqueue_announces(db) -> None:  # type: ignore[no-untyped-def]
    heard: list[tuple[Any, Any]] = []

    def listen(sender: Any, task_result: Any, **kwargs: Any) -> None:
        heard.append((sender, task_result))

    task_enqueued.connect(listen)
    try:
        stored = queue.row(suggest_case, "C-ours")
        insert_together([stored])
        queue.announce(stored, suggest_case)
        theirs = suggest_case.enqueue("C-theirs")
    finally:
        task_enqueued.disconnect(listen)
    (sender, result), (their_sender, their_result) = heard
    assert sender is their_sender
    assert result == DBTaskResult.objects.get(pk=stored.pk).task_result == stored.task_result
    assert result.task == their_result.task == theirs.task
    assert result.args == ["C-ours"] and result.status == their_result.status


def _claimed(minutes_ago: float, task_path: str = suggest_case.module_path) -> DBTaskResult:
    stored = queue.row(suggest_case, "C-claimed")
    stored.task_path = task_path
    insert_together([stored])
    DBTaskResult.objects.filter(pk=stored.pk).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
        worker_ids=["dead-worker"],
    )
    return stored


def test_a_reading_whose_worker_died_goes_back_to_the_queue(db) -> None:  # type: ignore[no-untyped-def]
    abandoned = _claimed(minutes_ago=30)
    running = _claimed(minutes_ago=1)  # its worker may well be alive
    other = _claimed(minutes_ago=30, task_path="civicgrid.demo.tasks.generate_history_task")

    assert queue.requeue_abandoned(suggest_case, older_than=timedelta(minutes=10)) == 1

    statuses = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert statuses[abandoned.pk] == TaskResultStatus.READY, "the dead worker's reading"
    assert statuses[running.pk] == TaskResultStatus.RUNNING, "a reading just taken"
    assert statuses[other.pk] == TaskResultStatus.RUNNING, "not a task safe to run twice"
    again = DBTaskResult.objects.get(pk=abandoned.pk)
    assert again.started_at is None
    assert DBTaskResult.objects.ready().filter(pk=abandoned.pk).exists(), "a worker takes it"


def test_the_sweep_puts_abandoned_readings_back(db, settings) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.dispatch.tasks import sweep_deadlines

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
    assert (
        not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL)
        .exclude(task_path=SWEEP_TASK_PATH)
        .exists()
    )
    assert sweeps.filter(status=TaskResultStatus.SUCCESSFUL).exists()

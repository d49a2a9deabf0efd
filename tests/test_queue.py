"""``civicgrid.queue``: a task's row written with others, then announced as ``enqueue`` would."""

from __future__ import annotations

from typing import Any

from django_tasks_db.compat import task_enqueued
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

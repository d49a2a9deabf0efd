"""The task queue's one gap, and one habit of ours.

The gap: django-tasks-db leaves a row ``RUNNING`` for good when its worker dies
(``kill -9``, a lost machine). ``requeue_abandoned`` gives such rows back to the queue,
for a task that is safe to run twice. Everything else goes through the library's public API:
``task.enqueue()`` inside the transaction that writes what the task is about (the row
is in the same database, so it is stored with it or not at all).

The habit: a task that does all there is to do when it runs (a sweep, a round of the
outbox, the hot-issue boards, the words of new cases) is enqueued once: ``enqueue_once``
adds it only if none is waiting.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django_tasks.base import Task, TaskResultStatus
from django_tasks_db.models import DBTaskResult


def requeue_abandoned(task: Task, older_than: timedelta) -> int:
    """Rows of ``task`` claimed by a worker more than ``older_than`` ago and still
    running: back to the queue, to be run again (so only for a task that is safe to run
    twice)."""
    return DBTaskResult.objects.filter(
        task_path=task.module_path,
        status=TaskResultStatus.RUNNING,
        started_at__lt=timezone.now() - older_than,
    ).update(status=TaskResultStatus.READY, started_at=None)


def _waiting(task: Task) -> QuerySet[DBTaskResult]:
    return DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY)


def waiting(task: Task) -> int:
    """How many runs of ``task`` wait in the queue (not started yet)."""
    return _waiting(task).count()


def enqueue_once(task: Task, run_after: datetime | None = None) -> bool:
    """Enqueue ``task`` (no arguments) unless a run of it is already waiting; True if
    one was enqueued."""
    if _waiting(task).exists():
        return False
    (task.using(run_after=run_after) if run_after else task).enqueue()
    return True

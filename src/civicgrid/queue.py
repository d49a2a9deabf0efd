"""The task queue's one gap: a task left running by a worker that died.

django-tasks-db leaves a row ``RUNNING`` for good when its worker dies (``kill -9``, a
lost machine). ``requeue_abandoned`` gives such rows back to the queue, for a task that
is safe to run twice. Everything else goes through the library's public API:
``task.enqueue()`` inside the transaction that writes what the task is about (the row
is in the same database, so it is stored with it or not at all).
"""

from __future__ import annotations

from datetime import timedelta

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

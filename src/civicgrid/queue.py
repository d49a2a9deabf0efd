"""A background task queued as a row written with the rows it belongs to.

``task.enqueue()`` stores its row at once, in a statement of its own. Intake queues
the machine's reading of a new case in the same statement as the case itself
(``civicgrid.db.insert_together``): ``row(task, …)`` is the row ``enqueue`` would
store, not yet stored; ``announce(row, task)`` sends django-tasks' ``task_enqueued``
signal once it is. ``requeue_abandoned`` gives a task back to the queue when the
worker that claimed it died (``kill -9``, a lost machine) and left it running forever.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend, TaskResult
from django_tasks_db.compat import Task, TaskResultStatus, normalize_json, task_enqueued
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import normalize_uuid

from civicgrid.db import new

_valid: dict[int, tuple[Task, DatabaseBackend]] = {}


def _backend(task: Task) -> DatabaseBackend:
    """The task's backend, the task checked by it once per process (tasks are frozen)."""
    known = _valid.get(id(task))
    if known is not None and known[0] is task:
        return known[1]
    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        raise TypeError(f"{task.module_path}: its backend does not keep a queue table")
    backend.validate_task(task)
    _valid[id(task)] = (task, backend)
    return backend


def row(task: Task, *args: Any, **kwargs: Any) -> DBTaskResult:
    """The queue row of ``task.enqueue(*args, **kwargs)``, unsaved (as
    ``DatabaseBackend._task_to_db_task`` builds it)."""
    backend = _backend(task)
    return new(
        DBTaskResult,
        id=backend._get_id(),
        args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=task.run_after,
        backend_name=backend.alias,
    )


def announce(stored: DBTaskResult, task: Task) -> None:
    """What ``enqueue`` does after storing the row: ``task_enqueued`` from the backend's
    class, with the row's result. The result is the one ``stored.task_result`` makes
    (a test holds them equal), made from ``task`` in hand: that property imports the
    task and checks it anew, half the cost of this call."""
    result = TaskResult(
        db_result=stored,
        task=task,
        id=normalize_uuid(stored.id),
        status=TaskResultStatus[stored.status],
        enqueued_at=stored.enqueued_at,
        started_at=stored.started_at,
        last_attempted_at=stored.started_at,
        finished_at=stored.finished_at,
        args=stored.args_kwargs["args"],
        kwargs=stored.args_kwargs["kwargs"],
        backend=stored.backend_name,
        errors=[],
        worker_ids=stored.worker_ids,
    )
    object.__setattr__(result, "_return_value", stored.return_value)
    task_enqueued.send(type(_backend(task)), task_result=result)


def requeue_abandoned(task: Task, older_than: timedelta) -> int:
    """Rows of ``task`` claimed by a worker more than ``older_than`` ago and still
    running: back to the queue, to be run again (so only for a task that is safe to run
    twice). The library leaves such a row running for good when its worker dies."""
    return DBTaskResult.objects.filter(
        task_path=task.module_path,
        status=TaskResultStatus.RUNNING,
        started_at__lt=timezone.now() - older_than,
    ).update(status=TaskResultStatus.READY, started_at=None)

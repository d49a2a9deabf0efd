"""Background tasks on the database queue (django-tasks), run by ``civicgrid worker``.

The deadline sweep reschedules itself: each run enqueues the next one
``SWEEP_INTERVAL_S`` later, unless one is already waiting. Should two workers
both schedule one, the extra sweep finds nothing to do: every deadline is
treated exactly once by the sweeper's marks, however many sweeps run.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from civicgrid.dispatch.sweeper import sweep

SWEEP_TASK_PATH = "civicgrid.dispatch.tasks.sweep_deadlines"


@task()
def sweep_deadlines(limit: int = 1000) -> dict[str, int]:
    result = sweep(limit=limit)
    # A full batch means more is waiting: go again at once.
    full = result.acted + result.skipped >= limit
    schedule_sweep(delay_s=0 if full else settings.SWEEP_INTERVAL_S)
    return {
        "reminded": result.reminded,
        "escalated": result.escalated,
        "supervised": result.supervised,
        "skipped": result.skipped,
        "errors": len(result.errors),
    }


def schedule_sweep(delay_s: float = 0.0) -> bool:
    """Enqueue a sweep unless one is already waiting; True if one was enqueued."""
    waiting = DBTaskResult.objects.filter(
        task_path=SWEEP_TASK_PATH, status=TaskResultStatus.READY
    ).exists()
    if waiting:
        return False
    run_after = timezone.now() + timedelta(seconds=delay_s) if delay_s > 0 else None
    sweep_deadlines.using(run_after=run_after).enqueue()
    return True

"""Background tasks on the database queue (django-tasks), run by ``civicgrid worker``.

The deadline sweep reschedules itself: each run enqueues the next one
``SWEEP_INTERVAL_S`` later, unless ``SWEEP_PARALLEL`` are already waiting, so
that several workers can drain a backlog together. However many sweeps run at
once, every deadline is treated exactly once (the sweeper's marks). Each sweep also
gives back to the queue the machine readings of new cases whose worker died while
running them (a reading is safe to run twice: it replaces the case's suggestion), and
tidies the photo store (``cases.photos.tidy``: staged files of rolled-back changes,
API uploads no event named within a day), and has the hot-issue boards recomputed
when they are older than ``HOT_BOARD_INTERVAL_S``, and makes sure the outbox's round
(``notify.tasks.deliver_notifications``) is waiting, so its reminders go out, and that
the words of new cases are written for the search (``cases.tasks.write_words``).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from civicgrid import queue
from civicgrid.cases import photos
from civicgrid.cases.tasks import schedule_words
from civicgrid.dispatch.sweeper import sweep
from civicgrid.notify.tasks import schedule_delivery
from civicgrid.triage import boards
from civicgrid.triage.tasks import schedule_board_refresh, suggest_case

SWEEP_TASK_PATH = "civicgrid.dispatch.tasks.sweep_deadlines"


@task()
def sweep_deadlines() -> dict[str, int]:
    result = sweep()  # drains everything due, in batches
    requeued = queue.requeue_abandoned(
        suggest_case, older_than=timedelta(seconds=settings.TASK_ABANDONED_AFTER_S)
    )
    tidied = photos.tidy()
    if boards.due():
        schedule_board_refresh()
    schedule_delivery()
    schedule_words()
    schedule_sweep(delay_s=settings.SWEEP_INTERVAL_S)
    return {
        "reminded": result.reminded,
        "escalated": result.escalated,
        "supervised": result.supervised,
        "skipped": result.skipped,
        "errors": len(result.errors),
        "requeued_readings": requeued,
        "photos_promoted": tidied.promoted,
        "photos_discarded": tidied.discarded + tidied.unattached,
    }


def schedule_sweep(delay_s: float = 0.0) -> bool:
    """Enqueue a sweep unless ``SWEEP_PARALLEL`` are already waiting (so that as many
    workers can drain a backlog together); True if one was enqueued."""
    if queue.waiting(sweep_deadlines) >= settings.SWEEP_PARALLEL:
        return False
    run_after = timezone.now() + timedelta(seconds=delay_s) if delay_s > 0 else None
    sweep_deadlines.using(run_after=run_after).enqueue()
    return True

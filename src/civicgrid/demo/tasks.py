"""The demo's year of history as a background task, so a first start is quick and
the worker fills the history in (about 15 minutes for 20,000 cases on 2 cores: each
case goes through the real transitions). The newest cases are written first, and the
console's home page shows dispatchers and administrators how far it has come."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import FrameType
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from civicgrid.demo.councils import after_history
from civicgrid.demo.history import HistoryInterrupted, generate_history
from civicgrid.demo.models import HistoryRun
from civicgrid.demo.rankings import publish_past_months
from civicgrid.projects.demo import after_history as projects_after_history

HISTORY_TASK_PATH = "civicgrid.demo.tasks.generate_history_task"
# A history task still marked running whose run has not moved for this long lost its
# worker (killed, the machine stopped): it is given back to the queue at the next start.
HISTORY_STALLED_AFTER = timedelta(minutes=2)


@contextmanager
def stop_requested() -> Iterator[threading.Event]:
    """An event set when the process is asked to stop (SIGTERM, SIGINT) while inside:
    the worker's own handlers still run (it stops taking tasks), but a long task can
    also stop between two of its steps instead of running on for minutes."""
    event = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield event  # signals reach the main thread only
        return
    signals = [signal.SIGINT, signal.SIGTERM]
    previous = {signum: signal.getsignal(signum) for signum in signals}

    def handler(signum: int, frame: FrameType | None) -> None:
        first = not event.is_set()
        event.set()
        chained = previous[signum]
        if first and signum == signal.SIGINT and chained is signal.default_int_handler:
            return  # the history stops at its next case, not in the middle of one
        if callable(chained):
            chained(signum, frame)

    for signum in signals:
        signal.signal(signum, handler)
    try:
        yield event
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


@task()
def generate_history_task(count: int, seed: int = 1) -> dict[str, Any]:
    """The demo's history, from where an earlier run of it stopped (if one did)."""
    run = HistoryRun.objects.filter(finished_at__isnull=True).order_by("-pk").first()
    if run is None or (run.count, run.seed) != (count, seed):
        run = HistoryRun.objects.create(count=count, seed=seed, until=timezone.now())
    with stop_requested() as stop:
        try:
            # Behind a running server: let its requests write between the history's cases.
            summary = generate_history(
                count, seed=seed, pause_every=25, run=run, should_stop=stop.is_set
            )
        except HistoryInterrupted:
            # Not a failure: the next start completes it (``resume_history``).
            run.refresh_from_db()
            return {"cases": run.done, "refused": run.refused, "interrupted": True}
    trained = train_demo_classifier()
    ranked = publish_past_months(seed)
    councils = after_history(seed)
    councils.update(projects_after_history())
    run.refresh_from_db()
    HistoryRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    return {
        "cases": run.done,
        "refused": run.refused,
        "written_now": summary.cases,
        "published": len(ranked.published),
        "appeals": ranked.appeals,
        "classifier": trained,
        **councils,
        **summary.states,
    }


def resume_history() -> HistoryRun | None:
    """At a start: an unfinished history is queued again, to be completed from where it
    stopped (its worker was stopped or killed). Returns that run, if any."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    run = HistoryRun.objects.filter(finished_at__isnull=True).order_by("-pk").first()
    if run is None:
        return None
    tasks = DBTaskResult.objects.filter(task_path=HISTORY_TASK_PATH)
    with transaction.atomic():
        if tasks.filter(status=TaskResultStatus.READY).exists():
            return run  # waiting for a worker already
        running = tasks.filter(status=TaskResultStatus.RUNNING)
        if running.exists() and run.updated_at > timezone.now() - HISTORY_STALLED_AFTER:
            return run  # a worker is on it
        # Its worker died (still "running") or stopped it: once more, from ``done``.
        running.update(status=TaskResultStatus.FAILED, finished_at=timezone.now())
        generate_history_task.enqueue(run.count, run.seed)
    return run


def history_progress() -> tuple[int, int] | None:
    """(cases written, cases to write) while the demo's history is waiting for the
    worker or being made; None otherwise."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    running = (
        DBTaskResult.objects.filter(
            task_path=HISTORY_TASK_PATH,
            status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING),
        )
        .order_by("-enqueued_at")
        .values_list("args_kwargs", flat=True)
        .first()
    )
    if running is None:
        return None
    total = int(running["args"][0])
    run = HistoryRun.objects.order_by("-pk").first()
    done = run.done if run is not None and run.count == total else 0
    return min(done, total), total


# Of the history's closed cases, the newest this many of each category teach the
# classifier trained after it (the first one was trained on generated requests).
DEMO_TRAINING_PER_CATEGORY = 20


def train_demo_classifier() -> int:
    """A classifier from the demo's closed cases, made active (0: too few cases)."""
    from civicgrid.errors import Refusal
    from civicgrid.triage.actions import train, training_rows_from_cases

    texts, labels, titles = training_rows_from_cases(per_category=DEMO_TRAINING_PER_CATEGORY)
    try:
        version = train(texts, labels, titles, source="demo history", activate=True)
    except Refusal:
        return 0
    return version.pk

"""Triage in the background: intake enqueues one reading per new case; the worker keeps
the hot-issue boards fresh (``refresh_hot_boards``, on a schedule)."""

from __future__ import annotations

from django_tasks import task

from civicgrid import queue
from civicgrid.cases.models import Case


@task(queue_name="triage")
def suggest_case(case_ref: str | int) -> dict[str, object]:
    """The machine's reading of a new case. ``case_ref``: its tracking code (intake
    queues it with the case, before the case has an id), or its id."""
    from civicgrid.triage.actions import suggest

    lookup = {"tracking_code": case_ref} if isinstance(case_ref, str) else {"pk": case_ref}
    case = Case.objects.filter(**lookup).first()
    if case is None:
        return {"case": case_ref, "missing": True}
    s = suggest(case)
    return {"case": case_ref, "category": s.category_id, "confidence": s.confidence}


HOT_BOARDS_TASK_PATH = "civicgrid.triage.tasks.refresh_hot_boards"


@task()
def refresh_hot_boards() -> dict[str, int]:
    """Recompute the hot-issue boards people look at (see ``triage.boards``)."""
    from civicgrid.triage.boards import refresh

    return {"boards": refresh()}


def schedule_board_refresh() -> bool:
    """Enqueue a refresh unless one is already waiting; True if one was enqueued. Each
    deadline sweep calls it when a board is older than ``HOT_BOARD_INTERVAL_S``, and a
    board opened for the first time calls it at once."""
    return queue.enqueue_once(refresh_hot_boards)

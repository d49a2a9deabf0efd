"""The demo's year of history as a background task, so a first start is quick and
the worker fills the history in (about 15 minutes for 20,000 cases on 2 cores: each
case goes through the real transitions). The newest cases are written first, and the
console's home page shows dispatchers and administrators how far it has come."""

from __future__ import annotations

from django_tasks import task

from civicgrid.demo.history import generate_history
from civicgrid.demo.rankings import publish_past_months

HISTORY_TASK_PATH = "civicgrid.demo.tasks.generate_history_task"


@task()
def generate_history_task(count: int, seed: int = 1) -> dict[str, int]:
    # Behind a running server: let its requests write between the history's cases.
    summary = generate_history(count, seed=seed, pause_every=25)
    trained = train_demo_classifier()
    ranked = publish_past_months(seed)
    return {
        "cases": summary.cases,
        "published": len(ranked.published),
        "appeals": ranked.appeals,
        "refused": summary.refused,
        "classifier": trained,
        **summary.states,
    }


def history_progress() -> tuple[int, int] | None:
    """(cases written, cases to write) while the demo's history is waiting for the
    worker or being made; None otherwise."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from civicgrid.cases.models import Case

    running = (
        DBTaskResult.objects.filter(
            task_path=HISTORY_TASK_PATH,
            status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING),
        )
        .order_by("-enqueued_at")
        .values_list("started_at", "args_kwargs")
        .first()
    )
    if running is None:
        return None
    started_at, args_kwargs = running
    total = int(args_kwargs["args"][0])
    if started_at is None:
        return 0, total
    # The history's cases lie in the past; residents' requests since are not its own.
    return min(Case.objects.filter(created_at__lt=started_at).count(), total), total


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

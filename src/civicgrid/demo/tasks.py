"""The demo's year of history as a background task, so a first start is quick and
the worker fills the history in (about 12 minutes for 20,000 cases on 2 cores)."""

from __future__ import annotations

from django_tasks import task

from civicgrid.demo.history import generate_history


@task()
def generate_history_task(count: int, seed: int = 1) -> dict[str, int]:
    summary = generate_history(count, seed=seed)
    return {"cases": summary.cases, "refused": summary.refused, **summary.states}

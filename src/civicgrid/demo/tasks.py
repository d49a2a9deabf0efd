"""The demo's year of history as a background task, so a first start is quick and
the worker fills the history in (about 12 minutes for 20,000 cases on 2 cores)."""

from __future__ import annotations

from django_tasks import task

from civicgrid.demo.history import generate_history


@task()
def generate_history_task(count: int, seed: int = 1) -> dict[str, int]:
    # Behind a running server: let its requests write between the history's cases.
    summary = generate_history(count, seed=seed, pause_every=25)
    trained = train_demo_classifier()
    return {
        "cases": summary.cases,
        "refused": summary.refused,
        "classifier": trained,
        **summary.states,
    }


# The demo writes one text per category, so more of its cases teach the model nothing,
# and training time grows with cases × categories: all 20,000 took 20 minutes.
DEMO_TRAINING_PER_CATEGORY = 20


def train_demo_classifier() -> int:
    """A first classifier from the demo's closed cases, made active (0: too few cases)."""
    from civicgrid.errors import Refusal
    from civicgrid.triage.actions import train, training_rows_from_cases

    texts, labels, titles = training_rows_from_cases(per_category=DEMO_TRAINING_PER_CATEGORY)
    try:
        version = train(texts, labels, titles, source="demo history", activate=True)
    except Refusal:
        return 0
    return version.pk

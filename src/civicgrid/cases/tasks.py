"""The cases' background work: the words of new cases for the search (``cases.words``),
written on the triage queue beside the machine's readings, enqueued by each sweep."""

from __future__ import annotations

from django_tasks import task

from civicgrid import queue
from civicgrid.cases import words


@task(queue_name="triage")
def write_words() -> dict[str, int]:
    """The pieces of the cases written since the last run (``words.write``)."""
    return {"written": words.write()}


def schedule_words() -> bool:
    """Enqueue ``write_words`` unless a run is already waiting; True if one was."""
    return queue.enqueue_once(write_words)

"""Work queues: named filters over the cases a user may see, their order, and their
counts, built for millions of cases (see docs/architecture.md, "Lists at scale").

Each queue's filter and order match an index (``Case.Meta.indexes``); a queue is paged
by key (``paging.keyset``), never by offset. Counts are of open work only, and stop at
``COUNT_CAP``: past that a person reads "999+", and counting a district's hundred
thousand open cases for a tab label would cost more than the page itself. "All" is
not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import OPEN_STATES, Case, State
from civicgrid.cases.paging import Order

DUE_SOON = timedelta(hours=24)
COUNT_CAP = 1000
NEWEST_FIRST: Order = ("-created_at", "-id")
MOST_URGENT_FIRST: Order = ("due_at", "id")
# The states whose deadline is the queues' "due" (acknowledge, resolve).
RUNNING = (State.DISPATCHED, State.HANDLING)


@dataclass(frozen=True)
class Queue:
    label: Promise
    filter: Q
    order: Order = NEWEST_FIRST
    counted: bool = True


def queues() -> dict[str, Queue]:
    """Queue name → its definition. Built per call: "now" moves."""
    now = timezone.now()
    return {
        "triage": Queue(_("to triage and dispatch"), Q(state=State.SUBMITTED)),
        "to_acknowledge": Queue(_("to acknowledge"), Q(state=State.DISPATCHED)),
        "handling": Queue(_("handling"), Q(state=State.HANDLING)),
        "due_soon": Queue(
            _("due within 24 hours"),
            Q(state__in=RUNNING, due_at__gte=now, due_at__lt=now + DUE_SOON),
            MOST_URGENT_FIRST,
        ),
        "overdue": Queue(_("overdue"), Q(state__in=RUNNING, due_at__lt=now), MOST_URGENT_FIRST),
        "returned": Queue(_("returned"), Q(state=State.RETURNED)),
        "to_verify": Queue(_("to verify"), Q(state=State.RESOLVED)),
        "follow_up": Queue(_("to follow up"), Q(state=State.FOLLOW_UP)),
        "supervised": Queue(_("under supervision"), Q(supervised=True, state__in=OPEN_STATES)),
        "all": Queue(_("all"), Q(), counted=False),
    }


QUEUE_NAMES = tuple(queues())


def queue_counts(cases: QuerySet[Case]) -> dict[str, int | None]:
    """Each counted queue's size, up to ``COUNT_CAP`` (one small query each, served by
    the queue's index); None for "all"."""
    return {
        name: cases.filter(queue.filter).order_by()[:COUNT_CAP].count() if queue.counted else None
        for name, queue in queues().items()
    }


def in_queue(cases: QuerySet[Case], name: str) -> QuerySet[Case]:
    return cases.filter(queues()[name].filter)

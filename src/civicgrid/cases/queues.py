"""Work queues: named filters over the cases a user may see, and their counts."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import OPEN_STATES, Case, State

DUE_SOON = timedelta(hours=24)


def queue_filters() -> dict[str, tuple[object, Q]]:
    """Queue name → (label, filter). Built per call: "now" moves."""
    now = timezone.now()
    soon = now + DUE_SOON
    return {
        "triage": (_("to triage and dispatch"), Q(state=State.SUBMITTED)),
        "to_acknowledge": (_("to acknowledge"), Q(state=State.DISPATCHED)),
        "handling": (_("handling"), Q(state=State.HANDLING)),
        "due_soon": (
            _("due within 24 hours"),
            Q(state=State.DISPATCHED, acknowledge_due__gte=now, acknowledge_due__lt=soon)
            | Q(state=State.HANDLING, resolve_due__gte=now, resolve_due__lt=soon),
        ),
        "overdue": (
            _("overdue"),
            Q(state=State.DISPATCHED, acknowledge_due__lt=now)
            | Q(state=State.HANDLING, resolve_due__lt=now),
        ),
        "returned": (_("returned"), Q(state=State.RETURNED)),
        "to_verify": (_("to verify"), Q(state=State.RESOLVED)),
        "follow_up": (_("to follow up"), Q(state=State.FOLLOW_UP)),
        "supervised": (_("under supervision"), Q(supervised=True, state__in=OPEN_STATES)),
        "all": (_("all"), Q()),
    }


QUEUE_NAMES = tuple(queue_filters())


def queue_counts(cases: QuerySet[Case]) -> dict[str, int]:
    """Every queue's count in one query."""
    filters = queue_filters()
    return cases.aggregate(**{name: Count("pk", filter=q) for name, (_l, q) in filters.items()})


def in_queue(cases: QuerySet[Case], name: str) -> QuerySet[Case]:
    return cases.filter(queue_filters()[name][1])

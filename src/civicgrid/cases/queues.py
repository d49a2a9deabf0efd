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

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import OPEN_STATES, Case, State
from civicgrid.cases.paging import Order, Part
from civicgrid.org.models import User
from civicgrid.org.scoping import scope_of

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


def queue_counts(user: User) -> dict[str, int | None]:
    """Each counted queue's size among the user's open work, up to ``COUNT_CAP``; None
    for "all". Over the whole tree, one small query per queue, each stopping at the cap
    in the queue's own index; over part of it, one pass over the part's open cases (as
    many as the part has, however large the table), read from the unit index alone."""
    defined = queues()
    cases = Case.objects.visible_to(user, work=True)
    if scope_of(user).reach.everywhere:
        return {
            name: cases.filter(q.filter).order_by()[:COUNT_CAP].count() if q.counted else None
            for name, q in defined.items()
        }
    # (of a column in the unit index: the count reads the index alone)
    counted = {name: Count("state", filter=q.filter) for name, q in defined.items() if q.counted}
    found = cases.filter(state__in=OPEN_STATES).order_by().aggregate(**counted)
    return {name: min(found[name], COUNT_CAP) if q.counted else None for name, q in defined.items()}


def in_queue(user: User, name: str) -> QuerySet[Case]:
    """The cases of queue ``name`` the user sees: their open work (a department's open
    tasks), or for "all" everything visible to them."""
    # (a queue's own filter restricts the states: no second, redundant condition on
    # them, which the planner would count twice and so misjudge the rows)
    cases = Case.objects.visible_to(user, work=name != "all")
    return cases.filter(queues()[name].filter)


# The orders whose first field the parts' indexes carry after the unit or grid
# (``unit_newest``, ``grid_newest``, ``cases_by_unit``).
PART_ORDERS = frozenset({"created_at", "owner_unit_id"})


def queue_parts(
    user: User, name: str, order: Order, *, only_open: bool = False, listed: bool = False
) -> tuple[QuerySet[Case], list[Part] | None]:
    """``in_queue`` for a page in ``order``: the queue's cases before the scope, and the
    scope as parts (``Case.objects.scope_parts``) for ``paging.keyset`` to walk one by
    one, each in its own index (a grid's cases among ten million are not found by
    filtering the newest of all). Only for "all": the open queues walk partial indexes
    of open cases that carry the scope's columns, a tenth of the table, where one walk
    filtered by the scope beats one walk per part (a community's supervised cases:
    1 ms against 28). So does a list of "all" that a filter keeps to open cases
    (``only_open``: the overdue ones, in ``cases_with_a_deadline``; a grid's at 10 M:
    4 ms against 43, each part read every case of its grid). Nor in an order no part's
    index carries (by category, by deadline), where each part would sort all its
    cases: there too the scope is one filter, and the walk is the order's own index.
    Nor where the filters list the rows by id (``listed``: ``lookups.Kept``): the
    list is read once, by its ids, and the scope checked on those rows."""
    if name != "all" or only_open or listed or order[0].lstrip("-") not in PART_ORDERS:
        return in_queue(user, name), None
    return Case.objects.all(), Case.objects.scope_parts(user)

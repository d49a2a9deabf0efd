"""The sweeper's transitions for many cases at once: ``remind``, and ``escalate`` followed
by ``supervise``, producing exactly the rows and events the one-case functions in
``actions`` produce (a test holds the two paths equal), in a handful of queries
instead of a dozen per case.

The caller holds the cases' row locks and has claimed each deadline with a
``DeadlineMark`` in the same transaction.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import F

from civicgrid.cases.deadlines import due, policy_for
from civicgrid.cases.lookups import ids_q
from civicgrid.cases.models import (
    OPEN_TASK_STATES,
    Case,
    CaseEvent,
    Category,
    DeadlinePolicy,
    State,
    WhistleTask,
    higher_tier,
)
from civicgrid.dispatch import routing
from civicgrid.org.models import Unit, UnitKind


@dataclass(slots=True)
class Swept:
    """What the sweeper reads and writes of a due case: a plain row, because a ``Case``
    model costs more to build than the batch costs to store."""

    pk: int
    state: str
    owner_unit_id: int
    dispatcher_unit_id: int | None
    tier: str
    category_id: int | None
    urgency: str
    version: int
    escalations: int
    reminders: int
    supervised: bool
    due: datetime  # the deadline being swept
    acknowledge_due: datetime | None = None
    updated_at: datetime | None = None


# The Case fields behind Swept's, in its order (``pk`` first, ``due`` last).
SWEPT_FIELDS = (
    "pk",
    "state",
    "owner_unit_id",
    "dispatcher_unit_id",
    "tier",
    "category_id",
    "urgency",
    "version",
    "escalations",
    "reminders",
    "supervised",
)


class _Policies:
    """``policy_for`` and its deadlines, once per (category, urgency) in a batch."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._policies: dict[tuple[int | None, str], DeadlinePolicy] = {}
        self._categories: dict[int, Category] = {}
        self._acknowledge: dict[tuple[int | None, str], datetime] = {}

    def acknowledge_due(self, case: Swept) -> datetime:
        key = (case.category_id, case.urgency)
        if key not in self._acknowledge:
            category = None
            if case.category_id is not None:
                category = self._categories.get(case.category_id)
                if category is None:
                    category = self._categories[case.category_id] = Category.objects.get(
                        pk=case.category_id
                    )
            policy = self._policies.setdefault(key, policy_for(category, case.urgency))
            self._acknowledge[key] = due(self.now, policy.acknowledge, policy)
        return self._acknowledge[key]


# The columns of a CaseEvent row, in the order ``_event`` builds them.
EVENT_COLUMNS = (
    "case_id",
    "seq",
    "action",
    "actor_id",
    "at",
    "from_state",
    "to_state",
    "from_unit_id",
    "to_unit_id",
    "note",
    "data",
    "attachments",
)
EventRow = tuple[Any, ...]


def _event(
    case: Swept,
    action: str,
    *,
    from_state: str,
    from_unit_id: int,
    now: datetime,
    note: str,
    data: dict,
) -> EventRow:
    """A CaseEvent as a plain row: the sweeper writes tens of thousands, and model
    instances cost more to build than the rows cost to store."""
    case.version += 1
    return (
        case.pk,
        case.version,
        action,
        None,
        now,
        from_state,
        case.state,
        from_unit_id,
        case.owner_unit_id,
        note,
        data,
        [],
    )


def _in_place(case: Swept, action: str, now: datetime, note: str, deadline: str) -> EventRow:
    """An event that leaves the state and the owner as they are (remind, supervise)."""
    return _event(
        case,
        action,
        from_state=case.state,
        from_unit_id=case.owner_unit_id,
        now=now,
        note=note,
        data={"deadline": deadline},
    )


def insert_events(rows: Sequence[EventRow]) -> None:
    """Append events: ``COPY`` on PostgreSQL (several times faster than an INSERT of
    the same rows), ``bulk_create`` elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        CaseEvent.objects.bulk_create(
            [CaseEvent(**dict(zip(EVENT_COLUMNS, row, strict=True))) for row in rows],
            batch_size=1000,
        )
        return
    table = CaseEvent._meta.db_table
    json_at = (EVENT_COLUMNS.index("data"), EVENT_COLUMNS.index("attachments"))
    encoded: dict[str, str] = {}  # a batch's data are a handful of distinct values
    statement = f"COPY {table} ({', '.join(EVENT_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            values = list(row)
            for i in json_at:
                key = repr(values[i])
                text = encoded.get(key)
                if text is None:
                    text = encoded[key] = json.dumps(values[i], ensure_ascii=False)
                values[i] = text
            copy.write_row(values)


def remind_many(
    cases: Sequence[Swept], *, now: datetime, notes: dict[int, str], deadline: str
) -> None:
    """催办 by the sweeper for each case (as ``actions.remind_case(actor=None)``)."""
    events = []
    for case in cases:
        case.reminders += 1
        events.append(_in_place(case, "remind", now, notes[case.pk], deadline))
        case.updated_at = now
    Case.objects.filter(ids_q([c.pk for c in cases])).update(
        reminders=F("reminders") + 1, version=F("version") + 1, updated_at=now
    )
    insert_events(events)


def escalate_and_supervise_many(
    cases: Sequence[Swept],
    *,
    now: datetime,
    notes: dict[int, str],
    deadline: str,
    escalate: bool = True,
) -> tuple[int, int]:
    """提级 then 督办 for each overdue case (as ``actions.escalate_case`` then
    ``actions.supervise_case``, both with ``actor=None``); a case at the district or
    with departments at work is only supervised. Returns (escalated, supervised)."""
    owner_ids = {c.owner_unit_id for c in cases} | {
        c.dispatcher_unit_id for c in cases if c.dispatcher_unit_id
    }
    units = Unit.objects.in_bulk(owner_ids)
    parent_ids = {u.parent_id for u in units.values() if u.parent_id}
    units.update(Unit.objects.in_bulk(parent_ids - set(units)))
    districts = {u.code: u for u in Unit.objects.filter(kind=UnitKind.DISTRICT)}
    busy = set(
        WhistleTask.objects.filter(
            ids_q([c.pk for c in cases], "case_id"), state__in=OPEN_TASK_STATES
        ).values_list("case_id", flat=True)
    )
    policies = _Policies(now)
    events: list[EventRow] = []
    escalated = 0

    def target_of(owner: Unit) -> Unit | None:
        if owner.kind == UnitKind.DEPARTMENT:
            return districts[owner.ancestor_codes()[0]]
        return units.get(owner.parent_id) if owner.parent_id else None

    groups: dict[tuple, list[int]] = defaultdict(list)
    for case in cases:
        owner = units[case.owner_unit_id]
        target = None if (case.pk in busy or not escalate) else target_of(owner)
        if target is not None:
            from_state, from_unit = case.state, case.owner_unit_id
            case.owner_unit_id = target.pk
            dispatcher = units.get(case.dispatcher_unit_id) if case.dispatcher_unit_id else None
            if dispatcher is None or dispatcher.is_within(target):
                up = target_of(target)
                case.dispatcher_unit_id = up.pk if up is not None else None
                if up is not None:
                    units.setdefault(up.pk, up)
            case.tier = higher_tier(case.tier, routing.tier_of_unit(target))
            case.state = State.DISPATCHED
            case.acknowledge_due = policies.acknowledge_due(case)
            case.escalations += 1
            events.append(
                _event(
                    case,
                    "escalate",
                    from_state=from_state,
                    from_unit_id=from_unit,
                    now=now,
                    note=notes[case.pk],
                    data={"deadline": deadline, "tier": case.tier},
                )
            )
            escalated += 1
            key: tuple = (
                case.owner_unit_id,
                case.dispatcher_unit_id,
                case.tier,
                case.acknowledge_due,
            )
        else:
            key = ()  # supervised only
        groups[key].append(case.pk)
        case.supervised = True
        events.append(_in_place(case, "supervise", now, notes[case.pk], deadline))
        case.updated_at = now
    # Cases moved alike share one UPDATE: a few per batch, not one per case.
    for key, ids in groups.items():
        rows = Case.objects.filter(ids_q(ids))
        if not key:  # supervised only
            rows.update(supervised=True, version=F("version") + 1, updated_at=now)
            continue
        owner_id, dispatcher_id, tier, acknowledge_due = key
        rows.update(
            owner_unit_id=owner_id,
            dispatcher_unit_id=dispatcher_id,
            tier=tier,
            state=State.DISPATCHED,
            acknowledge_due=acknowledge_due,
            escalations=F("escalations") + 1,
            supervised=True,
            version=F("version") + 2,
            updated_at=now,
        )
    insert_events(events)
    return escalated, len(cases)

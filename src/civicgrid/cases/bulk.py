"""The batch writer: many cases' plans (from ``rules``) carried out in a handful of
statements, where ``actions.write`` carries out one. It decides nothing: every
column it sets and every event it appends is in a plan (a test holds the two writers
equal).

The caller holds the cases' row locks, so a plan's counters can be raised in SQL
(``F(...) + 1``) and land where the plan's ``seq`` says.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import F

from civicgrid.cases.lookups import ids_q
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.rules import Plan


def carry_out(plans: Sequence[Plan], *, now: datetime) -> None:
    """Write ``plans`` (a case's several plans in the order they were made): each case's
    plans folded into one change; cases changed alike share one UPDATE (a few per
    batch, not one per case); their events in one INSERT."""
    if not plans:
        return
    per_case: dict[int, list[Plan]] = defaultdict(list)
    for plan in plans:
        per_case[plan.case_id].append(plan)
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for case_id, its in per_case.items():
        changes: dict[str, Any] = {}
        counts: Counter[str] = Counter()
        for plan in its:
            changes.update(plan.changes)
            counts.update(plan.counts)
        key = (tuple(sorted(changes.items(), key=_name)), tuple(sorted(counts.items())), len(its))
        groups[key].append(case_id)
    for (changes, counts, n), ids in groups.items():
        raised = {name: F(name) + k for name, k in counts}
        Case.objects.filter(ids_q(ids)).update(
            **dict(changes), **raised, version=F("version") + n, updated_at=now
        )
    append_events(plans)


def _name(item: tuple[str, Any]) -> str:
    return item[0]


# The event columns a plan fills, in the order ``_event_row`` gives them.
EVENT_FIELDS = (
    "case",
    "seq",
    "action",
    "actor",
    "at",
    "from_state",
    "to_state",
    "from_unit",
    "to_unit",
    "note",
    "data",
    "attachments",
)


def _event_row(plan: Plan) -> tuple[Any, ...]:
    return (
        plan.case_id,
        plan.seq,
        plan.action,
        None,  # the system
        plan.at,
        plan.from_state,
        plan.to_state,
        plan.from_unit_id,
        plan.to_unit_id,
        plan.note,
        plan.data,
        list(plan.attachments),
    )


def append_events(plans: Sequence[Plan]) -> None:
    """The plans' events, the system their actor: on PostgreSQL one ``COPY`` through
    Django's cursor (psycopg's copy API; several times cheaper than an INSERT of the
    same rows, which builds a model object and prepares twelve values per event),
    elsewhere ``bulk_create``. JSON is written as ``JSONField`` writes it
    (``json.dumps``); ``tests/cases/test_rules.py`` reads both writers' events back equal."""
    if connection.vendor != "postgresql":
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    **{
                        f"{name}_id" if name in _FOREIGN else name: value
                        for name, value in zip(EVENT_FIELDS, _event_row(p), strict=True)
                    }
                )
                for p in plans
            ],
            batch_size=1000,
        )
        return
    meta = CaseEvent._meta
    columns = ", ".join(meta.get_field(name).column for name in EVENT_FIELDS)
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for plan in plans:
            row = list(_event_row(plan))
            for i in _JSON:
                row[i] = json.dumps(row[i])
            copy.write_row(row)


_FOREIGN = frozenset({"case", "actor", "from_unit", "to_unit"})
_JSON = (EVENT_FIELDS.index("data"), EVENT_FIELDS.index("attachments"))

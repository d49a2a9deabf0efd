"""The batch writer: many cases' plans (from ``rules``) carried out in a handful of
statements, where ``actions.write`` carries out one. It decides nothing: every
column it sets and every event it appends is in a plan (a test holds the two writers
equal).

The caller holds the cases' row locks, so a plan's counters can be raised in SQL
(``F(...) + 1``) and land where the plan's ``seq`` says.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

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
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case_id=plan.case_id,
                seq=plan.seq,
                action=plan.action,
                actor=None,
                at=plan.at,
                from_state=plan.from_state,
                to_state=plan.to_state,
                from_unit_id=plan.from_unit_id,
                to_unit_id=plan.to_unit_id,
                note=plan.note,
                data=plan.data,
                attachments=list(plan.attachments),
            )
            for plan in plans
        ],
        batch_size=1000,
    )


def _name(item: tuple[str, Any]) -> str:
    return item[0]

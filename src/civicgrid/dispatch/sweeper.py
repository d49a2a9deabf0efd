"""The deadline sweeper (催办 · 提级 · 督办), run by ``civicgrid worker``.

Before a deadline it reminds the owner unit; past it, it escalates the case one
tier and puts it under supervision (or only supervises, where there is no tier
above or departments are still at work). Exactly once per deadline: each case
is handled in its own transaction that also writes a ``DeadlineMark`` under a
unique constraint, and rows are taken with ``SKIP LOCKED`` on PostgreSQL, so
many workers share the work and a worker killed mid-sweep leaves nothing half
done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from civicgrid.cases import actions
from civicgrid.cases.models import Case, DeadlineMark, State, TaskState, WhistleTask
from civicgrid.errors import Refusal

log = logging.getLogger(__name__)

# Which deadline field each state runs against.
DEADLINES = {
    State.DISPATCHED: ("acknowledge", "acknowledge_due"),
    State.HANDLING: ("resolve", "resolve_due"),
    State.FOLLOW_UP: ("follow_up", "follow_up_due"),
}


@dataclass
class SweepResult:
    reminded: int = 0
    escalated: int = 0
    supervised: int = 0
    skipped: int = 0  # locked by another worker, or done already
    errors: list[str] = field(default_factory=list)

    @property
    def acted(self) -> int:
        return self.reminded + self.escalated + self.supervised


def remind_before() -> timedelta:
    return timedelta(minutes=getattr(settings, "REMIND_BEFORE_MINUTES", 60))


def _candidates(now: datetime, limit: int) -> list[tuple[int, str, str, datetime]]:
    """(case id, deadline name, stage, due) for every deadline needing a treatment now."""
    soon = now + remind_before()
    rows: list[tuple[int, str, str, datetime]] = []
    for state, (name, due_field) in DEADLINES.items():
        for stage, window in (
            (DeadlineMark.Stage.OVERDUE, Q(**{f"{due_field}__lte": now})),
            (DeadlineMark.Stage.REMIND, Q(**{f"{due_field}__gt": now, f"{due_field}__lte": soon})),
        ):
            done = DeadlineMark.objects.filter(
                case=OuterRef("pk"), deadline=name, due=OuterRef(due_field), stage=stage
            )
            qs = (
                Case.objects.filter(window, state=state)
                .exclude(Exists(done))
                .order_by(due_field)
                .values_list("pk", due_field)[:limit]
            )
            rows += [(pk, name, stage, due) for pk, due in qs]
    for stage, window in (
        (DeadlineMark.Stage.OVERDUE, Q(check_in_due__lte=now)),
        (DeadlineMark.Stage.REMIND, Q(check_in_due__gt=now, check_in_due__lte=soon)),
    ):
        tasks = WhistleTask.objects.filter(window, state=TaskState.NOTIFIED).values_list(
            "case_id", "pk", "check_in_due"
        )[:limit]
        rows += [(case_id, f"check_in:{pk}", stage, due) for case_id, pk, due in tasks]
    return rows


def _lock(pk: int) -> Case | None:
    qs = Case.objects.filter(pk=pk)
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    else:
        qs = qs.select_for_update()
    return qs.first()


def _treat(case: Case, name: str, stage: str, due: datetime, result: SweepResult) -> None:
    label = {"acknowledge": "签收", "resolve": "办结", "follow_up": "回访"}.get(
        name.split(":")[0], "报到"
    )
    if stage == DeadlineMark.Stage.REMIND:
        actions.remind_case(
            case,
            actor=None,
            note=f"{label}期限将至（{timezone.localtime(due):%m-%d %H:%M}）",
            deadline=name,
        )
        result.reminded += 1
        return
    note = f"{label}超时（期限 {timezone.localtime(due):%m-%d %H:%M}）"
    if name in ("acknowledge", "resolve"):
        try:
            case = actions.escalate_case(case, actor=None, reason=note, deadline=name)
            result.escalated += 1
        except Refusal:
            pass  # at the district already, or departments still at work: supervise only
    actions.supervise_case(case, actor=None, reason=note, deadline=name)
    result.supervised += 1


def sweep(now: datetime | None = None, *, limit: int = 1000) -> SweepResult:
    """One pass over every deadline due for a reminder or past due."""
    now = now or timezone.now()
    result = SweepResult()
    for pk, name, stage, due in _candidates(now, limit):
        try:
            with transaction.atomic():
                case = _lock(pk)
                if case is None:
                    result.skipped += 1  # another worker holds it
                    continue
                if not (name.startswith("check_in:") or _still_due(case, name, due)):
                    result.skipped += 1  # acted on, or re-dispatched, since we looked
                    continue
                try:
                    with transaction.atomic():
                        DeadlineMark.objects.create(case=case, deadline=name, due=due, stage=stage)
                except IntegrityError:
                    result.skipped += 1  # done already, by us or another worker
                    continue
                _treat(case, name, stage, due, result)
        except Refusal as refusal:  # the case moved on meanwhile: the mark rolls back too
            result.errors.append(f"{pk} {name}: {refusal.message}")
    return result


def _still_due(case: Case, name: str, due: datetime) -> bool:
    state_and_field = next((v for v in DEADLINES.items() if v[1][0] == name), None)
    if state_and_field is None:
        return False
    state, (_name, due_field) = state_and_field
    return case.state == state and getattr(case, due_field) == due

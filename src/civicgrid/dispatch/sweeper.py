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

from civicgrid.cases import actions, bulk
from civicgrid.cases.models import Case, DeadlineMark, State, TaskState, WhistleTask
from civicgrid.errors import Refusal

log = logging.getLogger(__name__)

# Which deadline field each state runs against.
DEADLINES = {
    State.DISPATCHED: ("acknowledge", "acknowledge_due"),
    State.HANDLING: ("resolve", "resolve_due"),
    State.FOLLOW_UP: ("follow_up", "follow_up_due"),
}


LABELS = {"acknowledge": "签收", "resolve": "办结", "follow_up": "回访", "check_in": "报到"}


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


def _lock(pk: int) -> Case | None:
    qs = Case.objects.filter(pk=pk)
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    else:
        qs = qs.select_for_update()
    return qs.first()


def _treat(case: Case, name: str, stage: str, due: datetime, result: SweepResult) -> None:
    label = LABELS.get(name.split(":")[0], "报到")
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


def sweep(now: datetime | None = None, *, batch: int | None = None) -> SweepResult:
    """Every deadline due for a reminder or past due, in batches until none is left."""
    now = now or timezone.now()
    batch = batch or settings.SWEEP_BATCH
    result = SweepResult()
    for state, (name, due_field) in DEADLINES.items():
        for stage in (DeadlineMark.Stage.OVERDUE, DeadlineMark.Stage.REMIND):
            while _sweep_batch(state, name, due_field, stage, now, batch, result):
                pass
    _sweep_check_ins(now, result)
    return result


def _sweep_batch(
    state: str,
    name: str,
    due_field: str,
    stage: str,
    now: datetime,
    batch: int,
    result: SweepResult,
) -> int:
    """One transaction: lock up to ``batch`` due cases no other worker holds, claim
    their deadlines (the marks), treat the claimed ones. Returns how many it locked."""
    if stage == DeadlineMark.Stage.OVERDUE:
        window = Q(**{f"{due_field}__lte": now})
    else:
        window = Q(**{f"{due_field}__gt": now, f"{due_field}__lte": now + remind_before()})
    done = DeadlineMark.objects.filter(
        case=OuterRef("pk"), deadline=name, due=OuterRef(due_field), stage=stage
    )
    with transaction.atomic():
        qs = Case.objects.filter(window, state=state).exclude(Exists(done)).order_by(due_field)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        cases = list(qs[:batch])
        if not cases:
            return 0
        claimed = _claim(cases, name, due_field, stage, now)
        mine = [c for c in cases if c.pk in claimed]
        result.skipped += len(cases) - len(mine)
        if not mine:
            return 0
        label = LABELS[name]
        if stage == DeadlineMark.Stage.REMIND:
            notes = {
                c.pk: f"{label}期限将至（{timezone.localtime(getattr(c, due_field)):%m-%d %H:%M}）"
                for c in mine
            }
            bulk.remind_many(mine, now=now, notes=notes, deadline=name)
            result.reminded += len(mine)
        else:
            notes = {
                c.pk: f"{label}超时（期限 {timezone.localtime(getattr(c, due_field)):%m-%d %H:%M}）"
                for c in mine
            }
            escalated, supervised = bulk.escalate_and_supervise_many(
                mine, now=now, notes=notes, deadline=name, escalate=name != "follow_up"
            )
            result.escalated += escalated
            result.supervised += supervised
        return len(cases)


def _claim(cases: list[Case], name: str, due_field: str, stage: str, now: datetime) -> set[int]:
    """Insert the marks; the unique constraint keeps any another worker already wrote.
    Returns the cases whose marks this transaction wrote."""
    table = DeadlineMark._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    rows = [(c.pk, name, adapt(getattr(c, due_field)), stage, adapt(now)) for c in cases]
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    params = [v for row in rows for v in row]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (case_id, deadline, due, stage, at) VALUES {values} "
            "ON CONFLICT (case_id, deadline, due, stage) DO NOTHING RETURNING case_id",
            params,
        )
        return {row[0] for row in cursor.fetchall()}


def _sweep_check_ins(now: datetime, result: SweepResult) -> None:
    """Departments late to check in: one case at a time (they are few)."""
    soon = now + remind_before()
    for stage, window in (
        (DeadlineMark.Stage.OVERDUE, Q(check_in_due__lte=now)),
        (DeadlineMark.Stage.REMIND, Q(check_in_due__gt=now, check_in_due__lte=soon)),
    ):
        for case_id, task_id, due in WhistleTask.objects.filter(
            window, state=TaskState.NOTIFIED
        ).values_list("case_id", "pk", "check_in_due")[:1000]:
            name = f"check_in:{task_id}"
            try:
                with transaction.atomic():
                    case = _lock(case_id)
                    if case is None:
                        result.skipped += 1
                        continue
                    try:
                        with transaction.atomic():
                            DeadlineMark.objects.create(
                                case=case, deadline=name, due=due, stage=stage
                            )
                    except IntegrityError:
                        result.skipped += 1
                        continue
                    _treat(case, name, stage, due, result)
            except Refusal as refusal:
                result.errors.append(f"{case_id} {name}: {refusal.message}")

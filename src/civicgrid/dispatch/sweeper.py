"""The deadline sweeper (催办 · 提级 · 督办), run by ``civicgrid worker``.

Before a deadline it reminds the owner unit; past it, it escalates the case one
tier and puts it under supervision (or only supervises, where there is no tier
above or departments are still at work). Exactly once per deadline: a batch of due
cases is taken in one transaction that locks them (``SKIP LOCKED`` on PostgreSQL,
so many workers share the work), claims each deadline with a ``DeadlineMark`` under
a unique constraint, and writes the reminders, escalations and supervisions in the
same transaction; a worker killed mid-sweep leaves nothing half done, and a mark
another worker wrote first makes this one leave that case alone.

What happens to each case is decided by the same rule functions the one-case
transitions use (``cases.rules``: remind, escalate, supervise); the batch only writes
their plans many rows at a time (``cases.bulk.carry_out``). Departments late to
check in are few, and go through the one-case transitions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from civicgrid.cases import actions, bulk, rules
from civicgrid.cases.deadlines import Deadlines
from civicgrid.cases.facts import surroundings
from civicgrid.cases.models import Action, Case, DeadlineMark, State, TaskState, WhistleTask
from civicgrid.cases.rules import NOWHERE, SNAPSHOT_FIELDS, Plan, Snapshot
from civicgrid.errors import Refusal

log = logging.getLogger(__name__)

# Which deadline field each state runs against.
DEADLINES = {
    State.DISPATCHED: ("acknowledge", "acknowledge_due"),
    State.HANDLING: ("resolve", "resolve_due"),
    State.FOLLOW_UP: ("follow_up", "follow_up_due"),
}
# The deadlines whose overdue cases go up a tier (a late follow-up is only supervised).
ESCALATING = frozenset({"acknowledge", "resolve"})

LABELS = {
    "acknowledge": gettext_lazy("Acknowledgement"),
    "resolve": gettext_lazy("Resolution"),
    "follow_up": gettext_lazy("Follow-up"),
    "check_in": gettext_lazy("Check-in"),
}
REMIND_NOTE = gettext_lazy("%(label)s due soon (%(due)s)")
OVERDUE_NOTE = gettext_lazy("%(label)s overdue (due %(due)s)")


def _note(template: str, name: str, due: datetime) -> str:
    """An event's note, in the district's language (the worker has no request's)."""
    label = LABELS.get(name.split(":")[0], LABELS["check_in"])
    with translation.override(settings.LANGUAGE_CODE):
        return str(template) % {"label": label, "due": f"{timezone.localtime(due):%m-%d %H:%M}"}


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
    if stage == DeadlineMark.Stage.REMIND:
        actions.remind_case(case, actor=None, note=_note(REMIND_NOTE, name, due), deadline=name)
        result.reminded += 1
        return
    note = _note(OVERDUE_NOTE, name, due)
    if name in ESCALATING:
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
            after: Cursor | None = None
            while after := _sweep_batch(state, name, due_field, stage, now, batch, after, result):
                pass
    _sweep_check_ins(now, result)
    return result


# Where the last batch ended, as (due, id): the next one starts after it.
Cursor = tuple[datetime, int]


def _sweep_batch(
    state: str,
    name: str,
    due_field: str,
    stage: str,
    now: datetime,
    batch: int,
    after: Cursor | None,
    result: SweepResult,
) -> Cursor | None:
    """One transaction: lock up to ``batch`` due cases no other worker holds, claim
    their deadlines (the marks), treat the claimed ones. Returns where it stopped, or
    None when nothing is left.

    Batches page through the due cases in (due, id) order from where the last one
    stopped, rather than from the start: the rows just treated leave dead index
    entries behind until the next vacuum, and scanning them again each batch made the
    sweep quadratic. A row skipped because another worker held it is that worker's."""
    with transaction.atomic():
        _tune_transaction()
        if connection.vendor == "postgresql":
            cases, mine = _pick_and_claim_in_one(state, name, due_field, stage, now, batch, after)
        else:
            cases, mine = _pick_and_claim(state, name, due_field, stage, now, batch, after)
        if not cases:
            return None
        last, last_due = cases[-1]
        cursor = (last_due, last.pk)
        result.skipped += len(cases) - len(mine)
        if not mine:
            return cursor
        if stage == DeadlineMark.Stage.REMIND:
            plans = _remind(mine, name, now)
            result.reminded += len(mine)
        else:
            plans = _escalate_and_supervise(mine, name, now)
            escalated = sum(p.action == Action.ESCALATE for p in plans)
            result.escalated += escalated
            result.supervised += len(plans) - escalated
        bulk.carry_out(plans, now=now)
        return cursor


# A case picked by a batch, with the deadline being swept.
Due = tuple[Snapshot, datetime]


def _remind(cases: list[Due], name: str, now: datetime) -> list[Plan]:
    notes = _notes(cases, REMIND_NOTE, name)
    return [
        rules.remind(case, NOWHERE, at=now, note=notes[case.pk], deadline=name)
        for case, _due in cases
    ]


def _escalate_and_supervise(cases: list[Due], name: str, now: datetime) -> list[Plan]:
    """As ``_treat`` does with the one-case transitions: escalate where the rule allows
    (a case at the district, or with departments at work, it refuses), then supervise."""
    notes = _notes(cases, OVERDUE_NOTE, name)
    around = surroundings([case for case, _due in cases]) if name in ESCALATING else {}
    deadlines = Deadlines(now)
    plans = []
    for case, _due in cases:
        note = notes[case.pk]
        if name in ESCALATING:
            try:
                plan = rules.escalate(
                    case,
                    around[case.pk],
                    at=now,
                    reason=note,
                    acknowledge_due=deadlines.due(case.category_id, case.urgency, "acknowledge"),
                    deadline=name,
                )
            except Refusal:
                pass
            else:
                plans.append(plan)
                case = case.after(plan)
        plans.append(rules.supervise(case, NOWHERE, at=now, reason=note, deadline=name))
    return plans


def _notes(cases: list[Due], template: str, name: str) -> dict[int, str]:
    """The event note of each case; cases due at the same minute share one string."""
    by_due: dict[datetime, str] = {}
    notes = {}
    for case, due in cases:
        note = by_due.get(due)
        if note is None:
            note = by_due[due] = _note(template, name, due)
        notes[case.pk] = note
    return notes


def _window(due_field: str, stage: str, now: datetime) -> tuple[datetime | None, datetime]:
    """(after, up to) for a deadline stage: past due, or due within the reminder lead."""
    if stage == DeadlineMark.Stage.OVERDUE:
        return None, now
    return now, now + remind_before()


def _pick_and_claim(
    state: str,
    name: str,
    due_field: str,
    stage: str,
    now: datetime,
    batch: int,
    after: Cursor | None,
) -> tuple[list[Due], list[Due]]:
    """Lock the next due cases (those no other worker holds) and claim their
    deadlines: (picked, claimed by this transaction)."""
    since, until = _window(due_field, stage, now)
    window = Q(**{f"{due_field}__lte": until})
    if since is not None:
        window &= Q(**{f"{due_field}__gt": since})
    done = DeadlineMark.objects.filter(
        case=OuterRef("pk"), deadline=name, due=OuterRef(due_field), stage=stage
    )
    qs = (
        Case.objects.filter(window, state=state)
        .exclude(Exists(done))
        .order_by(due_field, "pk")
        .values_list(*SNAPSHOT_FIELDS, due_field)
    )
    if after is not None:
        qs = qs.extra(  # a row comparison, which the ORM cannot spell
            where=[f"({due_field}, {Case._meta.pk.column}) > (%s, %s)"],
            params=[connection.ops.adapt_datetimefield_value(after[0]), after[1]],
        )
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    cases = [(Snapshot(*row[:-1]), row[-1]) for row in qs[:batch]]
    if not cases:
        return [], []
    claimed = _claim(cases, name, stage, now)
    return cases, [(c, due) for c, due in cases if c.pk in claimed]


def _pick_and_claim_in_one(
    state: str,
    name: str,
    due_field: str,
    stage: str,
    now: datetime,
    batch: int,
    after: Cursor | None,
) -> tuple[list[Due], list[Due]]:
    """``_pick_and_claim`` as one PostgreSQL statement: lock (SKIP LOCKED), insert the
    marks (ON CONFLICT DO NOTHING) and return the rows, in one round trip and without
    sending the ids back and forth (the two-step version spent a third of its time
    there).

    The ``OFFSET 0`` keeps the mark check a probe of the marks' unique index per case:
    without it the planner may turn it into a join, and with the marks table's
    statistics taken when it was small (a vacuum after a quiet night) it chose a
    nested loop over a scan of all marks, growing with every batch (a 100,000-case
    sweep took 145 s instead of 8)."""
    since, until = _window(due_field, stage, now)
    columns = ", ".join(
        f"c.{Case._meta.pk.column if f == 'pk' else Case._meta.get_field(f).column}"
        for f in SNAPSHOT_FIELDS
    )
    conditions = [f"c.{due_field} <= %(until)s"]
    if since is not None:
        conditions.append(f"c.{due_field} > %(since)s")
    if after is not None:
        conditions.append(f"(c.{due_field}, c.id) > (%(after_due)s, %(after_id)s)")
    marks = DeadlineMark._meta.db_table
    sql = f"""
        WITH picked AS (
            SELECT {columns}, c.{due_field} AS swept_due
            FROM {Case._meta.db_table} c
            WHERE c.state = %(state)s AND {" AND ".join(conditions)}
              AND NOT EXISTS (
                SELECT 1 FROM {marks} m WHERE m.case_id = c.id AND m.deadline = %(name)s
                  AND m.due = c.{due_field} AND m.stage = %(stage)s
                OFFSET 0)
            ORDER BY c.{due_field}, c.id
            LIMIT %(batch)s
            FOR UPDATE OF c SKIP LOCKED
        ), claimed AS (
            INSERT INTO {marks} (case_id, deadline, due, stage, at)
            SELECT id, %(name)s, swept_due, %(stage)s, %(now)s FROM picked
            ON CONFLICT (case_id, deadline, due, stage) DO NOTHING
            RETURNING case_id
        )
        SELECT picked.*, claimed.case_id IS NOT NULL AS mine
        FROM picked LEFT JOIN claimed ON claimed.case_id = picked.id
        ORDER BY picked.swept_due, picked.id
    """
    params = {
        "state": state,
        "name": name,
        "stage": stage,
        "now": now,
        "until": until,
        "since": since,
        "after_due": after[0] if after else None,
        "after_id": after[1] if after else None,
        "batch": batch,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    cases = [(Snapshot(*row[:-2]), row[-2]) for row in rows]
    return cases, [case for case, row in zip(cases, rows, strict=True) if row[-1]]


# For this transaction only, on PostgreSQL: don't wait for the WAL flush. A server
# crash could then forget the last batches, but whole: marks and events go together,
# so the next sweep redoes them and nothing is doubled. A batch's commit no longer
# costs a disk flush.
TUNING = ("SET LOCAL synchronous_commit TO off",)


def _tune_transaction() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("; ".join(TUNING))


def _claim(cases: list[Due], name: str, stage: str, now: datetime) -> set[int]:
    """Insert the marks; the unique constraint keeps any another worker already wrote.
    Returns the cases whose marks this transaction wrote."""
    table = DeadlineMark._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    rows = [(c.pk, name, adapt(due), stage, adapt(now)) for c, due in cases]
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

"""Every change to a case's state: one function per transition.

Each function takes the case and an explicit ``actor`` (``None`` is the
resident or the system, where the transition allows it), and in one
transaction: locks the row (``SELECT … FOR UPDATE``; SQLite serialises writers
itself), refuses a stale ``expected_version``, checks the state and the actor's
right, changes the case and appends exactly one ``CaseEvent``. Nothing else
writes a case's state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from civicgrid.cases import clock
from civicgrid.cases.deadlines import due, policy_for
from civicgrid.cases.models import (
    CHANNELS,
    FINAL_STATES,
    OPEN_TASK_STATES,
    URGENCIES,
    Case,
    CaseEvent,
    Category,
    Photo,
    ResidentContact,
    State,
    TaskState,
    Tier,
    Urgency,
    WhistleTask,
    higher_tier,
)
from civicgrid.cases.permissions import check, has_right
from civicgrid.cases.photos import MAX_PHOTOS, CheckedPhoto, discard, photo_rows, store_photos
from civicgrid.db import insert_together, new
from civicgrid.dispatch import routing
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.org.models import LEVEL_OF_KIND, Level, Role, Unit, UnitKind, User
from civicgrid.org.scoping import scope_of

P = ParamSpec("P")

# Who may act on a case's own unit (签收、处置、办结、退单).
INTAKE_ROLES = (Role.OPERATOR, Role.DISPATCHER, Role.GRID_WORKER, Role.HANDLER)
TASK_ROLES = (Role.HANDLER, Role.DISPATCHER)


# --- the mechanics every transition shares ---------------------------------------------


def _locked(case: Case, expected_version: int | None) -> Case:
    fresh = Case.objects.select_for_update().filter(pk=case.pk).first()
    if fresh is None:
        raise NotFound(_("The case does not exist."))
    if expected_version is not None and fresh.version != expected_version:
        raise Conflict(
            _("Someone else has changed this case since you opened it. Reload and try again.")
        )
    return fresh


def _record(
    case: Case,
    action: str,
    actor: User | None,
    *,
    from_state: str,
    from_unit: Unit | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    attachments: list[str] | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """Save the case (its fields already changed) and append its one event.

    ``from_unit`` is the owner before, when the transition moved the case."""
    case.version += 1
    case.save()
    return CaseEvent.objects.create(
        case=case,
        seq=case.version,
        action=action,
        actor=actor,
        at=at or clock.now(),
        from_state=from_state,
        to_state=case.state,
        from_unit=from_unit or case.owner_unit,
        to_unit=case.owner_unit,
        note=note,
        data=data or {},
        attachments=attachments or [],
    )


def transition(
    func: Callable[Concatenate[Case, P], Case],
) -> Callable[Concatenate[Case, P], Case]:
    """Run ``func`` in a transaction on the locked row; it returns the changed case."""

    @wraps(func)
    def run(case: Case, *args: P.args, **kwargs: P.kwargs) -> Case:
        expected = kwargs.pop("expected_version", None)
        with transaction.atomic():
            fresh = _locked(case, expected)  # type: ignore[arg-type]
            return func(fresh, *args, **kwargs)

    return run


def _attach(
    case: Case,
    actor: User | None,
    attachments: Sequence[str] | None,
    photos: Sequence[CheckedPhoto] | None,
) -> list[str]:
    """An event's attachments: photos stored now with it, and photos already added to
    this case (by storage name); anything else is refused."""
    names = list(attachments or [])
    if names:
        known = set(Photo.objects.filter(case=case, name__in=names).values_list("name", flat=True))
        if unknown := [n for n in names if n not in known]:
            raise Invalid(_("Not a photo of this case: %(names)s") % {"names": ", ".join(unknown)})
    if photos:
        if len(names) + len(photos) > MAX_PHOTOS:
            raise Invalid(_("At most %(n)s photos.") % {"n": MAX_PHOTOS})
        names += store_photos(case, photos, added_by=actor)
    return names


def _need_text(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise Invalid(message)
    return text


# --- intake --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    channel: str
    title: str
    text: str
    category: Category | None = None
    urgency: str = Urgency.NORMAL
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    hide_identity: bool = False
    photos: tuple[CheckedPhoto, ...] = ()


def submit_case(
    submission: Submission,
    *,
    actor: User | None,
    district: Unit,
    along: Callable[[Case], Sequence[Model]] | None = None,
) -> Case:
    """受理: a new case, located, in the district dispatchers' queue (``submitted``).

    ``along`` gives rows that belong with the new case (intake's idempotency key, the
    queued machine reading), made from the case before it has an id: they are written
    with it, all or none (on PostgreSQL in one statement: ``db.insert_together``)."""
    from civicgrid.geo.locator import locate

    if submission.channel not in CHANNELS:
        raise Invalid(_("Unknown channel: %(c)s") % {"c": submission.channel})
    if submission.urgency not in URGENCIES:
        raise Invalid(_("Unknown urgency: %(u)s") % {"u": submission.urgency})
    if actor is not None and not scope_of(actor).has_role(*INTAKE_ROLES):
        raise Forbidden(_("You may not submit requests for residents."))
    title = _need_text(submission.title, _("A request needs a title."))
    text = _need_text(submission.text, _("A request needs a description."))
    if len(submission.photos) > MAX_PHOTOS:
        raise Invalid(_("At most %(n)s photos.") % {"n": MAX_PHOTOS})
    grid_id = grid_code = None
    if submission.lon is not None and submission.lat is not None:
        where = locate(submission.lon, submission.lat)
        if where.located:
            grid_id, grid_code = where.grid_id, where.grid_code
    case = new(
        Case,
        channel=submission.channel,
        title=title[:120],
        text=text,
        category=submission.category,
        urgency=submission.urgency,
        tier=routing.tier_for(submission.category, submission.urgency),
        lon=submission.lon,
        lat=submission.lat,
        address=submission.address,
        grid_id=grid_id,
        owner_unit=district,
        state=State.SUBMITTED,
        version=1,  # the submit event's seq, written with it
        created_at=clock.now(),
    )
    contact = new(
        ResidentContact,
        case=case,
        name=submission.contact_name,
        phone=submission.contact_phone,
        hide_identity=submission.hide_identity,
    )
    photos = photo_rows(case, submission.photos, added_by=actor)
    event = new(
        CaseEvent,
        case=case,
        seq=1,
        action="submit",
        actor=actor,
        at=case.created_at,
        from_state="",
        to_state=case.state,
        from_unit=district,
        to_unit=district,
        data={"channel": case.channel, "grid": grid_code},
        attachments=[photo.name for photo in photos],
    )
    try:
        insert_together([case, contact, event, *photos, *(along(case) if along else ())])
    except BaseException:
        discard(photo.name for photo in photos)
        raise
    return case


@transition
def triage_case(
    case: Case,
    *,
    actor: User | None,
    category: Category,
    urgency: str,
    tier: str | None = None,
    note: str = "",
) -> Case:
    """分类: set category, urgency and tier (from the rules unless staff choose one)."""
    check(case, "triage", actor)
    if urgency not in URGENCIES:
        raise Invalid(_("Unknown urgency: %(u)s") % {"u": urgency})
    if tier is not None and tier not in Tier.values:
        raise Invalid(_("Unknown tier: %(t)s") % {"t": tier})
    before = {"category": case.category_id, "urgency": case.urgency, "tier": case.tier}
    case.category, case.urgency = category, urgency
    case.tier = tier or routing.tier_for(category, urgency)
    _record(
        case,
        "triage",
        actor,
        from_state=case.state,
        note=note,
        data={"before": before, "category": category.code, "urgency": urgency, "tier": case.tier},
    )
    return case


@transition
def dispatch_case(case: Case, *, actor: User, unit: Unit | None = None, note: str = "") -> Case:
    """派单: give the case to a unit (by default the one its tier and grid call for),
    with its acknowledge and resolve deadlines."""
    check(case, "dispatch", actor)
    if case.category_id is None:
        raise Invalid(_("Triage the case (choose its category) before dispatching it."))
    if unit is None:
        unit = routing.owner_for(
            tier=case.tier,
            grid=case.grid,
            category=case.category,
            district=routing.district_of(case.owner_unit),
        )
    if not scope_of(actor).covers(unit):
        raise Forbidden(_("You may not dispatch to %(u)s, outside your units.") % {"u": unit.name})
    if not unit.active:
        raise Invalid(_("%(u)s is not active.") % {"u": unit.name})
    if unit.kind == UnitKind.DEPARTMENT and not (case.category and case.category.to_department):
        raise Invalid(_("Departments are called in by whistling, not by dispatch."))
    now = clock.now()
    policy = policy_for(case.category, case.urgency)
    from_unit, from_state = case.owner_unit, case.state
    case.dispatcher_unit = case.owner_unit
    case.owner_unit = unit
    case.state = State.DISPATCHED
    case.acknowledge_due = due(now, policy.acknowledge, policy)
    case.resolve_due = due(now, policy.resolve, policy)
    _record(
        case,
        "dispatch",
        actor,
        from_state=from_state,
        from_unit=from_unit,
        note=note,
        at=now,
        data={
            "acknowledge_due": case.acknowledge_due.isoformat(),
            "resolve_due": case.resolve_due.isoformat(),
        },
    )
    return case


@transition
def acknowledge_case(case: Case, *, actor: User, note: str = "") -> Case:
    """签收: the owner unit takes the case on."""
    if case.state == State.HANDLING:
        raise Conflict(_("This case has already been acknowledged."))
    check(case, "acknowledge", actor)
    from_state = case.state
    case.state = State.HANDLING
    case.acknowledged_at = clock.now()
    _record(case, "acknowledge", actor, from_state=from_state, note=note, at=case.acknowledged_at)
    return case


@transition
def return_case(case: Case, *, actor: User, reason: str) -> Case:
    """退单: not ours, with the reason; back to the unit that dispatched it."""
    check(case, "return", actor)
    reason = _need_text(reason, _("Say why the case is returned."))
    if _open_tasks(case):
        raise Conflict(_("Departments are still working on this case; it cannot be returned."))
    back_to = case.dispatcher_unit or routing.escalation_target(case.owner_unit)
    if back_to is None:
        raise Conflict(_("The district cannot return a case: there is no unit above it."))
    from_unit, from_state = case.owner_unit, case.state
    case.owner_unit, case.state = back_to, State.RETURNED
    case.returns += 1
    _record(case, "return", actor, from_state=from_state, from_unit=from_unit, note=reason)
    return case


@transition
def handle_case(
    case: Case,
    *,
    actor: User,
    note: str,
    attachments: list[str] | None = None,
    photos: Sequence[CheckedPhoto] | None = None,
) -> Case:
    """处置: a step of the work, recorded (the case stays in handling)."""
    check(case, "handle", actor)
    note = _need_text(note, _("Say what was done."))
    attachments = _attach(case, actor, attachments, photos)
    _record(case, "handle", actor, from_state=case.state, note=note, attachments=attachments)
    return case


@transition
def resolve_case(
    case: Case,
    *,
    actor: User,
    reply: str,
    attachments: list[str] | None = None,
    photos: Sequence[CheckedPhoto] | None = None,
) -> Case:
    """办结: done, with the reply to the resident (and photos)."""
    check(case, "resolve", actor)
    reply = _need_text(reply, _("A resolved case needs a reply to the resident."))
    if _open_tasks(case):
        raise Conflict(_("Departments are still working on this case; wait until they are done."))
    attachments = _attach(case, actor, attachments, photos)
    from_state = case.state
    case.state, case.reply, case.resolved_at = State.RESOLVED, reply, clock.now()
    _record(
        case,
        "resolve",
        actor,
        from_state=from_state,
        note=reply,
        data={"reply_check": reply_check(case, reply)},
        attachments=attachments,
        at=case.resolved_at,
    )
    return case


def reply_check(case: Case, reply: str) -> dict[str, Any]:
    """Is the reply an answer to this request? Flags (empty, boilerplate, unrelated, …)
    go with the resolve event, for whoever verifies before the follow-up call."""
    from civicgrid.triage.replies import check_reply

    check = check_reply(case.title, case.text, reply)
    return {
        "ok": check.ok,
        "flags": check.flags,
        "relevance": round(check.relevance, 2),
        "completeness": round(check.completeness, 2),
    }


@transition
def verify_case(case: Case, *, actor: User, passed: bool, note: str = "") -> Case:
    """核查: someone checks the fix on the spot. Pass → follow-up; fail → back to handling."""
    check(case, "verify", actor)
    from_state = case.state
    if passed:
        policy = policy_for(case.category, case.urgency)
        case.state = State.FOLLOW_UP
        case.follow_up_due = due(clock.now(), policy.follow_up, policy)
    else:
        _need_text(note, _("Say what is still wrong."))
        case.state = State.HANDLING
        case.reopens += 1
    _record(
        case,
        "verify",
        actor,
        from_state=from_state,
        note=note,
        data={"passed": passed, "reopen": not passed},
    )
    return case


@transition
def follow_up_case(case: Case, *, actor: User, reached: bool, note: str = "") -> Case:
    """回访: a call or visit to the resident, recorded (reached or not)."""
    check(case, "follow_up", actor)
    _record(case, "follow_up", actor, from_state=case.state, note=note, data={"reached": reached})
    return case


@transition
def rate_case(
    case: Case, *, actor: User | None, rating: int, solved: bool, comment: str = ""
) -> Case:
    """评价: the resident's stars and word. Solved → closed; not solved → reopened."""
    check(case, "rate", actor)
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise Invalid(_("A rating is 1 to 5 stars."))
    from_state = case.state
    case.rating, case.solved = rating, solved
    if solved:
        case.state, case.closed_at = State.CLOSED, clock.now()
    else:
        case.state = State.HANDLING
        case.reopens += 1
    _record(
        case,
        "rate",
        actor,
        from_state=from_state,
        note=comment,
        data={"rating": rating, "solved": solved, "reopen": not solved},
    )
    return case


@transition
def close_case(case: Case, *, actor: User, note: str = "") -> Case:
    """结案 without a rating (the resident could not be reached by the follow-up deadline)."""
    check(case, "close", actor)
    from_state = case.state
    case.state, case.closed_at = State.CLOSED, clock.now()
    _record(case, "close", actor, from_state=from_state, note=note)
    return case


@transition
def reopen_case(case: Case, *, actor: User, reason: str) -> Case:
    """返工: back to handling by the same unit, with the reason."""
    check(case, "reopen", actor)
    reason = _need_text(reason, _("Say why the case is reopened."))
    from_state = case.state
    case.state, case.closed_at = State.HANDLING, None
    case.reopens += 1
    _record(case, "reopen", actor, from_state=from_state, note=reason, data={"reopen": True})
    return case


@transition
def escalate_case(case: Case, *, actor: User | None, reason: str, deadline: str = "") -> Case:
    """提级: to the next tier's unit, by hand or (``actor=None``) by the sweeper."""
    check(case, "escalate", actor)
    reason = _need_text(reason, _("Say why the case is escalated."))
    target = routing.escalation_target(case.owner_unit)
    if target is None:
        raise Conflict(_("The case is already at the district: there is no tier above."))
    if _open_tasks(case):
        raise Conflict(_("Departments are still working on this case; it cannot be escalated."))
    from_unit, from_state = case.owner_unit, case.state
    now = clock.now()
    policy = policy_for(case.category, case.urgency)
    case.owner_unit = target
    if case.dispatcher_unit is None or case.dispatcher_unit.is_within(target):
        # A return from the new owner must go above it, not back down.
        case.dispatcher_unit = routing.escalation_target(target)
    case.tier = higher_tier(case.tier, routing.tier_of_unit(target))
    case.state = State.DISPATCHED
    case.acknowledge_due = due(now, policy.acknowledge, policy)
    case.escalations += 1
    _record(
        case,
        "escalate",
        actor,
        from_state=from_state,
        from_unit=from_unit,
        note=reason,
        at=now,
        data={"deadline": deadline, "tier": case.tier},
    )
    return case


@transition
def supervise_case(case: Case, *, actor: User | None, reason: str, deadline: str = "") -> Case:
    """督办: put the case under supervision (a leader, a dispatcher above, or the sweeper)."""
    check(case, "supervise", actor)
    case.supervised = True
    _record(
        case, "supervise", actor, from_state=case.state, note=reason, data={"deadline": deadline}
    )
    return case


@transition
def remind_case(case: Case, *, actor: User | None, note: str = "", deadline: str = "") -> Case:
    """催办: a reminder to the owner unit (from above, or from the sweeper)."""
    check(case, "remind", actor)
    case.reminders += 1
    _record(case, "remind", actor, from_state=case.state, note=note, data={"deadline": deadline})
    return case


@transition
def merge_case(case: Case, *, actor: User, into: Case, note: str = "") -> Case:
    """合并: a duplicate of an open case, followed there from now on."""
    check(case, "merge", actor)
    if into.pk == case.pk:
        raise Invalid(_("A case cannot be merged into itself."))
    target = Case.objects.visible_to(actor).filter(pk=into.pk).first()
    if target is None or target.state in FINAL_STATES:
        raise Invalid(_("Merge only into an open case you can see."))
    from_state = case.state
    case.state, case.merged_into, case.closed_at = State.MERGED, target, clock.now()
    _record(
        case,
        "merge",
        actor,
        from_state=from_state,
        note=note,
        data={"into": target.tracking_code},
    )
    return case


@transition
def fix_on_the_spot(
    case: Case,
    *,
    actor: User,
    reply: str,
    attachments: list[str] | None = None,
    photos: Sequence[CheckedPhoto] | None = None,
) -> Case:
    """随手办: a grid worker found a micro matter on patrol and fixed it there; the case
    is the grid's and resolved at once (then verified and followed up as any other)."""
    check(case, "fix_on_the_spot", actor)
    if case.category is not None and not case.category.grid_may_self_handle:
        raise Invalid(_("A grid may not handle this category itself; report it instead."))
    reply = _need_text(reply, _("Say what was done."))
    attachments = _attach(case, actor, attachments, photos)
    from_state, from_unit = case.state, case.owner_unit
    now = clock.now()
    case.owner_unit, case.tier, case.state = case.grid, Tier.MICRO, State.RESOLVED
    case.reply, case.acknowledged_at, case.resolved_at = reply, now, now
    _record(
        case,
        "fix_on_the_spot",
        actor,
        from_state=from_state,
        from_unit=from_unit,
        note=reply,
        attachments=attachments,
        at=now,
    )
    return case


@transition
def reject_case(case: Case, *, actor: User, reason: str) -> Case:
    """不予受理: not a request the government handles (spam, a test, abuse)."""
    check(case, "reject", actor)
    reason = _need_text(reason, _("Say why the request is rejected."))
    from_state = case.state
    case.state, case.closed_at = State.REJECTED, clock.now()
    _record(case, "reject", actor, from_state=from_state, note=reason)
    return case


# --- what is published ---------------------------------------------------------------------


@transition
def withdraw_from_public(case: Case, *, actor: User, reason: str) -> Case:
    """撤下公开: take the case off every public surface (Open311, public pages), with the
    reason; its handling goes on as before. The event is the audit: who, when, why."""
    check(case, "withdraw", actor)
    reason = _need_text(reason, _("Say why the case is withdrawn from public view."))
    case.withdrawn_from_public_at = clock.now()
    _record(
        case,
        "withdraw",
        actor,
        from_state=case.state,
        note=reason,
        at=case.withdrawn_from_public_at,
    )
    return case


@transition
def republish_case(case: Case, *, actor: User, note: str = "") -> Case:
    """恢复公开: a withdrawn case is published again."""
    check(case, "republish", actor)
    case.withdrawn_from_public_at = None
    _record(case, "republish", actor, from_state=case.state, note=note)
    return case


# --- whistle (吹哨报到) ---------------------------------------------------------------------


def _open_tasks(case: Case) -> bool:
    return case.tasks.filter(state__in=OPEN_TASK_STATES).exists()


@transition
def whistle_case(
    case: Case,
    *,
    actor: User,
    lead: Unit,
    assisting: Iterable[Unit] = (),
    note: str = "",
) -> Case:
    """吹哨: a street or district dispatcher calls in a lead department and helpers."""
    check(case, "whistle", actor)
    owner_level = LEVEL_OF_KIND[case.owner_unit.kind]
    if owner_level not in (Level.STREET, Level.DISTRICT):
        raise Conflict(_("Only a case at a street or the district can be whistled."))
    departments = [lead, *[u for u in assisting if u.pk != lead.pk]]
    if any(d.kind != UnitKind.DEPARTMENT or not d.active for d in departments):
        raise Invalid(_("Only active functional departments can be whistled."))
    busy = set(
        case.tasks.filter(state__in=OPEN_TASK_STATES, department__in=departments).values_list(
            "department__name", flat=True
        )
    )
    if busy:
        raise Conflict(
            _("Already whistled and still working: %(d)s") % {"d": "、".join(sorted(busy))}
        )
    now = clock.now()
    policy = policy_for(case.category, case.urgency)
    check_in_due = due(now, policy.check_in, policy)
    tasks = WhistleTask.objects.bulk_create(
        [
            WhistleTask(case=case, department=d, lead=d.pk == lead.pk, check_in_due=check_in_due)
            for d in departments
        ]
    )
    from_state = case.state
    if case.state == State.DISPATCHED:  # whistling takes the case on
        case.state, case.acknowledged_at = State.HANDLING, now
    _record(
        case,
        "whistle",
        actor,
        from_state=from_state,
        note=note,
        at=now,
        data={
            "lead": lead.code,
            "assisting": [d.code for d in departments[1:]],
            "tasks": [t.pk for t in tasks],
            "check_in_due": check_in_due.isoformat(),
        },
    )
    return case


TASK_MOVES: dict[str, tuple[frozenset[str], str]] = {
    "check_in": (frozenset({TaskState.NOTIFIED}), TaskState.CHECKED_IN),
    "start_task": (frozenset({TaskState.CHECKED_IN}), TaskState.WORKING),
    "finish_task": (frozenset({TaskState.WORKING}), TaskState.DONE),
    "return_task": (frozenset({TaskState.NOTIFIED, TaskState.CHECKED_IN}), TaskState.RETURNED),
}


def _task_transition(action: str, task: WhistleTask, actor: User, note: str) -> WhistleTask:
    allowed, target = TASK_MOVES[action]
    with transaction.atomic():
        case = _locked(task.case, None)
        task = WhistleTask.objects.select_for_update().get(pk=task.pk)
        if task.state not in allowed:
            raise Conflict(
                _("A task that is %(state)s cannot do that.")
                % {"state": TaskState(task.state).label}
            )
        if not has_right(actor, TASK_ROLES, [task.department]):
            raise Forbidden(_("Only the department's own staff may act on its task."))
        if action == "return_task":
            note = _need_text(note, _("Say why the task is returned."))
        from_task_state = task.state
        task.state = target
        now = clock.now()
        if target == TaskState.CHECKED_IN:
            task.checked_in_at = now
        if target in (TaskState.DONE, TaskState.RETURNED):
            task.done_at = now
            task.note = note
        task.save()
        all_done = not case.tasks.filter(state__in=OPEN_TASK_STATES).exists()
        _record(
            case,
            action,
            actor,
            from_state=case.state,
            note=note,
            at=now,
            data={
                "task": task.pk,
                "department": task.department.code,
                "task_from": from_task_state,
                "task_to": target,
                "late": target == TaskState.CHECKED_IN and now > task.check_in_due,
                "all_tasks_done": all_done,
            },
        )
    return task


def check_in_task(task: WhistleTask, *, actor: User, note: str = "") -> WhistleTask:
    """报到: the department answers the whistle."""
    return _task_transition("check_in", task, actor, note)


def start_task(task: WhistleTask, *, actor: User, note: str = "") -> WhistleTask:
    return _task_transition("start_task", task, actor, note)


def finish_task(task: WhistleTask, *, actor: User, note: str) -> WhistleTask:
    """The department's part is done; when every task is, the case is its unit's again."""
    return _task_transition("finish_task", task, actor, note)


def return_task(task: WhistleTask, *, actor: User, reason: str) -> WhistleTask:
    return _task_transition("return_task", task, actor, reason)


# --- the log is the truth --------------------------------------------------------------------


@dataclass(frozen=True)
class Replayed:
    state: str
    owner_unit_id: int | None
    version: int
    returns: int
    reopens: int
    escalations: int
    reminders: int
    supervised: bool
    withdrawn_from_public: bool = False


def replay(events: Iterable[CaseEvent]) -> Replayed:
    """A case's state and counters from its events alone."""
    state, owner, version = "", None, 0
    counts = {"return": 0, "escalate": 0, "remind": 0}
    reopens, supervised, withdrawn = 0, False, False
    for event in events:
        version = event.seq
        state = event.to_state
        if event.to_unit_id is not None:
            owner = event.to_unit_id
        if event.action in counts:
            counts[event.action] += 1
        reopens += bool(event.data.get("reopen"))
        supervised |= event.action == "supervise"
        if event.action in ("withdraw", "republish"):
            withdrawn = event.action == "withdraw"
    return Replayed(
        state,
        owner,
        version,
        counts["return"],
        reopens,
        counts["escalate"],
        counts["remind"],
        supervised,
        withdrawn_from_public=withdrawn,
    )

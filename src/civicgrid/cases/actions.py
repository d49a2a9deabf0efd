"""Every change to a case's state: one function per transition. Nothing else writes a
case's state (the sweeper's batches carry out the same rules: see ``rules``).

Each function takes the case and an explicit ``actor`` (``None`` is the resident or
the system, where the transition allows it) and, in one transaction: locks the row
(``SELECT … FOR UPDATE``; SQLite serialises writers itself), refuses a stale
``expected_version`` (409), refuses an actor without the right (403,
``permissions.check_right``), gathers what the transition's rule needs (deadlines,
the unit above, stored photos) and calls the rule (``rules``: refuses what the
case's state does not allow, 409, or what the input lacks, 400), then writes the
changes and exactly one ``CaseEvent`` (``write``). Side effects wait for the commit:
photo files are staged and moved into place then (``photos.stage``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from civicgrid.cases import clock, routing, rules
from civicgrid.cases.deadlines import Deadlines, working_seconds
from civicgrid.cases.facts import surroundings_of
from civicgrid.cases.models import (
    CHANNELS,
    FINAL_STATES,
    OPEN_TASK_STATES,
    URGENCIES,
    Action,
    Case,
    CaseEvent,
    Category,
    ContactReveal,
    FollowUpPolicy,
    Photo,
    ResidentContact,
    State,
    TaskState,
    Tier,
    Urgency,
    WhistleTask,
)
from civicgrid.cases.permissions import (
    INTAKE_ROLES,
    RULES,
    allowed_actions,
    check_right,
    ensure_possible,
    may,
    may_act_on_task,
    may_know_resident,
)
from civicgrid.cases.photos import MAX_PHOTOS, CheckedPhoto, discard_on_failure, stage
from civicgrid.cases.rules import NOWHERE, Plan, Snapshot, Surroundings, need_text
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.geo.locator import Location, locate
from civicgrid.org.models import Unit, UnitKind, User
from civicgrid.org.scoping import scope_of

P = ParamSpec("P")
# The times whose working seconds from submission a case keeps, and where.
WORKING_SECONDS = {"acknowledged_at": "acknowledge_seconds", "resolved_at": "resolve_seconds"}


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


def write(case: Case, plan: Plan, actor: User | None) -> CaseEvent:
    """Carry out ``plan`` on ``case`` (locked): its columns, its counters, its event;
    with an acknowledge or resolve time, the working seconds to it (what the mean
    working hours add up, ``Case.acknowledge_seconds``)."""
    for name, value in plan.changes:
        setattr(case, name, value)
        if name in WORKING_SECONDS:
            seconds = working_seconds(case.created_at, value) if value is not None else None
            setattr(case, WORKING_SECONDS[name], seconds)
    for name in plan.counts:
        setattr(case, name, getattr(case, name) + 1)
    case.version = plan.seq
    case.save()
    return CaseEvent.objects.create(
        case=case,
        seq=plan.seq,
        action=plan.action,
        actor=actor,
        at=plan.at,
        from_state=plan.from_state,
        to_state=plan.to_state,
        from_unit_id=plan.from_unit_id,
        to_unit_id=plan.to_unit_id,
        note=plan.note,
        data=plan.data,
        attachments=list(plan.attachments),
    )


# A transition's body: given the locked case, its snapshot and surroundings, and the
# transition's own arguments (``actor`` among them), it returns the rule's plan.
Body = Callable[Concatenate[Case, Snapshot, Surroundings, P], Plan]


def transition(action: str) -> Callable[[Body[P]], Callable[Concatenate[Case, P], Case]]:
    """Make ``body`` the transition ``action``: one transaction on the locked row, the
    right checked first, the plan written; returns the changed case. Callers may pass
    ``expected_version``."""

    def decorate(body: Body[P]) -> Callable[Concatenate[Case, P], Case]:
        @wraps(body)
        def run(case: Case, /, *args: P.args, **kwargs: P.kwargs) -> Case:
            expected = kwargs.pop("expected_version", None)
            actor = kwargs["actor"]
            with discard_on_failure(), transaction.atomic():
                fresh = _locked(case, expected)  # type: ignore[arg-type]
                check_right(fresh, action, actor)  # type: ignore[arg-type]
                around = surroundings_of(fresh) if RULES[action].when else NOWHERE
                plan = body(fresh, Snapshot.of(fresh), around, *args, **kwargs)
                write(fresh, plan, actor)  # type: ignore[arg-type]
            return fresh

        return run

    return decorate


def _attach(
    case: Case,
    actor: User | None,
    attachments: Sequence[str] | None,
    checked: Sequence[CheckedPhoto] | None,
) -> tuple[str, ...]:
    """An event's attachments: photos stored now with it, and photos already added to
    this case (by storage name, now marked as named); anything else is refused."""
    names = list(attachments or [])
    if names:
        known = set(Photo.objects.filter(case=case, name__in=names).values_list("name", flat=True))
        if unknown := [n for n in names if n not in known]:
            raise Invalid(_("Not a photo of this case: %(names)s") % {"names": ", ".join(unknown)})
        Photo.objects.filter(case=case, name__in=names, attached=False).update(attached=True)
    if checked:
        if len(names) + len(checked) > MAX_PHOTOS:
            raise Invalid(_("At most %(n)s photos.") % {"n": MAX_PHOTOS})
        rows = stage(case, checked, added_by=actor)
        Photo.objects.bulk_create(rows)
        names += [row.name for row in rows]
    return tuple(names)


def add_photos(case: Case, *, actor: User, photos: Sequence[CheckedPhoto]) -> list[str]:
    """Photos uploaded ahead of the handle or resolve that will name them, by whoever
    may do either now; removed after a day if no event names them (``photos.tidy``).
    Returns their storage names."""
    if not {Action.HANDLE, Action.RESOLVE} & set(allowed_actions(case, actor)):
        raise Forbidden(_("You may not add photos to this case now."))
    if len(photos) > MAX_PHOTOS:
        raise Invalid(_("At most %(n)s photos.") % {"n": MAX_PHOTOS})
    with discard_on_failure(), transaction.atomic():
        rows = stage(case, photos, added_by=actor, attached=False)
        Photo.objects.bulk_create(rows)
    return [row.name for row in rows]


def reveal_contact(case: Case, *, actor: User, reason: str) -> ResidentContact:
    """The resident's whole phone number, to those who call residents back or answer for
    the case (``permissions.may_know_resident``), each reveal logged with its reason
    (``ContactReveal``): not a transition (the case does not change), but a row written."""
    if not may_know_resident(case, actor):
        raise Forbidden(_("Your role does not need the resident's phone number."))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise Invalid(_("Say why you need the number (it is logged)."))
    contact = ResidentContact.objects.filter(case=case).first()
    if contact is None or not contact.phone:
        raise NotFound(_("The resident left no phone number."))
    ContactReveal.objects.create(contact=contact, user=actor, reason=reason[:200])
    return contact


def log_contact_reveals(cases: Iterable[Case], *, actor: User, reason: str) -> int:
    """Log that ``actor`` saw the residents of ``cases`` through a list (found by their
    phone's last digits, or exported with whole numbers): one ``ContactReveal`` per
    contact, as ``reveal_contact`` writes one, with ``reason``. The caller has kept the
    list to those ``permissions.known_residents`` allows. How many were logged."""
    contacts = ResidentContact.objects.filter(case__in=[c.pk for c in cases]).exclude(phone="")
    rows = [ContactReveal(contact=c, user=actor, reason=reason[:200]) for c in contacts]
    ContactReveal.objects.bulk_create(rows)
    return len(rows)


def log_phone_search(cases: Sequence[Case], *, actor: User, digits: str) -> int:
    """Log a page of cases found by their resident's phone's last ``digits``
    (``search``, for the console's list and ``GET /api/cases`` alike): a reveal of each
    resident on it (``log_contact_reveals``). How many were logged."""
    if not cases:
        return 0
    reason = _("Searched by the phone's last digits %(digits)s") % {"digits": digits}
    return log_contact_reveals(cases, actor=actor, reason=reason)


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
    # Where (lon, lat) lies, when the caller has located it already (intake does).
    where: Location | None = None
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

    ``along`` gives rows that belong with the new case (intake's idempotency key),
    written with it in the same transaction: all or none."""
    if submission.channel not in CHANNELS:
        raise Invalid(_("Unknown channel: %(c)s") % {"c": submission.channel})
    if submission.urgency not in URGENCIES:
        raise Invalid(_("Unknown urgency: %(u)s") % {"u": submission.urgency})
    if actor is not None and not scope_of(actor).has_role(*INTAKE_ROLES):
        raise Forbidden(_("You may not submit requests for residents."))
    title = need_text(submission.title, _("A request needs a title."))
    text = need_text(submission.text, _("A request needs a description."))
    if len(submission.photos) > MAX_PHOTOS:
        raise Invalid(_("At most %(n)s photos.") % {"n": MAX_PHOTOS})
    where = submission.where
    if where is None and submission.lon is not None and submission.lat is not None:
        where = locate(submission.lon, submission.lat)
    located = where is not None and where.located
    now = clock.now()
    # No savepoint when a channel's transaction holds this one (``intake._receive``):
    # whatever fails rolls the whole request back, which is what a channel wants, and
    # two round trips are saved (Zulip's actions do the same).
    with discard_on_failure(), transaction.atomic(savepoint=False):
        case = Case.objects.create(
            channel=submission.channel,
            title=title[:120],
            text=text,
            category=submission.category,
            urgency=submission.urgency,
            tier=routing.tier_for(submission.category, submission.urgency),
            lon=submission.lon,
            lat=submission.lat,
            address=submission.address,
            grid_id=where.grid_id if located else None,
            owner_unit=district,
            state=State.SUBMITTED,
            version=1,  # the submit event's seq
            created_at=now,
        )
        ResidentContact.objects.create(
            case=case,
            name=submission.contact_name,
            phone=submission.contact_phone,
            hide_identity=submission.hide_identity,
        )
        rows = stage(case, submission.photos, added_by=actor)
        Photo.objects.bulk_create(rows)
        CaseEvent.objects.create(
            case=case,
            seq=1,
            action=Action.SUBMIT,
            actor=actor,
            at=now,
            from_state="",
            to_state=case.state,
            from_unit=district,
            to_unit=district,
            data={"channel": case.channel, "grid": where.grid_code if located else None},
            attachments=[row.name for row in rows],
        )
        for row in along(case) if along else ():
            row.save(force_insert=True)
    return case


@transition(Action.TRIAGE)
def triage_case(
    case: Case,
    snapshot: Snapshot,
    around: Surroundings,
    *,
    actor: User | None,
    category: Category,
    urgency: str,
    tier: str | None = None,
    note: str = "",
) -> Plan:
    """分类: set category, urgency and tier (from the rules unless staff choose one)."""
    if urgency not in URGENCIES:
        raise Invalid(_("Unknown urgency: %(u)s") % {"u": urgency})
    if tier is not None and tier not in Tier.values:
        raise Invalid(_("Unknown tier: %(t)s") % {"t": tier})
    return rules.triage(
        snapshot,
        around,
        at=clock.now(),
        category_id=category.pk,
        category_code=category.code,
        urgency=urgency,
        tier=tier or routing.tier_for(category, urgency),
        note=note,
    )


@transition(Action.DISPATCH)
def dispatch_case(
    case: Case,
    snapshot: Snapshot,
    around: Surroundings,
    *,
    actor: User,
    unit: Unit | None = None,
    note: str = "",
) -> Plan:
    """派单: give the case to a unit (by default the one its tier and grid call for),
    with its acknowledge and resolve deadlines."""
    ensure_possible(Action.DISPATCH, snapshot, around)  # (triaged: its category routes it)
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
    deadlines = Deadlines(now)
    return rules.dispatch(
        snapshot,
        around,
        at=now,
        unit_id=unit.pk,
        acknowledge_due=deadlines.due(case.category_id, case.urgency, "acknowledge"),
        resolve_due=deadlines.due(case.category_id, case.urgency, "resolve"),
        note=note,
    )


@transition(Action.ACKNOWLEDGE)
def acknowledge_case(
    case: Case, snapshot: Snapshot, around: Surroundings, *, actor: User, note: str = ""
) -> Plan:
    """签收: the owner unit takes the case on."""
    return rules.acknowledge(snapshot, around, at=clock.now(), note=note)


@transition(Action.RETURN)
def return_case(
    case: Case, snapshot: Snapshot, around: Surroundings, *, actor: User, reason: str
) -> Plan:
    """退单: not ours, with the reason; back to the unit that dispatched it."""
    return rules.return_(snapshot, around, at=clock.now(), reason=reason)


@transition(Action.HANDLE)
def handle_case(
    case: Case,
    snapshot: Snapshot,
    around: Surroundings,
    *,
    actor: User,
    note: str,
    attachments: list[str] | None = None,
    photos: Sequence[CheckedPhoto] | None = None,
) -> Plan:
    """处置: a step of the work, recorded (the case stays in handling)."""
    ensure_possible(Action.HANDLE, snapshot, around)
    need_text(note, rules.WHAT_WAS_DONE)
    names = _attach(case, actor, attachments, photos)
    return rules.handle(snapshot, around, at=clock.now(), note=note, attachments=names)


def resolve_case(
    case: Case,
    *,
    actor: User,
    reply: str,
    attachments: list[str] | None = None,
    photos: Sequence[CheckedPhoto] | None = None,
    expected_version: int | None = None,
) -> Case:
    """办结: done, with the reply to the resident (and photos). The reply is checked
    (``reply_check``) before the row is locked: the check reads words with jieba (about
    a second the first time in a process), and the case's title and text it compares
    with never change."""
    # (Not for someone who may not resolve it: they are refused without the wait.)
    check = reply_check(case, reply) if may(case, Action.RESOLVE, actor) else {}
    return _resolve_case(
        case,
        actor=actor,
        reply=reply,
        check=check,
        attachments=attachments,
        photos=photos,
        expected_version=expected_version,
    )


@transition(Action.RESOLVE)
def _resolve_case(
    case: Case,
    snapshot: Snapshot,
    around: Surroundings,
    *,
    actor: User,
    reply: str,
    check: dict[str, Any],
    attachments: list[str] | None = None,
    photos: Sequence[CheckedPhoto] | None = None,
) -> Plan:
    ensure_possible(Action.RESOLVE, snapshot, around)
    need_text(reply, rules.REPLY_NEEDED)
    names = _attach(case, actor, attachments, photos)
    return rules.resolve(
        snapshot, around, at=clock.now(), reply=reply, reply_check=check, attachments=names
    )


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


@transition(Action.VERIFY)
def verify_case(
    case: Case,
    snapshot: Snapshot,
    around: Surroundings,
    *,
    actor: User,
    passed: bool,
    note: str = "",
) -> Plan:
    """核查: someone checks the fix on the spot. Pass → follow-up; fail → back to handling."""
    ensure_possible(Action.VERIFY, snapshot, around)
    now = clock.now()
    follow_up_due = None
    if passed:
        follow_up_due = Deadlines(now).due(case.category_id, case.urgency, "follow_up")
    return rules.verify(
        snapshot, around, at=now, passed=passed, follow_up_due=follow_up_due, note=note
    )


def follow_up_terms() -> rules.FollowUpTerms:
    """The district's follow-up policy (``FollowUpPolicy``), as the rules read it."""
    return rules.FollowUpTerms.of(FollowUpPolicy.current())


@transition(Action.FOLLOW_UP)
def follow_up_case(
    case: Case,
    snapshot: Snapshot,
    around: Surroundings,
    *,
    actor: User,
    reached: bool,
    rating: int | None = None,
    solved: bool | None = None,
    comment: str = "",
    note: str = "",
) -> Plan:
    """回访: one call to the resident, by an operator or dispatcher. Reached, with the
    resident's word (``rating`` 1–5 and ``solved``, and their ``comment``): recorded as
    their rating, and the case closed or reopened by the district's policy. Not reached:
    counted; the last call the policy allows closes the case as unreachable. Reached
    without a word: counted, the case stays in follow-up (the resident may rate on the
    tracking page). ``note``: the operator's own, never shown to the resident."""
    return rules.follow_up(
        snapshot,
        around,
        at=clock.now(),
        terms=follow_up_terms(),
        reached=reached,
        rating=rating,
        solved=solved,
        comment=comment,
        note=note,
    )


@transition(Action.RATE)
def rate_case(
    case: Case,
    snapshot: Snapshot,
    around: Surroundings,
    *,
    actor: User | None,
    rating: int,
    solved: bool,
    comment: str = "",
) -> Plan:
    """评价: the resident's stars and word (``actor`` None: the resident, on the
    tracking page). Closed, or reopened by the district's policy, as a rating taken on a
    follow-up call."""
    return rules.rate(
        snapshot,
        around,
        at=clock.now(),
        terms=follow_up_terms(),
        rating=rating,
        solved=solved,
        comment=comment,
    )


@transition(Action.CLOSE)
def close_case(
    case: Case, snapshot: Snapshot, around: Surroundings, *, actor: User, note: str = ""
) -> Plan:
    """结案 without a rating, by hand (the resident would not answer, say). Not the same as
    unreachable: that is the follow-up calls' outcome (``follow_up_case``)."""
    return rules.close(snapshot, around, at=clock.now(), note=note)


@transition(Action.REOPEN)
def reopen_case(
    case: Case, snapshot: Snapshot, around: Surroundings, *, actor: User, reason: str
) -> Plan:
    """返工: back to handling by the same unit, with the reason."""
    return rules.reopen(snapshot, around, at=clock.now(), reason=reason)


@transition(Action.ESCALATE)
def escalate_case(
    case: Case,
    snapshot: Snapshot,
    around: Surroundings,
    *,
    actor: User | None,
    reason: str,
    deadline: str = "",
) -> Plan:
    """提级: to the next tier's unit, by hand or (``actor=None``) by the sweeper."""
    now = clock.now()
    ensure_possible(Action.ESCALATE, snapshot, around)
    acknowledge_due = Deadlines(now).due(case.category_id, case.urgency, "acknowledge")
    return rules.escalate(
        snapshot,
        around,
        at=now,
        reason=reason,
        acknowledge_due=acknowledge_due,
        deadline=deadline,
    )


@transition(Action.SUPERVISE)
def supervise_case(
    case: Case,
    snapshot: Snapshot,
    around: Surroundings,
    *,
    actor: User | None,
    reason: str,
    deadline: str = "",
) -> Plan:
    """督办: put the case under supervision (a leader, a dispatcher above, or the sweeper)."""
    return rules.supervise(snapshot, around, at=clock.now(), reason=reason, deadline=deadline)


@transition(Action.REMIND)
def remind_case(
    case: Case,
    snapshot: Snapshot,
    around: Surroundings,
    *,
    actor: User | None,
    note: str = "",
    deadline: str = "",
) -> Plan:
    """催办: a reminder to the owner unit (from above, or from the sweeper)."""
    return rules.remind(snapshot, around, at=clock.now(), note=note, deadline=deadline)


@transition(Action.MERGE)
def merge_case(
    case: Case,
    snapshot: Snapshot,
    around: Surroundings,
    *,
    actor: User,
    into: str,
    note: str = "",
) -> Plan:
    """合并: a duplicate of an open case (``into``: its tracking code, among the cases
    ``actor`` may see), followed there from now on."""
    ensure_possible(Action.MERGE, snapshot, around)
    target = Case.objects.visible_case(actor, into)
    if target is None or target.state in FINAL_STATES:
        raise Invalid(_("Merge only into an open case you can see."))
    return rules.merge(
        snapshot,
        around,
        at=clock.now(),
        into_id=target.pk,
        into_code=target.tracking_code,
        note=note,
    )


@transition(Action.FIX_ON_THE_SPOT)
def fix_on_the_spot(
    case: Case,
    snapshot: Snapshot,
    around: Surroundings,
    *,
    actor: User,
    reply: str,
    attachments: list[str] | None = None,
    photos: Sequence[CheckedPhoto] | None = None,
) -> Plan:
    """随手办: a grid worker found a micro matter on patrol and fixed it there; the case
    is the grid's and resolved at once (then verified and followed up as any other)."""
    ensure_possible(Action.FIX_ON_THE_SPOT, snapshot, around)
    need_text(reply, rules.WHAT_WAS_DONE)
    names = _attach(case, actor, attachments, photos)
    return rules.fix_on_the_spot(snapshot, around, at=clock.now(), reply=reply, attachments=names)


@transition(Action.REJECT)
def reject_case(
    case: Case, snapshot: Snapshot, around: Surroundings, *, actor: User, reason: str
) -> Plan:
    """不予受理: not a request the government handles (spam, a test, abuse)."""
    return rules.reject(snapshot, around, at=clock.now(), reason=reason)


# --- what is published ---------------------------------------------------------------------


@transition(Action.WITHDRAW)
def withdraw_from_public(
    case: Case, snapshot: Snapshot, around: Surroundings, *, actor: User, reason: str
) -> Plan:
    """撤下公开: take the case off every public surface (Open311, public pages), with the
    reason; its handling goes on as before. The event is the audit: who, when, why."""
    return rules.withdraw(snapshot, around, at=clock.now(), reason=reason)


@transition(Action.REPUBLISH)
def republish_case(
    case: Case, snapshot: Snapshot, around: Surroundings, *, actor: User, note: str = ""
) -> Plan:
    """恢复公开: a withdrawn case is published again."""
    return rules.republish(snapshot, around, at=clock.now(), note=note)


# --- whistle (吹哨报到) ---------------------------------------------------------------------


@transition(Action.WHISTLE)
def whistle_case(
    case: Case,
    snapshot: Snapshot,
    around: Surroundings,
    *,
    actor: User,
    lead: Unit,
    assisting: Iterable[Unit] = (),
    note: str = "",
) -> Plan:
    """吹哨: a street or district dispatcher calls in a lead department and helpers."""
    ensure_possible(Action.WHISTLE, snapshot, around)
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
    check_in_due = Deadlines(now).due(case.category_id, case.urgency, "check_in")
    tasks = WhistleTask.objects.bulk_create(
        [
            WhistleTask(
                case=case,
                department=d,
                lead=d.pk == lead.pk,
                check_in_due=check_in_due,
                case_created_at=case.created_at,
            )
            for d in departments
        ]
    )
    return rules.whistle(
        snapshot,
        around,
        at=now,
        lead_code=lead.code,
        assisting_codes=[d.code for d in departments[1:]],
        task_ids=[t.pk for t in tasks],
        check_in_due=check_in_due,
        note=note,
    )


TASK_MOVES: dict[str, tuple[frozenset[str], str]] = {
    Action.CHECK_IN: (frozenset({TaskState.NOTIFIED}), TaskState.CHECKED_IN),
    Action.START_TASK: (frozenset({TaskState.CHECKED_IN}), TaskState.WORKING),
    Action.FINISH_TASK: (frozenset({TaskState.WORKING}), TaskState.DONE),
    Action.RETURN_TASK: (frozenset({TaskState.NOTIFIED, TaskState.CHECKED_IN}), TaskState.RETURNED),
}


def _task_transition(action: str, task: WhistleTask, actor: User, note: str) -> WhistleTask:
    allowed, target = TASK_MOVES[action]
    with transaction.atomic():
        case = _locked(task.case, None)
        task = WhistleTask.objects.select_for_update().select_related("department").get(pk=task.pk)
        if not may_act_on_task(actor, task.department):
            raise Forbidden(_("Only the department's own staff may act on its task."))
        if task.state not in allowed:
            raise Conflict(
                _("A task that is %(state)s cannot do that.")
                % {"state": TaskState(task.state).label}
            )
        if action == Action.RETURN_TASK:
            note = need_text(note, _("Say why the task is returned."))
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
        plan = rules.task_moved(
            Snapshot.of(case),
            action=action,
            at=now,
            note=note,
            data={
                "task": task.pk,
                "department": task.department.code,
                "task_from": from_task_state,
                "task_to": target,
                "late": target == TaskState.CHECKED_IN and now > task.check_in_due,
                "all_tasks_done": all_done,
            },
        )
        write(case, plan, actor)
    return task


def check_in_task(task: WhistleTask, *, actor: User, note: str = "") -> WhistleTask:
    """报到: the department answers the whistle."""
    return _task_transition(Action.CHECK_IN, task, actor, note)


def start_task(task: WhistleTask, *, actor: User, note: str = "") -> WhistleTask:
    return _task_transition(Action.START_TASK, task, actor, note)


def finish_task(task: WhistleTask, *, actor: User, note: str) -> WhistleTask:
    """The department's part is done; when every task is, the case is its unit's again."""
    return _task_transition(Action.FINISH_TASK, task, actor, note)


def return_task(task: WhistleTask, *, actor: User, reason: str) -> WhistleTask:
    return _task_transition(Action.RETURN_TASK, task, actor, reason)


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
    follow_up_attempts: int = 0
    unreachable: bool = False


def replay(events: Iterable[CaseEvent]) -> Replayed:
    """A case's state and counters from its events alone."""
    state, owner, version = "", None, 0
    counts = {Action.RETURN: 0, Action.ESCALATE: 0, Action.REMIND: 0}
    reopens, supervised, withdrawn = 0, False, False
    attempts, unreachable = 0, False
    for event in events:
        version = event.seq
        if event.to_state == State.FOLLOW_UP and event.from_state != State.FOLLOW_UP:
            attempts, unreachable = 0, False  # a new follow-up: its calls from none
        state = event.to_state
        if event.to_unit_id is not None:
            owner = event.to_unit_id
        if event.action in counts:
            counts[event.action] += 1  # type: ignore[index]
        reopens += bool(event.data.get("reopen"))
        supervised |= event.action == Action.SUPERVISE
        if event.action in (Action.WITHDRAW, Action.REPUBLISH):
            withdrawn = event.action == Action.WITHDRAW
        # a follow-up call, whatever its outcome (calls recorded before their outcome
        # was, without an attempt number, are follow_up events)
        attempts += event.action == Action.FOLLOW_UP or "attempt" in event.data
        if event.data.get("unreachable"):
            unreachable = True
        elif event.action == Action.REOPEN:
            unreachable = False
    return Replayed(
        state,
        owner,
        version,
        counts[Action.RETURN],
        reopens,
        counts[Action.ESCALATE],
        counts[Action.REMIND],
        supervised,
        withdrawn_from_public=withdrawn,
        follow_up_attempts=attempts,
        unreachable=unreachable,
    )

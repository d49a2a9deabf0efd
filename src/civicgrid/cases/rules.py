"""What each transition does to a case, as pure functions.

A rule takes a ``Snapshot`` of the case (the columns rules read), the ``Surroundings``
it needs (what lies above the owner unit, open whistle tasks: read from the database
by ``cases.facts``, for one case or a batch alike) and the transition's own inputs;
it refuses what the case's state or surroundings do not allow (``Conflict``, 409) or
what the input lacks (``Invalid``, 400), and otherwise returns a ``Plan``: the
columns to change and the one event to append. Nothing here reads or writes the
database, and nothing here knows who acts: the right to act is
``permissions.check_right``, checked before a rule runs.

Two writers carry plans out, and neither decides anything of its own:
``actions`` (one locked case, a model ``save`` and one ``CaseEvent``) and ``bulk``
(the sweeper's batches, many cases per statement). ``tests/cases/test_rules.py``
holds the two equal.

Adding a transition: a planner here (its states in ``permissions.RULES``), an action
in ``actions`` that gathers its inputs and calls it, a name in ``models.Action``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.cases.models import Action, State, Tier, higher_tier
from civicgrid.cases.permissions import ensure_possible
from civicgrid.errors import Invalid
from civicgrid.org.models import Level

if TYPE_CHECKING:
    from civicgrid.cases.models import Case


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The columns of a case that rules read (``pk`` first: the sweeper reads them
    as a row, in this order)."""

    pk: int
    state: str
    owner_unit_id: int
    dispatcher_unit_id: int | None
    grid_id: int | None
    tier: str
    category_id: int | None
    urgency: str
    version: int
    withdrawn_from_public_at: datetime | None = None
    acknowledge_due: datetime | None = None
    resolve_due: datetime | None = None
    follow_up_due: datetime | None = None
    reopens: int = 0
    follow_up_attempts: int = 0

    @classmethod
    def of(cls, case: Case) -> Snapshot:
        return cls(*(getattr(case, name) for name in SNAPSHOT_FIELDS))

    def after(self, plan: Plan) -> Snapshot:
        """This case once ``plan`` is carried out (to plan a second transition)."""
        changed = {name: value for name, value in plan.changes if name in _SNAPSHOT_SET}
        for name in plan.counts:
            if name in _SNAPSHOT_SET:
                changed[name] = changed.get(name, getattr(self, name)) + 1
        return replace(self, version=plan.seq, **changed)


SNAPSHOT_FIELDS = (
    "pk",
    "state",
    "owner_unit_id",
    "dispatcher_unit_id",
    "grid_id",
    "tier",
    "category_id",
    "urgency",
    "version",
    "withdrawn_from_public_at",
    "acknowledge_due",
    "resolve_due",
    "follow_up_due",
    "reopens",
    "follow_up_attempts",
)
_SNAPSHOT_SET = frozenset(SNAPSHOT_FIELDS)
# The deadline each state runs against: every plan keeps ``Case.due_at`` equal to it
# (the queues' "overdue" and "due soon" read that one indexed column).
DUE_FIELD = {
    State.DISPATCHED: "acknowledge_due",
    State.HANDLING: "resolve_due",
    State.FOLLOW_UP: "follow_up_due",
}


@dataclass(frozen=True, slots=True)
class Surroundings:
    """What rules read around a case beyond its row (``cases.facts.surroundings``)."""

    owner_level: Level | None  # None: a department
    above_id: int | None  # where an escalation goes; None at the district
    above_tier: str | None  # the tier the unit above handles
    above_up_id: int | None  # the unit above that one
    dispatcher_within_above: bool  # the case's dispatcher lies within the unit above
    open_tasks: bool  # departments whistled in are still at work
    grid_may_self_handle: bool  # the case's category lets a grid handle it itself


NOWHERE = Surroundings(None, None, None, None, False, False, False)


@dataclass(frozen=True, slots=True)
class FollowUpTerms:
    """The district's follow-up policy as the rules read it (``models.FollowUpPolicy``)."""

    max_attempts: int  # calls; an unanswered one from this many on closes as unreachable
    reopen_not_solved: bool  # "not solved" sends the case back to its unit
    reopen_at_most_stars: int  # a rating this low does too (0: never for the stars)
    max_reopens: int | None  # beyond this many reopens the word closes the case anyway

    @classmethod
    def of(cls, policy: Any) -> FollowUpTerms:
        """From a ``FollowUpPolicy`` row (or its unsaved defaults)."""
        return cls(
            max_attempts=policy.max_attempts,
            reopen_not_solved=policy.reopen_not_solved,
            reopen_at_most_stars=policy.reopen_at_most_stars,
            max_reopens=policy.max_reopens,
        )


@dataclass(frozen=True, slots=True)
class Plan:
    """One transition of one case: the columns it sets, the counters it raises by one,
    and its event (the case's version becomes ``seq``)."""

    action: str
    case_id: int
    seq: int
    at: datetime
    from_state: str
    to_state: str
    from_unit_id: int
    to_unit_id: int
    changes: tuple[tuple[str, Any], ...] = ()
    counts: tuple[str, ...] = ()
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    attachments: tuple[str, ...] = ()


def _plan(
    case: Snapshot,
    action: str,
    at: datetime,
    *,
    changes: dict[str, Any] | None = None,
    counts: tuple[str, ...] = (),
    note: str = "",
    data: dict[str, Any] | None = None,
    attachments: tuple[str, ...] = (),
) -> Plan:
    changes = dict(changes or {})
    to_state = changes.get("state", case.state)
    if to_state != case.state or DUE_FIELD.get(to_state) in changes:
        field_name = DUE_FIELD.get(to_state)
        changes["due_at"] = (
            changes.get(field_name, getattr(case, field_name)) if field_name else None
        )
    return Plan(
        action=action,
        case_id=case.pk,
        seq=case.version + 1,
        at=at,
        from_state=case.state,
        to_state=changes.get("state", case.state),
        from_unit_id=case.owner_unit_id,
        to_unit_id=changes.get("owner_unit_id", case.owner_unit_id),
        changes=tuple(changes.items()),
        counts=counts,
        note=note,
        data=data or {},
        attachments=attachments,
    )


# What a person must say for a transition (made into text only when refused).
WHY_RETURNED = gettext_lazy("Say why the case is returned.")
WHAT_WAS_DONE = gettext_lazy("Say what was done.")
REPLY_NEEDED = gettext_lazy("A resolved case needs a reply to the resident.")
WHAT_IS_WRONG = gettext_lazy("Say what is still wrong.")
WHY_REOPENED = gettext_lazy("Say why the case is reopened.")
WHY_ESCALATED = gettext_lazy("Say why the case is escalated.")
WHY_REJECTED = gettext_lazy("Say why the request is rejected.")
WHY_WITHDRAWN = gettext_lazy("Say why the case is withdrawn from public view.")


def need_text(text: str, message: str | Promise) -> str:
    """``text`` stripped, or a refusal with ``message`` when nothing is left."""
    text = (text or "").strip()
    if not text:
        raise Invalid(str(message))
    return text


# --- the planners, in the order of the closed loop ---------------------------------------


def triage(
    case: Snapshot,
    around: Surroundings,
    *,
    at: datetime,
    category_id: int,
    category_code: str,
    urgency: str,
    tier: str,
    note: str = "",
) -> Plan:
    """分类: category, urgency and tier (the state stays)."""
    ensure_possible(Action.TRIAGE, case, around)
    before = {"category": case.category_id, "urgency": case.urgency, "tier": case.tier}
    return _plan(
        case,
        Action.TRIAGE,
        at,
        changes={"category_id": category_id, "urgency": urgency, "tier": tier},
        note=note,
        data={"before": before, "category": category_code, "urgency": urgency, "tier": tier},
    )


def dispatch(
    case: Snapshot,
    around: Surroundings,
    *,
    at: datetime,
    unit_id: int,
    acknowledge_due: datetime,
    resolve_due: datetime,
    note: str = "",
) -> Plan:
    """派单: to ``unit_id`` (routed by its category: an untriaged case is refused, 400),
    with its acknowledge and resolve deadlines."""
    ensure_possible(Action.DISPATCH, case, around)
    return _plan(
        case,
        Action.DISPATCH,
        at,
        changes={
            "dispatcher_unit_id": case.owner_unit_id,
            "owner_unit_id": unit_id,
            "state": State.DISPATCHED,
            "acknowledge_due": acknowledge_due,
            "resolve_due": resolve_due,
        },
        note=note,
        data={
            "acknowledge_due": acknowledge_due.isoformat(),
            "resolve_due": resolve_due.isoformat(),
        },
    )


def acknowledge(case: Snapshot, around: Surroundings, *, at: datetime, note: str = "") -> Plan:
    """签收: the owner unit takes the case on."""
    ensure_possible(Action.ACKNOWLEDGE, case, around)
    changes = {"state": State.HANDLING, "acknowledged_at": at}
    return _plan(case, Action.ACKNOWLEDGE, at, changes=changes, note=note)


def return_(case: Snapshot, around: Surroundings, *, at: datetime, reason: str) -> Plan:
    """退单: not ours, with the reason; back to the unit that dispatched it."""
    ensure_possible(Action.RETURN, case, around)
    reason = need_text(reason, WHY_RETURNED)
    back_to = case.dispatcher_unit_id or around.above_id
    assert back_to is not None  # ensure_possible refuses a return with nowhere to go
    return _plan(
        case,
        Action.RETURN,
        at,
        changes={"owner_unit_id": back_to, "state": State.RETURNED},
        counts=("returns",),
        note=reason,
    )


def handle(
    case: Snapshot, around: Surroundings, *, at: datetime, note: str, attachments: tuple[str, ...]
) -> Plan:
    """处置: a step of the work, recorded (the case stays in handling)."""
    ensure_possible(Action.HANDLE, case, around)
    note = need_text(note, WHAT_WAS_DONE)
    return _plan(case, Action.HANDLE, at, note=note, attachments=attachments)


def resolve(
    case: Snapshot,
    around: Surroundings,
    *,
    at: datetime,
    reply: str,
    reply_check: dict[str, Any],
    attachments: tuple[str, ...],
) -> Plan:
    """办结: done, with the reply to the resident (and photos, and the reply's check)."""
    ensure_possible(Action.RESOLVE, case, around)
    reply = need_text(reply, REPLY_NEEDED)
    return _plan(
        case,
        Action.RESOLVE,
        at,
        changes={"state": State.RESOLVED, "reply": reply, "resolved_at": at},
        note=reply,
        data={"reply_check": reply_check},
        attachments=attachments,
    )


def fix_on_the_spot(
    case: Snapshot, around: Surroundings, *, at: datetime, reply: str, attachments: tuple[str, ...]
) -> Plan:
    """随手办: the grid's own, resolved at once."""
    ensure_possible(Action.FIX_ON_THE_SPOT, case, around)
    reply = need_text(reply, WHAT_WAS_DONE)
    return _plan(
        case,
        Action.FIX_ON_THE_SPOT,
        at,
        changes={
            "owner_unit_id": case.grid_id,
            "tier": Tier.MICRO,
            "state": State.RESOLVED,
            "reply": reply,
            "acknowledged_at": at,
            "resolved_at": at,
        },
        note=reply,
        attachments=attachments,
    )


def verify(
    case: Snapshot,
    around: Surroundings,
    *,
    at: datetime,
    passed: bool,
    follow_up_due: datetime | None,
    note: str = "",
) -> Plan:
    """核查: pass → follow-up (by ``follow_up_due``); fail → back to handling."""
    ensure_possible(Action.VERIFY, case, around)
    if passed:
        # A new follow-up: its calls counted from none.
        changes: dict[str, Any] = {
            "state": State.FOLLOW_UP,
            "follow_up_due": follow_up_due,
            "follow_up_attempts": 0,
            "unreachable": False,
        }
        counts: tuple[str, ...] = ()
    else:
        need_text(note, WHAT_IS_WRONG)
        changes, counts = {"state": State.HANDLING}, ("reopens",)
    return _plan(
        case,
        Action.VERIFY,
        at,
        changes=changes,
        counts=counts,
        note=note,
        data={"passed": passed, "reopen": not passed},
    )


WORD_NEEDS_BOTH = gettext_lazy(
    "Record the stars and whether it is solved together (or neither, if the resident "
    "gave no answer)."
)
NO_WORD_UNREACHED = gettext_lazy("A resident who was not reached cannot give a rating.")


def _word(
    case: Snapshot, terms: FollowUpTerms, *, at: datetime, rating: int, solved: bool
) -> tuple[dict[str, Any], tuple[str, ...], dict[str, Any]]:
    """评价: the resident's word and what the district's policy makes of it: the case is
    closed, or reopened (back to handling by its unit) when the resident says it is not
    solved or rates it at or below the policy's stars, unless it has been reopened as
    often as the policy allows. One rule for every way a rating comes in (the tracking
    page, a follow-up call, an operator typing it in). Returns the changes, the counters
    raised and the event's data."""
    if type(rating) is not int or not 1 <= rating <= 5:
        raise Invalid(_("A rating is 1 to 5 stars."))
    if type(solved) is not bool:
        raise Invalid(str(WORD_NEEDS_BOTH))
    dissatisfied = rating <= terms.reopen_at_most_stars
    why = ""
    if not solved and terms.reopen_not_solved:
        why = "not_solved"
    elif dissatisfied:
        why = "dissatisfied"
    limited = bool(why) and terms.max_reopens is not None and case.reopens >= terms.max_reopens
    reopen = bool(why) and not limited
    changes: dict[str, Any] = {"rating": rating, "solved": solved}
    if reopen:
        changes["state"] = State.HANDLING
    else:
        changes |= {"state": State.CLOSED, "closed_at": at}
    data: dict[str, Any] = {"rating": rating, "solved": solved, "reopen": reopen}
    if why:  # what reopened it, or would have but for the limit
        data["why"] = why
    if limited:
        data["reopen_limit"] = terms.max_reopens
    return changes, ("reopens",) if reopen else (), data


def follow_up(
    case: Snapshot,
    around: Surroundings,
    *,
    at: datetime,
    terms: FollowUpTerms,
    reached: bool,
    rating: int | None = None,
    solved: bool | None = None,
    comment: str = "",
    note: str = "",
) -> Plan:
    """回访: one call to the resident (every call counts in ``follow_up_attempts``; its
    number and outcome go in the event's data). Its event is named for what the call
    did to the case:

    * reached, with the resident's word (stars and solved): ``rate``, by the one rating
      rule (``_word``): closed or reopened by the district's policy; the comment is the
      resident's, the operator's note goes in the data;
    * not reached, and calls made reach the policy's ``max_attempts``: ``close``, the
      case closed as unreachable (``Case.unreachable``);
    * otherwise (not reached yet, or reached without a word): ``follow_up``, the case
      stays in follow-up.
    """
    ensure_possible(Action.FOLLOW_UP, case, around)
    attempt = case.follow_up_attempts + 1
    call: dict[str, Any] = {"attempt": attempt, "reached": reached}
    counts: tuple[str, ...] = ("follow_up_attempts",)
    has_word = rating is not None or solved is not None
    if has_word and not reached:
        raise Invalid(str(NO_WORD_UNREACHED))
    if has_word:
        if rating is None or solved is None:
            raise Invalid(str(WORD_NEEDS_BOTH))
        ensure_possible(Action.RATE, case, around)
        changes, raised, data = _word(case, terms, at=at, rating=rating, solved=solved)
        if note.strip():
            call["call_note"] = note.strip()
        return _plan(
            case,
            Action.RATE,
            at,
            changes=changes,
            counts=counts + raised,
            note=comment.strip(),
            data=call | data,
        )
    if not reached and attempt >= terms.max_attempts:
        ensure_possible(Action.CLOSE, case, around)
        return _plan(
            case,
            Action.CLOSE,
            at,
            changes={"state": State.CLOSED, "closed_at": at, "unreachable": True},
            counts=counts,
            note=note.strip(),
            data=call | {"unreachable": True},
        )
    return _plan(case, Action.FOLLOW_UP, at, counts=counts, note=note.strip(), data=call)


def rate(
    case: Snapshot,
    around: Surroundings,
    *,
    at: datetime,
    terms: FollowUpTerms,
    rating: int,
    solved: bool,
    comment: str = "",
) -> Plan:
    """评价: the resident's stars and word (on the tracking page, or typed in by an
    operator): closed, or reopened by the district's policy (``_word``)."""
    ensure_possible(Action.RATE, case, around)
    changes, counts, data = _word(case, terms, at=at, rating=rating, solved=solved)
    return _plan(case, Action.RATE, at, changes=changes, counts=counts, note=comment, data=data)


def close(case: Snapshot, around: Surroundings, *, at: datetime, note: str = "") -> Plan:
    """结案 without a rating."""
    ensure_possible(Action.CLOSE, case, around)
    changes = {"state": State.CLOSED, "closed_at": at}
    return _plan(case, Action.CLOSE, at, changes=changes, note=note)


def reopen(case: Snapshot, around: Surroundings, *, at: datetime, reason: str) -> Plan:
    """返工: back to handling by the same unit, with the reason."""
    ensure_possible(Action.REOPEN, case, around)
    reason = need_text(reason, WHY_REOPENED)
    return _plan(
        case,
        Action.REOPEN,
        at,
        changes={"state": State.HANDLING, "closed_at": None, "unreachable": False},
        counts=("reopens",),
        note=reason,
        data={"reopen": True},
    )


def escalate(
    case: Snapshot,
    around: Surroundings,
    *,
    at: datetime,
    reason: str,
    acknowledge_due: datetime,
    deadline: str = "",
) -> Plan:
    """提级: to the unit above, at least at its tier, to be acknowledged anew. A return
    from the new owner must go above it, not back down: the dispatcher moves up too
    when it lies within the new owner."""
    ensure_possible(Action.ESCALATE, case, around)
    reason = need_text(reason, WHY_ESCALATED)
    assert around.above_id is not None and around.above_tier is not None  # ensure_possible
    dispatcher = case.dispatcher_unit_id
    if dispatcher is None or around.dispatcher_within_above:
        dispatcher = around.above_up_id
    tier = higher_tier(case.tier, around.above_tier)
    return _plan(
        case,
        Action.ESCALATE,
        at,
        changes={
            "owner_unit_id": around.above_id,
            "dispatcher_unit_id": dispatcher,
            "tier": tier,
            "state": State.DISPATCHED,
            "acknowledge_due": acknowledge_due,
        },
        counts=("escalations",),
        note=reason,
        data={"deadline": deadline, "tier": tier},
    )


def supervise(
    case: Snapshot, around: Surroundings, *, at: datetime, reason: str, deadline: str = ""
) -> Plan:
    """督办: the case is put under supervision."""
    ensure_possible(Action.SUPERVISE, case, around)
    return _plan(
        case,
        Action.SUPERVISE,
        at,
        changes={"supervised": True},
        note=reason,
        data={"deadline": deadline},
    )


def remind(
    case: Snapshot, around: Surroundings, *, at: datetime, note: str = "", deadline: str = ""
) -> Plan:
    """催办: a reminder to the owner unit."""
    ensure_possible(Action.REMIND, case, around)
    return _plan(
        case, Action.REMIND, at, counts=("reminders",), note=note, data={"deadline": deadline}
    )


def merge(
    case: Snapshot, around: Surroundings, *, at: datetime, into_id: int, into_code: str, note: str
) -> Plan:
    """合并: a duplicate of the open case ``into_id``, followed there from now on."""
    ensure_possible(Action.MERGE, case, around)
    if into_id == case.pk:
        raise Invalid(_("A case cannot be merged into itself."))
    return _plan(
        case,
        Action.MERGE,
        at,
        changes={"state": State.MERGED, "merged_into_id": into_id, "closed_at": at},
        note=note,
        data={"into": into_code},
    )


def reject(case: Snapshot, around: Surroundings, *, at: datetime, reason: str) -> Plan:
    """不予受理: not a request the government handles."""
    ensure_possible(Action.REJECT, case, around)
    reason = need_text(reason, WHY_REJECTED)
    changes = {"state": State.REJECTED, "closed_at": at}
    return _plan(case, Action.REJECT, at, changes=changes, note=reason)


def withdraw(case: Snapshot, around: Surroundings, *, at: datetime, reason: str) -> Plan:
    """撤下公开: off every public surface, with the reason; the handling goes on."""
    ensure_possible(Action.WITHDRAW, case, around)
    reason = need_text(reason, WHY_WITHDRAWN)
    changes = {"withdrawn_from_public_at": at}
    return _plan(case, Action.WITHDRAW, at, changes=changes, note=reason)


def republish(case: Snapshot, around: Surroundings, *, at: datetime, note: str = "") -> Plan:
    """恢复公开: a withdrawn case is published again."""
    ensure_possible(Action.REPUBLISH, case, around)
    changes = {"withdrawn_from_public_at": None}
    return _plan(case, Action.REPUBLISH, at, changes=changes, note=note)


def whistle(
    case: Snapshot,
    around: Surroundings,
    *,
    at: datetime,
    lead_code: str,
    assisting_codes: list[str],
    task_ids: list[int],
    check_in_due: datetime,
    note: str = "",
) -> Plan:
    """吹哨: departments called in (their tasks written by the action); whistling a
    dispatched case takes it on."""
    ensure_possible(Action.WHISTLE, case, around)
    changes: dict[str, Any] = {}
    if case.state == State.DISPATCHED:
        changes = {"state": State.HANDLING, "acknowledged_at": at}
    return _plan(
        case,
        Action.WHISTLE,
        at,
        changes=changes,
        note=note,
        data={
            "lead": lead_code,
            "assisting": assisting_codes,
            "tasks": task_ids,
            "check_in_due": check_in_due.isoformat(),
        },
    )


def task_moved(case: Snapshot, *, action: str, at: datetime, note: str, data: dict) -> Plan:
    """A whistle task's step, recorded on its case (the case's state stays)."""
    return _plan(case, action, at, note=note, data=data)

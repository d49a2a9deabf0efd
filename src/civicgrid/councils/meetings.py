"""A council's meetings and their follow-up items: one function per change, each through
``councils.actions.record`` (the council locked, the right checked against
``permissions.RULES``, one ``CouncilEvent``), the only writers of these rows.

A meeting is planned (and changed while it is only planned), held (its roll call
taken, members confirming their own attendance on the phone page, its decisions
recorded) and closed by its minutes. Its follow-up items each have an owner (a member
or a working group) and a due date; an item is marked done or dropped, or turned into a
case of the normal loop with one click (``item_to_case``), after which the item shows
the case's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid import inputs
from civicgrid.cases import clock
from civicgrid.cases.models import Case
from civicgrid.cases.rules import need_text
from civicgrid.councils.actions import Done, record
from civicgrid.councils.models import Council, CouncilAction, CouncilMember, WorkingGroup
from civicgrid.councils.permissions import Standing
from civicgrid.councils.work_models import (
    ActionItem,
    Attendance,
    Decision,
    HowRecorded,
    ItemState,
    Meeting,
    MeetingKind,
    MeetingState,
    Presence,
)
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.org.models import User

MAX_TITLE = 120
MAX_PLACE = 120


def _active(council: Council) -> None:
    if not council.active:
        raise Conflict(_("This council has been dissolved."))


def _meeting(locked: Council, meeting: Meeting) -> Meeting:
    """The meeting as it stands now (the council's lock holds every writer of it)."""
    fresh = Meeting.objects.filter(pk=meeting.pk, council=locked).first()
    if fresh is None:
        raise NotFound(_("No such meeting in this council."))
    return fresh


def _need_state(meeting: Meeting, *states: str) -> None:
    if meeting.state in states:
        return
    if meeting.state == MeetingState.CANCELLED:
        raise Conflict(_("This meeting was cancelled."))
    if meeting.state == MeetingState.CLOSED:
        raise Conflict(_("This meeting's minutes are recorded; it is closed."))
    if meeting.state == MeetingState.PLANNED:
        raise Conflict(_("This meeting has not been held yet."))
    raise Conflict(_("This meeting has already been held."))


# --- meetings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What a meeting is to be: its title, kind, start, place and agenda, as checked."""

    title: str
    kind: str
    starts_at: datetime
    place: str
    agenda: str

    @classmethod
    def checked(
        cls, *, title: str, starts_at: datetime, kind: str, place: str, agenda: str
    ) -> Plan:
        title = inputs.text(
            need_text(title, _("A meeting needs a title.")), "title", max_length=MAX_TITLE
        )
        if kind not in MeetingKind.values:
            raise Invalid(_("Choose the kind of meeting."), field="kind")
        starts_at = inputs.moment(starts_at, "starts_at")
        if timezone.is_naive(starts_at):  # a form's local time: the district's
            starts_at = timezone.make_aware(starts_at)
        # (to the minute, as the form shows it: saving the form unchanged changes nothing)
        starts_at = starts_at.replace(second=0, microsecond=0)
        place = inputs.text((place or "").strip(), "place", max_length=MAX_PLACE)
        agenda = inputs.text((agenda or "").strip(), "agenda")
        return cls(title, kind, starts_at, place, agenda)


PLANNED_FIELDS = tuple(f.name for f in fields(Plan))


def plan_meeting(
    council: Council,
    *,
    actor: User | None,
    title: str,
    starts_at: datetime,
    kind: str = MeetingKind.COUNCIL,
    place: str = "",
    agenda: str = "",
) -> Meeting:
    """召集会议: the chair or secretary (or staff) plan a meeting and its agenda."""
    plan = Plan.checked(title=title, starts_at=starts_at, kind=kind, place=place, agenda=agenda)

    def change(locked: Council, _s: Standing) -> Done[Meeting]:
        _active(locked)
        meeting = Meeting.objects.create(council=locked, **asdict(plan), created_at=clock.now())
        return Done(
            meeting,
            note=plan.title,
            data={
                "meeting": meeting.pk,
                "kind": plan.kind,
                "starts_at": plan.starts_at.isoformat(),
            },
        )

    return record(council, CouncilAction.PLAN_MEETING, actor, change)


def change_meeting(
    meeting: Meeting,
    *,
    actor: User | None,
    title: str,
    starts_at: datetime,
    kind: str = MeetingKind.COUNCIL,
    place: str = "",
    agenda: str = "",
) -> Meeting:
    """修改会议 / 改期: a planned meeting's title, kind, time, place or agenda, before it
    is held; the log keeps what each changed field read before."""
    plan = Plan.checked(title=title, starts_at=starts_at, kind=kind, place=place, agenda=agenda)

    def change(locked: Council, _s: Standing) -> Done[Meeting]:
        _active(locked)
        fresh = _meeting(locked, meeting)
        _need_state(fresh, MeetingState.PLANNED)
        before = {name: getattr(fresh, name) for name in PLANNED_FIELDS}
        changed = [name for name, value in asdict(plan).items() if before[name] != value]
        if not changed:
            raise Conflict(_("Nothing to change: the meeting already reads so."))
        for name in changed:
            setattr(fresh, name, getattr(plan, name))
        fresh.save(update_fields=changed)
        was = {n: v.isoformat() if isinstance(v, datetime) else v for n, v in before.items()}
        return Done(
            fresh,
            note=plan.title,
            data={"meeting": fresh.pk, "before": {n: was[n] for n in changed}},
        )

    return record(meeting.council, CouncilAction.CHANGE_MEETING, actor, change)


def hold_meeting(meeting: Meeting, *, actor: User | None) -> Meeting:
    """开会: the meeting took place (its roll call and decisions follow)."""

    def change(locked: Council, _s: Standing) -> Done[Meeting]:
        fresh = _meeting(locked, meeting)
        _need_state(fresh, MeetingState.PLANNED)
        fresh.state = MeetingState.HELD
        fresh.save(update_fields=["state"])
        return Done(fresh, data={"meeting": fresh.pk})

    return record(meeting.council, CouncilAction.HOLD_MEETING, actor, change)


def cancel_meeting(meeting: Meeting, *, actor: User | None, reason: str) -> Meeting:
    """取消会议: a planned meeting will not take place (the reason is logged)."""
    reason = inputs.text(need_text(reason, _("Say why the meeting is cancelled.")), "reason")

    def change(locked: Council, _s: Standing) -> Done[Meeting]:
        fresh = _meeting(locked, meeting)
        _need_state(fresh, MeetingState.PLANNED)
        fresh.state = MeetingState.CANCELLED
        fresh.save(update_fields=["state"])
        return Done(fresh, note=reason, data={"meeting": fresh.pk})

    return record(meeting.council, CouncilAction.CANCEL_MEETING, actor, change)


def record_minutes(meeting: Meeting, *, actor: User | None, minutes: str) -> Meeting:
    """记录会议纪要: the minutes of a meeting held; the meeting is closed by them."""
    minutes = inputs.text(need_text(minutes, _("The minutes are empty.")), "minutes")

    def change(locked: Council, _s: Standing) -> Done[Meeting]:
        fresh = _meeting(locked, meeting)
        _need_state(fresh, MeetingState.HELD)
        fresh.minutes = minutes
        fresh.state = MeetingState.CLOSED
        fresh.save(update_fields=["minutes", "state"])
        return Done(fresh, data={"meeting": fresh.pk})

    return record(meeting.council, CouncilAction.RECORD_MINUTES, actor, change)


def record_decision(meeting: Meeting, *, actor: User | None, text: str) -> Decision:
    """形成决议: a decision of a meeting being held, numbered in order."""
    text = inputs.text(need_text(text, _("A decision needs its text.")), "text")

    def change(locked: Council, _s: Standing) -> Done[Decision]:
        fresh = _meeting(locked, meeting)
        _need_state(fresh, MeetingState.HELD)
        number = fresh.decisions.count() + 1
        decision = Decision.objects.create(
            meeting=fresh, number=number, text=text, created_at=clock.now()
        )
        return Done(decision, note=text, data={"meeting": fresh.pk, "decision": number})

    return record(meeting.council, CouncilAction.RECORD_DECISION, actor, change)


# --- attendance ----------------------------------------------------------------------------


def _mark(meeting: Meeting, member: CouncilMember, presence: str, how: str) -> Attendance:
    row, _created = Attendance.objects.update_or_create(
        meeting=meeting,
        member=member,
        defaults={"presence": presence, "how": how, "at": clock.now()},
    )
    return row


def take_roll(
    meeting: Meeting, *, actor: User | None, presence: Mapping[int, str]
) -> list[Attendance]:
    """点名: the secretary records who is present, absent or excused (by member id);
    a member's own confirmation on the phone is overwritten only where named here."""
    if not presence:
        raise Invalid(_("Mark at least one member's attendance."))
    for value in presence.values():
        if value not in Presence.values:
            raise Invalid(_("Attendance is present, absent or excused."), field="presence")

    def change(locked: Council, _s: Standing) -> Done[list[Attendance]]:
        fresh = _meeting(locked, meeting)
        _need_state(fresh, MeetingState.PLANNED, MeetingState.HELD)
        members = {m.pk: m for m in locked.members.filter(pk__in=list(presence), left_on=None)}
        if len(members) != len(presence):
            raise Invalid(_("Attendance is taken of active members of this council only."))
        rows = [
            _mark(fresh, members[pk], value, HowRecorded.ROLL_CALL)
            for pk, value in sorted(presence.items())
        ]
        by_presence = {
            p: sorted(pk for pk, v in presence.items() if v == p) for p in Presence.values
        }
        return Done(rows, data={"meeting": fresh.pk, **by_presence})

    return record(meeting.council, CouncilAction.TAKE_ROLL, actor, change)


def confirm_attendance(
    meeting: Meeting, member: CouncilMember, *, actor: User, presence: str = Presence.PRESENT
) -> Attendance:
    """到会确认 / 请假: a member confirms on the phone page that they are at the meeting,
    or sends their excuse before it; only for their own seat."""
    if presence not in (Presence.PRESENT, Presence.EXCUSED):
        raise Invalid(_("Confirm that you are present, or that you are excused."))

    def change(locked: Council, _s: Standing) -> Done[Attendance]:
        fresh = _meeting(locked, meeting)
        _need_state(fresh, MeetingState.PLANNED, MeetingState.HELD)
        seat = CouncilMember.objects.get(pk=member.pk)
        if seat.left_on is not None:
            raise Conflict(_("This member has left the council."))
        row = _mark(fresh, seat, presence, HowRecorded.PHONE)
        return Done(row, seat, data={"meeting": fresh.pk, "presence": presence})

    return record(meeting.council, CouncilAction.CONFIRM_ATTENDANCE, actor, change, about=member)


# --- follow-up items ----------------------------------------------------------------------


def _owner(
    council: Council, member_id: int | None, group_id: int | None
) -> tuple[CouncilMember | None, WorkingGroup | None]:
    if (member_id is None) == (group_id is None):
        raise Invalid(_("An item has one owner: a member or a working group."), field="owner")
    if member_id is not None:
        member = council.members.filter(pk=member_id, left_on=None).first()
        if member is None:
            raise Invalid(_("The owner must be an active member of this council."), field="owner")
        return member, None
    group = council.groups.filter(pk=group_id).first()
    if group is None:
        raise Invalid(_("The owner must be a working group of this council."), field="owner")
    return None, group


def add_item(
    meeting: Meeting,
    *,
    actor: User | None,
    text: str,
    due_on: date,
    owner_member_id: int | None = None,
    owner_group_id: int | None = None,
) -> ActionItem:
    """会议待办: a follow-up item of a meeting held, with its owner and due date."""
    text = inputs.text(need_text(text, _("An item needs its text.")), "text")
    if not isinstance(due_on, date) or isinstance(due_on, datetime):
        raise Invalid(_("Give the item's due date."), field="due_on")

    def change(locked: Council, _s: Standing) -> Done[ActionItem]:
        fresh = _meeting(locked, meeting)
        _need_state(fresh, MeetingState.HELD, MeetingState.CLOSED)
        member, group = _owner(locked, owner_member_id, owner_group_id)
        item = ActionItem.objects.create(
            council=locked,
            meeting=fresh,
            text=text,
            owner_member=member,
            owner_group=group,
            due_on=due_on,
            created_at=clock.now(),
        )
        return Done(
            item,
            member,
            text,
            {
                "meeting": fresh.pk,
                "item": item.pk,
                "due_on": due_on.isoformat(),
                "group": group.pk if group else None,
            },
        )

    return record(meeting.council, CouncilAction.ADD_ITEM, actor, change)


def _item(locked: Council, item: ActionItem) -> ActionItem:
    fresh = (
        ActionItem.objects.select_related("meeting", "owner_member", "owner_group")
        .filter(pk=item.pk, council=locked)
        .first()
    )
    if fresh is None:
        raise NotFound(_("No such item in this council."))
    return fresh


def _need_open(item: ActionItem) -> None:
    if item.state == ItemState.OPEN:
        return
    if item.state == ItemState.IN_CASE:
        raise Conflict(_("This item is a case now; it is done when the case is closed."))
    raise Conflict(_("This item is no longer open."))


def finish_item(item: ActionItem, *, actor: User | None, outcome: str = "") -> ActionItem:
    """办结待办: the owner (or an officer, or staff) marks an item done."""
    outcome = inputs.text((outcome or "").strip(), "outcome")

    def change(locked: Council, _s: Standing) -> Done[ActionItem]:
        fresh = _item(locked, item)
        _need_open(fresh)
        fresh.state = ItemState.DONE
        fresh.outcome = outcome
        fresh.finished_at = clock.now()
        fresh.save(update_fields=["state", "outcome", "finished_at"])
        return Done(fresh, fresh.owner_member, outcome, {"item": fresh.pk})

    return record(item.council, CouncilAction.FINISH_ITEM, actor, change, about=item.owner_member)


def drop_item(item: ActionItem, *, actor: User | None, reason: str) -> ActionItem:
    """撤销待办: the council drops an item, saying why."""
    reason = inputs.text(need_text(reason, _("Say why the item is dropped.")), "reason")

    def change(locked: Council, _s: Standing) -> Done[ActionItem]:
        fresh = _item(locked, item)
        _need_open(fresh)
        fresh.state = ItemState.DROPPED
        fresh.outcome = reason
        fresh.finished_at = clock.now()
        fresh.save(update_fields=["state", "outcome", "finished_at"])
        return Done(fresh, fresh.owner_member, reason, {"item": fresh.pk})

    return record(item.council, CouncilAction.DROP_ITEM, actor, change)


def item_to_case(item: ActionItem, *, actor: User | None) -> Case:
    """转为工单: one click makes the item a case of the normal loop (channel 理事会),
    in the district dispatchers' queue; the item keeps the case and shows its state,
    and is done when the case is closed."""
    from civicgrid.councils.intake import council_request, submit

    def change(locked: Council, standing: Standing) -> Done[Case]:
        fresh = _item(locked, item)
        _need_open(fresh)
        text = _(
            "Follow-up item of %(council)s's meeting “%(meeting)s” on %(day)s: %(item)s "
            "(owner: %(owner)s; due %(due)s)"
        ) % {
            "council": locked.name,
            "meeting": fresh.meeting.title,
            "day": f"{fresh.meeting.starts_at:%Y-%m-%d}",
            "item": fresh.text,
            "owner": fresh.owner_name,
            "due": fresh.due_on.isoformat(),
        }
        request = council_request(locked, standing, title=fresh.text, text=text)
        case = submit(request)
        fresh.state = ItemState.IN_CASE
        fresh.case = case
        fresh.save(update_fields=["state", "case"])
        return Done(
            case,
            fresh.owner_member,
            case.tracking_code,
            {"item": fresh.pk, "case": case.tracking_code},
        )

    return record(item.council, CouncilAction.ITEM_TO_CASE, actor, change)

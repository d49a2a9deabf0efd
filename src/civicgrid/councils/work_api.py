"""The council API's meetings, follow-up items and problems, on the councils router
(``/api/councils/{pk}/meetings…``, ``/items…``, ``/problems…``): the same lookups and
refusals as the pages (a council, meeting, item or problem a person may not see is a
404; a change they may not make a 403, one the state forbids a 409)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Schema, UploadedFile
from ninja.responses import Status

from civicgrid.councils import meetings, problems
from civicgrid.councils.api import _council, router
from civicgrid.councils.models import Council, CouncilAction
from civicgrid.councils.permissions import RULES, Standing
from civicgrid.councils.work_models import (
    ActionItem,
    ItemState,
    Meeting,
    MeetingKind,
    Presence,
    Problem,
)
from civicgrid.errors import Forbidden, NotFound, answers
from civicgrid.inputs import Id

MeetingKindKey = Literal[tuple(MeetingKind.values)]  # type: ignore[valid-type]
PresenceKey = Literal[tuple(Presence.values)]  # type: ignore[valid-type]
ConfirmKey = Literal["present", "excused"]
ItemStateKey = Literal[tuple(ItemState.values)]  # type: ignore[valid-type]
LIST_LIMIT = 200
NOTE_FIELD = Form("", max_length=2000, description="what the district should know")
PHOTO_FILES = File(None, description="photos: JPEG, PNG or WebP; up to 3")


class ItemOut(Schema):
    id: int
    meeting: int
    text: str
    owner_member: int | None
    owner_group: int | None
    owner: str = Field(description="the owner's name")
    due_on: date
    state: str = Field(description="open, in_case, done or dropped, as stored")
    shown_state: str = Field(
        description="what the council sees: an item in a case is done when the case is closed"
        " (case_rejected, case_merged when the case ended so)"
    )
    shown_label: str
    overdue: bool
    case: str | None = Field(description="the case's tracking code, once it is one")
    case_state: str | None
    outcome: str


class AttendanceOut(Schema):
    member: int
    presence: str
    how: str = Field(description="roll_call (the secretary) or phone (the member themself)")
    at: datetime


class DecisionOut(Schema):
    number: int
    text: str


class MeetingOut(Schema):
    id: int
    title: str
    kind: str
    kind_label: str
    starts_at: datetime
    place: str
    agenda: str
    minutes: str
    state: str
    state_label: str
    attendance: list[AttendanceOut] | None = Field(description="one meeting only")
    decisions: list[DecisionOut] | None = Field(description="one meeting only")
    items: list[ItemOut] | None = Field(description="one meeting only")


class MeetingIn(Schema):
    title: str = Field(max_length=120)
    kind: MeetingKindKey = MeetingKind.COUNCIL
    starts_at: datetime
    place: str = Field("", max_length=120)
    agenda: str = Field("", max_length=10000)


class CouncilReasonIn(Schema):
    reason: str = Field(max_length=2000)


class MinutesIn(Schema):
    minutes: str = Field(max_length=50000)


class TextIn(Schema):
    text: str = Field(max_length=5000)


class RollLine(Schema):
    member: Id
    presence: PresenceKey


class RollIn(Schema):
    attendance: list[RollLine] = Field(max_length=500)


class ConfirmIn(Schema):
    presence: ConfirmKey = "present"


class ItemIn(Schema):
    text: str = Field(max_length=5000)
    due_on: date
    owner_member: Id | None = Field(None, description="a member of the council, or")
    owner_group: Id | None = Field(None, description="one of its working groups")


class CouncilNoteIn(Schema):
    note: str = Field("", max_length=2000)


class CaseOut(Schema):
    case: str = Field(description="the new case's tracking code")
    state: str


class ProblemOut(Schema):
    id: int
    title: str
    text: str
    raised_by: int
    raised_by_name: str
    raised_at: datetime
    shared_by: int = Field(description="how many members it concerns")
    concerns_me: bool
    state: str = Field(description="raised, handling, solved or whistled, as stored")
    shown_state: str = Field(description="a whistled problem is done when its case is closed")
    shown_label: str
    deadline: date | None
    overdue: bool
    outcome: str
    case: str | None
    case_state: str | None


class ProblemIn(Schema):
    title: str = Field(max_length=120)
    text: str = Field(max_length=5000)


class DeadlineIn(Schema):
    deadline: date
    note: str = Field("", max_length=2000)


class OutcomeIn(Schema):
    outcome: str = Field(max_length=5000)


def _today() -> date:
    from civicgrid.cases import clock

    return clock.today()


def item_out(item: ActionItem) -> ItemOut:
    return ItemOut(
        id=item.pk,
        meeting=item.meeting_id,
        text=item.text,
        owner_member=item.owner_member_id,
        owner_group=item.owner_group_id,
        owner=item.owner_name,
        due_on=item.due_on,
        state=item.state,
        shown_state=item.shown_state,
        shown_label=item.shown_label,
        overdue=item.overdue(_today()),
        case=item.case.tracking_code if item.case else None,
        case_state=item.case.state if item.case else None,
        outcome=item.outcome,
    )


def meeting_out(meeting: Meeting, *, whole: bool = False) -> MeetingOut:
    items = None
    if whole:
        items = [
            item_out(i) for i in meeting.items.select_related("case", "owner_member", "owner_group")
        ]
    return MeetingOut(
        id=meeting.pk,
        title=meeting.title,
        kind=meeting.kind,
        kind_label=str(meeting.get_kind_display()),
        starts_at=meeting.starts_at,
        place=meeting.place,
        agenda=meeting.agenda,
        minutes=meeting.minutes,
        state=meeting.state,
        state_label=str(meeting.get_state_display()),
        attendance=[
            AttendanceOut(member=a.member_id, presence=a.presence, how=a.how, at=a.at)
            for a in meeting.attendance.all()
        ]
        if whole
        else None,
        decisions=[DecisionOut(number=d.number, text=d.text) for d in meeting.decisions.all()]
        if whole
        else None,
        items=items,
    )


def problem_out(problem: Problem, standing: Standing) -> ProblemOut:
    concerned = [m.pk for m in problem.concerns.all()]
    seat = standing.seat
    return ProblemOut(
        id=problem.pk,
        title=problem.title,
        text=problem.text,
        raised_by=problem.raised_by_id,
        raised_by_name=problem.raised_by.name,
        raised_at=problem.raised_at,
        shared_by=len(concerned),
        concerns_me=seat is not None and seat.pk in concerned,
        state=problem.state,
        shown_state=problem.shown_state,
        shown_label=problem.shown_label,
        deadline=problem.deadline,
        overdue=problem.overdue(_today()),
        outcome=problem.outcome,
        case=problem.case.tracking_code if problem.case else None,
        case_state=problem.case.state if problem.case else None,
    )


def _meeting(council: Council, meeting_id: int) -> Meeting:
    meeting = council.meetings.filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound(str(gettext_lazy("No such meeting in this council.")))
    return meeting


def _item(council: Council, item_id: int) -> ActionItem:
    item = (
        council.items.select_related("case", "owner_member", "owner_group")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise NotFound(str(gettext_lazy("No such item in this council.")))
    return item


def _problem(council: Council, problem_id: int) -> Problem:
    problem = (
        council.problems.select_related("raised_by", "case")
        .prefetch_related("concerns")
        .filter(pk=problem_id)
        .first()
    )
    if problem is None:
        raise NotFound(str(gettext_lazy("No such problem in this council.")))
    return problem


# --- meetings ------------------------------------------------------------------------------


@router.get(
    "/{pk}/meetings",
    response=answers(list[MeetingOut]),
    summary=gettext_lazy("A council's meetings, newest first"),
)
def list_meetings(request: HttpRequest, pk: Id) -> list[MeetingOut]:
    council, _standing = _council(request, pk)
    return [meeting_out(m) for m in council.meetings.order_by("-starts_at", "-id")[:LIST_LIMIT]]


@router.post(
    "/{pk}/meetings",
    response=answers(MeetingOut, status=201),
    summary=gettext_lazy("召集会议 Plan a meeting (the chair or secretary, or staff)"),
)
def plan_meeting(request: HttpRequest, pk: Id, body: MeetingIn) -> Status[MeetingOut]:
    council, _standing = _council(request, pk)
    meeting = meetings.plan_meeting(
        council,
        actor=request.user,
        title=body.title,
        kind=body.kind,
        starts_at=body.starts_at,
        place=body.place,
        agenda=body.agenda,
    )
    return Status(201, meeting_out(meeting, whole=True))


@router.get(
    "/{pk}/meetings/{meeting_id}",
    response=answers(MeetingOut),
    summary=gettext_lazy("A meeting: its attendance, decisions and follow-up items"),
)
def get_meeting(request: HttpRequest, pk: Id, meeting_id: Id) -> MeetingOut:
    council, _standing = _council(request, pk)
    return meeting_out(_meeting(council, meeting_id), whole=True)


@router.put(
    "/{pk}/meetings/{meeting_id}",
    response=answers(MeetingOut),
    summary=gettext_lazy(
        "修改会议 Change a planned meeting (its title, kind, time, place, agenda)"
    ),
)
def change_meeting(request: HttpRequest, pk: Id, meeting_id: Id, body: MeetingIn) -> MeetingOut:
    council, _standing = _council(request, pk)
    meeting = meetings.change_meeting(
        _meeting(council, meeting_id),
        actor=request.user,
        title=body.title,
        kind=body.kind,
        starts_at=body.starts_at,
        place=body.place,
        agenda=body.agenda,
    )
    return meeting_out(meeting, whole=True)


@router.post(
    "/{pk}/meetings/{meeting_id}/hold",
    response=answers(MeetingOut),
    summary=gettext_lazy("开会 Record that a planned meeting is being held"),
)
def hold_meeting(request: HttpRequest, pk: Id, meeting_id: Id) -> MeetingOut:
    council, _standing = _council(request, pk)
    meeting = meetings.hold_meeting(_meeting(council, meeting_id), actor=request.user)
    return meeting_out(meeting, whole=True)


@router.post(
    "/{pk}/meetings/{meeting_id}/cancel",
    response=answers(MeetingOut),
    summary=gettext_lazy("取消会议 Cancel a planned meeting"),
)
def cancel_meeting(
    request: HttpRequest, pk: Id, meeting_id: Id, body: CouncilReasonIn
) -> MeetingOut:
    council, _standing = _council(request, pk)
    meeting = meetings.cancel_meeting(
        _meeting(council, meeting_id), actor=request.user, reason=body.reason
    )
    return meeting_out(meeting, whole=True)


@router.post(
    "/{pk}/meetings/{meeting_id}/minutes",
    response=answers(MeetingOut),
    summary=gettext_lazy("会议纪要 Record the minutes; the meeting is closed"),
)
def record_minutes(request: HttpRequest, pk: Id, meeting_id: Id, body: MinutesIn) -> MeetingOut:
    council, _standing = _council(request, pk)
    meeting = meetings.record_minutes(
        _meeting(council, meeting_id), actor=request.user, minutes=body.minutes
    )
    return meeting_out(meeting, whole=True)


@router.post(
    "/{pk}/meetings/{meeting_id}/decisions",
    response=answers(DecisionOut, status=201),
    summary=gettext_lazy("形成决议 Record a decision of a meeting being held"),
)
def record_decision(
    request: HttpRequest, pk: Id, meeting_id: Id, body: TextIn
) -> Status[DecisionOut]:
    council, _standing = _council(request, pk)
    decision = meetings.record_decision(
        _meeting(council, meeting_id), actor=request.user, text=body.text
    )
    return Status(201, DecisionOut(number=decision.number, text=decision.text))


@router.post(
    "/{pk}/meetings/{meeting_id}/roll",
    response=answers(list[AttendanceOut]),
    summary=gettext_lazy("点名 Record members' attendance (the chair or secretary, or staff)"),
)
def take_roll(request: HttpRequest, pk: Id, meeting_id: Id, body: RollIn) -> list[AttendanceOut]:
    council, _standing = _council(request, pk)
    rows = meetings.take_roll(
        _meeting(council, meeting_id),
        actor=request.user,
        presence={line.member: line.presence for line in body.attendance},
    )
    return [
        AttendanceOut(member=a.member_id, presence=a.presence, how=a.how, at=a.at) for a in rows
    ]


@router.post(
    "/{pk}/meetings/{meeting_id}/attendance",
    response=answers(AttendanceOut),
    summary=gettext_lazy("到会确认 Confirm my own attendance, or send my excuse"),
)
def confirm_attendance(
    request: HttpRequest, pk: Id, meeting_id: Id, body: ConfirmIn
) -> AttendanceOut:
    council, standing = _council(request, pk)
    meeting = _meeting(council, meeting_id)
    seat = standing.seat
    if seat is None:  # no seat of one's own to confirm
        raise Forbidden(str(RULES[CouncilAction.CONFIRM_ATTENDANCE].refusal))
    row = meetings.confirm_attendance(meeting, seat, actor=request.user, presence=body.presence)
    return AttendanceOut(member=row.member_id, presence=row.presence, how=row.how, at=row.at)


@router.post(
    "/{pk}/meetings/{meeting_id}/items",
    response=answers(ItemOut, status=201),
    summary=gettext_lazy("会议待办 Set a follow-up item: its owner and due date"),
)
def add_item(request: HttpRequest, pk: Id, meeting_id: Id, body: ItemIn) -> Status[ItemOut]:
    council, _standing = _council(request, pk)
    item = meetings.add_item(
        _meeting(council, meeting_id),
        actor=request.user,
        text=body.text,
        due_on=body.due_on,
        owner_member_id=body.owner_member,
        owner_group_id=body.owner_group,
    )
    return Status(201, item_out(item))


# --- follow-up items -----------------------------------------------------------------------


@router.get(
    "/{pk}/items",
    response=answers(list[ItemOut]),
    summary=gettext_lazy("A council's follow-up items and their states"),
)
def list_items(request: HttpRequest, pk: Id, state: ItemStateKey | None = None) -> list[ItemOut]:
    council, _standing = _council(request, pk)
    rows = council.items.select_related("case", "owner_member", "owner_group")
    if state:
        rows = rows.filter(state=state)
    return [item_out(i) for i in rows.order_by("due_on", "id")[:LIST_LIMIT]]


@router.post(
    "/{pk}/items/{item_id}/finish",
    response=answers(ItemOut),
    summary=gettext_lazy("办结待办 Mark an item done (its owner, the officers or staff)"),
)
def finish_item(request: HttpRequest, pk: Id, item_id: Id, body: CouncilNoteIn) -> ItemOut:
    council, _standing = _council(request, pk)
    item = meetings.finish_item(_item(council, item_id), actor=request.user, outcome=body.note)
    return item_out(item)


@router.post(
    "/{pk}/items/{item_id}/drop",
    response=answers(ItemOut),
    summary=gettext_lazy("撤销待办 Drop an item, saying why"),
)
def drop_item(request: HttpRequest, pk: Id, item_id: Id, body: CouncilReasonIn) -> ItemOut:
    council, _standing = _council(request, pk)
    item = meetings.drop_item(_item(council, item_id), actor=request.user, reason=body.reason)
    return item_out(item)


@router.post(
    "/{pk}/items/{item_id}/case",
    response=answers(CaseOut, status=201),
    summary=gettext_lazy("转为工单 Turn an item into a case of the normal loop"),
)
def item_to_case(request: HttpRequest, pk: Id, item_id: Id) -> Status[CaseOut]:
    council, _standing = _council(request, pk)
    case = meetings.item_to_case(_item(council, item_id), actor=request.user)
    return Status(201, CaseOut(case=case.tracking_code, state=case.state))


# --- problems ------------------------------------------------------------------------------


@router.get(
    "/{pk}/problems",
    response=answers(list[ProblemOut]),
    summary=gettext_lazy("Problems raised to a council and their states, newest first"),
)
def list_problems(request: HttpRequest, pk: Id) -> list[ProblemOut]:
    council, standing = _council(request, pk)
    rows = (
        council.problems.select_related("raised_by", "case")
        .prefetch_related("concerns")
        .order_by("-raised_at", "-id")[:LIST_LIMIT]
    )
    return [problem_out(p, standing) for p in rows]


@router.post(
    "/{pk}/problems",
    response=answers(ProblemOut, status=201),
    summary=gettext_lazy("反映问题 Raise a problem to my council (members)"),
)
def raise_problem(request: HttpRequest, pk: Id, body: ProblemIn) -> Status[ProblemOut]:
    council, standing = _council(request, pk)
    problem = problems.raise_problem(council, actor=request.user, title=body.title, text=body.text)
    return Status(201, problem_out(_problem(council, problem.pk), standing))


@router.get(
    "/{pk}/problems/{problem_id}",
    response=answers(ProblemOut),
    summary=gettext_lazy("A problem raised to a council"),
)
def get_problem(request: HttpRequest, pk: Id, problem_id: Id) -> ProblemOut:
    council, standing = _council(request, pk)
    return problem_out(_problem(council, problem_id), standing)


@router.post(
    "/{pk}/problems/{problem_id}/share",
    response=answers(ProblemOut),
    summary=gettext_lazy("我也遇到 Say that a problem concerns me too"),
)
def share_problem(request: HttpRequest, pk: Id, problem_id: Id) -> ProblemOut:
    council, standing = _council(request, pk)
    problems.share_problem(_problem(council, problem_id), actor=request.user)
    return problem_out(_problem(council, problem_id), standing)


@router.post(
    "/{pk}/problems/{problem_id}/take-up",
    response=answers(ProblemOut),
    summary=gettext_lazy("自行协调 The council handles a problem itself, by a deadline"),
)
def take_up_problem(request: HttpRequest, pk: Id, problem_id: Id, body: DeadlineIn) -> ProblemOut:
    council, standing = _council(request, pk)
    problems.take_up_problem(
        _problem(council, problem_id), actor=request.user, deadline=body.deadline, note=body.note
    )
    return problem_out(_problem(council, problem_id), standing)


@router.post(
    "/{pk}/problems/{problem_id}/solve",
    response=answers(ProblemOut),
    summary=gettext_lazy("协调解决 Record that the council solved a problem"),
)
def solve_problem(request: HttpRequest, pk: Id, problem_id: Id, body: OutcomeIn) -> ProblemOut:
    council, standing = _council(request, pk)
    problems.solve_problem(_problem(council, problem_id), actor=request.user, outcome=body.outcome)
    return problem_out(_problem(council, problem_id), standing)


@router.post(
    "/{pk}/problems/{problem_id}/whistle",
    response=answers(CaseOut, status=201),
    summary=gettext_lazy("理事会吹哨 Whistle a problem to the district: it becomes a case"),
    description=gettext_lazy(
        "The case is in the district dispatchers' queue, routed from there through the "
        "normal loop; the problem shows the case's state and is done when it is closed."
    ),
)
def whistle_problem(
    request: HttpRequest,
    pk: Id,
    problem_id: Id,
    note: str = NOTE_FIELD,
    photos: list[UploadedFile] | None = PHOTO_FILES,
) -> Status[CaseOut]:
    council, _standing = _council(request, pk)
    uploads = photos or []
    case = problems.whistle_problem(
        _problem(council, problem_id),
        actor=request.user,
        note=note,
        photos=uploads,
        photo_names=[u.name or "" for u in uploads],
    )
    return Status(201, CaseOut(case=case.tracking_code, state=case.state))

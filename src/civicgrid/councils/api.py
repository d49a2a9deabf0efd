"""The councils API (理事会): the councils a person may see, their members and working
groups, and their log; the same refusals as the pages (a council a person may not see is
a 404, a change they may not make a 403). Meetings, problems and conventions add their
operations to this router."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema
from ninja.responses import Status

from civicgrid.cases.models import mask_phone
from civicgrid.councils import actions
from civicgrid.councils.models import (
    Council,
    CouncilKind,
    CouncilMember,
    CouncilRole,
    MemberKind,
    WorkingGroup,
)
from civicgrid.councils.permissions import Standing
from civicgrid.councils.views import visible_council
from civicgrid.errors import Invalid, NotFound, answers
from civicgrid.inputs import Id
from civicgrid.org.models import Unit, UnitKind

router = Router(tags=["councils"])

KindKey = Literal[tuple(CouncilKind.values)]  # type: ignore[valid-type]
MemberKindKey = Literal[tuple(MemberKind.values)]  # type: ignore[valid-type]
RoleKey = Literal[tuple(CouncilRole.values)]  # type: ignore[valid-type]


class CouncilOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    unit: str = Field(description="the unit's code")
    unit_name: str
    party_organisation: str
    rules: str = Field(description="how it handles problems, in its own words")
    founded_on: date
    members: int = Field(description="active members")
    my_role: str | None = Field(description="the caller's role in it, if they hold a seat")


class MemberOut(Schema):
    id: int
    name: str
    kind: str
    role: str
    role_label: str
    contact_name: str
    phone: str = Field(description="whole for the council's officers and staff, else masked")
    credit_code: str
    department: str | None = Field(description="a liaison's department code")
    term_start: date | None
    term_end: date | None
    joined_on: date
    left_on: date | None
    left_reason: str


class MemberIn(Schema):
    name: str = Field(max_length=100)
    kind: MemberKindKey
    role: RoleKey = CouncilRole.MEMBER
    contact_name: str = Field("", max_length=60)
    phone: str = Field("", max_length=20)
    credit_code: str = Field("", max_length=30)
    department: str = Field("", description="a liaison's department code", max_length=40)
    term_start: date | None = None
    term_end: date | None = None


class LeaveIn(Schema):
    reason: str = Field("", max_length=200)


class RoleIn(Schema):
    role: RoleKey
    term_start: date | None = None
    term_end: date | None = None


class GroupOut(Schema):
    id: int
    name: str
    purpose: str
    members: list[int]


class GroupIn(Schema):
    name: str = Field(max_length=100)
    purpose: str = Field("", max_length=2000)
    members: list[Id] = Field(default_factory=list, max_length=500)


class GroupMembersIn(Schema):
    members: list[Id] = Field(default_factory=list, max_length=500)


class EventOut(Schema):
    seq: int
    action: str
    label: str
    at: datetime
    actor: str | None
    member: int | None
    note: str
    data: dict[str, object]


def council_out(council: Council, my_role: str | None, members: int) -> CouncilOut:
    return CouncilOut(
        id=council.pk,
        name=council.name,
        kind=council.kind,
        kind_label=str(council.get_kind_display()),
        unit=council.unit.code,
        unit_name=council.unit.name,
        party_organisation=council.party_organisation,
        rules=council.rules,
        founded_on=council.founded_on,
        members=members,
        my_role=my_role,
    )


def member_out(member: CouncilMember, standing: Standing) -> MemberOut:
    phone = member.phone if standing.sees_contacts or not member.phone else mask_phone(member.phone)
    return MemberOut(
        id=member.pk,
        name=member.name,
        kind=member.kind,
        role=member.role,
        role_label=str(member.get_role_display()),
        contact_name=member.contact_name,
        phone=phone,
        credit_code=member.credit_code,
        department=member.department.code if member.department else None,
        term_start=member.term_start,
        term_end=member.term_end,
        joined_on=member.joined_on,
        left_on=member.left_on,
        left_reason=member.left_reason,
    )


def _council(request: HttpRequest, pk: int) -> tuple[Council, Standing]:
    council = visible_council(request.user, pk)
    return council, Standing(council, request.user)


def _member(council: Council, member_id: int) -> CouncilMember:
    member = council.members.select_related("department").filter(pk=member_id).first()
    if member is None:
        raise NotFound(str(gettext_lazy("No such member in this council.")))
    return member


@router.get(
    "",
    response=answers(list[CouncilOut]),
    summary=gettext_lazy("The councils I may see"),
    description=gettext_lazy(
        "Staff see the councils of the units in their scope; a member sees the councils "
        "they sit in."
    ),
)
def list_councils(request: HttpRequest, kind: KindKey | None = None) -> list[CouncilOut]:
    rows = Council.objects.visible_to(request.user).select_related("unit")
    if kind:
        rows = rows.filter(kind=kind)
    rows = rows.annotate(seated=Count("members", filter=Q(members__left_on=None)))
    seats = dict(
        CouncilMember.objects.filter(user=request.user, left_on=None).values_list(
            "council_id", "role"
        )
    )
    return [
        council_out(council, seats.get(council.pk), council.seated)
        for council in rows.order_by("unit__path", "name")[:1000]
    ]


@router.get("/{pk}", response=answers(CouncilOut), summary=gettext_lazy("A council"))
def get_council(request: HttpRequest, pk: Id) -> CouncilOut:
    council, standing = _council(request, pk)
    seat = standing.seat
    return council_out(
        council, seat.role if seat else None, council.members.filter(left_on=None).count()
    )


@router.get(
    "/{pk}/members",
    response=answers(list[MemberOut]),
    summary=gettext_lazy("A council's members, former ones included"),
)
def list_members(request: HttpRequest, pk: Id) -> list[MemberOut]:
    council, standing = _council(request, pk)
    members = council.members.select_related("department").order_by("left_on", "role", "name")
    return [member_out(m, standing) for m in members]


def _department(code: str) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.filter(code=code, kind=UnitKind.DEPARTMENT).first()
    if unit is None:
        raise Invalid(str(gettext_lazy("Unknown department.")), field="department")
    return unit


@router.post(
    "/{pk}/members",
    response=answers(MemberOut, status=201),
    summary=gettext_lazy("入会 Add a member (the chair or secretary, or staff)"),
)
def add_member(request: HttpRequest, pk: Id, body: MemberIn) -> Status[MemberOut]:
    council, standing = _council(request, pk)
    seat = actions.Seat(
        name=body.name,
        kind=body.kind,
        role=body.role,
        contact_name=body.contact_name,
        phone=body.phone,
        credit_code=body.credit_code,
        department=_department(body.department),
        term_start=body.term_start,
        term_end=body.term_end,
    )
    member = actions.add_member(council, seat, actor=request.user)
    return Status(201, member_out(member, standing))


@router.post(
    "/{pk}/members/{member_id}/leave",
    response=answers(MemberOut),
    summary=gettext_lazy("退出 Record that a member leaves (the member, the officers or staff)"),
)
def leave(request: HttpRequest, pk: Id, member_id: Id, body: LeaveIn) -> MemberOut:
    council, standing = _council(request, pk)
    member = actions.remove_member(
        _member(council, member_id), actor=request.user, reason=body.reason
    )
    return member_out(member, standing)


@router.post(
    "/{pk}/members/{member_id}/role",
    response=answers(MemberOut),
    summary=gettext_lazy("换届 Change a member's role and term"),
)
def change_role(request: HttpRequest, pk: Id, member_id: Id, body: RoleIn) -> MemberOut:
    council, standing = _council(request, pk)
    member = actions.change_role(
        _member(council, member_id),
        actor=request.user,
        role=body.role,
        term_start=body.term_start,
        term_end=body.term_end,
    )
    return member_out(member, standing)


def group_out(group: WorkingGroup) -> GroupOut:
    return GroupOut(
        id=group.pk,
        name=group.name,
        purpose=group.purpose,
        members=sorted(m.pk for m in group.members.all()),
    )


@router.get(
    "/{pk}/groups",
    response=answers(list[GroupOut]),
    summary=gettext_lazy("A council's working groups (协同专班)"),
)
def list_groups(request: HttpRequest, pk: Id) -> list[GroupOut]:
    council, _standing = _council(request, pk)
    return [group_out(g) for g in council.groups.prefetch_related("members")]


@router.post(
    "/{pk}/groups",
    response=answers(GroupOut, status=201),
    summary=gettext_lazy("成立协同专班 Form a working group"),
)
def form_group(request: HttpRequest, pk: Id, body: GroupIn) -> Status[GroupOut]:
    council, _standing = _council(request, pk)
    group = actions.form_group(
        council, actor=request.user, name=body.name, purpose=body.purpose, member_ids=body.members
    )
    return Status(201, group_out(group))


@router.put(
    "/{pk}/groups/{group_id}/members",
    response=answers(GroupOut),
    summary=gettext_lazy("调整协同专班 Set a working group's members"),
)
def change_group(request: HttpRequest, pk: Id, group_id: Id, body: GroupMembersIn) -> GroupOut:
    council, _standing = _council(request, pk)
    group = WorkingGroup.objects.filter(council=council, pk=group_id).first()
    if group is None:
        raise NotFound(str(gettext_lazy("No such working group in this council.")))
    return group_out(actions.change_group(group, actor=request.user, member_ids=body.members))


@router.get(
    "/{pk}/events",
    response=answers(list[EventOut]),
    summary=gettext_lazy("A council's log, newest first (the last 200 changes)"),
)
def list_events(request: HttpRequest, pk: Id) -> list[EventOut]:
    council, _standing = _council(request, pk)
    events = council.events.select_related("actor").order_by("-seq")[:200]
    return [
        EventOut(
            seq=e.seq,
            action=e.action,
            label=e.label,
            at=e.at,
            actor=str(e.actor) if e.actor else None,
            member=e.member_id,
            note=e.note,
            data=e.data,
        )
        for e in events
    ]


# Meetings, follow-up items and problems add their operations to this router.
from civicgrid.councils import work_api  # noqa: E402, F401

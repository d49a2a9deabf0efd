"""Every change to a council, its members and its working groups: one function per
change, named for what happens, with an explicit ``actor``; the only writers of these
rows and of the council's log.

Each runs in one transaction through ``record``: it locks the council's row (so two
changes of one council wait for each other and its log's sequence has no gaps), refuses
an actor without the right (403, ``permissions.RULES``), refuses missing or wrong input
(400) or a change the council's state does not allow (409), makes its change, and writes
exactly one ``CouncilEvent``. The other domains of the app (meetings, problems,
conventions) write through ``record`` too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicgrid import inputs
from civicgrid.cases import clock
from civicgrid.cases.rules import need_text
from civicgrid.councils.models import (
    Council,
    CouncilAction,
    CouncilEvent,
    CouncilKind,
    CouncilMember,
    CouncilRole,
    MemberKind,
    WorkingGroup,
)
from civicgrid.councils.permissions import Standing
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.org.models import Unit, UnitKind, User

T = TypeVar("T")


@dataclass(frozen=True)
class Done(Generic[T]):
    """What a change made: its result, and what its one event says (the member it is
    about, a note, data)."""

    result: T
    member: CouncilMember | None = None
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


Change = Callable[[Council, Standing], Done[T]]

COUNCIL_UNIT_KINDS = frozenset(
    {UnitKind.PARK, UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.STREET, UnitKind.TOWN}
)


def record(
    council: Council,
    action: str,
    actor: User | None,
    change: Change[T],
    *,
    about: CouncilMember | None = None,
) -> T:
    """Lock ``council``, refuse an ``actor`` without the right to ``action`` (over the
    member ``about``, for the rules that let a member act on their own seat), run
    ``change`` (which returns ``Done``: its result and what the event says), and
    append the one event; all or nothing.

    ``change`` gets the locked council and the actor's standing in it, and raises a
    refusal (``Invalid``, ``Conflict``) before writing anything it should not. ``actor``
    None is the system (the demo, an import): no person's right is checked."""
    with transaction.atomic():
        fresh = Council.objects.select_for_update().select_related("unit").filter(pk=council.pk)
        locked = fresh.first()
        if locked is None:
            raise NotFound(_("The council does not exist."))
        standing = Standing(locked, actor)
        if about is not None and about.council_id != locked.pk:
            raise NotFound(_("No such member in this council."))
        if actor is not None:
            standing.check(action, about)
        done = change(locked, standing)
        _append(locked, action, actor, done.member, done.note, done.data)
    return done.result


def _append(
    council: Council,
    action: str,
    actor: User | None,
    member: CouncilMember | None,
    note: str,
    data: dict[str, Any],
) -> CouncilEvent:
    council.version += 1
    Council.objects.filter(pk=council.pk).update(version=council.version)
    return CouncilEvent.objects.create(
        council=council,
        seq=council.version,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        at=clock.now(),
        member=member,
        note=note,
        data=data,
    )


# --- founding a council --------------------------------------------------------------


def found_council(
    *,
    actor: User | None,
    unit: Unit,
    name: str,
    kind: str,
    founded_on: date | None = None,
    party_organisation: str = "",
    rules: str = "",
) -> Council:
    """设立理事会: staff of ``unit`` (or above) set up a council there. ``actor`` None is
    the system (the demo, an import)."""
    name = inputs.text(need_text(name, _("A council needs a name.")), "name", max_length=100)
    if kind not in CouncilKind.values:
        raise Invalid(_("Choose the kind of council."), field="kind")
    if unit.kind not in COUNCIL_UNIT_KINDS:
        raise Invalid(
            _("A council belongs to a park, community, village, street or town."), field="unit"
        )
    with transaction.atomic():
        council = Council(
            name=name,
            kind=kind,
            unit=unit,
            founded_on=founded_on or clock.today(),
            party_organisation=inputs.text(
                party_organisation.strip(), "party_organisation", max_length=100
            ),
            rules=inputs.text(rules.strip(), "rules"),
        )
        if actor is not None:
            Standing(council, actor).check(CouncilAction.FOUND)
        council.save()
        _append(council, CouncilAction.FOUND, actor, None, name, {"kind": kind, "unit": unit.pk})
    return council


# --- members ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """A member as a form or the API hands one in (before checks)."""

    name: str
    kind: str
    role: str = CouncilRole.MEMBER
    user: User | None = None
    contact_name: str = ""
    phone: str = ""
    credit_code: str = ""
    department: Unit | None = None
    term_start: date | None = None
    term_end: date | None = None


def _check_term(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise Invalid(_("A term cannot end before it starts."), field="term_end")


def _check_seat(seat: Seat) -> None:
    from civicgrid.intake.actions import check_phone

    need_text(seat.name, _("A member needs a name."))
    inputs.text(seat.name, "name", max_length=100)
    if seat.kind not in MemberKind.values:
        raise Invalid(_("Choose what kind of member this is."), field="kind")
    if seat.role not in CouncilRole.values:
        raise Invalid(_("Choose the member's role."), field="role")
    if seat.phone:
        check_phone(seat.phone, required=False)
    if seat.credit_code:
        inputs.credit_code(seat.credit_code, "credit_code")
    if seat.department is not None and seat.department.kind != UnitKind.DEPARTMENT:
        raise Invalid(_("A liaison's unit must be a department."), field="department")
    _check_term(seat.term_start, seat.term_end)


def add_member(
    council: Council, seat: Seat, *, actor: User | None, on: date | None = None
) -> CouncilMember:
    """入会: a member joins the council (the chair or secretary, or staff, records it)."""
    _check_seat(seat)

    def change(
        locked: Council, _s: Standing
    ) -> tuple[CouncilMember, CouncilMember, str, dict[str, Any]]:
        if not locked.active:
            raise Conflict(_("This council has been dissolved."))
        member = CouncilMember(
            council=locked,
            name=seat.name.strip(),
            kind=seat.kind,
            role=seat.role,
            user=seat.user,
            contact_name=seat.contact_name.strip()[:60],
            phone=seat.phone.strip(),
            credit_code=seat.credit_code.strip().upper(),
            department=seat.department,
            term_start=seat.term_start,
            term_end=seat.term_end,
            joined_on=on or clock.today(),
        )
        try:
            with transaction.atomic():
                member.save()
        except IntegrityError:
            raise Conflict(_("This account already holds a seat in this council.")) from None
        return Done(member, member, member.name, {"kind": seat.kind, "role": seat.role})

    return record(council, CouncilAction.JOIN, actor, change)


def remove_member(
    member: CouncilMember, *, actor: User | None, reason: str = "", on: date | None = None
) -> CouncilMember:
    """退出: a member leaves (by their own word, or recorded by the council or staff).
    The row stays, with the day and the reason."""

    def change(
        locked: Council, _s: Standing
    ) -> tuple[CouncilMember, CouncilMember, str, dict[str, Any]]:
        fresh = CouncilMember.objects.select_for_update().get(pk=member.pk)
        if fresh.left_on is not None:
            raise Conflict(_("This member has already left the council."))
        fresh.left_on = on or clock.today()
        fresh.left_reason = inputs.text((reason or "").strip(), "reason", max_length=200)
        fresh.save(update_fields=["left_on", "left_reason"])
        return Done(fresh, fresh, fresh.left_reason)

    return record(member.council, CouncilAction.LEAVE, actor, change, about=member)


def change_role(
    member: CouncilMember,
    *,
    actor: User,
    role: str,
    term_start: date | None = None,
    term_end: date | None = None,
) -> CouncilMember:
    """换届 / 调整职务: a member's role and term change."""
    if role not in CouncilRole.values:
        raise Invalid(_("Choose the member's role."), field="role")
    _check_term(term_start, term_end)

    def change(
        locked: Council, _s: Standing
    ) -> tuple[CouncilMember, CouncilMember, str, dict[str, Any]]:
        fresh = CouncilMember.objects.select_for_update().get(pk=member.pk)
        if fresh.left_on is not None:
            raise Conflict(_("This member has left the council."))
        before = {
            "role": fresh.role,
            "term_start": _iso(fresh.term_start),
            "term_end": _iso(fresh.term_end),
        }
        fresh.role = role
        fresh.term_start = term_start
        fresh.term_end = term_end
        fresh.save(update_fields=["role", "term_start", "term_end"])
        after = {"role": role, "term_start": _iso(term_start), "term_end": _iso(term_end)}
        return Done(fresh, fresh, data={"before": before, "after": after})

    return record(member.council, CouncilAction.CHANGE_ROLE, actor, change, about=member)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


# --- working groups -----------------------------------------------------------------------


def _members_of(council: Council, member_ids: Iterable[int]) -> list[CouncilMember]:
    wanted = set(member_ids)
    found = list(council.members.filter(pk__in=wanted, left_on=None))
    if len(found) != len(wanted):
        raise Invalid(_("A working group's members must be active members of this council."))
    return found


def _ids(members: Iterable[CouncilMember]) -> list[int]:
    return sorted(m.pk for m in members)


def form_group(
    council: Council,
    *,
    actor: User | None,
    name: str,
    purpose: str = "",
    member_ids: Iterable[int] = (),
) -> WorkingGroup:
    """成立协同专班: a working group of some members on one matter."""
    name = inputs.text(need_text(name, _("A working group needs a name.")), "name", max_length=100)
    ids = list(member_ids)

    def change(locked: Council, _s: Standing) -> Done[WorkingGroup]:
        members = _members_of(locked, ids)
        group = WorkingGroup.objects.create(
            council=locked, name=name, purpose=inputs.text(purpose.strip(), "purpose")
        )
        group.members.set(members)
        return Done(group, note=name, data={"group": group.pk, "members": _ids(members)})

    return record(council, CouncilAction.FORM_GROUP, actor, change)


def change_group(group: WorkingGroup, *, actor: User, member_ids: Iterable[int]) -> WorkingGroup:
    """调整协同专班: who is in a working group now."""
    ids = list(member_ids)

    def change(locked: Council, _s: Standing) -> Done[WorkingGroup]:
        members = _members_of(locked, ids)
        group.members.set(members)
        return Done(group, note=group.name, data={"group": group.pk, "members": _ids(members)})

    return record(group.council, CouncilAction.CHANGE_GROUP, actor, change)

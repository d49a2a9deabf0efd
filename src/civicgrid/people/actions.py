"""Every change to the people in the grids, their posts and their duties: one function
per change, named for what happens, with an explicit ``actor``; the only writers of
these rows and of the app's log.

Each runs in one transaction through ``record``: it locks what the change is about (a
roster, a duty), refuses an actor without the right (403, ``permissions.RULES``) before
anything the state forbids (409), makes its change, and writes exactly one
``PeopleEvent``. ``actor`` None is the system (the demo, an import): no right is
checked. Grid calls, activities and project monitors write through ``record`` too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicgrid import inputs
from civicgrid.cases import clock
from civicgrid.cases.rules import need_text
from civicgrid.errors import Conflict, Invalid
from civicgrid.org.models import COMMUNITY_KINDS, Unit, UnitKind, User
from civicgrid.people import permissions
from civicgrid.people.models import (
    Availability,
    CheckIn,
    Duty,
    DutyState,
    DutySwap,
    GridPost,
    PartyBranch,
    PeopleAction,
    PeopleEvent,
    Person,
    PostRole,
    Roster,
    RosterState,
    SwapState,
)

if TYPE_CHECKING:
    from civicgrid.cases.models import Case

T = TypeVar("T")

ROSTER_UNIT_KINDS = frozenset({UnitKind.GRID, UnitKind.COMMUNITY, UnitKind.VILLAGE})


@dataclass(frozen=True)
class Done(Generic[T]):
    """What a change made: its result, and what its one event says."""

    result: T
    person: Person | None = None
    duty: Duty | None = None
    note: str = ""
    roster: Roster | None = None
    data: dict[str, Any] = field(default_factory=dict)


def record(
    action: str,
    actor: User | None,
    change: Callable[[], Done[T]],
    *,
    unit: Unit | None,
    about: Person | None = None,
    roster: Roster | None = None,
    case: Case | None = None,
) -> T:
    """Refuse an ``actor`` without the right to ``action`` over ``unit`` (or over their
    own ``about``), run ``change``, and append the one event; all or nothing. The
    caller has locked what must not change meanwhile (in the same transaction)."""
    with transaction.atomic():
        if actor is not None:
            permissions.check(action, actor, unit, about, case)
        done = change()
        PeopleEvent.objects.create(
            action=action,
            actor=actor if actor is not None and actor.is_authenticated else None,
            at=clock.now(),
            unit=unit,
            person=done.person,
            roster=roster or done.roster,
            duty=done.duty,
            note=done.note,
            data=done.data,
        )
    return done.result


def today() -> date:
    return clock.today()


# --- people ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """A person as a form or the API hands one in (before checks)."""

    name: str
    phone: str = ""
    home_grid: Unit | None = None
    party_member: bool = False
    branch: PartyBranch | None = None
    in_service: bool = False
    reports_to: Unit | None = None
    cadre: bool = False
    employer: Unit | None = None
    volunteer: bool = False
    skills: str = ""
    availability: str = ""
    user: User | None = None


def check_profile(p: Profile) -> Profile:
    """The profile with its text cleaned, or a refusal (400) naming what is wrong."""
    from civicgrid.intake.actions import check_phone

    name = inputs.text(need_text(p.name, _("A person needs a name.")), "name", max_length=60)
    phone = check_phone(p.phone, required=False) if p.phone else ""
    if p.home_grid is not None and p.home_grid.kind != UnitKind.GRID:
        raise Invalid(_("A home grid must be a grid."), field="home_grid")
    if not (p.party_member or p.cadre or p.volunteer):
        raise Invalid(_("Say whether the person is a party member, a cadre or a volunteer."))
    if p.branch is not None and not p.party_member:
        raise Invalid(_("Only a party member belongs to a party branch."), field="branch")
    if p.in_service and not p.party_member:
        raise Invalid(_("Only a party member reports to a community."), field="in_service")
    if p.in_service and (p.reports_to is None or p.reports_to.kind not in COMMUNITY_KINDS):
        raise Invalid(
            _("A serving party member reports to a community or village."), field="reports_to"
        )
    if p.employer is not None and not p.cadre:
        raise Invalid(_("Only a cadre has an employer unit here."), field="employer")
    if p.volunteer and p.home_grid is None:
        raise Invalid(_("A volunteer needs a home grid."), field="home_grid")
    if p.availability and p.availability not in Availability.values:
        raise Invalid(_("Choose when the volunteer is available."), field="availability")
    if p.home_grid is None and p.reports_to is None and p.employer is None:
        raise Invalid(_("Say where the person belongs: a home grid, a community or an employer."))
    skills = inputs.text((p.skills or "").strip(), "skills", max_length=200)
    return Profile(
        **{**p.__dict__, "name": name, "phone": phone, "skills": skills}  # type: ignore[arg-type]
    )


def add_person(profile: Profile, *, actor: User | None) -> Person:
    """登记: staff of the person's grid (or community, or employer) register a party
    member, a cadre or a volunteer."""
    profile = check_profile(profile)
    unit = profile.home_grid or profile.reports_to or profile.employer

    def change() -> Done[Person]:
        person = Person(**profile.__dict__)
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError:
            raise Conflict(_("This account already belongs to another person.")) from None
        return Done(person, person, note=person.name, data={"kinds": person.kinds})

    return record(PeopleAction.ADD_PERSON, actor, change, unit=unit)


def reveal_phone(person: Person, *, actor: User, reason: str) -> str:
    """The person's whole phone number, to staff who call people, each time logged with
    the reason (as a resident's number is: ``cases.actions.reveal_contact``)."""
    unit = permissions.person_unit(person)

    def change() -> Done[str]:
        why = (reason or "").strip()
        if len(why) < 2:
            raise Invalid(_("Say why you need the number (it is logged)."), field="reason")
        if not person.phone:
            raise Conflict(_("This person left no phone number."))
        return Done(person.phone, person, note=inputs.text(why[:200], "reason"))

    return record(PeopleAction.REVEAL_PHONE, actor, change, unit=unit)


def assign_post(
    person: Person,
    *,
    actor: User | None,
    grid: Unit,
    role: str,
    building: str = "",
    since: date | None = None,
) -> GridPost:
    """任命: a person becomes a grid's 网格长, 网格员 or a building's 楼栋长."""
    if role not in PostRole.values:
        raise Invalid(_("Choose the post."), field="role")
    if grid.kind != UnitKind.GRID:
        raise Invalid(_("A post is in a grid."), field="grid")
    building = inputs.text((building or "").strip(), "building", max_length=40)
    if role == PostRole.BUILDING_LEADER and not building:
        raise Invalid(_("A building leader needs the building."), field="building")
    if role != PostRole.BUILDING_LEADER:
        building = ""

    def change() -> Done[GridPost]:
        try:
            with transaction.atomic():
                post = GridPost.objects.create(
                    person=person,
                    grid=grid,
                    role=role,
                    building=building,
                    since=since or today(),
                )
        except IntegrityError:
            raise Conflict(_("The person already holds this post.")) from None
        return Done(post, person, note=building, data={"grid": grid.code, "role": role})

    return record(PeopleAction.ASSIGN_POST, actor, change, unit=grid)


# --- rosters -------------------------------------------------------------------------------


def make_roster(*, actor: User | None, unit: Unit, week: date) -> Roster:
    """排班: a week's roster for a grid, community or village (a draft until published)."""
    if unit.kind not in ROSTER_UNIT_KINDS:
        raise Invalid(_("A roster is for a grid, a community or a village."), field="unit")
    if week.weekday() != 0:
        raise Invalid(_("A roster's week starts on a Monday."), field="week")

    def change() -> Done[Roster]:
        try:
            with transaction.atomic():
                roster = Roster.objects.create(unit=unit, week=week)
        except IntegrityError:
            raise Conflict(_("This unit already has a roster for that week.")) from None
        return Done(roster, roster=roster, data={"unit": unit.code, "week": week.isoformat()})

    return record(PeopleAction.MAKE_ROSTER, actor, change, unit=unit)


def _locked(roster: Roster) -> Roster:
    return Roster.objects.select_for_update().select_related("unit").get(pk=roster.pk)


def plan_duty(
    roster: Roster,
    *,
    actor: User | None,
    person: Person,
    unit: Unit | None = None,
    day: date,
    starts: time,
    ends: time,
) -> Duty:
    """A person's turn on a day of the roster's week, in its unit or a grid of it."""
    served = unit or roster.unit
    if not served.path.startswith(roster.unit.path):
        raise Invalid(_("The unit served must be the roster's unit or within it."), field="unit")
    if not roster.week <= day < roster.week + timedelta(days=7):
        raise Invalid(_("The day must fall in the roster's week."), field="day")
    if ends <= starts:
        raise Invalid(_("A duty ends after it starts."), field="ends")

    with transaction.atomic():
        locked = _locked(roster)

        def change() -> Done[Duty]:
            if not person.active:
                raise Conflict(_("This person no longer serves."))
            clash = Duty.objects.filter(
                person=person, day=day, starts__lt=ends, ends__gt=starts
            ).exclude(state=DutyState.ABSENT)
            if clash.exists():
                raise Conflict(_("The person is already on duty at that time."))
            duty = Duty.objects.create(
                roster=locked, person=person, unit=served, day=day, starts=starts, ends=ends
            )
            return Done(
                duty,
                person,
                duty,
                data={"day": day.isoformat(), "starts": f"{starts:%H:%M}", "ends": f"{ends:%H:%M}"},
            )

        return record(PeopleAction.PLAN_DUTY, actor, change, unit=locked.unit, roster=locked)


def publish_roster(roster: Roster, *, actor: User | None) -> Roster:
    """发布: the week's roster goes out; its people see their duties and may check in."""
    with transaction.atomic():
        locked = _locked(roster)

        def change() -> Done[Roster]:
            if locked.published:
                raise Conflict(_("This roster is already published."))
            if not locked.duties.exists():
                raise Conflict(_("A roster without duties cannot be published."))
            locked.state = RosterState.PUBLISHED
            locked.save(update_fields=["state"])
            return Done(locked, data={"duties": locked.duties.count()})

        return record(PeopleAction.PUBLISH_ROSTER, actor, change, unit=locked.unit, roster=locked)


# --- duties ------------------------------------------------------------------------------------


def _locked_duty(duty: Duty) -> Duty:
    return (
        Duty.objects.select_for_update()
        .select_related("roster__unit", "person", "unit")
        .get(pk=duty.pk)
    )


def _need_published(duty: Duty) -> None:
    if not duty.roster.published:
        raise Conflict(_("The roster is not published yet."))


def check_in(duty: Duty, *, actor: User | None, lon: object, lat: object) -> CheckIn:
    """签到: the person on duty checks in from their phone, with where they are. The
    point is located; a check-in outside the unit served is kept and flagged."""
    from civicgrid.geo.locator import locate

    with transaction.atomic():
        locked = _locked_duty(duty)

        def change() -> Done[CheckIn]:
            point = inputs.coordinate(lon, lat)
            if point is None:
                raise Invalid(_("Checking in needs your location."), field="lon")
            _need_published(locked)
            if locked.state != DutyState.PLANNED:
                raise Conflict(_("This duty is not waiting for a check-in."))
            if locked.day != today():
                raise Conflict(_("You can check in only on the day of the duty."))
            where = locate(*point)
            grid = Unit.objects.filter(pk=where.grid_id).first() if where.located else None
            in_place = bool(
                grid is not None
                and where.distance_m == 0
                and grid.path.startswith(locked.unit.path)
            )
            made = CheckIn.objects.create(
                duty=locked,
                at=clock.now(),
                lon=round(point[0], 6),
                lat=round(point[1], 6),
                grid=grid,
                in_place=in_place,
            )
            locked.state = DutyState.CHECKED_IN
            locked.save(update_fields=["state"])
            return Done(
                made,
                locked.person,
                locked,
                data={"grid": grid.code if grid else None, "in_place": in_place},
            )

        return record(
            PeopleAction.CHECK_IN,
            actor,
            change,
            unit=locked.roster.unit,
            about=locked.person,
            roster=locked.roster,
        )


def finish_duty(duty: Duty, *, actor: User | None) -> Duty:
    """The duty is done (after a check-in)."""
    with transaction.atomic():
        locked = _locked_duty(duty)

        def change() -> Done[Duty]:
            if locked.state != DutyState.CHECKED_IN:
                raise Conflict(_("Only a duty checked in can be done."))
            locked.state = DutyState.DONE
            locked.save(update_fields=["state"])
            return Done(locked, locked.person, locked)

        return record(
            PeopleAction.FINISH_DUTY,
            actor,
            change,
            unit=locked.roster.unit,
            about=locked.person,
            roster=locked.roster,
        )


def report_absence(duty: Duty, *, actor: User | None, reason: str) -> Duty:
    """请假 / 缺勤: the person (or staff of the unit) reports they are not there, why."""
    with transaction.atomic():
        locked = _locked_duty(duty)

        def change() -> Done[Duty]:
            why = inputs.text(
                need_text(reason, _("Say why the person is absent.")), "reason", max_length=200
            )
            _need_published(locked)
            if locked.state != DutyState.PLANNED:
                raise Conflict(_("Only a duty not yet begun can be reported absent."))
            locked.state = DutyState.ABSENT
            locked.absence_reason = why
            locked.save(update_fields=["state", "absence_reason"])
            DutySwap.objects.filter(duty=locked, state=SwapState.REQUESTED).update(
                state=SwapState.REFUSED, decided_at=clock.now()
            )
            return Done(locked, locked.person, locked, note=why)

        return record(
            PeopleAction.REPORT_ABSENCE,
            actor,
            change,
            unit=locked.roster.unit,
            about=locked.person,
            roster=locked.roster,
        )


def ask_swap(duty: Duty, *, actor: User | None, taker: Person, reason: str = "") -> DutySwap:
    """换班: the person on duty asks that ``taker`` take it; the roster's unit decides."""
    with transaction.atomic():
        locked = _locked_duty(duty)

        def change() -> Done[DutySwap]:
            why = inputs.text((reason or "").strip(), "reason", max_length=200)
            if taker.pk == locked.person_id:
                raise Invalid(_("Choose someone else to take the duty."), field="taker")
            _need_published(locked)
            if locked.state != DutyState.PLANNED:
                raise Conflict(_("Only a duty not yet begun can be swapped."))
            if not taker.active:
                raise Conflict(_("This person no longer serves."))
            if DutySwap.objects.filter(duty=locked, state=SwapState.REQUESTED).exists():
                raise Conflict(_("A swap of this duty is already waiting for a decision."))
            swap = DutySwap.objects.create(
                duty=locked, asked_by=locked.person, taker=taker, reason=why, asked_at=clock.now()
            )
            return Done(
                swap, locked.person, locked, note=why, data={"taker": taker.pk, "swap": swap.pk}
            )

        return record(
            PeopleAction.ASK_SWAP,
            actor,
            change,
            unit=locked.roster.unit,
            about=locked.person,
            roster=locked.roster,
        )


def decide_swap(swap: DutySwap, *, actor: User | None, approve: bool, note: str = "") -> DutySwap:
    """批准 / 不批准换班: staff of the roster's unit decide; approved, the duty is the
    taker's."""
    with transaction.atomic():
        locked = _locked_duty(swap.duty)

        def change() -> Done[DutySwap]:
            fresh = DutySwap.objects.select_for_update().get(pk=swap.pk)
            why = inputs.text((note or "").strip(), "note", max_length=200)
            if fresh.state != SwapState.REQUESTED:
                raise Conflict(_("This swap has already been decided."))
            if approve and locked.state != DutyState.PLANNED:
                raise Conflict(_("Only a duty not yet begun can be swapped."))
            if (
                approve
                and Duty.objects.filter(
                    person_id=fresh.taker_id,
                    day=locked.day,
                    starts__lt=locked.ends,
                    ends__gt=locked.starts,
                )
                .exclude(state=DutyState.ABSENT)
                .exists()
            ):
                raise Conflict(_("The person taking it is already on duty at that time."))
            fresh.state = SwapState.APPROVED if approve else SwapState.REFUSED
            fresh.decided_at = clock.now()
            fresh.save(update_fields=["state", "decided_at"])
            before = locked.person_id
            if approve:
                locked.person_id = fresh.taker_id
                locked.save(update_fields=["person"])
            return Done(
                fresh,
                fresh.taker if approve else fresh.asked_by,
                locked,
                note=why,
                data={"swap": fresh.pk, "approved": approve, "from": before, "to": fresh.taker_id},
            )

        return record(
            PeopleAction.DECIDE_SWAP, actor, change, unit=locked.roster.unit, roster=locked.roster
        )

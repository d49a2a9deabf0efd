"""The people API (党建引领 · 下沉轮值): the people in the grids one may see (phones
masked; whole only through the logged reveal), rosters, duties, check-ins, absences and
swaps; the same refusals as the pages (what a person may not see is a 404, a change they
may not make a 403). Grid calls, activities and project monitors add their operations
to this router."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from civicgrid.cases.models import mask_phone
from civicgrid.errors import Invalid, NotFound, answers
from civicgrid.inputs import Id
from civicgrid.org.models import Unit
from civicgrid.people import actions
from civicgrid.people.models import (
    Availability,
    Duty,
    DutySwap,
    PartyBranch,
    Person,
    PostRole,
    Roster,
    RosterState,
)
from civicgrid.people.views import (
    KINDS,
    monday,
    visible_duty,
    visible_person,
    visible_roster,
)

router = Router(tags=["people"])

KindKey = Literal[tuple(KINDS)]  # type: ignore[valid-type]
PostKey = Literal[tuple(PostRole.values)]  # type: ignore[valid-type]
AvailabilityKey = Literal[tuple(["", *Availability.values])]  # type: ignore[valid-type]


class PersonOut(Schema):
    id: int
    name: str
    phone: str = Field(description="masked (138****1234); whole only through the reveal")
    kinds: list[str]
    home_grid: str | None = Field(description="the home grid's code")
    party_member: bool
    branch: str | None
    in_service: bool = Field(description="在职党员, reporting to a community")
    reports_to: str | None = Field(description="the community's code")
    cadre: bool
    employer: str | None = Field(description="the employer unit's code")
    volunteer: bool
    skills: str
    availability: str


class PersonIn(Schema):
    name: str = Field(max_length=60)
    phone: str = Field("", max_length=20)
    home_grid: str = Field("", max_length=40, description="a grid's code")
    party_member: bool = False
    branch: Id | None = None
    in_service: bool = False
    reports_to: str = Field("", max_length=40, description="a community's code")
    cadre: bool = False
    employer: str = Field("", max_length=40, description="a department's or office's code")
    volunteer: bool = False
    skills: str = Field("", max_length=200)
    availability: AvailabilityKey = ""


class RevealIn(Schema):
    reason: str = Field(max_length=200, description="why the number is needed (logged)")


class PhoneOut(Schema):
    phone: str


class PostIn(Schema):
    grid: str = Field(max_length=40, description="the grid's code")
    role: PostKey
    building: str = Field("", max_length=40, description="a building leader's building")


class PostOut(Schema):
    id: int
    grid: str
    role: str
    building: str
    since: date


class RosterIn(Schema):
    unit: str = Field(max_length=40, description="a grid's, community's or village's code")
    week: date = Field(description="the Monday the week starts on")


class CheckInOut(Schema):
    at: datetime
    lon: float
    lat: float
    grid: str | None
    in_place: bool = Field(description="whether the point lies in the unit served")


class DutyOut(Schema):
    id: int
    roster: int
    person: int
    person_name: str
    unit: str
    unit_name: str
    day: date
    starts: time
    ends: time
    state: str
    state_label: str
    absence_reason: str
    check_in: CheckInOut | None


class RosterOut(Schema):
    id: int
    unit: str
    unit_name: str
    week: date
    state: str
    duties: list[DutyOut] = Field(
        description="in the order of days and hours (the list omits them)"
    )


class DutyIn(Schema):
    person: Id
    unit: str = Field("", max_length=40, description="the unit served (default: the roster's)")
    day: date
    starts: time
    ends: time


class CheckInIn(Schema):
    lon: float | None = None
    lat: float | None = None


class AbsenceIn(Schema):
    reason: str = Field(max_length=200)


class SwapIn(Schema):
    taker: Id
    reason: str = Field("", max_length=200)


class SwapOut(Schema):
    id: int
    duty: int
    asked_by: int
    taker: int
    reason: str
    state: str
    asked_at: datetime
    decided_at: datetime | None


class DecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=200)


def person_out(p: Person) -> PersonOut:
    return PersonOut(
        id=p.pk,
        name=p.name,
        phone=mask_phone(p.phone) if p.phone else "",
        kinds=p.kinds,
        home_grid=p.home_grid.code if p.home_grid else None,
        party_member=p.party_member,
        branch=p.branch.name if p.branch else None,
        in_service=p.in_service,
        reports_to=p.reports_to.code if p.reports_to else None,
        cadre=p.cadre,
        employer=p.employer.code if p.employer else None,
        volunteer=p.volunteer,
        skills=p.skills,
        availability=p.availability,
    )


def duty_out(d: Duty) -> DutyOut:
    check = getattr(d, "check_in", None)
    return DutyOut(
        id=d.pk,
        roster=d.roster_id,
        person=d.person_id,
        person_name=d.person.name,
        unit=d.unit.code,
        unit_name=d.unit.name,
        day=d.day,
        starts=d.starts,
        ends=d.ends,
        state=d.state,
        state_label=str(d.get_state_display()),
        absence_reason=d.absence_reason,
        check_in=CheckInOut(
            at=check.at,
            lon=check.lon,
            lat=check.lat,
            grid=check.grid.code if check.grid else None,
            in_place=check.in_place,
        )
        if check
        else None,
    )


def roster_out(r: Roster, *, with_duties: bool = True) -> RosterOut:
    duties = (
        [
            duty_out(d)
            for d in r.duties.select_related("person", "unit", "check_in__grid").order_by(
                "day", "starts", "pk"
            )
        ]
        if with_duties
        else []
    )
    return RosterOut(
        id=r.pk, unit=r.unit.code, unit_name=r.unit.name, week=r.week, state=r.state, duties=duties
    )


def swap_out(s: DutySwap) -> SwapOut:
    return SwapOut(
        id=s.pk,
        duty=s.duty_id,
        asked_by=s.asked_by_id,
        taker=s.taker_id,
        reason=s.reason,
        state=s.state,
        asked_at=s.asked_at,
        decided_at=s.decided_at,
    )


def _unit(code: str, field: str) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise Invalid(str(gettext_lazy("Unknown unit.")), field=field)
    return unit


# --- rosters and duties (before /{pk}: their paths are words) -------------------------------


@router.get(
    "/rosters",
    response=answers(list[RosterOut]),
    summary=gettext_lazy("The duty rosters I may see, newest week first"),
)
def list_rosters(
    request: HttpRequest, unit: str | None = Query(None, max_length=40), week: date | None = None
) -> list[RosterOut]:
    rows = Roster.objects.visible_to(request.user).select_related("unit")
    if unit:
        rows = rows.filter(unit__code=unit)
    if week:
        rows = rows.filter(week=week)
    return [roster_out(r, with_duties=False) for r in rows.order_by("-week", "unit__path")[:500]]


@router.post(
    "/rosters",
    response=answers(RosterOut, status=201),
    summary=gettext_lazy("排班 Make a week's roster (staff of the unit)"),
)
def make_roster(request: HttpRequest, body: RosterIn) -> Status[RosterOut]:
    unit = Unit.objects.visible_to(request.user).filter(code=body.unit).first()
    if unit is None:
        raise Invalid(str(gettext_lazy("Unknown unit.")), field="unit")
    roster = actions.make_roster(actor=request.user, unit=unit, week=body.week)
    return Status(201, roster_out(roster))


@router.get(
    "/rosters/{pk}",
    response=answers(RosterOut),
    summary=gettext_lazy("A roster with its duties"),
)
def get_roster(request: HttpRequest, pk: Id) -> RosterOut:
    return roster_out(visible_roster(request.user, pk))


@router.post(
    "/rosters/{pk}/duties",
    response=answers(DutyOut, status=201),
    summary=gettext_lazy("Plan a duty in a roster (staff of the unit)"),
)
def plan_duty(request: HttpRequest, pk: Id, body: DutyIn) -> Status[DutyOut]:
    roster = visible_roster(request.user, pk)
    person = Person.objects.visible_to(request.user).filter(pk=body.person).first()
    if person is None:
        raise Invalid(str(gettext_lazy("Choose a person.")), field="person")
    duty = actions.plan_duty(
        roster,
        actor=request.user,
        person=person,
        unit=_unit(body.unit, "unit"),
        day=body.day,
        starts=body.starts,
        ends=body.ends,
    )
    return Status(201, duty_out(duty))


@router.post(
    "/rosters/{pk}/publish",
    response=answers(RosterOut),
    summary=gettext_lazy("发布 Publish a roster (staff of the unit)"),
)
def publish_roster(request: HttpRequest, pk: Id) -> RosterOut:
    roster = actions.publish_roster(visible_roster(request.user, pk), actor=request.user)
    return roster_out(roster)


@router.get(
    "/me/duties",
    response=answers(list[DutyOut]),
    summary=gettext_lazy("My duties this week and next (published rosters)"),
)
def my_duties(request: HttpRequest) -> list[DutyOut]:
    start = monday(actions.today())
    duties = (
        Duty.objects.filter(
            person__user_id=request.user.pk,
            roster__state=RosterState.PUBLISHED,
            day__gte=start,
            day__lt=start + timedelta(days=14),
        )
        .select_related("person", "unit", "check_in__grid")
        .order_by("day", "starts")
    )
    return [duty_out(d) for d in duties]


@router.get(
    "/today",
    response=answers(list[DutyOut]),
    summary=gettext_lazy("Who is on duty today in the rosters I may see"),
)
def on_duty_today(request: HttpRequest) -> list[DutyOut]:
    duties = (
        Duty.objects.filter(
            roster__in=Roster.objects.visible_to(request.user)
            .filter(state=RosterState.PUBLISHED)
            .values("pk"),
            day=actions.today(),
        )
        .select_related("person", "unit", "check_in__grid")
        .order_by("starts", "unit__path")[:1000]
    )
    return [duty_out(d) for d in duties]


def _duty(request: HttpRequest, pk: int) -> Duty:
    return visible_duty(request.user, pk)


@router.post(
    "/duties/{pk}/check-in",
    response=answers(DutyOut),
    summary=gettext_lazy("签到 Check in on duty, with where I am"),
)
def check_in(request: HttpRequest, pk: Id, body: CheckInIn) -> DutyOut:
    duty = _duty(request, pk)
    actions.check_in(duty, actor=request.user, lon=body.lon, lat=body.lat)
    return duty_out(_duty(request, pk))


@router.post(
    "/duties/{pk}/done",
    response=answers(DutyOut),
    summary=gettext_lazy("A duty checked in is done"),
)
def finish_duty(request: HttpRequest, pk: Id) -> DutyOut:
    actions.finish_duty(_duty(request, pk), actor=request.user)
    return duty_out(_duty(request, pk))


@router.post(
    "/duties/{pk}/absence",
    response=answers(DutyOut),
    summary=gettext_lazy("请假 Report an absence from a duty, with the reason"),
)
def report_absence(request: HttpRequest, pk: Id, body: AbsenceIn) -> DutyOut:
    actions.report_absence(_duty(request, pk), actor=request.user, reason=body.reason)
    return duty_out(_duty(request, pk))


@router.post(
    "/duties/{pk}/swap",
    response=answers(SwapOut, status=201),
    summary=gettext_lazy("换班 Ask that another person take my duty"),
)
def ask_swap(request: HttpRequest, pk: Id, body: SwapIn) -> Status[SwapOut]:
    from civicgrid.people.views import swap_candidates

    duty = _duty(request, pk)
    taker = swap_candidates(duty).filter(pk=body.taker).first()
    if taker is None:
        raise Invalid(str(gettext_lazy("Choose who takes the duty.")), field="taker")
    return Status(
        201, swap_out(actions.ask_swap(duty, actor=request.user, taker=taker, reason=body.reason))
    )


@router.post(
    "/swaps/{pk}/decide",
    response=answers(SwapOut),
    summary=gettext_lazy("Approve or refuse a swap (staff of the roster's unit)"),
)
def decide_swap(request: HttpRequest, pk: Id, body: DecisionIn) -> SwapOut:
    rosters = Roster.objects.visible_to(request.user).values("pk")
    swap = DutySwap.objects.filter(pk=pk, duty__roster__in=rosters).select_related("duty").first()
    if swap is None:
        raise NotFound(str(gettext_lazy("No such swap that you may see.")))
    return swap_out(
        actions.decide_swap(swap, actor=request.user, approve=body.approve, note=body.note)
    )


# --- people ---------------------------------------------------------------------------------


@router.get(
    "",
    response=answers(list[PersonOut]),
    summary=gettext_lazy("The people in the grids I may see"),
    description=gettext_lazy(
        "A volunteer sees their own grid's people, a community its grids', the district "
        "everyone. Phones are masked. Paged by id: pass the last id seen as after."
    ),
)
def list_people(
    request: HttpRequest,
    kind: KindKey | None = None,
    grid: str | None = Query(None, max_length=40),
    after: Id | None = None,
) -> list[PersonOut]:
    rows = Person.objects.visible_to(request.user).filter(active=True)
    if kind:
        rows = rows.filter(KINDS[kind])
    if grid:
        rows = rows.filter(home_grid__code=grid)
    if after:
        rows = rows.filter(pk__gt=after)
    rows = rows.select_related("home_grid", "branch", "reports_to", "employer").order_by("pk")
    return [person_out(p) for p in rows[:500]]


@router.post(
    "",
    response=answers(PersonOut, status=201),
    summary=gettext_lazy("登记 Register a party member, cadre or volunteer (staff of the unit)"),
)
def add_person(request: HttpRequest, body: PersonIn) -> Status[PersonOut]:
    branch = None
    if body.branch is not None:
        branch = PartyBranch.objects.filter(pk=body.branch).first()
        if branch is None:
            raise Invalid(str(gettext_lazy("Unknown party branch.")), field="branch")
    profile = actions.Profile(
        name=body.name,
        phone=body.phone,
        home_grid=_unit(body.home_grid, "home_grid"),
        party_member=body.party_member,
        branch=branch,
        in_service=body.in_service,
        reports_to=_unit(body.reports_to, "reports_to"),
        cadre=body.cadre,
        employer=_unit(body.employer, "employer"),
        volunteer=body.volunteer,
        skills=body.skills,
        availability=body.availability,
    )
    return Status(201, person_out(actions.add_person(profile, actor=request.user)))


@router.get("/{pk}", response=answers(PersonOut), summary=gettext_lazy("A person in the grids"))
def get_person(request: HttpRequest, pk: Id) -> PersonOut:
    return person_out(visible_person(request.user, pk))


@router.post(
    "/{pk}/phone",
    response=answers(PhoneOut),
    summary=gettext_lazy("A person's whole phone number (logged with the reason)"),
)
def reveal_phone(request: HttpRequest, pk: Id, body: RevealIn) -> PhoneOut:
    person = visible_person(request.user, pk)
    return PhoneOut(phone=actions.reveal_phone(person, actor=request.user, reason=body.reason))


@router.get(
    "/{pk}/posts",
    response=answers(list[PostOut]),
    summary=gettext_lazy("A person's grid posts"),
)
def list_posts(request: HttpRequest, pk: Id) -> list[PostOut]:
    person = visible_person(request.user, pk)
    return [
        PostOut(id=p.pk, grid=p.grid.code, role=p.role, building=p.building, since=p.since)
        for p in person.posts.select_related("grid")
    ]


@router.post(
    "/{pk}/posts",
    response=answers(PostOut, status=201),
    summary=gettext_lazy("任命 Give a person a grid post (网格长, 网格员, 楼栋长)"),
)
def assign_post(request: HttpRequest, pk: Id, body: PostIn) -> Status[PostOut]:
    person = visible_person(request.user, pk)
    grid = _unit(body.grid, "grid")
    if grid is None:
        raise Invalid(str(gettext_lazy("A post is in a grid.")), field="grid")
    post = actions.assign_post(
        person, actor=request.user, grid=grid, role=body.role, building=body.building
    )
    return Status(
        201,
        PostOut(
            id=post.pk, grid=grid.code, role=post.role, building=post.building, since=post.since
        ),
    )

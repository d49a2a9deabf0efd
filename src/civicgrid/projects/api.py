"""The projects API (项目监督): the projects one may see with their budget, milestones,
monitors (phones masked; whole only through the logged reveal) and observations; a
monitor's own projects and their filing (multipart, with photos); and the public
progress of a project without login (monitors' names masked, no contact). The same
refusals as the pages: what a person may not see is a 404, a change they may not make
a 403."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.responses import Status

from civicgrid.cases.models import mask_phone
from civicgrid.errors import Invalid, NotFound, answers
from civicgrid.inputs import Id
from civicgrid.org.models import Unit, User
from civicgrid.projects import actions
from civicgrid.projects.models import (
    Milestone,
    Monitor,
    MonitorRole,
    Observation,
    ObservationKind,
    Project,
    ProjectKind,
    percent_of,
)
from civicgrid.projects.views import public_observations, public_project, visible_project

router = Router(tags=["projects"])

KindKey = Literal[tuple(ProjectKind.values)]  # type: ignore[valid-type]
RoleKey = Literal[tuple(MonitorRole.values)]  # type: ignore[valid-type]
ObservationKey = Literal[tuple(["", *ObservationKind.values])]  # type: ignore[valid-type]


class MilestoneOut(Schema):
    id: int
    name: str
    planned_on: date
    done_on: date | None
    weight: int


class BudgetLineOut(Schema):
    id: int
    item: str
    amount: Decimal = Field(description="yuan")


class MonitorOut(Schema):
    id: int
    name: str
    phone: str = Field(description="masked (138****1234); whole only through the reveal")
    role: str
    active: bool
    recruited_on: date
    retired_on: date | None


class ObservationOut(Schema):
    id: int
    monitor: int
    observed_on: date
    kind: str
    text: str
    problem: bool
    case: str | None = Field(description="the tracking code of the case it became")
    photos: list[int] = Field(description="GET /projects/{project}/photos/{id} (the page)")


class ProjectOut(Schema):
    id: int
    name: str
    kind: str
    department: str = Field(description="the responsible department's code")
    unit: str = Field(description="the code of the street or community where it lies")
    state: str
    description: str
    address: str
    percent_done: int = Field(description="the weights of done milestones over all, in %")
    milestones: list[MilestoneOut]
    budget_lines: list[BudgetLineOut]
    monitors: list[MonitorOut]


class ProjectIn(Schema):
    name: str = Field(max_length=120)
    kind: KindKey
    department: str = Field(max_length=40, description="the responsible department's code")
    unit: str = Field(max_length=40, description="a street's or community's code")
    description: str = ""
    address: str = Field("", max_length=200)
    lon: float | None = None
    lat: float | None = None


class BudgetLineIn(Schema):
    item: str = Field(max_length=120)
    amount: Decimal = Field(description="yuan, at most two decimals")


class MilestoneIn(Schema):
    name: str = Field(max_length=120)
    planned_on: date
    weight: int = Field(1, description="1 to 100")


class MilestoneDoneIn(Schema):
    done_on: date | None = Field(None, description="default: today")


class MonitorIn(Schema):
    name: str = Field(max_length=60)
    phone: str = Field(max_length=20)
    role: RoleKey
    username: str = Field("", max_length=150, description="their account, for the phone page")


class RevealIn(Schema):
    reason: str = Field(max_length=200, description="why the number is needed (logged)")


class PhoneOut(Schema):
    phone: str


class ObservationCaseIn(Schema):
    note: str = Field("", max_length=500)


class ObservationCaseOut(Schema):
    case: str = Field(description="the new case's tracking code")


class ProjectEventOut(Schema):
    action: str
    actor: str | None
    at: datetime
    monitor: int | None
    observation: int | None
    note: str
    data: dict[str, object]


class MyProjectOut(Schema):
    monitor: int = Field(description="my seat: file observations through it")
    role: str
    project: int
    name: str
    percent_done: int


class PublicObservationOut(Schema):
    observed_on: date
    kind: str
    role: str
    monitor: str = Field(description="the monitor's family name only (张*)")
    text: str
    to_a_case: bool


class PublicProjectOut(Schema):
    id: int
    name: str
    kind: str
    department: str = Field(description="the responsible department's name")
    unit: str = Field(description="where it lies, by name")
    state: str
    description: str
    percent_done: int
    milestones: list[MilestoneOut]
    observations: list[PublicObservationOut] = Field(description="newest first, masked")


def milestone_out(m: Milestone) -> MilestoneOut:
    return MilestoneOut(
        id=m.pk, name=m.name, planned_on=m.planned_on, done_on=m.done_on, weight=m.weight
    )


def monitor_out(m: Monitor) -> MonitorOut:
    return MonitorOut(
        id=m.pk,
        name=m.name,
        phone=mask_phone(m.phone),
        role=m.role,
        active=m.active,
        recruited_on=m.recruited_on,
        retired_on=m.retired_on,
    )


def project_out(p: Project) -> ProjectOut:
    milestones = list(p.milestones.all())
    return ProjectOut(
        id=p.pk,
        name=p.name,
        kind=p.kind,
        department=p.department.code,
        unit=p.unit.code,
        state=p.state,
        description=p.description,
        address=p.address,
        percent_done=percent_of(milestones),
        milestones=[milestone_out(m) for m in milestones],
        budget_lines=[
            BudgetLineOut(id=b.pk, item=b.item, amount=b.amount) for b in p.budget_lines.all()
        ],
        monitors=[monitor_out(m) for m in p.monitors.all()],
    )


def observation_out(o: Observation) -> ObservationOut:
    return ObservationOut(
        id=o.pk,
        monitor=o.monitor_id,
        observed_on=o.observed_on,
        kind=o.kind,
        text=o.text,
        problem=o.problem,
        case=o.case.tracking_code if o.case else None,
        photos=[p.pk for p in o.photos.all()],
    )


def _unit(code: str, field: str) -> Unit:
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise Invalid(str(gettext_lazy("Unknown unit.")), field=field)
    return unit


# --- the public and the monitor's own (before /{pk}: their paths are words) ------------------


@router.get(
    "/public/{pk}",
    response=answers(PublicProjectOut, public=True),
    auth=None,
    summary=gettext_lazy("A project's public progress (no login; monitors' names masked)"),
)
def public_progress(request: HttpRequest, pk: Id) -> PublicProjectOut:
    project = public_project(pk)
    milestones = list(project.milestones.all())
    return PublicProjectOut(
        id=project.pk,
        name=project.name,
        kind=project.kind,
        department=project.department.name,
        unit=project.unit.name,
        state=project.state,
        description=project.description,
        percent_done=percent_of(milestones),
        milestones=[milestone_out(m) for m in milestones],
        observations=[PublicObservationOut(**vars(o)) for o in public_observations(project)],
    )


@router.get(
    "/mine",
    response=answers(list[MyProjectOut]),
    summary=gettext_lazy("The projects I monitor"),
)
def my_projects(request: HttpRequest) -> list[MyProjectOut]:
    seats = Monitor.objects.filter(user=request.user, active=True).select_related("project")
    return [
        MyProjectOut(
            monitor=s.pk,
            role=s.role,
            project=s.project_id,
            name=s.project.name,
            percent_done=s.project.percent_done(),
        )
        for s in seats.order_by("project__name", "role")
    ]


TEXT_FIELD = Form(..., description="what was seen")
KIND_FIELD = Form("", description="progress or quality (default: the monitor's role)")
PROBLEM_FIELD = Form(False, description="a problem: it becomes a case at once")
DAY_FIELD = Form(None, description="the day observed (default: today)")
PHOTO_FILES = File(None, description="JPEG, PNG or WebP; up to 3")


@router.post(
    "/monitors/{monitor}/observations",
    response=answers(ObservationOut, status=201),
    summary=gettext_lazy("报告 File an observation as the monitor (multipart, photos optional)"),
)
def file_observation(
    request: HttpRequest,
    monitor: Id,
    text: str = TEXT_FIELD,
    kind: ObservationKey = KIND_FIELD,
    problem: bool = PROBLEM_FIELD,
    observed_on: date | None = DAY_FIELD,
    photos: list[UploadedFile] | None = PHOTO_FILES,
) -> Status[ObservationOut]:
    seat = Monitor.objects.filter(pk=monitor, user=request.user).select_related("project").first()
    if seat is None:
        raise NotFound(str(gettext_lazy("No such monitor of yours.")))
    files = photos or []
    observation = actions.file_observation(
        seat,
        actor=request.user,
        text=text,
        kind=kind,
        problem=problem,
        observed_on=observed_on,
        photos=files,
        photo_names=[f.name or "" for f in files],
    )
    return Status(201, observation_out(observation))


# --- projects ----------------------------------------------------------------------------------


@router.get(
    "",
    response=answers(list[ProjectOut]),
    summary=gettext_lazy("The projects I may see, newest first"),
)
def list_projects(request: HttpRequest) -> list[ProjectOut]:
    rows = (
        Project.objects.visible_to(request.user)
        .select_related("department", "unit")
        .prefetch_related("milestones", "budget_lines", "monitors")
        .order_by("-created_at", "-pk")[:500]
    )
    return [project_out(p) for p in rows]


@router.post(
    "",
    response=answers(ProjectOut, status=201),
    summary=gettext_lazy("立项 Create a project (the responsible department or the district)"),
)
def create_project(request: HttpRequest, body: ProjectIn) -> Status[ProjectOut]:
    project = actions.create_project(
        actions.Plan(
            name=body.name,
            kind=body.kind,
            department=_unit(body.department, "department"),
            unit=_unit(body.unit, "unit"),
            description=body.description,
            address=body.address,
            lon=body.lon,
            lat=body.lat,
        ),
        actor=request.user,
    )
    return Status(201, project_out(project))


@router.get(
    "/{pk}",
    response=answers(ProjectOut),
    summary=gettext_lazy("A project with its budget, milestones and monitors"),
)
def get_project(request: HttpRequest, pk: Id) -> ProjectOut:
    return project_out(visible_project(request.user, pk))


@router.post(
    "/{pk}/budget-lines",
    response=answers(BudgetLineOut, status=201),
    summary=gettext_lazy("Add a budget line (the responsible department or the district)"),
)
def add_budget_line(request: HttpRequest, pk: Id, body: BudgetLineIn) -> Status[BudgetLineOut]:
    line = actions.add_budget_line(
        visible_project(request.user, pk), actor=request.user, item=body.item, amount=body.amount
    )
    return Status(201, BudgetLineOut(id=line.pk, item=line.item, amount=line.amount))


@router.post(
    "/{pk}/milestones",
    response=answers(MilestoneOut, status=201),
    summary=gettext_lazy("Add a milestone (the responsible department or the district)"),
)
def add_milestone(request: HttpRequest, pk: Id, body: MilestoneIn) -> Status[MilestoneOut]:
    milestone = actions.add_milestone(
        visible_project(request.user, pk),
        actor=request.user,
        name=body.name,
        planned_on=body.planned_on,
        weight=body.weight,
    )
    return Status(201, milestone_out(milestone))


@router.post(
    "/{pk}/milestones/{milestone}/done",
    response=answers(MilestoneOut),
    summary=gettext_lazy("Mark a milestone done (the responsible department or the district)"),
)
def complete_milestone(
    request: HttpRequest, pk: Id, milestone: Id, body: MilestoneDoneIn
) -> MilestoneOut:
    project = visible_project(request.user, pk)
    found = project.milestones.filter(pk=milestone).first()
    if found is None:
        raise NotFound(str(gettext_lazy("No such milestone in this project.")))
    return milestone_out(
        actions.complete_milestone(found, actor=request.user, done_on=body.done_on)
    )


@router.post(
    "/{pk}/monitors",
    response=answers(MonitorOut, status=201),
    summary=gettext_lazy("招募 Recruit a resident as a progress or quality monitor"),
)
def recruit_monitor(request: HttpRequest, pk: Id, body: MonitorIn) -> Status[MonitorOut]:
    user = None
    if body.username:
        user = User.objects.filter(username=body.username, is_active=True).first()
        if user is None:
            raise Invalid(str(gettext_lazy("No such account.")), field="username")
    monitor = actions.recruit_monitor(
        visible_project(request.user, pk),
        actor=request.user,
        name=body.name,
        phone=body.phone,
        role=body.role,
        user=user,
    )
    return Status(201, monitor_out(monitor))


def _seat(request: HttpRequest, pk: int, monitor: int) -> Monitor:
    """Monitor ``monitor`` of project ``pk``, which the user may see (else 404)."""
    seat = visible_project(request.user, pk).monitors.filter(pk=monitor).first()
    if seat is None:
        raise NotFound(str(gettext_lazy("No such monitor of this project.")))
    return seat


@router.post(
    "/{pk}/monitors/{monitor}/retire",
    response=answers(MonitorOut),
    summary=gettext_lazy("A monitor stops watching the project (their observations stay)"),
)
def retire_monitor(request: HttpRequest, pk: Id, monitor: Id) -> MonitorOut:
    return monitor_out(actions.retire_monitor(_seat(request, pk, monitor), actor=request.user))


@router.post(
    "/{pk}/monitors/{monitor}/phone",
    response=answers(PhoneOut),
    summary=gettext_lazy("A monitor's whole phone number (the reason is logged)"),
)
def reveal_phone(request: HttpRequest, pk: Id, monitor: Id, body: RevealIn) -> PhoneOut:
    seat = _seat(request, pk, monitor)
    return PhoneOut(phone=actions.reveal_phone(seat, actor=request.user, reason=body.reason))


@router.get(
    "/{pk}/observations",
    response=answers(list[ObservationOut]),
    summary=gettext_lazy("A project's observations, newest first"),
)
def list_observations(request: HttpRequest, pk: Id) -> list[ObservationOut]:
    project = visible_project(request.user, pk)
    rows = project.observations.select_related("case").prefetch_related("photos")[:500]
    return [observation_out(o) for o in rows]


@router.post(
    "/{pk}/observations/{observation}/case",
    response=answers(ObservationCaseOut, status=201),
    summary=gettext_lazy("转为工单 Make a case of an observation"),
)
def make_case(
    request: HttpRequest, pk: Id, observation: Id, body: ObservationCaseIn
) -> Status[ObservationCaseOut]:
    project = visible_project(request.user, pk)
    found = project.observations.select_related("monitor").filter(pk=observation).first()
    if found is None:
        raise NotFound(str(gettext_lazy("No such observation of this project.")))
    case = actions.make_case(found, actor=request.user, note=body.note)
    return Status(201, ObservationCaseOut(case=case.tracking_code))


@router.get(
    "/{pk}/events",
    response=answers(list[ProjectEventOut]),
    summary=gettext_lazy("A project's log, newest first"),
)
def list_events(request: HttpRequest, pk: Id) -> list[ProjectEventOut]:
    project = visible_project(request.user, pk)
    return [
        ProjectEventOut(
            action=e.action,
            actor=e.actor.username if e.actor else None,
            at=e.at,
            monitor=e.monitor_id,
            observation=e.observation_id,
            note=e.note,
            data=e.data,
        )
        for e in project.events.select_related("actor")[:200]
    ]

"""Every change to a project, its budget, its milestones, its monitors and their
observations: one function per change, named for what happens, with an explicit
``actor``; the only writers of these rows and of the app's log.

Each runs in one transaction through ``record``: it locks the project, refuses an actor
without the right (403, ``permissions.RULES``) before anything the state forbids (409),
makes its change, and writes exactly one ``ProjectEvent``. ``actor`` None is the system
(the demo, an import): no right is checked.

An observation the monitor marks as a problem becomes a case at once, in the same
transaction (``make_case`` after ``file_observation``): a monitor is a resident the
district recruited, whose word any resident's request would already carry into the
loop without a review; the dispatchers triage it like any case. Staff may make a case
of an observation the monitor did not mark (a progress report showing a delay).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Generic, TypeVar

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicgrid import inputs
from civicgrid.cases import clock
from civicgrid.cases.models import Case, Channel
from civicgrid.cases.photos import (
    CheckedPhoto,
    check_photo,
    check_photos,
    discard_on_failure,
    open_photo,
    stage_files,
)
from civicgrid.cases.rules import need_text
from civicgrid.errors import Conflict, Invalid
from civicgrid.org.models import COMMUNITY_KINDS, Unit, UnitKind, User
from civicgrid.projects import permissions
from civicgrid.projects.models import (
    MAX_AMOUNT,
    OBSERVATION_PHOTOS,
    BudgetLine,
    Milestone,
    Monitor,
    MonitorRole,
    Observation,
    ObservationKind,
    ObservationPhoto,
    Project,
    ProjectAction,
    ProjectEvent,
    ProjectKind,
    ProjectState,
)

T = TypeVar("T")

PROJECT_UNIT_KINDS = frozenset({UnitKind.STREET, *COMMUNITY_KINDS})


@dataclass(frozen=True)
class Done(Generic[T]):
    """What a change made: its result, and what its one event says."""

    result: T
    monitor: Monitor | None = None
    observation: Observation | None = None
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def record(
    action: str,
    actor: User | None,
    project: Project,
    change: Callable[[Project], Done[T]],
    *,
    about: Monitor | None = None,
) -> T:
    """Lock ``project``, refuse an ``actor`` without the right to ``action`` over it (or
    over their own ``about``), run ``change`` on the locked project, and append the one
    event; all or nothing."""
    with transaction.atomic():
        locked = (
            Project.objects.select_for_update()
            .select_related("department", "unit")
            .get(pk=project.pk)
        )
        if actor is not None:
            permissions.check(action, actor, locked.department, locked.unit, about)
        done = change(locked)
        ProjectEvent.objects.create(
            action=action,
            actor=actor if actor is not None and actor.is_authenticated else None,
            at=clock.now(),
            project=locked,
            monitor=done.monitor,
            observation=done.observation,
            note=done.note,
            data=done.data,
        )
    return done.result


def today() -> date:
    return clock.today()


# --- projects --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """A project as a form or the API hands one in (before checks)."""

    name: str
    kind: str
    department: Unit
    unit: Unit
    description: str = ""
    address: str = ""
    lon: object = None
    lat: object = None


def create_project(plan: Plan, *, actor: User | None) -> Project:
    """立项: the responsible department (or the district) enters a project, where it lies."""
    name = inputs.text(need_text(plan.name, _("A project needs a name.")), "name", max_length=120)
    if plan.kind not in ProjectKind.values:
        raise Invalid(_("Choose the kind of project."), field="kind")
    if plan.department.kind != UnitKind.DEPARTMENT:
        raise Invalid(_("The responsible unit must be a department."), field="department")
    if plan.unit.kind not in PROJECT_UNIT_KINDS:
        raise Invalid(_("A project lies in a street or a community."), field="unit")
    description = inputs.text((plan.description or "").strip(), "description")
    address = inputs.text((plan.address or "").strip(), "address", max_length=200)
    point = inputs.coordinate(plan.lon, plan.lat)
    if actor is not None:
        permissions.check(ProjectAction.CREATE_PROJECT, actor, plan.department, plan.unit)

    with transaction.atomic():
        project = Project.objects.create(
            name=name,
            kind=plan.kind,
            department=plan.department,
            unit=plan.unit,
            description=description,
            address=address,
            lon=point[0] if point else None,
            lat=point[1] if point else None,
        )

        def change(locked: Project) -> Done[Project]:
            return Done(
                locked,
                note=name,
                data={
                    "kind": plan.kind,
                    "department": plan.department.code,
                    "unit": plan.unit.code,
                },
            )

        return record(ProjectAction.CREATE_PROJECT, actor, project, change)


def _amount(value: object) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise Invalid(_("The amount must be a number of yuan."), field="amount") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise Invalid(_("The amount must be a number of yuan."), field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise Invalid(_("The amount has at most two decimals (fen)."), field="amount")
    return amount.quantize(Decimal("0.01"))


def add_budget_line(
    project: Project, *, actor: User | None, item: str, amount: object
) -> BudgetLine:
    """预算: a line of the project's budget, in yuan."""
    item = inputs.text(need_text(item, _("A budget line needs an item.")), "item", max_length=120)
    yuan = _amount(amount)

    def change(locked: Project) -> Done[BudgetLine]:
        line = BudgetLine.objects.create(project=locked, item=item, amount=yuan)
        return Done(line, note=item, data={"line": line.pk, "amount": str(yuan)})

    return record(ProjectAction.ADD_BUDGET_LINE, actor, project, change)


def add_milestone(
    project: Project, *, actor: User | None, name: str, planned_on: date, weight: int = 1
) -> Milestone:
    """节点: a step of the project, planned for a day, with its weight in the percentage."""
    name = inputs.text(need_text(name, _("A milestone needs a name.")), "name", max_length=120)
    if not isinstance(planned_on, date):
        raise Invalid(_("Give the day the milestone is planned for."), field="planned_on")
    if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= 100:
        raise Invalid(_("A milestone's weight is a whole number from 1 to 100."), field="weight")

    def change(locked: Project) -> Done[Milestone]:
        if locked.state == ProjectState.COMPLETED:
            raise Conflict(_("This project is completed."))
        milestone = Milestone.objects.create(
            project=locked, name=name, planned_on=planned_on, weight=weight
        )
        return Done(
            milestone,
            note=name,
            data={
                "milestone": milestone.pk,
                "planned_on": planned_on.isoformat(),
                "weight": weight,
            },
        )

    return record(ProjectAction.ADD_MILESTONE, actor, project, change)


def complete_milestone(
    milestone: Milestone, *, actor: User | None, done_on: date | None = None
) -> Milestone:
    """节点完成: a milestone is done on a day (today by default). The project is underway
    from its first done milestone and completed with its last."""
    day = done_on or today()
    if not isinstance(day, date) or day > today():
        raise Invalid(_("A milestone cannot be done in the future."), field="done_on")

    def change(locked: Project) -> Done[Milestone]:
        fresh = Milestone.objects.filter(pk=milestone.pk, project=locked).first()
        if fresh is None:
            raise Invalid(_("No such milestone in this project."), field="milestone")
        if fresh.done_on is not None:
            raise Conflict(_("This milestone is already done."))
        fresh.done_on = day
        fresh.save(update_fields=["done_on"])
        before = locked.state
        open_left = locked.milestones.filter(done_on=None).exists()
        locked.state = ProjectState.UNDERWAY if open_left else ProjectState.COMPLETED
        if locked.state != before:
            locked.save(update_fields=["state"])
        return Done(
            fresh,
            note=fresh.name,
            data={
                "milestone": fresh.pk,
                "done_on": day.isoformat(),
                "percent": locked.percent_done(),
                "state": [before, locked.state],
            },
        )

    return record(ProjectAction.COMPLETE_MILESTONE, actor, milestone.project, change)


# --- monitors ----------------------------------------------------------------------------------


def recruit_monitor(
    project: Project,
    *,
    actor: User | None,
    name: str,
    phone: str,
    role: str,
    user: User | None = None,
) -> Monitor:
    """招募: a resident becomes a project's 进度员 or 质监员 (with an account, for the
    phone page)."""
    from civicgrid.intake.actions import check_phone

    name = inputs.text(need_text(name, _("A monitor needs a name.")), "name", max_length=60)
    phone = check_phone(phone, required=True)
    if role not in MonitorRole.values:
        raise Invalid(_("Choose the monitor's role."), field="role")

    def change(locked: Project) -> Done[Monitor]:
        if locked.state == ProjectState.COMPLETED:
            raise Conflict(_("This project is completed."))
        try:
            with transaction.atomic():
                monitor = Monitor.objects.create(
                    project=locked,
                    name=name,
                    phone=phone,
                    role=role,
                    user=user,
                    recruited_on=today(),
                )
        except IntegrityError:
            raise Conflict(_("This account already monitors the project in this role.")) from None
        return Done(monitor, monitor, data={"role": role, "account": user is not None})

    return record(ProjectAction.RECRUIT_MONITOR, actor, project, change)


def retire_monitor(monitor: Monitor, *, actor: User | None) -> Monitor:
    """A monitor stops watching the project (moved away, asked to stop, the seat given to
    another): their observations stay on record, they file no more, and their phone page
    no longer lists the project; the same account may be recruited again."""

    def change(locked: Project) -> Done[Monitor]:
        fresh = Monitor.objects.filter(pk=monitor.pk, project=locked).first()
        if fresh is None or not fresh.active:
            raise Conflict(_("This monitor no longer watches the project."))
        fresh.active, fresh.retired_on = False, today()
        fresh.save(update_fields=["active", "retired_on"])
        return Done(fresh, fresh, data={"role": fresh.role})

    return record(ProjectAction.RETIRE_MONITOR, actor, monitor.project, change)


def reveal_phone(monitor: Monitor, *, actor: User, reason: str) -> str:
    """The monitor's whole phone number, to staff who call them, each time logged with
    the reason (as a person's in the grids is: ``people.actions.reveal_phone``)."""

    def change(_locked: Project) -> Done[str]:
        why = (reason or "").strip()
        if len(why) < 2:
            raise Invalid(_("Say why you need the number (it is logged)."), field="reason")
        return Done(monitor.phone, monitor, note=inputs.text(why[:200], "reason"))

    return record(ProjectAction.REVEAL_PHONE, actor, monitor.project, change)


# --- observations ------------------------------------------------------------------------------


def file_observation(
    monitor: Monitor,
    *,
    actor: User | None,
    text: str,
    kind: str = "",
    problem: bool = False,
    observed_on: date | None = None,
    photos: Sequence[IO[bytes]] = (),
    photo_names: Sequence[str] = (),
) -> Observation:
    """报告: a monitor files what they saw on a day (today by default), with photos. An
    observation marked as a problem becomes a case at once (``make_case``)."""
    text = inputs.text(need_text(text, _("Please describe what you saw.")), "text")
    kind = kind or (
        ObservationKind.QUALITY if monitor.role == MonitorRole.QUALITY else ObservationKind.PROGRESS
    )
    if kind not in ObservationKind.values:
        raise Invalid(_("Choose progress or quality."), field="kind")
    day = observed_on or today()
    if not isinstance(day, date) or day > today():
        raise Invalid(_("An observation cannot be dated in the future."), field="observed_on")
    checked = check_photos(list(photos), list(photo_names))  # 400 before anything is locked

    def change(locked: Project) -> Done[Observation]:
        fresh = Monitor.objects.filter(pk=monitor.pk, project=locked).first()
        if fresh is None or not fresh.active:
            raise Conflict(_("This monitor no longer watches the project."))
        if locked.state == ProjectState.COMPLETED:
            raise Conflict(_("This project is completed."))
        observation = Observation.objects.create(
            project=locked,
            monitor=fresh,
            observed_on=day,
            kind=kind,
            text=text,
            problem=bool(problem),
            filed_at=clock.now(),
        )
        staged = stage_files(checked, folder=OBSERVATION_PHOTOS)
        ObservationPhoto.objects.bulk_create(
            ObservationPhoto(observation=observation, name=name, width=p.width, height=p.height)
            for name, p in staged
        )
        return Done(
            observation,
            fresh,
            observation,
            data={
                "kind": kind,
                "problem": bool(problem),
                "observed_on": day.isoformat(),
                "photos": [name for name, _p in staged],
            },
        )

    with discard_on_failure(), transaction.atomic():
        observation = record(
            ProjectAction.FILE_OBSERVATION, actor, monitor.project, change, about=monitor
        )
        if problem:
            observation.case = make_case(observation, actor=actor, photos=checked)
    return observation


def _photos_of(observation: Observation) -> list[CheckedPhoto]:
    found = []
    for photo in observation.photos.all():
        with open_photo(photo.name) as content:
            found.append(check_photo(content, name=photo.name))
    return found


def make_case(
    observation: Observation,
    *,
    actor: User | None,
    note: str = "",
    photos: Sequence[CheckedPhoto] | None = None,
) -> Case:
    """转为工单: the observation goes into the normal loop as a case (channel 项目监督),
    with its photos and the project's place; the monitor is the case's contact (masked
    there as every resident's contact is). ``photos``: already checked (when filed)."""
    from civicgrid.intake.actions import IntakeRequest, receive

    note = inputs.text((note or "").strip(), "note")
    monitor = observation.monitor

    def change(locked: Project) -> Done[Case]:
        fresh = Observation.objects.select_for_update().get(pk=observation.pk)
        if fresh.case_id is not None:
            raise Conflict(_("This observation is already a case."))
        text = _("%(role)s of the project %(project)s reports (%(day)s): %(text)s") % {
            "role": monitor.get_role_display(),
            "project": locked.name,
            "day": fresh.observed_on.isoformat(),
            "text": fresh.text,
        }
        if note:
            text = f"{text}\n{note}"
        request = IntakeRequest(
            text=text,
            title=f"{locked.name}：{fresh.text}"[:120],
            lon=locked.lon,
            lat=locked.lat,
            address=locked.address or locked.unit.name,
            name=monitor.name,
            phone=monitor.phone,
        )
        checked = list(photos) if photos is not None else _photos_of(fresh)
        case = receive(request, channel=Channel.PROJECT, checked_photos=checked)
        fresh.case = case
        fresh.problem = True
        fresh.save(update_fields=["case", "problem"])
        return Done(case, monitor, fresh, note, {"case": case.tracking_code})

    return record(ProjectAction.MAKE_CASE, actor, observation.project, change, about=monitor)

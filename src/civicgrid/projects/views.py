"""The pages of project monitoring: the staff's list and a project's page (budget,
milestones, monitors with masked phones, observations with their photos and cases, the
log), the monitor's phone page (``/projects/me/``: my projects, file an observation with
a photo), and the public progress page without login (``/public/projects/<id>/``:
milestones, percentage done, observations with the monitors' names masked, no phone, no
account, no photo).

Thin: projects come through ``visible_to`` (else 404), rights through ``permissions``,
every change through ``projects.actions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid import inputs, sheets
from civicgrid.cases.models import Case, Channel, mask_phone
from civicgrid.cases.photos import open_photo
from civicgrid.errors import Invalid, Refusal
from civicgrid.org.models import Unit, UnitKind, User
from civicgrid.people.views import act, back
from civicgrid.privacy.masking import mask_personal_data
from civicgrid.projects import actions, export, permissions
from civicgrid.projects.models import (
    Milestone,
    Monitor,
    MonitorRole,
    Observation,
    ObservationKind,
    ObservationPhoto,
    Project,
    ProjectAction,
    ProjectKind,
    mask_name,
    percent_of,
)
from civicgrid.web import access
from civicgrid.web.access import roles_required

PAGE = 200


def visible_project(user: User, pk: int) -> Project:
    project = (
        Project.objects.visible_to(user).select_related("department", "unit").filter(pk=pk).first()
    )
    if project is None:
        raise Http404(_("No project %(id)s that you may see.") % {"id": pk})
    return project


def public_project(pk: int) -> Project:
    """A project the public may follow (every project is public, as 民生实事 are)."""
    project = Project.objects.select_related("department", "unit").filter(pk=pk).first()
    if project is None:
        raise Http404(_("No such project."))
    return project


def _monitor(project: Project, pk: object, field: str = "monitor") -> Monitor:
    monitor_id = inputs.whole_number(pk, field, 1, inputs.ID_MAX)
    monitor = project.monitors.filter(pk=monitor_id).first()
    if monitor is None:
        raise Http404(_("No such monitor of this project."))
    return monitor


# --- staff pages ---------------------------------------------------------------------------


def creatable(user: User) -> tuple[list[Unit], list[Unit]]:
    """The departments ``user`` may create projects for, and where projects may lie."""
    departments = [
        d
        for d in Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True).order_by("code")[:200]
        if permissions.MANAGER in permissions.sides(user, d, d)
    ]
    if not departments:
        return [], []
    places = list(
        Unit.objects.filter(kind__in=actions.PROJECT_UNIT_KINDS, active=True).order_by("path")[
            :2000
        ]
    )
    return departments, places


@roles_required(access.STAFF)
def project_list(request: HttpRequest) -> HttpResponse:
    """项目: the projects one's department answers for or that lie in one's scope."""
    rows = list(
        Project.objects.visible_to(request.user)
        .select_related("department", "unit")
        .prefetch_related("milestones")
        .order_by("-created_at", "-pk")[:PAGE]
    )
    departments, places = creatable(request.user)
    return render(
        request,
        "projects/list.html",
        {
            "projects": rows,
            "more": len(rows) == PAGE,
            "departments": departments,
            "places": places,
            "kinds": ProjectKind.choices,
        },
    )


@roles_required(access.STAFF)
def export_projects(request: HttpRequest) -> HttpResponse:
    """项目台账: the projects the list shows, as an Excel workbook."""
    response = HttpResponse(
        export.projects_workbook(Project.objects.visible_to(request.user)),
        content_type=sheets.CONTENT_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename()}"'
    return response


@require_POST
@roles_required(access.STAFF)
def create_project(request: HttpRequest) -> HttpResponse:
    post = request.POST

    def change() -> Project:
        department = _unit(post.get("department", ""), "department")
        unit = _unit(post.get("unit", ""), "unit")
        return actions.create_project(
            actions.Plan(
                name=post.get("name", ""),
                kind=post.get("kind", ""),
                department=department,
                unit=unit,
                description=post.get("description", ""),
                address=post.get("address", ""),
            ),
            actor=request.user,
        )

    project = act(request, change, _("The project is created."))
    if isinstance(project, Project):
        return redirect("projects:project", pk=project.pk)
    return redirect("projects:list")


def _unit(value: str, field: str) -> Unit:
    pk = inputs.whole_number(value, field, 1, inputs.ID_MAX)
    unit = Unit.objects.filter(pk=pk).first()
    if unit is None:
        raise Invalid(_("Choose a unit."), field=field)
    return unit


@dataclass(frozen=True)
class MonitorLine:
    monitor: Monitor
    phone: str
    may_reveal: bool


def _project_page(
    request: HttpRequest, project: Project, revealed: tuple[int, str] | None = None
) -> HttpResponse:
    user = request.user
    milestones = list(project.milestones.all())
    may_call = permissions.may(ProjectAction.REVEAL_PHONE, user, project)
    monitors = [
        MonitorLine(
            m,
            revealed[1] if revealed and revealed[0] == m.pk else mask_phone(m.phone),
            may_call,
        )
        for m in project.monitors.select_related("user").order_by("role", "pk")
    ]
    observations = list(
        project.observations.select_related("monitor", "case").prefetch_related("photos")[:PAGE]
    )
    context: dict[str, Any] = {
        "project": project,
        "percent": percent_of(milestones),
        "milestones": milestones,
        "budget": list(project.budget_lines.all()),
        "total": sum((b.amount for b in project.budget_lines.all()), start=0),
        "monitors": monitors,
        "revealed": revealed[0] if revealed else None,
        "observations": observations,
        "events": list(project.events.select_related("actor", "monitor")[:100]),
        "may_manage": permissions.may(ProjectAction.ADD_MILESTONE, user, project),
        "may_recruit": permissions.may(ProjectAction.RECRUIT_MONITOR, user, project),
        "may_make_case": permissions.may(ProjectAction.MAKE_CASE, user, project),
        "roles": MonitorRole.choices,
        "today": actions.today(),
    }
    return render(request, "projects/project.html", context)


@login_required
def project_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _project_page(request, visible_project(request.user, pk))


@require_POST
@login_required
def add_budget_line(request: HttpRequest, pk: int) -> HttpResponse:
    project = visible_project(request.user, pk)
    act(
        request,
        lambda: actions.add_budget_line(
            project,
            actor=request.user,
            item=request.POST.get("item", ""),
            amount=request.POST.get("amount", ""),
        ),
        _("The budget line is added."),
    )
    return redirect("projects:project", pk=project.pk)


@require_POST
@login_required
def add_milestone(request: HttpRequest, pk: int) -> HttpResponse:
    project = visible_project(request.user, pk)
    post = request.POST
    act(
        request,
        lambda: actions.add_milestone(
            project,
            actor=request.user,
            name=post.get("name", ""),
            planned_on=inputs.day(post.get("planned_on", ""), _("planned day")),
            weight=inputs.whole_number(post.get("weight", "1") or "1", "weight", 1, 100),
        ),
        _("The milestone is added."),
    )
    return redirect("projects:project", pk=project.pk)


@require_POST
@login_required
def complete_milestone(request: HttpRequest, pk: int, milestone: int) -> HttpResponse:
    project = visible_project(request.user, pk)
    found = Milestone.objects.filter(pk=milestone, project=project).first()
    if found is None:
        raise Http404(_("No such milestone in this project."))
    act(
        request,
        lambda: actions.complete_milestone(found, actor=request.user),
        _("The milestone is done."),
    )
    return redirect("projects:project", pk=project.pk)


@require_POST
@login_required
def recruit_monitor(request: HttpRequest, pk: int) -> HttpResponse:
    project = visible_project(request.user, pk)
    post = request.POST

    def change() -> Monitor:
        user = None
        username = post.get("username", "").strip()
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise Invalid(_("No such account."), field="username")
        return actions.recruit_monitor(
            project,
            actor=request.user,
            name=post.get("name", ""),
            phone=post.get("phone", ""),
            role=post.get("role", ""),
            user=user,
        )

    act(request, change, _("The monitor is recruited."))
    return redirect("projects:project", pk=project.pk)


@require_POST
@login_required
def retire_monitor(request: HttpRequest, pk: int, monitor: int) -> HttpResponse:
    project = visible_project(request.user, pk)
    seat = _monitor(project, monitor)
    act(
        request,
        lambda: actions.retire_monitor(seat, actor=request.user),
        _("The monitor is retired."),
    )
    return redirect("projects:project", pk=project.pk)


@require_POST
@login_required
def reveal_phone(request: HttpRequest, pk: int, monitor: int) -> HttpResponse:
    """Show the whole number once, on this answer only; the reveal is logged."""
    project = visible_project(request.user, pk)
    seat = _monitor(project, monitor)
    try:
        phone = actions.reveal_phone(
            seat, actor=request.user, reason=request.POST.get("reason", "")
        )
    except Refusal as refusal:
        from django.contrib import messages

        messages.error(request, refusal.message)
        return redirect("projects:project", pk=project.pk)
    return _project_page(request, project, (seat.pk, phone))


@require_POST
@login_required
def make_case(request: HttpRequest, pk: int, observation: int) -> HttpResponse:
    project = visible_project(request.user, pk)
    found = project.observations.select_related("monitor").filter(pk=observation).first()
    if found is None:
        raise Http404(_("No such observation of this project."))
    act(
        request,
        lambda: actions.make_case(found, actor=request.user, note=request.POST.get("note", "")),
        _("The observation is now a case."),
    )
    return redirect("projects:project", pk=project.pk)


@login_required
def photo(request: HttpRequest, pk: int, photo: int) -> HttpResponse:
    """An observation's photo, to those who see the project."""
    project = visible_project(request.user, pk)
    found = ObservationPhoto.objects.filter(pk=photo, observation__project=project).first()
    if found is None:
        raise Http404(_("No such photo."))
    try:
        return FileResponse(open_photo(found.name), filename=found.name.rsplit("/", 1)[-1])
    except Refusal:
        raise Http404(_("No such photo.")) from None


# --- the monitor's phone page ----------------------------------------------------------------


@login_required
def me(request: HttpRequest) -> HttpResponse:
    """我监督的项目: the projects I watch, their percentage, my recent observations, and a
    form to file one (with photos, marked as a problem or not)."""
    seats = list(
        Monitor.objects.filter(user=request.user, active=True)
        .select_related("project__unit")
        .order_by("project__name", "role")
    )
    mine = {
        s.pk: list(s.observations.select_related("case").order_by("-observed_on", "-pk")[:5])
        for s in seats
    }
    return render(
        request,
        "projects/me.html",
        {
            "lines": [(s, s.project.percent_done(), mine[s.pk]) for s in seats],
            "kinds": ObservationKind.choices,
            "today": actions.today(),
        },
    )


@require_POST
@login_required
def file_observation(request: HttpRequest, monitor: int) -> HttpResponse:
    seat = Monitor.objects.filter(pk=monitor, user=request.user).select_related("project").first()
    if seat is None:
        raise Http404(_("No such monitor of yours."))
    post = request.POST
    files = request.FILES.getlist("photos")
    problem = post.get("problem") == "on"

    def change() -> Observation:
        return actions.file_observation(
            seat,
            actor=request.user,
            text=post.get("text", ""),
            kind=post.get("kind", ""),
            problem=problem,
            photos=files,
            photo_names=[f.name or "" for f in files],
        )

    observation = act(
        request,
        change,
        _("Thank you: the observation is filed and sent to the district as a case.")
        if problem
        else _("Thank you: the observation is filed."),
    )
    return back(request, reverse("projects:me")) if observation is None else redirect("projects:me")


# --- the public progress page -----------------------------------------------------------------


@dataclass(frozen=True)
class PublicObservation:
    """An observation as the public reads it: no monitor's name beyond its family name,
    no phone, no account, no photo, no case's code."""

    observed_on: Any
    kind: str
    role: str
    monitor: str
    text: str
    to_a_case: bool


def public_observations(project: Project, limit: int = 50) -> list[PublicObservation]:
    """The project's observations as the public reads them, their words masked too
    (``privacy.masking``: a number or an ID a monitor typed, any monitor's name)."""
    rows = list(project.observations.select_related("monitor")[:limit])
    names = tuple(
        {o.monitor.name for o in rows} | set(project.monitors.values_list("name", flat=True))
    )
    return [
        PublicObservation(
            o.observed_on,
            str(o.get_kind_display()),
            str(o.monitor.get_role_display()),
            mask_name(o.monitor.name),
            mask_personal_data(o.text, names),
            o.case_id is not None,
        )
        for o in rows
    ]


def public_list(request: HttpRequest) -> HttpResponse:
    """公开 (no login): the district's projects, newest first."""
    rows = list(
        Project.objects.select_related("department", "unit")
        .prefetch_related("milestones")
        .order_by("-created_at", "-pk")[:PAGE]
    )
    return render(request, "projects/public_list.html", {"projects": rows})


def public_page(request: HttpRequest, pk: int) -> HttpResponse:
    """公开 (no login): a project's milestones, its percentage done and its monitors'
    observations, masked."""
    project = public_project(pk)
    milestones = list(project.milestones.all())
    return render(
        request,
        "projects/public.html",
        {
            "project": project,
            "percent": percent_of(milestones),
            "milestones": milestones,
            "observations": public_observations(project),
            "monitors": project.monitors.filter(active=True).count(),
        },
    )


# --- the case page's link ------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    project: Project
    observed_on: Any
    link: str | None


def case_origin(case: Case, user: User) -> list[Origin]:
    """The project observation ``case`` came from (read through the reverse relation;
    only for cases of the project channel, so other cases cost no query)."""
    if case.channel != Channel.PROJECT:
        return []
    visible = set(Project.objects.visible_to(user).values_list("pk", flat=True))
    return [
        Origin(
            o.project,
            o.observed_on,
            reverse("projects:project", kwargs={"pk": o.project_id})
            if o.project_id in visible
            else None,
        )
        for o in case.project_observations.select_related("project")
    ]

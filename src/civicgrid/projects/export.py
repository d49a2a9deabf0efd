"""The projects a person may see as an Excel workbook (项目台账): one sheet of projects
(budget, milestones and percentage done, monitors, observations and the cases made of
them), one of their milestones. No monitor's name or phone: the counts only."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from civicgrid.projects.models import Project, percent_of
from civicgrid.sheets import as_bytes, headed

# More projects than a district runs at once; the list past it is cut (the sheet says so).
ROW_LIMIT = 5000


def filename() -> str:
    return f"projects-{timezone.localdate():%Y-%m-%d}.xlsx"


def projects_workbook(projects: QuerySet[Project]) -> bytes:
    """``projects`` (already scoped to the reader), newest first, up to ``ROW_LIMIT``."""
    rows = list(
        projects.select_related("department", "unit")
        .prefetch_related("milestones", "budget_lines")
        .annotate(
            active_monitors=Count("monitors", filter=Q(monitors__active=True), distinct=True),
            observed=Count("observations", distinct=True),
            problems=Count("observations", filter=Q(observations__problem=True), distinct=True),
            cases=Count("observations", filter=Q(observations__case__isnull=False), distinct=True),
        )
        .order_by("-created_at", "-pk")[: ROW_LIMIT + 1]
    )
    book = Workbook()
    sheet = book.active
    sheet.title = _("projects")
    headed(
        sheet,
        f"{_('Projects')} · {timezone.localdate():%Y-%m-%d}",
        [
            _("name"),
            _("kind"),
            _("state"),
            _("responsible department"),
            _("where it lies"),
            _("address"),
            _("created at"),
            _("budget (yuan)"),
            _("milestones done"),
            _("milestones"),
            _("percent done"),
            _("active monitors"),
            _("observations"),
            _("problems reported"),
            _("cases made"),
        ],
        (28, 16, 8, 20, 16, 24, 12, 14, 8, 8, 8, 8, 8, 8, 8),
    )
    steps = book.create_sheet(_("milestones"))
    headed(
        steps,
        _("Milestones"),
        [_("project"), _("name"), _("planned day"), _("done day"), _("weight")],
        (28, 28, 12, 12, 8),
    )
    for project in rows[:ROW_LIMIT]:
        milestones = list(project.milestones.all())
        sheet.append(
            [
                project.name,
                str(project.get_kind_display()),
                str(project.get_state_display()),
                project.department.name,
                project.unit.name,
                project.address,
                timezone.localtime(project.created_at).date(),
                sum((b.amount for b in project.budget_lines.all()), start=0),
                sum(1 for m in milestones if m.done),
                len(milestones),
                percent_of(milestones),
                project.active_monitors,  # type: ignore[attr-defined]
                project.observed,  # type: ignore[attr-defined]
                project.problems,  # type: ignore[attr-defined]
                project.cases,  # type: ignore[attr-defined]
            ]
        )
        for m in milestones:
            steps.append([project.name, m.name, m.planned_on, m.done_on, m.weight])
    if len(rows) > ROW_LIMIT:
        sheet.append([_("Only the newest %(n)s projects are listed.") % {"n": ROW_LIMIT}])
    return as_bytes(book)

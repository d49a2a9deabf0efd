"""Projects in the admin, read-only: they change only through ``projects.actions`` (the
pages and the API), which write the app's log."""

from __future__ import annotations

from django.contrib import admin

from civicgrid.cases.admin import ReadOnly
from civicgrid.projects.models import (
    BudgetLine,
    Milestone,
    Monitor,
    Observation,
    Project,
    ProjectEvent,
)


@admin.register(Project)
class ProjectAdmin(ReadOnly):
    list_display = ["name", "kind", "department", "unit", "state"]
    list_filter = ["kind", "state"]
    search_fields = ["name"]


@admin.register(BudgetLine)
class BudgetLineAdmin(ReadOnly):
    list_display = ["project", "item", "amount"]


@admin.register(Milestone)
class MilestoneAdmin(ReadOnly):
    list_display = ["project", "name", "planned_on", "done_on", "weight"]


@admin.register(Monitor)
class MonitorAdmin(ReadOnly):
    list_display = ["name", "project", "role", "active", "recruited_on"]
    list_filter = ["role", "active"]
    exclude = ["phone"]  # masked everywhere; shown whole only through the logged reveal


@admin.register(Observation)
class ObservationAdmin(ReadOnly):
    list_display = ["project", "monitor", "observed_on", "kind", "problem", "case"]
    list_filter = ["kind", "problem"]


@admin.register(ProjectEvent)
class ProjectEventAdmin(ReadOnly):
    list_display = ["at", "action", "project", "actor", "note"]
    list_filter = ["action"]

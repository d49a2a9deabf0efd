"""Councils in the admin, read-only: they change only through ``councils.actions`` (the
council pages and the API), which write the council's log."""

from __future__ import annotations

from django.contrib import admin

from civicgrid.cases.admin import ReadOnly
from civicgrid.councils.models import (
    ActionItem,
    Council,
    CouncilEvent,
    CouncilMember,
    Meeting,
    Problem,
    WorkingGroup,
)


@admin.register(Council)
class CouncilAdmin(ReadOnly):
    list_display = ["name", "kind", "unit", "founded_on", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "unit__name"]


@admin.register(CouncilMember)
class CouncilMemberAdmin(ReadOnly):
    list_display = ["name", "council", "kind", "role", "joined_on", "left_on"]
    list_filter = ["kind", "role"]
    search_fields = ["name", "council__name"]


@admin.register(WorkingGroup)
class WorkingGroupAdmin(ReadOnly):
    list_display = ["name", "council"]


@admin.register(CouncilEvent)
class CouncilEventAdmin(ReadOnly):
    list_display = ["council", "seq", "action", "actor", "at"]
    list_filter = ["action"]


@admin.register(Meeting)
class MeetingAdmin(ReadOnly):
    list_display = ["title", "council", "kind", "starts_at", "state"]
    list_filter = ["kind", "state"]
    search_fields = ["title", "council__name"]


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnly):
    list_display = ["text", "council", "due_on", "state", "case"]
    list_filter = ["state"]
    search_fields = ["text", "council__name"]


@admin.register(Problem)
class ProblemAdmin(ReadOnly):
    list_display = ["title", "council", "raised_at", "state", "deadline", "case"]
    list_filter = ["state"]
    search_fields = ["title", "council__name"]

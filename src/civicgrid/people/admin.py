"""People in the grids in the admin, read-only: they change only through
``people.actions`` (the pages and the API), which write the app's log."""

from __future__ import annotations

from django.contrib import admin

from civicgrid.cases.admin import ReadOnly
from civicgrid.people.call_models import CallClaim, GridCall
from civicgrid.people.models import (
    CheckIn,
    Duty,
    DutySwap,
    GridPost,
    LedgerEntry,
    PartyBranch,
    PeopleEvent,
    Person,
    Roster,
)


@admin.register(PartyBranch)
class PartyBranchAdmin(ReadOnly):
    list_display = ["name", "unit"]
    search_fields = ["name"]


@admin.register(Person)
class PersonAdmin(ReadOnly):
    list_display = ["name", "home_grid", "party_member", "cadre", "volunteer", "active"]
    list_filter = ["party_member", "in_service", "cadre", "volunteer", "active"]
    search_fields = ["name"]
    exclude = ["phone"]  # masked everywhere; shown whole only through the logged reveal


@admin.register(GridPost)
class GridPostAdmin(ReadOnly):
    list_display = ["person", "grid", "role", "building", "since"]
    list_filter = ["role"]


@admin.register(Roster)
class RosterAdmin(ReadOnly):
    list_display = ["unit", "week", "state"]
    list_filter = ["state"]


@admin.register(Duty)
class DutyAdmin(ReadOnly):
    list_display = ["person", "unit", "day", "starts", "ends", "state"]
    list_filter = ["state"]


@admin.register(DutySwap)
class DutySwapAdmin(ReadOnly):
    list_display = ["duty", "asked_by", "taker", "state", "asked_at"]
    list_filter = ["state"]


@admin.register(CheckIn)
class CheckInAdmin(ReadOnly):
    list_display = ["duty", "at", "grid", "in_place"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnly):
    list_display = ["person", "at", "source", "hours", "points", "unit"]
    list_filter = ["source"]


@admin.register(PeopleEvent)
class PeopleEventAdmin(ReadOnly):
    list_display = ["action", "actor", "at", "unit", "person"]
    list_filter = ["action"]


@admin.register(GridCall)
class GridCallAdmin(ReadOnly):
    list_display = ["title", "grid", "wanted", "state", "reached", "case", "created_at"]
    list_filter = ["state"]
    search_fields = ["title"]


@admin.register(CallClaim)
class CallClaimAdmin(ReadOnly):
    list_display = ["call", "person", "state", "claimed_at", "done_at"]
    list_filter = ["state"]

"""Appeals in the admin: read-only, like cases (they change only through
``evaluation.actions``), with their log inline."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from civicgrid.cases.admin import ReadOnly
from civicgrid.evaluation.models import Appeal, AppealEvent


class AppealEventInline(admin.TabularInline):
    model = AppealEvent
    extra = 0
    fields = ["seq", "at", "action", "actor", "from_state", "to_state", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Appeal)
class AppealAdmin(ReadOnly):
    list_display = ["case", "unit", "ground", "state", "submitted_at", "decided_by", "decided_at"]
    list_filter = ["state", "ground"]
    search_fields = ["case__tracking_code"]
    list_select_related = ["case", "unit", "decided_by"]
    raw_id_fields = ["case"]
    inlines = [AppealEventInline]

"""Appeals and the rankings in the admin: appeals and published months read-only (they
change only through ``evaluation.actions`` and ``evaluation.publishing``); the ranking
policy edited through ``publishing.change_policy``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from civicgrid.cases.admin import ReadOnly
from civicgrid.errors import Forbidden
from civicgrid.evaluation.models import (
    Appeal,
    AppealEvent,
    RankingEvent,
    RankingPolicy,
    RankingSnapshot,
)
from civicgrid.evaluation.publishing import POLICY_FIELDS, change_policy, weights_problem


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


class RankingPolicyForm(forms.ModelForm):
    class Meta:
        model = RankingPolicy
        fields = list(POLICY_FIELDS)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        problem = weights_problem(
            [cleaned.get(f"weight_{k}") or 0 for k in ("response", "solved", "satisfaction")]
        )
        if problem:
            raise ValidationError(problem)
        return cleaned


@admin.register(RankingPolicy)
class RankingPolicyAdmin(admin.ModelAdmin):
    """The district's one ranking policy: saved through ``publishing.change_policy`` (so
    the change is checked, needs a district leader or administrator, and is logged);
    never deleted (deleting would bring the defaults back unseen)."""

    form = RankingPolicyForm
    fields = list(POLICY_FIELDS)
    list_display = ["__str__", *POLICY_FIELDS, "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not RankingPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            change_policy(
                request.user,  # type: ignore[arg-type]
                **{name: form.cleaned_data[name] for name in POLICY_FIELDS},
            )
        except Forbidden as refusal:
            raise PermissionDenied(refusal.message) from None


@admin.register(RankingSnapshot)
class RankingSnapshotAdmin(ReadOnly):
    list_display = ["month", "revision", "published_at", "published_by", "early", "reason"]
    list_filter = ["month"]
    exclude = ["lists"]


@admin.register(RankingEvent)
class RankingEventAdmin(ReadOnly):
    list_display = ["at", "action", "month", "revision", "actor", "note"]
    list_filter = ["action"]

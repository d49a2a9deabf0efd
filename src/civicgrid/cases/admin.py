from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from civicgrid.cases.deadlines import clear_calendar
from civicgrid.cases.models import (
    CalendarDay,
    Case,
    CaseEvent,
    Category,
    ContactReveal,
    DeadlinePolicy,
    FollowUpPolicy,
    TierRule,
    VerificationPolicy,
    WhistleTask,
)


class DeadlinePolicyInline(admin.TabularInline):
    model = DeadlinePolicy
    extra = 0


class TierRuleInline(admin.TabularInline):
    model = TierRule
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "parent", "default_tier", "to_department", "active"]
    list_filter = ["default_tier", "active", "to_department", "grid_may_self_handle"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent", "departments"]
    inlines = [DeadlinePolicyInline, TierRuleInline]
    list_select_related = ["parent"]


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = [
        "category",
        "urgency",
        "acknowledge",
        "check_in",
        "resolve",
        "follow_up",
        "working_time",
    ]
    list_filter = ["urgency", "working_time"]
    autocomplete_fields = ["category"]


@admin.register(FollowUpPolicy)
class FollowUpPolicyAdmin(admin.ModelAdmin):
    """The district's one follow-up policy: added once (until then the defaults hold),
    changed in place, never deleted (deleting would bring the defaults back unseen)."""

    list_display = [
        "__str__",
        "max_attempts",
        "reopen_not_solved",
        "reopen_at_most_stars",
        "max_reopens",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not FollowUpPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(VerificationPolicy)
class VerificationPolicyAdmin(admin.ModelAdmin):
    """Who verifies fixes, by tier: added once (until then every fix goes to the
    dispatchers above), changed in place, never deleted (as the follow-up policy)."""

    list_display = ["__str__", "community_verifies_micro", "community_verifies_minor", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not VerificationPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(TierRule)
class TierRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "urgency", "tier"]
    list_filter = ["tier", "urgency"]
    autocomplete_fields = ["category"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "working", "note"]
    list_filter = ["working"]

    def save_model(self, request: HttpRequest, obj: CalendarDay, form, change) -> None:  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        clear_calendar()


class ReadOnly(admin.ModelAdmin):
    """Cases change only through their transitions: the admin shows, it does not edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = ["seq", "at", "action", "actor", "from_state", "to_state", "to_unit", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnly):
    list_display = ["tracking_code", "title", "state", "tier", "owner_unit", "created_at"]
    list_filter = ["state", "tier", "urgency", "channel", "supervised", "unreachable"]
    search_fields = ["tracking_code", "title"]
    list_select_related = ["owner_unit"]
    inlines = [CaseEventInline]
    exclude = []


@admin.register(WhistleTask)
class WhistleTaskAdmin(ReadOnly):
    list_display = ["case", "department", "lead", "state", "check_in_due"]
    list_filter = ["state", "lead"]
    list_select_related = ["case", "department"]


@admin.register(ContactReveal)
class ContactRevealAdmin(ReadOnly):
    list_display = ["contact", "user", "reason", "at"]
    list_select_related = ["contact", "user"]

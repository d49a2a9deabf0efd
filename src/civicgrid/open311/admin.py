"""The register of Open311 clients (their keys shown, to hand over) and what they sent."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.open311.models import ApiClient, Open311Request, new_api_key


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "active", "contact_email", "user", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "contact_email"]
    readonly_fields = ["key", "created_at"]
    raw_id_fields = ["user"]
    actions = ["issue_new_key"]

    @admin.action(description=gettext_lazy("Issue a new API key (the old one stops working)"))
    def issue_new_key(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        """For a key that leaked: the client gets a new one, the old one is refused."""
        for client in queryset:
            client.key = new_api_key()
            client.save(update_fields=["key"])
        self.message_user(
            request, _("New API keys issued: %(n)s.") % {"n": len(queryset)}, messages.SUCCESS
        )


@admin.register(Open311Request)
class Open311RequestAdmin(admin.ModelAdmin):
    list_display = ["case", "client", "created_at"]
    list_filter = ["client"]
    list_select_related = ["case", "client"]
    search_fields = ["case__tracking_code", "token", "account_id"]
    readonly_fields = [
        "case",
        "client",
        "token",
        "service_notice",
        "media_url",
        "attributes",
        "email",
        "device_id",
        "account_id",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made only by POST Service Request

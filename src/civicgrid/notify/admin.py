from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.notify import actions
from civicgrid.notify.models import Notification, Watermark


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox, read-only: rows change through ``notify.actions`` (here: retry now)."""

    list_display = [
        "id",
        "created_at",
        "case",
        "topic",
        "template",
        "recipient",
        "channel",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["state", "channel", "template", "recipient_kind"]
    search_fields = ["case__tracking_code", "topic", "user__username"]
    list_select_related = ["case__contact", "user"]
    show_full_result_count = False  # the outbox grows with every event: no COUNT(*) per page
    actions = ["retry"]
    fields = [
        "case",
        "topic",
        "template",
        "recipient",
        "unit",
        "channel",
        "subject",
        "body",
        "link",
        "state",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "last_error",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("recipient"))
    def recipient(self, obj: Notification) -> str:
        return obj.recipient_label()

    @admin.action(description=gettext_lazy("Retry now"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        n = actions.retry_now(queryset)
        self.message_user(
            request, _("%(n)s notifications will be sent again now.") % {"n": n}, messages.SUCCESS
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # The change page stays viewable (has_view_permission); nothing is edited.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Watermark)
class WatermarkAdmin(admin.ModelAdmin):
    list_display = ["event_id", "pending_event_id", "updated_at"]
    readonly_fields = ["event_id", "pending_event_id", "pending_writers", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

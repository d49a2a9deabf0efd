from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civicgrid.triage.actions import activate_version
from civicgrid.triage.models import Correction, ModelVersion, Suggestion


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "created_at", "examples", "macro_f1", "seconds", "active")
    readonly_fields = (
        "created_at",
        "created_by",
        "source",
        "examples",
        "seconds",
        "evaluation",
        "labels",
        "active",
    )
    exclude = ("data",)
    actions = ["make_active"]

    @admin.action(description=_("Make active"))
    def make_active(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        version = queryset.order_by("-pk").first()
        if version is not None:
            activate_version(version)
            self.message_user(
                request, _("Version %(v)s is now active.") % {"v": version.pk}, messages.SUCCESS
            )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions come from training (civicgrid triage train)


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ("case", "category", "confidence", "emergency", "model", "created_at")
    raw_id_fields = ("case", "category", "model")


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    list_display = ("case", "suggested", "chosen", "by", "at")
    raw_id_fields = ("case", "suggested", "chosen", "by")

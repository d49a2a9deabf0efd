from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civicgrid.geo.models import Boundary


@admin.register(Boundary)
class BoundaryAdmin(admin.ModelAdmin):
    """Read-only: boundaries change through `civicgrid import-grids`, which checks the
    whole file and keeps the locator in step."""

    list_display = ["unit", "unit_kind", "area_m2", "updated_at"]
    list_filter = ["unit__kind"]
    search_fields = ["unit__name", "unit__code"]
    list_select_related = ["unit"]
    readonly_fields = [
        "unit",
        "geometry",
        "min_lon",
        "min_lat",
        "max_lon",
        "max_lat",
        "area_m2",
        "updated_at",
    ]

    @admin.display(description=_("kind"), ordering="unit__kind")
    def unit_kind(self, obj: Boundary) -> str:
        return str(obj.unit.get_kind_display())

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Boundary | None = None) -> bool:
        return False

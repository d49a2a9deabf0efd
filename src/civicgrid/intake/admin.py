from django.contrib import admin

from civicgrid.intake.models import IdempotencyKey, Place


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "community", "lon", "lat", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "community__name")
    raw_id_fields = ("community",)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ("key", "case", "created_at")
    search_fields = ("key", "case__tracking_code")
    readonly_fields = ("key", "fingerprint", "case", "created_at")

"""The window in the admin, read-only: it changes only through ``enterprise.actions``
(the pages and the API), which write the window's log."""

from __future__ import annotations

from django.contrib import admin

from civicgrid.cases.admin import ReadOnly
from civicgrid.enterprise.models import Complaint, Enterprise, Pairing, ServiceDay, WindowEvent


@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnly):
    list_display = ["name", "credit_code", "unit", "registered_at"]
    search_fields = ["name", "credit_code"]


@admin.register(Complaint)
class ComplaintAdmin(ReadOnly):
    list_display = ["matter", "enterprise", "failed_office", "accountable", "created_at"]
    search_fields = ["matter", "enterprise__name", "case__tracking_code"]


@admin.register(ServiceDay)
class ServiceDayAdmin(ReadOnly):
    list_display = ["on", "unit", "host", "theme"]


@admin.register(Pairing)
class PairingAdmin(ReadOnly):
    list_display = ["agency", "unit", "since", "active"]


@admin.register(WindowEvent)
class WindowEventAdmin(ReadOnly):
    list_display = ["at", "action", "actor", "enterprise", "complaint"]
    list_filter = ["action"]

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civicgrid.errors import Invalid
from civicgrid.org import actions
from civicgrid.org.models import Membership, Unit, User


class UnitAdminForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["code", "name", "kind", "parent", "active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind, parent = data.get("kind"), data.get("parent")
        if kind:
            try:
                actions.check_placement(kind, parent)
                if (
                    parent is not None
                    and self.instance.pk
                    and parent.path.startswith(self.instance.path)
                ):
                    raise Invalid(_("A unit cannot be moved under itself or its own subunits."))
            except Invalid as exc:
                raise forms.ValidationError(exc.message) from exc
        return data


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    form = UnitAdminForm
    list_display = ["name", "code", "kind", "parent", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path"]
    list_select_related = ["parent"]

    def get_readonly_fields(self, request: HttpRequest, obj: Unit | None = None) -> list[str]:
        # The code is part of every descendant's path: fixed once the unit exists.
        return ["path", "code", "kind"] if obj else ["path"]

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            actions.update_unit(
                obj, name=data["name"], parent=data["parent"], active=data["active"]
            )
        else:
            created = actions.create_unit(
                code=data["code"], name=data["name"], kind=data["kind"], parent=data["parent"]
            )
            obj.pk, obj.path = created.pk, created.path


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("civicgrid"), {"fields": ("display_name", "phone")}),
    )
    list_display = ["username", "display_name", "is_staff", "is_active"]
    search_fields = ["username", "display_name", "phone"]
    inlines = [MembershipInline]
    actions = ["end_sessions"]

    @admin.action(description=_("Log out everywhere (a lost phone, a shared computer)"))
    def end_sessions(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            actions.end_all_sessions(user, actor=request.user)
        self.message_user(
            request, _("%(n)d people are logged out everywhere.") % {"n": len(queryset)}
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "unit", "active"]
    list_filter = ["role", "active", "unit__kind"]
    search_fields = ["user__username", "user__display_name", "unit__name", "unit__code"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]

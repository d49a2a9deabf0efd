"""Console pages. Thin: they read through scoped querysets and render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.evaluation.views import cockpit
from civicgrid.org.actions import end_all_sessions
from civicgrid.org.models import STREET_KINDS, Role, Unit, UnitKind
from civicgrid.org.scoping import scope_of


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The person's own page: who they are, their roles, when this login ends, and
    "log out everywhere"."""
    memberships = request.user.memberships.filter(active=True).select_related("unit")
    return render(
        request,
        "web/account.html",
        {
            "memberships": memberships,
            "session_ends": request.session.get_expiry_date(),
            "session_hours": round(settings.SESSION_COOKIE_AGE / 3600, 1),
        },
    )


@require_POST
@login_required
def log_out_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session of this person, this one included (a phone left behind, a
    login forgotten on a shared office computer)."""
    end_all_sessions(request.user, actor=request.user)
    logout(request)
    messages.success(
        request,
        _("You are logged out on every computer and phone. Log in again to continue."),
    )
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The workbench: the person's roles; for a leader, the figures of their scope for
    the period picked here, each drilling down to its cases."""
    scope = scope_of(request.user)
    # Not staff: a council member's own pages are their home.
    seated = request.user.council_memberships.filter(left_on=None)
    if not scope.has_role(*Role.values) and seated.exists():
        return redirect("councils:list")
    # An enterprise's account holds no staff role either: its home is its window.
    if not scope.has_role(*Role.values):
        from civicgrid.enterprise.permissions import enterprise_of

        if enterprise_of(request.user) is not None:
            return redirect("enterprise:window")
        # A project's monitor (a resident): their phone page.
        if request.user.project_monitors.filter(active=True).exists():
            return redirect("projects:me")
    memberships = request.user.memberships.filter(active=True).select_related("unit")
    context = {"memberships": memberships, "everything": scope.everything}
    if scope.has_role(Role.LEADER):
        context["cockpit"] = cockpit(request)
    # Those who read the figures and the boards are told while the demo's year of cases
    # is still being written behind them.
    if scope.has_role(Role.DISPATCHER, Role.ADMIN, Role.LEADER):
        from civicgrid.demo.tasks import history_progress

        context["history"] = history_progress()
    return render(request, "web/home.html", context)


@login_required
def units(request: HttpRequest) -> HttpResponse:
    """The unit tree (loaded level by level from the API) and a map of one street's grids."""
    visible = Unit.objects.visible_to(request.user)
    # Streets, and above them the district for those who see it whole; a community
    # worker sees no street, so their map is their own top unit.
    districts = list(visible.filter(kind=UnitKind.DISTRICT))
    streets = list(visible.filter(kind__in=STREET_KINDS).order_by("code"))
    map_units = districts + streets or list(
        visible.exclude(kind__in=[UnitKind.GRID, UnitKind.DEPARTMENT]).order_by("path")[:1]
    )
    default = streets[0] if streets else (map_units[0] if map_units else None)
    selected_code = request.GET.get("map") or (default.code if default else "")
    return render(
        request,
        "web/units.html",
        {
            "map_units": map_units,
            "selected_code": selected_code,
            "tile_url": settings.MAP_TILE_URL,
        },
    )


@login_required
def unit_children(request: HttpRequest) -> HttpResponse:
    """A tree level, as an htmx partial: the children of ``parent`` or the user's top units."""
    visible = Unit.objects.visible_to(request.user)
    parent_code = request.GET.get("parent")
    if parent_code:
        parent = get_object_or_404(visible, code=parent_code)
        children = Unit.objects.filter(parent=parent)
    else:
        children = Unit.objects.tops_for(request.user)
    children = children.annotate(n_children=Count("children")).order_by("kind", "code")
    return render(request, "web/partials/unit_children.html", {"children": children})

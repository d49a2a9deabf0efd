"""Which roles each console page is for: one table, read by the pages (``roles_required``)
and by the navigation, so a link is shown exactly to those the page lets in."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from civicgrid.org.models import Role
from civicgrid.org.scoping import scope_of

STAFF = tuple(Role.values)
TRIAGE = (Role.DISPATCHER, Role.OPERATOR, Role.LEADER)
HOT_ISSUES = (Role.DISPATCHER, Role.LEADER)
HOTLINE = (Role.OPERATOR, Role.DISPATCHER)
FOLLOW_UP = (Role.OPERATOR, Role.DISPATCHER)  # who calls residents back (cases.permissions)
PATROL = (Role.GRID_WORKER, Role.VOLUNTEER)
CLASSIFIER = (Role.ADMIN, Role.DISPATCHER, Role.LEADER)
API_DOCS = (Role.ADMIN, Role.DISPATCHER, Role.LEADER)
OUTBOX = (Role.ADMIN, Role.DISPATCHER)
# The indicators: those who answer for units' work (evaluation.selection.EVALUATION_ROLES,
# which the API checks too).
EVALUATION = (Role.LEADER, Role.DISPATCHER, Role.HANDLER, Role.ADMIN)
# The cockpit (领导驾驶舱): whoever sees indicators sees their own subtree's cockpit (a
# street's leader and dispatchers their street, a department its own tasks).
COCKPIT = EVALUATION
ADMINISTRATION = (Role.ADMIN,)
# The enterprise window's queue (办不成事): the command centres and leaders (what each
# sees of it is ``enterprise.models.Complaint.objects.visible_to``).
ENTERPRISE_WINDOW = (Role.DISPATCHER, Role.LEADER, Role.ADMIN)
# The monthly bulletin (月度通报): the published month for leaders and command centres.
BULLETIN = (Role.LEADER, Role.DISPATCHER, Role.ADMIN)

View = Callable[..., HttpResponse]


def roles_required(roles: tuple[str, ...]) -> Callable[[View], View]:
    """A page for people holding one of ``roles`` somewhere (a superuser: always); others
    get 403 with the reason, anonymous visitors the login page."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not scope_of(request.user).has_role(*roles):
                raise PermissionDenied(_("This page is for another role."))
            return view(request, *args, **kwargs)

        return checked

    return decorate

"""Who may do what with a project: one table (``RULES``), read by the actions to refuse
(403) and by the pages and the API to offer only what a person may do.

A person stands to a project on one or more sides:

* ``MANAGER``: staff of the responsible department or of a unit above it (the
  district), or a superuser: they create the project and keep its budget and milestones;
* ``LOCAL``: staff of the street or community where the project lies (or above it):
  they recruit its monitors among their residents and turn observations into cases;
* ``CALLER``: staff of either who may see a monitor's whole phone number, each time
  logged with the reason;
* ``SELF``: the monitor is their own account (file an observation).

Seeing is ``Project.objects.visible_to``; what a person may not see is a 404 before any
of this is asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.errors import Forbidden
from civicgrid.org.models import Unit, User
from civicgrid.org.scoping import scope_of
from civicgrid.people.permissions import STAFF_ROLES
from civicgrid.projects.models import Monitor, Project, ProjectAction

MANAGER = "manager"
LOCAL = "local"
CALLER = "caller"
SELF = "self"


@dataclass(frozen=True)
class Rule:
    sides: frozenset[str]
    refusal: Promise  # what a person without the right reads


_MANAGE = frozenset({MANAGER})
_MANAGERS = _("Only the responsible department or the district may do this.")

RULES: dict[str, Rule] = {
    ProjectAction.CREATE_PROJECT: Rule(
        _MANAGE, _("Only staff of the responsible department or the district may create a project.")
    ),
    ProjectAction.ADD_BUDGET_LINE: Rule(_MANAGE, _MANAGERS),
    ProjectAction.ADD_MILESTONE: Rule(_MANAGE, _MANAGERS),
    ProjectAction.COMPLETE_MILESTONE: Rule(_MANAGE, _MANAGERS),
    ProjectAction.RECRUIT_MONITOR: Rule(
        frozenset({MANAGER, LOCAL}),
        _("Only staff of the project's department or of where it lies may recruit monitors."),
    ),
    ProjectAction.RETIRE_MONITOR: Rule(
        frozenset({MANAGER, LOCAL}),
        _("Only staff of the project's department or of where it lies may retire monitors."),
    ),
    ProjectAction.REVEAL_PHONE: Rule(
        frozenset({CALLER}), _("Your role does not need this monitor's phone number.")
    ),
    ProjectAction.FILE_OBSERVATION: Rule(
        frozenset({SELF}), _("Only the project's own monitor may file an observation.")
    ),
    ProjectAction.MAKE_CASE: Rule(
        frozenset({MANAGER, LOCAL, SELF}),
        _("Only staff of the project's department or of where it lies may make a case of it."),
    ),
}


def sides(
    user: User | AnonymousUser | None,
    department: Unit,
    unit: Unit,
    monitor: Monitor | None = None,
) -> set[str]:
    """How ``user`` stands to a project of ``department`` lying in ``unit`` (and to
    ``monitor``, for the rules about one's own observations)."""
    found: set[str] = set()
    if user is None or not user.is_authenticated or not user.is_active:
        return found
    scope = scope_of(user)
    if scope.everything or scope.roles_over(department) & STAFF_ROLES:
        found |= {MANAGER, CALLER}
    if scope.everything or scope.roles_over(unit) & STAFF_ROLES:
        found |= {LOCAL, CALLER}
    if (
        monitor is not None
        and monitor.active
        and monitor.user_id is not None
        and monitor.user_id == user.pk
    ):
        found.add(SELF)
    return found


def may(
    action: str,
    user: User | AnonymousUser | None,
    project: Project,
    monitor: Monitor | None = None,
) -> bool:
    return bool(RULES[action].sides & sides(user, project.department, project.unit, monitor))


def check(
    action: str,
    user: User | AnonymousUser | None,
    department: Unit,
    unit: Unit,
    monitor: Monitor | None = None,
) -> None:
    """Refuse (403) what ``user`` may not do over a project (or ``monitor``'s own)."""
    if not RULES[action].sides & sides(user, department, unit, monitor):
        raise Forbidden(str(RULES[action].refusal))

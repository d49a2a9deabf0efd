"""Who may do what at the enterprise window: one table (``RULES``), read by the actions
to refuse (403) and by the pages and the API to offer only what the person may do.

A person stands to the window on one or more **sides**:

* ``PUBLIC``: anyone, signed in or not (an enterprise registering);
* ``CONTACT``: an account that speaks for the enterprise the action is about
  (``EnterpriseContact``): submitting its complaints and rating them;
* ``OFFICE``: a handler, dispatcher, leader or administrator of the business-environment
  office or of a unit above it (the district), or a superuser: the window's queue,
  naming the accountable department, service days, pairings (made and ended);
* ``AGENCY``: staff of the agency a pairing is about (its own visit log).

Seeing is the querysets' (``Complaint.objects.visible_to``,
``Enterprise.objects.visible_to``): what a person may not see is a 404 before any of
this is asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.enterprise.models import Enterprise, WindowAction
from civicgrid.errors import Forbidden
from civicgrid.org.models import Role, Unit, User
from civicgrid.org.scoping import scope_of

PUBLIC = "public"
CONTACT = "contact"
OFFICE = "office"
AGENCY = "agency"

STAFF_ROLES = frozenset({Role.HANDLER, Role.DISPATCHER, Role.LEADER, Role.ADMIN})


@dataclass(frozen=True)
class Rule:
    sides: frozenset[str]
    refusal: Promise  # what a person without the right reads


_OFFICE_ONLY = _("Only the business-environment office or the district may do this.")
RULES: dict[str, Rule] = {
    WindowAction.SET_UP: Rule(frozenset({OFFICE}), _OFFICE_ONLY),
    WindowAction.REGISTER: Rule(frozenset({PUBLIC}), _OFFICE_ONLY),
    WindowAction.ADD_CONTACT: Rule(
        frozenset({CONTACT, OFFICE}),
        _("Only the enterprise's accounts or the business-environment office may add a contact."),
    ),
    WindowAction.SUBMIT: Rule(
        frozenset({CONTACT}), _("Only the enterprise's own account may submit its complaints.")
    ),
    WindowAction.NAME_DEPARTMENT: Rule(frozenset({OFFICE}), _OFFICE_ONLY),
    WindowAction.RATE: Rule(
        frozenset({CONTACT}), _("Only the enterprise that complained may rate the result.")
    ),
    WindowAction.HOLD_DAY: Rule(frozenset({OFFICE}), _OFFICE_ONLY),
    WindowAction.RECORD_ISSUE: Rule(frozenset({OFFICE}), _OFFICE_ONLY),
    WindowAction.ISSUE_TO_COMPLAINT: Rule(frozenset({OFFICE}), _OFFICE_ONLY),
    WindowAction.PAIR: Rule(frozenset({OFFICE}), _OFFICE_ONLY),
    WindowAction.END_PAIRING: Rule(frozenset({OFFICE}), _OFFICE_ONLY),
    WindowAction.LOG_VISIT: Rule(
        frozenset({OFFICE, AGENCY}),
        _("Only the paired agency or the business-environment office may log its visits."),
    ),
}


def office_staff(user: User | AnonymousUser | None, office: Unit | None = None) -> bool:
    """``user`` holds a staff role over the business-environment office (in it or above
    it: the district), or is a superuser."""
    from civicgrid.enterprise import window

    if user is None or not user.is_authenticated or not user.is_active:
        return False
    scope = scope_of(user)
    if scope.everything:
        return True
    office = office or window.office()
    return office is not None and bool(scope.roles_over(office) & STAFF_ROLES)


def sees_whole_window(user: User | AnonymousUser) -> bool:
    """Whether ``user`` sees every enterprise and complaint (the office and the district)."""
    return office_staff(user)


_NONE = object()


def enterprise_of(user: User | AnonymousUser | None) -> Enterprise | None:
    """The enterprise this account speaks for, if any: read once per user object (so
    once per request, as ``scope_of`` is)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    cached = getattr(user, "_civicgrid_enterprise", None)
    if cached is None:
        cached = Enterprise.objects.filter(contacts__user=user).first() or _NONE
        user._civicgrid_enterprise = cached  # type: ignore[union-attr]
    return None if cached is _NONE else cached  # type: ignore[return-value]


def sides(
    user: User | None,
    *,
    enterprise: Enterprise | None = None,
    agency: Unit | None = None,
    office: Unit | None = None,
) -> set[str]:
    found = {PUBLIC}
    if user is None or not user.is_authenticated or not user.is_active:
        return found
    if enterprise is not None and enterprise.contacts.filter(user=user).exists():
        found.add(CONTACT)
    if office_staff(user, office):
        found.add(OFFICE)
    if agency is not None and scope_of(user).roles_over(agency) & STAFF_ROLES:
        found.add(AGENCY)
    return found


def may(action: str, user: User | None, **about: object) -> bool:
    return bool(RULES[action].sides & sides(user, **about))  # type: ignore[arg-type]


def check(action: str, user: User | None, **about: object) -> None:
    """Refuse (403) what ``user`` may not do at the window."""
    if not may(action, user, **about):
        raise Forbidden(str(RULES[action].refusal))


def window_link_shown(user: User) -> bool:
    """The console's link to the window's queue: the office, the district, and the
    departments some complaint names accountable."""
    from civicgrid.enterprise.models import Complaint

    return office_staff(user) or Complaint.objects.visible_to(user).exists()

"""Who may do what with the people in the grids and their duties: one table
(``RULES``), read by the actions to refuse (403) and by the pages and the API to offer
only what a person may do.

A person stands to a unit (a person's home grid, a roster's unit) on one or more sides:

* ``STAFF``: a handler, dispatcher, leader, administrator or grid worker of the unit or
  of a unit above it (the grid's worker, its community, its street, the district), or a
  superuser: they register people, make rosters and decide swaps;
* ``CALLER``: staff who call people (the same roles but the grid worker's volunteers):
  they may see a whole phone number, each time logged with the reason;
* ``SELF``: the duty (or person) is their own (check in, report an absence, ask a swap);
* ``NEIGHBOUR``: the person is their own, an active volunteer or party member living in
  the unit (a grid): they may claim the grid's calls;
* ``CASE_HANDLER``: they may handle the case a grid call is made from.

Seeing is ``Person.objects.visible_to`` and ``Roster.objects.visible_to``; what a person
may not see is a 404 before any of this is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.errors import Forbidden
from civicgrid.org.models import Role, Unit, User
from civicgrid.org.scoping import scope_of
from civicgrid.people.models import PeopleAction, Person

if TYPE_CHECKING:
    from civicgrid.cases.models import Case

STAFF = "staff"
CALLER = "caller"
SELF = "self"
NEIGHBOUR = "neighbour"
CASE_HANDLER = "case_handler"

STAFF_ROLES = frozenset({Role.HANDLER, Role.DISPATCHER, Role.LEADER, Role.ADMIN, Role.GRID_WORKER})
CALLER_ROLES = STAFF_ROLES


@dataclass(frozen=True)
class Rule:
    sides: frozenset[str]
    refusal: Promise  # what a person without the right reads


_STAFF = frozenset({STAFF})
_UNIT_STAFF = _("Only staff of the unit may do this.")
_OWN = _("Only the person on duty may do this.")
_CLAIMANT = _("Only the person who claimed may do this.")

RULES: dict[str, Rule] = {
    PeopleAction.ADD_PERSON: Rule(_STAFF, _("Only staff of the grid may register people there.")),
    PeopleAction.CHANGE_PERSON: Rule(_STAFF, _UNIT_STAFF),
    PeopleAction.ASSIGN_POST: Rule(_STAFF, _("Only staff of the grid may assign its posts.")),
    PeopleAction.REVEAL_PHONE: Rule(
        frozenset({CALLER}), _("Your role does not need this person's phone number.")
    ),
    PeopleAction.MAKE_ROSTER: Rule(_STAFF, _("Only staff of the unit may make its rosters.")),
    PeopleAction.PLAN_DUTY: Rule(_STAFF, _("Only staff of the unit may plan its duties.")),
    PeopleAction.PUBLISH_ROSTER: Rule(_STAFF, _("Only staff of the unit may publish its rosters.")),
    PeopleAction.CHECK_IN: Rule(frozenset({SELF}), _OWN),
    PeopleAction.FINISH_DUTY: Rule(frozenset({SELF, STAFF}), _OWN),
    PeopleAction.REPORT_ABSENCE: Rule(
        frozenset({SELF, STAFF}),
        _("Only the person on duty or staff of the unit may report an absence."),
    ),
    PeopleAction.ASK_SWAP: Rule(frozenset({SELF}), _OWN),
    PeopleAction.DECIDE_SWAP: Rule(_STAFF, _("Only staff of the roster's unit may decide a swap.")),
    # Activities and the public-welfare supermarket (people.activities).
    PeopleAction.CREATE_ACTIVITY: Rule(
        _STAFF, _("Only staff of the community may create its activities.")
    ),
    PeopleAction.CANCEL_ACTIVITY: Rule(
        _STAFF, _("Only staff of the community may cancel its activities.")
    ),
    PeopleAction.SIGN_UP: Rule(
        frozenset({SELF, STAFF}), _("Only the person or staff of the community may sign up.")
    ),
    PeopleAction.CANCEL_SIGN_UP: Rule(
        frozenset({SELF, STAFF}),
        _("Only the person or staff of the community may cancel a sign-up."),
    ),
    PeopleAction.RECORD_ATTENDANCE: Rule(
        _STAFF, _("Only staff of the community may record attendance.")
    ),
    PeopleAction.OPEN_SHOP: Rule(
        _STAFF, _("Only staff of the community may open its supermarket.")
    ),
    PeopleAction.ADD_ITEM: Rule(
        _STAFF, _("Only staff of the community may stock its supermarket.")
    ),
    PeopleAction.RESTOCK_ITEM: Rule(
        _STAFF, _("Only staff of the community may stock its supermarket.")
    ),
    PeopleAction.REDEEM: Rule(
        _STAFF, _("Only staff at the community's supermarket may hand out goods for points.")
    ),
    PeopleAction.BROADCAST_CALL: Rule(
        frozenset({STAFF, CASE_HANDLER}),
        _("Only staff of the grid, or the handler of the case, may call its volunteers."),
    ),
    PeopleAction.CLAIM_CALL: Rule(
        frozenset({NEIGHBOUR}),
        _("Only a volunteer or party member of the grid may claim its calls."),
    ),
    PeopleAction.WITHDRAW_CLAIM: Rule(frozenset({SELF}), _CLAIMANT),
    PeopleAction.REPORT_CLAIM: Rule(frozenset({SELF}), _CLAIMANT),
    PeopleAction.CLOSE_CALL: Rule(_STAFF, _("Only staff of the grid may close its calls.")),
    PeopleAction.CANCEL_CALL: Rule(_STAFF, _("Only staff of the grid may cancel its calls.")),
}


def sides(
    user: User | AnonymousUser | None,
    unit: Unit | None,
    person: Person | None = None,
    case: Case | None = None,
) -> set[str]:
    """How ``user`` stands to ``unit`` (and to ``person``, for the rules about one's own
    duties and calls; to ``case``, for a grid call made from it)."""
    found: set[str] = set()
    if user is None or not user.is_authenticated or not user.is_active:
        return found
    scope = scope_of(user)
    if unit is not None or scope.everything:
        roles = scope.roles_over(unit) if unit is not None else set()
        if scope.everything or roles & STAFF_ROLES:
            found.add(STAFF)
        if scope.everything or roles & CALLER_ROLES:
            found.add(CALLER)
    if person is not None and person.user_id is not None and person.user_id == user.pk:
        found.add(SELF)
        if (
            unit is not None
            and person.active
            and (person.volunteer or person.party_member)
            and person.home_grid_id == unit.pk
        ):
            found.add(NEIGHBOUR)
    if case is not None:
        from civicgrid.cases.models import Action
        from civicgrid.cases.permissions import may as may_on_case

        if may_on_case(case, Action.HANDLE, user):
            found.add(CASE_HANDLER)
    return found


def may(
    action: str,
    user: User | AnonymousUser | None,
    unit: Unit | None,
    person: Person | None = None,
    case: Case | None = None,
) -> bool:
    return bool(RULES[action].sides & sides(user, unit, person, case))


def check(
    action: str,
    user: User | None,
    unit: Unit | None,
    person: Person | None = None,
    case: Case | None = None,
) -> None:
    """Refuse (403) what ``user`` may not do over ``unit`` (or ``person``'s own, or
    ``case``'s)."""
    if not may(action, user, unit, person, case):
        raise Forbidden(str(RULES[action].refusal))


def person_unit(person: Person) -> Unit | None:
    """The unit whose staff answer for a person: their home grid, else the community
    they report to, else their employer."""
    return person.home_grid or person.reports_to or person.employer

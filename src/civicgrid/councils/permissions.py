"""Who may do what in a council: one table (``RULES``), read by the actions to refuse
(403) and by the pages and the API to offer only what the person may do.

A person stands to a council on one or more **sides** (``Standing``):

* ``MEMBER``: they hold an active seat in it (``CouncilMember.user``);
* ``OFFICER``: their seat is the chair's or the secretary's (they run meetings, items,
  scoring, and whistle to the district);
* ``SELF``: the seat the action is about is their own (leaving, signing a convention,
  a self-assessment);
* ``STAFF``: a handler, dispatcher, leader or administrator of the council's unit or of
  a unit above it (the park's office, its street, the district), or a superuser.

Seeing is ``Council.objects.visible_to`` (staff of the units above, and its members);
a council a person may not see is a 404 before any of this is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.councils.models import Council, CouncilAction, CouncilMember
from civicgrid.errors import Forbidden
from civicgrid.org.models import Role, User
from civicgrid.org.scoping import scope_of

MEMBER = "member"
OFFICER = "officer"
SELF = "self"
STAFF = "staff"

STAFF_ROLES = frozenset({Role.HANDLER, Role.DISPATCHER, Role.LEADER, Role.ADMIN})


@dataclass(frozen=True)
class Rule:
    sides: frozenset[str]
    refusal: Promise  # what a person without the right reads


RUNS_IT = frozenset({OFFICER, STAFF})
_RUN = _("Only the council's chair or secretary, or staff of its unit, may do this.")

RULES: dict[str, Rule] = {
    CouncilAction.FOUND: Rule(
        frozenset({STAFF}), _("Only staff of the unit may set up a council there.")
    ),
    CouncilAction.JOIN: Rule(RUNS_IT, _RUN),
    CouncilAction.LEAVE: Rule(
        frozenset({OFFICER, STAFF, SELF}),
        _("Only the member, the council's chair or secretary, or staff may record a leaving."),
    ),
    CouncilAction.CHANGE_ROLE: Rule(RUNS_IT, _RUN),
    CouncilAction.FORM_GROUP: Rule(RUNS_IT, _RUN),
    CouncilAction.CHANGE_GROUP: Rule(RUNS_IT, _RUN),
    # meetings: officers and staff run them; a member confirms their own attendance
    CouncilAction.PLAN_MEETING: Rule(RUNS_IT, _RUN),
    CouncilAction.CHANGE_MEETING: Rule(RUNS_IT, _RUN),
    CouncilAction.HOLD_MEETING: Rule(RUNS_IT, _RUN),
    CouncilAction.CANCEL_MEETING: Rule(RUNS_IT, _RUN),
    CouncilAction.RECORD_MINUTES: Rule(RUNS_IT, _RUN),
    CouncilAction.TAKE_ROLL: Rule(RUNS_IT, _RUN),
    CouncilAction.CONFIRM_ATTENDANCE: Rule(
        frozenset({SELF}), _("Only the member themself may confirm their attendance.")
    ),
    CouncilAction.RECORD_DECISION: Rule(RUNS_IT, _RUN),
    CouncilAction.ADD_ITEM: Rule(RUNS_IT, _RUN),
    CouncilAction.FINISH_ITEM: Rule(
        frozenset({OFFICER, STAFF, SELF}),
        _("Only the item's owner, the council's chair or secretary, or staff may mark it done."),
    ),
    CouncilAction.DROP_ITEM: Rule(RUNS_IT, _RUN),
    CouncilAction.ITEM_TO_CASE: Rule(RUNS_IT, _RUN),
    # problems: members raise and share them; officers and staff decide what happens
    CouncilAction.RAISE_PROBLEM: Rule(
        frozenset({MEMBER}), _("Only a member of the council may raise a problem to it.")
    ),
    CouncilAction.SHARE_PROBLEM: Rule(
        frozenset({MEMBER}), _("Only a member of the council may say a problem concerns them.")
    ),
    CouncilAction.TAKE_UP_PROBLEM: Rule(RUNS_IT, _RUN),
    CouncilAction.SOLVE_PROBLEM: Rule(RUNS_IT, _RUN),
    CouncilAction.WHISTLE_PROBLEM: Rule(RUNS_IT, _RUN),
    # conventions (公约): the council adopts, amends and scores; each member signs and
    # assesses themself
    CouncilAction.ADOPT_CONVENTION: Rule(RUNS_IT, _RUN),
    CouncilAction.AMEND_CONVENTION: Rule(RUNS_IT, _RUN),
    CouncilAction.SIGN_CONVENTION: Rule(
        frozenset({SELF}), _("Only the member themself may sign the convention.")
    ),
    CouncilAction.OPEN_PERIOD: Rule(RUNS_IT, _RUN),
    CouncilAction.SELF_ASSESS: Rule(
        frozenset({SELF}), _("Only the member themself may fill in their self-assessment.")
    ),
    CouncilAction.INSPECT: Rule(RUNS_IT, _RUN),
    CouncilAction.CLOSE_SELF_ASSESSMENT: Rule(RUNS_IT, _RUN),
    CouncilAction.RATE_PERIOD: Rule(RUNS_IT, _RUN),
    CouncilAction.PUBLISH_PERIOD: Rule(RUNS_IT, _RUN),
}


@dataclass
class Standing:
    """How ``user`` stands to ``council`` (read once, then asked for each action)."""

    council: Council
    user: User | None

    @cached_property
    def seat(self) -> CouncilMember | None:
        """The user's active seat in the council, if any."""
        if self.user is None or not self.user.is_authenticated or self.council.pk is None:
            return None
        return self.council.members.filter(user=self.user, left_on=None).first()

    @cached_property
    def staff(self) -> bool:
        if self.user is None or not self.user.is_active:
            return False
        scope = scope_of(self.user)
        return scope.everything or bool(scope.roles_over(self.council.unit) & STAFF_ROLES)

    @property
    def member(self) -> bool:
        return self.seat is not None

    @property
    def officer(self) -> bool:
        return self.seat is not None and self.seat.officer

    def sides(self, about: CouncilMember | None = None) -> set[str]:
        found = set()
        if self.member:
            found.add(MEMBER)
        if self.officer:
            found.add(OFFICER)
        if self.staff:
            found.add(STAFF)
        if about is not None and self.seat is not None and about.pk == self.seat.pk:
            found.add(SELF)
        return found

    def may(self, action: str, about: CouncilMember | None = None) -> bool:
        return bool(RULES[action].sides & self.sides(about))

    def check(self, action: str, about: CouncilMember | None = None) -> None:
        """Refuse (403) what this person may not do in this council."""
        if not self.may(action, about):
            raise Forbidden(str(RULES[action].refusal))

    @property
    def sees_contacts(self) -> bool:
        """Whether members' phone numbers are shown whole (officers and staff, who call
        them); everyone else sees them masked."""
        return self.officer or self.staff


def standing(council: Council, user: User | None) -> Standing:
    return Standing(council, user)

"""Who may do what to a case, and from which states: one table (``RULES``), read by the
transitions to refuse and by the console and the API to offer only what will work.

A transition is refused in this order: no right to it (403, ``check_right``: the
actor's roles over the case's units), then not possible now (409, ``possible``: the
case's state, and what lies around it, such as a unit above to escalate to). So a
person without the right always hears that, whatever the case's state.

Rights beyond the transitions live here too: a department's whistle tasks
(``TASK_ROLES``), submitting for a resident (``INTAKE_ROLES``), and knowing the
resident behind a case (``may_know_resident``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from civicgrid.cases.lookups import ids_q
from civicgrid.cases.models import OPEN_STATES, Action, Case, State
from civicgrid.errors import Conflict, Forbidden, Invalid, Refusal
from civicgrid.org.models import Level, Role, Unit, User
from civicgrid.org.scoping import Scope, scope_of

if TYPE_CHECKING:
    from civicgrid.cases.rules import Snapshot, Surroundings

HANDLING = (Role.HANDLER, Role.DISPATCHER, Role.GRID_WORKER)
DISPATCH = (Role.DISPATCHER,)
SUPERVISING = (Role.DISPATCHER, Role.LEADER)
VERIFYING = (Role.GRID_WORKER, Role.DISPATCHER, Role.LEADER)
FOLLOW_UP = (Role.OPERATOR, Role.DISPATCHER)
MERGING = (Role.DISPATCHER, Role.OPERATOR)
# Who may act on a department's whistle task: its own staff.
TASK_ROLES = (Role.HANDLER, Role.DISPATCHER)
# Who may submit a request for a resident (hotline, patrol, the console).
INTAKE_ROLES = (Role.OPERATOR, Role.DISPATCHER, Role.GRID_WORKER, Role.HANDLER)
# Who may know the resident behind a case (a name kept from the handlers) and reveal
# their phone number (each reveal logged with its reason): those who call residents
# back or answer for the case, over its owner or the unit that dispatched it.
CONTACT_ROLES = (Role.OPERATOR, Role.DISPATCHER, Role.LEADER)

Units = Callable[[Case], list[Unit | None]]
# A case's surroundings that forbid a transition its state allows: the refusal, or None.
Condition = Callable[["Snapshot", "Surroundings"], Refusal | None]


def _owner(case: Case) -> list[Unit | None]:
    return [case.owner_unit]


def _owner_or_grid(case: Case) -> list[Unit | None]:
    return [case.owner_unit, case.grid]


def _grid(case: Case) -> list[Unit | None]:
    return [case.grid]


def _triaged(case: Snapshot, around: Surroundings) -> Refusal | None:
    # Routing goes by the category: without one there is nowhere to dispatch to.
    if case.category_id is None:
        return Invalid(_("Triage the case (choose its category) before dispatching it."))
    return None


def _departments_at_work(case: Snapshot, around: Surroundings) -> Refusal | None:
    if around.open_tasks:
        return Conflict(_("Departments are still working on this case; wait until they are done."))
    return None


def _can_return(case: Snapshot, around: Surroundings) -> Refusal | None:
    if case.dispatcher_unit_id is None and around.above_id is None:
        return Conflict(_("The district cannot return a case: there is no unit above it."))
    if around.open_tasks:
        return Conflict(_("Departments are still working on this case; it cannot be returned."))
    return None


def _can_escalate(case: Snapshot, around: Surroundings) -> Refusal | None:
    if around.above_id is None:
        return Conflict(_("The case is already at the district: there is no tier above."))
    if around.open_tasks:
        return Conflict(_("Departments are still working on this case; it cannot be escalated."))
    return None


def _at_street_or_district(case: Snapshot, around: Surroundings) -> Refusal | None:
    if around.owner_level not in (Level.STREET, Level.DISTRICT):
        return Conflict(_("Only a case at a street or the district can be whistled."))
    return None


def _grid_may_handle(case: Snapshot, around: Surroundings) -> Refusal | None:
    if not around.grid_may_self_handle:
        return Invalid(_("A grid may not handle this category itself; report it instead."))
    return None


def _withdrawn(case: Snapshot, around: Surroundings) -> Refusal | None:
    if case.withdrawn_from_public_at is None:
        return Conflict(_("This case is not withdrawn from public view."))
    return None


def _public(case: Snapshot, around: Surroundings) -> Refusal | None:
    if case.withdrawn_from_public_at is not None:
        return Conflict(_("This case is already withdrawn from public view."))
    return None


@dataclass(frozen=True)
class Rule:
    states: frozenset[str]
    roles: tuple[str, ...]
    doing: Promise  # "acknowledged": for "a case that is X cannot be <doing>"
    refusal: Promise  # shown to a person without the right
    units: Units = _owner  # the units whose people may act (through their roles)
    system: bool = False  # actor None (the resident or the sweeper) may do it
    when: Condition | None = None  # beyond the state: what else must hold
    # Who else has the right, by the district's policy (``VerificationPolicy``).
    also: Callable[[Case, User], bool] | None = None


S = State
RULES: dict[str, Rule] = {
    Action.FIX_ON_THE_SPOT: Rule(
        frozenset({S.SUBMITTED}),
        (Role.GRID_WORKER,),
        pgettext_lazy("a case cannot be …", "fixed on the spot"),
        gettext_lazy("Only a grid worker of the case's grid may fix it on the spot."),
        units=_grid,
        when=_grid_may_handle,
    ),
    Action.TRIAGE: Rule(
        frozenset({S.SUBMITTED, S.RETURNED}),
        DISPATCH,
        pgettext_lazy("a case cannot be …", "triaged"),
        gettext_lazy("Only a dispatcher of this unit may triage."),
        system=True,  # the classifier, when it is confident
    ),
    Action.DISPATCH: Rule(
        frozenset({S.SUBMITTED, S.RETURNED}),
        DISPATCH,
        pgettext_lazy("a case cannot be …", "dispatched"),
        gettext_lazy("Only a dispatcher of this unit may dispatch."),
        when=_triaged,
    ),
    Action.ACKNOWLEDGE: Rule(
        frozenset({S.DISPATCHED}),
        HANDLING,
        pgettext_lazy("a case cannot be …", "acknowledged"),
        gettext_lazy("You may not acknowledge a case of another unit."),
    ),
    Action.RETURN: Rule(
        frozenset({S.DISPATCHED, S.HANDLING}),
        HANDLING,
        pgettext_lazy("a case cannot be …", "returned"),
        gettext_lazy("You may not return a case of another unit."),
        when=_can_return,
    ),
    Action.HANDLE: Rule(
        frozenset({S.HANDLING}),
        HANDLING,
        pgettext_lazy("a case cannot be …", "worked on"),
        gettext_lazy("You may not work on a case of another unit."),
    ),
    Action.RESOLVE: Rule(
        frozenset({S.HANDLING}),
        HANDLING,
        pgettext_lazy("a case cannot be …", "resolved"),
        gettext_lazy("You may not resolve a case of another unit."),
        when=_departments_at_work,
    ),
    Action.VERIFY: Rule(
        frozenset({S.RESOLVED}),
        VERIFYING,
        pgettext_lazy("a case cannot be …", "verified"),
        gettext_lazy("Only the grid worker or a dispatcher over this case may verify it."),
        units=_owner_or_grid,
        also=lambda case, actor: _community_verifies(case, actor),
    ),
    Action.FOLLOW_UP: Rule(
        frozenset({S.FOLLOW_UP}),
        FOLLOW_UP,
        pgettext_lazy("a case cannot be …", "followed up"),
        gettext_lazy("Only an operator or dispatcher may record a follow-up."),
    ),
    Action.RATE: Rule(
        frozenset({S.FOLLOW_UP}),
        FOLLOW_UP,
        pgettext_lazy("a case cannot be …", "rated"),
        gettext_lazy("Only an operator or dispatcher may record a rating."),
        system=True,
    ),
    Action.CLOSE: Rule(
        frozenset({S.FOLLOW_UP}),
        (*FOLLOW_UP, Role.LEADER),
        pgettext_lazy("a case cannot be …", "closed"),
        gettext_lazy("Only an operator, dispatcher or leader may close a case."),
    ),
    Action.REOPEN: Rule(
        frozenset({S.RESOLVED, S.FOLLOW_UP, S.CLOSED}),
        SUPERVISING,
        pgettext_lazy("a case cannot be …", "reopened"),
        gettext_lazy("Only a dispatcher or leader may reopen a case."),
    ),
    Action.ESCALATE: Rule(
        frozenset({S.DISPATCHED, S.HANDLING, S.RETURNED}),
        (*HANDLING, Role.LEADER),
        pgettext_lazy("a case cannot be …", "escalated"),
        gettext_lazy("You may not escalate a case of another unit."),
        system=True,
        when=_can_escalate,
    ),
    Action.SUPERVISE: Rule(
        OPEN_STATES,
        SUPERVISING,
        pgettext_lazy("a case cannot be …", "supervised"),
        gettext_lazy("Only a leader or dispatcher over this case may supervise it."),
        system=True,
    ),
    Action.REMIND: Rule(
        OPEN_STATES,
        SUPERVISING,
        pgettext_lazy("a case cannot be …", "reminded"),
        gettext_lazy("Only a leader or dispatcher over this case may send a reminder."),
        system=True,
    ),
    Action.MERGE: Rule(
        frozenset({S.SUBMITTED, S.DISPATCHED, S.RETURNED}),
        MERGING,
        pgettext_lazy("a case cannot be …", "merged"),
        gettext_lazy("Only a dispatcher or operator may merge duplicates."),
    ),
    Action.REJECT: Rule(
        frozenset({S.SUBMITTED, S.RETURNED}),
        DISPATCH,
        pgettext_lazy("a case cannot be …", "rejected"),
        gettext_lazy("Only a dispatcher of this unit may reject."),
    ),
    Action.WHISTLE: Rule(
        frozenset({S.DISPATCHED, S.HANDLING}),
        DISPATCH,
        pgettext_lazy("a case cannot be …", "whistled"),
        gettext_lazy("Only a dispatcher of the street or district may whistle."),
        when=_at_street_or_district,
    ),
    # 撤下公开: moderation of what is published, in any state; those who answer for the
    # case (its dispatchers and leaders, here or above) decide, not who handles it.
    Action.WITHDRAW: Rule(
        frozenset(S.values),
        SUPERVISING,
        pgettext_lazy("a case cannot be …", "withdrawn from public view"),
        gettext_lazy(
            "Only a dispatcher or leader over this case may withdraw it from public view."
        ),
        when=_public,
    ),
    Action.REPUBLISH: Rule(
        frozenset(S.values),
        SUPERVISING,
        pgettext_lazy("a case cannot be …", "published again"),
        gettext_lazy("Only a dispatcher or leader over this case may publish it again."),
        when=_withdrawn,
    ),
}


def has_right(actor: User | Scope | None, roles: tuple[str, ...], units: list[Unit | None]) -> bool:
    """``actor`` holds one of ``roles`` over one of ``units`` (a superuser: always; an
    inactive or anonymous user: never)."""
    if actor is None:
        return False
    scope = scope_of(actor)
    if scope.everything:
        return True
    return any(
        unit is not None and scope.covers(unit) and scope.roles_over(unit).intersection(roles)
        for unit in units
    )


# A community's staff who may verify, where the district's policy lets the community.
COMMUNITY_VERIFYING = (Role.HANDLER, Role.DISPATCHER, Role.LEADER)


def _community_verifies(case: Case, actor: User) -> bool:
    """The district lets a community verify fixes of the case's tier
    (``VerificationPolicy``), and ``actor`` is staff of the community: above the grid
    that owns a micro matter, or owning a minor matter itself."""
    from civicgrid.cases.models import Tier, VerificationPolicy

    if case.tier not in (Tier.MICRO, Tier.MINOR):
        return False
    owner = case.owner_unit
    community = owner.parent if owner.level == Level.GRID else owner
    if community is None or community.level != Level.COMMUNITY:
        return False
    if case.tier not in VerificationPolicy.current().community_tiers():
        return False
    return has_right(actor, COMMUNITY_VERIFYING, [community])


def _rule_allows(rule: Rule, case: Case, actor: User) -> bool:
    return has_right(actor, rule.roles, rule.units(case)) or (
        rule.also is not None and rule.also(case, actor)
    )


def _resolver_of(case: Case) -> int | None:
    """The id of the user who resolved ``case`` last (办结 or an on-the-spot fix)."""
    return (
        case.events.filter(action__in=(Action.RESOLVE, Action.FIX_ON_THE_SPOT))
        .order_by("-seq")
        .values_list("actor_id", flat=True)
        .first()
    )


def _checks_own_fix(case: Case, action: str, actor: User | None) -> bool:
    """核查 is someone else's look at the fix: whoever resolved a case may not verify it."""
    return (
        action == Action.VERIFY
        and actor is not None
        and case.state == State.RESOLVED
        and _resolver_of(case) == actor.pk
    )


def may(case: Case, action: str, actor: User | None) -> bool:
    """Whether ``actor`` has the right to ``action`` on ``case`` (whatever its state)."""
    rule = RULES[action]
    if actor is None:
        return rule.system
    return _rule_allows(rule, case, actor) and not _checks_own_fix(case, action, actor)


def check_right(case: Case, action: str, actor: User | None) -> None:
    """Refuse (403) an actor without the right to ``action`` on ``case``."""
    rule = RULES[action]
    if actor is None:
        if not rule.system:
            raise Forbidden(str(rule.refusal))
        return
    if not _rule_allows(rule, case, actor):
        raise Forbidden(str(rule.refusal))
    if _checks_own_fix(case, action, actor):
        raise Forbidden(_("You resolved this case yourself: someone else must verify the fix."))


def possible(action: str, case: Snapshot, around: Surroundings) -> Refusal | None:
    """Why ``action`` cannot happen to ``case`` now (its state, its surroundings), or
    None. Pure: the rules call it, and so does ``allowed_actions``."""
    rule = RULES[action]
    if case.state not in rule.states:
        if action == Action.ACKNOWLEDGE and case.state == State.HANDLING:
            return Conflict(_("This case has already been acknowledged."))
        return Conflict(
            _("A case that is %(state)s cannot be %(doing)s.")
            % {"state": State(case.state).label, "doing": rule.doing}
        )
    return rule.when(case, around) if rule.when is not None else None


def ensure_possible(action: str, case: Snapshot, around: Surroundings) -> None:
    refusal = possible(action, case, around)
    if refusal is not None:
        raise refusal


def allowed_actions(case: Case, actor: User | None) -> list[str]:
    """The transitions ``actor`` may make on ``case`` now: the console's buttons, each
    one that will succeed (given valid input)."""
    return allowed_actions_for([case], actor)[case.pk]


def allowed_actions_for(cases: Sequence[Case], actor: User | None) -> dict[int, list[str]]:
    """``allowed_actions`` of each of ``cases`` (a page of a list), by case id, with
    what lies around them read once for the page rather than once per case."""
    from civicgrid.cases.facts import surroundings
    from civicgrid.cases.rules import NOWHERE, Snapshot

    snapshots = {case.pk: Snapshot.of(case) for case in cases}
    candidates = {
        case.pk: [
            action
            for action, rule in RULES.items()
            if snapshots[case.pk].state in rule.states and may(case, action, actor)
        ]
        for case in cases
    }
    # What lies around a case is read only when a candidate's rule looks at it.
    around = surroundings(
        [snapshots[pk] for pk, actions in candidates.items() if any(RULES[a].when for a in actions)]
    )
    return {
        pk: [a for a in actions if possible(a, snapshots[pk], around.get(pk, NOWHERE)) is None]
        for pk, actions in candidates.items()
    }


def may_act_on_task(actor: User | None, department: Unit) -> bool:
    return has_right(actor, TASK_ROLES, [department])


def may_know_resident(case: Case, actor: User | None) -> bool:
    """The resident's name even when they asked to keep it from the handlers, and their
    whole phone number (each reveal logged)."""
    return has_right(actor, CONTACT_ROLES, [case.owner_unit, case.dispatcher_unit])


def known_residents(actor: User | Scope | None) -> Q | None:
    """The cases whose resident ``actor`` may know, as a filter: ``may_know_resident``
    for a list (a contact role over the case's owner or the unit that dispatched it).
    ``Q()`` for the whole tree; None when the actor holds no such role anywhere."""
    if actor is None:
        return None
    units = scope_of(actor).units_where(CONTACT_ROLES)
    if units is None:
        return Q()
    if not units:
        return None
    return ids_q(units, "owner_unit_id") | ids_q(units, "dispatcher_unit_id")

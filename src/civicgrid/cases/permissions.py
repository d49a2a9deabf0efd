"""Who may make each transition, from which states: one table, used by the transition
functions to refuse and by the console to show only the buttons that will work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from civicgrid.cases.models import OPEN_STATES, Case, State
from civicgrid.errors import Conflict, Forbidden, Refusal
from civicgrid.org.models import Role, Unit, User
from civicgrid.org.scoping import scope_of

HANDLING = (Role.HANDLER, Role.DISPATCHER, Role.GRID_WORKER)
DISPATCH = (Role.DISPATCHER,)
SUPERVISING = (Role.DISPATCHER, Role.LEADER)
VERIFYING = (Role.GRID_WORKER, Role.DISPATCHER, Role.LEADER)
FOLLOW_UP = (Role.OPERATOR, Role.DISPATCHER)
MERGING = (Role.DISPATCHER, Role.OPERATOR)


def _owner(case: Case) -> list[Unit | None]:
    return [case.owner_unit]


def _owner_or_grid(case: Case) -> list[Unit | None]:
    return [case.owner_unit, case.grid]


@dataclass(frozen=True)
class Rule:
    states: frozenset[str]
    roles: tuple[str, ...]
    doing: Promise  # "acknowledged": for "a case that is X cannot be <doing>"
    refusal: Promise  # shown to a person without the right
    units: Callable[[Case], list[Unit | None]] = _owner
    system: bool = False  # actor None (the resident or the sweeper) may do it
    # Beyond the state, what else must hold (withdrawn or not): the refusal, or None.
    when: Callable[[Case], Refusal | None] | None = None


def _grid(case: Case) -> list[Unit | None]:
    return [case.grid]


def _withdrawn(case: Case) -> Refusal | None:
    if case.withdrawn_from_public_at is None:
        return Conflict(_("This case is not withdrawn from public view."))
    return None


def _public(case: Case) -> Refusal | None:
    if case.withdrawn_from_public_at is not None:
        return Conflict(_("This case is already withdrawn from public view."))
    return None


S = State
RULES: dict[str, Rule] = {
    "fix_on_the_spot": Rule(
        frozenset({S.SUBMITTED}),
        (Role.GRID_WORKER,),
        pgettext_lazy("a case cannot be …", "fixed on the spot"),
        gettext_lazy("Only a grid worker of the case's grid may fix it on the spot."),
        units=_grid,
    ),
    "triage": Rule(
        frozenset({S.SUBMITTED, S.RETURNED}),
        DISPATCH,
        pgettext_lazy("a case cannot be …", "triaged"),
        gettext_lazy("Only a dispatcher of this unit may triage."),
        system=True,  # the classifier, when it is confident
    ),
    "dispatch": Rule(
        frozenset({S.SUBMITTED, S.RETURNED}),
        DISPATCH,
        pgettext_lazy("a case cannot be …", "dispatched"),
        gettext_lazy("Only a dispatcher of this unit may dispatch."),
    ),
    "acknowledge": Rule(
        frozenset({S.DISPATCHED}),
        HANDLING,
        pgettext_lazy("a case cannot be …", "acknowledged"),
        gettext_lazy("You may not acknowledge a case of another unit."),
    ),
    "return": Rule(
        frozenset({S.DISPATCHED, S.HANDLING}),
        HANDLING,
        pgettext_lazy("a case cannot be …", "returned"),
        gettext_lazy("You may not return a case of another unit."),
    ),
    "handle": Rule(
        frozenset({S.HANDLING}),
        HANDLING,
        pgettext_lazy("a case cannot be …", "worked on"),
        gettext_lazy("You may not work on a case of another unit."),
    ),
    "resolve": Rule(
        frozenset({S.HANDLING}),
        HANDLING,
        pgettext_lazy("a case cannot be …", "resolved"),
        gettext_lazy("You may not resolve a case of another unit."),
    ),
    "verify": Rule(
        frozenset({S.RESOLVED}),
        VERIFYING,
        pgettext_lazy("a case cannot be …", "verified"),
        gettext_lazy("Only the grid worker or a dispatcher over this case may verify it."),
        units=_owner_or_grid,
    ),
    "follow_up": Rule(
        frozenset({S.FOLLOW_UP}),
        FOLLOW_UP,
        pgettext_lazy("a case cannot be …", "followed up"),
        gettext_lazy("Only an operator or dispatcher may record a follow-up."),
    ),
    "rate": Rule(
        frozenset({S.FOLLOW_UP}),
        FOLLOW_UP,
        pgettext_lazy("a case cannot be …", "rated"),
        gettext_lazy("Only an operator or dispatcher may record a rating."),
        system=True,
    ),
    "close": Rule(
        frozenset({S.FOLLOW_UP}),
        (*FOLLOW_UP, Role.LEADER),
        pgettext_lazy("a case cannot be …", "closed"),
        gettext_lazy("Only an operator, dispatcher or leader may close a case."),
    ),
    "reopen": Rule(
        frozenset({S.RESOLVED, S.FOLLOW_UP, S.CLOSED}),
        SUPERVISING,
        pgettext_lazy("a case cannot be …", "reopened"),
        gettext_lazy("Only a dispatcher or leader may reopen a case."),
    ),
    "escalate": Rule(
        frozenset({S.DISPATCHED, S.HANDLING, S.RETURNED}),
        (*HANDLING, Role.LEADER),
        pgettext_lazy("a case cannot be …", "escalated"),
        gettext_lazy("You may not escalate a case of another unit."),
        system=True,
    ),
    "supervise": Rule(
        OPEN_STATES,
        SUPERVISING,
        pgettext_lazy("a case cannot be …", "supervised"),
        gettext_lazy("Only a leader or dispatcher over this case may supervise it."),
        system=True,
    ),
    "remind": Rule(
        OPEN_STATES,
        SUPERVISING,
        pgettext_lazy("a case cannot be …", "reminded"),
        gettext_lazy("Only a leader or dispatcher over this case may send a reminder."),
        system=True,
    ),
    "merge": Rule(
        frozenset({S.SUBMITTED, S.DISPATCHED, S.RETURNED}),
        MERGING,
        pgettext_lazy("a case cannot be …", "merged"),
        gettext_lazy("Only a dispatcher or operator may merge duplicates."),
    ),
    "reject": Rule(
        frozenset({S.SUBMITTED, S.RETURNED}),
        DISPATCH,
        pgettext_lazy("a case cannot be …", "rejected"),
        gettext_lazy("Only a dispatcher of this unit may reject."),
    ),
    "whistle": Rule(
        frozenset({S.DISPATCHED, S.HANDLING}),
        DISPATCH,
        pgettext_lazy("a case cannot be …", "whistled"),
        gettext_lazy("Only a dispatcher of the street or district may whistle."),
    ),
    # 撤下公开: moderation of what is published, in any state; those who answer for the
    # case (its dispatchers and leaders, here or above) decide, not who handles it.
    "withdraw": Rule(
        frozenset(S.values),
        SUPERVISING,
        pgettext_lazy("a case cannot be …", "withdrawn from public view"),
        gettext_lazy(
            "Only a dispatcher or leader over this case may withdraw it from public view."
        ),
        when=_public,
    ),
    "republish": Rule(
        frozenset(S.values),
        SUPERVISING,
        pgettext_lazy("a case cannot be …", "published again"),
        gettext_lazy("Only a dispatcher or leader over this case may publish it again."),
        when=_withdrawn,
    ),
}


def has_right(actor: User | None, roles: tuple[str, ...], units: list[Unit | None]) -> bool:
    if actor is None:
        return False
    scope = scope_of(actor)
    if scope.everything:
        return True
    return any(
        unit is not None and scope.covers(unit) and scope.roles_over(unit).intersection(roles)
        for unit in units
    )


def _resolver_of(case: Case) -> int | None:
    """The id of the user who resolved ``case`` last (办结 or an on-the-spot fix)."""
    return (
        case.events.filter(action__in=("resolve", "fix_on_the_spot"))
        .order_by("-seq")
        .values_list("actor_id", flat=True)
        .first()
    )


def _checks_own_fix(case: Case, action: str, actor: User | None) -> bool:
    """核查 is someone else's look at the fix: whoever resolved a case may not verify it."""
    return action == "verify" and actor is not None and _resolver_of(case) == actor.pk


def check(case: Case, action: str, actor: User | None) -> None:
    """Refuse, with the reason, a transition not allowed now: wrong state (409), no
    right to it (403), or what else the rule asks of the case (``when``, 409)."""
    rule = RULES[action]
    if case.state not in rule.states:
        if action == "acknowledge" and case.state == State.HANDLING:
            raise Conflict(_("This case has already been acknowledged."))
        raise Conflict(
            _("A case that is %(state)s cannot be %(doing)s.")
            % {"state": State(case.state).label, "doing": rule.doing}
        )
    if not (actor is None and rule.system) and not has_right(actor, rule.roles, rule.units(case)):
        raise Forbidden(str(rule.refusal))
    # After the right: a person without it hears that, not whether the case is withdrawn.
    if rule.when is not None and (refusal := rule.when(case)) is not None:
        raise refusal
    if _checks_own_fix(case, action, actor):
        raise Forbidden(_("You resolved this case yourself: someone else must verify the fix."))


def allowed_actions(case: Case, actor: User | None) -> list[str]:
    """The transitions ``actor`` may make on ``case`` now (for the console's buttons)."""
    allowed = []
    for action, rule in RULES.items():
        if (
            case.state in rule.states
            and (rule.when is None or rule.when(case) is None)
            and has_right(actor, rule.roles, rule.units(case))
            and not _checks_own_fix(case, action, actor)
        ):
            allowed.append(action)
    return allowed

"""Who may do what to an appeal (申诉), and from which states: one table (``RULES``),
read by the actions to refuse and by the pages and the API to offer only what works.

Two sides, never the same person:

* **the appealing side** (submit, withdraw): a handler, dispatcher or leader of the
  case's owner unit or of a unit above it, *below the district* (a street answers for
  its communities' cases, a department for its own). The district does not appeal to
  itself: a case the district owns cannot be appealed, and a district role gives no
  right to appeal.
* **the deciding side** (uphold, reject): a dispatcher, leader or administrator of the
  district (a role held at the top of the tree), or a superuser. Nobody decides their
  own unit's appeal: whoever also holds an appealing-side role over the appeal's unit,
  or submitted it, is refused.

Refused in this order, as the case transitions are: no right (403), then not possible
in the appeal's state (409).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from civicgrid.errors import Conflict, Forbidden
from civicgrid.evaluation.models import Appeal, AppealAction, AppealState
from civicgrid.org.models import Role, Unit, User
from civicgrid.org.scoping import scope_of

APPEALING = (Role.HANDLER, Role.DISPATCHER, Role.LEADER)
DECIDING = (Role.DISPATCHER, Role.LEADER, Role.ADMIN)
APPEALING_SIDE = "unit"
DECIDING_SIDE = "district"


@dataclass(frozen=True)
class Rule:
    states: frozenset[str]
    side: str  # APPEALING_SIDE or DECIDING_SIDE
    doing: Promise  # for "an appeal that is X cannot be <doing>"
    refusal: Promise  # shown to a person without the right


A = AppealState
RULES: dict[str, Rule] = {
    AppealAction.SUBMIT: Rule(
        frozenset(),  # a new appeal: the case's own checks (``actions.submit_appeal``)
        APPEALING_SIDE,
        pgettext_lazy("an appeal cannot be …", "submitted"),
        gettext_lazy("Only the unit that owns this case (or a unit above it) may appeal it."),
    ),
    AppealAction.WITHDRAW: Rule(
        frozenset({A.SUBMITTED}),
        APPEALING_SIDE,
        pgettext_lazy("an appeal cannot be …", "withdrawn"),
        gettext_lazy("Only the unit that appealed may withdraw its appeal."),
    ),
    AppealAction.UPHOLD: Rule(
        frozenset({A.SUBMITTED}),
        DECIDING_SIDE,
        pgettext_lazy("an appeal cannot be …", "upheld"),
        gettext_lazy(
            "Only a dispatcher, leader or administrator of the district may decide appeals."
        ),
    ),
    AppealAction.REJECT: Rule(
        frozenset({A.SUBMITTED}),
        DECIDING_SIDE,
        pgettext_lazy("an appeal cannot be …", "rejected"),
        gettext_lazy(
            "Only a dispatcher, leader or administrator of the district may decide appeals."
        ),
    ),
}


def _is_top(path: str) -> bool:
    """A grant at the top of the tree (the district): its path is one code long."""
    return path.count("/") == 1


def may_appeal_for(actor: User | None, unit: Unit | None) -> bool:
    """``actor`` holds an appealing role over ``unit`` in ``unit`` or above it, below the
    district (a superuser's rights are the district's: not this side)."""
    if actor is None or unit is None or _is_top(unit.path):
        return False
    scope = scope_of(actor)
    return any(
        not _is_top(path) and unit.path.startswith(path) and role in APPEALING
        for path, role in scope.grants
    )


def may_decide(actor: User | None) -> bool:
    """``actor`` is on the district's deciding side (whatever the appeal)."""
    if actor is None:
        return False
    scope = scope_of(actor)
    if scope.everything:
        return True
    return any(_is_top(path) and role in DECIDING for path, role in scope.grants)


def has_right(appeal_unit: Unit | None, action: str, actor: User | None) -> bool:
    rule = RULES[action]
    if rule.side == APPEALING_SIDE:
        return may_appeal_for(actor, appeal_unit)
    return may_decide(actor)


def check_right(appeal: Appeal | None, unit: Unit | None, action: str, actor: User | None) -> None:
    """Refuse (403) an actor without the right to ``action`` on an appeal of ``unit``."""
    rule = RULES[action]
    if not has_right(unit, action, actor):
        raise Forbidden(str(rule.refusal))
    if rule.side == DECIDING_SIDE and actor is not None:
        own = may_appeal_for(actor, unit) or (
            appeal is not None and appeal.submitted_by_id == actor.pk
        )
        if own:
            raise Forbidden(_("You may not decide your own unit's appeal."))


def possible(action: str, appeal: Appeal) -> Conflict | None:
    """Why ``action`` cannot happen to ``appeal`` in its state now, or None."""
    rule = RULES[action]
    if appeal.state in rule.states:
        return None
    if rule.side == DECIDING_SIDE and appeal.state in (A.UPHELD, A.REJECTED):
        return Conflict(_("This appeal has already been decided."))
    return Conflict(
        _("An appeal that is %(state)s cannot be %(doing)s.")
        % {"state": AppealState(appeal.state).label, "doing": rule.doing}
    )


def allowed_actions(appeal: Appeal, actor: User | None) -> list[str]:
    """What ``actor`` may do to ``appeal`` now: the page's buttons."""
    found = []
    for action in (AppealAction.UPHOLD, AppealAction.REJECT, AppealAction.WITHDRAW):
        try:
            check_right(appeal, appeal.unit, action, actor)
        except Forbidden:
            continue
        if possible(action, appeal) is None:
            found.append(str(action))
    return found

"""One answer to "which units may this person see and act in?".

Every scoped query in civicgrid goes through :func:`scope_of`; a later
``Case.objects.visible_to(user)`` is ``scope_of(user).q("owner_unit__path")``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from civicgrid.org.models import Membership, Role, Unit, User


@dataclass(frozen=True)
class Scope:
    """The subtrees (as unit paths) a person may see; ``everything`` for superusers."""

    paths: tuple[str, ...]
    roles: frozenset[str]
    everything: bool = False
    # Where the person works on the ground (grid workers, volunteers): they also see
    # what is located there, whoever owns it, to patrol and verify.
    field_paths: tuple[str, ...] = ()
    # Every (unit path, role) the person holds, to answer "which roles over this unit?".
    grants: tuple[tuple[str, str], ...] = ()

    def q(self, path_field: str) -> Q:
        """A filter on ``path_field`` (a unit path, possibly across a relation)."""
        if self.everything:
            return Q()
        if not self.paths:
            return Q(pk__in=[])
        return reduce(or_, (Q(**{f"{path_field}__startswith": p}) for p in self.paths))

    def q_field(self, path_field: str) -> Q:
        """A filter on where things are located (``grid__path``), for field roles."""
        if self.everything:
            return Q()
        if not self.field_paths:
            return Q(pk__in=[])
        return reduce(or_, (Q(**{f"{path_field}__startswith": p}) for p in self.field_paths))

    def covers(self, unit: Unit) -> bool:
        return self.everything or any(unit.path.startswith(p) for p in self.paths)

    def roles_over(self, unit: Unit) -> set[str]:
        """The roles held in ``unit`` or in any unit above it."""
        return {role for path, role in self.grants if unit.path.startswith(path)}

    def has_role(self, *roles: str) -> bool:
        return self.everything or bool(self.roles.intersection(roles))


NOBODY = Scope(paths=(), roles=frozenset())
FIELD_ROLES = frozenset({Role.GRID_WORKER, Role.VOLUNTEER})


def _outermost(paths: set[str]) -> tuple[str, ...]:
    """Drop paths already inside another one, so the filter stays short."""
    kept: list[str] = []
    for p in sorted(paths, key=len):
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return tuple(sorted(kept))


def scope_of(user: User | AnonymousUser | Scope) -> Scope:
    """The scope of ``user``, computed once per user object (so once per request)."""
    if isinstance(user, Scope):
        return user
    if not user.is_authenticated or not user.is_active:
        return NOBODY
    cached = getattr(user, "_civicgrid_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(paths=(), roles=frozenset(Role.values), everything=True)
    else:
        rows = list(
            Membership.objects.filter(user=user, active=True, unit__active=True).values_list(
                "unit__path", "role"
            )
        )
        scope = Scope(
            paths=_outermost({path for path, _ in rows}),
            roles=frozenset(role for _, role in rows),
            field_paths=_outermost({p for p, r in rows if r in FIELD_ROLES}),
            grants=tuple(sorted(set(rows))),
        )
    user._civicgrid_scope = scope  # type: ignore[union-attr]
    return scope

"""One answer to "which units may this person see and act in?".

Every scoped query in civicgrid goes through :func:`scope_of`. Units are filtered by
path prefix (``Scope.q``: the unit table is small); large tables (cases, tasks) are
filtered by ids resolved first (``Scope.reach``): "the owner is one of these units",
"located in one of these grids", which each use an index, instead of a prefix match
across a join that no index can serve (see docs/architecture.md, "Lists at scale").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, reduce
from operator import or_

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from civicgrid.org.models import Membership, Role, Unit, UnitKind, User


@dataclass(frozen=True)
class Reach:
    """A scope as unit ids, read once per scope (so once per request)."""

    # The scope covers every root of the tree: every case, task and unit.
    everywhere: bool
    # The units of the scope's subtrees; among them, the departments.
    unit_ids: tuple[int, ...] = ()
    department_ids: tuple[int, ...] = ()
    # The grids where the person works on the ground (field roles).
    grid_ids: tuple[int, ...] = ()


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
        return _below(self.paths, path_field)

    def q_field(self, path_field: str) -> Q:
        """A filter on where things are located (``grid__path``), for field roles."""
        if self.everything:
            return Q()
        return _below(self.field_paths, path_field)

    def covers(self, unit: Unit) -> bool:
        return self.everything or any(unit.path.startswith(p) for p in self.paths)

    def roles_over(self, unit: Unit) -> set[str]:
        """The roles held in ``unit`` or in any unit above it."""
        return {role for path, role in self.grants if unit.path.startswith(path)}

    def has_role(self, *roles: str) -> bool:
        return self.everything or bool(self.roles.intersection(roles))

    @cached_property
    def _roots(self) -> frozenset[str]:
        return frozenset(Unit.objects.filter(parent=None).values_list("path", flat=True))

    def _whole_tree(self, paths: Iterable[str]) -> bool:
        """Whether ``paths`` take in every root, so the whole tree."""
        return bool(self._roots) and self._roots <= set(paths)

    def units_where(self, roles: Iterable[str]) -> tuple[int, ...] | None:
        """The ids of the units where the person holds one of ``roles``, with everything
        below them; None for the whole tree (a superuser, or such a role over every
        root). Read once per scope and set of roles."""
        wanted = frozenset(roles)
        known: dict[frozenset[str], tuple[int, ...] | None]
        known = self.__dict__.setdefault("_units_where", {})
        if wanted not in known:
            paths = [path for path, role in self.grants if role in wanted]
            if self.everything or self._whole_tree(paths):
                known[wanted] = None
            elif not paths:
                known[wanted] = ()
            else:
                below = Unit.objects.filter(_below(paths, "path"))
                known[wanted] = tuple(below.values_list("pk", flat=True))
        return known[wanted]

    @cached_property
    def reach(self) -> Reach:
        """The scope's units as ids (two or three small queries, once per scope)."""
        if self.everything:
            return Reach(everywhere=True)
        if self._whole_tree(self.paths):
            return Reach(everywhere=True)
        units = (
            list(Unit.objects.filter(self.q("path")).values_list("pk", "kind"))
            if self.paths
            else []
        )
        grids: list[int] = []
        if self.field_paths:
            grids = list(
                Unit.objects.filter(self.q_field("path"), kind=UnitKind.GRID).values_list(
                    "pk", flat=True
                )
            )
        return Reach(
            everywhere=False,
            unit_ids=tuple(pk for pk, _kind in units),
            department_ids=tuple(pk for pk, kind in units if kind == UnitKind.DEPARTMENT),
            grid_ids=tuple(grids),
        )


NOBODY = Scope(paths=(), roles=frozenset())
FIELD_ROLES = frozenset({Role.GRID_WORKER, Role.VOLUNTEER})


def _below(paths: Iterable[str], path_field: str) -> Q:
    """The units at or below any of ``paths`` (none: nothing), as a filter on
    ``path_field``."""
    found = [Q(**{f"{path_field}__startswith": path}) for path in paths]
    return reduce(or_, found) if found else Q(pk__in=[])


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

"""The only functions that change the organisation tree and memberships."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from civicgrid.errors import Invalid
from civicgrid.org.models import (
    ALLOWED_PARENT_KINDS,
    Membership,
    Role,
    Unit,
    UnitKind,
    User,
    unit_code_validator,
)

logger = logging.getLogger(__name__)


def unit_path(code: str, parent: Unit | None) -> str:
    return f"{parent.path if parent else ''}{code}/"


def check_placement(kind: str, parent: Unit | None) -> None:
    """Refuse a unit under a parent of the wrong kind (a grid under a street, say)."""
    allowed = ALLOWED_PARENT_KINDS[kind]
    if parent is None:
        if allowed:
            raise Invalid(_("A %(kind)s needs a parent unit.") % {"kind": UnitKind(kind).label})
        return
    if parent.kind not in allowed:
        raise Invalid(
            _("A %(kind)s cannot be placed under %(parent)s, which is a %(parent_kind)s.")
            % {
                "kind": UnitKind(kind).label,
                "parent": parent.name,
                "parent_kind": UnitKind(parent.kind).label,
            }
        )


def check_code(code: str) -> None:
    try:
        unit_code_validator(code)
    except ValidationError as exc:
        raise Invalid(exc.messages[0]) from exc


@transaction.atomic
def create_unit(*, code: str, name: str, kind: str, parent: Unit | None) -> Unit:
    check_code(code)
    check_placement(kind, parent)
    if not name.strip():
        raise Invalid(_("A unit needs a name."))
    if Unit.objects.filter(code=code).exists():
        raise Invalid(_("The unit code %(code)s is already taken.") % {"code": code})
    return Unit.objects.create(
        code=code, name=name.strip(), kind=kind, parent=parent, path=unit_path(code, parent)
    )


@transaction.atomic
def update_unit(unit: Unit, *, name: str, parent: Unit | None, active: bool) -> Unit:
    """Rename, move or (de)activate a unit; a move re-paths its whole subtree."""
    check_placement(unit.kind, parent)
    if parent is not None and parent.path.startswith(unit.path):
        raise Invalid(_("A unit cannot be moved under itself or its own subunits."))
    old_path = unit.path
    new_path = unit_path(unit.code, parent)
    unit.name, unit.parent, unit.active, unit.path = name.strip(), parent, active, new_path
    unit.save()
    if new_path != old_path:
        Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).update(
            path=Concat(Value(new_path), Substr(F("path"), len(old_path) + 1))
        )
    return unit


def grant_membership(*, user: User, unit: Unit, role: str) -> Membership:
    if role not in Role.values:
        raise Invalid(_("Unknown role: %(role)s") % {"role": role})
    membership, _created = Membership.objects.update_or_create(
        user=user, unit=unit, role=role, defaults={"active": True}
    )
    return membership


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    kind: str
    parent_code: str | None


@transaction.atomic
def bulk_create_units(specs: list[UnitSpec], *, batch_size: int = 1000) -> dict[str, Unit]:
    """Create many units at once (an import, the demo district), parents before children.

    The same checks as ``create_unit``; parents may be earlier specs or stored units.
    Units are inserted level by level so that each level's primary keys are known.
    """
    by_code: dict[str, Unit] = {}
    parent_codes = {s.parent_code for s in specs if s.parent_code} - {s.code for s in specs}
    by_code.update(Unit.objects.in_bulk(parent_codes, field_name="code"))
    taken = set(
        Unit.objects.filter(code__in=[s.code for s in specs]).values_list("code", flat=True)
    )
    if taken:
        raise Invalid(
            _("The unit code %(code)s is already taken.") % {"code": ", ".join(sorted(taken)[:5])}
        )
    pending = list(specs)
    while pending:
        level = [s for s in pending if s.parent_code is None or s.parent_code in by_code]
        if not level:
            raise Invalid(_("Unknown parent unit: %(code)s") % {"code": pending[0].parent_code})
        rows = []
        for spec in level:
            check_code(spec.code)
            parent = by_code.get(spec.parent_code) if spec.parent_code else None
            check_placement(spec.kind, parent)
            rows.append(
                Unit(
                    code=spec.code,
                    name=spec.name,
                    kind=spec.kind,
                    parent=parent,
                    path=unit_path(spec.code, parent),
                )
            )
        for unit in Unit.objects.bulk_create(rows, batch_size=batch_size):
            by_code[unit.code] = unit
        done = {s.code for s in level}
        pending = [s for s in pending if s.code not in done]
    return {s.code: by_code[s.code] for s in specs}


def end_all_sessions(user: User, *, actor: User) -> None:
    """Log ``user`` out on every computer and phone: a new session token changes the
    hash each of their sessions carries, so each ends at its next request. Works with
    any session store (no need to find their sessions among everyone's)."""
    User.objects.filter(pk=user.pk).update(session_token=secrets.token_urlsafe(32))
    user.refresh_from_db(fields=["session_token"])
    logger.warning("all sessions of %s ended by %s", user.username, actor.username)

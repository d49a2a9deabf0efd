"""The organisation: a tree of units, the people in them and what they may do there.

A unit's ``path`` is its ancestors' codes and its own, each followed by ``/``
(``330110/330110001/``). A subtree is then one indexed prefix match, which is
what every scoped query in civicgrid uses (see ``civicgrid.org.scoping``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from civicgrid.org.scoping import Scope


class UnitKind(models.TextChoices):
    DISTRICT = "district", _("district")
    STREET = "street", _("street")
    TOWN = "town", _("town")
    COMMUNITY = "community", _("community")
    VILLAGE = "village", _("village")
    PARK = "park", _("park")
    GRID = "grid", _("grid")
    DEPARTMENT = "department", _("department")


class Level(models.IntegerChoices):
    """The territorial tiers of DESIGN.md; departments stand beside them."""

    DISTRICT = 1, _("district level")
    STREET = 2, _("street level")
    COMMUNITY = 3, _("community level")
    GRID = 4, _("grid level")


LEVEL_OF_KIND: dict[str, Level | None] = {
    UnitKind.DISTRICT: Level.DISTRICT,
    UnitKind.STREET: Level.STREET,
    UnitKind.TOWN: Level.STREET,
    UnitKind.COMMUNITY: Level.COMMUNITY,
    UnitKind.VILLAGE: Level.COMMUNITY,
    UnitKind.PARK: Level.COMMUNITY,
    UnitKind.GRID: Level.GRID,
    UnitKind.DEPARTMENT: None,
}

# Which kinds a unit of each kind may sit under.
ALLOWED_PARENT_KINDS: dict[str, frozenset[str]] = {
    UnitKind.DISTRICT: frozenset(),
    UnitKind.STREET: frozenset({UnitKind.DISTRICT}),
    UnitKind.TOWN: frozenset({UnitKind.DISTRICT}),
    UnitKind.COMMUNITY: frozenset({UnitKind.STREET, UnitKind.TOWN}),
    UnitKind.VILLAGE: frozenset({UnitKind.STREET, UnitKind.TOWN}),
    UnitKind.PARK: frozenset({UnitKind.STREET, UnitKind.TOWN}),
    UnitKind.GRID: frozenset({UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.PARK}),
    UnitKind.DEPARTMENT: frozenset({UnitKind.DISTRICT, UnitKind.DEPARTMENT}),
}

COMMUNITY_KINDS = frozenset({UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.PARK})
STREET_KINDS = frozenset({UnitKind.STREET, UnitKind.TOWN})

unit_code_validator = RegexValidator(
    r"^[A-Za-z0-9_.-]{1,40}$",
    _("A unit code is 1–40 letters, digits, '.', '_' or '-'."),
)


class UnitQuerySet(models.QuerySet["Unit"]):
    def visible_to(self, user: User | Scope) -> UnitQuerySet:
        """The units ``user`` may see and act in: the subtrees of their memberships."""
        from civicgrid.org.scoping import scope_of

        return self.filter(scope_of(user).q("path"))

    def tops_for(self, user: User | Scope) -> UnitQuerySet:
        """Where the user's tree starts: the roots for a superuser, else the units of
        their memberships (the tops of the subtrees they may see)."""
        from civicgrid.org.scoping import scope_of

        scope = scope_of(user)
        return self.filter(parent=None) if scope.everything else self.filter(path__in=scope.paths)

    def subtree(self, unit: Unit) -> UnitQuerySet:
        return self.filter(path__startswith=unit.path)

    def active(self) -> UnitQuerySet:
        return self.filter(active=True)


class Unit(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True, validators=[unit_code_validator])
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=400, db_index=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def level(self) -> Level | None:
        return LEVEL_OF_KIND[self.kind]

    @property
    def depth(self) -> int:
        return self.path.count("/")

    def ancestor_codes(self) -> list[str]:
        """Codes from the root down to this unit, this unit included."""
        return [c for c in self.path.split("/") if c]

    def is_within(self, other: Unit) -> bool:
        return self.path.startswith(other.path)


class User(AbstractUser):
    """A person with an account. Residents do not have one; staff and volunteers do."""

    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Changed by "log out everywhere" (org.actions.end_all_sessions): it is part of the
    # hash every session of this person carries, so all of them stop at once, whatever
    # the session store. Empty until first used: older sessions stay valid.
    session_token = models.CharField(_("session token"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    def get_session_auth_hash(self) -> str:
        """Django's hash of the password, and of the session token once there is one:
        a new password or a new token ends every session made before."""
        if not self.session_token:
            return super().get_session_auth_hash()
        return self._session_hash(secret=None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        """The same under each of SECRET_KEY_FALLBACKS (sessions made before a key
        rotation stay valid)."""
        if not self.session_token:
            yield from super().get_session_auth_fallback_hash()
            return
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=secret)

    def _session_hash(self, *, secret: str | None) -> str:
        return salted_hmac(
            "civicgrid.org.User.get_session_auth_hash",
            f"{self.password}\x00{self.session_token}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class Role(models.TextChoices):
    OPERATOR = "operator", _("hotline operator")
    DISPATCHER = "dispatcher", _("dispatcher")
    HANDLER = "handler", _("handler")
    GRID_WORKER = "grid_worker", _("grid worker")
    VOLUNTEER = "volunteer", _("volunteer")
    LEADER = "leader", _("leader")
    ADMIN = "admin", _("administrator")


class Membership(models.Model):
    """A person holds a role in a unit, and with it the unit's whole subtree."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit.name}"

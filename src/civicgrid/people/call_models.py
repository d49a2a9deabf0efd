"""Grid calls (一呼百应): a grid worker, the community or a case's handler calls a grid's
volunteers and party members to a micro matter or a task; the first ``wanted`` to claim
take it and report it done with a photo, and are credited service hours and points.

``GridCall`` and ``CallClaim`` change only through ``civicgrid.people.calls``, which
writes one ``PeopleEvent`` per change; the messages to the grid's people are the
outbox's (``civicgrid.notify``), written by a task after the call commits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.cases.models import Case
from civicgrid.org.models import Unit
from civicgrid.people.models import Person, reach_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from civicgrid.org.models import User

# The storage folder of the photos claimants report with (``cases.photos.stage_files``).
CALL_PHOTOS = "call-photos"


class CallState(models.TextChoices):
    OPEN = "open", pgettext_lazy("grid call", "open")
    FULL = "full", pgettext_lazy("grid call", "full")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class GridCallQuerySet(models.QuerySet["GridCall"]):
    def visible_to(self, user: User | AnonymousUser) -> GridCallQuerySet:
        """The calls of the grids in ``user``'s scope, of the grid a volunteer or party
        member lives in (their own), and those made from a case they may see (a
        department's handler who called a grid from its case). Another grid's: none."""
        ids = reach_ids(user)
        if ids is None:
            return self.all()
        if not user.is_authenticated:
            return self.none()
        home = Person.objects.filter(user_id=user.pk, active=True).values("home_grid_id")
        cases = Case.objects.visible_to(user).values("pk")
        return self.filter(
            Q(grid_id__in=ids)
            | Q(grid_id__in=home)
            | Q(called_by_id=user.pk)
            | Q(case_id__in=cases)
        )


class GridCall(models.Model):
    """一呼百应: a call to a grid's volunteers and party members."""

    grid = models.ForeignKey(
        Unit, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="grid_calls"
    )
    title = models.CharField(_("title"), max_length=80)
    detail = models.TextField(_("detail"), blank=True)
    wanted = models.PositiveSmallIntegerField(_("people wanted"))
    hours = models.DecimalField(_("service hours"), max_digits=4, decimal_places=1, default=0)
    points = models.PositiveIntegerField(_("points"), default=0)
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grid_calls",
    )
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("called by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=12, choices=CallState.choices, default=CallState.OPEN
    )
    # How many of the grid's people the outbox was asked to tell (those with an account).
    reached = models.PositiveIntegerField(_("people reached"), default=0)
    created_at = models.DateTimeField(_("created at"))

    objects = GridCallQuerySet.as_manager()

    class Meta:
        verbose_name = _("grid call")
        verbose_name_plural = _("grid calls")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["grid", "state", "created_at"], name="grid_calls_of_grid"),
            models.Index(fields=["state", "created_at"], name="grid_calls_by_state"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def taking_claims(self) -> bool:
        return self.state == CallState.OPEN


class ClaimState(models.TextChoices):
    CLAIMED = "claimed", _("claimed")
    DONE = "done", _("done")
    WITHDRAWN = "withdrawn", _("withdrawn")


class CallClaim(models.Model):
    """One person's taking of a call (认领), and their report of it done."""

    call = models.ForeignKey(
        GridCall, verbose_name=_("grid call"), on_delete=models.CASCADE, related_name="claims"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="call_claims"
    )
    state = models.CharField(
        _("state"), max_length=12, choices=ClaimState.choices, default=ClaimState.CLAIMED
    )
    claimed_at = models.DateTimeField(_("claimed at"))
    report = models.CharField(_("report"), max_length=500, blank=True)
    # The storage name of the report's photo (staged until the report commits).
    photo = models.CharField(_("photo"), max_length=200, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("claim of a grid call")
        verbose_name_plural = _("claims of grid calls")
        ordering = ["claimed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["call", "person"], name="one_claim_per_person")
        ]
        indexes = [models.Index(fields=["person", "claimed_at"], name="call_claims_of_person")]

    def __str__(self) -> str:
        return f"{self.call} · {self.person}"


def masked_name(name: str) -> str:
    """A helper's name as a case page shows it: the surname, the rest hidden (王**)."""
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else ""

"""What intake keeps besides the case: idempotency keys of the native API, and the
district's gazetteer of estates and roads residents choose from."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import Case
from civicgrid.org.models import Unit


class IdempotencyKey(models.Model):
    """``POST /api/requests`` with an ``Idempotency-Key``: the same key again returns
    the case it made, never a second one (the unique index settles a race: see
    ``service.receive_once``)."""

    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    fingerprint = models.CharField(
        _("fingerprint"), max_length=64, help_text=_("Hash of the request body.")
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")

    def __str__(self) -> str:
        return self.key


class Place(models.Model):
    """An estate (小区), road or landmark of the district's gazetteer, with a point."""

    class Kind(models.TextChoices):
        ESTATE = "estate", _("estate")
        ROAD = "road", _("road")
        LANDMARK = "landmark", _("landmark")

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    community = models.ForeignKey(
        Unit, verbose_name=_("community"), on_delete=models.CASCADE, related_name="places"
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("gazetteer")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "community"], name="one_place_name_per_unit")
        ]

    def __str__(self) -> str:
        return self.name

"""Unit boundaries (a grid's polygon, a street's outline) in WGS-84 longitude/latitude.

Geometries are GeoJSON in a JSON column and handled with shapely; no spatial
database extension is needed, so SQLite and PostgreSQL behave the same.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.org.models import Unit


class Boundary(models.Model):
    unit = models.OneToOneField(
        Unit,
        verbose_name=_("unit"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="boundary",
    )
    geometry = models.JSONField(_("geometry (GeoJSON, WGS-84)"))
    min_lon = models.FloatField(_("westmost longitude"))
    min_lat = models.FloatField(_("southmost latitude"))
    max_lon = models.FloatField(_("eastmost longitude"))
    max_lat = models.FloatField(_("northmost latitude"))
    area_m2 = models.FloatField(_("area (m²)"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("boundary")
        verbose_name_plural = _("boundaries")

    def __str__(self) -> str:
        return str(self.unit)


class GeoRevision(models.Model):
    """One row counting changes to grid boundaries, so every process knows to rebuild."""

    number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"geo revision {self.number}"

    @classmethod
    def current(cls) -> int:
        row = cls.objects.filter(pk=1).values_list("number", flat=True).first()
        return row or 0

    @classmethod
    def bump(cls) -> None:
        updated = cls.objects.filter(pk=1).update(number=models.F("number") + 1)
        if not updated:
            cls.objects.create(pk=1, number=1)

"""Evaluation's own rows: the working calendar as a table, so that working hours can be
summed in SQL over a month of cases (``evaluation.hours``).

The indicators themselves are not stored: they are computed from the cases' columns
(``evaluation.indicators``), so they can always be rebuilt and drilled down to.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkingDay(models.Model):
    """One date of the district's working calendar, with the working time before it.

    The working time between two instants is the difference of their positions on this
    calendar: ``before`` of the instant's date, plus the part of that date's working
    periods already past (on a working day). Derived data: rebuilt from the calendar
    (``cases.worktime``, the district's overrides and ``WORKING_HOURS``) whenever those
    change (``hours.ensure_table``)."""

    date = models.DateField(_("date"), primary_key=True)
    working = models.BooleanField(_("working day"))
    before = models.BigIntegerField(
        _("working seconds before"),
        help_text=_("Working seconds from the table's first date to the start of this one."),
    )

    class Meta:
        verbose_name = _("working day")
        verbose_name_plural = _("working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'working' if self.working else 'off'} {self.before}"


class WorkingDayTable(models.Model):
    """What the ``WorkingDay`` rows were built from (one row): the calendar's signature
    and the dates covered. A different signature, or a date outside, rebuilds them."""

    signature = models.CharField(max_length=64)
    first = models.DateField()
    last = models.DateField()
    built_at = models.DateTimeField()

    class Meta:
        verbose_name = _("working-day table")
        verbose_name_plural = _("working-day tables")

    def __str__(self) -> str:
        return f"{self.first}…{self.last} ({self.signature[:8]})"

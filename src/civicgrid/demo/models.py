"""The demo's one row of its own: how far its year of history has come, so that a
history interrupted (the worker stopped, the machine shut down) is completed at the
next start instead of being left half-made or made twice."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class HistoryRun(models.Model):
    """The demo history being made: what was asked (count, seed, the moment it ends
    at) and how many of its planned cases are written. ``done`` is raised in the same
    transaction as each case, so a case is never written twice nor skipped."""

    count = models.PositiveIntegerField(_("cases to write"))
    seed = models.IntegerField(_("seed"))
    until = models.DateTimeField(_("history ends at"))
    done = models.PositiveIntegerField(_("cases planned and written"), default=0)
    refused = models.PositiveIntegerField(_("cases refused"), default=0)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last progress at"), auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("demo history")
        verbose_name_plural = _("demo histories")

    def __str__(self) -> str:
        return f"{self.done}/{self.count} (seed {self.seed})"

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

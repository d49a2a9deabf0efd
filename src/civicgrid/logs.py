"""What every app's log row has in common: who did it (``actor``, None for the system),
when (``at``), a note a person reads, and the data of the change.

``LogEntry`` is abstract: each app's log (``CouncilEvent``, ``WindowEvent``,
``PeopleEvent``, ``ProjectEvent``) adds its ``action`` (its own names) and what the change
was about, and is written only by its app's ``actions.record``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LogEntry(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        action = getattr(self, "action", "")
        return f"{action} {self.at:%Y-%m-%d %H:%M}"

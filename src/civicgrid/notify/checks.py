"""The outbox's settings, checked at start (``civicgrid check`` and every command)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from civicgrid.notify.models import Channel


@register()
def notify_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    unknown = [a for a in settings.NOTIFY_ADAPTERS if a not in Channel.values]
    if unknown:
        errors.append(
            Error(
                f"CIVICGRID_NOTIFY_ADAPTERS names unknown adapters: {', '.join(unknown)}",
                hint=f"Choose among {', '.join(Channel.values)}.",
                id="civicgrid.notify.E001",
            )
        )
    if Channel.WEBHOOK in settings.NOTIFY_ADAPTERS and not (
        settings.NOTIFY_WEBHOOK_URL and settings.NOTIFY_WEBHOOK_SECRET
    ):
        errors.append(
            Error(
                "The webhook adapter needs CIVICGRID_NOTIFY_WEBHOOK_URL and "
                "CIVICGRID_NOTIFY_WEBHOOK_SECRET.",
                id="civicgrid.notify.E002",
            )
        )
    if settings.NOTIFY_MAX_ATTEMPTS < 1:
        errors.append(
            Error("CIVICGRID_NOTIFY_MAX_ATTEMPTS must be 1 or more.", id="civicgrid.notify.E003")
        )
    return errors

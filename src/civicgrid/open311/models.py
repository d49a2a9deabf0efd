"""Who may submit through Open311, and what an Open311 submission keeps besides its case.

GeoReport v2 says POST Service Request requires an API key, issued to registered
clients: ``ApiClient`` is that register. ``Open311Request`` ties a case to the client
that sent it and keeps what the specification returns (``service_notice``,
``media_url``, the ``token``) and the submitter's details the case has no field for
(e-mail, device and account ids): apart from the case, like ``ResidentContact``, so
nothing personal reaches the case text that handlers and the public listing read.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import Case


def new_api_key() -> str:
    """43 URL-safe characters (256 bits): long enough that guessing is hopeless."""
    return secrets.token_urlsafe(32)


def new_token() -> str:
    return secrets.token_urlsafe(16)


class ApiClient(models.Model):
    """A registered Open311 client (an app, a partner's system) and its API key."""

    name = models.CharField(_("name"), max_length=100)
    key = models.CharField(
        _("API key"), max_length=64, unique=True, default=new_api_key, editable=False
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive client's key is refused.")
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submits as"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "An account with the hotline operator role. Requests without a phone number are "
            "submitted as this account; without one, a phone number is required."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 API client")
        verbose_name_plural = _("Open311 API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Open311Request(models.Model):
    """A case that came in through Open311: from which client, with what it returned."""

    case = models.OneToOneField(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="open311"
    )
    client = models.ForeignKey(
        ApiClient, verbose_name=_("client"), on_delete=models.PROTECT, related_name="requests"
    )
    token = models.CharField(
        _("token"), max_length=32, unique=True, default=new_token, editable=False
    )
    service_notice = models.TextField(_("service notice"), blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    attributes = models.JSONField(
        _("attributes"), default=dict, blank=True, help_text=_("The answers, by attribute code.")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    device_id = models.CharField(_("device id"), max_length=100, blank=True)
    account_id = models.CharField(_("account id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.client} → {self.case.tracking_code}"

"""How a message leaves: one function per channel, given a notification taken by the
worker (with its case, contact and user). Each returns when the channel took the
message and raises ``DeliveryError`` when it did not; the worker records either
(``actions.mark_sent`` / ``mark_failed``). None of them runs inside a transition, or
inside any transaction: a slow or broken gateway holds up its own messages only.

- ``log``: the message written to the ``civicgrid.notify`` logger (at INFO); the outbox
  row is the record, visible in the admin and the outbox page. The default.
- ``email``: Django's mail (``EMAIL_*`` settings, from ``CIVICGRID_EMAIL_*``), to a member
  of staff's address.
- ``webhook``: a signed JSON POST to the district's SMS or WeChat gateway
  (``webhook.py`` describes it), to the resident's or staff member's mobile number.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext_lazy as _

from civicgrid.notify.models import Channel, Notification, RecipientKind
from civicgrid.notify.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

log = logging.getLogger("civicgrid.notify")

NO_EMAIL = _("The staff member has no e-mail address.")
NO_PHONE = _("There is no mobile number to send to.")
NOT_CONFIGURED = _("The webhook has no URL or secret (CIVICGRID_NOTIFY_WEBHOOK_URL, _SECRET).")


class DeliveryError(Exception):
    """The channel did not take the message. ``permanent``: trying again cannot help."""

    def __init__(self, message: object, *, permanent: bool = False) -> None:
        super().__init__(str(message))
        self.permanent = permanent


def send_to_log(notification: Notification) -> None:
    log.info(
        "notification %s %s to %s via log: %s",
        notification.pk,
        notification.template,
        notification.recipient_label(),
        notification.body,
    )


def send_by_email(notification: Notification) -> None:
    user = notification.user
    if user is None or not user.email:
        raise DeliveryError(NO_EMAIL, permanent=True)
    try:
        send_mail(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
            fail_silently=False,
        )
    except (OSError, ValueError) as error:  # smtplib's errors are OSErrors
        raise DeliveryError(f"{type(error).__name__}: {error}") from error


def _phone(notification: Notification) -> str:
    if notification.recipient_kind == RecipientKind.RESIDENT:
        contact = getattr(notification.case, "contact", None)
        return contact.phone if contact is not None else ""
    return notification.user.phone if notification.user is not None else ""


def webhook_payload(notification: Notification) -> dict[str, Any]:
    recipient: dict[str, str] = {"kind": notification.recipient_kind, "phone": _phone(notification)}
    if notification.user is not None:
        recipient["user"] = notification.user.username
    return {
        "id": notification.pk,
        "template": notification.template,
        "case": notification.case.tracking_code if notification.case is not None else None,
        "topic": notification.topic,
        "recipient": recipient,
        "subject": notification.subject,
        "text": notification.body,
        "link": notification.link,
        "created_at": notification.created_at.isoformat(),
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A gateway that redirects is misconfigured: a failure, not a GET elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def send_to_gateway(notification: Notification) -> None:
    url, secret = settings.NOTIFY_WEBHOOK_URL, settings.NOTIFY_WEBHOOK_SECRET
    if not url or not secret:
        raise DeliveryError(NOT_CONFIGURED)  # not permanent: retried once it is configured
    payload = webhook_payload(notification)
    if not payload["recipient"]["phone"]:
        raise DeliveryError(NO_PHONE, permanent=True)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            "User-Agent": "civicgrid-notify/1",
        },
    )
    try:
        with _opener.open(request, timeout=settings.NOTIFY_WEBHOOK_TIMEOUT_S) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError) as error:  # refused, unreachable, timed out
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"{type(error).__name__}: {reason}") from error
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}")


ADAPTERS: dict[str, Callable[[Notification], None]] = {
    Channel.LOG: send_to_log,
    Channel.EMAIL: send_by_email,
    Channel.WEBHOOK: send_to_gateway,
}

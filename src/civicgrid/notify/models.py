"""The outbox: one row per message to one person through one channel, and the
watermark that says how far the event log has been read for messages.

A ``Notification`` about a case is written by ``actions.derive_notifications`` only,
once per (event, recipient, channel) (a unique constraint: deriving an event again
cannot make a second row); one about no case (a grid call to a grid's people) by
``actions.queue_messages``, once per (topic, recipient, channel). Either changes state
only through ``actions``: pending → sending → sent, or back to pending with the next
attempt's time, or failed after the last one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import Case, CaseEvent, mask_phone
from civicgrid.org.models import Unit

if TYPE_CHECKING:
    from civicgrid.org.models import User
    from civicgrid.org.scoping import Scope


class Template(models.TextChoices):
    """What a message says (its text is ``rules``'s)."""

    # to the resident
    RECEIVED = "received", _("request received")
    DISPATCHED = "dispatched", _("request dispatched")
    RESOLVED = "resolved", _("request resolved")
    PLEASE_RATE = "please_rate", _("please rate")
    MISSED_CALL = "missed_call", _("follow-up call missed")
    CLOSED_UNREACHABLE = "closed_unreachable", _("closed: resident not reached")
    # to staff
    NEW_CASE = "new_case", _("new case")
    RETURNED = "returned", _("case returned")
    REOPENED = "reopened", _("case reopened")
    REMINDER = "reminder", _("reminder")
    SUPERVISION = "supervision", _("supervision")
    WHISTLE = "whistle", _("whistle")
    # to the volunteers and party members of a grid
    GRID_CALL = "grid_call", _("grid call")


class Channel(models.TextChoices):
    """How a message travels: one adapter each (``adapters``)."""

    LOG = "log", _("log")
    EMAIL = "email", _("e-mail")
    WEBHOOK = "webhook", _("SMS/WeChat gateway")


class RecipientKind(models.TextChoices):
    RESIDENT = "resident", _("resident")
    STAFF = "staff", _("staff")
    VOLUNTEER = "volunteer", _("volunteer or party member")


class Delivery(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class NotificationQuerySet(models.QuerySet["Notification"]):
    def visible_to(self, user: User | Scope) -> NotificationQuerySet:
        """The notifications of the cases ``user`` may see (``Case.objects.visible_to``),
        and the messages about no case (a grid call) to people of the units in their
        reach."""
        from civicgrid.org.scoping import scope_of

        reach = scope_of(user).reach
        if reach.everywhere:
            return self
        units = set(reach.unit_ids) | set(reach.grid_ids)
        return self.filter(
            Q(case__in=Case.objects.visible_to(user).values("pk"))
            | Q(case__isnull=True, unit_id__in=sorted(units))
        )


class Notification(models.Model):
    # A message is about a case (derived from one of its events) or, without a case,
    # about a ``topic`` ("grid_call:12": a grid call to the grid's people).
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # (case, id) below
    )
    event = models.ForeignKey(
        CaseEvent,
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique (event, recipient, channel) serves
    )
    topic = models.CharField(_("topic"), max_length=40, blank=True, default="")
    template = models.CharField(_("message"), max_length=20, choices=Template.choices)
    recipient_kind = models.CharField(_("recipient"), max_length=10, choices=RecipientKind.choices)
    # "resident" or "user:<id>": one key per person, for the unique constraint (a NULL
    # user would not count as equal to another NULL).
    recipient_key = models.CharField(_("recipient key"), max_length=40, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("as a member of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    link = models.CharField(_("link"), max_length=300, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=Delivery.choices, default=Delivery.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("taken by a worker at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient_key", "channel"], name="one_message_per_event"
            ),
            models.UniqueConstraint(
                fields=["topic", "recipient_key", "channel"],
                condition=~Q(topic=""),
                name="one_message_per_topic",
            ),
        ]
        indexes = [
            # The sender's claim: the pending rows whose time has come, oldest first.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(state="pending"),
                name="notifications_due",
            ),
            # Rows a worker took and never finished (it died): few.
            models.Index(
                fields=["claimed_at"], condition=Q(state="sending"), name="notifications_taken"
            ),
            # The outbox page, newest first (keyset paging), all or by state; a case's
            # messages (the API).
            models.Index(fields=["created_at", "id"], name="notifications_newest"),
            models.Index(fields=["state", "created_at", "id"], name="notifications_by_state"),
            models.Index(fields=["case", "id"], name="notifications_of_case"),
        ]

    def __str__(self) -> str:
        return f"{self.get_template_display()} → {self.recipient_label()} ({self.channel})"

    def recipient_label(self) -> str:
        """Who, as staff may read it: a resident's number masked, a person's name."""
        if self.recipient_kind == RecipientKind.RESIDENT:
            contact = getattr(self.case, "contact", None)
            phone = mask_phone(contact.phone) if contact is not None else ""
            return f"{RecipientKind.RESIDENT.label} {phone}".strip()
        return str(self.user) if self.user_id else "—"


class Watermark(models.Model):
    """How far the event log has been read for messages: one row (pk 1).

    Every event with an id up to ``event_id`` has had its notifications derived. On
    PostgreSQL a transaction may commit an event with a lower id after one with a
    higher id was already visible, so the watermark moves only up to ids known to be
    settled: ``pending_event_id`` (the newest event id an earlier derivation saw while
    other transactions were writing events) becomes safe once every one of
    ``pending_writers`` has ended (see ``horizon``)."""

    event_id = models.BigIntegerField(_("last event read"), default=0)
    pending_event_id = models.BigIntegerField(_("first unsettled event"), null=True, blank=True)
    pending_writers = models.JSONField(_("pending writers"), default=list, blank=True)
    pending_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification watermark")
        verbose_name_plural = _("notification watermarks")

    def __str__(self) -> str:
        return f"events ≤ {self.event_id}"

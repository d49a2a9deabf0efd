"""The outbox's worker step, run by ``civicgrid worker`` on the database task queue.

``deliver_notifications`` reschedules itself every ``NOTIFY_INTERVAL_S`` (like the
deadline sweep); each deadline sweep, and each worker as it starts, also makes sure
one is waiting, so a worker killed mid-run breaks no chain.
``civicgrid notify`` runs the same step by hand.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone, translation
from django_tasks import task

from civicgrid import queue
from civicgrid.notify import actions
from civicgrid.notify.adapters import ADAPTERS, DeliveryError
from civicgrid.notify.models import Delivery, Notification

log = logging.getLogger(__name__)

DELIVER_TASK_PATH = "civicgrid.notify.tasks.deliver_notifications"
# Derivations per round: each reads up to NOTIFY_BATCH events; a round that leaves more
# behind is followed by the next one soon enough.
MAX_ROUNDS = 20
# On PostgreSQL, how long a round waits for the events it saw to settle (transitions
# still committing) before leaving them to the next round.
SETTLE_WAIT_S = (0.02, 0.1, 0.3)


@dataclass
class Delivered:
    events: int = 0
    derived: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0
    busy: bool = False
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "events": self.events,
            "derived": self.derived,
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "released": self.released,
        }


def derive(result: Delivered) -> None:
    """Derive until the settled events are all read (or another worker is at it)."""
    waits = list(SETTLE_WAIT_S)
    for _round in range(MAX_ROUNDS):
        step = actions.derive_notifications()
        result.events += step.events
        result.derived += step.notifications
        if step.busy:
            result.busy = True
            return
        if step.events:
            continue
        if not step.waiting or not waits:
            return
        time.sleep(waits.pop(0))  # the events just seen are settling (PostgreSQL)


def send_due(result: Delivered, *, now: datetime | None = None, limit: int | None = None) -> None:
    """Send the messages whose time has come, a batch at a time, through their
    adapters; each outcome recorded at once (no transaction is held while sending)."""
    limit = limit or settings.NOTIFY_SEND_BATCH
    result.released += actions.release_abandoned(now=now)
    with translation.override(settings.LANGUAGE_CODE):  # errors are stored for people
        while taken := actions.claim_due(now=now, limit=limit):
            for notification in taken:
                _send_one(notification, result, now)
            if len(taken) < limit:
                return


def _send_one(notification: Notification, result: Delivered, now: datetime | None) -> None:
    adapter = ADAPTERS.get(notification.channel)
    try:
        if adapter is None:
            raise DeliveryError(f"unknown channel {notification.channel}", permanent=True)
        adapter(notification)
    except DeliveryError as error:
        _failed(notification, str(error), error.permanent, result, now)
    except Exception as error:  # an adapter's bug must not stop the other messages
        log.exception("notification %s: %s failed", notification.pk, notification.channel)
        _failed(notification, f"{type(error).__name__}: {error}", False, result, now)
    else:
        if actions.mark_sent(notification, now=now):
            result.sent += 1


def _failed(
    notification: Notification,
    error: str,
    permanent: bool,
    result: Delivered,
    now: datetime | None,
) -> None:
    state = actions.mark_failed(notification, error=error, permanent=permanent, now=now)
    if state == Delivery.FAILED:
        result.failed += 1
        log.warning("notification %s given up: %s", notification.pk, error)
    else:
        result.retrying += 1


def deliver() -> Delivered:
    """One round: new events into notifications, then the due notifications sent."""
    result = Delivered()
    derive(result)
    send_due(result)
    return result


@task(queue_name="notify")
def deliver_notifications() -> dict[str, int]:
    try:
        return deliver().as_dict()
    finally:
        schedule_delivery(delay_s=settings.NOTIFY_INTERVAL_S)


def schedule_delivery(delay_s: float = 0.0) -> bool:
    """Enqueue a round unless one is already waiting; True if one was enqueued."""
    run_after = timezone.now() + timedelta(seconds=delay_s) if delay_s > 0 else None
    return queue.enqueue_once(deliver_notifications, run_after=run_after)

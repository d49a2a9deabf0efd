from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civicgrid.notify import actions
from civicgrid.notify.models import Delivery, Notification
from civicgrid.notify.tasks import deliver


class Command(BaseCommand):
    help = (
        "The outbox's round now, as the worker runs it: new case events into notifications, "
        "then every message that is due sent through its adapter. Prints what it did and "
        "how many messages wait or failed, as JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--send-now",
            action="store_true",
            help="send every waiting message now, whatever its next attempt's time",
        )
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help="give every failed message one more attempt now",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        retried = 0
        if options["send_now"]:
            retried += actions.retry_now(Notification.objects.filter(state=Delivery.PENDING))
        if options["retry_failed"]:
            retried += actions.retry_now(Notification.objects.filter(state=Delivery.FAILED))
        result = deliver()
        waiting = {
            state: Notification.objects.filter(state=state).count()
            for state in (Delivery.PENDING, Delivery.SENDING, Delivery.FAILED)
        }
        summary = {**result.as_dict(), "made_due": retried, "now": waiting, "busy": result.busy}
        self.stdout.write(json.dumps(summary))

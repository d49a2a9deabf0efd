from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from civicgrid.dispatch.tasks import schedule_sweep
from civicgrid.notify.tasks import schedule_delivery


class Command(BaseCommand):
    help = (
        "The background worker: runs the database task queue (django-tasks), starting "
        "the deadline sweep (remind, escalate, supervise) and the outbox's notifications, "
        "which then reschedule themselves. "
        "Run as many as you like on PostgreSQL: each deadline is treated exactly once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="run what is due now (one sweep), then exit"
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between queue polls"
        )
        parser.add_argument(
            "--queues",
            default="*",
            help="queues to take tasks from, comma-separated: default (sweeps, demo "
            "history), triage (new cases' machine readings), notify (the outbox's "
            "rounds); default: all",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        schedule_sweep()
        schedule_delivery()
        worker_args = [
            *("--interval", str(options["interval"])),
            *("--queue-name", options["queues"]),
            "--no-startup-delay",
        ]
        if options["once"]:
            worker_args.append("--batch")
        call_command("db_worker", *worker_args, verbosity=options["verbosity"])

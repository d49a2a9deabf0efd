from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from civicgrid.evaluation import hours


class Command(BaseCommand):
    help = (
        "Rewrite every case's working seconds to acknowledge and to resolve on the current "
        "working calendar (after the calendar, the working hours or the time zone changed, "
        "or after an upgrade); until then the figures compute them, exact but slower."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="only say whether they are current"
        )
        parser.add_argument("--batch", type=int, default=200_000, help="cases per transaction")

    def handle(self, *args: Any, check: bool, batch: int, **options: Any) -> None:
        if check:
            current = hours.stored_current()
            self.stdout.write("current" if current else "stale: run civicgrid working-seconds")
            return
        done = hours.rebuild_stored(batch=max(batch, 1), say=self.stdout.write)
        state = "current" if hours.stored_current() else "stale (the calendar changed meanwhile)"
        self.stdout.write(f"{done:,} cases rewritten; stored working seconds: {state}")

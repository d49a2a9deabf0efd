from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from civicgrid.dispatch.sweeper import sweep


class Command(BaseCommand):
    help = (
        "Run the deadline sweeper: remind before deadlines, escalate and supervise after. "
        "Run as many as you like on PostgreSQL; each deadline is treated exactly once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between passes")
        parser.add_argument("--limit", type=int, default=1000, help="deadlines per pass")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            close_old_connections()
            started = time.monotonic()
            result = sweep(limit=options["limit"])
            if result.acted or result.errors or options["verbosity"] > 1:
                self.stdout.write(
                    f"sweep: {result.reminded} reminded, {result.escalated} escalated, "
                    f"{result.supervised} supervised, {result.skipped} skipped "
                    f"in {time.monotonic() - started:.2f} s"
                )
            for error in result.errors:
                self.stderr.write(error)
            if options["once"] or stopping:
                return
            # A full batch means more is waiting: go again at once.
            if result.acted + result.skipped < options["limit"]:
                deadline = time.monotonic() + options["interval"]
                while not stopping and time.monotonic() < deadline:
                    time.sleep(0.2)
            if stopping:
                return

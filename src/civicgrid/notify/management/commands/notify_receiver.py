from __future__ import annotations

import contextlib
import json
import sys
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.notify.webhook import receiver


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


class Command(BaseCommand):
    help = (
        "A webhook receiver to try a gateway setup: checks each POST's signature with the "
        "shared secret and prints the message as one line of JSON (a bad signature is "
        "refused with 401). Point CIVICGRID_NOTIFY_WEBHOOK_URL at it. Not a gateway: it "
        "sends nothing on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8025)
        parser.add_argument(
            "--secret",
            default="",
            help="the shared secret (default: CIVICGRID_NOTIFY_WEBHOOK_SECRET)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        secret = options["secret"] or settings.NOTIFY_WEBHOOK_SECRET
        if not secret:
            raise CommandError("Give --secret or set CIVICGRID_NOTIFY_WEBHOOK_SECRET.")

        def show(message: dict[str, Any]) -> None:
            self.stdout.write(json.dumps(message, ensure_ascii=False))
            self.stdout.flush()

        with make_server(
            options["host"], options["port"], receiver(secret, show), handler_class=_Quiet
        ) as server:
            host, port = server.server_address[:2]
            self.stderr.write(f"listening on http://{host}:{port}/ (Ctrl-C to stop)")
            with contextlib.suppress(KeyboardInterrupt):
                server.serve_forever()

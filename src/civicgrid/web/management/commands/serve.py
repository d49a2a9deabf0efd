from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Apply migrations, then serve civicgrid with waitress (a production WSGI server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-migrate", action="store_true")
        parser.add_argument(
            "--trusted-proxy",
            default=settings.TRUSTED_PROXY,
            help="the reverse proxy's address: X-Forwarded-Proto and X-Forwarded-For are "
            "taken from it, dropped from anyone else (default: CIVICGRID_TRUSTED_PROXY)",
        )
        parser.add_argument(
            "--switch-interval-ms",
            type=float,
            default=0.5,
            help="how long a thread may hold Python's interpreter lock while others wait "
            "(Python's default: 5 ms)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from civicgrid.web.process import freeze_what_lives_as_long_as_the_process
        from civicgrid.wsgi import application

        # Each time a request's answer from the database comes back, its thread waits
        # for the interpreter lock, up to the switch interval if another thread is
        # computing: at Python's 5 ms, intake's p99 at 200 requests/s on PostgreSQL
        # was 32 ms; at 0.5 ms, 7 ms (bench/intake.py; before intake wrote its rows in
        # one statement, with six round trips: 66 ms and 16 ms).
        sys.setswitchinterval(options["switch_interval_ms"] / 1000)
        if not options["no_migrate"]:
            call_command("migrate", verbosity=0)
        freeze_what_lives_as_long_as_the_process()
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"civicgrid is serving at {url} (Ctrl+C to stop)"))
        proxy = {}
        if options["trusted_proxy"]:
            # Behind a proxy every request comes from the proxy's address: the client's
            # own (for rate limits and login lockouts) and the scheme come in headers,
            # believed from the proxy alone.
            proxy = {
                "trusted_proxy": options["trusted_proxy"],
                "trusted_proxy_count": 1,
                "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-for"},
            }
        serve(
            application,
            host=options["host"],
            port=options["port"],
            threads=options["threads"],
            ident="civicgrid",
            **proxy,
        )

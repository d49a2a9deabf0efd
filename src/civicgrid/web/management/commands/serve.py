from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Apply migrations, then serve civicgrid with waitress (a production WSGI server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from civicgrid.wsgi import application

        if not options["no_migrate"]:
            call_command("migrate", verbosity=0)
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"civicgrid is serving at {url} (Ctrl+C to stop)"))
        serve(
            application,
            host=options["host"],
            port=options["port"],
            threads=options["threads"],
            ident="civicgrid",
        )

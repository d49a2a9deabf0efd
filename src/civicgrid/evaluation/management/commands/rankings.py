"""``civicgrid rankings show|publish|correct|export``: the monthly rankings from the
command line, through the same functions as the console and the API (the actor named
with ``--as``: publishing needs a district leader or administrator)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.errors import Refusal
from civicgrid.evaluation import export, publishing
from civicgrid.evaluation import rankings as rk
from civicgrid.org.models import User


def _actor(username: str | None) -> User:
    if not username:
        raise CommandError("Name the person who acts: --as USERNAME")
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {username}.")
    return user


class Command(BaseCommand):
    help = (
        "Monthly rankings (月度榜单): show a month (published, or computed now), publish it, "
        "publish a correction, or export a published month as an Excel workbook."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        show = commands.add_parser("show", help="a month's lists as JSON")
        show.add_argument("month", help="2025-03")
        show.add_argument("--list", choices=rk.LISTS, help="one list only")
        show.add_argument("--revision", type=int, help="a published revision")
        show.add_argument("--live", action="store_true", help="computed now, even if published")
        show.add_argument("--verify", action="store_true", help="recompute a published month")
        publish = commands.add_parser("publish", help="freeze a past month's rankings")
        publish.add_argument("month")
        publish.add_argument("--as", dest="actor", required=True, help="a district leader")
        publish.add_argument("--early", action="store_true", help="before the appeals close")
        correct = commands.add_parser("correct", help="publish a month again, with a reason")
        correct.add_argument("month")
        correct.add_argument("--as", dest="actor", required=True)
        correct.add_argument("--reason", required=True)
        out = commands.add_parser("export", help="a published month as .xlsx")
        out.add_argument("month")
        out.add_argument("path", help="the file to write")
        out.add_argument("--revision", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = rk.parse_month(options["month"])
            getattr(self, f"_{options['command']}")(month, options)
        except Refusal as refusal:
            raise CommandError(refusal.message) from None

    def _show(self, month: Any, options: dict[str, Any]) -> None:
        if options["verify"]:
            try:
                found = publishing.verify(month.key, options["revision"])
            except LookupError:
                raise CommandError(f"{month.key} is not published.") from None
            self.stdout.write(json.dumps(found.__dict__, ensure_ascii=False, indent=2))
            return
        snapshot = None
        if not options["live"]:
            snapshot = publishing.published(month.key, options["revision"])
            if snapshot is None and options["revision"] is not None:
                raise CommandError(f"{month.key} has no revision {options['revision']}.")
        if snapshot is not None:
            head = {"status": "published", "revision": snapshot.revision, "policy": snapshot.policy}
            lists = snapshot.lists
        else:
            ranking = rk.compute(month)
            head = {"status": "live", "revision": None, "policy": ranking.terms.as_json()}
            lists = ranking.as_json()
        if options["list"]:
            lists = {options["list"]: lists[options["list"]]}
        body = {"month": month.key, **head, "lists": lists}
        self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))

    def _publish(self, month: Any, options: dict[str, Any]) -> None:
        snapshot = publishing.publish_month(_actor(options["actor"]), month, early=options["early"])
        self.stdout.write(f"{snapshot.month} published, revision {snapshot.revision}.")

    def _correct(self, month: Any, options: dict[str, Any]) -> None:
        snapshot = publishing.correct_month(_actor(options["actor"]), month, options["reason"])
        self.stdout.write(f"{snapshot.month} corrected, revision {snapshot.revision}.")

    def _export(self, month: Any, options: dict[str, Any]) -> None:
        snapshot = publishing.published(month.key, options["revision"])
        if snapshot is None:
            raise CommandError(f"{month.key} is not published (or has no such revision).")
        Path(options["path"]).write_bytes(export.workbook(snapshot))
        self.stdout.write(f"{options['path']}: {export.filename(snapshot)}")

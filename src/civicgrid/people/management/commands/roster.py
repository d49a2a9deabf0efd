"""``civicgrid roster export --unit CODE --week YYYY-MM-DD [--out FILE]``: a unit's
roster week as the same Excel workbook the roster page exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.people import export
from civicgrid.people.models import Roster


class Command(BaseCommand):
    help = "Duty rosters (下沉轮值): export a unit's week as an Excel workbook."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        out = commands.add_parser("export", help="a roster week as .xlsx")
        out.add_argument("--unit", required=True, help="the unit's code")
        out.add_argument("--week", required=True, help="the Monday, YYYY-MM-DD")
        out.add_argument("--out", help="the file to write (default: roster-CODE-WEEK.xlsx)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            week = date.fromisoformat(options["week"])
        except ValueError:
            raise CommandError(f"{options['week']} is not a date (YYYY-MM-DD).") from None
        roster = (
            Roster.objects.select_related("unit")
            .filter(unit__code=options["unit"], week=week)
            .first()
        )
        if roster is None:
            raise CommandError(f"No roster of {options['unit']} for the week of {week}.")
        path = Path(options["out"] or export.filename(roster))
        path.write_bytes(export.roster_workbook(roster))
        self.stdout.write(f"{path}: {roster.duties.count()} duties")
